//! `edgebeat status`: the project's checks as a table. Pure: rendering and
//! the exit decision; the command fetches the list.

use crate::duration::format_seconds;
use crate::plan::Existing;

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

/// The ANSI colour of a status: red down, yellow grace, green up, cyan started, dim the rest.
fn colour(status: &str) -> &'static str {
    match status {
        "down" => "\x1b[1;31m",
        "grace" => "\x1b[33m",
        "up" => "\x1b[32m",
        "started" => "\x1b[36m",
        _ => "\x1b[2m",
    }
}

/// The table; `colour` only for a terminal.
pub fn render(checks: &[Existing], now: i64, use_colour: bool) -> String {
    let header = ["STATUS", "NAME", "SLUG", "LAST PING", "SCHEDULE", "GRACE"].map(str::to_owned);
    let rows: Vec<[String; 6]> = checks
        .iter()
        .map(|c| {
            [
                c.status.clone(),
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
    out.push_str(&format!("{} checks, {} down\n", checks.len(), down));
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
up      backup  backup  5m ago     every 1d                    1h
down    report  report  2h ago     30 6 * * 1-5 (Europe/Riga)  1h
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
    fn counts_down_checks() {
        assert_eq!(count_down(&[check("a", "up", None), check("b", "grace", None)]), 0);
        assert_eq!(count_down(&[check("a", "down", None), check("b", "down", None)]), 2);
    }
}
