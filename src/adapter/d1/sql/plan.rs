//! A plan as one D1 batch (one round trip, one transaction) of statements,
//! each conditional on the plan's conditions, in the order the contract of
//! `CheckStore::apply` gives: the new check, the ping into its ring slot,
//! the flip and its notifications, each event and its notifications, the
//! check's row, and the project's routing version.
//!
//! Every statement before the check's own UPDATE reads the check row as it
//! was before the plan (nothing else in the batch changes it), so each
//! carries the same condition; the UPDATE, which changes what the condition
//! reads, comes last. Notifications are gated on their flip or event row
//! and the same condition. Recipients come from the plan, as a JSON array
//! (`json_each`), never looked up in SQL.
//!
//! A plan guarded by the project's routing version `v` first claims it: it
//! sets it to `-1 - v` (a value no stored version has outside a batch) if
//! every condition holds, every later statement requires that claim, and
//! the last one sets the version to `v + 1`. A condition that a write would
//! change (the check limit, a slug that must be free, the row a write
//! rewrites) is so read only once, before anything is written.

use super::rows::{assignments, config_values, deadlines_condition, expected_condition, state_values};
use super::{literal, Arg, Statement};
use crate::domain::api::spec::UniqueValue;
use crate::domain::plan::{
    ChannelChange, ChannelPlan, CheckPlan, Expect, FailingMark, NewCheck, Owner, RoutingGuard, RunReport, StateWrite,
    Target,
};
use crate::domain::time::Timestamp;

/// How the batch's results tell whether the plan's conditions held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Witness {
    /// This statement changed a row.
    Changed(usize),
    /// This statement returned a row: the INSERT of a new check (`RETURNING
    /// id`), or a plain SELECT for a plan that writes nothing.
    Returned(usize),
}

/// The statements of a check plan.
#[derive(Clone, Debug)]
pub struct CheckBatch {
    pub statements: Vec<Statement>,
    pub witness: Witness,
    /// The INSERT of a new check, which returns its id (`RETURNING id`).
    pub insert: Option<usize>,
    /// For a plan with a run report on a stored check: the SELECT that
    /// returns `reported = 1` when the check had that report before the
    /// batch (the plan then wrote nothing).
    pub seen: Option<usize>,
}

/// The run report's row, as a condition on a statement over `checks`: it
/// exists, and this plan wrote it (its token).
fn report_written(report: &RunReport) -> String {
    format!(
        "EXISTS (SELECT 1 FROM run_reports WHERE check_id = checks.id AND rid = {} AND edge = {} AND token = {})",
        literal(&report.rid.to_string()),
        literal(report.edge.as_str()),
        literal(&report.token)
    )
}

/// Whether the check had the run report before the batch.
fn report_seen(id: i64, report: &RunReport) -> Statement {
    Statement::new(
        format!(
            "SELECT EXISTS (SELECT 1 FROM run_reports WHERE check_id = {id} AND rid = {} AND edge = {}) AS reported",
            literal(&report.rid.to_string()),
            literal(report.edge.as_str())
        ),
        Vec::new(),
    )
}

/// Records the run report if the plan's conditions hold and the check has
/// none of that run and edge (the primary key ignores a second).
fn report_insert(report: &RunReport, at: Timestamp, condition: &str) -> Statement {
    Statement::new(
        format!(
            "INSERT INTO run_reports (check_id, rid, edge, token, created_at) \
             SELECT id, ?1, ?2, ?3, ?4 FROM checks WHERE {condition} ON CONFLICT DO NOTHING"
        ),
        vec![
            Arg::Text(report.rid.to_string()),
            Arg::text(report.edge.as_str()),
            Arg::text(&report.token),
            Arg::time(at),
        ],
    )
}

/// The condition a statement puts on the project's routing while a plan
/// holds its claim.
fn claim_held(guard: &RoutingGuard) -> String {
    format!("(SELECT routing_version FROM projects WHERE id = {}) = {}", literal(&guard.project_id), -1 - guard.version)
}

