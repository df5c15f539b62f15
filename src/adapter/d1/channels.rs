//! A project's channels, and the plans that change them with the routes of
//! the checks they touch (`crate::d1_sql::plan::channel_batch`).

use super::{changes, typed, D1Store};
use crate::d1_sql::plan::{channel_batch, clear_failing, failing_batch};
use crate::d1_sql::Arg;
use crate::domain::channel::{Channel, ChannelConfig, EventSet, Failing};
use crate::domain::plan::{ChannelApplied, ChannelChange, ChannelPlan, FailingMark};
use crate::domain::time::Timestamp;
use crate::store::{ChannelStore, StoreError};
use serde::Deserialize;

#[derive(Deserialize)]
struct Version {
    version: i64,
}

impl ChannelStore for D1Store {
    async fn channels(&self, project_id: &str) -> Result<Vec<Channel>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            name: String,
            config: String,
            events: String,
            failing: Option<String>,
            failing_since: Option<i64>,
        }
        let rows: Vec<Row> = self
            .rows(
                "SELECT id, name, config, events, failing, failing_since FROM channels WHERE project_id = ?1 \
                 ORDER BY created_at, id",
                vec![Arg::text(project_id)],
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                let config = ChannelConfig::from_stored(&r.config)
                    .map_err(|e| StoreError::Corrupt(format!("channel {}: {e}", r.id)))?;
                let failing = r.failing.map(|reason| Failing {
                    since: Timestamp::from_millis(r.failing_since.unwrap_or_default()),
                    reason,
                });
                Ok(Channel { id: r.id, name: r.name, config, events: EventSet::from_stored(&r.events), failing })
            })
            .collect()
    }

    async fn routing_version(&self, project_id: &str) -> Result<i64, StoreError> {
        let row: Option<Version> = self
            .row("SELECT routing_version AS version FROM projects WHERE id = ?1", vec![Arg::text(project_id)])
            .await?;
        Ok(row.map_or(0, |r| r.version))
    }

    async fn apply_channel(&self, project_id: &str, plan: &ChannelPlan) -> Result<ChannelApplied, StoreError> {
        let batch = channel_batch(project_id, plan);
        let results = self.batch(&batch.statements).await?;
        if changes(results.get(batch.claim)) > 0 {
            return Ok(ChannelApplied::Applied);
        }
        // Nothing was written: the routing changed, or a new channel found
        // the project at its limit (only then is the version still as read).
        let version = match results.get(batch.version) {
            Some(result) => typed::<Version>(result)?.first().map(|r| r.version),
            None => None,
        };
        let at_limit = matches!(plan.change, ChannelChange::Save { .. }) && version == Some(plan.routing.version);
        Ok(if at_limit { ChannelApplied::AtLimit } else { ChannelApplied::Stale })
    }

    async fn mark_channel_failing(&self, mark: &FailingMark) -> Result<bool, StoreError> {
        let batch = failing_batch(mark);
        let results = self.batch(&batch.statements).await?;
        Ok(changes(results.get(batch.witness)) > 0)
    }

    async fn clear_channel_failing(
        &self,
        project_id: &str,
        channel_id: &str,
        config: &str,
    ) -> Result<bool, StoreError> {
        let statement = clear_failing(project_id, channel_id, config);
        let result = self.run(&statement.sql, statement.args).await?;
        Ok(changes(Some(&result)) > 0)
    }
}
