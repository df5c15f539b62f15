//! The `maintenance_windows` reads, and reading a row back. Rows are read
//! as JSON and parsed one by one, so that a row with a column that does
//! not parse is left out (and reported) instead of failing the whole read.

use crate::domain::maintenance::{StoredWindow, Window};
use crate::store::StoreError;
use serde::Deserialize;
use serde_json::Value;

const COLUMNS: &str = "id, project_id, name, schedule, tz, duration, start_at, end_at, tags, checks";

/// A project's (`?1`) windows, oldest first: a range of the
/// `maintenance_by_project` index.
pub fn windows_of_project() -> String {
    format!("SELECT {COLUMNS} FROM maintenance_windows WHERE project_id = ?1 ORDER BY created_at, id")
}

/// The windows of the projects whose ids are in the JSON array `?1`, in one
/// read: one range of the `maintenance_by_project` index per project.
pub fn windows_of_projects() -> String {
    format!(
        "SELECT {COLUMNS} FROM maintenance_windows WHERE project_id IN (SELECT value FROM json_each(?1)) \
         ORDER BY project_id, created_at, id"
    )
}

#[derive(Deserialize)]
struct WindowRow {
    project_id: String,
    #[serde(flatten)]
    stored: StoredWindow,
}

/// A window row as read, with its project, or why it cannot be read.
pub fn window_of(row: Value) -> Result<(String, Window), StoreError> {
    let id = row.get("id").and_then(Value::as_str).unwrap_or("?").to_owned();
    let corrupt = |what: String| StoreError::Corrupt(format!("maintenance window {id}: {what}"));
    let row: WindowRow = serde_json::from_value(row).map_err(|e| corrupt(e.to_string()))?;
    let window = row.stored.into_window().ok_or_else(|| corrupt("a column does not parse".into()))?;
    Ok((row.project_id, window))
}

/// Rows as read: the windows that parse, and the problems of those that do not.
pub fn windows_of(rows: Vec<Value>) -> (Vec<(String, Window)>, Vec<StoreError>) {
    let (mut windows, mut problems) = (Vec::with_capacity(rows.len()), Vec::new());
    for row in rows {
        match window_of(row) {
            Ok(window) => windows.push(window),
            Err(problem) => problems.push(problem),
        }
    }
    (windows, problems)
}
