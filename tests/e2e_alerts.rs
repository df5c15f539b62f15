//! The minute sweep and alert delivery, end to end against a real local
//! HTTP receiver: exactly one alert per state change, retries with backoff,
//! timeouts, the subrequest budget, signatures, and the channel API.

mod support;

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::HashSet;
use std::sync::Arc;
use std::thread;
use std::time::Duration;
use support::{millis_of, now_ms, path_of, Answer, Project, Receiver, Worker};

const WAIT: Duration = Duration::from_secs(20);

/// Creates a channel through the API and returns its id.
fn channel(worker: &Worker, project: &Project, spec: Value) -> String {
    let response = worker.api(&project.api_key, "POST", "/api/v3/channels/", Some(&spec));
    assert_eq!(response.status, 201, "create channel {spec}: {}", response.text());
    response.json()["id"].as_str().unwrap().to_owned()
}

fn webhook(worker: &Worker, project: &Project, receiver: &Receiver, path: &str) -> String {
    channel(worker, project, json!({"kind": "webhook", "name": "hook", "url": receiver.url(path)}))
}

fn notifications(worker: &Worker, project: &Project, query: &str) -> Vec<Value> {
    let response = worker.api(&project.api_key, "GET", &format!("/api/v3/notifications/{query}"), None);
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()["notifications"].as_array().cloned().unwrap_or_default()
}

