//! The reads whose cost matters, as text: the sweep's due checks and the
//! outbox's due notifications and claim (`tests/d1_sqlite.rs` checks their
//! query plans on SQLite).

use super::rows::CHECK_COLUMNS;

/// Checks whose sweep deadline (the earlier of their two deadlines, which
/// every state write stores as `sweep_at`) is at or before `?1`, in that
/// deadline's order, at most `?2`: a range of the partial index
/// `checks_sweep_at`, so it reads only due rows.
pub fn due_checks() -> String {
    format!("SELECT {CHECK_COLUMNS} FROM checks c WHERE c.sweep_at <= ?1 ORDER BY c.sweep_at LIMIT ?2")
}

/// Each project's oldest due (at `?1`) pending notifications that no live
/// claim holds, at most `?2` per project. `queue` steps through the
/// projects that have pending notifications, one index seek each (the
/// next project id after the last one); for each, the subquery reads its
/// oldest rows from the same index, `(project_id, next_attempt_at)` over
/// pending rows. What it reads is one entry per project with anything
/// pending plus at most `?2` due rows each (and the rows a live claim
/// holds, which are few): never the backlog behind them.
pub const DUE_NOTIFICATIONS: &str = "WITH RECURSIVE queue(project_id) AS ( \
       SELECT (SELECT project_id FROM notifications \
               WHERE state = 'pending' AND project_id IS NOT NULL ORDER BY project_id LIMIT 1) \
       UNION ALL \
       SELECT (SELECT n.project_id FROM notifications n \
               WHERE n.state = 'pending' AND n.project_id > queue.project_id ORDER BY n.project_id LIMIT 1) \
       FROM queue WHERE queue.project_id IS NOT NULL) \
     SELECT n.id, n.project_id, n.next_attempt_at FROM queue q JOIN notifications n ON n.id IN ( \
       SELECT d.id FROM notifications d \
       WHERE d.state = 'pending' AND d.project_id = q.project_id AND d.next_attempt_at <= ?1 \
       AND (d.claimed_until IS NULL OR d.claimed_until <= ?1) \
       ORDER BY d.next_attempt_at, d.id LIMIT ?2) \
     ORDER BY n.project_id, n.next_attempt_at, n.id";

/// Claims the notifications with the ids in the JSON array `?3` for `?1`
/// until `?2` (counting the attempt it is claimed for), each only if it is
/// still pending, due and unclaimed at `?4`.
pub const CLAIM: &str = "UPDATE notifications SET claim = ?1, claimed_until = ?2, attempts = attempts + 1 \
     WHERE id IN (SELECT value FROM json_each(?3)) AND state = 'pending' AND next_attempt_at <= ?4 \
     AND (claimed_until IS NULL OR claimed_until <= ?4)";

/// Deletes the oldest run reports recorded before `?1`, at most
/// `RUN_REPORT_PRUNE_BATCH` of them: a range of `run_reports_by_age`.
pub fn prune_run_reports() -> String {
    format!(
        "DELETE FROM run_reports WHERE (check_id, rid, edge) IN (SELECT check_id, rid, edge FROM run_reports \
         WHERE created_at < ?1 ORDER BY created_at LIMIT {})",
        crate::store::RUN_REPORT_PRUNE_BATCH
    )
}
