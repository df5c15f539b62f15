//! The management API (healthchecks.io API v1-v3 shapes) and the admin API.

use super::context::{read_body, Body, Failure, RequestContext};
use super::deliver::send;
use super::maintenance;
use super::router::method_not_allowed;
use super::store::{Expected, NewProject, Saved, Store};
use crate::domain::alert::Alert;
use crate::domain::api::schedule;
use crate::domain::api::spec::{
    apply, matches_unique, parse_snooze, parse_spec, unique_values, validate, CheckSpec, SpecError,
};
use crate::domain::api::view::{check_json, Urls};
use crate::domain::api::{list_filter, parse_project_name, presented_key, Access, AuthError};
use crate::domain::badge::badge_urls;
use crate::domain::body::BodyLimits;
use crate::domain::channel::{channel_json, parse_channel_spec, Channel};
use crate::domain::check::{Check, CheckConfig, NotPaused, Tags};
use crate::domain::history::{flips_json, pings_json, FlipFilter};
use crate::domain::ids::{key_hash, random_token, secret_matches, KeyKind, Uuid};
use crate::domain::integrations::request_for;
use crate::domain::maintenance::OpenWindows;
use crate::domain::outbox::AttemptResult;
use crate::domain::reply::Reply;
use crate::domain::route::{CheckAction, CheckRef, Method, Route};
use crate::domain::time::Timestamp;
use serde_json::{json, Value};
use worker::{console_warn, Request};

/// Writes retried after finding the check changed under them.
const ATTEMPTS: usize = 5;

/// API request bodies are small JSON documents.
const API_BODY_LIMIT: usize = 64 * 1024;

/// Every failure of an API request, and the answer it gets.
#[derive(Debug, thiserror::Error)]
pub(super) enum ApiError {
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
    IncompleteBody,
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

impl From<super::store::StoreError> for ApiError {
    fn from(err: super::store::StoreError) -> Self {
        ApiError::Unavailable(err.into())
    }
}

impl From<crate::domain::ids::IdError> for ApiError {
    fn from(err: crate::domain::ids::IdError) -> Self {
        ApiError::Unavailable(err.into())
    }
}

impl From<NotPaused> for ApiError {
    fn from(_: NotPaused) -> Self {
        ApiError::NotPaused
    }
}

impl ApiError {
    fn reply(&self) -> Reply {
        let status = match self {
            ApiError::Spec(_) | ApiError::IncompleteBody => 400,
            ApiError::Auth(_) | ApiError::Admin(_) => 401,
            ApiError::CheckLimit(_) | ApiError::ChannelLimit(_) => 403,
            ApiError::NotFound => 404,
            ApiError::NotPaused | ApiError::ManagedChannel | ApiError::Contended => 409,
            ApiError::TooLarge => 413,
            ApiError::Unreadable(_) => 503,
            ApiError::Unavailable(failure) => return failure.reply("api", false),
        };
        Reply::error(status, self.to_string())
    }
}

/// CORS as healthchecks: any origin may call the API with a key.
fn with_cors(reply: Reply, route: &Route) -> Reply {
    let mut methods: Vec<&str> = route.methods().iter().map(|m| m.as_str()).collect();
    methods.push("OPTIONS");
    reply
        .with_header("Access-Control-Allow-Origin", "*")
        .with_header("Access-Control-Allow-Headers", "X-Api-Key, Authorization, Content-Type")
        .with_header("Access-Control-Allow-Methods", methods.join(", "))
        .with_header("Access-Control-Max-Age", "600")
}

pub async fn handle(route: &Route, ctx: &RequestContext<'_>, req: &mut Request) -> Reply {
    let method = ctx.incoming.method;
    let reply = if method == Method::Options {
        Reply::empty(204)
    } else if !route.methods().contains(&method) {
        method_not_allowed(route)
    } else {
        match dispatch(route, ctx, req).await {
            Ok(reply) => reply,
            Err(err) => err.reply(),
        }
    };
    with_cors(reply, route)
}

struct Api<'a> {
    store: &'a Store,
    ctx: &'a RequestContext<'a>,
}

