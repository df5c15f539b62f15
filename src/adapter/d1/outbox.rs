//! The alert outbox (`notifications` and `notification_attempts`): rows
//! written by the plans whose flips and events they announce, found fairly
//! per project, claimed over the ids the domain chose, and the outcome of
//! every attempt.

use super::{changes, D1Store};
use crate::d1_sql::queries::{CLAIM, DUE_NOTIFICATIONS};
use crate::d1_sql::rows::{check_of, CHECK_COLUMNS};
use crate::d1_sql::{Arg, Statement};
use crate::domain::check::{EventKind, FlipReason, PingKind, Status};
use crate::domain::ids::Uuid;
use crate::domain::outbox::Outcome;
use crate::domain::time::Timestamp;
use crate::store::{AttemptRecord, DeliveryRow, DeliveryWrite, NotificationRow, OutboxStore, Queued, StoreError};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct DeliveryFields {
    notification_id: i64,
    attempts: i64,
    notification_created_at: i64,
    channel_id: String,
    channel_config: Option<String>,
    channel_failing: Option<String>,
    notice: Option<String>,
    flip_id: String,
    flip_at: i64,
    old_status: String,
    new_status: String,
    reason: String,
    previous_change_at: Option<i64>,
    event: Option<String>,
    ping_at: Option<i64>,
    ping_kind: Option<String>,
    ping_exit_status: Option<i64>,
    ping_body: Option<Vec<u8>>,
}

impl DeliveryFields {
    fn with_check(self, check: crate::domain::check::Check) -> Result<DeliveryRow, StoreError> {
        let corrupt = |what: &str, value: &str| StoreError::Corrupt(format!("flip {}: {what} {value:?}", self.flip_id));
        Ok(DeliveryRow {
            id: self.notification_id,
            attempts: self.attempts,
            created_at: Timestamp::from_millis(self.notification_created_at),
            old_status: Status::parse(&self.old_status).ok_or_else(|| corrupt("status", &self.old_status))?,
            new_status: Status::parse(&self.new_status).ok_or_else(|| corrupt("status", &self.new_status))?,
            // A notice's reason and event are no check's: placeholders it never shows.
            reason: match (FlipReason::parse(&self.reason), &self.notice) {
                (Some(reason), _) => reason,
                (None, Some(_)) => FlipReason::Fail,
                (None, None) => return Err(corrupt("reason", &self.reason)),
            },
            channel_id: self.channel_id,
            channel_config: self.channel_config,
            channel_failing: self.channel_failing,
            flip_at: Timestamp::from_millis(self.flip_at),
            previous_change_at: self.previous_change_at.map(Timestamp::from_millis),
            event: match self.event.as_deref() {
                None => None,
                Some(_) if self.notice.is_some() => None,
                Some(word) => Some(EventKind::parse(word).ok_or_else(|| corrupt("event", word))?),
            },
            check,
            ping_at: self.ping_at.map(Timestamp::from_millis),
            ping_kind: self.ping_kind.as_deref().and_then(PingKind::parse),
            ping_exit_status: self.ping_exit_status,
            ping_body: self.ping_body,
            notice: self.notice,
            flip_id: self.flip_id,
        })
    }
}

/// A notification as listed, before its fields are typed.
#[derive(Deserialize)]
struct ListedRow {
    id: i64,
    channel_id: String,
    state: String,
    attempts: i64,
    created_at: i64,
    next_attempt_at: i64,
    last_status: Option<i64>,
    last_error: Option<String>,
    finished_at: Option<i64>,
    event: String,
    reason: String,
    check_uuid: String,
    attempt_list: String,
}

#[derive(Deserialize)]
struct StoredAttempt {
    at: i64,
    status: Option<i64>,
    error: Option<String>,
    duration_ms: Option<i64>,
}

impl ListedRow {
    fn typed(self) -> Result<NotificationRow, StoreError> {
        let corrupt = |what: String| StoreError::Corrupt(format!("notification {}: {what}", self.id));
        let check_uuid = Uuid::parse(&self.check_uuid).ok_or_else(|| corrupt(format!("uuid {:?}", self.check_uuid)))?;
        let attempts: Vec<StoredAttempt> =
            serde_json::from_str(&self.attempt_list).map_err(|e| corrupt(format!("attempts: {e}")))?;
        Ok(NotificationRow {
            id: self.id,
            channel_id: self.channel_id,
            state: self.state,
            attempts: self.attempts,
            created_at: Timestamp::from_millis(self.created_at),
            next_attempt_at: Timestamp::from_millis(self.next_attempt_at),
            last_status: self.last_status,
            last_error: self.last_error,
            finished_at: self.finished_at.map(Timestamp::from_millis),
            event: self.event,
            reason: self.reason,
            check_uuid,
            attempt_log: attempts
                .into_iter()
                .map(|a| AttemptRecord {
                    at: Timestamp::from_millis(a.at),
                    status: a.status,
                    error: a.error,
                    duration_ms: a.duration_ms,
                })
                .collect(),
        })
    }
}

