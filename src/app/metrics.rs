//! Prometheus metrics: a project's at healthchecks' paths, for the
//! project's read-only key; the deployment's own at `/metrics`, each
//! database by its label, for the admin token.

use super::{health, App, Failure, Level, Platform, Request};
use crate::domain::ids::{key_hash, secret_matches, unique_key, Uuid};
use crate::domain::metrics::{render, render_databases, CheckMetrics, DatabaseMetrics, ProjectMetrics};
use crate::domain::reply::Reply;
use crate::store::Store;

fn failed(err: impl Into<Failure>, platform: &impl Platform) -> Reply {
    err.into().reply("metrics", false, platform)
}

fn wrong_key() -> Reply {
    Reply::error(403, "wrong api key: metrics take the project's read-only key")
}

/// `/projects/<id>/metrics/<read-only key>` or `/projects/<id>/metrics/`
/// with `Authorization: Bearer <read-only key>`. Only the project's
/// read-only key is accepted, as healthchecks does.
pub async fn handle<S: Store, P: Platform>(
    app: &App<'_, S, P>,
    project: &str,
    key: Option<&str>,
    req: &Request,
) -> Reply {
    let authorization = req.header("authorization");
    let key = match key.or_else(|| authorization.and_then(|h| h.strip_prefix("Bearer "))) {
        Some(key) if !key.trim().is_empty() => key.trim().to_owned(),
        _ => return Reply::error(401, "missing api key (use the read-only key in the path or as a bearer token)"),
    };
    // The project's id names its database; a key of another database is wrong.
    let Some((_, store)) = Uuid::parse(project).and_then(|id| app.shards.for_uuid(&id)) else { return wrong_key() };
    match store.api_key(&key_hash(&key)).await {
        Ok(Some((owner, true))) if owner == project => {}
        Ok(_) => return wrong_key(),
        Err(err) => return failed(err, app.platform),
    }
    let ((checks, unreadable), counts) =
        match (store.list_check_states(project).await, store.notification_counts(project).await) {
            (Ok(checks), Ok(counts)) => (checks, counts),
            (Err(err), _) | (_, Err(err)) => return failed(err, app.platform),
        };
    for problem in &unreadable {
        app.platform.log(Level::Warn, &format!("metrics: skipping {problem}"));
    }
    let now = app.platform.now();
    let metrics = ProjectMetrics {
        checks: checks
            .iter()
            .map(|c| CheckMetrics {
                name: c.config.name.clone(),
                tags: c.config.tags.clone(),
                unique_key: unique_key(&c.uuid),
                status: c.status_at(now),
                started: c.state.last_start.is_some(),
                last_ping: c.state.last_ping,
                last_duration_ms: c.state.last_duration,
                n_pings: c.n_pings,
            })
            .collect(),
        notifications_pending: counts.0,
        notifications_failed: counts.1,
    };
    prometheus(render(&metrics))
}

fn prometheus(text: String) -> Reply {
    Reply {
        status: 200,
        headers: vec![("Content-Type", "text/plain; version=0.0.4; charset=utf-8".to_owned())],
        body: text.into_bytes(),
    }
}

/// `GET /metrics` with `Authorization: Bearer <ADMIN_TOKEN>`: every
/// database's health, projects and last sweep, by its `database` label (as
/// `/health` shows them to the admin). A database that cannot be read is
/// reported down, never an error for the others.
pub async fn deployment<S: Store, P: Platform>(app: &App<'_, S, P>, req: &Request) -> Reply {
    let Some(expected) = &app.settings.admin_token else {
        return Reply::error(403, "the deployment's metrics are off: set the ADMIN_TOKEN secret");
    };
    let Some(token) = req.header("authorization").and_then(|h| h.strip_prefix("Bearer ")) else {
        return Reply::error(401, "missing admin token (Authorization: Bearer <ADMIN_TOKEN>)");
    };
    if !secret_matches(token.trim(), expected) {
        return Reply::error(403, "wrong admin token");
    }
    let now = app.platform.now();
    let mut databases = Vec::with_capacity(app.shards.len());
    for (n, store) in app.shards.all() {
        let look = health::look(app, store, false).await;
        let projects = match store.count_projects().await {
            Ok(count) => Some(count),
            Err(err) => {
                app.platform.log(Level::Error, &format!("metrics: database {n}: {err}"));
                None
            }
        };
        databases.push(DatabaseMetrics::of(n, look.record, &look.storage, projects, now));
    }
    prometheus(render_databases(&databases))
}
