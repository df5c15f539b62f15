//! The check fields a client may set, validated with healthchecks.io's rules
//! and messages (`json validation error: timeout is too small`), and how a
//! valid spec changes a check's configuration.

use crate::domain::check::{Monitoring, Schedule};
use crate::domain::cron::{parse_zone, CronExpr};
use crate::domain::ping::PingRules;
use serde_json::{Map, Value};

/// Bounds healthchecks.io puts on timeout and grace: one minute to a year.
pub const MIN_PERIOD: i64 = 60;
pub const MAX_PERIOD: i64 = 31_536_000;
const MAX_NAME: usize = 100;
const MAX_SLUG: usize = 100;
const MAX_SCHEDULE: usize = 100;
const MAX_KEYWORDS: usize = 200;
const MAX_TAGS: usize = 500;
/// healthchecks sets no limit on `desc`; edgebeat keeps rows small for D1.
const MAX_DESC: usize = 10_000;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("could not parse request body")]
    NotJson,
    #[error("json validation error: value is not an object")]
    NotAnObject,
    #[error("json validation error: {0}")]
    Invalid(String),
    #[error("empty channel identifier")]
    EmptyChannel,
    #[error("invalid channel identifier: {0}")]
    UnknownChannel(String),
    #[error("non-unique channel identifier: {0}")]
    AmbiguousChannel(String),
}

/// The stored, user-editable configuration of a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckConfig {
    pub name: String,
    pub slug: String,
    pub tags: String,
    pub desc: String,
    /// `cron` when `schedule` is in force, `simple` when `timeout` is.
    pub cron: bool,
    pub timeout: i64,
    pub grace: i64,
    pub schedule: String,
    pub tz: String,
    pub manual_resume: bool,
    pub methods: String,
    pub start_kw: String,
    pub success_kw: String,
    pub failure_kw: String,
    pub filter_subject: bool,
    pub filter_body: bool,
    pub filter_http_body: bool,
    pub filter_default_fail: bool,
}

impl Default for CheckConfig {
    /// healthchecks' defaults for a new check: daily, with an hour of grace.
    fn default() -> Self {
        CheckConfig {
            name: String::new(),
            slug: String::new(),
            tags: String::new(),
            desc: String::new(),
            cron: false,
            timeout: 86_400,
            grace: 3_600,
            schedule: "* * * * *".into(),
            tz: "UTC".into(),
            manual_resume: false,
            methods: String::new(),
            start_kw: String::new(),
            success_kw: String::new(),
            failure_kw: String::new(),
            filter_subject: false,
            filter_body: false,
            filter_http_body: false,
            filter_default_fail: false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("stored schedule {0:?} does not parse: {1}")]
    Schedule(String, String),
    #[error("stored time zone {0:?} is unknown")]
    Zone(String),
}

impl CheckConfig {
    /// A check auto-created by `?create=1` is named after its slug.
    pub fn for_slug(slug: &str) -> Self {
        CheckConfig { name: slug.to_owned(), slug: slug.to_owned(), ..CheckConfig::default() }
    }

    pub fn monitoring(&self) -> Result<Monitoring, ConfigError> {
        let schedule = if self.cron {
            let expr = CronExpr::parse(&self.schedule)
                .map_err(|e| ConfigError::Schedule(self.schedule.clone(), e.to_string()))?;
            let zone = parse_zone(&self.tz).map_err(|_| ConfigError::Zone(self.tz.clone()))?;
            Schedule::Cron { expr, zone }
        } else {
            Schedule::Simple { timeout: self.timeout }
        };
        Ok(Monitoring { schedule, grace: self.grace, manual_resume: self.manual_resume })
    }

    pub fn ping_rules(&self) -> PingRules {
        PingRules {
            post_only: self.methods == "POST",
            filter_http_body: self.filter_http_body,
            start_kw: self.start_kw.clone(),
            success_kw: self.success_kw.clone(),
            failure_kw: self.failure_kw.clone(),
            filter_default_fail: self.filter_default_fail,
        }
    }

    /// Whether the tags (space-separated) include `tag` as a whole word.
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.split_whitespace().any(|t| t == tag)
    }

