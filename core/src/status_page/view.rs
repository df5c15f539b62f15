//! The public view of a status page: each shown check's status in words a
//! visitor understands, its 90 days, and the page's overall status; and the
//! JSON of `/status/<slug>.json`. Only what the page chose to show: names,
//! statuses, availability, and descriptions when the page says so.

use super::availability::{daily, overall_down_fraction, Change, Day};
use super::{public_name, StatusPage, DAYS, MAX_CHANGES};
use crate::check::{Check, ShownStatus};
use crate::time::Timestamp;
use serde_json::{json, Value};

/// A check's status as a visitor reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PublicStatus {
    Up,
    /// Its signal is overdue, within the grace time.
    Late,
    Down,
    Paused,
    /// Not yet heard from (a new check).
    Waiting,
}

impl PublicStatus {
    pub fn of(shown: ShownStatus) -> Self {
        match shown {
            ShownStatus::Up => PublicStatus::Up,
            ShownStatus::Grace => PublicStatus::Late,
            ShownStatus::Down => PublicStatus::Down,
            ShownStatus::Paused => PublicStatus::Paused,
            ShownStatus::New => PublicStatus::Waiting,
        }
    }

    /// The JSON code.
    pub fn code(self) -> &'static str {
        match self {
            PublicStatus::Up => "up",
            PublicStatus::Late => "late",
            PublicStatus::Down => "down",
            PublicStatus::Paused => "paused",
            PublicStatus::Waiting => "waiting",
        }
    }

    /// The word on the page.
    pub fn words(self) -> &'static str {
        match self {
            PublicStatus::Up => "Up",
            PublicStatus::Late => "Late",
            PublicStatus::Down => "Down",
            PublicStatus::Paused => "Paused",
            PublicStatus::Waiting => "No data yet",
        }
    }
}

/// The page's status as a whole: the worst of its checks that are watched
/// (paused and waiting checks do not count).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overall {
    Down,
    Late,
    Up,
    /// No shown check is watched right now.
    Unknown,
}

impl Overall {
    pub fn of(statuses: impl IntoIterator<Item = PublicStatus>) -> Self {
        let mut overall = Overall::Unknown;
        for status in statuses {
            overall = match (overall, status) {
                (_, PublicStatus::Down) | (Overall::Down, _) => Overall::Down,
                (_, PublicStatus::Late) | (Overall::Late, _) => Overall::Late,
                (_, PublicStatus::Up) | (Overall::Up, _) => Overall::Up,
                _ => Overall::Unknown,
            };
        }
        overall
    }

    pub fn code(self) -> &'static str {
        match self {
            Overall::Down => "down",
            Overall::Late => "late",
            Overall::Up => "up",
            Overall::Unknown => "unknown",
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            Overall::Down => "Some checks are down",
            Overall::Late => "Some checks are late",
            Overall::Up => "All checks are up",
            Overall::Unknown => "No checks are reporting",
        }
    }
}

/// One check as the public sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct PublicCheck {
    pub name: String,
    pub status: PublicStatus,
    /// Only when the page shows descriptions and there is one.
    pub description: Option<String>,
    /// Oldest first, today last.
    pub days: Vec<Day>,
}

