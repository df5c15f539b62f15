//! Matrix: an `m.room.message` sent with the client-server API (`PUT
//! /_matrix/client/v3/rooms/<room>/send/m.room.message/<txn>`), plain text
//! with an HTML body, user text escaped, well under the 65,536-byte event
//! limit. The transaction id is derived from the notification, so that a
//! retry of the same notification is the same transaction and never posts
//! twice.
//!
//! `M_UNKNOWN_TOKEN` and `M_MISSING_TOKEN` (401: the token was revoked) and
//! `M_FORBIDDEN` (403: the account may not post in the room, or left it)
//! are permanent refusals, and so is a 404 (no such room, or not a
//! homeserver).

use super::text::{details, emoji, facts, html, link_label, ping_body};
use super::{Answer, Context, Delivery, Field, FieldKind, Kind, KindInfo, Outgoing};
use crate::alert::{excerpt, Alert};
use crate::outbox::AttemptResult;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matrix {
    pub homeserver: String,
    pub access_token: String,
    pub room_id: String,
}

impl Kind for Matrix {
    const INFO: KindInfo = KindInfo {
        name: "matrix",
        title: "Matrix",
        fields: &[
            Field::url("homeserver", "Homeserver", "The homeserver's URL: `https://matrix.example.org`."),
            Field::secret("access_token", "Access token", 10, 500, "The access token of the account that posts."),
            Field::new(
                "room_id",
                "Room id",
                FieldKind::Text { max: 255 },
                "The room's id, `!opaque:server` (Room settings, Advanced); the account must have joined it.",
            ),
        ],
        about: "Make an account for edgebeat, join it to the room, and give its access token and the room's id.",
        example: r#"{"homeserver": "https://matrix.example.org", "access_token": "syt_ZWRnZWJlYXQ_example_token", "room_id": "!AbCdEf:example.org"}"#,
    };

    fn check(&self) -> Result<(), String> {
        match self.room_id.strip_prefix('!').and_then(|rest| rest.split_once(':')) {
            Some((local, server))
                if !local.is_empty() && !server.is_empty() && !self.room_id.contains(char::is_whitespace) =>
            {
                Ok(())
            }
            _ => Err("room_id must be a room id, !opaque:server (not an #alias)".into()),
        }
    }

    fn endpoint(&self) -> Option<String> {
        Some(self.homeserver.clone())
    }

    fn deliver(&self, alert: &Alert, context: &Context) -> Delivery {
        let base = self.homeserver.trim_end_matches('/');
        let room = utf8_percent_encode(&self.room_id, NON_ALPHANUMERIC);
        let txn = utf8_percent_encode(&transaction_id(alert, context), NON_ALPHANUMERIC).to_string();
        let url = format!("{base}/_matrix/client/v3/rooms/{room}/send/m.room.message/{txn}");
        let outgoing = Outgoing::json("PUT", &url, &event(alert))
            .with_header("Authorization", &format!("Bearer {}", self.access_token));
        Delivery::Http(outgoing)
    }

    fn judge(&self, answer: &Answer) -> AttemptResult {
        let errcode = answer.json()["errcode"].as_str().unwrap_or_default().to_owned();
        match (answer.status(), errcode.as_str()) {
            (_, "M_UNKNOWN_TOKEN" | "M_MISSING_TOKEN") => {
                answer.refused("the homeserver does not know the access token")
            }
            (_, "M_FORBIDDEN") => answer.refused("the account may not post in the room"),
            (Some(404), _) => answer.refused("no such room on this homeserver"),
            _ => answer.result.clone(),
        }
    }
}

/// The same for every attempt of one notification (a retry is the same
/// transaction), different for every notification and every channel test.
pub fn transaction_id(alert: &Alert, context: &Context) -> String {
    if context.delivery_id == "test" {
        format!("edgebeat-test-{}", context.now.millis())
    } else {
        format!("edgebeat-{}-{}", alert.flip_id, context.delivery_id)
    }
}

