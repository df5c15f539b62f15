//! How checks look in API responses: the keys and meanings of healthchecks.io's
//! check object (`Check.to_dict`) in API v1, v2 and v3, for read-write and
//! read-only keys.

use crate::check::{Check, Schedule};
use crate::ids::{unique_key, Uuid};
use crate::maintenance::OpenWindows;
use crate::time::Timestamp;
use serde_json::{json, Map, Value};

/// Where edgebeat is reachable, for the URLs inside responses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Urls {
    /// Scheme and host, no trailing slash: `https://edgebeat.example.workers.dev`.
    pub base: String,
    /// The API version of the request (1, 2 or 3): URLs echo it.
    pub api_version: u8,
    /// The domain of email pings (`PING_EMAIL_DOMAIN`), when set.
    pub ping_email_domain: Option<String>,
}

impl Urls {
    pub fn ping_url(&self, uuid: &Uuid) -> String {
        format!("{}/ping/{uuid}", self.base)
    }

    pub fn check_url(&self, uuid: &Uuid) -> String {
        format!("{}/api/v{}/checks/{uuid}", self.base, self.api_version)
    }

    /// The check's page in the dashboard: where alerts link.
    pub fn check_page(&self, uuid: &Uuid) -> String {
        format!("{}/app/#/checks/{uuid}", self.base)
    }
}

/// The check object. A read-only key sees `unique_key` instead of the UUID
/// and none of the URLs that would let it ping or change the check;
/// `channels` are the ids of the channels it notifies, sorted;
/// `snoozed_until` is until when its notifications are held, by its own
/// snooze or by the project's maintenance `windows` open at `now`.
pub fn check_json(
    check: &Check,
    channels: &[String],
    urls: &Urls,
    read_only: bool,
    now: Timestamp,
    windows: &OpenWindows,
) -> Value {
    let config = &check.config;
    let monitoring = &config.monitoring;
    let rules = &config.ping_rules;
    let state = &check.state;
    let mut object = Map::new();
    let mut put = |key: &str, value: Value| {
        object.insert(key.to_owned(), value);
    };
    put("name", json!(config.name));
    put("slug", json!(config.slug));
    put("tags", json!(config.tags.as_str()));
    put("desc", json!(config.desc));
    put("grace", json!(monitoring.grace));
    put("n_pings", json!(check.n_pings));
    // API v1 folds a running job into the status; v2 and v3 keep `started` apart.
    let status = if urls.api_version == 1 {
        monitoring.status_with_started_at(state, now)
    } else {
        monitoring.status_at(state, now).as_str()
    };
    put("status", json!(status));
    put("started", json!(state.last_start.is_some()));
    put("last_ping", json!(state.last_ping.map(Timestamp::iso8601)));
    put("next_ping", json!(monitoring.grace_start(state, true).map(Timestamp::iso8601)));
    put("manual_resume", json!(monitoring.manual_resume));
    // edgebeat extensions: whether a new check expects its first ping, and
    // for one that never got it, since when it has waited and after what
    // (`created` or `resumed`).
    put("expect_first_ping", json!(monitoring.expect_first_ping));
    let never_ran = check.never_ran_since();
    put("never_ran_since", json!(never_ran.map(|(since, _)| since.iso8601())));
    let after = |created: bool| if created { "created" } else { "resumed" };
    put("never_ran_after", json!(never_ran.map(|(_, created)| after(created))));
    put("methods", json!(config.methods()));
    put("subject", json!(if config.filter_subject { rules.success_kw.as_str() } else { "" }));
    put("subject_fail", json!(if config.filter_subject { rules.failure_kw.as_str() } else { "" }));
    put("start_kw", json!(rules.start_kw));
    put("success_kw", json!(rules.success_kw));
    put("failure_kw", json!(rules.failure_kw));
    put("filter_subject", json!(config.filter_subject));
    put("filter_body", json!(config.filter_body));
    put("filter_http_body", json!(rules.filter_http_body));
    put("filter_default_fail", json!(rules.filter_default_fail));
    put("badge_url", json!(format!("{}/b/2/{}.svg", urls.base, check.badge_key)));
    let policy = &monitoring.policy;
    put("failure_threshold", json!(policy.failure_threshold));
    put("recovery_threshold", json!(policy.recovery_threshold));
    put("max_runtime", json!(policy.max_runtime));
    put("min_runtime", json!(policy.min_runtime));
    put("reminder_interval", json!(policy.reminder_interval));
    put("snoozed_until", json!(windows.held_until(check, now).map(Timestamp::iso8601)));
    // Whole seconds of any measured run, so 0 for one under a second; like
    // healthchecks (`if self.last_duration:`), a duration of exactly zero is left out.
    if let Some(ms) = state.last_duration.filter(|ms| *ms > 0) {
        put("last_duration", json!(ms / 1000));
    }
    if read_only {
        put("unique_key", json!(unique_key(&check.uuid)));
    } else {
        let update_url = urls.check_url(&check.uuid);
        put("uuid", json!(check.uuid.to_string()));
        put("ping_url", json!(urls.ping_url(&check.uuid)));
        if let Some(domain) = &urls.ping_email_domain {
            // healthchecks' `email`: the check's ping address.
            put("email", json!(format!("{}@{domain}", check.uuid)));
        }
        put("pause_url", json!(format!("{update_url}/pause")));
        put("resume_url", json!(format!("{update_url}/resume")));
        put("update_url", json!(update_url));
        put("channels", json!(channels.join(",")));
    }
    match (&monitoring.schedule, monitoring.schedule.expression()) {
        (Schedule::Simple { timeout }, _) => put("timeout", json!(timeout)),
        (_, expression) => {
            put("schedule", json!(expression));
            put("tz", json!(monitoring.zone.name()));
        }
    }
    Value::Object(object)
}

