//! `CheckStore` reads, the sweep's selection, unreadable rows, deletion.

use super::*;
use crate::domain::check::{CheckState, Tags};
use crate::domain::plan::{ConfigWrite, Deadlines, StateWrite};
use crate::store::{DueCheck, HistoryStore, OutboxStore, StoreError};

/// Sets check `id`'s two deadlines through a plan.
fn set_deadlines(store: &MemoryStore, id: i64, alert_after: Option<i64>, next_event_at: Option<i64>) {
    let check = read(store, id);
    let mut plan = plan_for(&check, 1);
    let mut state = check.state.clone();
    state.next_event_at = next_event_at.map(t);
    plan.state = Some(StateWrite { state, alert_after: alert_after.map(t), changed_at: None });
    assert!(block_on(store.apply(&plan)).unwrap().applied);
}

fn due_ids(due: &[DueCheck]) -> Vec<i64> {
    due.iter()
        .map(|d| match d {
            DueCheck::Readable { check, .. } => check.id,
            DueCheck::Unreadable { id, .. } => *id,
        })
        .collect()
}

#[test]
fn due_checks_are_those_whose_earlier_deadline_passed_in_that_order_up_to_the_limit() {
    let (store, project) = store();
    let ids: Vec<i64> = (1..=5).map(|n| add_check(&store, &project, n).id).collect();
    set_deadlines(&store, ids[0], Some(300), Some(900)); // due at 300
    set_deadlines(&store, ids[1], Some(900), Some(100)); // due at 100
    set_deadlines(&store, ids[2], None, Some(200)); // due at 200
    set_deadlines(&store, ids[3], Some(5_000), None); // not yet
                                                      // ids[4]: no deadline at all.
    let due = block_on(store.due_checks(t(1_000), 10)).unwrap();
    assert_eq!(due_ids(&due), [ids[1], ids[2], ids[0]]);
    let DueCheck::Readable { deadlines, .. } = &due[0] else { panic!("readable") };
    assert_eq!(*deadlines, Deadlines { alert_after: Some(t(900)), next_event_at: Some(t(100)) });
    assert_eq!(due_ids(&block_on(store.due_checks(t(1_000), 2)).unwrap()), [ids[1], ids[2]]);
    assert_eq!(due_ids(&block_on(store.due_checks(t(200), 10)).unwrap()), [ids[1], ids[2]], "at the deadline is due");
}

#[test]
fn an_unreadable_row_comes_back_as_such_and_is_left_out_of_lists_with_a_problem() {
    let (store, project) = store();
    let good = add_check(&store, &project, 1);
    let bad = add_check(&store, &project, 2);
    set_deadlines(&store, bad.id, Some(100), None);
    assert!(store.corrupt_check(bad.id, "schedule \"bogus\""));

    let due = block_on(store.due_checks(t(1_000), 10)).unwrap();
    let [DueCheck::Unreadable { id, deadlines, problem }] = due.as_slice() else { panic!("one unreadable: {due:?}") };
    assert_eq!((*id, *deadlines), (bad.id, Deadlines { alert_after: Some(t(100)), next_event_at: None }));
    assert!(problem.contains("bogus"), "{problem}");

    let (checks, problems) = block_on(store.list_checks(&project)).unwrap();
    assert_eq!(checks, std::slice::from_ref(&good));
    assert!(matches!(problems.as_slice(), [StoreError::Corrupt(_)]));
    let (states, problems) = block_on(store.list_check_states(&project)).unwrap();
    assert_eq!((states.len(), problems.len()), (1, 1));
    assert!(matches!(block_on(store.check_by_id(bad.id)), Err(StoreError::Corrupt(_))));
    assert!(matches!(block_on(store.check_by_uuid(&bad.uuid)), Err(StoreError::Corrupt(_))));
    assert!(matches!(block_on(store.checks_by_slug(&ping_hash(1), "check-2")), Err(StoreError::Corrupt(_))));

    // The sweep can still move its deadlines (a condition on them only).
    let plan = crate::domain::decide::reschedule_plan(bad.id, *deadlines, t(1_000), t(61_000));
    assert!(block_on(store.apply(&plan)).unwrap().applied);
    assert!(block_on(store.due_checks(t(1_000), 10)).unwrap().is_empty());
    assert!(store.repair_check(bad.id));
    assert_eq!(block_on(store.list_checks(&project)).unwrap().0.len(), 2);
}

