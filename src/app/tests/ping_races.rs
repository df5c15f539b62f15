//! Pings under races and faults: another write landing between a ping's
//! read and its write, a check deleted in between, endless contention,
//! storage failures, and `?create=1` racing itself, the limit and channel
//! changes.

use super::*;
use crate::app::Level;
use crate::domain::check::{PingKind, Status};
use crate::domain::contention::{BUDGET_MS, MAX_WAIT_MS};

fn simple_check(world: &World, project: &Project, name: &str) -> String {
    uuid_of(&world.check(project, json!({"name": name, "timeout": 60, "grace": 60})))
}

#[test]
fn another_ping_between_read_and_write_makes_the_ping_decide_again() {
    let world = World::new();
    let project = world.project("races");
    let uuid = simple_check(&world, &project, "contended");
    assert_eq!(world.ping(&uuid).status(), 200);

    // A start needs the stored state: read, decide, write. A failure lands
    // after the read; the start's write no longer holds and is decided
    // again from the check as the failure left it.
    let w = later(&world);
    let other = uuid.clone();
    world.store().before_next_apply(move |_, _| {
        assert_eq!(up(&w).ping(&format!("{other}/fail")).status(), 200);
    });
    world.store().clear_operations();
    world.platform.advance_secs(1);
    assert_eq!(world.ping(&format!("{uuid}/start")).status(), 200);
    let ops = world.store().operations();
    assert_eq!(ops.iter().filter(|op| **op == "apply").count(), 3, "the start's two and the failure's: {ops:?}");
    assert!(ops.contains(&"check_by_id"), "read again after the failed condition: {ops:?}");

    let row = world.row(&uuid);
    assert_eq!(row.check.n_pings, 3, "each ping recorded once");
    let kinds: Vec<PingKind> = world.store().ping_ring(row.check.id).iter().map(|p| p.kind).collect();
    assert_eq!(kinds, [PingKind::Success, PingKind::Fail, PingKind::Start]);
    assert_eq!(row.check.state.status, Status::Down, "the failure's flip stands");
    assert!(row.check.state.last_start.is_some(), "the start is the latest word");
    assert_eq!(world.store().flips().iter().filter(|f| f.event.is_none() && f.new_status == Status::Down).count(), 1);
}

#[test]
fn an_api_edit_between_read_and_write_is_seen_by_the_ping() {
    let world = World::new();
    let project = world.project("races");
    let uuid = simple_check(&world, &project, "edited");
    let w = later(&world);
    let (edited, key) = (uuid.clone(), project.api_key.clone());
    world.store().before_next_apply(move |_, _| {
        let answer = up(&w).api("POST", &format!("/api/v3/checks/{edited}"), &key, Some(json!({"timeout": 3600})));
        assert_eq!(answer.status(), 200, "{answer:?}");
    });
    assert_eq!(world.ping(&uuid).status(), 200);
    let row = world.row(&uuid);
    assert_eq!(row.check.n_pings, 1);
    assert_eq!(row.check.state.status, Status::Up);
    // Decided again with the new timeout: due an hour (and a minute's grace)
    // after the ping (taken when it was decided again).
    let last_ping = row.check.state.last_ping.expect("the ping");
    assert_eq!(row.alert_after, Some(last_ping.plus_secs(3600 + 60)));
}

#[test]
fn a_stale_cached_configuration_is_never_written_and_the_ping_reads_instead() {
    let world = World::new();
    let project = world.project("races");
    let uuid = simple_check(&world, &project, "cached");
    assert_eq!(world.ping(&uuid).status(), 200);
    // This isolate's cache still holds the old timeout.
    let edit = world.api("POST", &format!("/api/v3/checks/{uuid}"), &project.api_key, Some(json!({"timeout": 7200})));
    assert_eq!(edit.status(), 200);
    world.store().clear_operations();
    world.platform.advance_secs(30);
    assert_eq!(world.ping(&uuid).status(), 200);
    assert_eq!(world.store().operations(), ["apply", "check_by_uuid", "apply"]);
    let row = world.row(&uuid);
    assert_eq!(row.check.n_pings, 2);
    assert_eq!(row.alert_after, Some(T0.plus_secs(30 + 7200 + 60)));
    // And the cache now holds the new configuration: one round trip again.
    world.store().clear_operations();
    assert_eq!(world.ping(&uuid).status(), 200);
    assert_eq!(world.store().operations(), ["apply"]);
}

