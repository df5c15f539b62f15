//! `HistoryStore`: pings from the ring, status changes, pruning.

use super::*;
use crate::domain::check::CheckState;
use crate::domain::plan::StateWrite;
use crate::store::{DeliveryWrite, HistoryStore, OutboxStore};

fn record_pings(store: &MemoryStore, id: i64, pings: impl IntoIterator<Item = NewPing>) {
    for ping in pings {
        let check = read(store, id);
        let mut plan = plan_for(&check, ping.at.millis());
        plan.ping = Some(ping);
        assert!(block_on(store.apply(&plan)).unwrap().applied);
    }
}

#[test]
fn pings_are_listed_newest_first_above_a_number_up_to_a_limit_with_their_bodies_kept_in_the_ring() {
    let (store, project) = store();
    let check = add_check(&store, &project, 1);
    let mut empty = ping(PingKind::Start, 5_000, 4);
    empty.body.clear();
    empty.exit_status = Some(3);
    let pings = (1..=4).map(|n| ping(PingKind::Success, n * 1000, 4)).chain([empty]);
    record_pings(&store, check.id, pings);

    let listed = block_on(store.list_pings(check.id, 0, 10)).unwrap();
    assert_eq!(listed.iter().map(|p| p.n).collect::<Vec<_>>(), [5, 4, 3, 2], "ping 1 left the ring");
    assert_eq!((listed[0].kind, listed[0].has_body, listed[0].exit_status), (PingKind::Start, false, Some(3)));
    assert!(listed[1].has_body);
    assert_eq!(listed[1].remote_addr.as_deref(), Some("127.0.0.1"));
    let numbers = |after, limit| {
        block_on(store.list_pings(check.id, after, limit)).unwrap().iter().map(|p| p.n).collect::<Vec<_>>()
    };
    assert_eq!(numbers(3, 10), [5, 4]);
    assert_eq!(numbers(0, 2), [5, 4]);

    assert_eq!(block_on(store.ping_body(check.id, 4, 4)).unwrap(), Some(b"ping at 4000".to_vec()));
    assert_eq!(block_on(store.ping_body(check.id, 1, 4)).unwrap(), None, "replaced by ping 5");
    assert_eq!(block_on(store.ping_body(check.id, 5, 4)).unwrap(), None, "no body");
    assert_eq!(block_on(store.ping_body(check.id, 4, 0)).unwrap(), None);
    block_on(store.probe_ping_write()).unwrap();
}

#[test]
fn flips_are_status_changes_in_the_window_newest_first() {
    let (store, project) = store();
    let check = add_check(&store, &project, 1);
    let mut last = Status::New;
    for (i, at) in [1_000, 2_000, 3_000, 3_000].into_iter().enumerate() {
        let check = read(&store, check.id);
        let next = if last == Status::Down { Status::Up } else { Status::Down };
        let mut plan = plan_for(&check, at);
        plan.flip = Some(flip(&format!("f{i}"), last, next, at, &[]));
        plan.events = vec![event(&format!("e{i}"), EventKind::Fail, at, &[], false)];
        let mut state = CheckState::idle_up();
        state.status = next;
        plan.state = Some(StateWrite { state, alert_after: None, changed_at: Some(t(at)) });
        assert!(block_on(store.apply(&plan)).unwrap().applied);
        last = next;
    }
    let flips = block_on(store.list_flips(check.id, 2_000, 3_001)).unwrap();
    let listed: Vec<_> = flips.iter().map(|f| (f.at, f.new_status)).collect();
    // The two at 3 s: the one written last first.
    assert_eq!(listed, [(t(3_000), Status::Up), (t(3_000), Status::Down), (t(2_000), Status::Up)]);
    assert_eq!(block_on(store.list_flips(check.id, 0, 2_000)).unwrap().len(), 1, "until is exclusive");
}

