//! Every request: finds its route (`crate::domain::route`), hands it to the
//! handler of its kind, and says what to do after answering. Where a ping
//! goes: `Route::Ping` → `ping::handle`.

use super::{alertmanager, api, badges, health, metrics, ping, rescue, snooze, status_pages};
use super::{After, App, Handled, Platform, Request};
use crate::domain::reply::Reply;
use crate::domain::route::{route, slash_redirect, Method, Route};
use crate::store::Store;

/// The OpenAPI document, served to anyone (no key).
const OPENAPI: &[u8] = include_bytes!("../../openapi.json");

pub async fn handle<S: Store, P: Platform>(app: &App<'_, S, P>, req: &Request) -> Handled {
    let mut handled: Handled = match route(&req.path) {
        None => Reply::error(404, "not found").into(),
        // A slashless collection path, on a method it does not take: healthchecks' 301.
        Some(route) => match slash_redirect(&route, req.method, &req.path, &req.raw_query) {
            Some(location) => Reply::moved_permanently(location).into(),
            None => serve(app, route, req).await,
        },
    };
    // A stalled cron trigger must not delay alerts while traffic flows.
    if rescue::due_to_look(app.platform.now()) {
        handled.after.push(After::LookForStall);
    }
    if app.settings.d1_usage_header {
        let usage = app.shards.usage();
        handled.reply =
            handled.reply.with_header("X-D1-Rows", format!("read={}, written={}", usage.rows_read, usage.rows_written));
        // Each database's own share, so a benchmark sees which databases a request touched.
        let each: Vec<String> = app
            .shards
            .all()
            .map(|(n, store)| {
                let usage = store.usage();
                format!("{n}: read={}, written={}", usage.rows_read, usage.rows_written)
            })
            .collect();
        handled.reply = handled.reply.with_header("X-D1-Rows-By-Database", each.join("; "));
    }
    handled
}

/// Hands a routed request to the handler of its kind.
async fn serve<S: Store, P: Platform>(app: &App<'_, S, P>, route: Route, req: &Request) -> Handled {
    let method = req.method;
    match route {
        Route::OpenApi if method == Method::Get => Reply {
            status: 200,
            headers: vec![
                ("Content-Type", "application/json".to_owned()),
                ("Access-Control-Allow-Origin", "*".to_owned()),
            ],
            body: OPENAPI.to_vec(),
        }
        .into(),
        route if route.is_api() => api::handle(app, &route, req).await,
        route if method == Method::Options => route.preflight().into(),
        route if !route.methods().contains(&method) => route.method_not_allowed().into(),
        Route::Health => health::handle(app, req).await.into(),
        Route::Ping(rest) => ping::handle(app, &rest, req).await,
        Route::PingSnooze(target) => snooze::handle_ping(app, &target, req).await.into(),
        Route::Badge(rest) => badges::tag_badge(app, &rest).await.into(),
        Route::CheckBadge(rest) => badges::check_badge(app, &rest).await.into(),
        Route::Metrics { project, key } => metrics::handle(app, &project, key.as_deref(), req).await.into(),
        Route::DeploymentMetrics => metrics::deployment(app, req).await.into(),
        Route::Alertmanager(ping_key) => alertmanager::handle(app, &ping_key, req).await,
        Route::PublicStatusPage { slug, json } => status_pages::handle(app, &slug, json, req).await.into(),
        _ => Reply::error(404, "not found").into(),
    }
}

/// Carries out what a request left to do after its answer.
pub async fn after<S: Store, P: Platform>(app: &App<'_, S, P>, work: &After) {
    match work {
        After::Deliver { shard } => {
            let Some(store) = app.shards.get(*shard) else { return };
            let budget = app.settings.delivery_budget();
            if let Err(err) = super::deliver::deliver_due(app, store, app.platform.now(), budget).await {
                app.platform.log(super::Level::Error, &format!("delivering after a request: {err}"));
            }
        }
        After::LookForStall => {
            if let Err(err) = rescue::rescue(app, app.platform.now()).await {
                app.platform.log(super::Level::Error, &format!("rescue sweep: {err}"));
            }
        }
    }
}
