//! A project's members and the log of changes (`crate::d1_sql::people`
//! builds the statements; this runs them).

use super::{changes, typed, D1Store};
use crate::d1_sql::people::{audit_entries, audit_insert, member_batch};
use crate::d1_sql::Arg;
use crate::domain::access::members::{why_not_applied, MemberApplied, MemberPlan};
use crate::domain::access::roles::Role;
use crate::domain::audit::{AuditRecord, AuditWrite};
use crate::domain::ids::Uuid;
use crate::domain::time::Timestamp;
use crate::store::{AuditStore, Member, MemberStore, Membership, StoreError};
use serde::Deserialize;

fn role(text: &str) -> Result<Role, StoreError> {
    Role::parse(text).ok_or_else(|| StoreError::Corrupt(format!("member role {text:?}")))
}

impl MemberStore for D1Store {
    async fn members(&self, project_id: &str) -> Result<Vec<Member>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            email: String,
            role: String,
            created_at: i64,
        }
        let rows: Vec<Row> = self
            .rows(
                "SELECT email, role, created_at FROM members WHERE project_id = ?1 ORDER BY email",
                vec![Arg::text(project_id)],
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(Member { role: role(&r.role)?, email: r.email, created_at: Timestamp::from_millis(r.created_at) })
            })
            .collect()
    }

    async fn role_of(&self, project_id: &str, email: &str) -> Result<Option<Role>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            role: String,
        }
        let row: Option<Row> = self
            .row(
                "SELECT role FROM members WHERE project_id = ?1 AND email = ?2",
                vec![Arg::text(project_id), Arg::text(email)],
            )
            .await?;
        row.map(|r| role(&r.role)).transpose()
    }

    async fn projects_of(&self, email: &str) -> Result<Vec<Membership>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            name: String,
            role: String,
        }
        let rows: Vec<Row> = self
            .rows(
                "SELECT p.id, p.name, m.role FROM members m JOIN projects p ON p.id = m.project_id \
                 WHERE m.email = ?1 ORDER BY p.name, p.id",
                vec![Arg::text(email)],
            )
            .await?;
        rows.into_iter().map(|r| Ok(Membership { role: role(&r.role)?, project_id: r.id, name: r.name })).collect()
    }

    async fn apply_member(&self, plan: &MemberPlan) -> Result<MemberApplied, StoreError> {
        #[derive(Deserialize)]
        struct State {
            project: i64,
            role: Option<String>,
            owners: i64,
        }
        let batch = member_batch(plan);
        let results = self.batch(&batch.statements).await?;
        if changes(results.get(batch.write)) > 0 {
            return Ok(MemberApplied::Applied);
        }
        let state = match results.get(batch.state) {
            Some(result) => typed::<State>(result)?.into_iter().next(),
            None => None,
        };
        let state = state.ok_or_else(|| StoreError::Query("the member plan's state was not read".into()))?;
        let current = state.role.as_deref().map(role).transpose()?;
        Ok(why_not_applied(plan, state.project != 0, current, state.owners))
    }
}

impl AuditStore for D1Store {
    async fn record_audit(&self, entry: &AuditWrite) -> Result<(), StoreError> {
        self.batch(&[audit_insert(entry, "1")]).await.map(drop)
    }

    async fn audit_entries(
        &self,
        project_id: &str,
        check: Option<&Uuid>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            id: i64,
            project_id: String,
            check_uuid: Option<String>,
            at: i64,
            actor: String,
            action: String,
            detail: String,
        }
        let args = vec![
            Arg::text(project_id),
            Arg::opt_text(check.map(Uuid::to_string).as_deref()),
            Arg::opt_int(before),
            Arg::Int(limit),
        ];
        let rows: Vec<Row> = self.rows(&audit_entries(check.is_some()), args).await?;
        Ok(rows
            .into_iter()
            .map(|r| AuditRecord {
                id: r.id,
                project_id: r.project_id,
                check: r.check_uuid,
                at: Timestamp::from_millis(r.at),
                actor: r.actor,
                action: r.action,
                detail: r.detail,
            })
            .collect())
    }
}
