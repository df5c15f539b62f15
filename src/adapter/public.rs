//! The read side that needs no API key in a header: badges (unguessable
//! URLs) and Prometheus metrics (healthchecks' paths, read-only key).

use super::http::{now, Incoming};
use super::store::Store;
use crate::domain::api::view::CheckRecord;
use crate::domain::badge::{badge_reply, parse_badge_path, parse_check_badge_path, summarize, verify};
use crate::domain::check::ShownStatus;
use crate::domain::ids::{key_hash, unique_key};
use crate::domain::metrics::{render, CheckMetrics, ProjectMetrics};
use crate::domain::reply::Reply;
use crate::domain::time::Timestamp;
use worker::{console_error, Env};

fn unavailable(context: &str, err: impl std::fmt::Display) -> Reply {
    console_error!("{context}: {err}");
    Reply::error(503, "storage unavailable, try again")
}

fn status_of(check: &CheckRecord, at: Timestamp) -> ShownStatus {
    // A stored schedule that cannot be read shows as down rather than hiding.
    check.config.monitoring().map_or(ShownStatus::Down, |m| m.status_at(&check.state, at))
}

/// `/badge/<badge key>/<signature>[/<tag>].<format>`: a project's checks with
/// that tag (or all of them), only for a valid signature.
pub async fn tag_badge(rest: &str, env: &Env) -> Reply {
    let not_found = || Reply::error(404, "no such badge");
    let Some(request) = parse_badge_path(rest) else { return not_found() };
    let store = match Store::from_env(env) {
        Ok(store) => store,
        Err(err) => return unavailable("badge", err),
    };
    let project = match store.project_by_badge_key(&request.badge_key).await {
        Ok(Some(project)) => project,
        Ok(None) => return not_found(),
        Err(err) => return unavailable("badge", err),
    };
    if !verify(project.badge_secret.as_bytes(), &project.badge_key, request.signed_tag(), &request.signature) {
        return not_found();
    }
    let checks = match store.list_checks(&project.id).await {
        Ok(checks) => checks,
        Err(err) => return unavailable("badge", err),
    };
    let at = now();
    let statuses: Vec<ShownStatus> = checks
        .iter()
        .filter(|c| request.tag.as_deref().is_none_or(|tag| c.config.has_tag(tag)))
        .map(|c| status_of(c, at))
        .collect();
    let label = match &request.tag {
        Some(tag) => tag.clone(),
        None if project.name.is_empty() => "edgebeat".to_owned(),
        None => project.name.clone(),
    };
    badge_reply(request.format, &label, &summarize(&statuses, request.three_state))
}

/// `/b/<states>/<check badge key>.<format>`: one check.
pub async fn check_badge(rest: &str, env: &Env) -> Reply {
    let Some((key, three_state, format)) = parse_check_badge_path(rest) else {
        return Reply::error(404, "no such badge");
    };
    let check = match Store::from_env(env) {
        Ok(store) => store.check_by_badge_key(&key).await,
        Err(err) => return unavailable("badge", err),
    };
    match check {
        Ok(Some(check)) => {
            let label = if check.config.name.is_empty() { check.uuid.to_string() } else { check.config.name.clone() };
            badge_reply(format, &label, &summarize(&[status_of(&check, now())], three_state))
        }
        Ok(None) => Reply::error(404, "no such badge"),
        Err(err) => unavailable("badge", err),
    }
}

/// `/projects/<id>/metrics/<read-only key>` or `/projects/<id>/metrics/`
/// with `Authorization: Bearer <read-only key>`. Only the project's
/// read-only key is accepted, as healthchecks does.
pub async fn metrics(project: &str, key: Option<&str>, incoming: &Incoming, env: &Env) -> Reply {
    let authorization = incoming.header("Authorization");
    let key = match key.or_else(|| authorization.as_deref().and_then(|h| h.strip_prefix("Bearer "))) {
        Some(key) if !key.trim().is_empty() => key.trim().to_owned(),
        _ => return Reply::error(401, "missing api key (use the read-only key in the path or as a bearer token)"),
    };
    let store = match Store::from_env(env) {
        Ok(store) => store,
        Err(err) => return unavailable("metrics", err),
    };
    match store.api_key(&key_hash(&key)).await {
        Ok(Some((owner, true))) if owner == project => {}
        Ok(_) => return Reply::error(403, "wrong api key: metrics take the project's read-only key"),
        Err(err) => return unavailable("metrics", err),
    }
    let (checks, counts) = match (store.list_checks(project).await, store.notification_counts(project).await) {
        (Ok(checks), Ok(counts)) => (checks, counts),
        (Err(err), _) | (_, Err(err)) => return unavailable("metrics", err),
    };
    let at = now();
    let metrics = ProjectMetrics {
        checks: checks
            .iter()
            .map(|c| CheckMetrics {
                name: c.config.name.clone(),
                tags: c.config.tags.clone(),
                unique_key: unique_key(&c.uuid),
                status: status_of(c, at),
                started: c.state.last_start.is_some(),
                last_ping: c.state.last_ping,
                last_duration_ms: c.state.last_duration,
                n_pings: c.n_pings,
            })
            .collect(),
        notifications_pending: counts.0,
        notifications_failed: counts.1,
    };
    Reply {
        status: 200,
        headers: vec![("Content-Type", "text/plain; version=0.0.4; charset=utf-8".to_owned())],
        body: render(&metrics).into_bytes(),
    }
}
