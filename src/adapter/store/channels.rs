//! The `channels` table and the links from checks to channels.

use super::{changes, int, text, time, Store, StoreError};
use crate::domain::channel::{Channel, ChannelConfig, EventSet};
use crate::domain::time::Timestamp;
use serde::Deserialize;

/// How saving a channel ended.
pub enum Saved {
    Saved,
    /// The project already has the most channels it may have.
    AtLimit,
}

impl Store {
    pub async fn channels(&self, project_id: &str) -> Result<Vec<Channel>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            name: String,
            config: String,
            events: String,
        }
        let rows: Vec<Row> = self
            .rows(
                "SELECT id, name, config, events FROM channels WHERE project_id = ?1 ORDER BY created_at, id",
                &[text(project_id)],
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                let config = ChannelConfig::from_stored(&r.config)
                    .map_err(|e| StoreError::Corrupt(format!("channel {}: {e}", r.id)))?;
                Ok(Channel { id: r.id, name: r.name, config, events: EventSet::from_stored(&r.events) })
            })
            .collect()
    }

    /// Inserts a channel while the project has fewer than `max` (one
    /// statement decides, so concurrent creations cannot pass the limit),
    /// or replaces an existing one; `assign_to_all` links it to every check.
    pub async fn save_channel(
        &self,
        project_id: &str,
        channel: &Channel,
        assign_to_all: bool,
        max: i64,
        now: Timestamp,
    ) -> Result<Saved, StoreError> {
        let mut statements = vec![self.statement(
            "INSERT INTO channels (id, project_id, name, kind, config, created_at, events) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?8 WHERE EXISTS (SELECT 1 FROM channels WHERE id = ?1) \
             OR (SELECT count(*) FROM channels WHERE project_id = ?2) < ?7 \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, config = excluded.config, events = excluded.events \
             WHERE project_id = ?2",
            &[
                text(&channel.id),
                text(project_id),
                text(&channel.name),
                text(channel.config.kind()),
                text(&channel.config.to_stored()),
                time(now),
                int(max),
                text(&channel.events.to_stored()),
            ],
        )?];
        if assign_to_all {
            statements.push(self.statement(
                "INSERT OR IGNORE INTO check_channels (check_id, channel_id) SELECT c.id, ?1 FROM checks c \
                 WHERE c.project_id = ?2 AND EXISTS (SELECT 1 FROM channels WHERE id = ?1 AND project_id = ?2)",
                &[text(&channel.id), text(project_id)],
            )?);
        }
        let results = self.batch(statements).await?;
        Ok(if changes(results.first()) > 0 { Saved::Saved } else { Saved::AtLimit })
    }

    pub async fn delete_channel(&self, project_id: &str, id: &str) -> Result<(), StoreError> {
        self.run("DELETE FROM channels WHERE id = ?1 AND project_id = ?2", &[text(id), text(project_id)])
            .await
            .map(drop)
    }

    /// The project's channels as `(id, name)`, for resolving a `channels` field.
    pub async fn project_channels(&self, project_id: &str) -> Result<Vec<(String, String)>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            name: String,
        }
        let rows: Vec<Row> =
            self.rows("SELECT id, name FROM channels WHERE project_id = ?1 ORDER BY id", &[text(project_id)]).await?;
        Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
    }

    /// The channel ids of one check, sorted.
    pub async fn check_channel_ids(&self, check_id: i64) -> Result<Vec<String>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            channel_id: String,
        }
        let rows: Vec<Row> = self
            .rows("SELECT channel_id FROM check_channels WHERE check_id = ?1 ORDER BY channel_id", &[int(check_id)])
            .await?;
        Ok(rows.into_iter().map(|r| r.channel_id).collect())
    }
}
