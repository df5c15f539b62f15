//! The Workers glue, arranged by responsibility. `router` is the fetch
//! handler; `context` is what every handler gets (store, settings, clock,
//! the request's facts); each handler kind has its own module: `ping` (the
//! ping endpoint, with `ping_cache` for its one-round-trip path), `alertmanager`
//! (the watchdog receiver, recording through `ping`), `api` (the
//! management and admin API, with `maintenance` for its windows), `badges`,
//! `metrics`, `health`; `sweep` is the
//! scheduled handler and `deliver` sends the outbox; `store` is every SQL
//! statement, by table. Decisions live in `crate::domain`; this layer moves
//! data.

mod alertmanager;
mod api;
mod badges;
mod context;
mod deliver;
mod health;
mod maintenance;
mod metrics;
mod ping;
mod ping_cache;
mod rescue;
mod router;
mod snooze;
mod store;
mod sweep;

use worker::{event, Context, Env, Request, Response, ScheduleContext, ScheduledEvent};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    Ok(router::handle(req, env, ctx).await)
}

/// The minute sweep. Workers drops an `Err` from here without a trace, so the
/// sweep logs and records its own failures instead of returning them.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    sweep::run(event.schedule(), &env).await;
}
