//! Unix 5-field cron schedules evaluated in an IANA time zone.
//!
//! The semantics are healthchecks.io's (its `cronsim` library), which follow
//! Debian/Vixie cron. This module parses and validates the expression itself,
//! because the `cron` crate wants a seconds field, numbers weekdays from
//! Sunday = 1, ANDs the two day fields and accepts syntax cron does not. It
//! hands the crate explicit value lists for the calendar iteration and adds
//! the time zone and daylight saving rules on top.

use crate::domain::time::Timestamp;
use chrono::{DateTime, Datelike, LocalResult, Months, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use cron::Schedule;
use std::fmt;
use std::str::FromStr;

/// One of the five fields of a cron expression, as named in error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CronField {
    Minute,
    Hour,
    DayOfMonth,
    Month,
    DayOfWeek,
}

impl CronField {
    /// The smallest and largest number the field accepts (7 is Sunday's second number).
    fn bounds(self) -> (u32, u32) {
        match self {
            CronField::Minute => (0, 59),
            CronField::Hour => (0, 23),
            CronField::DayOfMonth => (1, 31),
            CronField::Month => (1, 12),
            CronField::DayOfWeek => (0, 7),
        }
    }

    /// The three-letter names the field accepts, and the number of the first one.
    fn names(self) -> (&'static [&'static str], u32) {
        const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
        const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
        match self {
            CronField::Month => (&MONTHS, 1),
            CronField::DayOfWeek => (&WEEKDAYS, 0),
            _ => (&[], 0),
        }
    }
}

impl fmt::Display for CronField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CronField::Minute => "minute",
            CronField::Hour => "hour",
            CronField::DayOfMonth => "day-of-month",
            CronField::Month => "month",
            CronField::DayOfWeek => "day-of-week",
        })
    }
}

/// Why an expression was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CronError {
    #[error("expected 5 fields, got {0}")]
    FieldCount(usize),
    #[error("{0:?} macros are not supported, use the 5-field form")]
    Macro(String),
    #[error("{field} field: {item:?} is not a number, name, range, list or step")]
    Malformed { field: CronField, item: String },
    #[error("{field} value {value} is out of range {min}-{max}")]
    OutOfRange { field: CronField, value: String, min: u32, max: u32 },
    #[error("{field} range {range} is reversed")]
    ReversedRange { field: CronField, range: String },
    #[error("{field} step must be at least 1")]
    ZeroStep { field: CronField },
    #[error("day-of-month {0} does not occur in any of the selected months")]
    ImpossibleDay(u32),
    #[error("the schedule never fires")]
    NeverFires,
    /// The `cron` crate refused the translated schedule; a bug here, not in the input.
    #[error("cannot build the schedule: {0}")]
    Translation(String),
}

/// A time zone name that chrono-tz does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone {0:?}")]
pub struct ZoneError(pub String);

/// Any IANA name chrono-tz knows, including "UTC" and the legacy aliases
/// ("US/Eastern", "Europe/Kiev"). Exact spelling, as healthchecks.io requires.
pub fn parse_zone(name: &str) -> Result<Tz, ZoneError> {
    name.parse::<Tz>().map_err(|_| ZoneError(name.to_owned()))
}

/// A parsed cron expression, ready to compute firing instants in any zone.
#[derive(Clone, Debug, PartialEq)]
pub struct CronExpr {
    source: String,
    /// The expression fires at the union of these: one schedule, or two when
    /// the day-of-month and day-of-week fields are ORed (the crate always ANDs).
    schedules: Vec<Schedule>,
    /// Neither the minute nor the hour field starts with `*`: the job runs at
    /// fixed wall-clock times and gets Debian cron's DST handling.
    fixed_time: bool,
}

impl CronExpr {
    pub fn parse(expr: &str) -> Result<CronExpr, CronError> {
        let source = expr.trim();
        let texts: Vec<&str> = source.split_whitespace().collect();
        if let [only] = texts[..] {
            if only.starts_with('@') {
                return Err(CronError::Macro(only.to_owned()));
            }
        }
        let [minute, hour, day, month, weekday] = texts[..] else {
            return Err(CronError::FieldCount(texts.len()));
        };
        let minutes = parse_field(CronField::Minute, minute)?;
        let hours = parse_field(CronField::Hour, hour)?;
        let days = parse_field(CronField::DayOfMonth, day)?;
        let months = parse_field(CronField::Month, month)?;
        let weekdays = parse_field(CronField::DayOfWeek, weekday)?;
        reject_impossible_days(days, months)?;

        // Vixie cron: a day must match both day fields if either starts with
        // `*`, and either of them otherwise.
        let days_and_weekdays = day.starts_with('*') || weekday.starts_with('*');
        let mut schedules = if days_and_weekdays {
            vec![crate_schedule(minutes, hours, days, months, weekdays)?]
        } else {
            vec![
                crate_schedule(minutes, hours, days, months, ValueSet::EVERY_WEEKDAY)?,
                crate_schedule(minutes, hours, ValueSet::all(CronField::DayOfMonth), months, weekdays)?,
            ]
        };
        // Days, months and weekdays repeat within 28 years, so a schedule that
        // does not fire in the 50 years after 2000 never fires.
        schedules.retain(fires_within_50_years_of_2000);
        if schedules.is_empty() {
            return Err(CronError::NeverFires);
        }
        Ok(CronExpr {
            source: source.to_owned(),
            schedules,
            fixed_time: !minute.starts_with('*') && !hour.starts_with('*'),
        })
    }

    /// The expression as given, trimmed.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The first instant strictly after `after` at which the schedule fires in
    /// `zone`, or None if it never fires again within 50 years (or after 2100,
    /// where the `cron` crate's calendar ends).
    pub fn next_after(&self, after: Timestamp, zone: Tz) -> Option<Timestamp> {
        let after = DateTime::from_timestamp_millis(after.millis())?;
        // UTC has no clock changes, so both policies agree there; cronsim
        // names it only to skip the work.
        let policy = if self.fixed_time && zone != Tz::UTC {
            DstPolicy::OncePerWallClockTime
        } else {
            DstPolicy::EveryOccurrence
        };
        self.schedules
            .iter()
            .filter_map(|schedule| first_firing(schedule, after, zone, policy))
            .min()
            .map(|instant| Timestamp::from_datetime(&instant))
    }
}

/// A set of numbers of one field; every field's numbers are below 64.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ValueSet(u64);

