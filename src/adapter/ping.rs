//! The ping endpoint: `/ping/<uuid>[/signal]` and `/ping/<ping_key>/<slug>[/signal]`.
//!
//! D1 round trips per ping: 1 when this isolate already knows the check and
//! it is up and idle (one guarded batch writes the ping, the state and the
//! pruning, and reads the row back); otherwise 2 (read the check, then one
//! batch that writes the flip and its outbox rows, the state, the ping and
//! the pruning). A guarded batch that finds the check changed has read it,
//! so the fallback is again 2 in all.
//! A ping that flips the check then delivers its alerts after answering
//! (`wait_until`), off the ping's own latency. A `?create=1` ping that
//! creates its check costs 2 more (the create batch and a re-read). The
//! number never depends on how many checks or pings exist.

use super::deliver::deliver_due;
use super::http::{now, read_body, settings, Incoming};
use super::known;
use super::store::{Guard, PingRow, PingWrite, SlugLookup, Store, StoreError};
use crate::domain::api::view::CheckRecord;
use crate::domain::ids::{key_hash, random_token, Uuid};
use crate::domain::ping::{
    accepted_reply, classify, exit_status, parse_ping_path, parse_ping_query, rejected_reply, PingError, PingTarget,
    UrlSignal,
};
use crate::domain::reply::Reply;
use crate::domain::settings::Settings;
use worker::{console_error, Context, Env, Request};

/// User agents are kept to 200 characters, as healthchecks does.
const MAX_UA: usize = 200;

/// Why a ping could not be recorded: a 5xx, so `curl --retry` tries again.
fn unavailable(context: &str, err: impl std::fmt::Display) -> Reply {
    console_error!("ping: {context}: {err}");
    Reply::text(503, "storage unavailable").with_header("Retry-After", "1")
}

pub async fn handle(rest: &str, incoming: &Incoming, req: &mut Request, env: &Env, ctx: &Context) -> Reply {
    let settings = settings(env);
    let url = match parse_ping_path(rest) {
        Ok(url) => url,
        Err(err) => return rejected_reply(&err),
    };
    let query = match parse_ping_query(&incoming.query) {
        Ok(query) => query,
        Err(err) => return rejected_reply(&err),
    };
    let store = match Store::from_env(env) {
        Ok(store) => store,
        Err(err) => return unavailable("no database", err),
    };
    let (body, _cut) = match read_body(req, settings.ping_body_limit).await {
        Ok(body) => body,
        Err(err) => return unavailable("reading the body", err),
    };
    let ua: String = incoming.header("User-Agent").unwrap_or_default().chars().take(MAX_UA).collect();
    let remote_addr = incoming.header("CF-Connecting-IP");
    let row = PingRow {
        scheme: &incoming.scheme,
        method: &incoming.method_name,
        ua: &ua,
        remote_addr: remote_addr.as_deref(),
        exit_status: exit_status(url.signal),
        rid: query.rid,
        body: &body,
    };
    let ping = Ping { signal: url.signal, rid: query.rid, method: &incoming.method_name, body: &body, row };

    // A check this isolate knows: one round trip if it is up and idle, as
    // most checks are most of the time; otherwise that attempt read it.
    let mut known = None;
    if let PingTarget::Check(uuid) = &url.target {
        if let Some(check) = known::get(uuid) {
            match record(&store, &settings, &check, &ping, true, ctx, env).await {
                Ok(Recorded::Done) => return accepted_reply(false, settings.ping_body_limit),
                Ok(Recorded::Stale(current)) => known = Some(current),
                Ok(Recorded::NeedsState) => {}
                Err(reply) => return reply,
            }
        }
    }
    let (check, created) = match known {
        Some(current) => match current {
            Some(check) => (*check, false),
            None => return rejected_reply(&PingError::NotFound),
        },
        None => match find_check(&store, &url.target, query.create, settings.max_checks_per_project).await {
            Ok(Ok(found)) => found,
            Ok(Err(err)) => return rejected_reply(&err),
            Err(err) => return unavailable("lookup", err),
        },
    };
    match record(&store, &settings, &check, &ping, false, ctx, env).await {
        Ok(Recorded::Done) => accepted_reply(created, settings.ping_body_limit),
        // Deleted between the read and the write: nothing was stored.
        Ok(_) => rejected_reply(&PingError::NotFound),
        Err(reply) => reply,
    }
}

