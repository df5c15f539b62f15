//! Pushover: a message with a priority by event (high for down and
//! failures, low for successes), in Pushover's HTML with user text escaped,
//! within its limits (title 250, message 1,024, URL 512, URL title 100
//! characters).
//!
//! Pushover answers 4xx with `"status": 0` for a request it will never
//! take; an invalid user key or application token (`"user": "invalid"`,
//! `"token": "invalid"`) means the channel is broken: a permanent refusal.

use super::text::{details, facts, html, link_label, ping_body};
use super::{Answer, Context, Delivery, Field, Kind, KindInfo, Outgoing};
use crate::alert::{excerpt, Alert, AlertEvent};
use crate::outbox::AttemptResult;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub const DEFAULT_API_URL: &str = "https://api.pushover.net";
const MAX_MESSAGE: usize = 1024;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pushover {
    pub user_key: String,
    pub app_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
}

impl Kind for Pushover {
    const INFO: KindInfo = KindInfo {
        name: "pushover",
        title: "Pushover",
        fields: &[
            Field::secret("user_key", "User key", 20, 40, "Your user (or group) key."),
            Field::secret("app_token", "Application token", 20, 40, "The API token of an application you registered."),
            Field::url("api_url", "API URL", "Overrides Pushover's API (a proxy).").optional(),
        ],
        about: "Register an application at pushover.net and give its token and your user key.",
        example: r#"{"user_key": "uQiRzpo4DXghDmr9QzzfQu27cmVRsG", "app_token": "azGDORePK8gMaC0QOYAMyEEuzJnyUi"}"#,
    };

    fn endpoint(&self) -> Option<String> {
        Some(self.api_url.clone().unwrap_or_else(|| DEFAULT_API_URL.to_owned()))
    }

    fn deliver(&self, alert: &Alert, _: &Context) -> Delivery {
        let base = self.api_url.as_deref().unwrap_or(DEFAULT_API_URL).trim_end_matches('/');
        let url = format!("{base}/1/messages.json");
        Delivery::Http(Outgoing::json_post(&url, &message(alert, &self.app_token, &self.user_key)))
    }

    fn judge(&self, answer: &Answer) -> AttemptResult {
        let body = answer.json();
        let invalid = |field: &str| body[field].as_str() == Some("invalid");
        match answer.status() {
            Some(400..=499) if invalid("user") => answer.refused("Pushover does not know the user key"),
            Some(400..=499) if invalid("token") => answer.refused("Pushover does not know the application token"),
            _ => answer.result.clone(),
        }
    }
}

/// -1 (quiet), 0 (normal) or 1 (high, bypassing quiet hours).
fn priority(alert: &Alert) -> i8 {
    match alert.event {
        AlertEvent::Down(_) | AlertEvent::Reminder { .. } | AlertEvent::StillDown { .. } | AlertEvent::Fail(_) => 1,
        AlertEvent::Success => -1,
        _ => 0,
    }
}

pub fn message(alert: &Alert, token: &str, user: &str) -> Value {
    let mut text = html(&details(alert));
    for (label, value) in facts(alert) {
        text.push_str(&format!("\n<b>{label}:</b> {}", html(&value)));
    }
    // The body gets the room left, escaped; shorter until it fits.
    let mut room = MAX_MESSAGE.saturating_sub(text.chars().count() + 2);
    while room > 20 {
        let Some(body) = ping_body(alert, room) else { break };
        let escaped = format!("\n\n{}", html(&body));
        if text.chars().count() + escaped.chars().count() <= MAX_MESSAGE {
            text.push_str(&escaped);
            break;
        }
        room /= 2;
    }
    json!({
        "token": token,
        "user": user,
        "title": excerpt(&alert.summary(), 250),
        "message": excerpt(&text, MAX_MESSAGE),
        "html": 1,
        "priority": priority(alert),
        "timestamp": alert.at.secs(),
        "url": excerpt(&alert.check.url, 512),
        "url_title": link_label(alert),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::tests::sample;
    use crate::channels::tests::{answer, every_alert, is_refused};
    use crate::check::FlipReason;

    #[test]
    fn messages_within_pushovers_limits_with_priority_by_event() {
        for alert in every_alert() {
            let body = message(&alert, "T", "U");
            let chars = |f: &str| body[f].as_str().unwrap().chars().count();
            assert!(
                chars("title") <= 250 && chars("message") <= 1024 && chars("url") <= 512 && chars("url_title") <= 100
            );
        }
        assert_eq!(message(&sample(AlertEvent::Down(FlipReason::Timeout)), "T", "U")["priority"], 1);
        assert_eq!(message(&sample(AlertEvent::Success), "T", "U")["priority"], -1);
        let worst = message(&crate::channels::tests::worst_case(AlertEvent::Down(FlipReason::Fail)), "T", "U");
        assert!(!worst["message"].as_str().unwrap().contains("<script>"));
    }

    #[test]
    fn invalid_keys_are_permanent_refusals() {
        let p = Pushover { user_key: "u".into(), app_token: "t".into(), api_url: None };
        let bad_user = r#"{"user":"invalid","errors":["user identifier is not a valid user, group, or subscribed user key"],"status":0}"#;
        assert!(is_refused(&p.judge(&answer(400, bad_user))));
        assert!(is_refused(
            &p.judge(&answer(400, r#"{"token":"invalid","errors":["application token is invalid"],"status":0}"#))
        ));
        assert_eq!(p.judge(&answer(400, r#"{"message":"cannot be blank","status":0}"#)), AttemptResult::Status(400));
        assert_eq!(p.judge(&answer(500, "")), AttemptResult::Status(500));
    }
}
