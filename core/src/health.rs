//! The body of `GET /health`: what an outside monitor needs to know to trust
//! that edgebeat itself is sweeping.

use crate::time::Timestamp;
use serde_json::{json, Value};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A sweep older than this means edgebeat has stopped watching: 503.
pub const STALE_AFTER_SECS: i64 = 180;

/// A request that finds the last completed sweep older than this runs one
/// itself (after answering): a stalled or delayed cron trigger then does not
/// delay alerts while traffic flows.
pub const RESCUE_AFTER_MS: i64 = 120_000;
/// An isolate looks whether sweeps stalled at most this often.
pub const RESCUE_CHECK_EVERY_MS: i64 = 30_000;
/// How long a rescue sweep's claim holds if its isolate dies mid-sweep.
pub const RESCUE_CLAIM_MS: i64 = 300_000;

/// Whether a request at `now` runs a sweep: sweeps have completed before (a
/// deployment whose cron has not fired yet is waiting, not stalled) and the
/// last one is more than two minutes old.
pub fn rescue_due(last_completed: Option<Timestamp>, now: Timestamp) -> bool {
    last_completed.is_some_and(|t| now.millis() - t.millis() > RESCUE_AFTER_MS)
}

/// What a completed sweep did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SweepStats {
    pub due_checks: i64,
    pub flips: i64,
    pub sent: i64,
    /// Rows D1 read to find the due checks: stays small however many checks exist.
    pub rows_read: i64,
    /// Due check rows that could not be read: skipped and rescheduled, and
    /// an operator should look at them.
    pub unreadable: i64,
    /// Everything the sweep read and wrote in D1, by D1's own count.
    pub total_rows_read: i64,
    pub rows_written: i64,
}

/// What the store knows about past sweeps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SweepRecord {
    /// The `scheduledTime` of the most recently completed sweep.
    pub last_completed: Option<Timestamp>,
    pub last_stats: Option<SweepStats>,
    /// The most recent failed sweep: its `scheduledTime` and what went wrong.
    pub last_error: Option<(Timestamp, String)>,
}

impl SweepRecord {
    /// Several databases' records as the deployment's: it is as far behind
    /// as its most lagging database (the oldest last completed sweep, none
    /// while any database has none), its last sweep's statistics are the
    /// sum of each database's, and its last error the most recent one.
    pub fn combined<'a>(records: impl IntoIterator<Item = &'a SweepRecord>) -> SweepRecord {
        let mut combined: Option<SweepRecord> = None;
        for record in records {
            let Some(sum) = &mut combined else {
                combined = Some(record.clone());
                continue;
            };
            sum.last_completed = match (sum.last_completed, record.last_completed) {
                (Some(a), Some(b)) => Some(a.min(b)),
                _ => None,
            };
            sum.last_stats = match (sum.last_stats.take(), &record.last_stats) {
                (Some(a), Some(b)) => Some(SweepStats {
                    due_checks: a.due_checks + b.due_checks,
                    flips: a.flips + b.flips,
                    sent: a.sent + b.sent,
                    rows_read: a.rows_read + b.rows_read,
                    unreadable: a.unreadable + b.unreadable,
                    total_rows_read: a.total_rows_read + b.total_rows_read,
                    rows_written: a.rows_written + b.rows_written,
                }),
                (a, b) => a.or_else(|| b.clone()),
            };
            if record.last_error.as_ref().is_some_and(|(at, _)| sum.last_error.as_ref().is_none_or(|(t, _)| at > t)) {
                sum.last_error = record.last_error.clone();
            }
        }
        combined.unwrap_or_default()
    }
}

/// What `/health` found when it tried the storage itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Storage {
    Ok,
    /// Pings cannot be stored now; the reason is for operators only.
    PingsFailing(String),
    /// Nothing can be read.
    Unavailable(String),
}

/// Why edgebeat is down, in the one word the public answer gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DownReason {
    /// No sweep has completed yet (a new deployment whose cron has not fired).
    Starting,
    /// The last completed sweep is too old: late checks are not detected.
    Stalled,
    /// The database cannot be read, or pings cannot be stored.
    Storage,
}

impl DownReason {
    pub fn word(self) -> &'static str {
        match self {
            DownReason::Starting => "starting",
            DownReason::Stalled => "stalled",
            DownReason::Storage => "storage",
        }
    }
}

