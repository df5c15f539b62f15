//! systemd OnCalendar schedules, healthchecks.io's third check kind.
//!
//! healthchecks.io treats a `schedule` that is not one line of five fields
//! (see [`looks_like_cron`]) as OnCalendar: one expression per line, each
//! optionally ending in a time zone, firing at the earliest of them. It
//! parses and evaluates them with the PyPI `oncalendar` library, version 1.1
//! (pinned in its requirements.txt); this module copies that library's
//! semantics, quirks included: `Fri..Mon` and `~` days above 28 are refused,
//! a wall-clock time the clocks repeat fires once (at its first occurrence),
//! one they skip not at all, and nothing fires from the year 2200 on.
//!
//! Hand-written because no maintained Rust crate implements those semantics:
//! `cargo info` finds no `oncalendar`, `systemd-calendar`, `systemd_calendar`
//! or `systemd-time` crate (`cargo search` is not served by the registry this
//! project reaches), and the systemd crates that exist parse durations
//! (`systemd-duration`), not calendar events. The code follows the library's
//! algorithm step by step (sets of field values, then a forward search field
//! by field on local wall-clock time) so that its quirks carry over; the test
//! `tests/oncalendar_oracle.rs` compares the two on thousands of cases.
//!
//! Time zones are chrono-tz's; the library reads the system's tz database,
//! which can hold a few extra names (`Factory`, `localtime`, `posixrules`,
//! `posix/...`, `right/...`) that are not zones here. chrono-tz lists clock
//! changes up to 2099 only; see `stand_in_shift` for the years after.

use crate::time::Timestamp;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use std::collections::BTreeSet;

/// What healthchecks.io's API answers (after "json validation error: ") for a
/// schedule it cannot parse or that never fires, cron or OnCalendar alike.
/// (Its web form says "Not a valid OnCalendar expression.")
pub const INVALID_MESSAGE: &str = "schedule is not a valid cron or OnCalendar expression";

/// The library stops at this year, as systemd does.
const MAX_YEAR: i32 = 2200;

/// healthchecks.io validates a schedule by asking for its first firing after
/// this instant (2000-01-01T00:00:00Z) in UTC.
const VALIDATION_START: Timestamp = Timestamp::from_secs(946_684_800);

/// Why a schedule was refused. Display gives the library's own message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OnCalendarError {
    #[error("Wrong number of fields")]
    WrongNumberOfFields,
    #[error("Bad time")]
    BadTime,
    #[error("Bad date")]
    BadDate,
    #[error("Bad {}", .0.name())]
    Bad(Field),
    /// Parsed, but no firing after 2000-01-01 (before 2200), which
    /// healthchecks.io refuses as well.
    #[error("No firing after 2000-01-01")]
    NeverFires,
}

/// The components of an expression, as the library names them in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Weekday,
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
}

