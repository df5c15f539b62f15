//! The ping API's grammar and rules: which URL means which signal for which
//! check, and how a check's settings classify a ping. Status codes and bodies
//! follow healthchecks.io, so `curl -fsS --retry 3` scripts behave the same.

use crate::check::PingKind;
use crate::ids::Uuid;
use crate::reply::Reply;
use crate::time::Timestamp;

/// How far ahead of edgebeat's clock a reported event time (`ts`) may be:
/// the reporter's clock may run a little fast. Such a time is taken as now.
pub const MAX_EVENT_AHEAD_SECS: i64 = 300;
/// How long ago a reported event may have happened. A relay that was down
/// for hours still reports what happened meanwhile; anything older is
/// refused, and the memory of run ids that keeps reports exactly-once
/// (`plan::RunReport`) needs to outlive only this.
pub const MAX_EVENT_AGE_SECS: i64 = 86_400;
/// How long a run's reported start or end is remembered: twice the oldest
/// event a reporter may report, so that any report a reporter may still
/// send again is recognized (a relay that retried for a day, a clock a
/// little off), and no longer, so that a check run every minute keeps a
/// few thousand rows, not months of them.
pub const RUN_REPORT_KEEP_SECS: i64 = 2 * MAX_EVENT_AGE_SECS;

/// healthchecks marks every ping answer as never-cacheable.
const NO_CACHE: &str = "max-age=0, no-cache, no-store, must-revalidate, private";

/// The answer to a recorded ping: `OK`, or `Created` when `?create=1` made
/// the check. Tells clients (runitor reads it) how much body is kept.
pub fn accepted_reply(created: bool, body_limit: usize) -> Reply {
    let (status, body) = if created { (201, "Created") } else { (200, "OK") };
    Reply::text(status, body)
        .with_header("Access-Control-Allow-Origin", "*")
        .with_header("Cache-Control", NO_CACHE)
        .with_header("Ping-Body-Limit", body_limit.to_string())
}

/// The answer to `POST /ping/<uuid>/snooze`, or to a bad `seconds` there.
pub fn snooze_reply(status: u16, body: &str) -> Reply {
    Reply::text(status, body).with_header("Access-Control-Allow-Origin", "*").with_header("Cache-Control", NO_CACHE)
}

/// The answer to a ping that was not recorded, with healthchecks' short
/// bodies; a bad event time, an edgebeat extension, gets a JSON error.
pub fn rejected_reply(error: &PingError) -> Reply {
    let reply = match error {
        PingError::BadEventTime(_) => Reply::error(error.status(), error.to_string()),
        _ => Reply::text(error.status(), error.to_string()),
    };
    reply.with_header("Cache-Control", NO_CACHE)
}

/// Which check a ping URL addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PingTarget {
    /// `/ping/<uuid>`
    Check(Uuid),
    /// `/ping/<ping_key>/<slug>`
    Slug { ping_key: String, slug: String },
}

/// The signal a ping URL carries before the check's own rules apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlSignal {
    Success,
    Start,
    Fail,
    Log,
    /// `/<0-255>`: 0 is success, anything else failure.
    ExitStatus(u8),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PingUrl {
    pub target: PingTarget,
    pub signal: UrlSignal,
}

/// Errors of the ping grammar, with healthchecks' status codes and bodies.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PingError {
    #[error("not found")]
    NotFound,
    #[error("invalid url format")]
    InvalidUrlFormat,
    #[error("invalid uuid format")]
    InvalidUuidFormat,
    #[error("ambiguous slug")]
    AmbiguousSlug,
    /// `?create=1` with a slug a check cannot have.
    #[error("invalid slug: use 1 to 100 of a-z, 0-9, - and _")]
    InvalidSlug,
    #[error("check limit reached ({0} checks per project)")]
    CheckLimit(i64),
    #[error("request too large (at most {0} bytes)")]
    TooLarge(usize),
    /// The body broke off: shorter than its `Content-Length`, or the client
    /// went away while sending it. Nothing is recorded from half a request.
    #[error("incomplete request body")]
    IncompleteBody,
    /// `ts` that is no Unix time, or outside the bounds a reported event
    /// time may have.
    #[error("{0}")]
    BadEventTime(String),
}

