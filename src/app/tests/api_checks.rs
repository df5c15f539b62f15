//! The checks API: the life of a check, conditional updates decided again
//! when another write lands in between, unique upserts, the check limit
//! under concurrent creates, keys, other projects' checks, and storage
//! failures.

use super::*;
use crate::domain::check::Status;

fn path(uuid: &str, rest: &str) -> String {
    format!("/api/v3/checks/{uuid}{rest}")
}

#[test]
fn a_check_is_created_edited_paused_resumed_snoozed_and_deleted() {
    let world = World::new();
    let project = world.project("life");
    let key = &project.api_key;
    let created = world.check(&project, json!({"name": "Nightly Backup", "tags": "db prod", "timeout": 3600}));
    let uuid = uuid_of(&created);
    // API v3 sets a slug only when told to, as healthchecks does.
    assert_eq!((created["status"].as_str(), created["slug"].as_str()), (Some("new"), Some("")));
    assert_eq!(created["ping_url"], format!("http://127.0.0.1/ping/{uuid}"));

    let edited = world.api("POST", &path(&uuid, ""), key, Some(json!({"grace": 120, "desc": "from cron"})));
    assert_eq!(edited.status(), 200, "{edited:?}");
    assert_eq!((edited.json()["grace"].as_i64(), edited.json()["timeout"].as_i64()), (Some(120), Some(3600)));
    assert_eq!(world.row(&uuid).check.config_version, 1);

    assert_eq!(world.ping(&uuid).status(), 200);
    assert_eq!(world.row(&uuid).alert_after, Some(T0.plus_secs(3600 + 120)));
    let paused = world.api("POST", &path(&uuid, "/pause"), key, None);
    assert_eq!(paused.json()["status"], "paused");
    assert_eq!(world.row(&uuid).alert_after, None, "a paused check is never due");
    let resumed = world.api("POST", &path(&uuid, "/resume"), key, None);
    assert_eq!(resumed.json()["status"], "new");
    let again = world.api("POST", &path(&uuid, "/resume"), key, None);
    assert_eq!((again.status(), again.error().as_str()), (409, "check is not paused"));

    let snoozed = world.api("POST", &path(&uuid, "/snooze"), key, Some(json!({"seconds": 300})));
    assert_eq!(snoozed.json()["snoozed_until"], T0.plus_secs(300).iso8601());
    let unsnoozed = world.api("DELETE", &path(&uuid, "/snooze"), key, None);
    assert_eq!(unsnoozed.json()["snoozed_until"], Value::Null);

    let listed = world.api("GET", "/api/v3/checks/?tag=db", key, None).json();
    assert_eq!(listed["checks"].as_array().map(Vec::len), Some(1));
    assert_eq!(world.api("GET", "/api/v3/checks/?tag=web", key, None).json()["checks"], json!([]));
    let flips = world.api("GET", &path(&uuid, "/flips/"), key, None).json();
    assert_eq!(flips["flips"].as_array().map(Vec::len), Some(3), "up, paused, new");

    let deleted = world.api("DELETE", &path(&uuid, ""), key, None);
    assert_eq!((deleted.status(), deleted.json()["name"].as_str()), (200, Some("Nightly Backup")));
    assert_eq!(world.api("GET", &path(&uuid, ""), key, None).status(), 404);
    assert!(world.store().flips().is_empty(), "its history went with it");
    assert_eq!(world.ping(&uuid).status(), 404);
}

#[test]
fn an_edit_that_a_ping_overtakes_is_decided_again_and_keeps_the_ping() {
    let world = World::new();
    let project = world.project("races");
    let uuid = uuid_of(&world.check(&project, json!({"name": "edited", "timeout": 60, "grace": 60})));
    assert_eq!(world.ping(&uuid).status(), 200);
    world.platform.set_now(T0.plus_secs(30));
    let w = later(&world);
    let pinged = uuid.clone();
    world.store().before_next_apply(move |_, _| {
        let world = up(&w);
        world.platform.advance_secs(1);
        assert_eq!(world.ping(&pinged).status(), 200);
    });
    let edit = world.api("POST", &path(&uuid, ""), &project.api_key, Some(json!({"timeout": 600})));
    assert_eq!(edit.status(), 200, "{edit:?}");
    assert_eq!(edit.json()["last_ping"], T0.plus_secs(31).iso8601(), "the answer shows the ping");
    let row = world.row(&uuid);
    assert_eq!(row.check.n_pings, 2);
    assert_eq!(row.check.state.last_ping, Some(T0.plus_secs(31)));
    assert_eq!(row.alert_after, Some(T0.plus_secs(31 + 600 + 60)), "the new timeout from the newest ping");
    assert_eq!(row.check.config_version, 1, "written once");
}

