//! `HistoryStore`: the ping ring, the status changes, and pruning, as
//! D1's queries do them.

use super::tables::{sql_limit, Tables};
use super::MemoryStore;
use crate::domain::history::{FlipRecord, PingRecord};
use crate::domain::status_page::availability::Change;
use crate::domain::time::Timestamp;
use crate::store::{HistoryStore, StoreError, RUN_REPORT_PRUNE_BATCH};

/// Rows `prune_history` looks at per table and call.
const PRUNE_BATCH: usize = 500;

impl Tables {
    fn list_pings(&self, check_id: i64, after: i64, limit: i64) -> Vec<PingRecord> {
        let mut pings: Vec<_> = self
            .pings
            .range((check_id, i64::MIN)..=(check_id, i64::MAX))
            .map(|(_, p)| p)
            .filter(|p| p.n > after)
            .collect();
        pings.sort_by_key(|p| std::cmp::Reverse(p.n));
        pings
            .into_iter()
            .take(sql_limit(limit))
            .map(|p| PingRecord {
                n: p.n,
                created_at: p.created_at,
                kind: p.kind,
                scheme: p.scheme.clone(),
                method: p.method.clone(),
                ua: p.ua.clone(),
                remote_addr: p.remote_addr.clone(),
                exit_status: p.exit_status,
                rid: p.rid.clone(),
                has_body: p.body.is_some(),
            })
            .collect()
    }

    /// The ring slot that holds ping `n`, if it still does.
    pub(super) fn kept_ping(&self, check_id: i64, n: i64, history: i64) -> Option<&super::StoredPing> {
        // SQLite's `n % 0` is NULL, which matches no slot.
        let slot = n.checked_rem(history)?;
        self.pings.get(&(check_id, slot)).filter(|p| p.n == n)
    }

    fn list_flips(&self, check_id: i64, from: i64, until: i64) -> Vec<FlipRecord> {
        let mut flips: Vec<_> = self
            .flips
            .iter()
            .filter(|f| f.check_id == check_id && f.event.is_none() && f.notice.is_none())
            .filter(|f| from <= f.created_at.millis() && f.created_at.millis() < until)
            .collect();
        flips.sort_by_key(|f| std::cmp::Reverse((f.created_at, f.rowid)));
        flips.into_iter().take(1000).map(|f| FlipRecord { at: f.created_at, new_status: f.new_status }).collect()
    }

    fn status_changes(&self, check_ids: &[i64], from: Timestamp, limit: i64) -> Vec<(i64, Change)> {
        let mut flips: Vec<_> = self
            .flips
            .iter()
            .filter(|f| check_ids.contains(&f.check_id) && f.event.is_none() && f.created_at >= from)
            .collect();
        flips.sort_by_key(|f| std::cmp::Reverse((f.created_at, f.rowid)));
        flips
            .into_iter()
            .take(sql_limit(limit))
            .map(|f| (f.check_id, Change { at: f.created_at, old: f.old_status, new: f.new_status }))
            .collect()
    }

    /// The oldest 500 finished notifications created before `before` go;
    /// then of the oldest 500 flips (and events) created before it, those
    /// no pending notification waits on, with what remains of theirs; and
    /// the oldest 500 log entries written before it.
    fn prune(&mut self, before: Timestamp) {
        let mut finished: Vec<_> =
            self.notifications.values().filter(|n| n.created_at < before && !n.is_pending()).collect();
        finished.sort_by_key(|n| (n.created_at, n.id));
        let gone: Vec<i64> = finished.into_iter().take(PRUNE_BATCH).map(|n| n.id).collect();
        self.notifications.retain(|id, _| !gone.contains(id));

        let mut old: Vec<_> = self.flips.iter().filter(|f| f.created_at < before).collect();
        old.sort_by_key(|f| (f.created_at, f.rowid));
        let gone: Vec<String> = old
            .into_iter()
            .take(PRUNE_BATCH)
            .filter(|f| !self.notifications.values().any(|n| n.flip_id == f.id && n.is_pending()))
            .map(|f| f.id.clone())
            .collect();
        self.delete_flips(&gone);

        let mut old: Vec<(Timestamp, i64)> =
            self.audit.iter().filter(|a| a.at < before).map(|a| (a.at, a.id)).collect();
        old.sort();
        let gone: Vec<i64> = old.into_iter().take(PRUNE_BATCH).map(|(_, id)| id).collect();
        self.audit.retain(|a| !gone.contains(&a.id));
    }
}

impl HistoryStore for MemoryStore {
    async fn list_pings(&self, check_id: i64, after: i64, limit: i64) -> Result<Vec<PingRecord>, StoreError> {
        self.read("list_pings", |t| Ok(t.list_pings(check_id, after, limit)))
    }

    async fn ping_body(&self, check_id: i64, n: i64, history: i64) -> Result<Option<Vec<u8>>, StoreError> {
        self.read("ping_body", |t| Ok(t.kept_ping(check_id, n, history).and_then(|p| p.body.clone())))
    }

    async fn list_flips(&self, check_id: i64, from: i64, until: i64) -> Result<Vec<FlipRecord>, StoreError> {
        self.read("list_flips", |t| Ok(t.list_flips(check_id, from, until)))
    }

    async fn status_changes(
        &self,
        check_ids: &[i64],
        from: Timestamp,
        limit: i64,
    ) -> Result<Vec<(i64, Change)>, StoreError> {
        self.read("status_changes", |t| Ok(t.status_changes(check_ids, from, limit)))
    }

    async fn probe_ping_write(&self) -> Result<(), StoreError> {
        self.write("probe_ping_write", |_| Ok(()))
    }

    async fn prune_history(&self, before: Timestamp) -> Result<(), StoreError> {
        self.write("prune_history", |t| {
            t.prune(before);
            Ok(())
        })
    }

    async fn prune_run_reports(&self, before: Timestamp) -> Result<(), StoreError> {
        self.write("prune_run_reports", |t| {
            let mut old: Vec<_> = t.run_reports.iter().filter(|(_, r)| r.created_at < before).collect();
            old.sort_by_key(|(key, r)| (r.created_at, (*key).clone()));
            let batch = usize::try_from(RUN_REPORT_PRUNE_BATCH).unwrap_or(usize::MAX);
            let gone: Vec<_> = old.into_iter().take(batch).map(|(key, _)| key.clone()).collect();
            for key in gone {
                t.run_reports.remove(&key);
            }
            Ok(())
        })
    }
}