/// The check fields of a check object that say its configuration: what a
/// client reads back to compare with what it wants (the spec fields, less
/// `channels`, which are ids here, and the deprecated `subject`s, which
/// `filter_subject` and the keywords already say).
const CONFIG_FIELDS: [&str; 23] = [
    "name",
    "slug",
    "tags",
    "desc",
    "grace",
    "timeout",
    "schedule",
    "tz",
    "manual_resume",
    "expect_first_ping",
    "methods",
    "start_kw",
    "success_kw",
    "failure_kw",
    "filter_subject",
    "filter_body",
    "filter_http_body",
    "filter_default_fail",
    "failure_threshold",
    "recovery_threshold",
    "max_runtime",
    "min_runtime",
    "reminder_interval",
];

/// Reads a check's configuration back from its check object (as
/// `check_json` shows it to a read-write key), with the API's own spec
/// rules. A period check shows no zone: it reads as UTC. Fields a server
/// does not show (an older one without the alert policy) read as their
/// defaults.
pub fn config_of(object: &Value) -> Result<crate::check::CheckConfig, crate::api::spec::SpecError> {
    use crate::api::spec::{apply, parse_spec, SpecError};
    let object = object.as_object().ok_or(SpecError::NotAnObject)?;
    let mut fields: Map<String, Value> = CONFIG_FIELDS
        .iter()
        .filter_map(|field| object.get(*field).map(|value| ((*field).to_owned(), value.clone())))
        .collect();
    if fields.contains_key("schedule") {
        fields.remove("timeout");
    }
    let spec = parse_spec(Value::Object(fields).to_string().as_bytes())?;
    let mut config = crate::check::CheckConfig::default();
    apply(&spec, &mut config, 3);
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::spec::{apply, parse_spec};
    use crate::check::{CheckConfig, CheckState, PingKind, Status};

    const T0: Timestamp = Timestamp::from_secs(1_700_000_000);

    fn record(config: CheckConfig, state: CheckState) -> Check {
        Check {
            id: 1,
            uuid: Uuid::parse("0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b").unwrap(),
            project_id: "p".into(),
            config,
            state,
            n_pings: 3,
            badge_key: "bk".into(),
            config_version: 0,
            routes: crate::routing::Routes::default(),
            created_at: T0,
            status_changed_at: None,
        }
    }

    fn urls() -> Urls {
        Urls { base: "https://eb.example".into(), api_version: 3, ping_email_domain: None }
    }

    #[test]
    fn a_read_write_view_has_the_urls() {
        let check = record(CheckConfig::default(), CheckState::new_check());
        let body = check_json(&check, &["a".into(), "b".into()], &urls(), false, T0, &OpenWindows::default());
        assert_eq!(body["uuid"], "0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b");
        assert_eq!(body["ping_url"], "https://eb.example/ping/0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b");
        assert_eq!(body.get("email"), None, "no email pings unless PING_EMAIL_DOMAIN is set");
        let with_email = Urls { ping_email_domain: Some("ping.eb.example".into()), ..urls() };
        let emailed = check_json(&check, &[], &with_email, false, T0, &OpenWindows::default());
        assert_eq!(emailed["email"], "0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b@ping.eb.example");
        assert_eq!(body["update_url"], "https://eb.example/api/v3/checks/0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b");
        assert_eq!(body["pause_url"], "https://eb.example/api/v3/checks/0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b/pause");
        assert_eq!(body["channels"], "a,b");
        assert_eq!(body["badge_url"], "https://eb.example/b/2/bk.svg");
        assert_eq!(body["status"], "new");
        assert_eq!(body["timeout"], 86400);
        assert_eq!(body["last_ping"], Value::Null);
        assert!(body.get("unique_key").is_none() && body.get("schedule").is_none());
    }

    #[test]
    fn a_read_only_view_hides_what_grants_access() {
        let check = record(CheckConfig::default(), CheckState::new_check());
        let body = check_json(&check, &["a".into()], &urls(), true, T0, &OpenWindows::default());
        for hidden in ["uuid", "ping_url", "update_url", "pause_url", "resume_url", "channels"] {
            assert!(body.get(hidden).is_none(), "{hidden} must not be shown to a read-only key");
        }
        assert_eq!(body["unique_key"].as_str().map(str::len), Some(40));
    }

    #[test]
    fn cron_checks_show_schedule_and_zone_and_durations_in_seconds() {
        let mut config = CheckConfig::default();
        apply(&parse_spec(br#"{"schedule": "0 * * * *", "tz": "Europe/Riga"}"#).unwrap(), &mut config, 3);
        let m = config.monitoring.clone();
        let state = m.ping(&CheckState::new_check(), PingKind::Start, None, None, T0).state;
        let state = m.ping(&state, PingKind::Success, None, None, T0.plus_millis(61_500)).state;
        assert_eq!(state.status, Status::Up);
        let body = check_json(&record(config, state), &[], &urls(), false, T0.plus_secs(62), &OpenWindows::default());
        assert_eq!(body["schedule"], "0 * * * *");
        assert_eq!(body["tz"], "Europe/Riga");
        assert_eq!(body["last_duration"], 61);
        assert_eq!(body["last_ping"], "2023-11-14T22:14:21+00:00");
        assert_eq!(body["next_ping"], "2023-11-14T23:00:00+00:00");
        assert!(body.get("timeout").is_none());
    }

    #[test]
    fn runs_shorter_than_a_second_report_zero_seconds() {
        let config = CheckConfig::default();
        let m = config.monitoring.clone();
        let state = m.ping(&CheckState::new_check(), PingKind::Start, None, None, T0).state;
        let quick = m.ping(&state, PingKind::Success, None, None, T0.plus_millis(250)).state;
        let body =
            check_json(&record(config.clone(), quick), &[], &urls(), false, T0.plus_secs(1), &OpenWindows::default());
        assert_eq!(body["last_duration"], 0);
        let instant = m.ping(&state, PingKind::Success, None, None, T0).state;
        assert_eq!(instant.last_duration, Some(0));
        let body =
            check_json(&record(config.clone(), instant), &[], &urls(), false, T0.plus_secs(1), &OpenWindows::default());
        assert!(body.get("last_duration").is_none(), "exactly zero is falsy in healthchecks");
        let unmeasured = m.ping(&CheckState::new_check(), PingKind::Success, None, None, T0).state;
        let body =
            check_json(&record(config, unmeasured), &[], &urls(), false, T0.plus_secs(1), &OpenWindows::default());
        assert!(body.get("last_duration").is_none());
    }

    #[test]
    fn api_v1_reports_a_running_check_as_started() {
        let config = CheckConfig::default();
        let state = config.monitoring.ping(&CheckState::new_check(), PingKind::Start, None, None, T0).state;
        let check = record(config, state);
        for version in [1, 2, 3] {
            let urls = Urls { base: "https://eb.example".into(), api_version: version, ping_email_domain: None };
            let body = check_json(&check, &[], &urls, false, T0.plus_secs(5), &OpenWindows::default());
            let expected = if version == 1 { "started" } else { "new" };
            assert_eq!(
                (body["status"].as_str(), body["started"].as_bool()),
                (Some(expected), Some(true)),
                "v{version}"
            );
            assert!(body["update_url"].as_str().is_some_and(|u| u.contains(&format!("/api/v{version}/"))));
        }
        let late = check_json(
            &check,
            &[],
            &Urls { base: "x".into(), api_version: 1, ping_email_domain: None },
            false,
            T0.plus_secs(3600),
            &OpenWindows::default(),
        );
        assert_eq!(late["status"], "down", "a run that outlived its grace is down in v1 too");
    }

    #[test]
    fn a_check_that_never_ran_shows_since_when_and_after_what() {
        let mut config = CheckConfig::default();
        apply(&parse_spec(br#"{"timeout": 3600, "grace": 600, "expect_first_ping": true}"#).unwrap(), &mut config, 3);
        let m = config.monitoring.clone();
        let check = record(config.clone(), m.created(T0));
        let shown = |check: &Check, at: Timestamp| check_json(check, &[], &urls(), true, at, &OpenWindows::default());
        let waiting = shown(&check, T0.plus_secs(60));
        assert_eq!((waiting["status"].as_str(), waiting["expect_first_ping"].as_bool()), (Some("new"), Some(true)));
        assert_eq!(waiting["next_ping"], "2023-11-14T23:13:20+00:00", "its first expected ping");
        assert_eq!(
            (waiting["never_ran_since"].as_str(), waiting["never_ran_after"].as_str()),
            (Some("2023-11-14T22:13:20+00:00"), Some("created"))
        );
        assert_eq!(shown(&check, T0.plus_secs(3700))["status"], "grace");
        assert_eq!(shown(&check, T0.plus_secs(4200))["status"], "down");
        let resumed = m.resume(&m.pause(&check.state, T0).state, T0.plus_secs(100)).unwrap().state;
        assert_eq!(shown(&record(config.clone(), resumed), T0.plus_secs(200))["never_ran_after"], "resumed");
        let pinged = m.ping(&check.state, PingKind::Success, None, None, T0.plus_secs(5)).state;
        let up = shown(&record(config.clone(), pinged), T0.plus_secs(6));
        assert_eq!((up["never_ran_since"].clone(), up["never_ran_after"].clone()), (Value::Null, Value::Null));
        // Without the setting, a check that never ran claims nothing.
        let plain = CheckConfig { monitoring: crate::check::Monitoring { expect_first_ping: false, ..m }, ..config };
        let plain = shown(&record(plain, check.state.clone()), T0.plus_secs(99_999));
        assert_eq!((plain["status"].as_str(), plain["never_ran_since"].clone()), (Some("new"), Value::Null));
    }

    #[test]
    fn a_check_object_reads_back_as_its_configuration() {
        let cron = CheckConfig {
            monitoring: crate::check::Monitoring {
                schedule: Schedule::parse("15 2 * * *").unwrap(),
                zone: "Europe/Riga".parse().unwrap(),
                ..crate::check::Monitoring::default()
            },
            ..CheckConfig::default()
        };
        let everything = crate::api::spec::tests::everything_set();
        for config in [CheckConfig::default(), cron, everything] {
            for read_only in [false, true] {
                let shown = check_json(
                    &record(config.clone(), CheckState::new_check()),
                    &[],
                    &urls(),
                    read_only,
                    T0,
                    &Default::default(),
                );
                assert_eq!(config_of(&shown), Ok(config.clone()), "{shown}");
            }
        }
        // An older server's object without the alert policy: the defaults.
        let old = json!({"name": "a", "slug": "a", "tags": "", "desc": "", "grace": 3600, "timeout": 86400});
        assert_eq!(config_of(&old), Ok(CheckConfig { name: "a".into(), slug: "a".into(), ..CheckConfig::default() }));
        assert!(config_of(&json!({"grace": 1})).is_err());
    }
}
