//! Pings: what each signal records, the one-round-trip path, who hears of
//! a flip, snoozes, slugs and bodies.

use super::*;
use crate::app::{After, Body};
use crate::domain::check::{PingKind, Status};

/// A project with one check (timeout and grace a minute each), pinged
/// once so that it is up.
fn up_check(world: &World, spec: Value) -> (Project, String) {
    let project = world.project("pings");
    let mut spec = spec;
    spec["timeout"] = json!(60);
    spec["grace"] = json!(60);
    let uuid = uuid_of(&world.check(&project, spec));
    assert_eq!(world.ping(&uuid).status(), 200);
    (project, uuid)
}

#[test]
fn signals_exit_statuses_logs_and_run_ids_are_recorded_as_sent() {
    let world = World::new();
    let (project, uuid) = up_check(&world, json!({"name": "backup"}));
    let (run_a, run_b) = ("0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b", "1f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b");

    world.platform.advance_secs(10);
    assert_eq!(world.ping(&format!("{uuid}/start?rid={run_a}")).status(), 200);
    world.platform.advance_secs(5);
    // A success of another run leaves run A monitored.
    assert_eq!(world.ping(&format!("{uuid}?rid={run_b}")).status(), 200);
    assert_eq!(world.row(&uuid).check.state.last_start, Some(T0.plus_secs(10)));
    world.platform.advance_secs(2);
    assert_eq!(world.ping(&format!("{uuid}/0?rid={run_a}")).status(), 200, "exit status 0 is a success");
    let state = world.row(&uuid).check.state;
    assert_eq!((state.last_start, state.last_duration), (None, Some(7_000)), "run A measured from its start");
    assert_eq!(world.get_check(&project, &uuid)["last_duration"], 7);

    let log = Request::new("POST", &format!("/ping/{uuid}/log")).with_body(b"rotated the logs");
    assert_eq!(world.send(log).status(), 200);
    assert_eq!(world.row(&uuid).check.state.status, Status::Up, "a log changes nothing");
    assert_eq!(world.ping(&format!("{uuid}/3")).status(), 200);
    let row = world.row(&uuid);
    assert_eq!(row.check.state.status, Status::Down);
    assert_eq!(world.store().flips().last().map(|f| f.reason.as_str()), Some("exitstatus:3"));

    let ring = world.store().ping_ring(row.check.id);
    let seen: Vec<(i64, PingKind, Option<i64>, Option<String>)> =
        ring.iter().map(|p| (p.n, p.kind, p.exit_status, p.rid.clone())).collect();
    assert_eq!(
        seen,
        [
            (1, PingKind::Success, None, None),
            (2, PingKind::Start, None, Some(run_a.to_owned())),
            (3, PingKind::Success, None, Some(run_b.to_owned())),
            (4, PingKind::Success, Some(0), Some(run_a.to_owned())),
            (5, PingKind::Log, None, None),
            (6, PingKind::Fail, Some(3), None),
        ]
    );
    assert_eq!(ring[4].body.as_deref(), Some(&b"rotated the logs"[..]));
    assert_eq!(ring[4].method, "POST");
    assert_eq!(row.check.n_pings, 6);

    // The API lists them newest first, with the body behind its URL.
    let pings = world.api("GET", &format!("/api/v3/checks/{uuid}/pings/"), &project.api_key, None).json();
    let kinds: Vec<&str> = pings["pings"].as_array().unwrap().iter().map(|p| p["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["fail", "log", "success", "success", "start", "success"]);
    let body = world.api("GET", &format!("/api/v3/checks/{uuid}/pings/5/body"), &project.api_key, None);
    assert_eq!(body.text(), "rotated the logs");
}

#[test]
fn a_cached_up_idle_checks_success_ping_is_one_apply_and_no_read() {
    let world = World::new();
    let (_, uuid) = up_check(&world, json!({"name": "fast"}));
    let store = world.store();

    store.clear_operations();
    assert_eq!(world.ping(&uuid).status(), 200);
    assert_eq!(store.operations(), ["apply"]);

    // A ping that needs the state (a start) reads it first, and so does
    // every ping once the check is no longer idle.
    store.clear_operations();
    assert_eq!(world.ping(&format!("{uuid}/start")).status(), 200);
    assert_eq!(store.operations(), ["check_by_uuid", "apply"]);
    store.clear_operations();
    assert_eq!(world.ping(&uuid).status(), 200);
    assert_eq!(store.operations(), ["check_by_uuid", "apply"], "the run it closes had to be read");
    store.clear_operations();
    assert_eq!(world.ping(&uuid).status(), 200);
    assert_eq!(store.operations(), ["apply"], "idle again: one round trip");
    assert_eq!(world.row(&uuid).check.n_pings, 5);
}

#[test]
fn a_flip_notifies_exactly_the_channels_that_listen_and_the_default_ones() {
    let world = World::with(1, |s| s.slack_webhook_url = Some(format!("{SINK}/default")));
    let project = world.project("routing");
    let downs = world.channel(&project, "downs", &["down", "up"]);
    let fails = world.channel(&project, "fails", &["fail"]);
    let successes = world.channel(&project, "successes", &["success"]);
    let _unlinked = world.channel(&project, "unlinked", &["down", "up", "fail", "success"]);
    let spec = json!({"name": "routed", "channels": format!("{downs},{fails},{successes}")});
    let uuid = uuid_of(&world.check(&project, spec));
    let first = world.ping(&uuid);
    // New to up is no news; the success itself is.
    assert_eq!(channels_of(&world.notifications()), vec![successes.clone()]);
    assert_eq!(first.0.after, [After::Deliver { shard: 0 }]);
    world.finish(&first);

    let failed = world.ping(&format!("{uuid}/fail"));
    assert_eq!(failed.status(), 200);
    assert_eq!(failed.0.after, [After::Deliver { shard: 0 }], "the alerts go out after the answer");
    let queued: Vec<StoredNotification> = world.notifications().into_iter().filter(|n| n.is_pending()).collect();
    let mut expected = vec![downs.clone(), fails.clone(), "default-slack".to_owned()];
    expected.sort();
    assert_eq!(channels_of(&queued), expected);
    world.finish(&failed);
    assert_eq!(world.platform.bodies_to(&format!("{SINK}/downs")).len(), 1);
    assert_eq!(world.platform.bodies_to(&format!("{SINK}/fails")).len(), 1);
    assert_eq!(world.platform.bodies_to(&format!("{SINK}/default")).len(), 1);
    assert!(world.platform.bodies_to(&format!("{SINK}/unlinked")).is_empty());
    assert!(world.notifications().iter().all(|n| !n.is_pending()), "all delivered");

    // A log is news to nobody.
    let log = world.ping(&format!("{uuid}/log"));
    assert!(log.0.after.is_empty());
    assert_eq!(world.notifications().len(), 4);
}

#[test]
fn a_snoozed_check_records_its_flip_and_notifies_nobody() {
    let world = World::new();
    let project = world.project("snoozes");
    let pager = world.channel(&project, "pager", &["down", "up", "fail"]);
    let uuid = uuid_of(&world.check(&project, json!({"name": "quiet", "channels": pager})));
    assert_eq!(world.ping(&uuid).status(), 200);
    let snooze =
        world.api("POST", &format!("/api/v3/checks/{uuid}/snooze"), &project.api_key, Some(json!({"seconds": 600})));
    assert_eq!(snooze.status(), 200, "{snooze:?}");
    assert_eq!(snooze.json()["snoozed_until"], T0.plus_secs(600).iso8601());

    let failed = world.ping(&format!("{uuid}/fail"));
    assert_eq!(failed.status(), 200);
    assert!(failed.0.after.is_empty(), "nothing to deliver");
    assert_eq!(world.row(&uuid).check.state.status, Status::Down, "the flip is recorded");
    let flips = world.store().flips();
    assert_eq!(flips.iter().filter(|f| f.event.is_none() && f.new_status == Status::Down).count(), 1);
    assert!(world.notifications().is_empty(), "nobody hears of it while snoozed");

    // A job can snooze its own check through the ping API.
    let by_ping = world.send(Request::new("POST", &format!("/ping/{uuid}/snooze?seconds=900")));
    assert_eq!((by_ping.status(), by_ping.text().as_str()), (200, "OK"));
    assert_eq!(world.row(&uuid).check.state.muted_until, Some(T0.plus_secs(900)));
    let bad = world.send(Request::new("POST", &format!("/ping/{uuid}/snooze?seconds=0")));
    assert_eq!(bad.status(), 400);
}

#[test]
fn slug_pings_find_their_check_and_an_ambiguous_slug_is_409() {
    let world = World::new();
    let project = world.project("slugs");
    let key = &project.ping_key;
    let one = uuid_of(&world.check(&project, json!({"name": "one", "slug": "nightly"})));
    assert_eq!(world.ping(&format!("{key}/nightly")).status(), 200);
    assert_eq!(world.ping(&format!("{key}/nightly/fail")).status(), 200);
    assert_eq!(world.row(&one).check.n_pings, 2);
    assert_eq!(world.row(&one).check.state.status, Status::Down);

    let missing = world.ping(&format!("{key}/weekly"));
    assert_eq!((missing.status(), missing.text().as_str()), (404, "not found"));
    let wrong_key = world.ping("nosuchkeynosuchkeynosuch/nightly");
    assert_eq!(wrong_key.status(), 404);

    let two = uuid_of(&world.check(&project, json!({"name": "two", "slug": "nightly"})));
    let ambiguous = world.ping(&format!("{key}/nightly"));
    assert_eq!((ambiguous.status(), ambiguous.text().as_str()), (409, "ambiguous slug"));
    assert_eq!(world.row(&one).check.n_pings, 2, "recorded on neither");
    assert_eq!(world.row(&two).check.n_pings, 0);
}

#[test]
fn malformed_and_unknown_pings_are_refused_without_a_write() {
    let world = World::new();
    let (_, uuid) = up_check(&world, json!({"name": "strict"}));
    world.store().clear_operations();
    assert_eq!(world.ping(&format!("{uuid}/256")).status(), 400);
    assert_eq!(world.ping(&format!("{uuid}?rid=not-a-uuid")).status(), 400);
    assert_eq!(world.ping("0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b").status(), 404);
    assert_eq!(world.store().operations(), ["check_by_uuid"], "only the unknown uuid was looked up");
    assert_eq!(world.row(&uuid).check.n_pings, 1);
}

#[test]
fn a_ping_body_is_kept_up_to_the_limit() {
    let world = World::with(1, |s| s.ping_body_limit = 10);
    let (_, uuid) = up_check(&world, json!({"name": "bodies"}));
    let answer = world.send(Request::new("POST", &format!("/ping/{uuid}")).with_body(b"0123456789 and the rest"));
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.header("Ping-Body-Limit"), Some("10"));
    let row = world.row(&uuid);
    let ring = world.store().ping_ring(row.check.id);
    assert_eq!(ring.last().and_then(|p| p.body.clone()), Some(b"0123456789".to_vec()));

    let mut too_large = Request::new("POST", &format!("/ping/{uuid}"));
    too_large.body = Body::TooLarge;
    assert_eq!(world.send(too_large).status(), 413);
    let mut truncated = Request::new("POST", &format!("/ping/{uuid}"));
    truncated.body = Body::Truncated;
    assert_eq!(world.send(truncated).status(), 400);
    assert_eq!(world.row(&uuid).check.n_pings, 2, "neither was recorded");
}

#[test]
fn a_ping_that_flips_during_an_open_window_is_held_and_the_end_of_the_window_tells() {
    let world = World::new();
    let project = world.project("windows");
    let pager = world.channel(&project, "pager", &["down", "up"]);
    let spec = json!({"name": "maintained", "timeout": 3600, "channels": pager});
    let uuid = uuid_of(&world.check(&project, spec));
    assert_eq!(world.ping(&uuid).status(), 200);
    let window = json!({"start": T0.iso8601(), "end": T0.plus_secs(600).iso8601(), "checks": [uuid]});
    assert_eq!(world.api("POST", "/api/v3/maintenance/", &project.api_key, Some(window)).status(), 201);

    let failed = world.ping(&format!("{uuid}/fail"));
    assert!(failed.0.after.is_empty());
    let row = world.row(&uuid);
    assert_eq!((row.check.state.status, row.check.state.muted_until), (Status::Down, Some(T0.plus_secs(600))));
    assert!(world.notifications().is_empty());

    world.platform.set_now(T0.plus_secs(660));
    world.sweep();
    assert_eq!(world.platform.bodies_to(&format!("{SINK}/pager")).len(), 1, "still down when the window closed");
    world.platform.set_now(T0.plus_secs(720));
    world.sweep();
    assert_eq!(world.notifications().len(), 1);
}

#[test]
fn the_one_round_trip_path_notices_a_listener_added_since_it_cached_the_check() {
    let world = World::new();
    let project = world.project("cache");
    let uuid = uuid_of(&world.check(&project, json!({"name": "cached"})));
    assert_eq!(world.ping(&uuid).status(), 200);
    // Every success is now news to a new channel of every check.
    let spec = json!({"kind": "slack", "name": "all", "url": format!("{SINK}/all"), "events": ["success"], "assign_to_all_checks": true});
    assert_eq!(world.api("POST", "/api/v3/channels/", &project.api_key, Some(spec)).status(), 201);
    world.store().clear_operations();
    let answer = world.ping(&uuid);
    let ops = world.store().operations();
    assert_eq!(
        ops,
        ["apply", "check_by_uuid", "windows", "apply"],
        "the cached write did not hold; windows matter now"
    );
    assert_eq!(answer.0.after, [After::Deliver { shard: 0 }]);
    assert_eq!(world.notifications().len(), 1, "the new listener hears of it");
}

#[test]
fn a_paused_check_with_manual_resume_records_pings_as_ignored() {
    let world = World::new();
    let project = world.project("manual");
    let uuid = uuid_of(&world.check(&project, json!({"name": "manual", "manual_resume": true})));
    assert_eq!(world.api("POST", &format!("/api/v3/checks/{uuid}/pause"), &project.api_key, None).status(), 200);
    assert_eq!(world.ping(&uuid).status(), 200);
    assert_eq!(world.ping(&format!("{uuid}/fail")).status(), 200);
    let row = world.row(&uuid);
    assert_eq!(row.check.state.status, Status::Paused);
    let kinds: Vec<PingKind> = world.store().ping_ring(row.check.id).iter().map(|p| p.kind).collect();
    assert_eq!(kinds, [PingKind::Ignored, PingKind::Ignored]);
    // Without manual_resume a ping wakes it.
    let edited =
        world.api("POST", &format!("/api/v3/checks/{uuid}"), &project.api_key, Some(json!({"manual_resume": false})));
    assert_eq!(edited.status(), 200);
    assert_eq!(world.ping(&uuid).status(), 200);
    assert_eq!(world.row(&uuid).check.state.status, Status::Up);
}
