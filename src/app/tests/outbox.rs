//! The outbox: fair turns across projects within one delivery budget,
//! claims that never send twice, retries with backoff, permanent failures,
//! channels deleted meanwhile, and reminders that wait rather than pile up.

use super::*;
use crate::domain::check::EventKind;
use crate::domain::outbox::{AttemptResult, CLAIM_MS};
use crate::store::memory::{DELIVERED, FAILED, PENDING};
use crate::store::OutboxStore;

/// `n` checks of `project`, linked to a channel named `channel` (hearing
/// down and up), each failed once so that each has a pending alert.
fn failed_checks(world: &World, project: &Project, channel: &str, n: usize) -> Vec<String> {
    let channel = world.channel(project, channel, &["down", "up", "reminder"]);
    (0..n)
        .map(|i| {
            let uuid = uuid_of(&world.check(project, json!({"name": format!("c{i}"), "channels": channel})));
            assert_eq!(world.ping(&format!("{uuid}/fail")).status(), 200);
            uuid
        })
        .collect()
}

/// Delivers database 0's due notifications, as after a request.
fn deliver(world: &World) {
    block_on(router::after(&world.app(), &crate::app::After::Deliver { shard: 0 }));
}

fn sent(world: &World, channel: &str) -> usize {
    world.platform.bodies_to(&format!("{SINK}/{channel}")).len()
}

#[test]
fn a_big_backlog_in_one_project_does_not_delay_another_projects_alert() {
    let world = World::with(1, |s| s.subrequest_budget = 10);
    let big = world.project("big");
    failed_checks(&world, &big, "big", 30);
    world.platform.advance_secs(60);
    let small = world.project("small");
    failed_checks(&world, &small, "small", 1);
    assert_eq!(world.notifications().iter().filter(|n| n.is_pending()).count(), 31);

    deliver(&world);
    assert_eq!(sent(&world, "small"), 1, "the newer alert of the other project goes out in the first budget");
    assert_eq!(sent(&world, "big"), 9, "the rest of the budget goes to the backlog, oldest first");
    let first_big: Vec<i64> = world.notifications().iter().filter(|n| n.project_id == big.id).map(|n| n.id).collect();
    let delivered: Vec<i64> =
        world.notifications().iter().filter(|n| n.state == DELIVERED && n.project_id == big.id).map(|n| n.id).collect();
    assert_eq!(delivered, first_big[..9]);

    deliver(&world);
    deliver(&world);
    assert_eq!(sent(&world, "big"), 29);
    deliver(&world);
    assert_eq!((sent(&world, "big"), sent(&world, "small")), (30, 1), "each sent once");
}

#[test]
fn a_racing_claimer_never_makes_an_alert_go_out_twice() {
    let world = World::new();
    let project = world.project("claims");
    failed_checks(&world, &project, "pager", 3);
    let w = later(&world);
    // Another invocation delivers between this one's choice and its claim.
    world.store().before_next("claim", move |_| deliver(&up(&w)));
    world.store().clear_operations();
    deliver(&world);
    let ops = world.store().operations();
    assert_eq!(ops.iter().filter(|op| **op == "claim").count(), 2, "both claimed: {ops:?}");
    assert_eq!(ops.iter().filter(|op| **op == "claimed").count(), 1, "one of them got nothing: {ops:?}");
    assert_eq!(sent(&world, "pager"), 3, "each once");
    assert!(world.notifications().iter().all(|n| n.state == DELIVERED && n.attempts == 1));
}

