//! Maintenance windows (`maintenance_windows`). The reads' text and the
//! reading back of a row are `crate::d1_sql::windows`.

use super::{changes, D1Store};
use crate::d1_sql::windows::{windows_of, windows_of_project, windows_of_projects};
use crate::d1_sql::Arg;
use crate::domain::maintenance::{When, Window};
use crate::domain::time::Timestamp;
use crate::store::{ProjectWindows, StoreError, WindowStore, Windows};
use serde_json::Value;

impl WindowStore for D1Store {
    async fn windows(&self, project_id: &str) -> Result<Windows, StoreError> {
        let rows: Vec<Value> = self.rows(&windows_of_project(), vec![Arg::text(project_id)]).await?;
        let (windows, problems) = windows_of(rows);
        Ok((windows.into_iter().map(|(_, window)| window).collect(), problems))
    }

    async fn windows_of_projects(&self, project_ids: &[String]) -> Result<ProjectWindows, StoreError> {
        if project_ids.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let ids = serde_json::to_string(project_ids).map_err(|e| StoreError::Query(e.to_string()))?;
        let rows: Vec<Value> = self.rows(&windows_of_projects(), vec![Arg::Text(ids)]).await?;
        Ok(windows_of(rows))
    }

    /// One statement decides, so concurrent creations cannot pass the limit.
    async fn save_window(
        &self,
        project_id: &str,
        window: &Window,
        max: i64,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let (schedule, tz, duration, start, end) = match &window.when {
            When::Recurring { schedule, zone, duration } => {
                (Some(schedule.source().to_owned()), zone.name(), Arg::Int(*duration), Arg::Null, Arg::Null)
            }
            When::OneOff { start, end } => (None, "UTC", Arg::Null, Arg::time(*start), Arg::time(*end)),
        };
        let result = self
            .run(
                "INSERT INTO maintenance_windows \
                 (id, project_id, name, schedule, tz, duration, start_at, end_at, tags, checks, created_at) \
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11 \
                 WHERE EXISTS (SELECT 1 FROM maintenance_windows WHERE id = ?1) \
                 OR (SELECT count(*) FROM maintenance_windows WHERE project_id = ?2) < ?12 \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, schedule = excluded.schedule, tz = excluded.tz, \
                 duration = excluded.duration, start_at = excluded.start_at, end_at = excluded.end_at, \
                 tags = excluded.tags, checks = excluded.checks WHERE project_id = ?2",
                vec![
                    Arg::text(&window.id),
                    Arg::text(project_id),
                    Arg::text(&window.name),
                    Arg::opt_text(schedule.as_deref()),
                    Arg::text(tz),
                    duration,
                    start,
                    end,
                    Arg::text(window.tags.as_str()),
                    Arg::Text(window.stored_checks()),
                    Arg::time(now),
                    Arg::Int(max),
                ],
            )
            .await?;
        Ok(changes(Some(&result)) > 0)
    }

    async fn delete_window(&self, project_id: &str, id: &str) -> Result<(), StoreError> {
        self.run(
            "DELETE FROM maintenance_windows WHERE id = ?1 AND project_id = ?2",
            vec![Arg::text(id), Arg::text(project_id)],
        )
        .await
        .map(drop)
    }
}
