//! The fetch handler: finds the route of a request, hands it to the handler
//! of its kind, and turns the domain's `Reply` into a Workers response.
//! Where a ping goes: `Route::Ping` → `ping::handle`.

use super::context::RequestContext;
use super::{alertmanager, api, badges, health, metrics, ping, rescue, snooze};
use crate::domain::reply::Reply;
use crate::domain::route::{route, slash_redirect, Method, Route};
use worker::{Env, Headers, Request, Response};

pub async fn handle(mut req: Request, env: Env, worker_ctx: worker::Context) -> Response {
    let ctx = RequestContext::new(&req, &env, &worker_ctx);
    let incoming = &ctx.incoming;
    let reply = match route(&incoming.path) {
        None => Reply::error(404, "not found"),
        // A slashless collection path, on a method it does not take: healthchecks' 301.
        Some(route) => match slash_redirect(&route, incoming.method, &incoming.path, &incoming.raw_query) {
            Some(location) => Reply::moved_permanently(location),
            None => serve(route, &ctx, &mut req).await,
        },
    };
    // A stalled cron trigger must not delay alerts while traffic flows.
    rescue::after_request(&ctx);
    let reply = match ctx.usage_header() {
        Some(usage) => reply.with_header("X-D1-Rows", usage),
        None => reply,
    };
    into_response(reply)
}

/// Hands a routed request to the handler of its kind.
async fn serve(route: Route, ctx: &RequestContext<'_>, req: &mut Request) -> Reply {
    let method = ctx.incoming.method;
    match route {
        // The OpenAPI document, to anyone (no key), from the file at the repo root.
        Route::OpenApi if method == Method::Get => Reply {
            status: 200,
            headers: vec![
                ("Content-Type", "application/json".to_owned()),
                ("Access-Control-Allow-Origin", "*".to_owned()),
            ],
            body: include_bytes!("../../openapi.json").to_vec(),
        },
        route if route.is_api() => api::handle(&route, ctx, req).await,
        route if method == Method::Options => preflight(&route),
        route if !route.methods().contains(&method) => method_not_allowed(&route),
        Route::Health => health::handle(ctx).await,
        Route::Ping(rest) => ping::handle(&rest, ctx, req).await,
        Route::PingSnooze(target) => snooze::handle_ping(&target, ctx).await,
        Route::Badge(rest) => badges::tag_badge(&rest, ctx).await,
        Route::CheckBadge(rest) => badges::check_badge(&rest, ctx).await,
        Route::Metrics { project, key } => metrics::handle(&project, key.as_deref(), ctx).await,
        Route::Alertmanager(ping_key) => alertmanager::handle(&ping_key, ctx, req).await,
        _ => Reply::error(404, "not found"),
    }
}

/// 405 with the `Allow` header RFC 9110 asks for.
pub fn method_not_allowed(route: &Route) -> Reply {
    let methods: Vec<&str> = route.methods().iter().map(|m| m.as_str()).collect();
    Reply::error(405, "method not allowed").with_header("Allow", methods.join(", "))
}

fn allowed(route: &Route) -> String {
    let mut methods: Vec<&str> = route.methods().iter().map(|m| m.as_str()).collect();
    methods.push("OPTIONS");
    methods.join(", ")
}

/// A CORS preflight outside the API (pings from a browser, badges): answered,
/// never counted as a ping.
fn preflight(route: &Route) -> Reply {
    Reply::empty(204)
        .with_header("Access-Control-Allow-Origin", "*")
        .with_header("Access-Control-Allow-Methods", allowed(route))
        .with_header("Access-Control-Allow-Headers", "Content-Type")
        .with_header("Access-Control-Max-Age", "600")
        .with_header("Allow", allowed(route))
}

fn into_response(reply: Reply) -> Response {
    let headers = Headers::new();
    for (name, value) in &reply.headers {
        // Header names are our own constants and values our own strings; a
        // value the runtime rejects is dropped rather than failing the answer.
        let _ = headers.set(name, value);
    }
    Response::builder().with_status(reply.status).with_headers(headers).fixed(reply.body)
}
