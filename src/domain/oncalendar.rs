//! systemd OnCalendar schedules, healthchecks.io's third check kind.
//!
//! healthchecks.io treats a `schedule` that is not one line of five fields
//! (see [`looks_like_cron`]) as OnCalendar: one expression per line, each
//! optionally ending in a time zone, firing at the earliest of them. It
//! parses and evaluates them with the PyPI `oncalendar` library, version 1.1
//! (pinned in its requirements.txt), whose semantics are not systemd's in
//! every corner: `Fri..Mon` is refused, `~` days above 28 are refused, a
//! repeated wall-clock time fires once (at its first occurrence), a skipped
//! one not at all, and nothing fires from the year 2200 on.
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
//! which can hold a few extra names (`posix/...`, `right/...`, `localtime`,
//! `posixrules`) that are refused here.

use crate::domain::time::Timestamp;
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
                    if let Ok(tz) = crate::domain::cron::parse_zone(last) {
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
