//! Day-by-day availability from the history of status changes: for each UTC
//! day, how long the check was monitored (up or down) and how long of that
//! it was down. Pure: the changes and the instant are passed in.
//!
//! The status over time is rebuilt from the changes alone: after a change
//! the check is in its new status until the next change; before the oldest
//! change it was in that change's old status; with no change at all it was
//! in its current status all along. Time spent new (never pinged) or paused
//! is not monitored: it counts neither as up nor as down.

use crate::check::Status;
use crate::time::Timestamp;

const DAY_MS: i64 = 86_400_000;

/// A status change of one check: when, from what, to what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    pub at: Timestamp,
    pub old: Status,
    pub new: Status,
}

/// One UTC day of a check's history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Day {
    /// Midnight UTC that starts the day.
    pub start: Timestamp,
    /// Milliseconds of the day (up to now) the check was up or down.
    pub monitored_ms: i64,
    /// Milliseconds of those it was down.
    pub down_ms: i64,
}

impl Day {
    /// The fraction of the monitored time spent down (0 to 1), or `None`
    /// for a day with no monitored time (before the check's first ping,
    /// paused all day, or older than the history kept).
    pub fn down_fraction(&self) -> Option<f64> {
        (self.monitored_ms > 0).then(|| self.down_ms as f64 / self.monitored_ms as f64)
    }

    /// `YYYY-MM-DD`.
    pub fn date(&self) -> String {
        self.start.to_datetime().format("%Y-%m-%d").to_string()
    }
}

/// Midnight UTC of the day `at` falls in.
pub fn day_start(at: Timestamp) -> Timestamp {
    Timestamp::from_millis(at.millis().div_euclid(DAY_MS) * DAY_MS)
}

/// The `days` UTC days up to and including today (today up to `now`),
/// oldest first. `status_now` is the check's stored status; `changes` are
/// its status changes in any order (those outside the days are harmless);
/// before `known_since`, when given, nothing is known (the history read was
/// cut short there), so that time is not monitored.
pub fn daily(
    status_now: Status,
    changes: &[Change],
    now: Timestamp,
    days: usize,
    known_since: Option<Timestamp>,
) -> Vec<Day> {
    let days_i64 = i64::try_from(days).unwrap_or(i64::MAX / DAY_MS);
    let first = day_start(now).millis() - (days_i64 - 1).max(0) * DAY_MS;
    let mut result: Vec<Day> = (0..days_i64)
        .map(|i| Day { start: Timestamp::from_millis(first + i * DAY_MS), monitored_ms: 0, down_ms: 0 })
        .collect();
    if result.is_empty() {
        return result;
    }
    // A change stamped after `now` (another clock) counts from when it says.
    let mut ordered: Vec<Change> = changes.to_vec();
    crate::sorting::sort_by_key(&mut ordered, |c| c.at);
    // Walk back from now: each span ends where the previous (later) began.
    let floor = known_since.map_or(first, |k| k.millis().max(first));
    let mut end = now.millis();
    let mut status = status_now;
    for change in ordered.iter().rev() {
        add_span(&mut result, first, change.at.millis().max(floor), end, status);
        end = end.min(change.at.millis());
        status = change.old;
    }
    add_span(&mut result, first, floor, end, status);
    result
}

/// Adds `[from, until)` spent in `status` to the days it covers.
fn add_span(days: &mut [Day], first: i64, from: i64, until: i64, status: Status) {
    let monitored = matches!(status, Status::Up | Status::Down);
    if !monitored || until <= from {
        return;
    }
    let mut at = from.max(first);
    while at < until {
        let index = usize::try_from((at - first) / DAY_MS).unwrap_or(usize::MAX);
        let Some(day) = days.get_mut(index) else { return };
        let day_end = day.start.millis() + DAY_MS;
        let piece = until.min(day_end) - at;
        day.monitored_ms += piece;
        if status == Status::Down {
            day.down_ms += piece;
        }
        at = day_end;
    }
}

