//! Maintenance windows: recurring (a cron schedule in a zone, open for a
//! duration from each firing) or one-off (a start and an end), selecting a
//! project's checks by tags (any listed tag), by uuids, or all of them.
//!
//! A window holds the notifications of every event inside it: whoever
//! records an event that would notify (a ping, a sweep step) weighs it
//! against the windows open at the event's own time (`OpenWindows::hold`),
//! and a held event is recorded but sent to nobody, the check staying muted
//! until the window closes; a check still down then notifies once (as after
//! a snooze, `Monitoring::mute`). Pure: the time is passed in, and recurring
//! windows open at local times in their zone, DST-correct (`CronExpr`).

use crate::api::spec::SpecError;
use crate::check::{Check, Tags};
use crate::cron::{parse_zone, CronExpr};
use crate::ids::{unique_key, Uuid};
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
/// How many occurrences of a recurring window are chained into one opening
/// looking back, and again looking ahead, from the instant asked about
/// (occurrences that overlap or touch are one opening). It bounds the cron
/// steps of one evaluation to about 200, however the schedule and duration
/// combine. A window whose occurrences chain further (a schedule that fires
/// more often than the window lasts) is taken to close at the end of the
/// last occurrence looked at, where a held check is weighed again and stays
/// held; and to have opened at the first, so an older event notifies.
pub const MAX_CHAINED: usize = 100;

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

/// One stretch of time a window is open: from `start` until `end` (excluded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opening {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl Window {
    /// Neither tags nor checks: every check of the project.
    pub fn covers_all(&self) -> bool {
        self.tags.iter().next().is_none() && self.checks.is_empty()
    }

    /// Whether the window selects the check `uuid` with `tags`.
    pub fn selects(&self, uuid: &Uuid, tags: &Tags) -> bool {
        self.covers_all() || self.checks.contains(uuid) || tags.contains_any(self.tags.iter())
    }

    /// The opening that contains `now`, if the window is open then.
    /// Occurrences of a recurring window that overlap or touch are one
    /// opening, chained at most `MAX_CHAINED` occurrences each way.
    pub fn opening_at(&self, now: Timestamp) -> Option<Opening> {
        match &self.when {
            When::OneOff { start, end } => {
                (*start <= now && now < *end).then_some(Opening { start: *start, end: *end })
            }
            When::Recurring { schedule, zone, duration } => {
                // The first firing strictly after `now - duration` opened an
                // occurrence still open at `now`, if it fired by then.
                let first = schedule.next_after(now.plus_secs(-duration), *zone)?;
                if first > now {
                    return None;
                }
                // Back: the earliest firing at most a duration before the
                // opening's start began an occurrence that reaches it.
                let mut start = first;
                for _ in 0..MAX_CHAINED {
                    match schedule.next_after(start.plus_secs(-duration).plus_millis(-1), *zone) {
                        Some(earlier) if earlier < start => start = earlier,
                        _ => break,
                    }
                }
                // Ahead: each firing before the end extends it.
                let (mut at, mut end) = (first, first.plus_secs(*duration));
                for _ in 0..MAX_CHAINED {
                    match schedule.next_after(at, *zone) {
                        Some(next) if next <= end => (at, end) = (next, next.plus_secs(*duration)),
                        _ => break,
                    }
                }
                Some(Opening { start, end })
            }
        }
    }

    /// If the window is open at `now`, when it closes.
    pub fn open_until(&self, now: Timestamp) -> Option<Timestamp> {
        self.opening_at(now).map(|opening| opening.end)
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

/// A project's windows as they stand at one instant: the opening of each
/// window open then, found once, so that deciding any number of checks and
/// events against them takes no more cron steps (a sweep takes them once
/// per project, a ping once).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OpenWindows {
    open: Vec<(Window, Opening)>,
}

