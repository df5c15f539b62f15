//! `OutboxStore`: the fair selection's input, claims, delivery rows,
//! recorded attempts, lists and counts.

use super::*;
use crate::domain::outbox::{AttemptResult, Outcome};
use crate::store::{DeliveryWrite, OutboxStore, Queued};

/// Queues one notification per channel in `channels` for `check`, with
/// flip id `id`, at `at`.
fn queue(store: &MemoryStore, check: &Check, id: &str, at: i64, channels: &[&str]) {
    let check = read(store, check.id);
    let mut plan = plan_for(&check, at);
    plan.events = vec![event(id, EventKind::Fail, at, channels, false)];
    assert!(block_on(store.apply(&plan)).unwrap().applied);
}

fn ids_of(queued: &[Queued]) -> Vec<i64> {
    let mut ids: Vec<i64> = queued.iter().map(|q| q.id).collect();
    ids.sort_unstable();
    ids
}

fn attempt(id: i64, at: i64, result: AttemptResult, outcome: Outcome) -> DeliveryWrite {
    DeliveryWrite { notification_id: id, at: t(at), result, outcome, duration_ms: 12 }
}

#[test]
fn due_notifications_are_each_projects_oldest_due_and_unclaimed_ones() {
    let (store, first) = store();
    let second = add_project(&store, 2);
    let a = add_check(&store, &first, 1);
    let b = add_check(&store, &second, 2);
    for (i, at) in [3_000, 1_000, 2_000, 50_000].into_iter().enumerate() {
        queue(&store, &a, &format!("a{i}"), at, &["x"]);
    }
    queue(&store, &b, "b0", 4_000, &["y"]);
    let id_of = |flip: &str| store.notifications().into_iter().find(|n| n.flip_id == flip).unwrap().id;

    let due = block_on(store.due_notifications(t(10_000), 2)).unwrap();
    // Project 1's two oldest by next attempt (a1 at 1 s, a2 at 2 s), a3 not due; project 2's one.
    assert_eq!(ids_of(&due), [id_of("a1"), id_of("a2"), id_of("b0")]);
    let b0 = due.iter().find(|q| q.id == id_of("b0")).unwrap();
    assert_eq!((b0.project_id.as_str(), b0.next_attempt_at), (second.as_str(), t(4_000)));

    // A live claim hides a notification; the next oldest takes its turn.
    assert_eq!(block_on(store.claim(&[id_of("a1")], "c1", t(10_000), t(70_000))).unwrap(), 1);
    let due = block_on(store.due_notifications(t(10_000), 2)).unwrap();
    assert_eq!(ids_of(&due), [id_of("a0"), id_of("a2"), id_of("b0")]);
    // Once the claim expires it is due again.
    let due = block_on(store.due_notifications(t(70_000), 1)).unwrap();
    assert_eq!(ids_of(&due), [id_of("a1"), id_of("b0")]);
    assert!(block_on(store.due_notifications(t(70_000), 0)).unwrap().is_empty());
    assert!(block_on(store.due_notifications(t(70_000), -1)).unwrap().is_empty());
}

#[test]
fn a_claim_takes_only_due_unclaimed_pending_notifications_and_counts_an_attempt() {
    let (store, project) = store();
    let check = add_check(&store, &project, 1);
    queue(&store, &check, "f", 1_000, &["a", "b", "c"]);
    queue(&store, &check, "later", 90_000, &["a"]);
    let ids: Vec<i64> = store.notifications().iter().map(|n| n.id).collect();

    assert_eq!(block_on(store.claim(&[ids[0], ids[0], ids[3], 999], "one", t(2_000), t(62_000))).unwrap(), 1);
    assert_eq!(block_on(store.claim(&ids, "two", t(3_000), t(63_000))).unwrap(), 2, "not ids[0], not the later one");
    let claims: Vec<_> = store.notifications().into_iter().map(|n| (n.claim, n.claimed_until, n.attempts)).collect();
    assert_eq!(
        claims,
        [
            (Some("one".into()), Some(t(62_000)), 1),
            (Some("two".into()), Some(t(63_000)), 1),
            (Some("two".into()), Some(t(63_000)), 1),
            (None, None, 0),
        ]
    );
    // An expired claim can be taken over; a finished notification cannot be claimed.
    assert_eq!(block_on(store.claim(&[ids[0]], "three", t(62_000), t(122_000))).unwrap(), 1);
    assert_eq!(store.notifications()[0].attempts, 2);
    let delivered = [attempt(ids[1], 64_000, AttemptResult::Status(200), Outcome::Delivered)];
    block_on(store.record_deliveries("two", &delivered)).unwrap();
    assert_eq!(block_on(store.claim(&[ids[1]], "four", t(200_000), t(260_000))).unwrap(), 0);
}

