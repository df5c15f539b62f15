//! What a check is doing: its stored status, the status shown at an instant,
//! the kinds of ping, and why a status changed. Enums end to end: the store
//! parses the stored words once, and nothing else compares strings.

use crate::ids::Uuid;
use crate::time::Timestamp;

/// The status stored with a check. `grace` is never stored: it is derived
/// from the schedule and the instant asked about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    New,
    Up,
    Down,
    Paused,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Up => "up",
            Status::Down => "down",
            Status::Paused => "paused",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        match text {
            "new" => Some(Status::New),
            "up" => Some(Status::Up),
            "down" => Some(Status::Down),
            "paused" => Some(Status::Paused),
            _ => None,
        }
    }
}

/// The status shown to users at an instant (API, badges, metrics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShownStatus {
    New,
    Up,
    Grace,
    Down,
    Paused,
}

impl ShownStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ShownStatus::New => "new",
            ShownStatus::Up => "up",
            ShownStatus::Grace => "grace",
            ShownStatus::Down => "down",
            ShownStatus::Paused => "paused",
        }
    }
}

/// What kind of signal a ping is, after the check's rules classified it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PingKind {
    Success,
    Fail,
    Start,
    Log,
    /// Recorded but ignored: a GET to a POST-only check, a ping to a paused
    /// manual-resume check, or a body no keyword matched.
    Ignored,
}

impl PingKind {
    /// The `type` of a ping in healthchecks' API.
    pub fn as_str(self) -> &'static str {
        match self {
            PingKind::Success => "success",
            PingKind::Fail => "fail",
            PingKind::Start => "start",
            PingKind::Log => "log",
            PingKind::Ignored => "ign",
        }
    }

    pub fn parse(text: &str) -> Option<PingKind> {
        match text {
            "success" => Some(PingKind::Success),
            "fail" => Some(PingKind::Fail),
            "start" => Some(PingKind::Start),
            "log" => Some(PingKind::Log),
            "ign" => Some(PingKind::Ignored),
            _ => None,
        }
    }
}

/// Why a check changed status; decides the wording of alerts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlipReason {
    /// A success ping (recovery, or the first ping of a new check).
    Success,
    /// A `/fail` ping.
    Fail,
    /// A ping reporting a non-zero exit status.
    ExitStatus(u8),
    /// No ping arrived within the schedule and grace period.
    Timeout,
    /// A run started and did not finish within the grace period (or
    /// `max_runtime`, when set).
    RanTooLong,
    /// A success closed a run faster than `min_runtime`.
    TooFast,
    /// Still down: a reminder, or the notice when a snooze or maintenance
    /// window ends with the check down.
    StillDown,
    /// A new check that expects its first ping got none by its first
    /// expected run plus grace: the job never ran.
    NeverRan,
    Paused,
    Resumed,
}

impl FlipReason {
    pub fn code(self) -> String {
        match self {
            FlipReason::Success => "success".into(),
            FlipReason::Fail => "fail".into(),
            FlipReason::ExitStatus(code) => format!("exitstatus:{code}"),
            FlipReason::Timeout => "timeout".into(),
            FlipReason::RanTooLong => "ran_too_long".into(),
            FlipReason::TooFast => "too_fast".into(),
            FlipReason::StillDown => "still_down".into(),
            FlipReason::NeverRan => "never_ran".into(),
            FlipReason::Paused => "paused".into(),
            FlipReason::Resumed => "resumed".into(),
        }
    }

    pub fn parse(code: &str) -> Option<FlipReason> {
        Some(match code {
            "success" => FlipReason::Success,
            "fail" => FlipReason::Fail,
            "timeout" => FlipReason::Timeout,
            "ran_too_long" => FlipReason::RanTooLong,
            "too_fast" => FlipReason::TooFast,
            "still_down" => FlipReason::StillDown,
            "never_ran" => FlipReason::NeverRan,
            "paused" => FlipReason::Paused,
            "resumed" => FlipReason::Resumed,
            other => FlipReason::ExitStatus(other.strip_prefix("exitstatus:")?.parse().ok()?),
        })
    }
}

/// What a channel can hear of: a status change (`down`, `up`), or an event
/// that changes no status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    Down,
    Up,
    /// The deadline passed; still within grace.
    Late,
    /// Still down, once per `reminder_interval`.
    Reminder,
    /// Every failure signal, even while already down.
    Fail,
    /// Every success.
    Success,
}

