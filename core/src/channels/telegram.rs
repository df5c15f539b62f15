//! Telegram through a bot: `sendMessage` in HTML parse mode, everything
//! user-controlled escaped (`<`, `>`, `&`, and `"` in the link), within
//! Telegram's 4,096 characters.
//!
//! Telegram answers a bot token it does not know with 401 (or 404 for a
//! malformed one), a chat the bot cannot write to with 403 ("bot was
//! blocked by the user", "bot was kicked from the group chat") and a chat
//! that does not exist with 400 "chat not found": permanent refusals.

use super::text::{details, emoji, facts, html, link_label, ping_body};
use super::{Answer, Context, Delivery, Field, FieldKind, Kind, KindInfo, Outgoing};
use crate::alert::{excerpt, Alert};
use crate::outbox::AttemptResult;
use serde::{Deserialize, Serialize};
use serde_json::json;

pub const DEFAULT_API_URL: &str = "https://api.telegram.org";
const MAX_TEXT: usize = 4096;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Telegram {
    pub bot_token: String,
    pub chat_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
}

impl Kind for Telegram {
    const INFO: KindInfo = KindInfo {
        name: "telegram",
        title: "Telegram (bot)",
        fields: &[
            Field::secret("bot_token", "Bot token", 10, 100, "The bot's token from @BotFather."),
            Field::new(
                "chat_id",
                "Chat id",
                FieldKind::Text { max: 100 },
                "The chat, group or channel to write to: its numeric id or a channel's @username.",
            ),
            Field::url("api_url", "Bot API URL", "A self-hosted Bot API server.").optional(),
        ],
        about: "Create a bot with @BotFather, add it to the chat, and give its token and the chat's id.",
        example: r#"{"bot_token": "123456789:AAExampleExampleExampleExample", "chat_id": "-1001234567890"}"#,
    };

