//! Slack incoming webhooks: a Block Kit message with a plain `text` fallback.
//!
//! Slack answers a webhook that was removed, whose app was uninstalled or
//! whose channel is gone or archived with 404 or 410 (`no_service`,
//! `channel_not_found`, `channel_is_archived`, `team_disabled`), and one it
//! may no longer post with with 403 (`invalid_token`, `action_prohibited`):
//! permanent refusals.

use super::{Answer, Context, Delivery, Field, Kind, KindInfo, Outgoing};
use crate::alert::{excerpt, readable_time, Alert, AlertEvent, Style};
use crate::outbox::AttemptResult;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slack {
    pub url: String,
}

impl Kind for Slack {
    const INFO: KindInfo = KindInfo {
        name: "slack",
        title: "Slack (incoming webhook)",
        fields: &[Field::url("url", "Webhook URL", "The Slack incoming webhook URL.")],
        about: "Add an incoming webhook to a Slack app (api.slack.com/apps) and paste its URL.",
        example: r#"{"url": "https://hooks.slack.com/services/T000/B000/XXXX"}"#,
    };

    fn endpoint(&self) -> Option<String> {
        Some(self.url.clone())
    }

    fn deliver(&self, alert: &Alert, _: &Context) -> Delivery {
        Delivery::Http(Outgoing::json_post(&self.url, &message(alert)))
    }

    fn judge(&self, answer: &Answer) -> AttemptResult {
        judge_slack_like(answer)
    }
}

/// Slack's (and Slack-compatible services') permanent refusals.
pub fn judge_slack_like(answer: &Answer) -> AttemptResult {
    let gone = ["invalid_token", "action_prohibited", "posting_to_general_channel_denied"];
    match answer.status() {
        Some(404 | 410) => answer.refused("the webhook, its app or its channel is gone"),
        Some(403) if gone.iter().any(|word| answer.body.contains(word)) => {
            answer.refused("Slack no longer lets this webhook post")
        }
        _ => answer.result.clone(),
    }
}

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
        AlertEvent::ChannelFailing { .. } => ":warning:",
    }
}

/// An instant in Slack's date formatting: each reader sees it in their own
/// zone and locale ("Yesterday at 10:13 PM"); clients that cannot format it
/// show the readable UTC fallback after the `|`.
pub fn slack_date(at: Timestamp) -> String {
    format!("<!date^{}^{{date_short_pretty}} at {{time}}|{}>", at.secs(), readable_time(at))
}

