//! Every SQL statement edgebeat runs, and the D1 calls that run them.
//!
//! Concurrency rule: a write whose correctness depends on what it read is
//! made conditional in SQL (`WHERE status != ?`, `WHERE alert_after = ?`),
//! so D1's one-batch-at-a-time execution settles races, not the Worker.

use crate::domain::api::spec::CheckConfig;
use crate::domain::api::view::CheckRecord;
use crate::domain::channel::{Channel, ChannelConfig};
use crate::domain::check::{CheckState, FlipReason, PingEffect, PingKind, Status};
use crate::domain::health::{SweepRecord, SweepStats};
use crate::domain::history::{FlipRecord, PingRecord};
use crate::domain::ids::Uuid;
use crate::domain::outbox::{AttemptResult, Outcome, CLAIM_MS};
use crate::domain::time::Timestamp;
use serde::Deserialize;
use worker::js_sys::Uint8Array;
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, Env};

/// How many sweep records to keep; /health needs only the newest.
const SWEEPS_KEPT: i64 = 1000;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the D1 binding DB is not configured: {0}")]
    Binding(String),
    #[error("D1 query failed: {0}")]
    Query(String),
    #[error("stored row is unreadable: {0}")]
    Corrupt(String),
}

fn query_error(err: worker::Error) -> StoreError {
    StoreError::Query(err.to_string())
}

/// D1 rejects BigInt binds, so integers cross as f64 (exact below 2^53).
fn int(value: i64) -> JsValue {
    JsValue::from_f64(value as f64)
}

fn time(value: Timestamp) -> JsValue {
    int(value.millis())
}

fn opt_time(value: Option<Timestamp>) -> JsValue {
    value.map_or(JsValue::NULL, time)
}

fn text(value: &str) -> JsValue {
    JsValue::from_str(value)
}

fn opt_text(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::NULL, JsValue::from_str)
}

fn flag(value: bool) -> JsValue {
    int(i64::from(value))
}

fn blob(bytes: &[u8]) -> JsValue {
    Uint8Array::from(bytes).into()
}

/// Rows a statement of a batch changed.
fn changes(result: Option<&worker::D1Result>) -> i64 {
    result.and_then(|r| r.meta().ok().flatten()).and_then(|m| m.changes).unwrap_or(0) as i64
}

/// What the sweep decided for one due check.
pub enum SweepWrite {
    /// It went down at `at`.
    Down { check_id: i64, seen_deadline: Timestamp, flip_id: String, at: Timestamp, reason: FlipReason },
    /// Not down (a ping or an edit moved the deadline): store the new one.
    Reschedule { check_id: i64, seen_deadline: Timestamp, deadline: Option<Timestamp> },
}

/// What one sweep did, for the sweeps table and /health.
#[derive(Default)]
pub struct SweepOutcome {
    pub due_checks: i64,
    /// Rows D1 read to find the due checks.
    pub rows_read: i64,
    pub flips: i64,
    pub sent: i64,
    pub error: Option<String>,
}

