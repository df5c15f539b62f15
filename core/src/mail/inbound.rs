//! Email pings: which check a message to the ping domain is for, and what it
//! says, with healthchecks.io's rules (its `smtpd` command's
//! `_process_message`): every message is a success, unless the check filters
//! by subject or body, when its keywords decide between fail, success and
//! start, and a message that matches none is ignored (or a failure with
//! `filter_default_fail`). The MIME is read with `mail-parser`.

use crate::check::{is_valid_slug, PingKind};
use crate::ids::Uuid;
use crate::ping::PingRules;
use mail_parser::decoders::html::html_to_text;
use mail_parser::{MessageParser, PartType};

/// The check a ping address names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recipient {
    /// `<uuid>@<domain>`.
    Check(Uuid),
    /// `<ping key>+<slug>@<domain>`.
    Slug { ping_key: String, slug: String },
}

/// The check `address` names, if it is an address of the ping `domain` in
/// one of healthchecks' two forms.
pub fn recipient(address: &str, domain: &str) -> Option<Recipient> {
    let (local, at) = address.trim().rsplit_once('@')?;
    if !at.eq_ignore_ascii_case(domain) {
        return None;
    }
    match local.split_once('+') {
        None => Uuid::parse_any_case(local).map(Recipient::Check),
        Some((ping_key, slug)) => {
            let key_ok =
                ping_key.len() == 22 && ping_key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            (key_ok && is_valid_slug(slug)).then(|| Recipient::Slug { ping_key: ping_key.into(), slug: slug.into() })
        }
    }
}

/// What a message says, as a ping reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inbound {
    pub subject: String,
    /// The text part's text.
    pub plain: String,
    /// The HTML part's text.
    pub html_text: String,
}

/// Reads a raw message (RFC 5322 and MIME: encoded words, charsets,
/// transfer encodings, multiparts). A message that cannot be parsed reads
/// as nothing: it is still a ping, with no text to match.
pub fn read(raw: &[u8]) -> Inbound {
    let Some(message) = MessageParser::default().parse(raw) else { return Inbound::default() };
    let plain = match message.text_part(0).map(|p| &p.body) {
        Some(PartType::Text(text)) => text.to_string(),
        _ => String::new(),
    };
    let html_text = match message.html_part(0).map(|p| &p.body) {
        Some(PartType::Html(html)) => html_to_text(html),
        _ => String::new(),
    };
    Inbound { subject: message.subject().unwrap_or_default().to_owned(), plain, html_text }
}

/// Comma-separated keywords, case-sensitive substring match (healthchecks'
/// `match_keywords`).
fn matches(keywords: &str, haystack: &str) -> bool {
    keywords.split(',').map(str::trim).any(|k| !k.is_empty() && haystack.contains(k))
}

/// What a message means for a check that filters (or not) by subject and
/// body with these keywords.
pub fn classify(message: &Inbound, filter_subject: bool, filter_body: bool, rules: &PingRules) -> PingKind {
    if !filter_subject && !filter_body {
        return PingKind::Success;
    }
    let mut chunks = Vec::new();
    if filter_subject {
        chunks.push(message.subject.as_str());
    }
    if filter_body {
        chunks.push(message.plain.as_str());
        chunks.push(message.html_text.as_str());
    }
    let text = chunks.join("\n");
    if matches(&rules.failure_kw, &text) {
        PingKind::Fail
    } else if matches(&rules.success_kw, &text) {
        PingKind::Success
    } else if matches(&rules.start_kw, &text) {
        PingKind::Start
    } else if rules.filter_default_fail {
        PingKind::Fail
    } else {
        PingKind::Ignored
    }
}

/// The ping's body: the subject line and the message's text, at most
/// `limit` bytes (cut on a character).
pub fn ping_body(message: &Inbound, limit: usize) -> Vec<u8> {
    let text = if message.plain.trim().is_empty() { &message.html_text } else { &message.plain };
    let body = format!("Subject: {}\n\n{}", message.subject, text.trim_end());
    let mut end = body.len().min(limit);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    body.as_bytes()[..end].to_vec()
}

