//! PagerDuty Events API v2: `trigger` when a check goes down, `resolve` with
//! the same `dedup_key` when it recovers, so recovery closes the incident.
//! Reminders and the notice after a mute re-trigger that same `dedup_key`
//! (PagerDuty deduplicates them into the open incident). A channel only gets
//! `late`, `fail` or `success` events when it asks for them; they are
//! triggers of their own (`warning` for late, `info` for success).
//!
//! `class` is what PagerDuty calls "the class/type of the event" (its
//! examples: "ping failure", "cpu load"): it names what went wrong, such as
//! `missed_ping` for a check that got no ping on time.

//!
//! PagerDuty answers 400 for an event it cannot accept (an unknown or
//! disabled routing key among them: "Invalid routing key"), which is
//! permanent; 429 and 5xx are worth another try.

use super::{Answer, Context, Delivery, Field, FieldKind, Kind, KindInfo, Outgoing};
use crate::alert::{excerpt, Alert, AlertEvent};
use crate::check::FlipReason;
use crate::outbox::AttemptResult;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub const DEFAULT_EVENTS_URL: &str = "https://events.pagerduty.com/v2/enqueue";
pub const SEVERITIES: &[&str] = &["critical", "error", "warning", "info"];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PagerDuty {
    pub routing_key: String,
    pub severity: String,
    pub events_url: String,
}

impl Kind for PagerDuty {
    const INFO: KindInfo = KindInfo {
        name: "pagerduty",
        title: "PagerDuty (Events API v2)",
        fields: &[
            Field::secret("routing_key", "Routing key", 1, 100, "Events API v2 routing key (integration key)."),
            Field::new("severity", "Severity", FieldKind::Choice(SEVERITIES), "The severity of a down alert.")
                .default("critical"),
            Field::url("events_url", "Events API URL", "Where events go (EU accounts or a proxy).")
                .default(DEFAULT_EVENTS_URL),
        ],
        about: "Add an \"Events API v2\" integration to a PagerDuty service and paste its integration key.",
        example: r#"{"routing_key": "R0UTINGKEY0123456789", "severity": "critical"}"#,
    };

    fn endpoint(&self) -> Option<String> {
        Some(self.events_url.clone())
    }

    fn deliver(&self, alert: &Alert, _: &Context) -> Delivery {
        Delivery::Http(Outgoing::json_post(&self.events_url, &event(alert, &self.routing_key, &self.severity)))
    }

    fn judge(&self, answer: &Answer) -> AttemptResult {
        match answer.status() {
            Some(400) if answer.body.to_ascii_lowercase().contains("routing key") => {
                answer.refused("PagerDuty does not know the routing key")
            }
            Some(404) => answer.refused("the events URL is not PagerDuty's Events API"),
            _ => answer.result.clone(),
        }
    }
}

