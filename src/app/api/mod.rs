//! The management API (healthchecks.io API v1-v3 shapes) and the admin API:
//! authentication, the answer to every failure, and dispatch by route to
//! the handlers of each resource (`checks`, `channels`, `windows`,
//! `notifications`, `projects`, `people`: members, keys, logs). Who a
//! request is and what it may do is `auth`'s, for every request.

mod auth;
mod channels;
mod checks;
mod notifications;
mod people;
mod projects;
mod status_pages;
mod windows;

use super::{App, Body, Failure, Handled, Platform, Request};
use crate::domain::access::csrf::cross_site;
use crate::domain::access::roles::Actor;
use crate::domain::access::token::TokenError;
use crate::domain::api::schedule;
use crate::domain::api::spec::{parse_spec, CheckSpec, SpecError};
use crate::domain::api::view::{check_json, Urls};
use crate::domain::api::AuthError;
use crate::domain::audit::AuditWrite;
use crate::domain::badge::badge_urls;
use crate::domain::check::{is_sync_marker, Check, NotPaused, Tags};
use crate::domain::ids::{IdError, Uuid};
use crate::domain::maintenance::OpenWindows;
use crate::domain::reply::Reply;
use crate::domain::route::{CheckRef, Method, Route, API_BODY_LIMIT};
use crate::domain::time::Timestamp;
use crate::store::{Store, StoreError};
use auth::Scope;
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
    #[error("status page limit reached ({0} pages per project)")]
    PageLimit(i64),
    #[error("the slug {0:?} is taken: a status page's address is unique across the deployment")]
    SlugTaken(String),
    #[error("check {0} cannot be read; an operator must repair its stored row")]
    Unreadable(Uuid),
    #[error("the check kept changing while this request was saving it; try again")]
    Contended,
    #[error("check is not paused")]
    NotPaused,
    #[error("this channel is configured by a secret (SLACK_WEBHOOK_URL or PAGERDUTY_ROUTING_KEY); change the secret instead")]
    ManagedChannel,
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("{0}")]
    Forbidden(String),
    #[error(
        "you are not a member of this project (name one of yours with the X-Edgebeat-Project header or ?project=)"
    )]
    NotAMember,
    #[error("you are a member of {0} projects: name one with the X-Edgebeat-Project header or ?project=")]
    ChooseProject(usize),
    #[error("cross-site request refused: {0}")]
    CrossSite(String),
    #[error("a project keeps at least one owner: make someone else an owner first")]
    LastOwner,
    #[error("member limit reached ({0} members per project)")]
    MemberLimit(i64),
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
            ApiError::Spec(_) | ApiError::Truncated | ApiError::ChooseProject(_) => 400,
            ApiError::Token(TokenError::KeysUnavailable(_)) => {
                return Reply::error(503, self.to_string()).with_header("Retry-After", "5")
            }
            ApiError::Auth(_) | ApiError::Admin(_) | ApiError::Token(_) => 401,
            ApiError::CheckLimit(_) | ApiError::ChannelLimit(_) | ApiError::MemberLimit(_) | ApiError::PageLimit(_) => {
                403
            }
            ApiError::Forbidden(_) | ApiError::NotAMember | ApiError::CrossSite(_) => 403,
            ApiError::NotFound => 404,
            ApiError::NotPaused
            | ApiError::ManagedChannel
            | ApiError::Contended
            | ApiError::LastOwner
            | ApiError::SlugTaken(_) => 409,
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
    } else if let Some(why) = cross_site_write(app, req) {
        ApiError::CrossSite(why).reply(app.platform).into()
    } else {
        match dispatch(app, route, req).await {
            Ok(handled) => handled,
            Err(err) => err.reply(app.platform).into(),
        }
    };
    Handled { reply: route.with_api_cors(handled.reply), after: handled.after }
}

