//! The in-memory twin of one D1 database: every storage trait, with the
//! contract's semantics exactly (see `crate::store`), so that the
//! application's logic runs natively in tests, in milliseconds.
//!
//! Besides the traits it offers what tests need and D1 cannot give:
//! - injected failures: `fail_next`, `fail_next_op`, `fail_when` (the
//!   operation fails before doing anything, as a D1 error rolls a batch
//!   back) and `lose_reply_when` (it takes effect, then reports a failure,
//!   as a reply lost on the way back does);
//! - forced interleavings: `before_apply` / `before_next_apply` run a
//!   callback just before an `apply` evaluates its conditions, and
//!   `before_next` before any named operation; the callback gets the store
//!   and may write through it (the trait methods, with `block_on`, or
//!   `edit_check`), as another request would in between;
//! - rows that cannot be read: `corrupt_check`, `corrupt_channel`,
//!   `corrupt_window`;
//! - inspection: `notifications`, `flips`, `ping_ring`, `stored_check`,
//!   `project`, `channel_rows`, `run_reports`, and `operations`, the log of every
//!   operation called (round trips, in D1 terms).
//!
//! Operations are named after their trait methods (`"apply"`,
//! `"check_by_uuid"`, `"claim"`, ...). Single-threaded like the Worker:
//! state lives in `RefCell`s, never borrowed across a callback.

mod channels;
mod checks;
mod history;
mod members;
mod outbox;
mod plans;
mod projects;
mod status_pages;
mod sweeps;
mod tables;
#[cfg(test)]
mod tests;

pub use tables::{
    RunReportKey, StoredChannel, StoredCheck, StoredFlip, StoredMember, StoredNotification, StoredPing, StoredProject,
    StoredRunReport,
};
pub use tables::{DELIVERED, FAILED, PENDING};

use super::{Store, StoreError, Usage};
use crate::domain::check::Check;
use crate::domain::plan::CheckPlan;
use std::cell::RefCell;
use std::future::Future;
use std::task::{Context, Poll, Waker};
use tables::Tables;

type Matcher = Box<dyn Fn(&str) -> bool>;
type ApplyHook = Box<dyn FnMut(&MemoryStore, &CheckPlan)>;
type NextApplyHook = Box<dyn FnOnce(&MemoryStore, &CheckPlan)>;
type OpHook = Box<dyn FnOnce(&MemoryStore)>;

/// When an injected failure strikes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Strike {
    /// Before the operation: nothing is read or written.
    Before,
    /// After it took effect: its reply is lost.
    After,
}

struct Fault {
    matches: Matcher,
    /// How many more operations it fails; `None`: until cleared.
    times: Option<usize>,
    strike: Strike,
}

#[derive(Default)]
struct Hooks {
    each_apply: Option<ApplyHook>,
    next_apply: Option<NextApplyHook>,
    next_op: Vec<(String, OpHook)>,
    /// Bumped by `clear_hooks`, so a hook that cleared the hooks while it
    /// ran is not put back afterwards.
    generation: u64,
}

/// One database, in memory. `Default` is an empty database.
#[derive(Default)]
pub struct MemoryStore {
    tables: RefCell<Tables>,
    faults: RefCell<Vec<Fault>>,
    hooks: RefCell<Hooks>,
    operations: RefCell<Vec<&'static str>>,
}

