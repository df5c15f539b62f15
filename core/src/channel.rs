//! Notification channels: their configuration, how the API validates it, and
//! how it is shown (secrets never in full).

use crate::api::spec::SpecError;
use crate::check::EventKind;
pub use crate::check::EventSet;
pub use crate::destination::destination_problem;
use serde_json::{json, Map, Value};

use crate::channels::pagerduty::PagerDuty;
pub use crate::channels::pagerduty::DEFAULT_EVENTS_URL as DEFAULT_PAGERDUTY_URL;
use crate::channels::slack::Slack;
pub use crate::channels::ChannelConfig;
use crate::channels::{kind_info, kind_names};

/// Ids of the channels kept from the SLACK_WEBHOOK_URL and
/// PAGERDUTY_ROUTING_KEY secrets; they notify every check.
pub const DEFAULT_SLACK_ID: &str = "default-slack";
pub const DEFAULT_PAGERDUTY_ID: &str = "default-pagerduty";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Channel {
    pub id: String,
    pub name: String,
    pub config: ChannelConfig,
    /// Which events it receives.
    pub events: EventSet,
    /// Set when its service refused for good; its notifications then fail
    /// without contacting the service until a delivered test or an edit.
    pub failing: Option<Failing>,
}

/// Why, and since when, a channel is failing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failing {
    pub since: crate::time::Timestamp,
    pub reason: String,
}

impl Channel {
    /// The name people know it by: its name, or its kind.
    pub fn label(&self) -> &str {
        if self.name.is_empty() {
            self.config.kind()
        } else {
            &self.name
        }
    }
}

/// What a permanent refusal through `refused` writes: the channel is
/// marked failing, and every other channel of the project that is not
/// failing itself (its own and the default ones, `others`) gets one notice,
/// as an event of the check whose notification was refused (`about`: its
/// row id and status; none for a channel test, which needs no notice: the
/// person testing sees the answer).
pub fn failing_mark(
    project_id: &str,
    refused: &Channel,
    reason: &str,
    at: crate::time::Timestamp,
    others: &[Channel],
    about: Option<(i64, crate::check::Status)>,
    notice_id: String,
) -> crate::plan::FailingMark {
    let recipients: Vec<String> =
        others.iter().filter(|c| c.id != refused.id && c.failing.is_none()).map(|c| c.id.clone()).collect();
    let notice = about.filter(|_| !recipients.is_empty()).map(|(check_id, status)| crate::plan::NoticeWrite {
        id: notice_id,
        check_id,
        status,
        detail:
            json!({"channel": refused.id, "name": refused.label(), "kind": refused.config.kind(), "reason": reason})
                .to_string(),
        recipients,
    });
    crate::plan::FailingMark {
        project_id: project_id.to_owned(),
        channel_id: refused.id.clone(),
        config: refused.config.to_stored(),
        reason: reason.to_owned(),
        at,
        notice,
    }
}

/// What a notice says (`NoticeWrite::detail`): the failing channel's name,
/// kind, id and the reason.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct NoticeDetail {
    pub channel: String,
    pub name: String,
    pub kind: String,
    pub reason: String,
}

impl NoticeDetail {
    pub fn parse(detail: &str) -> Result<NoticeDetail, String> {
        serde_json::from_str(detail).map_err(|e| format!("notice {detail:?}: {e}"))
    }
}

/// The default channels configured by secrets.
pub fn default_channels(
    slack_url: Option<&str>,
    pagerduty_key: Option<&str>,
    pagerduty_url: Option<&str>,
) -> Vec<Channel> {
    let mut channels = Vec::new();
    if let Some(url) = slack_url {
        channels.push(Channel {
            id: DEFAULT_SLACK_ID.into(),
            name: "Slack (SLACK_WEBHOOK_URL)".into(),
            config: ChannelConfig::Slack(Slack { url: url.into() }),
            events: EventSet::default(),
            failing: None,
        });
    }
    if let Some(key) = pagerduty_key {
        channels.push(Channel {
            id: DEFAULT_PAGERDUTY_ID.into(),
            name: "PagerDuty (PAGERDUTY_ROUTING_KEY)".into(),
            config: ChannelConfig::Pagerduty(PagerDuty {
                routing_key: key.into(),
                severity: "critical".into(),
                events_url: pagerduty_url.unwrap_or(DEFAULT_PAGERDUTY_URL).into(),
            }),
            events: EventSet::default(),
            failing: None,
        });
    }
    channels
}

