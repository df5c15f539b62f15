//! The statements of members, the log of changes, and the writes about a
//! whole project (its deletion, new keys), each as one batch whose parts
//! hold the same conditions, so that a change and its log entry are written
//! together or not at all.

use super::{Arg, Statement};
use crate::domain::access::members::{MemberChange, MemberPlan};
use crate::domain::audit::AuditWrite;
use crate::domain::time::Timestamp;

/// Log entries each prune deletes at most.
pub const PRUNE_AUDIT: &str =
    "DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE at < ?1 ORDER BY at LIMIT 500)";

/// Inserts a log entry if `condition` (SQL) holds.
pub fn audit_insert(entry: &AuditWrite, condition: &str) -> Statement {
    Statement::new(
        format!(
            "INSERT INTO audit (project_id, check_uuid, at, actor, action, detail) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE {condition}"
        ),
        vec![
            Arg::text(&entry.project_id),
            Arg::opt_text(entry.check.map(|c| c.to_string()).as_deref()),
            Arg::time(entry.at),
            Arg::text(&entry.actor),
            Arg::text(&entry.action),
            Arg::text(&entry.detail),
        ],
    )
}

/// The columns `audit_entries` reads.
pub const AUDIT_COLUMNS: &str = "id, project_id, check_uuid, at, actor, action, detail";

/// A project's log (with `?2`, one check's), ids below `?3`, newest first,
/// at most `?4`: a range of `audit_by_project` or `audit_by_check`.
pub fn audit_entries(with_check: bool) -> String {
    let check = if with_check { " AND check_uuid = ?2" } else { "" };
    format!(
        "SELECT {AUDIT_COLUMNS} FROM audit WHERE project_id = ?1{check} AND (?3 IS NULL OR id < ?3) \
         ORDER BY id DESC LIMIT ?4"
    )
}

/// The statements of a member plan.
#[derive(Clone, Debug)]
pub struct MemberBatch {
    pub statements: Vec<Statement>,
    /// The member write: it changed a row iff the plan applied.
    pub write: usize,
    /// Reads what the conditions found (`project`, `role`, `owners`), to
    /// say why a plan did not apply.
    pub state: usize,
}

/// The conditions of a member plan, on the members as they are before it
/// (`?1` project, `?2` email).
fn member_condition(plan: &MemberPlan) -> String {
    let mut condition = "EXISTS (SELECT 1 FROM projects WHERE id = ?1)".to_owned();
    let is_member = "EXISTS (SELECT 1 FROM members WHERE project_id = ?1 AND email = ?2)";
    match plan.change {
        MemberChange::Save(_) => condition.push_str(&format!(
            " AND ({is_member} OR (SELECT count(*) FROM members WHERE project_id = ?1) < {})",
            plan.max_members
        )),
        MemberChange::Remove => condition.push_str(&format!(" AND {is_member}")),
    }
    if plan.keep_an_owner {
        condition.push_str(
            " AND (NOT EXISTS (SELECT 1 FROM members WHERE project_id = ?1 AND email = ?2 AND role = 'owner') \
             OR EXISTS (SELECT 1 FROM members WHERE project_id = ?1 AND role = 'owner' AND email != ?2))",
        );
    }
    condition
}

