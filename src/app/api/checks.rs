//! `/api/vN/checks/…`: list, create (with `unique` upserts), read, edit,
//! delete, pause, resume, snooze, and a check's pings and flips. Every
//! change is a plan the domain makes (`crate::domain::decide`), written
//! only if the check is still as read (`write::decide_and_apply`).

use super::{Api, ApiError};
use crate::app::snooze::snooze;
use crate::app::write::{decide_and_apply, WriteError};
use crate::app::{Handled, Platform};
use crate::domain::api::list_filter;
use crate::domain::api::spec::{apply, matches_unique, parse_snooze, unique_values, validate, CheckSpec, SpecError};
use crate::domain::audit::{changes, request_fields};
use crate::domain::check::{Check, CheckConfig};
use crate::domain::decide::{create_plan, edit_plan, transition_plan, Collisions, NewKeys};
use crate::domain::history::{flips_json, pings_json, FlipFilter};
use crate::domain::ids::random_token;
use crate::domain::plan::{Owner, RoutingGuard};
use crate::domain::reply::Reply;
use crate::domain::route::{CheckAction, CheckRef, Method, Route};
use crate::domain::routing::Routes;
use crate::domain::shard::{mark_key, uuid_on};
use crate::store::Store;
use serde_json::{json, Value};

/// A create that found the project's routing changed under it tries again
/// this many times.
const CREATE_ATTEMPTS: usize = 5;

pub async fn handle<S: Store, P: Platform>(
    api: &Api<'_, S, P>,
    route: &Route,
    spec: &CheckSpec,
    body: &[u8],
) -> Result<Handled, ApiError> {
    let method = api.req.method;
    let reply = match (route, method) {
        (Route::Checks { .. }, Method::Get) => api.list_checks().await?,
        (Route::Checks { .. }, _) => api.create_check(spec, request_fields(body)).await?,
        (Route::Check { check, .. }, Method::Get) => {
            let check = api.find_check(check).await?;
            Reply::json(200, &api.view.check(&check))
        }
        (Route::Check { check, .. }, Method::Post) => {
            let check = api.find_check(check).await?;
            api.save_check(check, spec).await?
        }
        (Route::Check { check, .. }, _) => {
            let check = api.find_check(check).await?;
            let audit = api.audit("check.delete", Some(check.uuid), json!({"name": check.config.name}));
            api.store.delete_check(&check, Some(&audit)).await?;
            Reply::json(200, &api.view.check(&check))
        }
        (Route::CheckAction { check, action, .. }, _) => {
            let check = api.find_check(&CheckRef::Uuid(*check)).await?;
            api.check_action(check, *action).await?
        }
        (Route::CheckSnooze { check, .. }, method) => {
            let check = api.find_check(&CheckRef::Uuid(*check)).await?;
            let until = match method {
                Method::Post => Some(parse_snooze(body, api.view.now)?),
                _ => None,
            };
            let action = if until.is_some() { "check.snooze" } else { "check.unsnooze" };
            let audit = api.audit(action, Some(check.uuid), json!({"until": until.map(|u| u.iso8601())}));
            match snooze(api.store, api.app.platform, check, until, Some(audit)).await? {
                Some(saved) => Reply::json(200, &api.view.check_at(&saved, api.app.platform.now())),
                None => return Err(ApiError::NotFound),
            }
        }
        (Route::CheckPings { check, .. }, _) => {
            let check = api.find_check(&CheckRef::Uuid(*check)).await?;
            // At most 1,000 (as healthchecks): one bounded read even with a long history.
            let history = api.app.settings.ping_history;
            let pings = api.store.list_pings(check.id, check.n_pings - history, history.min(1000)).await?;
            let base = api.view.urls.check_url(&check.uuid);
            Reply::json(200, &pings_json(&pings, |n| format!("{base}/pings/{n}/body")))
        }
        (Route::PingBody { check, n, .. }, _) => {
            let check = api.find_check(&CheckRef::Uuid(*check)).await?;
            let history = api.app.settings.ping_history;
            // A ping older than the kept history is gone, even if not yet pruned.
            if *n <= check.n_pings - history {
                return Err(ApiError::NotFound);
            }
            let body = api.store.ping_body(check.id, *n, history).await?.ok_or(ApiError::NotFound)?;
            Reply { status: 200, headers: vec![("Content-Type", "text/plain".to_owned())], body }
        }
        (Route::CheckFlips { check, .. }, _) => {
            let check = api.find_check(check).await?;
            let filter = FlipFilter::parse(&api.req.query).map_err(|e| SpecError::Invalid(e.to_string()))?;
            let (from, until) = filter.window(api.view.now);
            Reply::json(200, &flips_json(&api.store.list_flips(check.id, from, until).await?))
        }
        _ => return Err(ApiError::NotFound),
    };
    Ok(reply.into())
}

