//! Sends due outbox notifications through their channels and records what
//! came back. Called by the sweep and, right after a ping or an API change
//! that queued notifications, after the answer. Which notifications go
//! first is the domain's (`outbox::fair_turns`): projects take turns.

use super::{App, Failure, Level, Platform};
use crate::domain::alert::{alert_for, Alert, AlertCheck, FlipFacts, LastPing};
use crate::domain::api::view::Urls;
use crate::domain::channel::{failing_mark, Channel, ChannelConfig, NoticeDetail};
use crate::domain::channels::{refusal_of_url, Context, Delivery};
use crate::domain::check::PingKind;
use crate::domain::ids::random_token;
use crate::domain::outbox::{after_attempt, fair_turns, AttemptResult, CLAIM_MS};
use crate::domain::time::Timestamp;
use crate::store::{DeliveryRow, DeliveryWrite, Store};
use futures_util::future::join_all;

/// The alert a claimed notification carries: about its check, or the
/// notice that one of the project's channels is failing.
fn alert_of(row: &DeliveryRow, urls: &Urls) -> Result<Alert, String> {
    if let Some(detail) = &row.notice {
        let notice = NoticeDetail::parse(detail)?;
        let page = format!("{}/app/#/channels", urls.base);
        return Ok(Alert::channel_failing(
            &notice.name,
            &notice.kind,
            &notice.reason,
            &notice.channel,
            page,
            row.flip_at,
            &row.flip_id,
        ));
    }
    let uuid = row.check.uuid;
    let mut check = AlertCheck::from_config(uuid, &row.check.config, urls.check_page(&uuid), row.check.created_at);
    check.project.clone_from(&row.check.project_id);
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
    Ok(alert_for(check, &flip, last_ping))
}

/// Where a notification goes: its channel row, or a default channel (with
/// `true`: the operator's own, trusted whatever its destination).
fn channel_of(row: &DeliveryRow, defaults: &[Channel]) -> Result<(ChannelConfig, bool), String> {
    if let Some(stored) = &row.channel_config {
        return Ok((ChannelConfig::from_stored(stored)?, false));
    }
    defaults
        .iter()
        .find(|c| c.id == row.channel_id)
        .map(|c| (c.config.clone(), true))
        .ok_or_else(|| format!("channel {} no longer exists", row.channel_id))
}

/// Sends `alert` through a channel and reads the answer the kind's way. A
/// destination the policy forbids is never contacted (unless `trusted`:
/// a default channel kept from the operator's secrets).
pub async fn send_alert<P: Platform>(
    platform: &P,
    config: &ChannelConfig,
    alert: &Alert,
    context: &Context<'_>,
    allow_private: bool,
    trusted: bool,
) -> AttemptResult {
    match config.deliver(alert, context) {
        Delivery::Http(outgoing) => {
            if let Some(problem) = refusal_of_url(&outgoing.url, allow_private).filter(|_| !trusted) {
                return AttemptResult::Undeliverable(problem);
            }
            config.judge(&platform.send(&outgoing).await)
        }
        Delivery::Email(email) => platform.send_email(&email).await,
        Delivery::Impossible(problem) => AttemptResult::Undeliverable(problem),
    }
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
    let urls =
        Urls { base: app.settings.public_url.clone().unwrap_or_default(), api_version: 3, ping_email_domain: None };
    let defaults = app.default_channels();
    let allow_private = app.settings.allow_private_destinations;
    let email_from = app.settings.email_from.as_deref();
    let platform = app.platform;
    let attempts = rows.iter().map(|row| async {
        let started = platform.now();
        let (id, attempts, created_at, result) = match row {
            Ok(row) => {
                let result = match (channel_of(row, &defaults), alert_of(row, &urls), &row.channel_failing) {
                    // A failing channel is not contacted until it is fixed.
                    (_, _, Some(reason)) => AttemptResult::Undeliverable(format!(
                        "the channel is failing ({reason}): edit it, or send a test that is delivered, to resume"
                    )),
                    (Ok((channel, trusted)), Ok(alert), None) => {
                        let delivery_id = row.id.to_string();
                        let context = Context { delivery_id: &delivery_id, now, email_from };
                        send_alert(platform, &channel, &alert, &context, allow_private, trusted).await
                    }
                    (Err(problem), _, None) | (_, Err(problem), None) => AttemptResult::Undeliverable(problem),
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
    // One write per row, in the same order.
    for (row, write) in rows.iter().zip(&writes) {
        if let (Ok(row), AttemptResult::Refused { reason, .. }) = (row, &write.result) {
            mark_failing(app, store, row, reason, now).await?;
        }
    }
    Ok(writes.len())
}

/// A permanent refusal through a stored channel: marks it failing and tells
/// the project's other channels once (the store writes the notice only if
/// it is the one that marked it). A default channel, kept from the
/// operator's secrets, is not marked: the operator fixes it.
async fn mark_failing<S: Store, P: Platform>(
    app: &App<'_, S, P>,
    store: &S,
    row: &DeliveryRow,
    reason: &str,
    now: Timestamp,
) -> Result<(), Failure> {
    let project = &row.check.project_id;
    let mut channels = store.channels(project).await?;
    let Some(refused) = channels.iter().find(|c| c.id == row.channel_id).cloned() else {
        app.platform.log(Level::Warn, &format!("channel {} refused for good: {reason}", row.channel_id));
        return Ok(());
    };
    channels.extend(app.default_channels());
    let about = Some((row.check.id, row.check.state.status));
    let mark = failing_mark(project, &refused, reason, now, &channels, about, format!("n{}", random_token(24)?));
    if store.mark_channel_failing(&mark).await? {
        app.platform.log(Level::Warn, &format!("channel {} is failing: {reason}", refused.id));
    }
    Ok(())
}