pub fn event(alert: &Alert) -> Value {
    let summary = excerpt(&alert.summary(), 300);
    let mut plain = format!("{} {summary}\n\n{}", emoji(alert), details(alert));
    let mut formatted =
        format!("<p>{} <strong>{}</strong></p><p>{}</p>", emoji(alert), html(&summary), html(&details(alert)));
    let facts = facts(alert);
    if !facts.is_empty() {
        formatted.push_str("<ul>");
        for (label, value) in facts {
            plain.push_str(&format!("\n{label}: {value}"));
            formatted.push_str(&format!("<li><strong>{label}:</strong> {}</li>", html(&value)));
        }
        formatted.push_str("</ul>");
    }
    if let Some(body) = ping_body(alert, 4000) {
        plain.push_str(&format!("\n\n{body}"));
        formatted.push_str(&format!("<pre><code>{}</code></pre>", html(&body)));
    }
    plain.push_str(&format!("\n\n{}: {}", link_label(alert), alert.check.url));
    formatted.push_str(&format!("<p><a href=\"{}\">{}</a></p>", html(&alert.check.url), link_label(alert)));
    json!({
        "msgtype": "m.text",
        "body": plain,
        "format": "org.matrix.custom.html",
        "formatted_body": formatted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::tests::sample;
    use crate::alert::AlertEvent;
    use crate::channels::tests::{answer, context, every_alert, is_refused, request_of};
    use crate::channels::ChannelConfig;
    use crate::check::FlipReason;

    fn matrix() -> Matrix {
        Matrix {
            homeserver: "https://matrix.example.org/".into(),
            access_token: "syt_x".into(),
            room_id: "!room:example.org".into(),
        }
    }

    #[test]
    fn events_put_with_a_transaction_id_per_notification() {
        let alert = sample(AlertEvent::Down(FlipReason::Timeout));
        let request = request_of(&ChannelConfig::Matrix(matrix()), &alert);
        assert_eq!(request.method, "PUT");
        assert_eq!(
            request.url,
            "https://matrix.example.org/_matrix/client/v3/rooms/%21room%3Aexample%2Eorg/send/m.room.message/edgebeat%2Dflip1%2D42"
        );
        assert!(request.headers.contains(&("Authorization".into(), "Bearer syt_x".into())));
        // A retry of the same notification is the same transaction.
        assert_eq!(request_of(&ChannelConfig::Matrix(matrix()), &alert).url, request.url);
        let mut other = context();
        other.delivery_id = "43";
        assert_ne!(transaction_id(&alert, &other), transaction_id(&alert, &context()));
    }

    #[test]
    fn events_escape_user_text_and_stay_small() {
        for alert in every_alert() {
            let event = event(&alert);
            assert!(event.to_string().len() < 60_000);
            assert_eq!(event["format"], "org.matrix.custom.html");
        }
        let worst = event(&crate::channels::tests::worst_case(AlertEvent::Down(FlipReason::Fail)));
        let formatted = worst["formatted_body"].as_str().unwrap();
        assert!(!formatted.contains("<script>") && !formatted.contains("<b>nnn"), "{formatted}");
    }

    #[test]
    fn room_ids_are_checked() {
        assert!(matrix().check().is_ok());
        for bad in ["#alias:example.org", "!nocolon", "room"] {
            let mut m = matrix();
            m.room_id = bad.into();
            assert!(m.check().is_err(), "{bad}");
        }
    }

    #[test]
    fn revoked_tokens_and_left_rooms_are_permanent_refusals() {
        let m = matrix();
        assert!(is_refused(&m.judge(&answer(401, r#"{"errcode":"M_UNKNOWN_TOKEN","error":"Invalid access token"}"#))));
        assert!(is_refused(&m.judge(&answer(403, r#"{"errcode":"M_FORBIDDEN","error":"not in room"}"#))));
        assert_eq!(m.judge(&answer(429, r#"{"errcode":"M_LIMIT_EXCEEDED"}"#)), AttemptResult::Status(429));
        assert_eq!(m.judge(&answer(200, r#"{"event_id":"$x"}"#)), AttemptResult::Status(200));
    }
}
