//! How checks look in API responses: the keys and meanings of healthchecks.io's
//! API v3 check object, for read-write and read-only keys.

use super::spec::CheckConfig;
use crate::domain::check::{CheckState, Monitoring};
use crate::domain::ids::{unique_key, Uuid};
use crate::domain::time::Timestamp;
use serde_json::{json, Map, Value};

/// A check as stored, with everything the API shows.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckRecord {
    /// The internal row id (never shown).
    pub id: i64,
    pub uuid: Uuid,
    pub project_id: String,
    pub config: CheckConfig,
    pub state: CheckState,
    pub n_pings: i64,
    /// Ids of the channels this check notifies, sorted.
    pub channels: Vec<String>,
    /// The unguessable key of the check's badge URLs.
    pub badge_key: String,
    /// Bumped by every configuration change (never shown).
    pub config_version: i64,
}

/// Where edgebeat is reachable, for the URLs inside responses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Urls {
    /// Scheme and host, no trailing slash: `https://edgebeat.example.workers.dev`.
    pub base: String,
    /// The API version of the request (1, 2 or 3): URLs echo it.
    pub api_version: u8,
}

impl Urls {
    pub fn ping_url(&self, uuid: &Uuid) -> String {
        format!("{}/ping/{uuid}", self.base)
    }

    pub fn check_url(&self, uuid: &Uuid) -> String {
        format!("{}/api/v{}/checks/{uuid}", self.base, self.api_version)
    }
}

/// The check object. A read-only key sees `unique_key` instead of the UUID
/// and none of the URLs that would let it ping or change the check.
pub fn check_json(check: &CheckRecord, monitoring: &Monitoring, urls: &Urls, read_only: bool, now: Timestamp) -> Value {
    let config = &check.config;
    let state = &check.state;
    let mut object = Map::new();
    let mut put = |key: &str, value: Value| {
        object.insert(key.to_owned(), value);
    };
    put("name", json!(config.name));
    put("slug", json!(config.slug));
    put("tags", json!(config.tags));
    put("desc", json!(config.desc));
    put("grace", json!(config.grace));
    put("n_pings", json!(check.n_pings));
    put("status", json!(monitoring.status_at(state, now).as_str()));
    put("started", json!(state.last_start.is_some()));
    put("last_ping", json!(state.last_ping.map(Timestamp::iso8601)));
    put("next_ping", json!(monitoring.grace_start(state, true).map(Timestamp::iso8601)));
    put("manual_resume", json!(config.manual_resume));
    put("methods", json!(config.methods));
    put("subject", json!(if config.filter_subject { config.success_kw.as_str() } else { "" }));
    put("subject_fail", json!(if config.filter_subject { config.failure_kw.as_str() } else { "" }));
    put("start_kw", json!(config.start_kw));
    put("success_kw", json!(config.success_kw));
    put("failure_kw", json!(config.failure_kw));
    put("filter_subject", json!(config.filter_subject));
    put("filter_body", json!(config.filter_body));
    put("filter_http_body", json!(config.filter_http_body));
    put("filter_default_fail", json!(config.filter_default_fail));
    put("badge_url", json!(format!("{}/b/2/{}.svg", urls.base, check.badge_key)));
    if let Some(ms) = state.last_duration.filter(|ms| *ms >= 1000) {
        put("last_duration", json!(ms / 1000));
    }
    if read_only {
        put("unique_key", json!(unique_key(&check.uuid)));
    } else {
        let update_url = urls.check_url(&check.uuid);
        put("uuid", json!(check.uuid.to_string()));
        put("ping_url", json!(urls.ping_url(&check.uuid)));
        put("pause_url", json!(format!("{update_url}/pause")));
        put("resume_url", json!(format!("{update_url}/resume")));
        put("update_url", json!(update_url));
        put("channels", json!(check.channels.join(",")));
    }
    if config.cron {
        put("schedule", json!(config.schedule));
        put("tz", json!(config.tz));
    } else {
        put("timeout", json!(config.timeout));
    }
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::api::spec::parse_spec;
    use crate::domain::check::{PingKind, Status};

    const T0: Timestamp = Timestamp::from_secs(1_700_000_000);

    fn record(config: CheckConfig, state: CheckState) -> CheckRecord {
        CheckRecord {
            id: 1,
            uuid: Uuid::parse("0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b").unwrap(),
            project_id: "p".into(),
            config,
            state,
            n_pings: 3,
            channels: vec!["a".into(), "b".into()],
            badge_key: "bk".into(),
            config_version: 0,
        }
    }

    fn urls() -> Urls {
        Urls { base: "https://eb.example".into(), api_version: 3 }
    }

    #[test]
    fn a_read_write_view_has_the_urls() {
        let check = record(CheckConfig::default(), CheckState::new_check());
        let m = check.config.monitoring().unwrap();
        let body = check_json(&check, &m, &urls(), false, T0);
        assert_eq!(body["uuid"], "0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b");
        assert_eq!(body["ping_url"], "https://eb.example/ping/0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b");
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
        let m = check.config.monitoring().unwrap();
        let body = check_json(&check, &m, &urls(), true, T0);
        for hidden in ["uuid", "ping_url", "update_url", "pause_url", "resume_url", "channels"] {
            assert!(body.get(hidden).is_none(), "{hidden} must not be shown to a read-only key");
        }
        assert_eq!(body["unique_key"].as_str().map(str::len), Some(40));
    }

    #[test]
    fn cron_checks_show_schedule_and_zone_and_durations_in_seconds() {
        let mut config = CheckConfig::default();
        config.apply(&parse_spec(br#"{"schedule": "0 * * * *", "tz": "Europe/Riga"}"#).unwrap());
        let m = config.monitoring().unwrap();
        let state = m.ping(&CheckState::new_check(), PingKind::Start, None, None, T0).state;
        let state = m.ping(&state, PingKind::Success, None, None, T0.plus_millis(61_500)).state;
        assert_eq!(state.status, Status::Up);
        let body = check_json(&record(config, state), &m, &urls(), false, T0.plus_secs(62));
        assert_eq!(body["schedule"], "0 * * * *");
        assert_eq!(body["tz"], "Europe/Riga");
        assert_eq!(body["last_duration"], 61);
        assert_eq!(body["last_ping"], "2023-11-14T22:14:21+00:00");
        assert_eq!(body["next_ping"], "2023-11-14T23:00:00+00:00");
        assert!(body.get("timeout").is_none());
    }
}