/// Runs a future to completion on this thread. Every future of the twin
/// is ready at once (nothing in it waits), so this never sleeps; it also
/// runs the application's futures in tests, as long as the platform they
/// use never waits either.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::yield_now();
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        MemoryStore::default()
    }

    // Injected failures.

    /// The next `n` operations (of any kind) fail before doing anything,
    /// with `StoreError::Query`.
    pub fn fail_next(&self, n: usize) {
        self.add_fault(Box::new(|_| true), Some(n), Strike::Before);
    }

    /// The next `n` calls of operation `op` fail before doing anything.
    pub fn fail_next_op(&self, op: &str, n: usize) {
        let op = op.to_owned();
        self.add_fault(Box::new(move |name| name == op), Some(n), Strike::Before);
    }

    /// Every operation whose name matches fails before doing anything,
    /// until `clear_faults`.
    pub fn fail_when(&self, matches: impl Fn(&str) -> bool + 'static) {
        self.add_fault(Box::new(matches), None, Strike::Before);
    }

    /// Every operation whose name matches takes effect, then reports
    /// `StoreError::Query` (the reply was lost), until `clear_faults`.
    pub fn lose_reply_when(&self, matches: impl Fn(&str) -> bool + 'static) {
        self.add_fault(Box::new(matches), None, Strike::After);
    }

    pub fn clear_faults(&self) {
        self.faults.borrow_mut().clear();
    }

    fn add_fault(&self, matches: Matcher, times: Option<usize>, strike: Strike) {
        if times != Some(0) {
            self.faults.borrow_mut().push(Fault { matches, times, strike });
        }
    }

    /// Whether a fault strikes `op` at this point, counting it down.
    fn strikes(&self, op: &str, strike: Strike) -> bool {
        let mut faults = self.faults.borrow_mut();
        let Some(index) = faults.iter().position(|f| f.strike == strike && (f.matches)(op)) else {
            return false;
        };
        if let Some(times) = &mut faults[index].times {
            *times -= 1;
            if *times == 0 {
                faults.remove(index);
            }
        }
        true
    }

    // Forced interleavings.

    /// Runs `hook` just before every `apply` evaluates its conditions (not
    /// for the applies the hook itself makes), until `clear_hooks`.
    pub fn before_apply(&self, hook: impl FnMut(&MemoryStore, &CheckPlan) + 'static) {
        self.hooks.borrow_mut().each_apply = Some(Box::new(hook));
    }

    /// Runs `hook` once, just before the next `apply` evaluates its
    /// conditions.
    pub fn before_next_apply(&self, hook: impl FnOnce(&MemoryStore, &CheckPlan) + 'static) {
        self.hooks.borrow_mut().next_apply = Some(Box::new(hook));
    }

    /// Runs `hook` once, just before the next call of operation `op` does
    /// anything (after its injected failure, if any, struck).
    pub fn before_next(&self, op: &str, hook: impl FnOnce(&MemoryStore) + 'static) {
        self.hooks.borrow_mut().next_op.push((op.to_owned(), Box::new(hook)));
    }

    pub fn clear_hooks(&self) {
        let mut hooks = self.hooks.borrow_mut();
        let generation = hooks.generation + 1;
        *hooks = Hooks { generation, ..Hooks::default() };
    }

    fn run_op_hooks(&self, op: &str) {
        let due: Vec<OpHook> = {
            let mut hooks = self.hooks.borrow_mut();
            let (due, rest) = std::mem::take(&mut hooks.next_op).into_iter().partition(|(name, _)| name == op);
            hooks.next_op = rest;
            due.into_iter().map(|(_, hook)| hook).collect()
        };
        for hook in due {
            hook(self);
        }
    }

    fn run_apply_hooks(&self, plan: &CheckPlan) {
        let once = self.hooks.borrow_mut().next_apply.take();
        if let Some(hook) = once {
            hook(self, plan);
        }
        let (each, generation) = {
            let mut hooks = self.hooks.borrow_mut();
            (hooks.each_apply.take(), hooks.generation)
        };
        if let Some(mut hook) = each {
            hook(self, plan);
            let mut hooks = self.hooks.borrow_mut();
            if hooks.generation == generation && hooks.each_apply.is_none() {
                hooks.each_apply = Some(hook);
            }
        }
    }

    // Rows that cannot be read.

    /// Makes check `id`'s row unreadable, as a D1 row with a column that
    /// does not parse: reads of it fail with `StoreError::Corrupt`, lists
    /// leave it out with a problem, `due_checks` returns it as
    /// `DueCheck::Unreadable`, `claimed` its notifications as problems.
    /// Conditions and writes still see its columns (D1 compares columns,
    /// which a bad value elsewhere does not change). `false` if no such row.
    pub fn corrupt_check(&self, id: i64, problem: &str) -> bool {
        self.edit_row(id, |row| row.unreadable = Some(problem.to_owned()))
    }

    pub fn repair_check(&self, id: i64) -> bool {
        self.edit_row(id, |row| row.unreadable = None)
    }

    /// Replaces channel `id`'s stored configuration with `text` (reading
    /// the project's channels then fails with `StoreError::Corrupt`, and
    /// deliveries get `text` as the channel's configuration).
    pub fn corrupt_channel(&self, id: &str, text: &str) -> bool {
        let mut tables = self.tables.borrow_mut();
        match tables.channels.iter_mut().find(|c| c.id == id) {
            Some(channel) => {
                channel.config = text.to_owned();
                true
            }
            None => false,
        }
    }

    /// Makes maintenance window `id`'s row unreadable, as a D1 row with a
    /// column that does not parse: reads of windows leave it out and
    /// return `problem` for it. Saving the window again repairs it. `false`
    /// if no such row.
    pub fn corrupt_window(&self, id: &str, problem: &str) -> bool {
        let mut tables = self.tables.borrow_mut();
        match tables.windows.iter_mut().find(|w| w.window.id == id) {
            Some(row) => {
                row.unreadable = Some(problem.to_owned());
                true
            }
            None => false,
        }
    }

    // Direct access, for arranging a test and for interleaving hooks.

    /// Changes check `id` in place, bypassing every condition (another
    /// writer's doing). `false` if no such row.
    pub fn edit_check(&self, id: i64, edit: impl FnOnce(&mut Check)) -> bool {
        self.edit_row(id, |row| edit(&mut row.check))
    }

    /// Changes check `id`'s whole row in place (deadlines, when its status
    /// changed, ...). `false` if no such row.
    pub fn edit_row(&self, id: i64, edit: impl FnOnce(&mut StoredCheck)) -> bool {
        let mut tables = self.tables.borrow_mut();
        match tables.checks.get_mut(&id) {
            Some(row) => {
                edit(row);
                true
            }
            None => false,
        }
    }

    // Inspection.

    /// Check `id`'s row as stored, readable or not.
    pub fn stored_check(&self, id: i64) -> Option<StoredCheck> {
        self.tables.borrow().checks.get(&id).cloned()
    }

    /// Every notification, by id, with its attempts.
    pub fn notifications(&self) -> Vec<StoredNotification> {
        self.tables.borrow().notifications.values().cloned().collect()
    }

    /// Every flip and event row, in the order they were written.
    pub fn flips(&self) -> Vec<StoredFlip> {
        self.tables.borrow().flips.clone()
    }

    /// The run reports, by check, run id and edge.
    pub fn run_reports(&self) -> Vec<(RunReportKey, StoredRunReport)> {
        self.tables.borrow().run_reports.iter().map(|(key, report)| (key.clone(), report.clone())).collect()
    }

    /// The occupied slots of check `id`'s ping ring, by slot.
    pub fn ping_ring(&self, check_id: i64) -> Vec<StoredPing> {
        self.tables.borrow().pings.range((check_id, i64::MIN)..=(check_id, i64::MAX)).map(|(_, p)| p.clone()).collect()
    }

    pub fn project(&self, id: &str) -> Option<StoredProject> {
        self.tables.borrow().project(id).cloned()
    }

    /// Every member row, in insertion order.
    pub fn member_rows(&self) -> Vec<StoredMember> {
        self.tables.borrow().members.clone()
    }

    /// The whole log, oldest first.
    pub fn audit_rows(&self) -> Vec<crate::domain::audit::AuditRecord> {
        self.tables.borrow().audit.clone()
    }

    /// Every channel row, in insertion order.
    pub fn channel_rows(&self) -> Vec<StoredChannel> {
        self.tables.borrow().channels.clone()
    }

    /// The names of the operations called so far, in order (including
    /// those made by hooks, and those that failed).
    pub fn operations(&self) -> Vec<&'static str> {
        self.operations.borrow().clone()
    }

    pub fn clear_operations(&self) {
        self.operations.borrow_mut().clear();
    }

    // How every operation runs.

    /// Logs `op`, lets a fault strike, runs the hooks waiting for it.
    fn enter(&self, op: &'static str) -> Result<(), StoreError> {
        self.operations.borrow_mut().push(op);
        if self.strikes(op, Strike::Before) {
            return Err(injected(op));
        }
        self.run_op_hooks(op);
        Ok(())
    }

    fn leave<T>(&self, op: &'static str, result: Result<T, StoreError>) -> Result<T, StoreError> {
        match result {
            Ok(_) if self.strikes(op, Strike::After) => Err(injected(op)),
            result => result,
        }
    }

    fn read<T>(&self, op: &'static str, read: impl FnOnce(&Tables) -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.enter(op)?;
        let result = read(&self.tables.borrow());
        self.leave(op, result)
    }

    /// A write: `write` must check everything that can fail before it
    /// changes anything, so that a failed write leaves no trace.
    fn write<T>(
        &self,
        op: &'static str,
        write: impl FnOnce(&mut Tables) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.enter(op)?;
        let result = write(&mut self.tables.borrow_mut());
        self.leave(op, result)
    }
}

fn injected(op: &str) -> StoreError {
    StoreError::Query(format!("injected failure of {op}"))
}

impl Store for MemoryStore {
    fn usage(&self) -> Usage {
        Usage::default()
    }
}
