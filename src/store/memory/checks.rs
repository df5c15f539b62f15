//! `CheckStore`: reading checks as D1's queries do (order, limits,
//! unreadable rows), deleting them with their cascade, and the sweep's
//! selection. Carrying out plans is `plans.rs`.

use super::tables::{sql_limit, StoredCheck, Tables};
use super::MemoryStore;
use crate::domain::audit::AuditWrite;
use crate::domain::check::Check;
use crate::domain::ids::Uuid;
use crate::domain::plan::{Applied, CheckPlan};
use crate::domain::time::Timestamp;
use crate::store::{CheckStore, DueCheck, StoreError};

type Listed = (Vec<Check>, Vec<StoreError>);

/// The checks of rows that can be read, and the problems of those that
/// cannot.
fn split_readable<'a>(rows: impl Iterator<Item = &'a StoredCheck>) -> Listed {
    let (mut checks, mut problems) = (Vec::new(), Vec::new());
    for row in rows {
        match row.read() {
            Ok(check) => checks.push(check),
            Err(problem) => problems.push(problem),
        }
    }
    (checks, problems)
}

impl Tables {
    /// The first row (by id) matching, read.
    fn one_check(&self, matches: impl Fn(&StoredCheck) -> bool) -> Result<Option<Check>, StoreError> {
        self.checks.values().find(|row| matches(row)).map(StoredCheck::read).transpose()
    }

    fn due_checks(&self, now: Timestamp, limit: i64) -> Vec<DueCheck> {
        let mut due: Vec<(Timestamp, &StoredCheck)> = self
            .checks
            .values()
            .filter_map(|row| row.deadlines().sweep_at().filter(|at| *at <= now).map(|at| (at, row)))
            .collect();
        // The index on the earlier deadline, then the rowid.
        due.sort_by_key(|(at, row)| (*at, row.check.id));
        due.into_iter()
            .take(sql_limit(limit))
            .map(|(_, row)| {
                let deadlines = row.deadlines();
                match row.read() {
                    Ok(check) => DueCheck::Readable { check: Box::new(check), deadlines },
                    Err(problem) => DueCheck::Unreadable { id: row.check.id, deadlines, problem: problem.to_string() },
                }
            })
            .collect()
    }
}

impl CheckStore for MemoryStore {
    async fn check_by_uuid(&self, uuid: &Uuid) -> Result<Option<Check>, StoreError> {
        self.read("check_by_uuid", |t| t.one_check(|row| row.check.uuid == *uuid))
    }

    async fn check_by_id(&self, id: i64) -> Result<Option<Check>, StoreError> {
        self.read("check_by_id", |t| t.checks.get(&id).map(StoredCheck::read).transpose())
    }

    async fn check_by_unique_key(&self, project_id: &str, key: &str) -> Result<Option<Check>, StoreError> {
        self.read("check_by_unique_key", |t| {
            t.one_check(|row| row.check.project_id == project_id && row.unique_key == key)
        })
    }

    async fn checks_by_slug(&self, ping_key_hash: &str, slug: &str) -> Result<Vec<Check>, StoreError> {
        self.read("checks_by_slug", |t| {
            let Some(project) = t.project_by_ping_key(ping_key_hash) else {
                return Ok(Vec::new());
            };
            t.checks_of(&project.id)
                .filter(|row| row.check.config.slug == slug)
                .take(2)
                .map(StoredCheck::read)
                .collect()
        })
    }

    async fn check_by_badge_key(&self, badge_key: &str) -> Result<Option<Check>, StoreError> {
        self.read("check_by_badge_key", |t| t.one_check(|row| row.check.badge_key == badge_key))
    }

    async fn list_checks(&self, project_id: &str) -> Result<Listed, StoreError> {
        self.read("list_checks", |t| Ok(split_readable(t.checks_of(project_id))))
    }

    async fn list_check_states(&self, project_id: &str) -> Result<Listed, StoreError> {
        self.read("list_check_states", |t| {
            let (mut checks, problems) = split_readable(t.checks_of(project_id));
            for check in &mut checks {
                check.config.desc = String::new();
            }
            Ok((checks, problems))
        })
    }

    async fn tag_texts(&self, project_id: &str) -> Result<Vec<String>, StoreError> {
        self.read("tag_texts", |t| {
            let mut texts: Vec<String> = Vec::new();
            for row in t.checks_of(project_id) {
                let text = row.check.config.tags.as_str();
                if !texts.iter().any(|t| t == text) {
                    texts.push(text.to_owned());
                }
            }
            Ok(texts)
        })
    }

    async fn apply(&self, plan: &CheckPlan) -> Result<Applied, StoreError> {
        self.enter("apply")?;
        self.run_apply_hooks(plan);
        let result = self.tables.borrow_mut().apply(plan);
        self.leave("apply", result)
    }

    async fn delete_check(&self, check: &Check, audit: Option<&AuditWrite>) -> Result<(), StoreError> {
        self.write("delete_check", |t| {
            if t.checks.contains_key(&check.id) {
                t.delete_check(check.id);
                if let Some(entry) = audit {
                    t.record_audit(entry);
                }
            }
            Ok(())
        })
    }

    async fn due_checks(&self, now: Timestamp, limit: i64) -> Result<Vec<DueCheck>, StoreError> {
        self.read("due_checks", |t| Ok(t.due_checks(now, limit)))
    }
}