/// A ping as received.
struct Ping<'a> {
    signal: UrlSignal,
    rid: Option<Uuid>,
    method: &'a str,
    body: &'a [u8],
    row: PingRow<'a>,
}

enum Recorded {
    Done,
    /// The check was not as assumed; here it is as stored (None: deleted).
    Stale(Option<Box<CheckRecord>>),
    /// This kind of ping needs the stored state: nothing was written.
    NeedsState,
}

/// Classifies a ping with the check's rules, applies the state machine and
/// writes the result. With `assume_idle_up`, the state is not read first:
/// the write holds only if the check is up, idle and at this configuration.
async fn record(
    store: &Store,
    settings: &Settings,
    check: &CheckRecord,
    ping: &Ping<'_>,
    assume_idle_up: bool,
    ctx: &Context,
    env: &Env,
) -> Result<Recorded, Reply> {
    let monitoring = check.config.monitoring().map_err(|err| unavailable("check configuration", err))?;
    let at = now();
    let kind = classify(ping.signal, ping.method, ping.body, &check.config.ping_rules());
    let (effect, guard) = if assume_idle_up {
        match monitoring.ping_when_idle_up(kind, exit_status(ping.signal), ping.rid, at) {
            Some(effect) => (effect, Guard::IdleUp { config_version: check.config_version }),
            None => return Ok(Recorded::NeedsState),
        }
    } else {
        (monitoring.ping(&check.state, kind, exit_status(ping.signal), ping.rid, at), Guard::None)
    };
    let flip_id = random_token(24).map_err(|err| unavailable("flip id", err))?;
    let defaults: Vec<String> = settings.default_channels().into_iter().map(|c| c.id).collect();
    let write = PingWrite {
        check_id: check.id,
        guard,
        effect: &effect,
        flip_id: &flip_id,
        ping: &ping.row,
        history: settings.ping_history,
        default_channels: &defaults,
        now: at,
    };
    let recorded = store.record_ping(&write).await.map_err(|err| unavailable("recording", err))?;
    if !recorded.applied {
        if let Some(current) = &recorded.current {
            known::remember(current);
        } else {
            known::forget(&check.uuid);
        }
        return Ok(Recorded::Stale(recorded.current.map(Box::new)));
    }
    known::remember(recorded.current.as_ref().unwrap_or(check));
    if recorded.flipped {
        // The check flipped: send its alerts now rather than at the next sweep.
        let (env, settings) = (env.clone(), settings.clone());
        ctx.wait_until(async move {
            if let Ok(store) = Store::from_env(&env) {
                let budget = settings.delivery_budget();
                if let Err(err) = deliver_due(&store, &settings, now(), budget).await {
                    console_error!("delivering after a ping: {err}");
                }
            }
        });
    }
    Ok(Recorded::Done)
}

/// The check a ping addresses, creating it for `?create=1` slug pings.
/// Returns whether it was created.
async fn find_check(
    store: &Store,
    target: &PingTarget,
    create: bool,
    max_checks: i64,
) -> Result<Result<(CheckRecord, bool), PingError>, StoreError> {
    match target {
        PingTarget::Check(uuid) => Ok(store.check_for_ping(uuid).await?.map(|c| (c, false)).ok_or(PingError::NotFound)),
        PingTarget::Slug { ping_key, slug } => {
            let hash = key_hash(ping_key);
            match store.check_by_slug(&hash, slug).await? {
                SlugLookup::Found(check) => Ok(Ok((*check, false))),
                SlugLookup::Ambiguous => Ok(Err(PingError::AmbiguousSlug)),
                SlugLookup::Missing if !create => Ok(Err(PingError::NotFound)),
                SlugLookup::Missing => {
                    let uuid = Uuid::random().map_err(|e| StoreError::Query(e.to_string()))?;
                    let created = store.create_slug_check(&uuid, &hash, slug, max_checks, now()).await?;
                    // Lost a race with a concurrent create, or at the limit: use what is there.
                    match store.check_by_slug(&hash, slug).await? {
                        SlugLookup::Found(check) => Ok(Ok((*check, created))),
                        SlugLookup::Ambiguous => Ok(Err(PingError::AmbiguousSlug)),
                        SlugLookup::Missing => Ok(Err(PingError::NotFound)),
                    }
                }
            }
        }
    }
}