fn claim_statement(guard: &RoutingGuard, condition: &str, args: Vec<Arg>) -> Statement {
    Statement::new(
        format!(
            "UPDATE projects SET routing_version = {} WHERE id = {} AND routing_version = {} AND {condition}",
            -1 - guard.version,
            literal(&guard.project_id),
            guard.version
        ),
        args,
    )
}

fn release_statement(guard: &RoutingGuard) -> Statement {
    Statement::new(
        format!(
            "UPDATE projects SET routing_version = {} WHERE id = {} AND routing_version = {}",
            guard.version + 1,
            literal(&guard.project_id),
            -1 - guard.version
        ),
        Vec::new(),
    )
}

/// The conditions on the owner of a new check (on `projects p`), with the
/// arguments they bind, numbered from `?first` on: the owner, the check
/// limit, a free slug, and no check holding the `unique` values (bound, as
/// names and tags are free text).
fn owner_condition(new: &NewCheck, first: usize) -> (String, Vec<Arg>) {
    let owner = match &new.owner {
        Owner::Project(id) => format!("p.id = {}", literal(id)),
        Owner::PingKey(hash) => format!("p.ping_key_hash = {}", literal(hash)),
    };
    let mut sql = format!("{owner} AND (SELECT count(*) FROM checks WHERE project_id = p.id) < {}", new.max_checks);
    if new.slug_must_be_free {
        sql.push_str(&format!(
            " AND NOT EXISTS (SELECT 1 FROM checks WHERE project_id = p.id AND slug = {})",
            literal(&new.config.slug)
        ));
    }
    let mut args = Vec::new();
    if !new.unique.is_empty() {
        let mut matching = Vec::with_capacity(new.unique.len());
        for value in &new.unique {
            let n = first + args.len();
            let (column, arg) = match value {
                UniqueValue::Name(name) => (format!("name = ?{n}"), Arg::text(name)),
                UniqueValue::Slug(slug) => (format!("slug = ?{n}"), Arg::text(slug)),
                UniqueValue::Tags(tags) => (format!("tags = ?{n}"), Arg::text(tags)),
                UniqueValue::Timeout(timeout) => (format!("kind = 'simple' AND timeout = ?{n}"), Arg::Int(*timeout)),
                UniqueValue::Grace(grace) => (format!("grace = ?{n}"), Arg::Int(*grace)),
            };
            matching.push(column);
            args.push(arg);
        }
        sql.push_str(&format!(
            " AND NOT EXISTS (SELECT 1 FROM checks WHERE project_id = p.id AND {})",
            matching.join(" AND ")
        ));
    }
    (sql, args)
}

/// The condition on the check row: it is the plan's check and holds what
/// the plan expects of it. A new check is named by its uuid (fresh, so the
/// row exists only if this batch created it).
fn row_condition(plan: &CheckPlan) -> String {
    match &plan.target {
        Target::New(new) => format!("uuid = {}", literal(&new.uuid.to_string())),
        Target::Existing(id) => match &plan.expect {
            Expect::Nothing => format!("id = {id}"),
            Expect::Row(e) => format!("id = {id} AND {}", expected_condition(e)),
            Expect::RowAndDeadlines(e, d) => {
                format!("id = {id} AND {} AND {}", deadlines_condition(d), expected_condition(e))
            }
            Expect::Deadlines(d) => format!("id = {id} AND {}", deadlines_condition(d)),
        },
    }
}

fn insert_check(new: &NewCheck, claim: Option<&str>) -> Statement {
    let values = config_values(&new.config);
    let columns: Vec<&str> = values.iter().map(|(column, _)| *column).collect();
    let placeholders: Vec<String> = (1..=values.len() + 5).map(|i| format!("?{i}")).collect();
    let claim = claim.map(|c| format!(" AND {c}")).unwrap_or_default();
    let (owner, owner_args) = owner_condition(new, values.len() + 6);
    let sql = format!(
        "INSERT INTO checks (uuid, unique_key, badge_key, routes, created_at, {}, project_id) \
         SELECT {}, p.id FROM projects p WHERE {owner}{claim} RETURNING id",
        columns.join(", "),
        placeholders.join(", "),
    );
    let mut args = vec![
        Arg::Text(new.uuid.to_string()),
        Arg::text(&new.unique_key),
        Arg::text(&new.badge_key),
        Arg::Text(new.routes.to_stored()),
        Arg::time(new.created_at),
    ];
    args.extend(values.into_iter().map(|(_, value)| value));
    args.extend(owner_args);
    Statement::new(sql, args)
}

