//! The alert policy (issue 11), end to end against wrangler dev and a real
//! local receiver, with time moved by the scheduled endpoint: failure and
//! recovery thresholds, max_runtime and min_runtime, reminders (once per
//! interval, also with concurrent sweeps), per-channel events, and snoozes.

mod support;

use serde_json::{json, Value};
use std::thread;
use std::time::Duration;
use support::{millis_of, now_ms, path_of, Project, Receiver, Worker};

const WAIT: Duration = Duration::from_secs(20);
/// How long to wait before concluding that nothing more arrives.
const QUIET: Duration = Duration::from_millis(700);

/// A webhook channel to `path` of the receiver, with `events` if given.
fn hook(worker: &Worker, project: &Project, receiver: &Receiver, path: &str, events: Option<Value>) -> String {
    let mut spec = json!({"kind": "webhook", "name": path, "url": receiver.url(path)});
    if let Some(events) = events {
        spec["events"] = events;
    }
    let response = worker.api(&project.api_key, "POST", "/api/v3/channels/", Some(&spec));
    assert_eq!(response.status, 201, "create channel {spec}: {}", response.text());
    response.json()["id"].as_str().unwrap().to_owned()
}

/// The JSON bodies the receiver got at `path`, in order.
fn bodies_at(receiver: &Receiver, path: &str) -> Vec<Value> {
    receiver.requests().iter().filter(|r| r.path == path).map(|r| r.json()).collect()
}

/// Waits until `path` got `count` requests, then a little longer to see that
/// no more arrive, and returns them.
fn exactly(receiver: &Receiver, path: &str, count: usize) -> Vec<Value> {
    let deadline = std::time::Instant::now() + WAIT;
    while bodies_at(receiver, path).len() < count && std::time::Instant::now() < deadline {
        thread::sleep(Duration::from_millis(50));
    }
    thread::sleep(QUIET);
    let bodies = bodies_at(receiver, path);
    assert_eq!(bodies.len(), count, "{path} got {bodies:#?}");
    bodies
}

fn ping(worker: &Worker, check: &Value, suffix: &str) {
    let path = format!("{}{suffix}", path_of(&check["ping_url"]));
    let response = worker.get(&path);
    assert_eq!(response.status, 200, "{path}: {}", response.text());
}

fn events_of(bodies: &[Value]) -> Vec<(String, String)> {
    bodies
        .iter()
        .map(|b| {
            (b["event"].as_str().unwrap_or_default().to_owned(), b["flip"]["reason"].as_str().unwrap_or("").to_owned())
        })
        .collect()
}

