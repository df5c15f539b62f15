//! `SweepStore`: the record of the minute sweeps (the newest 1,000 kept),
//! and the one rescue claim.

use super::tables::{next_id, StoredSweep, Tables};
use super::MemoryStore;
use crate::domain::health::{SweepRecord, SweepStats};
use crate::domain::time::Timestamp;
use crate::store::{StoreError, SweepOutcome, SweepStore};

/// Sweep records kept; `/health` needs only the newest.
const SWEEPS_KEPT: i64 = 1000;

impl Tables {
    fn record_sweep(&mut self, scheduled_at: Timestamp, outcome: &SweepOutcome) {
        let id = next_id(self.sweeps.iter().map(|s| s.id));
        self.sweeps.push(StoredSweep {
            id,
            scheduled_at,
            error: outcome.error.clone(),
            due_checks: outcome.due_checks,
            flips: outcome.flips,
            sent: outcome.sent,
            rows_read: outcome.rows_read,
            unreadable: outcome.unreadable,
            total_rows_read: outcome.usage.rows_read,
            rows_written: outcome.usage.rows_written,
        });
        self.sweeps.retain(|s| s.id > id - SWEEPS_KEPT);
    }

    fn sweep_record(&self) -> SweepRecord {
        let newest = |failed: bool| self.sweeps.iter().filter(|s| s.error.is_some() == failed).max_by_key(|s| s.id);
        let completed = newest(false);
        SweepRecord {
            last_completed: completed.map(|s| s.scheduled_at),
            last_stats: completed.map(|s| SweepStats {
                due_checks: s.due_checks,
                flips: s.flips,
                sent: s.sent,
                rows_read: s.rows_read,
                unreadable: s.unreadable,
                total_rows_read: s.total_rows_read,
                rows_written: s.rows_written,
            }),
            last_error: newest(true).map(|s| (s.scheduled_at, s.error.clone().unwrap_or_default())),
        }
    }

    fn claim_rescue(&mut self, at: Timestamp, until: Timestamp) -> bool {
        if self.rescue.claimed_until > at {
            return false;
        }
        self.rescue.claimed_until = until;
        self.rescue.started_at = Some(at);
        true
    }

    fn release_rescue(&mut self, at: Timestamp) {
        if self.rescue.started_at == Some(at) {
            self.rescue.claimed_until = Timestamp::from_millis(0);
        }
    }
}

impl SweepStore for MemoryStore {
    async fn record_sweep(
        &self,
        scheduled_at: Timestamp,
        _finished_at: Timestamp,
        outcome: &SweepOutcome,
    ) -> Result<(), StoreError> {
        self.write("record_sweep", |t| {
            t.record_sweep(scheduled_at, outcome);
            Ok(())
        })
    }

    async fn sweep_record(&self) -> Result<SweepRecord, StoreError> {
        self.read("sweep_record", |t| Ok(t.sweep_record()))
    }

    async fn claim_rescue(&self, at: Timestamp, until: Timestamp) -> Result<bool, StoreError> {
        self.write("claim_rescue", |t| Ok(t.claim_rescue(at, until)))
    }

    async fn release_rescue(&self, at: Timestamp) -> Result<(), StoreError> {
        self.write("release_rescue", |t| {
            t.release_rescue(at);
            Ok(())
        })
    }

    async fn last_rescue(&self) -> Result<Option<Timestamp>, StoreError> {
        self.read("last_rescue", |t| Ok(t.rescue.started_at))
    }
}
