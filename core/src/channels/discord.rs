//! Discord webhooks: one embed coloured by the event, within Discord's
//! limits (title 256 characters, description 4,096, a field's name 256 and
//! value 1,024, footer 2,048, 6,000 in all), mentions disabled so that user
//! text can never ping anyone.
//!
//! A deleted webhook answers 404 `Unknown Webhook` (code 10015) and one
//! whose token changed 401 `Invalid Webhook Token` (50027): permanent.

use super::text::{color, details, facts, link_label, markdown, ping_body};
use super::{Answer, Context, Delivery, Field, Kind, KindInfo, Outgoing};
use crate::alert::{excerpt, Alert};
use crate::outbox::AttemptResult;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discord {
    pub url: String,
}

const TITLE: usize = 256;
const DESCRIPTION: usize = 4096;
const FIELD_VALUE: usize = 1024;
const TOTAL: usize = 6000;
const FOOTER: &str = "edgebeat";

impl Kind for Discord {
    const INFO: KindInfo = KindInfo {
        name: "discord",
        title: "Discord (webhook)",
        fields: &[Field::url(
            "url",
            "Webhook URL",
            "The channel's webhook URL (Server Settings, Integrations, Webhooks).",
        )],
        about: "In the channel's settings, Integrations, create a webhook and copy its URL.",
        example: r#"{"url": "https://discord.com/api/webhooks/123456/abcdef"}"#,
    };

    fn endpoint(&self) -> Option<String> {
        Some(self.url.clone())
    }

    fn deliver(&self, alert: &Alert, _: &Context) -> Delivery {
        Delivery::Http(Outgoing::json_post(&self.url, &message(alert)))
    }

    fn judge(&self, answer: &Answer) -> AttemptResult {
        match answer.status() {
            Some(404) => answer.refused("Discord does not know the webhook"),
            Some(401) => answer.refused("the webhook's token is not valid"),
            _ => answer.result.clone(),
        }
    }
}

pub fn message(alert: &Alert) -> Value {
    let title = excerpt(&alert.summary(), TITLE);
    let fields: Vec<Value> = facts(alert)
        .into_iter()
        .map(|(name, value)| json!({"name": name, "value": excerpt(&markdown(&value), FIELD_VALUE), "inline": name != "Tags"}))
        .collect();
    let used = title.chars().count()
        + FOOTER.len()
        + fields
            .iter()
            .map(|f| f["name"].as_str().map_or(0, str::len) + f["value"].as_str().map_or(0, |v| v.chars().count()))
            .sum::<usize>();
    let mut description = markdown(&details(alert));
    if let Some(body) = ping_body(alert, 1500) {
        description.push_str(&format!("\n```\n{}\n```", body.replace("```", "`\u{200b}``")));
    }
    description.push_str(&format!("\n[{}]({})", link_label(alert), alert.check.url));
    let room = TOTAL.saturating_sub(used).min(DESCRIPTION);
    json!({
        "username": "edgebeat",
        "allowed_mentions": {"parse": []},
        "embeds": [{
            "title": title,
            "url": alert.check.url,
            "description": excerpt(&description, room),
            "color": color(alert),
            "timestamp": alert.at.iso8601(),
            "fields": fields,
            "footer": {"text": FOOTER},
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

    fn chars(value: &Value) -> usize {
        value.as_str().map_or(0, |s| s.chars().count())
    }

    #[test]
    fn an_embed_per_event_coloured_by_it_within_discords_limits() {
        for alert in every_alert() {
            let message = message(&alert);
            let embed = &message["embeds"][0];
            assert!(chars(&embed["title"]) <= 256);
            assert!(chars(&embed["description"]) <= 4096);
            let fields = embed["fields"].as_array().unwrap();
            assert!(fields.len() <= 25);
            let mut total = chars(&embed["title"]) + chars(&embed["description"]) + chars(&embed["footer"]["text"]);
            for field in fields {
                assert!(chars(&field["name"]) <= 256 && chars(&field["value"]) <= 1024);
                total += chars(&field["name"]) + chars(&field["value"]);
            }
            assert!(total <= 6000, "{total}");
            assert_eq!(message["allowed_mentions"]["parse"], json!([]), "no user text may mention anyone");
        }
        let down = message(&sample(AlertEvent::Down(FlipReason::Timeout)));
        assert_eq!(down["embeds"][0]["title"], "nightly-backup is DOWN: no ping on time");
        assert_eq!(down["embeds"][0]["color"], 0xD93F0B);
        let up = message(&sample(AlertEvent::Up { down_for_secs: Some(60) }));
        assert_eq!(up["embeds"][0]["color"], 0x2DA44E);
        assert!(down["embeds"][0]["description"].as_str().unwrap().contains("msg=backup completed"));
    }

    #[test]
    fn user_markdown_is_escaped() {
        let worst = message(&crate::channels::tests::worst_case(AlertEvent::Down(FlipReason::Fail)));
        let tags = worst["embeds"][0]["fields"][2]["value"].as_str().unwrap();
        assert!(tags.contains("tag0\\<x\\>"), "{tags}");
    }

    #[test]
    fn unknown_webhooks_are_permanent_refusals() {
        let discord = Discord { url: "https://discord.com/api/webhooks/1/x".into() };
        assert!(is_refused(&discord.judge(&answer(404, r#"{"message": "Unknown Webhook", "code": 10015}"#))));
        assert!(is_refused(&discord.judge(&answer(401, r#"{"message": "Invalid Webhook Token", "code": 50027}"#))));
        assert_eq!(discord.judge(&answer(429, "")), AttemptResult::Status(429));
        assert_eq!(discord.judge(&answer(204, "")), AttemptResult::Status(204));
    }
}
