//! Sends claimed outbox notifications through their channels and records
//! what came back. Called by the sweep and, right after a ping that flipped
//! a check, through `wait_until`.

use super::store::{DeliveryRow, DeliveryWrite, Store, StoreError};
use crate::domain::alert::{alert_for, AlertCheck, FlipFacts, LastPing};
use crate::domain::api::spec::CheckConfig;
use crate::domain::api::view::Urls;
use crate::domain::channel::{Channel, ChannelConfig};
use crate::domain::check::PingKind;
use crate::domain::ids::{random_token, Uuid};
use crate::domain::integrations::{request_for, Outgoing};
use crate::domain::outbox::{after_attempt, AttemptResult, ATTEMPT_TIMEOUT_MS};
use crate::domain::settings::Settings;
use crate::domain::time::Timestamp;
use futures_util::future::{join_all, select, Either};
use std::time::Duration;
use worker::js_sys::Uint8Array;
use worker::{AbortController, Date, Delay, Fetch, Headers, Method, Request, RequestInit};

/// A random number in [0, 1) for retry jitter.
fn jitter() -> f64 {
    let mut bytes = [0u8; 4];
    match getrandom::getrandom(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.5,
    }
}

fn wall_clock() -> i64 {
    Date::now().as_millis() as i64
}

/// Makes one HTTP request, giving up after the attempt timeout.
pub async fn send(outgoing: &Outgoing) -> AttemptResult {
    let headers = Headers::new();
    for (name, value) in &outgoing.headers {
        if let Err(err) = headers.set(name, value) {
            return AttemptResult::Undeliverable(format!("header {name}: {err}"));
        }
    }
    let mut init = RequestInit::new();
    init.with_method(Method::from(outgoing.method.clone())).with_headers(headers);
    if !outgoing.body.is_empty() {
        init.with_body(Some(Uint8Array::from(outgoing.body.as_slice()).into()));
    }
    let request = match Request::new_with_init(&outgoing.url, &init) {
        Ok(request) => request,
        Err(err) => return AttemptResult::Undeliverable(format!("bad request: {err}")),
    };
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let sending = Box::pin(fetch.send_with_signal(&signal));
    let timeout = Box::pin(Delay::from(Duration::from_millis(ATTEMPT_TIMEOUT_MS as u64)));
    let finished = select(sending, timeout).await;
    // Bound to a name so the pending futures, which borrow `fetch` and
    // `signal`, are dropped before them.
    #[allow(clippy::let_and_return)]
    let result = match finished {
        Either::Left((Ok(response), _)) => AttemptResult::Status(response.status_code()),
        Either::Left((Err(err), _)) => AttemptResult::NetworkError(err.to_string()),
        Either::Right(_) => {
            controller.abort();
            AttemptResult::Timeout
        }
    };
    result
}

/// The alert a claimed notification carries.
fn alert_of(row: &DeliveryRow, urls: &Urls) -> Result<crate::domain::alert::Alert, String> {
    let uuid = Uuid::parse(&row.uuid).ok_or_else(|| format!("check uuid {:?}", row.uuid))?;
    let config = CheckConfig {
        name: row.name.clone(),
        slug: row.slug.clone(),
        tags: row.tags.clone(),
        cron: row.kind == "cron",
        timeout: row.timeout,
        grace: row.grace,
        schedule: row.schedule.clone(),
        tz: row.tz.clone(),
        ..CheckConfig::default()
    };
    let check = AlertCheck::from_config(uuid, &config, urls.check_url(&uuid));
    let flip = FlipFacts {
        id: row.flip_id.clone(),
        at: Timestamp::from_millis(row.flip_at),
        old_status: row.old_status.clone(),
        new_status: row.new_status.clone(),
        reason: row.reason.clone(),
        previous_change_at: row.previous_change_at.map(Timestamp::from_millis),
    };
    let last_ping = row.ping_at.map(|at| LastPing {
        at: Timestamp::from_millis(at),
        kind: row.ping_kind.as_deref().and_then(PingKind::parse).unwrap_or(PingKind::Success),
        exit_status: row.ping_exit_status,
        body_excerpt: row.ping_body.as_deref().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default(),
    });
    Ok(alert_for(check, &flip, last_ping))
}

/// Where a notification goes: its channel row, or a default channel.
fn channel_of(row: &DeliveryRow, defaults: &[Channel]) -> Result<ChannelConfig, String> {
    if let Some(stored) = &row.channel_config {
        return ChannelConfig::from_stored(stored);
    }
    defaults
        .iter()
        .find(|c| c.id == row.channel_id)
        .map(|c| c.config.clone())
        .ok_or_else(|| format!("channel {} no longer exists", row.channel_id))
}

/// Claims and sends up to `budget` due notifications; returns how many were
/// attempted. `now` decides what is due and when retries happen.
pub async fn deliver_due(
    store: &Store,
    settings: &Settings,
    now: Timestamp,
    budget: usize,
) -> Result<usize, StoreError> {
    let claim = random_token(24).map_err(|e| StoreError::Query(e.to_string()))?;
    if store.claim_notifications(&claim, now, budget).await? == 0 {
        return Ok(0);
    }
    let rows = store.claimed_notifications(&claim).await?;
    let urls = Urls { base: settings.public_url.clone().unwrap_or_default(), api_version: 3 };
    let defaults = settings.default_channels();
    let attempts = rows.iter().map(|row| async {
        let started = wall_clock();
        let prepared = alert_of(row, &urls).and_then(|alert| Ok((alert, channel_of(row, &defaults)?)));
        let result = match prepared {
            Ok((alert, channel)) => send(&request_for(&channel, &alert, &row.id.to_string(), now)).await,
            Err(problem) => AttemptResult::Undeliverable(problem),
        };
        let outcome =
            after_attempt(&result, row.attempts.max(1) as u32, Timestamp::from_millis(row.created_at), now, jitter());
        DeliveryWrite { notification_id: row.id, at: now, result, outcome, duration_ms: wall_clock() - started }
    });
    let writes = join_all(attempts).await;
    store.record_deliveries(&claim, &writes).await?;
    Ok(writes.len())
}
