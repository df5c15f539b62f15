//! The management API (healthchecks.io API v1-v3 shapes) and the admin API:
//! authentication, the answer to every failure, and dispatch by route to
//! the handlers of each resource (`checks`, `channels`, `windows`,
//! `notifications`, `projects`).

mod channels;
mod checks;
mod notifications;
mod projects;
mod windows;

use super::{App, Body, Failure, Handled, Platform, Request};
use crate::domain::api::schedule;
use crate::domain::api::spec::{parse_spec, CheckSpec, SpecError};
use crate::domain::api::view::{check_json, Urls};
use crate::domain::api::{presented_key, Access, AuthError};
use crate::domain::badge::badge_urls;
use crate::domain::check::{Check, NotPaused, Tags};
use crate::domain::ids::{key_hash, IdError, Uuid};
use crate::domain::reply::Reply;
use crate::domain::route::{CheckRef, Method, Route, API_BODY_LIMIT};
use crate::domain::time::Timestamp;
use crate::store::{Store, StoreError};
use serde_json::Value;

/// Every failure of an API request, and the answer it gets.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("{0}")]
    Admin(&'static str),
    #[error("not found")]
    NotFound,
    #[error("request body too large (limit {API_BODY_LIMIT} bytes)")]
    TooLarge,
    #[error("incomplete request body")]
    Truncated,
    #[error("check limit reached ({0} checks per project)")]
    CheckLimit(i64),
    #[error("channel limit reached ({0} channels per project)")]
    ChannelLimit(i64),
    #[error("check {0} cannot be read; an operator must repair its stored row")]
    Unreadable(Uuid),
    #[error("the check kept changing while this request was saving it; try again")]
    Contended,
    #[error("check is not paused")]
    NotPaused,
    #[error("this channel is configured by a secret (SLACK_WEBHOOK_URL or PAGERDUTY_ROUTING_KEY); change the secret instead")]
    ManagedChannel,
    #[error(transparent)]
    Unavailable(#[from] Failure),
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        ApiError::Unavailable(err.into())
    }
}

impl From<IdError> for ApiError {
    fn from(err: IdError) -> Self {
        ApiError::Unavailable(err.into())
    }
}

impl From<NotPaused> for ApiError {
    fn from(_: NotPaused) -> Self {
        ApiError::NotPaused
    }
}

impl ApiError {
    fn reply(&self, platform: &impl Platform) -> Reply {
        let status = match self {
            ApiError::Spec(_) | ApiError::Truncated => 400,
            ApiError::Auth(_) | ApiError::Admin(_) => 401,
            ApiError::CheckLimit(_) | ApiError::ChannelLimit(_) => 403,
            ApiError::NotFound => 404,
            ApiError::NotPaused | ApiError::ManagedChannel | ApiError::Contended => 409,
            ApiError::TooLarge => 413,
            ApiError::Unreadable(_) => 503,
            ApiError::Unavailable(failure) => return failure.reply("api", false, platform),
        };
        Reply::error(status, self.to_string())
    }
}

pub async fn handle<S: Store, P: Platform>(app: &App<'_, S, P>, route: &Route, req: &Request) -> Handled {
    let handled = if req.method == Method::Options {
        Reply::empty(204).into()
    } else if !route.methods().contains(&req.method) {
        route.method_not_allowed().into()
    } else {
        match dispatch(app, route, req).await {
            Ok(handled) => handled,
            Err(err) => err.reply(app.platform).into(),
        }
    };
    Handled { reply: route.with_api_cors(handled.reply), after: handled.after }
}

/// One API request, authenticated, with its project's database.
pub struct Api<'a, S: Store, P: Platform> {
    pub app: &'a App<'a, S, P>,
    pub store: &'a S,
    pub shard: usize,
    pub project: String,
    pub req: &'a Request,
    pub view: View,
}

/// How checks are shown to this request.
pub struct View {
    pub urls: Urls,
    pub read_only: bool,
    pub now: Timestamp,
}

impl View {
    pub fn check(&self, check: &Check) -> Value {
        let channels = if self.read_only { Vec::new() } else { check.routes.channel_ids() };
        check_json(check, &channels, &self.urls, self.read_only, self.now)
    }
}

fn body_of(req: &Request) -> Result<&[u8], ApiError> {
    match &req.body {
        Body::Read { kept, cut: false } => Ok(kept),
        Body::Read { cut: true, .. } | Body::TooLarge => Err(ApiError::TooLarge),
        Body::Truncated => Err(ApiError::Truncated),
    }
}

