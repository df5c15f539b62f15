//! Run reports: a plan with one applies only while its check has no
//! report of that run and edge, says so when it has, and the reports are
//! pruned by age and go with their check.

use super::*;
use crate::domain::check::CheckState;
use crate::domain::plan::{RunEdge, RunReport, StateWrite};
use crate::store::HistoryStore;

fn rid(n: u8) -> Uuid {
    Uuid::from_bytes([n; 16])
}

/// A start or end ping of run `run` at `at`, recorded as a plan would.
fn reported(check: &Check, run: u8, edge: RunEdge, token: &str, at: i64) -> CheckPlan {
    let kind = if edge == RunEdge::Start { PingKind::Start } else { PingKind::Success };
    let mut plan = plan_for(check, at);
    plan.ping = Some(NewPing { rid: Some(rid(run)), ..ping(kind, at, 10) });
    plan.run_report = Some(RunReport { rid: rid(run), edge, token: token.into() });
    plan
}

#[test]
fn a_run_report_is_recorded_once_and_a_second_plan_says_it_was_there() {
    let (store, project) = store();
    let check = add_check(&store, &project, 1);
    let first = block_on(store.apply(&reported(&check, 7, RunEdge::Start, "a", 2_000))).unwrap();
    assert!(first.applied && !first.already_reported);
    let check = read(&store, check.id);
    assert_eq!(check.n_pings, 1);
    // The same start again, decided from the check as it is now: nothing.
    let again = block_on(store.apply(&reported(&check, 7, RunEdge::Start, "b", 3_000))).unwrap();
    assert_eq!((again.applied, again.already_reported), (false, true));
    assert_eq!(read(&store, check.id).n_pings, 1, "no ping recorded");
    // Even decided from an older read (whose row condition fails too), it is a report seen before.
    let stale = block_on(store.apply(&reported(&check, 7, RunEdge::Start, "c", 3_000))).unwrap();
    assert!(stale.already_reported);
    // Its end, and another run's start, are news.
    assert!(block_on(store.apply(&reported(&check, 7, RunEdge::End, "d", 4_000))).unwrap().applied);
    let check = read(&store, check.id);
    assert!(block_on(store.apply(&reported(&check, 8, RunEdge::Start, "e", 5_000))).unwrap().applied);
    let reports: Vec<_> =
        store.run_reports().into_iter().map(|((id, run, edge), r)| (id, run, edge, r.token, r.created_at)).collect();
    assert_eq!(
        reports,
        [
            (check.id, rid(7).to_string(), "end", "d".to_owned(), t(4_000)),
            (check.id, rid(7).to_string(), "start", "a".to_owned(), t(2_000)),
            (check.id, rid(8).to_string(), "start", "e".to_owned(), t(5_000)),
        ]
    );
}

#[test]
fn a_plan_whose_conditions_fail_records_no_report() {
    let (store, project) = store();
    let check = add_check(&store, &project, 1);
    let mut moved = plan_for(&check, 1_500);
    moved.state = Some(StateWrite { state: CheckState::idle_up(), alert_after: None, changed_at: None });
    assert!(block_on(store.apply(&moved)).unwrap().applied);
    // Decided from the check before that write: not applied, and not a duplicate.
    let late = block_on(store.apply(&reported(&check, 7, RunEdge::End, "a", 2_000))).unwrap();
    assert_eq!((late.applied, late.already_reported), (false, false));
    assert!(store.run_reports().is_empty());
    let check = read(&store, check.id);
    assert!(block_on(store.apply(&reported(&check, 7, RunEdge::End, "b", 2_000))).unwrap().applied);
}

#[test]
fn run_reports_are_pruned_oldest_first_and_go_with_their_check() {
    let (store, project) = store();
    let kept = add_check(&store, &project, 1);
    let gone = add_check(&store, &project, 2);
    for (i, at) in [1_000, 2_000, 3_000].into_iter().enumerate() {
        let check = read(&store, kept.id);
        assert!(
            block_on(store.apply(&reported(&check, i as u8, RunEdge::Start, &format!("t{i}"), at))).unwrap().applied
        );
    }
    assert!(block_on(store.apply(&reported(&gone, 9, RunEdge::End, "g", 9_000))).unwrap().applied);
    block_on(store.prune_run_reports(t(2_500))).unwrap();
    let left: Vec<i64> = store.run_reports().iter().map(|(_, r)| r.created_at.millis()).collect();
    assert_eq!(left, [3_000, 9_000]);
    block_on(store.delete_check(&read(&store, gone.id), None)).unwrap();
    let left: Vec<i64> = store.run_reports().iter().map(|((id, _, _), _)| *id).collect();
    assert_eq!(left, [kept.id], "deleted with its check");
}
