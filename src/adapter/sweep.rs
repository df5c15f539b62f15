//! The minute sweep, run by the cron trigger with the event's scheduledTime
//! as "now": finds the checks that are due (only those, through the
//! `checks_sweep_at` index), records their flips and events, and delivers the outbox.

use super::context::{now, settings, Failure};
use super::deliver::{deliver_due, send};
use super::store::{DueCheck, Store, StoreError, SweepOutcome, SweepWrite};
use crate::domain::ids::random_token;
use crate::domain::integrations::Outgoing;
use crate::domain::maintenance::{muted_until, Window};
use crate::domain::outbox::AttemptResult;
use crate::domain::settings::Settings;
use crate::domain::time::Timestamp;
use std::collections::BTreeMap;
use worker::{console_error, console_warn, Env};

/// Due checks read and written per round trip.
const CHUNK: i64 = 500;
/// At most this many chunks per sweep (10,000 checks); the rest waits a minute.
const MAX_CHUNKS: usize = 20;
/// Delivered and failed notifications and old flips are kept this long.
const HISTORY_DAYS: i64 = 93;
/// A row that cannot be read is looked at again after this long.
const UNREADABLE_RETRY_SECS: i64 = 3600;

pub async fn run(scheduled_time: f64, env: &Env) {
    let now = Timestamp::from_millis(scheduled_time as i64);
    let settings = settings(env);
    let store = match Store::from_env(env) {
        Ok(store) => store,
        Err(err) => {
            console_error!("sweep at {now}: {err}");
            return;
        }
    };
    run_with(&store, &settings, now, false).await;
}

/// A sweep started by a request that found the cron trigger stalled. It
/// sends no self-ping: the outside monitor should still see the stall.
pub async fn run_rescue(now: Timestamp, env: &Env, store: &Store) {
    run_with(store, &settings(env), now, true).await;
}

async fn run_with(store: &Store, settings: &Settings, now: Timestamp, rescue: bool) {
    let mut outcome = sweep(store, settings, now).await;
    outcome.usage = store.usage();
    outcome.rescue = rescue;
    if let Some(error) = &outcome.error {
        console_error!("sweep at {now} failed: {error}");
    }
    if let Err(err) = store.record_sweep(now, self::now(), &outcome).await {
        console_error!("sweep at {now}: could not record the sweep: {err}");
        return;
    }
    if outcome.error.is_none() && !rescue {
        self_ping(settings).await;
    }
}

/// One sweep; an error stops it and is returned in the outcome.
async fn sweep(store: &Store, settings: &Settings, now: Timestamp) -> SweepOutcome {
    let mut outcome = SweepOutcome::default();
    if let Err(err) = apply_windows(store, now).await {
        outcome.error = Some(format!("applying maintenance windows: {err}"));
        return outcome;
    }
    if let Err(err) = find_down_checks(store, settings, now, &mut outcome).await {
        outcome.error = Some(format!("finding due checks: {err}"));
        return outcome;
    }
    match deliver_due(store, settings, now, settings.delivery_budget()).await {
        Ok(sent) => outcome.sent = sent as i64,
        Err(err) => {
            outcome.error = Some(format!("delivering notifications: {err}"));
            return outcome;
        }
    }
    // Once an hour is enough to keep history bounded.
    if now.millis().rem_euclid(3_600_000) < 60_000 {
        if let Err(err) = store.prune_history(now.plus_secs(-HISTORY_DAYS * 86_400)).await {
            outcome.error = Some(format!("pruning history: {err}"));
        }
    }
    outcome
}

/// Mutes the checks that open maintenance windows select, until the
/// windows close (the domain decides which and until when; a check already
/// muted that long is left alone).
async fn apply_windows(store: &Store, now: Timestamp) -> Result<(), StoreError> {
    let mut open: BTreeMap<String, Vec<Window>> = BTreeMap::new();
    for (project, window) in store.all_windows().await? {
        if window.open_until(now).is_some() {
            open.entry(project).or_default().push(window);
        }
    }
    for (project, windows) in open {
        let (checks, _) = store.list_check_states(&project).await?;
        let mutes: Vec<_> = checks
            .into_iter()
            .filter_map(|check| {
                let until = muted_until(&windows, &check, now)?;
                let state = check.monitoring().mute(&check.state, until, now)?;
                let alert_after = check.monitoring().going_down_after(&state);
                Some((check, state, alert_after))
            })
            .collect();
        store.write_mutes(&mutes).await?;
    }
    Ok(())
}

async fn find_down_checks(
    store: &Store,
    settings: &Settings,
    now: Timestamp,
    outcome: &mut SweepOutcome,
) -> Result<(), Failure> {
    let defaults: Vec<String> = settings.default_channels().into_iter().map(|c| c.id).collect();
    for _ in 0..MAX_CHUNKS {
        let before = store.usage().rows_read;
        let due = store.due_checks(now, CHUNK).await?;
        outcome.rows_read += store.usage().rows_read - before;
        outcome.due_checks += due.len() as i64;
        let mut writes = Vec::with_capacity(due.len());
        for due_check in &due {
            writes.push(match due_check {
                DueCheck::Readable { check, deadlines } => {
                    let step = check.monitoring().sweep_step(&check.state, now);
                    let flip_id = random_token(24)?;
                    let event_ids = (0..step.events.len()).map(|i| format!("{flip_id}-{i}")).collect();
                    SweepWrite::Step {
                        muted: step.state.muted_at(now),
                        check: check.clone(),
                        seen: *deadlines,
                        step,
                        flip_id,
                        event_ids,
                    }
                }
                // A row that cannot be read is looked at again later rather
                // than blocking the sweep for every check and project.
                DueCheck::Unreadable { id, deadlines, problem } => {
                    console_warn!("sweep: check row {id} is unreadable: {problem}");
                    outcome.unreadable += 1;
                    SweepWrite::Reschedule {
                        check_id: *id,
                        seen: *deadlines,
                        retry_at: now.plus_secs(UNREADABLE_RETRY_SECS),
                    }
                }
            });
        }
        outcome.flips += store.apply_sweep(&writes, &defaults, now).await?;
        if (due.len() as i64) < CHUNK {
            break;
        }
    }
    Ok(())
}

/// Tells an outside monitor that this sweep completed.
async fn self_ping(settings: &Settings) {
    let Some(url) = &settings.self_ping_url else { return };
    let request = Outgoing { method: "GET".into(), url: url.clone(), headers: Vec::new(), body: Vec::new() };
    match send(&request).await {
        AttemptResult::Status(status) if (200..300).contains(&status) => {}
        other => console_warn!("self-ping to SELF_PING_URL failed: {:?}", other.error()),
    }
}
