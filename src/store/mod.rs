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

use crate::domain::access::members::{MemberApplied, MemberPlan};
use crate::domain::access::roles::Role;
use crate::domain::audit::{AuditRecord, AuditWrite};
use crate::domain::channel::Channel;
use crate::domain::check::Check;
use crate::domain::health::SweepRecord;
use crate::domain::history::{FlipRecord, PingRecord};
use crate::domain::ids::Uuid;
use crate::domain::maintenance::Window;
use crate::domain::plan::{Applied, ChannelApplied, ChannelPlan, CheckPlan, Deadlines, FailingMark};
use crate::domain::status_page::availability::Change;
use crate::domain::status_page::StatusPage;
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
    /// 9. `routing`: the project's routing version plus one;
    /// 10. `audit`: the log entry, as `AuditStore::record_audit` writes it.
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

    /// Deletes the check (its pings, flips and notifications with it) and,
    /// if it was still there, writes `audit` in the same atomic step.
    async fn delete_check(&self, check: &Check, audit: Option<&AuditWrite>) -> Result<(), StoreError>;

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

    /// Status changes (not events) of the checks with these row ids with
    /// `created_at >= from`, as `(check row id, change)`, newest first (by
    /// `created_at`, then the order they were written), at most `limit`.
    /// No ids: nothing.
    async fn status_changes(
        &self,
        check_ids: &[i64],
        from: Timestamp,
        limit: i64,
    ) -> Result<Vec<(i64, Change)>, StoreError>;

    /// Whether a ping could be stored now: a write on the ping path that
    /// changes nothing, for `/health`.
    async fn probe_ping_write(&self) -> Result<(), StoreError>;

    /// Drops delivered and failed notifications, flips and log entries
    /// (`AuditStore`) older than `before`, a bounded number at a time.
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
    /// configuration, events; a failing mark is cleared) or creates it while the project has fewer
    /// than `max_channels` (else `AtLimit`, nothing written); `Delete`
    /// removes it (a channel already gone: nothing to remove). Then each
    /// reroute sets that check's routes (only a check of this project, and
    /// only while the row holds the check with the reroute's uuid) and bumps
    /// its configuration version, and the project's routing version goes up
    /// by one. The routing version of a project that does not exist is 0,
    /// and a plan for one (or whose guard names another project) is `Stale`;
    /// saving a channel id another project owns is `AtLimit`.
    /// The plan's `audit` entry is written with it, only when it applies.
    async fn apply_channel(&self, project_id: &str, plan: &ChannelPlan) -> Result<ChannelApplied, StoreError>;

    /// Carries out a failing mark atomically, only if the channel is
    /// `mark.project_id`'s, its stored configuration is `mark.config` and it
    /// is not failing: its `failing` becomes `mark.reason` and its
    /// `failing_since` `mark.at`; and, with a notice, an event row (the
    /// notice's id and check, `created_at = mark.at`, both statuses the
    /// notice's, reason and event `channel_failing`, no previous change and
    /// no ping, the notice's detail) with one pending notification per
    /// recipient (`created_at = next_attempt_at = mark.at`, the check's
    /// project recorded, no coalescing key). Nothing is written otherwise.
    /// Returns whether it applied. A channel plan that saves the channel
    /// clears the mark (an edit is the fix).
    async fn mark_channel_failing(&self, mark: &FailingMark) -> Result<bool, StoreError>;

    /// Clears a channel's failing mark if it is `project_id`'s, its stored
    /// configuration is `config` and it is failing; returns whether it did.
    async fn clear_channel_failing(&self, project_id: &str, channel_id: &str, config: &str)
        -> Result<bool, StoreError>;
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
    /// Creates the project and its keys, with its first owner
    /// (`project.owner`) and its log entry (`project.audit`) when given,
    /// all or nothing (a key or id already in use fails it).
    async fn create_project(&self, project: &NewProject, now: Timestamp) -> Result<(), StoreError>;

    /// Deletes the project and everything of it (keys, checks with their
    /// history and notifications, channels, windows, members) and writes
    /// `audit`, in one atomic step. Its log stays until pruned, for the
    /// admin to read. `false` (and nothing written) when there is no such
    /// project.
    async fn delete_project(&self, project_id: &str, audit: &AuditWrite) -> Result<bool, StoreError>;

    /// Replaces the project's two API keys (by their hashes) and writes
    /// `audit`, atomically; the old keys stop working. `false` when there
    /// is no such project.
    async fn replace_api_keys(
        &self,
        project_id: &str,
        read_write_hash: &str,
        read_only_hash: &str,
        audit: &AuditWrite,
        now: Timestamp,
    ) -> Result<bool, StoreError>;

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

