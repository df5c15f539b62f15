//! The check fields a client may set, validated with healthchecks.io's rules
//! and messages (`json validation error: timeout is too small`), and how a
//! valid spec changes a check's configuration.

use crate::check::{
    is_valid_slug, slugify, CheckConfig, Schedule, Tags, MAX_NAME, MAX_PERIOD, MAX_SLUG, MAX_THRESHOLD,
    MIN_MAX_RUNTIME, MIN_MIN_RUNTIME, MIN_PERIOD, MIN_REMINDER_INTERVAL,
};
use crate::cron::parse_zone;
use crate::oncalendar::INVALID_MESSAGE;
use crate::time::Timestamp;
use chrono_tz::Tz;
use serde_json::{Map, Value};

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
    /// A query parameter that is wrong (no JSON involved).
    #[error("{0}")]
    Query(String),
    #[error("empty channel identifier")]
    EmptyChannel,
    #[error("invalid channel identifier: {0}")]
    UnknownChannel(String),
    #[error("non-unique channel identifier: {0}")]
    AmbiguousChannel(String),
}

/// Applies the fields present in `spec` to `config`, in healthchecks' order;
/// absent fields stay as they are. `api_version` is the version of the API
/// the request came through (1, 2 or 3): in v1 and v2 a name also sets the
/// slug, to `slugify(name)`, unless the spec names a slug of its own (as
/// healthchecks' `_update` does); v3 changes a slug only when told to.
pub fn apply(spec: &CheckSpec, config: &mut CheckConfig, api_version: u8) {
    if let Some(name) = &spec.name {
        config.name.clone_from(name);
        if api_version < 3 {
            config.slug = slugify(name);
        }
    }
    if let Some(tz) = spec.tz {
        config.monitoring.zone = tz;
    }
    if let Some(schedule) = &spec.schedule {
        config.monitoring.schedule = schedule.clone();
    } else if let Some(timeout) = spec.timeout {
        config.monitoring.schedule = Schedule::Simple { timeout };
    }
    let rules = &mut config.ping_rules;
    // The deprecated email-subject fields map onto the keywords.
    if let Some(subject) = &spec.subject {
        rules.success_kw.clone_from(subject);
        config.filter_subject = !rules.success_kw.is_empty() || !rules.failure_kw.is_empty();
    }
    if let Some(subject_fail) = &spec.subject_fail {
        rules.failure_kw.clone_from(subject_fail);
        config.filter_subject = !rules.success_kw.is_empty() || !rules.failure_kw.is_empty();
    }
    let set = |target: &mut String, value: &Option<String>| {
        if let Some(v) = value {
            target.clone_from(v);
        }
    };
    set(&mut config.slug, &spec.slug);
    set(&mut config.desc, &spec.desc);
    set(&mut rules.start_kw, &spec.start_kw);
    set(&mut rules.success_kw, &spec.success_kw);
    set(&mut rules.failure_kw, &spec.failure_kw);
    if let Some(tags) = &spec.tags {
        config.tags = tags.clone();
    }
    if let Some(post_only) = spec.post_only {
        rules.post_only = post_only;
    }
    let flag = |target: &mut bool, value: Option<bool>| {
        if let Some(v) = value {
            *target = v;
        }
    };
    flag(&mut config.monitoring.manual_resume, spec.manual_resume);
    flag(&mut config.monitoring.expect_first_ping, spec.expect_first_ping);
    flag(&mut config.filter_subject, spec.filter_subject);
    flag(&mut config.filter_body, spec.filter_body);
    flag(&mut rules.filter_http_body, spec.filter_http_body);
    flag(&mut rules.filter_default_fail, spec.filter_default_fail);
    if let Some(grace) = spec.grace {
        config.monitoring.grace = grace;
    }
    let policy = &mut config.monitoring.policy;
    if let Some(threshold) = spec.failure_threshold {
        policy.failure_threshold = threshold;
    }
    if let Some(threshold) = spec.recovery_threshold {
        policy.recovery_threshold = threshold;
    }
    if let Some(max_runtime) = spec.max_runtime {
        policy.max_runtime = max_runtime;
    }
    if let Some(min_runtime) = spec.min_runtime {
        policy.min_runtime = min_runtime;
    }
    if let Some(interval) = spec.reminder_interval {
        policy.reminder_interval = interval;
    }
}

