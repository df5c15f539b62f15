//! Issue 19 on the memory store: a check that expects its first ping goes
//! down once when it never comes; a run's start and end reported with a
//! run id count once; a relayed event (`?ts=`) counts at its own time,
//! within its bounds.

use super::*;
use crate::domain::check::{PingKind, Status};

const RUN: &str = "a0000000-0000-4000-8000-00000000000a";

fn sweep_at(world: &World, secs_after_t0: i64) {
    world.platform.set_now(T0.plus_secs(secs_after_t0));
    world.sweep();
}

fn sent_to(world: &World, channel: &str) -> Vec<String> {
    world.platform.bodies_to(&format!("{SINK}/{channel}"))
}

#[test]
fn a_check_that_expects_its_first_ping_and_never_gets_one_goes_late_then_down_once_as_never_ran() {
    let world = World::new();
    let project = world.project("never");
    world.channel(&project, "pager", &["down", "up", "late"]);
    let spec = json!({"name": "nightly", "timeout": 3600, "grace": 600, "expect_first_ping": true, "channels": "*"});
    let created = world.check(&project, spec);
    assert_eq!(created["expect_first_ping"], true);
    assert_eq!(
        (created["status"].as_str(), created["next_ping"].as_str()),
        (Some("new"), Some("2023-11-14T23:13:20+00:00"))
    );
    assert_eq!(created["never_ran_since"], "2023-11-14T22:13:20+00:00");
    let uuid = uuid_of(&created);

    sweep_at(&world, 3_500);
    assert!(sent_to(&world, "pager").is_empty(), "before its first expected ping");
    sweep_at(&world, 3_660);
    let late = sent_to(&world, "pager");
    assert_eq!(late.len(), 1);
    assert!(late[0].contains("nightly is LATE: never ran since it was created at 2023-11-14 22:13 UTC"), "{}", late[0]);
    assert_eq!(world.get_check(&project, &uuid)["status"], "grace");

    sweep_at(&world, 4_260);
    let sent = sent_to(&world, "pager");
    assert_eq!(sent.len(), 2);
    assert!(sent[1].contains("nightly is DOWN: never ran since it was created at 2023-11-14 22:13 UTC"), "{}", sent[1]);
    let down: Vec<_> = world.store().flips().into_iter().filter(|f| f.event.is_none()).collect();
    assert_eq!(down.len(), 1);
    assert_eq!((down[0].reason.as_str(), down[0].created_at), ("never_ran", T0.plus_secs(4_200)));
    let shown = world.get_check(&project, &uuid);
    assert_eq!((shown["status"].as_str(), shown["never_ran_after"].as_str()), (Some("down"), Some("created")));
    for at in [4_320, 10_000, 90_000] {
        sweep_at(&world, at);
    }
    assert_eq!(sent_to(&world, "pager").len(), 2, "down once");

    // Its first ping at last: up, and no longer said to have never run.
    assert_eq!(world.ping(&uuid).status(), 200);
    let shown = world.get_check(&project, &uuid);
    assert_eq!((shown["status"].as_str(), shown["never_ran_since"].clone()), (Some("up"), Value::Null));
}

#[test]
fn a_check_made_through_the_api_waits_for_its_first_ping_forever_unless_told_otherwise() {
    let world = World::new();
    let project = world.project("compatible");
    let created = world.check(&project, json!({"name": "plain", "timeout": 60, "grace": 60}));
    assert_eq!(created["expect_first_ping"], false);
    sweep_at(&world, 1_000_000);
    let shown = world.get_check(&project, &uuid_of(&created));
    assert_eq!((shown["status"].as_str(), shown["never_ran_since"].clone()), (Some("new"), Value::Null));
    // Turned on later, it expects its first ping from when it was created.
    let path = format!("/api/v3/checks/{}", uuid_of(&created));
    let answer = world.api("POST", &path, &project.api_key, Some(json!({"expect_first_ping": true})));
    assert_eq!(answer.status(), 200, "{answer:?}");
    assert_eq!(answer.json()["status"], "down");
    sweep_at(&world, 1_000_060);
    let flips = world.store().flips();
    assert_eq!(
        flips.iter().map(|f| (f.reason.as_str(), f.created_at)).collect::<Vec<_>>(),
        [("never_ran", T0.plus_secs(120))]
    );
    let bad = world.api("POST", &path, &project.api_key, Some(json!({"expect_first_ping": "yes"})));
    assert_eq!((bad.status(), bad.error()), (400, "json validation error: expect_first_ping is not a boolean".into()));
}

/// A project with an up check (period an hour, grace ten minutes), a
/// channel hearing every event, pinged at T0.
fn up_check(world: &World) -> (Project, String) {
    let project = world.project("runs");
    world.channel(&project, "all", &["down", "up", "fail", "success"]);
    let spec = json!({"name": "job", "timeout": 3600, "grace": 600, "channels": "*"});
    let uuid = uuid_of(&world.check(&project, spec));
    assert_eq!(world.ping(&uuid).status(), 200);
    (project, uuid)
}

