//! The body of `GET /health`: what an outside monitor needs to know to trust
//! that edgebeat itself is sweeping.

use crate::domain::time::Timestamp;
use serde_json::{json, Value};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What the store knows about past sweeps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SweepRecord {
    /// The `scheduledTime` of the most recently completed sweep.
    pub last_completed: Option<Timestamp>,
}

pub fn report(sweeps: &SweepRecord) -> Value {
    json!({
        "version": VERSION,
        "last_sweep": sweeps.last_completed.map(Timestamp::iso8601),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_null_before_the_first_sweep() {
        let body = report(&SweepRecord::default());
        assert_eq!(body["last_sweep"], Value::Null);
        assert_eq!(body["version"], VERSION);
    }

    #[test]
    fn reports_the_last_completed_sweep() {
        let body = report(&SweepRecord { last_completed: Some(Timestamp::from_secs(1_700_000_040)) });
        assert_eq!(body["last_sweep"], "2023-11-14T22:14:00+00:00");
    }
}