#[test]
fn two_edits_that_cross_both_land_and_the_later_decision_sees_the_earlier() {
    let world = World::new();
    let project = world.project("races");
    let uuid = uuid_of(&world.check(&project, json!({"name": "start", "timeout": 60})));
    let w = later(&world);
    let (other, key) = (uuid.clone(), project.api_key.clone());
    world.store().before_next_apply(move |_, _| {
        let answer = up(&w).api("POST", &path(&other, ""), &key, Some(json!({"name": "b", "timeout": 600})));
        assert_eq!(answer.status(), 200);
    });
    let edit = world.api("POST", &path(&uuid, ""), &project.api_key, Some(json!({"name": "a"})));
    assert_eq!(edit.status(), 200);
    let check = world.get_check(&project, &uuid);
    assert_eq!((check["name"].as_str(), check["timeout"].as_i64()), (Some("a"), Some(600)), "nothing of b lost");
    assert_eq!(world.row(&uuid).check.config_version, 2);
}

#[test]
fn a_resume_that_a_ping_overtakes_finds_the_check_no_longer_paused() {
    let world = World::new();
    let project = world.project("races");
    let uuid = uuid_of(&world.check(&project, json!({"name": "paused"})));
    assert_eq!(world.api("POST", &path(&uuid, "/pause"), &project.api_key, None).status(), 200);
    let w = later(&world);
    let pinged = uuid.clone();
    // A ping wakes the paused check between the resume's read and its write.
    world.store().before_next_apply(move |_, _| assert_eq!(up(&w).ping(&pinged).status(), 200));
    let resume = world.api("POST", &path(&uuid, "/resume"), &project.api_key, None);
    assert_eq!((resume.status(), resume.error().as_str()), (409, "check is not paused"));
    assert_eq!(world.row(&uuid).check.state.status, Status::Up, "the ping's doing stands");
}

#[test]
fn a_pause_that_a_ping_overtakes_still_pauses_and_keeps_the_ping() {
    let world = World::new();
    let project = world.project("races");
    let uuid = uuid_of(&world.check(&project, json!({"name": "pausing"})));
    assert_eq!(world.ping(&uuid).status(), 200);
    let w = later(&world);
    let pinged = uuid.clone();
    world.store().before_next_apply(move |_, _| assert_eq!(up(&w).ping(&format!("{pinged}/start")).status(), 200));
    let pause = world.api("POST", &path(&uuid, "/pause"), &project.api_key, None);
    assert_eq!(pause.status(), 200);
    let row = world.row(&uuid);
    assert_eq!(
        (row.check.state.status, row.check.state.last_start),
        (Status::Paused, None),
        "decided on the started run"
    );
    assert_eq!(row.check.n_pings, 2);
}

#[test]
fn an_edit_of_a_check_deleted_meanwhile_is_404_and_resurrects_nothing() {
    let world = World::new();
    let project = world.project("races");
    let uuid = uuid_of(&world.check(&project, json!({"name": "doomed"})));
    let w = later(&world);
    let (doomed, key) = (uuid.clone(), project.api_key.clone());
    world.store().before_next_apply(move |_, _| {
        assert_eq!(up(&w).api("DELETE", &path(&doomed, ""), &key, None).status(), 200);
    });
    let edit = world.api("POST", &path(&uuid, ""), &project.api_key, Some(json!({"name": "revived"})));
    assert_eq!((edit.status(), edit.error().as_str()), (404, "not found"));
    assert_eq!(world.api("GET", "/api/v3/checks/", &project.api_key, None).json()["checks"], json!([]));
}

#[test]
fn unique_upserts_update_the_check_they_match_instead_of_creating_another() {
    let world = World::new();
    let project = world.project("upserts");
    let key = &project.api_key;
    let spec = json!({"name": "backup", "timeout": 3600, "unique": ["name"]});
    let first = world.api("POST", "/api/v3/checks/", key, Some(spec));
    assert_eq!(first.status(), 201);
    let spec = json!({"name": "backup", "timeout": 7200, "unique": ["name"]});
    let second = world.api("POST", "/api/v3/checks/", key, Some(spec));
    assert_eq!(second.status(), 200, "{second:?}");
    assert_eq!(second.json()["uuid"], first.json()["uuid"]);
    assert_eq!(second.json()["timeout"], 7200);
    let other = world.api("POST", "/api/v3/checks/", key, Some(json!({"name": "restore", "unique": ["name"]})));
    assert_eq!(other.status(), 201);
    assert_eq!(world.api("GET", "/api/v3/checks/", key, None).json()["checks"].as_array().map(Vec::len), Some(2));
}