impl ValueSet {
    const EMPTY: ValueSet = ValueSet(0);
    /// Sunday (0) to Saturday (6), once 7 has been folded into 0.
    const EVERY_WEEKDAY: ValueSet = ValueSet(0b111_1111);

    /// `start`, `start + step`, ... up to `end`.
    fn stepped(start: u32, end: u32, step: u32) -> ValueSet {
        let mut bits = 0u64;
        let mut value = u64::from(start);
        while value <= u64::from(end) && value < 64 {
            bits |= 1 << value;
            value += u64::from(step.max(1));
        }
        ValueSet(bits)
    }

    fn all(field: CronField) -> ValueSet {
        let (min, max) = field.bounds();
        ValueSet::stepped(min, max, 1)
    }

    fn contains(self, value: u32) -> bool {
        value < 64 && self.0 & (1 << value) != 0
    }

    fn union(self, other: ValueSet) -> ValueSet {
        ValueSet(self.0 | other.0)
    }

    fn min(self) -> Option<u32> {
        (self.0 != 0).then(|| self.0.trailing_zeros())
    }

    fn values(self) -> impl Iterator<Item = u32> {
        (0..64).filter(move |&value| self.contains(value))
    }
}

/// A comma-separated list of items: `*`, `n`, `a-b`, `*/s`, `a/s`, `a-b/s`.
fn parse_field(field: CronField, text: &str) -> Result<ValueSet, CronError> {
    let mut set = ValueSet::EMPTY;
    for item in text.split(',') {
        set = set.union(parse_item(field, item)?);
    }
    if field == CronField::DayOfWeek && set.contains(7) {
        set = ValueSet(set.0 & !(1 << 7)).union(ValueSet(1));
    }
    Ok(set)
}

fn parse_item(field: CronField, item: &str) -> Result<ValueSet, CronError> {
    let (_, max) = field.bounds();
    let (base, step) = match item.split_once('/') {
        Some((base, step)) => (base, Some(parse_step(field, item, step)?)),
        None => (item, None),
    };
    let (start, end) = if base == "*" {
        field.bounds()
    } else if let Some((first, last)) = base.split_once('-') {
        let first_value = parse_value(field, item, first)?;
        let last_value = parse_value(field, item, last)?;
        if last_value < first_value {
            return Err(CronError::ReversedRange { field, range: base.to_owned() });
        }
        (first_value, last_value)
    } else {
        let value = parse_value(field, item, base)?;
        // `a/s` runs from `a` to the end of the field.
        (value, if step.is_some() { max } else { value })
    };
    Ok(ValueSet::stepped(start, end, step.unwrap_or(1)))
}

fn parse_step(field: CronField, item: &str, text: &str) -> Result<u32, CronError> {
    if !is_plain_number(text) {
        return Err(CronError::Malformed { field, item: item.to_owned() });
    }
    // Any step too large for a u32 selects only the start, as u32::MAX does.
    match text.parse::<u32>().unwrap_or(u32::MAX) {
        0 => Err(CronError::ZeroStep { field }),
        step => Ok(step),
    }
}

/// A plain decimal number within the field's bounds, or one of its names.
fn parse_value(field: CronField, item: &str, text: &str) -> Result<u32, CronError> {
    let (names, first_named) = field.names();
    if let Some(index) = names.iter().position(|name| name.eq_ignore_ascii_case(text)) {
        return Ok(first_named + index as u32);
    }
    if !is_plain_number(text) {
        return Err(CronError::Malformed { field, item: item.to_owned() });
    }
    let (min, max) = field.bounds();
    match text.parse::<u32>() {
        Ok(value) if (min..=max).contains(&value) => Ok(value),
        _ => Err(CronError::OutOfRange { field, value: text.to_owned(), min, max }),
    }
}

fn is_plain_number(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit())
}

/// cronsim's check, kept for parity with healthchecks.io: a day-of-month list
/// whose smallest day is longer than every selected month (February counting
/// 29 days) is rejected, even when the day-of-week field would fire.
fn reject_impossible_days(days: ValueSet, months: ValueSet) -> Result<(), CronError> {
    const DAYS_IN_MONTH: [u32; 13] = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let Some(first_day) = days.min() else {
        return Ok(());
    };
    let longest_month =
        months.values().filter_map(|month| DAYS_IN_MONTH.get(month as usize).copied()).max().unwrap_or(0);
    if first_day > 29 && first_day > longest_month {
        return Err(CronError::ImpossibleDay(first_day));
    }
    Ok(())
}

/// The `cron` crate's form of a schedule: a leading seconds field of `0`,
/// explicit value lists, and weekdays renumbered from Sunday = 1.
fn crate_schedule(
    minutes: ValueSet,
    hours: ValueSet,
    days: ValueSet,
    months: ValueSet,
    weekdays: ValueSet,
) -> Result<Schedule, CronError> {
    let list = |set: ValueSet, field: CronField| {
        if set == ValueSet::all(field) {
            "*".to_owned()
        } else {
            join(set.values())
        }
    };
    let weekday_list = if weekdays == ValueSet::EVERY_WEEKDAY {
        "*".to_owned()
    } else {
        join(weekdays.values().map(|unix_day| unix_day + 1))
    };
    let text = format!(
        "0 {} {} {} {} {}",
        list(minutes, CronField::Minute),
        list(hours, CronField::Hour),
        list(days, CronField::DayOfMonth),
        list(months, CronField::Month),
        weekday_list,
    );
    Schedule::from_str(&text).map_err(|error| CronError::Translation(format!("{text:?}: {error}")))
}

fn join(values: impl Iterator<Item = u32>) -> String {
    values.map(|value| value.to_string()).collect::<Vec<_>>().join(",")
}

fn fires_within_50_years_of_2000(schedule: &Schedule) -> bool {
    let Some(start) = NaiveDate::from_ymd_opt(2000, 1, 1).and_then(|day| day.and_hms_opt(0, 0, 0)) else {
        return false;
    };
    schedule.after(&start.and_utc()).next().is_some_and(|first| first.year() < 2050)
}

/// How a wall-clock time that matches the schedule becomes real instants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DstPolicy {
    /// cronsim steps these schedules in real time and checks the wall clock:
    /// a time the clock skips never fires, a time it repeats fires twice.
    EveryOccurrence,
    /// Jobs at fixed times fire once per matching wall-clock time, as in
    /// Debian cron: at the first of two occurrences, and for a skipped time as
    /// soon as the clock has jumped.
    OncePerWallClockTime,
}

