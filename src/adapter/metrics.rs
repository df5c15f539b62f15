//! Prometheus metrics at healthchecks' paths, for the project's read-only key.

use super::context::{Failure, RequestContext};
use crate::domain::ids::{key_hash, unique_key};
use crate::domain::metrics::{render, CheckMetrics, ProjectMetrics};
use crate::domain::reply::Reply;
use worker::console_warn;

fn failed(err: impl Into<Failure>) -> Reply {
    err.into().reply("metrics", false)
}

/// `/projects/<id>/metrics/<read-only key>` or `/projects/<id>/metrics/`
/// with `Authorization: Bearer <read-only key>`. Only the project's
/// read-only key is accepted, as healthchecks does.
pub async fn handle(project: &str, key: Option<&str>, ctx: &RequestContext<'_>) -> Reply {
    let authorization = ctx.incoming.header("Authorization");
    let key = match key.or_else(|| authorization.as_deref().and_then(|h| h.strip_prefix("Bearer "))) {
        Some(key) if !key.trim().is_empty() => key.trim().to_owned(),
        _ => return Reply::error(401, "missing api key (use the read-only key in the path or as a bearer token)"),
    };
    let store = match ctx.store() {
        Ok(store) => store,
        Err(err) => return failed(err),
    };
    match store.api_key(&key_hash(&key)).await {
        Ok(Some((owner, true))) if owner == project => {}
        Ok(_) => return Reply::error(403, "wrong api key: metrics take the project's read-only key"),
        Err(err) => return failed(err),
    }
    let ((checks, unreadable), counts) =
        match (store.list_check_states(project).await, store.notification_counts(project).await) {
            (Ok(checks), Ok(counts)) => (checks, counts),
            (Err(err), _) | (_, Err(err)) => return failed(err),
        };
    for problem in &unreadable {
        console_warn!("metrics: skipping {problem}");
    }
    let metrics = ProjectMetrics {
        checks: checks
            .iter()
            .map(|c| CheckMetrics {
                name: c.config.name.clone(),
                tags: c.config.tags.clone(),
                unique_key: unique_key(&c.uuid),
                status: c.status_at(ctx.now),
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
