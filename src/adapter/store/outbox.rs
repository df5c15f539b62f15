//! The alert outbox (`notifications` and `notification_attempts`): rows
//! written in the same batch as the flip they announce, claimed fairly
//! across projects, and the outcome of every attempt.

use super::checks::{check_of, CHECK_COLUMNS};
use super::{changes, int, opt_text, text, time, Store, StoreError};
use crate::domain::channel::EventSet;
use crate::domain::check::{Check, EventKind, FlipReason, PingKind, Status};
use crate::domain::outbox::{AttemptResult, Outcome, CLAIM_MS};
use crate::domain::time::Timestamp;
use serde::Deserialize;
use serde_json::Value;
use worker::wasm_bindgen::JsValue;
use worker::D1PreparedStatement;

/// A claimed notification with what its alert needs.
pub struct DeliveryRow {
    pub id: i64,
    pub attempts: i64,
    pub created_at: Timestamp,
    pub channel_id: String,
    pub channel_config: Option<String>,
    pub flip_id: String,
    pub flip_at: Timestamp,
    pub old_status: Status,
    pub new_status: Status,
    pub reason: FlipReason,
    pub previous_change_at: Option<Timestamp>,
    /// The kind of an event that is not a status change.
    pub event: Option<EventKind>,
    pub check: Check,
    pub ping_at: Option<Timestamp>,
    pub ping_kind: Option<PingKind>,
    pub ping_exit_status: Option<i64>,
    pub ping_body: Option<Vec<u8>>,
}

#[derive(Deserialize)]
struct DeliveryFields {
    notification_id: i64,
    attempts: i64,
    notification_created_at: i64,
    channel_id: String,
    channel_config: Option<String>,
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
    fn with_check(self, check: Check) -> Result<DeliveryRow, StoreError> {
        let corrupt = |what: &str, value: &str| StoreError::Corrupt(format!("flip {}: {what} {value:?}", self.flip_id));
        Ok(DeliveryRow {
            id: self.notification_id,
            attempts: self.attempts,
            created_at: Timestamp::from_millis(self.notification_created_at),
            old_status: Status::parse(&self.old_status).ok_or_else(|| corrupt("status", &self.old_status))?,
            new_status: Status::parse(&self.new_status).ok_or_else(|| corrupt("status", &self.new_status))?,
            reason: FlipReason::parse(&self.reason).ok_or_else(|| corrupt("reason", &self.reason))?,
            channel_id: self.channel_id,
            channel_config: self.channel_config,
            flip_at: Timestamp::from_millis(self.flip_at),
            previous_change_at: self.previous_change_at.map(Timestamp::from_millis),
            event: match self.event.as_deref() {
                None => None,
                Some(word) => Some(EventKind::parse(word).ok_or_else(|| corrupt("event", word))?),
            },
            check,
            ping_at: self.ping_at.map(Timestamp::from_millis),
            ping_kind: self.ping_kind.as_deref().and_then(PingKind::parse),
            ping_exit_status: self.ping_exit_status,
            ping_body: self.ping_body,
            flip_id: self.flip_id,
        })
    }
}

/// The result of one delivery attempt, to record.
pub struct DeliveryWrite {
    pub notification_id: i64,
    pub at: Timestamp,
    pub result: AttemptResult,
    pub outcome: Outcome,
    pub duration_ms: i64,
}

/// A notification as the API lists it.
#[derive(Deserialize)]
pub struct NotificationRow {
    pub id: i64,
    pub channel_id: String,
    pub state: String,
    pub attempts: i64,
    pub created_at: i64,
    pub next_attempt_at: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub finished_at: Option<i64>,
    pub event: String,
    pub reason: String,
    pub check_uuid: String,
    pub attempt_list: String,
}

