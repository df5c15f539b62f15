//! ntfy: a JSON message published to the topic of `url` (ntfy.sh or a
//! self-hosted server, also under a path), with a priority and tags by
//! event and a click link to the check; `token` authenticates
//! (`Authorization: Bearer`). Messages stay under ntfy's 4,096 bytes (longer
//! ones would become attachments).
//!
//! 401 and 403 mean the token is wrong or may not publish to the topic:
//! permanent refusals.

use super::text::{cut_bytes, details, facts, ping_body, tone, Tone};
use super::{Answer, Context, Delivery, Field, Kind, KindInfo, Outgoing};
use crate::alert::{excerpt, Alert, AlertEvent};
use crate::outbox::AttemptResult;
use serde::{Deserialize, Serialize};
use serde_json::json;
use url::Url;

const MAX_MESSAGE: usize = 4000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ntfy {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl Kind for Ntfy {
    const INFO: KindInfo = KindInfo {
        name: "ntfy",
        title: "ntfy",
        fields: &[
            Field::url("url", "Topic URL", "The server and topic: `https://ntfy.sh/<topic>`."),
            Field::secret("token", "Access token", 1, 200, "An access token, for a protected topic.").optional(),
        ],
        about: "Subscribe to a topic in the ntfy app and give the topic's URL (with a token for a protected topic).",
        example: r#"{"url": "https://ntfy.sh/edgebeat-alerts-x7k2"}"#,
    };

    fn check(&self) -> Result<(), String> {
        split(&self.url).map(|_| ())
    }

    fn endpoint(&self) -> Option<String> {
        Some(self.url.clone())
    }

    fn deliver(&self, alert: &Alert, _: &Context) -> Delivery {
        let (server, topic) = match split(&self.url) {
            Ok(parts) => parts,
            Err(problem) => return Delivery::Impossible(problem),
        };
        let mut outgoing = Outgoing::json_post(&server, &message(alert, &topic));
        if let Some(token) = &self.token {
            outgoing = outgoing.with_header("Authorization", &format!("Bearer {token}"));
        }
        Delivery::Http(outgoing)
    }

    fn judge(&self, answer: &Answer) -> AttemptResult {
        match answer.status() {
            Some(401 | 403) => answer.refused("ntfy does not let this token publish to the topic"),
            _ => answer.result.clone(),
        }
    }
}

/// The server's root (where JSON messages are published) and the topic.
fn split(url: &str) -> Result<(String, String), String> {
    let mut parsed = Url::parse(url).map_err(|_| "url is not a URL".to_owned())?;
    let segments: Vec<String> = parsed.path_segments().map(|s| s.map(str::to_owned).collect()).unwrap_or_default();
    let segments: Vec<&String> = segments.iter().filter(|s| !s.is_empty()).collect();
    let Some((topic, rest)) = segments.split_last() else {
        return Err("url must name a topic: https://ntfy.sh/<topic>".into());
    };
    if topic.len() > 64 || !topic.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err("the topic is 1 to 64 letters, digits, - and _".into());
    }
    let topic = (*topic).clone();
    let root: Vec<&str> = rest.iter().map(|s| s.as_str()).collect();
    parsed.set_path(&format!("/{}", root.iter().map(|s| format!("{s}/")).collect::<String>()));
    parsed.set_query(None);
    parsed.set_fragment(None);
    Ok((parsed.to_string(), topic))
}

/// 1 (min) to 5 (urgent), and emoji tags, by event.
fn priority_and_tags(alert: &Alert) -> (u8, &'static str) {
    match alert.event {
        AlertEvent::Down(_) => (5, "rotating_light"),
        AlertEvent::Reminder { .. } | AlertEvent::StillDown { .. } => (4, "rotating_light"),
        AlertEvent::Fail(_) => (4, "x"),
        AlertEvent::Late => (3, "hourglass"),
        AlertEvent::Up { .. } => (3, "white_check_mark"),
        AlertEvent::Success => (2, "heavy_check_mark"),
        AlertEvent::Test => (3, "bell"),
        AlertEvent::ChannelFailing { .. } => (4, "warning"),
    }
}

pub fn message(alert: &Alert, topic: &str) -> serde_json::Value {
    let (priority, tag) = priority_and_tags(alert);
    let mut text = details(alert);
    for (label, value) in facts(alert) {
        text.push_str(&format!("\n{label}: {value}"));
    }
    if let Some(body) = ping_body(alert, 1000) {
        text.push_str(&format!("\n\n{body}"));
    }
    let mut tags = vec![tag.to_owned()];
    if tone(alert) != Tone::Neutral {
        tags.push(format!("edgebeat-{}", alert.event_name()));
    }
    json!({
        "topic": topic,
        "title": excerpt(&alert.summary(), 250),
        "message": cut_bytes(&text, MAX_MESSAGE),
        "priority": priority,
        "tags": tags,
        "click": alert.check.url,
        "markdown": false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::tests::sample;
    use crate::channels::tests::{answer, body_json, every_alert, is_refused, request_of};
    use crate::channels::ChannelConfig;
    use crate::check::FlipReason;

    #[test]
    fn topics_are_published_as_json_to_the_servers_root() {
        assert_eq!(split("https://ntfy.sh/alerts"), Ok(("https://ntfy.sh/".into(), "alerts".into())));
        assert_eq!(
            split("http://127.0.0.1:8080/ntfy/team-a/"),
            Ok(("http://127.0.0.1:8080/ntfy/".into(), "team-a".into()))
        );
        assert!(split("https://ntfy.sh/").is_err());
        assert!(split("https://ntfy.sh/a%20b").is_err());
        let ntfy = Ntfy { url: "https://ntfy.sh/alerts".into(), token: Some("tk_secret".into()) };
        let request = request_of(&ChannelConfig::Ntfy(ntfy), &sample(AlertEvent::Down(FlipReason::Timeout)));
        assert_eq!(request.url, "https://ntfy.sh/");
        assert!(request.headers.contains(&("Authorization".into(), "Bearer tk_secret".into())));
        let body = body_json(&request);
        assert_eq!((body["topic"].as_str(), body["priority"].as_u64()), (Some("alerts"), Some(5)));
        assert_eq!(body["title"], "nightly-backup is DOWN: no ping on time");
    }

    #[test]
    fn priority_and_tags_by_event_within_the_size_limit() {
        for alert in every_alert() {
            let body = message(&alert, "t");
            assert!(body["message"].as_str().unwrap().len() <= 4096);
            assert!((1..=5).contains(&body["priority"].as_u64().unwrap()));
        }
        assert_eq!(message(&sample(AlertEvent::Success), "t")["priority"], 2);
        assert_eq!(message(&sample(AlertEvent::Up { down_for_secs: None }), "t")["tags"][0], "white_check_mark");
    }

    #[test]
    fn a_refused_token_is_permanent() {
        let ntfy = Ntfy { url: "https://ntfy.sh/a".into(), token: None };
        assert!(is_refused(&ntfy.judge(&answer(403, r#"{"code":40301,"error":"forbidden"}"#))));
        assert_eq!(ntfy.judge(&answer(429, "")), AttemptResult::Status(429));
    }
}
