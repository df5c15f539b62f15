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
    /// Started by a request because the cron trigger stalled.
    pub rescue: bool,
    /// Everything the sweep read and wrote, by D1's count.
    pub usage: super::Usage,
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
            "INSERT INTO sweeps (scheduled_at, finished_at, error, due_checks, flips, sent, rows_read, unreadable, \
             total_rows_read, rows_written, rescue) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            &[
                time(scheduled_at),
                time(finished_at),
                opt_text(outcome.error.as_deref()),
                int(outcome.due_checks),
                int(outcome.flips),
                int(outcome.sent),
                int(outcome.rows_read),
                int(outcome.unreadable),
                int(outcome.usage.rows_read),
                int(outcome.usage.rows_written),
                int(i64::from(outcome.rescue)),
            ],
        )?;
        let prune =
            self.statement("DELETE FROM sweeps WHERE id <= (SELECT max(id) FROM sweeps) - ?1", &[int(SWEEPS_KEPT)])?;
        self.batch(vec![insert, prune]).await.map(drop)
    }

    /// Claims the one rescue sweep at `at` until `until`; false when another
    /// holds the claim.
    pub async fn claim_rescue(&self, at: Timestamp, until: Timestamp) -> Result<bool, StoreError> {
        let result = self
            .run(
                "UPDATE sweep_claim SET claimed_until = ?2, started_at = ?1 WHERE id = 1 AND claimed_until <= ?1",
                &[time(at), time(until)],
            )
            .await?;
        Ok(super::changes(Some(&result)) > 0)
    }

    /// Gives the claim up, if it is still the one taken at `at`.
    pub async fn release_rescue(&self, at: Timestamp) -> Result<(), StoreError> {
        self.run("UPDATE sweep_claim SET claimed_until = 0 WHERE id = 1 AND started_at = ?1", &[time(at)])
            .await
            .map(drop)
    }

    /// When a request last started a rescue sweep.
    pub async fn last_rescue(&self) -> Result<Option<Timestamp>, StoreError> {
        #[derive(Deserialize)]
        struct Claim {
            started_at: Option<i64>,
        }
        let claim: Option<Claim> = self.row("SELECT started_at FROM sweep_claim WHERE id = 1", &[]).await?;
        Ok(claim.and_then(|c| c.started_at).map(Timestamp::from_millis))
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
            total_rows_read: i64,
            rows_written: i64,
        }
        const COLUMNS: &str =
            "scheduled_at, error, due_checks, flips, sent, rows_read, unreadable, total_rows_read, rows_written";
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
                total_rows_read: r.total_rows_read,
                rows_written: r.rows_written,
            }),
            last_error: failed.map(|r| (Timestamp::from_millis(r.scheduled_at), r.error.unwrap_or_default())),
        })
    }
}