impl Store {
    /// The outbox rows of a flip the domain said notifies: one per channel
    /// of its check plus the default channels. Rows appear only if the flip
    /// itself was recorded in the same batch.
    pub(super) fn notifications_statement(
        &self,
        flip_id: &str,
        kind: EventKind,
        default_channels: &[String],
        now: Timestamp,
    ) -> Result<D1PreparedStatement, StoreError> {
        let defaults = serde_json::to_string(default_channels).unwrap_or_else(|_| "[]".into());
        // The check's channels that asked for this kind of event, and the
        // default channels the caller found subscribed.
        self.statement(
            "INSERT INTO notifications (flip_id, channel_id, check_id, created_at, next_attempt_at) \
             SELECT f.id, ch.channel_id, f.check_id, ?2, ?2 FROM flips f \
             JOIN (SELECT l.channel_id FROM check_channels l JOIN channels c ON c.id = l.channel_id \
                   WHERE l.check_id = (SELECT check_id FROM flips WHERE id = ?1) AND instr(c.events, ?4) > 0 \
                   UNION SELECT value FROM json_each(?3)) ch \
             WHERE f.id = ?1",
            &[text(flip_id), time(now), text(&defaults), text(&EventSet::needle(kind))],
        )
    }

    /// Claims up to `limit` due notifications for `claim`, taking turns
    /// between projects (each project's oldest first), so no tenant's queue
    /// delays another's alerts. One statement, so concurrent sweeps never
    /// claim the same row.
    pub async fn claim_notifications(&self, claim: &str, now: Timestamp, limit: usize) -> Result<usize, StoreError> {
        if limit == 0 {
            return Ok(0);
        }
        let result = self
            .run(
                "UPDATE notifications SET claim = ?1, claimed_until = ?2, attempts = attempts + 1 WHERE id IN \
                 (SELECT id FROM (SELECT n.id, n.next_attempt_at, row_number() OVER \
                    (PARTITION BY c.project_id ORDER BY n.next_attempt_at, n.id) AS turn \
                  FROM notifications n JOIN checks c ON c.id = n.check_id \
                  WHERE n.state = 'pending' AND n.next_attempt_at <= ?3 \
                  AND (n.claimed_until IS NULL OR n.claimed_until <= ?3)) \
                  ORDER BY turn, next_attempt_at, id LIMIT ?4)",
                &[text(claim), time(now.plus_millis(CLAIM_MS)), time(now), int(limit as i64)],
            )
            .await?;
        Ok(changes(Some(&result)) as usize)
    }

