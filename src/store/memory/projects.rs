//! `ProjectStore`: projects, their keys (hashes only) and badge secrets.

use super::tables::{StoredMember, StoredProject, Tables};
use super::MemoryStore;
use crate::domain::access::roles::Role;
use crate::domain::audit::AuditWrite;
use crate::domain::time::Timestamp;
use crate::store::{BadgeProject, NewProject, ProjectRow, ProjectStore, StoreError};

fn badges(project: &StoredProject) -> BadgeProject {
    BadgeProject {
        id: project.id.clone(),
        name: project.name.clone(),
        badge_key: project.badge_key.clone(),
        badge_secret: project.badge_secret.clone(),
    }
}

impl Tables {
    /// Inserts the project and its two API keys, unless a key or id is
    /// taken (D1's uniqueness constraints refuse the whole batch).
    fn create_project(&mut self, new: &NewProject, now: Timestamp) -> Result<(), StoreError> {
        let id = new.id.to_string();
        let taken = |what: &str| Err(StoreError::Query(format!("UNIQUE constraint failed: {what}")));
        if self.project(&id).is_some() {
            return taken("projects.id");
        }
        if self.project_by_ping_key(&new.ping_key_hash).is_some() {
            return taken("projects.ping_key_hash");
        }
        if self.projects.iter().any(|p| p.badge_key == new.badge_key) {
            return taken("projects.badge_key");
        }
        let keys = [&new.read_write_hash, &new.read_only_hash];
        if new.read_write_hash == new.read_only_hash || keys.iter().any(|k| self.api_keys.contains_key(*k)) {
            return taken("api_keys.key_hash");
        }
        self.projects.push(StoredProject {
            id: id.clone(),
            name: new.name.clone(),
            ping_key_hash: new.ping_key_hash.clone(),
            created_at: now,
            badge_key: new.badge_key.clone(),
            badge_secret: new.badge_secret.clone(),
            routing_version: 0,
        });
        self.api_keys.insert(new.read_write_hash.clone(), (id.clone(), false));
        self.api_keys.insert(new.read_only_hash.clone(), (id.clone(), true));
        if let Some(owner) = &new.owner {
            self.members.push(StoredMember {
                project_id: id,
                email: owner.clone(),
                role: Role::Owner,
                created_at: now,
            });
        }
        if let Some(entry) = &new.audit {
            self.record_audit(entry);
        }
        Ok(())
    }

    fn replace_api_keys(&mut self, project_id: &str, read_write: &str, read_only: &str) -> Result<bool, StoreError> {
        if self.project(project_id).is_none() {
            return Ok(false);
        }
        let taken = |hash: &str| self.api_keys.get(hash).is_some_and(|(p, _)| p != project_id);
        if read_write == read_only || taken(read_write) || taken(read_only) {
            return Err(StoreError::Query("UNIQUE constraint failed: api_keys.key_hash".into()));
        }
        self.api_keys.retain(|_, (p, _)| p != project_id);
        self.api_keys.insert(read_write.to_owned(), (project_id.to_owned(), false));
        self.api_keys.insert(read_only.to_owned(), (project_id.to_owned(), true));
        Ok(true)
    }

    fn list_projects(&self) -> Vec<ProjectRow> {
        let mut projects: Vec<&StoredProject> = self.projects.iter().collect();
        projects.sort_by_key(|p| p.created_at);
        projects
            .into_iter()
            .map(|p| ProjectRow {
                id: p.id.clone(),
                name: p.name.clone(),
                created_at: p.created_at,
                checks: self.checks_of(&p.id).count() as i64,
            })
            .collect()
    }
}

impl ProjectStore for MemoryStore {
    async fn create_project(&self, project: &NewProject, now: Timestamp) -> Result<(), StoreError> {
        self.write("create_project", |t| t.create_project(project, now))
    }

    async fn delete_project(&self, project_id: &str, audit: &AuditWrite) -> Result<bool, StoreError> {
        self.write("delete_project", |t| {
            let deleted = t.delete_project(project_id);
            if deleted {
                t.record_audit(audit);
            }
            Ok(deleted)
        })
    }

    async fn replace_api_keys(
        &self,
        project_id: &str,
        read_write_hash: &str,
        read_only_hash: &str,
        audit: &AuditWrite,
        _now: Timestamp,
    ) -> Result<bool, StoreError> {
        self.write("replace_api_keys", |t| {
            let replaced = t.replace_api_keys(project_id, read_write_hash, read_only_hash)?;
            if replaced {
                t.record_audit(audit);
            }
            Ok(replaced)
        })
    }

    async fn list_projects(&self) -> Result<Vec<ProjectRow>, StoreError> {
        self.read("list_projects", |t| Ok(t.list_projects()))
    }

    async fn count_projects(&self) -> Result<i64, StoreError> {
        self.read("count_projects", |t| Ok(t.projects.len() as i64))
    }

    async fn project_of_ping_key(&self, ping_key_hash: &str) -> Result<Option<String>, StoreError> {
        self.read("project_of_ping_key", |t| Ok(t.project_by_ping_key(ping_key_hash).map(|p| p.id.clone())))
    }

    async fn api_key(&self, key_hash: &str) -> Result<Option<(String, bool)>, StoreError> {
        self.read("api_key", |t| Ok(t.api_keys.get(key_hash).cloned()))
    }

    async fn project_badges(&self, project_id: &str) -> Result<Option<BadgeProject>, StoreError> {
        self.read("project_badges", |t| Ok(t.project(project_id).map(badges)))
    }

    async fn project_by_badge_key(&self, badge_key: &str) -> Result<Option<BadgeProject>, StoreError> {
        self.read("project_by_badge_key", |t| Ok(t.projects.iter().find(|p| p.badge_key == badge_key).map(badges)))
    }
}
