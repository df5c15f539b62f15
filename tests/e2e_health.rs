//! The foundation slice: sweeps are recorded and /health reports them.

mod support;

use serde_json::Value;
use support::Worker;

#[test]
fn health_reports_the_last_completed_sweep() {
    let worker = Worker::start();

    let before = worker.get("/health");
    assert_eq!(before.header("content-type"), Some("application/json"));
    let body = before.json();
    assert_eq!(body["last_sweep"], Value::Null);
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));

    let at = 1_700_000_040_000; // 2023-11-14T22:14:00Z
    worker.run_sweep(at);
    assert_eq!(worker.get("/health").json()["last_sweep"], "2023-11-14T22:14:00+00:00");

    worker.run_sweep(at + 60_000);
    assert_eq!(worker.get("/health").json()["last_sweep"], "2023-11-14T22:15:00+00:00");
}

#[test]
fn unknown_paths_get_a_json_404() {
    let worker = Worker::start();
    let response = worker.get("/no/such/thing");
    assert_eq!(response.status, 404);
    assert!(response.json()["error"].is_string());
}
