//! Schedule previews (an edgebeat extension): a cron or OnCalendar schedule
//! in words with its next runs, and the time zones a check accepts. The
//! dashboard shows them; they come from the same code that decides when a
//! check is late.

use super::spec::SpecError;
use crate::check::Schedule;
use crate::cron::{canonical_zone_name, parse_zone};
use crate::time::Timestamp;
use chrono_tz::Tz;
use serde_json::{json, Value};

/// How many runs a preview lists.
pub const PREVIEW_RUNS: usize = 5;

/// `GET /api/v3/schedule/preview?schedule=...&tz=...`: the schedule as a
/// check would read it, in words, with its next runs after `now` as RFC 3339
/// times in `tz` (the wall clock there and the instant at once).
pub fn preview(query: &[(String, String)], now: Timestamp) -> Result<Value, SpecError> {
    let value = |name: &str| query.iter().find(|(key, _)| key == name).map(|(_, v)| v.as_str());
    let text = value("schedule").filter(|s| !s.trim().is_empty()).ok_or_else(|| invalid("schedule is missing"))?;
    let zone = match value("tz") {
        None | Some("") => Tz::UTC,
        Some(name) => parse_zone(name).map_err(|_| invalid(&format!("tz {name:?} is not a valid timezone")))?,
    };
    let schedule = Schedule::parse(text).map_err(|e| invalid(&format!("schedule is not valid: {e}")))?;
    let (kind, description) = match &schedule {
        Schedule::Cron(expr) => ("cron", expr.describe()),
        Schedule::OnCalendar(expr) => ("oncalendar", expr.describe()),
        Schedule::Simple { .. } => return Err(invalid("schedule is missing")),
    };
    let mut next = Vec::new();
    let mut after = now;
    while next.len() < PREVIEW_RUNS {
        let Some(at) = schedule.next_expected(after, zone) else { break };
        next.push(in_zone(at, zone));
        after = at;
    }
    Ok(json!({
        "schedule": text,
        "tz": zone.name(),
        "kind": kind,
        "description": description,
        "next": next,
    }))
}

/// An instant as RFC 3339 with the zone's offset: `2025-12-03T06:30:00+02:00`.
fn in_zone(at: Timestamp, zone: Tz) -> String {
    chrono::DateTime::from_timestamp_millis(at.millis())
        .map_or_else(|| at.iso8601(), |t| t.with_timezone(&zone).to_rfc3339_opts(chrono::SecondsFormat::Secs, false))
}

/// `GET /api/v3/schedule/zones`: every zone name a check's `tz` accepts
/// under its current name (legacy names are stored as their current ones).
pub fn zones() -> Value {
    let mut names: Vec<&str> = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|zone| zone.name())
        .filter(|name| canonical_zone_name(name) == *name)
        .collect();
    crate::sorting::sort(&mut names);
    json!({ "zones": names })
}

fn invalid(message: &str) -> SpecError {
    SpecError::Query(message.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// 2025-12-01T12:00:00Z, a Monday.
    const NOW: Timestamp = Timestamp::from_secs(1_764_590_400);

    #[test]
    fn a_cron_preview_has_words_and_five_runs_in_the_zone() {
        let answer = preview(&query(&[("schedule", "30 6 * * 1-5"), ("tz", "Europe/Riga")]), NOW).unwrap();
        assert_eq!(answer["kind"], "cron");
        assert_eq!(answer["description"], "At 06:30 on Monday through Friday");
        assert_eq!(
            answer["next"],
            json!([
                "2025-12-02T06:30:00+02:00",
                "2025-12-03T06:30:00+02:00",
                "2025-12-04T06:30:00+02:00",
                "2025-12-05T06:30:00+02:00",
                "2025-12-08T06:30:00+02:00"
            ])
        );
    }

    #[test]
    fn oncalendar_and_legacy_zones_read_as_a_check_reads_them() {
        let answer = preview(&query(&[("schedule", "Sat,Sun 10:00"), ("tz", "Europe/Kiev")]), NOW).unwrap();
        assert_eq!((answer["kind"].as_str(), answer["tz"].as_str()), (Some("oncalendar"), Some("Europe/Kyiv")));
        assert_eq!(answer["next"][0], "2025-12-06T10:00:00+02:00");
        // A schedule that stops lists what is left.
        let once = preview(&query(&[("schedule", "2026-01-01 00:00")]), NOW).unwrap();
        assert_eq!((once["tz"].as_str(), once["next"].as_array().map(Vec::len)), (Some("UTC"), Some(1)));
    }

    #[test]
    fn bad_input_is_named() {
        let error = |pairs: &[(&str, &str)]| preview(&query(pairs), NOW).unwrap_err().to_string();
        assert_eq!(error(&[]), "schedule is missing");
        assert!(
            error(&[("schedule", "61 * * * *")]).contains("minute value 61 is out of range"),
            "{}",
            error(&[("schedule", "61 * * * *")])
        );
        assert!(error(&[("schedule", "0 3 * * *"), ("tz", "Mars/Base")]).contains("not a valid timezone"));
    }

    #[test]
    fn the_zone_list_is_what_checks_accept_under_current_names() {
        let zones = zones();
        let names: Vec<&str> = zones["zones"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert!(names.contains(&"Europe/Riga") && names.contains(&"UTC") && names.contains(&"Europe/Kyiv"));
        assert!(!names.contains(&"Europe/Kiev"), "legacy names are stored as their current ones");
        assert!(names.iter().all(|name| parse_zone(name).is_ok_and(|z| z.name() == *name)));
        assert!(names.windows(2).all(|w| w[0] < w[1]));
    }
}