    /// Applies the fields present in `spec`, in healthchecks' order; absent
    /// fields stay as they are.
    pub fn apply(&mut self, spec: &CheckSpec) {
        if let Some(name) = &spec.name {
            self.name = name.clone();
        }
        if let Some(schedule) = &spec.schedule {
            self.cron = true;
            self.schedule = schedule.clone();
        } else if let Some(timeout) = spec.timeout {
            self.cron = false;
            self.timeout = timeout;
        }
        // The deprecated email-subject fields map onto the keywords.
        if let Some(subject) = &spec.subject {
            self.success_kw = subject.clone();
            self.filter_subject = !self.success_kw.is_empty() || !self.failure_kw.is_empty();
        }
        if let Some(subject_fail) = &spec.subject_fail {
            self.failure_kw = subject_fail.clone();
            self.filter_subject = !self.success_kw.is_empty() || !self.failure_kw.is_empty();
        }
        let set = |target: &mut String, value: &Option<String>| {
            if let Some(v) = value {
                target.clone_from(v);
            }
        };
        set(&mut self.slug, &spec.slug);
        set(&mut self.tags, &spec.tags);
        set(&mut self.desc, &spec.desc);
        set(&mut self.methods, &spec.methods);
        set(&mut self.tz, &spec.tz);
        set(&mut self.start_kw, &spec.start_kw);
        set(&mut self.success_kw, &spec.success_kw);
        set(&mut self.failure_kw, &spec.failure_kw);
        let flag = |target: &mut bool, value: Option<bool>| {
            if let Some(v) = value {
                *target = v;
            }
        };
        flag(&mut self.manual_resume, spec.manual_resume);
        flag(&mut self.filter_subject, spec.filter_subject);
        flag(&mut self.filter_body, spec.filter_body);
        flag(&mut self.filter_http_body, spec.filter_http_body);
        flag(&mut self.filter_default_fail, spec.filter_default_fail);
        if let Some(grace) = spec.grace {
            self.grace = grace;
        }
    }

