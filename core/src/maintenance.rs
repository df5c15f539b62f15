//! Maintenance windows: recurring (a cron schedule in a zone, open for a
//! duration from each firing) or one-off (a start and an end), selecting a
//! project's checks by tags (any listed tag), by uuids, or all of them.
//! While a window is open, the checks it selects are muted: pings, flips and
//! events are recorded, nobody is notified; when it closes, a check that is
//! still down notifies once. Pure: the time is passed in, and recurring
//! windows open at local times in their zone, DST-correct (`CronExpr`).

use crate::api::spec::SpecError;
use crate::check::{Check, Tags};
use crate::cron::{parse_zone, CronExpr};
use crate::ids::Uuid;
use crate::time::Timestamp;
use chrono_tz::Tz;
use serde_json::{json, Map, Value};

/// The longest occurrence of a recurring window.
pub const MAX_DURATION: i64 = 7 * 86_400;
/// The longest one-off window (a project-wide mute).
pub const MAX_ONE_OFF: i64 = 90 * 86_400;
/// The most windows a project has.
pub const MAX_WINDOWS: i64 = 100;
/// The most checks a window names.
pub const MAX_CHECKS: usize = 1000;
/// Bounds the merging of overlapping occurrences (a week of minutes).
const MAX_STEPS: usize = 10_080;

/// When a window is open.
#[derive(Clone, Debug, PartialEq)]
pub enum When {
    Recurring { schedule: CronExpr, zone: Tz, duration: i64 },
    OneOff { start: Timestamp, end: Timestamp },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub id: String,
    pub name: String,
    pub when: When,
    /// A check with any of these tags is selected.
    pub tags: Tags,
    /// These checks are selected.
    pub checks: Vec<Uuid>,
}

impl Window {
    /// Neither tags nor checks: every check of the project.
    pub fn covers_all(&self) -> bool {
        self.tags.iter().next().is_none() && self.checks.is_empty()
    }

    pub fn selects(&self, check: &Check) -> bool {
        self.covers_all() || self.checks.contains(&check.uuid) || check.config.tags.contains_any(self.tags.iter())
    }

    /// If the window is open at `now`, when it closes. Occurrences of a
    /// recurring window that overlap or touch are one opening.
    pub fn open_until(&self, now: Timestamp) -> Option<Timestamp> {
        match &self.when {
            When::OneOff { start, end } => (*start <= now && now < *end).then_some(*end),
            When::Recurring { schedule, zone, duration } => {
                // The first firing strictly after `now - duration` opened an
                // occurrence still open at `now`, if it fired by then.
                let first = schedule.next_after(now.plus_secs(-duration), *zone)?;
                if first > now {
                    return None;
                }
                let (mut at, mut end) = (first, first.plus_secs(*duration));
                for _ in 0..MAX_STEPS {
                    match schedule.next_after(at, *zone) {
                        Some(next) if next <= end => (at, end) = (next, next.plus_secs(*duration)),
                        _ => break,
                    }
                }
                Some(end)
            }
        }
    }

    /// When it next opens after `now`.
    pub fn next_start(&self, now: Timestamp) -> Option<Timestamp> {
        match &self.when {
            When::OneOff { start, .. } => (*start > now).then_some(*start),
            When::Recurring { schedule, zone, .. } => schedule.next_after(now, *zone),
        }
    }

    /// The stored columns: schedule, tz, duration, start, end, tags, checks.
    pub fn stored_checks(&self) -> String {
        self.checks.iter().map(Uuid::to_string).collect::<Vec<_>>().join(",")
    }
}

/// Until when the windows open at `now` mute `check`, if any does.
pub fn muted_until(windows: &[Window], check: &Check, now: Timestamp) -> Option<Timestamp> {
    windows.iter().filter(|w| w.selects(check)).filter_map(|w| w.open_until(now)).max()
}

/// A window's stored columns.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct StoredWindow {
    pub id: String,
    pub name: String,
    pub schedule: Option<String>,
    pub tz: String,
    pub duration: Option<i64>,
    /// Unix ms.
    pub start_at: Option<i64>,
    pub end_at: Option<i64>,
    pub tags: String,
    /// Check uuids, comma-separated.
    pub checks: String,
}