async fn dispatch(route: &Route, ctx: &RequestContext<'_>, req: &mut Request) -> Result<Reply, ApiError> {
    let incoming = &ctx.incoming;
    let body = match read_body(req, BodyLimits { keep: API_BODY_LIMIT, accept: API_BODY_LIMIT }).await {
        Body::Read { kept, cut: false } => kept,
        Body::Read { cut: true, .. } | Body::TooLarge => return Err(ApiError::TooLarge),
        Body::Incomplete => return Err(ApiError::IncompleteBody),
    };
    let api = Api { store: ctx.store()?, ctx };
    if let Route::Projects = route {
        return api.projects(&body).await;
    }
    // As healthchecks does, a POST body is validated before the key is checked.
    let check_body = matches!(route, Route::Checks { .. } | Route::Check { .. } | Route::CheckAction { .. });
    let spec = if incoming.method == Method::Post && check_body { parse_spec(&body)? } else { CheckSpec::default() };
    let (project, access) = api.authenticate(spec.api_key.as_deref()).await?;
    // Writes, and ping history (bodies can hold secrets), need a read-write key.
    // Channels hold webhook URLs and routing keys: read-write keys only, as in healthchecks.
    let needs_write = matches!(incoming.method, Method::Post | Method::Delete)
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
    let urls = Urls { base: ctx.base_url(), api_version: version };
    let windows = maintenance::windows_shown(api.store, &project, route, ctx.now).await?;
    let view = View { urls, read_only: access == Access::ReadOnly, now: ctx.now, windows };
    match (route, incoming.method) {
        (Route::Checks { .. }, Method::Get) => api.list_checks(&project, &view).await,
        (Route::Checks { .. }, _) => api.create_check(&project, &spec, &view).await,
        (Route::Check { check, .. }, Method::Get) => {
            let check = api.find_check(&project, check).await?;
            Ok(Reply::json(200, &api.shown(&check, &view).await?))
        }
        (Route::Check { check, .. }, Method::Post) => {
            let check = api.find_check(&project, check).await?;
            api.update_check(&project, check, &spec, &view).await
        }
        (Route::Check { check, .. }, _) => {
            let check = api.find_check(&project, check).await?;
            api.store.delete_check(&check).await?;
            Ok(Reply::json(200, &view.check(&check, &[])))
        }
        (Route::CheckAction { check, action, .. }, _) => {
            let check = api.find_check(&project, &CheckRef::Uuid(*check)).await?;
            api.check_action(check, *action, &view).await
        }
        (Route::CheckSnooze { check, .. }, method) => {
            let check = api.find_check(&project, &CheckRef::Uuid(*check)).await?;
            let until = match method {
                Method::Post => Some(parse_snooze(&body, view.now)?),
                _ => None,
            };
            match super::snooze::snooze(api.store, check, until, view.now).await? {
                Some(saved) => Ok(Reply::json(200, &api.shown(&saved, &view).await?)),
                None => Err(ApiError::NotFound),
            }
        }
        (Route::CheckPings { check, .. }, _) => {
            let check = api.find_check(&project, &CheckRef::Uuid(*check)).await?;
            // At most 1,000 (as healthchecks): one bounded read even with a long history.
            let history = ctx.settings.ping_history;
            let pings = api.store.list_pings(check.id, check.n_pings - history, history.min(1000)).await?;
            let base = view.urls.check_url(&check.uuid);
            Ok(Reply::json(200, &pings_json(&pings, |n| format!("{base}/pings/{n}/body"))))
        }
        (Route::PingBody { check, n, .. }, _) => {
            let check = api.find_check(&project, &CheckRef::Uuid(*check)).await?;
            // A ping older than the kept history is gone, even if not yet pruned.
            if *n <= check.n_pings - ctx.settings.ping_history {
                return Err(ApiError::NotFound);
            }
            let body = api.store.ping_body(check.id, *n, ctx.settings.ping_history).await?.ok_or(ApiError::NotFound)?;
            Ok(Reply { status: 200, headers: vec![("Content-Type", "text/plain".to_owned())], body })
        }
        (Route::CheckFlips { check, .. }, _) => {
            let check = api.find_check(&project, check).await?;
            let filter = FlipFilter::parse(&incoming.query).map_err(|e| SpecError::Invalid(e.to_string()))?;
            let (from, until) = filter.window(view.now);
            Ok(Reply::json(200, &flips_json(&api.store.list_flips(check.id, from, until).await?)))
        }
        (Route::Channels, Method::Get) => {
            let channels: Vec<Value> =
                api.all_channels(&project).await?.iter().map(|(c, managed)| channel_json(c, *managed)).collect();
            Ok(Reply::json(200, &json!({ "channels": channels })))
        }
        (Route::Channels, _) => {
            let spec = parse_channel_spec(&body, None, ctx.settings.allow_private_destinations)?;
            let channel =
                Channel { id: Uuid::random()?.to_string(), name: spec.name, config: spec.config, events: spec.events };
            api.save_channel(&project, &channel, spec.assign_to_all_checks).await?;
            Ok(Reply::json(201, &channel_json(&channel, false)))
        }
        (Route::Channel(id), method) => {
            let (channel, managed) = api.find_channel(&project, id).await?;
            if managed && method != Method::Get {
                return Err(ApiError::ManagedChannel);
            }
            match method {
                Method::Get => Ok(Reply::json(200, &channel_json(&channel, managed))),
                Method::Post => {
                    let spec = parse_channel_spec(&body, Some(&channel), ctx.settings.allow_private_destinations)?;
                    let updated = Channel { id: channel.id, name: spec.name, config: spec.config, events: spec.events };
                    api.save_channel(&project, &updated, spec.assign_to_all_checks).await?;
                    Ok(Reply::json(200, &channel_json(&updated, false)))
                }
                _ => {
                    api.store.delete_channel(&project, &channel.id).await?;
                    Ok(Reply::json(200, &channel_json(&channel, false)))
                }
            }
        }
        (Route::ChannelTest(id), _) => {
            let (channel, _) = api.find_channel(&project, id).await?;
            Ok(Reply::json(200, &api.test_channel(&channel, &view).await?))
        }
        (Route::Notifications, _) => api.notifications(&project).await,
        (Route::MaintenanceWindows, method) => {
            maintenance::respond(api.store, &project, None, method, &body, view.now, view.read_only).await
        }
        (Route::MaintenanceWindow(id), method) => {
            maintenance::respond(api.store, &project, Some(id), method, &body, view.now, view.read_only).await
        }
        (Route::Badges, _) => {
            let badges = api.store.project_badges(&project).await?.ok_or(ApiError::NotFound)?;
            let mut tags: Vec<String> = api
                .store
                .tag_texts(&project)
                .await?
                .iter()
                .flat_map(|text| Tags::parse(text).iter().map(str::to_owned).collect::<Vec<_>>())
                .collect();
            tags.sort();
            tags.dedup();
            Ok(Reply::json(200, &badge_urls(&view.urls.base, badges.badge_secret.as_bytes(), &badges.badge_key, &tags)))
        }
        (Route::SchedulePreview, _) => Ok(Reply::json(200, &schedule::preview(&incoming.query, view.now)?)),
        (Route::TimeZones, _) => Ok(Reply::json(200, &schedule::zones())),
        (Route::OpenApi, _) => Err(ApiError::NotFound),
        _ => Err(ApiError::NotFound),
    }
}

