//! The ping history (each check's ring of slots in `pings`) and status
//! changes (`flips`), and pruning what is kept of both.

use super::D1Store;
use crate::d1_sql::queries::prune_run_reports;
use crate::d1_sql::{Arg, Statement};
use crate::domain::check::{PingKind, Status};
use crate::domain::history::{FlipRecord, PingRecord};
use crate::domain::status_page::availability::Change;
use crate::domain::time::Timestamp;
use crate::store::{HistoryStore, StoreError};
use serde::Deserialize;

/// Rows each prune statement deletes at most.
const PRUNE_BATCH: i64 = 500;

impl HistoryStore for D1Store {
    /// Pings numbered above `after` (older ones are outside the kept history).
    async fn list_pings(&self, check_id: i64, after: i64, limit: i64) -> Result<Vec<PingRecord>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            n: i64,
            created_at: i64,
            kind: String,
            scheme: String,
            method: String,
            ua: String,
            remote_addr: Option<String>,
            exit_status: Option<i64>,
            rid: Option<String>,
            has_body: i64,
        }
        let rows: Vec<Row> = self
            .rows(
                "SELECT n, created_at, kind, scheme, method, ua, remote_addr, exit_status, rid, \
                 body IS NOT NULL AS has_body FROM pings WHERE check_id = ?1 AND n > ?2 ORDER BY n DESC LIMIT ?3",
                vec![Arg::Int(check_id), Arg::Int(after), Arg::Int(limit)],
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(PingRecord {
                    n: r.n,
                    created_at: Timestamp::from_millis(r.created_at),
                    kind: PingKind::parse(&r.kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("ping kind {:?}", r.kind)))?,
                    scheme: r.scheme,
                    method: r.method,
                    ua: r.ua,
                    remote_addr: r.remote_addr,
                    exit_status: r.exit_status,
                    rid: r.rid,
                    has_body: r.has_body != 0,
                })
            })
            .collect()
    }

    async fn ping_body(&self, check_id: i64, n: i64, history: i64) -> Result<Option<Vec<u8>>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            body: Option<Vec<u8>>,
        }
        let row: Option<Row> = self
            .row(
                "SELECT body FROM pings WHERE check_id = ?1 AND slot = ?2 AND n = ?3",
                vec![Arg::Int(check_id), Arg::Int(n.rem_euclid(history.max(1))), Arg::Int(n)],
            )
            .await?;
        Ok(row.and_then(|r| r.body))
    }

    async fn list_flips(&self, check_id: i64, from: i64, until: i64) -> Result<Vec<FlipRecord>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            created_at: i64,
            new_status: String,
        }
        // Bounds outside the f64-exact range are clamped; no flip lies there.
        let clamp = |v: i64| v.clamp(-(1 << 52), 1 << 52);
        let rows: Vec<Row> = self
            .rows(
                "SELECT created_at, new_status FROM flips WHERE check_id = ?1 AND created_at >= ?2 AND created_at < ?3 \
                 AND event IS NULL ORDER BY created_at DESC, rowid DESC LIMIT 1000",
                vec![Arg::Int(check_id), Arg::Int(clamp(from)), Arg::Int(clamp(until))],
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                let new_status = Status::parse(&r.new_status)
                    .ok_or_else(|| StoreError::Corrupt(format!("flip status {:?}", r.new_status)))?;
                Ok(FlipRecord { at: Timestamp::from_millis(r.created_at), new_status })
            })
            .collect()
    }

    async fn status_changes(
        &self,
        check_ids: &[i64],
        from: Timestamp,
        limit: i64,
    ) -> Result<Vec<(i64, Change)>, StoreError> {
        self.read_status_changes(check_ids, from, limit).await
    }

    /// A write to the ping path's tables that matches no row.
    async fn probe_ping_write(&self) -> Result<(), StoreError> {
        let insert = Statement::new(
            "INSERT INTO pings (check_id, slot, n, created_at, kind, scheme, method, ua) \
             SELECT id, 0, n_pings + 1, 0, 'log', 'https', 'GET', '' FROM checks WHERE 0",
            Vec::new(),
        );
        let update = Statement::new("UPDATE checks SET n_pings = n_pings + 1 WHERE 0", Vec::new());
        self.batch(&[insert, update]).await.map(drop)
    }

    async fn prune_history(&self, before: Timestamp) -> Result<(), StoreError> {
        let notifications = Statement::new(
            format!(
                "DELETE FROM notifications WHERE id IN (SELECT id FROM notifications WHERE created_at < ?1 \
                 AND state != 'pending' ORDER BY created_at LIMIT {PRUNE_BATCH})"
            ),
            vec![Arg::time(before)],
        );
        let flips = Statement::new(
            format!(
                "DELETE FROM flips WHERE id IN (SELECT id FROM flips WHERE created_at < ?1 ORDER BY created_at \
                 LIMIT {PRUNE_BATCH}) AND NOT EXISTS (SELECT 1 FROM notifications WHERE flip_id = flips.id \
                 AND state = 'pending')"
            ),
            vec![Arg::time(before)],
        );
        let audit = Statement::new(crate::d1_sql::people::PRUNE_AUDIT, vec![Arg::time(before)]);
        self.batch(&[notifications, flips, audit]).await.map(drop)
    }

    async fn prune_run_reports(&self, before: Timestamp) -> Result<(), StoreError> {
        self.run(&prune_run_reports(), vec![Arg::time(before)]).await.map(drop)
    }
}