impl OutboxStore for D1Store {
    async fn due_notifications(&self, now: Timestamp, per_project: i64) -> Result<Vec<Queued>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            id: i64,
            project_id: String,
            next_attempt_at: i64,
        }
        let rows: Vec<Row> = self.rows(DUE_NOTIFICATIONS, vec![Arg::time(now), Arg::Int(per_project.max(0))]).await?;
        Ok(rows
            .into_iter()
            .map(|r| Queued {
                id: r.id,
                project_id: r.project_id,
                next_attempt_at: Timestamp::from_millis(r.next_attempt_at),
            })
            .collect())
    }

    /// One statement, so that concurrent sweeps never claim the same row;
    /// it counts the attempt the row is claimed for.
    async fn claim(&self, ids: &[i64], claim: &str, now: Timestamp, until: Timestamp) -> Result<usize, StoreError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let ids = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        let result = self.run(CLAIM, vec![Arg::text(claim), Arg::time(until), Arg::Text(ids), Arg::time(now)]).await?;
        Ok(changes(Some(&result)).max(0) as usize)
    }

    async fn claimed(&self, claim: &str, history: i64) -> Result<Vec<Result<DeliveryRow, (i64, String)>>, StoreError> {
        let sql = format!(
            "SELECT {CHECK_COLUMNS}, n.id AS notification_id, n.attempts, n.created_at AS notification_created_at, \
             n.channel_id, ch.config AS channel_config, ch.failing AS channel_failing, f.notice, f.id AS flip_id, f.created_at AS flip_at, f.old_status, \
             f.new_status, f.reason, f.previous_change_at, f.event, p.created_at AS ping_at, p.kind AS ping_kind, \
             p.exit_status AS ping_exit_status, substr(p.body, 1, 2000) AS ping_body \
             FROM notifications n JOIN flips f ON f.id = n.flip_id JOIN checks c ON c.id = n.check_id \
             LEFT JOIN channels ch ON ch.id = n.channel_id \
             LEFT JOIN pings p ON p.check_id = f.check_id AND p.slot = f.ping_n % ?2 AND p.n = f.ping_n \
             WHERE n.claim = ?1 ORDER BY n.id"
        );
        let rows: Vec<Value> = self.rows(&sql, vec![Arg::text(claim), Arg::Int(history.max(1))]).await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let fields: DeliveryFields = serde_json::from_value(row.clone()).ok()?;
                let id = fields.notification_id;
                Some(check_of(row).and_then(|check| fields.with_check(check)).map_err(|e| (id, e.to_string())))
            })
            .collect())
    }

    async fn record_deliveries(&self, claim: &str, deliveries: &[DeliveryWrite]) -> Result<(), StoreError> {
        let mut statements = Vec::with_capacity(deliveries.len() * 2);
        for d in deliveries {
            let (state, next, finished) = match d.outcome {
                Outcome::Delivered => ("delivered", Arg::Null, Arg::time(d.at)),
                Outcome::RetryAt(next) => ("pending", Arg::time(next), Arg::Null),
                Outcome::Failed => ("failed", Arg::Null, Arg::time(d.at)),
            };
            let status = Arg::opt_int(d.result.status().map(i64::from));
            let error = Arg::opt_text(d.result.error().as_deref());
            // The attempt first, while the claim is still held; then the
            // outcome, which releases it. Both only by the claim's holder.
            statements.push(Statement::new(
                "INSERT INTO notification_attempts (notification_id, at, status, error, duration_ms) \
                 SELECT id, ?3, ?4, ?5, ?6 FROM notifications WHERE id = ?1 AND claim = ?2",
                vec![
                    Arg::Int(d.notification_id),
                    Arg::text(claim),
                    Arg::time(d.at),
                    status.clone(),
                    error.clone(),
                    Arg::Int(d.duration_ms),
                ],
            ));
            statements.push(Statement::new(
                "UPDATE notifications SET state = ?3, next_attempt_at = coalesce(?4, next_attempt_at), \
                 finished_at = ?5, last_status = ?6, last_error = ?7, claim = NULL, claimed_until = NULL \
                 WHERE id = ?1 AND claim = ?2",
                vec![Arg::Int(d.notification_id), Arg::text(claim), Arg::text(state), next, finished, status, error],
            ));
        }
        self.batch(&statements).await.map(drop)
    }

    async fn list_notifications(
        &self,
        project_id: &str,
        check_id: Option<i64>,
        state: Option<&str>,
        limit: i64,
    ) -> Result<Vec<NotificationRow>, StoreError> {
        let rows: Vec<ListedRow> = self
            .rows(
                "SELECT n.id, n.channel_id, n.state, n.attempts, n.created_at, n.next_attempt_at, n.last_status, \
                 n.last_error, n.finished_at, coalesce(f.event, f.new_status) AS event, f.reason, \
                 c.uuid AS check_uuid, \
                 (SELECT json_group_array(json_object('at', a.at, 'status', a.status, 'error', a.error, \
                         'duration_ms', a.duration_ms)) FROM (SELECT * FROM notification_attempts \
                         WHERE notification_id = n.id ORDER BY id) a) AS attempt_list \
                 FROM notifications n JOIN checks c ON c.id = n.check_id JOIN flips f ON f.id = n.flip_id \
                 WHERE c.project_id = ?1 AND (?2 IS NULL OR n.check_id = ?2) AND (?3 IS NULL OR n.state = ?3) \
                 ORDER BY n.id DESC LIMIT ?4",
                vec![Arg::text(project_id), Arg::opt_int(check_id), Arg::opt_text(state), Arg::Int(limit)],
            )
            .await?;
        rows.into_iter().map(ListedRow::typed).collect()
    }

    async fn notification_counts(&self, project_id: &str) -> Result<(i64, i64), StoreError> {
        #[derive(Deserialize)]
        struct Row {
            pending: Option<i64>,
            failed: Option<i64>,
        }
        let row: Option<Row> = self
            .row(
                "SELECT sum(n.state = 'pending') AS pending, sum(n.state = 'failed') AS failed \
                 FROM notifications n JOIN checks c ON c.id = n.check_id WHERE c.project_id = ?1",
                vec![Arg::text(project_id)],
            )
            .await?;
        Ok(row.map_or((0, 0), |r| (r.pending.unwrap_or(0), r.failed.unwrap_or(0))))
    }
}