#[test]
fn a_check_deleted_between_read_and_write_answers_404_and_stores_nothing() {
    let world = World::new();
    let project = world.project("races");
    let uuid = simple_check(&world, &project, "doomed");
    let w = later(&world);
    let (doomed, key) = (uuid.clone(), project.api_key.clone());
    world.store().before_next_apply(move |_, _| {
        assert_eq!(up(&w).api("DELETE", &format!("/api/v3/checks/{doomed}"), &key, None).status(), 200);
    });
    let answer = world.ping(&uuid);
    assert_eq!((answer.status(), answer.text().as_str()), (404, "not found"));
    let id = Uuid::parse(&uuid).unwrap();
    assert!(block_on(world.store().check_by_uuid(&id)).unwrap().is_none());
    assert!(world.store().flips().is_empty());
    // The next ping to it is plainly unknown.
    assert_eq!(world.ping(&uuid).status(), 404);
}

#[test]
fn a_check_that_keeps_changing_gets_503_busy_with_retry_after_and_no_record() {
    let world = World::new();
    let project = world.project("races");
    let uuid = simple_check(&world, &project, "busy");
    let row = world.row(&uuid);
    let id = row.check.id;
    // Another writer changes the check before every write of this ping.
    world.store().before_apply(move |store, _| {
        store.edit_check(id, |c| c.config_version += 1);
    });
    let answer = world.ping(&uuid);
    world.store().clear_hooks();
    assert_eq!(answer.status(), 503);
    assert!(answer.text().starts_with("busy"), "{answer:?}");
    assert_eq!(answer.header("Retry-After"), Some("1"));
    assert_eq!(world.row(&uuid).check.n_pings, 0);
    // It tried for the budget: it gave up only when one more pause would
    // have ended past it.
    let tried = world.now().millis() - T0.millis();
    assert!(tried > BUDGET_MS - MAX_WAIT_MS && tried <= BUDGET_MS, "tried for {tried} ms");
    let applies = world.store().operations().iter().filter(|op| **op == "apply").count();
    assert!(applies > 3, "with pauses between: {applies}");
}

#[test]
fn a_storage_failure_is_503_with_retry_after_and_records_nothing() {
    let world = World::new();
    let project = world.project("faults");
    let uuid = simple_check(&world, &project, "fragile");
    for op in ["check_by_uuid", "apply"] {
        world.store().fail_next_op(op, 1);
        let answer = world.ping(&uuid);
        assert_eq!((answer.status(), answer.text().as_str()), (503, "storage unavailable"), "{op}");
        assert_eq!(answer.header("Retry-After"), Some("1"));
        assert_eq!(world.row(&uuid).check.n_pings, 0, "{op}");
    }
    let logged = world.platform.logs.borrow();
    assert!(logged
        .iter()
        .any(|(level, message)| *level == Level::Error && message.contains("injected failure of apply")));
    drop(logged);
    // The same ping goes through once storage answers again.
    assert_eq!(world.ping(&uuid).status(), 200);
    assert_eq!(world.row(&uuid).check.n_pings, 1);
}

#[test]
fn create_1_creates_the_check_once_when_two_pings_race_for_it() {
    let world = World::new();
    let project = world.project("autocreate");
    let path = format!("{}/fresh?create=1", project.ping_key);
    let w = later(&world);
    let racing = path.clone();
    world.store().before_next_apply(move |_, _| {
        let answer = up(&w).ping(&racing);
        assert_eq!((answer.status(), answer.text().as_str()), (201, "Created"));
    });
    let answer = world.ping(&path);
    assert_eq!((answer.status(), answer.text().as_str()), (200, "OK"), "the loser records on the winner's check");
    let checks = world.api("GET", "/api/v3/checks/", &project.api_key, None).json();
    let checks = checks["checks"].as_array().unwrap().clone();
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0]["slug"], "fresh");
    assert_eq!(checks[0]["name"], "fresh");
    assert_eq!(checks[0]["n_pings"], 2);
    // A third ping finds it.
    assert_eq!(world.ping(&path).status(), 200);
}

