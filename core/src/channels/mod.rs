//! Channel kinds: one module per kind, one registry line each.
//!
//! A kind's module holds its settings (a typed, serde struct whose field
//! names are the API's and the stored configuration's), the description of
//! those fields (`Field`: validation, masking, documentation and the
//! dashboard's form all come from it), its message for every event, how to
//! deliver it (an HTTP request, or an email) and how to read the answer
//! (delivered, try again, or a permanent refusal that marks the channel as
//! failing).
//!
//! The registry (`registry!` below) is the one list of kinds: the stored
//! configuration (`ChannelConfig`, tagged by `kind`), the API's validation
//! (`crate::channel::parse_channel_spec`), `openapi.json`'s channel schemas
//! (`describe`, tested against the document), the dashboard's form
//! (`GET /api/v3/channels/kinds`) and the CLI's sync files read it. Adding a
//! kind is its module, its line below and its tests.

pub mod alertmanager;
pub mod describe;
pub mod discord;
pub mod email;
pub mod field;
pub mod googlechat;
mod mask;
pub mod matrix;
pub mod mattermost;
pub mod ntfy;
pub mod opsgenie;
pub mod pagerduty;
pub mod pushover;
pub mod slack;
pub mod teams;
pub mod telegram;
pub mod text;
pub mod webhook;

pub use field::{Field, FieldKind, Shown};
pub use mask::{mask_secret, mask_url};

use crate::alert::Alert;
use crate::outbox::AttemptResult;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

/// An HTTP request to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

pub const USER_AGENT: &str = concat!("edgebeat/", env!("CARGO_PKG_VERSION"));

impl Outgoing {
    /// A JSON request with edgebeat's user agent.
    pub fn json(method: &str, url: &str, body: &Value) -> Outgoing {
        Outgoing {
            method: method.into(),
            url: url.into(),
            headers: vec![("Content-Type".into(), "application/json".into()), ("User-Agent".into(), USER_AGENT.into())],
            body: body.to_string().into_bytes(),
        }
    }

    pub fn json_post(url: &str, body: &Value) -> Outgoing {
        Outgoing::json("POST", url, body)
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Outgoing {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// An email to send: the envelope and the whole message (RFC 5322, CRLF
/// line ends, every header already encoded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailOut {
    pub from: String,
    pub to: Vec<String>,
    pub message: Vec<u8>,
}

/// How one notification goes out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    Http(Outgoing),
    Email(EmailOut),
    /// It cannot be sent (e.g. email with no sender configured).
    Impossible(String),
}

/// What delivering needs besides the alert.
#[derive(Clone, Debug)]
pub struct Context<'a> {
    /// Identifies the notification (the same on every retry), so that
    /// receivers can drop duplicates; `test` for a channel test.
    pub delivery_id: &'a str,
    pub now: Timestamp,
    /// The deployment's sender address (`EMAIL_FROM`).
    pub email_from: Option<&'a str>,
}

/// What came back from an HTTP request: the result and, for an answer that
/// is not a success, the start of its body (to read refusals).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub result: AttemptResult,
    pub body: String,
}

impl Answer {
    pub fn of(result: AttemptResult) -> Answer {
        Answer { result, body: String::new() }
    }

    pub fn status(&self) -> Option<u16> {
        self.result.status()
    }

    /// A permanent refusal: the channel's URL, token or room is gone.
    pub fn refused(&self, why: &str) -> AttemptResult {
        let excerpt = crate::alert::excerpt(self.body.trim(), 200);
        let reason = if excerpt.is_empty() { why.to_owned() } else { format!("{why} ({excerpt})") };
        AttemptResult::Refused { status: self.status(), reason }
    }

    /// The answer's body as JSON, if it is.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// The registry's facts about a kind.
#[derive(Debug)]
pub struct KindInfo {
    /// The API's `kind` and the stored configuration's tag.
    pub name: &'static str,
    /// What people call it: "Slack (incoming webhook)".
    pub title: &'static str,
    pub fields: &'static [Field],
    /// A sentence on how to set it up, for the docs and the form.
    pub about: &'static str,
    /// The kind's fields in an example request (JSON, the other fields of
    /// `POST /api/v3/channels/` left out), for the docs and the tests.
    pub example: &'static str,
}

/// What every kind does.
pub trait Kind: Serialize + for<'de> Deserialize<'de> {
    const INFO: KindInfo;

    /// Checks that need several fields at once (after each was validated).
    fn check(&self) -> Result<(), String> {
        Ok(())
    }