#[test]
fn claimed_rows_carry_the_flip_the_check_the_channel_and_the_flips_ping_while_it_is_kept() {
    let (store, project) = store();
    let check = add_check(&store, &project, 1);
    save_channel(&store, &project, &channel("mine", &[EventKind::Down]), 1);
    let mut plan = plan_for(&check, 5_000);
    let mut long = ping(PingKind::Fail, 5_000, 2);
    long.body = vec![b'x'; 2_500];
    long.exit_status = Some(4);
    plan.ping = Some(long);
    plan.flip = Some(flip("f", Status::New, Status::Down, 4_000, &["default-slack", "mine"]));
    assert!(block_on(store.apply(&plan)).unwrap().applied);
    let ids: Vec<i64> = store.notifications().iter().map(|n| n.id).collect();
    block_on(store.claim(&ids, "c", t(6_000), t(66_000))).unwrap();

    let rows = block_on(store.claimed("c", 2)).unwrap();
    let rows: Vec<_> = rows.into_iter().map(|r| r.expect("readable")).collect();
    assert_eq!(rows.len(), 2);
    let (default, mine) = (&rows[0], &rows[1]);
    assert_eq!((default.channel_id.as_str(), default.channel_config.as_deref()), ("default-slack", None));
    assert_eq!(mine.channel_config, Some(channel("mine", &[]).config.to_stored()));
    assert_eq!((mine.id, mine.attempts, mine.created_at), (ids[1], 1, t(5_000)));
    assert_eq!(
        (mine.flip_id.as_str(), mine.flip_at, mine.old_status, mine.new_status),
        ("f", t(4_000), Status::New, Status::Down)
    );
    assert_eq!((mine.reason, mine.previous_change_at, mine.event), (FlipReason::Timeout, Some(t(1_000)), None));
    assert_eq!(mine.check.id, check.id);
    assert_eq!((mine.ping_at, mine.ping_kind, mine.ping_exit_status), (Some(t(5_000)), Some(PingKind::Fail), Some(4)));
    assert_eq!(mine.ping_body.as_ref().map(Vec::len), Some(2_000), "cut to 2,000 bytes");

    // Two more pings: the flip's ping left the ring (history 2).
    for at in [7_000, 8_000] {
        let check = read(&store, check.id);
        let mut plan = plan_for(&check, at);
        plan.ping = Some(ping(PingKind::Success, at, 2));
        assert!(block_on(store.apply(&plan)).unwrap().applied);
    }
    let row = block_on(store.claimed("c", 2)).unwrap().remove(1).expect("readable");
    assert_eq!((row.ping_at, row.ping_kind, row.ping_body), (None, None, None));
    assert!(block_on(store.claimed("other", 2)).unwrap().is_empty());

    // A check that cannot be read: its notifications come back as problems.
    store.corrupt_check(check.id, "bad tz");
    let rows = block_on(store.claimed("c", 2)).unwrap();
    assert!(rows.iter().all(|r| matches!(r, Err((id, problem)) if ids.contains(id) && problem.contains("bad tz"))));
}