type Set = BTreeSet<i32>;

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Weekday => "day-of-week",
            Field::Year => "year",
            Field::Month => "month",
            Field::Day => "day-of-month",
            Field::Hour => "hour",
            Field::Minute => "minute",
            Field::Second => "second",
        }
    }

    /// The values the field accepts, inclusive (weekdays: Monday = 0).
    fn bounds(self) -> (i32, i32) {
        match self {
            Field::Weekday => (0, 6),
            Field::Year => (1970, MAX_YEAR - 1),
            Field::Month => (1, 12),
            Field::Day => (1, 31),
            Field::Hour => (0, 23),
            Field::Minute | Field::Second => (0, 59),
        }
    }

    fn bad(self) -> OnCalendarError {
        OnCalendarError::Bad(self)
    }

    /// ASCII digits only, saturating (a huge number is out of every range).
    fn digits(self, s: &str) -> Result<u64, OnCalendarError> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.bad());
        }
        Ok(s.bytes().fold(0u64, |n, b| n.saturating_mul(10).saturating_add(u64::from(b - b'0'))))
    }

    /// One value: a weekday name, or a number in range (years 0-69 and 70-99
    /// meaning 2000-2069 and 1970-1999).
    fn value(self, s: &str) -> Result<i32, OnCalendarError> {
        if self == Field::Weekday {
            const DAYS: [&str; 7] = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"];
            let upper = s.to_uppercase();
            let found = DAYS.iter().position(|day| *day == upper || day[..3] == upper);
            return found.map(|i| i as i32).ok_or(self.bad());
        }
        let mut v = self.digits(s)?;
        if self == Field::Year && v < 70 {
            v += 2000;
        }
        if self == Field::Year && v < 100 {
            v += 1900;
        }
        let (low, high) = self.bounds();
        match i32::try_from(v) {
            Ok(v) if (low..=high).contains(&v) => Ok(v),
            _ => Err(self.bad()),
        }
    }

    /// One component (`*`, lists, `a..b` ranges, `/` steps, `~` days counted
    /// from the month's end as negative numbers), in the library's order of checks.
    fn parse(self, s: &str, reverse: bool) -> Result<Set, OnCalendarError> {
        if self == Field::Day {
            if let Some(rest) = s.strip_prefix('~') {
                return self.parse(rest, true);
            }
        }
        let (low, high) = self.bounds();
        if self != Field::Weekday && s == "*" {
            return Ok((low..=high).collect());
        }
        if s.contains('*') {
            return Err(self.bad());
        }
        if self == Field::Weekday {
            // "Mon, 1-1" is "Mon 1-1", and "Mon-Fri" is "Mon..Fri".
            let s = s.trim_end_matches(',');
            if s.contains('-') {
                return self.parse(&s.replace('-', ".."), false);
            }
            if s.contains(',') {
                return s.split(',').map(|term| self.parse(term, false)).try_fold(Set::new(), union);
            }
            return self.range_or_value(s, false);
        }
        if s.contains(',') {
            return s.split(',').map(|term| self.parse(term, reverse)).try_fold(Set::new(), union);
        }
        if let Some((term, step)) = s.split_once('/') {
            let step = usize::try_from(self.digits(step)?).unwrap_or(usize::MAX);
            if step == 0 {
                return Err(self.bad());
            }
            let items = self.parse(term, reverse)?;
            return Ok(match items.first() {
                // A single start repeats up to the end of the range (to 0 for `~`).
                Some(&start) if items.len() == 1 => {
                    let end = if reverse { 0 } else { high };
                    (start..=end).step_by(step).collect()
                }
                _ => items.into_iter().step_by(step).collect(),
            });
        }
        self.range_or_value(s, reverse)
    }

    fn range_or_value(self, s: &str, reverse: bool) -> Result<Set, OnCalendarError> {
        if let Some((start, end)) = s.split_once("..") {
            let (start, end) = (self.value(start)?, self.value(end)?);
            if end < start {
                return Err(self.bad());
            }
            return Ok(if reverse { (-end..=-start).collect() } else { (start..=end).collect() });
        }
        let v = self.value(s)?;
        if reverse {
            // systemd refuses `~` days above 28, and the library with it.
            if v > 28 {
                return Err(self.bad());
            }
            return Ok(Set::from([-v]));
        }
        Ok(Set::from([v]))
    }
}

fn union(mut all: Set, more: Result<Set, OnCalendarError>) -> Result<Set, OnCalendarError> {
    all.extend(more?);
    Ok(all)
}

/// Python's whitespace (`str.split()`, `str.strip()`): Unicode's, and the
/// four ASCII separators U+001C..U+001F.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

fn py_split(s: &str) -> Vec<&str> {
    s.split(is_py_space).filter(|part| !part.is_empty()).collect()
}

/// healthchecks.io's `guess_kind`: a schedule that is one line of five
/// whitespace-separated fields is cron; anything else is OnCalendar.
pub fn looks_like_cron(schedule: &str) -> bool {
    !schedule.trim_matches(is_py_space).contains('\n') && py_split(schedule).len() == 5
}

/// One expression: the value sets of its fields, and its own zone if it names one.
#[derive(Clone, Debug, PartialEq)]
struct Expr {
    zone: Option<Tz>,
    weekdays: Set,
    years: Set,
    months: Set,
    /// Negative: counted from the month's end (-1 is the last day).
    days: Set,
    hours: Set,
    minutes: Set,
    seconds: Set,
}

/// Shorthands the library expands (matched case-insensitively).
const SPECIALS: [(&str, &str); 9] = [
    ("minutely", "*-*-* *:*:00"),
    ("hourly", "*-*-* *:00:00"),
    ("daily", "*-*-* 00:00:00"),
    ("monthly", "*-*-01 00:00:00"),
    ("weekly", "Mon *-*-* 00:00:00"),
    ("yearly", "*-01-01 00:00:00"),
    ("annually", "*-01-01 00:00:00"),
    ("quarterly", "*-01,04,07,10-01 00:00:00"),
    ("semiannually", "*-01,07-01 00:00:00"),
];

