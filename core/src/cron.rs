//! Unix 5-field cron schedules evaluated in an IANA time zone, exactly as
//! healthchecks.io evaluates them with its `cronsim` library (version 2.7).
//!
//! Both the parsing and the search are written here rather than taken from a
//! cron crate, because matching cronsim means matching its reading and its
//! stepping, not cron in general:
//! - The syntax is cronsim's: names in any case, `a-b/s`, `a/s` and `a-a/s`
//!   (from `a` to the end of the field), Sunday as 0 or 7, and its extensions
//!   `L` and `LW` (last day, last weekday of the month) in the day-of-month
//!   field and `nL` (last weekday n) and `n#k` (k-th weekday n) in the
//!   day-of-week field. The day fields are ANDed when either starts with `*`
//!   and ORed otherwise, as in Debian cron. The `cron` crate wants a seconds
//!   field, numbers weekdays from Sunday = 1, always ANDs the day fields and
//!   has none of the extensions.
//! - The next firing comes from cronsim's walk: roll the month, the day, the
//!   hour, the minute and the second forward until all match. Its answers
//!   around clock changes follow from how it steps (in real time, from a
//!   wall-clock time that may not exist, such as a midnight the clock skips),
//!   so `Cursor` steps the same way, with Python's `fold` rules for
//!   skipped and repeated wall-clock times.
//!
//! Two deliberate differences, both around clocks turned back:
//! - [`CronExpr::next_after`] never answers at or before its argument. For
//!   jobs at fixed times cronsim forgets which pass through a repeated hour
//!   it starts from, so from the second pass it can answer with the first, an
//!   instant in the past; and from the second pass of a repeated stretch that
//!   spans midnight any job's answer can be the next day's first pass, also
//!   in the past. healthchecks.io takes such an answer as the next expected
//!   ping, already due. edgebeat instead asks cronsim again from that answer
//!   (or, where cronsim does not move on, from a second later) until the
//!   answer is in the future.
//! - Where such a stretch spans midnight, cronsim can also walk in a circle
//!   for ever, and healthchecks.io with it. edgebeat notices the circle and
//!   goes on from the second pass (see `Walk::Circles`).
//!
//! `tests/cron_oracle.rs` holds all of this against cronsim itself.

use crate::time::Timestamp;
use chrono::{
    DateTime, Datelike, LocalResult, Months, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta, TimeZone,
    Timelike, Utc, Weekday,
};
use chrono_tz::Tz;
use std::collections::BTreeSet;
use std::fmt;

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

    /// The three-letter names the field accepts (upper case, as the
    /// expression is read), and the number of the first one.
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
    /// healthchecks.io reads a schedule of several lines as OnCalendar, never as cron.
    #[error("a cron expression is a single line")]
    MultiLine,
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
    #[error("day-of-week {item:?}: the week number must be 1 to 5")]
    WeekNumber { item: String },
    #[error("day-of-month {0} does not occur in any of the selected months")]
    ImpossibleDay(u32),
    #[error("the schedule never fires")]
    NeverFires,
}

/// A time zone name that is neither an IANA name chrono-tz knows nor one of
/// healthchecks.io's legacy names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone {0:?}")]
pub struct ZoneError(pub String);

/// The zone a name stands for, under its current name: healthchecks.io
/// stores and shows legacy names as their current ones ("Europe/Kiev" is
/// "Europe/Kyiv", "US/Eastern" is "America/New_York"), so the returned
/// zone's `name()` is the one to store. Exact spelling, as healthchecks.io
/// requires; other names chrono-tz knows ("UTC", "Europe/Berlin") stand for
/// themselves.
pub fn parse_zone(name: &str) -> Result<Tz, ZoneError> {
    canonical_zone_name(name).parse::<Tz>().map_err(|_| ZoneError(name.to_owned()))
}

/// The current name for a legacy zone name, and any other name unchanged.
///
/// The table is healthchecks.io's (`hc/lib/tz.py`, `legacy_timezones`): it
/// is not chrono-tz's link table, which sends a few names elsewhere or
/// nowhere (healthchecks keeps "Asia/Chongqing" and "Europe/Belfast").
pub fn canonical_zone_name(name: &str) -> &str {
    LEGACY_ZONES.iter().find(|(legacy, _)| *legacy == name).map_or(name, |(_, current)| current)
}

