//! Google Chat space webhooks: a card (`cardsV2`) with the summary, the
//! facts and a button to the check, threaded by incident (`threadKey`), so
//! that "up" replies under its "down". Card text is Google Chat's HTML
//! subset, user text escaped; the message stays under 32,000 bytes.
//!
//! A webhook that was removed, or whose space is gone, answers 404
//! (`NOT_FOUND`) or 403 (`PERMISSION_DENIED`): permanent refusals.

use super::text::{color_hex, details, facts, fitted, html, link_label, ping_body};
use super::{Answer, Context, Delivery, Field, Kind, KindInfo, Outgoing};
use crate::alert::{excerpt, Alert};
use crate::outbox::AttemptResult;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

const MAX_BYTES: usize = 30_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoogleChat {
    pub url: String,
}

impl Kind for GoogleChat {
    const INFO: KindInfo = KindInfo {
        name: "googlechat",
        title: "Google Chat (space webhook)",
        fields: &[Field::url(
            "url",
            "Webhook URL",
            "The space's incoming webhook URL (Apps & integrations, Webhooks).",
        )],
        about: "In the space, Apps & integrations, Webhooks: add one and copy its URL.",
        example: r#"{"url": "https://chat.googleapis.com/v1/spaces/AAAA/messages?key=k&token=t"}"#,
    };

    fn endpoint(&self) -> Option<String> {
        Some(self.url.clone())
    }

    fn deliver(&self, alert: &Alert, _: &Context) -> Delivery {
        let separator = if self.url.contains('?') { '&' } else { '?' };
        let url = format!("{}{separator}messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD", self.url);
        Delivery::Http(Outgoing::json_post(&url, &message(alert)))
    }

    fn judge(&self, answer: &Answer) -> AttemptResult {
        match answer.status() {
            Some(403 | 404) => answer.refused("the webhook or its space is gone"),
            _ => answer.result.clone(),
        }
    }
}

fn card(alert: &Alert, body_chars: usize) -> Value {
    let mut widgets = vec![json!({"textParagraph": {"text": html(&details(alert))}})];
    for (label, value) in facts(alert) {
        widgets.push(json!({"decoratedText": {"topLabel": label, "text": html(&value), "wrapText": true}}));
    }
    if let Some(body) = ping_body(alert, body_chars) {
        widgets.push(json!({"textParagraph": {"text": format!("<font color=\"#5f6368\">{}</font>", html(&body))}}));
    }
    widgets.push(json!({"buttonList": {"buttons": [
        {"text": link_label(alert), "onClick": {"openLink": {"url": alert.check.url}}}
    ]}}));
    let summary = excerpt(&alert.summary(), 200);
    json!({
        "text": format!("<{}|{}>", alert.check.url, summary.replace(['<', '>', '|'], " ")),
        "thread": {"threadKey": excerpt(&alert.incident_key, 200)},
        "cardsV2": [{
            "cardId": "edgebeat",
            "card": {
                "header": {
                    "title": format!("<font color=\"{}\">{}</font>", color_hex(alert), html(&summary)),
                    "subtitle": "edgebeat",
                },
                "sections": [{"widgets": widgets}],
            },
        }],
    })
}

pub fn message(alert: &Alert) -> Value {
    fitted(MAX_BYTES, 3000, |body_chars| card(alert, body_chars))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::tests::sample;
    use crate::alert::AlertEvent;
    use crate::channels::tests::{answer, every_alert, is_refused, request_of};
    use crate::channels::ChannelConfig;
    use crate::check::FlipReason;

    #[test]
    fn a_card_per_event_threaded_by_incident() {
        for alert in every_alert() {
            let message = message(&alert);
            assert!(message.to_string().len() <= 32_000);
            assert!(message["cardsV2"][0]["card"]["sections"][0]["widgets"].as_array().unwrap().len() >= 2);
        }
        let down = message(&sample(AlertEvent::Down(FlipReason::Timeout)));
        let up = message(&sample(AlertEvent::Up { down_for_secs: Some(60) }));
        assert_eq!(down["thread"]["threadKey"], up["thread"]["threadKey"], "up replies under its down");
        let config = ChannelConfig::GoogleChat(GoogleChat {
            url: "https://chat.googleapis.com/v1/spaces/A/messages?key=k".into(),
        });
        let request = request_of(&config, &sample(AlertEvent::Late));
        assert!(request.url.ends_with("?key=k&messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"));
        let worst = message(&crate::channels::tests::worst_case(AlertEvent::Down(FlipReason::Fail))).to_string();
        assert!(!worst.contains("<script>") && !worst.contains("<b>nnn"), "user text is escaped");
    }

    #[test]
    fn a_gone_webhook_is_a_permanent_refusal() {
        let chat = GoogleChat { url: "https://chat.googleapis.com/v1/spaces/A/messages".into() };
        assert!(is_refused(&chat.judge(&answer(404, r#"{"error":{"code":404,"status":"NOT_FOUND"}}"#))));
        assert!(is_refused(&chat.judge(&answer(403, r#"{"error":{"status":"PERMISSION_DENIED"}}"#))));
        assert_eq!(chat.judge(&answer(400, "")), AttemptResult::Status(400));
    }
}
