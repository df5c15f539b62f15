//! The ping endpoint: `/ping/<uuid>[/signal]` and `/ping/<ping_key>/<slug>[/signal]`.
//!
//! D1 round trips per ping: 2 (read the check, then one batch that writes
//! the flip and its outbox rows, the state, the ping and the pruning).
//! A ping that flips the check then delivers its alerts after answering
//! (`wait_until`), off the ping's own latency. A `?create=1` ping that
//! creates its check costs 2 more (the create batch and a re-read). The
//! number never depends on how many checks or pings exist.

use super::deliver::deliver_due;
use super::http::{now, read_body, settings, Incoming};
use super::store::{PingRow, SlugLookup, Store, StoreError};
use crate::domain::api::view::CheckRecord;
use crate::domain::ids::{key_hash, random_token, Uuid};
use crate::domain::ping::{
    accepted_reply, classify, exit_status, parse_ping_path, parse_ping_query, rejected_reply, PingError, PingTarget,
};
use crate::domain::reply::Reply;
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
    let (check, created) = match find_check(&store, &url.target, query.create, settings.max_checks_per_project).await {
        Ok(Ok(found)) => found,
        Ok(Err(err)) => return rejected_reply(&err),
        Err(err) => return unavailable("lookup", err),
    };
    let (body, _cut) = match read_body(req, settings.ping_body_limit).await {
        Ok(body) => body,
        Err(err) => return unavailable("reading the body", err),
    };
    let monitoring = match check.config.monitoring() {
        Ok(monitoring) => monitoring,
        Err(err) => return unavailable("check configuration", err),
    };
    let at = now();
    let kind = classify(url.signal, &incoming.method_name, &body, &check.config.ping_rules());
    let effect = monitoring.ping(&check.state, kind, exit_status(url.signal), query.rid, at);
    let flip_id = match random_token(24) {
        Ok(id) => id,
        Err(err) => return unavailable("flip id", err),
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
    let defaults: Vec<String> = settings.default_channels().into_iter().map(|c| c.id).collect();
    match store.record_ping(&check, &effect, &flip_id, &row, settings.ping_history, &defaults, at).await {
        // The check flipped: send its alerts now rather than at the next sweep.
        Ok(true) => {
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
        Ok(false) => {}
        Err(err) => return unavailable("recording", err),
    }
    accepted_reply(created, settings.ping_body_limit)
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
        PingTarget::Check(uuid) => Ok(store.check_by_uuid(uuid).await?.map(|c| (c, false)).ok_or(PingError::NotFound)),
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
