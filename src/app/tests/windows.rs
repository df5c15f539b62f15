//! Maintenance windows decide at each event's own time: what a window holds
//! (only events inside it), when pings and sweeps read windows at all (only
//! when something would be announced; the sweep once per chunk), rows that
//! cannot be read, how checks and windows are shown, and a sweep run ahead
//! of the clock.

use super::*;
use crate::domain::check::Status;
use crate::domain::ids::unique_key;

/// A project with a "pager" channel hearing down and up, and a check
/// tagged `db` (timeout and grace a minute each) linked to it, pinged at
/// T0: it goes down at T0 + 120 s.
fn watched(world: &World, name: &str) -> (Project, String) {
    let project = world.project(name);
    let pager = world.channel(&project, "pager", &["down", "up"]);
    let spec = json!({"name": "db backup", "tags": "db", "timeout": 60, "grace": 60, "channels": pager});
    let uuid = uuid_of(&world.check(&project, spec));
    assert_eq!(world.ping(&uuid).status(), 200);
    (project, uuid)
}

fn window(world: &World, project: &Project, spec: Value) -> String {
    let answer = world.api("POST", "/api/v3/maintenance/", &project.api_key, Some(spec));
    assert_eq!(answer.status(), 201, "{answer:?}");
    answer.json()["id"].as_str().expect("window id").to_owned()
}

fn sweep_at(world: &World, secs_after_t0: i64) {
    world.platform.set_now(T0.plus_secs(secs_after_t0));
    world.sweep();
}

/// Whether an answer left notifications to deliver.
fn delivers(answer: &Answer) -> bool {
    answer.0.after.iter().any(|work| matches!(work, crate::app::After::Deliver { .. }))
}

fn count(world: &World, n: usize, op: &str) -> usize {
    world.db(n).operations().iter().filter(|o| **o == op).count()
}

#[test]
fn a_window_holds_only_the_events_inside_it_not_one_announced_after_it_opened() {
    let world = World::new();
    let (project, uuid) = watched(&world, "windows");
    // The check goes down at T0 + 120 s; the window opens 30 s later, before
    // the sweep that finds it down. That down happened outside the window.
    window(&world, &project, json!({"start": T0.plus_secs(150).iso8601(), "end": T0.plus_secs(1800).iso8601()}));
    sweep_at(&world, 185);
    let row = world.row(&uuid);
    assert_eq!(row.check.state.status, Status::Down);
    assert_eq!(row.check.state.muted_until, None, "nothing held");
    assert_eq!(world.notifications().len(), 1, "the down alert went out");

    // Inside it, the recovery is held, and the check stays muted to its end.
    world.platform.set_now(T0.plus_secs(300));
    let recovered = world.ping(&uuid);
    assert!(!delivers(&recovered), "nothing to deliver");
    assert_eq!(world.row(&uuid).check.state.muted_until, Some(T0.plus_secs(1800)));
    assert_eq!(world.notifications().len(), 1);
}

#[test]
fn a_window_created_a_moment_ago_holds_a_failing_ping_at_once() {
    let world = World::new();
    let (project, uuid) = watched(&world, "windows");
    window(&world, &project, json!({"start": T0.iso8601(), "end": T0.plus_secs(600).iso8601(), "tags": "db"}));
    world.platform.advance_secs(1);
    let failed = world.ping(&format!("{uuid}/fail"));
    assert_eq!(failed.status(), 200);
    assert!(!delivers(&failed) && world.notifications().is_empty(), "held, without waiting for a sweep");
    assert_eq!(world.row(&uuid).check.state.muted_until, Some(T0.plus_secs(600)));
}

#[test]
fn a_ping_reads_windows_only_when_it_would_notify_someone() {
    let world = World::new();
    let (project, uuid) = watched(&world, "windows");
    window(&world, &project, json!({"start": T0.iso8601(), "end": T0.plus_secs(600).iso8601(), "tags": "other"}));
    world.store().clear_operations();
    for _ in 0..3 {
        assert_eq!(world.ping(&uuid).status(), 200);
    }
    assert_eq!(count(&world, 0, "windows"), 0, "success pings to an up check announce nothing");
    let failed = world.ping(&format!("{uuid}/fail"));
    assert_eq!(count(&world, 0, "windows"), 1, "a down flip would notify: windows are weighed");
    assert!(delivers(&failed), "a window over another tag holds nothing");
    assert_eq!(world.notifications().len(), 1);
}

#[test]
fn the_sweep_reads_windows_once_per_chunk_and_only_for_projects_with_something_to_announce() {
    let world = World::new();
    let mut held = Vec::new();
    for name in ["first", "second"] {
        let (project, uuid) = watched(&world, name);
        window(&world, &project, json!({"start": T0.iso8601(), "end": T0.plus_secs(1800).iso8601()}));
        held.push(uuid);
    }
    // A project whose due check nobody hears of.
    let silent = world.project("silent");
    let quiet = uuid_of(&world.check(&silent, json!({"name": "quiet", "timeout": 60, "grace": 60})));
    assert_eq!(world.ping(&quiet).status(), 200);
    world.store().clear_operations();
    sweep_at(&world, 185);
    assert_eq!(count(&world, 0, "windows_of_projects"), 1, "one read for the chunk");
    assert_eq!(count(&world, 0, "windows"), 0);
    for uuid in held.iter().chain([&quiet]) {
        assert_eq!(world.row(uuid).check.state.status, Status::Down);
    }
    assert!(world.notifications().is_empty(), "both projects' windows hold their alerts");

    // A sweep where nothing due would notify reads no window at all.
    world.store().clear_operations();
    sweep_at(&world, 245);
    assert_eq!(count(&world, 0, "windows_of_projects"), 0);
}

