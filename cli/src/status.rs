//! `edgebeat status`: the project's checks as a table. Pure: rendering and
//! the exit decision; the command fetches the list.

use crate::plan::Existing;
use edgebeat_core::duration::format_seconds;

/// Unix seconds of an API date (RFC 3339, as `2025-12-02T18:26:40+00:00`).
pub fn parse_utc(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text).ok().map(|at| at.timestamp())
}

/// `5m ago`, `2h ago`, `3d ago` (the largest unit only), or `never`.
pub fn ago(last_ping: Option<&str>, now: i64) -> String {
    let Some(at) = last_ping.and_then(parse_utc) else { return "never".into() };
    let seconds = (now - at).max(0);
    let (value, unit) = match seconds {
        s if s < 60 => (s, "s"),
        s if s < 3600 => (s / 60, "m"),
        s if s < 86_400 => (s / 3600, "h"),
        s => (s / 86_400, "d"),
    };
    format!("{value}{unit} ago")
}

fn schedule(check: &Existing) -> String {
    match (&check.schedule, check.timeout) {
        (Some(expr), _) => format!("{expr} ({})", check.tz.as_deref().unwrap_or("UTC")),
        (None, Some(timeout)) => format!("every {}", format_seconds(timeout)),
        (None, None) => String::new(),
    }
}

/// The word the dashboard shows for a check's status: `down`, `late`,
/// `started`, `paused`, `new` or `up` (the API's `grace` is `late`, and a
/// running check that is not down or paused is `started`).
pub fn shown_status(check: &Existing) -> &'static str {
    match check.status.as_str() {
        "paused" => "paused",
        "down" => "down",
        _ if check.started => "started",
        "grace" => "late",
        "new" => "new",
        _ => "up",
    }
}

/// The dashboard's order: down first, then late, running, new, up, paused.
const ORDER: [&str; 6] = ["down", "late", "started", "new", "up", "paused"];

fn rank(status: &str) -> usize {
    ORDER.iter().position(|s| *s == status).unwrap_or(ORDER.len())
}

/// Name order as the dashboard's collator has it: case-insensitive, with
/// numbers by value (`job-2` before `job-10`).
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut a, mut b) = (a.chars().peekable(), b.chars().peekable());
    loop {
        match (a.peek().copied(), b.peek().copied()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let number = |chars: &mut std::iter::Peekable<std::str::Chars>| {
                    let mut digits = String::new();
                    while let Some(c) = chars.next_if(char::is_ascii_digit) {
                        digits.push(c);
                    }
                    let trimmed = digits.trim_start_matches('0').to_owned();
                    (trimmed.len(), trimmed)
                };
                let order = number(&mut a).cmp(&number(&mut b));
                if order.is_ne() {
                    return order;
                }
            }
            (Some(x), Some(y)) => {
                let order = x.to_lowercase().cmp(y.to_lowercase());
                if order.is_ne() {
                    return order;
                }
                a.next();
                b.next();
            }
        }
    }
}

/// The checks in the dashboard's order: by status (down first), then by name.
pub fn sorted(checks: &[Existing]) -> Vec<&Existing> {
    let mut sorted: Vec<&Existing> = checks.iter().collect();
    let name = |c: &Existing| if c.name.is_empty() { c.slug.clone() } else { c.name.clone() };
    sorted.sort_by(|a, b| {
        rank(shown_status(a)).cmp(&rank(shown_status(b))).then_with(|| natural_cmp(&name(a), &name(b)))
    });
    sorted
}

