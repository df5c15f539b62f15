//! Schedules in words, for people: "At 02:15 every day", "Every 15th minute
//! from 09:00 through 17:59 on Monday through Friday". The phrasing follows
//! cronsim's `explain()` (what healthchecks.io shows under a cron schedule)
//! for the common shapes; it is worded from the value sets the schedule
//! fires on, which `cron.rs` and `oncalendar.rs` hand over as a [`Calendar`],
//! so the words never come from a second reading of the expression.

/// What a schedule (one cron expression or one OnCalendar line) fires on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Calendar {
    /// Empty: second 0 only (cron).
    pub seconds: Vec<u32>,
    pub minutes: Vec<u32>,
    pub hours: Vec<u32>,
    /// Days of the month, 1 to 31; negative ones count from its end (-1 is the last day).
    pub days: Vec<i32>,
    /// cron's `LW`: the month's last Monday-to-Friday day.
    pub last_workday: bool,
    /// 0 is Sunday, 6 Saturday.
    pub weekdays: Vec<u32>,
    /// cron's `nL`: the month's last weekday n.
    pub last_weekdays: Vec<u32>,
    /// cron's `n#k`: (k, n), the k-th weekday n of the month.
    pub nth_weekdays: Vec<(u32, u32)>,
    pub months: Vec<u32>,
    /// None: every year.
    pub years: Option<Vec<i32>>,
    /// A day must match both the day-of-month and the weekday rules (else either).
    pub days_and: bool,
    /// A zone the line names for itself (OnCalendar).
    pub zone: Option<String>,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/// One part of a field's values.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Term {
    Every,
    One(i64),
    /// Consecutive values, three or more.
    Range(i64, i64),
    /// Every `step`-th value from `from`; `to` when it stops short of the field's end.
    Step {
        step: i64,
        from: i64,
        to: Option<i64>,
    },
}

/// Splits sorted, distinct values within `low..=high` into terms.
fn terms(values: &[i64], low: i64, high: i64) -> Vec<Term> {
    let n = values.len() as i64;
    if n == high - low + 1 {
        return vec![Term::Every];
    }
    if n >= 3 {
        let step = values[1] - values[0];
        let (from, last) = (values[0], values[values.len() - 1]);
        let reaches_end = last + step > high;
        // Three values read as a step only when they run to the field's end (`*/20`), not `5,7,9`.
        if step >= 2 && values.windows(2).all(|w| w[1] - w[0] == step) && (n >= 4 || reaches_end) {
            return vec![Term::Step { step, from, to: (!reaches_end).then_some(last) }];
        }
    }
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=values.len() {
        if i == values.len() || values[i] != values[i - 1] + 1 {
            let run = &values[start..i];
            if run.len() >= 3 {
                out.push(Term::Range(run[0], run[run.len() - 1]));
            } else {
                out.extend(run.iter().map(|v| Term::One(*v)));
            }
            start = i;
        }
    }
    out
}