/// A project's members: each email (normalized) has one role.
pub trait MemberStore {
    /// The project's members, by email.
    async fn members(&self, project_id: &str) -> Result<Vec<Member>, StoreError>;

    /// The role of `email` in the project, if a member.
    async fn role_of(&self, project_id: &str, email: &str) -> Result<Option<Role>, StoreError>;

    /// The projects of this database that `email` is a member of, with
    /// their names and its role, by name then id.
    async fn projects_of(&self, email: &str) -> Result<Vec<Membership>, StoreError>;

    /// Carries out a member plan atomically, if its conditions hold: the
    /// project exists; `Save` of someone not yet a member only while the
    /// project has fewer than `max_members`; `Remove` only of a member;
    /// with `keep_an_owner`, when `email` is an owner now, only if another
    /// owner remains. Then `Save` sets the role (a new member's `created_at`
    /// is the entry's `at`), `Remove` deletes the member, and the plan's
    /// `audit` entry is written. What became of it says which condition
    /// failed (`MemberApplied`), nothing written then.
    async fn apply_member(&self, plan: &MemberPlan) -> Result<MemberApplied, StoreError>;
}

/// The log of who changed what.
pub trait AuditStore {
    /// Writes one entry, for a change that is not a plan (windows).
    async fn record_audit(&self, entry: &AuditWrite) -> Result<(), StoreError>;

    /// The project's entries (with `check`, only that check's), newest
    /// first (by id), those with an id below `before` when given, at most
    /// `limit`. A deleted project's entries are still there until pruned.
    async fn audit_entries(
        &self,
        project_id: &str,
        check: Option<&Uuid>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditRecord>, StoreError>;
}

/// Public status pages. The application keeps every page in the
/// deployment's first database, whatever database its project is on, so
/// that a slug is unique across the deployment and found with one read
/// (see migrations/0013_status_pages.sql); every implementation keeps the
/// same contract on any database all the same.
pub trait StatusPageStore {
    /// The page with this slug, whichever project's it is.
    async fn status_page(&self, slug: &str) -> Result<Option<StatusPage>, StoreError>;

    /// The project's pages, oldest first (then by slug). A row that cannot
    /// be read fails the list with `StoreError::Corrupt`.
    async fn status_pages(&self, project_id: &str) -> Result<Vec<StatusPage>, StoreError>;

    /// Creates `page` atomically, only if no page has its slug and its
    /// project has fewer than `max` pages; otherwise writes nothing and says
    /// why (`SlugTaken` wins when both hold).
    async fn create_status_page(&self, page: &StatusPage, max: i64) -> Result<PageCreated, StoreError>;

    /// Replaces the title, selection, options and `updated_at` of the page
    /// with `page.slug`, only if it is `page.project_id`'s (`created_at` is
    /// kept). Returns whether it did.
    async fn replace_status_page(&self, page: &StatusPage) -> Result<bool, StoreError>;

    /// Deletes the page with this slug, only if it is `project_id`'s.
    /// Returns whether it did.
    async fn delete_status_page(&self, project_id: &str, slug: &str) -> Result<bool, StoreError>;
}

/// What `create_status_page` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageCreated {
    Created,
    SlugTaken,
    AtLimit,
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
    CheckStore
    + HistoryStore
    + OutboxStore
    + ChannelStore
    + WindowStore
    + ProjectStore
    + SweepStore
    + MemberStore
    + AuditStore
    + StatusPageStore
{
    /// Rows the database read and wrote for this store's statements so far
    /// (D1's own counts; the in-memory twin counts nothing).
    fn usage(&self) -> Usage;
}
