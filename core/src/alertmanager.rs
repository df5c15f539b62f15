//! The Alertmanager watchdog receiver: `POST /alertmanager/<ping_key>` takes
//! the payload Alertmanager's `webhook_configs` send (version 4) and turns
//! each alert in it into a heartbeat for the check its labels name. Every
//! rule lives here: which labels key a check, its slug, name and
//! configuration when it is created on first sight, and what a firing or a
//! resolved alert means. The adapter only records the heartbeats through the
//! ping path.
//!
//! A watchdog alert (`vector(1)`) fires for as long as its Prometheus and
//! Alertmanager work, and Alertmanager repeats it every `repeat_interval`: a
//! firing alert is a success ping, so the check stays up; when the pipeline
//! dies the repeats stop and the check goes down at the sweep after its
//! period and grace. A resolved alert (the watchdog stopped firing, which is
//! what Alertmanager reports when Prometheus stops sending it) is a failure:
//! the check goes down at once.

use crate::check::{CheckConfig, Monitoring, Schedule, Tags, MAX_NAME, MAX_PERIOD, MAX_SLUG, MIN_PERIOD};
use crate::ids::to_hex;
use crate::ping::UrlSignal;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The payload version this receiver understands (Alertmanager 0.x sends "4").
pub const PAYLOAD_VERSION: &str = "4";
/// The period of a check created on first sight, when `?timeout=` is not
/// given: ten minutes, comfortably above the one to five minutes docs/alertmanager.md
/// recommends as the watchdog route's `repeat_interval`.
pub const DEFAULT_TIMEOUT: i64 = 600;
/// The grace of a check created on first sight, when `?grace=` is not given.
pub const DEFAULT_GRACE: i64 = 300;
/// Every check this receiver creates carries this tag.
pub const TAG: &str = "alertmanager";
/// The label left out of the default key: a watchdog's severity is not part
/// of which pipeline it watches, and changing it must not make a new check.
const IGNORED_BY_DEFAULT: &str = "severity";
const ALERTNAME: &str = "alertname";
/// Hex digits of the hash at the end of every slug (40 bits).
const HASH_DIGITS: usize = 10;

/// Why a request was refused (all 400: the payload or the URL is wrong, and
/// nothing was recorded).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AlertmanagerError {
    #[error("the body is not an Alertmanager webhook payload: {0}")]
    NotAPayload(String),
    #[error("payload version {0:?} is not supported (only version \"4\")")]
    Version(String),
    #[error("the payload has no alerts")]
    NoAlerts,
    #[error("alert {index}: {problem}")]
    Alert { index: usize, problem: String },
    #[error("?{name}={value:?}: {problem}")]
    Query { name: &'static str, value: String, problem: String },
}

impl AlertmanagerError {
    pub fn status(&self) -> u16 {
        400
    }
}

/// Which labels key a check.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum LabelSelection {
    /// Every label but `severity` (`alertname` must be there).
    #[default]
    AllButSeverity,
    /// Exactly these labels (`?labels=alertname,cluster`), each required.
    Named(Vec<String>),
}

/// The query parameters of the receiver URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiverQuery {
    pub labels: LabelSelection,
    /// Period and grace of checks created on first sight (an existing check
    /// keeps its own configuration).
    pub timeout: i64,
    pub grace: i64,
}

impl Default for ReceiverQuery {
    fn default() -> Self {
        ReceiverQuery { labels: LabelSelection::default(), timeout: DEFAULT_TIMEOUT, grace: DEFAULT_GRACE }
    }
}

