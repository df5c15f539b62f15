//! Kubernetes CronJob schedules in edgebeat's terms: every schedule the
//! Kubernetes API server accepts, translated into the schedule a check can
//! have, or a clear reason why it cannot be monitored as written.
//!
//! Kubernetes validates `spec.schedule` with robfig/cron v3's
//! `ParseStandard` (five fields and the `@` descriptors), and its CronJob
//! controller runs it with the same library. That dialect differs from
//! healthchecks.io's cronsim, which the checks' schedules follow
//! (`crate::cron`), in four ways, each handled here:
//! - `?` is accepted in any field and means `*`;
//! - the descriptors `@yearly` (`@annually`), `@monthly`, `@weekly`,
//!   `@daily` (`@midnight`) and `@hourly` stand for five fields, and
//!   `@every <Go duration>` for a fixed interval: that one becomes a period
//!   check (a ping expected every so long), as the controller runs it every
//!   so long from the last run, not at set times of day;
//! - a `CRON_TZ=<zone>` or `TZ=<zone>` prefix names the zone (newer API
//!   servers refuse it on new objects in favour of `spec.timeZone`, but
//!   older CronJobs keep it);
//! - robfig ANDs the two day fields only when one of them is a bare `*` or
//!   `?` (a step other than 1 makes it a restriction: `*/2` ORs), where
//!   cronsim ANDs whenever one of them starts with `*`. So a day field is
//!   rewritten to keep robfig's meaning: a bare star to `*`, and a stepped
//!   star to the range it stands for (`*/2` in the day of month is
//!   `1-31/2`).
//!
//! The rest of the syntax (names in any case, ranges, lists, `a/s` meaning
//! `a-max/s`) reads the same in both. What robfig accepts but cronsim
//! refuses (a schedule that never fires, such as `0 0 30 2 *`) is reported
//! as a schedule that cannot be monitored.

use crate::check::{Schedule, MAX_PERIOD, MIN_PERIOD};
use crate::cron::{parse_zone, CronError, CronExpr};
use chrono_tz::Tz;

/// A CronJob's schedule as a check's schedule.
#[derive(Clone, Debug, PartialEq)]
pub struct Translated {
    pub schedule: Schedule,
    /// The zone a `CRON_TZ=`/`TZ=` prefix named, if any.
    pub zone: Option<Tz>,
}

/// Why a schedule cannot be monitored as written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleProblem {
    #[error("the CronJob has no schedule")]
    Empty,
    #[error("{0}")]
    Invalid(String),
    #[error("schedule {schedule:?} cannot be monitored: {reason}")]
    CannotHonour { schedule: String, reason: String },
}

/// The five-field forms of robfig's descriptors (exact spelling, as robfig matches them).
const DESCRIPTORS: [(&str, &str); 7] = [
    ("@yearly", "0 0 1 1 *"),
    ("@annually", "0 0 1 1 *"),
    ("@monthly", "0 0 1 * *"),
    ("@weekly", "0 0 * * 0"),
    ("@daily", "0 0 * * *"),
    ("@midnight", "0 0 * * *"),
    ("@hourly", "0 * * * *"),
];

const EVERY: &str = "@every ";

/// Translates a CronJob's `spec.schedule`.
pub fn translate(schedule: &str) -> Result<Translated, ScheduleProblem> {
    let text = schedule.trim();
    if text.is_empty() {
        return Err(ScheduleProblem::Empty);
    }
    let cannot = |reason: String| ScheduleProblem::CannotHonour { schedule: text.to_owned(), reason };
    let (zone, rest) = split_zone(text)?;
    let zone = match zone {
        Some(name) => Some(parse_zone(name).map_err(|e| ScheduleProblem::Invalid(format!("{text:?}: {e}")))?),
        None => None,
    };
    if let Some(duration) = rest.strip_prefix(EVERY) {
        let seconds = every_seconds(duration.trim()).map_err(|e| ScheduleProblem::Invalid(format!("{text:?}: {e}")))?;
        if seconds < MIN_PERIOD {
            return Err(cannot(format!("it runs every {seconds}s, and the shortest period a check has is 1m")));
        }
        if seconds > MAX_PERIOD {
            return Err(cannot(format!("it runs every {seconds}s, and the longest period a check has is 365d")));
        }
        return Ok(Translated { schedule: Schedule::Simple { timeout: seconds }, zone });
    }
    let fields: &str = if rest.starts_with('@') {
        DESCRIPTORS
            .iter()
            .find(|(name, _)| *name == rest)
            .map(|(_, fields)| *fields)
            .ok_or_else(|| ScheduleProblem::Invalid(format!("{text:?}: unrecognized descriptor {rest:?}")))?
    } else {
        rest
    };
    let words: Vec<&str> = fields.split_whitespace().collect();
    let [minute, hour, day, month, weekday] = words[..] else {
        return Err(ScheduleProblem::Invalid(format!("{text:?}: expected 5 fields, got {}", words.len())));
    };
    let expression = [
        unquestioned(minute),
        unquestioned(hour),
        day_field(day, (1, 31)),
        unquestioned(month),
        day_field(weekday, (0, 6)),
    ]
    .join(" ");
    match CronExpr::parse(&expression) {
        Ok(expr) => Ok(Translated { schedule: Schedule::Cron(expr), zone }),
        Err(reason @ (CronError::NeverFires | CronError::ImpossibleDay(_))) => Err(cannot(reason.to_string())),
        Err(reason) => Err(ScheduleProblem::Invalid(format!("{text:?}: {reason}"))),
    }
}