/// Why a write is refused as sent from another site (`domain::access::csrf`),
/// whoever sends it: the request's own origin and `PUBLIC_URL` are ours.
fn cross_site_write<S: Store, P: Platform>(app: &App<'_, S, P>, req: &Request) -> Option<String> {
    let mut own = vec![req.origin.as_str()];
    if let Some(public) = &app.settings.public_url {
        own.push(public.as_str());
    }
    cross_site(req.method, req.header("origin"), req.header("sec-fetch-site"), &own)
}

/// One API request, authenticated, with its project's database.
pub struct Api<'a, S: Store, P: Platform> {
    pub app: &'a App<'a, S, P>,
    pub store: &'a S,
    pub shard: usize,
    pub project: String,
    pub req: &'a Request,
    pub view: View,
    /// Who makes it, as the log of changes names them.
    pub actor: Actor,
}

/// How checks are shown to this request.
pub struct View {
    pub urls: Urls,
    pub read_only: bool,
    pub now: Timestamp,
    /// The project's maintenance windows open now, for answers that show
    /// checks (`snoozed_until` is the later of a check's own snooze and
    /// the windows that select it); empty for other routes.
    pub windows: OpenWindows,
}

impl View {
    pub fn check(&self, check: &Check) -> Value {
        self.check_at(check, self.now)
    }

    /// The check as it stands at `now`: for an answer to a write decided
    /// after the request's own instant (a snooze ended at the write's time
    /// has ended by then).
    pub fn check_at(&self, check: &Check, now: Timestamp) -> Value {
        let channels = if self.read_only { Vec::new() } else { check.routes.channel_ids() };
        check_json(check, &channels, &self.urls, self.read_only, now, &self.windows)
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
    let caller = auth::caller(app, route, req, spec.api_key.as_deref()).await?;
    if let Route::Me = route {
        return Ok(people::me(app, &caller).await?.into());
    }
    let scope = auth::scope(app, route, req, caller).await?;
    auth::allow(&scope.actor, route, req.method)?;
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
    let now = app.platform.now();
    let view = View {
        urls: Urls { base, api_version: version, ping_email_domain: app.settings.ping_email_domain.clone() },
        read_only: scope.actor.reads_only(),
        now,
        windows: windows::shown(scope.store, app.platform, &scope.project, route, now).await?,
    };
    let Scope { store, shard, project, actor } = scope;
    let api = Api { app, store, shard, project, req, view, actor };
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
        Route::StatusPages | Route::StatusPage(_) => Ok(status_pages::handle(&api, route, body).await?.into()),
        Route::Badges => Ok(api.badges().await?.into()),
        Route::SchedulePreview => Ok(Reply::json(200, &schedule::preview(&req.query, api.view.now)?).into()),
        Route::TimeZones => Ok(Reply::json(200, &schedule::zones()).into()),
        Route::Project(_)
        | Route::ProjectMembers(_)
        | Route::ProjectMember { .. }
        | Route::ProjectKeys(_)
        | Route::ProjectAudit(_)
        | Route::CheckAudit(_) => Ok(people::handle(&api, route, body).await?.into()),
        _ => Err(ApiError::NotFound),
    }
}

impl<S: Store, P: Platform> Api<'_, S, P> {
    /// A log entry of a change this request makes, now.
    pub fn audit(&self, action: &str, check: Option<Uuid>, detail: Value) -> AuditWrite {
        AuditWrite::new(&self.project, check, self.view.now, &self.actor.label(), action, detail)
    }

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
            .flat_map(|text| {
                Tags::parse(text).iter().filter(|t| !is_sync_marker(t)).map(str::to_owned).collect::<Vec<_>>()
            })
            .collect();
        crate::domain::sorting::sort(&mut tags);
        tags.dedup();
        let urls = &self.view.urls;
        Ok(Reply::json(200, &badge_urls(&urls.base, badges.badge_secret.as_bytes(), &badges.badge_key, &tags)))
    }
}