/// The outbox rows of a flip or event: one per recipient, only if its row
/// exists and the plan's conditions hold (so a flip row written before, by
/// the same plan applied once already, queues nothing again). A coalescing
/// event's rows carry its kind, and the unique index on pending rows with a
/// key ignores one that would wait beside another of the same kind for the
/// same check and channel.
fn notifications(
    id: &str,
    recipients: &[String],
    coalesce_key: Option<&str>,
    at: Timestamp,
    condition: &str,
) -> Statement {
    let or_ignore = if coalesce_key.is_some() { " OR IGNORE" } else { "" };
    Statement::new(
        format!(
            "INSERT{or_ignore} INTO notifications \
             (flip_id, channel_id, check_id, project_id, created_at, next_attempt_at, coalesce_key) \
             SELECT f.id, r.value, f.check_id, c.project_id, ?2, ?2, ?3 \
             FROM flips f JOIN checks c ON c.id = f.check_id, json_each(?4) r \
             WHERE f.id = ?1 AND EXISTS (SELECT 1 FROM checks WHERE {condition})"
        ),
        vec![
            Arg::text(id),
            Arg::time(at),
            Arg::opt_text(coalesce_key),
            Arg::Text(serde_json::to_string(recipients).unwrap_or_else(|_| "[]".into())),
        ],
    )
}

fn ping_statement(plan: &CheckPlan, condition: &str) -> Option<Statement> {
    let ping = plan.ping.as_ref()?;
    // The ping is n_pings + 1 of the row as it was, and takes that number's
    // slot of the ring in place (replacing the ping `history` before it).
    Some(Statement::new(
        format!(
            "INSERT INTO pings (check_id, slot, n, created_at, kind, scheme, method, ua, remote_addr, exit_status, rid, body) \
             SELECT id, (n_pings + 1) % ?10, n_pings + 1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 FROM checks WHERE {condition} \
             ON CONFLICT (check_id, slot) DO UPDATE SET n = excluded.n, created_at = excluded.created_at, \
             kind = excluded.kind, scheme = excluded.scheme, method = excluded.method, ua = excluded.ua, \
             remote_addr = excluded.remote_addr, exit_status = excluded.exit_status, rid = excluded.rid, \
             body = excluded.body"
        ),
        vec![
            Arg::time(ping.at),
            Arg::text(ping.kind.as_str()),
            Arg::text(&ping.scheme),
            Arg::text(&ping.method),
            Arg::text(&ping.ua),
            Arg::opt_text(ping.remote_addr.as_deref()),
            Arg::opt_int(ping.exit_status.map(i64::from)),
            Arg::opt_text(ping.rid.map(|r| r.to_string()).as_deref()),
            if ping.body.is_empty() { Arg::Null } else { Arg::Blob(ping.body.clone()) },
            Arg::Int(ping.history.max(1)),
        ],
    ))
}

/// The state the plan writes, with the reschedule folded into its deadlines.
fn state_write(plan: &CheckPlan) -> Option<StateWrite> {
    let mut write = plan.state.clone()?;
    if let Some(at) = plan.reschedule {
        write.alert_after = write.alert_after.map(|_| at);
        write.state.next_event_at = write.state.next_event_at.map(|_| at);
    }
    Some(write)
}

