//! Ping history as the API shows it (healthchecks API v3 `pings/` shapes),
//! with run durations paired the way healthchecks pairs them.

use crate::check::{PingKind, Status};
use crate::time::Timestamp;
use serde_json::{json, Map, Value};

/// Starts older than this are not paired with a finish (healthchecks: 72 h).
const MAX_DURATION_MS: i64 = 72 * 3600 * 1000;

#[derive(Clone, Debug, PartialEq)]
pub struct PingRecord {
    pub n: i64,
    pub created_at: Timestamp,
    pub kind: PingKind,
    pub scheme: String,
    pub method: String,
    pub ua: String,
    pub remote_addr: Option<String>,
    pub exit_status: Option<i64>,
    pub rid: Option<String>,
    pub has_body: bool,
}

/// Milliseconds each success or failure took since the start it pairs with,
/// for pings given newest first: walking back, the first start, success or
/// failure with the same run id decides (a start pairs; anything else ends
/// the search), and starts more than 72 hours back do not count.
pub fn durations(pings: &[PingRecord]) -> Vec<Option<i64>> {
    pings
        .iter()
        .enumerate()
        .map(|(i, ping)| {
            if !matches!(ping.kind, PingKind::Success | PingKind::Fail) {
                return None;
            }
            let earlier = pings[i + 1..]
                .iter()
                .take_while(|p| ping.created_at.millis() - p.created_at.millis() <= MAX_DURATION_MS)
                .find(|p| {
                    p.rid == ping.rid && matches!(p.kind, PingKind::Start | PingKind::Success | PingKind::Fail)
                })?;
            (earlier.kind == PingKind::Start).then(|| ping.created_at.millis() - earlier.created_at.millis())
        })
        .collect()
}

/// The `pings/` list body. `body_url(n)` makes the URL of a ping's body.
pub fn pings_json(pings: &[PingRecord], body_url: impl Fn(i64) -> String) -> Value {
    let items: Vec<Value> = pings
        .iter()
        .zip(durations(pings))
        .map(|(ping, duration)| {
            let mut object = Map::new();
            object.insert("type".into(), json!(ping.kind.as_str()));
            object.insert("date".into(), json!(ping.created_at.iso8601_precise()));
            object.insert("n".into(), json!(ping.n));
            object.insert("scheme".into(), json!(ping.scheme));
            object.insert("remote_addr".into(), json!(ping.remote_addr));
            object.insert("method".into(), json!(ping.method));
            object.insert("ua".into(), json!(ping.ua));
            object.insert("rid".into(), json!(ping.rid));
            object.insert("exitstatus".into(), json!(ping.exit_status));
            object.insert("body_url".into(), json!(ping.has_body.then(|| body_url(ping.n))));
            if let Some(ms) = duration {
                // Seconds rounded to two decimals, as healthchecks reports them.
                object.insert("duration".into(), json!((ms as f64 / 10.0).round() / 100.0));
            }
            Value::Object(object)
        })
        .collect();
    json!({ "pings": items })
}

/// A flip as the `flips/` endpoint lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlipRecord {
    pub at: Timestamp,
    pub new_status: Status,
}

/// Filters of `GET /api/v3/checks/<uuid>/flips/` (Unix seconds).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlipFilter {
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub seconds: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0} must be a whole number {1}")]
pub struct FilterError(pub &'static str, pub &'static str);

impl FlipFilter {
    /// Parses `start`, `end` and `seconds` with healthchecks' bounds.
    pub fn parse(query: &[(String, String)]) -> Result<FlipFilter, FilterError> {
        let mut filter = FlipFilter::default();
        for (name, value) in query {
            let (field, max, target) = match name.as_str() {
                "start" => ("start", 10_000_000_000, &mut filter.start),
                "end" => ("end", 10_000_000_000, &mut filter.end),
                "seconds" => ("seconds", 31_536_000, &mut filter.seconds),
                _ => continue,
            };
            let bounds = if field == "seconds" { "from 0 to 31536000" } else { "from 0 to 10000000000" };
            match value.parse::<i64>() {
                Ok(n) if (0..=max).contains(&n) => *target = Some(n),
                _ => return Err(FilterError(field, bounds)),
            }
        }
        Ok(filter)
    }

