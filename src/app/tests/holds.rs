//! What holds a check's alerts: maintenance windows through the API, and
//! snoozes (by the API and by the job itself), decided again when another
//! write lands between their read and write.

use super::*;
use crate::domain::check::Status;
use crate::domain::maintenance::MAX_WINDOWS;

#[test]
fn windows_are_created_listed_replaced_and_deleted_within_their_project() {
    let world = World::new();
    let project = world.project("windows");
    let stranger = world.project("stranger");
    let key = &project.api_key;
    let spec = json!({"name": "nightly", "schedule": "0 3 * * *", "tz": "Europe/Riga", "duration": 3600, "tags": "db"});
    let created = world.api("POST", "/api/v3/maintenance/", key, Some(spec));
    assert_eq!(created.status(), 201, "{created:?}");
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let listed = world.api("GET", "/api/v3/maintenance/", key, None).json();
    assert_eq!(listed["windows"].as_array().map(Vec::len), Some(1));
    assert_eq!(world.api("GET", "/api/v3/maintenance/", &stranger.api_key, None).json()["windows"], json!([]));
    let path = format!("/api/v3/maintenance/{id}");
    assert_eq!(world.api("GET", &path, &stranger.api_key, None).status(), 404);
    assert_eq!(world.api("DELETE", &path, &stranger.api_key, None).status(), 404);

    let replaced =
        world.api("POST", &path, key, Some(json!({"name": "weekly", "schedule": "0 3 * * 0", "duration": 600})));
    assert_eq!((replaced.status(), replaced.json()["name"].as_str()), (200, Some("weekly")));
    let bad = world.api("POST", "/api/v3/maintenance/", key, Some(json!({"start": "yesterday", "end": "today"})));
    assert_eq!(bad.status(), 400);
    assert_eq!(world.api("DELETE", &path, key, None).status(), 200);
    assert_eq!(world.api("GET", &path, key, None).status(), 404);
    assert_eq!(world.api("GET", "/api/v3/maintenance/", &project.read_key, None).status(), 200, "readable read-only");
    assert_eq!(world.api("POST", "/api/v3/maintenance/", &project.read_key, Some(json!({}))).status(), 401);
}

#[test]
fn a_project_has_at_most_its_windows() {
    let world = World::new();
    let project = world.project("windows");
    let spec = json!({"start": T0.iso8601(), "end": T0.plus_secs(60).iso8601()});
    for _ in 0..MAX_WINDOWS {
        assert_eq!(world.api("POST", "/api/v3/maintenance/", &project.api_key, Some(spec.clone())).status(), 201);
    }
    let refused = world.api("POST", "/api/v3/maintenance/", &project.api_key, Some(spec));
    assert_eq!(refused.status(), 400);
    assert!(refused.error().contains("at most 100"), "{refused:?}");
}

#[test]
fn a_snooze_that_a_ping_overtakes_is_decided_again_and_keeps_both() {
    let world = World::new();
    let project = world.project("snoozes");
    let uuid = uuid_of(&world.check(&project, json!({"name": "snoozy", "timeout": 60, "grace": 60})));
    assert_eq!(world.ping(&uuid).status(), 200);
    let w = later(&world);
    let pinged = uuid.clone();
    world.store().before_next_apply(move |_, _| assert_eq!(up(&w).ping(&format!("{pinged}/fail")).status(), 200));
    let path = format!("/api/v3/checks/{uuid}/snooze");
    let snoozed = world.api("POST", &path, &project.api_key, Some(json!({"seconds": 3600})));
    assert_eq!(snoozed.status(), 200, "{snoozed:?}");
    assert_eq!(snoozed.json()["status"], "down", "the answer shows the check as written");
    let row = world.row(&uuid);
    assert_eq!((row.check.state.status, row.check.state.muted_until), (Status::Down, Some(T0.plus_secs(3600))));
    assert_eq!(row.check.n_pings, 2);
}

#[test]
fn a_snooze_of_a_check_deleted_meanwhile_is_404() {
    let world = World::new();
    let project = world.project("snoozes");
    let uuid = uuid_of(&world.check(&project, json!({"name": "doomed"})));
    let w = later(&world);
    let (doomed, key) = (uuid.clone(), project.api_key.clone());
    world.store().before_next_apply(move |_, _| {
        assert_eq!(up(&w).api("DELETE", &format!("/api/v3/checks/{doomed}"), &key, None).status(), 200);
    });
    let by_ping = world.send(Request::new("POST", &format!("/ping/{uuid}/snooze?seconds=60")));
    assert_eq!((by_ping.status(), by_ping.text().as_str()), (404, "not found"));
}

#[test]
fn snoozes_by_ping_find_their_check_by_slug_and_refuse_what_they_cannot() {
    let world = World::new();
    let project = world.project("snoozes");
    let key = &project.ping_key;
    let uuid = uuid_of(&world.check(&project, json!({"name": "one", "slug": "job"})));
    let snooze = |rest: &str| world.send(Request::new("POST", &format!("/ping/{rest}/snooze?seconds=120")));
    assert_eq!(snooze(&format!("{key}/job")).status(), 200);
    assert_eq!(world.row(&uuid).check.state.muted_until, Some(T0.plus_secs(120)));
    assert_eq!(snooze(&format!("{key}/other")).status(), 404);
    world.check(&project, json!({"name": "two", "slug": "job"}));
    assert_eq!(snooze(&format!("{key}/job")).status(), 409);
    let get = world.send(Request::new("GET", &format!("/ping/{uuid}/snooze?seconds=120")));
    assert_eq!(get.status(), 405, "a link preview cannot silence a check");

    world.store().fail_next_op("check_by_uuid", 1);
    let failed = snooze(&uuid);
    assert_eq!((failed.status(), failed.header("Retry-After")), (503, Some("1")));
    // Ending a snooze early through the API.
    let ended = world.api("DELETE", &format!("/api/v3/checks/{uuid}/snooze"), &project.api_key, None);
    assert_eq!(ended.json()["snoozed_until"], Value::Null);
    assert_eq!(world.row(&uuid).check.state.muted_until, Some(T0), "ended now: the sweep says if still down");
}

#[test]
fn a_snooze_ended_through_the_api_shows_as_ended_though_the_write_came_after_the_request() {
    let world = World::new();
    let project = world.project("snoozes");
    let uuid = uuid_of(&world.check(&project, json!({"name": "snoozy"})));
    let path = format!("/api/v3/checks/{uuid}/snooze");
    assert_eq!(world.api("POST", &path, &project.api_key, Some(json!({"seconds": 600}))).status(), 200);
    // The request's instant is taken first; the write that ends the snooze
    // is decided a second later, and ends it then.
    let w = later(&world);
    world.store().before_next("check_by_uuid", move |_| up(&w).platform.advance_secs(1));
    let ended = world.api("DELETE", &path, &project.api_key, None);
    assert_eq!(ended.status(), 200, "{ended:?}");
    assert_eq!(world.row(&uuid).check.state.muted_until, Some(T0.plus_secs(1)));
    assert_eq!(ended.json()["snoozed_until"], Value::Null, "ended by the time of the answer");
}
