//! The minute sweep: due checks go down dated at their deadline, alerts are
//! queued once even when sweeps overlap, unreadable rows are put off,
//! windows hold alerts, reminders and late events come when due, and the
//! due checks are read in chunks.

use super::*;
use crate::domain::check::{EventKind, Status};
use crate::store::SweepStore;

/// A project with a channel hearing `events`, and a check (timeout and
/// grace a minute each, `spec` added) linked to it, pinged at T0: due at
/// T0 + 120 s.
fn watched(world: &World, events: &[&str], spec: Value) -> (Project, String, String) {
    let project = world.project("sweeps");
    let channel = world.channel(&project, "pager", events);
    let mut full = json!({"name": "watched", "timeout": 60, "grace": 60, "channels": channel});
    for (field, value) in spec.as_object().into_iter().flatten() {
        full[field] = value.clone();
    }
    let uuid = uuid_of(&world.check(&project, full));
    assert_eq!(world.ping(&uuid).status(), 200);
    (project, uuid, channel)
}

fn sweep_at(world: &World, secs_after_t0: i64) {
    world.platform.set_now(T0.plus_secs(secs_after_t0));
    world.sweep();
}

fn sent_to_pager(world: &World) -> Vec<String> {
    world.platform.bodies_to(&format!("{SINK}/pager"))
}

#[test]
fn a_due_check_goes_down_dated_at_its_deadline_and_its_alert_goes_out() {
    let world = World::new();
    let (project, uuid, channel) = watched(&world, &["down", "up"], json!({}));
    sweep_at(&world, 100);
    assert_eq!(world.row(&uuid).check.state.status, Status::Up, "not due yet");

    sweep_at(&world, 185);
    let row = world.row(&uuid);
    assert_eq!(row.check.state.status, Status::Down);
    let flips = world.store().flips();
    let down: Vec<_> = flips.iter().filter(|f| f.new_status == Status::Down && f.event.is_none()).collect();
    assert_eq!(down.len(), 1);
    assert_eq!(down[0].created_at, T0.plus_secs(120), "dated at the deadline, not when the sweep saw it");
    assert_eq!(down[0].reason, "timeout");
    assert_eq!(down[0].previous_change_at, Some(T0));
    assert_eq!(channels_of(&world.notifications()), [channel]);
    assert_eq!(sent_to_pager(&world).len(), 1, "the sweep delivers what it queued");
    assert!(world.notifications()[0].state == crate::store::memory::DELIVERED);

    let flips = world.api("GET", &format!("/api/v3/checks/{uuid}/flips/"), &project.api_key, None).json();
    assert_eq!(flips["flips"][0]["up"], 0);
    let record = block_on(world.store().sweep_record()).unwrap();
    assert_eq!(record.last_completed, Some(T0.plus_secs(185)));
    assert_eq!(record.last_stats.map(|s| (s.due_checks, s.flips, s.sent)), Some((1, 1, 1)));

    // Nothing more until it recovers.
    sweep_at(&world, 245);
    assert_eq!(world.notifications().len(), 1);
}

#[test]
fn two_overlapping_sweeps_queue_the_alert_once() {
    let world = World::new();
    let (_, uuid, _) = watched(&world, &["down", "up"], json!({}));
    let w = later(&world);
    // A second sweep runs its whole course between this sweep's read and write.
    world.store().before_next_apply(move |_, _| up(&w).sweep());
    world.store().clear_operations();
    sweep_at(&world, 185);
    let ops = world.store().operations();
    let count = |name: &str| ops.iter().filter(|op| **op == name).count();
    assert_eq!((count("due_checks"), count("apply"), count("record_sweep")), (2, 2, 2), "both sweeps wrote: {ops:?}");
    assert_eq!(world.row(&uuid).check.state.status, Status::Down);
    let downs = world.store().flips().iter().filter(|f| f.new_status == Status::Down && f.event.is_none()).count();
    assert_eq!(downs, 1, "one flip");
    assert_eq!(world.notifications().len(), 1, "one notification");
    assert_eq!(sent_to_pager(&world).len(), 1, "one alert");
}