/// The notifications once `settled` holds for them (or as they are after
/// WAIT): a delivery a request set off records its outcome after the
/// receiver has answered, so right after a message arrives its
/// notification can still be pending, its attempt not yet logged.
fn notifications_once(
    worker: &Worker,
    project: &Project,
    query: &str,
    settled: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let found = notifications(worker, project, query);
        if settled(&found) || std::time::Instant::now() >= deadline {
            return found;
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// Whether each attempt a notification counts is in its log.
fn attempts_logged(notification: &Value) -> bool {
    notification["attempt_log"].as_array().map(Vec::len).map(|n| n as u64) == notification["attempts"].as_u64()
}

#[test]
fn a_late_check_alerts_slack_and_pagerduty_once_then_recovers() {
    let receiver = Receiver::start();
    let worker = Worker::start();
    let project = worker.create_project("alerts");
    let slack = channel(&worker, &project, json!({"kind": "slack", "name": "ops", "url": receiver.url("/slack")}));
    let pagerduty = channel(
        &worker,
        &project,
        json!({"kind": "pagerduty", "name": "oncall", "routing_key": "R0UTINGKEY", "severity": "error",
               "events_url": receiver.url("/pagerduty")}),
    );
    let check = worker.create_check(
        &project,
        json!({"name": "nightly-backup", "tags": "prod db", "timeout": 60, "grace": 60, "channels": "*"}),
    );
    let uuid = check["uuid"].as_str().unwrap().to_owned();
    assert_eq!(check["channels"].as_str().map(|c| c.split(',').count()), Some(2));
    assert_eq!(worker.post(&path_of(&check["ping_url"]), b"msg=backup completed").status, 200);
    let pinged = now_ms();

    // Before period + grace has passed: nothing.
    worker.run_sweep(pinged + 60_000);
    worker.run_sweep(pinged + 110_000);
    thread::sleep(Duration::from_millis(300));
    assert!(receiver.requests().is_empty(), "{:?}", receiver.requests());

    // Past it: one Slack message and one PagerDuty trigger.
    worker.run_sweep(pinged + 121_000);
    let requests = receiver.wait_for(2, WAIT);
    assert_eq!(worker.check(&project, &uuid)["status"], "down");
    let slack_message = requests.iter().find(|r| r.path == "/slack").expect("a Slack message").json();
    let trigger = requests.iter().find(|r| r.path == "/pagerduty").expect("a PagerDuty event").json();
    let text = slack_message["text"].as_str().unwrap();
    assert!(text.contains("nightly-backup is DOWN: no ping on time"), "{text}");
    let blocks = slack_message["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["text"]["text"], "nightly-backup is DOWN: no ping on time");
    let fields = blocks[2]["fields"].to_string();
    assert!(fields.contains("(success)") && fields.contains("every 1 minute, grace 1 minute"), "{fields}");
    // Times in Slack's date formatting (each reader's own zone), never raw ISO 8601.
    assert!(fields.contains("<!date^") && fields.contains(" UTC>"), "{fields}");
    assert!(!slack_message.to_string().contains("+00:00"), "{slack_message}");
    assert!(fields.contains("prod db"), "{fields}");
    assert!(blocks[3]["text"]["text"].as_str().unwrap().contains("msg=backup completed"));
    let link = blocks[4]["elements"][0]["url"].as_str().unwrap();
    assert_eq!(
        link,
        format!("http://127.0.0.1:{}/app/#/checks/{uuid}", worker.port),
        "alerts link to the check's page"
    );

    assert_eq!(trigger["routing_key"], "R0UTINGKEY");
    assert_eq!(trigger["event_action"], "trigger");
    assert_eq!(trigger["payload"]["severity"], "error");
    assert_eq!(trigger["payload"]["summary"], "nightly-backup is DOWN: no ping on time");
    assert_eq!(trigger["payload"]["source"], "edgebeat check nightly-backup");
    assert_eq!(trigger["payload"]["class"], "missed_ping", "the class says what happened");
    assert_eq!(trigger["payload"]["custom_details"]["check_uuid"], uuid.as_str());
    let dedup_key = trigger["dedup_key"].as_str().unwrap().to_owned();
    assert!(dedup_key.contains(&uuid));

    // Later sweeps send nothing more.
    worker.run_sweep(pinged + 181_000);
    worker.run_sweep(pinged + 241_000);
    thread::sleep(Duration::from_millis(500));
    assert_eq!(receiver.requests().len(), 2);

    // A ping: recovery on Slack, and a resolve of the same PagerDuty incident.
    assert_eq!(worker.get(&path_of(&check["ping_url"])).status, 200);
    let requests = receiver.wait_for(4, WAIT);
    let recovery = requests[2..].iter().find(|r| r.path == "/slack").expect("a recovery message").json();
    assert!(recovery["text"].as_str().unwrap().contains("nightly-backup is UP again"));
    assert!(recovery["text"].as_str().unwrap().contains("after being down for"));
    let resolve = requests[2..].iter().find(|r| r.path == "/pagerduty").expect("a resolve").json();
    assert_eq!(resolve["event_action"], "resolve");
    assert_eq!(resolve["dedup_key"], dedup_key.as_str());
    assert_eq!(resolve["routing_key"], "R0UTINGKEY");

    let log = notifications_once(&worker, &project, &format!("?check={uuid}"), |log| {
        log.len() == 4 && log.iter().all(|n| n["state"] != "pending")
    });
    assert_eq!(log.len(), 4);
    assert!(log.iter().all(|n| n["state"] == "delivered" && n["attempts"] == 1), "{log:?}");
    let channels: HashSet<&str> = log.iter().map(|n| n["channel"].as_str().unwrap()).collect();
    assert_eq!(channels, HashSet::from([slack.as_str(), pagerduty.as_str()]));

    let flips = worker.api(&project.api_key, "GET", &format!("/api/v3/checks/{uuid}/flips/"), None).json();
    let flips = flips["flips"].as_array().unwrap().clone();
    // The test's sweeps ran ahead of the wall clock; what they recorded is
    // dated no later than the clock, so the down flip sorts before the recovery.
    let ups: Vec<i64> = flips.iter().map(|f| f["up"].as_i64().unwrap()).collect();
    assert_eq!(ups, vec![1, 0, 1], "newest first: recovery, down, first up");
}

/// A sweep run for an instant ahead of the clock (the local scheduled
/// endpoint's `time`, as tests use to move time forward) decides at that
/// instant but dates nothing after the clock: a later real ping no longer
/// finds a down flip from its future (`down_for: -219`).
#[test]
fn a_sweep_ahead_of_the_clock_records_nothing_after_it() {
    let receiver = Receiver::start();
    let worker = Worker::start();
    let project = worker.create_project("future");
    webhook(&worker, &project, &receiver, "/hook");
    let check = worker.create_check(&project, json!({"name": "job", "timeout": 60, "grace": 60, "channels": "*"}));
    let uuid = check["uuid"].as_str().unwrap().to_owned();
    assert_eq!(worker.get(&path_of(&check["ping_url"])).status, 200);
    let before = now_ms() / 1000 * 1000;
    worker.run_sweep(before + 600_000);
    let after = now_ms();
    assert_eq!(worker.check(&project, &uuid)["status"], "down", "decided at the sweep's instant");
    let flips = worker.api(&project.api_key, "GET", &format!("/api/v3/checks/{uuid}/flips/"), None).json();
    let down_at = millis_of(&flips["flips"][0]["timestamp"]);
    assert_eq!(flips["flips"][0]["up"], 0);
    assert!(before <= down_at && down_at <= after, "dated by the clock, not at the deadline: {flips}");
    let created = millis_of(&notifications(&worker, &project, &format!("?check={uuid}"))[0]["created"]);
    assert!(created <= after, "the notification too");

    assert_eq!(worker.get(&path_of(&check["ping_url"])).status, 200);
    let requests = receiver.wait_for(2, WAIT);
    let up = requests.iter().map(|r| r.json()).find(|b| b["event"] == "up").expect("the recovery");
    let down_for = up["flip"]["down_for"].as_i64().expect("down_for");
    assert!(down_for >= 0, "{up}");
}

#[test]
fn failures_and_runs_that_never_finish_alert_with_their_reason() {
    let receiver = Receiver::start();
    let worker = Worker::start();
    let project = worker.create_project("reasons");
    webhook(&worker, &project, &receiver, "/hook");
    let spec = |name: &str| json!({"name": name, "timeout": 3600, "grace": 60, "channels": "*"});
    let failing = worker.create_check(&project, spec("fails"));
    let exiting = worker.create_check(&project, spec("exits"));
    let running = worker.create_check(&project, spec("runs"));

    assert_eq!(worker.get(&format!("{}/fail", path_of(&failing["ping_url"]))).status, 200);
    let failed = receiver.wait_for(1, WAIT)[0].json();
    assert_eq!((failed["event"].as_str(), failed["flip"]["reason"].as_str()), (Some("down"), Some("fail")));
    assert_eq!(failed["check"]["name"], "fails");
    assert_eq!(failed["summary"], "fails is DOWN: the job reported a failure");

    assert_eq!(worker.post(&format!("{}/7", path_of(&exiting["ping_url"])), b"disk full").status, 200);
    let exited = receiver.wait_for(2, WAIT)[1].json();
    assert_eq!(exited["flip"]["reason"], "exitstatus:7");
    assert_eq!(exited["flip"]["exit_status"], 7);
    assert_eq!(exited["last_ping"]["body"], "disk full");
    assert_eq!(exited["summary"], "exits is DOWN: exit status 7");
    // Recorded as delivered before the sweeps ahead of the clock below.
    worker.notifications_settled(&project.api_key);

    assert_eq!(worker.get(&format!("{}/start", path_of(&running["ping_url"]))).status, 200);
    let started = now_ms();
    worker.run_sweep(started + 30_000);
    thread::sleep(Duration::from_millis(300));
    assert_eq!(receiver.requests().len(), 2, "still within grace");
    worker.run_sweep(started + 61_000);
    let too_long = receiver.wait_for(3, WAIT)[2].json();
    assert_eq!(too_long["flip"]["reason"], "ran_too_long");
    assert_eq!(too_long["summary"], "runs is DOWN: it ran too long");
    assert_eq!(too_long["last_ping"]["kind"], "start");
}

#[test]
fn concurrent_sweeps_for_the_same_instant_send_one_alert() {
    let receiver = Receiver::start();
    let worker = Arc::new(Worker::start());
    let project = worker.create_project("race");
    webhook(&worker, &project, &receiver, "/hook");
    let check = worker.create_check(&project, json!({"name": "raced", "timeout": 60, "grace": 60, "channels": "*"}));
    assert_eq!(worker.get(&path_of(&check["ping_url"])).status, 200);
    let at = now_ms() + 121_000;
    let sweeps: Vec<_> = (0..5)
        .map(|_| {
            let worker = Arc::clone(&worker);
            thread::spawn(move || worker.run_sweep(at).status)
        })
        .collect();
    assert!(sweeps.into_iter().all(|s| s.join().unwrap() == 200));
    receiver.wait_for(1, WAIT);
    thread::sleep(Duration::from_secs(1));
    assert_eq!(receiver.requests().len(), 1, "one flip, one alert");
    let flips = worker.api(
        &project.api_key,
        "GET",
        &format!("/api/v3/checks/{}/flips/", check["uuid"].as_str().unwrap()),
        None,
    );
    assert_eq!(flips.json()["flips"].as_array().map(Vec::len), Some(2), "new->up and up->down only");
}

#[test]
fn a_failing_receiver_gets_the_alert_once_after_backoff() {
    let receiver = Receiver::start();
    receiver.answer_with(&[Answer::Status(500), Answer::Status(500), Answer::Status(500)]);
    let worker = Worker::start();
    let project = worker.create_project("retries");
    webhook(&worker, &project, &receiver, "/flaky");
    let check = worker.create_check(&project, json!({"name": "flaky", "channels": "*"}));
    assert_eq!(worker.get(&format!("{}/fail", path_of(&check["ping_url"]))).status, 200);
    receiver.wait_for(1, WAIT);

    let mut delays = Vec::new();
    for attempt in 2..=4 {
        let pending = &notifications_once(&worker, &project, "?state=pending", |found| {
            found.first().is_some_and(attempts_logged)
        })[0];
        assert_eq!(pending["attempts"], attempt - 1);
        let next = millis_of(&pending["next_attempt"]);
        let last_attempt = millis_of(&pending["attempt_log"].as_array().unwrap().last().unwrap()["at"]);
        delays.push(next - last_attempt);
        // A sweep before the backoff has passed sends nothing.
        worker.run_sweep(next - 5_000);
        thread::sleep(Duration::from_millis(300));
        assert_eq!(receiver.requests().len(), attempt as usize - 1, "attempt {attempt} came early");
        worker.run_sweep(next + 1_000);
        receiver.wait_for(attempt as usize, WAIT);
    }
    // About 1, 2 and 4 minutes (dates are whole seconds; jitter adds up to 20 %).
    for (delay, base) in delays.iter().zip([60_000, 120_000, 240_000]) {
        assert!(*delay >= base - 1_000 && *delay <= base * 6 / 5 + 1_000, "delays {delays:?}");
    }
    let done = &notifications(&worker, &project, "")[0];
    assert_eq!(done["state"], "delivered");
    assert_eq!(done["attempts"], 4);
    let statuses: Vec<Value> = done["attempt_log"].as_array().unwrap().iter().map(|a| a["status"].clone()).collect();
    assert_eq!(statuses, vec![json!(500), json!(500), json!(500), json!(200)]);
    worker.run_sweep(now_ms() + 3 * 3_600_000);
    thread::sleep(Duration::from_millis(500));
    assert_eq!(receiver.requests().len(), 4, "a delivered notification is never sent again");
    let bodies: HashSet<Vec<u8>> = receiver.requests().iter().map(|r| r.body.clone()).collect();
    assert_eq!(bodies.len(), 1, "every attempt carried the same alert");
}

/// Issue 17, bug 5: deliveries never follow redirects. A 3xx is a failed
/// delivery with its `Location` in the attempt log, and the channel's
/// secret header and signature never reach the origin it redirects to.
#[test]
fn deliveries_never_follow_redirects_and_secrets_stay_with_the_channel() {
    let elsewhere = Receiver::start();
    let redirecting = Receiver::start();
    redirecting.answer_with(&[
        Answer::Redirect { status: 302, to_port: elsewhere.port },
        Answer::Redirect { status: 307, to_port: elsewhere.port },
    ]);
    let worker = Worker::start();
    let project = worker.create_project("redirects");
    let id = channel(
        &worker,
        &project,
        json!({"kind": "webhook", "name": "hook", "url": redirecting.url("/hook"),
               "headers": {"X-Secret-Token": "SECRET-HEADER-VALUE"}, "secret": "0123456789abcdef0123"}),
    );
    let location = format!("http://127.0.0.1:{}/redirected", elsewhere.port);

    // The channel test reports the redirect and does not follow it.
    let tested = worker.api(&project.api_key, "POST", &format!("/api/v3/channels/{id}/test"), None).json();
    assert_eq!((tested["delivered"].as_bool(), tested["status"].as_i64()), (Some(false), Some(302)), "{tested}");
    assert!(tested["error"].as_str().unwrap().contains(&format!("redirect to {location}, not followed")), "{tested}");

    // A real alert: one attempt, failed, the Location in its log.
    let check = worker.create_check(&project, json!({"name": "redirected", "channels": "*"}));
    assert_eq!(worker.get(&format!("{}/fail", path_of(&check["ping_url"]))).status, 200);
    let mut finished = Vec::new();
    for _ in 0..100 {
        finished = notifications(&worker, &project, "?state=failed");
        if !finished.is_empty() {
            break;
        }
        thread::sleep(Duration::from_millis(200));
    }
    let failed = finished
        .first()
        .unwrap_or_else(|| panic!("no failed notification: {:?}", notifications(&worker, &project, "")));
    assert_eq!(failed["attempts"], 1);
    let attempt = &failed["attempt_log"][0];
    assert_eq!(attempt["status"], 307, "{failed}");
    assert!(attempt["error"].as_str().unwrap().contains(&format!("redirect to {location}")), "{failed}");

    // Both requests reached the channel's own URL, with its secrets...
    let sent = redirecting.requests();
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().all(|r| r.header("X-Secret-Token") == Some("SECRET-HEADER-VALUE")));
    // ...and nothing reached the origin they were redirected to.
    assert_eq!(elsewhere.requests().len(), 0, "a redirect was followed: {:?}", elsewhere.requests());
}

#[test]
fn a_hanging_receiver_times_out_and_is_retried() {
    let receiver = Receiver::start();
    receiver.answer_with(&[Answer::Hang]);
    let worker = Worker::start();
    let project = worker.create_project("timeouts");
    webhook(&worker, &project, &receiver, "/slow");
    let check = worker.create_check(&project, json!({"name": "slow", "channels": "*"}));
    assert_eq!(worker.get(&format!("{}/fail", path_of(&check["ping_url"]))).status, 200);
    receiver.wait_for(1, WAIT);
    // The attempt gives up after 10 s and schedules a retry.
    let mut pending = Vec::new();
    for _ in 0..60 {
        pending = notifications(&worker, &project, "?state=pending");
        if pending.first().is_some_and(|n| n["last_error"].is_string()) {
            break;
        }
        thread::sleep(Duration::from_millis(500));
    }
    let first = &pending[0];
    assert_eq!(first["last_error"], "no answer within 10 s");
    let duration = first["attempt_log"][0]["duration_ms"].as_i64().unwrap();
    assert!((9_500..20_000).contains(&duration), "{duration}");
    worker.run_sweep(millis_of(&first["next_attempt"]) + 1_000);
    receiver.wait_for(2, WAIT);
    let done = &notifications(&worker, &project, "")[0];
    assert_eq!((done["state"].as_str(), done["attempts"].as_i64()), (Some("delivered"), Some(2)));
}

#[test]
fn a_hundred_alerts_arrive_over_three_sweeps_within_the_budget() {
    let receiver = Receiver::start();
    let worker = Worker::start_with(&[("SWEEP_SUBREQUEST_BUDGET", "40")]);
    let project = worker.create_project("budget");
    webhook(&worker, &project, &receiver, "/many");
    let checks: Vec<Value> = (0..100)
        .map(|i| {
            worker.create_check(
                &project,
                json!({"name": format!("job-{i}"), "timeout": 60, "grace": 60, "channels": "*"}),
            )
        })
        .collect();
    let started = now_ms();
    for check in &checks {
        assert_eq!(worker.get(&path_of(&check["ping_url"])).status, 200);
    }
    let at = now_ms() + 121_000;
    assert!(at - started < 200_000);
    let mut counts = Vec::new();
    for sweep in 0..3 {
        worker.run_sweep(at + sweep * 60_000);
        thread::sleep(Duration::from_millis(500));
        counts.push(receiver.requests().len());
    }
    assert_eq!(counts, vec![40, 80, 100], "at most 40 per sweep, oldest first");
    let ids: HashSet<String> =
        receiver.requests().iter().map(|r| r.header("X-Edgebeat-Delivery").unwrap_or_default().to_owned()).collect();
    assert_eq!(ids.len(), 100, "no notification sent twice");
    let names: HashSet<String> =
        receiver.requests().iter().map(|r| r.json()["check"]["name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(names.len(), 100);
}

#[test]
fn webhook_signatures_verify_with_the_documented_recipe() {
    let receiver = Receiver::start();
    let worker = Worker::start();
    let project = worker.create_project("signed");
    let secret = "s3cret-signing-key-0123";
    channel(
        &worker,
        &project,
        json!({"kind": "webhook", "url": receiver.url("/signed"), "method": "PUT", "secret": secret,
               "headers": {"X-Team": "ops"}}),
    );
    let check = worker.create_check(&project, json!({"name": "signed", "channels": "*"}));
    assert_eq!(worker.get(&format!("{}/fail", path_of(&check["ping_url"]))).status, 200);
    let request = receiver.wait_for(1, WAIT).remove(0);
    assert_eq!(request.method, "PUT");
    assert_eq!(request.header("X-Team"), Some("ops"));
    assert_eq!(request.header("X-Edgebeat-Event"), Some("down"));
    let timestamp = request.header("X-Edgebeat-Timestamp").expect("timestamp header");
    let signature = request.header("X-Edgebeat-Signature").expect("signature header");
    // The recipe from docs/alerts.md: HMAC-SHA256(secret, "<timestamp>.<body>"), hex, prefixed "sha256=".
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(&request.body);
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(signature, format!("sha256={expected}"));
    assert!((timestamp.parse::<i64>().unwrap() - now_ms() / 1000).abs() < 60);
    let mut tampered = Hmac::<Sha256>::new_from_slice(b"wrong-secret").unwrap();
    tampered.update(format!("{timestamp}.").as_bytes());
    tampered.update(&request.body);
    let wrong: String = tampered.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_ne!(signature, format!("sha256={wrong}"));
}

#[test]
fn default_channels_come_from_secrets() {
    let receiver = Receiver::start();
    let worker = Worker::start_with(&[
        ("SLACK_WEBHOOK_URL", &receiver.url("/default-slack")),
        ("PAGERDUTY_ROUTING_KEY", "DEFAULTKEY"),
        ("PAGERDUTY_EVENTS_URL", &receiver.url("/default-pd")),
    ]);
    let project = worker.create_project("defaults");
    let check = worker.create_check(&project, json!({"name": "no channels set"}));
    assert_eq!(check["channels"], "");
    assert_eq!(worker.get(&format!("{}/fail", path_of(&check["ping_url"]))).status, 200);
    let requests = receiver.wait_for(2, WAIT);
    let paths: HashSet<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, HashSet::from(["/default-slack", "/default-pd"]));
    let trigger = requests.iter().find(|r| r.path == "/default-pd").unwrap().json();
    assert_eq!(
        (trigger["routing_key"].as_str(), trigger["payload"]["severity"].as_str()),
        (Some("DEFAULTKEY"), Some("critical"))
    );

    let listed = worker.api(&project.api_key, "GET", "/api/v3/channels/", None).json();
    let channels = listed["channels"].as_array().unwrap();
    assert_eq!(channels.len(), 2);
    assert!(channels.iter().all(|c| c["managed_by_secret"] == true));
    assert!(!listed.to_string().contains("DEFAULTKEY"), "routing keys are masked");
    let removed = worker.api(&project.api_key, "DELETE", "/api/v3/channels/default-slack", None);
    assert_eq!(removed.status, 409);
    assert!(removed.json()["error"].as_str().unwrap().contains("secret"));
}

#[test]
fn the_channel_api() {
    let receiver = Receiver::start();
    let worker = Worker::start();
    let project = worker.create_project("channels");
    let other = worker.create_project("other");
    let existing = worker.create_check(&project, json!({"name": "existing"}));
    let hook = channel(
        &worker,
        &project,
        json!({"kind": "webhook", "name": "ops-hook", "url": receiver.url("/hooks/T000/SECRETPATH"),
               "secret": "0123456789abcdef0123", "assign_to_all_checks": true}),
    );
    let slack = channel(
        &worker,
        &project,
        json!({"kind": "slack", "name": "team", "url": receiver.url("/services/XYZSECRET")}),
    );

    // healthchecks' list shape, with secrets masked.
    let listed = worker.api(&project.api_key, "GET", "/api/v3/channels/", None);
    assert_eq!(listed.status, 200);
    let body = listed.json();
    let kinds: Vec<(&str, &str)> = body["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds, vec![("ops-hook", "webhook"), ("team", "slack")]);
    for secret in ["SECRETPATH", "XYZSECRET", "0123456789abcdef0123"] {
        assert!(!listed.text().contains(secret), "{secret} leaked: {}", listed.text());
    }
    // assign_to_all_checks attached the webhook to the existing check.
    assert_eq!(worker.check(&project, existing["uuid"].as_str().unwrap())["channels"], hook.as_str());

    // Channels by name or id in a check's channels field.
    let by_name = worker.create_check(&project, json!({"name": "named", "channels": "team,ops-hook"}));
    let mut expected = [hook.clone(), slack.clone()];
    expected.sort();
    assert_eq!(by_name["channels"], expected.join(","));

    // Update and test.
    let path = format!("/api/v3/channels/{slack}");
    let renamed = worker.api(&project.api_key, "POST", &path, Some(&json!({"name": "team-renamed"})));
    assert_eq!((renamed.status, renamed.json()["name"].as_str()), (200, Some("team-renamed")));
    let tested = worker.api(&project.api_key, "POST", &format!("{path}/test"), None);
    assert_eq!(tested.status, 200);
    assert_eq!(tested.json()["delivered"], true);
    let test_message = receiver.wait_for(1, WAIT)[0].json();
    let text = test_message["text"].as_str().unwrap();
    assert!(text.contains("Test notification") && text.contains("This is a test"), "{text}");
    // About no check: no invented schedule, no last ping, no raw ISO times.
    let all = test_message.to_string();
    assert!(!all.contains("every 1 day") && !all.contains("Last ping") && !all.contains("+00:00"), "{all}");

    // Bad input, wrong keys, other projects.
    let bad =
        worker.api(&project.api_key, "POST", "/api/v3/channels/", Some(&json!({"kind": "slack", "url": "not a url"})));
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"].as_str().unwrap().contains("url"));
    let unparsable = worker.request("POST", "/api/v3/channels/", &[("X-Api-Key", &project.api_key)], b"{oops");
    assert_eq!(unparsable.status, 400);
    assert_eq!(worker.api(&project.api_key_readonly, "GET", "/api/v3/channels/", None).status, 401);
    assert_eq!(worker.api(&other.api_key, "GET", &path, None).status, 404);
    assert_eq!(worker.api(&other.api_key, "DELETE", &path, None).status, 404);

    let deleted = worker.api(&project.api_key, "DELETE", &path, None);
    assert_eq!(deleted.status, 200);
    assert_eq!(worker.api(&project.api_key, "GET", &path, None).status, 404);
    assert_eq!(worker.check(&project, by_name["uuid"].as_str().unwrap())["channels"], hook.as_str());
}

#[test]
fn flips_can_be_filtered_by_time() {
    let worker = Worker::start();
    let project = worker.create_project("flips");
    let check = worker.create_check(&project, json!({"name": "flippy"}));
    let uuid = check["uuid"].as_str().unwrap();
    let base = path_of(&check["ping_url"]);
    for suffix in ["", "/fail", ""] {
        assert_eq!(worker.get(&format!("{base}{suffix}")).status, 200);
    }
    let flips = |query: &str| {
        worker.api(&project.api_key_readonly, "GET", &format!("/api/v3/checks/{uuid}/flips/{query}"), None)
    };
    assert_eq!(flips("").json()["flips"].as_array().map(Vec::len), Some(3));
    let now = now_ms() / 1000;
    assert_eq!(flips(&format!("?start={}", now + 100)).json()["flips"], json!([]));
    assert_eq!(flips(&format!("?end={}", now - 100)).json()["flips"], json!([]));
    assert_eq!(flips("?seconds=3600").json()["flips"].as_array().map(Vec::len), Some(3));
    for bad in ["?start=-1", "?end=soon", "?seconds=31536001", "?start="] {
        let response = flips(bad);
        assert_eq!(response.status, 400, "{bad}");
        assert!(response.json()["error"].is_string());
    }
    // The read-only key reaches flips through the unique key too.
    let unique_key = worker.api(&project.api_key_readonly, "GET", "/api/v3/checks/", None).json()["checks"][0]
        ["unique_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_key = worker.api(&project.api_key_readonly, "GET", &format!("/api/v3/checks/{unique_key}/flips/"), None);
    assert_eq!(by_key.json()["flips"].as_array().map(Vec::len), Some(3));
}

#[test]
fn the_sweep_reads_only_the_checks_that_are_due() {
    // One database: the figures below are one database's sweep.
    let worker = Worker::start_databases(1, &[]);
    // Five thousand healthy checks, seeded straight into D1.
    worker.execute_sql(
        "INSERT INTO projects (id, name, ping_key_hash, created_at) VALUES ('seeded', 'seeded', 'seeded-hash', 0); \
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) \
         INSERT INTO checks (uuid, project_id, name, status, last_ping, alert_after, sweep_at, created_at) \
         SELECT printf('00000000-0000-4000-8000-%012d', i), 'seeded', 'seeded-' || i, 'up', 0, 9999999999999, \
         9999999999999, 0 FROM n;",
    );
    let at = now_ms() / 60_000 * 60_000;
    worker.run_sweep(at);
    let stats = worker.health_details()["last_sweep_stats"].clone();
    assert_eq!(stats["due_checks"], 0);
    assert!(stats["rows_read"].as_i64().is_some_and(|r| r <= 5), "none due, yet read {stats}");

    // Ten of them overdue: the sweep reads about ten rows, and flips exactly those.
    worker.execute_sql(
        "UPDATE checks SET alert_after = 1, sweep_at = 1 \
         WHERE id IN (SELECT id FROM checks WHERE project_id = 'seeded' LIMIT 10);",
    );
    worker.run_sweep(at + 60_000);
    let stats = worker.health_details()["last_sweep_stats"].clone();
    assert_eq!((stats["due_checks"].as_i64(), stats["flips"].as_i64()), (Some(10), Some(10)), "{stats}");
    assert!(stats["rows_read"].as_i64().is_some_and(|r| r <= 40), "ten due, yet read {stats}");
}