#[test]
fn only_the_holder_of_the_claim_records_attempts_and_outcomes() {
    let (store, project) = store();
    let check = add_check(&store, &project, 1);
    queue(&store, &check, "f", 1_000, &["a", "b", "c"]);
    let ids: Vec<i64> = store.notifications().iter().map(|n| n.id).collect();
    block_on(store.claim(&ids, "mine", t(2_000), t(62_000))).unwrap();

    let outcomes = [
        attempt(ids[0], 3_000, AttemptResult::Status(204), Outcome::Delivered),
        attempt(ids[1], 3_000, AttemptResult::Status(503), Outcome::RetryAt(t(63_000))),
        attempt(ids[2], 3_000, AttemptResult::Undeliverable("channel gone".into()), Outcome::Failed),
    ];
    block_on(store.record_deliveries("not mine", &outcomes)).unwrap();
    assert!(store.notifications().iter().all(|n| n.attempt_log.is_empty() && n.claim.as_deref() == Some("mine")));

    block_on(store.record_deliveries("mine", &outcomes)).unwrap();
    let rows: Vec<_> = store
        .notifications()
        .into_iter()
        .map(|n| (n.state, n.next_attempt_at, n.finished_at, n.last_status, n.last_error, n.claim, n.claimed_until))
        .collect();
    assert_eq!(
        rows,
        [
            ("delivered".into(), t(1_000), Some(t(3_000)), Some(204), None, None, None),
            ("pending".into(), t(63_000), None, Some(503), Some("HTTP 503".into()), None, None),
            ("failed".into(), t(1_000), Some(t(3_000)), None, Some("channel gone".into()), None, None),
        ]
    );
    let log = &store.notifications()[1].attempt_log;
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].at, log[0].status, log[0].duration_ms), (t(3_000), Some(503), Some(12)));
    // The claim is gone: recording again under it changes nothing.
    block_on(store.record_deliveries("mine", &outcomes)).unwrap();
    assert_eq!(store.notifications()[1].attempt_log.len(), 1);
}

#[test]
fn notifications_are_listed_newest_first_by_project_check_and_state_and_counted() {
    let (store, project) = store();
    let other = add_project(&store, 2);
    let a = add_check(&store, &project, 1);
    let b = add_check(&store, &project, 2);
    let c = add_check(&store, &other, 3);
    queue(&store, &a, "a", 1_000, &["x"]);
    queue(&store, &b, "b", 2_000, &["x", "y"]);
    queue(&store, &c, "c", 3_000, &["x"]);
    let mut plan = plan_for(&read(&store, a.id), 4_000);
    plan.flip = Some(flip("down", Status::New, Status::Down, 4_000, &["x"]));
    assert!(block_on(store.apply(&plan)).unwrap().applied);
    let ids: Vec<i64> = store.notifications().iter().map(|n| n.id).collect();
    block_on(store.claim(&ids[1..2], "c", t(5_000), t(65_000))).unwrap();
    let failed = [attempt(ids[1], 5_000, AttemptResult::Status(404), Outcome::Failed)];
    block_on(store.record_deliveries("c", &failed)).unwrap();

    let listed = |check, state, limit| {
        block_on(store.list_notifications(&project, check, state, limit))
            .unwrap()
            .into_iter()
            .map(|n| n.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(listed(None, None, 10), [ids[4], ids[2], ids[1], ids[0]]);
    assert_eq!(listed(None, None, 2), [ids[4], ids[2]]);
    assert_eq!(listed(Some(a.id), None, 10), [ids[4], ids[0]]);
    assert_eq!(listed(None, Some("failed"), 10), [ids[1]]);
    let rows = block_on(store.list_notifications(&project, None, None, 10)).unwrap();
    assert_eq!((rows[0].event.as_str(), rows[0].reason.as_str(), rows[0].check_uuid), ("down", "timeout", a.uuid));
    assert_eq!((rows[1].event.as_str(), rows[1].reason.as_str()), ("fail", "still_down"));
    assert_eq!((rows[2].last_status, rows[2].attempt_log.len()), (Some(404), 1));
    assert_eq!(block_on(store.notification_counts(&project)).unwrap(), (3, 1));
    assert_eq!(block_on(store.notification_counts(&other)).unwrap(), (1, 0));
}

#[test]
fn a_deleted_channel_leaves_its_notifications_to_fail_at_delivery() {
    let (store, project) = store();
    let check = add_check(&store, &project, 1);
    let doomed = channel("doomed", &[EventKind::Fail]);
    save_channel(&store, &project, &doomed, 1);
    queue(&store, &check, "f", 1_000, &["doomed"]);
    let version = block_on(store.routing_version(&project)).unwrap();
    let plan = ChannelPlan {
        channel: doomed,
        change: ChannelChange::Delete,
        reroutes: Vec::new(),
        routing: RoutingGuard { project_id: project.clone(), version },
        audit: None,
    };
    block_on(store.apply_channel(&project, &plan)).unwrap();
    assert!(block_on(store.channels(&project)).unwrap().is_empty());
    let id = store.notifications()[0].id;
    block_on(store.claim(&[id], "c", t(2_000), t(62_000))).unwrap();
    let row = block_on(store.claimed("c", 10)).unwrap().remove(0).expect("readable");
    assert_eq!((row.channel_id.as_str(), row.channel_config), ("doomed", None));
}