#[test]
fn an_unreadable_window_is_skipped_and_logged_and_the_others_still_hold() {
    let world = World::new();
    let (project, uuid) = watched(&world, "windows");
    let broken = window(&world, &project, json!({"start": T0.iso8601(), "end": T0.plus_secs(3600).iso8601()}));
    window(&world, &project, json!({"start": T0.iso8601(), "end": T0.plus_secs(1800).iso8601(), "tags": "db"}));
    assert!(world.store().corrupt_window(&broken, "tz does not parse"));
    sweep_at(&world, 185);
    let row = world.row(&uuid);
    assert_eq!((row.check.state.status, row.check.state.muted_until), (Status::Down, Some(T0.plus_secs(1800))));
    assert!(world.notifications().is_empty());
    let logs = world.platform.logs.borrow();
    assert!(logs.iter().any(|(_, m)| m.contains(&broken) && m.contains("tz does not parse")), "{logs:?}");
    drop(logs);
    // The API lists the readable ones.
    let listed = world.api("GET", "/api/v3/maintenance/", &project.api_key, None).json();
    assert_eq!(listed["windows"].as_array().map(Vec::len), Some(1), "{listed}");
}

#[test]
fn a_check_shows_the_later_of_its_snooze_and_the_windows_that_select_it() {
    let world = World::new();
    let (project, uuid) = watched(&world, "windows");
    let key = &project.api_key;
    assert_eq!(world.get_check(&project, &uuid)["snoozed_until"], Value::Null);
    window(&world, &project, json!({"start": T0.iso8601(), "end": T0.plus_secs(900).iso8601(), "tags": "db"}));
    window(&world, &project, json!({"start": T0.iso8601(), "end": T0.plus_secs(9000).iso8601(), "tags": "web"}));
    let until = T0.plus_secs(900).iso8601();
    assert_eq!(world.get_check(&project, &uuid)["snoozed_until"], until.as_str(), "only the window selecting it");
    let listed = world.api("GET", "/api/v3/checks/", key, None).json();
    assert_eq!(listed["checks"][0]["snoozed_until"], until.as_str());
    let snoozed = world.api("POST", &format!("/api/v3/checks/{uuid}/snooze"), key, Some(json!({"seconds": 1800})));
    assert_eq!(snoozed.json()["snoozed_until"], T0.plus_secs(1800).iso8601(), "its own snooze ends later");
    world.platform.set_now(T0.plus_secs(2000));
    assert_eq!(world.get_check(&project, &uuid)["snoozed_until"], Value::Null, "both over");
}

#[test]
fn a_read_only_key_sees_the_checks_a_window_names_by_their_unique_keys() {
    let world = World::new();
    let (project, uuid) = watched(&world, "windows");
    let id =
        window(&world, &project, json!({"start": T0.iso8601(), "end": T0.plus_secs(600).iso8601(), "checks": [uuid]}));
    let key = unique_key(&Uuid::parse(&uuid).unwrap());
    for path in ["/api/v3/maintenance/".to_owned(), format!("/api/v3/maintenance/{id}")] {
        let read = world.api("GET", &path, &project.read_key, None);
        assert_eq!(read.status(), 200, "{read:?}");
        assert!(!read.text().contains(&uuid), "{path}: {}", read.text());
        assert!(read.text().contains(&key), "{path}: {}", read.text());
        let full = world.api("GET", &path, &project.api_key, None);
        assert!(full.text().contains(&uuid), "the read-write key sees the uuid");
    }
}

#[test]
fn a_sweep_run_ahead_of_the_clock_dates_nothing_after_the_clock() {
    let world = World::new();
    let (_, uuid) = watched(&world, "ahead");
    // The clock says T0 + 60 s; the sweep is told it is T0 + 10,000 s (the
    // local scheduled endpoint lets anyone move time forward).
    world.platform.set_now(T0.plus_secs(60));
    block_on(crate::app::sweep::run(&world.app(), T0.plus_secs(10_000), false));
    let row = world.row(&uuid);
    assert_eq!(row.check.state.status, Status::Down, "decided at the sweep's instant");
    assert_eq!(row.status_changed_at, Some(T0.plus_secs(60)), "its deadline, T0 + 120 s, is after the clock");
    let flips = world.store().flips();
    assert!(flips.iter().all(|f| f.created_at <= T0.plus_secs(60)), "{flips:?}");
    assert!(world.notifications().iter().all(|n| n.created_at <= T0.plus_secs(60)));
    // A real ping later sees a change from its past.
    world.platform.set_now(T0.plus_secs(90));
    assert_eq!(world.ping(&uuid).status(), 200);
    let flips = world.store().flips();
    let up = flips.iter().find(|f| (f.old_status, f.new_status) == (Status::Down, Status::Up)).expect("the recovery");
    assert!(up.previous_change_at.is_some_and(|t| t <= up.created_at), "{up:?}");
}
