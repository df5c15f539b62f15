//! The email an alert becomes: multipart/alternative, text and HTML, built
//! with `mail-builder` (which encodes and folds headers per RFC 2047 and
//! 5322 and picks each part's transfer encoding). Everything it would take
//! from the system (the time, the boundary, the Message-ID) is given here:
//! a Worker has no clock for it, and the ids must be stable.
//!
//! Threading: a check's down alert is the root of its incident, with a
//! Message-ID derived from the incident; reminders and the recovery carry
//! `In-Reply-To` and `References` with that id, so that mail clients show
//! "up" under its "down". Every id is the same on every retry of one
//! notification (a receiver that saw it once can drop the copy).

use crate::alert::{readable_time, Alert, AlertEvent};
use crate::channels::text::{details, event_word, facts, html, link_label, ping_body};
use crate::time::Timestamp;
use mail_builder::headers::address::Address;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::raw::Raw;
use mail_builder::mime::MimePart;
use mail_builder::MessageBuilder;
use sha2::Digest;

/// A message id's left part from any text: letters, digits, `.`, `-`, `_`.
fn id_part(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '.' }).collect()
}

/// The domain of an address (for message ids and EHLO).
pub fn domain_of(address: &str) -> &str {
    address.rsplit_once('@').map_or("localhost", |(_, domain)| domain)
}

/// The id of an incident's root message (its down alert).
fn root_id(alert: &Alert, domain: &str) -> String {
    format!("{}@{domain}", id_part(&alert.incident_key))
}

/// This alert's Message-ID and, for the alerts that belong to an incident
/// after its down, the id it replies to.
pub fn message_ids(alert: &Alert, domain: &str, delivery_id: &str, now: Timestamp) -> (String, Option<String>) {
    match alert.event {
        AlertEvent::Down(_) => (root_id(alert, domain), None),
        AlertEvent::Up { .. } | AlertEvent::Reminder { .. } | AlertEvent::StillDown { .. } => {
            let own =
                format!("{}.{}.{}@{domain}", id_part(&alert.incident_key), alert.event_name(), id_part(&alert.flip_id));
            (own, Some(root_id(alert, domain)))
        }
        AlertEvent::Test => {
            (format!("{}.{}.{}@{domain}", id_part(&alert.incident_key), delivery_id, now.millis()), None)
        }
        _ => (format!("{}.{}@{domain}", id_part(&alert.incident_key), id_part(&alert.flip_id)), None),
    }
}

/// `DOWN: nightly-backup`.
pub fn subject(alert: &Alert) -> String {
    let name = match &alert.event {
        AlertEvent::ChannelFailing { channel, .. } => channel.clone(),
        AlertEvent::Test => format!("edgebeat to {}", alert.check.label()),
        _ => alert.check.label().to_owned(),
    };
    crate::alert::excerpt(&format!("{}: {name}", event_word(alert)), 200)
}

pub fn text_body(alert: &Alert) -> String {
    let mut text = format!("{}\n\n{}\n", alert.summary(), details(alert));
    let facts = facts(alert);
    if !facts.is_empty() {
        text.push('\n');
        for (label, value) in facts {
            text.push_str(&format!("{label}: {value}\n"));
        }
    }
    if let Some(body) = ping_body(alert, 4000) {
        text.push_str(&format!("\nLast ping body:\n{body}\n"));
    }
    text.push_str(&format!(
        "\n{}: {}\n\n-- \nedgebeat, {}\n",
        link_label(alert),
        alert.check.url,
        readable_time(alert.at)
    ));
    text
}

/// The HTML part: every text that comes from a user is escaped.
pub fn html_body(alert: &Alert) -> String {
    let mut out = String::from("<!DOCTYPE html><html><body style=\"font-family: sans-serif\">");
    out.push_str(&format!("<h2>{}</h2><p>{}</p>", html(&alert.summary()), html(&details(alert))));
    let facts = facts(alert);
    if !facts.is_empty() {
        out.push_str("<table cellpadding=\"4\">");
        for (label, value) in facts {
            out.push_str(&format!("<tr><th align=\"left\">{label}</th><td>{}</td></tr>", html(&value)));
        }
        out.push_str("</table>");
    }
    if let Some(body) = ping_body(alert, 4000) {
        out.push_str(&format!("<p><b>Last ping body</b></p><pre>{}</pre>", html(&body)));
    }
    out.push_str(&format!("<p><a href=\"{}\">{}</a></p></body></html>", html(&alert.check.url), link_label(alert)));
    out
}

