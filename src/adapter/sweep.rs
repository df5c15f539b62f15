//! The minute sweep, run by the cron trigger with the event's scheduledTime
//! as "now": finds the checks that are due (only those, through the
//! `checks_sweep_at` index), records their flips and events, and delivers the outbox.
//!
//! Maintenance windows are read only for the projects whose due checks have
//! something to notify, once per sweep each, and each window's opening is
//! found once (`OpenWindows`): their cost grows with the windows, never with
//! windows x checks. A window that cannot be read silences nothing.

use super::context::{now, settings, Failure};
use super::deliver::{deliver_due, send};
use super::store::{DueCheck, Store, SweepOutcome, SweepWrite};
use crate::domain::check::EventSet;
use crate::domain::ids::random_token;
use crate::domain::integrations::Outgoing;
use crate::domain::maintenance::OpenWindows;
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

/// The maintenance windows of the projects this sweep met, each project's
/// read once and taken at the sweep's instant.
struct SweepWindows {
    now: Timestamp,
    by_project: BTreeMap<String, OpenWindows>,
}

impl SweepWindows {
    /// Reads the windows of the projects not read yet, in one query. If
    /// that fails, those projects' events are not held this sweep: an alert
    /// during maintenance is better than a missed one.
    async fn read(&mut self, store: &Store, projects: Vec<String>) {
        let mut missing: Vec<String> = projects.into_iter().filter(|p| !self.by_project.contains_key(p)).collect();
        missing.sort();
        missing.dedup();
        if missing.is_empty() {
            return;
        }
        let rows = match store.windows_of_projects(&missing).await {
            Ok((rows, problems)) => {
                for problem in problems {
                    console_warn!("sweep: skipping {problem}");
                }
                rows
            }
            Err(err) => {
                console_error!("sweep: could not read maintenance windows ({err}); their events are not held");
                Vec::new()
            }
        };
        let mut grouped: BTreeMap<String, Vec<_>> = missing.into_iter().map(|p| (p, Vec::new())).collect();
        for (project, window) in rows {
            grouped.entry(project).or_default().push(window);
        }
        for (project, windows) in grouped {
            self.by_project.insert(project, OpenWindows::at(windows, self.now));
        }
    }

    fn of(&self, project: &str) -> Option<&OpenWindows> {
        self.by_project.get(project)
    }
}

async fn find_down_checks(
    store: &Store,
    settings: &Settings,
    now: Timestamp,
    outcome: &mut SweepOutcome,
) -> Result<(), Failure> {
    let defaults: Vec<String> = settings.default_channels().into_iter().map(|c| c.id).collect();
    let default_events = if defaults.is_empty() { EventSet::of(&[]) } else { EventSet::default() };
    // What the sweep records is never dated after the clock (its `now` can
    // be set ahead of it through the local scheduled endpoint).
    let clock = self::now().min(now);
    let mut windows = SweepWindows { now, by_project: BTreeMap::new() };
    for _ in 0..MAX_CHUNKS {
        let before = store.usage().rows_read;
        let due = store.due_checks(now, CHUNK).await?;
        outcome.rows_read += store.usage().rows_read - before;
        outcome.due_checks += due.len() as i64;
        let stepped: Vec<_> = due
            .iter()
            .filter_map(|due_check| match due_check {
                DueCheck::Readable { check, deadlines } => {
                    Some((check, deadlines, check.monitoring().sweep_step(&check.state, now)))
                }
                DueCheck::Unreadable { .. } => None,
            })
            .collect();
        // Windows only for the projects with something to notify.
        let notifying = stepped
            .iter()
            .filter(|(check, _, step)| step.would_notify(&check.listeners.union(&default_events)))
            .map(|(check, _, _)| check.project_id.clone());
        windows.read(store, notifying.collect()).await;
        let mut writes = Vec::with_capacity(due.len());
        for (check, deadlines, step) in stepped {
            let open = windows.of(&check.project_id);
            let window_hold = |at| open.and_then(|open| open.hold(&check.uuid, &check.config.tags, at));
            let mut held = check.monitoring().hold_step(step, now, window_hold);
            held.step = held.step.dated_by(clock);
            let flip_id = random_token(24)?;
            let event_ids = (0..held.step.events.len()).map(|i| format!("{flip_id}-{i}")).collect();
            writes.push(SweepWrite::Step { check: check.clone(), seen: *deadlines, held, flip_id, event_ids });
        }
        // A row that cannot be read is looked at again later rather than
        // blocking the sweep for every check and project.
        for due_check in &due {
            if let DueCheck::Unreadable { id, deadlines, problem } = due_check {
                console_warn!("sweep: check row {id} is unreadable: {problem}");
                outcome.unreadable += 1;
                writes.push(SweepWrite::Reschedule {
                    check_id: *id,
                    seen: *deadlines,
                    retry_at: now.plus_secs(UNREADABLE_RETRY_SECS),
                });
            }
        }
        outcome.flips += store.apply_sweep(&writes, &defaults, clock).await?;
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