/// A claimed notification with what its alert needs.
#[derive(Deserialize)]
pub struct DeliveryRow {
    pub id: i64,
    pub attempts: i64,
    pub created_at: i64,
    pub channel_id: String,
    pub channel_config: Option<String>,
    pub flip_id: String,
    pub flip_at: i64,
    pub old_status: String,
    pub new_status: String,
    pub reason: String,
    pub previous_change_at: Option<i64>,
    pub uuid: String,
    pub name: String,
    pub slug: String,
    pub tags: String,
    pub kind: String,
    pub timeout: i64,
    pub grace: i64,
    pub schedule: String,
    pub tz: String,
    pub ping_at: Option<i64>,
    pub ping_kind: Option<String>,
    pub ping_exit_status: Option<i64>,
    pub ping_body: Option<Vec<u8>>,
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

/// The columns of a check row: everything the ping path and the sweep need.
macro_rules! check_row_columns {
    () => {
        "c.id, c.uuid, c.project_id, c.name, c.slug, c.tags, c.desc, c.kind, c.timeout, \
         c.grace, c.schedule, c.tz, c.manual_resume, c.methods, c.start_kw, c.success_kw, c.failure_kw, \
         c.filter_subject, c.filter_body, c.filter_http_body, c.filter_default_fail, c.status, c.last_ping, \
         c.last_start, c.last_start_rid, c.last_duration, c.n_pings, c.alert_after, c.badge_key, c.config_version"
    };
}
const ROW_COLUMNS: &str = check_row_columns!();

/// The row plus its channel ids, for the API, which shows them.
const CHECK_COLUMNS: &str = concat!(
    check_row_columns!(),
    ", (SELECT group_concat(channel_id) FROM (SELECT channel_id FROM check_channels \
        WHERE check_id = c.id ORDER BY channel_id)) AS channel_ids"
);

#[derive(Deserialize)]
struct CheckRow {
    id: i64,
    uuid: String,
    project_id: String,
    name: String,
    slug: String,
    tags: String,
    desc: String,
    kind: String,
    timeout: i64,
    grace: i64,
    schedule: String,
    tz: String,
    manual_resume: i64,
    methods: String,
    start_kw: String,
    success_kw: String,
    failure_kw: String,
    filter_subject: i64,
    filter_body: i64,
    filter_http_body: i64,
    filter_default_fail: i64,
    status: String,
    last_ping: Option<i64>,
    last_start: Option<i64>,
    last_start_rid: Option<String>,
    last_duration: Option<i64>,
    n_pings: i64,
    alert_after: Option<i64>,
    badge_key: Option<String>,
    config_version: i64,
    channel_ids: Option<String>,
}

impl CheckRow {
    fn into_record(self) -> Result<CheckRecord, StoreError> {
        let uuid = Uuid::parse(&self.uuid).ok_or_else(|| StoreError::Corrupt(format!("check uuid {:?}", self.uuid)))?;
        let status = Status::parse(&self.status)
            .ok_or_else(|| StoreError::Corrupt(format!("check status {:?}", self.status)))?;
        let config = CheckConfig {
            name: self.name,
            slug: self.slug,
            tags: self.tags,
            desc: self.desc,
            cron: self.kind == "cron",
            timeout: self.timeout,
            grace: self.grace,
            schedule: self.schedule,
            tz: self.tz,
            manual_resume: self.manual_resume != 0,
            methods: self.methods,
            start_kw: self.start_kw,
            success_kw: self.success_kw,
            failure_kw: self.failure_kw,
            filter_subject: self.filter_subject != 0,
            filter_body: self.filter_body != 0,
            filter_http_body: self.filter_http_body != 0,
            filter_default_fail: self.filter_default_fail != 0,
        };
        let state = CheckState {
            status,
            last_ping: self.last_ping.map(Timestamp::from_millis),
            last_start: self.last_start.map(Timestamp::from_millis),
            last_start_rid: self.last_start_rid.as_deref().and_then(Uuid::parse),
            last_duration: self.last_duration,
        };
        let channels = self.channel_ids.map(|ids| ids.split(',').map(str::to_owned).collect()).unwrap_or_default();
        Ok(CheckRecord {
            id: self.id,
            uuid,
            project_id: self.project_id,
            config,
            state,
            n_pings: self.n_pings,
            channels,
            badge_key: self.badge_key.unwrap_or_default(),
            config_version: self.config_version,
        })
    }
}

fn into_records(rows: Vec<CheckRow>) -> Result<Vec<CheckRecord>, StoreError> {
    rows.into_iter().map(CheckRow::into_record).collect()
}

/// The user-editable columns, in the order `config_values` binds them.
const CONFIG_COLUMNS: [&str; 18] = [
    "name",
    "slug",
    "tags",
    "desc",
    "kind",
    "timeout",
    "grace",
    "schedule",
    "tz",
    "manual_resume",
    "methods",
    "start_kw",
    "success_kw",
    "failure_kw",
    "filter_subject",
    "filter_body",
    "filter_http_body",
    "filter_default_fail",
];

fn config_values(config: &CheckConfig) -> Vec<JsValue> {
    vec![
        text(&config.name),
        text(&config.slug),
        text(&config.tags),
        text(&config.desc),
        text(if config.cron { "cron" } else { "simple" }),
        int(config.timeout),
        int(config.grace),
        text(&config.schedule),
        text(&config.tz),
        flag(config.manual_resume),
        text(&config.methods),
        text(&config.start_kw),
        text(&config.success_kw),
        text(&config.failure_kw),
        flag(config.filter_subject),
        flag(config.filter_body),
        flag(config.filter_http_body),
        flag(config.filter_default_fail),
    ]
}

/// A project as the admin API lists it.
#[derive(Deserialize)]
pub struct ProjectRow {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub checks: i64,
}

/// A project as the admin API creates it (hashes of its keys only).
#[derive(Clone, Copy)]
pub struct NewProject<'a> {
    pub id: &'a Uuid,
    pub name: &'a str,
    pub ping_key_hash: &'a str,
    pub read_write_hash: &'a str,
    pub read_only_hash: &'a str,
    pub badge_key: &'a str,
    pub badge_secret: &'a str,
}

/// What badges need of a project.
#[derive(Deserialize)]
pub struct BadgeProject {
    pub id: String,
    pub name: String,
    pub badge_key: String,
    pub badge_secret: String,
}

/// What a ping writes, beyond the state change itself.
pub struct PingRow<'a> {
    pub scheme: &'a str,
    pub method: &'a str,
    pub ua: &'a str,
    pub remote_addr: Option<&'a str>,
    pub exit_status: Option<u8>,
    pub rid: Option<Uuid>,
    pub body: &'a [u8],
}

/// What a ping's write must find to apply.
#[derive(Clone, Copy, Debug)]
pub enum Guard {
    /// Nothing: the effect was computed from the row just read.
    None,
    /// The check is still at this configuration version, up, and not running.
    IdleUp { config_version: i64 },
}

/// A ping to record: the effect the state machine computed and the row.
#[derive(Clone, Copy)]
pub struct PingWrite<'a> {
    pub check_id: i64,
    pub guard: Guard,
    pub effect: &'a PingEffect,
    pub flip_id: &'a str,
    pub ping: &'a PingRow<'a>,
    /// Pings kept per check.
    pub history: i64,
    pub default_channels: &'a [String],
    pub now: Timestamp,
}

/// What became of a recorded ping.
pub struct RecordedPing {
    /// The state change was written (always, without a guard).
    pub applied: bool,
    /// It flipped the check's status (so there may be alerts to send).
    pub flipped: bool,
    /// The check as the batch left it (guarded writes only).
    pub current: Option<CheckRecord>,
}

