//! The body of `GET /health`: what an outside monitor needs to know to trust
//! that edgebeat itself is sweeping.

use crate::domain::time::Timestamp;
use serde_json::{json, Value};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A sweep older than this means edgebeat has stopped watching: 503.
pub const STALE_AFTER_SECS: i64 = 180;

/// What a completed sweep did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SweepStats {
    pub due_checks: i64,
    pub flips: i64,
    pub sent: i64,
    /// Rows D1 read to find the due checks: stays small however many checks exist.
    pub rows_read: i64,
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

/// The status code and body of `/health` at `now`: 200 while sweeps run,
/// 503 before the first one and when the last completed one is too old.
pub fn report(sweeps: &SweepRecord, now: Timestamp) -> (u16, Value) {
    let behind = sweeps.last_completed.map(|t| ((now.millis() - t.millis()) / 1000).max(0));
    let healthy = behind.is_some_and(|secs| secs <= STALE_AFTER_SECS);
    let status = match (sweeps.last_completed, healthy) {
        (None, _) => "waiting for the first sweep",
        (Some(_), true) => "ok",
        (Some(_), false) => "sweeps stopped",
    };
    let body = json!({
        "status": status,
        "version": VERSION,
        "last_sweep": sweeps.last_completed.map(Timestamp::iso8601),
        "behind_seconds": behind,
        "last_sweep_stats": sweeps.last_stats.as_ref().map(|s| json!({
            "due_checks": s.due_checks, "flips": s.flips, "sent": s.sent, "rows_read": s.rows_read,
        })),
        "last_error": sweeps.last_error.as_ref().map(|(at, message)| json!({"sweep": at.iso8601(), "error": message})),
    });
    (if healthy { 200 } else { 503 }, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp::from_secs(1_700_000_040);

    #[test]
    fn unhealthy_before_the_first_sweep() {
        let (status, body) = report(&SweepRecord::default(), NOW);
        assert_eq!(status, 503);
        assert_eq!(body["last_sweep"], Value::Null);
        assert_eq!(body["version"], VERSION);
    }

    #[test]
    fn healthy_while_sweeps_are_recent() {
        let stats = SweepStats { due_checks: 3, flips: 1, sent: 2, rows_read: 3 };
        let record =
            SweepRecord { last_completed: Some(NOW.plus_secs(-60)), last_stats: Some(stats), last_error: None };
        let (status, body) = report(&record, NOW);
        assert_eq!(status, 200);
        assert_eq!(body["last_sweep"], "2023-11-14T22:13:00+00:00");
        assert_eq!(body["behind_seconds"], 60);
        assert_eq!(body["last_error"], Value::Null);
        assert_eq!(body["last_sweep_stats"]["sent"], 2);
    }

    #[test]
    fn unhealthy_when_sweeps_stop() {
        let record = SweepRecord {
            last_completed: Some(NOW.plus_secs(-181)),
            last_stats: None,
            last_error: Some((NOW.plus_secs(-60), "D1 query failed".into())),
        };
        let (status, body) = report(&record, NOW);
        assert_eq!(status, 503);
        assert_eq!(body["status"], "sweeps stopped");
        assert_eq!(body["last_error"]["error"], "D1 query failed");
        assert_eq!(body["last_error"]["sweep"], "2023-11-14T22:13:00+00:00");
    }
}
