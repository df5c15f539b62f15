//! Snoozes: `POST|DELETE /api/v3/checks/<uuid>/snooze` (through `api`) and
//! `POST /ping/<uuid>/snooze?seconds=N` (and the slug form) for jobs that
//! announce their own maintenance. The domain decides the held state
//! (`decide::snooze_plan`); the write is conditional on the state it read.

use super::write::{decide_and_apply, WriteError};
use super::{App, Failure, Platform, Request};
use crate::domain::api::spec::parse_snooze_seconds;
use crate::domain::audit::AuditWrite;
use crate::domain::check::Check;
use crate::domain::decide::snooze_plan;
use crate::domain::ids::key_hash;
use crate::domain::ping::{parse_ping_path, rejected_reply, snooze_reply, PingError, PingTarget};
use crate::domain::reply::Reply;
use crate::domain::time::Timestamp;
use crate::store::Store;
use std::convert::Infallible;

/// Holds the check's notifications until `until`, or (`None`) ends a hold
/// early, logged with `audit`. Returns the check as written, or `None` if
/// it was deleted.
pub async fn snooze<S: Store, P: Platform>(
    store: &S,
    platform: &P,
    check: Check,
    until: Option<Timestamp>,
    audit: Option<AuditWrite>,
) -> Result<Option<Check>, Failure> {
    let now = platform.now();
    if until.is_none() && !check.state.muted_at(now) {
        return Ok(Some(check));
    }
    let written = decide_and_apply(store, platform, check, "snooze-before-write", async |check: &Check| {
        let mut plan = snooze_plan(check, until, platform.now());
        plan.audit = audit.clone();
        Ok::<_, Infallible>((plan, ()))
    })
    .await;
    match written {
        Ok(written) => Ok(store.check_by_id(written.read.id).await?),
        Err(WriteError::Gone) => Ok(None),
        Err(WriteError::Contended) => Err(Failure::Contended),
        Err(WriteError::Store(err)) => Err(err.into()),
        Err(WriteError::Refused(never)) => match never {},
    }
}

/// `POST /ping/<target>/snooze?seconds=N`: `OK`, or the ping API's errors.
pub async fn handle_ping<S: Store, P: Platform>(app: &App<'_, S, P>, target: &str, req: &Request) -> Reply {
    let until = match parse_snooze_seconds(&req.query, app.platform.now()) {
        Ok(until) => until,
        Err(_) => return snooze_reply(400, "seconds must be a whole number from 1 to 2592000 (30 days)"),
    };
    let url = match parse_ping_path(target) {
        Ok(url) => url,
        Err(err) => return rejected_reply(&err),
    };
    let found = match &url.target {
        PingTarget::Check(uuid) => match app.shards.for_uuid(uuid) {
            Some((_, store)) => store.check_by_uuid(uuid).await.map(|c| (store, c.into_iter().collect::<Vec<_>>())),
            None => return rejected_reply(&PingError::NotFound),
        },
        PingTarget::Slug { ping_key, slug } => match app.shards.for_key(ping_key) {
            Some((_, store)) => store.checks_by_slug(&key_hash(ping_key), slug).await.map(|c| (store, c)),
            None => return rejected_reply(&PingError::NotFound),
        },
    };
    let (store, mut found) = match found {
        Ok(found) => found,
        Err(err) => return Failure::from(err).reply("snooze", true, app.platform),
    };
    let check = match found.len() {
        1 => found.remove(0),
        0 => return rejected_reply(&PingError::NotFound),
        _ => return rejected_reply(&PingError::AmbiguousSlug),
    };
    // A job announcing its own maintenance: logged as done through its ping URL.
    let detail = serde_json::json!({"until": until.iso8601()});
    let audit =
        AuditWrite::new(&check.project_id, Some(check.uuid), app.platform.now(), "ping URL", "check.snooze", detail);
    match snooze(store, app.platform, check, Some(until), Some(audit)).await {
        Ok(Some(_)) => snooze_reply(200, "OK"),
        Ok(None) => rejected_reply(&PingError::NotFound),
        Err(failure) => failure.reply("snooze", true, app.platform),
    }
}
