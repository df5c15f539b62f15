//! Instants in time, stored and compared as Unix milliseconds.

use chrono::{DateTime, SecondsFormat, Utc};
use std::fmt;

/// An instant, in milliseconds since the Unix epoch (UTC).
///
/// D1 cannot bind 64-bit integers, so it crosses that boundary as an `f64`,
/// which is exact for every millisecond timestamp of the next 280,000 years.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_millis(millis: i64) -> Self {
        Timestamp(millis)
    }

    pub const fn from_secs(secs: i64) -> Self {
        Timestamp(secs * 1000)
    }

    pub const fn millis(self) -> i64 {
        self.0
    }

    /// Whole seconds, rounded towards the past.
    pub const fn secs(self) -> i64 {
        self.0.div_euclid(1000)
    }

    pub fn plus_secs(self, secs: i64) -> Self {
        Timestamp(self.0.saturating_add(secs.saturating_mul(1000)))
    }

    pub fn plus_millis(self, millis: i64) -> Self {
        Timestamp(self.0.saturating_add(millis))
    }

    pub fn to_datetime(self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.0).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    pub fn from_datetime<Tz: chrono::TimeZone>(dt: &DateTime<Tz>) -> Self {
        Timestamp(dt.timestamp_millis())
    }

    /// ISO 8601 with whole seconds and an explicit `+00:00`, as healthchecks.io
    /// formats every date in its API (`2020-03-24T14:02:03+00:00`).
    pub fn iso8601(self) -> String {
        let secs = Timestamp::from_secs(self.secs()).to_datetime();
        secs.to_rfc3339_opts(SecondsFormat::Secs, false)
    }

    /// ISO 8601 keeping microseconds when there are any, as healthchecks.io
    /// formats ping dates (`2020-06-09T14:51:06.113000+00:00`).
    pub fn iso8601_precise(self) -> String {
        if self.0.rem_euclid(1000) == 0 {
            return self.iso8601();
        }
        self.to_datetime().to_rfc3339_opts(SecondsFormat::Micros, false)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.iso8601())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_healthchecks() {
        let t = Timestamp::from_millis(1_585_058_523_456);
        assert_eq!(t.iso8601(), "2020-03-24T14:02:03+00:00");
        assert_eq!(t.iso8601_precise(), "2020-03-24T14:02:03.456000+00:00");
        assert_eq!(Timestamp::from_secs(1_585_058_523).iso8601_precise(), "2020-03-24T14:02:03+00:00");
    }

    #[test]
    fn whole_seconds_round_towards_the_past() {
        assert_eq!(Timestamp::from_millis(-1).secs(), -1);
        assert_eq!(Timestamp::from_millis(1999).secs(), 1);
    }
}