    /// Everything needed to send the notifications held by `claim`. A row
    /// whose check cannot be read is returned as its id with the problem.
    pub async fn claimed_notifications(
        &self,
        claim: &str,
        history: i64,
    ) -> Result<Vec<Result<DeliveryRow, (i64, String)>>, StoreError> {
        let sql = format!(
            "SELECT {CHECK_COLUMNS}, n.id AS notification_id, n.attempts, n.created_at AS notification_created_at, \
             n.channel_id, ch.config AS channel_config, f.id AS flip_id, f.created_at AS flip_at, f.old_status, \
             f.new_status, f.reason, f.previous_change_at, f.event, p.created_at AS ping_at, p.kind AS ping_kind, \
             p.exit_status AS ping_exit_status, substr(p.body, 1, 2000) AS ping_body \
             FROM notifications n JOIN flips f ON f.id = n.flip_id JOIN checks c ON c.id = n.check_id \
             LEFT JOIN channels ch ON ch.id = n.channel_id \
             LEFT JOIN pings p ON p.check_id = f.check_id AND p.slot = f.ping_n % ?2 AND p.n = f.ping_n \
             WHERE n.claim = ?1 ORDER BY n.id"
        );
        let rows: Vec<Value> = self.rows(&sql, &[text(claim), int(history)]).await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let fields: DeliveryFields = serde_json::from_value(row.clone()).ok()?;
                let id = fields.notification_id;
                Some(check_of(row).and_then(|check| fields.with_check(check)).map_err(|e| (id, e.to_string())))
            })
            .collect())
    }

    /// Records attempts and their outcomes; only the holder of the claim may.
    pub async fn record_deliveries(&self, claim: &str, deliveries: &[DeliveryWrite]) -> Result<(), StoreError> {
        let mut statements = Vec::new();
        for d in deliveries {
            let (state, next, finished) = match d.outcome {
                Outcome::Delivered => ("delivered", JsValue::NULL, time(d.at)),
                Outcome::RetryAt(next) => ("pending", time(next), JsValue::NULL),
                Outcome::Failed => ("failed", JsValue::NULL, time(d.at)),
            };
            let status = d.result.status().map_or(JsValue::NULL, |s| int(i64::from(s)));
            let error = d.result.error();
            statements.push(self.statement(
                "UPDATE notifications SET state = ?3, next_attempt_at = coalesce(?4, next_attempt_at), \
                 finished_at = ?5, last_status = ?6, last_error = ?7, claim = NULL, claimed_until = NULL \
                 WHERE id = ?1 AND claim = ?2",
                &[
                    int(d.notification_id),
                    text(claim),
                    text(state),
                    next,
                    finished,
                    status.clone(),
                    opt_text(error.as_deref()),
                ],
            )?);
            statements.push(self.statement(
                "INSERT INTO notification_attempts (notification_id, at, status, error, duration_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                &[int(d.notification_id), time(d.at), status, opt_text(error.as_deref()), int(d.duration_ms)],
            )?);
        }
        self.batch(statements).await.map(drop)
    }

    /// The project's notifications, newest first, with their attempts.
    pub async fn list_notifications(
        &self,
        project_id: &str,
        check: Option<i64>,
        state: Option<&str>,
        limit: i64,
    ) -> Result<Vec<NotificationRow>, StoreError> {
        self.rows(
            "SELECT n.id, n.channel_id, n.state, n.attempts, n.created_at, n.next_attempt_at, n.last_status, \
             n.last_error, n.finished_at, coalesce(f.event, f.new_status) AS event, f.reason, c.uuid AS check_uuid, \
             (SELECT json_group_array(json_object('at', a.at, 'status', a.status, 'error', a.error, \
                     'duration_ms', a.duration_ms)) FROM (SELECT * FROM notification_attempts \
                     WHERE notification_id = n.id ORDER BY id) a) AS attempt_list \
             FROM notifications n JOIN checks c ON c.id = n.check_id JOIN flips f ON f.id = n.flip_id \
             WHERE c.project_id = ?1 AND (?2 IS NULL OR n.check_id = ?2) AND (?3 IS NULL OR n.state = ?3) \
             ORDER BY n.id DESC LIMIT ?4",
            &[text(project_id), check.map_or(JsValue::NULL, int), opt_text(state), int(limit)],
        )
        .await
    }

    /// Counts of pending and failed notifications of a project.
    pub async fn notification_counts(&self, project_id: &str) -> Result<(i64, i64), StoreError> {
        #[derive(Deserialize)]
        struct Row {
            pending: Option<i64>,
            failed: Option<i64>,
        }
        let row: Option<Row> = self
            .row(
                "SELECT sum(n.state = 'pending') AS pending, sum(n.state = 'failed') AS failed \
                 FROM notifications n JOIN checks c ON c.id = n.check_id WHERE c.project_id = ?1",
                &[text(project_id)],
            )
            .await?;
        Ok(row.map_or((0, 0), |r| (r.pending.unwrap_or(0), r.failed.unwrap_or(0))))
    }

    /// Drops delivered and failed notifications and flips older than `before`,
    /// a bounded number at a time.
    pub async fn prune_history(&self, before: Timestamp) -> Result<(), StoreError> {
        let notifications = self.statement(
            "DELETE FROM notifications WHERE id IN (SELECT id FROM notifications WHERE created_at < ?1 \
             AND state != 'pending' ORDER BY created_at LIMIT 500)",
            &[time(before)],
        )?;
        let flips = self.statement(
            "DELETE FROM flips WHERE id IN (SELECT id FROM flips WHERE created_at < ?1 ORDER BY created_at LIMIT 500) \
             AND NOT EXISTS (SELECT 1 FROM notifications WHERE flip_id = flips.id AND state = 'pending')",
            &[time(before)],
        )?;
        self.batch(vec![notifications, flips]).await.map(drop)
    }
}
