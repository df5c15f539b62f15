//! A permanent refusal marks a channel failing, stops sending to it, tells
//! the project's other channels once; a delivered test or an edit clears it.

use super::World;
use serde_json::json;

#[test]
fn a_refused_channel_is_marked_silenced_announced_once_and_cleared_by_a_good_test() {
    let world = World::new();
    let (key, _) = world.project();
    let (status, broken) = world.api(
        &key,
        "POST",
        "/api/v3/channels/",
        Some(json!({"kind": "webhook", "name": "old hook", "url": "http://gone.test/hook"})),
    );
    assert_eq!(status, 201, "{broken}");
    let broken_id = broken["id"].as_str().unwrap().to_owned();
    world.api(
        &key,
        "POST",
        "/api/v3/channels/",
        Some(json!({"kind": "slack", "name": "team", "url": "http://ok.test/s"})),
    );
    let (_, check) = world.api(&key, "POST", "/api/v3/checks/", Some(json!({"name": "backup", "channels": "*"})));
    let uuid = check["uuid"].as_str().unwrap().to_owned();
    world.platform.answer_url("http://gone.test", 410, "{\"error\": \"gone\"}");

    // Down: the webhook refuses for good; the team hears of the check.
    assert_eq!(world.ping(&format!("/ping/{uuid}/fail")), 200);
    assert_eq!(world.sent_to("http://gone.test").len(), 1);
    assert_eq!(world.sent_to("http://ok.test").len(), 1);
    let (_, shown) = world.api(&key, "GET", &format!("/api/v3/channels/{broken_id}"), None);
    let reason = shown["failing"]["reason"].as_str().unwrap();
    assert!(reason.contains("410 Gone") && reason.contains("gone"), "{shown}");
    assert_eq!(shown["failing"]["since"], "2023-11-14T22:13:20+00:00");

    // The next delivery tells the team, once.
    world.sweep();
    let team = world.sent_to("http://ok.test");
    assert_eq!(team.len(), 2);
    assert!(team[1].contains("Channel old hook (webhook) is failing"), "{}", team[1]);

    // Up and down again: the failing channel is not contacted, and nothing
    // new is announced.
    world.platform.advance_secs(60);
    assert_eq!(world.ping(&format!("/ping/{uuid}")), 200);
    world.platform.advance_secs(60);
    assert_eq!(world.ping(&format!("/ping/{uuid}/fail")), 200);
    world.sweep();
    assert_eq!(world.sent_to("http://gone.test").len(), 1, "a failing channel is never contacted");
    assert_eq!(world.sent_to("http://ok.test").len(), 4, "up, down, and a single notice");
    let (_, log) = world.api(&key, "GET", "/api/v3/notifications/?state=failed", None);
    let errors: Vec<&str> = log["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["channel"] == broken_id.as_str())
        .map(|n| n["last_error"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(errors.len(), 3, "{log}");
    assert!(errors[0].starts_with("the channel is failing"), "{errors:?}");
    assert!(errors[2].starts_with("refused for good"), "{errors:?}");
    let (_, all) = world.api(&key, "GET", "/api/v3/notifications/", None);
    let notices = all["notifications"].as_array().unwrap().iter().filter(|n| n["event"] == "channel_failing").count();
    assert_eq!(notices, 1);

    // A channel test is still sent; delivered, it clears the mark.
    world.platform.answer_url("http://gone.test", 200, "");
    let (_, tested) = world.api(&key, "POST", &format!("/api/v3/channels/{broken_id}/test"), None);
    assert_eq!(tested["delivered"], true, "{tested}");
    let (_, shown) = world.api(&key, "GET", &format!("/api/v3/channels/{broken_id}"), None);
    assert_eq!(shown["failing"], serde_json::Value::Null);
    world.platform.advance_secs(60);
    assert_eq!(world.ping(&format!("/ping/{uuid}")), 200);
    assert_eq!(world.sent_to("http://gone.test").len(), 3, "the test, then the recovery");
}

#[test]
fn a_refused_test_marks_without_a_notice_and_an_edit_clears() {
    let world = World::new();
    let (key, _) = world.project();
    let (_, hook) =
        world.api(&key, "POST", "/api/v3/channels/", Some(json!({"kind": "discord", "url": "http://gone.test/w"})));
    world.api(&key, "POST", "/api/v3/channels/", Some(json!({"kind": "slack", "url": "http://ok.test/s"})));
    let path = format!("/api/v3/channels/{}", hook["id"].as_str().unwrap());
    world.platform.answer_url("http://gone.test", 404, r#"{"message": "Unknown Webhook", "code": 10015}"#);
    let (_, tested) = world.api(&key, "POST", &format!("{path}/test"), None);
    assert_eq!((tested["delivered"].as_bool(), tested["status"].as_u64()), (Some(false), Some(404)));
    assert!(tested["error"].as_str().unwrap().contains("Unknown Webhook"), "{tested}");
    assert!(world.api(&key, "GET", &path, None).1["failing"].is_object());
    world.sweep();
    assert!(world.sent_to("http://ok.test").is_empty(), "the person testing saw it: no notice");
    let (status, edited) = world.api(&key, "POST", &path, Some(json!({"name": "renamed"})));
    assert_eq!((status, edited["failing"].clone()), (200, serde_json::Value::Null), "an edit clears the mark");
    assert_eq!(world.api(&key, "GET", &path, None).1["failing"], serde_json::Value::Null);
}

#[test]
fn a_default_channel_kept_from_secrets_is_never_marked() {
    let mut world = World::new();
    world.settings.slack_webhook_url = Some("http://gone.test/default".into());
    let (key, _) = world.project();
    let (_, check) = world.api(&key, "POST", "/api/v3/checks/", Some(json!({"name": "x"})));
    world.platform.answer_url("http://gone.test", 404, "no_service");
    assert_eq!(world.ping(&format!("/ping/{}/fail", check["uuid"].as_str().unwrap())), 200);
    assert_eq!(world.sent_to("http://gone.test").len(), 1);
    let (_, listed) = world.api(&key, "GET", "/api/v3/channels/", None);
    assert_eq!(listed["channels"][0]["failing"], serde_json::Value::Null);
}
