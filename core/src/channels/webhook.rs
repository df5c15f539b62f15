//! Generic webhooks: a documented JSON body, optional extra headers, and an
//! optional HMAC-SHA256 signature receivers can verify:
//!
//! `X-Edgebeat-Signature: sha256=<hex of HMAC-SHA256(secret, "<timestamp>.<body>")>`
//! where `<timestamp>` is the `X-Edgebeat-Timestamp` header (Unix seconds)
//! and `<body>` the raw request body bytes.
//!
//! A receiver that answers 410 Gone says the endpoint is gone for good: a
//! permanent refusal. Other answers keep their usual meaning.

use super::{Answer, Context, Delivery, Field, FieldKind, Kind, KindInfo, Outgoing, Shown, USER_AGENT};
use crate::alert::{excerpt, Alert, AlertEvent};
use crate::check::FlipReason;
use crate::ids::to_hex;
use crate::outbox::AttemptResult;
use crate::time::Timestamp;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::Sha256;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    pub url: String,
    pub method: String,
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    #[serde(default)]
    pub secret: Option<String>,
}

impl Kind for Webhook {
    const INFO: KindInfo = KindInfo {
        name: "webhook",
        title: "Webhook",
        fields: &[
            Field::url("url", "URL", "Where the JSON body goes."),
            Field::new("method", "Method", FieldKind::Choice(&["POST", "PUT", "PATCH"]), "The request's method.")
                .default("POST"),
            Field::new(
                "headers",
                "Headers",
                FieldKind::Headers,
                "Extra request headers: names of letters, digits and `-`, single-line values.",
            )
            .optional()
            .shown(Shown::Names),
            Field::secret(
                "secret",
                "Signing secret",
                16,
                200,
                "Signs each request (`X-Edgebeat-Signature`); 16 to 200 characters.",
            )
            .optional()
            .shown(Shown::Presence("signed")),
        ],
        about: "Any HTTP endpoint: edgebeat sends a documented JSON body, signed when a secret is set.",
        example: r#"{"url": "https://hooks.example.com/edgebeat", "secret": "a-long-random-signing-secret"}"#,
    };

    fn endpoint(&self) -> Option<String> {
        Some(self.url.clone())
    }

    fn deliver(&self, alert: &Alert, context: &Context) -> Delivery {
        let secret = self.secret.as_deref();
        Delivery::Http(request(alert, &self.url, &self.method, &self.headers, secret, context.delivery_id, context.now))
    }

    fn judge(&self, answer: &Answer) -> AttemptResult {
        match answer.status() {
            Some(410) => answer.refused("the endpoint answered 410 Gone"),
            _ => answer.result.clone(),
        }
    }
}

pub fn body(alert: &Alert, delivery_id: &str) -> Value {
    let mut body = check_body(alert, delivery_id);
    if let AlertEvent::ChannelFailing { channel, reason } = &alert.event {
        body["notice"] = json!({"channel": channel, "reason": reason});
    }
    body
}

fn check_body(alert: &Alert, delivery_id: &str) -> Value {
    let check = &alert.check;
    // A late check's reason is only worth saying when it never ran.
    let reason = alert.reason().filter(|r| !matches!(alert.event, AlertEvent::Late) || *r == FlipReason::NeverRan);
    let exit_status = match reason {
        Some(FlipReason::ExitStatus(code)) => Some(code),
        _ => None,
    };
    let reason = reason.map(|r| r.code());
    let status = match alert.event {
        AlertEvent::Up { .. } => "up",
        AlertEvent::Test => "test",
        AlertEvent::ChannelFailing { .. } => "notice",
        AlertEvent::Late | AlertEvent::Success => "up",
        AlertEvent::Fail(_) => "fail",
        _ => "down",
    };
    json!({
        "event": alert.event_name(),
        "summary": alert.summary(),
        "details": alert.details(),
        "delivery_id": delivery_id,
        "incident_key": alert.incident_key,
        "check": {
            "uuid": check.uuid.to_string(),
            "name": check.name,
            "slug": check.slug,
            "tags": check.tags,
            "schedule": check.schedule,
            "tz": check.tz,
            "grace": check.grace_secs,
            "url": check.url,
        },
        "flip": {
            "id": alert.flip_id,
            "at": alert.at.iso8601(),
            "status": status,
            "reason": reason,
            "exit_status": exit_status,
            "down_for": match alert.event {
                AlertEvent::Up { down_for_secs }
                | AlertEvent::Reminder { down_for_secs }
                | AlertEvent::StillDown { down_for_secs } => down_for_secs,
                _ => None,
            },
        },
        "last_ping": alert.last_ping.as_ref().map(|p| json!({
            "at": p.at.iso8601(),
            "kind": p.kind.as_str(),
            "exit_status": p.exit_status,
            "body": excerpt(&p.body_excerpt, 1000),
        })),
    })
}

/// The signature of a body sent at `timestamp` (Unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", to_hex(&mac.finalize().into_bytes()))
}

