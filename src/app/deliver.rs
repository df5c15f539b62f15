//! Sends due outbox notifications through their channels and records what
//! came back. Called by the sweep and, right after a ping or an API change
//! that queued notifications, after the answer. Which notifications go
//! first is the domain's (`outbox::fair_turns`): projects take turns.

use super::{App, Failure, Platform};
use crate::domain::alert::{alert_for, Alert, AlertCheck, FlipFacts, LastPing};
use crate::domain::api::view::Urls;
use crate::domain::channel::{Channel, ChannelConfig};
use crate::domain::check::PingKind;
use crate::domain::ids::random_token;
use crate::domain::integrations::request_for;
use crate::domain::outbox::{after_attempt, fair_turns, AttemptResult, CLAIM_MS};
use crate::domain::time::Timestamp;
use crate::store::{DeliveryRow, DeliveryWrite, Store};
use futures_util::future::join_all;

/// The alert a claimed notification carries.
fn alert_of(row: &DeliveryRow, urls: &Urls) -> Alert {
    let uuid = row.check.uuid;
    let check = AlertCheck::from_config(uuid, &row.check.config, urls.check_page(&uuid), row.check.created_at);
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

/// Claims and sends up to `budget` due notifications of one database;
/// returns how many were attempted. `now` decides what is due and when
/// retries happen.
pub async fn deliver_due<S: Store, P: Platform>(
    app: &App<'_, S, P>,
    store: &S,
    now: Timestamp,
    budget: usize,
) -> Result<usize, Failure> {
    if budget == 0 {
        return Ok(0);
    }
    let due = store.due_notifications(now, budget as i64).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let order: Vec<(String, Timestamp, i64)> =
        due.into_iter().map(|q| (q.project_id, q.next_attempt_at, q.id)).collect();
    let chosen = fair_turns(&order, budget);
    let claim = random_token(24)?;
    if store.claim(&chosen, &claim, now, now.plus_millis(CLAIM_MS)).await? == 0 {
        return Ok(0);
    }
    let rows = store.claimed(&claim, app.settings.ping_history).await?;
    let urls = Urls { base: app.settings.public_url.clone().unwrap_or_default(), api_version: 3 };
    let defaults = app.default_channels();
    let allow_private = app.settings.allow_private_destinations;
    let platform = app.platform;
    let attempts = rows.iter().map(|row| async {
        let started = platform.now();
        let (id, attempts, created_at, result) = match row {
            Ok(row) => {
                let result = match channel_of(row, &defaults, allow_private) {
                    Ok(channel) => {
                        platform.send(&request_for(&channel, &alert_of(row, &urls), &row.id.to_string(), now)).await
                    }
                    Err(problem) => AttemptResult::Undeliverable(problem),
                };
                (row.id, row.attempts, row.created_at, result)
            }
            // Its check's row cannot be read: fail it now rather than retry blindly.
            Err((id, problem)) => (*id, 1, now, AttemptResult::Undeliverable(problem.clone())),
        };
        let outcome = after_attempt(&result, attempts.max(1) as u32, created_at, now, platform.jitter());
        DeliveryWrite {
            notification_id: id,
            at: now,
            result,
            outcome,
            duration_ms: platform.now().millis() - started.millis(),
        }
    });
    let writes = join_all(attempts).await;
    store.record_deliveries(&claim, &writes).await?;
    Ok(writes.len())
}