async fn dispatch<S: Store, P: Platform>(
    app: &App<'_, S, P>,
    route: &Route,
    req: &Request,
) -> Result<Handled, ApiError> {
    let body = body_of(req)?;
    if let Route::Projects = route {
        return Ok(projects::handle(app, req, body).await?.into());
    }
    // As healthchecks does, a POST body is validated before the key is checked.
    let check_body = matches!(route, Route::Checks { .. } | Route::Check { .. } | Route::CheckAction { .. });
    let spec = if req.method == Method::Post && check_body { parse_spec(body)? } else { CheckSpec::default() };
    let x_api_key = req.header("x-api-key");
    let key = presented_key(x_api_key, req.header("authorization"), spec.api_key.as_deref())?;
    let (shard, store) = app.shards.for_key(key).ok_or(AuthError::WrongKey)?;
    let (project, access) = match store.api_key(&key_hash(key)).await? {
        Some((project, true)) => (project, Access::ReadOnly),
        Some((project, false)) => (project, Access::ReadWrite),
        None => return Err(AuthError::WrongKey.into()),
    };
    // Writes, and ping history (bodies can hold secrets), need a read-write key.
    // Channels hold webhook URLs and routing keys: read-write keys only, as in healthchecks.
    let needs_write = matches!(req.method, Method::Post | Method::Delete)
        || matches!(
            route,
            Route::CheckPings { .. }
                | Route::PingBody { .. }
                | Route::Channels
                | Route::Channel(_)
                | Route::Notifications
        );
    if needs_write && access == Access::ReadOnly {
        return Err(AuthError::WrongKey.into());
    }
    let version = match route {
        Route::Checks { version }
        | Route::Check { version, .. }
        | Route::CheckAction { version, .. }
        | Route::CheckSnooze { version, .. }
        | Route::CheckPings { version, .. }
        | Route::PingBody { version, .. }
        | Route::CheckFlips { version, .. } => *version,
        _ => 3,
    };
    let base = app.settings.public_url.clone().unwrap_or_else(|| req.origin.clone());
    let view = View {
        urls: Urls { base, api_version: version, ping_email_domain: app.settings.ping_email_domain.clone() },
        read_only: access == Access::ReadOnly,
        now: app.platform.now(),
    };
    let api = Api { app, store, shard, project, req, view };
    match route {
        Route::Checks { .. }
        | Route::Check { .. }
        | Route::CheckAction { .. }
        | Route::CheckSnooze { .. }
        | Route::CheckPings { .. }
        | Route::PingBody { .. }
        | Route::CheckFlips { .. } => checks::handle(&api, route, &spec, body).await,
        Route::Channels | Route::Channel(_) | Route::ChannelTest(_) => channels::handle(&api, route, body).await,
        Route::ChannelKinds => Ok(Reply::json(200, &crate::domain::channels::describe::kinds_json()).into()),
        Route::MaintenanceWindows | Route::MaintenanceWindow(_) => Ok(windows::handle(&api, route, body).await?.into()),
        Route::Notifications => Ok(notifications::handle(&api).await?.into()),
        Route::Badges => Ok(api.badges().await?.into()),
        Route::SchedulePreview => Ok(Reply::json(200, &schedule::preview(&req.query, api.view.now)?).into()),
        Route::TimeZones => Ok(Reply::json(200, &schedule::zones()).into()),
        _ => Err(ApiError::NotFound),
    }
}

impl<S: Store, P: Platform> Api<'_, S, P> {
    /// A check of this project; another project's check is "not found", so
    /// nobody learns that it exists.
    pub async fn find_check(&self, check: &CheckRef) -> Result<Check, ApiError> {
        let found = match check {
            CheckRef::Uuid(uuid) => {
                if self.app.shards.for_uuid(uuid).map(|(n, _)| n) != Some(self.shard) {
                    return Err(ApiError::NotFound);
                }
                match self.store.check_by_uuid(uuid).await {
                    Err(StoreError::Corrupt(problem)) => {
                        self.app.platform.log(super::Level::Warn, &format!("api: {problem}"));
                        return Err(ApiError::Unreadable(*uuid));
                    }
                    other => other?,
                }
            }
            CheckRef::UniqueKey(key) => self.store.check_by_unique_key(&self.project, key).await?,
        };
        found.filter(|c| c.project_id == self.project).ok_or(ApiError::NotFound)
    }

    /// `GET /api/v3/badges/`: every badge URL of the project.
    async fn badges(&self) -> Result<Reply, ApiError> {
        let badges = self.store.project_badges(&self.project).await?.ok_or(ApiError::NotFound)?;
        let mut tags: Vec<String> = self
            .store
            .tag_texts(&self.project)
            .await?
            .iter()
            .flat_map(|text| Tags::parse(text).iter().map(str::to_owned).collect::<Vec<_>>())
            .collect();
        tags.sort();
        tags.dedup();
        let urls = &self.view.urls;
        Ok(Reply::json(200, &badge_urls(&urls.base, badges.badge_secret.as_bytes(), &badges.badge_key, &tags)))
    }
}