    fn check(&self) -> Result<(), String> {
        let id = self.chat_id.trim();
        let digits = id.strip_prefix('-').unwrap_or(id);
        let numeric = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
        let username = id
            .strip_prefix('@')
            .is_some_and(|u| u.len() >= 4 && u.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        if !numeric && !username {
            return Err("chat_id must be a numeric chat id or a channel's @username".into());
        }
        if self.bot_token.contains(['/', '?', '#', ' ']) {
            return Err("bot_token is not a bot token".into());
        }
        Ok(())
    }

    fn endpoint(&self) -> Option<String> {
        Some(self.api_url.clone().unwrap_or_else(|| DEFAULT_API_URL.to_owned()))
    }

    fn deliver(&self, alert: &Alert, _: &Context) -> Delivery {
        let base = self.api_url.as_deref().unwrap_or(DEFAULT_API_URL).trim_end_matches('/');
        let url = format!("{base}/bot{}/sendMessage", self.bot_token);
        let body = json!({
            "chat_id": self.chat_id.trim(),
            "text": text(alert),
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": true},
        });
        Delivery::Http(Outgoing::json_post(&url, &body))
    }

    fn judge(&self, answer: &Answer) -> AttemptResult {
        let description = answer.json()["description"].as_str().unwrap_or_default().to_ascii_lowercase();
        match answer.status() {
            Some(401 | 404) => answer.refused("Telegram does not know the bot token"),
            Some(403) => answer.refused("the bot may not write to the chat"),
            Some(400)
                if ["chat not found", "upgraded to a supergroup", "not enough rights", "chat_id is empty"]
                    .iter()
                    .any(|words| description.contains(words)) =>
            {
                answer.refused("the chat is gone or the bot may not write to it")
            }
            _ => answer.result.clone(),
        }
    }
}

/// The message in Telegram's HTML.
pub fn text(alert: &Alert) -> String {
    let head =
        format!("{} <b>{}</b>\n\n{}", emoji(alert), html(&excerpt(&alert.summary(), 300)), html(&details(alert)));
    let mut facts_text = String::new();
    for (label, value) in facts(alert) {
        facts_text.push_str(&format!("\n<b>{label}:</b> {}", html(&value)));
    }
    let link = format!("\n\n<a href=\"{}\">{}</a>", html(&alert.check.url), link_label(alert));
    let fixed = head.chars().count() + facts_text.chars().count() + link.chars().count();
    // The ping body gets what room is left; its escaping can only lengthen it.
    let mut body_text = String::new();
    let mut room = MAX_TEXT.saturating_sub(fixed + "\n<pre></pre>".len() + 2);
    while let Some(body) = ping_body(alert, room).filter(|_| room > 20) {
        let escaped = format!("\n<pre>{}</pre>", html(&body));
        if fixed + escaped.chars().count() < MAX_TEXT {
            body_text = escaped;
            break;
        }
        room /= 2;
    }
    format!("{head}\n{facts_text}{body_text}{link}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::tests::sample;
    use crate::alert::AlertEvent;
    use crate::channels::tests::{answer, body_json, every_alert, is_refused, request_of};
    use crate::channels::ChannelConfig;
    use crate::check::FlipReason;

    fn telegram(api_url: Option<&str>) -> Telegram {
        Telegram { bot_token: "123:ABC".into(), chat_id: "-100123".into(), api_url: api_url.map(str::to_owned) }
    }

    #[test]
    fn html_messages_within_4096_characters_with_user_text_escaped() {
        for alert in every_alert() {
            let text = text(&alert);
            assert!(text.chars().count() <= MAX_TEXT, "{}", text.chars().count());
            // Only edgebeat's own tags: every user `<` is escaped.
            let stripped =
                ["<b>", "</b>", "<pre>", "</pre>", "</a>"].iter().fold(text.clone(), |t, tag| t.replace(tag, ""));
            let without_link = stripped.split("<a href=").next().unwrap().to_owned();
            assert!(!without_link.contains('<'), "{without_link}");
        }
        let worst = text(&crate::channels::tests::worst_case(AlertEvent::Down(FlipReason::Fail)));
        assert!(worst.contains("&lt;script&gt;") && worst.contains("&lt;b&gt;nnn"), "{worst}");
    }

    #[test]
    fn requests_go_to_the_bot_api_or_its_override() {
        let alert = sample(AlertEvent::Down(FlipReason::Timeout));
        let request = request_of(&ChannelConfig::Telegram(telegram(None)), &alert);
        assert_eq!(request.url, "https://api.telegram.org/bot123:ABC/sendMessage");
        let body = body_json(&request);
        assert_eq!((body["chat_id"].as_str(), body["parse_mode"].as_str()), (Some("-100123"), Some("HTML")));
        assert!(body["text"].as_str().unwrap().starts_with("🔴 <b>nightly-backup is DOWN: no ping on time</b>"));
        let local = request_of(&ChannelConfig::Telegram(telegram(Some("http://127.0.0.1:8081/"))), &alert);
        assert_eq!(local.url, "http://127.0.0.1:8081/bot123:ABC/sendMessage");
        assert_eq!(ChannelConfig::Telegram(telegram(None)).destination(), "https://api.telegram.org/");
    }

    #[test]
    fn chat_ids_are_checked() {
        assert!(telegram(None).check().is_ok());
        let mut at = telegram(None);
        at.chat_id = "@my_channel".into();
        assert!(at.check().is_ok());
        for bad in ["", "-", "abc", "@x", "12 3"] {
            let mut t = telegram(None);
            t.chat_id = bad.into();
            assert!(t.check().is_err(), "{bad}");
        }
    }

    #[test]
    fn gone_chats_and_tokens_are_permanent_refusals() {
        let t = telegram(None);
        let body = |d: &str| format!(r#"{{"ok":false,"error_code":400,"description":"{d}"}}"#);
        assert!(is_refused(&t.judge(&answer(400, &body("Bad Request: chat not found")))));
        assert!(is_refused(&t.judge(&answer(403, &body("Forbidden: bot was blocked by the user")))));
        assert!(is_refused(&t.judge(&answer(401, &body("Unauthorized")))));
        assert_eq!(t.judge(&answer(400, &body("Bad Request: can't parse entities"))), AttemptResult::Status(400));
        assert_eq!(t.judge(&answer(429, &body("Too Many Requests: retry after 5"))), AttemptResult::Status(429));
    }
}