/// Refuses a configuration whose settings, each valid alone, contradict each
/// other once a spec is applied to what the check already had.
pub fn validate(config: &CheckConfig) -> Result<(), SpecError> {
    match config.monitoring.policy.contradiction() {
        Some(problem) => Err(invalid(problem.to_owned())),
        None => Ok(()),
    }
}

/// The request body that gives a new check exactly `config` (through
/// `parse_spec`, then `apply` in API v3): every field, defaults and nulls
/// too, so that it also resets whatever an update leaves unsaid. Clients
/// that keep checks as code (the CLI's `sync`) send this, built from the
/// same types the server validates.
pub fn spec_body(config: &CheckConfig) -> Value {
    let monitoring = &config.monitoring;
    let rules = &config.ping_rules;
    let policy = &monitoring.policy;
    let mut body = serde_json::json!({
        "name": config.name,
        "slug": config.slug,
        "tags": config.tags.as_str(),
        "desc": config.desc,
        "grace": monitoring.grace,
        "tz": monitoring.zone.name(),
        "manual_resume": monitoring.manual_resume,
        "expect_first_ping": monitoring.expect_first_ping,
        "methods": config.methods(),
        "start_kw": rules.start_kw,
        "success_kw": rules.success_kw,
        "failure_kw": rules.failure_kw,
        "filter_subject": config.filter_subject,
        "filter_body": config.filter_body,
        "filter_http_body": rules.filter_http_body,
        "filter_default_fail": rules.filter_default_fail,
        "failure_threshold": policy.failure_threshold,
        "recovery_threshold": policy.recovery_threshold,
        "max_runtime": policy.max_runtime,
        "min_runtime": policy.min_runtime,
        "reminder_interval": policy.reminder_interval,
    });
    match (&monitoring.schedule, monitoring.schedule.expression()) {
        (Schedule::Simple { timeout }, _) => body["timeout"] = Value::from(*timeout),
        (_, expression) => body["schedule"] = Value::from(expression),
    }
    body
}

/// Whether a check's configuration equals the spec on every field named in
/// `unique` (the upsert test of `POST /api/v3/checks/`).
pub fn matches_unique(spec: &CheckSpec, config: &CheckConfig) -> bool {
    unique_values(spec).is_some_and(|values| values.iter().all(|value| value.matches(config)))
}

/// What a check must hold, field by field, to be the one a `unique` upsert
/// updates. `None` when no check can be that one: `unique` is empty, or
/// names a field the spec gives no value (then the request always creates).
/// The store's create is conditional on no check holding these, so two
/// concurrent upserts create one check.
pub fn unique_values(spec: &CheckSpec) -> Option<Vec<UniqueValue>> {
    if spec.unique.is_empty() {
        return None;
    }
    spec.unique
        .iter()
        .map(|field| match field {
            UniqueField::Name => spec.name.clone().map(UniqueValue::Name),
            UniqueField::Slug => spec.slug.clone().map(UniqueValue::Slug),
            UniqueField::Tags => spec.tags.as_ref().map(|tags| UniqueValue::Tags(tags.as_str().to_owned())),
            UniqueField::Timeout => spec.timeout.map(UniqueValue::Timeout),
            UniqueField::Grace => spec.grace.map(UniqueValue::Grace),
        })
        .collect()
}

/// One field's value a `unique` upsert matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UniqueValue {
    Name(String),
    Slug(String),
    /// The tags as stored (normalized, space-separated).
    Tags(String),
    /// A simple schedule with this period (a cron check has none).
    Timeout(i64),
    Grace(i64),
}

