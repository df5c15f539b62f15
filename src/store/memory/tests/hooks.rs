//! The test hooks: injected failures, forced interleavings, the log.

use super::*;
use crate::domain::plan::StateWrite;
use crate::store::{OutboxStore, StoreError};
use std::cell::Cell;
use std::rc::Rc;

/// A ping plan for `check` as read: it applies only if the check is still so.
fn ping_plan(check: &Check, at: i64) -> CheckPlan {
    let mut plan = plan_for(check, at);
    plan.ping = Some(ping(PingKind::Success, at, 10));
    plan
}

/// A ping that also moves the state on (one more failure counted): a plan
/// decided from the state before it no longer applies.
fn failure_plan(check: &Check, at: i64) -> CheckPlan {
    let mut plan = ping_plan(check, at);
    let mut state = check.state.clone();
    state.failures += 1;
    plan.state = Some(StateWrite { state, alert_after: None, changed_at: None });
    plan
}

#[test]
fn injected_failures_strike_before_anything_is_done() {
    let (store, project) = store();
    let check = add_check(&store, &project, 1);
    store.fail_next(2);
    assert!(matches!(block_on(store.check_by_id(check.id)), Err(StoreError::Query(_))));
    assert!(matches!(block_on(store.apply(&ping_plan(&check, 1))), Err(StoreError::Query(_))));
    assert_eq!(read(&store, check.id).n_pings, 0, "the failed apply wrote nothing");

    store.fail_next_op("apply", 1);
    assert!(block_on(store.list_checks(&project)).is_ok(), "another operation is not struck");
    assert!(block_on(store.apply(&ping_plan(&check, 2))).is_err());
    assert!(block_on(store.apply(&ping_plan(&check, 3))).unwrap().applied, "only once");

    store.fail_when(|op| op.starts_with("check_by"));
    for _ in 0..3 {
        assert!(block_on(store.check_by_uuid(&check.uuid)).is_err());
    }
    assert!(block_on(store.due_checks(t(0), 1)).is_ok());
    store.clear_faults();
    assert!(block_on(store.check_by_uuid(&check.uuid)).is_ok());
}

#[test]
fn a_lost_reply_reports_a_failure_of_a_write_that_landed() {
    let (store, project) = store();
    let check = add_check(&store, &project, 1);
    store.lose_reply_when(|op| op == "apply");
    assert!(block_on(store.apply(&failure_plan(&check, 1))).is_err());
    store.clear_faults();
    assert_eq!(read(&store, check.id).n_pings, 1, "the ping was recorded");
    assert!(!block_on(store.apply(&failure_plan(&check, 2))).unwrap().applied, "a retry of the same decision is stale");
}

#[test]
fn a_write_forced_in_before_an_apply_makes_its_conditions_fail() {
    let (store, project) = store();
    let check = add_check(&store, &project, 1);
    let seen = Rc::new(Cell::new(0));
    let seen_by_hook = seen.clone();
    store.before_next_apply(move |store, plan| {
        // Another request's ping lands first (its own apply runs no hook).
        seen_by_hook.set(plan.at.millis());
        let check = read(store, check.id);
        assert!(block_on(store.apply(&failure_plan(&check, 5))).unwrap().applied);
    });
    assert!(!block_on(store.apply(&failure_plan(&check, 7))).unwrap().applied);
    assert_eq!(seen.get(), 7, "the hook saw the plan about to be applied");
    assert_eq!(read(&store, check.id).n_pings, 1);
    assert!(block_on(store.apply(&ping_plan(&read(&store, check.id), 8))).unwrap().applied, "the hook ran once");

    // `before_apply` runs before every apply until cleared; `edit_check`
    // changes the row directly.
    store.before_apply(move |store, _| {
        store.edit_check(check.id, |c| c.state.failures += 1);
    });
    for at in 10..13 {
        assert!(!block_on(store.apply(&ping_plan(&read(&store, check.id), at))).unwrap().applied);
    }
    assert_eq!(read(&store, check.id).state.failures, 1 + 3, "the first hook's failure, and one per apply");
    store.clear_hooks();
    assert!(block_on(store.apply(&ping_plan(&read(&store, check.id), 20))).unwrap().applied);
}

#[test]
fn a_hook_before_any_operation_forces_a_race_between_two_senders() {
    let (store, project) = store();
    let check = add_check(&store, &project, 1);
    let mut plan = plan_for(&check, 1_000);
    plan.events = vec![event("e", EventKind::Fail, 1_000, &["a", "b"], false)];
    assert!(block_on(store.apply(&plan)).unwrap().applied);
    let ids: Vec<i64> = store.notifications().iter().map(|n| n.id).collect();
    let first = ids[0];
    store.before_next("claim", move |store| {
        assert_eq!(block_on(store.claim(&[first], "rival", t(2_000), t(62_000))).unwrap(), 1);
    });
    assert_eq!(block_on(store.claim(&ids, "me", t(2_000), t(62_000))).unwrap(), 1, "the rival took one");
    assert_eq!(store.operations().iter().filter(|op| **op == "claim").count(), 2);
    let me = block_on(store.claimed("me", 10)).unwrap();
    assert_eq!(me.into_iter().map(|r| r.unwrap().id).collect::<Vec<_>>(), [ids[1]]);
}

#[test]
fn the_operation_log_counts_every_call_in_order() {
    let (store, project) = store();
    let check = add_check(&store, &project, 1);
    store.clear_operations();
    store.fail_next(1);
    let _ = block_on(store.check_by_uuid(&check.uuid));
    block_on(store.check_by_uuid(&check.uuid)).unwrap();
    block_on(store.apply(&ping_plan(&check, 1))).unwrap();
    assert_eq!(store.operations(), ["check_by_uuid", "check_by_uuid", "apply"]);
}
