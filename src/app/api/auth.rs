//! Who an API request is, which project it acts in, and whether it may:
//! - the admin token (`Authorization: Bearer <ADMIN_TOKEN>`) on the routes
//!   of one project (`/api/v3/projects/<id>/…`);
//! - else an API key, exactly as before people existed (a key presented
//!   decides, whatever else the request carries);
//! - else a person signed in through Cloudflare Access, acting in the
//!   project the route names, or `X-Edgebeat-Project` / `?project=` names,
//!   or the only project they belong to, with their role there.
//!
//! The permission matrix (`domain::access::roles`) then decides, for every
//! request, before any handler runs.

use super::ApiError;
use crate::app::{access, App, Platform, Request};
use crate::domain::access::roles::{need, Actor, Role};
use crate::domain::api::{presented_key, AuthError};
use crate::domain::ids::{key_hash, secret_matches, Uuid};
use crate::domain::route::{Method, Route};
use crate::store::{Membership, Store};

/// Who made a request, before its project is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    Admin,
    Key { key: String, read_only: bool, project: String, shard: usize },
    Person(String),
}

/// A request's project, its database, and the actor it acts as there.
pub struct Scope<'a, S> {
    pub store: &'a S,
    pub shard: usize,
    pub project: String,
    pub actor: Actor,
}

/// The project a route names, for the routes of one project.
pub fn named_project(route: &Route) -> Option<&str> {
    match route {
        Route::Project(id)
        | Route::ProjectMembers(id)
        | Route::ProjectKeys(id)
        | Route::ProjectAudit(id)
        | Route::ProjectMember { project: id, .. } => Some(id),
        _ => None,
    }
}

fn is_admin<S: Store, P: Platform>(app: &App<'_, S, P>, req: &Request) -> bool {
    let bearer = req.header("authorization").and_then(|h| h.strip_prefix("Bearer ")).map(str::trim);
    match (&app.settings.admin_token, bearer) {
        (Some(expected), Some(token)) => secret_matches(token, expected),
        _ => false,
    }
}

/// Who the request is; `body_key` is the `api_key` field of a check body.
pub async fn caller<S: Store, P: Platform>(
    app: &App<'_, S, P>,
    route: &Route,
    req: &Request,
    body_key: Option<&str>,
) -> Result<Caller, ApiError> {
    if named_project(route).is_some() && is_admin(app, req) {
        return Ok(Caller::Admin);
    }
    match presented_key(req.header("x-api-key"), req.header("authorization"), body_key) {
        Ok(key) => {
            let (shard, store) = app.shards.for_key(key).ok_or(AuthError::WrongKey)?;
            match store.api_key(&key_hash(key)).await? {
                Some((project, read_only)) => Ok(Caller::Key { key: key.to_owned(), read_only, project, shard }),
                None => Err(AuthError::WrongKey.into()),
            }
        }
        Err(AuthError::MissingKey) => match access::person(app, req).await? {
            Some(email) => Ok(Caller::Person(email)),
            None => Err(AuthError::MissingKey.into()),
        },
        Err(other) => Err(other.into()),
    }
}

/// A project id as given (any case), as stored.
fn project_id(text: &str) -> Option<String> {
    Uuid::parse_any_case(text.trim()).map(|uuid| uuid.to_string())
}

/// Every project `email` belongs to, across every database.
pub async fn memberships<S: Store, P: Platform>(app: &App<'_, S, P>, email: &str) -> Result<Vec<Membership>, ApiError> {
    let mut all = Vec::new();
    for (_, store) in app.shards.all() {
        all.extend(store.projects_of(email).await?);
    }
    crate::domain::sorting::sort_by(&mut all, |a, b| (&a.name, &a.project_id).cmp(&(&b.name, &b.project_id)));
    Ok(all)
}

/// The project the request acts in, and as whom.
pub async fn scope<'a, S: Store, P: Platform>(
    app: &'a App<'a, S, P>,
    route: &Route,
    req: &Request,
    caller: Caller,
) -> Result<Scope<'a, S>, ApiError> {
    let named = named_project(route).map(str::to_owned);
    match caller {
        Caller::Admin => {
            let project = named.as_deref().and_then(project_id).ok_or(ApiError::NotFound)?;
            let uuid = Uuid::parse(&project).ok_or(ApiError::NotFound)?;
            let (shard, store) = app.shards.for_uuid(&uuid).ok_or(ApiError::NotFound)?;
            Ok(Scope { store, shard, project, actor: Actor::Admin })
        }
        Caller::Key { key, read_only, project, shard } => {
            // A key reaches its own project only; another is "not found".
            if named.as_deref().is_some_and(|id| project_id(id).as_deref() != Some(project.as_str())) {
                return Err(ApiError::NotFound);
            }
            let store = app.shards.get(shard).ok_or(AuthError::WrongKey)?;
            Ok(Scope { store, shard, project, actor: Actor::key(&key, read_only) })
        }
        Caller::Person(email) => {
            let asked = named
                .or_else(|| req.header("x-edgebeat-project").map(str::to_owned))
                .or_else(|| req.query.iter().find(|(n, _)| n == "project").map(|(_, v)| v.clone()));
            let project = match asked {
                Some(asked) => project_id(&asked).ok_or(ApiError::NotAMember)?,
                None => {
                    let mut all = memberships(app, &email).await?;
                    match all.len() {
                        1 => all.remove(0).project_id,
                        0 => return Err(ApiError::NotAMember),
                        n => return Err(ApiError::ChooseProject(n)),
                    }
                }
            };
            let uuid = Uuid::parse(&project).ok_or(ApiError::NotAMember)?;
            let (shard, store) = app.shards.for_uuid(&uuid).ok_or(ApiError::NotAMember)?;
            let role = store.role_of(&project, &email).await?.ok_or(ApiError::NotAMember)?;
            Ok(Scope { store, shard, project, actor: Actor::Person { email, role } })
        }
    }
}

/// Refuses what the actor's role or key does not allow: a key as before
/// (401 `wrong api key`, as healthchecks answers a read-only key's write),
/// a person or the admin with 403 and why.
pub fn allow(actor: &Actor, route: &Route, method: Method) -> Result<(), ApiError> {
    if actor.may(need(route, method)) {
        return Ok(());
    }
    Err(match actor {
        Actor::Key { .. } => AuthError::WrongKey.into(),
        Actor::Person { role: Role::Owner, .. } => ApiError::Forbidden("only the admin token may do this".into()),
        Actor::Person { role, .. } => {
            ApiError::Forbidden(format!("your role in this project ({}) does not allow this", role.as_str()))
        }
        Actor::Admin => ApiError::Forbidden("the admin token manages projects, not their checks".into()),
    })
}