/// The API's view of a channel: healthchecks' `id`, `name`, `kind`, plus
/// edgebeat's masked settings and where alerts go.
pub fn channel_json(channel: &Channel, managed_by_secret: bool) -> Value {
    json!({
        "id": channel.id,
        "name": channel.name,
        "kind": channel.config.kind(),
        "settings": channel.config.shown(),
        "destination": channel.config.destination(),
        "events": channel.events.names(),
        "managed_by_secret": managed_by_secret,
        "failing": channel.failing.as_ref().map(|f| json!({"since": f.since.iso8601(), "reason": f.reason})),
    })
}

/// A validated channel create or update request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelSpec {
    pub name: String,
    pub config: ChannelConfig,
    /// Attach the new channel to every existing check of the project.
    pub assign_to_all_checks: bool,
    pub events: EventSet,
}

fn bad(message: impl Into<String>) -> SpecError {
    SpecError::Invalid(message.into())
}

fn text_field(object: &Map<String, Value>, field: &str, max: usize) -> Result<Option<String>, SpecError> {
    match object.get(field) {
        None => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= max => Ok(Some(s.clone())),
        Some(Value::String(_)) => Err(bad(format!("{field} is too long"))),
        Some(_) => Err(bad(format!("{field} is not a string"))),
    }
}

/// The fields every kind takes; the rest are the kind's (`channels::KINDS`).
pub const COMMON_FIELDS: &[&str] = &["kind", "name", "assign_to_all_checks", "events"];

