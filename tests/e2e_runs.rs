//! Issue 19's ping extensions through plain HTTP against `wrangler dev`:
//! a run's start or end with a run id counts once (sent again, it is
//! answered `OK` and records nothing); an event time (`?ts=`) out of its
//! bounds or malformed gets a 400 with a JSON error and records nothing, and
//! one within them is recorded at that time; a check made through the API
//! that expects its first ping goes down as never run.

mod support;

use serde_json::{json, Value};
use support::{millis_of, now_ms, path_of, Project, Worker};

const RUN: &str = "a0000000-0000-4000-8000-0000000000e1";

fn setup() -> (Worker, Project, Value) {
    let worker = Worker::start();
    let project = worker.create_project("runs");
    let check = worker.create_check(&project, json!({"name": "job", "timeout": 3600, "grace": 600}));
    (worker, project, check)
}

#[test]
fn a_run_s_start_and_end_sent_again_are_acknowledged_and_recorded_once() {
    let (worker, project, check) = setup();
    let uuid = check["uuid"].as_str().unwrap();
    let base = path_of(&check["ping_url"]);
    assert_eq!(worker.get(&base).status, 200, "the first ping: up");
    for (suffix, method) in [("/start", "GET"), ("/start", "POST"), ("", "GET"), ("/fail", "POST"), ("/0", "GET")] {
        let response = worker.request(method, &format!("{base}{suffix}?rid={RUN}"), &[], b"");
        assert_eq!((response.status, response.text().as_str()), (200, "OK"), "{suffix}");
    }
    let pings = worker.pings(&project, uuid);
    let kinds: Vec<&str> = pings.iter().map(|p| p["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["success", "start", "success"], "one start, one end, the first ping");
    let repeated = worker.get(&format!("{base}/start?rid={RUN}"));
    assert_eq!(repeated.header("Edgebeat-Already-Reported"), Some("1"));
    assert_eq!(
        worker.get(&format!("{base}?rid={}", RUN.replace("e1", "e2"))).header("Edgebeat-Already-Reported"),
        None
    );
    // The check saw one run: up, measured.
    let shown = worker.check(&project, uuid);
    assert_eq!((shown["status"].as_str(), shown["started"].as_bool()), (Some("up"), Some(false)));
    assert_eq!(worker.pings(&project, uuid).len(), 4);
    // A ping without a run id is a new ping each time, as on healthchecks.io.
    for _ in 0..2 {
        assert_eq!(worker.get(&base).header("Edgebeat-Already-Reported"), None);
    }
    assert_eq!(worker.pings(&project, uuid).len(), 6);
}

#[test]
fn an_event_time_out_of_bounds_is_refused_and_one_within_them_counts_at_its_time() {
    let (worker, project, check) = setup();
    let uuid = check["uuid"].as_str().unwrap();
    let base = path_of(&check["ping_url"]);
    let now = now_ms() / 1000;
    let cases = [
        (format!("{}", now + 3_600), "is in the future: more than 5 minutes ahead"),
        (format!("{}", now - 90_000), "is more than 24 hours ago"),
        ("soon".to_owned(), "is not a Unix time in seconds"),
        ("1.2345".to_owned(), "is not a Unix time in seconds"),
    ];
    for (ts, expected) in &cases {
        let response = worker.get(&format!("{base}?ts={ts}"));
        assert_eq!(response.status, 400, "{ts}: {}", response.text());
        assert!(response.header("Content-Type").is_some_and(|t| t.starts_with("application/json")), "{ts}");
        let error = response.json()["error"].as_str().unwrap_or_default().to_owned();
        assert!(error.contains(expected), "{ts}: {error}");
    }
    assert!(worker.pings(&project, uuid).is_empty(), "nothing recorded");
    assert_eq!(worker.check(&project, uuid)["status"], "new");

    // A run that started 50 minutes ago and ended 10 minutes ago, both relayed now.
    let (started, ended) = (now - 3_000, now - 600);
    assert_eq!(worker.get(&format!("{base}/start?rid={RUN}&ts={started}")).status, 200);
    assert_eq!(worker.post(&format!("{base}?rid={RUN}&ts={ended}"), b"done").status, 200);
    let pings = worker.pings(&project, uuid);
    assert_eq!(millis_of(&pings[0]["date"]), ended * 1000);
    assert_eq!(millis_of(&pings[1]["date"]), started * 1000);
    assert_eq!(pings[0]["duration"], 2400.0);
    let shown = worker.check(&project, uuid);
    assert_eq!((shown["last_duration"].as_i64(), millis_of(&shown["last_ping"])), (Some(2400), ended * 1000));
    assert_eq!(millis_of(&shown["next_ping"]), (ended + 3_600) * 1000, "its next deadline counts from the real end");
    // An older outcome relayed after a newer one changes nothing: still up.
    assert_eq!(worker.get(&format!("{base}/fail?ts={}", ended - 60)).status, 200);
    let shown = worker.check(&project, uuid);
    assert_eq!((shown["status"].as_str(), millis_of(&shown["last_ping"])), (Some("up"), ended * 1000));
}

#[test]
fn a_check_made_through_the_api_that_expects_its_first_ping_goes_down_as_never_run() {
    let worker = Worker::start();
    let project = worker.create_project("first-ping");
    let plain = worker.create_check(&project, json!({"name": "plain", "timeout": 60, "grace": 60}));
    assert_eq!(plain["expect_first_ping"], false, "off by default, as on healthchecks.io");
    let check = worker
        .create_check(&project, json!({"name": "expects", "timeout": 60, "grace": 60, "expect_first_ping": true}));
    let uuid = check["uuid"].as_str().unwrap();
    let first = millis_of(&check["next_ping"]);
    worker.run_sweep(first + 60_000 + 30_000);
    let shown = worker.check(&project, uuid);
    assert_eq!((shown["status"].as_str(), shown["never_ran_after"].as_str()), (Some("down"), Some("created")));
    assert_eq!(worker.check(&project, plain["uuid"].as_str().unwrap())["status"], "new");
    let flips = worker.api(&project.api_key, "GET", &format!("/api/v3/checks/{uuid}/flips/"), None).json();
    assert_eq!(flips["flips"].as_array().map(Vec::len), Some(1));
    assert_eq!(flips["flips"][0]["up"], 0);
    // Its first ping brings it up.
    assert_eq!(worker.get(&path_of(&check["ping_url"])).status, 200);
    let shown = worker.check(&project, uuid);
    assert_eq!((shown["status"].as_str(), shown["never_ran_since"].clone()), (Some("up"), Value::Null));
}