/// "second", "third", ... "tenth", then "11th", "21st", "22nd".
fn ordinal(n: i64) -> String {
    const WORDS: [&str; 11] =
        ["", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"];
    if (1..=10).contains(&n) {
        return WORDS[n as usize].to_owned();
    }
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// "a", "a and b", "a, b, and c".
fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [a, b] => format!("{a} and {b}"),
        [rest @ .., last] => format!("{}, and {last}", rest.join(", ")),
    }
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn sorted(values: &[u32]) -> Vec<i64> {
    let mut v: Vec<i64> = values.iter().map(|&x| i64::from(x)).collect();
    crate::sorting::sort(&mut v);
    v.dedup();
    v
}

/// A field's terms in words, for minutes or hours: "minute 5", "every fifth
/// minute from 1 through 59", "every minute from 0 through 10".
fn unit_terms(terms: &[Term], unit: &str, low: i64) -> Vec<String> {
    let mut out = Vec::new();
    let mut singles = Vec::new();
    let flush = |singles: &mut Vec<String>, out: &mut Vec<String>| {
        if !singles.is_empty() {
            let word = if singles.len() == 1 { unit.to_owned() } else { format!("{unit}s") };
            out.push(format!("{word} {}", list(singles)));
            singles.clear();
        }
    };
    for term in terms {
        match term {
            Term::One(v) => singles.push(v.to_string()),
            other => {
                flush(&mut singles, &mut out);
                out.push(match other {
                    Term::Every => format!("every {unit}"),
                    Term::Range(a, b) => format!("every {unit} from {a} through {b}"),
                    Term::Step { step, from, to } => {
                        let mut text = format!("every {} {unit}", ordinal(*step));
                        let high = if unit == "minute" || unit == "second" { 59 } else { 23 };
                        if *from != low || to.is_some() {
                            text.push_str(&format!(" from {from} through {}", to.unwrap_or(high)));
                        }
                        text
                    }
                    Term::One(_) => unreachable!("handled above"),
                });
            }
        }
    }
    flush(&mut singles, &mut out);
    out
}

/// The time of day in words.
fn time_words(calendar: &Calendar) -> (String, bool) {
    let minutes = sorted(&calendar.minutes);
    let hours = sorted(&calendar.hours);
    let seconds = sorted(&calendar.seconds);
    let with_seconds = !(seconds.is_empty() || seconds == [0]);
    // A few fixed times: listed.
    if !with_seconds && minutes.len() * hours.len() <= 4 {
        let times: Vec<String> =
            hours.iter().flat_map(|h| minutes.iter().map(move |m| format!("{h:02}:{m:02}"))).collect();
        return (format!("At {}", list(&times)), true);
    }
    if with_seconds && minutes.len() == 1 && hours.len() == 1 && seconds.len() <= 4 {
        let times: Vec<String> = seconds.iter().map(|s| format!("{:02}:{:02}:{s:02}", hours[0], minutes[0])).collect();
        return (format!("At {}", list(&times)), true);
    }
    let minute_terms = terms(&minutes, 0, 59);
    let hour_terms = terms(&hours, 0, 23);
    let minute_words = unit_terms(&minute_terms, "minute", 0);
    let mut text = match (&minute_terms[..], &hour_terms[..]) {
        ([Term::Every], [Term::Every]) => "Every minute".to_owned(),
        ([Term::One(0)], [Term::Every]) => "At the start of every hour".to_owned(),
        (_, [Term::Every]) => format!("{} of every hour", sentence(&minute_words)),
        // Whole hours, every minute or every n-th from the hour: "from 09:00 through 17:59".
        ([Term::Every | Term::Step { from: 0, to: None, .. }], [Term::One(_) | Term::Range(..)]) => {
            let (first, last) = (hours[0], hours[hours.len() - 1]);
            format!("{} from {first:02}:00 through {last:02}:59", capitalize(&minute_words[0]))
        }
        ([Term::Range(a, b)], [Term::One(h)]) => format!("Every minute from {h:02}:{a:02} through {h:02}:{b:02}"),
        _ => {
            let hour_words = unit_terms(&hour_terms, "hour", 0);
            let hour_text = match &hour_terms[..] {
                [Term::Every] => "every hour".to_owned(),
                _ => list(&hour_words),
            };
            format!("{} past {hour_text}", sentence(&minute_words))
        }
    };
    if with_seconds {
        let second_words = unit_terms(&terms(&seconds, 0, 59), "second", 0);
        text.push_str(&format!(", at {}", list(&second_words)));
    }
    (text, false)
}

/// Terms as the start of a sentence: "At minute 5", "Every fifth minute", "At minute 1 and every fifth minute".
fn sentence(words: &[String]) -> String {
    let text = list(words);
    if text.starts_with("every") {
        capitalize(&text)
    } else {
        format!("At {text}")
    }
}

fn day_of_month(day: i64) -> String {
    match day {
        -1 => "the last day".to_owned(),
        d if d < 0 => format!("the {} day from the end", ordinal(-d)),
        d => format!("the {} day", ordinal(d)),
    }
}

/// The day-of-month rule, or None when it is every day.
fn days_words(calendar: &Calendar, every_month: bool) -> Option<String> {
    let mut positive: Vec<i64> = calendar.days.iter().filter(|d| **d > 0).map(|d| i64::from(*d)).collect();
    crate::sorting::sort(&mut positive);
    positive.dedup();
    let mut from_end: Vec<i64> = calendar.days.iter().filter(|d| **d < 0).map(|d| i64::from(*d)).collect();
    crate::sorting::sort(&mut from_end);
    from_end.dedup();
    if positive.len() == 31 && !calendar.last_workday {
        return None;
    }
    let mut parts = Vec::new();
    let day_terms = terms(&positive, 1, 31);
    let single_days = day_terms.iter().all(|t| matches!(t, Term::One(_)));
    if single_days && day_terms.len() > 1 && from_end.is_empty() && !calendar.last_workday {
        // "the first and the 15th day of month"
        let ordinals: Vec<String> = positive.iter().map(|d| format!("the {}", ordinal(*d))).collect();
        return Some(format!("{} day of month", list(&ordinals)));
    }
    for term in &day_terms {
        parts.push(match term {
            Term::One(d) => day_of_month(*d),
            Term::Range(a, b) => format!("every day of month from {a} through {b}"),
            Term::Step { step, from, to } => {
                let mut text = format!("every {} day of month", ordinal(*step));
                if *from != 1 || to.is_some() {
                    text.push_str(&format!(" from {from} through {}", to.unwrap_or(31)));
                }
                text
            }
            Term::Every => "every day of month".to_owned(),
        });
    }
    parts.extend(from_end.iter().rev().map(|d| day_of_month(*d)));
    if calendar.last_workday {
        parts.push("the last weekday".to_owned());
    }
    let one = parts.len() == 1 && (single_days || !from_end.is_empty() || calendar.last_workday);
    let text = list(&parts);
    Some(if one && every_month {
        format!("{text} of every month")
    } else if parts.iter().all(|p| p.ends_with(" day") || p.ends_with("weekday")) && parts.len() > 1 {
        format!("{text} of month")
    } else {
        text
    })
}

/// Monday first, as people read a week.
fn weekday_words(calendar: &Calendar) -> Option<String> {
    let monday_first = |d: u32| (d + 6) % 7;
    let mut days: Vec<i64> = calendar.weekdays.iter().map(|d| i64::from(monday_first(*d))).collect();
    crate::sorting::sort(&mut days);
    days.dedup();
    if days.len() == 7 && calendar.last_weekdays.is_empty() && calendar.nth_weekdays.is_empty() {
        return None;
    }
    let name = |monday_first: i64| WEEKDAYS[((monday_first + 1) % 7) as usize].to_owned();
    let mut parts: Vec<String> = terms(&days, 0, 6)
        .into_iter()
        .map(|term| match term {
            Term::One(d) => name(d),
            Term::Range(a, b) => format!("{} through {}", name(a), name(b)),
            Term::Step { step, .. } => format!("every {} day of week", ordinal(step)),
            Term::Every => "every day".to_owned(),
        })
        .collect();
    let mut nth = calendar.nth_weekdays.clone();
    crate::sorting::sort(&mut nth);
    parts.extend(
        nth.iter().map(|(week, day)| {
            format!("the {} {} of the month", ordinal(i64::from(*week)), WEEKDAYS[*day as usize % 7])
        }),
    );
    let mut last = calendar.last_weekdays.clone();
    crate::sorting::sort_by_key(&mut last, |d| monday_first(*d));
    parts.extend(last.iter().map(|day| format!("the last {} of the month", WEEKDAYS[*day as usize % 7])));
    Some(list(&parts))
}

fn months_words(calendar: &Calendar) -> Option<String> {
    let months = sorted(&calendar.months);
    if months.len() == 12 {
        return None;
    }
    let name = |m: i64| MONTHS[(m - 1).clamp(0, 11) as usize].to_owned();
    let parts: Vec<String> = terms(&months, 1, 12)
        .into_iter()
        .map(|term| match term {
            Term::One(m) => name(m),
            Term::Range(a, b) => format!("every month from {} through {}", name(a), name(b)),
            Term::Step { step, from, to } => {
                let mut text = format!("every {} month", ordinal(step));
                if from != 1 || to.is_some() {
                    text.push_str(&format!(" from {} through {}", name(from), name(to.unwrap_or(12))));
                }
                text
            }
            Term::Every => "every month".to_owned(),
        })
        .collect();
    Some(list(&parts))
}

fn years_words(calendar: &Calendar) -> Option<String> {
    let years = calendar.years.as_ref()?;
    let mut years: Vec<i64> = years.iter().map(|y| i64::from(*y)).collect();
    crate::sorting::sort(&mut years);
    years.dedup();
    let parts: Vec<String> = terms(&years, 1970, 2199)
        .into_iter()
        .map(|term| match term {
            Term::One(y) => y.to_string(),
            Term::Range(a, b) => format!("{a} through {b}"),
            Term::Step { step, from, to } => format!(
                "every {} year from {from}{}",
                ordinal(step),
                to.map(|t| format!(" through {t}")).unwrap_or_default()
            ),
            Term::Every => "every year".to_owned(),
        })
        .collect();
    Some(list(&parts))
}

/// The schedule in words.
pub fn describe(calendar: &Calendar) -> String {
    let (mut text, fixed_times) = time_words(calendar);
    let months = months_words(calendar);
    let weekdays = weekday_words(calendar);
    // A single day of a single month reads as a date: "on January 15".
    let single_date = match (&calendar.days[..], &months, &weekdays, calendar.last_workday) {
        ([day], Some(_), None, false) if *day > 0 && calendar.months.len() == 1 => {
            Some(format!("{} {day}", MONTHS[(calendar.months[0] as usize).clamp(1, 12) - 1]))
        }
        _ => None,
    };
    let days = days_words(calendar, months.is_none());
    let single_date_shown = single_date.is_some();
    match (single_date, days, weekdays) {
        (Some(date), _, _) => text.push_str(&format!(" on {date}")),
        (None, Some(days), Some(weekdays)) => {
            let joiner = if calendar.days_and { "if it's on" } else { "and on" };
            text.push_str(&format!(" on {days} {joiner} {weekdays}"));
            if let Some(months) = &months {
                text.push_str(&format!(" in {months}"));
            }
        }
        (None, Some(days), None) => {
            text.push_str(&format!(" on {days}"));
            if let Some(months) = &months {
                text.push_str(&format!(" {} {months}", if days.ends_with(" day") { "of" } else { "in" }));
            }
        }
        (None, None, Some(weekdays)) => {
            text.push_str(&format!(" on {weekdays}"));
            if let Some(months) = &months {
                text.push_str(&format!(" in {months}"));
            }
        }
        (None, None, None) => match (&months, fixed_times) {
            (Some(months), true) if !months.starts_with("every") => text.push_str(&format!(" every day in {months}")),
            (Some(months), _) => text.push_str(&format!(" in {months}")),
            (None, true) => text.push_str(" every day"),
            (None, false) => {}
        },
    }
    if let Some(years) = years_words(calendar) {
        // "on January 1, 2030", "in January 2030", "on Monday in 2030".
        let single_year = calendar.years.as_ref().is_some_and(|y| y.len() == 1);
        if single_date_shown && single_year {
            text.push_str(&format!(", {years}"));
        } else if single_year && MONTHS.iter().any(|month| text.ends_with(month)) {
            text.push_str(&format!(" {years}"));
        } else {
            text.push_str(&format!(" in {years}"));
        }
    }
    if let Some(zone) = &calendar.zone {
        text.push_str(&format!(" ({zone} time)"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_find_ranges_steps_and_single_values() {
        assert_eq!(terms(&(0..60).collect::<Vec<_>>(), 0, 59), [Term::Every]);
        assert_eq!(terms(&[0, 15, 30, 45], 0, 59), [Term::Step { step: 15, from: 0, to: None }]);
        assert_eq!(terms(&[0, 5, 10, 15, 20, 25, 30], 0, 59), [Term::Step { step: 5, from: 0, to: Some(30) }]);
        assert_eq!(terms(&[1, 9, 10, 11, 12], 0, 23), [Term::One(1), Term::Range(9, 12)]);
        assert_eq!(terms(&[5, 10], 0, 59), [Term::One(5), Term::One(10)]);
    }

    #[test]
    fn ordinals_read_naturally() {
        let words: Vec<String> = [2, 5, 10, 11, 12, 13, 15, 21, 22, 23, 100].into_iter().map(ordinal).collect();
        assert_eq!(
            words,
            ["second", "fifth", "tenth", "11th", "12th", "13th", "15th", "21st", "22nd", "23rd", "100th"]
        );
    }
}

#[cfg(test)]
mod explain_tests {
    use crate::cron::CronExpr;
    use crate::oncalendar::OnCalendar;

    /// cronsim's own wording (its tests/test_explain.py) where edgebeat's agrees,
    /// and edgebeat's where the value sets cannot tell the forms apart.
    const CRON: &[(&str, &str)] = &[
        ("* * * * *", "Every minute"),
        ("0 * * * *", "At the start of every hour"),
        ("5 * * * *", "At minute 5 of every hour"),
        ("5,10 * * * *", "At minutes 5 and 10 of every hour"),
        ("5,7,9 * * * *", "At minutes 5, 7, and 9 of every hour"),
        ("*/5 * * * *", "Every fifth minute of every hour"),
        ("0-30/5 * * * *", "Every fifth minute from 0 through 30 of every hour"),
        ("1/5 * * * *", "Every fifth minute from 1 through 59 of every hour"),
        ("0-10 * * * *", "Every minute from 0 through 10 of every hour"),
        ("* 0 * * *", "Every minute from 00:00 through 00:59"),
        ("* 2,4 * * *", "Every minute past hours 2 and 4"),
        ("* */2 * * *", "Every minute past every second hour"),
        ("* 1/4 * * *", "Every minute past every fourth hour from 1 through 23"),
        ("* 1-4 * * *", "Every minute from 01:00 through 04:59"),
        ("* 0-4,23 * * *", "Every minute past every hour from 0 through 4 and hour 23"),
        ("0 */3 * * *", "At minute 0 past every third hour"),
        ("10 9-17 * * *", "At minute 10 past every hour from 9 through 17"),
        ("0 0 1 * *", "At 00:00 on the first day of every month"),
        ("0 0 1,15 * *", "At 00:00 on the first and the 15th day of month"),
        ("0 0 1-15 * *", "At 00:00 on every day of month from 1 through 15"),
        ("0 0 */5 * *", "At 00:00 on every fifth day of month"),
        ("0 0 L * *", "At 00:00 on the last day of every month"),
        ("0 0 LW * *", "At 00:00 on the last weekday of every month"),
        ("* * * 1 *", "Every minute in January"),
        ("0 0 * 1 *", "At 00:00 every day in January"),
        ("0 0 * 1-3 *", "At 00:00 in every month from January through March"),
        ("0 0 * */2 *", "At 00:00 in every second month"),
        ("0 0 1 1-2 *", "At 00:00 on the first day of January and February"),
        ("0 0 * * 1#2", "At 00:00 on the second Monday of the month"),
        ("0 0 * * 1L", "At 00:00 on the last Monday of the month"),
        ("0 0 * * 1-5", "At 00:00 on Monday through Friday"),
        ("0 0 * * 1-3,5", "At 00:00 on Monday through Wednesday and Friday"),
        ("0 0 * * SAT,SUN", "At 00:00 on Saturday and Sunday"),
        ("0 0 1 1 *", "At 00:00 on January 1"),
        ("0 0 L 1 *", "At 00:00 on the last day of January"),
        ("0 2 * * *", "At 02:00 every day"),
        ("0,30 13,14 * * *", "At 13:00, 13:30, 14:00, and 14:30 every day"),
        ("0-10 11 * * *", "Every minute from 11:00 through 11:10"),
        ("* 9-17 * * *", "Every minute from 09:00 through 17:59"),
        ("*/2 9-17 * * *", "Every second minute from 09:00 through 17:59"),
        ("0 0 1 1 1", "At 00:00 on the first day and on Monday in January"),
        ("0 0 1-7 * */7", "At 00:00 on every day of month from 1 through 7 if it's on Sunday"),
    ];

    #[test]
    fn cron_schedules_in_words() {
        for (expr, words) in CRON {
            let parsed = CronExpr::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
            assert_eq!(parsed.describe(), *words, "{expr}");
        }
    }

    #[test]
    fn oncalendar_schedules_in_words() {
        let cases = [
            ("Mon..Fri *-*-* 02:00:00", "At 02:00 on Monday through Friday"),
            ("daily", "At 00:00 every day"),
            ("weekly", "At 00:00 on Monday"),
            ("*-*-01 12:00", "At 12:00 on the first day of every month"),
            ("*:0/15", "Every 15th minute of every hour"),
            ("*-*~01 03:00", "At 03:00 on the last day of every month"),
            ("quarterly", "At 00:00 on the first day of every third month"),
            ("Sat,Sun 10:30 Europe/Riga", "At 10:30 on Saturday and Sunday (Europe/Riga time)"),
            ("2030-01-01 00:00", "At 00:00 on January 1, 2030"),
            ("2030-01-01..05 12:00", "At 12:00 on every day of month from 1 through 5 in January 2030"),
            ("Mon 2030-*-* 09:00", "At 09:00 on Monday in 2030"),
            (
                "Mon..Fri 02:00\n*-*-01 12:00",
                "At 02:00 on Monday through Friday; and at 12:00 on the first day of every month",
            ),
        ];
        for (expr, words) in cases {
            let parsed = OnCalendar::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
            assert_eq!(parsed.describe(), words, "{expr}");
        }
    }
}