pub fn message(alert: &Alert) -> Value {
    let check = &alert.check;
    let style = Style { time: &slack_date, text: &escape };
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": excerpt(&alert.summary(), 150)}}),
        json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("{} {}", icon(alert), alert.details_with(&style))}}),
    ];
    // A channel test is about no check: no last ping, schedule or tags to show.
    if let Some(schedule) = check.schedule_text() {
        let last_ping = match &alert.last_ping {
            Some(ping) => {
                let exit = ping.exit_status.map(|c| format!(", exit status {c}")).unwrap_or_default();
                format!("{} ({}{exit})", slack_date(ping.at), ping.kind.as_str())
            }
            None => "never".to_owned(),
        };
        let mut fields = vec![
            json!({"type": "mrkdwn", "text": format!("*Last ping:*\n{last_ping}")}),
            json!({"type": "mrkdwn", "text": format!("*Schedule:*\n{}", escape(&schedule))}),
        ];
        if !check.tags.is_empty() {
            fields.push(json!({"type": "mrkdwn", "text": format!("*Tags:*\n{}", escape(&check.tags))}));
        }
        blocks.push(json!({"type": "section", "fields": fields}));
    }
    if let Some(body) = alert.last_ping.as_ref().map(|p| p.body_excerpt.trim()).filter(|b| !b.is_empty()) {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn",
            "text": format!("*Last ping body:*\n```{}```", escape(&excerpt(body, 500)))}}));
    }
    let button = super::text::link_label(alert);
    blocks.push(json!({"type": "actions", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": button}, "url": check.url}
    ]}));
    // The notification text (phones, the sidebar) is plain: times readable in UTC.
    let plain = Style { time: &readable_time, text: &str::to_owned };
    json!({
        "text": format!("{} {} — {}", icon(alert), alert.summary(), alert.details_with(&plain)),
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
        assert!(
            fields.contains("<!date^1699990000^{date_short_pretty} at {time}|2023-11-14 19:26 UTC> (success)"),
            "{fields}"
        );
        assert!(fields.contains("every 1 day, grace 1 hour"), "{fields}");
        assert!(fields.contains("prod db"));
        assert!(blocks[3]["text"]["text"].as_str().unwrap().contains("msg=backup completed"));
        assert_eq!(blocks[4]["elements"][0]["url"], sample(AlertEvent::Test).check.url);
    }

    #[test]
    fn times_use_slack_date_formatting_with_a_readable_fallback() {
        let message = message(&sample(AlertEvent::Down(FlipReason::ExitStatus(2))));
        let details = message["blocks"][1]["text"]["text"].as_str().unwrap();
        assert!(
            details.ends_with("at <!date^1700000000^{date_short_pretty} at {time}|2023-11-14 22:13 UTC>."),
            "{details}"
        );
        let text = message["text"].as_str().unwrap();
        assert!(text.ends_with("The job exited with status 2 at 2023-11-14 22:13 UTC."), "{text}");
        // No raw ISO 8601 instant anywhere a person reads.
        let all = message.to_string();
        assert!(!all.contains("T22:13:20") && !all.contains("T19:26:40"), "{all}");
        let timeout = message_for_timeout();
        assert!(timeout.contains("the last ping was at <!date^1699990000^"), "{timeout}");
    }

    fn message_for_timeout() -> String {
        message(&sample(AlertEvent::Down(FlipReason::Timeout)))["blocks"][1]["text"]["text"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn a_channel_test_says_it_is_a_test_and_shows_no_check_fields() {
        let at = Timestamp::from_secs(1_700_000_000);
        let alert = Alert::channel_test("team chat", "c1", "https://eb.example/app/#/channels".into(), at);
        let message = message(&alert);
        let blocks = message["blocks"].as_array().unwrap();
        assert_eq!(blocks[0]["text"]["text"], "Test notification from edgebeat to team chat");
        assert!(blocks[1]["text"]["text"].as_str().unwrap().contains("This is a test"));
        assert_eq!(blocks.len(), 3, "header, details and the link: {blocks:?}");
        assert_eq!(blocks[2]["elements"][0]["url"], "https://eb.example/app/#/channels");
        assert!(!message.to_string().contains("every 1 day") && !message.to_string().contains("Schedule"));
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
    fn removed_webhooks_are_permanent_refusals() {
        use crate::channels::tests::{answer, is_refused};
        let slack = Slack { url: "https://hooks.slack.com/services/x".into() };
        assert!(is_refused(&slack.judge(&answer(404, "no_service"))));
        assert!(is_refused(&slack.judge(&answer(410, "channel_is_archived"))));
        assert!(is_refused(&slack.judge(&answer(403, "invalid_token"))));
        assert_eq!(slack.judge(&answer(403, "rate_limited")), AttemptResult::Status(403));
        assert_eq!(slack.judge(&answer(500, "rollup_error")), AttemptResult::Status(500));
        assert_eq!(slack.judge(&answer(200, "ok")), AttemptResult::Status(200));
    }

    #[test]
    fn messages_stay_within_slacks_limits() {
        // Block Kit: a header's text at most 150 characters, a section's
        // text at most 3,000, a field's 2,000, at most 50 blocks.
        for alert in crate::channels::tests::every_alert() {
            let message = message(&alert);
            let blocks = message["blocks"].as_array().unwrap();
            assert!(blocks.len() <= 50);
            for block in blocks {
                let chars = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
                match block["type"].as_str().unwrap() {
                    "header" => assert!(chars(&block["text"]["text"]) <= 150),
                    "section" => {
                        assert!(chars(&block["text"]["text"]) <= 3000, "{block}");
                        for field in block["fields"].as_array().into_iter().flatten() {
                            assert!(chars(&field["text"]) <= 2000);
                        }
                    }
                    _ => {}
                }
            }
            assert!(message["text"].as_str().unwrap().chars().count() <= 40_000);
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