impl PingError {
    pub fn status(&self) -> u16 {
        match self {
            PingError::NotFound => 404,
            PingError::InvalidUrlFormat
            | PingError::InvalidUuidFormat
            | PingError::InvalidSlug
            | PingError::IncompleteBody
            | PingError::BadEventTime(_) => 400,
            PingError::CheckLimit(_) => 403,
            PingError::AmbiguousSlug => 409,
            PingError::TooLarge(_) => 413,
        }
    }
}

/// Django's slug converter: `[-a-zA-Z0-9_]+`.
fn is_slug_like(segment: &str) -> bool {
    !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A trailing signal segment: `start`, `fail`, `log` or an exit status.
/// `Err` is a number above 255; `Ok(None)` is not a signal at all.
fn parse_signal(segment: &str) -> Result<Option<UrlSignal>, PingError> {
    Ok(Some(match segment {
        "start" => UrlSignal::Start,
        "fail" => UrlSignal::Fail,
        "log" => UrlSignal::Log,
        digits if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => match digits.parse::<u16>() {
            Ok(code) if code <= 255 => UrlSignal::ExitStatus(code as u8),
            _ => return Err(PingError::InvalidUrlFormat),
        },
        _ => return Ok(None),
    }))
}

/// Parses the part of the path after `/ping/`.
///
/// Mirrors healthchecks' URL patterns in their order: a lowercase UUID with an
/// optional signal, then `<ping_key>/<slug>` with an optional signal. So
/// `/ping/<uuid>/foo` is read as ping key `<uuid>` with slug `foo`.
pub fn parse_ping_path(rest: &str) -> Result<PingUrl, PingError> {
    let segments: Vec<&str> = rest.split('/').collect();
    if let Some(uuid) = segments.first().and_then(|s| Uuid::parse(s)) {
        match segments[1..] {
            [] | [""] => return Ok(PingUrl { target: PingTarget::Check(uuid), signal: UrlSignal::Success }),
            [signal] => {
                if let Some(signal) = parse_signal(signal)? {
                    return Ok(PingUrl { target: PingTarget::Check(uuid), signal });
                }
            }
            _ => {}
        }
    }
    let (key, slug, signal) = match segments[..] {
        [key, slug] => (key, slug, UrlSignal::Success),
        [key, slug, signal] => match parse_signal(signal)? {
            Some(signal) => (key, slug, signal),
            None => return Err(PingError::NotFound),
        },
        _ => return Err(PingError::NotFound),
    };
    if !is_slug_like(key) || !is_slug_like(slug) {
        return Err(PingError::NotFound);
    }
    if slug.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(PingError::InvalidUrlFormat);
    }
    Ok(PingUrl { target: PingTarget::Slug { ping_key: key.to_owned(), slug: slug.to_owned() }, signal })
}

/// The query parameters the ping API understands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PingQuery {
    pub rid: Option<Uuid>,
    /// `?create=1`: create a missing slug check.
    pub create: bool,
    /// `?ts=<Unix seconds>` (an edgebeat extension): when the event
    /// happened, for a reporter that relays it later; not yet bounded
    /// (`event_time`).
    pub ts: Option<Timestamp>,
}

pub fn parse_ping_query(pairs: &[(String, String)]) -> Result<PingQuery, PingError> {
    let mut query = PingQuery::default();
    for (name, value) in pairs {
        match name.as_str() {
            "rid" => query.rid = Some(Uuid::parse_any_case(value).ok_or(PingError::InvalidUuidFormat)?),
            "create" => query.create = value == "1",
            "ts" => query.ts = Some(parse_unix_seconds(value)?),
            _ => {}
        }
    }
    Ok(query)
}

