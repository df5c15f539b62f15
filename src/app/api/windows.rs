//! `/api/v3/maintenance/…`: a project's maintenance windows.

use super::{Api, ApiError};
use crate::app::Platform;
use crate::domain::api::spec::SpecError;
use crate::domain::audit::{fields, WINDOW_FIELDS};
use crate::domain::ids::Uuid;
use crate::domain::maintenance::{parse_window, window_json, Window, MAX_WINDOWS};
use crate::domain::reply::Reply;
use crate::domain::route::{Method, Route};
use crate::store::Store;
use serde_json::{json, Value};

pub async fn handle<S: Store, P: Platform>(api: &Api<'_, S, P>, route: &Route, body: &[u8]) -> Result<Reply, ApiError> {
    let now = api.view.now;
    let project = &api.project;
    match (route, api.req.method) {
        (Route::MaintenanceWindows, Method::Get) => {
            let windows: Vec<Value> = api.store.windows(project).await?.iter().map(|w| window_json(w, now)).collect();
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
            Ok(Reply::json(201, &window_json(&window, now)))
        }
        (Route::MaintenanceWindow(id), method) => {
            let windows = api.store.windows(project).await?;
            let window = windows.into_iter().find(|w| &w.id == id).ok_or(ApiError::NotFound)?;
            match method {
                Method::Get => Ok(Reply::json(200, &window_json(&window, now))),
                Method::Post => {
                    let replaced = parse_window(body, window.id.clone())?;
                    api.store.save_window(project, &replaced, MAX_WINDOWS, now).await?;
                    api.log_window("window.edit", &replaced).await?;
                    Ok(Reply::json(200, &window_json(&replaced, now)))
                }
                _ => {
                    api.store.delete_window(project, &window.id).await?;
                    api.log_window("window.delete", &window).await?;
                    Ok(Reply::json(200, &window_json(&window, now)))
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
        let detail = fields(&window_json(window, self.view.now), WINDOW_FIELDS);
        Ok(self.store.record_audit(&self.audit(action, None, detail)).await?)
    }
}