/// How checks are shown to this request.
struct View {
    urls: Urls,
    read_only: bool,
    now: Timestamp,
    /// The project's maintenance windows open now (for answers that show checks).
    windows: OpenWindows,
}

impl View {
    fn check(&self, check: &Check, channels: &[String]) -> Value {
        check_json(check, channels, &self.urls, self.read_only, self.now, &self.windows)
    }
}

impl Api<'_> {
    /// The project's channels and the default ones kept from secrets
    /// (flagged `true`).
    async fn all_channels(&self, project: &str) -> Result<Vec<(Channel, bool)>, ApiError> {
        let mut channels: Vec<(Channel, bool)> =
            self.store.channels(project).await?.into_iter().map(|c| (c, false)).collect();
        channels.extend(self.ctx.settings.default_channels().into_iter().map(|c| (c, true)));
        Ok(channels)
    }

    async fn find_channel(&self, project: &str, id: &str) -> Result<(Channel, bool), ApiError> {
        self.all_channels(project).await?.into_iter().find(|(c, _)| c.id == id).ok_or(ApiError::NotFound)
    }

    /// Sends a test alert through a channel right away and reports the result.
    async fn test_channel(&self, channel: &Channel, view: &View) -> Result<Value, ApiError> {
        let label = if channel.name.is_empty() { channel.config.kind() } else { &channel.name };
        let page = format!("{}/app/#/channels", view.urls.base);
        let alert = Alert::channel_test(label, &channel.id, page, view.now);
        // A destination the policy forbids is never contacted, not even to test.
        if let Some(problem) = channel.config.refusal(self.ctx.settings.allow_private_destinations) {
            return Ok(json!({"delivered": false, "status": null, "error": problem}));
        }
        let result = send(&request_for(&channel.config, &alert, "test", view.now)).await;
        let delivered = matches!(result, AttemptResult::Status(s) if (200..300).contains(&s));
        Ok(json!({"delivered": delivered, "status": result.status(), "error": result.error()}))
    }

    /// The outbox of this project: `?check=<uuid>` and `?state=` narrow it.
    async fn notifications(&self, project: &str) -> Result<Reply, ApiError> {
        let mut check = None;
        let mut state = None;
        for (name, value) in &self.ctx.incoming.query {
            match name.as_str() {
                "check" => {
                    let uuid =
                        Uuid::parse(value).ok_or_else(|| SpecError::Invalid("check must be a check uuid".into()))?;
                    check = Some(self.find_check(project, &CheckRef::Uuid(uuid)).await?.id);
                }
                "state" if ["pending", "delivered", "failed"].contains(&value.as_str()) => state = Some(value.clone()),
                "state" => return Err(SpecError::Invalid("state must be pending, delivered or failed".into()).into()),
                _ => {}
            }
        }
        let rows = self.store.list_notifications(project, check, state.as_deref(), 500).await?;
        let iso = |ms: i64| Timestamp::from_millis(ms).iso8601();
        let items: Vec<Value> = rows
            .iter()
            .map(|n| {
                let attempts: Vec<Value> = serde_json::from_str::<Vec<Value>>(&n.attempt_list)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|a| {
                        json!({"at": a["at"].as_i64().map(iso), "status": a["status"], "error": a["error"],
                               "duration_ms": a["duration_ms"]})
                    })
                    .collect();
                json!({
                    "id": n.id,
                    "check": n.check_uuid,
                    "channel": n.channel_id,
                    "event": n.event,
                    "reason": n.reason,
                    "state": n.state,
                    "attempts": n.attempts,
                    "created": iso(n.created_at),
                    "next_attempt": (n.state == "pending").then(|| iso(n.next_attempt_at)),
                    "last_status": n.last_status,
                    "last_error": n.last_error,
                    "finished": n.finished_at.map(iso),
                    "attempt_log": attempts,
                })
            })
            .collect();
        Ok(Reply::json(200, &json!({ "notifications": items })))
    }

    async fn authenticate(&self, body_key: Option<&str>) -> Result<(String, Access), ApiError> {
        let x_api_key = self.ctx.incoming.header("X-Api-Key");
        let authorization = self.ctx.incoming.header("Authorization");
        let key = presented_key(x_api_key.as_deref(), authorization.as_deref(), body_key)?;
        match self.store.api_key(&key_hash(key)).await? {
            Some((project, true)) => Ok((project, Access::ReadOnly)),
            Some((project, false)) => Ok((project, Access::ReadWrite)),
            None => Err(AuthError::WrongKey.into()),
        }
    }

    /// A check of this project; another project's check is "not found", so
    /// nobody learns that it exists.
    async fn find_check(&self, project: &str, check: &CheckRef) -> Result<Check, ApiError> {
        let found = match check {
            CheckRef::Uuid(uuid) => match self.store.check_by_uuid(uuid).await {
                Err(super::store::StoreError::Corrupt(problem)) => {
                    console_warn!("api: {problem}");
                    return Err(ApiError::Unreadable(*uuid));
                }
                other => other?,
            },
            CheckRef::UniqueKey(key) => self.store.check_by_unique_key(project, key).await?,
        };
        found.filter(|c| c.project_id == project).ok_or(ApiError::NotFound)
    }

    /// A check as this request may see it, with its channels.
    async fn shown(&self, check: &Check, view: &View) -> Result<Value, ApiError> {
        let channels = if view.read_only { Vec::new() } else { self.store.check_channel_ids(check.id).await? };
        Ok(view.check(check, &channels))
    }

    async fn list_checks(&self, project: &str, view: &View) -> Result<Reply, ApiError> {
        let matches = list_filter(&self.ctx.incoming.query);
        let (checks, unreadable) = self.store.list_checks(project).await?;
        for problem in &unreadable {
            console_warn!("api: listing checks: skipping {problem}");
        }
        let links = if view.read_only { Vec::new() } else { self.store.channel_links(project).await? };
        let shown: Vec<Value> = checks
            .iter()
            .filter(|c| matches(&c.config))
            .map(|c| {
                let channels: Vec<String> =
                    links.iter().filter(|(id, _)| *id == c.id).map(|(_, channel)| channel.clone()).collect();
                view.check(c, &channels)
            })
            .collect();
        Ok(Reply::json(200, &json!({ "checks": shown })))
    }

    async fn resolve_channels(&self, project: &str, spec: &CheckSpec) -> Result<Option<Vec<String>>, ApiError> {
        match &spec.channels {
            None => Ok(None),
            Some(selector) => Ok(Some(selector.resolve(&self.store.project_channels(project).await?)?)),
        }
    }

    /// Creates a check, or (a `unique` upsert) updates the one that matches.
    /// The store creates only within the check limit and while no check
    /// matches, in one statement: then a create that did not happen was
    /// beaten by a matching check (updated instead) or by the limit.
    async fn create_check(&self, project: &str, spec: &CheckSpec, view: &View) -> Result<Reply, ApiError> {
        let channels = self.resolve_channels(project, spec).await?;
        if let Some(existing) = self.matching_check(project, spec).await? {
            return self.save_check(existing, spec, channels, view).await;
        }
        let mut config = CheckConfig::default();
        apply(spec, &mut config, view.urls.api_version);
        validate(&config)?;
        let unique = unique_values(spec);
        let limit = self.ctx.settings.max_checks_per_project;
        for _ in 0..ATTEMPTS {
            let uuid = Uuid::random()?;
            let links = channels.as_deref().unwrap_or_default();
            if self.store.insert_check(&uuid, project, &config, links, unique.as_deref(), limit, view.now).await? {
                let check = self.store.check_by_uuid(&uuid).await?.ok_or(ApiError::NotFound)?;
                return Ok(Reply::json(201, &self.shown(&check, view).await?));
            }
            if let Some(existing) = self.matching_check(project, spec).await? {
                return self.save_check(existing, spec, channels, view).await;
            }
            if self.store.count_checks(project).await? >= limit {
                return Err(ApiError::CheckLimit(limit));
            }
        }
        Err(ApiError::Contended)
    }

    /// The check a `unique` upsert updates, if any.
    async fn matching_check(&self, project: &str, spec: &CheckSpec) -> Result<Option<Check>, ApiError> {
        if unique_values(spec).is_none() {
            return Ok(None);
        }
        let (checks, _) = self.store.list_checks(project).await?;
        Ok(checks.into_iter().find(|c| matches_unique(spec, &c.config)))
    }

    async fn update_check(
        &self,
        project: &str,
        check: Check,
        spec: &CheckSpec,
        view: &View,
    ) -> Result<Reply, ApiError> {
        let channels = self.resolve_channels(project, spec).await?;
        self.save_check(check, spec, channels, view).await
    }

    /// Applies a spec to a stored check and recomputes its deadline, written
    /// only if the check is still as read; otherwise read again and redo.
    async fn save_check(
        &self,
        mut check: Check,
        spec: &CheckSpec,
        channels: Option<Vec<String>>,
        view: &View,
    ) -> Result<Reply, ApiError> {
        for _ in 0..ATTEMPTS {
            let mut config = check.config.clone();
            apply(spec, &mut config, view.urls.api_version);
            validate(&config)?;
            let alert_after = config.monitoring.going_down_after(&check.state);
            let next_event_at = config.monitoring.next_event(&check.state, view.now, view.now);
            let expected = Expected::of(&check, true);
            self.ctx.race_point("api-before-write").await;
            let channels = channels.as_deref();
            if self.store.update_check(&check, &expected, &config, alert_after, next_event_at, channels).await? {
                let saved = self.store.check_by_uuid(&check.uuid).await?.ok_or(ApiError::NotFound)?;
                return Ok(Reply::json(200, &self.shown(&saved, view).await?));
            }
            check = self.store.check_by_uuid(&check.uuid).await?.ok_or(ApiError::NotFound)?;
        }
        Err(ApiError::Contended)
    }

    /// Pause or resume, as the domain decides, written only if the check is
    /// still as read.
    async fn check_action(&self, mut check: Check, action: CheckAction, view: &View) -> Result<Reply, ApiError> {
        for _ in 0..ATTEMPTS {
            let monitoring = &check.config.monitoring;
            let transition = match action {
                CheckAction::Pause => monitoring.pause(&check.state, view.now),
                CheckAction::Resume => monitoring.resume(&check.state, view.now)?,
            };
            let flip_id = random_token(24)?;
            let expected = Expected::of(&check, true);
            if self.store.write_transition(&check, &expected, &transition, &flip_id).await? {
                let saved = self.store.check_by_uuid(&check.uuid).await?.ok_or(ApiError::NotFound)?;
                return Ok(Reply::json(200, &self.shown(&saved, view).await?));
            }
            check = self.store.check_by_uuid(&check.uuid).await?.ok_or(ApiError::NotFound)?;
        }
        Err(ApiError::Contended)
    }

    /// Saves a channel within the project's channel limit.
    async fn save_channel(&self, project: &str, channel: &Channel, assign_to_all: bool) -> Result<(), ApiError> {
        let limit = self.ctx.settings.max_channels_per_project;
        match self.store.save_channel(project, channel, assign_to_all, limit, self.ctx.now).await? {
            Saved::Saved => Ok(()),
            Saved::AtLimit => Err(ApiError::ChannelLimit(limit)),
        }
    }

    /// The admin API: only the holder of `ADMIN_TOKEN` creates and lists projects.
    async fn projects(&self, body: &[u8]) -> Result<Reply, ApiError> {
        let Some(expected) = &self.ctx.settings.admin_token else {
            return Err(ApiError::Admin("the admin API is disabled: set the ADMIN_TOKEN secret"));
        };
        let authorization = self.ctx.incoming.header("Authorization");
        let Some(token) = authorization.as_deref().and_then(|h| h.strip_prefix("Bearer ")) else {
            return Err(ApiError::Admin("missing admin token (Authorization: Bearer <ADMIN_TOKEN>)"));
        };
        if !secret_matches(token.trim(), expected) {
            return Err(ApiError::Admin("wrong admin token"));
        }
        if self.ctx.incoming.method == Method::Get {
            let projects: Vec<Value> = self
                .store
                .list_projects()
                .await?
                .into_iter()
                .map(|p| {
                    json!({"id": p.id, "name": p.name, "checks": p.checks,
                                "created": Timestamp::from_millis(p.created_at).iso8601()})
                })
                .collect();
            return Ok(Reply::json(200, &json!({ "projects": projects })));
        }
        let name = parse_project_name(body)?;
        let generate = |kind: KeyKind| kind.generate();
        let (api_key, api_key_readonly, ping_key) =
            (generate(KeyKind::ReadWrite)?, generate(KeyKind::ReadOnly)?, generate(KeyKind::Ping)?);
        let id = Uuid::random()?;
        let badge_key = random_token(24)?;
        let badge_secret = random_token(48)?;
        let created = self.ctx.now;
        let project = NewProject {
            id: &id,
            name: &name,
            ping_key_hash: &key_hash(&ping_key),
            read_write_hash: &key_hash(&api_key),
            read_only_hash: &key_hash(&api_key_readonly),
            badge_key: &badge_key,
            badge_secret: &badge_secret,
        };
        self.store.create_project(&project, created).await?;
        let base = self.ctx.settings.public_url.clone().unwrap_or_else(|| self.ctx.incoming.origin.clone());
        Ok(Reply::json(
            201,
            &json!({
                "id": id.to_string(),
                "name": name,
                "api_key": api_key,
                "api_key_readonly": api_key_readonly,
                "ping_key": ping_key,
                "slug_ping_url": format!("{base}/ping/{ping_key}/<slug>"),
                "created": created.iso8601(),
            }),
        ))
    }
}