/// Unix seconds, whole or with up to three decimals (`1700000000`,
/// `1700000000.25`).
fn parse_unix_seconds(text: &str) -> Result<Timestamp, PingError> {
    let bad = || {
        PingError::BadEventTime(format!(
            "ts {text:?} is not a Unix time in seconds (such as 1700000000 or 1700000000.25)"
        ))
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 12 || !digits(whole) || fraction.len() > 3 || !digits(fraction) {
        return Err(bad());
    }
    if text.ends_with('.') {
        return Err(bad());
    }
    let secs: i64 = whole.parse().map_err(|_| bad())?;
    let millis: i64 = format!("{fraction:0<3}").parse().map_err(|_| bad())?;
    Ok(Timestamp::from_millis(secs * 1000 + millis))
}

/// The time a ping's event happened: `ts` when the reporter gave one, if
/// it is no more than a day ago (`MAX_EVENT_AGE_SECS`) and no more than
/// five minutes ahead of `now` (clock skew; then it is now); `None` for a
/// plain ping, which happened when it arrived.
pub fn event_time(ts: Option<Timestamp>, now: Timestamp) -> Result<Option<Timestamp>, PingError> {
    let Some(ts) = ts else { return Ok(None) };
    if ts > now.plus_secs(MAX_EVENT_AHEAD_SECS) {
        return Err(PingError::BadEventTime(format!(
            "ts {} is in the future: more than {} minutes ahead of edgebeat's clock ({})",
            ts.iso8601(),
            MAX_EVENT_AHEAD_SECS / 60,
            now.iso8601()
        )));
    }
    if ts < now.plus_secs(-MAX_EVENT_AGE_SECS) {
        return Err(PingError::BadEventTime(format!(
            "ts {} is more than {} hours ago: only events of the last day can be reported",
            ts.iso8601(),
            MAX_EVENT_AGE_SECS / 3600
        )));
    }
    Ok(Some(ts.min(now)))
}

/// A check's settings that decide how a ping is read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PingRules {
    /// Only POST counts; other methods are recorded as ignored.
    pub post_only: bool,
    /// Classify by keywords in the body instead of by URL.
    pub filter_http_body: bool,
    pub start_kw: String,
    pub success_kw: String,
    pub failure_kw: String,
    /// With body filtering, a body that matches no keyword is a failure
    /// (instead of being ignored).
    pub filter_default_fail: bool,
}

/// Comma-separated keywords, case-sensitive substring match; empty items never match.
fn any_keyword(keywords: &str, body: &str) -> bool {
    keywords.split(',').map(str::trim).filter(|k| !k.is_empty()).any(|k| body.contains(k))
}

/// Decides what a ping means for this check, in healthchecks' order: a
/// non-zero exit status is a failure; a POST-only check ignores other methods;
/// body keywords, when enabled, override the URL.
pub fn classify(signal: UrlSignal, method: &str, body: &[u8], rules: &PingRules) -> PingKind {
    let mut kind = match signal {
        UrlSignal::Success | UrlSignal::ExitStatus(0) => PingKind::Success,
        UrlSignal::Fail | UrlSignal::ExitStatus(_) => PingKind::Fail,
        UrlSignal::Start => PingKind::Start,
        UrlSignal::Log => PingKind::Log,
    };
    if rules.post_only && !method.eq_ignore_ascii_case("POST") {
        kind = PingKind::Ignored;
    }
    if kind != PingKind::Ignored && rules.filter_http_body {
        let text = String::from_utf8_lossy(body);
        kind = if any_keyword(&rules.failure_kw, &text) {
            PingKind::Fail
        } else if any_keyword(&rules.success_kw, &text) {
            PingKind::Success
        } else if any_keyword(&rules.start_kw, &text) {
            PingKind::Start
        } else if rules.filter_default_fail {
            PingKind::Fail
        } else {
            PingKind::Ignored
        };
    }
    kind
}

