//! Mattermost incoming webhooks: Slack-compatible message attachments
//! (Mattermost does not render Block Kit), coloured by event, user text
//! with its Markdown escaped, within Mattermost's post limit (16,383
//! characters).
//!
//! A deleted or disabled webhook answers 404, or 403 when webhooks were
//! turned off: permanent refusals.

use super::text::{color_hex, details, facts, link_label, markdown, ping_body};
use super::{Answer, Context, Delivery, Field, Kind, KindInfo, Outgoing};
use crate::alert::{excerpt, Alert};
use crate::outbox::AttemptResult;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mattermost {
    pub url: String,
}

impl Kind for Mattermost {
    const INFO: KindInfo = KindInfo {
        name: "mattermost",
        title: "Mattermost (incoming webhook)",
        fields: &[Field::url("url", "Webhook URL", "The incoming webhook's URL: `https://<server>/hooks/<key>`.")],
        about: "Integrations, Incoming Webhooks, Add: choose the channel and copy the URL.",
        example: r#"{"url": "https://mattermost.example.com/hooks/xxxgeneratedkeyxxx"}"#,
    };

    fn endpoint(&self) -> Option<String> {
        Some(self.url.clone())
    }

    fn deliver(&self, alert: &Alert, _: &Context) -> Delivery {
        Delivery::Http(Outgoing::json_post(&self.url, &message(alert)))
    }

    fn judge(&self, answer: &Answer) -> AttemptResult {
        match answer.status() {
            Some(404 | 410) => answer.refused("Mattermost does not know the webhook"),
            Some(403) => answer.refused("incoming webhooks are turned off on the server"),
            _ => answer.result.clone(),
        }
    }
}

pub fn message(alert: &Alert) -> Value {
    let summary = excerpt(&alert.summary(), 300);
    let mut text = markdown(&details(alert));
    if let Some(body) = ping_body(alert, 3000) {
        text.push_str(&format!("\n```\n{}\n```", body.replace("```", "`\u{200b}``")));
    }
    text.push_str(&format!("\n[{}]({})", link_label(alert), alert.check.url));
    let fields: Vec<Value> = facts(alert)
        .into_iter()
        .map(|(title, value)| json!({"short": title != "Tags", "title": title, "value": markdown(&value)}))
        .collect();
    json!({
        "username": "edgebeat",
        "text": "",
        "attachments": [{
            "fallback": summary,
            "color": color_hex(alert),
            "title": summary,
            "title_link": alert.check.url,
            "text": text,
            "fields": fields,
            "footer": "edgebeat",
            "ts": alert.at.secs(),
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::tests::sample;
    use crate::alert::AlertEvent;
    use crate::channels::tests::{answer, every_alert, is_refused};
    use crate::check::FlipReason;

    #[test]
    fn slack_compatible_attachments_within_the_post_limit() {
        for alert in every_alert() {
            let message = message(&alert);
            assert!(message.get("blocks").is_none(), "Mattermost does not render Block Kit");
            let attachment = &message["attachments"][0];
            assert!(message.to_string().chars().count() <= 16_383);
            assert_eq!(attachment["title_link"], alert.check.url.as_str());
        }
        let down = message(&sample(AlertEvent::Down(FlipReason::Timeout)));
        assert_eq!(down["attachments"][0]["color"], "#d93f0b");
        assert_eq!(down["attachments"][0]["fields"][1]["value"], "every 1 day, grace 1 hour");
    }

    #[test]
    fn a_deleted_webhook_is_a_permanent_refusal() {
        let m = Mattermost { url: "https://mm.example.com/hooks/x".into() };
        assert!(is_refused(&m.judge(&answer(404, r#"{"id":"web.incoming_webhook.invalid.app_error"}"#))));
        assert_eq!(m.judge(&answer(500, "")), AttemptResult::Status(500));
    }
}