/// healthchecks.io's legacy zone names and their current names.
const LEGACY_ZONES: [(&str, &str); 113] = [
    ("Africa/Asmera", "Africa/Nairobi"),
    ("America/Argentina/ComodRivadavia", "America/Argentina/Catamarca"),
    ("America/Buenos_Aires", "America/Argentina/Buenos_Aires"),
    ("America/Catamarca", "America/Argentina/Catamarca"),
    ("America/Cordoba", "America/Argentina/Cordoba"),
    ("America/Fort_Wayne", "America/Indiana/Indianapolis"),
    ("America/Godthab", "America/Nuuk"),
    ("America/Indianapolis", "America/Indiana/Indianapolis"),
    ("America/Jujuy", "America/Argentina/Jujuy"),
    ("America/Knox_IN", "America/Indiana/Knox"),
    ("America/Louisville", "America/Kentucky/Louisville"),
    ("America/Mendoza", "America/Argentina/Mendoza"),
    ("America/Rosario", "America/Argentina/Cordoba"),
    ("Antarctica/South_Pole", "Pacific/Auckland"),
    ("Asia/Ashkhabad", "Asia/Ashgabat"),
    ("Asia/Calcutta", "Asia/Kolkata"),
    ("Asia/Choibalsan", "Asia/Ulaanbaatar"),
    ("Asia/Chungking", "Asia/Shanghai"),
    ("Asia/Dacca", "Asia/Dhaka"),
    ("Asia/Katmandu", "Asia/Kathmandu"),
    ("Asia/Macao", "Asia/Macau"),
    ("Asia/Rangoon", "Asia/Yangon"),
    ("Asia/Saigon", "Asia/Ho_Chi_Minh"),
    ("Asia/Thimbu", "Asia/Thimphu"),
    ("Asia/Ujung_Pandang", "Asia/Makassar"),
    ("Asia/Ulan_Bator", "Asia/Ulaanbaatar"),
    ("Atlantic/Faeroe", "Atlantic/Faroe"),
    ("Australia/ACT", "Australia/Sydney"),
    ("Australia/LHI", "Australia/Lord_Howe"),
    ("Australia/North", "Australia/Darwin"),
    ("Australia/NSW", "Australia/Sydney"),
    ("Australia/Queensland", "Australia/Brisbane"),
    ("Australia/South", "Australia/Adelaide"),
    ("Australia/Tasmania", "Australia/Hobart"),
    ("Australia/Victoria", "Australia/Melbourne"),
    ("Australia/West", "Australia/Perth"),
    ("Brazil/Acre", "America/Rio_Branco"),
    ("Brazil/DeNoronha", "America/Noronha"),
    ("Brazil/East", "America/Sao_Paulo"),
    ("Brazil/West", "America/Manaus"),
    ("Canada/Atlantic", "America/Halifax"),
    ("Canada/Central", "America/Winnipeg"),
    ("Canada/Eastern", "America/Toronto"),
    ("Canada/Mountain", "America/Edmonton"),
    ("Canada/Newfoundland", "America/St_Johns"),
    ("Canada/Pacific", "America/Vancouver"),
    ("Canada/Saskatchewan", "America/Regina"),
    ("Canada/Yukon", "America/Whitehorse"),
    ("CET", "Europe/Brussels"),
    ("Chile/Continental", "America/Santiago"),
    ("Chile/EasterIsland", "Pacific/Easter"),
    ("CST6CDT", "America/Chicago"),
    ("Cuba", "America/Havana"),
    ("EET", "Europe/Athens"),
    ("Egypt", "Africa/Cairo"),
    ("Eire", "Europe/Dublin"),
    ("EST", "America/Panama"),
    ("EST5EDT", "America/New_York"),
    ("Europe/Kiev", "Europe/Kyiv"),
    ("Europe/Uzhgorod", "Europe/Kyiv"),
    ("Europe/Zaporozhye", "Europe/Kyiv"),
    ("GB", "Europe/London"),
    ("GB-Eire", "Europe/London"),
    ("GMT+0", "Etc/GMT"),
    ("GMT-0", "Etc/GMT"),
    ("GMT0", "Etc/GMT"),
    ("Greenwich", "Etc/GMT"),
    ("Hongkong", "Asia/Hong_Kong"),
    ("HST", "Pacific/Honolulu"),
    ("Iceland", "Africa/Abidjan"),
    ("Iran", "Asia/Tehran"),
    ("Israel", "Asia/Jerusalem"),
    ("Jamaica", "America/Jamaica"),
    ("Japan", "Asia/Tokyo"),
    ("Kwajalein", "Pacific/Kwajalein"),
    ("Libya", "Africa/Tripoli"),
    ("MET", "Europe/Brussels"),
    ("Mexico/BajaNorte", "America/Tijuana"),
    ("Mexico/BajaSur", "America/Mazatlan"),
    ("Mexico/General", "America/Mexico_City"),
    ("MST", "America/Phoenix"),
    ("MST7MDT", "America/Denver"),
    ("Navajo", "America/Denver"),
    ("NZ", "Pacific/Auckland"),
    ("NZ-CHAT", "Pacific/Chatham"),
    ("Pacific/Enderbury", "Pacific/Kanton"),
    ("Pacific/Ponape", "Pacific/Guadalcanal"),
    ("Pacific/Truk", "Pacific/Port_Moresby"),
    ("Poland", "Europe/Warsaw"),
    ("Portugal", "Europe/Lisbon"),
    ("PRC", "Asia/Shanghai"),
    ("PST8PDT", "America/Los_Angeles"),
    ("ROC", "Asia/Taipei"),
    ("ROK", "Asia/Seoul"),
    ("Singapore", "Asia/Singapore"),
    ("Turkey", "Europe/Istanbul"),
    ("UCT", "Etc/UTC"),
    ("Universal", "Etc/UTC"),
    ("US/Alaska", "America/Anchorage"),
    ("US/Aleutian", "America/Adak"),
    ("US/Arizona", "America/Phoenix"),
    ("US/Central", "America/Chicago"),
    ("US/East-Indiana", "America/Indiana/Indianapolis"),
    ("US/Eastern", "America/New_York"),
    ("US/Hawaii", "Pacific/Honolulu"),
    ("US/Indiana-Starke", "America/Indiana/Knox"),
    ("US/Michigan", "America/Detroit"),
    ("US/Mountain", "America/Denver"),
    ("US/Pacific", "America/Los_Angeles"),
    ("US/Samoa", "Pacific/Pago_Pago"),
    ("W-SU", "Europe/Moscow"),
    ("WET", "Europe/Lisbon"),
    ("Zulu", "Etc/UTC"),
];

/// A parsed cron expression, ready to compute firing instants in any zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CronExpr {
    source: String,
    fields: Fields,
    /// Neither the minute nor the hour field starts with `*`. cronsim then
    /// steps the wall clock, not real time, and moves a firing that falls in
    /// a skipped stretch to the first whole minute after it (Debian cron's
    /// handling of jobs at fixed times).
    fixed_time: bool,
}

impl CronExpr {
    pub fn parse(expr: &str) -> Result<CronExpr, CronError> {
        let source = expr.trim_matches(is_python_space);
        if source.contains('\n') {
            return Err(CronError::MultiLine);
        }
        // cronsim upper-cases the whole expression, then splits it as
        // Python's `str.split()` does.
        let upper = source.to_uppercase();
        let texts: Vec<&str> = upper.split(is_python_space).filter(|text| !text.is_empty()).collect();
        if texts.len() == 1 && source.starts_with('@') {
            return Err(CronError::Macro(source.to_owned()));
        }
        let [minute, hour, day, month, weekday] = texts[..] else {
            return Err(CronError::FieldCount(texts.len()));
        };
        let days = parse_field(CronField::DayOfMonth, day)?;
        let months = parse_field(CronField::Month, month)?.values;
        let fields = Fields {
            minutes: parse_field(CronField::Minute, minute)?.values,
            hours: parse_field(CronField::Hour, hour)?.values,
            days,
            months,
            weekdays: parse_field(CronField::DayOfWeek, weekday)?.folding_sunday(),
            // Debian cron: a day must match both day fields if either starts
            // with `*`, and either of them otherwise.
            days_and: day.starts_with('*') || weekday.starts_with('*'),
        };
        reject_impossible_days(&days, months)?;
        // healthchecks.io accepts a schedule only if cronsim finds a firing
        // after 2000-01-01 (in its 50-year search), on a clock without zone.
        let mut cursor = Cursor::new(first_day_of_2000()?, false, Clock::Wall);
        if !matches!(fields.step_to_next(&mut cursor), Walk::Found) {
            return Err(CronError::NeverFires);
        }
        Ok(CronExpr {
            source: source.to_owned(),
            fields,
            fixed_time: !minute.starts_with('*') && !hour.starts_with('*'),
        })
    }