#[test]
fn an_upsert_that_loses_its_create_to_a_matching_check_updates_that_check() {
    let world = World::new();
    let project = world.project("upserts");
    let w = later(&world);
    let racing = project.clone();
    // Another upsert of the same name creates it between this one's look
    // for a match and its create.
    world.store().before_next_apply(move |_, _| {
        up(&w).check(&racing, json!({"name": "shared", "grace": 60}));
    });
    let spec = json!({"name": "shared", "grace": 120, "unique": ["name"]});
    let answer = world.api("POST", "/api/v3/checks/", &project.api_key, Some(spec));
    assert_eq!((answer.status(), answer.json()["grace"].as_i64()), (200, Some(120)), "{answer:?}");
    let listed = world.api("GET", "/api/v3/checks/", &project.api_key, None).json();
    assert_eq!(listed["checks"].as_array().map(Vec::len), Some(1), "one check of that name: {listed}");
}

#[test]
fn at_the_limit_an_upsert_that_matches_updates_and_one_that_would_create_is_refused() {
    let world = World::with(1, |s| s.max_checks_per_project = 1);
    let project = world.project("limited");
    world.check(&project, json!({"name": "only"}));
    let key = &project.api_key;
    let matching =
        world.api("POST", "/api/v3/checks/", key, Some(json!({"name": "only", "grace": 90, "unique": ["name"]})));
    assert_eq!((matching.status(), matching.json()["grace"].as_i64()), (200, Some(90)));
    let refused = world.api("POST", "/api/v3/checks/", key, Some(json!({"name": "more", "unique": ["name"]})));
    assert_eq!((refused.status(), refused.error().as_str()), (403, "check limit reached (1 checks per project)"));
}