impl OpenWindows {
    /// The windows open at `now`.
    pub fn at(windows: impl IntoIterator<Item = Window>, now: Timestamp) -> OpenWindows {
        let open = windows.into_iter().filter_map(|w| w.opening_at(now).map(|opening| (w, opening))).collect();
        OpenWindows { open }
    }

    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }

    /// Until when the windows hold the notifications of an event at `at`
    /// (at or before the instant they were taken at) about the check `uuid`
    /// with `tags`: the latest end among the windows that select it and
    /// whose opening had begun by `at`. An event from before a window
    /// opened is not inside it, even if it is announced later.
    pub fn hold(&self, uuid: &Uuid, tags: &Tags, at: Timestamp) -> Option<Timestamp> {
        self.open
            .iter()
            .filter(|(window, opening)| opening.start <= at && at < opening.end && window.selects(uuid, tags))
            .map(|(_, opening)| opening.end)
            .max()
    }

    /// Until when the check's notifications are held at `now`: its own
    /// snooze, or the windows open now that select it, whichever ends later.
    pub fn held_until(&self, check: &Check, now: Timestamp) -> Option<Timestamp> {
        let snoozed = check.state.muted_until.filter(|until| *until > now);
        snoozed.max(self.hold(&check.uuid, &check.config.tags, now))
    }
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
    let checks = crate::ids::check_list(object.get("checks"), MAX_CHECKS).map_err(invalid)?;
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