/// The check row's own UPDATE: the ping count, the state, the
/// configuration, the reschedule; `None` when the plan changes none.
fn row_update(plan: &CheckPlan, condition: &str) -> Option<Statement> {
    fn push(sets: &mut Vec<String>, args: &mut Vec<Arg>, values: Vec<(&'static str, Arg)>) {
        sets.extend(assignments(&values, args.len() + 1));
        args.extend(values.into_iter().map(|(_, value)| value));
    }
    let mut sets: Vec<String> = Vec::new();
    let mut args: Vec<Arg> = Vec::new();
    if plan.ping.is_some() {
        sets.push("n_pings = n_pings + 1".into());
    }
    if let Some(write) = state_write(plan) {
        let sweep_at = write.deadlines().sweep_at();
        push(&mut sets, &mut args, state_values(&write.state, write.alert_after, sweep_at, write.changed_at));
    } else if plan.reschedule.is_some() {
        let at = plan.reschedule.map(Arg::time).unwrap_or(Arg::Null);
        let n = args.len() + 1;
        sets.push(format!(
            "alert_after = CASE WHEN alert_after IS NULL THEN NULL ELSE ?{n} END, \
             next_event_at = CASE WHEN next_event_at IS NULL THEN NULL ELSE ?{n} END, \
             sweep_at = CASE WHEN alert_after IS NULL AND next_event_at IS NULL THEN NULL ELSE ?{n} END"
        ));
        args.push(at);
    }
    if let Some(config) = &plan.config {
        // The version bump tells isolates holding the old configuration to read it again.
        sets.push("config_version = config_version + 1".into());
        let mut values = config_values(&config.config);
        if let Some(routes) = &config.routes {
            values.push(("routes", Arg::Text(routes.to_stored())));
        }
        push(&mut sets, &mut args, values);
    }
    if sets.is_empty() {
        return None;
    }
    Some(Statement::new(format!("UPDATE checks SET {} WHERE {condition}", sets.join(", ")), args))
}

/// The batch that carries out `plan`.
pub fn check_batch(plan: &CheckPlan) -> CheckBatch {
    let mut statements = Vec::new();
    let mut witness = None;
    let guard = plan.routing.as_ref();
    let claim = guard.map(claim_held);
    let mut condition = row_condition(plan);
    if let Some(claim) = &claim {
        condition = format!("{condition} AND {claim}");
    }
    if let Some(guard) = guard {
        let (source, args) = match &plan.target {
            Target::New(new) => {
                let (owner, args) = owner_condition(new, 1);
                (format!("projects p WHERE {owner}"), args)
            }
            Target::Existing(_) => (format!("checks WHERE {}", row_condition(plan)), Vec::new()),
        };
        witness = Some(Witness::Changed(0));
        statements.push(claim_statement(guard, &format!("EXISTS (SELECT 1 FROM {source})"), args));
    }
    let mut insert = None;
    if let Target::New(new) = &plan.target {
        insert = Some(statements.len());
        witness = witness.or(Some(Witness::Returned(statements.len())));
        statements.push(insert_check(new, claim.as_deref()));
    }
    // A run report comes first of what the plan writes: only if this batch
    // recorded it is anything else written (every later statement requires
    // the row with this plan's token), and whether it did is the witness.
    let mut seen = None;
    if let Some(report) = &plan.run_report {
        if let Target::Existing(id) = plan.target {
            seen = Some(statements.len());
            statements.push(report_seen(id, report));
        }
        witness = Some(Witness::Changed(statements.len()));
        statements.push(report_insert(report, plan.at, &condition));
        condition = format!("{condition} AND {}", report_written(report));
    }
    let mut changed = |statements: &mut Vec<Statement>, statement: Statement| {
        witness = witness.or(Some(Witness::Changed(statements.len())));
        statements.push(statement);
    };
    if let Some(statement) = ping_statement(plan, &condition) {
        changed(&mut statements, statement);
    }
    // Both flips and events belong to the ping counted by this plan, if any.
    let ping_n = if plan.ping.is_some() { "n_pings + 1" } else { "n_pings" };
    if let Some(flip) = &plan.flip {
        let f = &flip.flip;
        changed(
            &mut statements,
            Statement::new(
                format!(
                    "INSERT INTO flips (id, check_id, created_at, old_status, new_status, reason, previous_change_at, ping_n) \
                     SELECT ?1, id, ?2, ?3, ?4, ?5, status_changed_at, {ping_n} FROM checks WHERE {condition}"
                ),
                vec![
                    Arg::text(&flip.id),
                    Arg::time(f.at),
                    Arg::text(f.from.as_str()),
                    Arg::text(f.to.as_str()),
                    Arg::Text(f.reason.code()),
                ],
            ),
        );
        if !flip.recipients.is_empty() {
            statements.push(notifications(&flip.id, &flip.recipients, None, plan.at, &condition));
        }
    }
    for event in &plan.events {
        // Both statuses are the one the plan leaves the check in.
        let status = plan.state.as_ref().map_or_else(|| "status".to_owned(), |s| literal(s.state.status.as_str()));
        changed(
            &mut statements,
            Statement::new(
                format!(
                    "INSERT INTO flips (id, check_id, created_at, old_status, new_status, reason, previous_change_at, ping_n, event) \
                     SELECT ?1, id, ?2, {status}, {status}, ?3, status_changed_at, {ping_n}, ?4 FROM checks WHERE {condition}"
                ),
                vec![
                    Arg::text(&event.id),
                    Arg::time(event.event.at),
                    Arg::Text(event.event.reason.code()),
                    Arg::text(event.event.kind.as_str()),
                ],
            ),
        );
        if !event.recipients.is_empty() {
            let key = event.coalesce.then(|| event.event.kind.as_str());
            statements.push(notifications(&event.id, &event.recipients, key, plan.at, &condition));
        }
    }
    // The log entry reads the row as it was, so it goes before the UPDATE.
    if let Some(entry) = &plan.audit {
        statements
            .push(super::people::audit_insert(entry, &format!("EXISTS (SELECT 1 FROM checks WHERE {condition})")));
    }
    if let Some(update) = row_update(plan, &condition) {
        changed(&mut statements, update);
    }
    if let Some(guard) = guard {
        statements.push(release_statement(guard));
    }
    let witness = witness.unwrap_or_else(|| {
        // Nothing to write: only whether the conditions hold.
        statements.push(Statement::new(format!("SELECT id FROM checks WHERE {condition}"), Vec::new()));
        Witness::Returned(statements.len() - 1)
    });
    CheckBatch { statements, witness, insert, seen }
}

/// The statements of a channel plan.
#[derive(Clone, Debug)]
pub struct ChannelBatch {
    pub statements: Vec<Statement>,
    /// The claim of the routing version: it changed a row iff every
    /// condition held.
    pub claim: usize,
    /// Reads the routing version after the batch (`version`), to tell a
    /// stale plan from one at the channel limit.
    pub version: usize,
}

/// The batch that carries out a channel plan for `project_id`.
pub fn channel_batch(project_id: &str, plan: &ChannelPlan) -> ChannelBatch {
    let guard = RoutingGuard { project_id: project_id.to_owned(), version: plan.routing.version };
    let claim = claim_held(&guard);
    let project = literal(project_id);
    let channel_id = literal(&plan.channel.id);
    let mut statements = Vec::new();
    match &plan.change {
        ChannelChange::Save { max_channels, at } => {
            // Replacing one of its own channels, or room for one more: a
            // condition the INSERT changes, so it is read once, by the claim.
            statements.push(claim_statement(
                &guard,
                &format!(
                    "(EXISTS (SELECT 1 FROM channels WHERE id = {channel_id} AND project_id = {project}) \
                     OR (SELECT count(*) FROM channels WHERE project_id = {project}) < {max_channels})"
                ),
                Vec::new(),
            ));
            let channel = &plan.channel;
            statements.push(Statement::new(
                format!(
                    "INSERT INTO channels (id, project_id, name, kind, config, created_at, events) \
                     SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE {claim} \
                     ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, \
                     config = excluded.config, events = excluded.events, failing = NULL, failing_since = NULL \
                     WHERE project_id = ?2"
                ),
                vec![
                    Arg::text(&channel.id),
                    Arg::text(project_id),
                    Arg::text(&channel.name),
                    Arg::text(channel.config.kind()),
                    Arg::Text(channel.config.to_stored()),
                    Arg::time(*at),
                    Arg::Text(channel.events.to_stored()),
                ],
            ));
        }
        ChannelChange::Delete => {
            statements.push(claim_statement(&guard, "1", Vec::new()));
            statements.push(Statement::new(
                format!("DELETE FROM channels WHERE id = ?1 AND project_id = ?2 AND {claim}"),
                vec![Arg::text(&plan.channel.id), Arg::text(project_id)],
            ));
        }
    }
    for reroute in &plan.reroutes {
        statements.push(Statement::new(
            format!(
                "UPDATE checks SET routes = ?1, config_version = config_version + 1 \
                 WHERE id = {} AND uuid = {} AND project_id = ?2 AND {claim}",
                reroute.check_id,
                literal(&reroute.uuid.to_string())
            ),
            vec![Arg::Text(reroute.routes.to_stored()), Arg::text(project_id)],
        ));
    }
    if let Some(entry) = &plan.audit {
        statements.push(super::people::audit_insert(entry, &claim));
    }
    statements.push(release_statement(&guard));
    statements.push(Statement::new(
        "SELECT routing_version AS version FROM projects WHERE id = ?1",
        vec![Arg::text(project_id)],
    ));
    let version = statements.len() - 1;
    ChannelBatch { statements, claim: 0, version }
}

/// The statements of a failing mark, and which of them tells whether it
/// applied (`witness`: its UPDATE changed a row).
#[derive(Clone, Debug)]
pub struct FailingBatch {
    pub statements: Vec<Statement>,
    pub witness: usize,
}

/// A failing mark as one batch: the notice's event row and its
/// notifications first, each only while the channel is the project's, as
/// configured, and not failing; then the mark itself under the same
/// condition, which it changes (so it comes last).
pub fn failing_batch(mark: &FailingMark) -> FailingBatch {
    let condition = format!(
        "EXISTS (SELECT 1 FROM channels WHERE id = {} AND project_id = {} AND config = {} AND failing IS NULL)",
        literal(&mark.channel_id),
        literal(&mark.project_id),
        literal(&mark.config)
    );
    let mut statements = Vec::new();
    if let Some(notice) = &mark.notice {
        statements.push(Statement::new(
            format!(
                "INSERT INTO flips (id, check_id, created_at, old_status, new_status, reason, previous_change_at, \
                 ping_n, event, notice) \
                 SELECT ?1, ?2, ?3, ?4, ?4, 'channel_failing', NULL, NULL, 'channel_failing', ?5 \
                 WHERE EXISTS (SELECT 1 FROM checks WHERE id = ?2) AND {condition}"
            ),
            vec![
                Arg::text(&notice.id),
                Arg::Int(notice.check_id),
                Arg::time(mark.at),
                Arg::text(notice.status.as_str()),
                Arg::text(&notice.detail),
            ],
        ));
        statements.push(notifications(&notice.id, &notice.recipients, None, mark.at, "1"));
    }
    statements.push(Statement::new(
        "UPDATE channels SET failing = ?1, failing_since = ?2 WHERE id = ?3 AND project_id = ?4 AND config = ?5 \
         AND failing IS NULL",
        vec![
            Arg::text(&mark.reason),
            Arg::time(mark.at),
            Arg::text(&mark.channel_id),
            Arg::text(&mark.project_id),
            Arg::text(&mark.config),
        ],
    ));
    let witness = statements.len() - 1;
    FailingBatch { statements, witness }
}

/// Clears a channel's failing mark, if it is the project's and still
/// configured as `config`.
pub fn clear_failing(project_id: &str, channel_id: &str, config: &str) -> Statement {
    Statement::new(
        "UPDATE channels SET failing = NULL, failing_since = NULL \
         WHERE id = ?1 AND project_id = ?2 AND config = ?3 AND failing IS NOT NULL",
        vec![Arg::text(channel_id), Arg::text(project_id), Arg::text(config)],
    )
}
