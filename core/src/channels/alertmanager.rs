//! Prometheus Alertmanager: alerts posted to `<url>/api/v2/alerts`, so that
//! a team that routes everything through Alertmanager gets edgebeat's with
//! its routes, silences and inhibitions.
//!
//! A check's down alert (`alertname="EdgebeatCheckDown"`, labelled with the
//! check's name, slug, uuid, project and tags) fires with an end a day
//! ahead; each reminder posts it again, which moves the end; "up" posts it
//! with its end set to the recovery, which resolves it. Alertmanager tells
//! alerts apart by their labels, so the labels of one check's alert never
//! change between posts. `late` fires `EdgebeatCheckLate` until the grace
//! period ends (down and up resolve it); `fail` fires `EdgebeatCheckFailed`
//! for an hour (a success resolves it); the channel test fires
//! `EdgebeatTest` for five minutes.
//!
//! A 404 means the URL is not an Alertmanager's API: a permanent refusal.

use super::text::{details, facts, ping_body};
use super::{Answer, Context, Delivery, Field, Kind, KindInfo, Outgoing};
use crate::alert::{excerpt, Alert, AlertEvent};
use crate::outbox::AttemptResult;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// How long a down alert fires without a reminder renewing it.
pub const DOWN_HORIZON_SECS: i64 = 24 * 3600;
const FAILED_SECS: i64 = 3600;
const TEST_SECS: i64 = 300;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alertmanager {
    pub url: String,
}

impl Kind for Alertmanager {
    const INFO: KindInfo = KindInfo {
        name: "alertmanager",
        title: "Prometheus Alertmanager",
        fields: &[Field::url(
            "url",
            "Alertmanager URL",
            "The Alertmanager's base URL: `https://alertmanager.example.com`.",
        )],
        about: "Give the Alertmanager's URL; edgebeat posts to its /api/v2/alerts and resolves the alert on recovery.",
        example: r#"{"url": "https://alertmanager.example.com"}"#,
    };

    fn endpoint(&self) -> Option<String> {
        Some(self.url.clone())
    }

    fn deliver(&self, alert: &Alert, _: &Context) -> Delivery {
        let url = format!("{}/api/v2/alerts", self.url.trim_end_matches('/'));
        Delivery::Http(Outgoing::json_post(&url, &Value::Array(alerts(alert))))
    }

    fn judge(&self, answer: &Answer) -> AttemptResult {
        match answer.status() {
            Some(404) => answer.refused("the URL is not an Alertmanager's API"),
            _ => answer.result.clone(),
        }
    }
}

/// Labels are `[a-zA-Z_][a-zA-Z0-9_]*` = any text; values are kept short.
fn labels(alert: &Alert, alertname: &str) -> Value {
    let check = &alert.check;
    let mut labels = Map::new();
    labels.insert("alertname".into(), json!(alertname));
    if !matches!(alert.event, AlertEvent::Test | AlertEvent::ChannelFailing { .. }) {
        labels.insert("check".into(), json!(excerpt(check.label(), 200)));
        labels.insert("check_uuid".into(), json!(check.uuid.to_string()));
        if !check.slug.is_empty() {
            labels.insert("slug".into(), json!(check.slug));
        }
        if !check.project.is_empty() {
            labels.insert("project".into(), json!(check.project));
        }
        if !check.tags.is_empty() {
            labels.insert("tags".into(), json!(excerpt(&check.tags, 500)));
        }
    }
    let severity = match alertname {
        "EdgebeatCheckDown" | "EdgebeatCheckFailed" => "critical",
        "EdgebeatCheckLate" | "EdgebeatChannelFailing" => "warning",
        _ => "info",
    };
    labels.insert("severity".into(), json!(severity));
    labels.insert("source".into(), json!("edgebeat"));
    Value::Object(labels)
}

fn annotations(alert: &Alert) -> Value {
    let mut annotations = Map::new();
    annotations.insert("summary".into(), json!(excerpt(&alert.summary(), 1000)));
    annotations.insert("description".into(), json!(details(alert)));
    for (label, value) in facts(alert) {
        annotations.insert(label.to_ascii_lowercase().replace(' ', "_"), json!(value));
    }
    if let Some(body) = ping_body(alert, 2000) {
        annotations.insert("last_ping_body".into(), json!(body));
    }
    annotations.insert("url".into(), json!(alert.check.url));
    Value::Object(annotations)
}

