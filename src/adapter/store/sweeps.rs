//! The `sweeps` table: what each run of the minute sweep did, for `/health`.

use super::{int, opt_text, time, Store, StoreError};
use crate::domain::health::{SweepRecord, SweepStats};
use crate::domain::time::Timestamp;
use serde::Deserialize;

/// How many sweep records to keep; /health needs only the newest.
const SWEEPS_KEPT: i64 = 1000;

/// What one sweep did.
#[derive(Default)]
pub struct SweepOutcome {
    pub due_checks: i64,
    /// Rows D1 read to find the due checks.
    pub rows_read: i64,
    pub flips: i64,
    pub sent: i64,
    /// Due check rows that could not be read (skipped and rescheduled).
    pub unreadable: i64,
    pub error: Option<String>,
}

impl Store {
    pub async fn record_sweep(
        &self,
        scheduled_at: Timestamp,
        finished_at: Timestamp,
        outcome: &SweepOutcome,
    ) -> Result<(), StoreError> {
        let insert = self.statement(
            "INSERT INTO sweeps (scheduled_at, finished_at, error, due_checks, flips, sent, rows_read, unreadable) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            &[
                time(scheduled_at),
                time(finished_at),
                opt_text(outcome.error.as_deref()),
                int(outcome.due_checks),
                int(outcome.flips),
                int(outcome.sent),
                int(outcome.rows_read),
                int(outcome.unreadable),
            ],
        )?;
        let prune =
            self.statement("DELETE FROM sweeps WHERE id <= (SELECT max(id) FROM sweeps) - ?1", &[int(SWEEPS_KEPT)])?;
        self.batch(vec![insert, prune]).await.map(drop)
    }

    pub async fn sweep_record(&self) -> Result<SweepRecord, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            scheduled_at: i64,
            error: Option<String>,
            due_checks: i64,
            flips: i64,
            sent: i64,
            rows_read: i64,
            unreadable: i64,
        }
        const COLUMNS: &str = "scheduled_at, error, due_checks, flips, sent, rows_read, unreadable";
        let completed: Option<Row> = self
            .row(&format!("SELECT {COLUMNS} FROM sweeps WHERE error IS NULL ORDER BY id DESC LIMIT 1"), &[])
            .await?;
        let failed: Option<Row> = self
            .row(&format!("SELECT {COLUMNS} FROM sweeps WHERE error IS NOT NULL ORDER BY id DESC LIMIT 1"), &[])
            .await?;
        Ok(SweepRecord {
            last_completed: completed.as_ref().map(|r| Timestamp::from_millis(r.scheduled_at)),
            last_stats: completed.map(|r| SweepStats {
                due_checks: r.due_checks,
                flips: r.flips,
                sent: r.sent,
                rows_read: r.rows_read,
                unreadable: r.unreadable,
            }),
            last_error: failed.map(|r| (Timestamp::from_millis(r.scheduled_at), r.error.unwrap_or_default())),
        })
    }
}
