//! Storage behind traits, one per aggregate, so that the application
//! (`crate::app`) runs the same on D1 (`crate::adapter::d1`, the Worker) as
//! on the in-memory twin (`memory`, native tests).
//!
//! The rule every implementation keeps: storage decides nothing. A write is
//! a plan the domain made (`crate::domain::plan`); storage carries it out
//! atomically, only if the conditions the plan names still hold, and says
//! whether they did. What must be atomic (conditions, uniqueness, the ping
//! counter, the limits a plan names) is storage's; every rule is the
//! domain's.
//!
//! The traits use `async fn` without `Send`: the Workers runtime is
//! single-threaded, and so is every test executor of the twin.
#![allow(async_fn_in_trait)]

#[cfg(not(target_arch = "wasm32"))]
pub mod memory;
mod types;

pub use types::*;

use crate::domain::channel::Channel;
use crate::domain::check::Check;
use crate::domain::health::SweepRecord;
use crate::domain::history::{FlipRecord, PingRecord};
use crate::domain::ids::Uuid;
use crate::domain::maintenance::Window;
use crate::domain::plan::{Applied, ChannelApplied, ChannelPlan, CheckPlan, Deadlines};
use crate::domain::time::Timestamp;

/// The most run reports one `prune_run_reports` drops.
pub const RUN_REPORT_PRUNE_BATCH: i64 = 5_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("the database binding is not configured: {0}")]
    Binding(String),
    #[error("the database query failed: {0}")]
    Query(String),
    #[error("stored row is unreadable: {0}")]
    Corrupt(String),
}

/// Checks: reading them, and carrying out the plans made about them.
pub trait CheckStore {
    async fn check_by_uuid(&self, uuid: &Uuid) -> Result<Option<Check>, StoreError>;

    async fn check_by_id(&self, id: i64) -> Result<Option<Check>, StoreError>;

    /// A project's check by the unique key read-only keys see.
    async fn check_by_unique_key(&self, project_id: &str, key: &str) -> Result<Option<Check>, StoreError>;

    /// The checks with this slug in the project with this ping key hash,
    /// oldest first, at most two (two mean the slug is ambiguous).
    async fn checks_by_slug(&self, ping_key_hash: &str, slug: &str) -> Result<Vec<Check>, StoreError>;

    async fn check_by_badge_key(&self, badge_key: &str) -> Result<Option<Check>, StoreError>;

    /// The project's checks, oldest first; rows that cannot be read are
    /// left out and returned as problems, never failing the whole list.
    async fn list_checks(&self, project_id: &str) -> Result<(Vec<Check>, Vec<StoreError>), StoreError>;

    /// As `list_checks`, without the descriptions (which can be large, and
    /// badges and metrics never show).
    async fn list_check_states(&self, project_id: &str) -> Result<(Vec<Check>, Vec<StoreError>), StoreError>;

    /// The distinct tag texts of the project's checks.
    async fn tag_texts(&self, project_id: &str) -> Result<Vec<String>, StoreError>;