#[test]
fn an_unreadable_row_is_put_off_and_the_other_checks_are_swept() {
    let world = World::new();
    let (project, broken, _) = watched(&world, &["down", "up"], json!({}));
    let healthy = uuid_of(&world.check(&project, json!({"name": "healthy", "timeout": 60, "grace": 60})));
    assert_eq!(world.ping(&healthy).status(), 200);
    let broken_id = world.row(&broken).check.id;
    assert!(world.store().corrupt_check(broken_id, "status 'sideways'"));

    sweep_at(&world, 185);
    assert_eq!(world.row(&healthy).check.state.status, Status::Down);
    let row = world.store().stored_check(broken_id).unwrap();
    assert_eq!(row.check.state.status, Status::Up, "left as it was");
    assert_eq!(row.alert_after, Some(T0.plus_secs(185 + 3600)), "looked at again in an hour");
    let record = block_on(world.store().sweep_record()).unwrap();
    assert_eq!(record.last_completed, Some(T0.plus_secs(185)), "the sweep completed");
    assert_eq!(record.last_stats.map(|s| (s.due_checks, s.unreadable, s.flips)), Some((2, 1, 1)));
    assert!(world.platform.logs.borrow().iter().any(|(_, m)| m.contains("unreadable") && m.contains("sideways")));

    // Repaired, it is swept when its new time comes.
    world.store().repair_check(broken_id);
    sweep_at(&world, 245);
    assert_eq!(world.store().stored_check(broken_id).unwrap().check.state.status, Status::Up);
    sweep_at(&world, 185 + 3600);
    assert_eq!(world.store().stored_check(broken_id).unwrap().check.state.status, Status::Down);
}

#[test]
fn a_maintenance_window_holds_alerts_and_a_check_still_down_notifies_once_when_it_ends() {
    let world = World::new();
    let (project, uuid, _) = watched(&world, &["down", "up"], json!({"tags": "db"}));
    let window = json!({"name": "upgrade", "start": T0.iso8601(), "end": T0.plus_secs(1800).iso8601(), "tags": "db"});
    let answer = world.api("POST", "/api/v3/maintenance/", &project.api_key, Some(window));
    assert_eq!(answer.status(), 201, "{answer:?}");

    sweep_at(&world, 185);
    let row = world.row(&uuid);
    assert_eq!(row.check.state.status, Status::Down, "it goes down all the same");
    assert_eq!(row.check.state.muted_until, Some(T0.plus_secs(1800)));
    assert!(world.notifications().is_empty(), "held");
    sweep_at(&world, 1200);
    assert!(world.notifications().is_empty(), "still held");

    sweep_at(&world, 1805);
    let notifications = world.notifications();
    assert_eq!(notifications.len(), 1, "one notice when the window closes");
    let flip = world.store().flips().into_iter().find(|f| f.id == notifications[0].flip_id).unwrap();
    assert_eq!((flip.event, flip.reason.as_str()), (Some(EventKind::Down), "still_down"));
    assert_eq!(sent_to_pager(&world).len(), 1);
    sweep_at(&world, 1865);
    sweep_at(&world, 3600);
    assert_eq!(world.notifications().len(), 1, "once");
}

#[test]
fn a_check_that_recovers_during_the_window_says_nothing_when_it_ends() {
    let world = World::new();
    let (project, uuid, _) = watched(&world, &["down", "up"], json!({}));
    let window = json!({"start": T0.iso8601(), "end": T0.plus_secs(1800).iso8601()});
    assert_eq!(world.api("POST", "/api/v3/maintenance/", &project.api_key, Some(window)).status(), 201);
    sweep_at(&world, 185);
    world.platform.set_now(T0.plus_secs(1750));
    assert_eq!(world.ping(&uuid).status(), 200);
    assert_eq!(world.row(&uuid).check.state.status, Status::Up);
    sweep_at(&world, 1805);
    assert!(world.notifications().is_empty(), "down and up both fell inside the window");
}

#[test]
fn reminders_come_once_per_interval_while_down() {
    let world = World::new();
    let (_, uuid, _) = watched(&world, &["down", "up", "reminder"], json!({"reminder_interval": 300}));
    sweep_at(&world, 185);
    assert_eq!(world.notifications().len(), 1, "the down alert");
    sweep_at(&world, 400);
    assert_eq!(world.notifications().len(), 1, "no reminder before the interval");
    sweep_at(&world, 425);
    let kinds = |world: &World| -> Vec<Option<EventKind>> {
        let flips = world.store().flips();
        world.notifications().iter().map(|n| flips.iter().find(|f| f.id == n.flip_id).and_then(|f| f.event)).collect()
    };
    assert_eq!(kinds(&world), [None, Some(EventKind::Reminder)], "down at 120 s, reminded at 420 s");
    sweep_at(&world, 500);
    assert_eq!(world.notifications().len(), 2);
    sweep_at(&world, 725);
    assert_eq!(kinds(&world), [None, Some(EventKind::Reminder), Some(EventKind::Reminder)]);
    assert_eq!(sent_to_pager(&world).len(), 3);

    // Recovered: no more reminders (and not down again before 845 s).
    let recovered = world.ping(&uuid);
    world.finish(&recovered);
    sweep_at(&world, 830);
    assert_eq!(kinds(&world).iter().filter(|k| **k == Some(EventKind::Reminder)).count(), 2);
}

