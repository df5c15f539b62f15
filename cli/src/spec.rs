//! Checks as code: the file `edgebeat sync` reads, and the desired state of a
//! check that both `sync` and `k8s-sync` produce. Pure.
//!
//! YAML is read with `serde-saphyr`: `serde_yaml` is archived (unmaintained
//! since 2024) and its best-known fork `serde_yml` drew a RustSec advisory;
//! serde-saphyr is actively released, pure Rust with `#![forbid(unsafe_code)]`
//! on its own pure-Rust parser (`granit-parser`, a descendant of saphyr's; no
//! `unsafe-libyaml` translation of C), and made to never panic on bad input
//! and to point at the line of an error, which matters for a tool that reads
//! hand-written files. JSON files are read
//! with serde_json; both go through the same serde types.
//!
//! The file (YAML shown; the same keys in JSON):
//!
//! ```yaml
//! set: team-a            # optional: which synced checks this file owns (default "sync")
//! channels:              # optional: made when the project has no channel of that name
//!   - name: ops          # the body of POST /api/v3/channels/; ${VAR} comes from the environment
//!     kind: slack
//!     url: ${OPS_SLACK_WEBHOOK}
//!     events: [down, up, reminder, late]   # optional: which events it receives (API default otherwise)
//! checks:
//!   - slug: nightly-backup            # required, the key of the upsert: a-z 0-9 - _
//!     name: Nightly backup            # default: the slug
//!     tags: [prod, db]                # or "prod db"
//!     desc: pg_dump to S3
//!     schedule: "15 2 * * *"          # cron or OnCalendar, with tz; or `period: 1d` (default 1d)
//!     tz: Europe/Riga                 # default UTC
//!     grace: 1h                       # seconds or 90s/15m/1h/1d (default 1h)
//!     channels: [ops, on-call]        # channel names (or ids); "*" for all; [] for none (default)
//!     paused: false                   # optional: pause or resume; absent leaves it alone
//!     manual_resume: false
//!     methods: ""                     # "POST" for POST-only checks
//!     filter_http_body: false         # with success_kw / failure_kw / start_kw
//!     filter_default_fail: false
//!     alerts:                         # the alert policy; every key optional, API defaults shown
//!       failure_threshold: 1          # 1 to 100 consecutive failures before down
//!       recovery_threshold: 1         # 1 to 100 consecutive successes before up again
//!       max_runtime: off              # a started run's limit: duration, at least 1m; off: grace limits it
//!       min_runtime: off              # a faster run is a failure: duration, at least 1s; off: none
//!       reminder_interval: off        # reminders while down: duration, at least 5m; 0 or off: none
//! ```
//!
//! Declared channels are created once and then left alone: the API never
//! shows a channel's URL, key or secret back, so sync cannot tell whether one
//! changed (change or delete them with the channels API).
//!
//! The file is the whole truth of the checks it declares: a field it leaves
//! out takes the API's default for a new check. That holds inside `alerts`
//! too: a setting left out (or the whole `alerts` left out) is the API's
//! default, so removing a threshold from the file resets it to 1 and
//! removing `max_runtime` clears the limit. The settings are checked here
//! with the API's own bounds (`MAX_THRESHOLD`, `MIN_REMINDER_INTERVAL`, ...
//! as in the server's `core/src/check/config.rs`), so a bad value is
//! refused with the check named before anything is changed; unknown keys in
//! `alerts` are errors like everywhere else in the file.

use crate::duration::{format_seconds, parse_seconds};
use serde::Deserialize;

