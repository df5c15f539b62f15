//! `/api/v3/maintenance/…`: a project's maintenance windows, and the
//! windows open now that every answer showing a check weighs
//! (`snoozed_until`). The domain parses, evaluates and shows them
//! (`crate::domain::maintenance`).

use super::{Api, ApiError};
use crate::app::{Level, Platform};
use crate::domain::api::spec::SpecError;
use crate::domain::audit::{fields, WINDOW_FIELDS};
use crate::domain::ids::Uuid;
use crate::domain::maintenance::{parse_window, window_json, OpenWindows, Window, MAX_WINDOWS};
use crate::domain::reply::Reply;
use crate::domain::route::{Method, Route};
use crate::domain::time::Timestamp;
use crate::store::{Store, StoreError};
use serde_json::{json, Value};

/// The project's windows that can be read, oldest first; a row that cannot
/// be read is logged and left out.
pub async fn readable<S: Store>(store: &S, platform: &impl Platform, project: &str) -> Result<Vec<Window>, StoreError> {
    let (windows, problems) = store.windows(project).await?;
    for problem in problems {
        platform.log(Level::Warn, &format!("api: skipping {problem}"));
    }
    Ok(windows)
}

/// The project's windows open at `now`, for a route whose answer shows
/// checks (each shows until when they hold it); none for other routes,
/// which then read nothing.
pub async fn shown<S: Store>(
    store: &S,
    platform: &impl Platform,
    project: &str,
    route: &Route,
    now: Timestamp,
) -> Result<OpenWindows, StoreError> {
    let shows_checks = matches!(
        route,
        Route::Checks { .. } | Route::Check { .. } | Route::CheckAction { .. } | Route::CheckSnooze { .. }
    );
    if !shows_checks {
        return Ok(OpenWindows::default());
    }
    Ok(OpenWindows::at(readable(store, platform, project).await?, now))
}

/// The maintenance routes. A read-only key sees the windows' checks by
/// their unique keys (a UUID is a ping credential).
pub async fn handle<S: Store, P: Platform>(api: &Api<'_, S, P>, route: &Route, body: &[u8]) -> Result<Reply, ApiError> {
    let now = api.view.now;
    let project = &api.project;
    let shown = |window: &Window| window_json(window, now, api.view.read_only);
    let readable = || readable(api.store, api.app.platform, project);
    match (route, api.req.method) {
        (Route::MaintenanceWindows, Method::Get) => {
            let windows: Vec<Value> = readable().await?.iter().map(shown).collect();
            Ok(Reply::json(200, &json!({ "windows": windows })))
        }
        (Route::MaintenanceWindows, _) => {
            let window = parse_window(body, Uuid::random()?.to_string())?;
            if !api.store.save_window(project, &window, MAX_WINDOWS, now).await? {
                return Err(
                    SpecError::Invalid(format!("a project has at most {MAX_WINDOWS} maintenance windows")).into()
                );
            }
            api.log_window("window.create", &window).await?;
            Ok(Reply::json(201, &shown(&window)))
        }
        (Route::MaintenanceWindow(id), method) => {
            let window = readable().await?.into_iter().find(|w| &w.id == id).ok_or(ApiError::NotFound)?;
            match method {
                Method::Get => Ok(Reply::json(200, &shown(&window))),
                Method::Post => {
                    let replaced = parse_window(body, window.id.clone())?;
                    api.store.save_window(project, &replaced, MAX_WINDOWS, now).await?;
                    api.log_window("window.edit", &replaced).await?;
                    Ok(Reply::json(200, &shown(&replaced)))
                }
                _ => {
                    api.store.delete_window(project, &window.id).await?;
                    api.log_window("window.delete", &window).await?;
                    Ok(Reply::json(200, &shown(&window)))
                }
            }
        }
        _ => Err(ApiError::NotFound),
    }
}

impl<S: Store, P: Platform> Api<'_, S, P> {
    /// Logs a change of a window, once it is made (a window is no plan:
    /// its entry is a write of its own).
    async fn log_window(&self, action: &str, window: &Window) -> Result<(), ApiError> {
        // Stored with the checks' UUIDs; the log shows a read-only reader their unique keys.
        let detail = fields(&window_json(window, self.view.now, false), WINDOW_FIELDS);
        Ok(self.store.record_audit(&self.audit(action, None, detail)).await?)
    }
}
