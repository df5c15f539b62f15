//! Notification channels: their configuration, how the API validates it, and
//! how it is shown (secrets never in full).

use crate::api::spec::SpecError;
use crate::check::EventKind;
pub use crate::check::EventSet;
pub use crate::destination::destination_problem;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use url::Url;

pub const DEFAULT_PAGERDUTY_URL: &str = "https://events.pagerduty.com/v2/enqueue";
/// Ids of the channels kept from the SLACK_WEBHOOK_URL and
/// PAGERDUTY_ROUTING_KEY secrets; they notify every check.
pub const DEFAULT_SLACK_ID: &str = "default-slack";
pub const DEFAULT_PAGERDUTY_ID: &str = "default-pagerduty";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ChannelConfig {
    Slack { url: String },
    Pagerduty { routing_key: String, severity: String, events_url: String },
    Webhook { url: String, method: String, headers: Vec<(String, String)>, secret: Option<String> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Channel {
    pub id: String,
    pub name: String,
    pub config: ChannelConfig,
    /// Which events it receives.
    pub events: EventSet,
}

impl ChannelConfig {
    pub fn kind(&self) -> &'static str {
        match self {
            ChannelConfig::Slack { .. } => "slack",
            ChannelConfig::Pagerduty { .. } => "pagerduty",
            ChannelConfig::Webhook { .. } => "webhook",
        }
    }

    /// As stored in the `config` column.
    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_stored(stored: &str) -> Result<ChannelConfig, String> {
        serde_json::from_str(stored).map_err(|e| e.to_string())
    }

    /// Where this channel sends.
    pub fn destination(&self) -> &str {
        match self {
            ChannelConfig::Slack { url } | ChannelConfig::Webhook { url, .. } => url,
            ChannelConfig::Pagerduty { events_url, .. } => events_url,
        }
    }

    /// Why this channel must not send now, if it must not (checked again at
    /// send time: a channel stored before a policy change is not trusted).
    pub fn refusal(&self, allow_private: bool) -> Option<String> {
        match Url::parse(self.destination()) {
            Ok(url) => destination_problem(&url, allow_private),
            Err(_) => Some("the destination is not a URL".into()),
        }
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
            config: ChannelConfig::Slack { url: url.into() },
            events: EventSet::default(),
        });
    }
    if let Some(key) = pagerduty_key {
        channels.push(Channel {
            id: DEFAULT_PAGERDUTY_ID.into(),
            name: "PagerDuty (PAGERDUTY_ROUTING_KEY)".into(),
            config: ChannelConfig::Pagerduty {
                routing_key: key.into(),
                severity: "critical".into(),
                events_url: pagerduty_url.unwrap_or(DEFAULT_PAGERDUTY_URL).into(),
            },
            events: EventSet::default(),
        });
    }
    channels
}

/// Shows the start of a secret and hides the rest.
fn mask(secret: &str) -> String {
    let shown: String = secret.chars().take(4).collect();
    format!("{shown}…")
}

/// Shows where a URL goes (scheme, host and port) and nothing that can be a
/// secret: no user name or password, path, query or fragment.
fn mask_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(parsed) => {
            let host = parsed.host_str().unwrap_or_default();
            let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
            let hidden = parsed.path() != "/" || parsed.query().is_some() || parsed.fragment().is_some();
            format!("{}://{host}{port}/{}", parsed.scheme(), if hidden { "…" } else { "" })
        }
        Err(_) => "…".to_owned(),
    }
}