/// Why `--tag` found no check: the tags no check has, or that none has them
/// all. `Ok` when some check matched (or no tag was asked for).
pub fn explain_no_match(requested: &[String], matched: usize, all: &[Existing]) -> Result<(), String> {
    if requested.is_empty() || matched > 0 {
        return Ok(());
    }
    let known: std::collections::BTreeSet<&str> = all.iter().flat_map(|c| c.tags.split_whitespace()).collect();
    let unknown: Vec<&str> = requested.iter().map(String::as_str).filter(|t| !known.contains(t)).collect();
    let quoted = |tags: &[&str]| tags.iter().map(|t| format!("{t:?}")).collect::<Vec<_>>().join(", ");
    Err(match unknown[..] {
        [] => format!(
            "no check has all of the tags {}",
            quoted(&requested.iter().map(String::as_str).collect::<Vec<_>>())
        ),
        [tag] => format!("no check has the tag {tag:?}"),
        _ => format!("no check has the tags {}", quoted(&unknown)),
    })
}

/// The ANSI colour of a status: red down, yellow late, green up, cyan started, dim the rest.
fn colour(status: &str) -> &'static str {
    match status {
        "down" => "\x1b[1;31m",
        "late" => "\x1b[33m",
        "up" => "\x1b[32m",
        "started" => "\x1b[36m",
        _ => "\x1b[2m",
    }
}

/// The table; `colour` only for a terminal.
pub fn render(checks: &[Existing], now: i64, use_colour: bool) -> String {
    let header = ["STATUS", "NAME", "SLUG", "LAST PING", "SCHEDULE", "GRACE"].map(str::to_owned);
    let rows: Vec<[String; 6]> = sorted(checks)
        .into_iter()
        .map(|c| {
            [
                shown_status(c).to_owned(),
                c.name.clone(),
                c.slug.clone(),
                ago(c.last_ping.as_deref(), now),
                schedule(c),
                format_seconds(c.grace),
            ]
        })
        .collect();
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[String; 6], status_colour: Option<&str>| {
        let mut out = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            let padded = if i + 1 == cells.len() { cell.clone() } else { format!("{cell:<width$}  ") };
            match status_colour {
                Some(code) if i == 0 => out.push_str(&format!("{code}{cell}\x1b[0m{}", &padded[cell.len()..])),
                _ => out.push_str(&padded),
            }
        }
        out.trim_end().to_owned() + "\n"
    };
    let mut out = line(&header, None);
    for row in &rows {
        out.push_str(&line(row, use_colour.then(|| colour(&row[0]))));
    }
    let down = count_down(checks);
    let noun = if checks.len() == 1 { "check" } else { "checks" };
    out.push_str(&format!("{} {noun}, {} down\n", checks.len(), down));
    out
}