impl UniqueValue {
    pub fn matches(&self, config: &CheckConfig) -> bool {
        match self {
            UniqueValue::Name(name) => config.name == *name,
            UniqueValue::Slug(slug) => config.slug == *slug,
            UniqueValue::Tags(tags) => config.tags.as_str() == tags,
            UniqueValue::Timeout(timeout) => {
                matches!(config.monitoring.schedule, Schedule::Simple { timeout: t } if t == *timeout)
            }
            UniqueValue::Grace(grace) => config.monitoring.grace == *grace,
        }
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
        crate::sorting::sort(&mut ids);
        ids.dedup();
        Ok(ids)
    }
}

/// A validated request body for creating or updating a check.
#[derive(Clone, Debug, Default, PartialEq)]
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
    /// An edgebeat extension: a new check expects its first ping.
    pub expect_first_ping: Option<bool>,
    /// `methods`: `"POST"` makes the check POST-only.
    pub post_only: Option<bool>,
    pub name: Option<String>,
    pub schedule: Option<Schedule>,
    pub slug: Option<String>,
    pub start_kw: Option<String>,
    pub subject: Option<String>,
    pub subject_fail: Option<String>,
    pub success_kw: Option<String>,
    pub tags: Option<Tags>,
    pub timeout: Option<i64>,
    pub tz: Option<Tz>,
    pub unique: Vec<UniqueField>,
    /// The key, when a client sends it in the body as healthchecks allows.
    pub api_key: Option<String>,
    pub failure_threshold: Option<i64>,
    pub recovery_threshold: Option<i64>,
    /// `Some(None)`: cleared with `null`.
    pub max_runtime: Option<Option<i64>>,
    pub min_runtime: Option<Option<i64>>,
    pub reminder_interval: Option<i64>,
}

/// The fields edgebeat knows, in the order healthchecks validates them (the
/// first invalid one is reported).
const FIELDS: &[&str] = &[
    "channels",
    "desc",
    "expect_first_ping",
    "failure_kw",
    "failure_threshold",
    "filter_subject",
    "filter_body",
    "filter_http_body",
    "filter_default_fail",
    "grace",
    "manual_resume",
    "max_runtime",
    "methods",
    "min_runtime",
    "name",
    "recovery_threshold",
    "reminder_interval",
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

/// An integer in `min..=max`, with healthchecks-style messages.
fn bounded(field: &str, value: &Value, min: i64, max: i64) -> Result<i64, SpecError> {
    let number = match value {
        Value::Number(n) if n.is_i64() || n.is_u64() => n.as_i64().unwrap_or(i64::MAX),
        _ => return Err(invalid(format!("{field} is not a number"))),
    };
    if number < min {
        return Err(invalid(format!("{field} is too small")));
    }
    if number > max {
        return Err(invalid(format!("{field} is too large")));
    }
    Ok(number)
}

/// A number of seconds, or `null` for none.
fn optional_seconds(field: &str, value: &Value, min: i64) -> Result<Option<i64>, SpecError> {
    match value {
        Value::Null => Ok(None),
        other => bounded(field, other, min, MAX_PERIOD).map(Some),
    }
}

/// The longest snooze.
pub const MAX_SNOOZE_SECS: i64 = 30 * 86_400;

/// Parses `POST /api/v3/checks/<uuid>/snooze`: `{"seconds": N}` or
/// `{"until": "<ISO 8601>"}`, at most 30 days ahead of `now`. Returns the
/// instant the snooze ends.
pub fn parse_snooze(body: &[u8], now: Timestamp) -> Result<Timestamp, SpecError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| SpecError::NotJson)?;
    let object = value.as_object().ok_or(SpecError::NotAnObject)?;
    if let Some(unknown) = object.keys().find(|k| !["seconds", "until", "api_key"].contains(&k.as_str())) {
        return Err(invalid(format!("unknown field {unknown:?}")));
    }
    match (object.get("seconds"), object.get("until")) {
        (Some(seconds), None) => Ok(now.plus_secs(bounded("seconds", seconds, 1, MAX_SNOOZE_SECS)?)),
        (None, Some(until)) => {
            let text = until.as_str().ok_or_else(|| invalid("until is not a string".into()))?;
            let until = chrono::DateTime::parse_from_rfc3339(text)
                .map(|t| Timestamp::from_datetime(&t))
                .map_err(|_| invalid("until is not an ISO 8601 date and time with a zone".into()))?;
            if until <= now {
                return Err(invalid("until is in the past".into()));
            }
            if until > now.plus_secs(MAX_SNOOZE_SECS) {
                return Err(invalid("until is more than 30 days ahead".into()));
            }
            Ok(until)
        }
        _ => Err(invalid("give either seconds or until".into())),
    }
}

