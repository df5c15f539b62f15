//! The check row: its columns, reading it back into a `Check`, the values
//! that write its configuration and its state, and the conditions on what
//! a decision read of it.

use super::{is_time, literal, Arg};
use crate::domain::check::{AlertPolicy, Check, CheckConfig, CheckState, Monitoring, Status, Tags};
use crate::domain::ids::Uuid;
use crate::domain::ping::PingRules;
use crate::domain::plan::{Deadlines, Expected};
use crate::domain::routing::Routes;
use crate::domain::time::Timestamp;
use crate::store::StoreError;
use serde::Deserialize;
use serde_json::Value;

/// The columns of a check row, as `CheckRow` reads them.
pub const CHECK_COLUMNS: &str = "c.id, c.uuid, c.project_id, c.name, c.slug, c.tags, c.desc, c.kind, \
     c.timeout, c.grace, c.schedule, c.tz, c.manual_resume, c.methods, c.start_kw, c.success_kw, c.failure_kw, \
     c.filter_subject, c.filter_body, c.filter_http_body, c.filter_default_fail, c.status, c.last_ping, \
     c.last_start, c.last_start_rid, c.last_duration, c.n_pings, c.alert_after, c.badge_key, c.config_version, \
     c.failure_threshold, c.recovery_threshold, c.max_runtime, c.min_runtime, c.reminder_interval, c.failures, \
     c.successes, c.next_event_at, c.muted_until, c.routes, c.expect_first_ping, c.waiting_since, c.created_at, \
     c.status_changed_at";

#[derive(Deserialize)]
pub struct CheckRow {
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
    routes: String,
    expect_first_ping: i64,
    waiting_since: Option<i64>,
    created_at: i64,
    status_changed_at: Option<i64>,
}

impl CheckRow {
    pub fn into_check(self) -> Result<Check, StoreError> {
        let corrupt = |what: String| StoreError::Corrupt(format!("check {}: {what}", self.id));
        let uuid = Uuid::parse(&self.uuid).ok_or_else(|| corrupt(format!("uuid {:?}", self.uuid)))?;
        let status = Status::parse(&self.status).ok_or_else(|| corrupt(format!("status {:?}", self.status)))?;
        let routes = Routes::from_stored(&self.routes).map_err(corrupt)?;
        let mut monitoring = Monitoring::from_stored(&self.kind, self.timeout, &self.schedule, &self.tz, self.grace)
            .map_err(|e| corrupt(e.to_string()))?;
        monitoring.manual_resume = self.manual_resume != 0;
        monitoring.expect_first_ping = self.expect_first_ping != 0;
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
            waiting_since: self.waiting_since.map(Timestamp::from_millis),
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
            routes,
            created_at: Timestamp::from_millis(self.created_at),
            status_changed_at: self.status_changed_at.map(Timestamp::from_millis),
        })
    }
}

/// Reads a check from a JSON row, or says why it cannot.
pub fn check_of(row: Value) -> Result<Check, StoreError> {
    serde_json::from_value::<CheckRow>(row).map_err(|e| StoreError::Corrupt(e.to_string()))?.into_check()
}

