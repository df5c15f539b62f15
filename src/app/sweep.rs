//! The minute sweep, run by the cron trigger with the event's scheduledTime
//! as "now", in every database: finds the checks that are due (only those,
//! by the sweep deadline's index), writes what the domain decides for each
//! (`decide::sweep_plan`), and delivers the outbox.
//!
//! Maintenance windows are read only for the projects whose due checks
//! have something to announce, in one read per chunk of due checks, and
//! each project's only once per sweep; each window's opening is found once
//! (`OpenWindows`): their cost grows with the windows, never with windows
//! x checks. A window row that cannot be read holds nothing; if windows
//! cannot be read at all, due checks still flip and alert, unheld.

use super::deliver::deliver_due;
use super::{App, Failure, Level, Platform};
use crate::domain::channels::Outgoing;
use crate::domain::decide::{reschedule_plan, sweep_plan, Audience};
use crate::domain::ids::random_token;
use crate::domain::maintenance::OpenWindows;
use crate::domain::outbox::AttemptResult;
use crate::domain::ping::RUN_REPORT_KEEP_SECS;
use crate::domain::time::Timestamp;
use crate::store::{DueCheck, Store, SweepOutcome};
use std::collections::BTreeMap;

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
    let shares = app.shards.len().max(1);
    let total = app.settings.delivery_budget();
    // Each database's share of the invocation's outgoing requests; what
    // does not divide evenly goes to each database in turn, minute by
    // minute, so that a budget smaller than the number of databases still
    // reaches every one of them.
    let minute = now.millis().div_euclid(60_000).rem_euclid(shares as i64) as usize;
    let mut swept = Vec::with_capacity(shares);
    for (n, store) in app.shards.all() {
        let budget = total / shares + usize::from((n + minute) % shares < total % shares);
        let before = store.usage();
        let outcome = sweep(app, store, now, budget).await;
        swept.push(Swept { n, store, before, outcome, budget });
    }
    spend_what_is_left(app, &mut swept, now, total, minute).await;
    let mut all_completed = true;
    for one in swept {
        all_completed &= record(app, one, now, rescue).await;
    }
    if all_completed && !rescue {
        self_ping(app).await;
    }
}

/// One database's sweep, before it is recorded.
struct Swept<'a, S> {
    n: usize,
    store: &'a S,
    /// The store's usage before the sweep.
    before: crate::store::Usage,
    outcome: SweepOutcome,
    /// Its share of the invocation's outgoing requests.
    budget: usize,
}

/// What the databases left of their shares goes, in turn, to those that
/// used all of theirs (they may have more waiting): an idle database's
/// share is not wasted while another's alerts wait, and each still had its
/// own share first.
async fn spend_what_is_left<S: Store, P: Platform>(
    app: &App<'_, S, P>,
    swept: &mut [Swept<'_, S>],
    now: Timestamp,
    total: usize,
    first: usize,
) {
    let sent: usize = swept.iter().map(|s| s.outcome.sent as usize).sum();
    let mut left = total.saturating_sub(sent);
    let count = swept.len();
    for i in 0..count {
        if left == 0 {
            break;
        }
        let one = &mut swept[(first + i) % count];
        if one.outcome.error.is_some() || (one.outcome.sent as usize) < one.budget {
            continue;
        }
        match deliver_due(app, one.store, now, left).await {
            Ok(more) => {
                one.outcome.sent += more as i64;
                left = left.saturating_sub(more);
            }
            Err(err) => one.outcome.error = Some(format!("delivering notifications: {err}")),
        }
    }
}

/// Records what one database's sweep did; returns whether it completed.
async fn record<S: Store, P: Platform>(app: &App<'_, S, P>, swept: Swept<'_, S>, now: Timestamp, rescue: bool) -> bool {
    let Swept { n, store, before, mut outcome, .. } = swept;
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
        if let Err(err) = store.prune_run_reports(now.plus_secs(-RUN_REPORT_KEEP_SECS)).await {
            outcome.error = Some(format!("pruning run reports: {err}"));
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
    /// Reads the windows of the projects not read yet, in one read. If that
    /// fails, those projects' events are not held this sweep: an alert
    /// during maintenance is better than a missed one.
    async fn read<S: Store, P: Platform>(&mut self, app: &App<'_, S, P>, store: &S, projects: Vec<String>) {
        let mut missing: Vec<String> = projects.into_iter().filter(|p| !self.by_project.contains_key(p)).collect();
        crate::domain::sorting::sort(&mut missing);
        missing.dedup();
        if missing.is_empty() {
            return;
        }
        let rows = match store.windows_of_projects(&missing).await {
            Ok((rows, problems)) => {
                for problem in problems {
                    app.platform.log(Level::Warn, &format!("sweep: skipping {problem}"));
                }
                rows
            }
            Err(err) => {
                let message = format!("sweep: could not read maintenance windows ({err}); their events are not held");
                app.platform.log(Level::Error, &message);
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

async fn find_down_checks<S: Store, P: Platform>(
    app: &App<'_, S, P>,
    store: &S,
    now: Timestamp,
    outcome: &mut SweepOutcome,
) -> Result<(), Failure> {
    let defaults = app.default_channels();
    // What the sweep records is never dated after the clock (its `now` can
    // be set ahead of it through the local scheduled endpoint).
    let clock = app.platform.now().min(now);
    let mut windows = SweepWindows { now, by_project: BTreeMap::new() };
    for _ in 0..MAX_CHUNKS {
        let before = store.usage().rows_read;
        let due = store.due_checks(now, CHUNK).await?;
        outcome.rows_read += store.usage().rows_read - before;
        outcome.due_checks += due.len() as i64;
        // What each due check would announce with no window weighed: the
        // windows of the projects with something to announce are read, in
        // one read for the chunk.
        let mut plans = Vec::with_capacity(due.len());
        let mut notifying = Vec::new();
        for due_check in &due {
            let plan = match due_check {
                DueCheck::Readable { check, deadlines } => {
                    let audience = Audience { routes: &check.routes, defaults: &defaults, windows: None };
                    let plan = sweep_plan(check, *deadlines, now, clock, &audience, &random_token(24)?);
                    if plan.notifies() {
                        notifying.push(check.project_id.clone());
                    }
                    plan
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
        windows.read(app, store, notifying).await;
        for (plan, due_check) in plans.iter_mut().zip(&due) {
            let DueCheck::Readable { check, deadlines } = due_check else { continue };
            let Some(open) = windows.of(&check.project_id).filter(|_| plan.notifies()) else { continue };
            let audience = Audience { routes: &check.routes, defaults: &defaults, windows: Some(open) };
            *plan = sweep_plan(check, *deadlines, now, clock, &audience, &random_token(24)?);
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