    /// Carries out a plan if its conditions hold, atomically: either every
    /// part is written or nothing is. The contract both implementations keep:
    ///
    /// Conditions (all must hold):
    /// - `routing: Some(g)`: project `g.project_id`'s routing version is `g.version`;
    /// - `Target::Existing(id)`: the row exists, and per `expect`:
    ///   `Row(e)`: `e.holds_for(row)` (its uuid too: row ids are given
    ///   again); `RowAndDeadlines(e, d)`: that, and the
    ///   row's `alert_after` and `next_event_at` equal `d`'s; `Deadlines(d)`:
    ///   only the deadlines; `Nothing`: no condition;
    /// - `run_report: Some(r)` on `Target::Existing(id)`: the check has no
    ///   run report of `r.rid` and `r.edge` (when it has one, nothing is
    ///   written and `Applied::already_reported` is set, whatever the other
    ///   conditions);
    /// - `Target::New(n)`: the owner exists (`Owner::Project` by id,
    ///   `Owner::PingKey` by ping key hash), it has fewer than `n.max_checks`
    ///   checks, with `n.slug_must_be_free` none of its checks has the
    ///   slug `n.config.slug`, and with `n.unique` not empty none of its
    ///   checks holds every value of `n.unique` (`UniqueValue::matches`: the
    ///   name, slug or tags text equal, a simple schedule with that period,
    ///   that grace).
    ///
    /// Writes, in this order:
    /// 1. `Target::New(n)`: the check row, with `n`'s configuration, routes,
    ///    keys and `created_at`, status `new`, no pings, configuration
    ///    version 0;
    /// 2. `run_report`: the report (the check, `rid`, `edge`, `token`,
    ///    `created_at = plan.at`);
    /// 3. `ping`: ping number `n = n_pings + 1` takes slot `n % history` of
    ///    the check's ring (replacing what was there), and `n_pings` becomes `n`;
    /// 4. `flip`: a flip row (`id`, the check, `created_at = flip.at`, the
    ///    two statuses, the reason's code, `previous_change_at` = the row's
    ///    `status_changed_at` before this plan, `ping_n` = the check's
    ///    `n_pings` after step 3), and one pending notification per
    ///    recipient (`created_at = next_attempt_at = plan.at`, the check's
    ///    project recorded on it);
    /// 5. each of `events`: an event row (a flip row with `event` = the
    ///    kind, both statuses = the status the plan leaves the check in,
    ///    `created_at = event.at`, `previous_change_at` and `ping_n` as for
    ///    flips), and a notification per recipient as above, except that a
    ///    `coalesce` event queues nothing for a channel that already has a
    ///    pending notification of the same event kind for this check;
    /// 6. `state`: every field of the state, `alert_after`, the sweep's
    ///    deadline (the earlier of `alert_after` and `next_event_at`), and
    ///    `status_changed_at = changed_at` when that is set;
    /// 7. `config`: the configuration, the routes when given, and the
    ///    configuration version plus one;
    /// 8. `reschedule: Some(t)`: each of the two deadlines that is set
    ///    becomes `t`;
    /// 9. `routing`: the project's routing version plus one.
    ///
    /// Returns whether it applied, and the check's row id (and whether the
    /// run report was there already).
    ///
    /// Further readings both implementations keep: a plan whose conditions
    /// hold but that the database refuses (a uuid, badge key, flip or event
    /// id already in use, a channel twice among one event's recipients, a
    /// ping with `history < 1`) fails with `StoreError::Query` and writes
    /// nothing; `expect` is ignored for a new check; an event's
    /// `previous_change_at` is the row's `status_changed_at` before the plan
    /// even when the plan also flips; "pending" for coalescing means
    /// `state = 'pending'`, a notification being sent right now included
    /// (the news it carries is the same), and notifications queued earlier in
    /// the same plan count; a row that cannot be read still has its columns
    /// compared by conditions and written by plans.
    async fn apply(&self, plan: &CheckPlan) -> Result<Applied, StoreError>;

    /// Carries out several plans, each exactly as `apply` would (each on its
    /// own conditions), in as few round trips as the database allows: the
    /// sweep writes up to 500 checks' plans at once.
    async fn apply_many(&self, plans: &[CheckPlan]) -> Result<Vec<Applied>, StoreError> {
        let mut applied = Vec::with_capacity(plans.len());
        for plan in plans {
            applied.push(self.apply(plan).await?);
        }
        Ok(applied)
    }

    async fn delete_check(&self, check: &Check) -> Result<(), StoreError>;

    /// Checks whose earlier deadline is at or before `now`, that deadline's
    /// order, at most `limit`. A row that cannot be read comes back as such.
    async fn due_checks(&self, now: Timestamp, limit: i64) -> Result<Vec<DueCheck>, StoreError>;
}

