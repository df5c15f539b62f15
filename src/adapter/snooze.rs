//! Snoozes: `POST|DELETE /api/v3/checks/<uuid>/snooze` (through `api`) and
//! `POST /ping/<uuid>/snooze?seconds=N` (and the slug form) for jobs that
//! announce their own maintenance. The domain decides the held state
//! (`Monitoring::snooze`); the write is conditional on the state it read.

use super::context::{Failure, RequestContext};
use super::store::{Expected, Store, StoreError};
use crate::domain::api::spec::parse_snooze_seconds;
use crate::domain::check::{Check, Transition};
use crate::domain::ids::key_hash;
use crate::domain::ping::{parse_ping_path, rejected_reply, snooze_reply, PingError, PingTarget};
use crate::domain::reply::Reply;
use crate::domain::time::Timestamp;

const ATTEMPTS: usize = 5;

/// Holds the check's notifications until `until`, or (`None`) ends a hold
/// early. Returns the check as written, or `None` if it was deleted.
pub async fn snooze(
    store: &Store,
    mut check: Check,
    until: Option<Timestamp>,
    now: Timestamp,
) -> Result<Option<Check>, StoreError> {
    for _ in 0..ATTEMPTS {
        if until.is_none() && !check.state.muted_at(now) {
            return Ok(Some(check));
        }
        let monitoring = check.monitoring();
        let state = monitoring.snooze(&check.state, until, now);
        let transition = Transition { alert_after: monitoring.going_down_after(&state), state, flip: None };
        if store.write_transition(&check, &Expected::of(&check, true), &transition, "").await? {
            return store.check_by_uuid(&check.uuid).await;
        }
        match store.check_by_uuid(&check.uuid).await? {
            Some(current) => check = current,
            None => return Ok(None),
        }
    }
    Err(StoreError::Query("the check kept changing; try again".into()))
}

/// `POST /ping/<target>/snooze?seconds=N`: `OK`, or the ping API's errors.
pub async fn handle_ping(target: &str, ctx: &RequestContext<'_>) -> Reply {
    let until = match parse_snooze_seconds(&ctx.incoming.query, ctx.now) {
        Ok(until) => until,
        Err(_) => return snooze_reply(400, "seconds must be a whole number from 1 to 2592000 (30 days)"),
    };
    let url = match parse_ping_path(target) {
        Ok(url) => url,
        Err(err) => return rejected_reply(&err),
    };
    let store = match ctx.store() {
        Ok(store) => store,
        Err(err) => return err.reply("snooze", true),
    };
    let found = match &url.target {
        PingTarget::Check(uuid) => store.check_by_uuid(uuid).await.map(|c| c.into_iter().collect::<Vec<_>>()),
        PingTarget::Slug { ping_key, slug } => store.checks_by_slug(&key_hash(ping_key), slug).await,
    };
    let mut found = match found {
        Ok(found) => found,
        Err(err) => return Failure::from(err).reply("snooze", true),
    };
    let check = match found.len() {
        1 => found.remove(0),
        0 => return rejected_reply(&PingError::NotFound),
        _ => return rejected_reply(&PingError::AmbiguousSlug),
    };
    match snooze(store, check, Some(until), ctx.now).await {
        Ok(Some(_)) => snooze_reply(200, "OK"),
        Ok(None) => rejected_reply(&PingError::NotFound),
        Err(err) => Failure::from(err).reply("snooze", true),
    }
}
