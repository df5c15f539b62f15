//! The twin's tables: one collection per D1 table, each row holding what
//! the D1 row holds (the check row as its parsed `Check` plus the columns
//! `Check` does not carry). The row types are public so that tests can
//! inspect what was written.

use crate::domain::access::roles::Role;
use crate::domain::audit::{AuditRecord, AuditWrite};
use crate::domain::channel::EventSet;
use crate::domain::check::{Check, EventKind, PingKind, Status};
use crate::domain::maintenance::Window;
use crate::domain::plan::Deadlines;
use crate::domain::status_page::StatusPage;
use crate::domain::time::Timestamp;
use crate::store::{AttemptRecord, StoreError};
use std::collections::BTreeMap;

/// A notification waiting to be sent (`state`), as the API words it.
pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";

/// A `checks` row.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredCheck {
    pub check: Check,
    /// When it goes down unless something arrives.
    pub alert_after: Option<Timestamp>,
    /// When its status last changed (a flip).
    pub status_changed_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub unique_key: String,
    /// Set by `MemoryStore::corrupt_check`: why the row cannot be read.
    pub unreadable: Option<String>,
}

impl StoredCheck {
    pub fn deadlines(&self) -> Deadlines {
        Deadlines { alert_after: self.alert_after, next_event_at: self.check.state.next_event_at }
    }

    /// The check as a read returns it, or why it cannot be read.
    pub(super) fn read(&self) -> Result<Check, StoreError> {
        match &self.unreadable {
            Some(problem) => Err(StoreError::Corrupt(format!("check {}: {problem}", self.check.id))),
            None => Ok(Check {
                created_at: self.created_at,
                status_changed_at: self.status_changed_at,
                ..self.check.clone()
            }),
        }
    }
}

/// A slot of a check's ping ring (`pings`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPing {
    pub check_id: i64,
    pub slot: i64,
    pub n: i64,
    pub created_at: Timestamp,
    pub kind: PingKind,
    pub scheme: String,
    pub method: String,
    pub ua: String,
    pub remote_addr: Option<String>,
    pub exit_status: Option<i64>,
    pub rid: Option<String>,
    /// `None` for a ping without a body (an empty body is not stored).
    pub body: Option<Vec<u8>>,
}

/// A `flips` row: a status change, or an event (`event` set).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredFlip {
    /// SQLite's rowid: the order rows were written in.
    pub rowid: i64,
    pub id: String,
    pub check_id: i64,
    pub created_at: Timestamp,
    pub old_status: Status,
    pub new_status: Status,
    /// `FlipReason::code`, as stored.
    pub reason: String,
    pub previous_change_at: Option<Timestamp>,
    pub ping_n: Option<i64>,
    pub event: Option<EventKind>,
    /// A `channel_failing` notice's detail (its `event` column then reads
    /// `channel_failing`, which `event` cannot hold).
    pub notice: Option<String>,
}

/// A `run_reports` row: the run's start or end, recorded once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRunReport {
    pub token: String,
    pub created_at: Timestamp,
}

/// The key of a `run_reports` row: the check, the run id, the edge.
pub type RunReportKey = (i64, String, &'static str);

/// A `notifications` row with its `notification_attempts`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredNotification {
    pub id: i64,
    pub flip_id: String,
    pub channel_id: String,
    pub check_id: i64,
    /// The check's project, recorded when it was queued.
    pub project_id: String,
    /// `PENDING`, `DELIVERED` or `FAILED`.
    pub state: String,
    pub attempts: i64,
    pub created_at: Timestamp,
    pub next_attempt_at: Timestamp,
    pub claim: Option<String>,
    pub claimed_until: Option<Timestamp>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub finished_at: Option<Timestamp>,
    /// Oldest first.
    pub attempt_log: Vec<AttemptRecord>,
}

impl StoredNotification {
    pub fn is_pending(&self) -> bool {
        self.state == PENDING
    }

    /// Pending, due at `now`, and held by no live claim.
    pub(super) fn claimable(&self, now: Timestamp) -> bool {
        self.is_pending() && self.next_attempt_at <= now && self.claimed_until.is_none_or(|until| until <= now)
    }
}

/// A `channels` row; `config` is the stored text, so that a test can make
/// it unreadable (`MemoryStore::corrupt_channel`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredChannel {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub kind: String,
    pub config: String,
    pub events: EventSet,
    pub created_at: Timestamp,
    pub failing: Option<crate::domain::channel::Failing>,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct StoredWindow {
    pub project_id: String,
    pub window: Window,
    pub created_at: Timestamp,
    /// Why the row cannot be read back, if it cannot
    /// (`MemoryStore::corrupt_window`).
    pub unreadable: Option<String>,
}

/// A `projects` row, with its routing version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredProject {
    pub id: String,
    pub name: String,
    pub ping_key_hash: String,
    pub created_at: Timestamp,
    pub badge_key: String,
    pub badge_secret: String,
    pub routing_version: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct StoredSweep {
    pub id: i64,
    pub scheduled_at: Timestamp,
    pub error: Option<String>,
    pub due_checks: i64,
    pub flips: i64,
    pub sent: i64,
    pub rows_read: i64,
    pub unreadable: i64,
    pub total_rows_read: i64,
    pub rows_written: i64,
}