impl Expr {
    /// One line: `[weekdays] [date] [time] [zone]`.
    fn parse(line: &str) -> Result<Expr, OnCalendarError> {
        let mut text = line.trim_matches(is_py_space);
        let mut zone = None;
        // Only a line with a space can end in a zone; no zone name starts
        // with a digit or `*`.
        if text.contains(' ') {
            if let Some((head, last)) = text.rsplit_once(is_py_space) {
                if !last.starts_with(|c: char| c.is_ascii_digit() || c == '*') {
                    if let Ok(tz) = crate::cron::parse_zone(last) {
                        zone = Some(tz);
                        text = head.trim_end_matches(is_py_space);
                    }
                }
            }
        }
        let lower = text.to_lowercase();
        if let Some((_, expansion)) = SPECIALS.iter().find(|(name, _)| *name == lower) {
            text = expansion;
        }
        let replaced = text.replace('~', "-~");
        let mut parts = py_split(&replaced);
        if parts.is_empty() {
            return Err(OnCalendarError::WrongNumberOfFields);
        }

        let (mut hours, mut minutes, mut seconds) = (Set::from([0]), Set::from([0]), Set::from([0]));
        if let Some(time) = parts.pop_if(|last| last.contains(':')) {
            let fields: Vec<&str> = time.split(':').collect();
            let (h, m, s) = match fields[..] {
                [h, m] => (h, m, "0"),
                [h, m, s] => (h, m, s),
                _ => return Err(OnCalendarError::BadTime),
            };
            hours = Field::Hour.parse(h, false)?;
            minutes = Field::Minute.parse(m, false)?;
            seconds = Field::Second.parse(s, false)?;
        }

        let full = |field: Field| -> Set {
            let (low, high) = field.bounds();
            (low..=high).collect()
        };
        let (mut years, mut months, mut days) = (full(Field::Year), full(Field::Month), full(Field::Day));
        let is_date = |part: &&str| part.contains('-') && part.starts_with(|c: char| c.is_ascii_digit() || c == '*');
        if let Some(date) = parts.pop_if(|last| is_date(last)) {
            let fields: Vec<&str> = date.split('-').collect();
            let (y, m, d) = match fields[..] {
                [m, d] => ("*", m, d),
                [y, m, d] => (y, m, d),
                _ => return Err(OnCalendarError::BadDate),
            };
            years = Field::Year.parse(y, false)?;
            months = Field::Month.parse(m, false)?;
            days = Field::Day.parse(d, false)?;
        }

        let weekdays = match parts[..] {
            [] => full(Field::Weekday),
            [weekdays] => Field::Weekday.parse(weekdays, false)?,
            [weekdays, ..] => {
                // The library parses the weekdays before it counts.
                Field::Weekday.parse(weekdays, false)?;
                return Err(OnCalendarError::WrongNumberOfFields);
            }
        };
        Ok(Expr { zone, weekdays, years, months, days, hours, minutes, seconds })
    }

    /// What the line fires on, for putting it in words (weekdays from Monday = 0 to Sunday = 0).
    fn calendar(&self) -> crate::schedule_words::Calendar {
        let unsigned = |set: &Set| set.iter().map(|v| *v as u32).collect::<Vec<u32>>();
        let (low, high) = Field::Year.bounds();
        let every_year = self.years.len() as i32 == high - low + 1;
        crate::schedule_words::Calendar {
            seconds: unsigned(&self.seconds),
            minutes: unsigned(&self.minutes),
            hours: unsigned(&self.hours),
            days: self.days.iter().copied().collect(),
            weekdays: self.weekdays.iter().map(|d| (*d as u32 + 1) % 7).collect(),
            months: unsigned(&self.months),
            years: (!every_year).then(|| self.years.iter().copied().collect()),
            days_and: true,
            zone: self.zone.map(|z| z.name().to_owned()),
            ..Default::default()
        }
    }

    fn matches_day(&self, date: NaiveDate) -> bool {
        let weekday = date.weekday().num_days_from_monday() as i32;
        let day = date.day() as i32;
        let from_end = day - days_in_month(date) - 1;
        self.weekdays.contains(&weekday) && (self.days.contains(&day) || self.days.contains(&from_end))
    }