/// The whole message, ready for SMTP or the `send_email` binding.
pub fn build(alert: &Alert, from: &str, to: &[String], delivery_id: &str, now: Timestamp) -> Result<Vec<u8>, String> {
    let domain = domain_of(from);
    let (message_id, replies_to) = message_ids(alert, domain, delivery_id, now);
    // A token (RFC 2045: no "=", which mail-builder then RFC 2047-encodes,
    // and a strict reader no longer finds the parts) within RFC 2046's 70
    // characters, from the message id: the same on a retry, and not text a
    // ping body would hold.
    let digest = sha2::Sha256::digest(message_id.as_bytes());
    let boundary: String =
        std::iter::once("edgebeat-".to_owned()).chain(digest.iter().take(16).map(|b| format!("{b:02x}"))).collect();
    let body = MimePart::new(
        ContentType::new("multipart/alternative").attribute("boundary", boundary),
        vec![MimePart::new("text/plain", text_body(alert)), MimePart::new("text/html", html_body(alert))],
    );
    let recipients: Vec<Address> = to.iter().map(|a| Address::new_address(None::<&str>, a.as_str())).collect();
    let mut builder = MessageBuilder::new()
        .from(Address::new_address(Some("edgebeat"), from))
        .to(Address::new_list(recipients))
        .subject(subject(alert))
        .date(now.secs())
        .message_id(message_id)
        .header("Auto-Submitted", Raw::new("auto-generated"))
        .header("X-Edgebeat-Event", Raw::new(alert.event_name()))
        .body(body);
    if let Some(root) = replies_to {
        builder = builder.in_reply_to(root.clone()).references(root);
    }
    builder.write_to_vec().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::tests::sample;
    use crate::channels::tests::{every_alert, worst_case};
    use crate::check::FlipReason;

    const NOW: Timestamp = Timestamp::from_secs(1_700_000_100);

    fn message(alert: &Alert) -> String {
        let to = vec!["ops@example.com".to_owned(), "oncall@example.com".to_owned()];
        String::from_utf8(build(alert, "alerts@eb.example", &to, "42", NOW).unwrap()).unwrap()
    }

    fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
        let head = message.split("\r\n\r\n").next().unwrap_or_default();
        head.split("\r\n").find_map(|l| l.strip_prefix(&format!("{name}: ")))
    }

    #[test]
    fn up_threads_under_its_down_and_ids_are_stable() {
        let down = message(&sample(AlertEvent::Down(FlipReason::Timeout)));
        let up = message(&sample(AlertEvent::Up { down_for_secs: Some(60) }));
        let root = header(&down, "Message-ID").unwrap();
        assert_eq!(root, "<edgebeat.0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b.1699990000000@eb.example>");
        assert_eq!(header(&up, "In-Reply-To"), Some(root));
        assert_eq!(header(&up, "References"), Some(root));
        assert_ne!(header(&up, "Message-ID"), Some(root));
        assert_eq!(down, message(&sample(AlertEvent::Down(FlipReason::Timeout))), "the same on a retry");
        assert_eq!(header(&down, "In-Reply-To"), None);
    }

    #[test]
    fn the_boundary_is_a_plain_token_that_delimits_the_parts() {
        for alert in every_alert() {
            let message = message(&alert);
            let head = message.split("\r\n\r\n").next().unwrap_or_default().replace("\r\n\t", " ");
            let boundary = head
                .split("boundary=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_else(|| panic!("no boundary in {head}"));
            assert!(boundary.len() <= 70, "RFC 2046 allows 70 characters: {boundary}");
            assert!(boundary.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'), "a plain token: {boundary}");
            let delimiters = message.split("\r\n").filter(|line| *line == format!("--{boundary}")).count();
            assert_eq!(delimiters, 2, "one before each part: {message}");
            assert!(message.contains(&format!("\r\n--{boundary}--")), "and the close");
        }
    }

    #[test]
    fn headers_say_what_happened_and_are_encoded() {
        let down = message(&sample(AlertEvent::Down(FlipReason::Timeout)));
        assert_eq!(header(&down, "Subject"), Some("DOWN: nightly-backup"));
        assert_eq!(header(&down, "Date"), Some("Tue, 14 Nov 2023 22:15:00 +0000"));
        assert_eq!(header(&down, "Auto-Submitted"), Some("auto-generated"));
        assert!(header(&down, "Content-Type").unwrap().starts_with("multipart/alternative"));
        let mut alert = sample(AlertEvent::Late);
        alert.check.name = "sauvegarde nocturne é".repeat(8);
        let late = message(&alert);
        let subject = late.split("\r\n").skip_while(|l| !l.starts_with("Subject: ")).take(3).collect::<Vec<_>>();
        assert!(subject[0].contains("=?utf-8?"), "RFC 2047: {subject:?}");
        assert!(late.split("\r\n").all(|l| l.len() <= 998), "no line over the limit");
    }

    #[test]
    fn every_alert_builds_and_no_user_text_reaches_the_html_unescaped() {
        for alert in every_alert() {
            let message = message(&alert);
            assert!(message.contains("text/plain") && message.contains("text/html"));
        }
        let html = html_body(&worst_case(AlertEvent::Down(FlipReason::Fail)));
        assert!(!html.contains("<script>") && !html.contains("<b>nnn"), "{html}");
        assert!(html.contains("&lt;script&gt;"));
        assert!(text_body(&worst_case(AlertEvent::Down(FlipReason::Fail))).contains("<script>"), "text is text");
    }
}
