//! Projects, their API keys (stored only as hashes) and badge secrets.

use super::{text, time, Store, StoreError};
use crate::domain::ids::{constant_time_eq, Uuid};
use crate::domain::time::Timestamp;
use serde::Deserialize;

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

impl Store {
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
        self.batch(vec![project, keys]).await.map(drop)
    }

    pub async fn list_projects(&self) -> Result<Vec<ProjectRow>, StoreError> {
        self.rows(
            "SELECT p.id, p.name, p.created_at, (SELECT count(*) FROM checks WHERE project_id = p.id) AS checks \
             FROM projects p ORDER BY p.created_at",
            &[],
        )
        .await
    }

    /// Whether a project has this ping key (by its hash).
    pub async fn has_ping_key(&self, ping_key_hash: &str) -> Result<bool, StoreError> {
        Ok(self.count("SELECT count(*) AS n FROM projects WHERE ping_key_hash = ?1", &[text(ping_key_hash)]).await? > 0)
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
            .row("SELECT key_hash, project_id, read_only FROM api_keys WHERE key_hash = ?1", &[text(key_hash)])
            .await?;
        // The indexed lookup found the row; compare again in constant time so
        // that no key material influences timing beyond the hash prefix.
        Ok(row
            .filter(|r| constant_time_eq(r.key_hash.as_bytes(), key_hash.as_bytes()))
            .map(|r| (r.project_id, r.read_only != 0)))
    }

    /// A project's badge key and signing secret.
    pub async fn project_badges(&self, project_id: &str) -> Result<Option<BadgeProject>, StoreError> {
        self.row("SELECT id, name, badge_key, badge_secret FROM projects WHERE id = ?1", &[text(project_id)]).await
    }

    pub async fn project_by_badge_key(&self, badge_key: &str) -> Result<Option<BadgeProject>, StoreError> {
        self.row("SELECT id, name, badge_key, badge_secret FROM projects WHERE badge_key = ?1", &[text(badge_key)])
            .await
    }
}
