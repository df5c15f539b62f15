//! A check's configuration, parsed once into domain types: the schedule is a
//! parsed schedule and a zone, the tags are words, the ping rules are the
//! rules. Its defaults live here and nowhere else (every insert writes every
//! column from them; the migration's column defaults are never relied on).

use super::tags::Tags;
use crate::cron::{parse_zone, CronExpr};
use crate::oncalendar::OnCalendar;
use crate::ping::PingRules;
use crate::time::Timestamp;
use chrono_tz::Tz;

/// Bounds healthchecks.io puts on timeout and grace: one minute to a year.
pub const MIN_PERIOD: i64 = 60;
pub const MAX_PERIOD: i64 = 31_536_000;
pub const MAX_NAME: usize = 100;
pub const MAX_SLUG: usize = 100;
/// healthchecks' defaults for a new check: daily, with an hour of grace.
pub const DEFAULT_TIMEOUT: i64 = 86_400;
pub const DEFAULT_GRACE: i64 = 3_600;
/// Bounds of the alert policy's settings.
pub const MAX_THRESHOLD: i64 = 100;
pub const MIN_REMINDER_INTERVAL: i64 = 300;
/// The sweep runs once a minute, so a shorter run limit could not be kept.
pub const MIN_MAX_RUNTIME: i64 = 60;
pub const MIN_MIN_RUNTIME: i64 = 1;

/// Stored in the `schedule` column of a check that has no cron schedule.
const UNUSED_CRON: &str = "* * * * *";

/// healthchecks' slug pattern: `^[a-z0-9-_]+$`, at most 100 characters.
pub fn is_valid_slug(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_SLUG
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// When a check expects its next ping.
#[derive(Clone, Debug, PartialEq)]
pub enum Schedule {
    /// Every `timeout` seconds after the last ping.
    Simple { timeout: i64 },
    /// At the firings of a cron expression, in the check's zone.
    Cron(CronExpr),
    /// At the firings of systemd OnCalendar expressions, in the check's zone
    /// unless an expression names its own.
    OnCalendar(OnCalendar),
}

impl Schedule {
    /// The instant the next ping is expected, given the last one.
    pub fn next_expected(&self, last_ping: Timestamp, zone: Tz) -> Option<Timestamp> {
        match self {
            Schedule::Simple { timeout } => Some(last_ping.plus_secs(*timeout)),
            Schedule::Cron(expr) => expr.next_after(last_ping, zone),
            Schedule::OnCalendar(expr) => expr.next_after(last_ping, zone),
        }
    }

    /// Parses a `schedule` as healthchecks does: a single line of five
    /// fields is cron, anything else OnCalendar (its `guess_kind`).
    pub fn parse(text: &str) -> Result<Schedule, String> {
        if crate::oncalendar::looks_like_cron(text) {
            CronExpr::parse(text).map(Schedule::Cron).map_err(|e| e.to_string())
        } else {
            OnCalendar::parse(text).map(Schedule::OnCalendar).map_err(|e| e.to_string())
        }
    }

    /// The schedule's text, for cron and OnCalendar schedules.
    pub fn expression(&self) -> Option<&str> {
        match self {
            Schedule::Simple { .. } => None,
            Schedule::Cron(expr) => Some(expr.source()),
            Schedule::OnCalendar(expr) => Some(expr.source()),
        }
    }

    /// The `kind` column: `simple` or `cron`.
    pub fn kind(&self) -> &'static str {
        match self {
            Schedule::Simple { .. } => "simple",
            Schedule::Cron(_) => "cron",
            Schedule::OnCalendar(_) => "oncalendar",
        }
    }

    /// The `timeout` and `schedule` columns.
    pub fn stored(&self) -> (i64, &str) {
        match self {
            Schedule::Simple { timeout } => (*timeout, UNUSED_CRON),
            Schedule::Cron(expr) => (DEFAULT_TIMEOUT, expr.source()),
            Schedule::OnCalendar(expr) => (DEFAULT_TIMEOUT, expr.source()),
        }
    }

    /// Reads the stored columns back.
    pub fn from_stored(kind: &str, timeout: i64, schedule: &str) -> Result<Schedule, ConfigError> {
        match kind {
            "cron" => CronExpr::parse(schedule)
                .map(Schedule::Cron)
                .map_err(|e| ConfigError::Schedule(schedule.to_owned(), e.to_string())),
            "oncalendar" => OnCalendar::parse(schedule)
                .map(Schedule::OnCalendar)
                .map_err(|e| ConfigError::Schedule(schedule.to_owned(), e.to_string())),
            "simple" if (MIN_PERIOD..=MAX_PERIOD).contains(&timeout) => Ok(Schedule::Simple { timeout }),
            "simple" => Err(ConfigError::Timeout(timeout)),
            other => Err(ConfigError::Kind(other.to_owned())),
        }
    }
}

/// A stored configuration that cannot be read back.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("stored schedule {0:?} does not parse: {1}")]
    Schedule(String, String),
    #[error("stored time zone {0:?} is unknown")]
    Zone(String),
    #[error("stored timeout {0} is out of range")]
    Timeout(i64),
    #[error("stored grace {0} is out of range")]
    Grace(i64),
    #[error("stored kind {0:?} is unknown")]
    Kind(String),
}

