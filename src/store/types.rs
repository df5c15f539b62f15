//! What storage hands back and takes, beyond the domain's own types.

use crate::domain::check::{Check, EventKind, FlipReason, PingKind, Status};
use crate::domain::ids::Uuid;
use crate::domain::outbox::{AttemptResult, Outcome};
use crate::domain::time::Timestamp;

/// Rows a database read and wrote (index entries count as rows).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub rows_read: i64,
    pub rows_written: i64,
}

/// A due notification, as the fair claim chooses among them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Queued {
    pub id: i64,
    pub project_id: String,
    pub next_attempt_at: Timestamp,
}

/// A claimed notification with what its alert needs.
#[derive(Clone, Debug)]
pub struct DeliveryRow {
    pub id: i64,
    pub attempts: i64,
    pub created_at: Timestamp,
    pub channel_id: String,
    /// The stored configuration of its channel; `None` for a default channel
    /// (kept from secrets) or a channel deleted since.
    pub channel_config: Option<String>,
    /// Why its channel is failing, if it is (its notifications then fail
    /// without contacting the service).
    pub channel_failing: Option<String>,
    /// For the notice that one of the project's channels is failing (an
    /// event row `channel_failing`): what it says (`NoticeWrite::detail`).
    /// Its `reason` and `event` are then placeholders.
    pub notice: Option<String>,
    pub flip_id: String,
    pub flip_at: Timestamp,
    pub old_status: Status,
    pub new_status: Status,
    pub reason: FlipReason,
    pub previous_change_at: Option<Timestamp>,
    /// The kind of an event that is not a status change.
    pub event: Option<EventKind>,
    pub check: Check,
    pub ping_at: Option<Timestamp>,
    pub ping_kind: Option<PingKind>,
    pub ping_exit_status: Option<i64>,
    /// The first 2,000 bytes of the ping's body.
    pub ping_body: Option<Vec<u8>>,
}

/// The result of one delivery attempt, to record.
#[derive(Clone, Debug)]
pub struct DeliveryWrite {
    pub notification_id: i64,
    pub at: Timestamp,
    pub result: AttemptResult,
    pub outcome: Outcome,
    pub duration_ms: i64,
}

/// One recorded delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptRecord {
    pub at: Timestamp,
    pub status: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: Option<i64>,
}

/// A notification as the API lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationRow {
    pub id: i64,
    pub channel_id: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    pub attempts: i64,
    pub created_at: Timestamp,
    pub next_attempt_at: Timestamp,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub finished_at: Option<Timestamp>,
    /// The event kind, or the new status of a status change.
    pub event: String,
    pub reason: String,
    pub check_uuid: Uuid,
    pub attempt_log: Vec<AttemptRecord>,
}

/// A project as the admin API creates it: hashes of its keys only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewProject {
    pub id: Uuid,
    pub name: String,
    pub ping_key_hash: String,
    pub read_write_hash: String,
    pub read_only_hash: String,
    pub badge_key: String,
    pub badge_secret: String,
    /// Its first owner (a normalized email), made with it.
    pub owner: Option<String>,
    /// The log entry of its creation.
    pub audit: Option<crate::domain::audit::AuditWrite>,
}

/// A member of a project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub email: String,
    pub role: crate::domain::access::roles::Role,
    pub created_at: Timestamp,
}

/// A project someone is a member of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    pub project_id: String,
    pub name: String,
    pub role: crate::domain::access::roles::Role,
}

/// A project as the admin API lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectRow {
    pub id: String,
    pub name: String,
    pub created_at: Timestamp,
    pub checks: i64,
}

/// What badges need of a project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadgeProject {
    pub id: String,
    pub name: String,
    pub badge_key: String,
    pub badge_secret: String,
}

/// What one sweep did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SweepOutcome {
    pub due_checks: i64,
    /// Rows the database read to find the due checks.
    pub rows_read: i64,
    pub flips: i64,
    pub sent: i64,
    /// Due check rows that could not be read (skipped and rescheduled).
    pub unreadable: i64,
    /// Started by a request because the cron trigger stalled.
    pub rescue: bool,
    /// Everything the sweep read and wrote, by the database's count.
    pub usage: Usage,
    pub error: Option<String>,
}