    /// The expression as given, trimmed.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// What the expression fires on, for putting it in words.
    pub fn calendar(&self) -> crate::schedule_words::Calendar {
        let values = |bits: u64| (0..64).filter(|&v| has(bits, v)).collect::<Vec<u32>>();
        let f = &self.fields;
        let mut days: Vec<i32> = values(f.days.values).into_iter().map(|d| d as i32).collect();
        if f.days.last_day {
            days.push(-1);
        }
        crate::schedule_words::Calendar {
            seconds: Vec::new(),
            minutes: values(f.minutes),
            hours: values(f.hours),
            days,
            last_workday: f.days.last_workday,
            weekdays: values(f.weekdays.values),
            last_weekdays: values(f.weekdays.last_weekdays),
            nth_weekdays: values(f.weekdays.nth_weekdays).into_iter().map(|bit| (bit / 8, bit % 8)).collect(),
            months: values(f.months),
            years: None,
            days_and: f.days_and,
            zone: None,
        }
    }

    /// The expression in words: "At 02:15 every day".
    pub fn describe(&self) -> String {
        crate::schedule_words::describe(&self.calendar())
    }

    /// The first instant strictly after `after` at which the schedule fires in
    /// `zone`, as cronsim computes it from there (see the module notes for
    /// the one case where edgebeat takes cronsim's following answer), or None
    /// if cronsim finds none within about 50 years.
    pub fn next_after(&self, after: Timestamp, zone: Tz) -> Option<Timestamp> {
        let after_instant = DateTime::from_timestamp_millis(after.millis())?;
        // cronsim drops the fraction of a second it starts from.
        let mut from = DateTime::from_timestamp(after.secs(), 0)?;
        for _ in 0..MAX_ANSWERS_IN_THE_PAST {
            from = match self.cronsim_next(from, zone) {
                Answer::At(next) if next > after_instant => return Some(Timestamp::from_datetime(&next)),
                // From an answer in the past, cronsim's next answer...
                Answer::At(next) if next > from => next,
                // ...but where it does not move on, or walks in a circle,
                // from a second later.
                Answer::At(_) | Answer::Circles => from.checked_add_signed(TimeDelta::seconds(1))?,
                Answer::Never => return None,
            };
        }
        None
    }

    /// What `next(CronSim(expr, from_in_zone))` answers, as an instant.
    fn cronsim_next(&self, from: DateTime<Utc>, zone: Tz) -> Answer {
        let (wall, fold) = wall_clock(zone, from);
        if self.fixed_time {
            let mut cursor = Cursor::new(wall, false, Clock::Wall);
            match self.fields.step_to_next(&mut cursor) {
                Walk::Found => {}
                Walk::Circles => return Answer::Circles,
                Walk::GivesUp => return Answer::Never,
            }
            // A skipped time fires at the first whole minute the clock shows.
            let mut wall = Some(cursor.wall);
            for _ in 0..MAX_SKIPPED_MINUTES {
                match wall {
                    Some(real) if !is_skipped(zone, real) => return Answer::from(instant(zone, real, false)),
                    Some(skipped) => wall = skipped.checked_add_signed(TimeDelta::minutes(1)),
                    None => break,
                }
            }
            Answer::Never
        } else {
            let mut cursor = Cursor::new(wall, fold, Clock::Zone(zone));
            match self.fields.step_to_next(&mut cursor) {
                Walk::Found => Answer::from(instant(zone, cursor.wall, cursor.fold)),
                Walk::Circles => Answer::Circles,
                Walk::GivesUp => Answer::Never,
            }
        }
    }
}

/// What cronsim answers from one start.
enum Answer {
    At(DateTime<Utc>),
    /// No firing within 50 years (or beyond the calendar).
    Never,
    /// cronsim would walk in a circle for ever (see `Walk::Circles`).
    Circles,
}

impl From<Option<DateTime<Utc>>> for Answer {
    fn from(instant: Option<DateTime<Utc>>) -> Answer {
        instant.map_or(Answer::Never, Answer::At)
    }
}

/// How many of cronsim's answers `next_after` passes over: those at or
/// before `after`, and circles edgebeat could not go on from. There is at
/// most one for each second of a repeated stretch of wall-clock time, where
/// cronsim started in the second pass answers with the first; the longest
/// such stretch the oracle test meets is two hours (Antarctica/Troll).
const MAX_ANSWERS_IN_THE_PAST: usize = 100_000;

/// The longest skipped stretch of wall-clock time, in minutes, with room to
/// spare: Samoa skipped a whole day in 2011.
const MAX_SKIPPED_MINUTES: usize = 3 * 24 * 60;

fn first_day_of_2000() -> Result<NaiveDateTime, CronError> {
    NaiveDate::from_ymd_opt(2000, 1, 1).map(|day| day.and_time(NaiveTime::MIN)).ok_or(CronError::NeverFires)
}

/// Python's `str.isspace()`: Unicode's white space plus the four ASCII
/// information separators (0x1C to 0x1F).
fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// What one field selects. Numbers are bits (every field's are below 64);
/// the extensions are flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Items {
    values: u64,
    /// `L` in the day-of-month field: the month's last day.
    last_day: bool,
    /// `LW` in the day-of-month field: the month's last Monday-to-Friday day.
    last_workday: bool,
    /// `nL` in the day-of-week field: bit n for the month's last weekday n.
    last_weekdays: u64,
    /// `n#k` in the day-of-week field: bit 8k + n for the k-th weekday n.
    nth_weekdays: u64,
}

impl Items {
    fn value(value: u32) -> Items {
        Items { values: bit(value), ..Items::default() }
    }

    fn range(start: u32, end: u32) -> Items {
        Items { values: (start..=end).fold(0, |bits, value| bits | bit(value)), ..Items::default() }
    }

    fn union(self, other: Items) -> Items {
        Items {
            values: self.values | other.values,
            last_day: self.last_day || other.last_day,
            last_workday: self.last_workday || other.last_workday,
            last_weekdays: self.last_weekdays | other.last_weekdays,
            nth_weekdays: self.nth_weekdays | other.nth_weekdays,
        }
    }

    /// Sunday is 0 or 7 in the day-of-week field; keeps it as 0.
    fn folding_sunday(self) -> Items {
        let fold = |bits: u64, seven: u64, zero: u64| if bits & seven != 0 { (bits & !seven) | zero } else { bits };
        let mut nth_weekdays = self.nth_weekdays;
        for week in 1..=5 {
            nth_weekdays = fold(nth_weekdays, bit(8 * week + 7), bit(8 * week));
        }
        Items {
            values: fold(self.values, bit(7), bit(0)),
            last_weekdays: fold(self.last_weekdays, bit(7), bit(0)),
            nth_weekdays,
            ..self
        }
    }
}

fn bit(value: u32) -> u64 {
    1u64.checked_shl(value).unwrap_or(0)
}

fn has(bits: u64, value: u32) -> bool {
    bits & bit(value) != 0
}

