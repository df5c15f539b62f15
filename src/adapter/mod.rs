//! The Workers glue: the two event handlers, D1 access and HTTP conversions.
//! Decisions live in `crate::domain`; this layer only moves data.

mod api;
mod deliver;
mod http;
mod known;
mod ping;
mod public;
mod store;
mod sweep;

use worker::{event, Context, Env, Request, Response, ScheduleContext, ScheduledEvent};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    Ok(http::handle(req, env, ctx).await)
}

/// The minute sweep. Workers drops an `Err` from here without a trace, so the
/// sweep logs and records its own failures instead of returning them.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    sweep::run(event.schedule(), &env).await;
}