/// Splits robfig's `CRON_TZ=<zone> ` or `TZ=<zone> ` prefix off (the zone
/// ends at the first space, as robfig reads it).
fn split_zone(text: &str) -> Result<(Option<&str>, &str), ScheduleProblem> {
    for prefix in ["CRON_TZ=", "TZ="] {
        if let Some(rest) = text.strip_prefix(prefix) {
            let Some((zone, schedule)) = rest.split_once(' ') else {
                return Err(ScheduleProblem::Invalid(format!("{text:?}: no schedule after the zone")));
            };
            return Ok((Some(zone), schedule.trim()));
        }
    }
    Ok((None, text))
}

/// `?` means `*` (robfig accepts it in any field, also stepped: `?/5`).
fn unquestioned(field: &str) -> String {
    field
        .split(',')
        .map(|part| part.replacen('?', "*", usize::from(part.starts_with('?'))))
        .collect::<Vec<_>>()
        .join(",")
}

/// A day field rewritten so that cronsim reads it as robfig does (see the
/// module notes): a bare star anywhere in the list makes the whole field a
/// star; a stepped star is the range it stands for.
fn day_field(field: &str, (min, max): (u32, u32)) -> String {
    let parts: Vec<String> = unquestioned(field).split(',').map(str::to_owned).collect();
    let is_bare_star = |part: &str| match part.strip_prefix('*') {
        Some("") => true,
        Some(step) => step.strip_prefix('/').is_some_and(|s| s.parse::<u64>() == Ok(1)),
        None => false,
    };
    if parts.iter().any(|part| is_bare_star(part)) {
        return "*".to_owned();
    }
    parts
        .iter()
        .map(|part| match part.strip_prefix('*') {
            Some(step) => format!("{min}-{max}{step}"),
            None => part.clone(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The seconds of robfig's `@every` interval: a Go duration (`90s`, `1h30m`,
/// `1.5h`, `500ms`), cut to whole seconds, and at least one second.
fn every_seconds(text: &str) -> Result<i64, String> {
    let nanos = go_duration_nanos(text)?;
    Ok(i64::try_from(nanos / 1_000_000_000).unwrap_or(i64::MAX).max(1))
}

/// Go's `time.ParseDuration`: an optional sign, then one or more numbers
/// (with an optional fraction) each with a unit of ns, us (µs), ms, s, m, h.
fn go_duration_nanos(text: &str) -> Result<i128, String> {
    let invalid = || format!("invalid duration {text:?}");
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let number_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_end);
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() && fraction.is_empty() {
            return Err(invalid());
        }
        let unit_end = after.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_end);
        let scale: i128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err(format!("{}: missing unit", invalid())),
            other => return Err(format!("{}: unknown unit {other:?}", invalid())),
        };
        let whole: i128 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| invalid())? };
        let mut part = whole.checked_mul(scale).ok_or_else(invalid)?;
        // The fraction's digits, each a tenth of the one before.
        let mut place = scale;
        for digit in fraction.bytes() {
            place /= 10;
            part += i128::from(digit - b'0') * place;
        }
        total = total.checked_add(part).filter(|t| *t <= i128::from(i64::MAX)).ok_or_else(invalid)?;
        rest = next;
    }
    Ok(if negative { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn cron(text: &str) -> String {
        match translate(text) {
            Ok(Translated { schedule, .. }) => schedule.expression().unwrap_or_default().to_owned(),
            Err(e) => panic!("{text}: {e}"),
        }
    }

    #[test]
    fn question_marks_mean_stars() {
        assert_eq!(cron("0 9 ? * MON-FRI"), "0 9 * * MON-FRI");
        assert_eq!(cron("0 9 1 * ?"), "0 9 1 * *");
        assert_eq!(cron("?/15 * * * *"), "*/15 * * * *");
        assert_eq!(cron("  0   9 ? *   mon-fri "), "0 9 * * mon-fri");
    }

    #[test]
    fn descriptors_become_five_fields() {
        for (descriptor, fields) in [
            ("@yearly", "0 0 1 1 *"),
            ("@annually", "0 0 1 1 *"),
            ("@monthly", "0 0 1 * *"),
            ("@weekly", "0 0 * * 0"),
            ("@daily", "0 0 * * *"),
            ("@midnight", "0 0 * * *"),
            ("@hourly", "0 * * * *"),
        ] {
            assert_eq!(cron(descriptor), fields);
        }
        assert!(matches!(translate("@Daily"), Err(ScheduleProblem::Invalid(_))), "robfig's exact spelling");
        assert!(matches!(translate("@reboot"), Err(ScheduleProblem::Invalid(_))));
    }

    #[test]
    fn zone_prefixes_name_the_zone() {
        let t = translate("CRON_TZ=Asia/Tokyo 0 * * * *").unwrap();
        assert_eq!((t.schedule.expression(), t.zone.map(|z| z.name())), (Some("0 * * * *"), Some("Asia/Tokyo")));
        let t = translate("TZ=Europe/Riga @daily").unwrap();
        assert_eq!((t.schedule.expression(), t.zone.map(|z| z.name())), (Some("0 0 * * *"), Some("Europe/Riga")));
        assert_eq!(translate("0 * * * *").unwrap().zone, None);
        let unknown = translate("TZ=Mars/Olympus 0 * * * *").unwrap_err().to_string();
        assert!(unknown.contains("unknown time zone \"Mars/Olympus\""), "{unknown}");
        assert!(matches!(translate("TZ=UTC"), Err(ScheduleProblem::Invalid(_))));
    }

    #[test]
    fn every_is_a_period() {
        for (text, seconds) in [
            ("@every 5m", 300),
            ("@every 1h30m", 5400),
            ("@every 1.5h", 5400),
            ("@every 90s", 90),
            ("@every 90.9s", 90),
            ("@every 24h", 86_400),
            ("TZ=UTC @every 2m", 120),
        ] {
            assert_eq!(translate(text).unwrap().schedule, Schedule::Simple { timeout: seconds }, "{text}");
        }
        for short in ["@every 30s", "@every 500ms", "@every 0", "@every -5m"] {
            let problem = translate(short).unwrap_err();
            assert!(matches!(problem, ScheduleProblem::CannotHonour { .. }), "{short}: {problem}");
            assert!(problem.to_string().contains("shortest period a check has is 1m"), "{problem}");
        }
        assert!(translate("@every 9000h").unwrap_err().to_string().contains("longest period"));
        for bad in ["@every", "@every 5", "@every 5x", "@every m", "@every 1h2", "@every ."] {
            assert!(matches!(translate(bad), Err(ScheduleProblem::Invalid(_))), "{bad}");
        }
    }

    #[test]
    fn go_durations_read_as_go_reads_them() {
        assert_eq!(go_duration_nanos("1h2m3.5s"), Ok(3_723_500_000_000));
        assert_eq!(go_duration_nanos("1.5µs"), Ok(1_500));
        assert_eq!(go_duration_nanos(".5s"), Ok(500_000_000));
        assert_eq!(go_duration_nanos("-2m"), Ok(-120_000_000_000));
        assert!(go_duration_nanos("").is_err());
        assert!(go_duration_nanos("99999999999999h").is_err());
    }

    #[test]
    fn day_fields_keep_robfigs_and_or_rule() {
        // A stepped star restricts in robfig: the day fields are then ORed.
        assert_eq!(cron("0 0 */2 * MON"), "0 0 1-31/2 * MON");
        assert_eq!(cron("0 0 1 * */2"), "0 0 1 * 0-6/2");
        assert_eq!(cron("0 0 ?/2 * ?/3"), "0 0 1-31/2 * 0-6/3");
        // A bare star, also in a list or with a step of 1, is the whole field and ANDs.
        assert_eq!(cron("0 0 5,* * MON"), "0 0 * * MON");
        assert_eq!(cron("0 0 */1 * MON"), "0 0 * * MON");
        // Both sides of the rule, in firing times: 2025-06-02 is a Monday.
        let at = |text: &str, from: &str| {
            let from = Timestamp::from_datetime(&chrono::DateTime::parse_from_rfc3339(from).unwrap());
            let next = translate(text).unwrap().schedule.next_expected(from, Tz::UTC).unwrap();
            next.iso8601()
        };
        // Day 3 is odd (matches */2) but a Tuesday: robfig ORs, so it fires.
        assert_eq!(at("0 0 */2 * MON", "2025-06-02T00:00:00Z"), "2025-06-03T00:00:00+00:00");
        // ? ANDs: Mondays only, at nine.
        assert_eq!(at("0 9 ? * MON-FRI", "2025-06-06T10:00:00Z"), "2025-06-09T09:00:00+00:00");
    }

    #[test]
    fn schedules_that_never_fire_cannot_be_monitored() {
        let problem = translate("0 0 30 2 *").unwrap_err();
        assert!(matches!(problem, ScheduleProblem::CannotHonour { .. }), "{problem}");
        assert!(problem.to_string().starts_with("schedule \"0 0 30 2 *\" cannot be monitored: "), "{problem}");
        assert!(matches!(translate("61 * * * *"), Err(ScheduleProblem::Invalid(_))));
        assert!(matches!(translate("* * * *"), Err(ScheduleProblem::Invalid(_))));
        assert_eq!(translate(" "), Err(ScheduleProblem::Empty));
    }
}