/// The API's view of a window at `now`. A read-only key sees the checks it
/// names by their unique keys: a UUID is a ping credential (it can fail or
/// snooze the check), which that key must never see.
pub fn window_json(window: &Window, now: Timestamp, read_only: bool) -> Value {
    let (schedule, tz, duration, start, end) = match &window.when {
        When::Recurring { schedule, zone, duration } => {
            (json!(schedule.source()), json!(zone.name()), json!(duration), Value::Null, Value::Null)
        }
        When::OneOff { start, end } => {
            (Value::Null, Value::Null, Value::Null, json!(start.iso8601()), json!(end.iso8601()))
        }
    };
    let checks: Vec<String> =
        window.checks.iter().map(|uuid| if read_only { unique_key(uuid) } else { uuid.to_string() }).collect();
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
            created_at: crate::time::Timestamp::from_secs(0),
            status_changed_at: None,
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
    fn overlapping_occurrences_are_one_opening_looked_at_a_bounded_way_each_side() {
        // Every 10 minutes for 15: never closes. Chained 100 occurrences back
        // and 100 ahead of the first one still open at 00:05.
        let w = window(r#"{"schedule": "*/10 * * * *", "duration": 900}"#);
        let opening = w.opening_at(at("2027-01-01T00:05:00Z")).unwrap();
        assert_eq!(opening.start, at("2027-01-01T00:00:00Z").plus_secs(-100 * 600));
        assert_eq!(opening.end, at("2027-01-01T00:00:00Z").plus_secs(100 * 600 + 900));
        // At that end it is weighed again, and still open.
        assert!(w.opening_at(opening.end).is_some_and(|again| again.end > opening.end));
        // Touching hours merge.
        let w = window(r#"{"schedule": "0 * * * *", "duration": 3600}"#);
        let opening = w.opening_at(at("2027-01-01T00:05:00Z")).unwrap();
        assert_eq!(opening.end, at("2027-01-01T00:00:00Z").plus_secs(101 * 3600));
        assert_eq!(opening.start, at("2027-01-01T00:00:00Z").plus_secs(-100 * 3600));
        // A gap ends an opening: two hours from 02:00, then two from 03:00, daily.
        let w = window(r#"{"schedule": "0 2,3 * * *", "duration": 7200}"#);
        let opening = w.opening_at(at("2027-01-01T04:30:00Z")).unwrap();
        assert_eq!((opening.start, opening.end), (at("2027-01-01T02:00:00Z"), at("2027-01-01T05:00:00Z")));
        assert_eq!(w.opening_at(at("2027-01-01T05:00:00Z")), None);
    }

    fn uuid(text: &str) -> Uuid {
        Uuid::parse(text).unwrap()
    }

    const A: &str = "0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b";
    const B: &str = "1f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b";

    #[test]
    fn one_off_windows_and_selection() {
        let w = window(r#"{"start": "2027-01-01T00:00:00Z", "end": "2027-01-01T02:00:00+01:00"}"#);
        assert_eq!(w.open_until(at("2027-01-01T00:30:00Z")), Some(at("2027-01-01T01:00:00Z")));
        assert_eq!(w.open_until(at("2027-01-01T01:00:00Z")), None);
        assert!(w.covers_all());
        assert!(w.selects(&uuid(A), &Tags::parse("")));
        let by_tag = window(r#"{"start": "2027-01-01T00:00:00Z", "end": "2027-01-02T00:00:00Z", "tags": "db web"}"#);
        assert!(by_tag.selects(&uuid(A), &Tags::parse("prod db")) && !by_tag.selects(&uuid(A), &Tags::parse("prod")));
        let by_uuid = window(&format!(
            r#"{{"start": "2027-01-01T00:00:00Z", "end": "2027-01-02T00:00:00Z", "checks": ["{A}"]}}"#
        ));
        assert!(by_uuid.selects(&uuid(A), &Tags::parse("")) && !by_uuid.selects(&uuid(B), &Tags::parse("db")));
        // Stored and read back.
        let stored = StoredWindow {
            id: "w".into(),
            schedule: Some("0 3 * * 0".into()),
            tz: "Europe/Riga".into(),
            duration: Some(7200),
            tags: "db".into(),
            checks: A.into(),
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
    fn an_event_is_held_by_the_windows_open_at_its_own_time_that_select_its_check() {
        let all = window(r#"{"start": "2027-01-01T00:00:00Z", "end": "2027-01-01T01:00:00Z"}"#);
        let db = window(r#"{"start": "2027-01-01T00:30:00Z", "end": "2027-01-02T00:00:00Z", "tags": "db"}"#);
        let later = window(r#"{"start": "2027-01-03T00:00:00Z", "end": "2027-01-04T00:00:00Z"}"#);
        let now = at("2027-01-01T00:45:00Z");
        let open = OpenWindows::at([all, db, later], now);
        let (a, db_tags, none) = (uuid(A), Tags::parse("prod db"), Tags::parse("prod"));
        assert_eq!(open.hold(&a, &db_tags, now), Some(at("2027-01-02T00:00:00Z")), "the later end");
        assert_eq!(open.hold(&a, &none, now), Some(at("2027-01-01T01:00:00Z")));
        // An event from before the db window opened is held by the other only.
        assert_eq!(open.hold(&a, &db_tags, at("2027-01-01T00:29:59Z")), Some(at("2027-01-01T01:00:00Z")));
        assert_eq!(open.hold(&a, &db_tags, at("2026-12-31T23:59:59Z")), None, "before both");
        // Nothing open: nothing held.
        let closed =
            OpenWindows::at([window(r#"{"start": "2027-01-03T00:00:00Z", "end": "2027-01-04T00:00:00Z"}"#)], now);
        assert!(closed.is_empty());
        assert_eq!(closed.hold(&a, &none, now), None);
        // A check's own snooze and the windows: the later end holds it.
        let mut snoozed = check(A, "prod");
        snoozed.state.muted_until = Some(at("2027-01-01T00:50:00Z"));
        assert_eq!(open.held_until(&snoozed, now), Some(at("2027-01-01T01:00:00Z")));
        snoozed.state.muted_until = Some(at("2027-01-01T03:00:00Z"));
        assert_eq!(open.held_until(&snoozed, now), Some(at("2027-01-01T03:00:00Z")));
        assert_eq!(OpenWindows::default().held_until(&check(A, "db"), now), None);
    }

    #[test]
    fn a_read_only_key_sees_the_checks_of_a_window_by_their_unique_keys() {
        let w = window(&format!(
            r#"{{"start": "2027-01-01T00:00:00Z", "end": "2027-01-02T00:00:00Z", "checks": ["{A}", "{B}"]}}"#
        ));
        let now = at("2027-01-01T00:00:00Z");
        assert_eq!(window_json(&w, now, false)["checks"], json!([A, B]));
        let shown = window_json(&w, now, true);
        assert_eq!(shown["checks"], json!([unique_key(&uuid(A)), unique_key(&uuid(B))]));
        let text = shown.to_string();
        assert!(!text.contains(A) && !text.contains(B), "{text}");
        assert!(!text.contains(&uuid(A).hex()) && !text.contains(&uuid(B).hex()), "{text}");
    }

    mod openings {
        use super::*;
        use proptest::prelude::*;

        /// Every occurrence of `w` starting within `range` of `now`, merged
        /// into openings by brute force: the oracle for `opening_at`.
        fn merged(w: &Window, now: Timestamp, range_secs: i64) -> Vec<(Timestamp, Timestamp, usize)> {
            let When::Recurring { schedule, zone, duration } = &w.when else { unreachable!() };
            let mut merged: Vec<(Timestamp, Timestamp, usize)> = Vec::new();
            let mut at = now.plus_secs(-range_secs);
            while let Some(next) = schedule.next_after(at, *zone).filter(|t| *t <= now.plus_secs(range_secs)) {
                let end = next.plus_secs(*duration);
                match merged.last_mut() {
                    Some(last) if next <= last.1 => *last = (last.0, last.1.max(end), last.2 + 1),
                    _ => merged.push((next, end, 1)),
                }
                at = next;
            }
            merged
        }

        fn schedules() -> impl Strategy<Value = &'static str> {
            prop_oneof![
                Just("0 * * * *"),
                Just("*/15 * * * *"),
                Just("30 2 * * *"),
                Just("0 5 * * 0"),
                Just("0 9-17 * * 1-5"),
                Just("*/7 3 * * *"),
                Just("0 2,3 * * *"),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

            /// The opening found contains `now` exactly when an occurrence
            /// covers it; it is the brute-force merged opening whenever that
            /// chains at most `MAX_CHAINED` occurrences, and inside it always.
            #[test]
            fn opening_at_agrees_with_merging_every_occurrence(
                schedule in schedules(),
                zone in prop_oneof![Just("UTC"), Just("Europe/Riga"), Just("America/New_York")],
                duration in prop_oneof![60i64..3_600, 3_600i64..259_200],
                now in 1_798_761_600i64..1_830_297_600,
            ) {
                let w = window(&format!(r#"{{"schedule": "{schedule}", "tz": "{zone}", "duration": {duration}}}"#));
                let now = Timestamp::from_secs(now);
                let range = 10 * 86_400;
                let oracle = merged(&w, now, range).into_iter().find(|(start, end, _)| *start <= now && now < *end);
                let found = w.opening_at(now);
                prop_assert_eq!(found.is_some(), oracle.is_some(), "{:?} vs {:?}", found, oracle);
                if let (Some(found), Some((start, end, occurrences))) = (found, oracle) {
                    prop_assert!(found.start <= now && now < found.end);
                    // Nothing outside the enumerated stretch can chain into it.
                    let inside_range = start > now.plus_secs(duration - range) && end < now.plus_secs(range);
                    if inside_range {
                        prop_assert!(found.start >= start && found.end <= end, "{:?} outside {:?}", found, (start, end));
                        if occurrences <= MAX_CHAINED {
                            prop_assert_eq!((found.start, found.end), (start, end));
                        }
                    }
                }
            }

            /// A one-off window holds an event at `t` (at or before `now`)
            /// exactly when it was open from `t` through `now`.
            #[test]
            fn a_one_off_window_holds_what_happened_inside_it(
                start in 0i64..10_000, length in 1i64..10_000, t in 0i64..20_000, later in 0i64..10_000,
            ) {
                let base = at("2027-01-01T00:00:00Z");
                let (start, end) = (base.plus_secs(start), base.plus_secs(start + length));
                let w = Window {
                    id: "w".into(), name: String::new(), when: When::OneOff { start, end },
                    tags: Tags::parse(""), checks: Vec::new(),
                };
                let (t, now) = (base.plus_secs(t), base.plus_secs(t + later));
                let held = OpenWindows::at([w], now).hold(&uuid(A), &Tags::parse("db"), t);
                prop_assert_eq!(held, (start <= t && now < end).then_some(end));
            }
        }
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