impl DstPolicy {
    fn instants(self, zone: Tz, wall: NaiveDateTime) -> [Option<DateTime<Utc>>; 2] {
        let utc = |instant: DateTime<Tz>| Some(instant.with_timezone(&Utc));
        match (zone.from_local_datetime(&wall), self) {
            (LocalResult::Single(instant), _) => [utc(instant), None],
            (LocalResult::Ambiguous(first, second), DstPolicy::EveryOccurrence) => [utc(first), utc(second)],
            (LocalResult::Ambiguous(first, _), DstPolicy::OncePerWallClockTime) => [utc(first), None],
            (LocalResult::None, DstPolicy::EveryOccurrence) => [None, None],
            (LocalResult::None, DstPolicy::OncePerWallClockTime) => [end_of_gap(zone, wall), None],
        }
    }
}

/// The widest possible swing of a UTC offset (-12:00 to +14:00). Since 1970 no
/// zone has changed its offset twice within this span (the closest two changes
/// are a week apart), so comparing the offsets at its two ends shows any clock
/// change in between.
const CLOCK_CHANGE_SPAN: TimeDelta = TimeDelta::hours(26);

/// The first firing of one `cron` crate schedule strictly after `after`.
///
/// The crate iterates matching wall-clock times (a naive local time passed as
/// if it were UTC); each maps to zero, one or two instants. Wall-clock order is
/// instant order except across a clock turned back, so the search starts early
/// enough to see wall-clock times that a coming turn-back repeats, and goes on
/// past the best instant found for as long as a turn-back before it could give
/// a later wall-clock time an earlier instant. Both stretches are as long as
/// the turn-back, usually zero: one candidate past the answer ends the search.
fn first_firing(schedule: &Schedule, after: DateTime<Utc>, zone: Tz, policy: DstPolicy) -> Option<DateTime<Utc>> {
    let after_wall = wall_clock(zone, after);
    let soon_wall = wall_clock(zone, after.checked_add_signed(CLOCK_CHANGE_SPAN)?);
    let start = after_wall.min(soon_wall.checked_sub_signed(CLOCK_CHANGE_SPAN)?);
    // The crate's calendar starts in 1970.
    let start = start.max(DateTime::UNIX_EPOCH.naive_utc());
    let give_up = after_wall.checked_add_months(Months::new(12 * 50))?;

    // The crate yields times strictly after its argument.
    let from = start.checked_sub_signed(TimeDelta::minutes(1))?.and_utc();
    let mut best: Option<(DateTime<Utc>, NaiveDateTime)> = None;
    for candidate in schedule.after(&from) {
        let wall = candidate.naive_utc();
        if wall > give_up || best.is_some_and(|(_, last_useful)| wall > last_useful) {
            break;
        }
        for instant in policy.instants(zone, wall).into_iter().flatten() {
            if instant > after && best.is_none_or(|(best_instant, _)| instant < best_instant) {
                best = Some((instant, last_useful_wall_clock(zone, instant)?));
            }
        }
    }
    best.map(|(instant, _)| instant)
}

/// The latest wall-clock time that could still fire before `best`: its own,
/// plus however far the clock was turned back shortly before it.
fn last_useful_wall_clock(zone: Tz, best: DateTime<Utc>) -> Option<NaiveDateTime> {
    let before = best.checked_sub_signed(CLOCK_CHANGE_SPAN)?;
    let turned_back = utc_offset(zone, before) - utc_offset(zone, best);
    wall_clock(zone, best).checked_add_signed(turned_back.max(TimeDelta::zero()))
}

/// The instant the clock jumped over `skipped`, a wall-clock time that never
/// happened: when the first real wall-clock time after it began. Found by
/// doubling then bisecting, as gaps range from minutes to a whole day (Samoa,
/// 2011).
fn end_of_gap(zone: Tz, skipped: NaiveDateTime) -> Option<DateTime<Utc>> {
    let exists = |wall: NaiveDateTime| !matches!(zone.from_local_datetime(&wall), LocalResult::None);
    let mut in_gap = skipped;
    let mut stride = TimeDelta::minutes(1);
    let mut after_gap = loop {
        let probe = skipped.checked_add_signed(stride)?;
        if exists(probe) {
            break probe;
        }
        if stride > TimeDelta::days(2) {
            return None;
        }
        in_gap = probe;
        stride = stride * 2;
    };
    // Whole seconds keep the result on the whole minute where gaps end.
    loop {
        let half = (after_gap - in_gap).num_seconds() / 2;
        if half == 0 {
            break;
        }
        let middle = in_gap.checked_add_signed(TimeDelta::seconds(half))?;
        if exists(middle) {
            after_gap = middle;
        } else {
            in_gap = middle;
        }
    }
    zone.from_local_datetime(&after_gap).earliest().map(|instant| instant.with_timezone(&Utc))
}

fn wall_clock(zone: Tz, instant: DateTime<Utc>) -> NaiveDateTime {
    instant.with_timezone(&zone).naive_local()
}