/// Where a ping lookup by slug ended.
pub enum SlugLookup {
    Found(Box<CheckRecord>),
    Missing,
    Ambiguous,
}

pub struct Store {
    db: D1Database,
}

impl Store {
    pub fn from_env(env: &Env) -> Result<Self, StoreError> {
        let db = env.d1("DB").map_err(|e| StoreError::Binding(e.to_string()))?;
        Ok(Store { db })
    }

    fn statement(&self, sql: &str, args: &[JsValue]) -> Result<D1PreparedStatement, StoreError> {
        self.db.prepare(sql).bind(args).map_err(query_error)
    }

    async fn batch(&self, statements: Vec<D1PreparedStatement>) -> Result<(), StoreError> {
        for result in self.db.batch(statements).await.map_err(query_error)? {
            if let Some(error) = result.error() {
                return Err(StoreError::Query(error));
            }
        }
        Ok(())
    }

    async fn all<T: for<'de> Deserialize<'de>>(&self, sql: &str, args: &[JsValue]) -> Result<Vec<T>, StoreError> {
        Ok(self.all_counted(sql, args).await?.0)
    }

    /// Like `all`, with the rows D1 read to answer (`meta.rows_read`).
    async fn all_counted<T: for<'de> Deserialize<'de>>(
        &self,
        sql: &str,
        args: &[JsValue],
    ) -> Result<(Vec<T>, i64), StoreError> {
        let result = self.statement(sql, args)?.all().await.map_err(query_error)?;
        let rows_read = result.meta().ok().flatten().and_then(|m| m.rows_read).unwrap_or(0) as i64;
        Ok((result.results::<T>().map_err(|e| StoreError::Corrupt(e.to_string()))?, rows_read))
    }

    async fn first<T: for<'de> Deserialize<'de>>(&self, sql: &str, args: &[JsValue]) -> Result<Option<T>, StoreError> {
        self.statement(sql, args)?.first(None).await.map_err(query_error)
    }

    // ----- sweeps -----

