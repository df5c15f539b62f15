//! Projects, their API keys (stored only as hashes) and badge secrets.

use super::{changes, D1Store};
use crate::d1_sql::{people, Arg, Statement};
use crate::domain::audit::AuditWrite;
use crate::domain::ids::constant_time_eq;
use crate::domain::time::Timestamp;
use crate::store::{BadgeProject, NewProject, ProjectRow, ProjectStore, StoreError};
use serde::Deserialize;

#[derive(Deserialize)]
struct BadgeRow {
    id: String,
    name: String,
    badge_key: Option<String>,
    badge_secret: Option<String>,
}

impl BadgeRow {
    fn typed(self) -> BadgeProject {
        BadgeProject {
            id: self.id,
            name: self.name,
            badge_key: self.badge_key.unwrap_or_default(),
            badge_secret: self.badge_secret.unwrap_or_default(),
        }
    }
}

impl ProjectStore for D1Store {
    async fn create_project(&self, project: &NewProject, now: Timestamp) -> Result<(), StoreError> {
        let id = project.id.to_string();
        let insert = Statement::new(
            "INSERT INTO projects (id, name, ping_key_hash, created_at, badge_key, badge_secret) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            vec![
                Arg::text(&id),
                Arg::text(&project.name),
                Arg::text(&project.ping_key_hash),
                Arg::time(now),
                Arg::text(&project.badge_key),
                Arg::text(&project.badge_secret),
            ],
        );
        let keys = Statement::new(
            "INSERT INTO api_keys (key_hash, project_id, read_only, created_at) VALUES (?1, ?2, 0, ?3), (?4, ?2, 1, ?3)",
            vec![Arg::text(&project.read_write_hash), Arg::text(&id), Arg::time(now), Arg::text(&project.read_only_hash)],
        );
        let mut statements = vec![insert, keys];
        statements.extend(people::project_extras(&id, project.owner.as_deref(), project.audit.as_ref(), now));
        self.batch(&statements).await.map(drop)
    }

    async fn delete_project(&self, project_id: &str, audit: &AuditWrite) -> Result<bool, StoreError> {
        let results = self.batch(&people::delete_project(project_id, audit)).await?;
        Ok(changes(results.get(1)) > 0)
    }

    async fn replace_api_keys(
        &self,
        project_id: &str,
        read_write_hash: &str,
        read_only_hash: &str,
        audit: &AuditWrite,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let statements = people::replace_api_keys(project_id, read_write_hash, read_only_hash, audit, now);
        let results = self.batch(&statements).await?;
        Ok(changes(results.get(2)) > 0)
    }

    async fn list_projects(&self) -> Result<Vec<ProjectRow>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            name: String,
            created_at: i64,
            checks: i64,
        }
        let rows: Vec<Row> = self
            .rows(
                "SELECT p.id, p.name, p.created_at, (SELECT count(*) FROM checks WHERE project_id = p.id) AS checks \
                 FROM projects p ORDER BY p.created_at",
                Vec::new(),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| ProjectRow {
                id: r.id,
                name: r.name,
                created_at: Timestamp::from_millis(r.created_at),
                checks: r.checks,
            })
            .collect())
    }

    async fn count_projects(&self) -> Result<i64, StoreError> {
        self.count("SELECT count(*) AS n FROM projects", Vec::new()).await
    }

    async fn project_of_ping_key(&self, ping_key_hash: &str) -> Result<Option<String>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
        }
        let row: Option<Row> =
            self.row("SELECT id FROM projects WHERE ping_key_hash = ?1", vec![Arg::text(ping_key_hash)]).await?;
        Ok(row.map(|r| r.id))
    }

    async fn api_key(&self, key_hash: &str) -> Result<Option<(String, bool)>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            key_hash: String,
            project_id: String,
            read_only: i64,
        }
        let row: Option<Row> = self
            .row("SELECT key_hash, project_id, read_only FROM api_keys WHERE key_hash = ?1", vec![Arg::text(key_hash)])
            .await?;
        // The indexed lookup found the row; compare again in constant time so
        // that no key material influences timing beyond the hash prefix.
        Ok(row
            .filter(|r| constant_time_eq(r.key_hash.as_bytes(), key_hash.as_bytes()))
            .map(|r| (r.project_id, r.read_only != 0)))
    }

    async fn project_badges(&self, project_id: &str) -> Result<Option<BadgeProject>, StoreError> {
        let row: Option<BadgeRow> = self
            .row("SELECT id, name, badge_key, badge_secret FROM projects WHERE id = ?1", vec![Arg::text(project_id)])
            .await?;
        Ok(row.map(BadgeRow::typed))
    }

    async fn project_by_badge_key(&self, badge_key: &str) -> Result<Option<BadgeProject>, StoreError> {
        let row: Option<BadgeRow> = self
            .row(
                "SELECT id, name, badge_key, badge_secret FROM projects WHERE badge_key = ?1",
                vec![Arg::text(badge_key)],
            )
            .await?;
        Ok(row.map(BadgeRow::typed))
    }
}