    /// The library's search: the first wall-clock time after `start` (in
    /// whole seconds) that matches every field, exists in `zone` and falls
    /// before 2200. Each step moves forward to the next value of one field,
    /// resets the smaller ones and starts over from the year.
    fn next_local(&self, start: NaiveDateTime, zone: Tz) -> Option<NaiveDateTime> {
        let second = TimeDelta::seconds(1);
        let mut dt = start.with_nanosecond(0)?.checked_add_signed(second)?;
        loop {
            if !self.years.contains(&dt.year()) {
                let year = (dt.year()..MAX_YEAR).find(|y| self.years.contains(y)).unwrap_or(dt.year().max(MAX_YEAR));
                dt = midnight(NaiveDate::from_ymd_opt(year, 1, 1)?);
            }
            if dt.year() >= MAX_YEAR {
                return None;
            }
            if !self.months.contains(&(dt.month() as i32)) {
                let mut month = dt.date().with_day(1)?;
                while !self.months.contains(&(month.month() as i32)) {
                    month = month.checked_add_months(chrono::Months::new(1))?;
                }
                dt = midnight(month);
                continue;
            }
            if !self.matches_day(dt.date()) {
                let mut day = dt.date();
                loop {
                    day = day.succ_opt()?;
                    if self.matches_day(day) || day.day() == 1 {
                        break;
                    }
                }
                dt = midnight(day);
                continue;
            }
            if !self.hours.contains(&(dt.hour() as i32)) {
                dt = dt.with_minute(0)?.with_second(0)?;
                loop {
                    dt += TimeDelta::hours(1);
                    if self.hours.contains(&(dt.hour() as i32)) || dt.hour() == 0 {
                        break;
                    }
                }
                continue;
            }
            if !self.minutes.contains(&(dt.minute() as i32)) {
                dt = dt.with_second(0)?;
                loop {
                    dt += TimeDelta::minutes(1);
                    if self.minutes.contains(&(dt.minute() as i32)) || dt.minute() == 0 {
                        break;
                    }
                }
                continue;
            }
            if !self.seconds.contains(&(dt.second() as i32)) {
                loop {
                    dt += second;
                    if self.seconds.contains(&(dt.second() as i32)) || dt.second() == 0 {
                        break;
                    }
                }
                continue;
            }
            // A time the clock skips (spring forward) does not fire.
            if to_instant(zone, dt).is_none() {
                dt += second;
                continue;
            }
            return Some(dt);
        }
    }
}

/// chrono-tz lists clock changes only up to 2099, where Python's zoneinfo
/// goes on with each zone's last rule. So from 2090 on, a year is read as the
/// year of 2062-2089 that starts on the same weekday and is as long: the same
/// rule changes the clocks on the same dates there.
fn stand_in_shift(year: i32) -> TimeDelta {
    const FIRST_SHIFTED: i32 = 2090;
    let jan1 = |y: i32| NaiveDate::from_ymd_opt(y, 1, 1);
    let is_leap = |y: i32| NaiveDate::from_ymd_opt(y, 2, 29).is_some();
    let (Some(start), true) = (jan1(year), year >= FIRST_SHIFTED) else { return TimeDelta::zero() };
    (FIRST_SHIFTED - 28..FIRST_SHIFTED)
        .filter_map(|y| jan1(y).filter(|d| is_leap(y) == is_leap(year) && d.weekday() == start.weekday()))
        .map(|d| start.signed_duration_since(d))
        .next()
        .unwrap_or_default()
}

/// The wall-clock time in `zone` at `instant`.
fn to_local(zone: Tz, instant: DateTime<Utc>) -> Option<NaiveDateTime> {
    let shift = stand_in_shift(instant.year());
    let local = instant.checked_sub_signed(shift)?.with_timezone(&zone).naive_local();
    local.checked_add_signed(shift)
}

/// The instant of a wall-clock time in `zone`: the first of two when the
/// clocks go back (Python's `fold=0`), none when they skip it.
fn to_instant(zone: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    let shift = stand_in_shift(local.year());
    let instant = zone.from_local_datetime(&local.checked_sub_signed(shift)?).earliest()?;
    instant.with_timezone(&Utc).checked_add_signed(shift)
}

fn midnight(date: NaiveDate) -> NaiveDateTime {
    date.and_time(chrono::NaiveTime::MIN)
}

