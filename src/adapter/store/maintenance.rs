//! The `maintenance_windows` table, and the mutes the sweep writes from it.

use super::checks::{state_assignments, Expected};
use super::{changes, int, opt_text, text, time, Store, StoreError};
use crate::domain::check::{Check, CheckState};
use crate::domain::maintenance::{StoredWindow, When, Window};
use crate::domain::time::Timestamp;
use serde::Deserialize;
use worker::wasm_bindgen::JsValue;

/// Mutes written per batch.
const MUTES_PER_BATCH: usize = 100;

#[derive(Deserialize)]
struct WindowRow {
    project_id: String,
    #[serde(flatten)]
    stored: StoredWindow,
}

impl WindowRow {
    fn into_window(self) -> Result<(String, Window), StoreError> {
        let id = self.stored.id.clone();
        let window =
            self.stored.into_window().ok_or_else(|| StoreError::Corrupt(format!("maintenance window {id}")))?;
        Ok((self.project_id, window))
    }
}

const COLUMNS: &str = "id, project_id, name, schedule, tz, duration, start_at, end_at, tags, checks";

impl Store {
    /// The project's windows, oldest first.
    pub async fn windows(&self, project_id: &str) -> Result<Vec<Window>, StoreError> {
        let rows: Vec<WindowRow> = self
            .rows(
                &format!("SELECT {COLUMNS} FROM maintenance_windows WHERE project_id = ?1 ORDER BY created_at, id"),
                &[text(project_id)],
            )
            .await?;
        rows.into_iter().map(|r| r.into_window().map(|(_, w)| w)).collect()
    }

    /// Every project's windows (a small table), for the sweep; a row that
    /// cannot be read is left out.
    pub async fn all_windows(&self) -> Result<Vec<(String, Window)>, StoreError> {
        let rows: Vec<WindowRow> =
            self.rows(&format!("SELECT {COLUMNS} FROM maintenance_windows ORDER BY project_id"), &[]).await?;
        Ok(rows.into_iter().filter_map(|r| r.into_window().ok()).collect())
    }

    /// Inserts a window while the project has fewer than `max`, or replaces
    /// one of its own. Returns whether it was saved.
    pub async fn save_window(
        &self,
        project_id: &str,
        window: &Window,
        max: i64,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let (schedule, tz, duration, start, end) = match &window.when {
            When::Recurring { schedule, zone, duration } => {
                (Some(schedule.source().to_owned()), zone.name(), int(*duration), JsValue::NULL, JsValue::NULL)
            }
            When::OneOff { start, end } => (None, "UTC", JsValue::NULL, time(*start), time(*end)),
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
                &[
                    text(&window.id),
                    text(project_id),
                    text(&window.name),
                    opt_text(schedule.as_deref()),
                    text(tz),
                    duration,
                    start,
                    end,
                    text(window.tags.as_str()),
                    text(&window.stored_checks()),
                    time(now),
                    int(max),
                ],
            )
            .await?;
        Ok(changes(Some(&result)) > 0)
    }

    pub async fn delete_window(&self, project_id: &str, id: &str) -> Result<(), StoreError> {
        self.run("DELETE FROM maintenance_windows WHERE id = ?1 AND project_id = ?2", &[text(id), text(project_id)])
            .await
            .map(drop)
    }

    /// Writes the mutes the domain decided, each only if its check is still
    /// as read.
    pub async fn write_mutes(&self, mutes: &[(Check, CheckState, Option<Timestamp>)]) -> Result<(), StoreError> {
        for chunk in mutes.chunks(MUTES_PER_BATCH) {
            let mut statements = Vec::with_capacity(chunk.len());
            for (check, state, alert_after) in chunk {
                let (assignments, args) = state_assignments(state, *alert_after, None, 1);
                let condition = format!("id = {} AND {}", check.id, Expected::of(check, true).condition());
                statements.push(self.statement(&format!("UPDATE checks SET {assignments} WHERE {condition}"), &args)?);
            }
            self.batch(statements).await?;
        }
        Ok(())
    }
}