/// Bounds the API puts on periods and grace times.
pub const MIN_PERIOD: i64 = 60;
pub const MAX_PERIOD: i64 = 31_536_000;
pub const DEFAULT_PERIOD: i64 = 86_400;
pub const DEFAULT_GRACE: i64 = 3_600;
pub const MAX_SLUG: usize = 100;
/// Bounds the API puts on the alert-policy settings.
pub const MAX_THRESHOLD: i64 = 100;
/// The sweep runs once a minute, so a shorter run limit could not be kept.
pub const MIN_MAX_RUNTIME: i64 = 60;
pub const MIN_MIN_RUNTIME: i64 = 1;
pub const MIN_REMINDER_INTERVAL: i64 = 300;
/// Every synced check carries the tag `edgebeat:<set>`; prune only ever
/// deletes checks with its own set's tag.
pub const MARKER_PREFIX: &str = "edgebeat:";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// A ping is expected every so many seconds.
    Period(i64),
    Cron {
        expr: String,
        tz: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Channels {
    All,
    /// Channel names or ids; empty for none.
    These(Vec<String>),
}

/// When a check's channels hear of it: the alert-policy fields of API v3.
/// The default is the API's default for a new check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlertPolicy {
    /// Consecutive reported failures before the check goes down (1..=100).
    pub failure_threshold: i64,
    /// Consecutive successes before a down check goes up (1..=100).
    pub recovery_threshold: i64,
    /// Seconds a started run may take; `None`: grace limits it.
    pub max_runtime: Option<i64>,
    /// A run closed faster than this many seconds is a failure; `None`: no minimum.
    pub min_runtime: Option<i64>,
    /// Seconds between reminders while down; 0 is off.
    pub reminder_interval: i64,
}

impl AlertPolicy {
    /// As the server refuses it: a minimum run time at or over the maximum
    /// would make every run a failure. `min` and `max` name the two settings
    /// as the user wrote them.
    pub fn consistent(self, min: &str, max: &str) -> Result<AlertPolicy, String> {
        match (self.min_runtime, self.max_runtime) {
            (Some(low), Some(high)) if low >= high => {
                Err(format!("{min} ({low}s) must be less than {max} ({high}s), or every run fails"))
            }
            _ => Ok(self),
        }
    }
}

impl Default for AlertPolicy {
    fn default() -> Self {
        AlertPolicy {
            failure_threshold: 1,
            recovery_threshold: 1,
            max_runtime: None,
            min_runtime: None,
            reminder_interval: 0,
        }
    }
}

/// Everything sync manages about one check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Desired {
    pub slug: String,
    pub name: String,
    /// The user's tags, without the marker.
    pub tags: Vec<String>,
    pub desc: String,
    pub schedule: Schedule,
    pub grace: i64,
    pub channels: Channels,
    /// `None` leaves the paused state as it is.
    pub paused: Option<bool>,
    pub manual_resume: bool,
    pub methods: String,
    pub start_kw: String,
    pub success_kw: String,
    pub failure_kw: String,
    pub filter_http_body: bool,
    pub filter_default_fail: bool,
    pub alerts: AlertPolicy,
}

impl Desired {
    /// A check with the API's defaults.
    pub fn new(slug: &str) -> Desired {
        Desired {
            slug: slug.to_owned(),
            name: slug.to_owned(),
            tags: Vec::new(),
            desc: String::new(),
            schedule: Schedule::Period(DEFAULT_PERIOD),
            grace: DEFAULT_GRACE,
            channels: Channels::These(Vec::new()),
            paused: None,
            manual_resume: false,
            methods: String::new(),
            start_kw: String::new(),
            success_kw: String::new(),
            failure_kw: String::new(),
            filter_http_body: false,
            filter_default_fail: false,
            alerts: AlertPolicy::default(),
        }
    }
}