fn days_in_month(date: NaiveDate) -> i32 {
    let first = date.with_day(1).unwrap_or(date);
    let next = first.checked_add_months(chrono::Months::new(1)).unwrap_or(first);
    next.signed_duration_since(first).num_days() as i32
}

/// A parsed OnCalendar schedule: one or more expressions.
#[derive(Clone, Debug, PartialEq)]
pub struct OnCalendar {
    source: String,
    exprs: Vec<Expr>,
}

impl OnCalendar {
    /// Parses one expression per line, as the library does (surrounding
    /// whitespace ignored, an empty line between two expressions refused),
    /// and refuses, as healthchecks.io does, a schedule that does not fire
    /// after 2000-01-01T00:00:00Z.
    pub fn parse(text: &str) -> Result<OnCalendar, OnCalendarError> {
        let exprs = text.trim_matches(is_py_space).split('\n').map(Expr::parse).collect::<Result<Vec<_>, _>>()?;
        let schedule = OnCalendar { source: text.to_owned(), exprs };
        if schedule.next_after(VALIDATION_START, Tz::UTC).is_none() {
            return Err(OnCalendarError::NeverFires);
        }
        Ok(schedule)
    }

    /// The schedule exactly as given.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The schedule in words, one sentence per expression: "At 02:00 on Monday through Friday".
    pub fn describe(&self) -> String {
        let mut text = String::new();
        for (i, expr) in self.exprs.iter().enumerate() {
            let line = crate::schedule_words::describe(&expr.calendar());
            if i == 0 {
                text = line;
            } else {
                // "...; and at 12:00 on ..."
                let mut chars = line.chars();
                let first = chars.next().map(|c| c.to_lowercase().collect::<String>()).unwrap_or_default();
                text.push_str(&format!("; and {first}{}", chars.as_str()));
            }
        }
        text
    }

    /// The next firing after `after`, as the library's first `next()` from
    /// `after` seen in `default_zone` (healthchecks.io's grace start): each
    /// expression in its own zone, or `default_zone`; the earliest by
    /// wall-clock time in `default_zone`, the first expression on a tie.
    ///
    /// A wall-clock time that occurs twice fires once, at its first
    /// occurrence; so from inside the repeated hour, the answer can be that
    /// first occurrence, before `after`, exactly as the library answers.
    /// None when no expression fires again before 2200.
    pub fn next_after(&self, after: Timestamp, default_zone: Tz) -> Option<Timestamp> {
        let after = DateTime::from_timestamp(after.secs(), 0).filter(|t| t.year() < MAX_YEAR)?;
        let mut best: Option<(NaiveDateTime, DateTime<Utc>)> = None;
        for expr in &self.exprs {
            let zone = expr.zone.unwrap_or(default_zone);
            let Some(instant) = to_local(zone, after)
                .and_then(|start| expr.next_local(start, zone))
                .and_then(|local| to_instant(zone, local))
            else {
                continue;
            };
            // The library compares its results as datetimes in the check's
            // zone, which Python compares by wall-clock time alone.
            let Some(wall) = to_local(default_zone, instant) else { continue };
            if best.as_ref().is_none_or(|(best_wall, _)| wall < *best_wall) {
                best = Some((wall, instant));
            }
        }
        best.map(|(_, instant)| Timestamp::from_datetime(&instant))
    }
}

#[cfg(test)]
mod tests {
    //! Expected instants are the PyPI `oncalendar` library's (1.1), each
    //! firing the first `next()` from the previous one, as healthchecks.io
    //! computes them; tests/oncalendar_oracle.rs compares thousands more.
    use super::*;
    use chrono::NaiveDateTime;

    fn at(text: &str) -> Timestamp {
        let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").expect("a UTC date");
        Timestamp::from_datetime(&naive.and_utc())
    }

    /// `n` firings in UTC, chained; "never" once there are none.
    fn firings(schedule: &str, zone: &str, start: &str, n: usize) -> Vec<String> {
        let parsed = OnCalendar::parse(schedule).unwrap_or_else(|e| panic!("{schedule:?}: {e}"));
        let zone = crate::cron::parse_zone(zone).expect("a zone");
        let mut out = Vec::new();
        let mut after = at(start);
        while out.len() < n {
            let Some(next) = parsed.next_after(after, zone) else {
                out.push("never".to_owned());
                break;
            };
            out.push(next.to_datetime().format("%Y-%m-%dT%H:%M:%S").to_string());
            after = next;
        }
        out
    }