/// `Email from <sender>`, at most 200 characters (healthchecks' user agent
/// of an email ping).
pub fn user_agent(sender: &str) -> String {
    format!("Email from {sender}").chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b";

    #[test]
    fn addresses_name_a_check_by_uuid_or_by_ping_key_and_slug() {
        let uuid = Uuid::parse(UUID).unwrap();
        assert_eq!(recipient(&format!("{UUID}@ping.example.com"), "ping.example.com"), Some(Recipient::Check(uuid)));
        assert_eq!(
            recipient(&format!("{}@PING.example.com", UUID.to_uppercase()), "ping.example.com"),
            Some(Recipient::Check(uuid))
        );
        let key = "abcdefghijKLMNOPQRST-_";
        assert_eq!(
            recipient(&format!("{key}+nightly-backup@ping.example.com"), "ping.example.com"),
            Some(Recipient::Slug { ping_key: key.into(), slug: "nightly-backup".into() })
        );
        for wrong in [
            format!("{UUID}@other.example.com"),
            "postmaster@ping.example.com".into(),
            format!("{key}+Bad Slug@ping.example.com"),
            "short+slug@ping.example.com".into(),
            "no-at-sign".into(),
        ] {
            assert_eq!(recipient(&wrong, "ping.example.com"), None, "{wrong}");
        }
    }

    fn message(subject: &str, body: &str) -> Vec<u8> {
        format!("From: cron@example.com\r\nTo: x@ping.example.com\r\nSubject: {subject}\r\n\r\n{body}\r\n").into_bytes()
    }

    #[test]
    fn mime_is_decoded_subjects_parts_and_charsets() {
        let raw = "From: a@example.com\r\nSubject: =?utf-8?B?QmFja3VwIHLDqXVzc2k=?=\r\nMIME-Version: 1.0\r\n\
                   Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n\
                   Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
                   Termin=E9 sans erreur\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>All <b>OK</b></p>\r\n--b--\r\n";
        let inbound = read(raw.as_bytes());
        assert_eq!(inbound.subject, "Backup réussi");
        assert_eq!(inbound.plain.trim(), "Terminé sans erreur");
        assert!(inbound.html_text.contains("All OK"), "{:?}", inbound.html_text);
        assert_eq!(read(b"\xff\xfe not a message").subject, "");
    }

    #[test]
    fn healthchecks_rules_decide_success_failure_start_or_ignore() {
        let rules = PingRules {
            success_kw: "SUCCESS, completed".into(),
            failure_kw: "ERROR,FAILED".into(),
            start_kw: "STARTING".into(),
            ..PingRules::default()
        };
        let kind = |subject: &str, body: &str, by_subject: bool, by_body: bool, rules: &PingRules| {
            classify(&read(&message(subject, body)), by_subject, by_body, rules)
        };
        assert_eq!(kind("ERROR", "", false, false, &rules), PingKind::Success, "no filter: always a success");
        assert_eq!(kind("Backup FAILED", "completed", true, false, &rules), PingKind::Fail);
        assert_eq!(kind("Backup completed", "", true, false, &rules), PingKind::Success);
        assert_eq!(kind("STARTING backup", "", true, false, &rules), PingKind::Start);
        assert_eq!(kind("weekly report", "all fine", true, true, &rules), PingKind::Ignored);
        assert_eq!(kind("weekly report", "ERROR: disk full", true, false, &rules), PingKind::Ignored, "body not read");
        assert_eq!(kind("weekly report", "ERROR: disk full", false, true, &rules), PingKind::Fail);
        assert_eq!(kind("backup success", "", true, false, &rules), PingKind::Ignored, "case-sensitive");
        let strict = PingRules { filter_default_fail: true, ..rules.clone() };
        assert_eq!(kind("weekly report", "", true, false, &strict), PingKind::Fail);
    }

    #[test]
    fn the_ping_body_is_the_subject_and_text_within_the_limit() {
        let inbound = read(&message("Backup done", "é".repeat(100).as_str()));
        let body = ping_body(&inbound, 30);
        assert!(body.len() <= 30 && std::str::from_utf8(&body).is_ok());
        assert!(String::from_utf8(ping_body(&inbound, 10_000)).unwrap().starts_with("Subject: Backup done\n\né"));
        assert_eq!(user_agent("cron@example.com"), "Email from cron@example.com");
    }
}
