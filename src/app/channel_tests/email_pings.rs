//! Email pings through the application: addresses, healthchecks' filters,
//! the sender as the ping's source, the check's `email` field.

use super::World;
use crate::app::email::{handle, EmailPing};
use crate::app::testing::block_on;
use serde_json::json;

const DOMAIN: &str = "ping.eb.example";

fn message(subject: &str, body: &str) -> Vec<u8> {
    format!("From: cron@example.com\r\nSubject: {subject}\r\nMessage-ID: <1@example.com>\r\n\r\n{body}\r\n")
        .into_bytes()
}

#[test]
fn messages_to_a_checks_addresses_are_pings_with_healthchecks_filters() {
    let mut world = World::new();
    world.settings.ping_email_domain = Some(DOMAIN.into());
    let (key, ping_key) = world.project();
    let (_, check) = world.api(
        &key,
        "POST",
        "/api/v3/checks/",
        Some(json!({"name": "backup", "slug": "backup", "filter_subject": true, "success_kw": "OK", "failure_kw": "FAILED"})),
    );
    let uuid = check["uuid"].as_str().unwrap().to_owned();
    assert_eq!(check["email"], format!("{uuid}@{DOMAIN}"));
    let send =
        |to: &str, subject: &str| block_on(handle(&world.app(), "cron@example.com", to, &message(subject, "details")));

    assert!(matches!(send(&format!("{uuid}@{DOMAIN}"), "backup OK"), EmailPing::Recorded(_)));
    let (_, pings) = world.api(&key, "GET", &format!("/api/v3/checks/{uuid}/pings/"), None);
    let ping = &pings["pings"][0];
    assert_eq!((ping["type"].as_str(), ping["scheme"].as_str()), (Some("success"), Some("email")));
    assert_eq!(ping["ua"], "Email from cron@example.com");

    assert!(matches!(send(&format!("{ping_key}+backup@{DOMAIN}"), "backup FAILED"), EmailPing::Recorded(_)));
    assert!(matches!(send(&format!("{uuid}@{DOMAIN}"), "weekly report"), EmailPing::Recorded(_)));
    let (_, pings) = world.api(&key, "GET", &format!("/api/v3/checks/{uuid}/pings/"), None);
    let kinds: Vec<&str> = pings["pings"].as_array().unwrap().iter().map(|p| p["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["ign", "fail", "success"], "newest first");
    assert_eq!(world.api(&key, "GET", &format!("/api/v3/checks/{uuid}"), None).1["status"], "down");

    let rejected = |to: &str| matches!(send(to, "x"), EmailPing::Rejected(_));
    assert!(rejected(&format!("{uuid}@other.example")), "another domain");
    assert!(rejected(&format!("0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b@{DOMAIN}")), "no such check");
    assert!(rejected(&format!("{ping_key}+nope@{DOMAIN}")), "no such slug");
    assert!(rejected(&format!("postmaster@{DOMAIN}")));
}

#[test]
fn without_a_ping_domain_every_message_is_rejected() {
    let world = World::new();
    let (key, _) = world.project();
    let (_, check) = world.api(&key, "POST", "/api/v3/checks/", Some(json!({"name": "x"})));
    assert_eq!(check.get("email"), None);
    let to = format!("{}@{DOMAIN}", check["uuid"].as_str().unwrap());
    assert!(matches!(block_on(handle(&world.app(), "a@example.com", &to, &message("s", "b"))), EmailPing::Rejected(_)));
}

#[test]
fn an_email_channel_needs_a_sender_on_the_deployment() {
    let mut world = World::new();
    let (key, _) = world.project();
    let spec = json!({"kind": "email", "to": "ops@example.com"});
    let (status, refused) = world.api(&key, "POST", "/api/v3/channels/", Some(spec.clone()));
    assert_eq!(status, 400);
    assert!(refused["error"].as_str().unwrap().contains("EMAIL_FROM"), "{refused}");
    world.settings.email_from = Some("alerts@eb.example".into());
    let (status, created) = world.api(&key, "POST", "/api/v3/channels/", Some(spec));
    assert_eq!((status, created["destination"].as_str()), (201, Some("ops@example.com")));
    let (_, tested) =
        world.api(&key, "POST", &format!("/api/v3/channels/{}/test", created["id"].as_str().unwrap()), None);
    assert_eq!(tested["delivered"], true, "{tested}");
    let sent = world.platform.emails.borrow();
    assert_eq!((sent.len(), sent[0].from.as_str()), (1, "alerts@eb.example"));
    assert!(String::from_utf8_lossy(&sent[0].message).contains("Subject: TEST: edgebeat to email"));
}
