//! The `checks` table: one column list for reading a check, one for writing
//! its configuration, and every write of its state, each conditional on the
//! state it was computed from (`Expected`).

use super::{changes, flag, int, opt_text, opt_time, text, time, typed, Store, StoreError};
use crate::domain::api::spec::UniqueValue;
use crate::domain::channel::EventSet;
use crate::domain::check::{
    AlertPolicy, Check, CheckConfig, CheckState, EventKind, Monitoring, Status, Tags, Transition,
};
use crate::domain::ids::{unique_key, Uuid};
use crate::domain::ping::PingRules;
use crate::domain::time::Timestamp;
use serde::Deserialize;
use serde_json::Value;
use worker::wasm_bindgen::JsValue;
use worker::D1PreparedStatement;

/// The columns of a check row, as `CheckRow` reads them.
pub(super) const CHECK_COLUMNS: &str = "c.id, c.uuid, c.project_id, c.name, c.slug, c.tags, c.desc, c.kind, \
     c.timeout, c.grace, c.schedule, c.tz, c.manual_resume, c.methods, c.start_kw, c.success_kw, c.failure_kw, \
     c.filter_subject, c.filter_body, c.filter_http_body, c.filter_default_fail, c.status, c.last_ping, \
     c.last_start, c.last_start_rid, c.last_duration, c.n_pings, c.alert_after, c.badge_key, c.config_version, \
     c.failure_threshold, c.recovery_threshold, c.max_runtime, c.min_runtime, c.reminder_interval, c.failures, \
     c.successes, c.next_event_at, c.muted_until, c.listeners";

#[derive(Deserialize)]
pub(super) struct CheckRow {
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
    badge_key: Option<String>,
    config_version: i64,
    failure_threshold: i64,
    recovery_threshold: i64,
    max_runtime: Option<i64>,
    min_runtime: Option<i64>,
    reminder_interval: i64,
    failures: i64,
    successes: i64,
    next_event_at: Option<i64>,
    muted_until: Option<i64>,
    listeners: i64,
}

impl CheckRow {
    pub(super) fn into_check(self) -> Result<Check, StoreError> {
        let corrupt = |what: String| StoreError::Corrupt(format!("check {}: {what}", self.id));
        let uuid = Uuid::parse(&self.uuid).ok_or_else(|| corrupt(format!("uuid {:?}", self.uuid)))?;
        let status = Status::parse(&self.status).ok_or_else(|| corrupt(format!("status {:?}", self.status)))?;
        let mut monitoring = Monitoring::from_stored(&self.kind, self.timeout, &self.schedule, &self.tz, self.grace)
            .map_err(|e| corrupt(e.to_string()))?;
        monitoring.manual_resume = self.manual_resume != 0;
        monitoring.policy = AlertPolicy {
            failure_threshold: self.failure_threshold,
            recovery_threshold: self.recovery_threshold,
            max_runtime: self.max_runtime,
            min_runtime: self.min_runtime,
            reminder_interval: self.reminder_interval,
        };
        let config = CheckConfig {
            name: self.name,
            slug: self.slug,
            tags: Tags::parse(&self.tags),
            desc: self.desc,
            monitoring,
            ping_rules: PingRules {
                post_only: self.methods == "POST",
                filter_http_body: self.filter_http_body != 0,
                start_kw: self.start_kw,
                success_kw: self.success_kw,
                failure_kw: self.failure_kw,
                filter_default_fail: self.filter_default_fail != 0,
            },
            filter_subject: self.filter_subject != 0,
            filter_body: self.filter_body != 0,
        };
        let state = CheckState {
            status,
            last_ping: self.last_ping.map(Timestamp::from_millis),
            last_start: self.last_start.map(Timestamp::from_millis),
            last_start_rid: self.last_start_rid.as_deref().and_then(Uuid::parse),
            last_duration: self.last_duration,
            failures: self.failures,
            successes: self.successes,
            next_event_at: self.next_event_at.map(Timestamp::from_millis),
            muted_until: self.muted_until.map(Timestamp::from_millis),
        };
        Ok(Check {
            id: self.id,
            uuid,
            project_id: self.project_id,
            config,
            state,
            n_pings: self.n_pings,
            badge_key: self.badge_key.unwrap_or_default(),
            config_version: self.config_version,
            listeners: EventSet::from_bits(self.listeners),
        })
    }
}