#[test]
fn thresholds_tolerate_flaky_runs_and_wait_for_a_real_recovery() {
    let receiver = Receiver::start();
    let worker = Worker::start();
    let project = worker.create_project("thresholds");
    hook(&worker, &project, &receiver, "/hook", None);
    let check = worker.create_check(
        &project,
        json!({"name": "flaky", "timeout": 3600, "grace": 60, "channels": "*",
               "failure_threshold": 3, "recovery_threshold": 2}),
    );
    assert_eq!((check["failure_threshold"].as_i64(), check["recovery_threshold"].as_i64()), (Some(3), Some(2)));
    let uuid = check["uuid"].as_str().unwrap().to_owned();
    ping(&worker, &check, "");

    // Two failures: nothing, and the check is still up.
    ping(&worker, &check, "/fail");
    ping(&worker, &check, "/1");
    worker.run_sweep(now_ms() + 5_000);
    exactly(&receiver, "/hook", 0);
    assert_eq!(worker.check(&project, &uuid)["status"], "up");

    // The third: one down alert, with the last failure's reason.
    ping(&worker, &check, "/7");
    let alerts = exactly(&receiver, "/hook", 1);
    assert_eq!(events_of(&alerts), vec![("down".into(), "exitstatus:7".into())]);
    assert_eq!(worker.check(&project, &uuid)["status"], "down");

    // One success: nothing; the second: the recovery.
    ping(&worker, &check, "");
    exactly(&receiver, "/hook", 1);
    assert_eq!(worker.check(&project, &uuid)["status"], "down");
    ping(&worker, &check, "");
    let alerts = exactly(&receiver, "/hook", 2);
    assert_eq!(alerts[1]["event"], "up");
    assert_eq!(alerts[1]["incident_key"], alerts[0]["incident_key"]);

    // Validation speaks healthchecks' language.
    for (spec, message) in [
        (json!({"failure_threshold": 0}), "json validation error: failure_threshold is too small"),
        (
            json!({"reminder_interval": 60}),
            "json validation error: reminder_interval is too small (0 turns reminders off)",
        ),
        (json!({"max_runtime": "long"}), "json validation error: max_runtime is not a number"),
    ] {
        let response = worker.api(&project.api_key, "POST", &format!("/api/v3/checks/{uuid}"), Some(&spec));
        assert_eq!(response.status, 400, "{spec}");
        assert_eq!(response.json()["error"], message);
    }
    // Settings valid alone that contradict each other (every run would
    // fail) are refused on create, and on update against what is stored,
    // which stays as it was.
    let contradiction = "json validation error: min_runtime must be less than max_runtime";
    let spec = json!({"name": "x", "max_runtime": 600, "min_runtime": 600});
    let response = worker.api(&project.api_key, "POST", "/api/v3/checks/", Some(&spec));
    assert_eq!((response.status, response.json()["error"].as_str()), (400, Some(contradiction)));
    let path = format!("/api/v3/checks/{uuid}");
    let set = worker.api(&project.api_key, "POST", &path, Some(&json!({"max_runtime": 600})));
    assert_eq!(set.status, 200, "{}", set.text());
    let response = worker.api(&project.api_key, "POST", &path, Some(&json!({"min_runtime": 900})));
    assert_eq!((response.status, response.json()["error"].as_str()), (400, Some(contradiction)));
    let stored = worker.check(&project, &uuid);
    assert_eq!((stored["max_runtime"].as_i64(), stored["min_runtime"].as_i64()), (Some(600), None));
}

#[test]
fn max_runtime_measures_a_started_run_and_grace_only_a_late_start() {
    let receiver = Receiver::start();
    let worker = Worker::start();
    let project = worker.create_project("runtime");
    hook(&worker, &project, &receiver, "/hook", None);
    let spec = |name: &str| json!({"name": name, "timeout": 3600, "grace": 60, "max_runtime": 600, "channels": "*"});
    let long = worker.create_check(&project, spec("long-backup"));
    let idle = worker.create_check(&project, spec("late-start"));
    assert_eq!(long["max_runtime"], 600);
    ping(&worker, &long, "");
    ping(&worker, &idle, "");
    let pinged = now_ms();
    ping(&worker, &long, "/start");
    let started = now_ms();

    // A start followed by silence: not down after grace, only after 600 s.
    worker.run_sweep(started + 61_000);
    worker.run_sweep(started + 590_000);
    exactly(&receiver, "/hook", 0);
    worker.run_sweep(started + 605_000);
    let alerts = exactly(&receiver, "/hook", 1);
    assert_eq!(events_of(&alerts), vec![("down".into(), "ran_too_long".into())]);
    assert_eq!(alerts[0]["check"]["name"], "long-backup");

    // No start at all: down after period + grace, as before.
    worker.run_sweep(pinged + 3_650_000);
    exactly(&receiver, "/hook", 1);
    worker.run_sweep(pinged + 3_665_000);
    let alerts = exactly(&receiver, "/hook", 2);
    assert_eq!(events_of(&alerts[1..]), vec![("down".into(), "timeout".into())]);
    assert_eq!(alerts[1]["check"]["name"], "late-start");
}

