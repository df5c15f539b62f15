//! Write plans: everything one decision writes about a check, as data. The
//! domain builds a plan from what it read; storage carries it out in one
//! atomic step, only if the conditions it names still hold, and reports
//! whether they did. Storage decides nothing: the new state and deadlines,
//! the flip, every event with its recipients, the ping's record and the new
//! check's keys are all in the plan.

use crate::api::spec::UniqueValue;
use crate::audit::AuditWrite;
use crate::check::{Check, CheckConfig, CheckState, Event, Flip, PingKind, Status};
use crate::ids::Uuid;
use crate::routing::Routes;
use crate::time::Timestamp;

/// Everything one decision writes about one check.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckPlan {
    pub target: Target,
    /// When the decision was made: notifications are queued at this time.
    pub at: Timestamp,
    /// What must still hold for any of it to be written.
    pub expect: Expect,
    /// A ping to record (it takes the next number of the check's history).
    pub ping: Option<NewPing>,
    /// The check's new state and deadlines.
    pub state: Option<StateWrite>,
    /// A new configuration (bumps the configuration version, so that cached
    /// copies of the old one are not trusted again).
    pub config: Option<ConfigWrite>,
    pub flip: Option<FlipWrite>,
    /// Events that are not status changes, each recorded because someone
    /// listens for its kind.
    pub events: Vec<EventWrite>,
    /// For writes that change who hears what: the project's routing as read.
    pub routing: Option<RoutingGuard>,
    /// Moves the check's sweep deadlines (those set) to this instant: for a
    /// row the sweep could not read, which it looks at again then.
    pub reschedule: Option<Timestamp>,
    /// The log entry of a change a person or a key made: written with the
    /// plan, only if the plan applies.
    pub audit: Option<AuditWrite>,
    /// A run's start or end to record once: the plan applies only if the
    /// check has no report of this run id and edge yet.
    pub run_report: Option<RunReport>,
}

impl CheckPlan {
    /// A plan for an existing check that writes nothing yet.
    pub fn for_check(check: &Check, expect: Expect, at: Timestamp) -> CheckPlan {
        CheckPlan {
            target: Target::Existing(check.id),
            at,
            expect,
            ping: None,
            state: None,
            config: None,
            flip: None,
            events: Vec::new(),
            routing: None,
            reschedule: None,
            audit: None,
            run_report: None,
        }
    }

    /// Whether carrying it out queues any notification.
    pub fn notifies(&self) -> bool {
        self.flip.as_ref().is_some_and(|f| !f.recipients.is_empty())
            || self.events.iter().any(|e| !e.recipients.is_empty())
    }
}

/// Which end of a run a report is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunEdge {
    Start,
    /// Its success or failure.
    End,
}

impl RunEdge {
    pub fn as_str(self) -> &'static str {
        match self {
            RunEdge::Start => "start",
            RunEdge::End => "end",
        }
    }

    /// The edge a ping of this kind reports, if it reports one: log and
    /// ignored pings report none.
    pub fn of(kind: PingKind) -> Option<RunEdge> {
        match kind {
            PingKind::Start => Some(RunEdge::Start),
            PingKind::Success | PingKind::Fail => Some(RunEdge::End),
            PingKind::Log | PingKind::Ignored => None,
        }
    }
}

/// The start or end of the run `rid`, reported to a check: each is recorded
/// once, so a reporter that sends it again (a retry, the same input fed
/// twice, a second reporter) is acknowledged and changes nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunReport {
    pub rid: Uuid,
    pub edge: RunEdge,
    /// Unique to the decision: the statements of the plan that recorded
    /// the report know it by this.
    pub token: String,
}

/// Which check a plan writes.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// A stored check, by its row id.
    Existing(i64),
    /// A check the plan creates.
    New(Box<NewCheck>),
}

/// Who a new check belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owner {
    Project(String),
    /// The project with this ping key hash (a ping that creates its check).
    PingKey(String),
}