impl StoredWindow {
    /// The window, or `None` when a column cannot be read back.
    pub fn into_window(self) -> Option<Window> {
        let when = match (self.schedule.as_deref(), self.duration, self.start_at, self.end_at) {
            (Some(schedule), Some(duration), _, _) => When::Recurring {
                schedule: CronExpr::parse(schedule).ok()?,
                zone: parse_zone(&self.tz).ok()?,
                duration,
            },
            (None, _, Some(start), Some(end)) => {
                When::OneOff { start: Timestamp::from_millis(start), end: Timestamp::from_millis(end) }
            }
            _ => return None,
        };
        let checks = self.checks.split(',').filter(|c| !c.is_empty()).map(Uuid::parse).collect::<Option<Vec<_>>>()?;
        Some(Window { id: self.id, name: self.name, when, tags: Tags::parse(&self.tags), checks })
    }
}

fn invalid(message: impl Into<String>) -> SpecError {
    SpecError::Invalid(message.into())
}

fn instant(field: &str, value: &Value) -> Result<Timestamp, SpecError> {
    let text = value.as_str().ok_or_else(|| invalid(format!("{field} is not a string")))?;
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| Timestamp::from_datetime(&t))
        .map_err(|_| invalid(format!("{field} is not an ISO 8601 date and time with a zone")))
}

const FIELDS: &[&str] = &["name", "schedule", "tz", "duration", "start", "end", "tags", "checks", "api_key"];

/// Parses `POST /api/v3/maintenance/` (or a replacement of window `id`):
/// `schedule` (cron), `tz` (default UTC) and `duration` (seconds), or
/// `start` and `end`; `tags` and `checks` select (neither: all checks).
pub fn parse_window(body: &[u8], id: String) -> Result<Window, SpecError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| SpecError::NotJson)?;
    let object: &Map<String, Value> = value.as_object().ok_or(SpecError::NotAnObject)?;
    if let Some(unknown) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(invalid(format!("unknown field {unknown:?}")));
    }
    let text = |field: &str, max: usize| -> Result<Option<String>, SpecError> {
        match object.get(field) {
            None => Ok(None),
            Some(Value::String(s)) if s.chars().count() <= max => Ok(Some(s.clone())),
            Some(Value::String(_)) => Err(invalid(format!("{field} is too long"))),
            Some(_) => Err(invalid(format!("{field} is not a string"))),
        }
    };
    let name = text("name", 100)?.unwrap_or_default();
    let tags = Tags::parse(&text("tags", 500)?.unwrap_or_default());
    let checks = match object.get("checks") {
        None => Vec::new(),
        Some(Value::Array(items)) if items.len() <= MAX_CHECKS => items
            .iter()
            .map(|item| item.as_str().and_then(Uuid::parse_any_case))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| invalid("checks must be a list of check uuids"))?,
        Some(Value::Array(_)) => return Err(invalid("checks names more than 1000 checks")),
        Some(_) => return Err(invalid("checks is not an array")),
    };
    let recurring = object.contains_key("schedule") || object.contains_key("duration") || object.contains_key("tz");
    let one_off = object.contains_key("start") || object.contains_key("end");
    let when = match (recurring, one_off) {
        (true, false) => {
            let schedule = text("schedule", 100)?.ok_or_else(|| invalid("schedule is required with duration"))?;
            let schedule =
                CronExpr::parse(&schedule).map_err(|_| invalid("schedule is not a valid cron expression"))?;
            let zone = match text("tz", 100)? {
                Some(tz) => parse_zone(&tz).map_err(|_| invalid("tz is not a valid timezone"))?,
                None => Tz::UTC,
            };
            let duration = match object.get("duration") {
                Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.as_i64().unwrap_or(i64::MAX),
                Some(_) => return Err(invalid("duration is not a number")),
                None => return Err(invalid("duration is required with schedule")),
            };
            if duration < 60 {
                return Err(invalid("duration is too small"));
            }
            if duration > MAX_DURATION {
                return Err(invalid("duration is too large"));
            }
            When::Recurring { schedule, zone, duration }
        }
        (false, true) => {
            let start = instant("start", object.get("start").ok_or_else(|| invalid("start is required with end"))?)?;
            let end = instant("end", object.get("end").ok_or_else(|| invalid("end is required with start"))?)?;
            if end <= start {
                return Err(invalid("end must be after start"));
            }
            if end.millis() - start.millis() > MAX_ONE_OFF * 1000 {
                return Err(invalid("a one-off window lasts at most 90 days"));
            }
            When::OneOff { start, end }
        }
        _ => return Err(invalid("give either schedule, tz and duration, or start and end")),
    };
    Ok(Window { id, name, when, tags, checks })
}

