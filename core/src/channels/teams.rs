//! Microsoft Teams through a Workflows webhook ("Post to a channel when a
//! webhook request is received"): a message with one Adaptive Card (version
//! 1.4, which Teams renders), within Teams' 28 KB message limit.
//!
//! A workflow that was deleted or turned off answers 404 (or 410), and one
//! that no longer accepts anonymous calls 401 or 403: permanent refusals.

use super::text::{details, facts, fitted, link_label, markdown, ping_body, tone, Tone};
use super::{Answer, Context, Delivery, Field, Kind, KindInfo, Outgoing};
use crate::alert::{excerpt, Alert};
use crate::outbox::AttemptResult;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Teams {
    pub url: String,
}

/// Teams refuses messages over 28 KB; the card stays well below.
const MAX_BYTES: usize = 27_000;

impl Kind for Teams {
    const INFO: KindInfo = KindInfo {
        name: "teams",
        title: "Microsoft Teams (Workflows webhook)",
        fields: &[Field::url(
            "url",
            "Workflow URL",
            "The HTTP POST URL of a Workflows \"when a webhook request is received\" flow.",
        )],
        about: "In the channel, Workflows, \"Post to a channel when a webhook request is received\"; copy its URL.",
        example: r#"{"url": "https://prod-00.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=x"}"#,
    };

    fn endpoint(&self) -> Option<String> {
        Some(self.url.clone())
    }

    fn deliver(&self, alert: &Alert, _: &Context) -> Delivery {
        Delivery::Http(Outgoing::json_post(&self.url, &message(alert)))
    }

    fn judge(&self, answer: &Answer) -> AttemptResult {
        match answer.status() {
            Some(404 | 410) => answer.refused("the workflow is gone or turned off"),
            Some(401 | 403) => answer.refused("the workflow does not accept this webhook"),
            _ => answer.result.clone(),
        }
    }
}

fn card(alert: &Alert, body_chars: usize) -> Value {
    let color = match tone(alert) {
        Tone::Bad => "Attention",
        Tone::Warning => "Warning",
        Tone::Good => "Good",
        Tone::Neutral => "Accent",
    };
    let mut body = vec![
        json!({"type": "TextBlock", "text": markdown(&excerpt(&alert.summary(), 300)), "weight": "Bolder",
               "size": "Medium", "color": color, "wrap": true}),
        json!({"type": "TextBlock", "text": markdown(&details(alert)), "wrap": true}),
    ];
    let facts: Vec<Value> =
        facts(alert).into_iter().map(|(title, value)| json!({"title": title, "value": markdown(&value)})).collect();
    if !facts.is_empty() {
        body.push(json!({"type": "FactSet", "facts": facts}));
    }
    if let Some(text) = ping_body(alert, body_chars) {
        body.push(json!({"type": "TextBlock", "text": markdown(&text), "wrap": true, "fontType": "Monospace",
                         "isSubtle": true}));
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "msteams": {"width": "Full"},
                "body": body,
                "actions": [{"type": "Action.OpenUrl", "title": link_label(alert), "url": alert.check.url}],
            },
        }],
    })
}

pub fn message(alert: &Alert) -> Value {
    fitted(MAX_BYTES, 2000, |body_chars| card(alert, body_chars))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::tests::sample;
    use crate::alert::AlertEvent;
    use crate::channels::tests::{answer, every_alert, is_refused};
    use crate::check::FlipReason;

    #[test]
    fn an_adaptive_card_per_event_within_the_size_limit() {
        for alert in every_alert() {
            let message = message(&alert);
            assert!(message.to_string().len() <= 28 * 1024);
            let card = &message["attachments"][0];
            assert_eq!(card["contentType"], "application/vnd.microsoft.card.adaptive");
            assert_eq!(card["content"]["type"], "AdaptiveCard");
            assert_eq!(card["content"]["actions"][0]["url"], alert.check.url.as_str());
        }
        let down = message(&sample(AlertEvent::Down(FlipReason::Timeout)));
        let body = &down["attachments"][0]["content"]["body"];
        assert_eq!(body[0]["color"], "Attention");
        assert_eq!(body[2]["facts"][1]["value"], "every 1 day, grace 1 hour");
    }

    #[test]
    fn user_markdown_is_escaped() {
        let worst = message(&crate::channels::tests::worst_case(AlertEvent::Fail(FlipReason::Fail)));
        let text = worst.to_string();
        assert!(!text.contains("[x](http://e)") && text.contains("\\\\[x\\\\]"), "{text}");
    }

    #[test]
    fn a_gone_workflow_is_a_permanent_refusal() {
        let teams = Teams { url: "https://x.logic.azure.com/workflows/a".into() };
        assert!(is_refused(&teams.judge(&answer(404, r#"{"error":{"code":"WorkflowNotFound"}}"#))));
        assert!(is_refused(&teams.judge(&answer(403, ""))));
        assert_eq!(teams.judge(&answer(202, "")), AttemptResult::Status(202));
        assert_eq!(teams.judge(&answer(502, "")), AttemptResult::Status(502));
    }
}
