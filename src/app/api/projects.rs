//! The admin API: only the holder of `ADMIN_TOKEN` creates and lists
//! projects (a new one with its first owner, `{"name", "owner": "<email>"}`). A new project goes to the database with the fewest projects
//! (`shard::place`), and every identifier it gets names that database.

use super::ApiError;
use crate::app::{App, Platform, Request};
use crate::domain::access::members::parse_new_project;
use crate::domain::access::roles::Actor;
use crate::domain::audit::AuditWrite;
use crate::domain::ids::{key_hash, random_token, secret_matches, KeyKind};
use crate::domain::reply::Reply;
use crate::domain::route::Method;
use crate::domain::shard::{key_on, mark_key, place, uuid_on};
use crate::store::{NewProject, ProjectRow, Store};
use serde_json::{json, Value};

pub async fn handle<S: Store, P: Platform>(app: &App<'_, S, P>, req: &Request, body: &[u8]) -> Result<Reply, ApiError> {
    let Some(expected) = &app.settings.admin_token else {
        return Err(ApiError::Admin("the admin API is disabled: set the ADMIN_TOKEN secret"));
    };
    let Some(token) = req.header("authorization").and_then(|h| h.strip_prefix("Bearer ")) else {
        return Err(ApiError::Admin("missing admin token (Authorization: Bearer <ADMIN_TOKEN>)"));
    };
    if !secret_matches(token.trim(), expected) {
        return Err(ApiError::Admin("wrong admin token"));
    }
    if req.method == Method::Get {
        let mut projects: Vec<(usize, ProjectRow)> = Vec::new();
        for (n, store) in app.shards.all() {
            projects.extend(store.list_projects().await?.into_iter().map(|p| (n, p)));
        }
        crate::domain::sorting::sort_by_key(&mut projects, |(_, p)| p.created_at);
        let projects: Vec<Value> = projects
            .into_iter()
            .map(|(n, p)| {
                json!({"id": p.id, "name": p.name, "checks": p.checks, "created": p.created_at.iso8601(), "database": n})
            })
            .collect();
        return Ok(Reply::json(200, &json!({ "projects": projects })));
    }
    let (name, owner) = parse_new_project(body)?;
    let mut counts = Vec::with_capacity(app.shards.len());
    for (_, store) in app.shards.all() {
        counts.push(store.count_projects().await?);
    }
    let shard = place(&counts);
    let store = app.shards.get(shard).ok_or(ApiError::NotFound)?;
    let (api_key, api_key_readonly, ping_key) =
        (key_on(KeyKind::ReadWrite, shard)?, key_on(KeyKind::ReadOnly, shard)?, key_on(KeyKind::Ping, shard)?);
    let id = uuid_on(shard)?;
    let created = app.platform.now();
    let detail = json!({"name": name, "owner": owner});
    let audit = AuditWrite::new(&id.to_string(), None, created, &Actor::Admin.label(), "project.create", detail);
    let project = NewProject {
        id,
        name: name.clone(),
        ping_key_hash: key_hash(&ping_key),
        read_write_hash: key_hash(&api_key),
        read_only_hash: key_hash(&api_key_readonly),
        badge_key: mark_key(random_token(24)?, shard),
        badge_secret: random_token(48)?,
        owner: owner.clone(),
        audit: Some(audit),
    };
    store.create_project(&project, created).await?;
    let base = app.settings.public_url.clone().unwrap_or_else(|| req.origin.clone());
    Ok(Reply::json(
        201,
        &json!({
            "id": id.to_string(),
            "name": name,
            "api_key": api_key,
            "api_key_readonly": api_key_readonly,
            "ping_key": ping_key,
            "slug_ping_url": format!("{base}/ping/{ping_key}/<slug>"),
            "owner": owner,
            "created": created.iso8601(),
        }),
    ))
}