impl EventKind {
    pub const ALL: [EventKind; 6] =
        [EventKind::Down, EventKind::Up, EventKind::Late, EventKind::Reminder, EventKind::Fail, EventKind::Success];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Down => "down",
            EventKind::Up => "up",
            EventKind::Late => "late",
            EventKind::Reminder => "reminder",
            EventKind::Fail => "fail",
            EventKind::Success => "success",
        }
    }

    pub fn parse(text: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// The events a channel receives. Default: `down`, `up` and `reminder`
/// (today's alerts, plus reminders of checks that ask for them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventSet(Vec<EventKind>);

impl Default for EventSet {
    fn default() -> Self {
        EventSet(vec![EventKind::Down, EventKind::Up, EventKind::Reminder])
    }
}

impl EventSet {
    pub fn of(kinds: &[EventKind]) -> EventSet {
        let mut kinds = kinds.to_vec();
        crate::sorting::sort(&mut kinds);
        kinds.dedup();
        EventSet(kinds)
    }

    pub fn contains(&self, kind: EventKind) -> bool {
        self.0.contains(&kind)
    }

    /// The kinds, in `EventKind::ALL`'s order.
    pub fn kinds(&self) -> &[EventKind] {
        &self.0
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|k| k.as_str()).collect()
    }

    /// The `events` column: `,down,up,reminder,` (the form stored rows
    /// have; migration 0011 read it with `instr` to build each check's routes).
    pub fn to_stored(&self) -> String {
        format!(",{},", self.names().join(","))
    }

    /// Reads the column back; unknown words are dropped.
    pub fn from_stored(text: &str) -> EventSet {
        EventSet::of(&text.split(',').filter_map(EventKind::parse).collect::<Vec<_>>())
    }
}

/// Something to announce that is not a status change (those are `Flip`s).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    pub reason: FlipReason,
    pub at: Timestamp,
}

/// The parts of a check the state machine reads and writes.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckState {
    pub status: Status,
    pub last_ping: Option<Timestamp>,
    pub last_start: Option<Timestamp>,
    pub last_start_rid: Option<Uuid>,
    /// Milliseconds between a start and the success or failure that ended it.
    pub last_duration: Option<i64>,
    /// Consecutive failure signals not yet enough to go down (0 when down).
    pub failures: i64,
    /// Consecutive successes of a down check not yet enough to go up (0
    /// unless down).
    pub successes: i64,
    /// When the sweep next has something to announce that is not a status
    /// change: a late check, a reminder, the end of a mute.
    pub next_event_at: Option<Timestamp>,
    /// Until when notifications are held (a snooze or maintenance window).
    pub muted_until: Option<Timestamp>,
    /// Since when a new check has waited for its first run: its creation,
    /// or the resume that made it new again. Cleared by its first success
    /// or failure. With `Monitoring::expect_first_ping` it dates the first
    /// expected ping.
    pub waiting_since: Option<Timestamp>,
}

impl CheckState {
    pub fn new_check() -> Self {
        CheckState {
            status: Status::New,
            last_ping: None,
            last_start: None,
            last_start_rid: None,
            last_duration: None,
            failures: 0,
            successes: 0,
            next_event_at: None,
            muted_until: None,
            waiting_since: None,
        }
    }

    /// A check created at `at`: new, waiting for its first run since then.
    pub fn created(at: Timestamp) -> Self {
        CheckState { waiting_since: Some(at), ..CheckState::new_check() }
    }

    /// Whether notifications are held at `now`.
    pub fn muted_at(&self, now: Timestamp) -> bool {
        self.muted_until.is_some_and(|until| until > now)
    }

    /// An up check that is not running a job, whatever else it holds.
    pub fn idle_up() -> Self {
        CheckState { status: Status::Up, ..CheckState::new_check() }
    }

    /// Up, not running a job, no failure or success counted, not muted: the
    /// state a ping can be written against without reading it first.
    pub fn is_idle_up(&self) -> bool {
        self.status == Status::Up
            && self.last_start.is_none()
            && self.last_start_rid.is_none()
            && self.failures == 0
            && self.successes == 0
            && self.muted_until.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_up_is_what_its_constructor_makes_and_nothing_busier() {
        assert!(CheckState::idle_up().is_idle_up());
        assert!(!CheckState::new_check().is_idle_up());
        let at = Some(Timestamp::from_millis(1));
        let seen = CheckState { last_ping: at, last_duration: Some(5), next_event_at: at, ..CheckState::idle_up() };
        assert!(seen.is_idle_up());
        for busier in [
            CheckState { last_start: at, ..CheckState::idle_up() },
            CheckState { failures: 1, ..CheckState::idle_up() },
            CheckState { successes: 1, ..CheckState::idle_up() },
            CheckState { muted_until: at, ..CheckState::idle_up() },
            CheckState { status: Status::Down, ..CheckState::idle_up() },
        ] {
            assert!(!busier.is_idle_up(), "{busier:?}");
        }
    }

    #[test]
    fn flip_reasons_round_trip() {
        for reason in [
            FlipReason::Success,
            FlipReason::Fail,
            FlipReason::ExitStatus(7),
            FlipReason::Timeout,
            FlipReason::RanTooLong,
            FlipReason::TooFast,
            FlipReason::StillDown,
            FlipReason::NeverRan,
            FlipReason::Paused,
            FlipReason::Resumed,
        ] {
            assert_eq!(FlipReason::parse(&reason.code()), Some(reason));
        }
        assert_eq!(FlipReason::parse("exitstatus:300"), None);
    }

    #[test]
    fn statuses_and_kinds_round_trip() {
        for status in [Status::New, Status::Up, Status::Down, Status::Paused] {
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
        for kind in [PingKind::Success, PingKind::Fail, PingKind::Start, PingKind::Log, PingKind::Ignored] {
            assert_eq!(PingKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(Status::parse("grace"), None);
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(EventKind::parse("flip"), None);
    }
}