#[test]
fn pruning_drops_old_finished_notifications_and_old_flips_no_pending_notification_waits_on() {
    let (store, project) = store();
    let check = add_check(&store, &project, 1);
    for (i, at) in [1_000, 2_000, 3_000, 9_000].into_iter().enumerate() {
        let check = read(&store, check.id);
        let mut plan = plan_for(&check, at);
        plan.events = vec![event(&format!("e{i}"), EventKind::Fail, at, &["a"], false)];
        assert!(block_on(store.apply(&plan)).unwrap().applied);
    }
    // e0 delivered, e1 failed, e2 and e3 pending.
    let ids: Vec<i64> = store.notifications().iter().map(|n| n.id).collect();
    block_on(store.claim(&ids[..2], "c", t(10_000), t(70_000))).unwrap();
    let done = |id, outcome| DeliveryWrite {
        notification_id: id,
        at: t(10_000),
        result: crate::domain::outbox::AttemptResult::Status(200),
        outcome,
        duration_ms: 1,
    };
    let outcomes =
        [done(ids[0], crate::domain::outbox::Outcome::Delivered), done(ids[1], crate::domain::outbox::Outcome::Failed)];
    block_on(store.record_deliveries("c", &outcomes)).unwrap();

    block_on(store.prune_history(t(5_000))).unwrap();
    let left: Vec<_> = store.notifications().iter().map(|n| n.flip_id.clone()).collect();
    assert_eq!(left, ["e2", "e3"]);
    let flips: Vec<_> = store.flips().iter().map(|f| f.id.clone()).collect();
    assert_eq!(flips, ["e2", "e3"], "e2 is old but waited on; e3 is new");
}

#[test]
fn pruning_takes_at_most_500_rows_of_each_kind_at_a_time() {
    let (store, project) = store();
    let check = add_check(&store, &project, 1);
    let mut plan = plan_for(&check, 1);
    plan.events = (0..600).map(|i| event(&format!("e{i:03}"), EventKind::Fail, i, &[], false)).collect();
    assert!(block_on(store.apply(&plan)).unwrap().applied);
    block_on(store.prune_history(t(10_000))).unwrap();
    let left: Vec<_> = store.flips().iter().map(|f| f.created_at.millis()).collect();
    assert_eq!(left, (500..600).collect::<Vec<_>>(), "the oldest 500 went");
    block_on(store.prune_history(t(10_000))).unwrap();
    assert!(store.flips().is_empty());
}

#[test]
fn status_changes_of_several_checks_since_an_instant_newest_first_up_to_a_limit() {
    let (store, project) = store();
    let (a, b, c) = (add_check(&store, &project, 1), add_check(&store, &project, 2), add_check(&store, &project, 3));
    for (i, (check, at, old, new)) in [
        (a.id, 1_000, Status::New, Status::Up),
        (b.id, 2_000, Status::New, Status::Up),
        (a.id, 3_000, Status::Up, Status::Down),
        (c.id, 3_000, Status::New, Status::Up),
        (b.id, 3_000, Status::Up, Status::Paused),
    ]
    .into_iter()
    .enumerate()
    {
        let row = read(&store, check);
        let mut plan = plan_for(&row, at);
        plan.flip = Some(flip(&format!("f{i}"), old, new, at, &[]));
        plan.events = vec![event(&format!("e{i}"), EventKind::Fail, at, &[], false)];
        assert!(block_on(store.apply(&plan)).unwrap().applied);
    }
    let changes = block_on(store.status_changes(&[a.id, b.id], t(2_000), 10)).unwrap();
    let listed: Vec<_> = changes.iter().map(|(id, c)| (*id, c.at.millis(), c.old, c.new)).collect();
    assert_eq!(
        listed,
        [
            (b.id, 3_000, Status::Up, Status::Paused),
            (a.id, 3_000, Status::Up, Status::Down),
            (b.id, 2_000, Status::New, Status::Up)
        ],
        "events and other checks left out; at the same instant the one written last first"
    );
    assert_eq!(block_on(store.status_changes(&[a.id, b.id], t(0), 2)).unwrap().len(), 2);
    assert!(block_on(store.status_changes(&[], t(0), 10)).unwrap().is_empty());
}