fn utc_offset(zone: Tz, instant: DateTime<Utc>) -> TimeDelta {
    let offset = zone.offset_from_utc_datetime(&instant.naive_utc()).fix();
    TimeDelta::seconds(i64::from(offset.local_minus_utc()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn utc(text: &str) -> Timestamp {
        let wall = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").unwrap();
        Timestamp::from_datetime(&wall.and_utc())
    }

    fn zone(name: &str) -> Tz {
        parse_zone(name).unwrap()
    }

    fn next(expr: &str, zone_name: &str, after: &str) -> Option<Timestamp> {
        CronExpr::parse(expr).unwrap().next_after(utc(after), zone(zone_name))
    }

    /// The first `count` firings after `after`, as `YYYY-MM-DDTHH:MM` in UTC.
    fn firings(expr: &str, zone_name: &str, after: &str, count: usize) -> Vec<String> {
        let expr = CronExpr::parse(expr).unwrap();
        let mut at = utc(after);
        (0..count)
            .map(|_| {
                at = expr.next_after(at, zone(zone_name)).unwrap();
                at.to_datetime().format("%Y-%m-%dT%H:%M").to_string()
            })
            .collect()
    }

    fn error(expr: &str) -> String {
        CronExpr::parse(expr).unwrap_err().to_string()
    }

    /// The weekdays of the first three weeks of firings, as "Mon", "Tue", ...
    fn weekdays_fired(expr: &str) -> BTreeSet<String> {
        firings(expr, "UTC", "2024-01-01T00:00", 21)
            .iter()
            .map(|at| NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M").unwrap().weekday().to_string())
            .collect()
    }

    fn days<const N: usize>(names: [&str; N]) -> BTreeSet<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    // ---- parsing ----

    #[test]
    fn needs_exactly_five_fields() {
        assert_eq!(error(""), "expected 5 fields, got 0");
        assert_eq!(error("* * * *"), "expected 5 fields, got 4");
        assert_eq!(error("0 * * * * *"), "expected 5 fields, got 6");
        assert_eq!(error("0 0 * * * 2024"), "expected 5 fields, got 6");
        assert_eq!(error("@daily"), "\"@daily\" macros are not supported, use the 5-field form");
    }

    #[test]
    fn keeps_the_trimmed_source_and_any_whitespace_between_fields() {
        let expr = CronExpr::parse("  0 9\t* *   1-5 \n").unwrap();
        assert_eq!(expr.source(), "0 9\t* *   1-5");
    }

    #[test]
    fn rejects_values_out_of_range() {
        assert_eq!(error("60 * * * *"), "minute value 60 is out of range 0-59");
        assert_eq!(error("* 24 * * *"), "hour value 24 is out of range 0-23");
        assert_eq!(error("* * 0 * *"), "day-of-month value 0 is out of range 1-31");
        assert_eq!(error("* * 32 * *"), "day-of-month value 32 is out of range 1-31");
        assert_eq!(error("* * * 0 *"), "month value 0 is out of range 1-12");
        assert_eq!(error("* * * 13 *"), "month value 13 is out of range 1-12");
        assert_eq!(error("* * * * 8"), "day-of-week value 8 is out of range 0-7");
        assert_eq!(error("* * * * 1-8"), "day-of-week value 8 is out of range 0-7");
        assert_eq!(error("99999999999999999999 * * * *"), "minute value 99999999999999999999 is out of range 0-59");
    }

    #[test]
    fn rejects_reversed_ranges_and_zero_steps() {
        assert_eq!(error("30-10 * * * *"), "minute range 30-10 is reversed");
        assert_eq!(error("* * * * FRI-MON"), "day-of-week range FRI-MON is reversed");
        assert_eq!(error("*/0 * * * *"), "minute step must be at least 1");
        assert_eq!(error("* 1-5/0 * * *"), "hour step must be at least 1");
    }

    #[test]
    fn rejects_syntax_cron_does_not_have() {
        for expr in [
            "? * * * *",
            "* * ? * *",
            "* * L * *",
            "* * 15W * *",
            "* * * * 5L",
            "* * * * 1#2",
            "H * * * *",
            "*/ * * * *",
            "/5 * * * *",
            "1,,2 * * * *",
            "1, * * * *",
            "-5 * * * *",
            "1- * * * *",
            "1-2-3 * * * *",
            "1/2/3 * * * *",
            "+5 * * * *",
            "1.5 * * * *",
            "0x5 * * * *",
            "** * * * *",
            "*5 * * * *",
            "MON * * * *",
            "* * * jan/feb *",
            "* * * * monday",
            "* * * * */MON",
            "* * * January *",
        ] {
            let err = CronExpr::parse(expr).unwrap_err();
            assert!(matches!(err, CronError::Malformed { .. }), "{expr}: {err}");
        }
        assert_eq!(error("* * * * 5L"), "day-of-week field: \"5L\" is not a number, name, range, list or step");
    }

    #[test]
    fn accepts_names_in_any_case() {
        assert!(CronExpr::parse("0 0 * jan-MAR,Oct Mon-fri").is_ok());
        assert_eq!(firings("0 0 * FEB SUN", "UTC", "2024-01-01T00:00", 2), ["2024-02-04T00:00", "2024-02-11T00:00"]);
        assert_eq!(
            firings("0 0 1 jun/3 *", "UTC", "2024-01-01T00:00", 3),
            ["2024-06-01T00:00", "2024-09-01T00:00", "2024-12-01T00:00"]
        );
    }

    #[test]
    fn steps_lists_and_ranges() {
        assert_eq!(
            firings("*/20 * * * *", "UTC", "2024-01-01T00:00", 4),
            ["2024-01-01T00:20", "2024-01-01T00:40", "2024-01-01T01:00", "2024-01-01T01:20"]
        );
        assert_eq!(
            firings("50/5 10-11/1 * * *", "UTC", "2024-01-01T00:00", 3),
            ["2024-01-01T10:50", "2024-01-01T10:55", "2024-01-01T11:50"]
        );
        assert_eq!(
            firings("5,1-3/2 0 * * *", "UTC", "2024-01-01T00:00", 3),
            ["2024-01-01T00:01", "2024-01-01T00:03", "2024-01-01T00:05"]
        );
        // A step wider than the field selects only the start, as in cronsim.
        assert_eq!(firings("7/90 0 * * *", "UTC", "2024-01-01T00:00", 2), ["2024-01-01T00:07", "2024-01-02T00:07"]);
        assert_eq!(firings("5-5/10 0 * * *", "UTC", "2024-01-01T00:00", 2), ["2024-01-01T00:05", "2024-01-02T00:05"]);
    }

    #[test]
    fn day_of_week_numbers_and_names() {
        let sunday = days(["Sun"]);
        assert_eq!(weekdays_fired("0 0 * * 0"), sunday);
        assert_eq!(weekdays_fired("0 0 * * 7"), sunday);
        assert_eq!(weekdays_fired("0 0 * * sun"), sunday);
        assert_eq!(weekdays_fired("0 0 * * 1-5"), days(["Mon", "Tue", "Wed", "Thu", "Fri"]));
        assert_eq!(weekdays_fired("0 0 * * MON-FRI"), days(["Mon", "Tue", "Wed", "Thu", "Fri"]));
        assert_eq!(weekdays_fired("0 0 * * 5-7"), days(["Fri", "Sat", "Sun"]));
        assert_eq!(weekdays_fired("0 0 * * */2"), days(["Sun", "Tue", "Thu", "Sat"]));
        assert_eq!(weekdays_fired("0 0 * * 1/2"), days(["Mon", "Wed", "Fri", "Sun"]));
        assert_eq!(weekdays_fired("0 0 * * SUN,SAT"), days(["Sat", "Sun"]));
        assert_eq!(weekdays_fired("0 0 * * 6,7"), days(["Sat", "Sun"]));
        assert_eq!(weekdays_fired("0 0 * * 0-7"), days(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]));
        assert_eq!(weekdays_fired("0 0 * * 3"), days(["Wed"]));
    }

    #[test]
    fn restricted_day_fields_are_ored() {
        // 2024-06-13 is a Thursday, 2024-07-13 a Saturday.
        assert_eq!(
            firings("0 0 13 * 5", "UTC", "2024-06-01T00:00", 8),
            [
                "2024-06-07T00:00",
                "2024-06-13T00:00",
                "2024-06-14T00:00",
                "2024-06-21T00:00",
                "2024-06-28T00:00",
                "2024-07-05T00:00",
                "2024-07-12T00:00",
                "2024-07-13T00:00",
            ]
        );
    }

    #[test]
    fn a_day_field_starting_with_a_star_is_anded() {
        // Fridays on odd days of the month.
        assert_eq!(
            firings("0 0 */2 * 5", "UTC", "2024-06-01T00:00", 4),
            ["2024-06-07T00:00", "2024-06-21T00:00", "2024-07-05T00:00", "2024-07-19T00:00"]
        );
        // The 13th when it is a Friday.
        assert_eq!(firings("0 0 13 * */7", "UTC", "2024-01-01T00:00", 1), ["2024-10-13T00:00"]);
        assert_eq!(firings("0 0 13 * *", "UTC", "2024-06-01T00:00", 2), ["2024-06-13T00:00", "2024-07-13T00:00"]);
    }

    #[test]
    fn rejects_days_that_never_occur() {
        assert_eq!(error("0 0 31 2 *"), "day-of-month 31 does not occur in any of the selected months");
        assert_eq!(error("0 0 30 2 *"), "day-of-month 30 does not occur in any of the selected months");
        assert!(CronExpr::parse("0 0 31 4,6,9,11 *").is_err());
        assert!(CronExpr::parse("0 0 30,31 feb *").is_err());
        // cronsim rejects these even though the weekday would fire.
        assert!(CronExpr::parse("0 0 31 2 MON").is_err());
        // Possible days are fine, however rare.
        assert_eq!(firings("0 0 29 2 *", "UTC", "2000-03-01T00:00", 2), ["2004-02-29T00:00", "2008-02-29T00:00"]);
        assert_eq!(firings("0 0 31 * *", "UTC", "2024-01-31T00:00", 1), ["2024-03-31T00:00"]);
        assert_eq!(firings("0 0 30,31 2,3 *", "UTC", "2024-01-01T00:00", 1), ["2024-03-30T00:00"]);
    }

    // ---- healthchecks.io anchors ----

    #[test]
    fn matches_healthchecks_anchors() {
        assert_eq!(next("0 0 * * *", "UTC", "2000-01-01T00:00"), Some(utc("2000-01-02T00:00")));
        assert_eq!(next("0 10 * * *", "Australia/Brisbane", "2000-01-01T00:00"), Some(utc("2000-01-02T00:00")));
        assert_eq!(next("0 * * * *", "UTC", "2000-01-01T00:00"), Some(utc("2000-01-01T01:00")));
        // A repeated wall-clock hour fires twice for a job that is not at a fixed time.
        assert_eq!(next("15 * * * *", "Europe/Riga", "2023-10-29T00:55"), Some(utc("2023-10-29T01:15")));
    }

    #[test]
    fn is_strictly_after() {
        assert_eq!(next("0 0 * * *", "UTC", "2000-01-02T00:00"), Some(utc("2000-01-03T00:00")));
        let just_before = utc("2000-01-02T00:00").plus_millis(-1);
        let expr = CronExpr::parse("0 0 * * *").unwrap();
        assert_eq!(expr.next_after(just_before, Tz::UTC), Some(utc("2000-01-02T00:00")));
        let just_after = utc("2000-01-02T00:00").plus_millis(1);
        assert_eq!(expr.next_after(just_after, Tz::UTC), Some(utc("2000-01-03T00:00")));
    }

    #[test]
    fn gives_up_where_the_calendar_ends() {
        // 2100 is not a leap year, and the `cron` crate stops at 2100.
        assert_eq!(next("0 0 29 2 *", "UTC", "2096-03-01T00:00"), None);
        let expr = CronExpr::parse("* * * * *").unwrap();
        assert_eq!(expr.next_after(Timestamp::from_millis(i64::MAX), Tz::UTC), None);
        assert_eq!(expr.next_after(Timestamp::from_millis(i64::MIN), Tz::UTC), None);
        // Before 1970 the first firing is the calendar's first.
        assert_eq!(next("0 0 * * *", "UTC", "1969-12-31T23:00"), Some(utc("1970-01-01T00:00")));
    }

    // ---- daylight saving time ----

    #[test]
    fn fixed_time_job_across_spring_forward_fires_when_the_clock_jumps() {
        // Berlin, 2024-03-31: 02:00 CET becomes 03:00 CEST at 01:00Z.
        assert_eq!(
            firings("30 2 * * *", "Europe/Berlin", "2024-03-30T12:00", 2),
            ["2024-03-31T01:00", "2024-04-01T00:30"]
        );
        // Several skipped times fire once.
        assert_eq!(
            firings("0,30 2 * * *", "Europe/Berlin", "2024-03-30T12:00", 2),
            ["2024-03-31T01:00", "2024-04-01T00:00"]
        );
        // New York, 2024-03-10: 02:00 EST becomes 03:00 EDT at 07:00Z.
        assert_eq!(
            firings("30 2 * * *", "America/New_York", "2024-03-09T12:00", 2),
            ["2024-03-10T07:00", "2024-03-11T06:30"]
        );
    }

    #[test]
    fn fixed_time_job_across_fall_back_fires_at_the_first_occurrence() {
        // Berlin, 2024-10-27: 03:00 CEST becomes 02:00 CET at 01:00Z.
        assert_eq!(
            firings("30 2 * * *", "Europe/Berlin", "2024-10-26T12:00", 2),
            ["2024-10-27T00:30", "2024-10-28T01:30"]
        );
        // From within the repeated hour, the day's firing is already past.
        assert_eq!(next("30 2 * * *", "Europe/Berlin", "2024-10-27T01:10"), Some(utc("2024-10-28T01:30")));
        // New York, 2024-11-03: 02:00 EDT becomes 01:00 EST at 06:00Z.
        assert_eq!(
            firings("30 1 * * *", "America/New_York", "2024-11-02T12:00", 2),
            ["2024-11-03T05:30", "2024-11-04T06:30"]
        );
    }

    #[test]
    fn other_jobs_follow_the_real_clock() {
        // A skipped wall-clock time never happens...
        assert_eq!(
            firings("30 * * * *", "Europe/Berlin", "2024-03-31T00:00", 2),
            ["2024-03-31T00:30", "2024-03-31T01:30"]
        );
        assert_eq!(next("*/30 2 * * *", "Europe/Berlin", "2024-03-30T12:00"), Some(utc("2024-04-01T00:00")));
        // ...and a repeated one happens twice.
        assert_eq!(
            firings("30 * * * *", "Europe/Berlin", "2024-10-27T00:00", 3),
            ["2024-10-27T00:30", "2024-10-27T01:30", "2024-10-27T02:30"]
        );
        assert_eq!(
            firings("*/30 1 * * *", "America/New_York", "2024-11-03T05:00", 4),
            ["2024-11-03T05:30", "2024-11-03T06:00", "2024-11-03T06:30", "2024-11-04T06:00"]
        );
        // 02:00 never happens on 2024-03-10 in New York; 04:00 EDT is 08:00Z.
        assert_eq!(
            firings("0 */2 * * *", "America/New_York", "2024-03-10T04:00", 2),
            ["2024-03-10T05:00", "2024-03-10T08:00"]
        );
    }

    #[test]
    fn half_hour_clock_changes() {
        // Lord Howe, 2024-10-06: 02:00 (+10:30) becomes 02:30 (+11) at 15:30Z.
        assert_eq!(next("15 2 * * *", "Australia/Lord_Howe", "2024-10-05T00:00"), Some(utc("2024-10-05T15:30")));
        assert_eq!(next("15 * * * *", "Australia/Lord_Howe", "2024-10-05T15:00"), Some(utc("2024-10-05T16:15")));
        // Lord Howe, 2024-04-07: 02:00 (+11) becomes 01:30 (+10:30) at 15:00Z.
        assert_eq!(
            firings("45 1 * * *", "Australia/Lord_Howe", "2024-04-06T00:00", 2),
            ["2024-04-06T14:45", "2024-04-07T15:15"]
        );
        assert_eq!(
            firings("45 * * * *", "Australia/Lord_Howe", "2024-04-06T14:00", 2),
            ["2024-04-06T14:45", "2024-04-06T15:15"]
        );
    }

    #[test]
    fn a_seven_hour_turn_back() {
        // Vostok station went from +07 to +00 at 1994-01-31T17:00Z, so the
        // wall clock showed 17:00 to 24:00 of January 31 twice.
        assert_eq!(next("* 18 * * *", "Antarctica/Vostok", "1994-01-31T12:00"), Some(utc("1994-01-31T18:00")));
        assert_eq!(next("0 18 * * *", "Antarctica/Vostok", "1994-01-31T12:00"), Some(utc("1994-02-01T18:00")));
    }

    #[test]
    fn a_skipped_day_fires_when_the_clock_jumps() {
        // Samoa skipped 2011-12-30: 23:59:59 on the 29th (-10) was followed by
        // 00:00 on the 31st (+14), at 10:00Z on the 30th.
        assert_eq!(
            firings("0 9 * * *", "Pacific/Apia", "2011-12-29T12:00", 3),
            ["2011-12-29T19:00", "2011-12-30T10:00", "2011-12-30T19:00"]
        );
        assert_eq!(next("0 * * * *", "Pacific/Apia", "2011-12-30T09:30"), Some(utc("2011-12-30T10:00")));
    }

    #[test]
    fn parses_zones() {
        assert_eq!(parse_zone("UTC"), Ok(Tz::UTC));
        assert_eq!(parse_zone("Europe/Berlin"), Ok(Tz::Europe__Berlin));
        assert_eq!(parse_zone("US/Eastern").map(|tz| tz.name()), Ok("US/Eastern"));
        assert_eq!(parse_zone("Europe/Kiev").map(|tz| tz.name()), Ok("Europe/Kiev"));
        assert_eq!(parse_zone("Mars/Olympus"), Err(ZoneError("Mars/Olympus".into())));
        assert!(parse_zone("").is_err());
        assert!(parse_zone("europe/berlin").is_err());
        assert_eq!(ZoneError("Mars/Olympus".into()).to_string(), "unknown time zone \"Mars/Olympus\"");
    }

    // ---- property tests against an independent oracle ----

    /// The expression read the way cronsim reads it (sets of numbers, checked
    /// minute by minute), sharing none of the parsing, translation or search
    /// code above; only chrono-tz's offsets are common ground.
    struct Oracle {
        minutes: BTreeSet<u32>,
        hours: BTreeSet<u32>,
        days: BTreeSet<u32>,
        months: BTreeSet<u32>,
        /// 0-7, both 0 and 7 meaning Sunday.
        weekdays: BTreeSet<u32>,
        days_and: bool,
        fixed_time: bool,
    }

    const MONTH_NAMES: [&str; 12] =
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    const DAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    fn oracle_number(text: &str, low: u32, high: u32, names: &[&str], first_name: u32) -> Option<u32> {
        let upper = text.to_uppercase();
        if let Some(i) = names.iter().position(|name| *name == upper) {
            return Some(first_name + i as u32);
        }
        if text.is_empty() || !text.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let value: u64 = text.parse().ok()?;
        (u64::from(low)..=u64::from(high)).contains(&value).then_some(value as u32)
    }

    fn oracle_set(text: &str, low: u32, high: u32, names: &[&str], first_name: u32) -> Option<BTreeSet<u32>> {
        if text == "*" {
            return Some((low..=high).collect());
        }
        if text.contains(',') {
            let mut all = BTreeSet::new();
            for term in text.split(',') {
                all.extend(oracle_set(term, low, high, names, first_name)?);
            }
            return Some(all);
        }
        if let Some((term, step)) = text.split_once('/') {
            if step.is_empty() || !step.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let step: usize = step.parse().unwrap_or(usize::MAX);
            if step == 0 {
                return None;
            }
            let items = oracle_set(term, low, high, names, first_name)?;
            let sorted: Vec<u32> = if term == "*" || term.contains('-') {
                items.into_iter().collect()
            } else {
                (*items.first()?..=high).collect()
            };
            return Some(sorted.into_iter().step_by(step).collect());
        }
        if let Some((a, b)) = text.split_once('-') {
            let a = oracle_number(a, low, high, names, first_name)?;
            let b = oracle_number(b, low, high, names, first_name)?;
            return (a <= b).then(|| (a..=b).collect());
        }
        Some(BTreeSet::from([oracle_number(text, low, high, names, first_name)?]))
    }

    impl Oracle {
        fn new(expr: &str) -> Option<Oracle> {
            let parts: Vec<&str> = expr.split_whitespace().collect();
            if parts.len() != 5 {
                return None;
            }
            let oracle = Oracle {
                minutes: oracle_set(parts[0], 0, 59, &[], 0)?,
                hours: oracle_set(parts[1], 0, 23, &[], 0)?,
                days: oracle_set(parts[2], 1, 31, &[], 0)?,
                months: oracle_set(parts[3], 1, 12, &MONTH_NAMES, 1)?,
                weekdays: oracle_set(parts[4], 0, 7, &DAY_NAMES, 0)?,
                days_and: parts[2].starts_with('*') || parts[4].starts_with('*'),
                fixed_time: !parts[0].starts_with('*') && !parts[1].starts_with('*'),
            };
            let month_length = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
            let first_day = *oracle.days.first()?;
            let longest = oracle.months.iter().map(|&m| month_length[m as usize]).max()?;
            if first_day > 29 && first_day > longest {
                return None;
            }
            Some(oracle)
        }

        fn matches(&self, wall: NaiveDateTime) -> bool {
            let weekday = wall.weekday().num_days_from_sunday();
            let on_day = self.days.contains(&wall.day());
            let on_weekday = self.weekdays.contains(&weekday) || (weekday == 0 && self.weekdays.contains(&7));
            let day_ok = if self.days_and { on_day && on_weekday } else { on_day || on_weekday };
            day_ok
                && self.minutes.contains(&wall.minute())
                && self.hours.contains(&wall.hour())
                && self.months.contains(&wall.month())
        }

        /// Whether the whole minute `t` fires; `wall` and `wall_before` are
        /// the wall-clock times at `t` and one minute earlier.
        fn fires_at(&self, zone: Tz, t: DateTime<Utc>, wall: NaiveDateTime, wall_before: NaiveDateTime) -> bool {
            let fixed = self.fixed_time && zone != Tz::UTC;
            if !fixed {
                return self.matches(wall);
            }
            let minute = TimeDelta::minutes(1);
            if self.matches(wall) {
                // The first occurrence: no instant of the last four hours
                // showed the same wall-clock time (the test zones turn their
                // clocks back by an hour at most).
                let seen_before =
                    (1..=240).any(|k| t.checked_sub_signed(minute * k).map(|e| wall_clock(zone, e)) == Some(wall));
                if !seen_before {
                    return true;
                }
            }
            // The first instant after skipped wall-clock times, one of which matches.
            let mut skipped = wall_before + minute;
            while skipped < wall {
                if self.matches(skipped) {
                    return true;
                }
                skipped += minute;
            }
            false
        }

        /// The first firing strictly after `after` within `horizon`.
        fn first_firing(&self, zone: Tz, after: DateTime<Utc>, horizon: TimeDelta) -> Option<DateTime<Utc>> {
            let minute = TimeDelta::minutes(1);
            let floor = DateTime::from_timestamp(after.timestamp().div_euclid(60) * 60, 0).unwrap();
            let mut t = floor + minute;
            let mut wall_before = wall_clock(zone, floor);
            while t <= after + horizon {
                let wall = wall_clock(zone, t);
                if self.fires_at(zone, t, wall, wall_before) {
                    return Some(t);
                }
                wall_before = wall;
                t += minute;
            }
            None
        }
    }

    const ZONES: [&str; 12] = [
        "UTC",
        "Europe/Berlin",
        "Europe/Riga",
        "America/New_York",
        "America/Sao_Paulo",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "Pacific/Chatham",
        "America/St_Johns",
        "Asia/Tehran",
        "Africa/Casablanca",
        "Pacific/Apia",
    ];

    /// The instants in `year` at which `zone` changes its UTC offset.
    fn offset_changes(zone: Tz, year: i32) -> Vec<DateTime<Utc>> {
        let start = NaiveDate::from_ymd_opt(year, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc();
        let mut changes = Vec::new();
        for day in 0..366 {
            let (mut low, mut high) = (start + TimeDelta::days(day), start + TimeDelta::days(day + 1));
            if utc_offset(zone, low) == utc_offset(zone, high) {
                continue;
            }
            while high - low > TimeDelta::seconds(1) {
                let middle = low + (high - low) / 2;
                if utc_offset(zone, middle) == utc_offset(zone, low) {
                    low = middle;
                } else {
                    high = middle;
                }
            }
            changes.push(high);
        }
        changes
    }

    /// Renders `value`, as a name when `style` asks for one and there is one.
    fn render(value: u32, names: &[&str], first_name: u32, style: u8) -> String {
        let name = value.checked_sub(first_name).and_then(|i| names.get(i as usize));
        match (name, style) {
            (Some(name), 1) => name.to_string(),
            (Some(name), 2) => name.to_lowercase(),
            (Some(name), 3) => name[..1].to_string() + &name[1..].to_lowercase(),
            _ => value.to_string(),
        }
    }

    /// One field: `*`, an item, or a list of items, with values biased
    /// towards `hot` (the hours of clock changes, the first minutes).
    fn field(
        low: u32,
        high: u32,
        hot: (u32, u32),
        names: &'static [&'static str],
        first_name: u32,
        star_weight: u32,
    ) -> BoxedStrategy<String> {
        let value = prop_oneof![hot.0..=hot.1, low..=high].boxed();
        let step = prop_oneof![1u32..=6, 1..=high + 10].boxed();
        let style = 0u8..4;
        let one = move |v: u32, s: u8| render(v, names, first_name, s);
        let item = prop_oneof![
            4 => (value.clone(), style.clone()).prop_map(move |(v, s)| one(v, s)),
            2 => (value.clone(), value.clone(), style.clone()).prop_map(move |(a, b, s)| {
                format!("{}-{}", one(a.min(b), s), one(a.max(b), s))
            }),
            2 => step.clone().prop_map(|n| format!("*/{n}")),
            1 => (value.clone(), style.clone(), step.clone()).prop_map(move |(a, s, n)| format!("{}/{n}", one(a, s))),
            1 => (value.clone(), value, style, step).prop_map(move |(a, b, s, n)| {
                format!("{}-{}/{n}", one(a.min(b), s), one(a.max(b), s))
            }),
        ]
        .boxed();
        prop_oneof![
            star_weight => Just("*".to_string()),
            6 => item.clone(),
            2 => prop::collection::vec(item, 2..=3).prop_map(|items| items.join(",")),
        ]
        .boxed()
    }

    fn expression() -> impl Strategy<Value = String> {
        (
            field(0, 59, (0, 3), &[], 0, 3),
            field(0, 23, (0, 4), &[], 0, 3),
            field(1, 31, (1, 31), &[], 0, 24),
            field(1, 12, (1, 12), &MONTH_NAMES, 1, 40),
            field(0, 7, (0, 7), &DAY_NAMES, 0, 8),
        )
            .prop_map(|(minute, hour, day, month, weekday)| format!("{minute} {hour} {day} {month} {weekday}"))
    }

    /// A zone and an instant, mostly within hours or days of one of its clock changes.
    fn zone_and_instant() -> impl Strategy<Value = (Tz, DateTime<Utc>)> {
        let hour = 3600i64;
        let shift = prop_oneof![4 => -2 * hour..2 * hour, 2 => -12 * hour..12 * hour, 1 => -48 * hour..48 * hour];
        (0..ZONES.len(), 1990i32..2040, any::<prop::sample::Index>(), 0u32..4, shift, 0u8..3).prop_map(
            |(zone_index, year, which, near_change, shift, precision)| {
                let zone = zone(ZONES[zone_index]);
                let changes = offset_changes(zone, year);
                let base = if near_change > 0 && !changes.is_empty() {
                    changes[which.index(changes.len())]
                } else {
                    let start = NaiveDate::from_ymd_opt(year, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
                    start.and_utc() + TimeDelta::seconds(which.index(365 * 86_400) as i64)
                };
                // Whole minutes (often firing times), whole seconds, or milliseconds.
                let shifted = base + TimeDelta::seconds(shift);
                let instant = match precision {
                    0 => DateTime::from_timestamp(shifted.timestamp().div_euclid(60) * 60, 0).unwrap(),
                    1 => shifted,
                    _ => shifted + TimeDelta::milliseconds(i64::from(shift.rem_euclid(1000) as i32)),
                };
                (zone, instant)
            },
        )
    }

    /// An expression whose hour field names the wall-clock hours around one
    /// of the zone's clock changes, and an instant shortly before or after it:
    /// so the firing often falls in a skipped or repeated hour.
    fn around_a_clock_change() -> impl Strategy<Value = (String, Tz, DateTime<Utc>)> {
        let minute = field(0, 59, (0, 3), &[], 0, 3);
        let day = field(1, 31, (1, 31), &[], 0, 40);
        let weekday = field(0, 7, (0, 7), &DAY_NAMES, 0, 20);
        let hour = 3600i64;
        (1..ZONES.len(), 1990i32..2040, any::<prop::sample::Index>(), 0u8..6, minute, day, weekday, -3 * hour..hour)
            .prop_map(|(zone_index, year, which, hour_style, minute, day, weekday, shift)| {
                // Zones without a clock change that year stand in with Berlin's.
                let mut zone = zone(ZONES[zone_index]);
                let mut changes = offset_changes(zone, year);
                if changes.is_empty() {
                    zone = Tz::Europe__Berlin;
                    changes = offset_changes(zone, year);
                }
                let change = changes[which.index(changes.len())];
                let before = wall_clock(zone, change - TimeDelta::seconds(1)).hour();
                let after = wall_clock(zone, change).hour();
                let hour_field = match hour_style {
                    0 => before.to_string(),
                    1 => after.to_string(),
                    2 => format!("{},{}", before, after),
                    3 => format!("{}-{}", before.min(after), before.max(after)),
                    4 => format!("{}/2", before.min(after)),
                    _ => "*".to_string(),
                };
                let text = format!("{minute} {hour_field} {day} * {weekday}");
                (text, zone, change + TimeDelta::seconds(shift))
            })
    }

    const HORIZON: TimeDelta = TimeDelta::days(9);

    /// `next_after` agrees with the oracle's minute-by-minute walk: the same
    /// first firing within the horizon, or none there either.
    fn check_against_oracle(text: &str, zone: Tz, after: DateTime<Utc>) -> Result<(), TestCaseError> {
        let oracle = Oracle::new(text);
        let expr = CronExpr::parse(text);
        prop_assert_eq!(oracle.is_some(), expr.is_ok(), "{:?}", expr);
        let (Some(oracle), Ok(expr)) = (oracle, expr) else { return Ok(()) };

        let got = expr.next_after(Timestamp::from_datetime(&after), zone).map(|t| t.to_datetime());
        match oracle.first_firing(zone, after, HORIZON) {
            Some(expected) => prop_assert_eq!(got, Some(expected)),
            None => prop_assert_eq!(got.filter(|t| *t <= after + HORIZON), None),
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn next_after_is_the_first_firing_by_brute_force(
            text in expression(),
            (zone, after) in zone_and_instant(),
        ) {
            check_against_oracle(&text, zone, after)?;
        }

        #[test]
        fn next_after_is_the_first_firing_around_clock_changes(
            (text, zone, after) in around_a_clock_change(),
        ) {
            check_against_oracle(&text, zone, after)?;
        }

        #[test]
        fn parse_accepts_what_cronsim_accepts(
            fields in prop::collection::vec(
                prop::collection::vec(
                    prop::sample::select(vec![
                        "0", "1", "5", "7", "8", "12", "13", "23", "24", "29", "30", "31", "32", "59", "60",
                        "*", "*", "/", "/", "-", "-", ",", "MON", "sun", "Jan", "dec", "L", "#", "?", "W",
                    ]),
                    1..5,
                ).prop_map(|tokens| tokens.concat()),
                4..=6,
            ),
        ) {
            let text = fields.join(" ");
            let expr = CronExpr::parse(&text);
            prop_assert_eq!(Oracle::new(&text).is_some(), expr.is_ok(), "{:?}", expr);
            if let Err(error) = expr {
                prop_assert!(!error.to_string().is_empty());
            }
        }

        #[test]
        fn next_after_never_panics(millis in any::<i64>(), zone_index in 0..ZONES.len(), text in expression()) {
            if let Ok(expr) = CronExpr::parse(&text) {
                let after = Timestamp::from_millis(millis);
                if let Some(next) = expr.next_after(after, zone(ZONES[zone_index])) {
                    prop_assert!(next > after);
                }
            }
        }
    }
}
