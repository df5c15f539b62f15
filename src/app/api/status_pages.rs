//! `/api/v3/status-pages/…`: a project's public status pages (read-write
//! key). Every page is kept in the first database (slugs are unique across
//! the deployment); the checks it names must be the project's. A change
//! forgets the page's cached answers.

use super::{Api, ApiError};
use crate::app::status_pages::forget;
use crate::app::Platform;
use crate::domain::api::spec::SpecError;
use crate::domain::audit::{fields, STATUS_PAGE_FIELDS};
use crate::domain::reply::Reply;
use crate::domain::route::{Method, Route};
use crate::domain::status_page::{page_json, parse_page, PageSpec, StatusPage, MAX_PAGES};
use crate::store::{PageCreated, Store};
use serde_json::{json, Value};

pub async fn handle<S: Store, P: Platform>(api: &Api<'_, S, P>, route: &Route, body: &[u8]) -> Result<Reply, ApiError> {
    let pages = api.app.shards.first();
    let base = api.view.urls.base.as_str();
    let now = api.view.now;
    match (route, api.req.method) {
        (Route::StatusPages, Method::Get) => {
            let listed: Vec<Value> =
                pages.status_pages(&api.project).await?.iter().map(|p| page_json(p, base)).collect();
            Ok(Reply::json(200, &json!({ "status_pages": listed })))
        }
        (Route::StatusPages, _) => {
            let spec = parse_page(body, None)?;
            own_checks(api, &spec).await?;
            let page = spec.into_page(&api.project, now, now);
            match pages.create_status_page(&page, MAX_PAGES).await? {
                PageCreated::Created => {}
                PageCreated::SlugTaken => return Err(ApiError::SlugTaken(page.slug)),
                PageCreated::AtLimit => return Err(ApiError::PageLimit(MAX_PAGES)),
            }
            // A visitor may have been told "not found" a moment ago.
            forget_page(api, &page.slug).await;
            log_page(api, "status_page.create", &page).await?;
            Ok(Reply::json(201, &page_json(&page, base)))
        }
        (Route::StatusPage(slug), method) => {
            // Another project's page is "not found": nobody learns whose it is.
            let page =
                pages.status_page(slug).await?.filter(|p| p.project_id == api.project).ok_or(ApiError::NotFound)?;
            match method {
                Method::Get => Ok(Reply::json(200, &page_json(&page, base))),
                Method::Post => {
                    let spec = parse_page(body, Some(&page.slug))?;
                    own_checks(api, &spec).await?;
                    let replaced = StatusPage { updated_at: now, ..spec.into_page(&api.project, page.created_at, now) };
                    if !pages.replace_status_page(&replaced).await? {
                        return Err(ApiError::NotFound);
                    }
                    forget_page(api, &replaced.slug).await;
                    log_page(api, "status_page.edit", &replaced).await?;
                    Ok(Reply::json(200, &page_json(&replaced, base)))
                }
                _ => {
                    if !pages.delete_status_page(&api.project, &page.slug).await? {
                        return Err(ApiError::NotFound);
                    }
                    forget_page(api, &page.slug).await;
                    log_page(api, "status_page.delete", &page).await?;
                    Ok(Reply::json(200, &page_json(&page, base)))
                }
            }
        }
        _ => Err(ApiError::NotFound),
    }
}

/// Every check the spec names by uuid is one of the project's.
async fn own_checks<S: Store, P: Platform>(api: &Api<'_, S, P>, spec: &PageSpec) -> Result<(), ApiError> {
    if spec.checks.is_empty() {
        return Ok(());
    }
    let (checks, _) = api.store.list_check_states(&api.project).await?;
    match spec.checks.iter().find(|uuid| !checks.iter().any(|c| c.uuid == **uuid)) {
        Some(missing) => Err(SpecError::Invalid(format!("checks: the project has no check {missing}")).into()),
        None => Ok(()),
    }
}

/// Logs a change of a page once it is made (pages live in the first
/// database, the log in the project's: its entry is a write of its own).
async fn log_page<S: Store, P: Platform>(api: &Api<'_, S, P>, action: &str, page: &StatusPage) -> Result<(), ApiError> {
    let detail = fields(&page_json(page, api.view.urls.base.as_str()), STATUS_PAGE_FIELDS);
    Ok(api.store.record_audit(&api.audit(action, None, detail)).await?)
}

/// Forgets the page's cached answers, at the address the API hands out and
/// at the one this request came to.
async fn forget_page<S: Store, P: Platform>(api: &Api<'_, S, P>, slug: &str) {
    let base = api.view.urls.base.as_str();
    let origin = api.req.origin.as_str();
    let origins: Vec<&str> = if base == origin { vec![base] } else { vec![base, origin] };
    forget(api.app.platform, &origins, slug).await;
}
