//! Every write endpoint (and every read that can hold secrets), for every
//! role, key, the admin, a stranger and nobody, each in a fresh deployment:
//! what the matrix allows is carried out (and logged), what it refuses
//! answers 401 or 403 and changes nothing.

use super::*;

/// A deployment with a project: owner, member and viewer, a stranger who
/// belongs to another project, a check, a paused check, a channel and a
/// window. Returns the project's JSON and the ids by name.
fn arranged() -> (World, Value, Vec<(&'static str, String)>) {
    let world = World::new();
    let project = world.project("ops", "owner@example.com");
    let id = id_of(&project);
    world.add_member(&id, "member@example.com", "member");
    world.add_member(&id, "viewer@example.com", "viewer");
    world.project("elsewhere", "stranger@example.com");
    let key = key_of(&project, "api_key");
    let made = |path: &str, body: Value| {
        let reply = world.request(&key, "POST", path, Some(&body));
        assert!(reply.status < 300, "{path}: {}", text(&reply));
        super::body(&reply)
    };
    let check = made("/api/v3/checks/", json!({"name": "backup"}))["uuid"].as_str().unwrap().to_owned();
    let paused = made("/api/v3/checks/", json!({"name": "paused"}))["uuid"].as_str().unwrap().to_owned();
    made(&format!("/api/v3/checks/{paused}/pause"), json!({}));
    // Snoozed, so that ending the snooze changes something.
    made(&format!("/api/v3/checks/{check}/snooze"), json!({"seconds": 3600}));
    let channel =
        made("/api/v3/channels/", json!({"kind": "webhook", "name": "hook", "url": "http://127.0.0.1:9/hook"}))["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let window = made(
        "/api/v3/maintenance/",
        json!({"name": "upgrade", "start": "2027-01-01T00:00:00Z", "end": "2027-01-01T01:00:00Z"}),
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ids =
        vec![("{project}", id), ("{check}", check), ("{paused}", paused), ("{channel}", channel), ("{window}", window)];
    (world, project, ids)
}

/// (method, path, body, who may: o owner, m member, v viewer, w read-write
/// key, r read-only key, a admin).
const ENDPOINTS: &[(&str, &str, &str, &str)] = &[
    ("POST", "/api/v3/checks/", r#"{"name": "new"}"#, "omw"),
    ("POST", "/api/v3/checks/{check}", r#"{"name": "renamed", "timeout": 3600}"#, "omw"),
    ("DELETE", "/api/v3/checks/{check}", "", "omw"),
    ("POST", "/api/v3/checks/{check}/pause", "", "omw"),
    ("POST", "/api/v3/checks/{paused}/resume", "", "omw"),
    ("POST", "/api/v3/checks/{check}/snooze", r#"{"seconds": 600}"#, "omw"),
    ("DELETE", "/api/v3/checks/{check}/snooze", "", "omw"),
    ("POST", "/api/v3/channels/", r#"{"kind": "webhook", "url": "http://127.0.0.1:9/new"}"#, "omw"),
    ("POST", "/api/v3/channels/{channel}", r#"{"name": "renamed"}"#, "omw"),
    ("DELETE", "/api/v3/channels/{channel}", "", "omw"),
    ("POST", "/api/v3/channels/{channel}/test", "", "omw"),
    (
        "POST",
        "/api/v3/maintenance/",
        r#"{"name": "w", "start": "2027-02-01T00:00:00Z", "end": "2027-02-01T01:00:00Z"}"#,
        "omw",
    ),
    (
        "POST",
        "/api/v3/maintenance/{window}",
        r#"{"name": "w2", "start": "2027-02-01T00:00:00Z", "end": "2027-02-01T02:00:00Z"}"#,
        "omw",
    ),
    ("DELETE", "/api/v3/maintenance/{window}", "", "omw"),
    ("POST", "/api/v3/projects/{project}/members/", r#"{"email": "new@example.com", "role": "viewer"}"#, "oa"),
    ("DELETE", "/api/v3/projects/{project}/members/viewer@example.com", "", "oa"),
    ("POST", "/api/v3/projects/{project}/keys/", "", "oa"),
    ("DELETE", "/api/v3/projects/{project}", "", "oa"),
    ("GET", "/api/v3/projects/{project}/members/", "", "oa"),
    ("GET", "/api/v3/checks/{check}/pings/", "", "omw"),
    ("GET", "/api/v3/channels/", "", "omw"),
    ("GET", "/api/v3/notifications/", "", "omw"),
    ("GET", "/api/v3/checks/", "", "omvwr"),
    ("GET", "/api/v3/projects/{project}/audit/", "", "omvwra"),
    ("GET", "/api/v3/checks/{check}/audit/", "", "omvwr"),
];

fn actors(project: &Value) -> Vec<(char, As)> {
    let person = |email: &str| As::Person(email.into(), Some(id_of(project)));
    vec![
        ('o', person("owner@example.com")),
        ('m', person("member@example.com")),
        ('v', person("viewer@example.com")),
        ('w', key_of(project, "api_key")),
        ('r', key_of(project, "api_key_readonly")),
        ('a', As::Admin),
        ('s', person("stranger@example.com")),
        ('n', As::Nobody),
    ]
}

#[test]
fn every_endpoint_for_every_actor() {
    for (method, pattern, request_body, allowed) in ENDPOINTS {
        let (_, project, _) = arranged();
        for (who, actor) in actors(&project) {
            // A fresh deployment each time: a delete must not hide the next refusal.
            let (world, project, ids) = arranged();
            let actor = actors(&project).into_iter().find(|(w, _)| *w == who).map(|(_, a)| a).unwrap_or(actor);
            let path = ids.iter().fold(pattern.to_string(), |p, (name, id)| p.replace(name, id));
            let sent: Option<Value> = (!request_body.is_empty()).then(|| serde_json::from_str(request_body).unwrap());
            let before = world.log(&id_of(&project));
            let reply = world.request(&actor, method, &path, sent.as_ref());
            let after = world.log(&id_of(&project));
            if allowed.contains(who) {
                assert!(reply.status < 300, "{who} {method} {pattern}: {}", text(&reply));
                if *method != "GET" && !pattern.ends_with("/test") {
                    assert_eq!(after.len(), before.len() + 1, "{who} {method} {pattern} is logged");
                }
            } else {
                assert!([401, 403].contains(&reply.status), "{who} {method} {pattern}: {}", text(&reply));
                assert_eq!(after, before, "{who} {method} {pattern} changed nothing");
            }
        }
    }
}

#[test]
fn a_viewer_sees_checks_as_a_read_only_key_does() {
    let (world, project, ids) = arranged();
    let viewer = As::Person("viewer@example.com".into(), Some(id_of(&project)));
    let listed = body(&world.request(&viewer, "GET", "/api/v3/checks/", None));
    let by_key = body(&world.request(&key_of(&project, "api_key_readonly"), "GET", "/api/v3/checks/", None));
    assert_eq!(listed, by_key);
    assert!(listed["checks"][0].get("uuid").is_none(), "no uuid, so no ping URL");
    let check = &ids[1].1;
    let refused = world.request(&viewer, "POST", &format!("/api/v3/checks/{check}/pause"), None);
    assert_eq!(refused.status, 403);
    assert_eq!(body(&refused)["error"], "your role in this project (viewer) does not allow this");
}