/// The checks of rows that can be read, and the problems of those that cannot.
pub fn split_readable(rows: Vec<Value>) -> (Vec<Check>, Vec<StoreError>) {
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
pub fn config_values(config: &CheckConfig) -> Vec<(&'static str, Arg)> {
    let monitoring = &config.monitoring;
    let rules = &config.ping_rules;
    let (timeout, schedule) = monitoring.schedule.stored();
    vec![
        ("name", Arg::text(&config.name)),
        ("slug", Arg::text(&config.slug)),
        ("tags", Arg::text(config.tags.as_str())),
        ("desc", Arg::text(&config.desc)),
        ("kind", Arg::text(monitoring.schedule.kind())),
        ("timeout", Arg::Int(timeout)),
        ("grace", Arg::Int(monitoring.grace)),
        ("schedule", Arg::text(schedule)),
        ("tz", Arg::text(monitoring.zone.name())),
        ("manual_resume", Arg::flag(monitoring.manual_resume)),
        ("expect_first_ping", Arg::flag(monitoring.expect_first_ping)),
        ("methods", Arg::text(config.methods())),
        ("start_kw", Arg::text(&rules.start_kw)),
        ("success_kw", Arg::text(&rules.success_kw)),
        ("failure_kw", Arg::text(&rules.failure_kw)),
        ("filter_subject", Arg::flag(config.filter_subject)),
        ("filter_body", Arg::flag(config.filter_body)),
        ("filter_http_body", Arg::flag(rules.filter_http_body)),
        ("filter_default_fail", Arg::flag(rules.filter_default_fail)),
        ("failure_threshold", Arg::Int(monitoring.policy.failure_threshold)),
        ("recovery_threshold", Arg::Int(monitoring.policy.recovery_threshold)),
        ("max_runtime", Arg::opt_int(monitoring.policy.max_runtime)),
        ("min_runtime", Arg::opt_int(monitoring.policy.min_runtime)),
        ("reminder_interval", Arg::Int(monitoring.policy.reminder_interval)),
    ]
}

/// The columns a state write sets, with their values: the whole state the
/// domain decided, its deadline, the sweep's deadline (the earlier of the
/// two, from the plan), and (with a flip) when the status changed, kept as
/// it was otherwise.
pub fn state_values(
    state: &CheckState,
    alert_after: Option<Timestamp>,
    sweep_at: Option<Timestamp>,
    changed_at: Option<Timestamp>,
) -> Vec<(&'static str, Arg)> {
    vec![
        ("status", Arg::text(state.status.as_str())),
        ("last_ping", Arg::opt_time(state.last_ping)),
        ("last_start", Arg::opt_time(state.last_start)),
        ("last_start_rid", Arg::opt_text(state.last_start_rid.map(|r| r.to_string()).as_deref())),
        ("last_duration", Arg::opt_int(state.last_duration)),
        ("alert_after", Arg::opt_time(alert_after)),
        ("failures", Arg::Int(state.failures)),
        ("successes", Arg::Int(state.successes)),
        ("next_event_at", Arg::opt_time(state.next_event_at)),
        ("muted_until", Arg::opt_time(state.muted_until)),
        ("waiting_since", Arg::opt_time(state.waiting_since)),
        ("sweep_at", Arg::opt_time(sweep_at)),
        // Written as `coalesce(?, status_changed_at)`: see `assignments`.
        ("status_changed_at", Arg::opt_time(changed_at)),
    ]
}

/// `SET` assignments for `values`, placeholders from `?{first}`; the
/// status change time is kept when none is given.
pub fn assignments(values: &[(&'static str, Arg)], first: usize) -> Vec<String> {
    values
        .iter()
        .enumerate()
        .map(|(i, (column, _))| match *column {
            "status_changed_at" => format!("status_changed_at = coalesce(?{}, status_changed_at)", first + i),
            column => format!("{column} = ?{}", first + i),
        })
        .collect()
}

/// The SQL condition that a check row still holds what a decision read
/// (numbers, enum words and UUIDs the store wrote, quoted).
pub fn expected_condition(expected: &Expected) -> String {
    // The uuid too: SQLite gives a deleted check's row id to the next check.
    let mut sql = format!(
        "uuid = {} AND config_version = {} AND status = {} AND last_start IS {} AND last_start_rid IS {} \
         AND failures = {} AND successes = {} AND muted_until IS {}",
        literal(&expected.uuid.to_string()),
        expected.config_version,
        literal(expected.status.as_str()),
        is_time(expected.last_start),
        expected.last_start_rid.map_or_else(|| "NULL".to_owned(), |r| literal(&r.to_string())),
        expected.failures,
        expected.successes,
        is_time(expected.muted_until),
    );
    if let Some(last_ping) = expected.last_ping {
        sql.push_str(&format!(" AND last_ping IS {}", is_time(last_ping)));
    }
    sql
}

/// The SQL condition that a check row's deadlines are still `deadlines`.
pub fn deadlines_condition(deadlines: &Deadlines) -> String {
    format!(
        "alert_after IS {} AND next_event_at IS {}",
        is_time(deadlines.alert_after),
        is_time(deadlines.next_event_at)
    )
}