/// How a check is monitored: what the state machine needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Monitoring {
    pub schedule: Schedule,
    /// The check's time zone (cron schedules fire in it).
    pub zone: Tz,
    /// Seconds of lateness tolerated before the check is down.
    pub grace: i64,
    /// A paused check ignores pings until resumed through the API.
    pub manual_resume: bool,
    /// A new check expects its first ping (an edgebeat extension): by the
    /// schedule's first slot after it began waiting (its creation, or the
    /// resume that made it new again) plus grace, else it goes down as a
    /// job that never ran. Off, a new check waits for its first ping
    /// forever, as in healthchecks.
    pub expect_first_ping: bool,
    /// When and how often anyone hears of it.
    pub policy: AlertPolicy,
}

/// When a check's channels hear of it (issue 11). The defaults are today's
/// behaviour: the first failure alerts, the first success recovers, a run
/// is limited by grace, no reminders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlertPolicy {
    /// Consecutive reported failures before the check goes down (1..=100).
    pub failure_threshold: i64,
    /// Consecutive successes before a down check goes up (1..=100).
    pub recovery_threshold: i64,
    /// Seconds a started run may take; without it, grace.
    pub max_runtime: Option<i64>,
    /// A run closed faster than this many seconds is a failure (`too_fast`).
    pub min_runtime: Option<i64>,
    /// Seconds between reminders while down; 0 is off.
    pub reminder_interval: i64,
}

impl AlertPolicy {
    /// What makes the settings contradict each other, if anything: a
    /// `min_runtime` at or over `max_runtime` would make every run a failure
    /// (too fast, or else too long).
    pub fn contradiction(&self) -> Option<&'static str> {
        match (self.min_runtime, self.max_runtime) {
            (Some(min), Some(max)) if min >= max => Some("min_runtime must be less than max_runtime"),
            _ => None,
        }
    }
}

impl Default for AlertPolicy {
    fn default() -> Self {
        AlertPolicy {
            failure_threshold: 1,
            recovery_threshold: 1,
            max_runtime: None,
            min_runtime: None,
            reminder_interval: 0,
        }
    }
}

impl Default for Monitoring {
    fn default() -> Self {
        Monitoring {
            schedule: Schedule::Simple { timeout: DEFAULT_TIMEOUT },
            zone: Tz::UTC,
            grace: DEFAULT_GRACE,
            manual_resume: false,
            expect_first_ping: false,
            policy: AlertPolicy::default(),
        }
    }
}

impl Monitoring {
    pub fn from_stored(kind: &str, timeout: i64, schedule: &str, tz: &str, grace: i64) -> Result<Self, ConfigError> {
        let schedule = Schedule::from_stored(kind, timeout, schedule)?;
        let zone = parse_zone(tz).map_err(|_| ConfigError::Zone(tz.to_owned()))?;
        if !(MIN_PERIOD..=MAX_PERIOD).contains(&grace) {
            return Err(ConfigError::Grace(grace));
        }
        Ok(Monitoring { schedule, zone, grace, ..Monitoring::default() })
    }
}

/// The user-editable configuration of a check.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CheckConfig {
    pub name: String,
    pub slug: String,
    pub tags: Tags,
    pub desc: String,
    pub monitoring: Monitoring,
    /// How pings are classified (methods, body keywords).
    pub ping_rules: PingRules,
    /// healthchecks' email-subject filter flags: kept and shown, never used
    /// (edgebeat takes no email pings).
    pub filter_subject: bool,
    pub filter_body: bool,
}

impl CheckConfig {
    /// A check created by a `?create=1` ping is named after its slug.
    pub fn named_after_slug(slug: &str) -> Self {
        CheckConfig { name: slug.to_owned(), slug: slug.to_owned(), ..CheckConfig::default() }
    }

    /// `POST` for a POST-only check, empty otherwise (healthchecks' `methods`).
    pub fn methods(&self) -> &'static str {
        if self.ping_rules.post_only {
            "POST"
        } else {
            ""
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_schedules_round_trip_and_bad_ones_are_named() {
        let cron = Schedule::Cron(CronExpr::parse("0 3 * * 1-5").unwrap());
        let (timeout, text) = cron.stored();
        assert_eq!(Schedule::from_stored(cron.kind(), timeout, text), Ok(cron));
        let calendar = Schedule::parse("Mon..Fri *-*-* 02:00:00\n*-*-01 12:00").unwrap();
        assert_eq!(calendar.kind(), "oncalendar");
        let (timeout, text) = calendar.stored();
        assert_eq!(Schedule::from_stored("oncalendar", timeout, text), Ok(calendar));
        assert_eq!(Schedule::parse("0 3 * * *").map(|s| s.kind()), Ok("cron"));
        assert!(Schedule::parse("0 0 * *\n*").is_err(), "a newline makes it OnCalendar, and that one is invalid");
        let simple = Schedule::Simple { timeout: 300 };
        let (timeout, text) = simple.stored();
        assert_eq!(Schedule::from_stored("simple", timeout, text), Ok(simple));
        assert!(matches!(Schedule::from_stored("cron", 0, "nope"), Err(ConfigError::Schedule(..))));
        assert_eq!(Schedule::from_stored("simple", 5, ""), Err(ConfigError::Timeout(5)));
        assert_eq!(Schedule::from_stored("weekly", 60, ""), Err(ConfigError::Kind("weekly".into())));
        assert_eq!(
            Monitoring::from_stored("simple", 60, "", "Mars/Base", 60),
            Err(ConfigError::Zone("Mars/Base".into()))
        );
    }

    #[test]
    fn slugs_follow_healthchecks_pattern() {
        assert!(is_valid_slug("nightly-backup_2"));
        assert!(!is_valid_slug(""));
        assert!(!is_valid_slug("Upper"));
        assert!(!is_valid_slug(&"a".repeat(101)));
        assert!(is_valid_slug(&"a".repeat(100)));
    }
}
