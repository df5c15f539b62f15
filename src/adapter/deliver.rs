//! Sends claimed outbox notifications through their channels and records
//! what came back. Called by the sweep and, right after a ping that flipped
//! a check, through `wait_until`.

use super::context::{jitter, now as clock, Failure};
use super::store::{DeliveryRow, DeliveryWrite, Store};
use crate::domain::alert::{alert_for, Alert, AlertCheck, FlipFacts, LastPing};
use crate::domain::api::view::Urls;
use crate::domain::channel::{Channel, ChannelConfig};
use crate::domain::check::PingKind;
use crate::domain::ids::random_token;
use crate::domain::integrations::{request_for, Outgoing};
use crate::domain::outbox::{after_attempt, AttemptResult, ATTEMPT_TIMEOUT_MS};
use crate::domain::settings::Settings;
use crate::domain::time::Timestamp;
use futures_util::future::{join_all, select, Either};
use std::time::Duration;
use worker::js_sys::Uint8Array;
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect};

/// Makes one HTTP request, giving up after the attempt timeout. Redirects
/// are never followed (the request carries the channel's secret headers and
/// signature, and the new destination was never checked): a 3xx comes back
/// as a failed attempt with its `Location`.
pub async fn send(outgoing: &Outgoing) -> AttemptResult {
    let headers = Headers::new();
    for (name, value) in &outgoing.headers {
        if let Err(err) = headers.set(name, value) {
            return AttemptResult::Undeliverable(format!("header {name}: {err}"));
        }
    }
    let mut init = RequestInit::new();
    init.with_method(Method::from(outgoing.method.clone()))
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual);
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
        Either::Left((Ok(response), _)) => {
            AttemptResult::of_response(response.status_code(), response.headers().get("Location").ok().flatten())
        }
        Either::Left((Err(err), _)) => AttemptResult::NetworkError(err.to_string()),
        Either::Right(_) => {
            controller.abort();
            AttemptResult::Timeout
        }
    };
    result
}

/// The alert a claimed notification carries.
fn alert_of(row: &DeliveryRow, urls: &Urls) -> Alert {
    let uuid = row.check.uuid;
    let check = AlertCheck::from_config(uuid, &row.check.config, urls.check_page(&uuid));
    let flip = FlipFacts {
        id: row.flip_id.clone(),
        at: row.flip_at,
        old_status: row.old_status,
        new_status: row.new_status,
        reason: row.reason,
        previous_change_at: row.previous_change_at,
        event: row.event,
    };
    let last_ping = row.ping_at.map(|at| LastPing {
        at,
        kind: row.ping_kind.unwrap_or(PingKind::Success),
        exit_status: row.ping_exit_status,
        body_excerpt: row.ping_body.as_deref().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default(),
    });
    alert_for(check, &flip, last_ping)
}

/// Where a notification goes: its channel row, or a default channel; never
/// a destination the policy forbids.
fn channel_of(row: &DeliveryRow, defaults: &[Channel], allow_private: bool) -> Result<ChannelConfig, String> {
    if let Some(stored) = &row.channel_config {
        let config = ChannelConfig::from_stored(stored)?;
        return match config.refusal(allow_private) {
            Some(problem) => Err(problem),
            None => Ok(config),
        };
    }
    // Default channels come from the operator's own secrets.
    defaults
        .iter()
        .find(|c| c.id == row.channel_id)
        .map(|c| c.config.clone())
        .ok_or_else(|| format!("channel {} no longer exists", row.channel_id))
}

/// Claims and sends up to `budget` due notifications; returns how many were
/// attempted. `now` decides what is due and when retries happen.
pub async fn deliver_due(store: &Store, settings: &Settings, now: Timestamp, budget: usize) -> Result<usize, Failure> {
    let claim = random_token(24)?;
    if store.claim_notifications(&claim, now, budget).await? == 0 {
        return Ok(0);
    }
    let rows = store.claimed_notifications(&claim, settings.ping_history).await?;
    let urls = Urls { base: settings.public_url.clone().unwrap_or_default(), api_version: 3 };
    let defaults = settings.default_channels();
    let allow_private = settings.allow_private_destinations;
    let attempts = rows.iter().map(|row| async {
        let started = clock();
        let (id, attempts, created_at, result) = match row {
            Ok(row) => {
                let result = match channel_of(row, &defaults, allow_private) {
                    Ok(channel) => send(&request_for(&channel, &alert_of(row, &urls), &row.id.to_string(), now)).await,
                    Err(problem) => AttemptResult::Undeliverable(problem),
                };
                (row.id, row.attempts, row.created_at, result)
            }
            // Its check's row cannot be read: fail it now rather than retry blindly.
            Err((id, problem)) => (*id, 1, now, AttemptResult::Undeliverable(problem.clone())),
        };
        let outcome = after_attempt(&result, attempts.max(1) as u32, created_at, now, jitter());
        DeliveryWrite {
            notification_id: id,
            at: now,
            result,
            outcome,
            duration_ms: clock().millis() - started.millis(),
        }
    });
    let writes = join_all(attempts).await;
    store.record_deliveries(&claim, &writes).await?;
    Ok(writes.len())
}