pub fn event(alert: &Alert, routing_key: &str, severity: &str) -> Value {
    let check = &alert.check;
    if let AlertEvent::Up { .. } = alert.event {
        return json!({
            "routing_key": routing_key,
            "event_action": "resolve",
            "dedup_key": alert.incident_key,
        });
    }
    let (class, severity) = match alert.event {
        AlertEvent::Down(FlipReason::Timeout) => ("missed_ping", severity),
        AlertEvent::Down(FlipReason::RanTooLong) => ("ran_too_long", severity),
        AlertEvent::Down(FlipReason::TooFast) => ("too_fast", severity),
        AlertEvent::Down(FlipReason::NeverRan) => ("never_ran", severity),
        AlertEvent::Down(_) | AlertEvent::Fail(_) => ("failed", severity),
        AlertEvent::Reminder { .. } | AlertEvent::StillDown { .. } => ("still_down", severity),
        AlertEvent::Late => ("ping_overdue", "warning"),
        AlertEvent::Success => ("success", "info"),
        AlertEvent::ChannelFailing { .. } => ("channel_failing", "warning"),
        AlertEvent::Test | AlertEvent::Up { .. } => ("test", "info"),
    };
    let last_ping = alert.last_ping.as_ref().map(|p| {
        json!({
            "at": p.at.iso8601(),
            "kind": p.kind.as_str(),
            "exit_status": p.exit_status,
            "body": excerpt(&p.body_excerpt, 1000),
        })
    });
    let dedup_key = if alert.event == AlertEvent::Test {
        format!("{}/test", alert.incident_key)
    } else {
        alert.incident_key.clone()
    };
    json!({
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": dedup_key,
        "payload": {
            "summary": excerpt(&alert.summary(), 1000),
            "source": if matches!(alert.event, AlertEvent::Test | AlertEvent::ChannelFailing { .. }) {
                format!("edgebeat channel {}", check.label())
            } else {
                format!("edgebeat check {}", check.label())
            },
            "severity": severity,
            "timestamp": alert.at.iso8601(),
            "component": if check.slug.is_empty() { check.uuid.to_string() } else { check.slug.clone() },
            "group": check.tags,
            "class": class,
            "custom_details": {
                "details": alert.details(),
                "check_uuid": check.uuid.to_string(),
                "schedule": check.schedule_text(),
                "last_ping": last_ping,
            },
        },
        "links": [{ "href": check.url, "text": "The check in edgebeat" }],
        "client": "edgebeat",
        "client_url": check.url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::tests::sample;

    #[test]
    fn down_triggers_and_up_resolves_the_same_incident() {
        let down = event(&sample(AlertEvent::Down(FlipReason::Timeout)), "RK", "critical");
        assert_eq!(down["event_action"], "trigger");
        assert_eq!(down["routing_key"], "RK");
        assert_eq!(down["payload"]["severity"], "critical");
        assert_eq!(down["payload"]["summary"], "nightly-backup is DOWN: no ping on time");
        assert_eq!(down["payload"]["source"], "edgebeat check nightly-backup");
        assert_eq!(down["payload"]["class"], "missed_ping", "what happened, not a status name");
        assert_eq!(down["payload"]["custom_details"]["last_ping"]["kind"], "success");
        let up = event(&sample(AlertEvent::Up { down_for_secs: Some(60) }), "RK", "critical");
        assert_eq!(up["event_action"], "resolve");
        assert_eq!(up["dedup_key"], down["dedup_key"]);
        assert!(up.get("payload").is_none());
    }

    #[test]
    fn reminders_retrigger_the_incident_and_other_events_page_on_their_own() {
        let down = event(&sample(AlertEvent::Down(FlipReason::Timeout)), "RK", "critical");
        let reminder = event(&sample(AlertEvent::Reminder { down_for_secs: Some(600) }), "RK", "critical");
        assert_eq!(reminder["event_action"], "trigger");
        assert_eq!(reminder["dedup_key"], down["dedup_key"]);
        assert_eq!(reminder["payload"]["class"], "still_down");
        let late = event(&sample(AlertEvent::Late), "RK", "critical");
        assert_eq!(
            (late["event_action"].as_str(), late["payload"]["severity"].as_str()),
            (Some("trigger"), Some("warning"))
        );
        assert_eq!(late["payload"]["class"], "ping_overdue");
        let success = event(&sample(AlertEvent::Success), "RK", "critical");
        assert_eq!(success["payload"]["severity"], "info");
        let fail = event(&sample(AlertEvent::Fail(FlipReason::Fail)), "RK", "critical");
        assert_eq!(fail["payload"]["class"], "failed");
    }

    #[test]
    fn an_unknown_routing_key_is_a_permanent_refusal() {
        use crate::channels::tests::{answer, is_refused};
        let pd =
            PagerDuty { routing_key: "RK".into(), severity: "critical".into(), events_url: DEFAULT_EVENTS_URL.into() };
        let invalid =
            r#"{"status":"invalid event","message":"Event object is invalid","errors":["Invalid routing key"]}"#;
        assert!(is_refused(&pd.judge(&answer(400, invalid))));
        assert_eq!(pd.judge(&answer(429, "")), AttemptResult::Status(429));
        assert_eq!(pd.judge(&answer(202, "")), AttemptResult::Status(202));
    }

    #[test]
    fn events_stay_within_pagerdutys_limits() {
        // The summary at most 1,024 characters; the whole event at most 512 KB.
        for alert in crate::channels::tests::every_alert() {
            let event = event(&alert, "RK", "critical");
            if let Some(summary) = event["payload"]["summary"].as_str() {
                assert!(summary.chars().count() <= 1024);
            }
            assert!(event.to_string().len() < 512 * 1024);
        }
    }

    #[test]
    fn tests_do_not_touch_real_incidents() {
        let test = event(&sample(AlertEvent::Test), "RK", "critical");
        assert_eq!(test["payload"]["severity"], "info");
        assert!(test["dedup_key"].as_str().unwrap().ends_with("/test"));
    }

    #[test]
    fn a_channel_test_says_it_is_a_test_and_invents_no_schedule() {
        let at = crate::time::Timestamp::from_secs(1_700_000_000);
        let alert = Alert::channel_test("on call", "c1", "https://eb.example/app/#/channels".into(), at);
        let test = event(&alert, "RK", "critical");
        let payload = &test["payload"];
        assert_eq!(payload["class"], "test");
        assert_eq!(payload["source"], "edgebeat channel on call");
        assert_eq!(payload["summary"], "Test notification from edgebeat to on call");
        assert!(payload["custom_details"]["details"].as_str().unwrap().starts_with("This is a test"));
        assert_eq!(payload["custom_details"]["schedule"], Value::Null);
        assert_eq!(payload["custom_details"]["last_ping"], Value::Null);
        assert!(!test.to_string().contains("every"), "{test}");
    }
}
