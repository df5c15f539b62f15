//! Maintenance windows in the API: `GET|POST /api/v3/maintenance/` and
//! `GET|POST|DELETE /api/v3/maintenance/<id>`, and the windows open now that
//! every answer showing a check weighs (`snoozed_until`). The domain parses,
//! evaluates and shows them (`crate::domain::maintenance`).

use super::api::ApiError;
use super::store::Store;
use crate::domain::api::spec::SpecError;
use crate::domain::ids::Uuid;
use crate::domain::maintenance::{parse_window, window_json, OpenWindows, Window, MAX_WINDOWS};
use crate::domain::reply::Reply;
use crate::domain::route::{Method, Route};
use crate::domain::time::Timestamp;
use serde_json::{json, Value};
use worker::console_warn;

/// The project's windows that can be read, oldest first; a row that cannot
/// be read is logged and left out.
pub async fn readable_windows(store: &Store, project: &str) -> Result<Vec<Window>, ApiError> {
    let (rows, problems) = store.windows(project).await?;
    for problem in problems {
        console_warn!("api: skipping {problem}");
    }
    Ok(rows.into_iter().map(|(_, window)| window).collect())
}

/// The project's windows open at `now`, for a route whose answer shows
/// checks (each shows until when they hold it); none for other routes.
pub async fn windows_shown(
    store: &Store,
    project: &str,
    route: &Route,
    now: Timestamp,
) -> Result<OpenWindows, ApiError> {
    let shows_checks = matches!(
        route,
        Route::Checks { .. } | Route::Check { .. } | Route::CheckAction { .. } | Route::CheckSnooze { .. }
    );
    if !shows_checks {
        return Ok(OpenWindows::default());
    }
    Ok(OpenWindows::at(readable_windows(store, project).await?, now))
}

/// The maintenance routes; `id` names one window. A read-only key sees the
/// windows' checks by their unique keys.
pub async fn respond(
    store: &Store,
    project: &str,
    id: Option<&str>,
    method: Method,
    body: &[u8],
    now: Timestamp,
    read_only: bool,
) -> Result<Reply, ApiError> {
    let shown = |window: &Window| window_json(window, now, read_only);
    let Some(id) = id else {
        if method == Method::Get {
            let windows: Vec<Value> = readable_windows(store, project).await?.iter().map(shown).collect();
            return Ok(Reply::json(200, &json!({ "windows": windows })));
        }
        let window = parse_window(body, Uuid::random()?.to_string())?;
        if !store.save_window(project, &window, MAX_WINDOWS, now).await? {
            return Err(SpecError::Invalid(format!("a project has at most {MAX_WINDOWS} maintenance windows")).into());
        }
        return Ok(Reply::json(201, &shown(&window)));
    };
    let windows = readable_windows(store, project).await?;
    let window = windows.into_iter().find(|w| w.id == id).ok_or(ApiError::NotFound)?;
    match method {
        Method::Get => Ok(Reply::json(200, &shown(&window))),
        Method::Post => {
            let replaced = parse_window(body, window.id.clone())?;
            store.save_window(project, &replaced, MAX_WINDOWS, now).await?;
            Ok(Reply::json(200, &shown(&replaced)))
        }
        _ => {
            store.delete_window(project, &window.id).await?;
            Ok(Reply::json(200, &shown(&window)))
        }
    }
}