impl<S: Store, P: Platform> Api<'_, S, P> {
    async fn list_checks(&self) -> Result<Reply, ApiError> {
        let matches = list_filter(&self.req.query);
        let (checks, unreadable) = self.store.list_checks(&self.project).await?;
        for problem in &unreadable {
            self.app.platform.log(crate::app::Level::Warn, &format!("api: listing checks: skipping {problem}"));
        }
        let shown: Vec<Value> = checks.iter().filter(|c| matches(&c.config)).map(|c| self.view.check(c)).collect();
        Ok(Reply::json(200, &json!({ "checks": shown })))
    }

    /// The routes a spec's `channels` field asks for, with the project's
    /// routing as read; `None` when the spec leaves the channels alone.
    async fn routes_for(&self, spec: &CheckSpec) -> Result<Option<(Routes, RoutingGuard)>, ApiError> {
        let Some(selector) = &spec.channels else { return Ok(None) };
        let version = self.store.routing_version(&self.project).await?;
        let channels = self.store.channels(&self.project).await?;
        let named: Vec<(String, String)> = channels.iter().map(|c| (c.id.clone(), c.name.clone())).collect();
        let chosen = selector.resolve(&named)?;
        let routes = Routes::to_channels(channels.iter().filter(|c| chosen.contains(&c.id)));
        Ok(Some((routes, RoutingGuard { project_id: self.project.clone(), version })))
    }

    /// Creates a check, or (a `unique` upsert) updates the one that matches.
    /// Storage creates only within the check limit and, for an upsert, while
    /// no check matches, in one atomic step (`NewCheck::unique`): so a
    /// create that did not happen lost to a matching check (updated
    /// instead), to the limit (403), or to a change of the project's
    /// channels (decided again).
    async fn create_check(&self, spec: &CheckSpec, detail: Value) -> Result<Reply, ApiError> {
        // Unknown channels are refused before anything else, as before.
        self.routes_for(spec).await?;
        if let Some(existing) = self.matching_check(spec).await? {
            return self.save_check(existing, spec).await;
        }
        let mut config = CheckConfig::default();
        apply(spec, &mut config, self.view.urls.api_version);
        validate(&config)?;
        let limit = self.app.settings.max_checks_per_project;
        let unique = unique_values(spec).unwrap_or_default();
        for _ in 0..CREATE_ATTEMPTS {
            let routing = self.routes_for(spec).await?;
            let uuid = uuid_on(self.shard)?;
            let keys = NewKeys { uuid, badge_key: mark_key(random_token(32)?, self.shard) };
            let routes = routing.as_ref().map(|(routes, _)| routes.clone()).unwrap_or_default();
            let collisions = Collisions { slug: false, unique: unique.clone() };
            let owner = Owner::Project(self.project.clone());
            let mut plan = create_plan(keys, owner, config.clone(), routes, self.view.now, limit, collisions);
            plan.routing = routing.as_ref().map(|(_, guard)| guard.clone());
            plan.audit = Some(self.audit("check.create", Some(uuid), detail.clone()));
            if self.store.apply(&plan).await?.applied {
                let check = self.store.check_by_uuid(&uuid).await?.ok_or(ApiError::NotFound)?;
                return Ok(Reply::json(201, &self.view.check(&check)));
            }
            if let Some(existing) = self.matching_check(spec).await? {
                return self.save_check(existing, spec).await;
            }
            let routing_moved = match &routing {
                Some((_, guard)) => self.store.routing_version(&self.project).await? != guard.version,
                None => false,
            };
            // Not the channels and no match (or a match that was deleted
            // since: try again): the limit.
            if !routing_moved && (unique.is_empty() || self.count_checks().await? >= limit) {
                return Err(ApiError::CheckLimit(limit));
            }
        }
        Err(ApiError::Contended)
    }

    /// The check a `unique` upsert updates, if any.
    async fn matching_check(&self, spec: &CheckSpec) -> Result<Option<Check>, ApiError> {
        if unique_values(spec).is_none() {
            return Ok(None);
        }
        let (checks, _) = self.store.list_checks(&self.project).await?;
        Ok(checks.into_iter().find(|c| matches_unique(spec, &c.config)))
    }

    /// How many checks the project has, readable or not.
    async fn count_checks(&self) -> Result<i64, ApiError> {
        let (checks, unreadable) = self.store.list_check_states(&self.project).await?;
        Ok((checks.len() + unreadable.len()) as i64)
    }

    /// Applies a spec to a stored check and recomputes its deadlines,
    /// written only if the check (and, when the spec names channels, the
    /// project's routing) is still as read; otherwise read again and redo.
    async fn save_check(&self, check: Check, spec: &CheckSpec) -> Result<Reply, ApiError> {
        let written =
            decide_and_apply(self.store, self.app.platform, check, "api-before-write", async |check: &Check| {
                let mut config = check.config.clone();
                apply(spec, &mut config, self.view.urls.api_version);
                validate(&config)?;
                let routes = self.routes_for(spec).await?;
                let mut after = check.clone();
                after.config = config.clone();
                if let Some((routes, _)) = &routes {
                    after.routes = routes.clone();
                }
                let detail = changes(&self.view.check(check), &self.view.check(&after));
                let mut plan = edit_plan(check, config, routes, self.app.platform.now());
                plan.audit = Some(self.audit("check.edit", Some(check.uuid), detail));
                Ok::<_, ApiError>((plan, ()))
            })
            .await;
        let saved = self.written_check(written).await?;
        Ok(Reply::json(200, &self.view.check(&saved)))
    }

    /// Pause or resume, as the domain decides, written only if the check is
    /// still as read.
    async fn check_action(&self, check: Check, action: CheckAction) -> Result<Reply, ApiError> {
        let written =
            decide_and_apply(self.store, self.app.platform, check, "api-before-write", async |check: &Check| {
                let now = self.app.platform.now();
                let monitoring = check.monitoring();
                let transition = match action {
                    CheckAction::Pause => monitoring.pause(&check.state, now),
                    CheckAction::Resume => monitoring.resume(&check.state, now)?,
                };
                let mut plan = transition_plan(check, transition, &random_token(24)?, now);
                let action = match action {
                    CheckAction::Pause => "check.pause",
                    CheckAction::Resume => "check.resume",
                };
                plan.audit = Some(self.audit(action, Some(check.uuid), json!({})));
                Ok::<_, ApiError>((plan, ()))
            })
            .await;
        let saved = self.written_check(written).await?;
        Ok(Reply::json(200, &self.view.check(&saved)))
    }

    /// The check as a conditional write left it.
    async fn written_check<T>(
        &self,
        written: Result<crate::app::write::Written<T>, WriteError<ApiError>>,
    ) -> Result<Check, ApiError> {
        match written {
            Ok(written) => Ok(self.store.check_by_id(written.read.id).await?.ok_or(ApiError::NotFound)?),
            Err(WriteError::Refused(err)) => Err(err),
            Err(WriteError::Gone) => Err(ApiError::NotFound),
            Err(WriteError::Contended) => Err(ApiError::Contended),
            Err(WriteError::Store(err)) => Err(err.into()),
        }
    }
}