pub fn count_down(checks: &[Existing]) -> usize {
    checks.iter().filter(|c| c.status == "down").count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, status: &str, last_ping: Option<&str>) -> Existing {
        Existing {
            name: name.into(),
            slug: name.into(),
            status: status.into(),
            last_ping: last_ping.map(str::to_owned),
            timeout: Some(86_400),
            grace: 3600,
            ..Existing::default()
        }
    }

    const NOW: i64 = 1_764_700_000; // 2025-12-02T18:26:40Z

    #[test]
    fn reads_api_dates() {
        assert_eq!(parse_utc("1970-01-01T00:00:00+00:00"), Some(0));
        assert_eq!(parse_utc("2025-12-02T18:26:40+00:00"), Some(NOW));
        assert_eq!(parse_utc("2025-12-02T20:26:40+02:00"), Some(NOW));
        assert_eq!(parse_utc("garbage"), None);
        assert_eq!(parse_utc("2025-13-02T18:26:40+00:00"), None);
    }

    #[test]
    fn says_how_long_ago() {
        assert_eq!(ago(None, NOW), "never");
        assert_eq!(ago(Some("2025-12-02T18:26:10+00:00"), NOW), "30s ago");
        assert_eq!(ago(Some("2025-12-02T18:16:40+00:00"), NOW), "10m ago");
        assert_eq!(ago(Some("2025-11-29T18:26:40+00:00"), NOW), "3d ago");
    }

    #[test]
    fn a_plain_table_without_colour() {
        let mut cron = check("report", "down", Some("2025-12-02T16:26:40+00:00"));
        cron.schedule = Some("30 6 * * 1-5".into());
        cron.tz = Some("Europe/Riga".into());
        let table = render(&[check("backup", "up", Some("2025-12-02T18:21:40+00:00")), cron], NOW, false);
        let expected = "\
STATUS  NAME    SLUG    LAST PING  SCHEDULE                    GRACE
down    report  report  2h ago     30 6 * * 1-5 (Europe/Riga)  1h
up      backup  backup  5m ago     every 1d                    1h
2 checks, 1 down
";
        assert_eq!(table, expected);
    }

    #[test]
    fn colours_only_the_status_when_asked() {
        let table = render(&[check("a", "down", None), check("b", "up", None)], NOW, true);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[1].starts_with("\x1b[1;31mdown\x1b[0m    a"), "{:?}", lines[1]);
        assert!(lines[2].starts_with("\x1b[32mup\x1b[0m      b"), "{:?}", lines[2]);
        assert!(!lines[0].contains('\x1b'));
    }

    #[test]
    fn statuses_read_as_on_the_dashboard_and_sort_down_first() {
        let mut running = check("sync-2", "up", None);
        running.started = true;
        let checks = [
            check("web", "up", None),
            check("cache", "grace", None),
            check("legacy", "paused", None),
            check("Backup", "down", None),
            check("sync-10", "new", None),
            running,
            check("api", "down", None),
        ];
        let table = render(&checks, NOW, false);
        let statuses: Vec<(&str, &str)> = table
            .lines()
            .skip(1)
            .take(checks.len())
            .map(|l| {
                let mut words = l.split_whitespace();
                (words.next().unwrap_or_default(), words.next().unwrap_or_default())
            })
            .collect();
        assert_eq!(
            statuses,
            [
                ("down", "api"),
                ("down", "Backup"),
                ("late", "cache"),
                ("started", "sync-2"),
                ("new", "sync-10"),
                ("up", "web"),
                ("paused", "legacy")
            ]
        );
        assert!(!table.contains("grace "), "{table}");
    }

    #[test]
    fn names_sort_case_insensitively_with_numbers_by_value() {
        use std::cmp::Ordering::*;
        assert_eq!(natural_cmp("job-2", "job-10"), Less);
        assert_eq!(natural_cmp("Alpha", "beta"), Less);
        assert_eq!(natural_cmp("b", "B"), Equal);
        assert_eq!(natural_cmp("a", "a1"), Less);
        assert_eq!(natural_cmp("x007", "x7"), Equal);
    }

    #[test]
    fn an_unknown_tag_is_named() {
        let mut a = check("a", "up", None);
        a.tags = "prod db".into();
        let mut b = check("b", "up", None);
        b.tags = "staging".into();
        let all = [a, b];
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(explain_no_match(&tags(&["prod"]), 1, &all), Ok(()));
        assert_eq!(explain_no_match(&[], 0, &[]), Ok(()));
        assert_eq!(explain_no_match(&tags(&["prdo"]), 0, &all), Err("no check has the tag \"prdo\"".into()));
        assert_eq!(
            explain_no_match(&tags(&["prdo", "x", "db"]), 0, &all),
            Err("no check has the tags \"prdo\", \"x\"".into())
        );
        assert_eq!(
            explain_no_match(&tags(&["prod", "staging"]), 0, &all),
            Err("no check has all of the tags \"prod\", \"staging\"".into())
        );
    }

    #[test]
    fn counts_down_checks() {
        assert_eq!(count_down(&[check("a", "up", None), check("b", "grace", None)]), 0);
        assert_eq!(count_down(&[check("a", "down", None), check("b", "down", None)]), 2);
    }

    #[test]
    fn one_check_is_counted_in_the_singular() {
        let table = render(&[check("a", "down", None)], NOW, false);
        assert!(table.ends_with("1 check, 1 down\n"), "{table}");
    }
}