/// Reads a check from a JSON row, or says why it cannot.
pub(super) fn check_of(row: Value) -> Result<Check, StoreError> {
    serde_json::from_value::<CheckRow>(row).map_err(|e| StoreError::Corrupt(e.to_string()))?.into_check()
}

/// The checks of rows that can be read, and the problems of those that cannot.
fn split_readable(rows: Vec<Value>) -> (Vec<Check>, Vec<StoreError>) {
    let (mut checks, mut problems) = (Vec::with_capacity(rows.len()), Vec::new());
    for row in rows {
        match check_of(row) {
            Ok(check) => checks.push(check),
            Err(problem) => problems.push(problem),
        }
    }
    (checks, problems)
}

/// The user-editable columns with their values: the one list both INSERT
/// and UPDATE write.
fn config_values(config: &CheckConfig) -> Vec<(&'static str, JsValue)> {
    let monitoring = &config.monitoring;
    let rules = &config.ping_rules;
    let (timeout, schedule) = monitoring.schedule.stored();
    vec![
        ("name", text(&config.name)),
        ("slug", text(&config.slug)),
        ("tags", text(config.tags.as_str())),
        ("desc", text(&config.desc)),
        ("kind", text(monitoring.schedule.kind())),
        ("timeout", int(timeout)),
        ("grace", int(monitoring.grace)),
        ("schedule", text(schedule)),
        ("tz", text(monitoring.zone.name())),
        ("manual_resume", flag(monitoring.manual_resume)),
        ("methods", text(config.methods())),
        ("start_kw", text(&rules.start_kw)),
        ("success_kw", text(&rules.success_kw)),
        ("failure_kw", text(&rules.failure_kw)),
        ("filter_subject", flag(config.filter_subject)),
        ("filter_body", flag(config.filter_body)),
        ("filter_http_body", flag(rules.filter_http_body)),
        ("filter_default_fail", flag(rules.filter_default_fail)),
        ("failure_threshold", int(monitoring.policy.failure_threshold)),
        ("recovery_threshold", int(monitoring.policy.recovery_threshold)),
        ("max_runtime", monitoring.policy.max_runtime.map_or(JsValue::NULL, int)),
        ("min_runtime", monitoring.policy.min_runtime.map_or(JsValue::NULL, int)),
        ("reminder_interval", int(monitoring.policy.reminder_interval)),
    ]
}

/// `UPDATE checks SET` assignments writing a whole state the domain
/// decided, its deadline and (with a flip) when the status changed;
/// placeholders from `?{first}`.
pub(super) fn state_assignments(
    state: &CheckState,
    alert_after: Option<Timestamp>,
    changed_at: Option<Timestamp>,
    first: usize,
) -> (String, Vec<JsValue>) {
    let values = vec![
        ("status", text(state.status.as_str())),
        ("last_ping", opt_time(state.last_ping)),
        ("last_start", opt_time(state.last_start)),
        ("last_start_rid", opt_text(state.last_start_rid.map(|r| r.to_string()).as_deref())),
        ("last_duration", state.last_duration.map_or(JsValue::NULL, int)),
        ("alert_after", opt_time(alert_after)),
        ("failures", int(state.failures)),
        ("successes", int(state.successes)),
        ("next_event_at", opt_time(state.next_event_at)),
        ("muted_until", opt_time(state.muted_until)),
    ];
    let mut sql: Vec<String> =
        values.iter().enumerate().map(|(i, (column, _))| format!("{column} = ?{}", first + i)).collect();
    sql.push(format!("status_changed_at = coalesce(?{}, status_changed_at)", first + values.len()));
    let mut args: Vec<JsValue> = values.into_iter().map(|(_, v)| v).collect();
    args.push(opt_time(changed_at));
    (sql.join(", "), args)
}