/// Parses `POST /api/v3/channels/` (or an update of `existing`, where
/// absent fields keep their values and the kind cannot change). The kind's
/// fields and their rules come from the registry.
pub fn parse_channel_spec(
    body: &[u8],
    existing: Option<&Channel>,
    allow_private: bool,
) -> Result<ChannelSpec, SpecError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| SpecError::NotJson)?;
    let object = value.as_object().ok_or(SpecError::NotAnObject)?;
    let kind = match (text_field(object, "kind", 20)?, existing) {
        (Some(kind), Some(existing)) if kind != existing.config.kind() => {
            return Err(bad("kind cannot be changed; create a new channel"))
        }
        (Some(kind), _) => kind,
        (None, Some(existing)) => existing.config.kind().to_owned(),
        (None, None) => return Err(bad(format!("kind is required ({})", kind_names()))),
    };
    let info = kind_info(&kind).ok_or_else(|| bad(format!("kind must be {}", kind_names())))?;
    if let Some(unknown) =
        object.keys().find(|k| !COMMON_FIELDS.contains(&k.as_str()) && !info.fields.iter().any(|f| f.name == *k))
    {
        let fields: Vec<&str> = info.fields.iter().map(|f| f.name).collect();
        let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
        return Err(bad(format!("unknown field {unknown:?} ({article} {kind} channel takes {})", fields.join(", "))));
    }
    let name = text_field(object, "name", 100)?.or_else(|| existing.map(|c| c.name.clone())).unwrap_or_default();
    let previous = existing.map(|c| c.config.settings());
    let settings = crate::channels::field::merge(info.fields, object, previous, allow_private).map_err(bad)?;
    let config = ChannelConfig::from_settings(&kind, settings).map_err(bad)?;
    let assign_to_all_checks = match object.get("assign_to_all_checks") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(bad("assign_to_all_checks is not a boolean")),
    };
    let events = match object.get("events") {
        None => existing.map(|c| c.events.clone()).unwrap_or_default(),
        Some(Value::Array(items)) => {
            let mut kinds = Vec::new();
            for item in items {
                match item.as_str().and_then(EventKind::parse) {
                    Some(kind) => kinds.push(kind),
                    None => return Err(bad("events must be a list of down, up, late, reminder, fail and success")),
                }
            }
            EventSet::of(&kinds)
        }
        Some(_) => return Err(bad("events is not an array")),
    };
    Ok(ChannelSpec { name, config, assign_to_all_checks, events })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::webhook::Webhook;

    fn parse(body: &str) -> Result<ChannelSpec, String> {
        parse_channel_spec(body.as_bytes(), None, false).map_err(|e| e.to_string())
    }

    #[test]
    fn kinds_parse_with_defaults() {
        let slack =
            parse(r#"{"kind": "slack", "name": "ops", "url": "https://hooks.slack.com/services/T/B/X"}"#).unwrap();
        assert_eq!(slack.config, ChannelConfig::Slack(Slack { url: "https://hooks.slack.com/services/T/B/X".into() }));
        let pd = parse(r#"{"kind": "pagerduty", "routing_key": "R0UT1NG"}"#).unwrap();
        assert_eq!(
            pd.config,
            ChannelConfig::Pagerduty(PagerDuty {
                routing_key: "R0UT1NG".into(),
                severity: "critical".into(),
                events_url: DEFAULT_PAGERDUTY_URL.into()
            })
        );
        let hook = parse(
            r#"{"kind": "webhook", "url": "https://hooks.example.com/h", "headers": {"X-Team": "ops"},
                            "secret": "0123456789abcdef"}"#,
        )
        .unwrap();
        assert!(matches!(hook.config, ChannelConfig::Webhook(ref w)
            if w.method == "POST" && w.secret.as_deref() == Some("0123456789abcdef")));
    }

    #[test]
    fn bad_channels_are_refused_clearly() {
        let cases = [
            (r#"{"name": "x"}"#, "kind is required"),
            (r#"{"kind": "carrier-pigeon"}"#, "kind must be "),
            (r#"{"kind": "slack", "url": "https://x.example", "routing_key": "k"}"#, "a slack channel takes url"),
            (r#"{"kind": "slack"}"#, "url is required"),
            (r#"{"kind": "slack", "url": "ftp://x"}"#, "url is not an http(s) URL"),
            (r#"{"kind": "slack", "url": "https://"}"#, "url is not an http(s) URL"),
            (r#"{"kind": "slack", "url": "https://x.example/a b"}"#, "url is not an http(s) URL"),
            (r#"{"kind": "pagerduty"}"#, "routing_key is required"),
            (r#"{"kind": "pagerduty", "routing_key": "k", "severity": "meh"}"#, "severity must be"),
            (r#"{"kind": "webhook", "url": "https://x.example", "method": "GET"}"#, "method must be POST"),
            (r#"{"kind": "webhook", "url": "https://x.example", "secret": "short"}"#, "secret must be"),
            (r#"{"kind": "webhook", "url": "https://x.example", "headers": {"Bad Header": "x"}}"#, "header name"),
            (r#"{"kind": "slack", "url": "https://x.example", "colour": 1}"#, "unknown field"),
            (r#"{"kind": "email", "to": ["a@x.example"], "url": "https://x.example"}"#, "an email channel takes to"),
        ];
        for (body, expected) in cases {
            let error = parse(body).unwrap_err();
            assert!(error.contains(expected), "{body}: {error}");
        }
    }

    #[test]
    fn channels_choose_their_events() {
        let spec =
            parse(r#"{"kind": "slack", "url": "https://x.example/h", "events": ["late", "down", "late"]}"#).unwrap();
        assert_eq!(spec.events, EventSet::of(&[EventKind::Down, EventKind::Late]));
        assert_eq!(spec.events.to_stored(), ",down,late,");
        assert_eq!(EventSet::from_stored(",down,late,bogus,"), spec.events);
        assert_eq!(parse(r#"{"kind": "slack", "url": "https://x.example/h"}"#).unwrap().events, EventSet::default());
        assert_eq!(EventSet::default().to_stored(), ",down,up,reminder,");
        for bad in [r#""down""#, r#"["sometimes"]"#, "[1]"] {
            let body = format!(r#"{{"kind": "slack", "url": "https://x.example/h", "events": {bad}}}"#);
            assert!(parse(&body).unwrap_err().contains("events"), "{bad}");
        }
        let existing =
            parse_channel_spec(br#"{"kind": "slack", "url": "https://x.example/h", "events": ["fail"]}"#, None, false)
                .map(|s| Channel { id: "c".into(), name: s.name, config: s.config, events: s.events, failing: None })
                .unwrap();
        let kept = parse_channel_spec(br#"{"name": "renamed"}"#, Some(&existing), false).unwrap();
        assert_eq!(kept.events, EventSet::of(&[EventKind::Fail]), "an update keeps the events it does not name");
    }

    #[test]
    fn updates_keep_what_they_do_not_name() {
        let existing = Channel {
            id: "c".into(),
            name: "pd".into(),
            config: ChannelConfig::Pagerduty(PagerDuty {
                routing_key: "secret-key".into(),
                severity: "error".into(),
                events_url: DEFAULT_PAGERDUTY_URL.into(),
            }),
            events: EventSet::default(),
            failing: None,
        };
        let spec = parse_channel_spec(br#"{"severity": "warning"}"#, Some(&existing), false).unwrap();
        assert_eq!(spec.name, "pd");
        assert!(matches!(spec.config, ChannelConfig::Pagerduty(ref pd)
            if pd.routing_key == "secret-key" && pd.severity == "warning"));
        let error = parse_channel_spec(br#"{"kind": "slack"}"#, Some(&existing), false).unwrap_err();
        assert!(error.to_string().contains("kind cannot be changed"));
    }

    #[test]
    fn secrets_never_show_in_full() {
        let channel = Channel {
            id: "c".into(),
            name: "hook".into(),
            config: ChannelConfig::Webhook(Webhook {
                url: "https://hooks.example/T000/B000/XXXXSECRET".into(),
                method: "POST".into(),
                headers: vec![("Authorization".into(), "Bearer very-secret".into())],
                secret: Some("0123456789abcdef".into()),
            }),
            events: EventSet::default(),
            failing: None,
        };
        let shown = channel_json(&channel, false).to_string();
        assert!(!shown.contains("XXXXSECRET") && !shown.contains("very-secret") && !shown.contains("0123456789abcdef"));
        assert!(shown.contains("hooks.example"));
        let pd = Channel {
            id: "p".into(),
            name: "pd".into(),
            config: ChannelConfig::Pagerduty(PagerDuty {
                routing_key: "R0UTINGKEY123".into(),
                severity: "critical".into(),
                events_url: DEFAULT_PAGERDUTY_URL.into(),
            }),
            events: EventSet::default(),
            failing: None,
        };
        assert_eq!(channel_json(&pd, true)["settings"]["routing_key"], "R0UT…");
    }

    #[test]
    fn urls_show_only_scheme_host_and_port() {
        for config in [
            ChannelConfig::Slack(Slack { url: "https://u:SECRET@h.example/SECRET?SECRET=SECRET".into() }),
            ChannelConfig::Pagerduty(PagerDuty {
                routing_key: "R0UTSECRET".into(),
                severity: "critical".into(),
                events_url: "https://SECRET:SECRET@events.example/v2/SECRET?key=SECRET".into(),
            }),
            ChannelConfig::Webhook(Webhook {
                url: "https://h.example/SECRET?a=SECRET".into(),
                method: "POST".into(),
                headers: vec![("X-Key".into(), "SECRET".into())],
                secret: Some("SECRETSECRETSECRET".into()),
            }),
        ] {
            let shown = channel_json(
                &Channel { id: "c".into(), name: "n".into(), config, events: EventSet::default(), failing: None },
                false,
            )
            .to_string();
            assert!(!shown.contains("SECRET"), "{shown}");
        }
    }

    #[test]
    fn internal_destinations_are_refused_unless_allowed() {
        let refused = [
            "http://127.0.0.1:9/x",
            "http://127.1/x",
            "http://2130706433/x",
            "http://0x7f.0.0.1/x",
            "http://[::1]/x",
            "http://[::ffff:127.0.0.1]/x",
            "http://[fe80::1]/x",
            "http://[fd00::1]/x",
            "http://10.1.2.3/x",
            "http://172.16.0.1/x",
            "http://192.168.1.1/x",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1/x",
            "http://0.0.0.0/x",
            "http://localhost:8080/x",
            "http://api.localhost/x",
            "http://metadata.google.internal/x",
            "http://printer.local/x",
            "http://intranet/x",
        ];
        for url in refused {
            let parsed = url::Url::parse(url).unwrap();
            assert!(destination_problem(&parsed, false).is_some(), "{url} must be refused");
            assert!(destination_problem(&parsed, true).is_none(), "{url} is allowed when the operator allows it");
            let body = format!(r#"{{"kind": "webhook", "url": "{url}"}}"#);
            assert!(parse(&body).unwrap_err().contains("not allowed as channel destinations"), "{url}");
        }
        for url in ["https://hooks.slack.com/services/x", "https://8.8.8.8/x", "https://[2606:4700::1111]/x"] {
            assert_eq!(destination_problem(&url::Url::parse(url).unwrap(), false), None, "{url}");
        }
        let pd = r#"{"kind": "pagerduty", "routing_key": "k", "events_url": "http://169.254.169.254/"}"#;
        assert!(parse(pd).unwrap_err().contains("events_url"));
        let stored = ChannelConfig::Slack(Slack { url: "http://10.0.0.1/x".into() });
        assert!(stored.refusal(false).is_some() && stored.refusal(true).is_none());
    }

    #[test]
    fn stored_configs_round_trip() {
        let config = ChannelConfig::Slack(Slack { url: "https://x.example/y".into() });
        assert_eq!(config.endpoint().as_deref(), Some("https://x.example/y"));
        assert_eq!(ChannelConfig::from_stored(&config.to_stored()), Ok(config));
        assert!(ChannelConfig::from_stored("{").is_err());
    }

    #[test]
    fn a_refused_channel_tells_every_other_channel_that_is_not_failing_once() {
        let channel = |id: &str, failing: bool| Channel {
            id: id.into(),
            name: String::new(),
            config: ChannelConfig::Slack(Slack { url: format!("https://hooks.example/{id}") }),
            events: EventSet::default(),
            failing: failing.then(|| Failing { since: crate::time::Timestamp::from_secs(1), reason: "gone".into() }),
        };
        let refused = channel("a", false);
        let others = [channel("a", false), channel("b", false), channel("c", true), channel("default-slack", false)];
        let at = crate::time::Timestamp::from_secs(100);
        let mark =
            failing_mark("p", &refused, "HTTP 410", at, &others, Some((7, crate::check::Status::Down)), "n1".into());
        assert_eq!((mark.channel_id.as_str(), mark.reason.as_str()), ("a", "HTTP 410"));
        assert_eq!(mark.config, refused.config.to_stored(), "conditional on the configuration refused");
        let notice = mark.notice.expect("a notice");
        assert_eq!(notice.recipients, ["b", "default-slack"], "not itself, not a failing one");
        assert_eq!((notice.check_id, notice.id.as_str()), (7, "n1"));
        let detail = NoticeDetail::parse(&notice.detail).unwrap();
        assert_eq!(
            (detail.name.as_str(), detail.kind.as_str(), detail.reason.as_str()),
            ("slack", "slack", "HTTP 410")
        );
        let alone = failing_mark(
            "p",
            &refused,
            "x",
            at,
            &[channel("a", false)],
            Some((7, crate::check::Status::Up)),
            "n2".into(),
        );
        assert_eq!(alone.notice, None, "nobody else to tell");
        let tested = failing_mark("p", &refused, "x", at, &others, None, "n3".into());
        assert_eq!(tested.notice, None, "a channel test tells nobody else");
    }

    #[test]
    fn secrets_configure_default_channels() {
        assert!(default_channels(None, None, None).is_empty());
        let both = default_channels(Some("https://hooks.example/x"), Some("key"), None);
        assert_eq!(both.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [DEFAULT_SLACK_ID, DEFAULT_PAGERDUTY_ID]);
    }
}