/// The fraction of all the monitored time of `days` spent down, if any was
/// monitored.
pub fn overall_down_fraction(days: &[Day]) -> Option<f64> {
    let monitored: i64 = days.iter().map(|d| d.monitored_ms).sum();
    let down: i64 = days.iter().map(|d| d.down_ms).sum();
    (monitored > 0).then(|| down as f64 / monitored as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HOUR: i64 = 3_600_000;
    /// 2027-01-10T00:00:00Z.
    const MIDNIGHT: i64 = 1_799_539_200_000;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_millis(ms)
    }

    fn change(at: i64, old: Status, new: Status) -> Change {
        Change { at: t(at), old, new }
    }

    #[test]
    fn days_are_utc_days_oldest_first_ending_today() {
        let now = t(MIDNIGHT + 6 * HOUR);
        let days = daily(Status::Up, &[], now, 3, None);
        assert_eq!(days.iter().map(Day::date).collect::<Vec<_>>(), ["2027-01-08", "2027-01-09", "2027-01-10"]);
        // Up all along: whole past days, and today up to now.
        assert_eq!(days[0].monitored_ms, DAY_MS);
        assert_eq!(days[2].monitored_ms, 6 * HOUR);
        assert!(days.iter().all(|d| d.down_ms == 0 && d.down_fraction() == Some(0.0)));
    }

    #[test]
    fn an_outage_across_midnight_counts_on_both_days() {
        let now = t(MIDNIGHT + 12 * HOUR);
        let changes =
            [change(MIDNIGHT - 2 * HOUR, Status::Up, Status::Down), change(MIDNIGHT + HOUR, Status::Down, Status::Up)];
        let days = daily(Status::Up, &changes, now, 2, None);
        assert_eq!((days[0].down_ms, days[0].monitored_ms), (2 * HOUR, DAY_MS));
        assert_eq!((days[1].down_ms, days[1].monitored_ms), (HOUR, 12 * HOUR));
        assert_eq!(days[1].down_fraction(), Some(1.0 / 12.0));
    }

    #[test]
    fn new_and_paused_time_is_not_monitored() {
        let now = t(MIDNIGHT + 10 * HOUR);
        // Created before the window, first ping at 02:00, paused 04:00 to 08:00, down since 09:00.
        let changes = [
            change(MIDNIGHT + 2 * HOUR, Status::New, Status::Up),
            change(MIDNIGHT + 4 * HOUR, Status::Up, Status::Paused),
            change(MIDNIGHT + 8 * HOUR, Status::Paused, Status::New),
            change(MIDNIGHT + 8 * HOUR + 1, Status::New, Status::Up),
            change(MIDNIGHT + 9 * HOUR, Status::Up, Status::Down),
        ];
        let days = daily(Status::Down, &changes, now, 2, None);
        assert_eq!(days[0].down_fraction(), None, "new all of yesterday: no data");
        assert_eq!(days[1].monitored_ms, 2 * HOUR + (HOUR - 1) + HOUR);
        assert_eq!(days[1].down_ms, HOUR);
        let paused = daily(Status::Paused, &[], now, 1, None);
        assert_eq!(paused[0].down_fraction(), None);
    }

    #[test]
    fn nothing_before_a_cut_short_history_is_known() {
        let now = t(MIDNIGHT + 10 * HOUR);
        let changes = [change(MIDNIGHT + 5 * HOUR, Status::Down, Status::Up)];
        let days = daily(Status::Up, &changes, now, 2, Some(t(MIDNIGHT + 3 * HOUR)));
        assert_eq!(days[0].down_fraction(), None);
        assert_eq!((days[1].down_ms, days[1].monitored_ms), (2 * HOUR, 7 * HOUR));
        assert_eq!(overall_down_fraction(&days), Some(2.0 / 7.0));
        assert!(daily(Status::Up, &changes, now, 0, None).is_empty());
    }

    /// The status at `at` as a plain replay of the changes from the start.
    fn status_at(initial: Status, changes: &[Change], at: i64) -> Status {
        changes.iter().rfind(|c| c.at.millis() <= at).map_or(initial, |c| c.new)
    }

    fn arb_status() -> impl Strategy<Value = Status> {
        prop_oneof![Just(Status::New), Just(Status::Up), Just(Status::Down), Just(Status::Paused)]
    }

    proptest! {
        /// Against a minute-by-minute replay of the same history: every day's
        /// monitored and down time, and fractions always between 0 and 1.
        #[test]
        fn matches_a_minute_by_minute_replay(
            initial in arb_status(),
            steps in proptest::collection::vec((1i64..(3 * 1440), arb_status()), 0..12),
            now_minute in 0i64..1440,
        ) {
            const MINUTE: i64 = 60_000;
            let days = 4usize;
            let now = MIDNIGHT + now_minute * MINUTE;
            let start = day_start(t(now)).millis() - 3 * DAY_MS;
            // Changes on whole minutes, some before the window, a consistent chain.
            let mut changes = Vec::new();
            let mut at = start - 1440 * MINUTE;
            let mut status = initial;
            for (gap, next) in steps {
                at += gap * MINUTE;
                if next != status {
                    changes.push(Change { at: t(at), old: status, new: next });
                    status = next;
                }
            }
            // Changes after `now` are given too: they count from when they say.
            let result = daily(status_at(initial, &changes, now), &changes, t(now), days, None);
            prop_assert_eq!(result.len(), days);
            for day in &result {
                let (mut monitored, mut down) = (0, 0);
                let mut minute = day.start.millis();
                while minute < (day.start.millis() + DAY_MS).min(now) {
                    match status_at(initial, &changes, minute) {
                        Status::Up => monitored += MINUTE,
                        Status::Down => { monitored += MINUTE; down += MINUTE; }
                        _ => {}
                    }
                    minute += MINUTE;
                }
                prop_assert_eq!((day.monitored_ms, day.down_ms), (monitored, down), "{}", day.date());
                if let Some(fraction) = day.down_fraction() {
                    prop_assert!((0.0..=1.0).contains(&fraction));
                }
            }
        }
    }
}