/// The one row of `sweep_claim`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct RescueClaim {
    pub claimed_until: Timestamp,
    pub started_at: Option<Timestamp>,
}

impl Default for RescueClaim {
    fn default() -> Self {
        RescueClaim { claimed_until: Timestamp::from_millis(0), started_at: None }
    }
}

/// A `members` row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMember {
    pub project_id: String,
    pub email: String,
    pub role: Role,
    pub created_at: Timestamp,
}

/// Every table of one database.
#[derive(Clone, Debug, Default)]
pub(super) struct Tables {
    /// In insertion order.
    pub projects: Vec<StoredProject>,
    /// By key hash: (project, read-only).
    pub api_keys: BTreeMap<String, (String, bool)>,
    pub checks: BTreeMap<i64, StoredCheck>,
    /// By (check, slot).
    pub pings: BTreeMap<(i64, i64), StoredPing>,
    /// In rowid order.
    pub flips: Vec<StoredFlip>,
    pub notifications: BTreeMap<i64, StoredNotification>,
    pub channels: Vec<StoredChannel>,
    pub windows: Vec<StoredWindow>,
    pub run_reports: BTreeMap<RunReportKey, StoredRunReport>,
    pub sweeps: Vec<StoredSweep>,
    pub rescue: RescueClaim,
    /// In insertion order.
    pub members: Vec<StoredMember>,
    /// The log, in id order.
    pub audit: Vec<AuditRecord>,
    pub status_pages: Vec<StatusPage>,
}

/// SQLite's `LIMIT`: a negative limit means none.
pub(super) fn sql_limit(limit: i64) -> usize {
    usize::try_from(limit).unwrap_or(usize::MAX)
}

/// The id SQLite gives a new `INTEGER PRIMARY KEY` row without
/// AUTOINCREMENT: one more than the largest in use (so the id of the
/// newest row, once deleted, is given again).
pub(super) fn next_id(ids: impl Iterator<Item = i64>) -> i64 {
    ids.max().unwrap_or(0) + 1
}

impl Tables {
    pub fn project(&self, id: &str) -> Option<&StoredProject> {
        self.projects.iter().find(|p| p.id == id)
    }

    pub fn project_mut(&mut self, id: &str) -> Option<&mut StoredProject> {
        self.projects.iter_mut().find(|p| p.id == id)
    }

    pub fn project_by_ping_key(&self, ping_key_hash: &str) -> Option<&StoredProject> {
        self.projects.iter().find(|p| p.ping_key_hash == ping_key_hash)
    }

    /// The project's checks, by id.
    pub fn checks_of<'a>(&'a self, project_id: &'a str) -> impl Iterator<Item = &'a StoredCheck> + 'a {
        self.checks.values().filter(move |c| c.check.project_id == project_id)
    }

    pub fn flip(&self, id: &str) -> Option<&StoredFlip> {
        self.flips.iter().find(|f| f.id == id)
    }

    /// Deletes a check and, as the schema's `ON DELETE CASCADE` does, its
    /// pings, flips and notifications (with their attempts).
    pub fn delete_check(&mut self, id: i64) {
        if self.checks.remove(&id).is_none() {
            return;
        }
        self.pings.retain(|(check_id, _), _| *check_id != id);
        self.run_reports.retain(|(check_id, _, _), _| *check_id != id);
        self.flips.retain(|f| f.check_id != id);
        self.notifications.retain(|_, n| n.check_id != id);
    }

    /// Appends a log entry with the next id.
    pub fn record_audit(&mut self, entry: &AuditWrite) {
        let id = next_id(self.audit.iter().map(|a| a.id));
        self.audit.push(AuditRecord {
            id,
            project_id: entry.project_id.clone(),
            check: entry.check.map(|c| c.to_string()),
            at: entry.at,
            actor: entry.actor.clone(),
            action: entry.action.clone(),
            detail: entry.detail.clone(),
        });
    }

    /// Deletes a project and, as `ON DELETE CASCADE` does, everything of it
    /// but its log.
    pub fn delete_project(&mut self, id: &str) -> bool {
        let Some(index) = self.projects.iter().position(|p| p.id == id) else {
            return false;
        };
        self.projects.remove(index);
        self.api_keys.retain(|_, (project, _)| project != id);
        let checks: Vec<i64> = self.checks_of(id).map(|c| c.check.id).collect();
        for check in checks {
            self.delete_check(check);
        }
        self.channels.retain(|c| c.project_id != id);
        self.windows.retain(|w| w.project_id != id);
        self.members.retain(|m| m.project_id != id);
        true
    }

    /// Deletes flips by id and, cascading, their notifications.
    pub fn delete_flips(&mut self, ids: &[String]) {
        self.flips.retain(|f| !ids.contains(&f.id));
        self.notifications.retain(|_, n| !ids.contains(&n.flip_id));
    }
}
