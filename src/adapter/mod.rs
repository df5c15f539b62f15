//! The Workers glue, and nothing else: the two event handlers, D1 as the
//! storage (`d1`, one database per binding: `DB`, then `DB_1`, `DB_2`, …),
//! the platform (`platform`: clock, fetch, console) and the translation of
//! requests and responses (`http`). Everything edgebeat does is in
//! `crate::app`, over the storage traits; every decision in `crate::domain`.

mod d1;
mod http;
mod platform;
mod smtp;

use crate::app::email::EmailPing;
use crate::app::{router, sweep, App, Shards};
use crate::domain::body::BodyLimits;
use crate::domain::reply::Reply;
use crate::domain::route::{route, API_BODY_LIMIT};
use crate::domain::settings::Settings;
use crate::domain::time::Timestamp;
use d1::D1Store;
use platform::WorkersPlatform;
use worker::{
    console_error, console_warn, event, Context, Env, ForwardableEmailMessage, Request, Response, ScheduleContext,
    ScheduledEvent,
};

thread_local! {
    /// The settings as this isolate first read them. Vars and secrets are
    /// fixed for a Worker version, and an isolate runs one version, so
    /// reading them once saves every request about 30 calls into the runtime.
    static SETTINGS: std::cell::OnceCell<Settings> = const { std::cell::OnceCell::new() };
}

/// The settings, read from the Worker's vars and secrets by this isolate's
/// first request (and logged there when bad).
fn settings(env: &Env) -> Settings {
    SETTINGS.with(|cell| {
        cell.get_or_init(|| {
            let (settings, problems) = Settings::read(|name| {
                env.secret(name).map(|s| s.to_string()).or_else(|_| env.var(name).map(|v| v.to_string())).ok()
            });
            for problem in problems {
                console_warn!("{problem}");
            }
            settings
        })
        .clone()
    })
}

/// The deployment's databases: `DB`, then `DB_1`, `DB_2`, … for as long as
/// they are bound.
fn databases(env: &Env) -> Result<Shards<D1Store>, String> {
    let first = env.d1("DB").map_err(|e| format!("the D1 binding DB is not configured: {e}"))?;
    let mut more = Vec::new();
    for n in 1..crate::domain::shard::MAX_SHARDS {
        match env.d1(&format!("DB_{n}")) {
            Ok(db) => more.push(D1Store::new(db)),
            Err(_) => break,
        }
    }
    Ok(Shards::new(D1Store::new(first), more))
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let settings = settings(&env);
    let shards = match databases(&env) {
        Ok(shards) => shards,
        Err(problem) => {
            console_error!("{problem}");
            let reply = Reply::error(503, "storage unavailable, try again").with_header("Retry-After", "1");
            return Ok(http::respond(reply));
        }
    };
    let limits = route(&req.path())
        .map(|r| r.body_limits(settings.ping_body_limit))
        .unwrap_or(BodyLimits { keep: 0, accept: API_BODY_LIMIT });
    let request = http::read(&mut req, limits).await;
    let platform = WorkersPlatform::new(&settings, &env);
    let handled = router::handle(&App::new(&shards, &settings, &platform), &request).await;
    for work in handled.after {
        let env = env.clone();
        ctx.wait_until(async move {
            let settings = self::settings(&env);
            let Ok(shards) = databases(&env) else { return };
            let platform = WorkersPlatform::new(&settings, &env);
            router::after(&App::new(&shards, &settings, &platform), &work).await;
        });
    }
    Ok(http::respond(handled.reply))
}

/// The minute sweep. Workers drops an `Err` from here without a trace, so the
/// sweep logs and records its own failures instead of returning them.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let now = Timestamp::from_millis(event.schedule() as i64);
    let settings = settings(&env);
    let shards = match databases(&env) {
        Ok(shards) => shards,
        Err(problem) => {
            console_error!("sweep at {now}: {problem}");
            return;
        }
    };
    let platform = WorkersPlatform::new(&settings, &env);
    sweep::run(&App::new(&shards, &settings, &platform), now, false).await;
}

/// A message Email Routing hands the Worker: an email ping
/// (`crate::app::email`). A message that names no check is rejected (the
/// sender's server bounces it). One that cannot be recorded now is rejected
/// too, saying so: failing the handler would mean a panic in workers-rs
/// (which aborts the isolate), and a bounce at least tells the sender.
#[event(email)]
async fn email(message: ForwardableEmailMessage, env: Env, ctx: Context) -> worker::Result<()> {
    let settings = settings(&env);
    let shards = match databases(&env) {
        Ok(shards) => shards,
        Err(problem) => {
            console_error!("email ping: {problem}");
            message.set_reject("edgebeat could not record this ping now (storage unavailable); try again later");
            return Ok(());
        }
    };
    let raw = match message.raw_bytes().await {
        Ok(raw) => raw,
        Err(err) => {
            console_error!("email ping: reading the message: {err}");
            message.set_reject("edgebeat could not read this message");
            return Ok(());
        }
    };
    let platform = WorkersPlatform::new(&settings, &env);
    let app = App::new(&shards, &settings, &platform);
    match crate::app::email::handle(&app, &message.from(), &message.to(), &raw).await {
        EmailPing::Recorded(after) => {
            for work in after {
                let env = env.clone();
                ctx.wait_until(async move {
                    let settings = self::settings(&env);
                    let Ok(shards) = databases(&env) else { return };
                    let platform = WorkersPlatform::new(&settings, &env);
                    router::after(&App::new(&shards, &settings, &platform), &work).await;
                });
            }
            Ok(())
        }
        EmailPing::Rejected(reason) => {
            message.set_reject(&reason);
            Ok(())
        }
        EmailPing::Unavailable(_) => {
            message.set_reject("edgebeat could not record this ping now (storage unavailable); try again later");
            Ok(())
        }
    }
}