/// A comma-separated list, read the way cronsim reads a field.
fn parse_field(field: CronField, text: &str) -> Result<Items, CronError> {
    let malformed = || CronError::Malformed { field, item: text.to_owned() };
    let (min, max) = field.bounds();
    if text == "*" {
        return Ok(Items::range(min, max));
    }
    if text.contains(',') {
        return text.split(',').try_fold(Items::default(), |all, term| Ok(all.union(parse_field(field, term)?)));
    }
    if field == CronField::DayOfWeek && text.contains('L') {
        // `nL`: the L can only be last, after a plain number.
        let number = text.strip_suffix('L').filter(|number| is_plain_number(number)).ok_or_else(malformed)?;
        let weekday = parse_value(field, text, number)?;
        return Ok(Items { last_weekdays: bit(weekday), ..Items::default() });
    }
    if field == CronField::DayOfWeek && text.contains('#') {
        let (weekday, week) = text.split_once('#').ok_or_else(malformed)?;
        if !is_plain_number(week) {
            return Err(malformed());
        }
        let week = match week.parse::<u32>() {
            Ok(week @ 1..=5) => week,
            _ => return Err(CronError::WeekNumber { item: text.to_owned() }),
        };
        let weekday = parse_value(field, text, weekday)?;
        return Ok(Items { nth_weekdays: bit(8 * week + weekday), ..Items::default() });
    }
    if let Some((term, step)) = text.split_once('/') {
        if !is_plain_number(step) {
            return Err(malformed());
        }
        // Any step too large for a u32 selects only the start, as u32::MAX does.
        let step = match step.parse::<u32>().unwrap_or(u32::MAX) {
            0 => return Err(CronError::ZeroStep { field }),
            step => step as usize,
        };
        let items = parse_field(field, term)?;
        if items.values == 0 {
            // `L/s` and `LW/s` ignore the step.
            return Ok(items);
        }
        // One value (`a/s`, but also `a-a/s`) runs to the end of the field.
        let items =
            if items.values.count_ones() == 1 { Items::range(items.values.trailing_zeros(), max) } else { items };
        let values = (0..64).filter(|&value| has(items.values, value)).step_by(step).fold(0, |bits, v| bits | bit(v));
        return Ok(Items { values, ..Items::default() });
    }
    if let Some((first, last)) = text.split_once('-') {
        let first_value = parse_value(field, text, first)?;
        let last_value = parse_value(field, text, last)?;
        if last_value < first_value {
            return Err(CronError::ReversedRange { field, range: text.to_owned() });
        }
        return Ok(Items::range(first_value, last_value));
    }
    match (field, text) {
        (CronField::DayOfMonth, "LW") => Ok(Items { last_workday: true, ..Items::default() }),
        (CronField::DayOfMonth, "L") => Ok(Items { last_day: true, ..Items::default() }),
        _ => Ok(Items::value(parse_value(field, text, text)?)),
    }
}