    /// Whether this check equals the spec on every field named in `unique`
    /// (the upsert test of `POST /api/v3/checks/`).
    pub fn matches_unique(&self, spec: &CheckSpec) -> bool {
        spec.unique.iter().all(|field| match field {
            UniqueField::Name => spec.name.as_deref() == Some(self.name.as_str()),
            UniqueField::Slug => spec.slug.as_deref() == Some(self.slug.as_str()),
            UniqueField::Tags => spec.tags.as_deref() == Some(self.tags.as_str()),
            UniqueField::Timeout => !self.cron && spec.timeout == Some(self.timeout),
            UniqueField::Grace => spec.grace == Some(self.grace),
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UniqueField {
    Name,
    Slug,
    Tags,
    Timeout,
    Grace,
}

/// Which channels a check notifies, as the `channels` field says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChannelSelector {
    /// `"*"`: every channel of the project.
    All,
    /// `""`: none.
    Nothing,
    /// Channel ids or names.
    These(Vec<String>),
}

impl ChannelSelector {
    /// Resolves the selector against the project's channels `(id, name)` to ids.
    pub fn resolve(&self, channels: &[(String, String)]) -> Result<Vec<String>, SpecError> {
        let mut ids: Vec<String> = match self {
            ChannelSelector::All => channels.iter().map(|(id, _)| id.clone()).collect(),
            ChannelSelector::Nothing => Vec::new(),
            ChannelSelector::These(items) => {
                let mut ids = Vec::new();
                for item in items {
                    if item.is_empty() {
                        return Err(SpecError::EmptyChannel);
                    }
                    let matching: Vec<&String> =
                        channels.iter().filter(|(id, name)| id == item || name == item).map(|(id, _)| id).collect();
                    match matching[..] {
                        [id] => ids.push(id.clone()),
                        [] => return Err(SpecError::UnknownChannel(item.clone())),
                        _ => return Err(SpecError::AmbiguousChannel(item.clone())),
                    }
                }
                ids
            }
        };
        ids.sort();
        ids.dedup();
        Ok(ids)
    }
}

/// A validated request body for creating or updating a check.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckSpec {
    pub channels: Option<ChannelSelector>,
    pub desc: Option<String>,
    pub failure_kw: Option<String>,
    pub filter_subject: Option<bool>,
    pub filter_body: Option<bool>,
    pub filter_http_body: Option<bool>,
    pub filter_default_fail: Option<bool>,
    pub grace: Option<i64>,
    pub manual_resume: Option<bool>,
    pub methods: Option<String>,
    pub name: Option<String>,
    pub schedule: Option<String>,
    pub slug: Option<String>,
    pub start_kw: Option<String>,
    pub subject: Option<String>,
    pub subject_fail: Option<String>,
    pub success_kw: Option<String>,
    pub tags: Option<String>,
    pub timeout: Option<i64>,
    pub tz: Option<String>,
    pub unique: Vec<UniqueField>,
    /// The key, when a client sends it in the body as healthchecks allows.
    pub api_key: Option<String>,
}

/// The fields edgebeat knows, in the order healthchecks validates them (the
/// first invalid one is reported).
const FIELDS: &[&str] = &[
    "channels",
    "desc",
    "failure_kw",
    "filter_subject",
    "filter_body",
    "filter_http_body",
    "filter_default_fail",
    "grace",
    "manual_resume",
    "methods",
    "name",
    "schedule",
    "slug",
    "start_kw",
    "subject",
    "subject_fail",
    "success_kw",
    "tags",
    "timeout",
    "tz",
    "unique",
];

fn invalid(message: String) -> SpecError {
    SpecError::Invalid(message)
}

fn string(field: &str, value: &Value, max: usize) -> Result<String, SpecError> {
    let text = value.as_str().ok_or_else(|| invalid(format!("{field} is not a string")))?;
    if text.chars().count() > max {
        return Err(invalid(format!("{field} is too long")));
    }
    Ok(text.to_owned())
}

fn boolean(field: &str, value: &Value) -> Result<bool, SpecError> {
    value.as_bool().ok_or_else(|| invalid(format!("{field} is not a boolean")))
}

fn period(field: &str, value: &Value) -> Result<i64, SpecError> {
    let number = match value {
        Value::Number(n) if n.is_i64() || n.is_u64() => n.as_i64().unwrap_or(i64::MAX),
        _ => return Err(invalid(format!("{field} is not a number"))),
    };
    if number < MIN_PERIOD {
        return Err(invalid(format!("{field} is too small")));
    }
    if number > MAX_PERIOD {
        return Err(invalid(format!("{field} is too large")));
    }
    Ok(number)
}

fn is_slug(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Parses a create or update body. An empty body is an empty spec.
pub fn parse_spec(body: &[u8]) -> Result<CheckSpec, SpecError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(CheckSpec::default());
    }
    let value: Value = serde_json::from_slice(body).map_err(|_| SpecError::NotJson)?;
    let object = value.as_object().ok_or(SpecError::NotAnObject)?;
    spec_from_object(object)
}

fn spec_from_object(object: &Map<String, Value>) -> Result<CheckSpec, SpecError> {
    let mut spec = CheckSpec::default();
    for field in FIELDS {
        let Some(value) = object.get(*field) else { continue };
        match *field {
            "channels" => {
                let text = value.as_str().ok_or_else(|| invalid("channels is not a string".into()))?;
                spec.channels = Some(match text {
                    "*" => ChannelSelector::All,
                    "" => ChannelSelector::Nothing,
                    list => ChannelSelector::These(list.split(',').map(str::to_owned).collect()),
                });
            }
            "desc" => spec.desc = Some(string(field, value, MAX_DESC)?),
            "failure_kw" => spec.failure_kw = Some(string(field, value, MAX_KEYWORDS)?),
            "filter_subject" => spec.filter_subject = Some(boolean(field, value)?),
            "filter_body" => spec.filter_body = Some(boolean(field, value)?),
            "filter_http_body" => spec.filter_http_body = Some(boolean(field, value)?),
            "filter_default_fail" => spec.filter_default_fail = Some(boolean(field, value)?),
            "grace" => spec.grace = Some(period(field, value)?),
            "manual_resume" => spec.manual_resume = Some(boolean(field, value)?),
            "methods" => match value.as_str() {
                Some(m @ ("" | "POST")) => spec.methods = Some(m.to_owned()),
                _ => return Err(invalid("methods has unexpected value".into())),
            },
            "name" => spec.name = Some(string(field, value, MAX_NAME)?),
            "schedule" => {
                let text = string(field, value, MAX_SCHEDULE)?;
                if let Err(e) = CronExpr::parse(&text) {
                    return Err(invalid(format!("schedule is not a valid cron expression ({e})")));
                }
                spec.schedule = Some(text);
            }
            "slug" => {
                let text = string(field, value, MAX_SLUG)?;
                if !is_slug(&text) {
                    return Err(invalid("slug does not match pattern".into()));
                }
                spec.slug = Some(text);
            }
            "start_kw" => spec.start_kw = Some(string(field, value, MAX_KEYWORDS)?),
            "subject" => spec.subject = Some(string(field, value, MAX_KEYWORDS)?),
            "subject_fail" => spec.subject_fail = Some(string(field, value, MAX_KEYWORDS)?),
            "success_kw" => spec.success_kw = Some(string(field, value, MAX_KEYWORDS)?),
            "tags" => spec.tags = Some(string(field, value, MAX_TAGS)?),
            "timeout" => spec.timeout = Some(period(field, value)?),
            "tz" => {
                let text = value.as_str().ok_or_else(|| invalid("tz is not a string".into()))?;
                let zone = parse_zone(text).map_err(|_| invalid("tz is not a valid timezone".into()))?;
                spec.tz = Some(zone.name().to_owned());
            }
            "unique" => {
                let items = value.as_array().ok_or_else(|| invalid("unique is not an array".into()))?;
                for item in items {
                    spec.unique.push(match item.as_str() {
                        Some("name") => UniqueField::Name,
                        Some("slug") => UniqueField::Slug,
                        Some("tags") => UniqueField::Tags,
                        Some("timeout") => UniqueField::Timeout,
                        Some("grace") => UniqueField::Grace,
                        _ => return Err(invalid("an item in 'unique' has unexpected value".into())),
                    });
                }
            }
            _ => {}
        }
    }
    // healthchecks accepts the key in the body; edgebeat does too.
    if let Some(key) = object.get("api_key") {
        spec.api_key = Some(match key {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
    }
    // Unlike healthchecks, an unknown field is an error: a typo such as
    // "graze" must not silently leave the grace period unchanged.
    let mut unknown: Vec<&String> =
        object.keys().filter(|k| !FIELDS.contains(&k.as_str()) && k.as_str() != "api_key").collect();
    unknown.sort();
    if let Some(first) = unknown.first() {
        return Err(invalid(format!("unknown field {first:?}")));
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn error_of(value: Value) -> String {
        parse_spec(value.to_string().as_bytes()).unwrap_err().to_string()
    }

    #[test]
    fn empty_bodies_are_empty_specs() {
        assert_eq!(parse_spec(b""), Ok(CheckSpec::default()));
        assert_eq!(parse_spec(b"  \n"), Ok(CheckSpec::default()));
        assert_eq!(parse_spec(b"{}"), Ok(CheckSpec::default()));
    }

    #[test]
    fn bodies_must_be_json_objects() {
        assert_eq!(parse_spec(b"{nope"), Err(SpecError::NotJson));
        assert_eq!(parse_spec(b"[1, 2]").unwrap_err().to_string(), "json validation error: value is not an object");
        assert_eq!(parse_spec(b"\"text\""), Err(SpecError::NotAnObject));
    }

    #[test]
    fn healthchecks_messages() {
        let cases = [
            (json!({"timeout": 0}), "json validation error: timeout is too small"),
            (json!({"timeout": 31_536_001}), "json validation error: timeout is too large"),
            (json!({"timeout": "oops"}), "json validation error: timeout is not a number"),
            (json!({"timeout": 3600.5}), "json validation error: timeout is not a number"),
            (json!({"grace": 59}), "json validation error: grace is too small"),
            (json!({"name": "x".repeat(101)}), "json validation error: name is too long"),
            (json!({"name": null}), "json validation error: name is not a string"),
            (json!({"unique": ["status"]}), "json validation error: an item in 'unique' has unexpected value"),
            (json!({"unique": "name"}), "json validation error: unique is not an array"),
            (json!({"tz": "Mars/Olympus"}), "json validation error: tz is not a valid timezone"),
            (json!({"slug": "Uppercase"}), "json validation error: slug does not match pattern"),
            (json!({"slug": "look spaces"}), "json validation error: slug does not match pattern"),
            (json!({"methods": "GET"}), "json validation error: methods has unexpected value"),
            (json!({"channels": 123}), "json validation error: channels is not a string"),
            (json!({"manual_resume": "yes"}), "json validation error: manual_resume is not a boolean"),
            (json!({"graze": 60}), "json validation error: unknown field \"graze\""),
        ];
        for (body, message) in cases {
            assert_eq!(error_of(body.clone()), message, "{body}");
        }
    }

    #[test]
    fn schedules_must_parse() {
        for bad in ["bad-expression", "* * * * * *", "1,2 61 * * *", "0 0 31 2 *"] {
            let message = error_of(json!({ "schedule": bad }));
            assert!(
                message.starts_with("json validation error: schedule is not a valid cron expression"),
                "{bad}: {message}"
            );
        }
        assert_eq!(parse_spec(br#"{"schedule": "0 3 * * 1-5"}"#).unwrap().schedule.as_deref(), Some("0 3 * * 1-5"));
    }

    #[test]
    fn the_first_invalid_field_in_healthchecks_order_is_reported() {
        assert_eq!(error_of(json!({"timeout": 1, "grace": 1})), "json validation error: grace is too small");
    }

    #[test]
    fn the_key_may_come_in_the_body() {
        assert_eq!(parse_spec(br#"{"api_key": "k"}"#).unwrap().api_key.as_deref(), Some("k"));
    }

    #[test]
    fn applying_a_spec_changes_only_what_it_names() {
        let mut config = CheckConfig::default();
        config.apply(&parse_spec(br#"{"name": "Backups", "schedule": "0 3 * * *", "tz": "Europe/Riga"}"#).unwrap());
        assert!(config.cron);
        assert_eq!((config.name.as_str(), config.tz.as_str(), config.grace), ("Backups", "Europe/Riga", 3600));
        config.apply(&parse_spec(br#"{"timeout": 120}"#).unwrap());
        assert!(!config.cron, "a timeout switches back to a simple schedule");
        assert_eq!(config.schedule, "0 3 * * *", "the schedule is kept for later");
        assert_eq!(config.name, "Backups");
    }

    #[test]
    fn subjects_map_onto_keywords() {
        let mut config = CheckConfig::default();
        config.apply(&parse_spec(br#"{"subject": "OK", "subject_fail": "FAIL"}"#).unwrap());
        assert_eq!((config.success_kw.as_str(), config.failure_kw.as_str()), ("OK", "FAIL"));
        assert!(config.filter_subject);
    }

    #[test]
    fn unique_matches_on_every_listed_field() {
        let mut config = CheckConfig::default();
        config.apply(&parse_spec(br#"{"name": "a", "tags": "x y"}"#).unwrap());
        let spec = parse_spec(br#"{"name": "a", "tags": "x y", "unique": ["name", "tags"]}"#).unwrap();
        assert!(config.matches_unique(&spec));
        let spec = parse_spec(br#"{"name": "a", "tags": "x", "unique": ["name", "tags"]}"#).unwrap();
        assert!(!config.matches_unique(&spec));
    }

    #[test]
    fn channel_selectors_resolve_ids_and_names() {
        let channels = vec![("id-1".to_owned(), "ops".to_owned()), ("id-2".to_owned(), "dev".to_owned())];
        assert_eq!(ChannelSelector::All.resolve(&channels), Ok(vec!["id-1".into(), "id-2".into()]));
        assert_eq!(ChannelSelector::Nothing.resolve(&channels), Ok(vec![]));
        let list = ChannelSelector::These(vec!["dev".into(), "id-1".into(), "id-2".into()]);
        assert_eq!(list.resolve(&channels), Ok(vec!["id-1".into(), "id-2".into()]));
        assert_eq!(
            ChannelSelector::These(vec!["nope".into()]).resolve(&channels).unwrap_err().to_string(),
            "invalid channel identifier: nope"
        );
        assert_eq!(ChannelSelector::These(vec!["".into()]).resolve(&channels), Err(SpecError::EmptyChannel));
        let twins = vec![("a".to_owned(), "ops".to_owned()), ("b".to_owned(), "ops".to_owned())];
        assert_eq!(
            ChannelSelector::These(vec!["ops".into()]).resolve(&twins),
            Err(SpecError::AmbiguousChannel("ops".into()))
        );
    }
}
