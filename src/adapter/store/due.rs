//! The sweep's reads and writes of the `checks` table: the due checks,
//! through the one index on their earlier deadline, and the steps the
//! domain decided for them, each conditional on what the sweep read.

use super::checks::{check_of, defaults_for, state_assignments, Expected};
use super::flips::Heard;
use super::{changes, int, time, Store, StoreError};
use crate::domain::check::{Check, HeldStep};
use crate::domain::time::Timestamp;
use serde::Deserialize;
use serde_json::Value;

/// When the sweep next looks at a check: the earlier of its two deadlines,
/// as `migrations/0009_one_sweep_deadline.sql` indexes it.
const SWEEP_AT: &str = "coalesce(min(alert_after, next_event_at), alert_after, next_event_at)";

/// The two deadlines the sweep selects on, as it read them.
#[derive(Clone, Copy, Debug)]
pub struct Deadlines {
    pub alert_after: Option<Timestamp>,
    pub next_event_at: Option<Timestamp>,
}

impl Deadlines {
    fn condition(&self) -> String {
        let is = |t: Option<Timestamp>| t.map_or_else(|| "NULL".to_owned(), |t| t.millis().to_string());
        format!("alert_after IS {} AND next_event_at IS {}", is(self.alert_after), is(self.next_event_at))
    }
}

/// A check the sweep found due, or a row it could not read.
pub enum DueCheck {
    Readable { check: Box<Check>, deadlines: Deadlines },
    Unreadable { id: i64, deadlines: Deadlines, problem: String },
}

/// What the sweep decided for one due check.
pub enum SweepWrite {
    /// The domain's step: a new state, maybe a flip, maybe events, each with
    /// its id, and which of their notifications are held.
    Step { check: Box<Check>, seen: Deadlines, held: HeldStep, flip_id: String, event_ids: Vec<String> },
    /// An unreadable row: look again at `retry_at`.
    Reschedule { check_id: i64, seen: Deadlines, retry_at: Timestamp },
}

#[derive(Deserialize)]
struct Deadline {
    id: i64,
    alert_after: Option<i64>,
    next_event_at: Option<i64>,
}

impl Store {
    /// Checks whose earlier deadline has passed, oldest first (the
    /// `checks_sweep_at` index on that earlier deadline makes this read only
    /// due rows). A row that cannot be read comes back as such, so one bad
    /// row never stops the sweep.
    pub async fn due_checks(&self, now: Timestamp, limit: i64) -> Result<Vec<DueCheck>, StoreError> {
        // The expression and the first term are the index's own, word for
        // word, which is what lets SQLite use the partial expression index.
        let sql = self.select_checks(&format!(
            "(alert_after IS NOT NULL OR next_event_at IS NOT NULL) AND {SWEEP_AT} <= ?1 ORDER BY {SWEEP_AT} LIMIT ?2"
        ));
        let rows: Vec<Value> = self.rows(&sql, &[time(now), int(limit)]).await?;
        let mut due = Vec::with_capacity(rows.len());
        for row in rows {
            let Ok(Deadline { id, alert_after, next_event_at }) = serde_json::from_value::<Deadline>(row.clone())
            else {
                continue;
            };
            let deadlines = Deadlines {
                alert_after: alert_after.map(Timestamp::from_millis),
                next_event_at: next_event_at.map(Timestamp::from_millis),
            };
            due.push(match check_of(row) {
                Ok(check) => DueCheck::Readable { check: Box::new(check), deadlines },
                Err(problem) => DueCheck::Unreadable { id, deadlines, problem: problem.to_string() },
            });
        }
        Ok(due)
    }

    /// Writes the sweep's steps in one batch. Each is conditional on the
    /// deadlines and state the sweep read, so a ping or edit in between
    /// wins, and two overlapping sweeps record each flip and event once.
    /// Notifications are dated `recorded_at` (never after the clock).
    /// Returns the number of flips made.
    pub async fn apply_sweep(
        &self,
        writes: &[SweepWrite],
        default_channels: &[String],
        recorded_at: Timestamp,
    ) -> Result<i64, StoreError> {
        let default_channels = |kind| defaults_for(default_channels, kind);
        let mut statements = Vec::new();
        let mut flip_statements = Vec::new();
        for write in writes {
            match write {
                SweepWrite::Step { check, seen, held, flip_id, event_ids } => {
                    let HeldStep { step, flip_held, events_held } = held;
                    let condition = format!(
                        "id = {} AND {} AND {}",
                        check.id,
                        seen.condition(),
                        Expected::of(check, false).condition()
                    );
                    if let Some(flip) = &step.flip {
                        flip_statements.push(statements.len());
                        statements.push(self.flip_statement(&condition, flip_id, flip, false)?);
                        if let (Some(kind), false) = (flip.event_kind(), flip_held) {
                            statements.push(self.notifications_statement(
                                flip_id,
                                kind,
                                &default_channels(kind),
                                recorded_at,
                            )?);
                        }
                    }
                    for ((event, id), held) in step.events.iter().zip(event_ids).zip(events_held) {
                        let defaults = if *held { Vec::new() } else { default_channels(event.kind) };
                        statements.push(self.event_statement(
                            &condition,
                            id,
                            event,
                            Heard::LookUp(&defaults),
                            false,
                        )?);
                        if !held {
                            statements.push(self.notifications_statement(id, event.kind, &defaults, recorded_at)?);
                        }
                    }
                    let (assignments, args) =
                        state_assignments(&step.state, step.alert_after, step.flip.map(|f| f.at), 1);
                    statements
                        .push(self.statement(&format!("UPDATE checks SET {assignments} WHERE {condition}"), &args)?);
                }
                SweepWrite::Reschedule { check_id, seen, retry_at } => {
                    statements.push(self.statement(
                        &format!(
                            "UPDATE checks SET alert_after = CASE WHEN alert_after IS NULL THEN NULL ELSE ?2 END, \
                             next_event_at = CASE WHEN next_event_at IS NULL THEN NULL ELSE ?2 END \
                             WHERE id = ?1 AND {}",
                            seen.condition()
                        ),
                        &[int(*check_id), time(*retry_at)],
                    )?);
                }
            }
        }
        let results = self.batch(statements).await?;
        Ok(flip_statements.iter().map(|i| changes(results.get(*i))).sum())
    }
}
