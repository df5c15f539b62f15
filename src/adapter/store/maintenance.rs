//! The `maintenance_windows` table. Rows are read one by one, so a row
//! that cannot be read is left out (and reported) instead of failing the
//! whole read: it then silences nothing, and never stops the sweep.

use super::{changes, int, opt_text, text, time, Store, StoreError};
use crate::domain::maintenance::{StoredWindow, When, Window};
use crate::domain::time::Timestamp;
use serde::Deserialize;
use serde_json::Value;
use worker::wasm_bindgen::JsValue;

#[derive(Deserialize)]
struct WindowRow {
    project_id: String,
    #[serde(flatten)]
    stored: StoredWindow,
}

/// A window row as read, or why it cannot be.
fn window_of(row: Value) -> Result<(String, Window), StoreError> {
    let id = row.get("id").and_then(Value::as_str).unwrap_or("?").to_owned();
    let corrupt = |what: String| StoreError::Corrupt(format!("maintenance window {id}: {what}"));
    let row: WindowRow = serde_json::from_value(row).map_err(|e| corrupt(e.to_string()))?;
    let window = row.stored.into_window().ok_or_else(|| corrupt("a column does not parse".into()))?;
    Ok((row.project_id, window))
}

/// Windows with their projects, and the problems of rows left out.
pub type WindowRows = (Vec<(String, Window)>, Vec<StoreError>);

const COLUMNS: &str = "id, project_id, name, schedule, tz, duration, start_at, end_at, tags, checks";

impl Store {
    async fn window_rows(&self, condition: &str, args: &[JsValue]) -> Result<WindowRows, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM maintenance_windows WHERE {condition} ORDER BY created_at, id");
        let rows: Vec<Value> = self.rows(&sql, args).await?;
        let (mut windows, mut problems) = (Vec::with_capacity(rows.len()), Vec::new());
        for row in rows {
            match window_of(row) {
                Ok(window) => windows.push(window),
                Err(problem) => problems.push(problem),
            }
        }
        Ok((windows, problems))
    }

    /// The project's windows, oldest first.
    pub async fn windows(&self, project_id: &str) -> Result<WindowRows, StoreError> {
        self.window_rows("project_id = ?1", &[text(project_id)]).await
    }

    /// The windows of the project with this ping key (for a check a ping
    /// creates).
    pub async fn windows_by_ping_key(&self, ping_key_hash: &str) -> Result<WindowRows, StoreError> {
        self.window_rows("project_id = (SELECT id FROM projects WHERE ping_key_hash = ?1)", &[text(ping_key_hash)])
            .await
    }

    /// The windows of these projects (one read however many), for the sweep.
    pub async fn windows_of_projects(&self, project_ids: &[String]) -> Result<WindowRows, StoreError> {
        let ids = serde_json::to_string(project_ids).map_err(|e| StoreError::Query(e.to_string()))?;
        self.window_rows("project_id IN (SELECT value FROM json_each(?1))", &[text(&ids)]).await
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
}
