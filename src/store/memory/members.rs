//! `MemberStore` and `AuditStore`: a project's members, and the log of
//! who changed what.

use super::tables::{sql_limit, StoredMember, Tables};
use super::MemoryStore;
use crate::domain::access::members::{why_not_applied, MemberApplied, MemberChange, MemberPlan};
use crate::domain::access::roles::Role;
use crate::domain::audit::{AuditRecord, AuditWrite};
use crate::domain::ids::Uuid;
use crate::store::{AuditStore, Member, MemberStore, Membership, StoreError};

impl Tables {
    fn member(&self, project_id: &str, email: &str) -> Option<&StoredMember> {
        self.members.iter().find(|m| m.project_id == project_id && m.email == email)
    }

    fn apply_member(&mut self, plan: &MemberPlan) -> MemberApplied {
        let project = self.project(&plan.project_id).is_some();
        let role = self.member(&plan.project_id, &plan.email).map(|m| m.role);
        let of_project = self.members.iter().filter(|m| m.project_id == plan.project_id);
        let owners = of_project.clone().filter(|m| m.role == Role::Owner).count() as i64;
        let count = of_project.count() as i64;
        let holds = project
            && match plan.change {
                MemberChange::Save(_) => role.is_some() || count < plan.max_members,
                MemberChange::Remove => role.is_some(),
            }
            && !(plan.keep_an_owner && role == Some(Role::Owner) && owners <= 1);
        if !holds {
            return why_not_applied(plan, project, role, owners);
        }
        match plan.change {
            MemberChange::Save(new_role) => {
                match self.members.iter_mut().find(|m| m.project_id == plan.project_id && m.email == plan.email) {
                    Some(member) => member.role = new_role,
                    None => self.members.push(StoredMember {
                        project_id: plan.project_id.clone(),
                        email: plan.email.clone(),
                        role: new_role,
                        created_at: plan.audit.at,
                    }),
                }
            }
            MemberChange::Remove => {
                self.members.retain(|m| !(m.project_id == plan.project_id && m.email == plan.email))
            }
        }
        self.record_audit(&plan.audit);
        MemberApplied::Applied
    }

    fn audit_entries(
        &self,
        project_id: &str,
        check: Option<&Uuid>,
        before: Option<i64>,
        limit: i64,
    ) -> Vec<AuditRecord> {
        let check = check.map(Uuid::to_string);
        let mut entries: Vec<AuditRecord> = self
            .audit
            .iter()
            .filter(|a| a.project_id == project_id)
            .filter(|a| check.is_none() || a.check == check)
            .filter(|a| before.is_none_or(|before| a.id < before))
            .cloned()
            .collect();
        entries.sort_by_key(|a| std::cmp::Reverse(a.id));
        entries.truncate(sql_limit(limit));
        entries
    }
}

impl MemberStore for MemoryStore {
    async fn members(&self, project_id: &str) -> Result<Vec<Member>, StoreError> {
        self.read("members", |t| {
            let mut members: Vec<Member> = t
                .members
                .iter()
                .filter(|m| m.project_id == project_id)
                .map(|m| Member { email: m.email.clone(), role: m.role, created_at: m.created_at })
                .collect();
            members.sort_by(|a, b| a.email.cmp(&b.email));
            Ok(members)
        })
    }

    async fn role_of(&self, project_id: &str, email: &str) -> Result<Option<Role>, StoreError> {
        self.read("role_of", |t| Ok(t.member(project_id, email).map(|m| m.role)))
    }

    async fn projects_of(&self, email: &str) -> Result<Vec<Membership>, StoreError> {
        self.read("projects_of", |t| {
            let mut found: Vec<Membership> = t
                .members
                .iter()
                .filter(|m| m.email == email)
                .filter_map(|m| {
                    let project = t.project(&m.project_id)?;
                    Some(Membership { project_id: project.id.clone(), name: project.name.clone(), role: m.role })
                })
                .collect();
            found.sort_by(|a, b| (&a.name, &a.project_id).cmp(&(&b.name, &b.project_id)));
            Ok(found)
        })
    }

    async fn apply_member(&self, plan: &MemberPlan) -> Result<MemberApplied, StoreError> {
        self.write("apply_member", |t| Ok(t.apply_member(plan)))
    }
}

impl AuditStore for MemoryStore {
    async fn record_audit(&self, entry: &AuditWrite) -> Result<(), StoreError> {
        self.write("record_audit", |t| {
            t.record_audit(entry);
            Ok(())
        })
    }

    async fn audit_entries(
        &self,
        project_id: &str,
        check: Option<&Uuid>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        self.read("audit_entries", |t| Ok(t.audit_entries(project_id, check, before, limit)))
    }
}