pub fn request(
    alert: &Alert,
    url: &str,
    method: &str,
    extra_headers: &[(String, String)],
    secret: Option<&str>,
    delivery_id: &str,
    now: Timestamp,
) -> Outgoing {
    let body = body(alert, delivery_id).to_string().into_bytes();
    let mut headers = vec![
        ("Content-Type".to_owned(), "application/json".to_owned()),
        ("User-Agent".to_owned(), USER_AGENT.to_owned()),
        ("X-Edgebeat-Event".to_owned(), alert.event_name().to_owned()),
        ("X-Edgebeat-Delivery".to_owned(), delivery_id.to_owned()),
    ];
    if let Some(secret) = secret {
        let timestamp = now.secs();
        headers.push(("X-Edgebeat-Timestamp".to_owned(), timestamp.to_string()));
        headers.push(("X-Edgebeat-Signature".to_owned(), signature(secret, timestamp, &body)));
    }
    headers.extend(extra_headers.iter().cloned());
    Outgoing { method: method.to_owned(), url: url.to_owned(), headers, body }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::tests::sample;
    use crate::check::FlipReason;

    #[test]
    fn the_body_is_documented_json() {
        let body = body(&sample(AlertEvent::Down(FlipReason::ExitStatus(4))), "d1");
        assert_eq!(body["event"], "down");
        assert_eq!(body["delivery_id"], "d1");
        assert_eq!(body["check"]["name"], "nightly-backup");
        assert_eq!(body["flip"]["reason"], "exitstatus:4");
        assert_eq!(body["flip"]["exit_status"], 4);
        assert_eq!(body["last_ping"]["body"], "msg=backup completed");
    }

    #[test]
    fn new_event_kinds_carry_their_event_and_reason() {
        let reminder = body(&sample(AlertEvent::Reminder { down_for_secs: Some(600) }), "d2");
        assert_eq!(
            (reminder["event"].as_str(), reminder["flip"]["reason"].as_str()),
            (Some("reminder"), Some("still_down"))
        );
        assert_eq!(reminder["flip"]["down_for"], 600);
        let fail = body(&sample(AlertEvent::Fail(FlipReason::TooFast)), "d3");
        assert_eq!((fail["event"].as_str(), fail["flip"]["reason"].as_str()), (Some("fail"), Some("too_fast")));
        let late = body(&sample(AlertEvent::Late), "d4");
        assert_eq!((late["event"].as_str(), late["flip"]["reason"].as_str()), (Some("late"), None));
        assert_eq!(body(&sample(AlertEvent::Success), "d5")["event"], "success");
    }

    #[test]
    fn a_channel_test_is_an_event_about_no_check() {
        let at = Timestamp::from_secs(1_700_000_000);
        let alert = Alert::channel_test("ops hook", "c1", "https://eb.example/app/#/channels".into(), at);
        let body = body(&alert, "test");
        assert_eq!((body["event"].as_str(), body["flip"]["status"].as_str()), (Some("test"), Some("test")));
        assert_eq!(body["check"]["schedule"], Value::Null, "no invented schedule");
        assert_eq!(body["check"]["tz"], Value::Null);
        assert!(body["details"].as_str().unwrap().starts_with("This is a test"), "{body}");
    }

    #[test]
    fn signatures_follow_the_documented_recipe() {
        // RFC 4231 test case 2 shape: HMAC-SHA256("Jefe", "what do ya want for nothing?").
        let sig = {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"Jefe").unwrap();
            mac.update(b"what do ya want for nothing?");
            to_hex(&mac.finalize().into_bytes())
        };
        assert_eq!(sig, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assert_eq!(signature("Jefe", 1_700_000_000, b"{}"), signature("Jefe", 1_700_000_000, b"{}"));
        assert_ne!(signature("Jefe", 1_700_000_000, b"{}"), signature("Jefe", 1_700_000_001, b"{}"));
    }

    #[test]
    fn signed_requests_carry_timestamp_and_signature() {
        let alert = sample(AlertEvent::Up { down_for_secs: Some(10) });
        let now = Timestamp::from_secs(1_700_000_123);
        let headers = vec![("X-Team".to_owned(), "ops".to_owned())];
        let request = request(&alert, "https://h.example/x", "PUT", &headers, Some("0123456789abcdef"), "d9", now);
        let header = |name: &str| request.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        assert_eq!(request.method, "PUT");
        assert_eq!(header("X-Edgebeat-Timestamp").as_deref(), Some("1700000123"));
        assert_eq!(header("X-Edgebeat-Signature"), Some(signature("0123456789abcdef", 1_700_000_123, &request.body)));
        assert_eq!(header("X-Team").as_deref(), Some("ops"));
        let unsigned = super::request(&alert, "https://h.example/x", "POST", &[], None, "d9", now);
        assert!(unsigned.headers.iter().all(|(n, _)| n != "X-Edgebeat-Signature"));
    }
}