fn is_label_name(name: &str) -> bool {
    // Prometheus' label names: [a-zA-Z_][a-zA-Z0-9_]*
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn period(name: &'static str, value: &str) -> Result<i64, AlertmanagerError> {
    let problem = |problem: String| AlertmanagerError::Query { name, value: value.to_owned(), problem };
    let seconds: i64 = value.trim().parse().map_err(|_| problem("not a whole number of seconds".into()))?;
    if !(MIN_PERIOD..=MAX_PERIOD).contains(&seconds) {
        return Err(problem(format!("must be {MIN_PERIOD} to {MAX_PERIOD} seconds")));
    }
    Ok(seconds)
}

/// Reads `?labels=`, `?timeout=` and `?grace=`; other parameters are ignored.
pub fn parse_query(pairs: &[(String, String)]) -> Result<ReceiverQuery, AlertmanagerError> {
    let mut query = ReceiverQuery::default();
    for (name, value) in pairs {
        match name.as_str() {
            "labels" => {
                let mut names: Vec<String> = Vec::new();
                for label in value.split(',').map(str::trim) {
                    if !is_label_name(label) {
                        return Err(AlertmanagerError::Query {
                            name: "labels",
                            value: value.clone(),
                            problem: format!("{label:?} is not a label name"),
                        });
                    }
                    if !names.iter().any(|n| n == label) {
                        names.push(label.to_owned());
                    }
                }
                query.labels = LabelSelection::Named(names);
            }
            "timeout" => query.timeout = period("timeout", value)?,
            "grace" => query.grace = period("grace", value)?,
            _ => {}
        }
    }
    Ok(query)
}

/// An alert as Alertmanager sends it; only what the receiver reads is typed,
/// the rest is kept in the ping body as sent.
#[derive(Clone, Debug, Deserialize)]
struct Alert {
    status: String,
    labels: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize)]
struct Payload {
    version: String,
    #[serde(default)]
    alerts: Option<Vec<Value>>,
}

/// One alert's meaning: a ping to the check with this slug, creating it with
/// this configuration when missing.
#[derive(Clone, Debug, PartialEq)]
pub struct Heartbeat {
    pub slug: String,
    /// The check to create on first sight.
    pub config: CheckConfig,
    /// `Success` for a firing alert, `Fail` for a resolved one.
    pub signal: UrlSignal,
    /// The alert as JSON, the ping's body.
    pub body: Vec<u8>,
}

/// Reads a whole payload: every alert becomes a heartbeat, or the payload is
/// refused as a whole (so a bad payload records nothing).
pub fn heartbeats(body: &[u8], query: &ReceiverQuery) -> Result<Vec<Heartbeat>, AlertmanagerError> {
    let payload: Payload = serde_json::from_slice(body).map_err(|e| AlertmanagerError::NotAPayload(e.to_string()))?;
    if payload.version != PAYLOAD_VERSION {
        return Err(AlertmanagerError::Version(payload.version));
    }
    let alerts = payload.alerts.unwrap_or_default();
    if alerts.is_empty() {
        return Err(AlertmanagerError::NoAlerts);
    }
    alerts
        .iter()
        .enumerate()
        .map(|(index, alert)| heartbeat(alert, query).map_err(|problem| AlertmanagerError::Alert { index, problem }))
        .collect()
}

fn heartbeat(raw: &Value, query: &ReceiverQuery) -> Result<Heartbeat, String> {
    let alert: Alert = serde_json::from_value(raw.clone()).map_err(|e| e.to_string())?;
    let signal = match alert.status.as_str() {
        "firing" => UrlSignal::Success,
        "resolved" => UrlSignal::Fail,
        other => return Err(format!("status {other:?} is neither \"firing\" nor \"resolved\"")),
    };
    let key = select(&alert.labels, &query.labels)?;
    let slug = slug(&key);
    let config = CheckConfig {
        name: name(&key),
        slug: slug.clone(),
        tags: Tags::parse(TAG),
        desc: "Created by the Alertmanager watchdog receiver on the first alert with these labels.".to_owned(),
        monitoring: Monitoring {
            schedule: Schedule::Simple { timeout: query.timeout },
            grace: query.grace,
            ..Monitoring::default()
        },
        ..CheckConfig::default()
    };
    Ok(Heartbeat { slug, config, signal, body: raw.to_string().into_bytes() })
}

