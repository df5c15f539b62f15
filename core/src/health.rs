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

/// Adds to a `/health` body when a request last started a sweep because the
/// cron trigger had stalled (`rescue_sweep_started`, null if never).
pub fn with_rescue(mut body: Value, last_rescue: Option<Timestamp>) -> Value {
    body["rescue_sweep_started"] = json!(last_rescue.map(Timestamp::iso8601));
    body
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

/// The status code and body of `/health` at `now`: 200 while sweeps run and
/// pings can be stored; 503 before the first sweep, when the last completed
/// one is too old, or when pings cannot be stored. Error texts (which may
/// show internals) are included only for operators (`details`).
pub fn report(sweeps: &SweepRecord, storage: &Storage, now: Timestamp, details: bool) -> (u16, Value) {
    let behind = sweeps.last_completed.map(|t| ((now.millis() - t.millis()) / 1000).max(0));
    let sweeping = behind.is_some_and(|secs| secs <= STALE_AFTER_SECS);
    let healthy = sweeping && *storage == Storage::Ok;
    let status = match (storage, sweeps.last_completed, sweeping) {
        (Storage::Unavailable(_), _, _) => "storage unavailable",
        (Storage::PingsFailing(_), _, _) => "pings cannot be stored",
        (Storage::Ok, None, _) => "waiting for the first sweep",
        (Storage::Ok, Some(_), true) => "ok",
        (Storage::Ok, Some(_), false) => "sweeps stopped",
    };
    let storage_error = match storage {
        Storage::Ok => None,
        Storage::PingsFailing(error) | Storage::Unavailable(error) => Some(error.as_str()),
    };
    let error_text = |text: &str| if details { json!(text) } else { json!("hidden; ask with the admin token") };
    let body = json!({
        "status": status,
        "version": VERSION,
        "last_sweep": sweeps.last_completed.map(Timestamp::iso8601),
        "behind_seconds": behind,
        "pings_storable": *storage == Storage::Ok,
        "storage_error": storage_error.map(error_text),
        "last_sweep_stats": sweeps.last_stats.as_ref().map(|s| json!({
            "due_checks": s.due_checks, "flips": s.flips, "sent": s.sent, "rows_read": s.rows_read,
            "unreadable_checks": s.unreadable, "total_rows_read": s.total_rows_read, "rows_written": s.rows_written,
        })),
        "last_error": sweeps.last_error.as_ref().map(|(at, message)| json!({"sweep": at.iso8601(), "error": error_text(message)})),
    });
    (if healthy { 200 } else { 503 }, body)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_request_rescues_only_a_stalled_sweep() {
        let now = Timestamp::from_secs(1_700_000_000);
        assert!(!rescue_due(None, now), "before the first sweep the cron is waiting, not stalled");
        assert!(!rescue_due(Some(now.plus_secs(-120)), now));
        assert!(rescue_due(Some(now.plus_secs(-121)), now));
        assert!(!rescue_due(Some(now.plus_secs(600)), now), "a sweep dated ahead is not stale");
        let (_, body) = report(&SweepRecord::default(), &Storage::Ok, now, false);
        assert_eq!(with_rescue(body.clone(), Some(now))["rescue_sweep_started"], "2023-11-14T22:13:20+00:00");
        assert_eq!(with_rescue(body, None)["rescue_sweep_started"], Value::Null);
    }

    use super::*;

    const NOW: Timestamp = Timestamp::from_secs(1_700_000_040);

    #[test]
    fn unhealthy_before_the_first_sweep() {
        let (status, body) = report(&SweepRecord::default(), &Storage::Ok, NOW, false);
        assert_eq!(status, 503);
        assert_eq!(body["last_sweep"], Value::Null);
        assert_eq!(body["version"], VERSION);
    }

    #[test]
    fn healthy_while_sweeps_are_recent() {
        let stats = SweepStats { due_checks: 3, flips: 1, sent: 2, rows_read: 3, ..SweepStats::default() };
        let record =
            SweepRecord { last_completed: Some(NOW.plus_secs(-60)), last_stats: Some(stats), last_error: None };
        let (status, body) = report(&record, &Storage::Ok, NOW, false);
        assert_eq!(status, 200);
        assert_eq!(body["last_sweep"], "2023-11-14T22:13:00+00:00");
        assert_eq!(body["behind_seconds"], 60);
        assert_eq!(body["last_error"], Value::Null);
        assert_eq!(body["last_sweep_stats"]["sent"], 2);
    }

    #[test]
    fn unhealthy_while_pings_cannot_be_stored() {
        let record = SweepRecord { last_completed: Some(NOW.plus_secs(-30)), ..SweepRecord::default() };
        let failing = Storage::PingsFailing("no such table: pings".into());
        let (status, body) = report(&record, &failing, NOW, false);
        assert_eq!(status, 503);
        assert_eq!(body["status"], "pings cannot be stored");
        assert_eq!(body["pings_storable"], false);
        assert!(!body.to_string().contains("no such table"));
        let (_, detailed) = report(&record, &failing, NOW, true);
        assert_eq!(detailed["storage_error"], "no such table: pings");
    }

    #[test]
    fn unhealthy_when_sweeps_stop() {
        let record = SweepRecord {
            last_completed: Some(NOW.plus_secs(-181)),
            last_stats: None,
            last_error: Some((NOW.plus_secs(-60), "D1 query failed".into())),
        };
        let (status, body) = report(&record, &Storage::Ok, NOW, true);
        assert_eq!(status, 503);
        assert_eq!(body["status"], "sweeps stopped");
        assert_eq!(body["last_error"]["error"], "D1 query failed");
        let (_, public) = report(&record, &Storage::Ok, NOW, false);
        assert!(!public.to_string().contains("D1 query failed"), "internals only for operators");
        assert_eq!(body["last_error"]["sweep"], "2023-11-14T22:13:00+00:00");
    }
}
