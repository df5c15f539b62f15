//! /health: what an outside monitor sees of edgebeat's own sweeps, and the
//! self-ping that reports each completed sweep.

mod support;

use serde_json::{json, Value};
use std::time::Duration;
use support::{iso, now_ms, Receiver, Worker};

/// A minute boundary close to now, as the cron trigger would fire.
fn this_minute() -> i64 {
    now_ms() / 60_000 * 60_000
}

/// The keys of a JSON object, sorted.
fn keys(body: &Value) -> Vec<String> {
    let mut keys: Vec<String> = body.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
    keys.sort();
    keys
}

#[test]
fn health_follows_the_sweeps() {
    let worker = Worker::start();

    let before = worker.get("/health");
    assert_eq!(before.status, 503, "nothing watches the checks before the first sweep");
    assert_eq!(before.header("content-type"), Some("application/json"));
    assert_eq!(
        before.json(),
        json!({"status": "down", "reason": "starting", "last_sweep": null, "behind_seconds": null})
    );
    assert_eq!(worker.health_details()["version"], env!("CARGO_PKG_VERSION"));

    let at = this_minute();
    worker.run_sweep(at);
    let after = worker.get("/health");
    assert_eq!(after.status, 200, "{}", after.text());
    let body = after.json();
    assert_eq!(body["status"], "ok");
    assert!(body["behind_seconds"].as_i64().is_some_and(|s| (0..=120).contains(&s)), "{body}");
    let expected = iso(at);
    assert_eq!(body["last_sweep"], expected.as_str());

    // The newest completed sweep ran four minutes ago: sweeps have stopped.
    worker.run_sweep(at - 4 * 60_000);
    let stopped = worker.get("/health");
    assert_eq!(stopped.status, 503);
    assert_eq!((stopped.json()["status"].as_str(), stopped.json()["reason"].as_str()), (Some("down"), Some("stalled")));
    assert!(stopped.json()["behind_seconds"].as_i64().is_some_and(|s| s >= 180));

    worker.run_sweep(at);
    assert_eq!(worker.get("/health").status, 200, "a new sweep makes it healthy again");
}

/// Anyone sees whether edgebeat is up and when it last swept; the shared
/// sweep's statistics (every tenant's checks, flips and alerts), error
/// texts and the version only with the admin token.
#[test]
fn only_the_admin_token_sees_the_sweep_statistics() {
    let worker = Worker::start();
    let project = worker.create_project("tenant");
    let check = worker.create_check(&project, json!({"name": "watched", "timeout": 60, "grace": 60}));
    assert_eq!(worker.get(&support::path_of(&check["ping_url"])).status, 200);
    worker.run_sweep(this_minute());

    let public = worker.get("/health");
    assert_eq!(public.status, 200);
    assert_eq!(keys(&public.json()), ["behind_seconds", "last_sweep", "status"], "{}", public.text());
    for (name, value) in
        [("Authorization", "Bearer wrong-token"), ("Authorization", "Basic dGVzdA=="), ("X-Api-Key", &project.api_key)]
    {
        let guessed = worker.request("GET", "/health", &[(name, value)], b"");
        assert_eq!(keys(&guessed.json()), ["behind_seconds", "last_sweep", "status"], "{name}: {}", guessed.text());
    }

    let details = worker.health_details();
    assert_eq!(details["status"], "ok");
    assert_eq!(details["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(details["last_sweep_stats"]["due_checks"], 0, "{details}");
    assert_eq!(details["pings_storable"], true);
    assert_eq!(details["last_error"], Value::Null);
}

#[test]
fn a_failing_sweep_is_recorded_and_reported() {
    let worker = Worker::start();
    // A minute back, so that neither sweep is ahead of the clock even when
    // the minute turns during the test (a sweep ahead of it is dated now).
    let at = this_minute() - 60_000;
    worker.run_sweep(at);
    // Break the outbox table under the running worker: every later sweep fails.
    worker.execute_sql("DROP TABLE notification_attempts; DROP TABLE notifications;");
    worker.run_sweep(at + 60_000);
    let health = worker.get("/health");
    let body = health.json();
    assert_eq!(health.status, 200, "the last completed sweep is still recent: {body}");
    assert_eq!(body["last_sweep"], iso(at).as_str(), "a failed sweep is not a completed one");
    // The error text can show internals: only the admin token sees it.
    assert!(body.get("last_error").is_none(), "{body}");
    let detailed = worker.health_details();
    assert_eq!(detailed["last_error"]["sweep"], iso(at + 60_000).as_str());
    let error = detailed["last_error"]["error"].as_str().unwrap_or_default();
    assert!(error.contains("notifications"), "{error}");

    // Failures never count as progress: the last completed sweep stays put.
    worker.run_sweep(at + 120_000);
    let body = worker.health_details();
    assert_eq!(body["last_sweep"], iso(at).as_str());
    assert_eq!(body["last_error"]["sweep"], iso(at + 120_000).as_str());
}

#[test]
fn each_completed_sweep_pings_the_self_ping_url() {
    let receiver = Receiver::start();
    let worker = Worker::start_with(&[("SELF_PING_URL", &receiver.url("/ping/edgebeat-itself"))]);
    // Two minutes that are over, whenever the minute turns.
    let at = this_minute() - 60_000;
    worker.run_sweep(at);
    worker.run_sweep(at + 60_000);
    let requests = receiver.wait_for(2, Duration::from_secs(10));
    assert!(requests.iter().all(|r| r.method == "GET" && r.path == "/ping/edgebeat-itself"));
}

#[test]
fn unknown_paths_get_a_json_404() {
    let worker = Worker::start();
    let response = worker.get("/no/such/thing");
    assert_eq!(response.status, 404);
    assert!(response.json()["error"].is_string());
}