#[test]
fn a_claim_that_was_never_finished_is_sent_once_it_expires() {
    let world = World::new();
    let project = world.project("claims");
    failed_checks(&world, &project, "pager", 2);
    let first = world.notifications()[0].id;
    // A rival claims the first and then never reports (its invocation died).
    world.store().before_next("claim", move |store| {
        assert_eq!(block_on(store.claim(&[first], "rival", T0, T0.plus_millis(CLAIM_MS))).unwrap(), 1);
    });
    deliver(&world);
    assert_eq!(sent(&world, "pager"), 1, "only the one this invocation holds");
    world.platform.advance_secs(30);
    deliver(&world);
    assert_eq!(sent(&world, "pager"), 1, "the rival's claim still holds");
    world.platform.advance_secs(31);
    deliver(&world);
    assert_eq!(sent(&world, "pager"), 2);
    assert!(world.notifications().iter().all(|n| n.state == DELIVERED));
}

#[test]
fn transient_failures_are_retried_with_growing_pauses_and_recorded() {
    let world = World::new();
    let project = world.project("retries");
    failed_checks(&world, &project, "flaky", 1);
    world.platform.answer([AttemptResult::Status(503), AttemptResult::Timeout]);

    deliver(&world);
    let n = world.notifications().remove(0);
    assert_eq!((n.state.as_str(), n.attempts, n.last_status), (PENDING, 1, Some(503)));
    assert_eq!(n.next_attempt_at, T0.plus_secs(66), "a minute, stretched by the jitter");
    world.platform.set_now(T0.plus_secs(65));
    deliver(&world);
    assert_eq!(sent(&world, "flaky"), 1, "not before its time");

    world.platform.set_now(T0.plus_secs(66));
    deliver(&world);
    let n = world.notifications().remove(0);
    assert_eq!((n.state.as_str(), n.attempts), (PENDING, 2));
    assert_eq!(n.next_attempt_at, T0.plus_secs(66 + 132), "twice as long");
    assert_eq!(n.last_error.as_deref(), Some("no answer within 10 s"));

    world.platform.set_now(T0.plus_secs(66 + 132));
    deliver(&world);
    let n = world.notifications().remove(0);
    assert_eq!((n.state.as_str(), n.attempts, n.last_status), (DELIVERED, 3, Some(200)));
    assert_eq!(n.finished_at, Some(T0.plus_secs(66 + 132)));
    let log: Vec<(Option<i64>, Option<String>)> = n.attempt_log.iter().map(|a| (a.status, a.error.clone())).collect();
    assert_eq!(
        log,
        [(Some(503), Some("HTTP 503".into())), (None, Some("no answer within 10 s".into())), (Some(200), None)]
    );

    // The API shows the same history.
    let listed = world.api("GET", "/api/v3/notifications/", &project.api_key, None).json();
    let listed = &listed["notifications"][0];
    assert_eq!((listed["state"].as_str(), listed["attempts"].as_i64()), (Some("delivered"), Some(3)));
    assert_eq!(listed["attempt_log"].as_array().map(Vec::len), Some(3));
}

#[test]
fn a_client_error_fails_the_notification_for_good() {
    let world = World::new();
    let project = world.project("permanent");
    failed_checks(&world, &project, "gone", 1);
    world.platform.answer([AttemptResult::Status(404)]);
    deliver(&world);
    let n = world.notifications().remove(0);
    assert_eq!((n.state.as_str(), n.attempts, n.last_status), (FAILED, 1, Some(404)));
    assert_eq!(n.finished_at, Some(T0));
    world.platform.advance_secs(86_400);
    deliver(&world);
    assert_eq!(sent(&world, "gone"), 1, "never tried again");
    let counts = block_on(world.store().notification_counts(&project.id)).unwrap();
    assert_eq!(counts, (0, 1));
}

#[test]
fn an_alert_for_a_channel_deleted_meanwhile_fails_as_undeliverable() {
    let world = World::new();
    let project = world.project("deleted");
    failed_checks(&world, &project, "doomed", 1);
    let channel = world.notifications()[0].channel_id.clone();
    let deleted = world.api("DELETE", &format!("/api/v3/channels/{channel}"), &project.api_key, None);
    assert_eq!(deleted.status(), 200, "{deleted:?}");
    deliver(&world);
    assert!(world.platform.sent.borrow().is_empty(), "nothing sent anywhere");
    let n = world.notifications().remove(0);
    assert_eq!(n.state, FAILED);
    assert!(n.last_error.as_deref().is_some_and(|e| e.contains("no longer exists")), "{:?}", n.last_error);
}