    fn error(schedule: &str) -> String {
        match OnCalendar::parse(schedule) {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn weekday_lists_and_ranges() {
        let start = "2024-06-07T12:00:00"; // a Friday
        assert_eq!(
            firings("Mon..Fri 02:00", "UTC", start, 3),
            ["2024-06-10T02:00:00", "2024-06-11T02:00:00", "2024-06-12T02:00:00"]
        );
        assert_eq!(
            firings("Mon,Wed", "UTC", start, 3),
            ["2024-06-10T00:00:00", "2024-06-12T00:00:00", "2024-06-17T00:00:00"]
        );
        let monday = "2024-06-03T12:00:00";
        assert_eq!(
            firings("Sat-Sun 10:00", "UTC", monday, 3),
            ["2024-06-08T10:00:00", "2024-06-09T10:00:00", "2024-06-15T10:00:00"]
        );
        assert_eq!(
            firings("mon, 08:00", "UTC", monday, 3),
            ["2024-06-10T08:00:00", "2024-06-17T08:00:00", "2024-06-24T08:00:00"]
        );
        assert_eq!(
            firings("Friday *-*-13", "UTC", "2024-01-01T00:00:00", 3),
            ["2024-09-13T00:00:00", "2024-12-13T00:00:00", "2025-06-13T00:00:00"]
        );
    }

    #[test]
    fn dates_and_times_with_lists_ranges_and_steps() {
        let start = "2024-06-07T12:00:00";
        assert_eq!(
            firings("*-*-* 02:00:00", "Europe/Riga", start, 3),
            ["2024-06-07T23:00:00", "2024-06-08T23:00:00", "2024-06-09T23:00:00"]
        );
        assert_eq!(
            firings("*-*-1,15 12:00", "UTC", start, 3),
            ["2024-06-15T12:00:00", "2024-07-01T12:00:00", "2024-07-15T12:00:00"]
        );
        assert_eq!(
            firings("*-2..3-* 00:00", "UTC", "2024-03-30T12:00:00", 3),
            ["2024-03-31T00:00:00", "2025-02-01T00:00:00", "2025-02-02T00:00:00"]
        );
        assert_eq!(
            firings("*-*-* 0/6:00", "UTC", "2024-06-07T13:00:00", 3),
            ["2024-06-07T18:00:00", "2024-06-08T00:00:00", "2024-06-08T06:00:00"]
        );
        assert_eq!(
            firings("*-*-* 1..10/3:00", "UTC", "2024-06-07T05:00:00", 3),
            ["2024-06-07T07:00:00", "2024-06-07T10:00:00", "2024-06-08T01:00:00"]
        );
        assert_eq!(
            firings("2024/2-01-01", "UTC", "2024-06-07T13:00:00", 3),
            ["2026-01-01T00:00:00", "2028-01-01T00:00:00", "2030-01-01T00:00:00"]
        );
        // Two-digit years: 0-69 are 20xx, 70-99 19xx.
        assert_eq!(firings("24-01-01", "UTC", "2020-06-07T13:00:00", 2), ["2024-01-01T00:00:00", "never"]);
    }

    #[test]
    fn seconds() {
        assert_eq!(
            firings("*:0/20:15", "UTC", "2024-06-07T13:30:00", 3),
            ["2024-06-07T13:40:15", "2024-06-07T14:00:15", "2024-06-07T14:20:15"]
        );
        assert_eq!(
            firings("*-*-* *:*:0/20", "UTC", "2024-06-07T13:00:50", 3),
            ["2024-06-07T13:01:00", "2024-06-07T13:01:20", "2024-06-07T13:01:40"]
        );
        assert_eq!(
            firings("12:00:30", "UTC", "2024-06-07T13:00:00", 3),
            ["2024-06-08T12:00:30", "2024-06-09T12:00:30", "2024-06-10T12:00:30"]
        );
        // The start is cut to the second before searching past it.
        assert_eq!(
            firings("daily", "UTC", "2024-06-07T12:00:00.999", 2),
            ["2024-06-08T00:00:00", "2024-06-09T00:00:00"]
        );
    }

    #[test]
    fn last_days_of_the_month() {
        assert_eq!(
            firings("*-*~1", "UTC", "2024-02-28T12:00:00", 3),
            ["2024-02-29T00:00:00", "2024-03-31T00:00:00", "2024-04-30T00:00:00"]
        );
        assert_eq!(
            firings("*-02~03", "UTC", "2024-01-01T00:00:00", 3),
            ["2024-02-27T00:00:00", "2025-02-26T00:00:00", "2026-02-26T00:00:00"]
        );
        assert_eq!(
            firings("*-*~07/2 12:00", "UTC", "2024-04-23T00:00:00", 3),
            ["2024-04-24T12:00:00", "2024-04-26T12:00:00", "2024-04-28T12:00:00"]
        );
        assert_eq!(error("*-*~1..31"), "ok");
        assert_eq!(error("*-*~29"), "Bad day-of-month");
        assert_eq!(error("*-*-~1"), "Bad date"); // `~` replaces the `-` before the day
    }

    #[test]
    fn shorthands() {
        let start = "2024-06-07T12:00:00";
        let cases: &[(&str, [&str; 2])] = &[
            ("minutely", ["2024-06-07T12:01:00", "2024-06-07T12:02:00"]),
            ("hourly", ["2024-06-07T13:00:00", "2024-06-07T14:00:00"]),
            ("daily", ["2024-06-08T00:00:00", "2024-06-09T00:00:00"]),
            ("weekly", ["2024-06-10T00:00:00", "2024-06-17T00:00:00"]),
            ("monthly", ["2024-07-01T00:00:00", "2024-08-01T00:00:00"]),
            ("Quarterly", ["2024-07-01T00:00:00", "2024-10-01T00:00:00"]),
            ("semiannually", ["2024-07-01T00:00:00", "2025-01-01T00:00:00"]),
            ("YEARLY", ["2025-01-01T00:00:00", "2026-01-01T00:00:00"]),
            ("annually", ["2025-01-01T00:00:00", "2026-01-01T00:00:00"]),
        ];
        for (schedule, expected) in cases {
            assert_eq!(firings(schedule, "UTC", start, 2), expected, "{schedule}");
        }
        assert_eq!(firings("daily", "Europe/Riga", start, 1), ["2024-06-07T21:00:00"]);
        assert_eq!(error("biweekly"), "Bad day-of-week");
    }

    #[test]
    fn zones_and_several_expressions() {
        let start = "2024-06-07T12:00:00";
        assert_eq!(
            firings("12:00 Europe/Riga", "America/New_York", start, 2),
            ["2024-06-08T09:00:00", "2024-06-09T09:00:00"]
        );
        assert_eq!(
            firings("12:00 Europe/Riga\n12:00 America/New_York", "UTC", start, 3),
            ["2024-06-07T16:00:00", "2024-06-08T09:00:00", "2024-06-08T16:00:00"]
        );
        assert_eq!(firings(" daily \r\n  hourly\n", "UTC", start, 2), ["2024-06-07T13:00:00", "2024-06-07T14:00:00"]);
        // A zone is only read after a space, and must be one.
        assert_eq!(error("daily\tUTC"), "Bad day-of-week");
        assert_eq!(error("12:00 Europe/Surprise"), "Bad day-of-week");
        assert_eq!(error("Europe/Riga"), "Bad day-of-week");
        assert_eq!(error("daily\n\nweekly"), "Wrong number of fields");
    }

    #[test]
    fn skipped_times_do_not_fire() {
        // Riga skips 03:00-04:00 on 2024-03-31.
        assert_eq!(
            firings("03:30", "Europe/Riga", "2024-03-30T12:00:00", 2),
            ["2024-04-01T00:30:00", "2024-04-02T00:30:00"]
        );
        assert_eq!(
            firings("*:30", "Europe/Riga", "2024-03-31T00:00:00", 4),
            ["2024-03-31T00:30:00", "2024-03-31T01:30:00", "2024-03-31T02:30:00", "2024-03-31T03:30:00"]
        );
        // Lord Howe moves from 02:00 to 02:30 on 2024-10-06.
        assert_eq!(
            firings("02:00", "Australia/Lord_Howe", "2024-10-05T12:00:00", 2),
            ["2024-10-06T15:00:00", "2024-10-07T15:00:00"]
        );
    }

    #[test]
    fn repeated_times_fire_once_at_their_first_occurrence() {
        // Riga repeats 03:00-04:00 on 2024-10-27 (00:00Z-01:00Z, then 01:00Z-02:00Z).
        assert_eq!(
            firings("03:30", "Europe/Riga", "2024-10-26T12:00:00", 3),
            ["2024-10-27T00:30:00", "2024-10-28T01:30:00", "2024-10-29T01:30:00"]
        );
        assert_eq!(
            firings("*:30", "Europe/Riga", "2024-10-27T00:10:00", 4),
            ["2024-10-27T00:30:00", "2024-10-27T02:30:00", "2024-10-27T03:30:00", "2024-10-27T04:30:00"]
        );
        // From inside the second pass, the first one (before the start) is next.
        assert_eq!(
            firings("*:30", "Europe/Riga", "2024-10-27T01:10:00", 2),
            ["2024-10-27T00:30:00", "2024-10-27T02:30:00"]
        );
        // Several expressions are compared by wall-clock time in the check's zone:
        // 01:30 EST (06:30Z) comes before 01:45 EDT (05:45Z).
        assert_eq!(
            firings("01:45\n06:30 UTC", "America/New_York", "2024-11-03T04:00:00", 3),
            ["2024-11-03T06:30:00", "2024-11-03T05:45:00", "2024-11-03T06:30:00"]
        );
    }

    #[test]
    fn far_future() {
        // Nothing from 2200 on.
        assert_eq!(firings("2199-12-31 23:59:59", "UTC", "2199-12-31T00:00:00", 2), ["2199-12-31T23:59:59", "never"]);
        assert_eq!(OnCalendar::parse("daily").map(|s| s.next_after(at("2200-01-01T00:00:00"), Tz::UTC)), Ok(None));
        // Summer time goes on past chrono-tz's last listed change, as in zoneinfo.
        assert_eq!(
            firings("2150-03-* 03:30", "Europe/Riga", "2150-03-25T12:00:00", 3),
            ["2150-03-26T01:30:00", "2150-03-27T01:30:00", "2150-03-28T01:30:00"]
        );
    }

    #[test]
    fn refuses_what_the_library_refuses() {
        let cases = [
            ("", "Wrong number of fields"),
            ("   ", "Wrong number of fields"),
            ("Mon Tue Wed", "Wrong number of fields"),
            ("Fri..Mon", "Bad day-of-week"),
            ("* 00:00", "Bad day-of-week"),
            ("Mo", "Bad day-of-week"),
            ("12:00 Mon", "Bad day-of-week"),
            ("12", "Bad day-of-week"),
            ("*-*-* */2:00", "Bad hour"),
            ("24:00", "Bad hour"),
            ("*:1,*", "Bad minute"),
            ("*:0/0", "Bad minute"),
            ("*:1_0", "Bad minute"),
            ("00:60", "Bad minute"),
            ("12:00:00.5", "Bad second"),
            ("12:00:00:00", "Bad time"),
            ("2024-01-01-01", "Bad date"),
            ("*-*-5..3", "Bad day-of-month"),
            ("*-*-32", "Bad day-of-month"),
            ("*-13-01", "Bad month"),
            ("2024-01", "Bad month"),
            ("1969-01-01", "Bad year"),
            // Parsed, but healthchecks.io refuses what never fires after 2000.
            ("2001-02-30", "No firing after 2000-01-01"),
            ("1999-12-31 23:00 Asia/Tokyo", "No firing after 2000-01-01"),
            ("1999-12-31 23:00 America/New_York", "ok"),
        ];
        for (schedule, expected) in cases {
            assert_eq!(error(schedule), expected, "{schedule:?}");
        }
        assert_eq!(OnCalendar::parse("Mon").map_err(|_| ()).map(|_| ()), Ok(()));
    }

    #[test]
    fn keeps_the_source_and_guesses_the_kind() {
        let text = " Mon..Fri 09:00 Europe/Riga\n";
        assert_eq!(OnCalendar::parse(text).map(|s| s.source().to_owned()), Ok(text.to_owned()));
        assert!(looks_like_cron("*/5 * * * *"));
        assert!(looks_like_cron(" 0 9 * * 1-5 \n"));
        assert!(!looks_like_cron("0 9 * *\n*"));
        assert!(!looks_like_cron("Mon..Fri 09:00"));
        assert!(!looks_like_cron("0 9 * * 1 Europe/Riga"));
        assert!(looks_like_cron("0\u{1c}9 * * *"));
        assert_eq!(INVALID_MESSAGE, "schedule is not a valid cron or OnCalendar expression");
    }
}