/// The API's view of a channel: healthchecks' `id`, `name`, `kind`, plus
/// edgebeat's masked settings.
pub fn channel_json(channel: &Channel, managed_by_secret: bool) -> Value {
    let settings = match &channel.config {
        ChannelConfig::Slack { url } => json!({ "url": mask_url(url) }),
        ChannelConfig::Pagerduty { routing_key, severity, events_url } => json!({
            "routing_key": mask(routing_key),
            "severity": severity,
            "events_url": mask_url(events_url),
        }),
        ChannelConfig::Webhook { url, method, headers, secret } => {
            let header_names: Vec<&String> = headers.iter().map(|(name, _)| name).collect();
            json!({
                "url": mask_url(url),
                "method": method,
                "headers": header_names,
                "signed": secret.is_some(),
            })
        }
    };
    json!({
        "id": channel.id,
        "name": channel.name,
        "kind": channel.config.kind(),
        "settings": settings,
        "events": channel.events.names(),
        "managed_by_secret": managed_by_secret,
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

fn url_field(
    object: &Map<String, Value>,
    field: &str,
    required: bool,
    allow_private: bool,
) -> Result<Option<String>, SpecError> {
    let Some(text) = text_field(object, field, 2000)? else {
        return if required { Err(bad(format!("{field} is required"))) } else { Ok(None) };
    };
    let url = Url::parse(&text).map_err(|_| bad(format!("{field} is not an http(s) URL")))?;
    // The parser would percent-encode whitespace; a pasted URL with spaces is a mistake.
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() || text.contains(char::is_whitespace) {
        return Err(bad(format!("{field} is not an http(s) URL")));
    }
    if let Some(problem) = destination_problem(&url, allow_private) {
        return Err(bad(format!("{field}: {problem}")));
    }
    Ok(Some(text))
}

const CHANNEL_FIELDS: &[&str] = &[
    "kind",
    "name",
    "url",
    "routing_key",
    "severity",
    "events_url",
    "method",
    "headers",
    "secret",
    "assign_to_all_checks",
    "events",
];

/// Parses `POST /api/v3/channels/` (or an update of `existing`, where
/// absent fields keep their values and the kind cannot change).
pub fn parse_channel_spec(
    body: &[u8],
    existing: Option<&Channel>,
    allow_private: bool,
) -> Result<ChannelSpec, SpecError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| SpecError::NotJson)?;
    let object = value.as_object().ok_or(SpecError::NotAnObject)?;
    if let Some(unknown) = object.keys().find(|k| !CHANNEL_FIELDS.contains(&k.as_str())) {
        return Err(bad(format!("unknown field {unknown:?}")));
    }
    let kind = match (text_field(object, "kind", 20)?, existing) {
        (Some(kind), Some(existing)) if kind != existing.config.kind() => {
            return Err(bad("kind cannot be changed; create a new channel"))
        }
        (Some(kind), _) => kind,
        (None, Some(existing)) => existing.config.kind().to_owned(),
        (None, None) => return Err(bad("kind is required (slack, pagerduty or webhook)")),
    };
    let name = text_field(object, "name", 100)?.or_else(|| existing.map(|c| c.name.clone())).unwrap_or_default();
    let updating = existing.is_some();
    let config = match (kind.as_str(), existing.map(|c| &c.config)) {
        ("slack", previous) => {
            let previous_url = match previous {
                Some(ChannelConfig::Slack { url }) => Some(url.clone()),
                _ => None,
            };
            let url = url_field(object, "url", !updating, allow_private)?
                .or(previous_url)
                .ok_or_else(|| bad("url is required"))?;
            ChannelConfig::Slack { url }
        }
        ("pagerduty", previous) => {
            let (key, severity, events_url) = match previous {
                Some(ChannelConfig::Pagerduty { routing_key, severity, events_url }) => {
                    (Some(routing_key.clone()), severity.clone(), events_url.clone())
                }
                _ => (None, "critical".to_owned(), DEFAULT_PAGERDUTY_URL.to_owned()),
            };
            let routing_key = match text_field(object, "routing_key", 100)? {
                Some(k) if k.trim().is_empty() => return Err(bad("routing_key is empty")),
                Some(k) => k,
                None => key.ok_or_else(|| bad("routing_key is required"))?,
            };
            let severity = text_field(object, "severity", 20)?.unwrap_or(severity);
            if !["critical", "error", "warning", "info"].contains(&severity.as_str()) {
                return Err(bad("severity must be critical, error, warning or info"));
            }
            let events_url = url_field(object, "events_url", false, allow_private)?.unwrap_or(events_url);
            ChannelConfig::Pagerduty { routing_key, severity, events_url }
        }
        ("webhook", previous) => {
            let (old_url, old_method, old_headers, old_secret) = match previous {
                Some(ChannelConfig::Webhook { url, method, headers, secret }) => {
                    (Some(url.clone()), method.clone(), headers.clone(), secret.clone())
                }
                _ => (None, "POST".to_owned(), Vec::new(), None),
            };
            let url = url_field(object, "url", !updating, allow_private)?
                .or(old_url)
                .ok_or_else(|| bad("url is required"))?;
            let method = text_field(object, "method", 10)?.map(|m| m.to_ascii_uppercase()).unwrap_or(old_method);
            if !["POST", "PUT", "PATCH"].contains(&method.as_str()) {
                return Err(bad("method must be POST, PUT or PATCH"));
            }
            let headers = match object.get("headers") {
                None => old_headers,
                Some(Value::Object(map)) => {
                    let mut headers = Vec::new();
                    for (name, value) in map {
                        let valid_name =
                            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
                        let Some(value) = value.as_str().filter(|v| !v.contains(['\r', '\n'])) else {
                            return Err(bad(format!("header {name:?} must have a single-line string value")));
                        };
                        if !valid_name {
                            return Err(bad(format!("header name {name:?} is not valid")));
                        }
                        headers.push((name.clone(), value.to_owned()));
                    }
                    headers
                }
                Some(_) => return Err(bad("headers is not an object")),
            };
            let secret = match object.get("secret") {
                None => old_secret,
                Some(Value::Null) => None,
                Some(Value::String(s)) if (16..=200).contains(&s.chars().count()) => Some(s.clone()),
                Some(Value::String(_)) => return Err(bad("secret must be 16 to 200 characters")),
                Some(_) => return Err(bad("secret is not a string")),
            };
            ChannelConfig::Webhook { url, method, headers, secret }
        }
        _ => return Err(bad("kind must be slack, pagerduty or webhook")),
    };
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

    fn parse(body: &str) -> Result<ChannelSpec, String> {
        parse_channel_spec(body.as_bytes(), None, false).map_err(|e| e.to_string())
    }

    #[test]
    fn kinds_parse_with_defaults() {
        let slack =
            parse(r#"{"kind": "slack", "name": "ops", "url": "https://hooks.slack.com/services/T/B/X"}"#).unwrap();
        assert_eq!(slack.config, ChannelConfig::Slack { url: "https://hooks.slack.com/services/T/B/X".into() });
        let pd = parse(r#"{"kind": "pagerduty", "routing_key": "R0UT1NG"}"#).unwrap();
        assert_eq!(
            pd.config,
            ChannelConfig::Pagerduty {
                routing_key: "R0UT1NG".into(),
                severity: "critical".into(),
                events_url: DEFAULT_PAGERDUTY_URL.into()
            }
        );
        let hook = parse(
            r#"{"kind": "webhook", "url": "https://hooks.example.com/h", "headers": {"X-Team": "ops"},
                            "secret": "0123456789abcdef"}"#,
        )
        .unwrap();
        assert!(matches!(hook.config, ChannelConfig::Webhook { ref method, ref secret, .. }
            if method == "POST" && secret.as_deref() == Some("0123456789abcdef")));
    }

    #[test]
    fn bad_channels_are_refused_clearly() {
        let cases = [
            (r#"{"name": "x"}"#, "kind is required"),
            (r#"{"kind": "email"}"#, "kind must be slack, pagerduty or webhook"),
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
                .map(|s| Channel { id: "c".into(), name: s.name, config: s.config, events: s.events })
                .unwrap();
        let kept = parse_channel_spec(br#"{"name": "renamed"}"#, Some(&existing), false).unwrap();
        assert_eq!(kept.events, EventSet::of(&[EventKind::Fail]), "an update keeps the events it does not name");
    }

    #[test]
    fn updates_keep_what_they_do_not_name() {
        let existing = Channel {
            id: "c".into(),
            name: "pd".into(),
            config: ChannelConfig::Pagerduty {
                routing_key: "secret-key".into(),
                severity: "error".into(),
                events_url: DEFAULT_PAGERDUTY_URL.into(),
            },
            events: EventSet::default(),
        };
        let spec = parse_channel_spec(br#"{"severity": "warning"}"#, Some(&existing), false).unwrap();
        assert_eq!(spec.name, "pd");
        assert!(matches!(spec.config, ChannelConfig::Pagerduty { ref routing_key, ref severity, .. }
            if routing_key == "secret-key" && severity == "warning"));
        let error = parse_channel_spec(br#"{"kind": "slack"}"#, Some(&existing), false).unwrap_err();
        assert!(error.to_string().contains("kind cannot be changed"));
    }

    #[test]
    fn secrets_never_show_in_full() {
        let channel = Channel {
            id: "c".into(),
            name: "hook".into(),
            config: ChannelConfig::Webhook {
                url: "https://hooks.example/T000/B000/XXXXSECRET".into(),
                method: "POST".into(),
                headers: vec![("Authorization".into(), "Bearer very-secret".into())],
                secret: Some("0123456789abcdef".into()),
            },
            events: EventSet::default(),
        };
        let shown = channel_json(&channel, false).to_string();
        assert!(!shown.contains("XXXXSECRET") && !shown.contains("very-secret") && !shown.contains("0123456789abcdef"));
        assert!(shown.contains("hooks.example"));
        let pd = Channel {
            id: "p".into(),
            name: "pd".into(),
            config: ChannelConfig::Pagerduty {
                routing_key: "R0UTINGKEY123".into(),
                severity: "critical".into(),
                events_url: DEFAULT_PAGERDUTY_URL.into(),
            },
            events: EventSet::default(),
        };
        assert_eq!(channel_json(&pd, true)["settings"]["routing_key"], "R0UT…");
    }

    #[test]
    fn urls_show_only_scheme_host_and_port() {
        let cases = [
            ("https://user:pass@hooks.example/T0/B0/SECRET", "https://hooks.example/…"),
            ("https://hooks.example?token=SECRET", "https://hooks.example/…"),
            ("https://hooks.example/#SECRET", "https://hooks.example/…"),
            ("http://127.0.0.1:8080/x", "http://127.0.0.1:8080/…"),
            ("https://hooks.example", "https://hooks.example/"),
            ("not a url SECRET", "…"),
        ];
        for (url, shown) in cases {
            assert_eq!(mask_url(url), shown, "{url}");
        }
        for config in [
            ChannelConfig::Slack { url: "https://u:SECRET@h.example/SECRET?SECRET=SECRET".into() },
            ChannelConfig::Pagerduty {
                routing_key: "R0UTSECRET".into(),
                severity: "critical".into(),
                events_url: "https://SECRET:SECRET@events.example/v2/SECRET?key=SECRET".into(),
            },
            ChannelConfig::Webhook {
                url: "https://h.example/SECRET?a=SECRET".into(),
                method: "POST".into(),
                headers: vec![("X-Key".into(), "SECRET".into())],
                secret: Some("SECRETSECRETSECRET".into()),
            },
        ] {
            let shown =
                channel_json(&Channel { id: "c".into(), name: "n".into(), config, events: EventSet::default() }, false)
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
            let parsed = Url::parse(url).unwrap();
            assert!(destination_problem(&parsed, false).is_some(), "{url} must be refused");
            assert!(destination_problem(&parsed, true).is_none(), "{url} is allowed when the operator allows it");
            let body = format!(r#"{{"kind": "webhook", "url": "{url}"}}"#);
            assert!(parse(&body).unwrap_err().contains("not allowed as channel destinations"), "{url}");
        }
        for url in ["https://hooks.slack.com/services/x", "https://8.8.8.8/x", "https://[2606:4700::1111]/x"] {
            assert_eq!(destination_problem(&Url::parse(url).unwrap(), false), None, "{url}");
        }
        let pd = r#"{"kind": "pagerduty", "routing_key": "k", "events_url": "http://169.254.169.254/"}"#;
        assert!(parse(pd).unwrap_err().contains("events_url"));
        let stored = ChannelConfig::Slack { url: "http://10.0.0.1/x".into() };
        assert!(stored.refusal(false).is_some() && stored.refusal(true).is_none());
    }

    #[test]
    fn stored_configs_round_trip() {
        let config = ChannelConfig::Slack { url: "https://x.example/y".into() };
        assert_eq!(config.destination(), "https://x.example/y");
        assert_eq!(ChannelConfig::from_stored(&config.to_stored()), Ok(config));
        assert!(ChannelConfig::from_stored("{").is_err());
    }

    #[test]
    fn secrets_configure_default_channels() {
        assert!(default_channels(None, None, None).is_empty());
        let both = default_channels(Some("https://hooks.example/x"), Some("key"), None);
        assert_eq!(both.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [DEFAULT_SLACK_ID, DEFAULT_PAGERDUTY_ID]);
    }
}