    /// The URL it sends to, for the destination rule and for showing where
    /// alerts go; none for email.
    fn endpoint(&self) -> Option<String>;

    /// The message for `alert`, ready to send.
    fn deliver(&self, alert: &Alert, context: &Context) -> Delivery;

    /// What an answer means. By default: 2xx delivered, 429 and 5xx try
    /// again, anything else fails this notification only.
    fn judge(&self, answer: &Answer) -> AttemptResult {
        answer.result.clone()
    }
}

/// The one list of kinds. Each line: the kind's name (its `kind` in the API
/// and in storage), its variant of `ChannelConfig`, and its settings type.
macro_rules! registry {
    ($($name:literal => $variant:ident($settings:ty)),* $(,)?) => {
        /// A channel's settings, one variant per kind, stored as JSON tagged
        /// with `kind` (the format of every stored channel so far).
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "kind")]
        pub enum ChannelConfig {
            $(#[serde(rename = $name)] $variant($settings),)*
        }

        /// Every kind, in the order the dashboard offers them.
        pub const KINDS: &[&KindInfo] = &[$(&<$settings as Kind>::INFO),*];

        /// The serde tags, in the same order (tested to be the kinds' names).
        #[cfg(test)]
        const TAGS: &[&str] = &[$($name),*];

        impl ChannelConfig {
            pub fn info(&self) -> &'static KindInfo {
                match self { $(ChannelConfig::$variant(_) => &<$settings as Kind>::INFO,)* }
            }

            fn check_fields(&self) -> Result<(), String> {
                match self { $(ChannelConfig::$variant(s) => s.check(),)* }
            }

            pub fn endpoint(&self) -> Option<String> {
                match self { $(ChannelConfig::$variant(s) => s.endpoint(),)* }
            }

            pub fn deliver(&self, alert: &Alert, context: &Context) -> Delivery {
                match self { $(ChannelConfig::$variant(s) => s.deliver(alert, context),)* }
            }

            pub fn judge(&self, answer: &Answer) -> AttemptResult {
                match self { $(ChannelConfig::$variant(s) => s.judge(answer),)* }
            }
        }
    };
}

registry! {
    "email" => Email(email::Email),
    "slack" => Slack(slack::Slack),
    "pagerduty" => Pagerduty(pagerduty::PagerDuty),
    "webhook" => Webhook(webhook::Webhook),
    "discord" => Discord(discord::Discord),
    "teams" => Teams(teams::Teams),
    "telegram" => Telegram(telegram::Telegram),
    "ntfy" => Ntfy(ntfy::Ntfy),
    "opsgenie" => Opsgenie(opsgenie::Opsgenie),
    "pushover" => Pushover(pushover::Pushover),
    "googlechat" => GoogleChat(googlechat::GoogleChat),
    "matrix" => Matrix(matrix::Matrix),
    "mattermost" => Mattermost(mattermost::Mattermost),
    "alertmanager" => Alertmanager(alertmanager::Alertmanager),
}

/// The kind with this name.
pub fn kind_info(name: &str) -> Option<&'static KindInfo> {
    KINDS.iter().copied().find(|k| k.name == name)
}

/// The kinds' names: `email, slack, … or alertmanager`.
pub fn kind_names() -> String {
    let names: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

impl ChannelConfig {
    pub fn kind(&self) -> &'static str {
        self.info().name
    }

    /// As stored in the `config` column.
    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_stored(stored: &str) -> Result<ChannelConfig, String> {
        serde_json::from_str(stored).map_err(|e| e.to_string())
    }

    /// The settings as stored, without the `kind` tag.
    pub fn settings(&self) -> Map<String, Value> {
        let mut map = match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        map.remove("kind");
        map.retain(|_, v| !v.is_null());
        map
    }

    /// Settings of a kind from validated fields; checks what needs several.
    pub fn from_settings(kind: &str, mut settings: Map<String, Value>) -> Result<ChannelConfig, String> {
        settings.insert("kind".into(), Value::String(kind.to_owned()));
        let config: ChannelConfig = serde_json::from_value(Value::Object(settings)).map_err(|e| e.to_string())?;
        config.check_fields()?;
        Ok(config)
    }

    /// The settings as the API shows them: secrets never in full.
    pub fn shown(&self) -> Map<String, Value> {
        let stored = self.settings();
        let mut shown = Map::new();
        for field in self.info().fields {
            let value = stored.get(field.name).cloned().unwrap_or(Value::Null);
            if value.is_null() && !matches!(field.shown, Shown::Presence(_)) {
                continue;
            }
            let (name, value) = field.show(&value);
            shown.insert(name.to_owned(), value);
        }
        shown
    }

    /// Where alerts go, as a user may see it: the URL's scheme, host and
    /// port, or the addresses of an email channel.
    pub fn destination(&self) -> String {
        match (self.endpoint(), self) {
            (Some(url), _) => mask_url(&url),
            (None, ChannelConfig::Email(email)) => email.to.join(", "),
            (None, _) => String::new(),
        }
    }

    /// Why this channel must not send now, if it must not (checked again at
    /// send time: a channel stored before a policy change is not trusted).
    pub fn refusal(&self, allow_private: bool) -> Option<String> {
        let url = self.endpoint()?;
        refusal_of_url(&url, allow_private)
    }
}