/// A plain decimal number within the field's bounds, or one of its names.
fn parse_value(field: CronField, item: &str, text: &str) -> Result<u32, CronError> {
    let (names, first_named) = field.names();
    if let Some(index) = names.iter().position(|name| *name == text) {
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
/// without `L` or `LW` whose smallest day is longer than every selected month
/// (February counting 29 days) is rejected, even when the day-of-week field
/// would fire.
fn reject_impossible_days(days: &Items, months: u64) -> Result<(), CronError> {
    const LONGEST_MONTH: [u32; 13] = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if days.last_day || days.last_workday || days.values == 0 {
        return Ok(());
    }
    let first_day = days.values.trailing_zeros();
    let longest = (1..=12).filter(|&month| has(months, month)).map(|month| LONGEST_MONTH[month as usize]).max();
    if first_day > 29 && first_day > longest.unwrap_or(0) {
        return Err(CronError::ImpossibleDay(first_day));
    }
    Ok(())
}

/// The five fields, as cronsim matches them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fields {
    minutes: u64,
    hours: u64,
    days: Items,
    months: u64,
    /// Sunday is 0 only.
    weekdays: Items,
    days_and: bool,
}

impl Fields {
    fn matches_day(&self, date: NaiveDate) -> bool {
        if self.days_and {
            self.matches_day_of_month(date) && self.matches_day_of_week(date)
        } else {
            self.matches_day_of_month(date) || self.matches_day_of_week(date)
        }
    }

    fn matches_day_of_month(&self, date: NaiveDate) -> bool {
        let day = date.day();
        has(self.days.values, day)
            || (self.days.last_day && day == days_in_month(date))
            || (self.days.last_workday && day == last_workday(date))
    }

    fn matches_day_of_week(&self, date: NaiveDate) -> bool {
        let weekday = date.weekday().num_days_from_sunday();
        let week = date.day().div_ceil(7);
        has(self.weekdays.values, weekday)
            || (has(self.weekdays.last_weekdays, weekday) && date.day() + 7 > days_in_month(date))
            || has(self.weekdays.nth_weekdays, 8 * week + weekday)
    }

    /// cronsim's `__next__`: one second forward, then month, day, hour,
    /// minute and second rolled forward in turn until all of them match.
    fn step_to_next(&self, cursor: &mut Cursor) -> Walk {
        self.walk(cursor).unwrap_or(Walk::GivesUp)
    }

    fn walk(&self, cursor: &mut Cursor) -> Option<Walk> {
        cursor.tick(1)?;
        let start_year = cursor.wall.year();
        // Each round depends only on the cursor, so a cursor seen at the start
        // of an earlier round means cronsim would go round for ever.
        let mut seen = BTreeSet::new();
        loop {
            if !seen.insert((cursor.wall, cursor.fold)) {
                // Where the circle passes a repeated wall-clock time on its
                // first pass, edgebeat goes on from the second.
                match cursor.clock {
                    Clock::Zone(zone) if !cursor.fold && is_repeated(zone, cursor.wall) => {
                        cursor.fold = true;
                        seen.insert((cursor.wall, cursor.fold));
                    }
                    _ => return Some(Walk::Circles),
                }
            }
            self.roll_month(cursor)?;
            if cursor.wall.year() > start_year + 50 {
                return Some(Walk::GivesUp);
            }
            if !(self.roll_day(cursor)? || self.roll_hour(cursor)? || self.roll_minute(cursor)? || roll_second(cursor)?)
            {
                return Some(Walk::Found);
            }
        }
    }

    fn roll_month(&self, cursor: &mut Cursor) -> Option<()> {
        let mut month = cursor.wall.date();
        if has(self.months, month.month()) {
            return Some(());
        }
        while !has(self.months, month.month()) {
            month = month.with_day(1)?.checked_add_months(Months::new(1))?;
        }
        cursor.midnight(month);
        Some(())
    }

    /// Whether the day did not match and the cursor moved: to the next
    /// matching day or the next first of a month, at midnight.
    fn roll_day(&self, cursor: &mut Cursor) -> Option<bool> {
        let mut day = cursor.wall.date();
        if self.matches_day(day) {
            return Some(false);
        }
        while !self.matches_day(day) {
            day = day.succ_opt()?;
            if day.day() == 1 {
                break;
            }
        }
        cursor.midnight(day);
        Some(true)
    }

    fn roll_hour(&self, cursor: &mut Cursor) -> Option<bool> {
        if has(self.hours, cursor.wall.hour()) {
            return Some(false);
        }
        cursor.wall = cursor.wall.with_minute(0)?.with_second(0)?;
        while !has(self.hours, cursor.wall.hour()) {
            cursor.tick(3600)?;
            if cursor.wall.hour() == 0 {
                break;
            }
        }
        Some(true)
    }

    fn roll_minute(&self, cursor: &mut Cursor) -> Option<bool> {
        let minute = cursor.wall.minute();
        if has(self.minutes, minute) {
            return Some(false);
        }
        cursor.wall = cursor.wall.with_second(0)?;
        if self.minutes.count_ones() == 1 {
            // One jump to the only minute.
            let target = self.minutes.trailing_zeros();
            cursor.tick(i64::from((target + 60 - minute) % 60) * 60)?;
        }
        while !has(self.minutes, cursor.wall.minute()) {
            cursor.tick(60)?;
            if cursor.wall.minute() == 0 {
                break;
            }
        }
        Some(true)
    }
}

/// How a walk of [`Fields::step_to_next`] ends.
enum Walk {
    /// Every field matches the cursor.
    Found,
    /// No match within 50 years, or the calendar ended.
    GivesUp,
    /// The walk came back to where it was and would go round for ever. cronsim
    /// does that where a repeated stretch spans midnight: on 2009-11-01 St.
    /// John's turned 00:01 back to 23:01, so `2 * 1 * *` from 23:32 on
    /// October 31 rolls to the first pass of midnight on November 1, on to
    /// 00:02 there, which is 23:02 on October 31 again, and back to midnight.
    /// edgebeat goes on from the second pass of the time where the circle
    /// closes, when that is a repeated time passed the first time (midnight
    /// here: the answer is 00:02 of the second pass), and reports a circle
    /// only otherwise, which no zone has shown.
    Circles,
}

/// The seconds field of a 5-field expression is `0`.
fn roll_second(cursor: &mut Cursor) -> Option<bool> {
    let second = cursor.wall.second();
    if second == 0 {
        return Some(false);
    }
    cursor.tick(i64::from(60 - second))?;
    while cursor.wall.second() != 0 {
        cursor.tick(1)?;
    }
    Some(true)
}

fn days_in_month(date: NaiveDate) -> u32 {
    match date.month() {
        2 if date.leap_year() => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The day of the month's last Monday-to-Friday day.
fn last_workday(date: NaiveDate) -> u32 {
    let last = days_in_month(date);
    match date.with_day(last).map(|day| day.weekday()) {
        Some(Weekday::Sun) => last - 2,
        Some(Weekday::Sat) => last - 1,
        _ => last,
    }
}

/// How cronsim's cursor moves through time.
#[derive(Clone, Copy, Debug)]
enum Clock {
    /// A wall clock without zone: every day has 24 hours.
    Wall,
    /// Real time seen on a zone's wall clock: a step converts to UTC, adds
    /// the seconds and converts back.
    Zone(Tz),
}

/// cronsim's `self.dt`: a wall-clock time with Python's `fold` (which of two
/// passes through a repeated time; for a skipped time, whether to read it
/// with the offset from after the clock change rather than before).
#[derive(Clone, Copy, Debug)]
struct Cursor {
    wall: NaiveDateTime,
    fold: bool,
    clock: Clock,
}

impl Cursor {
    fn new(wall: NaiveDateTime, fold: bool, clock: Clock) -> Cursor {
        Cursor { wall, fold, clock }
    }

    fn tick(&mut self, seconds: i64) -> Option<()> {
        let step = TimeDelta::try_seconds(seconds)?;
        match self.clock {
            Clock::Wall => self.wall = self.wall.checked_add_signed(step)?,
            Clock::Zone(zone) => {
                let moved = instant(zone, self.wall, self.fold)?.checked_add_signed(step)?;
                (self.wall, self.fold) = wall_clock(zone, moved);
            }
        }
        Some(())
    }

    /// `datetime.combine(day, time())`: midnight, first pass.
    fn midnight(&mut self, day: NaiveDate) {
        self.wall = day.and_time(NaiveTime::MIN);
        self.fold = false;
    }
}

/// The wall-clock time `instant` shows in `zone`, and whether it is the
/// second pass through a repeated time (Python's `fold`).
fn wall_clock(zone: Tz, instant: DateTime<Utc>) -> (NaiveDateTime, bool) {
    let wall = instant.with_timezone(&zone).naive_local();
    let fold = matches!(zone.from_local_datetime(&wall), LocalResult::Ambiguous(_, later) if later.with_timezone(&Utc) == instant);
    (wall, fold)
}

/// The instant of a wall-clock time, read as Python's zoneinfo reads it: a
/// repeated time by its fold, a skipped one with the offset from before the
/// change (fold 0) or after it (fold 1).
fn instant(zone: Tz, wall: NaiveDateTime, fold: bool) -> Option<DateTime<Utc>> {
    let at = match zone.from_local_datetime(&wall) {
        LocalResult::Single(at) => at,
        LocalResult::Ambiguous(earlier, later) => {
            if fold {
                later
            } else {
                earlier
            }
        }
        LocalResult::None => {
            let change = end_of_gap(zone, wall)?;
            let offset = if fold { change } else { change.checked_sub_signed(TimeDelta::seconds(1))? };
            return wall.checked_sub_signed(utc_offset(zone, offset)).map(|utc| utc.and_utc());
        }
    };
    Some(at.with_timezone(&Utc))
}

fn is_repeated(zone: Tz, wall: NaiveDateTime) -> bool {
    matches!(zone.from_local_datetime(&wall), LocalResult::Ambiguous(..))
}

fn is_skipped(zone: Tz, wall: NaiveDateTime) -> bool {
    matches!(zone.from_local_datetime(&wall), LocalResult::None)
}

/// The instant the clock jumped over `skipped`, a wall-clock time that never
/// happened: when the first real wall-clock time after it began. Found by
/// doubling then bisecting, as gaps range from minutes to a whole day (Samoa,
/// 2011).
fn end_of_gap(zone: Tz, skipped: NaiveDateTime) -> Option<DateTime<Utc>> {
    let exists = |wall: NaiveDateTime| !is_skipped(zone, wall);
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
    // Whole seconds keep the result on the whole second where gaps end.
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

fn utc_offset(zone: Tz, instant: DateTime<Utc>) -> TimeDelta {
    let offset = zone.offset_from_utc_datetime(&instant.naive_utc()).fix();
    TimeDelta::seconds(i64::from(offset.local_minus_utc()))
}

#[cfg(test)]
mod tests {
    use super::*;
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
            "* * 15W * *",
            "* * 5L * *",
            "* * LW5 * *",
            "L * * * *",
            "* L * * *",
            "* * * L *",
            "* * * * L",
            "* * * * L5",
            "* * * * 5L/2",
            "* * * * #2",
            "* * * * 1#",
            "* * * * 1#x",
            "* * L-5 * *",
            "* * 1#2 * *",
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
        assert_eq!(error("* * 15W * *"), "day-of-month field: \"15W\" is not a number, name, range, list or step");
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
        // A one-value range with a step runs to the end of the field, as `a/s` does.
        assert_eq!(
            firings("5-5/10 0 * * *", "UTC", "2024-01-01T00:00", 3),
            ["2024-01-01T00:05", "2024-01-01T00:15", "2024-01-01T00:25"]
        );
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
    fn gives_up_at_the_ends_of_time() {
        // 2100 is not a leap year.
        assert_eq!(next("0 0 29 2 *", "UTC", "2096-03-01T00:00"), Some(utc("2104-02-29T00:00")));
        let expr = CronExpr::parse("* * * * *").unwrap();
        assert_eq!(expr.next_after(Timestamp::from_millis(i64::MAX), Tz::UTC), None);
        assert_eq!(expr.next_after(Timestamp::from_millis(i64::MIN), Tz::UTC), None);
        assert_eq!(next("0 0 * * *", "UTC", "1969-12-31T23:00"), Some(utc("1970-01-01T00:00")));
        assert_eq!(next("0 0 * * *", "UTC", "1901-02-03T04:05"), Some(utc("1901-02-04T00:00")));
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
        // cronsim jumps 59 minutes from 01:46 (+11) to the next :45, in real
        // time: 02:15 (+10:30), past the second pass through 01:45.
        assert_eq!(
            firings("45 * * * *", "Australia/Lord_Howe", "2024-04-06T14:00", 3),
            ["2024-04-06T14:45", "2024-04-06T16:15", "2024-04-06T17:15"]
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
        // Legacy names stand for the zone under its current name, as in healthchecks.io.
        assert_eq!(parse_zone("US/Eastern").map(|tz| tz.name()), Ok("America/New_York"));
        assert_eq!(parse_zone("Europe/Kiev").map(|tz| tz.name()), Ok("Europe/Kyiv"));
        assert_eq!(parse_zone("Asia/Calcutta").map(|tz| tz.name()), Ok("Asia/Kolkata"));
        assert_eq!(parse_zone("Europe/Kyiv").map(|tz| tz.name()), Ok("Europe/Kyiv"));
        // healthchecks.io keeps these as they are, though the IANA database links them.
        assert_eq!(parse_zone("Asia/Chongqing").map(|tz| tz.name()), Ok("Asia/Chongqing"));
        assert_eq!(parse_zone("Europe/Belfast").map(|tz| tz.name()), Ok("Europe/Belfast"));
        assert_eq!(parse_zone("Mars/Olympus"), Err(ZoneError("Mars/Olympus".into())));
        assert!(parse_zone("").is_err());
        assert!(parse_zone("europe/berlin").is_err());
        assert_eq!(ZoneError("Mars/Olympus".into()).to_string(), "unknown time zone \"Mars/Olympus\"");
    }

    #[test]
    fn legacy_zone_table_names_zones_chrono_tz_knows() {
        for (legacy, current) in LEGACY_ZONES {
            assert_ne!(legacy, current);
            assert_eq!(parse_zone(current).map(|tz| tz.name()), Ok(current), "{current}");
            assert_eq!(parse_zone(legacy).map(|tz| tz.name()), Ok(current), "{legacy}");
            assert_eq!(canonical_zone_name(legacy), current);
            assert_eq!(canonical_zone_name(current), current);
            // The current name is never itself legacy.
            assert!(LEGACY_ZONES.iter().all(|(other, _)| other != &current), "{current}");
        }
    }

    // ---- what cronsim reads differently from other crons ----

    #[test]
    fn one_value_ranges_with_a_step_run_to_the_end_of_the_field() {
        assert_eq!(
            firings("5-5/15 * * * *", "UTC", "2024-01-01T00:00", 5),
            ["2024-01-01T00:05", "2024-01-01T00:20", "2024-01-01T00:35", "2024-01-01T00:50", "2024-01-01T01:05"]
        );
        assert_eq!(
            firings("0 12 * 9-9/3 *", "UTC", "2024-01-01T00:00", 4),
            ["2024-09-01T12:00", "2024-09-02T12:00", "2024-09-03T12:00", "2024-09-04T12:00"]
        );
        assert_eq!(
            firings("0 0 * * 3-3/2", "UTC", "2024-01-01T00:00", 4),
            ["2024-01-03T00:00", "2024-01-05T00:00", "2024-01-07T00:00", "2024-01-10T00:00"]
        );
        assert_eq!(weekdays_fired("0 0 * * wed-wed/2"), days(["Wed", "Fri", "Sun"]));
        assert_eq!(weekdays_fired("0 0 * * 7-7/2"), days(["Sun"]));
    }

    #[test]
    fn last_day_and_last_workday_of_the_month() {
        assert_eq!(
            firings("0 0 L * *", "UTC", "2024-01-01T00:00", 4),
            ["2024-01-31T00:00", "2024-02-29T00:00", "2024-03-31T00:00", "2024-04-30T00:00"]
        );
        // March 2024 ends on a Sunday, June on a Sunday too.
        assert_eq!(
            firings("0 0 LW * *", "UTC", "2024-01-01T00:00", 6),
            [
                "2024-01-31T00:00",
                "2024-02-29T00:00",
                "2024-03-29T00:00",
                "2024-04-30T00:00",
                "2024-05-31T00:00",
                "2024-06-28T00:00",
            ]
        );
        assert_eq!(firings("0 0 l * *", "UTC", "2023-02-01T00:00", 1), ["2023-02-28T00:00"]);
        // A step after L or LW is read and ignored.
        assert_eq!(firings("0 0 L/5 * *", "UTC", "2024-01-01T00:00", 2), ["2024-01-31T00:00", "2024-02-29T00:00"]);
        assert_eq!(error("0 0 L/0 * *"), "day-of-month step must be at least 1");
        assert_eq!(
            firings("0 0 1,L * *", "UTC", "2024-02-01T00:00", 3),
            ["2024-02-29T00:00", "2024-03-01T00:00", "2024-03-31T00:00"]
        );
        // With L in the list, days longer than the months are no error.
        assert_eq!(firings("0 0 30,L 2 *", "UTC", "2024-01-01T00:00", 1), ["2024-02-29T00:00"]);
    }

    #[test]
    fn last_and_nth_weekday_of_the_month() {
        assert_eq!(
            firings("0 0 * * 5L", "UTC", "2024-01-01T00:00", 4),
            ["2024-01-26T00:00", "2024-02-23T00:00", "2024-03-29T00:00", "2024-04-26T00:00"]
        );
        for sunday in ["0L", "7L", "0l"] {
            let expr = format!("0 0 * * {sunday}");
            assert_eq!(firings(&expr, "UTC", "2024-01-01T00:00", 2), ["2024-01-28T00:00", "2024-02-25T00:00"]);
        }
        assert_eq!(
            firings("0 0 * * 1#1", "UTC", "2024-01-01T00:00", 3),
            ["2024-02-05T00:00", "2024-03-04T00:00", "2024-04-01T00:00"]
        );
        assert_eq!(
            firings("0 0 * * MON#2", "UTC", "2024-01-01T00:00", 3),
            ["2024-01-08T00:00", "2024-02-12T00:00", "2024-03-11T00:00"]
        );
        assert_eq!(
            firings("0 0 * * sun#5", "UTC", "2024-01-01T00:00", 3),
            ["2024-03-31T00:00", "2024-06-30T00:00", "2024-09-29T00:00"]
        );
        assert_eq!(firings("0 0 * 2 1#5", "UTC", "2000-01-01T00:00", 2), ["2016-02-29T00:00", "2044-02-29T00:00"]);
        // Restricted day fields are ORed, also with the extensions...
        assert_eq!(
            firings("0 0 13 * 5#2", "UTC", "2024-01-01T00:00", 4),
            ["2024-01-12T00:00", "2024-01-13T00:00", "2024-02-09T00:00", "2024-02-13T00:00"]
        );
        assert_eq!(
            firings("0 0 L * 1#1", "UTC", "2024-01-01T00:00", 4),
            ["2024-01-31T00:00", "2024-02-05T00:00", "2024-02-29T00:00", "2024-03-04T00:00"]
        );
        // ...and ANDed when one starts with a star: last Fridays on odd days.
        assert_eq!(
            firings("0 0 */2 * 5L", "UTC", "2024-01-01T00:00", 4),
            ["2024-02-23T00:00", "2024-03-29T00:00", "2024-05-31T00:00", "2024-09-27T00:00"]
        );
        assert_eq!(error("0 0 * * 1#6"), "day-of-week \"1#6\": the week number must be 1 to 5");
        assert_eq!(error("0 0 * * 1#0"), "day-of-week \"1#0\": the week number must be 1 to 5");
        assert_eq!(error("0 0 * * 8L"), "day-of-week value 8 is out of range 0-7");
        assert_eq!(error("0 0 * * 8#1"), "day-of-week value 8 is out of range 0-7");
        // The first of the month is never a fifth Monday.
        assert_eq!(error("0 0 */31 * 1#5"), "the schedule never fires");
    }

    #[test]
    fn a_schedule_of_several_lines_is_not_cron() {
        assert_eq!(CronExpr::parse("0 0 * *\n*"), Err(CronError::MultiLine));
        assert_eq!(CronExpr::parse("0 0\n* * *"), Err(CronError::MultiLine));
        assert_eq!(error("0 0 * *\n*"), "a cron expression is a single line");
        // Surrounding line breaks are trimmed; other white space separates fields.
        assert_eq!(CronExpr::parse("\n0 0 * * *\r\n").map(|e| e.source().to_owned()), Ok("0 0 * * *".into()));
        assert!(CronExpr::parse("0 0 * *\r*").is_ok());
        assert!(CronExpr::parse("0 0 * *\u{1f}*").is_ok());
    }

    #[test]
    fn a_skipped_midnight_fires_when_the_clock_jumps() {
        // Azores, 2024-03-31: 00:00 (-01) becomes 01:00 (+00) at 01:00Z.
        assert_eq!(
            firings("* 0 31 3 *", "Atlantic/Azores", "2024-03-01T00:00", 3),
            ["2024-03-31T01:00", "2025-03-31T00:00", "2025-03-31T00:01"]
        );
        assert_eq!(
            firings("*/15 0 31 3 *", "Atlantic/Azores", "2024-03-01T00:00", 3),
            ["2024-03-31T01:00", "2025-03-31T00:00", "2025-03-31T00:15"]
        );
        assert_eq!(
            firings("0 0 31 3 *", "Atlantic/Azores", "2024-03-01T00:00", 2),
            ["2024-03-31T01:00", "2025-03-31T00:00"]
        );
        // Santiago, 2024-09-08: 00:00 (-04) becomes 01:00 (-03) at 04:00Z.
        assert_eq!(
            firings("* 0 8 9 *", "America/Santiago", "2024-09-01T00:00", 2),
            ["2024-09-08T04:00", "2025-09-08T03:00"]
        );
        // Cairo, 2024-04-26: 00:00 (+02) becomes 01:00 (+03) at 22:00Z the day before.
        assert_eq!(
            firings("*/15 0 26 4 *", "Africa/Cairo", "2024-04-01T00:00", 2),
            ["2024-04-25T22:00", "2025-04-25T21:00"]
        );
        // Havana, 2024-03-10: 00:00 (-05) becomes 01:00 (-04) at 05:00Z.
        assert_eq!(
            firings("* 0 10 3 *", "America/Havana", "2024-03-01T00:00", 2),
            ["2024-03-10T05:00", "2025-03-10T04:00"]
        );
        // Reached hour by hour rather than by a day's jump, the skipped hour is skipped.
        assert_eq!(
            firings("* 0 * * *", "Atlantic/Azores", "2024-03-30T12:00", 2),
            ["2024-04-01T00:00", "2024-04-01T00:01"]
        );
    }

    #[test]
    fn hours_counted_from_a_skipped_time() {
        // Lord Howe, 2024-10-06: 02:00 (+10:30) becomes 02:30 (+11) at 15:30Z.
        // cronsim rolls on from 02:00, a time the clock skipped, read with
        // the offset from before the change: an hour on is 03:30, not 03:00.
        assert_eq!(
            firings("* 3 * * *", "Australia/Lord_Howe", "2024-10-05T15:00", 2),
            ["2024-10-05T16:30", "2024-10-05T16:31"]
        );
    }

    #[test]
    fn never_answers_in_the_past() {
        // From the second pass through Berlin's repeated 02:00-03:00, cronsim
        // answers with 02:30 of the first pass (00:30Z), already past.
        assert_eq!(
            firings("30 2 * * *", "Europe/Berlin", "2024-10-27T01:10", 2),
            ["2024-10-28T01:30", "2024-10-29T01:30"]
        );
        // St. John's turned 00:01 back to 23:01 on 2004-10-31 (02:31Z): from
        // the second pass cronsim answers with the first pass of 00:00.
        assert_eq!(
            firings("0-3 * L,15 */1 */3", "America/St_Johns", "2004-10-31T02:56", 3),
            ["2004-10-31T03:30", "2004-10-31T03:31", "2004-10-31T03:32"]
        );
        // There, on 2009-11-01 (02:31Z), cronsim walks in a circle from
        // October 31 23:32 (see Walk::Circles); edgebeat goes on from the
        // second pass through midnight (03:30Z).
        assert_eq!(
            firings("2 * 1 * *", "America/St_Johns", "2009-11-01T02:02", 3),
            ["2009-11-01T03:32", "2009-11-01T04:32", "2009-11-01T05:32"]
        );
        // Sundays only, from the Friday before 1995-10-29: the circle is
        // entered from two days away.
        assert_eq!(
            firings("1-8/6 * */1 * */11", "America/St_Johns", "1995-10-27T11:18", 3),
            ["1995-10-29T03:31", "1995-10-29T03:37", "1995-10-29T04:31"]
        );
    }

    // ---- properties ----

    fn field_position(field: CronField) -> usize {
        match field {
            CronField::Minute => 0,
            CronField::Hour => 1,
            CronField::DayOfMonth => 2,
            CronField::Month => 3,
            CronField::DayOfWeek => 4,
        }
    }

    const FIELDS: [CronField; 5] =
        [CronField::Minute, CronField::Hour, CronField::DayOfMonth, CronField::Month, CronField::DayOfWeek];

    fn with_field(field: CronField, text: &str) -> String {
        let mut fields = ["0", "0", "*", "*", "*"];
        fields[field_position(field)] = text;
        fields.join(" ")
    }

    fn zones() -> impl Strategy<Value = Tz> {
        prop::sample::select(vec![
            "UTC",
            "Europe/Riga",
            "America/New_York",
            "Atlantic/Azores",
            "America/Santiago",
            "Africa/Cairo",
            "America/Havana",
            "Australia/Lord_Howe",
        ])
        .prop_map(zone)
    }

    /// The next `count` firings, in UTC.
    fn firing_dates(expr: &CronExpr, zone: Tz, after: Timestamp, count: usize) -> Vec<DateTime<Utc>> {
        let mut at = after;
        (0..count)
            .map_while(|_| {
                at = expr.next_after(at, zone)?;
                Some(at.to_datetime())
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn a_one_value_range_with_a_step_is_that_value_with_the_step(
            field in prop::sample::select(FIELDS.to_vec()),
            offset in 0u32..64,
            step in 1u32..70,
        ) {
            let (min, max) = field.bounds();
            let value = min + offset % (max - min + 1);
            let range = CronExpr::parse(&with_field(field, &format!("{value}-{value}/{step}")));
            let start = CronExpr::parse(&with_field(field, &format!("{value}/{step}")));
            match (range, start) {
                (Ok(range), Ok(start)) => prop_assert_eq!(range.fields, start.fields),
                (range, start) => prop_assert_eq!(range.is_err(), start.is_err()),
            }
        }

        #[test]
        fn nth_and_last_weekdays_fire_on_those_days(
            weekday in 0u32..=7,
            week in 1u32..=5,
            zone in zones(),
            after in 946_684_800_000i64..2_208_988_800_000,
        ) {
            let after = Timestamp::from_millis(after);
            let nth = CronExpr::parse(&format!("0 12 * * {weekday}#{week}")).unwrap();
            for at in firing_dates(&nth, zone, after, 3) {
                let local = at.with_timezone(&zone);
                prop_assert_eq!(local.weekday().num_days_from_sunday(), weekday % 7);
                prop_assert_eq!(local.day().div_ceil(7), week);
            }
            let last = CronExpr::parse(&format!("0 12 * * {weekday}L")).unwrap();
            for at in firing_dates(&last, zone, after, 3) {
                let local = at.with_timezone(&zone).date_naive();
                prop_assert_eq!(local.weekday().num_days_from_sunday(), weekday % 7);
                prop_assert!(local.day() + 7 > days_in_month(local));
            }
        }

        #[test]
        fn last_days_fire_at_the_end_of_the_month(zone in zones(), after in 946_684_800_000i64..2_208_988_800_000) {
            let after = Timestamp::from_millis(after);
            let last = CronExpr::parse("0 12 L * *").unwrap();
            for at in firing_dates(&last, zone, after, 3) {
                let local = at.with_timezone(&zone).date_naive();
                prop_assert_eq!(local.succ_opt().unwrap().day(), 1);
            }
            let workday = CronExpr::parse("0 12 LW * *").unwrap();
            for at in firing_dates(&workday, zone, after, 3) {
                let mut local = at.with_timezone(&zone).date_naive();
                prop_assert!(!matches!(local.weekday(), Weekday::Sat | Weekday::Sun));
                // No Monday-to-Friday day follows in the month.
                while let Some(day) = local.succ_opt().filter(|day| day.day() != 1) {
                    prop_assert!(matches!(day.weekday(), Weekday::Sat | Weekday::Sun));
                    local = day;
                }
            }
        }

        #[test]
        fn a_line_break_inside_is_never_cron(
            fields in prop::collection::vec(prop::sample::select(vec!["0", "*", "*/5", "1-5", "L", "MON#2", "5L"]), 5),
            at in 0usize..5,
            before in prop::sample::select(vec!["", " ", "\t", "\r"]),
        ) {
            let mut text = fields.join(" ");
            let split = text.match_indices(' ').nth(at.min(3)).map_or(1, |(index, _)| index);
            text.replace_range(split..split + 1, &format!("{before}\n"));
            prop_assert_eq!(CronExpr::parse(&text), Err(CronError::MultiLine));
            prop_assert_eq!(CronExpr::parse(&format!("\n{}\n", fields.join(" "))).is_ok(), CronExpr::parse(&fields.join(" ")).is_ok());
        }

        #[test]
        fn next_after_is_strictly_later_and_never_panics(
            millis in any::<i64>(),
            zone in zones(),
            fields in prop::collection::vec(
                prop::sample::select(vec!["0", "*", "*/7", "1-5", "3-3/4", "L", "LW", "MON#2", "5L", "0,30", "23"]),
                5,
            ),
        ) {
            if let Ok(expr) = CronExpr::parse(&fields.join(" ")) {
                let after = Timestamp::from_millis(millis);
                if let Some(next) = expr.next_after(after, zone) {
                    prop_assert!(next > after);
                }
            }
        }
    }
}