    pub async fn record_sweep(
        &self,
        scheduled_at: Timestamp,
        finished_at: Timestamp,
        outcome: &SweepOutcome,
    ) -> Result<(), StoreError> {
        let insert = self.statement(
            "INSERT INTO sweeps (scheduled_at, finished_at, error, due_checks, flips, sent, rows_read) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            &[
                time(scheduled_at),
                time(finished_at),
                opt_text(outcome.error.as_deref()),
                int(outcome.due_checks),
                int(outcome.flips),
                int(outcome.sent),
                int(outcome.rows_read),
            ],
        )?;
        let prune =
            self.statement("DELETE FROM sweeps WHERE id <= (SELECT max(id) FROM sweeps) - ?1", &[int(SWEEPS_KEPT)])?;
        self.batch(vec![insert, prune]).await
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
        }
        const COLUMNS: &str = "scheduled_at, error, due_checks, flips, sent, rows_read";
        let completed: Option<Row> = self
            .first(&format!("SELECT {COLUMNS} FROM sweeps WHERE error IS NULL ORDER BY id DESC LIMIT 1"), &[])
            .await?;
        let failed: Option<Row> = self
            .first(&format!("SELECT {COLUMNS} FROM sweeps WHERE error IS NOT NULL ORDER BY id DESC LIMIT 1"), &[])
            .await?;
        Ok(SweepRecord {
            last_completed: completed.as_ref().map(|r| Timestamp::from_millis(r.scheduled_at)),
            last_stats: completed.map(|r| SweepStats {
                due_checks: r.due_checks,
                flips: r.flips,
                sent: r.sent,
                rows_read: r.rows_read,
            }),
            last_error: failed.map(|r| (Timestamp::from_millis(r.scheduled_at), r.error.unwrap_or_default())),
        })
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
        self.batch(vec![notifications, flips]).await
    }

    // ----- the sweep -----

    /// Checks whose deadline has passed, oldest deadline first (the
    /// `checks_due` index makes this read only due rows).
    /// Also returns the rows D1 read, which the sweep records.
    pub async fn due_checks(
        &self,
        now: Timestamp,
        limit: i64,
    ) -> Result<(Vec<(CheckRecord, Timestamp)>, i64), StoreError> {
        let sql =
            format!("SELECT {ROW_COLUMNS} FROM checks c WHERE c.alert_after <= ?1 ORDER BY c.alert_after LIMIT ?2");
        let (rows, rows_read): (Vec<CheckRow>, i64) = self.all_counted(&sql, &[time(now), int(limit)]).await?;
        let due = rows
            .into_iter()
            .map(|row| {
                let deadline = Timestamp::from_millis(row.alert_after.unwrap_or_default());
                Ok((row.into_record()?, deadline))
            })
            .collect::<Result<_, StoreError>>()?;
        Ok((due, rows_read))
    }

    /// Writes the sweep's verdicts in one batch. Each is conditional on the
    /// deadline the sweep read, so a ping or edit in between wins, and two
    /// overlapping sweeps record one flip. Returns the number of flips made.
    pub async fn apply_sweep(
        &self,
        verdicts: &[SweepWrite],
        default_channels: &[String],
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut statements = Vec::new();
        let mut flip_statements = Vec::new();
        for verdict in verdicts {
            match verdict {
                SweepWrite::Down { check_id, seen_deadline, flip_id, at, reason } => {
                    flip_statements.push(statements.len());
                    statements.push(self.statement(
                        "INSERT INTO flips (id, check_id, created_at, old_status, new_status, reason, previous_change_at, ping_n) \
                         SELECT ?1, id, ?2, status, 'down', ?3, status_changed_at, n_pings FROM checks \
                         WHERE id = ?4 AND status != 'down' AND alert_after = ?5",
                        &[text(flip_id), time(*at), text(&reason.code()), int(*check_id), time(*seen_deadline)],
                    )?);
                    statements.push(self.notifications_statement(flip_id, *check_id, default_channels, now)?);
                    statements.push(self.statement(
                        "UPDATE checks SET status = 'down', status_changed_at = ?2, alert_after = NULL \
                         WHERE id = ?1 AND status != 'down' AND alert_after = ?3",
                        &[int(*check_id), time(*at), time(*seen_deadline)],
                    )?);
                }
                SweepWrite::Reschedule { check_id, seen_deadline, deadline } => {
                    statements.push(self.statement(
                        "UPDATE checks SET alert_after = ?2 WHERE id = ?1 AND alert_after = ?3",
                        &[int(*check_id), opt_time(*deadline), time(*seen_deadline)],
                    )?);
                }
            }
        }
        if statements.is_empty() {
            return Ok(0);
        }
        let results = self.db.batch(statements).await.map_err(query_error)?;
        Ok(flip_statements.iter().map(|i| changes(results.get(*i))).sum())
    }

    /// The outbox rows for a flip: one per channel of the check plus the
    /// default channels, only when the flip exists and is worth telling
    /// (any change to down; up only after down).
    fn notifications_statement(
        &self,
        flip_id: &str,
        check_id: i64,
        default_channels: &[String],
        now: Timestamp,
    ) -> Result<D1PreparedStatement, StoreError> {
        let defaults = serde_json::to_string(default_channels).unwrap_or_else(|_| "[]".into());
        self.statement(
            "INSERT INTO notifications (flip_id, channel_id, check_id, created_at, next_attempt_at) \
             SELECT f.id, ch.channel_id, f.check_id, ?2, ?2 FROM flips f \
             JOIN (SELECT channel_id FROM check_channels WHERE check_id = ?3 \
                   UNION SELECT value FROM json_each(?4)) ch \
             WHERE f.id = ?1 AND (f.new_status = 'down' OR (f.new_status = 'up' AND f.old_status = 'down'))",
            &[text(flip_id), time(now), int(check_id), text(&defaults)],
        )
    }

    // ----- the outbox -----

    /// Claims up to `limit` due notifications, oldest first, for `claim`. One
    /// statement, so concurrent sweeps never claim the same row.
    pub async fn claim_notifications(&self, claim: &str, now: Timestamp, limit: usize) -> Result<usize, StoreError> {
        if limit == 0 {
            return Ok(0);
        }
        let result = self
            .statement(
                "UPDATE notifications SET claim = ?1, claimed_until = ?2, attempts = attempts + 1 WHERE id IN \
                 (SELECT id FROM notifications WHERE state = 'pending' AND next_attempt_at <= ?3 \
                  AND (claimed_until IS NULL OR claimed_until <= ?3) ORDER BY next_attempt_at, id LIMIT ?4)",
                &[text(claim), time(now.plus_millis(CLAIM_MS)), time(now), int(limit as i64)],
            )?
            .run()
            .await
            .map_err(query_error)?;
        Ok(result.meta().ok().flatten().and_then(|m| m.changes).unwrap_or(0))
    }

    /// Everything needed to send the notifications held by `claim`.
    pub async fn claimed_notifications(&self, claim: &str) -> Result<Vec<DeliveryRow>, StoreError> {
        self.all(
            "SELECT n.id, n.attempts, n.created_at, n.channel_id, ch.config AS channel_config, \
             f.id AS flip_id, f.created_at AS flip_at, f.old_status, f.new_status, f.reason, f.previous_change_at, \
             c.uuid, c.name, c.slug, c.tags, c.kind, c.timeout, c.grace, c.schedule, c.tz, \
             p.created_at AS ping_at, p.kind AS ping_kind, p.exit_status AS ping_exit_status, \
             substr(p.body, 1, 2000) AS ping_body \
             FROM notifications n JOIN flips f ON f.id = n.flip_id JOIN checks c ON c.id = n.check_id \
             LEFT JOIN channels ch ON ch.id = n.channel_id \
             LEFT JOIN pings p ON p.check_id = f.check_id AND p.n = f.ping_n \
             WHERE n.claim = ?1 ORDER BY n.id",
            &[text(claim)],
        )
        .await
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
                    d.result.status().map_or(JsValue::NULL, |s| int(i64::from(s))),
                    opt_text(d.result.error().as_deref()),
                ],
            )?);
            statements.push(self.statement(
                "INSERT INTO notification_attempts (notification_id, at, status, error, duration_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                &[
                    int(d.notification_id),
                    time(d.at),
                    d.result.status().map_or(JsValue::NULL, |s| int(i64::from(s))),
                    opt_text(d.result.error().as_deref()),
                    int(d.duration_ms),
                ],
            )?);
        }
        if statements.is_empty() {
            return Ok(());
        }
        self.batch(statements).await
    }

    /// The project's notifications, newest first, with their attempts.
    pub async fn list_notifications(
        &self,
        project_id: &str,
        check: Option<i64>,
        state: Option<&str>,
        limit: i64,
    ) -> Result<Vec<NotificationRow>, StoreError> {
        self.all(
            "SELECT n.id, n.channel_id, n.state, n.attempts, n.created_at, n.next_attempt_at, n.last_status, \
             n.last_error, n.finished_at, f.new_status AS event, f.reason, c.uuid AS check_uuid, \
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
            .first(
                "SELECT sum(n.state = 'pending') AS pending, sum(n.state = 'failed') AS failed \
                 FROM notifications n JOIN checks c ON c.id = n.check_id WHERE c.project_id = ?1",
                &[text(project_id)],
            )
            .await?;
        Ok(row.map_or((0, 0), |r| (r.pending.unwrap_or(0), r.failed.unwrap_or(0))))
    }

    // ----- flips -----

    pub async fn list_flips(&self, check_id: i64, from: i64, until: i64) -> Result<Vec<FlipRecord>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            created_at: i64,
            new_status: String,
        }
        // Bounds outside the f64-exact range are clamped; no flip lies there.
        let clamp = |v: i64| v.clamp(-(1 << 52), 1 << 52);
        let rows: Vec<Row> = self
            .all(
                "SELECT created_at, new_status FROM flips WHERE check_id = ?1 AND created_at >= ?2 AND created_at < ?3 \
                 ORDER BY created_at DESC, rowid DESC LIMIT 1000",
                &[int(check_id), int(clamp(from)), int(clamp(until))],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| FlipRecord { at: Timestamp::from_millis(r.created_at), new_status: r.new_status })
            .collect())
    }

    // ----- channels -----

    pub async fn channels(&self, project_id: &str) -> Result<Vec<Channel>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            name: String,
            config: String,
        }
        let rows: Vec<Row> = self
            .all(
                "SELECT id, name, config FROM channels WHERE project_id = ?1 ORDER BY created_at, id",
                &[text(project_id)],
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                let config = ChannelConfig::from_stored(&r.config)
                    .map_err(|e| StoreError::Corrupt(format!("channel {}: {e}", r.id)))?;
                Ok(Channel { id: r.id, name: r.name, config })
            })
            .collect()
    }

    /// Inserts or replaces a channel; `assign_to_all` links it to every check.
    pub async fn save_channel(
        &self,
        project_id: &str,
        channel: &Channel,
        assign_to_all: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut statements = vec![self.statement(
            "INSERT INTO channels (id, project_id, name, kind, config, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, config = excluded.config WHERE project_id = ?2",
            &[
                text(&channel.id),
                text(project_id),
                text(&channel.name),
                text(channel.config.kind()),
                text(&channel.config.to_stored()),
                time(now),
            ],
        )?];
        if assign_to_all {
            statements.push(self.statement(
                "INSERT OR IGNORE INTO check_channels (check_id, channel_id) SELECT id, ?1 FROM checks WHERE project_id = ?2",
                &[text(&channel.id), text(project_id)],
            )?);
        }
        self.batch(statements).await
    }

    pub async fn delete_channel(&self, project_id: &str, id: &str) -> Result<(), StoreError> {
        self.batch(vec![
            self.statement("DELETE FROM channels WHERE id = ?1 AND project_id = ?2", &[text(id), text(project_id)])?
        ])
        .await
    }

    // ----- projects and keys -----

    pub async fn create_project(&self, project: &NewProject<'_>, now: Timestamp) -> Result<(), StoreError> {
        let NewProject { id, name, ping_key_hash, read_write_hash, read_only_hash, badge_key, badge_secret } = *project;
        let id = id.to_string();
        let project = self.statement(
            "INSERT INTO projects (id, name, ping_key_hash, created_at, badge_key, badge_secret) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            &[text(&id), text(name), text(ping_key_hash), time(now), text(badge_key), text(badge_secret)],
        )?;
        let keys = self.statement(
            "INSERT INTO api_keys (key_hash, project_id, read_only, created_at) VALUES (?1, ?2, 0, ?3), (?4, ?2, 1, ?3)",
            &[text(read_write_hash), text(&id), time(now), text(read_only_hash)],
        )?;
        self.batch(vec![project, keys]).await
    }

    /// A project's badge key and signing secret.
    pub async fn project_badges(&self, project_id: &str) -> Result<Option<BadgeProject>, StoreError> {
        self.first("SELECT id, name, badge_key, badge_secret FROM projects WHERE id = ?1", &[text(project_id)]).await
    }

    pub async fn project_by_badge_key(&self, badge_key: &str) -> Result<Option<BadgeProject>, StoreError> {
        self.first("SELECT id, name, badge_key, badge_secret FROM projects WHERE badge_key = ?1", &[text(badge_key)])
            .await
    }

    pub async fn check_by_badge_key(&self, badge_key: &str) -> Result<Option<CheckRecord>, StoreError> {
        let sql = format!("SELECT {CHECK_COLUMNS} FROM checks c WHERE c.badge_key = ?1");
        let row: Option<CheckRow> = self.first(&sql, &[text(badge_key)]).await?;
        row.map(CheckRow::into_record).transpose()
    }

    pub async fn list_projects(&self) -> Result<Vec<ProjectRow>, StoreError> {
        self.all(
            "SELECT p.id, p.name, p.created_at, (SELECT count(*) FROM checks WHERE project_id = p.id) AS checks \
             FROM projects p ORDER BY p.created_at",
            &[],
        )
        .await
    }

    /// The project and access level of an API key, by the key's hash.
    pub async fn api_key(&self, key_hash: &str) -> Result<Option<(String, bool)>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            key_hash: String,
            project_id: String,
            read_only: i64,
        }
        let row: Option<Row> = self
            .first("SELECT key_hash, project_id, read_only FROM api_keys WHERE key_hash = ?1", &[text(key_hash)])
            .await?;
        // The indexed lookup found the row; compare again in constant time so
        // that no key material influences timing beyond the hash prefix.
        Ok(row
            .filter(|r| crate::domain::ids::constant_time_eq(r.key_hash.as_bytes(), key_hash.as_bytes()))
            .map(|r| (r.project_id, r.read_only != 0)))
    }

    // ----- checks -----

    pub async fn list_checks(&self, project_id: &str) -> Result<Vec<CheckRecord>, StoreError> {
        let sql = format!("SELECT {CHECK_COLUMNS} FROM checks c WHERE c.project_id = ?1 ORDER BY c.id");
        into_records(self.all(&sql, &[text(project_id)]).await?)
    }

    /// A check for the ping path: without its channel list, which only the
    /// API shows (the outbox reads the links itself).
    pub async fn check_for_ping(&self, uuid: &Uuid) -> Result<Option<CheckRecord>, StoreError> {
        let sql = format!("SELECT {ROW_COLUMNS} FROM checks c WHERE c.uuid = ?1");
        let row: Option<CheckRow> = self.first(&sql, &[text(&uuid.to_string())]).await?;
        row.map(CheckRow::into_record).transpose()
    }

    pub async fn check_by_uuid(&self, uuid: &Uuid) -> Result<Option<CheckRecord>, StoreError> {
        let sql = format!("SELECT {CHECK_COLUMNS} FROM checks c WHERE c.uuid = ?1");
        let row: Option<CheckRow> = self.first(&sql, &[text(&uuid.to_string())]).await?;
        row.map(CheckRow::into_record).transpose()
    }

    pub async fn count_checks(&self, project_id: &str) -> Result<i64, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            n: i64,
        }
        let row: Option<Row> =
            self.first("SELECT count(*) AS n FROM checks WHERE project_id = ?1", &[text(project_id)]).await?;
        Ok(row.map_or(0, |r| r.n))
    }

    /// The project's channels as `(id, name)`, for resolving a `channels` field.
    pub async fn project_channels(&self, project_id: &str) -> Result<Vec<(String, String)>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            name: String,
        }
        let rows: Vec<Row> =
            self.all("SELECT id, name FROM channels WHERE project_id = ?1 ORDER BY id", &[text(project_id)]).await?;
        Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
    }

    fn channel_links(&self, uuid: &Uuid, channels: &[String]) -> Result<Vec<D1PreparedStatement>, StoreError> {
        let uuid = uuid.to_string();
        channels
            .iter()
            .map(|channel| {
                self.statement(
                    "INSERT INTO check_channels (check_id, channel_id) SELECT id, ?2 FROM checks WHERE uuid = ?1",
                    &[text(&uuid), text(channel)],
                )
            })
            .collect()
    }

    pub async fn insert_check(
        &self,
        uuid: &Uuid,
        project_id: &str,
        config: &CheckConfig,
        channels: &[String],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let columns = CONFIG_COLUMNS.join(", ");
        let placeholders: Vec<String> = (4..4 + CONFIG_COLUMNS.len()).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "INSERT INTO checks (uuid, project_id, created_at, badge_key, {columns}) \
             VALUES (?1, ?2, ?3, lower(hex(randomblob(16))), {})",
            placeholders.join(", ")
        );
        let mut args = vec![text(&uuid.to_string()), text(project_id), time(now)];
        args.extend(config_values(config));
        let mut statements = vec![self.statement(&sql, &args)?];
        statements.extend(self.channel_links(uuid, channels)?);
        self.batch(statements).await
    }

    /// Stores an edited configuration and the deadline it implies; replaces
    /// the channel links when `channels` is given.
    pub async fn update_check(
        &self,
        check: &CheckRecord,
        config: &CheckConfig,
        alert_after: Option<Timestamp>,
        channels: Option<&[String]>,
    ) -> Result<(), StoreError> {
        let assignments: Vec<String> =
            CONFIG_COLUMNS.iter().enumerate().map(|(i, column)| format!("{column} = ?{}", i + 3)).collect();
        // The version bump tells isolates holding the old configuration to re-read it.
        let sql = format!(
            "UPDATE checks SET alert_after = ?2, config_version = config_version + 1, {} WHERE id = ?1",
            assignments.join(", ")
        );
        let mut args = vec![int(check.id), opt_time(alert_after)];
        args.extend(config_values(config));
        let mut statements = vec![self.statement(&sql, &args)?];
        if let Some(channels) = channels {
            statements.push(self.statement("DELETE FROM check_channels WHERE check_id = ?1", &[int(check.id)])?);
            statements.extend(self.channel_links(&check.uuid, channels)?);
        }
        self.batch(statements).await
    }

    pub async fn delete_check(&self, check: &CheckRecord) -> Result<(), StoreError> {
        self.batch(vec![self.statement("DELETE FROM checks WHERE id = ?1", &[int(check.id)])?]).await
    }

    /// A flip to `new_status`, recorded only if the stored status differs at
    /// the moment the batch runs; `old_status` is read from the row itself.
    fn flip_statement(
        &self,
        check_id: i64,
        flip_id: &str,
        at: Timestamp,
        new_status: Status,
        reason: FlipReason,
    ) -> Result<D1PreparedStatement, StoreError> {
        self.statement(
            "INSERT INTO flips (id, check_id, created_at, old_status, new_status, reason, previous_change_at, ping_n) \
             SELECT ?1, id, ?2, status, ?3, ?4, status_changed_at, n_pings FROM checks WHERE id = ?5 AND status != ?3",
            &[text(flip_id), time(at), text(new_status.as_str()), text(&reason.code()), int(check_id)],
        )
    }

    /// Pauses a check: a flip (unless already paused) and a cleared deadline.
    pub async fn pause_check(&self, check: &CheckRecord, flip_id: &str, now: Timestamp) -> Result<(), StoreError> {
        let flip = self.flip_statement(check.id, flip_id, now, Status::Paused, FlipReason::Paused)?;
        let update = self.statement(
            "UPDATE checks SET status_changed_at = CASE WHEN status != 'paused' THEN ?2 ELSE status_changed_at END, \
             status = 'paused', last_start = NULL, last_start_rid = NULL, alert_after = NULL WHERE id = ?1",
            &[int(check.id), time(now)],
        )?;
        self.batch(vec![flip, update]).await
    }

    /// Resumes a paused check: it becomes new and waits for its first ping.
    pub async fn resume_check(&self, check: &CheckRecord, flip_id: &str, now: Timestamp) -> Result<(), StoreError> {
        let flip = self.statement(
            "INSERT INTO flips (id, check_id, created_at, old_status, new_status, reason, previous_change_at) \
             SELECT ?1, id, ?2, status, 'new', ?3, status_changed_at FROM checks WHERE id = ?4 AND status = 'paused'",
            &[text(flip_id), time(now), text(&FlipReason::Resumed.code()), int(check.id)],
        )?;
        let update = self.statement(
            "UPDATE checks SET status = 'new', status_changed_at = ?2, last_ping = NULL, last_start = NULL, \
             last_start_rid = NULL, alert_after = NULL WHERE id = ?1 AND status = 'paused'",
            &[int(check.id), time(now)],
        )?;
        self.batch(vec![flip, update]).await
    }

    // ----- pings -----

    /// The newest `limit` pings of a check, newest first, without bodies.
    pub async fn list_pings(&self, check_id: i64, limit: i64) -> Result<Vec<PingRecord>, StoreError> {
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
            .all(
                "SELECT n, created_at, kind, scheme, method, ua, remote_addr, exit_status, rid, \
                 body IS NOT NULL AS has_body FROM pings WHERE check_id = ?1 ORDER BY n DESC LIMIT ?2",
                &[int(check_id), int(limit)],
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

    /// The stored body of ping `n`, if that ping is still kept and had one.
    pub async fn ping_body(&self, check_id: i64, n: i64) -> Result<Option<Vec<u8>>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            body: Option<Vec<u8>>,
        }
        let row: Option<Row> =
            self.first("SELECT body FROM pings WHERE check_id = ?1 AND n = ?2", &[int(check_id), int(n)]).await?;
        Ok(row.and_then(|r| r.body))
    }

    /// Finds a check by ping key and slug (at most two rows, to see ambiguity).
    pub async fn check_by_slug(&self, ping_key_hash: &str, slug: &str) -> Result<SlugLookup, StoreError> {
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM checks c JOIN projects p ON p.id = c.project_id \
             WHERE p.ping_key_hash = ?1 AND c.slug = ?2 ORDER BY c.id LIMIT 2"
        );
        let mut rows = into_records(self.all(&sql, &[text(ping_key_hash), text(slug)]).await?)?;
        Ok(match rows.len() {
            0 => SlugLookup::Missing,
            1 => SlugLookup::Found(Box::new(rows.remove(0))),
            _ => SlugLookup::Ambiguous,
        })
    }

    /// Creates a check for `?create=1`, named after its slug and notifying all
    /// of the project's channels. One statement decides, so two concurrent
    /// creations of the same slug make one check. Returns whether it created.
    pub async fn create_slug_check(
        &self,
        uuid: &Uuid,
        ping_key_hash: &str,
        slug: &str,
        max_checks: i64,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let uuid_text = uuid.to_string();
        let insert = self.statement(
            "INSERT INTO checks (uuid, project_id, name, slug, created_at, badge_key) \
             SELECT ?1, p.id, ?2, ?2, ?3, lower(hex(randomblob(16))) FROM projects p WHERE p.ping_key_hash = ?4 \
             AND NOT EXISTS (SELECT 1 FROM checks WHERE project_id = p.id AND slug = ?2) \
             AND (SELECT count(*) FROM checks WHERE project_id = p.id) < ?5",
            &[text(&uuid_text), text(slug), time(now), text(ping_key_hash), int(max_checks)],
        )?;
        let channels = self.statement(
            "INSERT INTO check_channels (check_id, channel_id) \
             SELECT c.id, ch.id FROM checks c JOIN channels ch ON ch.project_id = c.project_id WHERE c.uuid = ?1",
            &[text(&uuid_text)],
        )?;
        let results = self.db.batch(vec![insert, channels]).await.map_err(query_error)?;
        let created = results.first().and_then(|r| r.meta().ok().flatten()).and_then(|meta| meta.changes).unwrap_or(0);
        Ok(created > 0)
    }

    /// Records a ping and its effect in one batch (one D1 round trip): the
    /// ping row (numbered from the stored count), the flip if the status
    /// really changes and its outbox rows, the check's new state with
    /// `n_pings` incremented in SQL (so concurrent pings never lose a count),
    /// and the pruning of the oldest ping.
    ///
    /// With `Guard::IdleUp`, every write holds only if the check is still the
    /// configuration the caller computed with, up, and not running a job; the
    /// batch then ends by reading the check, so a caller whose guess was wrong
    /// has the row without another round trip.
    pub async fn record_ping(&self, write: &PingWrite<'_>) -> Result<RecordedPing, StoreError> {
        let PingWrite { check_id, guard, effect, flip_id, ping, history, default_channels, now } = *write;
        let condition = match guard {
            Guard::None => "id = ?1".to_owned(),
            Guard::IdleUp { config_version } => {
                format!("id = ?1 AND config_version = {config_version} AND status = 'up' AND last_start IS NULL")
            }
        };
        let mut statements = Vec::with_capacity(7);
        // Everything before the UPDATE sees the row as it was: the ping is n_pings + 1.
        statements.push(self.statement(
            &format!(
                "INSERT INTO pings (check_id, n, created_at, kind, scheme, method, ua, remote_addr, exit_status, rid, body) \
                 SELECT id, n_pings + 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 FROM checks WHERE {condition}"
            ),
            &[
                int(check_id),
                time(now),
                text(effect.kind.as_str()),
                text(ping.scheme),
                text(ping.method),
                text(ping.ua),
                opt_text(ping.remote_addr),
                ping.exit_status.map_or(JsValue::NULL, |c| int(i64::from(c))),
                opt_text(ping.rid.map(|r| r.to_string()).as_deref()),
                if ping.body.is_empty() { JsValue::NULL } else { blob(ping.body) },
            ],
        )?);
        let state = &effect.state;
        let flip_index = statements.len();
        let update = match (effect.kind, effect.sets_status) {
            (PingKind::Success | PingKind::Fail, Some((status, reason))) => {
                statements.push(self.statement(
                    &format!(
                        "INSERT INTO flips (id, check_id, created_at, old_status, new_status, reason, previous_change_at, ping_n) \
                         SELECT ?2, id, ?3, status, ?4, ?5, status_changed_at, n_pings + 1 FROM checks \
                         WHERE {condition} AND status != ?4"
                    ),
                    &[int(check_id), text(flip_id), time(now), text(status.as_str()), text(&reason.code())],
                )?);
                statements.push(self.notifications_statement(flip_id, check_id, default_channels, now)?);
                self.statement(
                    &format!(
                        "UPDATE checks SET n_pings = n_pings + 1, last_ping = ?2, last_start = ?3, last_start_rid = ?4, \
                         last_duration = ?5, status_changed_at = CASE WHEN status != ?6 THEN ?2 ELSE status_changed_at END, \
                         status = ?6, alert_after = ?7 WHERE {condition}"
                    ),
                    &[
                        int(check_id),
                        time(now),
                        opt_time(state.last_start),
                        opt_text(state.last_start_rid.map(|r| r.to_string()).as_deref()),
                        state.last_duration.map_or(JsValue::NULL, int),
                        text(status.as_str()),
                        opt_time(effect.alert_after),
                    ],
                )?
            }
            (PingKind::Start, _) => self.statement(
                &format!(
                    "UPDATE checks SET n_pings = n_pings + 1, last_start = ?2, last_start_rid = ?3, alert_after = ?4 \
                     WHERE {condition}"
                ),
                &[
                    int(check_id),
                    opt_time(state.last_start),
                    opt_text(state.last_start_rid.map(|r| r.to_string()).as_deref()),
                    opt_time(effect.alert_after),
                ],
            )?,
            _ => {
                self.statement(&format!("UPDATE checks SET n_pings = n_pings + 1 WHERE {condition}"), &[int(check_id)])?
            }
        };
        let update_index = statements.len();
        statements.push(update);
        statements.push(self.statement(
            "DELETE FROM pings WHERE check_id = ?1 AND n <= (SELECT n_pings FROM checks WHERE id = ?1) - ?2",
            &[int(check_id), int(history)],
        )?);
        let read_back = matches!(guard, Guard::IdleUp { .. });
        if read_back {
            statements.push(
                self.statement(&format!("SELECT {ROW_COLUMNS} FROM checks c WHERE c.id = ?1"), &[int(check_id)])?,
            );
        }
        let results = self.db.batch(statements).await.map_err(query_error)?;
        for result in &results {
            if let Some(error) = result.error() {
                return Err(StoreError::Query(error));
            }
        }
        let flipped = effect.sets_status.is_some() && changes(results.get(flip_index)) > 0;
        let applied = changes(results.get(update_index)) > 0;
        let current = match results.last().filter(|_| read_back) {
            Some(result) => {
                let rows: Vec<CheckRow> = result.results().map_err(|e| StoreError::Corrupt(e.to_string()))?;
                rows.into_iter().next().map(CheckRow::into_record).transpose()?
            }
            None => None,
        };
        Ok(RecordedPing { applied, flipped, current })
    }
}
