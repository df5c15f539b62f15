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

use crate::alert::{excerpt, Alert, AlertEvent};
use crate::check::FlipReason;
use serde_json::{json, Value};

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
            "source": if alert.event == AlertEvent::Test {
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
