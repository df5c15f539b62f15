//! What most kinds put in a message, worded once: the event's word and
//! colour, the facts about the check (last ping, schedule, tags), and the
//! escaping and cutting that each service's markup and limits need.

use crate::alert::{excerpt, readable_time, Alert, AlertEvent};

/// `DOWN`, `UP`, `LATE`, `STILL DOWN`, `FAILED`, `SUCCESS` or `TEST`.
pub fn event_word(alert: &Alert) -> &'static str {
    match alert.event {
        AlertEvent::Down(_) => "DOWN",
        AlertEvent::Reminder { .. } | AlertEvent::StillDown { .. } => "STILL DOWN",
        AlertEvent::Up { .. } => "UP",
        AlertEvent::Late => "LATE",
        AlertEvent::Fail(_) => "FAILED",
        AlertEvent::Success => "SUCCESS",
        AlertEvent::Test => "TEST",
        AlertEvent::ChannelFailing { .. } => "CHANNEL FAILING",
    }
}

/// How serious an event is, for kinds that rank or colour them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Down, still down, or a failure.
    Bad,
    /// Late: not down yet.
    Warning,
    /// Up again, or a success.
    Good,
    /// A channel test.
    Neutral,
}

pub fn tone(alert: &Alert) -> Tone {
    match alert.event {
        AlertEvent::Down(_) | AlertEvent::Reminder { .. } | AlertEvent::StillDown { .. } | AlertEvent::Fail(_) => {
            Tone::Bad
        }
        AlertEvent::Late | AlertEvent::ChannelFailing { .. } => Tone::Warning,
        AlertEvent::Up { .. } | AlertEvent::Success => Tone::Good,
        AlertEvent::Test => Tone::Neutral,
    }
}

/// A colour for the event, as 0xRRGGBB.
pub fn color(alert: &Alert) -> u32 {
    match tone(alert) {
        Tone::Bad => 0xD93F0B,
        Tone::Warning => 0xE4A11B,
        Tone::Good => 0x2DA44E,
        Tone::Neutral => 0x4C8BF5,
    }
}

/// `#d93f0b`.
pub fn color_hex(alert: &Alert) -> String {
    format!("#{:06x}", color(alert))
}

/// An emoji for the event (for plain-text kinds).
pub fn emoji(alert: &Alert) -> &'static str {
    match alert.event {
        AlertEvent::Down(_) | AlertEvent::Reminder { .. } | AlertEvent::StillDown { .. } => "🔴",
        AlertEvent::Up { .. } => "🟢",
        AlertEvent::Late => "🟡",
        AlertEvent::Fail(_) => "❌",
        AlertEvent::Success => "✅",
        AlertEvent::Test => "🔔",
        AlertEvent::ChannelFailing { .. } => "⚠️",
    }
}

/// The facts about the check, as `(label, plain text)`, in the order every
/// kind shows them; none for a channel test, which is about no check.
pub fn facts(alert: &Alert) -> Vec<(&'static str, String)> {
    let check = &alert.check;
    let Some(schedule) = check.schedule_text() else { return Vec::new() };
    let last_ping = match &alert.last_ping {
        Some(ping) => {
            let exit = ping.exit_status.map(|c| format!(", exit status {c}")).unwrap_or_default();
            format!("{} ({}{exit})", readable_time(ping.at), ping.kind.as_str())
        }
        None => "never".to_owned(),
    };
    let mut facts = vec![("Last ping", last_ping), ("Schedule", schedule.replace('`', ""))];
    if !check.tags.is_empty() {
        facts.push(("Tags", excerpt(&check.tags, 500)));
    }
    facts
}

/// The last ping's body, trimmed and cut to `max` characters; none when empty.
pub fn ping_body(alert: &Alert, max: usize) -> Option<String> {
    let body = alert.last_ping.as_ref().map(|p| p.body_excerpt.trim()).filter(|b| !b.is_empty())?;
    Some(excerpt(body, max))
}

/// The label of the link to the check.
pub fn link_label(alert: &Alert) -> &'static str {
    if matches!(alert.event, AlertEvent::Test | AlertEvent::ChannelFailing { .. }) {
        "Open edgebeat"
    } else {
        "View check"
    }
}

/// The details sentence, times readable in UTC.
pub fn details(alert: &Alert) -> String {
    alert.details_with(&crate::alert::Style { time: &readable_time, text: &str::to_owned })
}

/// The message `build` makes with up to `body_chars` characters of the ping
/// body, the body halved until the message's JSON is at most `max_bytes`
/// (the body is what can be large; without it the message is sent as it is).
pub fn fitted(
    max_bytes: usize,
    mut body_chars: usize,
    build: impl Fn(usize) -> serde_json::Value,
) -> serde_json::Value {
    loop {
        let message = build(body_chars);
        if message.to_string().len() <= max_bytes || body_chars == 0 {
            return message;
        }
        body_chars /= 2;
    }
}

/// Escapes text for HTML (element content and quoted attribute values).
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes Markdown (CommonMark and the chat dialects) with backslashes, so
/// that user text shows as written and cannot link, embed or format.
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\`*_~|>#[]()<".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Cuts text to at most `max` bytes on a character boundary, marking the cut.
pub fn cut_bytes(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mark = "…";
    let mut end = max.saturating_sub(mark.len());
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{mark}", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::tests::sample;
    use crate::check::FlipReason;

    #[test]
    fn facts_are_readable_and_absent_for_a_test() {
        let facts = facts(&sample(AlertEvent::Down(FlipReason::Timeout)));
        assert_eq!(facts[0], ("Last ping", "2023-11-14 19:26 UTC (success)".to_owned()));
        assert_eq!(facts[1], ("Schedule", "every 1 day, grace 1 hour".to_owned()));
        assert_eq!(facts[2], ("Tags", "prod db".to_owned()));
        let at = crate::time::Timestamp::from_secs(0);
        assert!(super::facts(&Alert::channel_test("x", "c", "u".into(), at)).is_empty());
    }

    #[test]
    fn escaping_and_cutting() {
        assert_eq!(html("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        assert_eq!(markdown("*hi* [x](y) @all."), "\\*hi\\* \\[x\\]\\(y\\) @all.");
        assert_eq!(cut_bytes("héllo", 100), "héllo");
        let cut = cut_bytes("ééééé", 6);
        assert!(cut.len() <= 6 && cut.ends_with('…'), "{cut}");
    }
}
