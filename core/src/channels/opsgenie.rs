//! Opsgenie's Alert API: a down creates an alert with the check's `alias`,
//! so that its reminders are counted on the same alert and "up" closes it
//! (`POST /v2/alerts/<alias>/close?identifierType=alias`); `late`, `fail`,
//! `success` and the channel test are alerts of their own. Within
//! Opsgenie's limits: message 130 characters, alias 512, description
//! 15,000, at most 20 tags of 50 characters, details 8,000 in all.
//!
//! 401 (an unknown key), 403 (a key without the right to create alerts) and
//! 422 (a request Opsgenie will never take from this integration) are
//! permanent refusals.

use super::text::{details, facts, ping_body, tone, Tone};
use super::{Answer, Context, Delivery, Field, FieldKind, Kind, KindInfo, Outgoing, Shown};
use crate::alert::{excerpt, Alert, AlertEvent};
use crate::outbox::AttemptResult;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub const US_API: &str = "https://api.opsgenie.com";
pub const EU_API: &str = "https://api.eu.opsgenie.com";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opsgenie {
    pub api_key: String,
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
}

impl Kind for Opsgenie {
    const INFO: KindInfo = KindInfo {
        name: "opsgenie",
        title: "Opsgenie",
        fields: &[
            Field::secret("api_key", "API key", 10, 100, "The API key of an Opsgenie \"API\" integration."),
            Field::new("region", "Region", FieldKind::Choice(&["us", "eu"]), "The account's region.")
                .default("us")
                .shown(Shown::Plain),
            Field::url("api_url", "API URL", "Overrides the region's API (a proxy).").optional(),
        ],
        about: "Add an \"API\" integration to an Opsgenie team and give its API key (and the EU region if yours is).",
        example: r#"{"api_key": "0a1b2c3d-0000-4000-8000-000000000000", "region": "eu"}"#,
    };

    fn endpoint(&self) -> Option<String> {
        Some(self.base())
    }

    fn deliver(&self, alert: &Alert, _: &Context) -> Delivery {
        let base = self.base();
        let base = base.trim_end_matches('/');
        let outgoing = if let AlertEvent::Up { .. } = alert.event {
            let url = format!("{base}/v2/alerts/{}/close?identifierType=alias", check_alias(alert));
            Outgoing::json_post(&url, &json!({"source": "edgebeat", "note": excerpt(&details(alert), 25_000)}))
        } else {
            Outgoing::json_post(&format!("{base}/v2/alerts"), &create(alert))
        };
        Delivery::Http(outgoing.with_header("Authorization", &format!("GenieKey {}", self.api_key)))
    }

    fn judge(&self, answer: &Answer) -> AttemptResult {
        match answer.status() {
            Some(401) => answer.refused("Opsgenie does not know the API key"),
            Some(403) => answer.refused("the API key may not create alerts"),
            Some(422) => answer.refused("Opsgenie will not take requests of this integration"),
            _ => answer.result.clone(),
        }
    }
}

impl Opsgenie {
    fn base(&self) -> String {
        match (&self.api_url, self.region.as_str()) {
            (Some(url), _) => url.clone(),
            (None, "eu") => EU_API.to_owned(),
            (None, _) => US_API.to_owned(),
        }
    }
}

/// The alias of a check's down alert: reminders land on it, "up" closes it.
fn check_alias(alert: &Alert) -> String {
    format!("edgebeat-{}", alert.check.uuid)
}