fn posted(alert: &Alert, alertname: &str, starts: Timestamp, ends: Timestamp) -> Value {
    json!({
        "labels": labels(alert, alertname),
        "annotations": annotations(alert),
        "startsAt": starts.iso8601(),
        "endsAt": ends.iso8601(),
        "generatorURL": alert.check.url,
    })
}

/// What one alert posts: the alert it fires and those it resolves.
pub fn alerts(alert: &Alert) -> Vec<Value> {
    let at = alert.at;
    let down_since = |down_for: Option<i64>| down_for.map_or(at, |secs| at.plus_secs(-secs));
    let resolve = |name: &str| posted(alert, name, at, at);
    match alert.event {
        AlertEvent::Down(_) => {
            vec![posted(alert, "EdgebeatCheckDown", at, at.plus_secs(DOWN_HORIZON_SECS)), resolve("EdgebeatCheckLate")]
        }
        AlertEvent::Reminder { down_for_secs } | AlertEvent::StillDown { down_for_secs } => {
            vec![posted(alert, "EdgebeatCheckDown", down_since(down_for_secs), at.plus_secs(DOWN_HORIZON_SECS))]
        }
        AlertEvent::Up { down_for_secs } => {
            vec![posted(alert, "EdgebeatCheckDown", down_since(down_for_secs), at), resolve("EdgebeatCheckLate")]
        }
        AlertEvent::Late => {
            vec![posted(alert, "EdgebeatCheckLate", at, at.plus_secs(alert.check.grace_secs.max(60)))]
        }
        AlertEvent::Fail(_) => vec![posted(alert, "EdgebeatCheckFailed", at, at.plus_secs(FAILED_SECS))],
        AlertEvent::Success => vec![resolve("EdgebeatCheckFailed")],
        AlertEvent::Test => vec![posted(alert, "EdgebeatTest", at, at.plus_secs(TEST_SECS))],
        // Until someone fixes it: a day, like a down alert without reminders.
        AlertEvent::ChannelFailing { .. } => {
            vec![posted(alert, "EdgebeatChannelFailing", at, at.plus_secs(DOWN_HORIZON_SECS))]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::tests::sample;
    use crate::channels::tests::{answer, every_alert, is_refused, request_of};
    use crate::channels::ChannelConfig;
    use crate::check::FlipReason;

    #[test]
    fn down_fires_and_up_resolves_the_same_alert() {
        let down = alerts(&sample(AlertEvent::Down(FlipReason::Timeout)));
        let up = alerts(&sample(AlertEvent::Up { down_for_secs: Some(600) }));
        assert_eq!(down[0]["labels"], up[0]["labels"], "the same labels: the same alert");
        assert_eq!(down[0]["labels"]["alertname"], "EdgebeatCheckDown");
        assert_eq!(down[0]["labels"]["check"], "nightly-backup");
        assert_eq!(down[0]["labels"]["project"], "p1");
        assert_eq!(down[0]["labels"]["tags"], "prod db");
        assert_eq!(down[0]["endsAt"], "2023-11-15T22:13:20+00:00", "a day ahead");
        assert_eq!(up[0]["endsAt"], "2023-11-14T22:13:20+00:00", "resolved at the recovery");
        assert_eq!(up[0]["startsAt"], "2023-11-14T22:03:20+00:00", "started when it went down");
        let reminder = alerts(&sample(AlertEvent::Reminder { down_for_secs: Some(7200) }));
        assert_eq!(reminder[0]["labels"], down[0]["labels"]);
        let request = request_of(
            &ChannelConfig::Alertmanager(Alertmanager { url: "http://127.0.0.1:9093/".into() }),
            &sample(AlertEvent::Late),
        );
        assert_eq!(request.url, "http://127.0.0.1:9093/api/v2/alerts");
    }

    #[test]
    fn every_event_posts_valid_alerts() {
        for alert in every_alert() {
            for posted in alerts(&alert) {
                let starts = &posted["startsAt"];
                assert!(posted["endsAt"].as_str() >= starts.as_str(), "{posted}");
                for (name, value) in posted["labels"].as_object().unwrap() {
                    assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
                    assert!(value.as_str().unwrap().chars().count() <= 500);
                }
            }
        }
    }

    #[test]
    fn a_url_that_is_no_alertmanager_is_a_permanent_refusal() {
        let am = Alertmanager { url: "https://am.example.com".into() };
        assert!(is_refused(&am.judge(&answer(404, "404 page not found"))));
        assert_eq!(am.judge(&answer(400, "bad")), AttemptResult::Status(400));
        assert_eq!(am.judge(&answer(200, "")), AttemptResult::Status(200));
    }
}