/// The labels that key the check, `alertname` first and the others by name.
pub fn select(labels: &BTreeMap<String, String>, selection: &LabelSelection) -> Result<Vec<(String, String)>, String> {
    let picked: BTreeMap<&str, &str> = match selection {
        LabelSelection::AllButSeverity => {
            if labels.get(ALERTNAME).is_none_or(|v| v.is_empty()) {
                return Err("no alertname label".to_owned());
            }
            labels
                .iter()
                .filter(|(name, _)| *name != IGNORED_BY_DEFAULT)
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect()
        }
        LabelSelection::Named(names) => {
            let mut picked = BTreeMap::new();
            for name in names {
                match labels.get(name) {
                    Some(value) if !value.is_empty() => picked.insert(name.as_str(), value.as_str()),
                    _ => return Err(format!("no {name} label (named in ?labels=)")),
                };
            }
            picked
        }
    };
    let alertname = picked.get(ALERTNAME).map(|v| (ALERTNAME.to_owned(), (*v).to_owned()));
    let others = picked.iter().filter(|(n, _)| **n != ALERTNAME).map(|(n, v)| ((*n).to_owned(), (*v).to_owned()));
    Ok(alertname.into_iter().chain(others).collect())
}

/// The slug of a label set: its values, lowercased, with every run of
/// characters outside `a-z0-9_` turned into one `-`, joined by `-`, cut to
/// fit, then `-` and 10 hex digits of a SHA-256 of the label names and
/// values. The hash keeps slugs apart whose readable parts agree (`Prod` and
/// `prod`, `a.b` and `a-b`, `cluster=x` and `env=x`, or a long cut value),
/// and depends on nothing but the labels, so the same labels always find
/// the same check.
pub fn slug(key: &[(String, String)]) -> String {
    let mut readable = String::new();
    for (_, value) in key {
        for c in value.chars().flat_map(char::to_lowercase) {
            let c = if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' { c } else { '-' };
            if c == '-' && (readable.is_empty() || readable.ends_with('-')) {
                continue;
            }
            readable.push(c);
        }
        if !readable.is_empty() && !readable.ends_with('-') {
            readable.push('-');
        }
    }
    readable.truncate(MAX_SLUG - HASH_DIGITS - 1);
    let readable = readable.trim_end_matches('-');
    let mut hasher = Sha256::new();
    for (name, value) in key {
        // Length-prefixed, so no two label sets hash the same bytes.
        for part in [name, value] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        }
    }
    let hash = to_hex(&hasher.finalize());
    let hash = &hash[..HASH_DIGITS];
    if readable.is_empty() {
        hash.to_owned()
    } else {
        format!("{readable}-{hash}")
    }
}