#[test]
fn the_check_limit_holds_when_two_creates_interleave() {
    let world = World::with(1, |s| s.max_checks_per_project = 2);
    let project = world.project("limited");
    world.check(&project, json!({"name": "one"}));
    let w = later(&world);
    let racing = project.clone();
    world.store().before_next_apply(move |_, _| {
        up(&w).check(&racing, json!({"name": "two"}));
    });
    let third = world.api("POST", "/api/v3/checks/", &project.api_key, Some(json!({"name": "three"})));
    assert_eq!((third.status(), third.error().as_str()), (403, "check limit reached (2 checks per project)"));
    let names: Vec<String> = world.api("GET", "/api/v3/checks/", &project.api_key, None).json()["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["one", "two"]);
}

#[test]
fn a_read_only_key_reads_without_uuids_and_changes_nothing() {
    let world = World::new();
    let project = world.project("keys");
    let uuid = uuid_of(&world.check(&project, json!({"name": "secret"})));
    let read = &project.read_key;
    let listed = world.api("GET", "/api/v3/checks/", read, None).json();
    let shown = &listed["checks"][0];
    assert_eq!(shown["uuid"], Value::Null, "no uuid: it would let the holder ping");
    assert_eq!(shown["ping_url"], Value::Null);
    let unique_key = shown["unique_key"].as_str().expect("a unique key").to_owned();
    let by_key = world.api("GET", &path(&unique_key, ""), read, None);
    assert_eq!((by_key.status(), by_key.json()["name"].as_str()), (200, Some("secret")));

    world.store().clear_operations();
    let refused = [
        ("POST", "/api/v3/checks/".to_owned(), Some(json!({"name": "x"}))),
        ("POST", path(&uuid, ""), Some(json!({"name": "x"}))),
        ("DELETE", path(&uuid, ""), None),
        ("POST", path(&uuid, "/pause"), None),
        ("GET", path(&uuid, "/pings/"), None),
        ("GET", "/api/v3/channels/".to_owned(), None),
        ("GET", "/api/v3/notifications/".to_owned(), None),
    ];
    for (method, path, body) in refused {
        let answer = world.api(method, &path, read, body);
        assert_eq!((answer.status(), answer.error().as_str()), (401, "wrong api key"), "{method} {path}");
    }
    assert!(world.store().operations().iter().all(|op| *op == "api_key"), "only the key was looked up");
    assert_eq!(world.get_check(&project, &uuid)["name"], "secret");
}

#[test]
fn a_missing_key_and_a_wrong_key_are_told_apart() {
    let world = World::new();
    world.project("keys");
    let missing = world.send(Request::new("GET", "/api/v3/checks/"));
    assert_eq!((missing.status(), missing.error().as_str()), (401, "missing api key"));
    // A key that is there but wrong (of the wrong length too) is wrong,
    // not missing: only an absent or blank one is missing.
    let short = world.api("GET", "/api/v3/checks/", "too-short", None);
    assert_eq!((short.status(), short.error().as_str()), (401, "wrong api key"));
    let blank = world.api("GET", "/api/v3/checks/", "", None);
    assert_eq!(blank.error(), "missing api key");
    let wrong = world.api("GET", "/api/v3/checks/", "hcw_0000000000000000000000000000", None);
    assert_eq!((wrong.status(), wrong.error().as_str()), (401, "wrong api key"));
    let bearer =
        Request::new("GET", "/api/v3/checks/").with_header("authorization", "Bearer hcw_0000000000000000000000000000");
    assert_eq!(world.send(bearer).error(), "wrong api key");
}

#[test]
fn another_projects_check_is_not_found_and_left_alone() {
    let world = World::new();
    let owner = world.project("owner");
    let stranger = world.project("stranger");
    let uuid = uuid_of(&world.check(&owner, json!({"name": "mine"})));
    for (method, rest) in [("GET", ""), ("POST", ""), ("DELETE", ""), ("POST", "/pause"), ("GET", "/pings/")] {
        let body = (method == "POST").then(|| json!({"name": "yours"}));
        let answer = world.api(method, &path(&uuid, rest), &stranger.api_key, body);
        assert_eq!((answer.status(), answer.error().as_str()), (404, "not found"), "{method} {rest}");
    }
    let check = world.get_check(&owner, &uuid);
    assert_eq!((check["name"].as_str(), check["status"].as_str()), (Some("mine"), Some("new")));
    assert_eq!(world.api("GET", "/api/v3/checks/", &stranger.api_key, None).json()["checks"], json!([]));
}

#[test]
fn storage_failures_answer_503_json_and_write_nothing() {
    let world = World::new();
    let project = world.project("faults");
    let key = &project.api_key;
    let uuid = uuid_of(&world.check(&project, json!({"name": "kept", "timeout": 60})));
    let attempts: [(&str, &str, String, Option<Value>); 6] = [
        ("api_key", "GET", "/api/v3/checks/".into(), None),
        ("apply", "POST", "/api/v3/checks/".into(), Some(json!({"name": "new"}))),
        ("apply", "POST", path(&uuid, ""), Some(json!({"timeout": 600}))),
        ("apply", "POST", path(&uuid, "/pause"), None),
        ("delete_check", "DELETE", path(&uuid, ""), None),
        ("list_checks", "GET", "/api/v3/checks/".into(), None),
    ];
    for (op, method, path, body) in attempts {
        world.store().fail_next_op(op, 1);
        let answer = world.api(method, &path, key, body);
        assert_eq!(answer.status(), 503, "{method} {path} with {op} failing: {answer:?}");
        assert_eq!(answer.error(), "storage unavailable, try again");
        assert_eq!(answer.header("Retry-After"), Some("1"));
    }
    let listed = world.api("GET", "/api/v3/checks/", key, None).json();
    let checks = listed["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 1, "nothing created, nothing deleted");
    assert_eq!((checks[0]["timeout"].as_i64(), checks[0]["status"].as_str()), (Some(60), Some("new")));
    assert_eq!(world.row(&uuid).check.config_version, 0);
}

#[test]
fn an_unreadable_check_is_503_to_the_api_and_left_out_of_lists() {
    let world = World::new();
    let project = world.project("corrupt");
    let broken = uuid_of(&world.check(&project, json!({"name": "broken"})));
    world.check(&project, json!({"name": "fine"}));
    world.store().corrupt_check(world.row(&broken).check.id, "tz 'Mars/Olympus'");
    let answer = world.api("GET", &path(&broken, ""), &project.api_key, None);
    assert_eq!(answer.status(), 503);
    assert!(answer.error().contains("cannot be read"), "{answer:?}");
    let listed = world.api("GET", "/api/v3/checks/", &project.api_key, None).json();
    assert_eq!(listed["checks"].as_array().map(|c| c.len()), Some(1));
}