fn create(alert: &Alert) -> Value {
    let (alias, priority) = match alert.event {
        AlertEvent::Down(_) | AlertEvent::Reminder { .. } | AlertEvent::StillDown { .. } => (check_alias(alert), "P1"),
        // Each is its own alert (its incident key is its own).
        _ => (
            excerpt(&alert.incident_key.replace('/', "-"), 512),
            match tone(alert) {
                Tone::Bad | Tone::Warning => "P3",
                _ => "P5",
            },
        ),
    };
    let mut description = details(alert);
    for (label, value) in facts(alert) {
        description.push_str(&format!("\n{label}: {value}"));
    }
    if let Some(body) = ping_body(alert, 5000) {
        description.push_str(&format!("\n\nLast ping body:\n{body}"));
    }
    description.push_str(&format!("\n\n{}", alert.check.url));
    let tags: Vec<String> = alert
        .check
        .tags
        .split_whitespace()
        .map(|t| excerpt(t, 50))
        .chain(std::iter::once(format!("edgebeat-{}", alert.event_name())))
        .take(20)
        .collect();
    json!({
        "message": excerpt(&alert.summary(), 130),
        "alias": alias,
        "description": excerpt(&description, 15_000),
        "tags": tags,
        "details": {
            "check": excerpt(alert.check.label(), 1000),
            "check_uuid": alert.check.uuid.to_string(),
            "event": alert.event_name(),
            "url": excerpt(&alert.check.url, 1000),
        },
        "entity": excerpt(alert.check.label(), 512),
        "source": "edgebeat",
        "priority": priority,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::tests::sample;
    use crate::channels::tests::{answer, body_json, every_alert, is_refused, request_of};
    use crate::channels::ChannelConfig;
    use crate::check::FlipReason;

    fn opsgenie(region: &str, api_url: Option<&str>) -> ChannelConfig {
        ChannelConfig::Opsgenie(Opsgenie {
            api_key: "KEY".into(),
            region: region.into(),
            api_url: api_url.map(str::to_owned),
        })
    }

    #[test]
    fn down_creates_with_the_checks_alias_and_up_closes_it() {
        let down = request_of(&opsgenie("us", None), &sample(AlertEvent::Down(FlipReason::Timeout)));
        assert_eq!(down.url, "https://api.opsgenie.com/v2/alerts");
        assert!(down.headers.contains(&("Authorization".into(), "GenieKey KEY".into())));
        let body = body_json(&down);
        assert_eq!(body["alias"], "edgebeat-0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b");
        assert_eq!(body["priority"], "P1");
        let reminder =
            body_json(&request_of(&opsgenie("us", None), &sample(AlertEvent::Reminder { down_for_secs: None })));
        assert_eq!(reminder["alias"], body["alias"]);
        let up = request_of(&opsgenie("eu", None), &sample(AlertEvent::Up { down_for_secs: Some(5) }));
        assert_eq!(
            up.url,
            "https://api.eu.opsgenie.com/v2/alerts/edgebeat-0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b/close?identifierType=alias"
        );
        let late = body_json(&request_of(&opsgenie("us", None), &sample(AlertEvent::Late)));
        assert_ne!(late["alias"], body["alias"]);
        let local = request_of(&opsgenie("eu", Some("http://127.0.0.1:9/")), &sample(AlertEvent::Success));
        assert_eq!(local.url, "http://127.0.0.1:9/v2/alerts");
    }

    #[test]
    fn alerts_stay_within_opsgenies_limits() {
        for alert in every_alert() {
            let outgoing = request_of(&opsgenie("us", None), &alert);
            let body = body_json(&outgoing);
            if alert.event_name() == "up" {
                continue;
            }
            assert!(body["message"].as_str().unwrap().chars().count() <= 130);
            assert!(body["alias"].as_str().unwrap().chars().count() <= 512);
            assert!(body["description"].as_str().unwrap().chars().count() <= 15_000);
            let tags = body["tags"].as_array().unwrap();
            assert!(tags.len() <= 20 && tags.iter().all(|t| t.as_str().unwrap().chars().count() <= 50));
            assert!(body["details"].to_string().chars().count() <= 8000);
            assert!(body["entity"].as_str().unwrap().chars().count() <= 512);
        }
    }

    #[test]
    fn refused_keys_are_permanent() {
        let ChannelConfig::Opsgenie(o) = opsgenie("us", None) else { unreachable!() };
        for status in [401, 403, 422] {
            assert!(is_refused(&o.judge(&answer(status, r#"{"message":"Key format is not valid!"}"#))), "{status}");
        }
        assert_eq!(o.judge(&answer(429, "")), AttemptResult::Status(429));
        assert_eq!(o.judge(&answer(202, "")), AttemptResult::Status(202));
    }
}
