//! The minute sweep, run by the cron trigger with the event's scheduledTime
//! as "now", in every database: finds the checks that are due (only those,
//! by the sweep deadline's index), writes what the domain decides for each
//! (`decide::sweep_plan`), and delivers the outbox.

use super::deliver::deliver_due;
use super::{App, Failure, Level, Platform};
use crate::domain::channels::Outgoing;
use crate::domain::decide::{reschedule_plan, sweep_plan, Audience};
use crate::domain::ids::random_token;
use crate::domain::maintenance::{muted_until, Window};
use crate::domain::outbox::AttemptResult;
use crate::domain::time::Timestamp;
use crate::store::{DueCheck, Store, StoreError, SweepOutcome};
use std::collections::HashMap;

/// Due checks read and written per round trip.
const CHUNK: i64 = 500;
/// At most this many chunks per sweep (10,000 checks); the rest waits a minute.
const MAX_CHUNKS: usize = 20;
/// Delivered and failed notifications and old flips are kept this long.
const HISTORY_DAYS: i64 = 93;
/// A row that cannot be read is looked at again after this long.
const UNREADABLE_RETRY_SECS: i64 = 3600;

/// Sweeps every database at `now`; `rescue`: started by a request that
/// found the cron trigger stalled (it sends no self-ping: the outside
/// monitor should still see the stall).
pub async fn run<S: Store, P: Platform>(app: &App<'_, S, P>, now: Timestamp, rescue: bool) {
    let mut all_completed = true;
    // Each database's share of the invocation's outgoing requests.
    let shares = app.shards.len().max(1);
    let budget = app.settings.delivery_budget() / shares;
    for (n, store) in app.shards.all() {
        all_completed &= run_one(app, store, n, now, rescue, budget).await;
    }
    if all_completed && !rescue {
        self_ping(app).await;
    }
}

/// One database's sweep; records what it did, returns whether it completed.
async fn run_one<S: Store, P: Platform>(
    app: &App<'_, S, P>,
    store: &S,
    n: usize,
    now: Timestamp,
    rescue: bool,
    budget: usize,
) -> bool {
    let before = store.usage();
    let mut outcome = sweep(app, store, now, budget).await;
    let after = store.usage();
    outcome.usage.rows_read = after.rows_read - before.rows_read;
    outcome.usage.rows_written = after.rows_written - before.rows_written;
    outcome.rescue = rescue;
    if let Some(error) = &outcome.error {
        app.platform.log(Level::Error, &format!("sweep of database {n} at {now} failed: {error}"));
    }
    if let Err(err) = store.record_sweep(now, app.platform.now(), &outcome).await {
        app.platform.log(Level::Error, &format!("sweep of database {n} at {now}: could not record it: {err}"));
        return false;
    }
    outcome.error.is_none()
}

/// One sweep of one database; an error stops it and is returned in the outcome.
async fn sweep<S: Store, P: Platform>(app: &App<'_, S, P>, store: &S, now: Timestamp, budget: usize) -> SweepOutcome {
    let mut outcome = SweepOutcome::default();
    if let Err(err) = find_down_checks(app, store, now, &mut outcome).await {
        outcome.error = Some(format!("finding due checks: {err}"));
        return outcome;
    }
    match deliver_due(app, store, now, budget).await {
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

/// The windows of the projects this sweep touches, read once per project.
struct WindowsByProject(HashMap<String, Vec<Window>>);

impl WindowsByProject {
    async fn of<S: Store>(&mut self, store: &S, project: &str) -> Result<&[Window], StoreError> {
        if !self.0.contains_key(project) {
            let windows = store.windows(project).await?;
            self.0.insert(project.to_owned(), windows);
        }
        Ok(self.0.get(project).map(Vec::as_slice).unwrap_or_default())
    }
}

async fn find_down_checks<S: Store, P: Platform>(
    app: &App<'_, S, P>,
    store: &S,
    now: Timestamp,
    outcome: &mut SweepOutcome,
) -> Result<(), Failure> {
    let defaults = app.default_channels();
    let mut windows = WindowsByProject(HashMap::new());
    for _ in 0..MAX_CHUNKS {
        let before = store.usage().rows_read;
        let due = store.due_checks(now, CHUNK).await?;
        outcome.rows_read += store.usage().rows_read - before;
        outcome.due_checks += due.len() as i64;
        let mut plans = Vec::with_capacity(due.len());
        for due_check in &due {
            let plan = match due_check {
                DueCheck::Readable { check, deadlines } => {
                    let mut audience = Audience { routes: &check.routes, defaults: &defaults, held_until: None };
                    let plan = sweep_plan(check, *deadlines, now, &audience, &random_token(24)?);
                    if plan.notifies() {
                        // Windows matter only to what would be announced; a
                        // project's windows that cannot be read hold nothing
                        // back, so due checks still go down and notify.
                        match windows.of(store, &check.project_id).await {
                            Ok(open) => audience.held_until = muted_until(open, check, now),
                            Err(err) => app.platform.log(Level::Warn, &format!("sweep: windows: {err}")),
                        }
                        sweep_plan(check, *deadlines, now, &audience, &random_token(24)?)
                    } else {
                        plan
                    }
                }
                // A row that cannot be read is looked at again later rather
                // than blocking the sweep for every check and project.
                DueCheck::Unreadable { id, deadlines, problem } => {
                    app.platform.log(Level::Warn, &format!("sweep: check row {id} is unreadable: {problem}"));
                    outcome.unreadable += 1;
                    reschedule_plan(*id, *deadlines, now, now.plus_secs(UNREADABLE_RETRY_SECS))
                }
            };
            plans.push(plan);
        }
        let applied = store.apply_many(&plans).await?;
        outcome.flips +=
            plans.iter().zip(&applied).filter(|(plan, applied)| applied.applied && plan.flip.is_some()).count() as i64;
        if (due.len() as i64) < CHUNK {
            break;
        }
    }
    Ok(())
}

/// Tells an outside monitor that this sweep completed.
async fn self_ping<S: Store, P: Platform>(app: &App<'_, S, P>) {
    let Some(url) = &app.settings.self_ping_url else { return };
    let request = Outgoing { method: "GET".into(), url: url.clone(), headers: Vec::new(), body: Vec::new() };
    match app.platform.send(&request).await.result {
        AttemptResult::Status(status) if (200..300).contains(&status) => {}
        other => app.platform.log(Level::Warn, &format!("self-ping to SELF_PING_URL failed: {:?}", other.error())),
    }
}
