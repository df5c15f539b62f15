//! Slack incoming webhooks: a Block Kit message with a plain `text` fallback.

use crate::alert::{excerpt, Alert, AlertEvent};
use serde_json::{json, Value};

/// Slack's mrkdwn needs &, < and > escaped.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn icon(alert: &Alert) -> &'static str {
    match alert.event {
        AlertEvent::Down(_) | AlertEvent::Reminder { .. } | AlertEvent::StillDown { .. } => ":red_circle:",
        AlertEvent::Up { .. } => ":large_green_circle:",
        AlertEvent::Test => ":bell:",
        AlertEvent::Late => ":large_yellow_circle:",
        AlertEvent::Fail(_) => ":x:",
        AlertEvent::Success => ":white_check_mark:",
    }
}

pub fn message(alert: &Alert) -> Value {
    let check = &alert.check;
    let last_ping = match &alert.last_ping {
        Some(ping) => {
            let exit = ping.exit_status.map(|c| format!(", exit status {c}")).unwrap_or_default();
            format!("{} ({}{exit})", ping.at, ping.kind.as_str())
        }
        None => "never".to_owned(),
    };
    let mut fields = vec![
        json!({"type": "mrkdwn", "text": format!("*Last ping:*\n{}", escape(&last_ping))}),
        json!({"type": "mrkdwn", "text": format!("*Schedule:*\n{}", escape(&check.schedule_text()))}),
    ];
    if !check.tags.is_empty() {
        fields.push(json!({"type": "mrkdwn", "text": format!("*Tags:*\n{}", escape(&check.tags))}));
    }
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": excerpt(&alert.summary(), 150)}}),
        json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("{} {}", icon(alert), escape(&alert.details()))}}),
        json!({"type": "section", "fields": fields}),
    ];
    if let Some(body) = alert.last_ping.as_ref().map(|p| p.body_excerpt.trim()).filter(|b| !b.is_empty()) {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn",
            "text": format!("*Last ping body:*\n```{}```", escape(&excerpt(body, 500)))}}));
    }
    blocks.push(json!({"type": "actions", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": "View check"}, "url": check.url}
    ]}));
    json!({
        "text": format!("{} {} — {}", icon(alert), alert.summary(), alert.details()),
        "blocks": blocks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::tests::sample;
    use crate::check::FlipReason;

    #[test]
    fn a_down_message_names_check_reason_last_ping_schedule_and_link() {
        let message = message(&sample(AlertEvent::Down(FlipReason::ExitStatus(2))));
        let text = message["text"].as_str().unwrap();
        assert!(text.contains("nightly-backup is DOWN: exit status 2"), "{text}");
        let blocks = message["blocks"].as_array().unwrap();
        assert_eq!(blocks[0]["type"], "header");
        assert_eq!(blocks[0]["text"]["text"], "nightly-backup is DOWN: exit status 2");
        let fields = blocks[2]["fields"].to_string();
        assert!(fields.contains("2023-11-14T19:26:40+00:00 (success)"), "{fields}");
        assert!(fields.contains("every 1 day, grace 1 hour"), "{fields}");
        assert!(fields.contains("prod db"));
        assert!(blocks[3]["text"]["text"].as_str().unwrap().contains("msg=backup completed"));
        assert_eq!(blocks[4]["elements"][0]["url"], sample(AlertEvent::Test).check.url);
    }

    #[test]
    fn a_recovery_says_how_long_it_was_down() {
        let message = message(&sample(AlertEvent::Up { down_for_secs: Some(5400) }));
        assert!(message["text"].as_str().unwrap().contains("down for 1 hour 30 minutes"));
    }

    #[test]
    fn every_event_kind_has_its_own_message() {
        let cases = [
            (AlertEvent::Late, ":large_yellow_circle: nightly-backup is LATE"),
            (
                AlertEvent::Reminder { down_for_secs: Some(7200) },
                ":red_circle: nightly-backup is still DOWN, for 2 hours",
            ),
            (
                AlertEvent::StillDown { down_for_secs: None },
                ":red_circle: nightly-backup is still DOWN after maintenance",
            ),
            (AlertEvent::Fail(FlipReason::ExitStatus(3)), ":x: nightly-backup failed: exit status 3"),
            (AlertEvent::Success, ":white_check_mark: nightly-backup succeeded"),
        ];
        for (event, start) in cases {
            let text = message(&sample(event))["text"].as_str().unwrap().to_owned();
            assert!(text.starts_with(start), "{text}");
        }
    }

    #[test]
    fn markup_in_user_text_is_escaped() {
        let mut alert = sample(AlertEvent::Down(FlipReason::Fail));
        alert.last_ping.as_mut().unwrap().body_excerpt = "<!channel> & stuff".into();
        let body = message(&alert)["blocks"][3]["text"]["text"].as_str().unwrap().to_owned();
        assert!(body.contains("&lt;!channel&gt; &amp; stuff"), "{body}");
    }
}