/// The exit status a ping reports, if any.
pub fn exit_status(signal: UrlSignal) -> Option<u8> {
    match signal {
        UrlSignal::ExitStatus(code) => Some(code),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b";

    fn check(signal: UrlSignal) -> Result<PingUrl, PingError> {
        Ok(PingUrl { target: PingTarget::Check(Uuid::parse(UUID).unwrap()), signal })
    }

    fn slug(key: &str, slug: &str, signal: UrlSignal) -> Result<PingUrl, PingError> {
        Ok(PingUrl { target: PingTarget::Slug { ping_key: key.into(), slug: slug.into() }, signal })
    }

    #[test]
    fn uuid_urls() {
        assert_eq!(parse_ping_path(UUID), check(UrlSignal::Success));
        assert_eq!(parse_ping_path(&format!("{UUID}/")), check(UrlSignal::Success));
        assert_eq!(parse_ping_path(&format!("{UUID}/start")), check(UrlSignal::Start));
        assert_eq!(parse_ping_path(&format!("{UUID}/fail")), check(UrlSignal::Fail));
        assert_eq!(parse_ping_path(&format!("{UUID}/log")), check(UrlSignal::Log));
        assert_eq!(parse_ping_path(&format!("{UUID}/0")), check(UrlSignal::ExitStatus(0)));
        assert_eq!(parse_ping_path(&format!("{UUID}/255")), check(UrlSignal::ExitStatus(255)));
        assert_eq!(parse_ping_path(&format!("{UUID}/256")), Err(PingError::InvalidUrlFormat));
        assert_eq!(parse_ping_path(&format!("{UUID}/99999999999999999999")), Err(PingError::InvalidUrlFormat));
        assert_eq!(parse_ping_path(&format!("{UUID}/start/")), Err(PingError::NotFound));
    }

    #[test]
    fn slug_urls() {
        assert_eq!(parse_ping_path("abc123/backup"), slug("abc123", "backup", UrlSignal::Success));
        assert_eq!(parse_ping_path("abc123/backup/start"), slug("abc123", "backup", UrlSignal::Start));
        assert_eq!(parse_ping_path("abc123/backup/7"), slug("abc123", "backup", UrlSignal::ExitStatus(7)));
        assert_eq!(parse_ping_path("abc123/backup/300"), Err(PingError::InvalidUrlFormat));
        assert_eq!(parse_ping_path("abc123/Backup"), Err(PingError::InvalidUrlFormat));
        assert_eq!(parse_ping_path("abc123/back up"), Err(PingError::NotFound));
        assert_eq!(parse_ping_path("abc123/backup/nope"), Err(PingError::NotFound));
        // healthchecks' fall-through: an unknown suffix after a uuid reads as a slug.
        assert_eq!(parse_ping_path(&format!("{UUID}/foo")), slug(UUID, "foo", UrlSignal::Success));
    }

    #[test]
    fn malformed_urls_are_not_found() {
        for path in ["", "not-a-uuid", "0F2EA3C4-5B6D-4E7F-8A9B-0C1D2E3F4A5B", "a/b/c/d", "a//b"] {
            assert_eq!(parse_ping_path(path), Err(PingError::NotFound), "{path:?}");
        }
    }

    #[test]
    fn query_parameters() {
        let pairs =
            |list: &[(&str, &str)]| list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
        let rid = "A0000000-0000-4000-8000-000000000001";
        let query = parse_ping_query(&pairs(&[("rid", rid), ("create", "1")])).unwrap();
        assert_eq!(query.rid.map(|r| r.to_string()), Some(rid.to_lowercase()));
        assert!(query.create);
        assert!(!parse_ping_query(&pairs(&[("create", "true")])).unwrap().create);
        assert_eq!(parse_ping_query(&pairs(&[("rid", "nope")])), Err(PingError::InvalidUuidFormat));
        let ts = |text: &str| parse_ping_query(&pairs(&[("ts", text)])).map(|q| q.ts);
        assert_eq!(ts("1700000000"), Ok(Some(Timestamp::from_secs(1_700_000_000))));
        assert_eq!(ts("1700000000.25"), Ok(Some(Timestamp::from_millis(1_700_000_000_250))));
        assert_eq!(ts("0.5"), Ok(Some(Timestamp::from_millis(500))));
        for bad in ["", "-5", "1e9", "17000000001.", ".5", "1.2345", "12345678901234", "2024-01-01T00:00:00Z", " 1"] {
            assert!(matches!(ts(bad), Err(PingError::BadEventTime(_))), "{bad:?}");
        }
    }

    #[test]
    fn event_times_are_bounded_to_the_last_day_and_a_little_clock_skew() {
        let now = Timestamp::from_secs(1_700_000_000);
        assert_eq!(event_time(None, now), Ok(None));
        let ago = |secs: i64| event_time(Some(now.plus_secs(-secs)), now);
        assert_eq!(ago(600), Ok(Some(now.plus_secs(-600))));
        assert_eq!(ago(MAX_EVENT_AGE_SECS), Ok(Some(now.plus_secs(-MAX_EVENT_AGE_SECS))));
        let old = ago(MAX_EVENT_AGE_SECS + 1).unwrap_err();
        assert_eq!(
            old.to_string(),
            "ts 2023-11-13T22:13:19+00:00 is more than 24 hours ago: only events of the last day can be reported"
        );
        assert_eq!(ago(-MAX_EVENT_AHEAD_SECS), Ok(Some(now)), "a clock a little fast: now");
        let ahead = ago(-MAX_EVENT_AHEAD_SECS - 1).unwrap_err();
        assert!(ahead.to_string().contains("in the future: more than 5 minutes ahead"), "{ahead}");
        // A JSON error, with the status of a bad request.
        let reply = rejected_reply(&ahead);
        assert_eq!(reply.status, 400);
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert!(body["error"].as_str().is_some_and(|e| e.starts_with("ts 2023-11-14T22:18:21+00:00 is in the future")));
    }

    #[test]
    fn exit_statuses_and_methods_classify() {
        let rules = PingRules::default();
        assert_eq!(classify(UrlSignal::ExitStatus(0), "GET", b"", &rules), PingKind::Success);
        assert_eq!(classify(UrlSignal::ExitStatus(1), "GET", b"", &rules), PingKind::Fail);
        let post_only = PingRules { post_only: true, ..PingRules::default() };
        assert_eq!(classify(UrlSignal::Fail, "GET", b"", &post_only), PingKind::Ignored);
        assert_eq!(classify(UrlSignal::Fail, "HEAD", b"", &post_only), PingKind::Ignored);
        assert_eq!(classify(UrlSignal::Fail, "POST", b"", &post_only), PingKind::Fail);
    }

    #[test]
    fn body_keywords_override_the_url() {
        let rules = PingRules {
            filter_http_body: true,
            start_kw: "STARTING".into(),
            success_kw: "SUCCESS, all good".into(),
            failure_kw: "ERROR,FATAL".into(),
            ..PingRules::default()
        };
        assert_eq!(classify(UrlSignal::Success, "POST", b"backup: FATAL disk", &rules), PingKind::Fail);
        assert_eq!(classify(UrlSignal::Fail, "POST", b"all good", &rules), PingKind::Success);
        assert_eq!(classify(UrlSignal::Log, "POST", b"STARTING now", &rules), PingKind::Start);
        assert_eq!(classify(UrlSignal::Success, "POST", b"nothing", &rules), PingKind::Ignored);
        assert_eq!(classify(UrlSignal::Success, "POST", b"error (lowercase)", &rules), PingKind::Ignored);
        let default_fail = PingRules { filter_default_fail: true, ..rules.clone() };
        assert_eq!(classify(UrlSignal::Success, "POST", b"nothing", &default_fail), PingKind::Fail);
        // Non-UTF-8 bytes do not stop the match.
        assert_eq!(classify(UrlSignal::Success, "POST", b"\xff\xfeERROR", &rules), PingKind::Fail);
        let empty = PingRules { filter_http_body: true, success_kw: " , ".into(), ..PingRules::default() };
        assert_eq!(classify(UrlSignal::Success, "POST", b"anything", &empty), PingKind::Ignored);
    }

    #[test]
    fn replies_match_healthchecks() {
        let ok = accepted_reply(false, 100_000);
        assert_eq!((ok.status, ok.body.as_slice()), (200, b"OK".as_slice()));
        assert_eq!(ok.header("Ping-Body-Limit"), Some("100000"));
        assert_eq!(ok.header("Access-Control-Allow-Origin"), Some("*"));
        assert!(ok.header("Cache-Control").is_some_and(|v| v.contains("no-cache")));
        let created = accepted_reply(true, 10);
        assert_eq!((created.status, created.body.as_slice()), (201, b"Created".as_slice()));
        let missing = rejected_reply(&PingError::NotFound);
        assert_eq!((missing.status, missing.body.as_slice()), (404, b"not found".as_slice()));
        assert_eq!(rejected_reply(&PingError::AmbiguousSlug).status, 409);
        assert_eq!(rejected_reply(&PingError::InvalidUuidFormat).body, b"invalid uuid format");
        // A body cut short is the client's doing: 400, not a retry-me 503.
        let cut = rejected_reply(&PingError::IncompleteBody);
        assert_eq!((cut.status, cut.body.as_slice()), (400, b"incomplete request body".as_slice()));
    }
}