/// Whether edgebeat is healthy at `now`: sweeps have run within
/// `STALE_AFTER_SECS` and pings can be stored.
pub fn down_reason(sweeps: &SweepRecord, storage: &Storage, now: Timestamp) -> Option<DownReason> {
    let behind = sweeps.last_completed.map(|t| (now.millis() - t.millis()) / 1000);
    match (storage, behind) {
        (Storage::Unavailable(_) | Storage::PingsFailing(_), _) => Some(DownReason::Storage),
        (Storage::Ok, None) => Some(DownReason::Starting),
        (Storage::Ok, Some(secs)) if secs > STALE_AFTER_SECS => Some(DownReason::Stalled),
        (Storage::Ok, Some(_)) => None,
    }
}

/// What only the holder of the admin token sees in `/health`: statistics of
/// the shared sweep (every tenant's combined counts), error texts that can
/// show internals, and the version.
pub struct Details<'a> {
    pub sweeps: &'a SweepRecord,
    pub storage: &'a Storage,
    /// When a request last started a sweep because the cron trigger had stalled.
    pub last_rescue: Option<Timestamp>,
}

/// The status code and body of `/health` at `now`: 200 while sweeps run and
/// pings can be stored, else 503. Anyone sees `status` (`ok` or `down`), the
/// one-word `reason` when down, and when the last sweep completed (which the
/// dashboard shows, and which says nothing about any tenant); `details` adds
/// the operator's view.
pub fn report(sweeps: &SweepRecord, storage: &Storage, now: Timestamp, details: Option<&Details>) -> (u16, Value) {
    let reason = down_reason(sweeps, storage, now);
    let mut body = json!({
        "status": if reason.is_none() { "ok" } else { "down" },
        "last_sweep": sweeps.last_completed.map(Timestamp::iso8601),
        "behind_seconds": sweeps.last_completed.map(|t| ((now.millis() - t.millis()) / 1000).max(0)),
    });
    if let Some(reason) = reason {
        body["reason"] = json!(reason.word());
    }
    if let Some(details) = details {
        let storage_error = match details.storage {
            Storage::Ok => None,
            Storage::PingsFailing(error) | Storage::Unavailable(error) => Some(error.as_str()),
        };
        let sweeps = details.sweeps;
        body["version"] = json!(VERSION);
        body["pings_storable"] = json!(*details.storage == Storage::Ok);
        body["storage_error"] = json!(storage_error);
        body["last_sweep_stats"] = json!(sweeps.last_stats.as_ref().map(|s| json!({
            "due_checks": s.due_checks, "flips": s.flips, "sent": s.sent, "rows_read": s.rows_read,
            "unreadable_checks": s.unreadable, "total_rows_read": s.total_rows_read, "rows_written": s.rows_written,
        })));
        body["last_error"] =
            json!(sweeps.last_error.as_ref().map(|(at, message)| json!({"sweep": at.iso8601(), "error": message})));
        body["rescue_sweep_started"] = json!(details.last_rescue.map(Timestamp::iso8601));
    }
    (if reason.is_none() { 200 } else { 503 }, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp::from_secs(1_700_000_040);

    fn detailed(record: &SweepRecord, storage: &Storage, last_rescue: Option<Timestamp>) -> (u16, Value) {
        report(record, storage, NOW, Some(&Details { sweeps: record, storage, last_rescue }))
    }

    fn keys(body: &Value) -> Vec<&str> {
        let mut keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        keys
    }

    #[test]
    fn a_request_rescues_only_a_stalled_sweep() {
        let now = Timestamp::from_secs(1_700_000_000);
        assert!(!rescue_due(None, now), "before the first sweep the cron is waiting, not stalled");
        assert!(!rescue_due(Some(now.plus_secs(-120)), now));
        assert!(rescue_due(Some(now.plus_secs(-121)), now));
        assert!(!rescue_due(Some(now.plus_secs(600)), now), "a sweep dated ahead is not stale");
        let (_, body) = detailed(&SweepRecord::default(), &Storage::Ok, Some(NOW));
        assert_eq!(body["rescue_sweep_started"], "2023-11-14T22:14:00+00:00");
        let (_, body) = detailed(&SweepRecord::default(), &Storage::Ok, None);
        assert_eq!(body["rescue_sweep_started"], Value::Null);
    }

    #[test]
    fn several_databases_are_as_healthy_as_the_least_healthy_and_their_counts_add_up() {
        let stats = |n: i64| SweepStats { due_checks: n, flips: n, sent: n, rows_read: n, ..SweepStats::default() };
        let swept = |secs: i64, n: i64| SweepRecord {
            last_completed: Some(NOW.plus_secs(-secs)),
            last_stats: Some(stats(n)),
            last_error: None,
        };
        let mut failing = swept(30, 1);
        failing.last_error = Some((NOW.plus_secs(-10), "broken".into()));
        let combined = SweepRecord::combined([&swept(20, 2), &failing, &swept(40, 3)]);
        assert_eq!(combined.last_completed, Some(NOW.plus_secs(-40)), "the most lagging");
        assert_eq!(combined.last_stats, Some(stats(6)));
        assert_eq!(combined.last_error, Some((NOW.plus_secs(-10), "broken".to_owned())));
        let starting = SweepRecord::combined([&swept(20, 2), &SweepRecord::default()]);
        assert_eq!((starting.last_completed, starting.last_stats.clone()), (None, Some(stats(2))), "one not swept yet");
        assert_eq!(report(&starting, &Storage::Ok, NOW, None).0, 503);
        assert_eq!(SweepRecord::combined([&failing]), failing, "one database: its own");
        assert_eq!(SweepRecord::combined([]), SweepRecord::default());
    }

    #[test]
    fn unhealthy_before_the_first_sweep() {
        let (status, body) = report(&SweepRecord::default(), &Storage::Ok, NOW, None);
        assert_eq!(status, 503);
        assert_eq!(body, json!({"status": "down", "reason": "starting", "last_sweep": null, "behind_seconds": null}));
        let (_, body) = detailed(&SweepRecord::default(), &Storage::Ok, None);
        assert_eq!(body["version"], VERSION);
    }

    #[test]
    fn healthy_while_sweeps_are_recent_and_only_operators_see_the_statistics() {
        let stats = SweepStats { due_checks: 3, flips: 1, sent: 2, rows_read: 3, ..SweepStats::default() };
        let record =
            SweepRecord { last_completed: Some(NOW.plus_secs(-60)), last_stats: Some(stats), last_error: None };
        let (status, body) = report(&record, &Storage::Ok, NOW, None);
        assert_eq!(status, 200);
        assert_eq!(body, json!({"status": "ok", "last_sweep": "2023-11-14T22:13:00+00:00", "behind_seconds": 60}));
        let (status, body) = detailed(&record, &Storage::Ok, None);
        assert_eq!(status, 200);
        assert_eq!(body["last_error"], Value::Null);
        assert_eq!(body["last_sweep_stats"]["sent"], 2);
        assert_eq!(
            keys(&body),
            [
                "behind_seconds",
                "last_error",
                "last_sweep",
                "last_sweep_stats",
                "pings_storable",
                "rescue_sweep_started",
                "status",
                "storage_error",
                "version"
            ]
        );
    }

    #[test]
    fn unhealthy_while_pings_cannot_be_stored() {
        let record = SweepRecord { last_completed: Some(NOW.plus_secs(-30)), ..SweepRecord::default() };
        for storage in
            [Storage::PingsFailing("no such table: pings".into()), Storage::Unavailable("no such table: pings".into())]
        {
            let (status, body) = report(&record, &storage, NOW, None);
            assert_eq!(status, 503);
            assert_eq!((&body["status"], &body["reason"]), (&json!("down"), &json!("storage")));
            assert!(!body.to_string().contains("no such table"));
            let (_, detailed) = detailed(&record, &storage, None);
            assert_eq!(detailed["storage_error"], "no such table: pings");
            assert_eq!(detailed["pings_storable"], false);
        }
    }

    #[test]
    fn unhealthy_when_sweeps_stop() {
        let record = SweepRecord {
            last_completed: Some(NOW.plus_secs(-181)),
            last_stats: None,
            last_error: Some((NOW.plus_secs(-60), "D1 query failed".into())),
        };
        let (status, public) = report(&record, &Storage::Ok, NOW, None);
        assert_eq!(status, 503);
        assert_eq!((&public["status"], &public["reason"]), (&json!("down"), &json!("stalled")));
        assert_eq!(public["behind_seconds"], 181);
        assert!(!public.to_string().contains("D1 query failed"), "internals only for operators");
        let (_, body) = detailed(&record, &Storage::Ok, None);
        assert_eq!(body["last_error"]["error"], "D1 query failed");
        assert_eq!(body["last_error"]["sweep"], "2023-11-14T22:13:00+00:00");
        let at_the_limit = SweepRecord { last_completed: Some(NOW.plus_secs(-180)), ..SweepRecord::default() };
        assert_eq!(down_reason(&at_the_limit, &Storage::Ok, NOW), None);
    }
}