/// A check the sweep found due, or a row it could not read.
#[derive(Clone, Debug)]
pub enum DueCheck {
    Readable { check: Box<Check>, deadlines: Deadlines },
    Unreadable { id: i64, deadlines: Deadlines, problem: String },
}

/// The ping history (its ring of slots) and status changes.
pub trait HistoryStore {
    /// The newest `limit` pings of a check numbered above `after`, newest
    /// first, without bodies.
    async fn list_pings(&self, check_id: i64, after: i64, limit: i64) -> Result<Vec<PingRecord>, StoreError>;

    /// The stored body of ping `n`, if that ping is still kept and had one.
    async fn ping_body(&self, check_id: i64, n: i64, history: i64) -> Result<Option<Vec<u8>>, StoreError>;

    /// Status changes (not events) with `from <= created_at < until`
    /// (Unix ms), newest first, at most 1,000.
    async fn list_flips(&self, check_id: i64, from: i64, until: i64) -> Result<Vec<FlipRecord>, StoreError>;

    /// Whether a ping could be stored now: a write on the ping path that
    /// changes nothing, for `/health`.
    async fn probe_ping_write(&self) -> Result<(), StoreError>;

    /// Drops delivered and failed notifications and flips older than
    /// `before`, a bounded number at a time.
    async fn prune_history(&self, before: Timestamp) -> Result<(), StoreError>;

    /// Drops the run reports (`CheckPlan::run_report`) recorded before
    /// `before`, the oldest first, at most `RUN_REPORT_PRUNE_BATCH` a call.
    async fn prune_run_reports(&self, before: Timestamp) -> Result<(), StoreError>;
}

/// The alert outbox.
pub trait OutboxStore {
    /// Due notifications that no live claim holds, for the domain to choose
    /// from fairly: each project's oldest `per_project` (by next attempt,
    /// then id; nothing for `per_project <= 0`), in that order across
    /// projects. What this reads never grows with the backlog beyond that.
    async fn due_notifications(&self, now: Timestamp, per_project: i64) -> Result<Vec<Queued>, StoreError>;

    /// Claims these notifications for `claim` until `until`, each only if
    /// it is still due and unclaimed at `now`; returns how many it claimed.
    async fn claim(&self, ids: &[i64], claim: &str, now: Timestamp, until: Timestamp) -> Result<usize, StoreError>;

    /// Everything needed to send the notifications `claim` holds. A row
    /// whose check cannot be read comes back as its id and the problem.
    async fn claimed(&self, claim: &str, history: i64) -> Result<Vec<Result<DeliveryRow, (i64, String)>>, StoreError>;

    /// Records attempts and their outcomes; only the holder of the claim may
    /// (a sender whose claim expired and was taken over records nothing).
    async fn record_deliveries(&self, claim: &str, deliveries: &[DeliveryWrite]) -> Result<(), StoreError>;

    /// The project's notifications, newest first, with their attempts.
    async fn list_notifications(
        &self,
        project_id: &str,
        check_id: Option<i64>,
        state: Option<&str>,
        limit: i64,
    ) -> Result<Vec<NotificationRow>, StoreError>;

    /// Counts of the project's pending and failed notifications.
    async fn notification_counts(&self, project_id: &str) -> Result<(i64, i64), StoreError>;
}

/// A project's channels.
pub trait ChannelStore {
    async fn channels(&self, project_id: &str) -> Result<Vec<Channel>, StoreError>;

    /// The version of the project's routing (its channels and links):
    /// every change of them bumps it.
    async fn routing_version(&self, project_id: &str) -> Result<i64, StoreError>;

    /// Carries out a channel plan atomically, if the project's routing
    /// version is `plan.routing.version` (else `Stale`, nothing written):
    /// `Save` replaces the project's channel with that id (name, kind,
    /// configuration, events) or creates it while the project has fewer
    /// than `max_channels` (else `AtLimit`, nothing written); `Delete`
    /// removes it (a channel already gone: nothing to remove). Then each
    /// reroute sets that check's routes (only a check of this project, and
    /// only while the row holds the check with the reroute's uuid) and bumps
    /// its configuration version, and the project's routing version goes up
    /// by one. The routing version of a project that does not exist is 0,
    /// and a plan for one (or whose guard names another project) is `Stale`;
    /// saving a channel id another project owns is `AtLimit`.
    async fn apply_channel(&self, project_id: &str, plan: &ChannelPlan) -> Result<ChannelApplied, StoreError>;
}