    /// The `[from, until)` window in Unix ms that the filter selects at `now`.
    pub fn window(&self, now: Timestamp) -> (i64, i64) {
        let mut from = self.start.map_or(i64::MIN, |s| s * 1000);
        if let Some(seconds) = self.seconds.filter(|s| *s > 0) {
            from = from.max(now.millis() - seconds * 1000);
        }
        (from, self.end.map_or(i64::MAX, |e| e * 1000))
    }
}

/// The `flips/` body: `{"flips": [{"timestamp", "up"}]}`, newest first.
pub fn flips_json(flips: &[FlipRecord]) -> Value {
    let items: Vec<Value> = flips
        .iter()
        .map(|f| json!({"timestamp": f.at.iso8601(), "up": i32::from(f.new_status == Status::Up)}))
        .collect();
    json!({ "flips": items })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ping(n: i64, secs: i64, kind: PingKind, rid: Option<&str>) -> PingRecord {
        PingRecord {
            n,
            created_at: Timestamp::from_secs(1_700_000_000 + secs),
            kind,
            scheme: "https".into(),
            method: "POST".into(),
            ua: "curl".into(),
            remote_addr: None,
            exit_status: None,
            rid: rid.map(str::to_owned),
            has_body: n == 2,
        }
    }

    #[test]
    fn a_finish_pairs_with_the_start_of_its_run() {
        // Newest first: run A starts at 0, run B at 5, A ends at 12, B fails at 20.
        let pings = vec![
            ping(5, 20, PingKind::Fail, Some("b")),
            ping(4, 12, PingKind::Success, Some("a")),
            ping(3, 6, PingKind::Log, Some("a")),
            ping(2, 5, PingKind::Start, Some("b")),
            ping(1, 0, PingKind::Start, Some("a")),
        ];
        assert_eq!(durations(&pings), vec![Some(15_000), Some(12_000), None, None, None]);
    }

    #[test]
    fn a_finish_after_a_finish_has_no_duration() {
        let pings = vec![
            ping(3, 30, PingKind::Success, None),
            ping(2, 20, PingKind::Success, None),
            ping(1, 0, PingKind::Start, None),
        ];
        assert_eq!(durations(&pings), vec![None, Some(20_000), None]);
    }

    #[test]
    fn starts_older_than_72_hours_do_not_pair() {
        let pings = vec![ping(2, 73 * 3600, PingKind::Success, None), ping(1, 0, PingKind::Start, None)];
        assert_eq!(durations(&pings), vec![None, None]);
    }

    #[test]
    fn flip_filters_follow_healthchecks() {
        let q = |pairs: &[(&str, &str)]| pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
        let filter = FlipFilter::parse(&q(&[("start", "100"), ("end", "200")])).unwrap();
        assert_eq!(filter.window(Timestamp::from_secs(1000)), (100_000, 200_000));
        let recent = FlipFilter::parse(&q(&[("seconds", "60")])).unwrap();
        assert_eq!(recent.window(Timestamp::from_secs(1000)), (940_000, i64::MAX));
        for bad in [("start", "-1"), ("end", "x"), ("seconds", "31536001"), ("start", ""), ("end", "10000000001")] {
            assert!(FlipFilter::parse(&q(&[bad])).is_err(), "{bad:?}");
        }
        let body = flips_json(&[FlipRecord { at: Timestamp::from_secs(1_700_000_000), new_status: Status::Up }]);
        assert_eq!(body, json!({"flips": [{"timestamp": "2023-11-14T22:13:20+00:00", "up": 1}]}));
    }

    #[test]
    fn the_list_has_healthchecks_keys() {
        let pings = vec![ping(2, 1, PingKind::Success, None), ping(1, 0, PingKind::Start, None)];
        let body = pings_json(&pings, |n| format!("/b/{n}"));
        let first = &body["pings"][0];
        assert_eq!(first["type"], "success");
        assert_eq!(first["n"], 2);
        assert_eq!(first["date"], "2023-11-14T22:13:21+00:00");
        assert_eq!(first["duration"], 1.0);
        assert_eq!(first["body_url"], "/b/2");
        assert_eq!(body["pings"][1]["body_url"], Value::Null);
        assert!(body["pings"][1].get("duration").is_none());
    }
}