/// `?seconds=N` of `POST /ping/<uuid>/snooze`.
pub fn parse_snooze_seconds(query: &[(String, String)], now: Timestamp) -> Result<Timestamp, SpecError> {
    let text = query.iter().find(|(name, _)| name == "seconds").map(|(_, v)| v.as_str());
    let seconds: i64 = text.and_then(|t| t.parse().ok()).ok_or_else(|| invalid("seconds is not a number".into()))?;
    bounded("seconds", &Value::from(seconds), 1, MAX_SNOOZE_SECS).map(|s| now.plus_secs(s))
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
            "expect_first_ping" => spec.expect_first_ping = Some(boolean(field, value)?),
            "failure_kw" => spec.failure_kw = Some(string(field, value, MAX_KEYWORDS)?),
            "failure_threshold" => spec.failure_threshold = Some(bounded(field, value, 1, MAX_THRESHOLD)?),
            "recovery_threshold" => spec.recovery_threshold = Some(bounded(field, value, 1, MAX_THRESHOLD)?),
            "max_runtime" => spec.max_runtime = Some(optional_seconds(field, value, MIN_MAX_RUNTIME)?),
            "min_runtime" => spec.min_runtime = Some(optional_seconds(field, value, MIN_MIN_RUNTIME)?),
            "reminder_interval" => {
                let interval = bounded(field, value, 0, MAX_PERIOD)?;
                if interval != 0 && interval < MIN_REMINDER_INTERVAL {
                    return Err(invalid(format!("{field} is too small (0 turns reminders off)")));
                }
                spec.reminder_interval = Some(interval);
            }
            "filter_subject" => spec.filter_subject = Some(boolean(field, value)?),
            "filter_body" => spec.filter_body = Some(boolean(field, value)?),
            "filter_http_body" => spec.filter_http_body = Some(boolean(field, value)?),
            "filter_default_fail" => spec.filter_default_fail = Some(boolean(field, value)?),
            "grace" => spec.grace = Some(period(field, value)?),
            "manual_resume" => spec.manual_resume = Some(boolean(field, value)?),
            "methods" => match value.as_str() {
                Some(m @ ("" | "POST")) => spec.post_only = Some(m == "POST"),
                _ => return Err(invalid("methods has unexpected value".into())),
            },
            "name" => spec.name = Some(string(field, value, MAX_NAME)?),
            "schedule" => {
                let text = string(field, value, MAX_SCHEDULE)?;
                // healthchecks' one message for a bad cron or OnCalendar schedule.
                let schedule = Schedule::parse(&text).map_err(|_| invalid(INVALID_MESSAGE.to_owned()))?;
                spec.schedule = Some(schedule);
            }
            "slug" => {
                let text = string(field, value, MAX_SLUG)?;
                // healthchecks allows an empty slug (a check without one).
                if !text.is_empty() && !is_valid_slug(&text) {
                    return Err(invalid("slug does not match pattern".into()));
                }
                spec.slug = Some(text);
            }
            "start_kw" => spec.start_kw = Some(string(field, value, MAX_KEYWORDS)?),
            "subject" => spec.subject = Some(string(field, value, MAX_KEYWORDS)?),
            "subject_fail" => spec.subject_fail = Some(string(field, value, MAX_KEYWORDS)?),
            "success_kw" => spec.success_kw = Some(string(field, value, MAX_KEYWORDS)?),
            "tags" => spec.tags = Some(Tags::parse(&string(field, value, MAX_TAGS)?)),
            "timeout" => spec.timeout = Some(period(field, value)?),
            "tz" => {
                let text = value.as_str().ok_or_else(|| invalid("tz is not a string".into()))?;
                let zone = parse_zone(text).map_err(|_| invalid("tz is not a valid timezone".into()))?;
                spec.tz = Some(zone);
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
    crate::sorting::sort(&mut unknown);
    if let Some(first) = unknown.first() {
        return Err(invalid(format!("unknown field {first:?}")));
    }
    Ok(spec)
}

#[cfg(test)]
pub(crate) mod tests {
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
            (json!({"expect_first_ping": 1}), "json validation error: expect_first_ping is not a boolean"),
            (json!({"graze": 60}), "json validation error: unknown field \"graze\""),
        ];
        for (body, message) in cases {
            assert_eq!(error_of(body.clone()), message, "{body}");
        }
    }

    #[test]
    fn alert_policy_fields_are_validated_and_applied() {
        let cases = [
            (json!({"failure_threshold": 0}), "json validation error: failure_threshold is too small"),
            (json!({"failure_threshold": 101}), "json validation error: failure_threshold is too large"),
            (json!({"recovery_threshold": "2"}), "json validation error: recovery_threshold is not a number"),
            (json!({"max_runtime": 59}), "json validation error: max_runtime is too small"),
            (json!({"max_runtime": 1.5}), "json validation error: max_runtime is not a number"),
            (json!({"min_runtime": 0}), "json validation error: min_runtime is too small"),
            (json!({"min_runtime": 31_536_001}), "json validation error: min_runtime is too large"),
            (
                json!({"reminder_interval": 299}),
                "json validation error: reminder_interval is too small (0 turns reminders off)",
            ),
            (json!({"reminder_interval": -1}), "json validation error: reminder_interval is too small"),
        ];
        for (body, message) in cases {
            assert_eq!(error_of(body.clone()), message, "{body}");
        }
        let mut config = CheckConfig::default();
        let spec = parse_spec(
            br#"{"failure_threshold": 3, "recovery_threshold": 2, "max_runtime": 600, "min_runtime": 30,
                 "reminder_interval": 300}"#,
        )
        .unwrap();
        apply(&spec, &mut config, 3);
        let policy = config.monitoring.policy;
        assert_eq!((policy.failure_threshold, policy.recovery_threshold), (3, 2));
        assert_eq!((policy.max_runtime, policy.min_runtime, policy.reminder_interval), (Some(600), Some(30), 300));
        // null clears a runtime limit; absent fields keep theirs.
        apply(&parse_spec(br#"{"max_runtime": null, "reminder_interval": 0}"#).unwrap(), &mut config, 3);
        let policy = config.monitoring.policy;
        assert_eq!((policy.max_runtime, policy.min_runtime, policy.reminder_interval), (None, Some(30), 0));
        assert_eq!(policy.failure_threshold, 3);
        assert_eq!(validate(&config), Ok(()));
        // Each valid alone, together every run would fail; also when one
        // of them was stored before.
        apply(&parse_spec(br#"{"max_runtime": 60}"#).unwrap(), &mut config, 3);
        assert_eq!(validate(&config), Ok(()));
        apply(&parse_spec(br#"{"min_runtime": 60}"#).unwrap(), &mut config, 3);
        assert_eq!(
            validate(&config).map_err(|e| e.to_string()),
            Err("json validation error: min_runtime must be less than max_runtime".into())
        );
    }

    /// A configuration with every field away from its default.
    pub(crate) fn everything_set() -> CheckConfig {
        let mut config = CheckConfig::default();
        let body = json!({
            "name": "Nightly backup", "slug": "nightly", "tags": "prod  db", "desc": "pg_dump",
            "schedule": "Mon..Fri 02:00", "tz": "Europe/Riga", "grace": 600, "manual_resume": true,
            "methods": "POST", "start_kw": "go", "success_kw": "ok", "failure_kw": "ERROR",
            "filter_subject": true, "filter_body": true, "filter_http_body": true, "filter_default_fail": true,
            "failure_threshold": 3, "recovery_threshold": 2, "max_runtime": 7200, "min_runtime": 30,
            "reminder_interval": 3600, "expect_first_ping": true,
        });
        apply(&parse_spec(body.to_string().as_bytes()).unwrap(), &mut config, 3);
        config
    }

    #[test]
    fn spec_bodies_make_exactly_their_configuration() {
        let cron = CheckConfig {
            monitoring: crate::check::Monitoring {
                schedule: Schedule::parse("15 2 * * *").unwrap(),
                ..crate::check::Monitoring::default()
            },
            ..CheckConfig::default()
        };
        for config in [CheckConfig::default(), everything_set(), cron, CheckConfig::named_after_slug("x")] {
            let body = spec_body(&config);
            let mut made = CheckConfig::default();
            apply(&parse_spec(body.to_string().as_bytes()).unwrap(), &mut made, 3);
            assert_eq!(made, config, "{body}");
            assert_eq!(validate(&made), Ok(()));
            // Over another check too: nothing of it is left.
            let mut edited = everything_set();
            apply(&parse_spec(body.to_string().as_bytes()).unwrap(), &mut edited, 3);
            assert_eq!(edited, config, "{body}");
        }
        let body = spec_body(&CheckConfig::default());
        assert_eq!((&body["timeout"], body.get("schedule")), (&json!(86_400), None));
        assert_eq!((&body["max_runtime"], &body["reminder_interval"]), (&Value::Null, &json!(0)));
    }

    #[test]
    fn snoozes_last_at_most_thirty_days() {
        let now = Timestamp::from_secs(1_700_000_000);
        assert_eq!(parse_snooze(br#"{"seconds": 600}"#, now), Ok(now.plus_secs(600)));
        assert_eq!(parse_snooze(br#"{"until": "2023-11-15T00:13:20+01:00"}"#, now), Ok(now.plus_secs(3600)));
        let error = |body: &str| parse_snooze(body.as_bytes(), now).unwrap_err().to_string();
        assert_eq!(error(r#"{"seconds": 2592001}"#), "json validation error: seconds is too large");
        assert_eq!(error(r#"{"seconds": 0}"#), "json validation error: seconds is too small");
        assert_eq!(
            error(r#"{"until": "2023-11-14"}"#),
            "json validation error: until is not an ISO 8601 date and time with a zone"
        );
        assert_eq!(error(r#"{"until": "2020-01-01T00:00:00Z"}"#), "json validation error: until is in the past");
        assert_eq!(
            error(r#"{"until": "2030-01-01T00:00:00Z"}"#),
            "json validation error: until is more than 30 days ahead"
        );
        assert_eq!(error(r#"{}"#), "json validation error: give either seconds or until");
        assert_eq!(error(r#"{"seconds": 5, "until": "x"}"#), "json validation error: give either seconds or until");
        assert_eq!(error(r#"{"minutes": 5}"#), "json validation error: unknown field \"minutes\"");
        let query = |v: &str| vec![("seconds".to_owned(), v.to_owned())];
        assert_eq!(parse_snooze_seconds(&query("60"), now), Ok(now.plus_secs(60)));
        assert!(parse_snooze_seconds(&query("x"), now).is_err());
        assert!(parse_snooze_seconds(&[], now).is_err());
        assert!(parse_snooze_seconds(&query("9999999"), now).is_err());
    }

    #[test]
    fn schedules_must_parse() {
        for bad in ["bad-expression", "* * * * * *", "1,2 61 * * *", "0 0 31 2 *"] {
            let message = error_of(json!({ "schedule": bad }));
            assert!(
                message == "json validation error: schedule is not a valid cron or OnCalendar expression",
                "{bad}: {message}"
            );
        }
        assert_eq!(
            parse_spec(br#"{"schedule": "0 3 * * 1-5"}"#)
                .unwrap()
                .schedule
                .and_then(|e| e.expression().map(str::to_owned)),
            Some("0 3 * * 1-5".into())
        );
        let calendar = parse_spec(br#"{"schedule": "Mon..Fri 02:00"}"#).unwrap().schedule.unwrap();
        assert_eq!(calendar.kind(), "oncalendar");
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
        apply(
            &parse_spec(br#"{"name": "Backups", "schedule": "0 3 * * *", "tz": "Europe/Riga"}"#).unwrap(),
            &mut config,
            3,
        );
        assert!(matches!(config.monitoring.schedule, Schedule::Cron(_)));
        assert_eq!(
            (config.name.as_str(), config.monitoring.zone.name(), config.monitoring.grace),
            ("Backups", "Europe/Riga", 3600)
        );
        apply(&parse_spec(br#"{"timeout": 120}"#).unwrap(), &mut config, 3);
        assert_eq!(
            config.monitoring.schedule,
            Schedule::Simple { timeout: 120 },
            "a timeout switches back to a simple schedule"
        );
        assert_eq!(config.monitoring.zone.name(), "Europe/Riga", "the zone is kept for later");
        assert_eq!(config.name, "Backups");
    }

    #[test]
    fn api_v1_and_v2_derive_the_slug_from_the_name() {
        for version in [1, 2] {
            let mut config = CheckConfig { slug: "old".into(), ..CheckConfig::default() };
            apply(&parse_spec(br#"{"name": "Nightly Backup (prod)"}"#).unwrap(), &mut config, version);
            assert_eq!((config.name.as_str(), config.slug.as_str()), ("Nightly Backup (prod)", "nightly-backup-prod"));
            apply(
                &parse_spec(r#"{"name": "Crème Brûlée", "slug": "dessert"}"#.as_bytes()).unwrap(),
                &mut config,
                version,
            );
            assert_eq!(config.slug, "dessert", "an explicit slug wins, in v{version} too");
            apply(&parse_spec(br#"{"tags": "db"}"#).unwrap(), &mut config, version);
            assert_eq!(config.slug, "dessert", "no name, no new slug");
            apply(&parse_spec(br#"{"name": "!!!"}"#).unwrap(), &mut config, version);
            assert_eq!(config.slug, "", "a name with nothing to keep clears the slug, as in healthchecks");
        }
        let mut config = CheckConfig { slug: "kept".into(), ..CheckConfig::default() };
        apply(&parse_spec(br#"{"name": "Nightly Backup"}"#).unwrap(), &mut config, 3);
        assert_eq!(config.slug, "kept", "v3 keeps its explicit slug");
    }

    #[test]
    fn subjects_map_onto_keywords() {
        let mut config = CheckConfig::default();
        apply(&parse_spec(br#"{"subject": "OK", "subject_fail": "FAIL"}"#).unwrap(), &mut config, 3);
        assert_eq!((config.ping_rules.success_kw.as_str(), config.ping_rules.failure_kw.as_str()), ("OK", "FAIL"));
        assert!(config.filter_subject);
    }

    #[test]
    fn unique_matches_on_every_listed_field() {
        let mut config = CheckConfig::default();
        apply(&parse_spec(br#"{"name": "a", "tags": "x y"}"#).unwrap(), &mut config, 3);
        let spec = parse_spec(br#"{"name": "a", "tags": "x y", "unique": ["name", "tags"]}"#).unwrap();
        assert!(matches_unique(&spec, &config));
        let spec = parse_spec(br#"{"name": "a", "tags": "x", "unique": ["name", "tags"]}"#).unwrap();
        assert!(!matches_unique(&spec, &config));
        // A listed field the spec leaves out matches nothing: such a request always creates.
        let spec = parse_spec(br#"{"name": "a", "unique": ["name", "tags"]}"#).unwrap();
        assert_eq!(unique_values(&spec), None);
        assert!(!matches_unique(&spec, &config));
        assert_eq!(unique_values(&parse_spec(br#"{"name": "a"}"#).unwrap()), None, "no unique, no match");
    }

    #[test]
    fn unique_timeout_matches_only_a_simple_schedule() {
        let spec = parse_spec(br#"{"timeout": 3600, "grace": 60, "unique": ["timeout", "grace"]}"#).unwrap();
        assert_eq!(unique_values(&spec), Some(vec![UniqueValue::Timeout(3600), UniqueValue::Grace(60)]));
        let mut config = CheckConfig::default();
        apply(&spec, &mut config, 3);
        assert!(matches_unique(&spec, &config));
        apply(&parse_spec(br#"{"schedule": "0 * * * *"}"#).unwrap(), &mut config, 3);
        assert!(!matches_unique(&spec, &config), "a cron check has no period");
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