/// The default channels (from secrets) that hear of `kind`: they receive
/// the default set of events.
pub(super) fn defaults_for(default_channels: &[String], kind: EventKind) -> Vec<String> {
    if EventSet::default().contains(kind) {
        default_channels.to_vec()
    } else {
        Vec::new()
    }
}

/// How a statement names its check row.
#[derive(Clone, Copy, Debug)]
pub enum CheckKey {
    Id(i64),
    /// A check being created in the same batch, whose id is not known yet.
    Uuid(Uuid),
}

impl CheckKey {
    /// A SQL condition on `checks` (our own numbers and UUIDs, never input text).
    pub(super) fn condition(self) -> String {
        match self {
            CheckKey::Id(id) => format!("id = {id}"),
            CheckKey::Uuid(uuid) => format!("uuid = '{uuid}'"),
        }
    }
}

/// What a state write found when it read the check: it applies only if the
/// row still holds these, so a write computed from a stale read never lands.
#[derive(Clone, Copy, Debug)]
pub struct Expected {
    pub config_version: i64,
    pub status: Status,
    pub last_start: Option<Timestamp>,
    pub last_start_rid: Option<Uuid>,
    /// Only for decisions that read the last ping (a start, an edit).
    pub last_ping: Option<Option<Timestamp>>,
    pub failures: i64,
    pub successes: i64,
    pub muted_until: Option<Timestamp>,
    /// What the check's channels listened for (`EventSet::to_bits`), when
    /// the decision read it; `None` for a check created in the same batch.
    pub listeners: Option<i64>,
}

impl Expected {
    /// The state `check` was read with; `with_last_ping` when the decision
    /// depends on the last ping too.
    pub fn of(check: &Check, with_last_ping: bool) -> Expected {
        let state = &check.state;
        Expected {
            config_version: check.config_version,
            status: state.status,
            last_start: state.last_start,
            last_start_rid: state.last_start_rid,
            last_ping: with_last_ping.then_some(state.last_ping),
            failures: state.failures,
            successes: state.successes,
            muted_until: state.muted_until,
            listeners: Some(check.listeners.to_bits()),
        }
    }

    /// An up check not running a job, with no failure counted and no mute,
    /// at this configuration, its channels listening for `listeners`.
    pub fn idle_up(config_version: i64, listeners: &EventSet) -> Expected {
        Expected {
            config_version,
            status: Status::Up,
            last_start: None,
            last_start_rid: None,
            last_ping: None,
            failures: 0,
            successes: 0,
            muted_until: None,
            listeners: Some(listeners.to_bits()),
        }
    }

    /// A check just created in the same batch (its links, made in the batch
    /// too, decide its listeners).
    pub fn new_check() -> Expected {
        Expected { listeners: None, ..Expected::idle_up(0, &EventSet::default()).with_status(Status::New) }
    }

    fn with_status(self, status: Status) -> Expected {
        Expected { status, ..self }
    }

    /// The SQL condition (numbers, enum words and UUIDs only).
    pub(super) fn condition(&self) -> String {
        let is = |value: Option<String>| value.unwrap_or_else(|| "NULL".into());
        let mut sql = format!(
            "config_version = {} AND status = '{}' AND last_start IS {} AND last_start_rid IS {} \
             AND failures = {} AND successes = {} AND muted_until IS {}",
            self.config_version,
            self.status.as_str(),
            is(self.last_start.map(|t| t.millis().to_string())),
            is(self.last_start_rid.map(|r| format!("'{r}'"))),
            self.failures,
            self.successes,
            is(self.muted_until.map(|t| t.millis().to_string())),
        );
        if let Some(last_ping) = self.last_ping {
            sql.push_str(&format!(" AND last_ping IS {}", is(last_ping.map(|t| t.millis().to_string()))));
        }
        if let Some(listeners) = self.listeners {
            sql.push_str(&format!(" AND listeners = {listeners}"));
        }
        sql
    }
}