pub fn is_slug(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_SLUG
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// The tag that marks a check as owned by a sync set.
pub fn marker(set: &str) -> Result<String, String> {
    if set.is_empty() || set.chars().any(char::is_whitespace) {
        return Err(format!("invalid set name {set:?}: it must be non-empty and have no spaces"));
    }
    Ok(format!("{MARKER_PREFIX}{set}"))
}

pub fn check_period(field: &str, seconds: i64) -> Result<i64, String> {
    if seconds < MIN_PERIOD {
        return Err(format!("{field} {seconds}s is too small: at least 60s"));
    }
    if seconds > MAX_PERIOD {
        return Err(format!("{field} {seconds}s is too large: at most 365d"));
    }
    Ok(seconds)
}

/// A threshold: 1 to `MAX_THRESHOLD`.
pub fn check_threshold(field: &str, value: i64) -> Result<i64, String> {
    if !(1..=MAX_THRESHOLD).contains(&value) {
        return Err(format!("{field} {value} is out of range: 1 to {MAX_THRESHOLD}"));
    }
    Ok(value)
}

/// Seconds of a run limit or reminder interval: `min` to a year.
fn check_limit(field: &str, seconds: i64, min: i64, off: &str) -> Result<i64, String> {
    if seconds < min {
        return Err(format!("{field} {seconds}s is too small: at least {} ({off})", format_seconds(min)));
    }
    if seconds > MAX_PERIOD {
        return Err(format!("{field} {seconds}s is too large: at most 365d"));
    }
    Ok(seconds)
}

/// `max_runtime`: at least a minute; `None` for no limit.
pub fn check_max_runtime(field: &str, seconds: Option<i64>) -> Result<Option<i64>, String> {
    seconds.map(|s| check_limit(field, s, MIN_MAX_RUNTIME, "off for no limit")).transpose()
}

/// `min_runtime`: at least a second; `None` for no minimum.
pub fn check_min_runtime(field: &str, seconds: Option<i64>) -> Result<Option<i64>, String> {
    seconds.map(|s| check_limit(field, s, MIN_MIN_RUNTIME, "off for no minimum")).transpose()
}

/// `reminder_interval`: 0 (or `None`) is off, otherwise at least 5 minutes.
pub fn check_reminder_interval(field: &str, seconds: Option<i64>) -> Result<i64, String> {
    match seconds {
        None | Some(0) => Ok(0),
        Some(s) => check_limit(field, s, MIN_REMINDER_INTERVAL, "0 or off turns reminders off"),
    }
}

/// A duration that can be turned off, as text: `off` (or `none`) is `None`,
/// otherwise seconds or units (`90s`, `15m`, `1h`). For annotations.
pub fn parse_limit(field: &str, text: &str) -> Result<Option<i64>, String> {
    let text = text.trim();
    if ["off", "none"].iter().any(|word| text.eq_ignore_ascii_case(word)) {
        return Ok(None);
    }
    parse_seconds(text).map(Some).map_err(|e| format!("{field}: {e}, or off"))
}

/// A duration written as seconds or as text with units.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum DurationField {
    Seconds(i64),
    Text(String),
}

impl DurationField {
    fn seconds(&self, field: &str) -> Result<i64, String> {
        let seconds = match self {
            DurationField::Seconds(s) => *s,
            DurationField::Text(t) => parse_seconds(t).map_err(|e| format!("{field}: {e}"))?,
        };
        check_period(field, seconds)
    }
}

/// A list written as a YAML list or as one string.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum Words {
    List(Vec<String>),
    Text(String),
}

/// A duration that can be turned off: seconds, text with units, `off`, or
/// `false` (how YAML 1.1 readers may see an unquoted `off`).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum LimitField {
    Seconds(i64),
    Flag(bool),
    Text(String),
}

impl LimitField {
    /// The seconds, or `None` when turned off.
    fn seconds(&self, field: &str) -> Result<Option<i64>, String> {
        match self {
            LimitField::Seconds(s) => Ok(Some(*s)),
            LimitField::Flag(false) => Ok(None),
            LimitField::Flag(true) => Err(format!("{field}: give a duration (90s, 15m, 1h) or off")),
            LimitField::Text(text) => parse_limit(field, text),
        }
    }
}