impl PublicCheck {
    /// The fraction of the watched time it was up, over all its days.
    pub fn uptime(&self) -> Option<f64> {
        overall_down_fraction(&self.days).map(|down| 1.0 - down)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct PublicPage {
    pub slug: String,
    pub title: String,
    pub overall: Overall,
    pub checks: Vec<PublicCheck>,
    pub generated_at: Timestamp,
}

/// The public view of `page` at `now`, from the project's checks and the
/// status changes of the shown ones (`(check row id, change)`, newest first,
/// as read with the limit `MAX_CHANGES`: a full read means older days are
/// unknown).
pub fn public_page(page: &StatusPage, checks: &[Check], changes: &[(i64, Change)], now: Timestamp) -> PublicPage {
    let cut_short = i64::try_from(changes.len()).unwrap_or(i64::MAX) >= MAX_CHANGES;
    let known_since = if cut_short { changes.iter().map(|(_, c)| c.at).min() } else { None };
    let shown: Vec<PublicCheck> = page
        .select(checks)
        .into_iter()
        .map(|check| {
            let own: Vec<Change> = changes.iter().filter(|(id, _)| *id == check.id).map(|(_, c)| *c).collect();
            let description = check.config.desc.trim();
            PublicCheck {
                name: public_name(check),
                status: PublicStatus::of(check.status_at(now)),
                description: (page.show_descriptions && !description.is_empty()).then(|| description.to_owned()),
                days: daily(check.state.status, &own, now, DAYS, known_since),
            }
        })
        .collect();
    PublicPage {
        slug: page.slug.clone(),
        title: page.title.clone(),
        overall: Overall::of(shown.iter().map(|c| c.status)),
        checks: shown,
        generated_at: now,
    }
}

/// A fraction as a percentage that never rounds a bad day up to 100 %:
/// `99.95 %`, `100 %`.
pub fn percent(fraction: f64) -> String {
    if fraction >= 1.0 {
        return "100 %".to_owned();
    }
    let hundredths = (fraction.max(0.0) * 10_000.0).floor() / 100.0;
    format!("{hundredths:.2} %")
}

/// Fractions in JSON, to four decimals (a minute in a day is 0.0007).
fn rounded(fraction: f64) -> f64 {
    (fraction * 10_000.0).round() / 10_000.0
}

/// The body of `/status/<slug>.json`.
pub fn public_json(page: &PublicPage) -> Value {
    let checks: Vec<Value> = page
        .checks
        .iter()
        .map(|check| {
            let days: Vec<Value> = check
                .days
                .iter()
                .map(|day| {
                    json!({
                        "date": day.date(),
                        "uptime": day.down_fraction().map(|down| rounded(1.0 - down)),
                        "down_seconds": day.down_ms / 1000,
                    })
                })
                .collect();
            let mut object = json!({
                "name": check.name,
                "status": check.status.code(),
                "status_text": check.status.words(),
                "uptime": check.uptime().map(rounded),
                "days": days,
            });
            if let Some(description) = &check.description {
                object["description"] = json!(description);
            }
            object
        })
        .collect();
    json!({
        "title": page.title,
        "status": page.overall.code(),
        "status_text": page.overall.words(),
        "updated": page.generated_at.iso8601(),
        "checks": checks,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::check::{CheckConfig, CheckState, Status, Tags};
    use crate::ids::Uuid;
    use crate::status_page::parse_page;

    pub(crate) fn check(id: i64, name: &str, status: Status, description: &str) -> Check {
        let mut state = CheckState::new_check();
        state.status = status;
        Check {
            id,
            uuid: Uuid::random().unwrap(),
            project_id: "p".into(),
            config: CheckConfig {
                name: name.into(),
                tags: Tags::parse("public"),
                desc: description.into(),
                ..CheckConfig::default()
            },
            state,
            n_pings: 0,
            badge_key: String::new(),
            config_version: 0,
            routes: crate::routing::Routes::default(),
            created_at: crate::time::Timestamp::from_secs(0),
            status_changed_at: None,
        }
    }

    fn page(show_descriptions: bool) -> StatusPage {
        let body = format!(
            r#"{{"slug": "acme", "title": "Acme", "tags": "public", "show_descriptions": {show_descriptions}}}"#
        );
        parse_page(body.as_bytes(), None).unwrap().into_page("p", Timestamp::from_millis(0), Timestamp::from_millis(0))
    }

    #[test]
    fn words_for_visitors_and_the_worst_watched_status_overall() {
        use PublicStatus::*;
        assert_eq!(Overall::of([Up, Paused, Waiting]), Overall::Up);
        assert_eq!(Overall::of([Up, Late, Paused]), Overall::Late);
        assert_eq!(Overall::of([Late, Down, Up]), Overall::Down);
        assert_eq!(Overall::of([Paused, Waiting]), Overall::Unknown);
        assert_eq!(Overall::of([]), Overall::Unknown);
        assert_eq!(PublicStatus::of(ShownStatus::Grace).words(), "Late");
        assert_eq!(PublicStatus::of(ShownStatus::New).code(), "waiting");
    }

    #[test]
    fn percentages_never_round_up_to_a_perfect_day() {
        assert_eq!(percent(1.0), "100 %");
        assert_eq!(percent(0.99999), "99.99 %");
        assert_eq!(percent(0.5), "50.00 %");
        assert_eq!(percent(0.0), "0.00 %");
    }

    #[test]
    fn descriptions_show_only_when_the_page_says_so() {
        let now = Timestamp::from_secs(1_800_000_000);
        let checks = [check(1, "api", Status::Up, "internal: runs on host db-7")];
        let hidden = public_json(&public_page(&page(false), &checks, &[], now));
        assert!(hidden["checks"][0].get("description").is_none());
        assert!(!hidden.to_string().contains("db-7"));
        let shown = public_json(&public_page(&page(true), &checks, &[], now));
        assert_eq!(shown["checks"][0]["description"], "internal: runs on host db-7");
    }

    #[test]
    fn the_json_has_each_checks_days_and_the_overall_status() {
        let now = Timestamp::from_secs(1_800_000_000);
        let checks = [check(1, "api", Status::Down, ""), check(2, "paused job", Status::Paused, "")];
        let down_since = now.plus_secs(-3600);
        let changes = [(1, Change { at: down_since, old: Status::Up, new: Status::Down })];
        let json = public_json(&public_page(&page(false), &checks, &changes, now));
        assert_eq!(json["status"], "down");
        assert_eq!(json["status_text"], "Some checks are down");
        let api = &json["checks"][0];
        assert_eq!((api["name"].as_str(), api["status"].as_str()), (Some("api"), Some("down")));
        let days = api["days"].as_array().unwrap();
        assert_eq!(days.len(), DAYS);
        assert_eq!(days[DAYS - 1]["down_seconds"], 3600);
        assert_eq!(json["checks"][1]["status_text"], "Paused");
        assert_eq!(json["checks"][1]["uptime"], Value::Null, "never watched in the window: no data");
    }

    #[test]
    fn a_history_read_cut_short_shows_no_data_before_it() {
        let now = Timestamp::from_secs(1_800_000_000);
        let checks = [check(1, "flappy", Status::Up, "")];
        let changes: Vec<(i64, Change)> = (0..MAX_CHANGES)
            .map(|i| {
                let (old, new) = if i % 2 == 0 { (Status::Down, Status::Up) } else { (Status::Up, Status::Down) };
                (1, Change { at: now.plus_secs(-i * 60), old, new })
            })
            .collect();
        let view = public_page(&page(false), &checks, &changes, now);
        let days = &view.checks[0].days;
        assert!(days[DAYS - 1].down_fraction().is_some());
        assert_eq!(days[0].down_fraction(), None, "older than the oldest change read: unknown");
    }
}