#[test]
fn a_reminder_still_waiting_is_not_queued_again() {
    let world = World::new();
    let project = world.project("coalescing");
    let channel = world.channel(&project, "pager", &["down", "reminder"]);
    let spec = json!({"name": "nagging", "timeout": 60, "grace": 60, "reminder_interval": 300, "channels": channel});
    let uuid = uuid_of(&world.check(&project, spec));
    assert_eq!(world.ping(&uuid).status(), 200);
    world.platform.set_now(T0.plus_secs(185));
    world.sweep();
    assert_eq!(sent(&world, "pager"), 1, "the down alert");

    // The first reminder cannot be delivered; the second comes while it waits.
    world.platform.answer([AttemptResult::Status(502), AttemptResult::Status(502)]);
    world.platform.set_now(T0.plus_secs(425));
    world.sweep();
    world.platform.set_now(T0.plus_secs(725));
    world.sweep();
    let flips = world.store().flips();
    let reminders: Vec<StoredNotification> = world
        .notifications()
        .into_iter()
        .filter(|n| flips.iter().any(|f| f.id == n.flip_id && f.event == Some(EventKind::Reminder)))
        .collect();
    assert_eq!(reminders.len(), 1, "one reminder waiting, not two");
    assert_eq!((reminders[0].state.as_str(), reminders[0].attempts), (PENDING, 2));
    assert_eq!(flips.iter().filter(|f| f.event == Some(EventKind::Reminder)).count(), 2, "both reminders recorded");

    world.platform.set_now(T0.plus_secs(1025));
    world.sweep();
    let pending = world.notifications().into_iter().filter(|n| n.is_pending()).count();
    assert_eq!(pending, 0, "delivered at last; the third reminder was the same news");
    assert_eq!(sent(&world, "pager"), 1 + 3);
}

#[test]
fn a_notification_whose_check_cannot_be_read_fails_instead_of_retrying_blindly() {
    let world = World::new();
    let project = world.project("unreadable");
    let uuids = failed_checks(&world, &project, "pager", 2);
    let broken = world.row(&uuids[0]).check.id;
    world.store().corrupt_check(broken, "bad schedule");
    deliver(&world);
    assert_eq!(sent(&world, "pager"), 1, "the readable one");
    let of_broken = world.notifications().into_iter().find(|n| n.check_id == broken).unwrap();
    assert_eq!(of_broken.state, FAILED);
    assert!(of_broken.last_error.is_some_and(|e| e.contains("bad schedule")));
}

#[test]
fn the_outbox_is_listed_per_project_and_narrowed_by_check_and_state() {
    let world = World::new();
    let project = world.project("listed");
    let stranger = world.project("stranger");
    let uuids = failed_checks(&world, &project, "pager", 2);
    let theirs = failed_checks(&world, &stranger, "theirs", 1);
    world.platform.answer([AttemptResult::Status(410)]);
    deliver(&world);
    let list = |query: &str| world.api("GET", &format!("/api/v3/notifications/{query}"), &project.api_key, None);
    let all = list("").json();
    assert_eq!(all["notifications"].as_array().map(Vec::len), Some(2), "only the project's own");
    let failed = list("?state=failed").json();
    assert_eq!(failed["notifications"].as_array().map(Vec::len), Some(1));
    assert_eq!(failed["notifications"][0]["last_status"], 410);
    assert_eq!(failed["notifications"][0]["next_attempt"], Value::Null, "finished");
    let of_second = list(&format!("?check={}", uuids[1])).json();
    assert_eq!(of_second["notifications"][0]["check"], uuids[1].as_str());
    assert_eq!(list(&format!("?check={}", theirs[0])).status(), 404);
    assert_eq!(list("?state=lost").status(), 400);
}