#[test]
fn a_late_check_is_announced_once_to_late_listeners_before_it_goes_down() {
    let world = World::new();
    let (_, uuid, channel) = watched(&world, &["late", "down"], json!({}));
    sweep_at(&world, 65);
    let row = world.row(&uuid);
    assert_eq!(row.check.state.status, Status::Up, "late is not down");
    let notifications = world.notifications();
    assert_eq!(channels_of(&notifications), [channel]);
    let flip = world.store().flips().into_iter().find(|f| f.id == notifications[0].flip_id).unwrap();
    assert_eq!((flip.event, flip.created_at), (Some(EventKind::Late), T0.plus_secs(60)));
    sweep_at(&world, 90);
    assert_eq!(world.notifications().len(), 1, "once");
    sweep_at(&world, 125);
    assert_eq!(world.notifications().len(), 2, "then down");
    assert_eq!(world.row(&uuid).check.state.status, Status::Down);
}

#[test]
fn due_checks_are_read_and_written_500_at_a_time() {
    let world = World::new();
    let project = world.project("many");
    let mut uuids = Vec::new();
    for n in 0..501 {
        let uuid = uuid_of(&world.check(&project, json!({"name": format!("c{n}"), "timeout": 60, "grace": 60})));
        assert_eq!(world.ping(&uuid).status(), 200);
        uuids.push(uuid);
    }
    world.store().clear_operations();
    sweep_at(&world, 185);
    let ops = world.store().operations();
    let count = |name: &str| ops.iter().filter(|op| **op == name).count();
    assert_eq!(count("due_checks"), 2, "500, then 1");
    assert_eq!(count("apply"), 501, "each check's plan, in two batches");
    let record = block_on(world.store().sweep_record()).unwrap();
    assert_eq!(record.last_stats.map(|s| (s.due_checks, s.flips)), Some((501, 501)));
    for uuid in [&uuids[0], &uuids[499], &uuids[500]] {
        assert_eq!(world.row(uuid).check.state.status, Status::Down);
    }
}

#[test]
fn a_sweep_that_cannot_read_the_due_checks_is_recorded_as_failed_and_sends_no_self_ping() {
    let world = World::with(1, |s| s.self_ping_url = Some(format!("{SINK}/self")));
    let (_, uuid, _) = watched(&world, &["down"], json!({}));
    world.store().fail_next_op("due_checks", 1);
    sweep_at(&world, 185);
    let record = block_on(world.store().sweep_record()).unwrap();
    assert!(record.last_error.is_some_and(|(at, e)| at == T0.plus_secs(185) && e.contains("finding due checks")));
    assert_eq!(record.last_completed, None);
    assert!(world.platform.bodies_to(&format!("{SINK}/self")).is_empty());
    assert_eq!(world.row(&uuid).check.state.status, Status::Up);

    sweep_at(&world, 245);
    assert_eq!(world.row(&uuid).check.state.status, Status::Down, "the next minute catches up");
    assert_eq!(world.platform.bodies_to(&format!("{SINK}/self")).len(), 1);
}

#[test]
fn a_ping_or_an_edit_landing_between_the_sweeps_read_and_write_wins() {
    let world = World::new();
    let (project, uuid, _) = watched(&world, &["down", "up"], json!({}));
    let w = later(&world);
    let pinged = uuid.clone();
    // The job pings just as the sweep decided it was down.
    world.store().before_next_apply(move |_, _| assert_eq!(up(&w).ping(&pinged).status(), 200));
    sweep_at(&world, 185);
    let row = world.row(&uuid);
    assert_eq!(row.check.state.status, Status::Up, "the sweep's decision did not hold");
    assert_eq!(row.alert_after, Some(T0.plus_secs(185 + 120)));
    assert!(world.notifications().is_empty());
    assert!(world.store().flips().iter().all(|f| f.new_status != Status::Down));

    let w = later(&world);
    let (edited, key) = (uuid.clone(), project.api_key.clone());
    world.store().before_next_apply(move |_, _| {
        let answer = up(&w).api("POST", &format!("/api/v3/checks/{edited}"), &key, Some(json!({"timeout": 3600})));
        assert_eq!(answer.status(), 200);
    });
    sweep_at(&world, 185 + 185);
    assert_eq!(world.row(&uuid).check.state.status, Status::Up, "the new timeout came first");
    assert_eq!(world.row(&uuid).alert_after, Some(T0.plus_secs(185 + 3600 + 60)));
    assert!(world.notifications().is_empty());
}