/// A check to create, with every key it gets.
#[derive(Clone, Debug, PartialEq)]
pub struct NewCheck {
    pub uuid: Uuid,
    pub owner: Owner,
    pub config: CheckConfig,
    pub routes: Routes,
    pub unique_key: String,
    pub badge_key: String,
    pub created_at: Timestamp,
    /// Created only while the project has fewer checks than this.
    pub max_checks: i64,
    /// Created only if none of the project's checks has its slug (a ping
    /// that creates the check it names).
    pub slug_must_be_free: bool,
    /// Created only if none of the project's checks holds every one of
    /// these values (a `unique` upsert that found no match: a check that
    /// matches since then is updated instead). Empty: no such condition.
    pub unique: Vec<UniqueValue>,
}

/// The conditions a plan depends on.
#[derive(Clone, Debug, PartialEq)]
pub enum Expect {
    /// The plan creates its check: nothing to compare.
    Nothing,
    /// The check row still holds what the decision read.
    Row(Expected),
    /// The row and the deadlines the sweep selected it by.
    RowAndDeadlines(Expected, Deadlines),
    /// Only the deadlines (a row the sweep could not read).
    Deadlines(Deadlines),
}

/// What a decision read of a check's row; a write computed from it applies
/// only if the row still holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expected {
    /// Which check it read: a deleted check's row id is given to the next
    /// check created, and a decision about one must never land on another.
    pub uuid: Uuid,
    pub config_version: i64,
    pub status: Status,
    pub last_start: Option<Timestamp>,
    pub last_start_rid: Option<Uuid>,
    /// Only for decisions that read the last ping (a start, an edit).
    pub last_ping: Option<Option<Timestamp>>,
    pub failures: i64,
    pub successes: i64,
    pub muted_until: Option<Timestamp>,
}

impl Expected {
    /// The row `check` was read as; `with_last_ping` when the decision
    /// depends on the last ping too.
    pub fn of(check: &Check, with_last_ping: bool) -> Expected {
        let state = &check.state;
        Expected {
            uuid: check.uuid,
            config_version: check.config_version,
            status: state.status,
            last_start: state.last_start,
            last_start_rid: state.last_start_rid,
            last_ping: with_last_ping.then_some(state.last_ping),
            failures: state.failures,
            successes: state.successes,
            muted_until: state.muted_until,
        }
    }

    /// Check `uuid` up and not running a job, with no failure counted and
    /// no hold, at this configuration: what the one-round-trip ping path
    /// assumes.
    pub fn idle_up(uuid: Uuid, config_version: i64) -> Expected {
        Expected {
            uuid,
            config_version,
            status: Status::Up,
            last_start: None,
            last_start_rid: None,
            last_ping: None,
            failures: 0,
            successes: 0,
            muted_until: None,
        }
    }

    /// Whether a check is as expected.
    pub fn holds_for(&self, check: &Check) -> bool {
        let state = &check.state;
        self.uuid == check.uuid
            && self.config_version == check.config_version
            && self.status == state.status
            && self.last_start == state.last_start
            && self.last_start_rid == state.last_start_rid
            && self.last_ping.is_none_or(|last_ping| last_ping == state.last_ping)
            && self.failures == state.failures
            && self.successes == state.successes
            && self.muted_until == state.muted_until
    }
}

/// The two deadlines the sweep selects on, as it read them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadlines {
    pub alert_after: Option<Timestamp>,
    pub next_event_at: Option<Timestamp>,
}