#[test]
fn lists_are_the_projects_own_oldest_first_and_states_come_without_descriptions() {
    let (store, project) = store();
    let other = add_project(&store, 2);
    let first = add_check(&store, &project, 1);
    add_check(&store, &other, 2);
    let third = add_check(&store, &project, 3);
    let mut plan = plan_for(&third, 1);
    let mut config = third.config.clone();
    config.desc = "a long description".into();
    config.tags = Tags::parse("prod db");
    plan.config = Some(ConfigWrite { config, routes: None });
    assert!(block_on(store.apply(&plan)).unwrap().applied);

    let (checks, problems) = block_on(store.list_checks(&project)).unwrap();
    assert!(problems.is_empty());
    assert_eq!(checks.iter().map(|c| c.id).collect::<Vec<_>>(), [first.id, third.id]);
    assert_eq!(checks[1].config.desc, "a long description");
    let (states, _) = block_on(store.list_check_states(&project)).unwrap();
    assert_eq!(states[1].config.desc, "");
    assert_eq!(states[1].config.tags.as_str(), "prod db");
    let mut tags = block_on(store.tag_texts(&project)).unwrap();
    tags.sort();
    assert_eq!(tags, ["", "prod db"]);
    assert!(block_on(store.check_by_unique_key(&other, &store.stored_check(first.id).unwrap().unique_key))
        .unwrap()
        .is_none());
}

#[test]
fn slugs_resolve_through_the_ping_key_at_most_two_oldest_first() {
    let (store, project) = store();
    for n in 1..=3 {
        let plan = new_check_plan(&project, n, "same", Routes::default());
        assert!(block_on(store.apply(&plan)).unwrap().applied);
    }
    let found = block_on(store.checks_by_slug(&ping_hash(1), "same")).unwrap();
    assert_eq!(found.iter().map(|c| c.uuid).collect::<Vec<_>>(), [check_uuid(1), check_uuid(2)]);
    assert!(block_on(store.checks_by_slug(&ping_hash(2), "same")).unwrap().is_empty());
    assert!(block_on(store.checks_by_slug(&ping_hash(1), "other")).unwrap().is_empty());
}

#[test]
fn deleting_a_check_deletes_its_pings_flips_and_notifications_and_nothing_else() {
    let (store, project) = store();
    let doomed = add_check(&store, &project, 1);
    let kept = add_check(&store, &project, 2);
    for (check, seed) in [(&doomed, "d"), (&kept, "k")] {
        let mut plan = plan_for(check, 1_000);
        plan.ping = Some(ping(PingKind::Fail, 1_000, 10));
        plan.flip = Some(flip(seed, Status::New, Status::Down, 1_000, &["a"]));
        plan.state = Some(StateWrite { state: CheckState::idle_up(), alert_after: None, changed_at: Some(t(1_000)) });
        assert!(block_on(store.apply(&plan)).unwrap().applied);
    }
    block_on(store.delete_check(&doomed, None)).unwrap();
    assert_eq!(block_on(store.check_by_id(doomed.id)).unwrap(), None);
    assert!(store.ping_ring(doomed.id).is_empty());
    assert!(block_on(store.list_pings(doomed.id, 0, 10)).unwrap().is_empty());
    assert_eq!(store.flips().iter().map(|f| f.check_id).collect::<Vec<_>>(), [kept.id]);
    assert_eq!(store.notifications().iter().map(|n| n.check_id).collect::<Vec<_>>(), [kept.id]);
    assert_eq!(block_on(store.notification_counts(&project)).unwrap(), (1, 0));
    assert_eq!(store.ping_ring(kept.id).len(), 1);
}