#[test]
fn create_1_stops_at_the_check_limit() {
    let world = World::with(1, |s| s.max_checks_per_project = 2);
    let project = world.project("limited");
    let key = &project.ping_key;
    assert_eq!(world.ping(&format!("{key}/a?create=1")).status(), 201);
    assert_eq!(world.ping(&format!("{key}/b?create=1")).status(), 201);
    let refused = world.ping(&format!("{key}/c?create=1"));
    assert_eq!((refused.status(), refused.text().as_str()), (403, "check limit reached (2 checks per project)"));
    assert_eq!(world.ping(&format!("{key}/a?create=1")).status(), 200, "an existing check still takes pings");
    assert_eq!(
        world.api("GET", "/api/v3/checks/", &project.api_key, None).json()["checks"].as_array().unwrap().len(),
        2
    );
    // An invalid slug is refused, an unknown key is not found.
    assert_eq!(world.ping(&format!("{key}/Upper?create=1")).status(), 400);
    assert_eq!(world.ping("unknownunknownunknownunk/a?create=1").status(), 404);
}

#[test]
fn create_1_links_every_channel_of_the_project_even_when_one_is_added_meanwhile() {
    let world = World::new();
    let project = world.project("autocreate");
    let first = world.channel(&project, "first", &["down", "up"]);
    let w = later(&world);
    let racing = project.clone();
    // A channel is added between the create's reading of the channels and its write.
    world.store().before_next_apply(move |_, _| {
        up(&w).channel(&racing, "second", &["down"]);
    });
    let answer = world.ping(&format!("{}/linked?create=1", project.ping_key));
    assert_eq!((answer.status(), answer.text().as_str()), (201, "Created"));
    let checks = world.api("GET", "/api/v3/checks/", &project.api_key, None).json();
    let check = &checks["checks"][0];
    let second = world.api("GET", "/api/v3/channels/", &project.api_key, None).json()["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "second")
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .expect("the second channel");
    let mut expected = [first, second];
    expected.sort();
    assert_eq!(check["channels"], expected.join(","));
    assert_eq!(check["n_pings"], 1);
}

#[test]
fn a_deleted_checks_cached_uuid_never_pings_the_check_that_took_its_row_id() {
    let world = World::new();
    let project = world.project("reuse");
    let old = simple_check(&world, &project, "old");
    let old_id = world.row(&old).check.id;
    assert_eq!(world.ping(&old).status(), 200, "cached: up and idle");
    assert_eq!(world.api("DELETE", &format!("/api/v3/checks/{old}"), &project.api_key, None).status(), 200);
    // As in SQLite, the newest row's id is given again.
    let new = simple_check(&world, &project, "new");
    assert_eq!(world.row(&new).check.id, old_id);
    assert_eq!(world.ping(&new).status(), 200);

    let answer = world.ping(&old);
    assert_eq!((answer.status(), answer.text().as_str()), (404, "not found"));
    assert_eq!(world.row(&new).check.n_pings, 1, "nothing recorded on the other check");
}

#[test]
fn a_ping_whose_check_is_replaced_between_read_and_write_is_404() {
    let world = World::new();
    let project = world.project("reuse");
    let old = simple_check(&world, &project, "old");
    let w = later(&world);
    let (doomed, racing) = (old.clone(), project.clone());
    // Deleted, and a new check takes its row id, before the ping writes.
    world.store().before_next_apply(move |_, _| {
        let world = up(&w);
        assert_eq!(world.api("DELETE", &format!("/api/v3/checks/{doomed}"), &racing.api_key, None).status(), 200);
        simple_check(&world, &racing, "new");
    });
    let answer = world.ping(&old);
    assert_eq!((answer.status(), answer.text().as_str()), (404, "not found"));
    let checks = world.api("GET", "/api/v3/checks/", &project.api_key, None).json();
    assert_eq!(checks["checks"][0]["name"], "new");
    assert_eq!(checks["checks"][0]["n_pings"], 0, "nothing recorded on the other check");
}
