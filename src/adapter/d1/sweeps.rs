//! The `sweeps` table (what each run of the minute sweep did, for
//! `/health`) and the one rescue claim (`sweep_claim`).

use super::{changes, D1Store};
use crate::d1_sql::{Arg, Statement};
use crate::domain::health::{SweepRecord, SweepStats};
use crate::domain::time::Timestamp;
use crate::store::{StoreError, SweepOutcome, SweepStore};
use serde::Deserialize;

/// How many sweep records to keep; /health needs only the newest.
const SWEEPS_KEPT: i64 = 1000;

impl SweepStore for D1Store {
    async fn record_sweep(
        &self,
        scheduled_at: Timestamp,
        finished_at: Timestamp,
        outcome: &SweepOutcome,
    ) -> Result<(), StoreError> {
        let insert = Statement::new(
            "INSERT INTO sweeps (scheduled_at, finished_at, error, due_checks, flips, sent, rows_read, unreadable, \
             total_rows_read, rows_written, rescue) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            vec![
                Arg::time(scheduled_at),
                Arg::time(finished_at),
                Arg::opt_text(outcome.error.as_deref()),
                Arg::Int(outcome.due_checks),
                Arg::Int(outcome.flips),
                Arg::Int(outcome.sent),
                Arg::Int(outcome.rows_read),
                Arg::Int(outcome.unreadable),
                Arg::Int(outcome.usage.rows_read),
                Arg::Int(outcome.usage.rows_written),
                Arg::flag(outcome.rescue),
            ],
        );
        let prune = Statement::new(
            "DELETE FROM sweeps WHERE id <= (SELECT max(id) FROM sweeps) - ?1",
            vec![Arg::Int(SWEEPS_KEPT)],
        );
        self.batch(&[insert, prune]).await.map(drop)
    }

    async fn sweep_record(&self) -> Result<SweepRecord, StoreError> {
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
            .row(&format!("SELECT {COLUMNS} FROM sweeps WHERE error IS NULL ORDER BY id DESC LIMIT 1"), Vec::new())
            .await?;
        let failed: Option<Row> = self
            .row(&format!("SELECT {COLUMNS} FROM sweeps WHERE error IS NOT NULL ORDER BY id DESC LIMIT 1"), Vec::new())
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

    async fn claim_rescue(&self, at: Timestamp, until: Timestamp) -> Result<bool, StoreError> {
        let result = self
            .run(
                "UPDATE sweep_claim SET claimed_until = ?2, started_at = ?1 WHERE id = 1 AND claimed_until <= ?1",
                vec![Arg::time(at), Arg::time(until)],
            )
            .await?;
        Ok(changes(Some(&result)) > 0)
    }

    async fn release_rescue(&self, at: Timestamp) -> Result<(), StoreError> {
        self.run("UPDATE sweep_claim SET claimed_until = 0 WHERE id = 1 AND started_at = ?1", vec![Arg::time(at)])
            .await
            .map(drop)
    }

    async fn last_rescue(&self) -> Result<Option<Timestamp>, StoreError> {
        #[derive(Deserialize)]
        struct Claim {
            started_at: Option<i64>,
        }
        let claim: Option<Claim> = self.row("SELECT started_at FROM sweep_claim WHERE id = 1", Vec::new()).await?;
        Ok(claim.and_then(|c| c.started_at).map(Timestamp::from_millis))
    }
}