/// The `alerts:` mapping of a check: the alert-policy settings.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertsEntry {
    failure_threshold: Option<i64>,
    recovery_threshold: Option<i64>,
    max_runtime: Option<LimitField>,
    min_runtime: Option<LimitField>,
    reminder_interval: Option<LimitField>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckEntry {
    slug: String,
    name: Option<String>,
    tags: Option<Words>,
    #[serde(alias = "description")]
    desc: Option<String>,
    #[serde(alias = "timeout")]
    period: Option<DurationField>,
    schedule: Option<String>,
    tz: Option<String>,
    grace: Option<DurationField>,
    channels: Option<Words>,
    paused: Option<bool>,
    manual_resume: Option<bool>,
    methods: Option<String>,
    start_kw: Option<String>,
    success_kw: Option<String>,
    failure_kw: Option<String>,
    filter_http_body: Option<bool>,
    filter_default_fail: Option<bool>,
    alerts: Option<AlertsEntry>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SyncFile {
    set: Option<String>,
    #[serde(default)]
    channels: Vec<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    checks: Vec<CheckEntry>,
}

/// A channel the file declares: created when the project has none of that
/// name, otherwise left as it is (the API never shows a channel's secrets
/// back, so there is nothing to compare them with).
#[derive(Clone, Debug, PartialEq)]
pub struct DeclaredChannel {
    pub name: String,
    /// The body of `POST /api/v3/channels/`, with `${VAR}`s still in it.
    pub body: serde_json::Value,
}

/// A parsed, validated sync file.
#[derive(Clone, Debug, PartialEq)]
pub struct Declared {
    pub set: Option<String>,
    pub channels: Vec<DeclaredChannel>,
    pub checks: Vec<Desired>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

impl Format {
    /// JSON for `.json` files, YAML otherwise (YAML also reads most JSON).
    pub fn for_path(path: &str) -> Format {
        if path.to_ascii_lowercase().ends_with(".json") {
            Format::Json
        } else {
            Format::Yaml
        }
    }
}

fn words(field: Words) -> Vec<String> {
    match field {
        Words::List(items) => items.into_iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect(),
        Words::Text(text) => {
            text.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
        }
    }
}

/// Parses and validates a sync file; errors name the check they are about.
pub fn parse_file(text: &str, format: Format) -> Result<Declared, String> {
    let file: SyncFile = match format {
        Format::Json => serde_json::from_str(text).map_err(|e| e.to_string())?,
        Format::Yaml => serde_saphyr::from_str(text).map_err(|e| e.to_string())?,
    };
    if let Some(set) = &file.set {
        marker(set)?;
    }
    let mut checks = Vec::new();
    for entry in file.checks {
        let slug = entry.slug.clone();
        let check = desired_from(entry).map_err(|e| format!("check {slug:?}: {e}"))?;
        if checks.iter().any(|c: &Desired| c.slug == check.slug) {
            return Err(format!("check {slug:?} is declared twice"));
        }
        checks.push(check);
    }
    let mut channels: Vec<DeclaredChannel> = Vec::new();
    for body in file.channels {
        let name = match body.get("name").and_then(serde_json::Value::as_str) {
            Some(name) if !name.trim().is_empty() => name.to_owned(),
            _ => return Err("every channel needs a name (checks refer to channels by name)".into()),
        };
        check_channel_fields(&name, &body)?;
        if channels.iter().any(|c| c.name == name) {
            return Err(format!("channel {name:?} is declared twice"));
        }
        channels.push(DeclaredChannel { name, body: serde_json::Value::Object(body) });
    }
    Ok(Declared { set: file.set, channels, checks })
}

fn desired_from(entry: CheckEntry) -> Result<Desired, String> {
    if !is_slug(&entry.slug) {
        return Err("a slug is 1 to 100 of a-z, 0-9, - and _".into());
    }
    let mut check = Desired::new(&entry.slug);
    if let Some(name) = entry.name {
        check.name = name;
    }
    if let Some(tags) = entry.tags {
        check.tags = words(tags);
    }
    if let Some(tag) = check.tags.iter().find(|t| t.starts_with(MARKER_PREFIX)) {
        return Err(format!("tag {tag:?}: tags starting with {MARKER_PREFIX:?} are sync's own markers"));
    }
    check.desc = entry.desc.unwrap_or_default();
    check.schedule = match (entry.schedule, entry.period, entry.tz) {
        (Some(_), Some(_), _) => return Err("give either schedule or period, not both".into()),
        (None, _, Some(_)) => return Err("tz only applies to a schedule (cron or OnCalendar), not to a period".into()),
        (Some(expr), None, tz) => {
            Schedule::Cron { expr: expr.trim().to_owned(), tz: tz.unwrap_or_else(|| "UTC".into()) }
        }
        (None, Some(period), None) => Schedule::Period(period.seconds("period")?),
        (None, None, None) => Schedule::Period(DEFAULT_PERIOD),
    };
    if let Some(grace) = entry.grace {
        check.grace = grace.seconds("grace")?;
    }
    if let Some(channels) = entry.channels {
        let names = words(channels);
        check.channels = if names == ["*"] { Channels::All } else { Channels::These(names) };
    }
    check.paused = entry.paused;
    check.manual_resume = entry.manual_resume.unwrap_or(false);
    check.methods = entry.methods.unwrap_or_default();
    if !matches!(check.methods.as_str(), "" | "POST") {
        return Err(format!("methods {:?}: only \"\" or \"POST\"", check.methods));
    }
    check.start_kw = entry.start_kw.unwrap_or_default();
    check.success_kw = entry.success_kw.unwrap_or_default();
    check.failure_kw = entry.failure_kw.unwrap_or_default();
    check.filter_http_body = entry.filter_http_body.unwrap_or(false);
    check.filter_default_fail = entry.filter_default_fail.unwrap_or(false);
    if let Some(alerts) = entry.alerts {
        check.alerts = alert_policy(alerts)?;
    }
    Ok(check)
}

/// The settings of `alerts:`; each one left out is the API's default.
fn alert_policy(entry: AlertsEntry) -> Result<AlertPolicy, String> {
    let mut policy = AlertPolicy::default();
    if let Some(value) = entry.failure_threshold {
        policy.failure_threshold = check_threshold("alerts.failure_threshold", value)?;
    }
    if let Some(value) = entry.recovery_threshold {
        policy.recovery_threshold = check_threshold("alerts.recovery_threshold", value)?;
    }
    let seconds =
        |field: &str, value: Option<LimitField>| value.map(|v| v.seconds(field)).transpose().map(Option::flatten);
    policy.max_runtime = check_max_runtime("alerts.max_runtime", seconds("alerts.max_runtime", entry.max_runtime)?)?;
    policy.min_runtime = check_min_runtime("alerts.min_runtime", seconds("alerts.min_runtime", entry.min_runtime)?)?;
    policy.reminder_interval = check_reminder_interval(
        "alerts.reminder_interval",
        seconds("alerts.reminder_interval", entry.reminder_interval)?,
    )?;
    policy.consistent("alerts.min_runtime", "alerts.max_runtime")
}

/// Replaces every `${NAME}` in `text` with `lookup(NAME)`, so that secrets
/// (webhook URLs, routing keys) stay out of the file. `$` alone is kept.
pub fn expand_env(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or_else(|| format!("unclosed ${{ in {text:?}"))?;
        let name = &after[..end];
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(format!("${{{name}}}: not an environment variable name"));
        }
        out.push_str(&lookup(name).ok_or_else(|| format!("environment variable {name} is not set"))?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A declared channel's kind and field names, by the server's registry of
/// kinds (the values, which may still hold `${VAR}`s, are checked once
/// expanded: `expand_channel`).
fn check_channel_fields(name: &str, body: &serde_json::Map<String, serde_json::Value>) -> Result<(), String> {
    use edgebeat_core::channel::COMMON_FIELDS;
    use edgebeat_core::channels::{kind_info, kind_names};
    let kind = body.get("kind").and_then(serde_json::Value::as_str).unwrap_or_default();
    let Some(info) = kind_info(kind) else {
        return Err(format!("channel {name:?}: kind is {}", kind_names()));
    };
    for key in body.keys() {
        if !COMMON_FIELDS.contains(&key.as_str()) && !info.fields.iter().any(|f| f.name == key) {
            let fields: Vec<&str> = info.fields.iter().map(|f| f.name).collect();
            return Err(format!(
                "channel {name:?}: a {kind} channel has no field {key:?} (it takes {})",
                fields.join(", ")
            ));
        }
    }
    Ok(())
}

/// Expands `${NAME}` in every string of a channel body and validates it with
/// the server's rules (`edgebeat_core::channel::parse_channel_spec`; private
/// destinations are the server's to refuse).
pub fn expand_channel(
    channel: &DeclaredChannel,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<serde_json::Value, String> {
    fn walk(value: &serde_json::Value, lookup: &dyn Fn(&str) -> Option<String>) -> Result<serde_json::Value, String> {
        Ok(match value {
            serde_json::Value::String(text) => serde_json::Value::String(expand_env(text, lookup)?),
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.iter().map(|v| walk(v, lookup)).collect::<Result<_, _>>()?)
            }
            serde_json::Value::Object(map) => {
                serde_json::Value::Object(map.iter().map(|(k, v)| Ok((k.clone(), walk(v, lookup)?))).collect::<Result<
                    _,
                    String,
                >>(
                )?)
            }
            other => other.clone(),
        })
    }
    let body = walk(&channel.body, lookup).map_err(|e| format!("channel {:?}: {e}", channel.name))?;
    edgebeat_core::channel::parse_channel_spec(body.to_string().as_bytes(), None, true).map_err(|e| {
        format!("channel {:?}: {}", channel.name, e.to_string().trim_start_matches("json validation error: "))
    })?;
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_are_declared_by_name_with_secrets_from_the_environment() {
        let text = "channels:\n  - name: ops\n    kind: slack\n    url: https://hooks.example/${HOOK}/x\nchecks: []\n";
        let declared = parse_file(text, Format::Yaml).unwrap();
        let [ops] = &declared.channels[..] else { panic!("{declared:?}") };
        assert_eq!(ops.name, "ops");
        let lookup = |name: &str| (name == "HOOK").then(|| "T0/B0".to_owned());
        let body = expand_channel(ops, &lookup).unwrap();
        assert_eq!(body, serde_json::json!({"name": "ops", "kind": "slack", "url": "https://hooks.example/T0/B0/x"}));
        let none = |_: &str| None;
        assert!(expand_channel(ops, &none).unwrap_err().contains("HOOK is not set"));
        // The server's rules, from the core's registry: kinds, field names, then values.
        let bad = |text: &str| parse_file(text, Format::Yaml).unwrap_err();
        let unknown = bad("channels: [{name: a, kind: pigeon}]");
        assert!(unknown.contains("kind is ") && unknown.contains("telegram"), "{unknown}");
        assert!(bad("channels: [{name: a, kind: slack, routing_key: x}]").contains("has no field \"routing_key\""));
        let discord = parse_file("channels: [{name: d, kind: discord, url: 'not a url ${X}'}]", Format::Yaml).unwrap();
        let lookup = |_: &str| Some("x".to_owned());
        assert!(expand_channel(&discord.channels[0], &lookup).unwrap_err().contains("url is not an http(s) URL"));
        let telegram =
            parse_file("channels: [{name: t, kind: telegram, bot_token: '123:${T}', chat_id: '-100'}]", Format::Yaml)
                .unwrap();
        let token = |_: &str| Some("ABCDEFGHIJ".to_owned());
        assert!(expand_channel(&telegram.channels[0], &token).is_ok());
        for (bad, expected) in [
            ("channels: [{kind: slack}]", "needs a name"),
            ("channels: [{name: a}]", "kind"),
            ("channels: [{name: a, kind: slack}, {name: a, kind: slack}]", "twice"),
        ] {
            assert!(parse_file(bad, Format::Yaml).unwrap_err().contains(expected), "{bad}");
        }
    }

    #[test]
    fn expands_only_variable_references() {
        let lookup = |name: &str| Some(format!("<{name}>"));
        assert_eq!(expand_env("a ${X} b ${Y_2}", &lookup).unwrap(), "a <X> b <Y_2>");
        assert_eq!(expand_env("costs $5", &lookup).unwrap(), "costs $5");
        assert!(expand_env("${X", &lookup).is_err());
        assert!(expand_env("${A-B}", &lookup).is_err());
    }

    const YAML: &str = r#"
set: team-a
checks:
  - slug: nightly-backup
    name: Nightly backup
    tags: [prod, db]
    desc: pg_dump to S3
    schedule: "15 2 * * *"
    tz: Europe/Riga
    grace: 1h30m
    channels: [ops, on-call]
  - slug: heartbeat
    period: 300
    grace: 2m
    channels: "*"
    tags: "web  edge"
    paused: true
    alerts:
      failure_threshold: 3
      recovery_threshold: 2
      max_runtime: 1h30m
      min_runtime: 30
      reminder_interval: 4h
  - slug: plain
    alerts: {}
"#;

    #[test]
    fn reads_a_yaml_file() {
        let declared = parse_file(YAML, Format::Yaml).unwrap();
        assert_eq!(declared.set.as_deref(), Some("team-a"));
        let [backup, beat, plain] = &declared.checks[..] else { panic!("{declared:?}") };
        assert_eq!(backup.name, "Nightly backup");
        assert_eq!(backup.tags, ["prod", "db"]);
        assert_eq!(backup.schedule, Schedule::Cron { expr: "15 2 * * *".into(), tz: "Europe/Riga".into() });
        assert_eq!(backup.grace, 5400);
        assert_eq!(backup.channels, Channels::These(vec!["ops".into(), "on-call".into()]));
        assert_eq!(backup.paused, None);
        assert_eq!(beat.schedule, Schedule::Period(300));
        assert_eq!(beat.grace, 120);
        assert_eq!(beat.channels, Channels::All);
        assert_eq!(beat.tags, ["web", "edge"]);
        assert_eq!(beat.paused, Some(true));
        assert_eq!(
            beat.alerts,
            AlertPolicy {
                failure_threshold: 3,
                recovery_threshold: 2,
                max_runtime: Some(5400),
                min_runtime: Some(30),
                reminder_interval: 14_400,
            }
        );
        assert_eq!(backup.alerts, AlertPolicy::default(), "no alerts: the API's defaults");
        assert_eq!(plain, &Desired::new("plain"), "an empty alerts: the API's defaults");
    }

    #[test]
    fn alert_settings_left_out_take_the_api_defaults() {
        let declared = parse_file("checks: [{slug: a, alerts: {recovery_threshold: 5}}]", Format::Yaml).unwrap();
        let expected = AlertPolicy { recovery_threshold: 5, ..AlertPolicy::default() };
        assert_eq!(declared.checks[0].alerts, expected);
        assert_eq!(
            AlertPolicy::default(),
            AlertPolicy {
                failure_threshold: 1,
                recovery_threshold: 1,
                max_runtime: None,
                min_runtime: None,
                reminder_interval: 0
            }
        );
    }

    #[test]
    fn limits_can_be_turned_off_in_every_spelling() {
        for off in ["off", "'off'", "OFF", "none", "false", "null", "~"] {
            let text = format!(
                "checks: [{{slug: a, alerts: {{max_runtime: {off}, min_runtime: {off}, reminder_interval: {off}}}}}]"
            );
            let declared = parse_file(&text, Format::Yaml).unwrap_or_else(|e| panic!("{off}: {e}"));
            assert_eq!(declared.checks[0].alerts, AlertPolicy::default(), "{off}");
        }
        for zero in ["0", "0s", "'0'"] {
            let text = format!("checks: [{{slug: a, alerts: {{reminder_interval: {zero}}}}}]");
            assert_eq!(parse_file(&text, Format::Yaml).unwrap().checks[0].alerts.reminder_interval, 0, "{zero}");
        }
        let json = r#"{"checks": [{"slug": "a", "alerts": {"max_runtime": null, "min_runtime": "2m",
            "reminder_interval": "off", "failure_threshold": 100}}]}"#;
        let alerts = parse_file(json, Format::Json).unwrap().checks[0].alerts;
        assert_eq!(alerts, AlertPolicy { min_runtime: Some(120), failure_threshold: 100, ..AlertPolicy::default() });
    }

    #[test]
    fn refuses_alert_settings_out_of_the_api_bounds() {
        let cases = [
            ("failure_threshold: 0", "alerts.failure_threshold 0 is out of range: 1 to 100"),
            ("failure_threshold: 101", "alerts.failure_threshold 101 is out of range"),
            ("recovery_threshold: -1", "alerts.recovery_threshold -1 is out of range"),
            ("recovery_threshold: 2.5", "recovery_threshold"),
            ("max_runtime: 30s", "alerts.max_runtime 30s is too small: at least 1m (off for no limit)"),
            ("max_runtime: 0", "alerts.max_runtime 0s is too small"),
            ("max_runtime: 366d", "alerts.max_runtime 31622400s is too large: at most 365d"),
            ("max_runtime: true", "alerts.max_runtime: give a duration"),
            ("max_runtime: soon", "alerts.max_runtime: invalid duration \"soon\""),
            ("min_runtime: 0", "alerts.min_runtime 0s is too small: at least 1s (off for no minimum)"),
            ("min_runtime: -5", "alerts.min_runtime -5s is too small"),
            ("reminder_interval: 299", "alerts.reminder_interval 299s is too small: at least 5m (0 or off turns"),
            ("reminder_interval: 4m", "alerts.reminder_interval 240s is too small"),
            ("reminder_interval: 400d", "too large"),
            ("max_alerts: 3", "max_alerts"),
            (
                "max_runtime: 10m, min_runtime: 10m",
                "alerts.min_runtime (600s) must be less than alerts.max_runtime (600s), or every run fails",
            ),
        ];
        for (setting, expected) in cases {
            let text = format!("checks: [{{slug: ok}}, {{slug: nightly, alerts: {{{setting}}}}}]");
            let error = parse_file(&text, Format::Yaml).unwrap_err();
            assert!(error.contains(expected), "{setting}: {error}");
            if !setting.starts_with("max_alerts") && !setting.contains("2.5") {
                assert!(error.starts_with("check \"nightly\": "), "{setting}: {error}");
            }
        }
        // The bounds themselves are accepted.
        let edges = "checks: [{slug: a, alerts: {failure_threshold: 100, recovery_threshold: 1, max_runtime: 60, \
                     min_runtime: 1, reminder_interval: 300}}]";
        let alerts = parse_file(edges, Format::Yaml).unwrap().checks[0].alerts;
        assert_eq!((alerts.max_runtime, alerts.min_runtime, alerts.reminder_interval), (Some(60), Some(1), 300));
        assert_eq!(parse_limit("x", " 2h "), Ok(Some(7200)));
        assert_eq!(parse_limit("x", "Off"), Ok(None));
        assert!(parse_limit("x", "2 hours").unwrap_err().starts_with("x: invalid duration"));
    }

    #[test]
    fn reads_the_same_as_json() {
        let json = r#"{"checks": [{"slug": "a", "period": "1d", "grace": 3600, "channels": []}]}"#;
        for format in [Format::Json, Format::Yaml] {
            let declared = parse_file(json, format).unwrap();
            assert_eq!(declared.set, None);
            assert_eq!(declared.checks, vec![Desired::new("a")]);
        }
        assert_eq!(Format::for_path("checks.JSON"), Format::Json);
        assert_eq!(Format::for_path("checks.yml"), Format::Yaml);
    }

    #[test]
    fn refuses_mistakes_with_the_check_named() {
        let cases = [
            ("checks: [{slug: a, graze: 60}]", "graze"),
            ("checks: [{slug: A}]", "check \"A\": a slug"),
            ("checks: [{slug: a, grace: 10}]", "too small"),
            ("checks: [{slug: a, period: 2y}]", "invalid duration"),
            ("checks: [{slug: a, schedule: '* * * * *', period: 60}]", "not both"),
            ("checks: [{slug: a, tz: UTC}]", "tz only"),
            ("checks: [{slug: a}, {slug: a}]", "declared twice"),
            ("checks: [{slug: a, tags: [edgebeat:x]}]", "markers"),
            ("checks: [{slug: a, alerts: {max_alerts: 3}}]", "max_alerts"),
            ("checks: [{slug: a, alerts: {failure_threshold: 0}}]", "check \"a\": alerts.failure_threshold"),
            ("checks: [{slug: a, methods: GET}]", "methods"),
            ("set: 'a b'\nchecks: []", "invalid set"),
            ("checks: {", ""),
        ];
        for (text, expected) in cases {
            let error = parse_file(text, Format::Yaml).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }

    #[test]
    fn the_documented_sync_file_is_valid() {
        let page = include_str!("../../docs/cli.md");
        let start = page.find("```yaml\nset: team-a").expect("the example in docs/cli.md") + "```yaml\n".len();
        let end = start + page[start..].find("```").expect("its end");
        let declared = parse_file(&page[start..end], Format::Yaml).unwrap();
        assert_eq!(declared.channels.len(), 2);
        assert_eq!(declared.checks.len(), 2);
        assert_eq!(declared.checks[1].schedule, Schedule::Period(300));
        assert_eq!(declared.checks[1].methods, "POST");
        assert_eq!(declared.channels[0].body["events"], serde_json::json!(["down", "up", "reminder", "late"]));
        let expected = AlertPolicy {
            failure_threshold: 2,
            recovery_threshold: 1,
            max_runtime: Some(10_800),
            min_runtime: Some(60),
            reminder_interval: 14_400,
        };
        assert_eq!(declared.checks[0].alerts, expected);
        assert_eq!(declared.checks[1].alerts, AlertPolicy::default());
    }

    #[test]
    fn markers_name_the_set() {
        assert_eq!(marker("k8s").unwrap(), "edgebeat:k8s");
        assert!(marker("").is_err());
    }
}