/// A readable name: the alertname, then the other labels as Prometheus
/// prints them (`Watchdog {cluster="eu-1"}`), cut to 100 characters.
pub fn name(key: &[(String, String)]) -> String {
    let alertname = key.iter().find(|(n, _)| n == ALERTNAME).map(|(_, v)| v.as_str());
    let others: Vec<String> = key.iter().filter(|(n, _)| n != ALERTNAME).map(|(n, v)| format!("{n}={v:?}")).collect();
    let full = match (alertname, others.is_empty()) {
        (Some(alertname), true) => alertname.to_owned(),
        (Some(alertname), false) => format!("{alertname} {{{}}}", others.join(", ")),
        (None, _) => format!("{{{}}}", others.join(", ")),
    };
    if full.chars().count() <= MAX_NAME {
        full
    } else {
        let mut cut: String = full.chars().take(MAX_NAME - 1).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::is_valid_slug;
    use serde_json::json;

    fn pairs(query: &[(&str, &str)]) -> Vec<(String, String)> {
        query.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
    }

    fn alert(status: &str, labels: Value) -> Value {
        json!({
            "status": status,
            "labels": labels,
            "annotations": {"summary": "The watchdog: always firing while the pipeline works."},
            "startsAt": "2026-12-02T01:00:00.000Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph?g0.expr=vector%281%29",
            "fingerprint": "e8d3c0a5b1f2c3d4"
        })
    }

    /// A payload as Alertmanager 0.25 sends it.
    fn payload(alerts: Vec<Value>) -> Vec<u8> {
        json!({
            "receiver": "edgebeat",
            "status": "firing",
            "alerts": alerts,
            "groupLabels": {"alertname": "Watchdog"},
            "commonLabels": {"alertname": "Watchdog"},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager:9093",
            "version": "4",
            "groupKey": "{}/{alertname=\"Watchdog\"}:{alertname=\"Watchdog\"}",
            "truncatedAlerts": 0
        })
        .to_string()
        .into_bytes()
    }

    fn watchdog(cluster: &str) -> Value {
        json!({"alertname": "Watchdog", "cluster": cluster, "severity": "none", "prometheus": "monitoring/k8s"})
    }

    #[test]
    fn one_receiver_watches_two_clusters_as_two_checks() {
        let body = payload(vec![alert("firing", watchdog("eu-1")), alert("firing", watchdog("us-2"))]);
        let beats = heartbeats(&body, &ReceiverQuery::default()).unwrap();
        assert_eq!(beats.len(), 2);
        assert_ne!(beats[0].slug, beats[1].slug);
        assert!(beats[0].slug.starts_with("watchdog-eu-1-monitoring-k8s-"), "{}", beats[0].slug);
        assert!(beats[1].slug.starts_with("watchdog-us-2-monitoring-k8s-"), "{}", beats[1].slug);
        assert_eq!(beats[0].config.name, r#"Watchdog {cluster="eu-1", prometheus="monitoring/k8s"}"#);
        for beat in &beats {
            assert!(is_valid_slug(&beat.slug), "{}", beat.slug);
            assert_eq!(beat.config.slug, beat.slug);
            assert_eq!(beat.signal, UrlSignal::Success);
            assert!(beat.config.tags.contains("alertmanager"));
            assert_eq!(beat.config.monitoring.schedule, Schedule::Simple { timeout: DEFAULT_TIMEOUT });
            assert_eq!(beat.config.monitoring.grace, DEFAULT_GRACE);
        }
        // The body is the alert itself, as sent.
        let sent: Value = serde_json::from_slice(&beats[1].body).unwrap();
        assert_eq!(sent, alert("firing", watchdog("us-2")));
    }

    #[test]
    fn the_same_labels_always_make_the_same_slug_and_severity_is_not_one_of_them() {
        let query = ReceiverQuery::default();
        let first = heartbeats(&payload(vec![alert("firing", watchdog("eu-1"))]), &query).unwrap();
        let mut critical = watchdog("eu-1");
        critical["severity"] = json!("critical");
        let again = heartbeats(&payload(vec![alert("firing", critical)]), &query).unwrap();
        assert_eq!(first[0].slug, again[0].slug);
        assert_eq!(first[0].config.name, again[0].config.name);
        // The slug depends on the labels only, never on the process: pinned.
        let only = heartbeats(&payload(vec![alert("firing", json!({"alertname": "Watchdog"}))]), &query).unwrap();
        assert_eq!(only[0].slug, "watchdog-bfa6fd7e99");
        assert_eq!(only[0].config.name, "Watchdog");
        assert_eq!(only[0].slug.len(), "watchdog-".len() + HASH_DIGITS);
    }

    #[test]
    fn label_selection_keys_checks_by_the_named_labels_only() {
        let query = parse_query(&pairs(&[("labels", "alertname, cluster")])).unwrap();
        assert_eq!(query.labels, LabelSelection::Named(vec!["alertname".into(), "cluster".into()]));
        let mut other_prometheus = watchdog("eu-1");
        other_prometheus["prometheus"] = json!("monitoring/k8s-2");
        let beats =
            heartbeats(&payload(vec![alert("firing", watchdog("eu-1")), alert("firing", other_prometheus)]), &query)
                .unwrap();
        assert_eq!(beats[0].slug, beats[1].slug, "the unnamed label does not split the check");
        assert!(beats[0].slug.starts_with("watchdog-eu-1-"), "{}", beats[0].slug);
        assert_eq!(beats[0].config.name, r#"Watchdog {cluster="eu-1"}"#);
        // The order of ?labels= does not matter.
        let reversed = parse_query(&pairs(&[("labels", "cluster,alertname")])).unwrap();
        let again = heartbeats(&payload(vec![alert("firing", watchdog("eu-1"))]), &reversed).unwrap();
        assert_eq!(again[0].slug, beats[0].slug);
        let repeated = parse_query(&pairs(&[("labels", "alertname,cluster,alertname")])).unwrap();
        assert_eq!(repeated.labels, query.labels, "a label named twice counts once");
        // Without alertname, the name is the labels alone.
        let cluster_only = parse_query(&pairs(&[("labels", "cluster")])).unwrap();
        let beats = heartbeats(&payload(vec![alert("firing", watchdog("eu-1"))]), &cluster_only).unwrap();
        assert_eq!(beats[0].config.name, r#"{cluster="eu-1"}"#);
        assert!(beats[0].slug.starts_with("eu-1-"));
    }

    #[test]
    fn a_named_label_an_alert_lacks_refuses_the_whole_payload() {
        let query = parse_query(&pairs(&[("labels", "alertname,cluster")])).unwrap();
        let body = payload(vec![alert("firing", watchdog("eu-1")), alert("firing", json!({"alertname": "Watchdog"}))]);
        let err = heartbeats(&body, &query).unwrap_err();
        assert_eq!(err, AlertmanagerError::Alert { index: 1, problem: "no cluster label (named in ?labels=)".into() });
        assert_eq!(err.to_string(), "alert 1: no cluster label (named in ?labels=)");
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn resolved_alerts_are_failures_firing_ones_successes() {
        let body = payload(vec![alert("resolved", watchdog("eu-1")), alert("firing", watchdog("us-2"))]);
        let beats = heartbeats(&body, &ReceiverQuery::default()).unwrap();
        assert_eq!(beats[0].signal, UrlSignal::Fail);
        assert_eq!(beats[1].signal, UrlSignal::Success);
        let odd = payload(vec![alert("pending", watchdog("eu-1"))]);
        assert!(matches!(heartbeats(&odd, &ReceiverQuery::default()), Err(AlertmanagerError::Alert { index: 0, .. })));
    }

    #[test]
    fn malformed_payloads_are_refused_with_the_reason() {
        let query = ReceiverQuery::default();
        let refused = |body: &[u8]| heartbeats(body, &query).unwrap_err();
        assert!(matches!(refused(b"{not json"), AlertmanagerError::NotAPayload(_)));
        assert!(matches!(refused(b""), AlertmanagerError::NotAPayload(_)));
        assert!(matches!(refused(b"[1, 2]"), AlertmanagerError::NotAPayload(_)));
        assert!(matches!(refused(br#"{"alerts": []}"#), AlertmanagerError::NotAPayload(_)), "no version");
        assert_eq!(refused(br#"{"version": "3", "alerts": []}"#), AlertmanagerError::Version("3".into()));
        assert!(matches!(refused(br#"{"version": 4, "alerts": []}"#), AlertmanagerError::NotAPayload(_)));
        assert_eq!(refused(br#"{"version": "4"}"#), AlertmanagerError::NoAlerts);
        assert_eq!(refused(br#"{"version": "4", "alerts": null}"#), AlertmanagerError::NoAlerts);
        assert_eq!(refused(&payload(vec![])), AlertmanagerError::NoAlerts);
        let no_labels = payload(vec![json!({"status": "firing"})]);
        assert!(matches!(refused(&no_labels), AlertmanagerError::Alert { index: 0, .. }));
        let empty_labels = payload(vec![json!({"status": "firing", "labels": {}})]);
        assert_eq!(refused(&empty_labels), AlertmanagerError::Alert { index: 0, problem: "no alertname label".into() });
        let not_strings = payload(vec![json!({"status": "firing", "labels": {"alertname": 1}})]);
        assert!(matches!(refused(&not_strings), AlertmanagerError::Alert { index: 0, .. }));
        let not_an_object = payload(vec![json!("firing")]);
        assert!(matches!(refused(&not_an_object), AlertmanagerError::Alert { index: 0, .. }));
    }

    #[test]
    fn query_values_are_checked_against_healthchecks_bounds() {
        let query = parse_query(&pairs(&[("timeout", "120"), ("grace", "60"), ("other", "x")])).unwrap();
        assert_eq!((query.timeout, query.grace, &query.labels), (120, 60, &LabelSelection::AllButSeverity));
        let beats = heartbeats(&payload(vec![alert("firing", watchdog("eu-1"))]), &query).unwrap();
        assert_eq!(beats[0].config.monitoring.schedule, Schedule::Simple { timeout: 120 });
        assert_eq!(beats[0].config.monitoring.grace, 60);
        assert_eq!(parse_query(&[]).unwrap(), ReceiverQuery::default());
        for (name, value) in [
            ("timeout", "59"),
            ("timeout", "31536001"),
            ("timeout", "ten"),
            ("timeout", ""),
            ("grace", "0"),
            ("grace", "1.5"),
            ("labels", ""),
            ("labels", "alertname,,cluster"),
            ("labels", "1abc"),
            ("labels", "a-b"),
        ] {
            let err = parse_query(&pairs(&[(name, value)])).unwrap_err();
            assert!(matches!(err, AlertmanagerError::Query { .. }), "{name}={value}");
            assert!(err.to_string().starts_with(&format!("?{name}=")), "{err}");
        }
        assert_eq!(parse_query(&pairs(&[("timeout", "31536000")])).unwrap().timeout, MAX_PERIOD);
    }

    #[test]
    fn slugs_are_valid_stable_and_apart_whatever_the_values() {
        let key = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
        };
        let cases = [
            key(&[("alertname", "Watchdog"), ("cluster", "Prod")]),
            key(&[("alertname", "Watchdog"), ("cluster", "prod")]),
            key(&[("alertname", "Watchdog"), ("env", "prod")]),
            key(&[("alertname", "Watchdog"), ("cluster", "a.b")]),
            key(&[("alertname", "Watchdog"), ("cluster", "a-b")]),
            key(&[("alertname", "Watch"), ("cluster", "dog-prod")]),
            key(&[("alertname", "Ω")]),
            key(&[("alertname", "--")]),
            key(&[("alertname", &"x".repeat(300)), ("cluster", "one")]),
            key(&[("alertname", &"x".repeat(300)), ("cluster", "two")]),
            key(&[("alertname", &"é".repeat(300))]),
        ];
        let slugs: Vec<String> = cases.iter().map(|k| slug(k)).collect();
        for (slug, case) in slugs.iter().zip(&cases) {
            assert!(is_valid_slug(slug), "{slug:?} for {case:?}");
            assert!(!slug.starts_with('-') && !slug.contains("--"), "{slug:?}");
        }
        let distinct: std::collections::BTreeSet<&String> = slugs.iter().collect();
        assert_eq!(distinct.len(), slugs.len(), "{slugs:#?}");
        assert!(slugs[0].starts_with("watchdog-prod-"));
        assert!(slugs[3].starts_with("watchdog-a-b-"));
        assert_eq!(slugs[6].len(), HASH_DIGITS, "nothing readable: the hash alone");
        assert_eq!(slugs[8].len(), MAX_SLUG);
        // Names are cut to 100 characters, on a character boundary.
        let long = name(&cases[10]);
        assert_eq!(long.chars().count(), MAX_NAME);
        assert!(long.ends_with('…'));
    }
}