/// The API's view of a window at `now`.
pub fn window_json(window: &Window, now: Timestamp) -> Value {
    let (schedule, tz, duration, start, end) = match &window.when {
        When::Recurring { schedule, zone, duration } => {
            (json!(schedule.source()), json!(zone.name()), json!(duration), Value::Null, Value::Null)
        }
        When::OneOff { start, end } => {
            (Value::Null, Value::Null, Value::Null, json!(start.iso8601()), json!(end.iso8601()))
        }
    };
    let checks: Vec<String> = window.checks.iter().map(Uuid::to_string).collect();
    json!({
        "id": window.id,
        "name": window.name,
        "schedule": schedule,
        "tz": tz,
        "duration": duration,
        "start": start,
        "end": end,
        "tags": window.tags.as_str(),
        "checks": checks,
        "all_checks": window.covers_all(),
        "open_until": window.open_until(now).map(Timestamp::iso8601),
        "next_start": window.next_start(now).map(Timestamp::iso8601),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{CheckConfig, CheckState};

    fn at(text: &str) -> Timestamp {
        Timestamp::from_datetime(&chrono::DateTime::parse_from_rfc3339(text).unwrap())
    }

    fn window(body: &str) -> Window {
        parse_window(body.as_bytes(), "w".into()).unwrap()
    }

    fn check(uuid: &str, tags: &str) -> Check {
        Check {
            id: 1,
            uuid: Uuid::parse(uuid).unwrap(),
            project_id: "p".into(),
            config: CheckConfig { tags: Tags::parse(tags), ..CheckConfig::default() },
            state: CheckState::new_check(),
            n_pings: 0,
            badge_key: String::new(),
            config_version: 0,
            routes: crate::routing::Routes::default(),
        }
    }

    #[test]
    fn a_weekly_window_opens_at_local_time_on_both_sides_of_a_dst_change() {
        // Sundays 05:00 to 07:00 in Riga: EET (+02) until 01:00 UTC on 2027-03-28, EEST (+03) after.
        let w = window(r#"{"schedule": "0 5 * * 0", "tz": "Europe/Riga", "duration": 7200}"#);
        assert_eq!(w.open_until(at("2027-03-21T03:00:00Z")), Some(at("2027-03-21T05:00:00Z")));
        assert_eq!(w.open_until(at("2027-03-21T02:59:59Z")), None);
        assert_eq!(w.open_until(at("2027-03-21T05:00:00Z")), None, "closed at its end");
        // The day of the change: 05:00 local is 02:00 UTC.
        assert_eq!(w.open_until(at("2027-03-28T02:00:00Z")), Some(at("2027-03-28T04:00:00Z")));
        assert_eq!(w.open_until(at("2027-03-28T01:59:00Z")), None);
        assert_eq!(w.open_until(at("2027-03-28T04:30:00Z")), None, "not open by the old offset's hours");
        assert_eq!(w.next_start(at("2027-03-22T00:00:00Z")), Some(at("2027-03-28T02:00:00Z")));
        // And back in autumn (after 2027-10-31): 05:00 EET is 03:00 UTC again.
        assert_eq!(w.open_until(at("2027-10-24T02:30:00Z")), Some(at("2027-10-24T04:00:00Z")));
        assert_eq!(w.open_until(at("2027-11-07T03:30:00Z")), Some(at("2027-11-07T05:00:00Z")));
        assert_eq!(w.open_until(at("2027-11-07T02:30:00Z")), None);
    }

    #[test]
    fn a_daily_window_in_new_york_follows_the_spring_change() {
        let w = window(r#"{"schedule": "30 1 * * *", "tz": "America/New_York", "duration": 3600}"#);
        // 01:30 EST is 06:30 UTC; after 2027-03-14, 01:30 EDT is 05:30 UTC.
        assert_eq!(w.open_until(at("2027-03-13T06:45:00Z")), Some(at("2027-03-13T07:30:00Z")));
        assert_eq!(w.open_until(at("2027-03-15T05:45:00Z")), Some(at("2027-03-15T06:30:00Z")));
        assert_eq!(w.open_until(at("2027-03-15T06:45:00Z")), None);
    }

    #[test]
    fn overlapping_occurrences_are_one_opening() {
        let w = window(r#"{"schedule": "*/10 * * * *", "duration": 900}"#);
        // Every 10 minutes for 15: never closes.
        let until = w.open_until(at("2027-01-01T00:05:00Z")).unwrap();
        assert!(until > at("2027-01-08T00:00:00Z"), "{until:?}");
        let w = window(r#"{"schedule": "0 * * * *", "duration": 3600}"#);
        assert!(w.open_until(at("2027-01-01T00:05:00Z")).unwrap() > at("2027-01-08T00:00:00Z"), "touching hours merge");
    }

    #[test]
    fn one_off_windows_and_selection() {
        let w = window(r#"{"start": "2027-01-01T00:00:00Z", "end": "2027-01-01T02:00:00+01:00"}"#);
        assert_eq!(w.open_until(at("2027-01-01T00:30:00Z")), Some(at("2027-01-01T01:00:00Z")));
        assert_eq!(w.open_until(at("2027-01-01T01:00:00Z")), None);
        assert!(w.covers_all());
        let a = "0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b";
        let b = "1f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b";
        assert!(w.selects(&check(a, "")));
        let by_tag = window(r#"{"start": "2027-01-01T00:00:00Z", "end": "2027-01-02T00:00:00Z", "tags": "db web"}"#);
        assert!(by_tag.selects(&check(a, "prod db")) && !by_tag.selects(&check(a, "prod")));
        let by_uuid = window(&format!(
            r#"{{"start": "2027-01-01T00:00:00Z", "end": "2027-01-02T00:00:00Z", "checks": ["{a}"]}}"#
        ));
        assert!(by_uuid.selects(&check(a, "")) && !by_uuid.selects(&check(b, "db")));
        let windows = [w, by_tag];
        assert_eq!(
            muted_until(&windows, &check(a, "db"), at("2027-01-01T00:30:00Z")),
            Some(at("2027-01-02T00:00:00Z"))
        );
        assert_eq!(muted_until(&windows, &check(a, ""), at("2027-01-01T01:30:00Z")), None);
        // Stored and read back.
        let stored = StoredWindow {
            id: "w".into(),
            schedule: Some("0 3 * * 0".into()),
            tz: "Europe/Riga".into(),
            duration: Some(7200),
            tags: "db".into(),
            checks: a.into(),
            ..StoredWindow::default()
        };
        assert_eq!(
            stored.into_window().map(|w| (w.checks.len(), w.tags.as_str().to_owned())),
            Some((1, "db".to_owned()))
        );
        let broken = StoredWindow {
            schedule: Some("0 3 * * 0".into()),
            tz: "Mars/Base".into(),
            duration: Some(60),
            ..StoredWindow::default()
        };
        assert_eq!(broken.into_window(), None);
    }

    #[test]
    fn bad_windows_are_refused_clearly() {
        let cases = [
            (r#"{}"#, "give either schedule, tz and duration, or start and end"),
            (r#"{"schedule": "0 3 * * 0"}"#, "duration is required with schedule"),
            (r#"{"schedule": "nope", "duration": 60}"#, "schedule is not a valid cron expression"),
            (r#"{"schedule": "0 3 * * 0", "duration": 30}"#, "duration is too small"),
            (r#"{"schedule": "0 3 * * 0", "duration": 604801}"#, "duration is too large"),
            (r#"{"schedule": "0 3 * * 0", "duration": 60, "tz": "Mars/Base"}"#, "tz is not a valid timezone"),
            (r#"{"start": "2027-01-02T00:00:00Z", "end": "2027-01-01T00:00:00Z"}"#, "end must be after start"),
            (r#"{"start": "2027-01-01"}"#, "start is not an ISO 8601"),
            (r#"{"start": "2027-01-01T00:00:00Z", "end": "2027-06-01T00:00:00Z"}"#, "at most 90 days"),
            (
                r#"{"start": "2027-01-01T00:00:00Z", "end": "2027-01-02T00:00:00Z", "schedule": "0 3 * * 0"}"#,
                "give either",
            ),
            (r#"{"start": "2027-01-01T00:00:00Z", "end": "2027-01-02T00:00:00Z", "checks": ["x"]}"#, "checks must be"),
            (r#"{"start": "2027-01-01T00:00:00Z", "end": "2027-01-02T00:00:00Z", "colour": 1}"#, "unknown field"),
        ];
        for (body, expected) in cases {
            let error = parse_window(body.as_bytes(), "w".into()).unwrap_err().to_string();
            assert!(error.contains(expected), "{body}: {error}");
            assert!(error.starts_with("json validation error: "), "{error}");
        }
    }
}