#[test]
fn windows_that_cannot_be_read_hold_nothing_back() {
    let world = World::new();
    let (project, uuid, _) = watched(&world, &["down"], json!({}));
    let window = json!({"start": T0.iso8601(), "end": T0.plus_secs(1800).iso8601()});
    assert_eq!(world.api("POST", "/api/v3/maintenance/", &project.api_key, Some(window)).status(), 201);
    world.store().fail_next_op("windows_of_projects", 1);
    sweep_at(&world, 185);
    assert_eq!(world.row(&uuid).check.state.status, Status::Down);
    assert_eq!(sent_to_pager(&world).len(), 1, "better an alert in a window than none outside one");
    assert!(world.platform.logs.borrow().iter().any(|(_, m)| m.contains("windows")));
}

#[test]
fn a_request_after_the_cron_stalled_runs_one_rescue_sweep() {
    let world = World::with(1, |s| s.self_ping_url = Some(format!("{SINK}/self")));
    let (_, uuid, _) = watched(&world, &["down"], json!({}));
    sweep_at(&world, 60);
    assert_eq!(world.platform.bodies_to(&format!("{SINK}/self")).len(), 1);

    // No sweep for four minutes: the next request looks, and sweeps.
    world.platform.set_now(T0.plus_secs(300));
    let answer = world.send(Request::new("GET", "/health"));
    assert!(answer.0.after.contains(&crate::app::After::LookForStall));
    let w = later(&world);
    // Another request's rescue tries to start while this one sweeps, and
    // stands aside: this one holds the claim.
    world.store().before_next("due_checks", move |_| {
        let world = up(&w);
        block_on(crate::app::rescue::rescue(&world.app(), world.now())).unwrap();
    });
    world.store().clear_operations();
    block_on(router::after(&world.app(), &crate::app::After::LookForStall));
    assert_eq!(world.row(&uuid).check.state.status, Status::Down);
    let ops = world.store().operations();
    let count = |name: &str| ops.iter().filter(|op| **op == name).count();
    assert_eq!((count("claim_rescue"), count("due_checks")), (2, 1), "two tried, one swept: {ops:?}");
    assert_eq!(sent_to_pager(&world).len(), 1);
    assert_eq!(world.platform.bodies_to(&format!("{SINK}/self")).len(), 1, "a rescue sends no self-ping");
    assert_eq!(block_on(world.store().last_rescue()).unwrap(), Some(T0.plus_secs(300)));
}

#[test]
fn the_hourly_sweep_prunes_finished_notifications_and_flips_older_than_93_days() {
    let world = World::new();
    let (_, uuid, _) = watched(&world, &["down", "up"], json!({}));
    sweep_at(&world, 185);
    assert_eq!((world.notifications().len(), world.store().flips().len()), (1, 2), "up, then down");
    // A sweep in the first minute of an hour, 94 days on.
    let hour = 3600;
    let later = (94 * 86_400 / hour + 1) * hour - 800;
    sweep_at(&world, later - 60 * 10);
    assert_eq!(world.notifications().len(), 1, "only in the first minute of an hour");
    sweep_at(&world, later);
    assert!(world.notifications().is_empty());
    assert!(world.store().flips().is_empty());
    assert_eq!(world.row(&uuid).check.state.status, Status::Down, "the check itself stays as it is");
}

#[test]
fn a_sweep_whose_write_reply_was_lost_fails_and_the_next_one_alerts_once() {
    let world = World::new();
    let (_, uuid, _) = watched(&world, &["down"], json!({}));
    world.store().lose_reply_when(|op| op == "apply");
    sweep_at(&world, 185);
    world.store().clear_faults();
    let record = block_on(world.store().sweep_record()).unwrap();
    assert!(record.last_error.is_some(), "the sweep saw its write fail");
    assert_eq!(world.row(&uuid).check.state.status, Status::Down, "the write itself landed");
    assert!(sent_to_pager(&world).is_empty());

    sweep_at(&world, 245);
    assert_eq!(world.notifications().len(), 1, "queued once");
    assert_eq!(sent_to_pager(&world).len(), 1, "and sent once, by the next sweep");
}