/// The batch of a member plan: its log entry and its write, each under the
/// same conditions (the entry first: it changes nothing they read), then
/// what they read.
pub fn member_batch(plan: &MemberPlan) -> MemberBatch {
    let condition = member_condition(plan);
    let keys = || vec![Arg::text(&plan.project_id), Arg::text(&plan.email)];
    // The entry's own arguments follow the plan's two.
    let mut entry = audit_insert(&plan.audit, &condition.replace("?1", "?7").replace("?2", "?8"));
    entry.args.extend(keys());
    let write = match plan.change {
        MemberChange::Save(role) => Statement::new(
            format!(
                "INSERT INTO members (project_id, email, role, created_at) SELECT ?1, ?2, ?3, ?4 WHERE {condition} \
                 ON CONFLICT (project_id, email) DO UPDATE SET role = excluded.role"
            ),
            vec![
                Arg::text(&plan.project_id),
                Arg::text(&plan.email),
                Arg::text(role.as_str()),
                Arg::time(plan.audit.at),
            ],
        ),
        MemberChange::Remove => {
            Statement::new(format!("DELETE FROM members WHERE project_id = ?1 AND email = ?2 AND {condition}"), keys())
        }
    };
    let state = Statement::new(
        "SELECT EXISTS (SELECT 1 FROM projects WHERE id = ?1) AS project, \
         (SELECT role FROM members WHERE project_id = ?1 AND email = ?2) AS role, \
         (SELECT count(*) FROM members WHERE project_id = ?1 AND role = 'owner') AS owners",
        keys(),
    );
    MemberBatch { statements: vec![entry, write, state], write: 1, state: 2 }
}

/// A new project's first owner and log entry, for the batch that creates it.
pub fn project_extras(
    project_id: &str,
    owner: Option<&str>,
    audit: Option<&AuditWrite>,
    now: Timestamp,
) -> Vec<Statement> {
    let mut statements = Vec::new();
    if let Some(owner) = owner {
        statements.push(Statement::new(
            "INSERT INTO members (project_id, email, role, created_at) VALUES (?1, ?2, 'owner', ?3)",
            vec![Arg::text(project_id), Arg::text(owner), Arg::time(now)],
        ));
    }
    if let Some(entry) = audit {
        statements.push(audit_insert(entry, "1"));
    }
    statements
}

/// Deletes a project (everything of it cascades, but its log) and logs it;
/// statement 1 changed a row iff there was such a project.
pub fn delete_project(project_id: &str, audit: &AuditWrite) -> Vec<Statement> {
    let mut entry = audit_insert(audit, "EXISTS (SELECT 1 FROM projects WHERE id = ?7)");
    entry.args.push(Arg::text(project_id));
    vec![entry, Statement::new("DELETE FROM projects WHERE id = ?1", vec![Arg::text(project_id)])]
}

/// Replaces a project's API keys and logs it; statement 2 inserted the two
/// new keys iff there is such a project.
pub fn replace_api_keys(
    project_id: &str,
    read_write_hash: &str,
    read_only_hash: &str,
    audit: &AuditWrite,
    now: Timestamp,
) -> Vec<Statement> {
    let exists = "EXISTS (SELECT 1 FROM projects WHERE id = ?1)";
    let mut entry = audit_insert(audit, "EXISTS (SELECT 1 FROM projects WHERE id = ?7)");
    entry.args.push(Arg::text(project_id));
    vec![
        entry,
        Statement::new("DELETE FROM api_keys WHERE project_id = ?1", vec![Arg::text(project_id)]),
        Statement::new(
            format!(
                "INSERT INTO api_keys (key_hash, project_id, read_only, created_at) \
                 SELECT ?2, ?1, 0, ?4 WHERE {exists} UNION ALL SELECT ?3, ?1, 1, ?4 WHERE {exists}"
            ),
            vec![Arg::text(project_id), Arg::text(read_write_hash), Arg::text(read_only_hash), Arg::time(now)],
        ),
    ]
}

/// Deletes a check and, if it was there, logs it first.
pub fn delete_check(check_id: i64, audit: Option<&AuditWrite>) -> Vec<Statement> {
    let mut statements = Vec::new();
    if let Some(audit) = audit {
        let mut entry = audit_insert(audit, "EXISTS (SELECT 1 FROM checks WHERE id = ?7)");
        entry.args.push(Arg::Int(check_id));
        statements.push(entry);
    }
    statements.push(Statement::new("DELETE FROM checks WHERE id = ?1", vec![Arg::Int(check_id)]));
    statements
}