impl Store {
    pub(super) fn select_checks(&self, condition: &str) -> String {
        format!("SELECT {CHECK_COLUMNS} FROM checks c WHERE {condition}")
    }

    async fn one_check(&self, condition: &str, args: &[JsValue]) -> Result<Option<Check>, StoreError> {
        let rows: Vec<CheckRow> = self.rows(&self.select_checks(condition), args).await?;
        rows.into_iter().next().map(CheckRow::into_check).transpose()
    }

    pub async fn check_by_uuid(&self, uuid: &Uuid) -> Result<Option<Check>, StoreError> {
        self.one_check("c.uuid = ?1", &[text(&uuid.to_string())]).await
    }

    /// A project's check by the unique key read-only keys see, through its
    /// index. Rows made before the column existed get theirs on first use.
    pub async fn check_by_unique_key(&self, project_id: &str, key: &str) -> Result<Option<Check>, StoreError> {
        let condition = "c.project_id = ?1 AND c.unique_key = ?2";
        if let Some(check) = self.one_check(condition, &[text(project_id), text(key)]).await? {
            return Ok(Some(check));
        }
        #[derive(Deserialize)]
        struct Missing {
            id: i64,
            uuid: String,
        }
        let missing: Vec<Missing> = self
            .rows("SELECT id, uuid FROM checks WHERE project_id = ?1 AND unique_key IS NULL", &[text(project_id)])
            .await?;
        if missing.is_empty() {
            return Ok(None);
        }
        let updates = missing
            .iter()
            .filter_map(|m| Some((m.id, unique_key(&Uuid::parse(&m.uuid)?))))
            .map(|(id, key)| self.statement("UPDATE checks SET unique_key = ?2 WHERE id = ?1", &[int(id), text(&key)]))
            .collect::<Result<Vec<_>, _>>()?;
        self.batch(updates).await?;
        self.one_check(condition, &[text(project_id), text(key)]).await
    }

    /// The project's checks, oldest first. A row that cannot be read is
    /// logged by the caller and left out, never failing the whole list.
    pub async fn list_checks(&self, project_id: &str) -> Result<(Vec<Check>, Vec<StoreError>), StoreError> {
        let sql = self.select_checks("c.project_id = ?1 ORDER BY c.id");
        let rows: Vec<Value> = self.rows(&sql, &[text(project_id)]).await?;
        Ok(split_readable(rows))
    }

    /// The project's checks without their descriptions (which can be large
    /// and badges and metrics never show), oldest first.
    pub async fn list_check_states(&self, project_id: &str) -> Result<(Vec<Check>, Vec<StoreError>), StoreError> {
        let columns = CHECK_COLUMNS.replace("c.desc", "'' AS desc");
        let sql = format!("SELECT {columns} FROM checks c WHERE c.project_id = ?1 ORDER BY c.id");
        let rows: Vec<Value> = self.rows(&sql, &[text(project_id)]).await?;
        Ok(split_readable(rows))
    }

    /// Channel ids of each of the project's checks, sorted, by check id.
    pub async fn channel_links(&self, project_id: &str) -> Result<Vec<(i64, String)>, StoreError> {
        #[derive(Deserialize)]
        struct Link {
            check_id: i64,
            channel_id: String,
        }
        let links: Vec<Link> = self
            .rows(
                "SELECT l.check_id, l.channel_id FROM check_channels l JOIN checks c ON c.id = l.check_id \
                 WHERE c.project_id = ?1 ORDER BY l.check_id, l.channel_id",
                &[text(project_id)],
            )
            .await?;
        Ok(links.into_iter().map(|l| (l.check_id, l.channel_id)).collect())
    }

