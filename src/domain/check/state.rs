//! What a check is doing: its stored status, the status shown at an instant,
//! the kinds of ping, and why a status changed. Enums end to end: the store
//! parses the stored words once, and nothing else compares strings.

use crate::domain::ids::Uuid;
use crate::domain::time::Timestamp;

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
    /// A run started and did not finish within the grace period.
    RanTooLong,
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
            "paused" => FlipReason::Paused,
            "resumed" => FlipReason::Resumed,
            other => FlipReason::ExitStatus(other.strip_prefix("exitstatus:")?.parse().ok()?),
        })
    }
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
}

impl CheckState {
    pub fn new_check() -> Self {
        CheckState { status: Status::New, last_ping: None, last_start: None, last_start_rid: None, last_duration: None }
    }

    /// An up check that is not running a job, whatever else it holds.
    pub fn idle_up() -> Self {
        CheckState { status: Status::Up, ..CheckState::new_check() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flip_reasons_round_trip() {
        for reason in [
            FlipReason::Success,
            FlipReason::Fail,
            FlipReason::ExitStatus(7),
            FlipReason::Timeout,
            FlipReason::RanTooLong,
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
    }
}