#[test]
fn a_start_or_end_with_a_run_id_sent_again_is_acknowledged_and_records_nothing() {
    let world = World::new();
    let (_, uuid) = up_check(&world);
    world.platform.advance_secs(60);
    for attempt in 0..3 {
        let answer = world.ping(&format!("{uuid}/start?rid={RUN}"));
        assert_eq!((answer.status(), answer.text().as_str()), (200, "OK"));
        assert_eq!(answer.header("Edgebeat-Already-Reported"), (attempt > 0).then_some("1"));
    }
    world.platform.advance_secs(60);
    for attempt in 0..3 {
        let answer = world.finish_ping(&format!("{uuid}/fail?rid={RUN}"));
        assert_eq!(answer.header("Edgebeat-Already-Reported"), (attempt > 0).then_some("1"));
        // An end is an end: a success with the same run id after its failure too.
        let answer = world.finish_ping(&format!("{uuid}/0?rid={RUN}"));
        assert_eq!(answer.header("Edgebeat-Already-Reported"), Some("1"));
    }
    let row = world.row(&uuid);
    assert_eq!(row.check.n_pings, 3, "the first ping, one start, one end");
    assert_eq!((row.check.state.status, row.check.state.last_duration), (Status::Down, Some(60_000)));
    let kinds: Vec<PingKind> = world.store().ping_ring(row.check.id).iter().map(|p| p.kind).collect();
    assert_eq!(kinds, [PingKind::Success, PingKind::Start, PingKind::Fail]);
    let sent = sent_to(&world, "all");
    assert_eq!(sent.len(), 3, "the first ping's success, the failure's down and fail: nothing for the repeats");
    // A ping without a run id is every time a new one, as in healthchecks.
    world.platform.advance_secs(10);
    assert!(world.ping(&uuid).header("Edgebeat-Already-Reported").is_none());
    assert!(world.ping(&uuid).header("Edgebeat-Already-Reported").is_none());
    assert_eq!(world.row(&uuid).check.n_pings, 5);
}

#[test]
fn the_one_round_trip_path_knows_a_repeated_end_too() {
    let world = World::new();
    let project = world.project("quiet");
    let uuid = uuid_of(&world.check(&project, json!({"name": "quiet", "timeout": 3600, "grace": 600})));
    assert_eq!(world.ping(&uuid).status(), 200);
    assert!(world.ping(&format!("{uuid}?rid={RUN}")).header("Edgebeat-Already-Reported").is_none());
    world.store().clear_operations();
    assert_eq!(world.ping(&format!("{uuid}?rid={RUN}")).header("Edgebeat-Already-Reported"), Some("1"));
    assert_eq!(world.store().operations(), ["apply"], "up, idle and cached: one round trip");
    assert_eq!(world.row(&uuid).check.n_pings, 2);
}

#[test]
fn a_run_relayed_late_is_recorded_at_its_own_times() {
    let world = World::new();
    let (project, uuid) = up_check(&world);
    // The run started 50 minutes ago and ended 10 minutes ago.
    let now = T0.secs() + 3_000;
    world.platform.set_now(Timestamp::from_secs(now));
    let (started, ended) = (now - 3_000, now - 600);
    assert_eq!(world.ping(&format!("{uuid}/start?rid={RUN}&ts={started}")).status(), 200);
    assert_eq!(world.ping(&format!("{uuid}?rid={RUN}&ts={ended}")).status(), 200);
    let state = world.row(&uuid).check.state;
    assert_eq!(state.last_duration, Some(2_400_000), "40 minutes");
    assert_eq!(state.last_ping, Some(Timestamp::from_secs(ended)));
    let shown = world.get_check(&project, &uuid);
    assert_eq!(shown["last_duration"], 2_400);
    assert_eq!(shown["next_ping"], Timestamp::from_secs(ended + 3_600).iso8601(), "from the run's real end");
    let pings = world.api("GET", &format!("/api/v3/checks/{uuid}/pings/"), &project.api_key, None).json();
    let newest = &pings["pings"][0];
    assert_eq!(
        (newest["date"].as_str(), newest["duration"].as_f64()),
        (Some(Timestamp::from_secs(ended).iso8601().as_str()), Some(2_400.0))
    );
}

#[test]
fn an_event_time_out_of_bounds_or_malformed_is_refused_with_a_json_error() {
    let world = World::new();
    let (_, uuid) = up_check(&world);
    let now = T0.secs();
    let cases = [
        (format!("{}", now + 301), "is in the future: more than 5 minutes ahead"),
        (format!("{}", now - 86_401), "is more than 24 hours ago"),
        ("yesterday".to_owned(), "is not a Unix time in seconds"),
    ];
    for (ts, expected) in cases {
        let answer = world.ping(&format!("{uuid}?ts={ts}"));
        assert_eq!(answer.status(), 400, "{ts}: {answer:?}");
        assert!(answer.error().contains(expected), "{ts}: {}", answer.error());
    }
    assert_eq!(world.row(&uuid).check.n_pings, 1, "nothing recorded");
    // A clock a little fast: taken as now.
    assert_eq!(world.ping(&format!("{uuid}?ts={}", now + 120)).status(), 200);
    assert_eq!(world.row(&uuid).check.state.last_ping, Some(T0));
}

#[test]
fn a_check_made_by_a_start_ping_entered_new_when_it_was_made() {
    let world = World::new();
    let project = world.project("made-by-ping");
    let answer = world.ping(&format!("{}/nightly/start?create=1", project.ping_key));
    assert_eq!(answer.status(), 201, "{answer:?}");
    let listed = world.api("GET", "/api/v3/checks/", &project.api_key, None).json();
    let uuid = uuid_of(&listed["checks"][0]);
    let row = world.row(&uuid);
    assert_eq!((row.check.state.status, row.status_changed_at), (Status::New, Some(T0)));
    assert_eq!(row.check.state.waiting_since, Some(T0));
}