/// A project's windows as read: those that can be read, and the problem of
/// each row that cannot.
pub type Windows = (Vec<Window>, Vec<StoreError>);

/// Several projects' windows as read, each with its project.
pub type ProjectWindows = (Vec<(String, Window)>, Vec<StoreError>);

/// Maintenance windows.
pub trait WindowStore {
    /// The project's windows, oldest first (by creation, then id). A row
    /// that cannot be read back (a column that does not parse) is left out
    /// and returned as a `StoreError::Corrupt` problem naming the window,
    /// never failing the whole read: it then holds nothing and is not
    /// shown, and the rest still act.
    async fn windows(&self, project_id: &str) -> Result<Windows, StoreError>;

    /// The windows of every project in `project_ids`, in one read however
    /// many there are (the sweep reads its chunk's projects at once), each
    /// with its project: by project id, then as `windows` orders them.
    /// Unreadable rows are problems, as in `windows`; projects that have
    /// none, or do not exist, contribute nothing.
    async fn windows_of_projects(&self, project_ids: &[String]) -> Result<ProjectWindows, StoreError>;

    /// Inserts a window while the project has fewer than `max`, or replaces
    /// one of its own. Returns whether it was saved.
    async fn save_window(
        &self,
        project_id: &str,
        window: &Window,
        max: i64,
        now: Timestamp,
    ) -> Result<bool, StoreError>;

    async fn delete_window(&self, project_id: &str, id: &str) -> Result<(), StoreError>;
}

/// Projects and their keys (stored only as hashes).
pub trait ProjectStore {
    async fn create_project(&self, project: &NewProject, now: Timestamp) -> Result<(), StoreError>;

    async fn list_projects(&self) -> Result<Vec<ProjectRow>, StoreError>;

    /// How many projects this database holds (for placing new ones).
    async fn count_projects(&self) -> Result<i64, StoreError>;

    /// The project with this ping key (by its hash).
    async fn project_of_ping_key(&self, ping_key_hash: &str) -> Result<Option<String>, StoreError>;

    /// The project and whether the key is read-only, by the key's hash.
    async fn api_key(&self, key_hash: &str) -> Result<Option<(String, bool)>, StoreError>;

    async fn project_badges(&self, project_id: &str) -> Result<Option<BadgeProject>, StoreError>;

    async fn project_by_badge_key(&self, badge_key: &str) -> Result<Option<BadgeProject>, StoreError>;
}

/// What the minute sweeps did, and the rescue claim.
pub trait SweepStore {
    async fn record_sweep(
        &self,
        scheduled_at: Timestamp,
        finished_at: Timestamp,
        outcome: &SweepOutcome,
    ) -> Result<(), StoreError>;

    async fn sweep_record(&self) -> Result<SweepRecord, StoreError>;

    /// Claims the one rescue sweep at `at` until `until`; false when another
    /// holds the claim.
    async fn claim_rescue(&self, at: Timestamp, until: Timestamp) -> Result<bool, StoreError>;

    /// Gives the claim up, if it is still the one taken at `at`.
    async fn release_rescue(&self, at: Timestamp) -> Result<(), StoreError>;

    async fn last_rescue(&self) -> Result<Option<Timestamp>, StoreError>;
}

/// One database: everything the application stores.
pub trait Store:
    CheckStore + HistoryStore + OutboxStore + ChannelStore + WindowStore + ProjectStore + SweepStore
{
    /// Rows the database read and wrote for this store's statements so far
    /// (D1's own counts; the in-memory twin counts nothing).
    fn usage(&self) -> Usage;
}