/// Why a request must not go to `url`, if it must not.
pub fn refusal_of_url(url: &str, allow_private: bool) -> Option<String> {
    match Url::parse(url) {
        Ok(url) => crate::channel::destination_problem(&url, allow_private),
        Err(_) => Some("the destination is not a URL".into()),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::alert::tests::sample;
    use crate::alert::{AlertEvent, LastPing};
    use crate::check::{FlipReason, PingKind};

    #[test]
    fn every_kind_is_stored_under_its_name_and_has_fields() {
        assert_eq!(KINDS.iter().map(|k| k.name).collect::<Vec<_>>(), TAGS);
        for kind in KINDS {
            assert!(!kind.fields.is_empty() && !kind.title.is_empty() && !kind.about.is_empty(), "{}", kind.name);
            let mut names: Vec<&str> = kind.fields.iter().map(|f| f.name).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), kind.fields.len(), "{}: a field twice", kind.name);
            for common in crate::channel::COMMON_FIELDS {
                assert!(!names.contains(common), "{}: {common} is a common field", kind.name);
            }
        }
    }

    /// The worst check a message has to carry: a long name with markup,
    /// many tags, and a large ping body full of markup.
    pub fn worst_case(event: AlertEvent) -> Alert {
        let mut alert = sample(event);
        alert.check.name = format!("<b>{}</b> & \"*_`~|>", "n".repeat(200));
        alert.check.slug = "s".repeat(100);
        alert.check.tags = (0..60).map(|i| format!("tag{i}<x>")).collect::<Vec<_>>().join(" ");
        alert.last_ping = Some(LastPing {
            at: Timestamp::from_secs(1_699_990_000),
            kind: PingKind::Fail,
            exit_status: Some(3),
            body_excerpt: "<script>alert(1)</script> *bold* _it_ `code` [x](http://e) @channel &amp; \u{1F600}\n"
                .repeat(40),
        });
        alert
    }

    /// Every event a channel can hear, the channel test included, in the
    /// sample and the worst case.
    pub fn every_alert() -> Vec<Alert> {
        let events = [
            AlertEvent::Down(FlipReason::Timeout),
            AlertEvent::Down(FlipReason::ExitStatus(2)),
            AlertEvent::Up { down_for_secs: Some(5400) },
            AlertEvent::Late,
            AlertEvent::Reminder { down_for_secs: Some(7200) },
            AlertEvent::StillDown { down_for_secs: None },
            AlertEvent::Fail(FlipReason::Fail),
            AlertEvent::Success,
        ];
        let mut alerts: Vec<Alert> = events.iter().flat_map(|e| [sample(e.clone()), worst_case(e.clone())]).collect();
        let at = Timestamp::from_secs(1_700_000_000);
        alerts.push(Alert::channel_test("team <chat>", "c1", "https://eb.example/app/#/channels".into(), at));
        let reason = "HTTP 404: <b>no_service</b>".repeat(20);
        let page = "https://eb.example/app/#/channels".to_owned();
        alerts.push(Alert::channel_failing("old <hook>", "webhook", &reason, "c2", page, at, "f9"));
        alerts
    }

    pub fn context() -> Context<'static> {
        Context { delivery_id: "42", now: Timestamp::from_secs(1_700_000_100), email_from: Some("edgebeat@eb.example") }
    }

    /// The request a kind makes for `alert`, asserting it is HTTP.
    pub fn request_of(config: &ChannelConfig, alert: &Alert) -> Outgoing {
        match config.deliver(alert, &context()) {
            Delivery::Http(outgoing) => outgoing,
            other => panic!("not an HTTP delivery: {other:?}"),
        }
    }

    pub fn body_json(outgoing: &Outgoing) -> Value {
        serde_json::from_slice(&outgoing.body).unwrap_or_else(|e| panic!("{e}: {:?}", outgoing.body))
    }

    /// A channel of each kind, made from its documented example.
    pub fn examples() -> Vec<ChannelConfig> {
        KINDS
            .iter()
            .map(|kind| {
                let mut body: Value = serde_json::from_str(kind.example).expect(kind.name);
                body["kind"] = Value::String(kind.name.into());
                let spec = crate::channel::parse_channel_spec(body.to_string().as_bytes(), None, false)
                    .unwrap_or_else(|e| panic!("{}'s example: {e}", kind.name));
                spec.config
            })
            .collect()
    }

    #[test]
    fn every_kind_delivers_every_alert_and_shows_no_secret() {
        for config in examples() {
            for alert in every_alert() {
                match config.deliver(&alert, &context()) {
                    Delivery::Http(outgoing) => {
                        assert!(outgoing.url.starts_with("https://"), "{}: {}", config.kind(), outgoing.url);
                        if outgoing.headers.iter().any(|(n, v)| n == "Content-Type" && v == "application/json") {
                            body_json(&outgoing);
                        }
                    }
                    Delivery::Email(email) => assert!(!email.message.is_empty()),
                    Delivery::Impossible(problem) => panic!("{}: {problem}", config.kind()),
                }
            }
            let shown = Value::Object(config.shown()).to_string();
            for (name, value) in config.settings() {
                let field = config.info().fields.iter().find(|f| f.name == name).expect("a described field");
                if matches!(field.shown, Shown::Masked | Shown::Presence(_)) {
                    let secret = value.as_str().unwrap_or_default();
                    assert!(!shown.contains(secret), "{}: {name} shown in full: {shown}", config.kind());
                }
            }
            assert_eq!(ChannelConfig::from_stored(&config.to_stored()), Ok(config.clone()));
        }
    }

    #[test]
    fn channels_stored_before_the_registry_read_as_they_were() {
        // The `config` column as the three first kinds wrote it.
        let slack = ChannelConfig::from_stored(r#"{"kind":"slack","url":"https://hooks.slack.com/services/T/B/X"}"#);
        assert_eq!(
            slack,
            Ok(ChannelConfig::Slack(slack::Slack { url: "https://hooks.slack.com/services/T/B/X".into() }))
        );
        let pd = ChannelConfig::from_stored(
            r#"{"kind":"pagerduty","routing_key":"RK","severity":"error","events_url":"https://events.pagerduty.com/v2/enqueue"}"#,
        )
        .unwrap();
        assert_eq!(pd.settings()["severity"], "error");
        let hook = ChannelConfig::from_stored(
            r#"{"kind":"webhook","url":"https://h.example/x","method":"PUT","headers":[["X-Team","ops"]],"secret":null}"#,
        )
        .unwrap();
        let ChannelConfig::Webhook(webhook) = &hook else { panic!("{hook:?}") };
        assert_eq!((webhook.method.as_str(), webhook.headers.len(), webhook.secret.as_deref()), ("PUT", 1, None));
        assert_eq!(
            Value::Object(hook.shown()),
            serde_json::json!({"url": "https://h.example/…", "method": "PUT", "headers": ["X-Team"], "signed": false})
        );
        let signed = ChannelConfig::from_stored(
            r#"{"kind":"webhook","url":"https://h.example/x","method":"POST","headers":[],"secret":"0123456789abcdef"}"#,
        )
        .unwrap();
        assert_eq!(signed.shown()["signed"], true);
        // An update of a stored channel keeps what it does not name.
        let channel = crate::channel::Channel {
            id: "c".into(),
            name: "n".into(),
            config: hook,
            events: crate::check::EventSet::default(),
            failing: None,
        };
        let spec = crate::channel::parse_channel_spec(br#"{"method": "post"}"#, Some(&channel), false).unwrap();
        let ChannelConfig::Webhook(updated) = spec.config else { panic!() };
        assert_eq!((updated.method.as_str(), updated.headers.len()), ("POST", 1));
    }

    pub fn answer(status: u16, body: &str) -> Answer {
        Answer { result: AttemptResult::Status(status), body: body.into() }
    }

    pub fn is_refused(result: &AttemptResult) -> bool {
        matches!(result, AttemptResult::Refused { .. })
    }
}