#[test]
fn min_runtime_catches_a_run_that_succeeded_too_fast() {
    let receiver = Receiver::start();
    let worker = Worker::start();
    let project = worker.create_project("too-fast");
    hook(&worker, &project, &receiver, "/hook", None);
    let check = worker.create_check(
        &project,
        json!({"name": "dump", "timeout": 86400, "grace": 3600, "min_runtime": 30, "channels": "*"}),
    );
    ping(&worker, &check, "");
    let rid = "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    ping(&worker, &check, &format!("/start?rid={rid}"));
    thread::sleep(Duration::from_secs(2));
    ping(&worker, &check, &format!("?rid={rid}"));
    let alerts = exactly(&receiver, "/hook", 1);
    assert_eq!(events_of(&alerts), vec![("down".into(), "too_fast".into())]);
    assert!(alerts[0]["summary"].as_str().unwrap().contains("too fast"), "{}", alerts[0]);
}

#[test]
fn reminders_come_once_per_interval_even_with_concurrent_sweeps_and_stop_on_recovery() {
    let receiver = Receiver::start();
    let worker = Worker::start();
    let project = worker.create_project("reminders");
    hook(&worker, &project, &receiver, "/hook", None);
    let pd =
        json!({"kind": "pagerduty", "name": "oncall", "routing_key": "R0UTINGKEY", "events_url": receiver.url("/pd")});
    assert_eq!(worker.api(&project.api_key, "POST", "/api/v3/channels/", Some(&pd)).status, 201);
    let check = worker.create_check(
        &project,
        json!({"name": "backup", "timeout": 3600, "grace": 60, "reminder_interval": 300, "channels": "*"}),
    );
    assert_eq!(check["reminder_interval"], 300);
    ping(&worker, &check, "");
    ping(&worker, &check, "/fail");
    let failed = now_ms();
    exactly(&receiver, "/hook", 1);

    // Reminders at +300 s, +600 s, ... after the check went down.
    for at in [100, 200, 290] {
        worker.run_sweep(failed + at * 1000);
    }
    exactly(&receiver, "/hook", 1);
    // Two sweeps at the same instant, concurrently: one reminder.
    let sweeps: Vec<_> = (0..2)
        .map(|_| {
            let port = worker.port;
            thread::spawn(move || {
                support::http::request(
                    port,
                    "GET",
                    &format!("/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time={}", failed + 305_000),
                    &[],
                    b"",
                )
                .map(|r| r.status)
            })
        })
        .collect();
    for sweep in sweeps {
        assert_eq!(sweep.join().unwrap().unwrap(), 200);
    }
    let alerts = exactly(&receiver, "/hook", 2);
    assert_eq!(events_of(&alerts[1..]), vec![("reminder".into(), "still_down".into())]);
    assert_eq!(alerts[1]["incident_key"], alerts[0]["incident_key"]);
    assert!(alerts[1]["summary"].as_str().unwrap().contains("still DOWN"), "{}", alerts[1]);
    for at in [400, 500, 590] {
        worker.run_sweep(failed + at * 1000);
    }
    exactly(&receiver, "/hook", 2);
    worker.run_sweep(failed + 605_000);
    exactly(&receiver, "/hook", 3);

    // PagerDuty: the reminders re-trigger the down incident's dedup_key.
    let pages = exactly(&receiver, "/pd", 3);
    let actions: Vec<&str> = pages.iter().map(|p| p["event_action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["trigger", "trigger", "trigger"]);
    assert!(pages.iter().all(|p| p["dedup_key"] == pages[0]["dedup_key"]), "{pages:#?}");

    // Recovery: the up alert and a resolve, then no more reminders.
    ping(&worker, &check, "");
    let alerts = exactly(&receiver, "/hook", 4);
    assert_eq!(alerts[3]["event"], "up");
    let pages = exactly(&receiver, "/pd", 4);
    assert_eq!((pages[3]["event_action"].as_str(), &pages[3]["dedup_key"]), (Some("resolve"), &pages[0]["dedup_key"]));
    for at in [900, 1_200, 3_000] {
        worker.run_sweep(failed + at * 1000);
    }
    exactly(&receiver, "/hook", 4);
}

#[test]
fn channels_receive_only_the_events_they_asked_for() {
    let receiver = Receiver::start();
    let worker = Worker::start();
    let project = worker.create_project("events");
    let late = hook(&worker, &project, &receiver, "/late", Some(json!(["late"])));
    hook(&worker, &project, &receiver, "/fail", Some(json!(["fail"])));
    hook(&worker, &project, &receiver, "/success", Some(json!(["success"])));
    hook(&worker, &project, &receiver, "/default", None);
    let shown = worker.api(&project.api_key, "GET", &format!("/api/v3/channels/{late}"), None).json();
    assert_eq!(shown["events"], json!(["late"]));
    let bad = worker.api(
        &project.api_key,
        "POST",
        "/api/v3/channels/",
        Some(&json!({"kind": "slack", "url": receiver.url("/x"), "events": ["sometimes"]})),
    );
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"].as_str().unwrap().contains("events"));

    let check = worker.create_check(&project, json!({"name": "job", "timeout": 60, "grace": 120, "channels": "*"}));
    ping(&worker, &check, "");
    let pinged = now_ms();
    exactly(&receiver, "/success", 1);

    // The deadline passes, grace has not: exactly one late event, to the late channel only.
    worker.run_sweep(pinged + 65_000);
    worker.run_sweep(pinged + 90_000);
    worker.run_sweep(pinged + 150_000);
    let lates = exactly(&receiver, "/late", 1);
    assert_eq!(lates[0]["event"], "late");
    assert!(lates[0]["summary"].as_str().unwrap().contains("LATE"));
    exactly(&receiver, "/default", 0);

    // Every failure reaches the fail channel, even while already down; the
    // default channel hears of the flips only.
    // Each ping's delivery runs on its own, so two quick pings may arrive in
    // either order: wait for each before sending the next.
    ping(&worker, &check, "/fail");
    exactly(&receiver, "/fail", 1);
    exactly(&receiver, "/default", 1);
    ping(&worker, &check, "/3");
    let fails = exactly(&receiver, "/fail", 2);
    assert_eq!(events_of(&fails), vec![("fail".into(), "fail".into()), ("fail".into(), "exitstatus:3".into())]);
    ping(&worker, &check, "");
    exactly(&receiver, "/success", 2);
    let flips = exactly(&receiver, "/default", 2);
    assert_eq!(events_of(&flips)[0].0, "down");
    assert_eq!(events_of(&flips)[1].0, "up");
    exactly(&receiver, "/late", 1);

    // Event history stays out of the flips list.
    let flips = worker.api(
        &project.api_key,
        "GET",
        &format!("/api/v3/checks/{}/flips/", check["uuid"].as_str().unwrap()),
        None,
    );
    assert_eq!(flips.json()["flips"].as_array().map(Vec::len), Some(3), "new, down, up: {}", flips.text());
}

/// A ping whose own event nobody listens for records nothing for it, decided
/// from the check row it already reads (and its isolate's cached copy). A
/// channel that starts listening must hear the very next ping all the same.
#[test]
fn a_channel_that_starts_listening_hears_the_next_ping() {
    let receiver = Receiver::start();
    let worker = Worker::start();
    let project = worker.create_project("listeners");
    let check = worker.create_check(&project, json!({"name": "job", "timeout": 60, "grace": 60}));
    for _ in 0..3 {
        ping(&worker, &check, "");
    }
    let spec = json!({"kind": "webhook", "name": "all", "url": receiver.url("/all"), "events": ["success"],
                      "assign_to_all_checks": true});
    let created = worker.api(&project.api_key, "POST", "/api/v3/channels/", Some(&spec));
    assert_eq!(created.status, 201, "{}", created.text());
    let channel = created.json()["id"].as_str().unwrap().to_owned();
    ping(&worker, &check, "");
    assert_eq!(events_of(&exactly(&receiver, "/all", 1)), vec![("success".into(), String::new())]);

    // Now it asks for failures only: a success is not heard, a failure is.
    let spec = json!({"kind": "webhook", "name": "all", "url": receiver.url("/all"), "events": ["fail"]});
    let updated = worker.api(&project.api_key, "POST", &format!("/api/v3/channels/{channel}"), Some(&spec));
    assert_eq!(updated.status, 200, "{}", updated.text());
    ping(&worker, &check, "");
    ping(&worker, &check, "/fail");
    let heard = exactly(&receiver, "/all", 2);
    assert_eq!(events_of(&heard[1..]), vec![("fail".into(), "fail".into())]);

    // Deleted (its links go with it): the check's pings are still taken.
    let deleted = worker.api(&project.api_key, "DELETE", &format!("/api/v3/channels/{channel}"), None);
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    ping(&worker, &check, "/fail");
    ping(&worker, &check, "");
    let shown =
        worker.api(&project.api_key, "GET", &format!("/api/v3/checks/{}", check["uuid"].as_str().unwrap()), None);
    assert_eq!(shown.json()["n_pings"], 8, "{}", shown.text());
}

#[test]
fn a_snooze_holds_notifications_and_a_still_down_check_notifies_once_at_its_end() {
    let receiver = Receiver::start();
    let worker = Worker::start();
    let project = worker.create_project("snooze");
    hook(&worker, &project, &receiver, "/hook", None);
    // Deadlines far beyond the test: only failures and snoozes matter here.
    let spec = |name: &str| json!({"name": name, "timeout": 3600, "grace": 60, "channels": "*"});
    let stays_down = worker.create_check(&project, spec("stays-down"));
    let recovers = worker.create_check(&project, spec("recovers"));
    let ended = worker.create_check(&project, spec("ended-early"));
    for check in [&stays_down, &recovers, &ended] {
        ping(&worker, check, "");
    }
    let uuid = |check: &Value| check["uuid"].as_str().unwrap().to_owned();
    let start = now_ms();

    // Through the API, by seconds; from a job, by the ping URL (POST only).
    let snoozed = worker.api(
        &project.api_key,
        "POST",
        &format!("/api/v3/checks/{}/snooze", uuid(&stays_down)),
        Some(&json!({"seconds": 600})),
    );
    assert_eq!(snoozed.status, 200, "{}", snoozed.text());
    let until = millis_of(&snoozed.json()["snoozed_until"]);
    assert!((until - (start + 600_000)).abs() < 5_000, "{}", snoozed.text());
    let ping_snooze = format!("{}/snooze?seconds=600", path_of(&recovers["ping_url"]));
    assert_eq!(worker.get(&ping_snooze).status, 405, "GET cannot silence a check");
    let answer = worker.post(&ping_snooze, b"");
    assert_eq!((answer.status, answer.text().as_str()), (200, "OK"));
    assert!(worker.check(&project, &uuid(&recovers))["snoozed_until"].is_string());
    let until_iso = support::iso(start + 600_000);
    let by_date = worker.api(
        &project.api_key,
        "POST",
        &format!("/api/v3/checks/{}/snooze", uuid(&ended)),
        Some(&json!({"until": until_iso})),
    );
    assert_eq!(by_date.status, 200, "{}", by_date.text());

    // Failures inside the snooze are recorded, but nobody is told.
    for check in [&stays_down, &recovers, &ended] {
        ping(&worker, check, "/fail");
    }
    ping(&worker, &recovers, "");
    worker.run_sweep(start + 300_000);
    exactly(&receiver, "/hook", 0);
    assert_eq!(worker.check(&project, &uuid(&stays_down))["status"], "down");
    assert_eq!(worker.check(&project, &uuid(&recovers))["status"], "up");

    // Ending one early: it is still down, so it notifies once at the next sweep.
    let deleted = worker.api(&project.api_key, "DELETE", &format!("/api/v3/checks/{}/snooze", uuid(&ended)), None);
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.json()["snoozed_until"], Value::Null);
    worker.run_sweep(now_ms() + 1_000);
    let alerts = exactly(&receiver, "/hook", 1);
    assert_eq!(alerts[0]["check"]["name"], "ended-early");
    assert_eq!(events_of(&alerts), vec![("down".into(), "still_down".into())]);

    // The end of the snooze: the still-down check notifies once, the one
    // that recovered inside it sends nothing.
    worker.run_sweep(start + 605_000);
    worker.run_sweep(start + 700_000);
    let alerts = bodies_at(&receiver, "/hook");
    let about =
        |name: &str| events_of(&alerts.iter().filter(|a| a["check"]["name"] == name).cloned().collect::<Vec<_>>());
    assert_eq!(about("stays-down"), vec![("down".into(), "still_down".into())]);
    assert_eq!(about("ended-early"), vec![("down".into(), "still_down".into())]);
    assert_eq!(about("recovers"), vec![], "it recovered inside the snooze");

    // Bad snoozes are refused clearly.
    let path = format!("/api/v3/checks/{}/snooze", uuid(&stays_down));
    for (body, message) in [
        (json!({"seconds": 0}), "json validation error: seconds is too small"),
        (json!({"seconds": 2_592_001}), "json validation error: seconds is too large"),
        (json!({}), "json validation error: give either seconds or until"),
    ] {
        let response = worker.api(&project.api_key, "POST", &path, Some(&body));
        assert_eq!(response.status, 400, "{body}");
        assert_eq!(response.json()["error"], message);
    }
    let read_only = worker.api(&project.api_key_readonly, "POST", &path, Some(&json!({"seconds": 60})));
    assert_eq!(read_only.status, 401);
    assert_eq!(
        worker.post(&format!("{}/snooze", path_of(&recovers["ping_url"])), b"").status,
        400,
        "seconds is required"
    );

    // The slug form, by the project's ping key.
    let slugged = worker.create_check(&project, json!({"name": "slugged", "slug": "slugged"}));
    let by_slug = worker.post(&format!("/ping/{}/slugged/snooze?seconds=60", project.ping_key), b"");
    assert_eq!((by_slug.status, by_slug.text().as_str()), (200, "OK"));
    assert!(worker.check(&project, &uuid(&slugged))["snoozed_until"].is_string());
    assert_eq!(worker.post(&format!("/ping/{}/nothing/snooze?seconds=60", project.ping_key), b"").status, 404);
}

#[test]
fn requests_rescue_a_stalled_cron_and_alert_exactly_once() {
    let receiver = Receiver::start();
    let worker = Worker::start();
    let project = worker.create_project("stalled");
    hook(&worker, &project, &receiver, "/hook", None);
    let overdue =
        worker.create_check(&project, json!({"name": "nightly", "timeout": 60, "grace": 60, "channels": "*"}));
    let busy = worker.create_check(&project, json!({"name": "busy", "timeout": 3600, "grace": 60, "channels": "*"}));
    ping(&worker, &overdue, "");
    let pinged = now_ms();
    // The cron trigger runs once, then stalls: no scheduled event from here on.
    worker.run_sweep(pinged);
    assert_eq!(worker.health_details()["rescue_sweep_started"], Value::Null);
    thread::sleep(Duration::from_millis((pinged + 125_000 - now_ms()).max(0) as u64));

    // Only pings, several at once: the overdue check's alert comes, once.
    let pings: Vec<_> = (0..4)
        .map(|_| {
            let (port, path) = (worker.port, path_of(&busy["ping_url"]));
            thread::spawn(move || support::http::request(port, "GET", &path, &[], b"").map(|r| r.status))
        })
        .collect();
    for request in pings {
        assert_eq!(request.join().unwrap().unwrap(), 200);
    }
    let alerts = exactly(&receiver, "/hook", 1);
    assert_eq!(events_of(&alerts), vec![("down".into(), "timeout".into())]);
    assert_eq!(alerts[0]["check"]["name"], "nightly");
    let health = worker.health_details();
    let rescued = millis_of(&health["rescue_sweep_started"]);
    assert!(rescued >= pinged + 120_000, "{health}");
    for _ in 0..3 {
        ping(&worker, &busy, "");
    }
    exactly(&receiver, "/hook", 1);
}