impl Deadlines {
    /// When the sweep next looks at a check with these deadlines: the
    /// earlier of the two.
    pub fn sweep_at(&self) -> Option<Timestamp> {
        match (self.alert_after, self.next_event_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// A ping to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPing {
    pub kind: PingKind,
    pub at: Timestamp,
    pub scheme: String,
    pub method: String,
    pub ua: String,
    pub remote_addr: Option<String>,
    pub exit_status: Option<u8>,
    pub rid: Option<Uuid>,
    pub body: Vec<u8>,
    /// Pings kept per check: the ping takes slot `n % history` of the ring.
    pub history: i64,
    /// When a relayed ping arrived: `Some` when its reporter gave the time
    /// the event happened (then that is `at`), `None` for a plain ping,
    /// which happened when it arrived. Not stored.
    pub arrived: Option<Timestamp>,
}

impl NewPing {
    /// When it arrived: when the decision about it is made.
    pub fn arrival(&self) -> Timestamp {
        self.arrived.unwrap_or(self.at)
    }
}

/// A check's new state.
#[derive(Clone, Debug, PartialEq)]
pub struct StateWrite {
    pub state: CheckState,
    /// When it goes down unless something arrives.
    pub alert_after: Option<Timestamp>,
    /// When its status changed, with a flip.
    pub changed_at: Option<Timestamp>,
}

impl StateWrite {
    pub fn deadlines(&self) -> Deadlines {
        Deadlines { alert_after: self.alert_after, next_event_at: self.state.next_event_at }
    }
}

/// A new configuration, and the routes that go with it when they change.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigWrite {
    pub config: CheckConfig,
    pub routes: Option<Routes>,
}

/// A status change to record, and the channels told of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlipWrite {
    pub id: String,
    pub flip: Flip,
    pub recipients: Vec<String>,
    /// It belongs to the ping recorded by the same plan.
    pub with_ping: bool,
}

/// An event to record, and the channels told of it (none while the check's
/// notifications are held).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventWrite {
    pub id: String,
    pub event: Event,
    pub recipients: Vec<String>,
    /// It belongs to the ping recorded by the same plan.
    pub with_ping: bool,
    /// At most one notification of this kind per check and channel waits
    /// to be sent: a reminder, or a ping's own success or fail, queued
    /// while one is already waiting is the same news and is not queued
    /// again.
    pub coalesce: bool,
}

/// The project's routing (its channels and their links) as a decision
/// read it: the write applies only if nothing changed it since, and then
/// marks it changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoutingGuard {
    pub project_id: String,
    pub version: i64,
}

/// What became of a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Applied {
    /// Its conditions held and everything was written.
    pub applied: bool,
    /// The row id of the check it wrote (a created check's new id).
    pub check_id: Option<i64>,
    /// The plan's run report was already recorded before it: nothing was
    /// written, and deciding again would not change that.
    pub already_reported: bool,
}

impl Applied {
    pub fn not_applied() -> Applied {
        Applied { applied: false, check_id: None, already_reported: false }
    }
}

/// A change to one of a project's channels, with the routes of every check
/// it touches (each of those bumps its configuration version), written
/// only if the project's routing is still as read.
#[derive(Clone, Debug, PartialEq)]
pub struct ChannelPlan {
    pub channel: crate::channel::Channel,
    pub change: ChannelChange,
    pub reroutes: Vec<Reroute>,
    pub routing: RoutingGuard,
    /// The log entry of the change: written with the plan, only if it applies.
    pub audit: Option<AuditWrite>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChannelChange {
    /// Creates the channel while the project has fewer than `max_channels`,
    /// or replaces the project's channel with its id.
    Save {
        max_channels: i64,
        at: Timestamp,
    },
    Delete,
}

/// A check's new routes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reroute {
    pub check_id: i64,
    /// Only the check read has them: a deleted check's row id is given to
    /// the next check created.
    pub uuid: Uuid,
    pub routes: Routes,
}

/// What became of a channel plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelApplied {
    Applied,
    /// The project's routing changed since it was read: decide again.
    Stale,
    /// A new channel past the project's limit.
    AtLimit,
}

/// A channel whose service refused for good: the mark, and the notice that
/// tells the project's other channels once. Storage writes both only if the
/// channel is still the project's, still configured as `config` (an edit
/// since then is a new question) and not failing yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailingMark {
    pub project_id: String,
    pub channel_id: String,
    /// The stored configuration it was refused with.
    pub config: String,
    pub reason: String,
    pub at: Timestamp,
    pub notice: Option<NoticeWrite>,
}

/// The notice: an event row (event `channel_failing`) of the check whose
/// notification was refused, with a notification per recipient, queued at
/// the mark's time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeWrite {
    /// The event row's id.
    pub id: String,
    pub check_id: i64,
    /// The check's status, written as both statuses of the event row.
    pub status: Status,
    /// What the notice says, as JSON (`channel`, `name`, `kind`, `reason`).
    pub detail: String,
    pub recipients: Vec<String>,
}