    /// The distinct tag texts of a project's checks (no other column).
    pub async fn tag_texts(&self, project_id: &str) -> Result<Vec<String>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            tags: String,
        }
        let rows: Vec<Row> =
            self.rows("SELECT DISTINCT tags FROM checks WHERE project_id = ?1", &[text(project_id)]).await?;
        Ok(rows.into_iter().map(|r| r.tags).collect())
    }

    pub async fn count_checks(&self, project_id: &str) -> Result<i64, StoreError> {
        self.count("SELECT count(*) AS n FROM checks WHERE project_id = ?1", &[text(project_id)]).await
    }

    pub async fn check_by_badge_key(&self, badge_key: &str) -> Result<Option<Check>, StoreError> {
        self.one_check("c.badge_key = ?1", &[text(badge_key)]).await
    }

    fn link_statements(&self, uuid: &Uuid, channels: &[String]) -> Result<Vec<D1PreparedStatement>, StoreError> {
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

    /// The INSERT of a new check with every column from the domain's
    /// configuration, when `condition` (on `projects p`) holds.
    pub(super) fn insert_check_statement(
        &self,
        uuid: &Uuid,
        config: &CheckConfig,
        project_condition: &str,
        project_args: &[JsValue],
        now: Timestamp,
    ) -> Result<D1PreparedStatement, StoreError> {
        let values = config_values(config);
        let first = project_args.len() + 1;
        let columns: Vec<&str> = values.iter().map(|(column, _)| *column).collect();
        let placeholders: Vec<String> = (0..values.len() + 3).map(|i| format!("?{}", first + i)).collect();
        let sql = format!(
            "INSERT INTO checks (uuid, unique_key, created_at, {}, badge_key, project_id) \
             SELECT {}, lower(hex(randomblob(16))), p.id FROM projects p WHERE {project_condition}",
            columns.join(", "),
            placeholders.join(", "),
        );
        let mut args = project_args.to_vec();
        args.extend([text(&uuid.to_string()), text(&unique_key(uuid)), time(now)]);
        args.extend(values.into_iter().map(|(_, value)| value));
        self.statement(&sql, &args)
    }

    /// Creates a check with its channel links if the project has fewer than
    /// `max_checks` checks and (for a `unique` upsert) none that holds
    /// `unique`: both are conditions of the INSERT itself, so concurrent
    /// creates cannot pass them together. Returns whether it created.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_check(
        &self,
        uuid: &Uuid,
        project_id: &str,
        config: &CheckConfig,
        channels: &[String],
        unique: Option<&[UniqueValue<'_>]>,
        max_checks: i64,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut condition = "p.id = ?1 AND (SELECT count(*) FROM checks WHERE project_id = p.id) < ?2".to_owned();
        let mut args = vec![text(project_id), int(max_checks)];
        if let Some(values) = unique {
            let mut matching = Vec::with_capacity(values.len());
            for value in values {
                let n = args.len() + 1;
                let (sql, arg) = match *value {
                    UniqueValue::Name(name) => (format!("name = ?{n}"), text(name)),
                    UniqueValue::Slug(slug) => (format!("slug = ?{n}"), text(slug)),
                    UniqueValue::Tags(tags) => (format!("tags = ?{n}"), text(tags)),
                    UniqueValue::Timeout(timeout) => (format!("kind = 'simple' AND timeout = ?{n}"), int(timeout)),
                    UniqueValue::Grace(grace) => (format!("grace = ?{n}"), int(grace)),
                };
                matching.push(sql);
                args.push(arg);
            }
            condition.push_str(&format!(
                " AND NOT EXISTS (SELECT 1 FROM checks WHERE project_id = p.id AND {})",
                matching.join(" AND ")
            ));
        }
        let mut statements = vec![self.insert_check_statement(uuid, config, &condition, &args, now)?];
        statements.extend(self.link_statements(uuid, channels)?);
        let results = self.batch(statements).await?;
        Ok(changes(results.first()) > 0)
    }

    /// Stores an edited configuration and the deadline it implies, if the
    /// check is still as read; replaces the channel links when given.
    /// Returns whether it was written.
    pub async fn update_check(
        &self,
        check: &Check,
        expected: &Expected,
        config: &CheckConfig,
        alert_after: Option<Timestamp>,
        next_event_at: Option<Timestamp>,
        channels: Option<&[String]>,
    ) -> Result<bool, StoreError> {
        let values = config_values(config);
        let assignments: Vec<String> =
            values.iter().enumerate().map(|(i, (column, _))| format!("{column} = ?{}", i + 4)).collect();
        // The version bump tells isolates holding the old configuration to re-read it.
        let sql = format!(
            "UPDATE checks SET alert_after = ?2, next_event_at = ?3, config_version = config_version + 1, {} \
             WHERE id = ?1 AND {}",
            assignments.join(", "),
            expected.condition()
        );
        let mut args = vec![int(check.id), opt_time(alert_after), opt_time(next_event_at)];
        args.extend(values.into_iter().map(|(_, value)| value));
        let mut statements = vec![self.statement(&sql, &args)?];
        if let Some(channels) = channels {
            // Only when the update above landed (its version is then one higher).
            let guard = format!("config_version = {}", expected.config_version + 1);
            statements.push(self.statement(
                &format!("DELETE FROM check_channels WHERE check_id = ?1 AND EXISTS (SELECT 1 FROM checks WHERE id = ?1 AND {guard})"),
                &[int(check.id)],
            )?);
            for channel in channels {
                statements.push(self.statement(
                    &format!("INSERT INTO check_channels (check_id, channel_id) SELECT id, ?2 FROM checks WHERE id = ?1 AND {guard}"),
                    &[int(check.id), text(channel)],
                )?);
            }
        }
        let results = self.batch(statements).await?;
        Ok(changes(results.first()) > 0)
    }

    pub async fn delete_check(&self, check: &Check) -> Result<(), StoreError> {
        self.run("DELETE FROM checks WHERE id = ?1", &[int(check.id)]).await.map(drop)
    }

    /// Writes a transition the domain decided (pause, resume) and its flip,
    /// if the check is still as read. Returns whether it was written.
    pub async fn write_transition(
        &self,
        check: &Check,
        expected: &Expected,
        transition: &Transition,
        flip_id: &str,
    ) -> Result<bool, StoreError> {
        let key = CheckKey::Id(check.id);
        let condition = format!("{} AND {}", key.condition(), expected.condition());
        let mut statements = Vec::new();
        if let Some(flip) = &transition.flip {
            statements.push(self.flip_statement(&condition, flip_id, flip, false)?);
        }
        let (assignments, args) =
            state_assignments(&transition.state, transition.alert_after, transition.flip.map(|f| f.at), 1);
        statements.push(self.statement(&format!("UPDATE checks SET {assignments} WHERE {condition}"), &args)?);
        let results = self.batch(statements).await?;
        Ok(changes(results.last()) > 0)
    }

    /// Finds checks by ping key and slug (at most two, to see ambiguity).
    pub async fn checks_by_slug(&self, ping_key_hash: &str, slug: &str) -> Result<Vec<Check>, StoreError> {
        let sql = format!(
            "SELECT {CHECK_COLUMNS} FROM checks c JOIN projects p ON p.id = c.project_id \
             WHERE p.ping_key_hash = ?1 AND c.slug = ?2 ORDER BY c.id LIMIT 2"
        );
        let result = self.run(&sql, &[text(ping_key_hash), text(slug)]).await?;
        typed::<CheckRow>(&result)?.into_iter().map(CheckRow::into_check).collect()
    }
}
