//! The Alertmanager watchdog receiver with the real thing: Debian's
//! Prometheus and Alertmanager (installed by scripts/setup.sh), started on
//! free 127.0.0.1 ports with throw-away storage and configs written here, a
//! `vector(1)` Watchdog rule, and a webhook receiver pointing at edgebeat's
//! `/alertmanager/<ping_key>`. Every interval is shortened to seconds so a
//! test takes well under a minute of real time; the sweep's clock is moved
//! with `run_sweep(at_ms)`.

mod support;

use serde_json::{json, Value};
use std::fs;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::thread;
use std::time::{Duration, Instant};
use support::http::request;
use support::worker::{background, free_port};
use support::{millis_of, now_ms, Project, Receiver, Worker};

/// The check's period and grace, given in the receiver URL (healthchecks'
/// minimum, one minute each).
const TIMEOUT_S: i64 = 60;
const GRACE_S: i64 = 60;

/// A daemon in its own process group with its own scratch directory: killed
/// with its group on drop, also when the test panics, and with this test's
/// thread if the test process dies (PR_SET_PDEATHSIG).
struct Daemon {
    name: &'static str,
    child: Child,
    dir: PathBuf,
}

impl Daemon {
    fn start(name: &'static str, program: &str, args: &[String], dir: PathBuf) -> Daemon {
        let log = fs::File::create(dir.join("daemon.log")).expect("create the log");
        let mut command = Command::new(program);
        command.args(args).current_dir(&dir);
        background(&mut command, log, libc::SIGKILL);
        let child = command.spawn().unwrap_or_else(|e| panic!("start {program} (run scripts/setup.sh): {e}"));
        Daemon { name, child, dir }
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.join("daemon.log")).unwrap_or_default()
    }

    /// Waits until `GET /-/ready` on `port` answers 200.
    fn wait_ready(&mut self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if request(port, "GET", "/-/ready", &[], b"").is_ok_and(|r| r.status == 200) {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited with {status}:\n{}", self.name, self.log());
            }
            assert!(Instant::now() < deadline, "{} not ready within 30 s:\n{}", self.name, self.log());
            thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("--- {} log (last lines) ---", self.name);
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
        support::worker::stop_group(&mut self.child, Duration::from_secs(10));
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn scratch(purpose: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("edgebeat-am-{purpose}-{}-{}", std::process::id(), free_port()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create a scratch directory");
    dir
}

/// Alertmanager with one route for the Watchdog: docs/alertmanager.md's configuration
/// with intervals of seconds instead of minutes. Clustering (gossip on
/// 0.0.0.0:9094 by default) is off; nothing listens beyond 127.0.0.1.
fn alertmanager(webhook_url: &str, send_resolved: bool) -> (Daemon, u16) {
    let dir = scratch("alertmanager");
    let port = free_port();
    let config = format!(
        r#"route:
  receiver: blackhole
  routes:
    - matchers: ['alertname = "Watchdog"']
      receiver: edgebeat
      group_by: ['...']
      group_wait: 0s
      group_interval: 1s
      repeat_interval: 2s
receivers:
  - name: blackhole
  - name: edgebeat
    webhook_configs:
      - url: '{webhook_url}'
        send_resolved: {send_resolved}
"#
    );
    fs::write(dir.join("alertmanager.yml"), config).expect("write alertmanager.yml");
    let args = vec![
        format!("--config.file={}", dir.join("alertmanager.yml").display()),
        format!("--storage.path={}", dir.join("data").display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
        "--cluster.listen-address=".to_owned(),
        "--log.level=debug".to_owned(),
    ];
    let mut daemon = Daemon::start("alertmanager", "prometheus-alertmanager", &args, dir);
    daemon.wait_ready(port);
    (daemon, port)
}

/// Prometheus evaluating the kube-prometheus Watchdog (`vector(1)`) every
/// second and sending it to Alertmanager every second (`resend-delay`), so
/// the alert it sends ends 4 s after each send unless renewed. Its external
/// label `cluster` is what tells one cluster's watchdog from another's.
fn prometheus(alertmanager_port: u16) -> Daemon {
    let dir = scratch("prometheus");
    let port = free_port();
    let rules = r#"groups:
  - name: meta
    interval: 1s
    rules:
      - alert: Watchdog
        expr: vector(1)
        labels:
          severity: none
        annotations:
          summary: Always firing while the alerting pipeline works.
"#;
    fs::write(dir.join("rules.yml"), rules).expect("write rules.yml");
    let config = format!(
        r#"global:
  evaluation_interval: 1s
  external_labels:
    cluster: e2e
rule_files: ['{}']
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['127.0.0.1:{alertmanager_port}']
"#,
        dir.join("rules.yml").display()
    );
    fs::write(dir.join("prometheus.yml"), config).expect("write prometheus.yml");
    let args = vec![
        format!("--config.file={}", dir.join("prometheus.yml").display()),
        format!("--storage.tsdb.path={}", dir.join("data").display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
        "--rules.alert.resend-delay=1s".to_owned(),
    ];
    let mut daemon = Daemon::start("prometheus", "prometheus", &args, dir);
    daemon.wait_ready(port);
    daemon
}

/// The project's checks tagged `alertmanager`.
fn watchdog_checks(worker: &Worker, project: &Project) -> Vec<Value> {
    let response = worker.api(&project.api_key, "GET", "/api/v3/checks/?tag=alertmanager", None);
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()["checks"].as_array().cloned().unwrap_or_default()
}

/// Waits until the one watchdog check satisfies `ready`, and returns it.
fn wait_for_check(worker: &Worker, project: &Project, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let checks = watchdog_checks(worker, project);
        assert!(checks.len() <= 1, "one watchdog, one check: {checks:#?}");
        if let Some(check) = checks.first().filter(|c| ready(c)) {
            return check.clone();
        }
        assert!(Instant::now() < deadline, "{what}: not within 60 s: {checks:#?}");
        thread::sleep(Duration::from_millis(200));
    }
}

struct Stack {
    receiver: Receiver,
    worker: Worker,
    project: Project,
    alertmanager: Daemon,
    prometheus: Option<Daemon>,
}

/// edgebeat with a webhook channel to a recording receiver, Alertmanager
/// and Prometheus; returns once the Watchdog check exists and Alertmanager
/// has repeated the alert (the check stayed up through the repeats).
fn stack(send_resolved: bool) -> (Stack, Value) {
    let receiver = Receiver::start();
    let worker = Worker::start();
    let project = worker.create_project("watchdogs");
    let channel = worker.api(
        &project.api_key,
        "POST",
        "/api/v3/channels/",
        Some(&json!({"kind": "webhook", "name": "hook", "url": receiver.url("/hook")})),
    );
    assert_eq!(channel.status, 201, "{}", channel.text());
    let url = format!(
        "http://127.0.0.1:{}/alertmanager/{}?timeout={TIMEOUT_S}&grace={GRACE_S}",
        worker.port, project.ping_key
    );
    let (alertmanager, am_port) = alertmanager(&url, send_resolved);
    let prometheus = prometheus(am_port);

    // First sight: the check is created from the alert's labels (all but
    // severity: alertname, and the cluster external label).
    let check = wait_for_check(&worker, &project, "the watchdog check", |_| true);
    assert!(check["slug"].as_str().unwrap().starts_with("watchdog-e2e-"), "{check}");
    assert_eq!(check["name"], r#"Watchdog {cluster="e2e"}"#);
    assert_eq!(check["tags"], "alertmanager");
    assert_eq!((check["timeout"].as_i64(), check["grace"].as_i64()), (Some(TIMEOUT_S), Some(GRACE_S)));

    // Alertmanager repeats the alert every couple of seconds; every repeat is
    // a success ping and the check stays up.
    let check = wait_for_check(&worker, &project, "three heartbeats", |c| c["n_pings"].as_i64() >= Some(3));
    assert_eq!(check["status"], "up", "{check}");
    let uuid = check["uuid"].as_str().unwrap().to_owned();
    let pings = worker.pings(&project, &uuid);
    assert!(pings.len() >= 3, "{pings:#?}");
    for ping in &pings {
        assert_eq!(ping["type"], "success", "{ping}");
        assert_eq!(ping["method"], "POST", "{ping}");
        assert!(ping["ua"].as_str().unwrap_or_default().starts_with("Alertmanager/"), "{ping}");
    }
    // The body of a heartbeat is the alert itself.
    let n = pings[0]["n"].as_i64().unwrap();
    let body = worker.get_with_key(&project, &format!("/api/v3/checks/{uuid}/pings/{n}/body"));
    let alert: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
    assert_eq!(alert["status"], "firing");
    assert_eq!(alert["labels"]["alertname"], "Watchdog");
    assert_eq!(alert["labels"]["cluster"], "e2e");

    // A sweep now finds nothing due; a new check becoming up alerts nobody.
    worker.run_sweep(now_ms());
    assert_eq!(worker.check(&project, &uuid)["status"], "up");
    thread::sleep(Duration::from_millis(500));
    assert!(receiver.requests().is_empty(), "{:#?}", receiver.requests());

    let stack = Stack { receiver, worker, project, alertmanager, prometheus: Some(prometheus) };
    (stack, check)
}

impl Worker {
    fn get_with_key(&self, project: &Project, path: &str) -> String {
        let response = self.api(&project.api_key, "GET", path, None);
        assert_eq!(response.status, 200, "{path}: {}", response.text());
        response.text()
    }
}

/// The one alert the recording receiver got, for this check, going down.
fn assert_one_down_alert(stack: &Stack, check: &Value) {
    let requests = stack.receiver.requests();
    assert_eq!(requests.len(), 1, "exactly one alert: {:#?}", requests);
    assert_eq!(requests[0].path, "/hook");
    let text = String::from_utf8_lossy(&requests[0].body).to_string();
    assert!(text.contains(check["uuid"].as_str().unwrap()), "{text}");
    assert!(text.to_lowercase().contains("down"), "{text}");
}

/// Prometheus stops; Alertmanager (webhook `send_resolved: true`, the
/// default and docs/alertmanager.md's configuration) sees the Watchdog's `endsAt` pass
/// without a renewal (Prometheus set it 4 × resend-delay = 4 s after its
/// last send) and sends the resolved notification at its next group flush,
/// within seconds. edgebeat reads the resolved alert as a failure ping, so
/// the check goes down through that notification, long before period +
/// grace (2 minutes) would bring it down at a sweep; the sweeps after that
/// find it down already and alert nothing more: exactly one alert.
#[test]
fn stopping_prometheus_resolves_the_watchdog_and_its_check_goes_down_once() {
    let (mut stack, check) = stack(true);
    let uuid = check["uuid"].as_str().unwrap().to_owned();
    drop(stack.prometheus.take());

    let requests = stack.receiver.wait_for(1, Duration::from_secs(60));
    assert_eq!(requests.len(), 1);
    let down = stack.worker.check(&stack.project, &uuid);
    assert_eq!(down["status"], "down", "{down}");
    let pings = stack.worker.pings(&stack.project, &uuid);
    assert_eq!(pings[0]["type"], "fail", "the resolved alert is the last ping: {pings:#?}");
    let n = pings[0]["n"].as_i64().unwrap();
    let body = stack.worker.get_with_key(&stack.project, &format!("/api/v3/checks/{uuid}/pings/{n}/body"));
    assert!(body.contains(r#""status":"resolved""#), "{body}");

    // Past period + grace of the last heartbeat: already down, no second alert.
    let last = millis_of(&down["last_ping"]);
    stack.worker.run_sweep(last + (TIMEOUT_S + GRACE_S) * 1000 + 1000);
    stack.worker.run_sweep(last + 10 * 60_000);
    thread::sleep(Duration::from_secs(3));
    assert_eq!(stack.worker.check(&stack.project, &uuid)["status"], "down");
    assert_one_down_alert(&stack, &check);
    drop(stack.alertmanager);
}

/// With `send_resolved: false` (or when Alertmanager itself dies, which
/// sends nothing at all) only silence tells: after Prometheus stops, the
/// heartbeats stop, and the check goes down at the first sweep past its
/// last heartbeat + period + grace, not one sweep earlier.
#[test]
fn without_resolved_notifications_the_check_goes_down_at_the_expected_sweep() {
    let (mut stack, check) = stack(false);
    let uuid = check["uuid"].as_str().unwrap().to_owned();
    drop(stack.prometheus.take());

    // Alertmanager may still repeat the alert until its endsAt (4 s after
    // Prometheus' last send); wait until the heartbeats have stopped.
    let mut last_n = -1;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let n = stack.worker.check(&stack.project, &uuid)["n_pings"].as_i64().unwrap();
        if n == last_n {
            break;
        }
        assert!(Instant::now() < deadline, "Alertmanager kept sending after Prometheus stopped");
        last_n = n;
        thread::sleep(Duration::from_secs(8));
    }
    let quiet = stack.worker.check(&stack.project, &uuid);
    assert_eq!(quiet["status"], "up", "no resolved notification was sent: {quiet}");
    let last = millis_of(&quiet["last_ping"]);
    let due = last + (TIMEOUT_S + GRACE_S) * 1000;

    // The last sweep before the deadline: still up, nothing sent.
    stack.worker.run_sweep(due - 1000);
    thread::sleep(Duration::from_millis(500));
    assert_eq!(stack.worker.check(&stack.project, &uuid)["status"], "up");
    assert!(stack.receiver.requests().is_empty(), "{:#?}", stack.receiver.requests());

    // The sweep after it: down, one alert; later sweeps add nothing.
    stack.worker.run_sweep(due + 1000);
    stack.receiver.wait_for(1, Duration::from_secs(20));
    assert_eq!(stack.worker.check(&stack.project, &uuid)["status"], "down");
    stack.worker.run_sweep(due + 5 * 60_000);
    thread::sleep(Duration::from_secs(2));
    assert_one_down_alert(&stack, &check);
    drop(stack.alertmanager);
}

/// Bad payloads and query values get a 4xx with a reason and change nothing;
/// an unknown ping key is 404, as for slug pings. One payload with two
/// clusters' watchdogs makes two checks; the project's check limit holds.
#[test]
fn bad_requests_are_refused_and_change_nothing() {
    let worker = Worker::start_with(&[("MAX_CHECKS_PER_PROJECT", "3")]);
    let project = worker.create_project("refusals");
    let path = format!("/alertmanager/{}", project.ping_key);
    let firing = json!({"version": "4", "status": "firing",
        "alerts": [{"status": "firing", "labels": {"alertname": "Watchdog", "cluster": "x"}}]});
    let cases: Vec<(String, Vec<u8>, u16, &str)> = vec![
        (path.clone(), b"{not json".to_vec(), 400, "not an Alertmanager webhook payload"),
        (path.clone(), br#"{"version": "3", "alerts": []}"#.to_vec(), 400, "version \"3\""),
        (path.clone(), br#"{"version": "4", "alerts": []}"#.to_vec(), 400, "no alerts"),
        (path.clone(), br#"{"version": "4", "alerts": [{"status": "firing"}]}"#.to_vec(), 400, "alert 0"),
        (
            path.clone(),
            br#"{"version": "4", "alerts": [{"status": "firing", "labels": {"job": "x"}}]}"#.to_vec(),
            400,
            "no alertname",
        ),
        (format!("{path}?timeout=30"), firing.to_string().into_bytes(), 400, "?timeout="),
        (format!("{path}?grace=abc"), firing.to_string().into_bytes(), 400, "?grace="),
        (format!("{path}?labels=alertname,env"), firing.to_string().into_bytes(), 400, "no env label"),
        (format!("{path}?labels=a-b"), firing.to_string().into_bytes(), 400, "not a label name"),
        ("/alertmanager/nosuchkey0123456789ab".to_owned(), firing.to_string().into_bytes(), 404, "not found"),
    ];
    for (path, body, status, reason) in cases {
        let response = worker.request("POST", &path, &[("Content-Type", "application/json")], &body);
        assert_eq!(response.status, status, "{path} {}: {}", String::from_utf8_lossy(&body), response.text());
        let error = response.json()["error"].as_str().unwrap_or_default().to_owned();
        assert!(error.contains(reason), "{path}: {error:?} should say {reason:?}");
    }
    assert_eq!(worker.get(&path).status, 405, "only POST");
    let huge = vec![b' '; 1_000_001];
    let response = worker.request("POST", &path, &[], &huge);
    assert_eq!(response.status, 413, "{}", response.text());
    assert!(watchdog_checks(&worker, &project).is_empty(), "a refused payload created a check");

    // The same payload, valid: created (201), then recorded (200).
    let created = worker.request("POST", &path, &[], firing.to_string().as_bytes());
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(created.json()["recorded"], 1);
    let again = worker.request("POST", &format!("{path}?timeout=120"), &[], firing.to_string().as_bytes());
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json()["created"], json!([]));
    let checks = watchdog_checks(&worker, &project);
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0]["n_pings"], 2);
    assert_eq!(checks[0]["timeout"], 600, "the default period; an existing check keeps its configuration");
    assert_eq!(checks[0]["grace"], 300);

    // Two more clusters in one payload (as a group_by without cluster sends
    // them): two more checks, with the period asked for.
    let two = json!({"version": "4", "status": "firing", "alerts": [
        {"status": "firing", "labels": {"alertname": "Watchdog", "cluster": "y", "severity": "none"}},
        {"status": "firing", "labels": {"alertname": "Watchdog", "cluster": "z", "severity": "none"}}]});
    let response = worker.request("POST", &format!("{path}?timeout=120&grace=60"), &[], two.to_string().as_bytes());
    assert_eq!(response.status, 201, "{}", response.text());
    assert_eq!(response.json()["recorded"], 2);
    let created: Vec<String> =
        response.json()["created"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect();
    assert!(created[0].starts_with("watchdog-y-") && created[1].starts_with("watchdog-z-"), "{created:?}");
    let checks = watchdog_checks(&worker, &project);
    assert_eq!(checks.len(), 3);
    let y = checks.iter().find(|c| c["slug"] == created[0].as_str()).expect("cluster y's check");
    assert_eq!(
        (y["name"].as_str(), y["timeout"].as_i64(), y["grace"].as_i64()),
        (Some(r#"Watchdog {cluster="y"}"#), Some(120), Some(60))
    );
    assert_eq!(y["status"], "up");

    // A fourth cluster passes the limit of 3: 403, and no check.
    let fourth =
        json!({"version": "4", "alerts": [{"status": "firing", "labels": {"alertname": "Watchdog", "cluster": "w"}}]});
    let response = worker.request("POST", &path, &[], fourth.to_string().as_bytes());
    assert_eq!(response.status, 403, "{}", response.text());
    assert!(response.json()["error"].as_str().unwrap().contains("check limit"), "{}", response.text());
    assert_eq!(watchdog_checks(&worker, &project).len(), 3);

    // A resolved alert is a failure: the check is down at once.
    let resolved = json!({"version": "4", "status": "resolved", "alerts": [
        {"status": "resolved", "labels": {"alertname": "Watchdog", "cluster": "y", "severity": "none"}}]});
    assert_eq!(worker.request("POST", &path, &[], resolved.to_string().as_bytes()).status, 200);
    let y = watchdog_checks(&worker, &project).into_iter().find(|c| c["slug"] == created[0].as_str()).unwrap();
    assert_eq!(y["status"], "down", "{y}");
}

/// The alerts Alertmanager holds, by its API.
fn alertmanager_alerts(port: u16, query: &str) -> Vec<Value> {
    let response = request(port, "GET", &format!("/api/v2/alerts{query}"), &[], b"").expect("Alertmanager's API");
    assert_eq!(response.status, 200, "{}", response.text());
    response.json().as_array().cloned().unwrap_or_default()
}

/// The `alertmanager` channel kind against the real Alertmanager: edgebeat's
/// down alert appears in its API while the check is down, and is resolved
/// after the check is up again.
#[test]
fn the_alertmanager_channel_fires_while_down_and_resolves_after_up() {
    let worker = Worker::start();
    let project = worker.create_project("am channel");
    let (alertmanager, am_port) = alertmanager("http://127.0.0.1:9/unused", false);
    let channel = worker.api(
        &project.api_key,
        "POST",
        "/api/v3/channels/",
        Some(&json!({"kind": "alertmanager", "name": "am", "url": format!("http://127.0.0.1:{am_port}")})),
    );
    assert_eq!(channel.status, 201, "{}", channel.text());
    let check = worker.create_check(
        &project,
        json!({"name": "nightly backup", "slug": "nightly-backup", "tags": "prod db", "timeout": 60, "grace": 60,
               "channels": "*"}),
    );
    let uuid = check["uuid"].as_str().unwrap().to_owned();
    let ping = support::path_of(&check["ping_url"]);
    assert_eq!(worker.get(&format!("{ping}/fail")).status, 200);

    let firing = |alerts: &[Value]| -> Option<Value> {
        alerts
            .iter()
            .find(|a| a["labels"]["alertname"] == "EdgebeatCheckDown" && a["labels"]["check_uuid"] == uuid.as_str())
            .cloned()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let alert = loop {
        if let Some(alert) = firing(&alertmanager_alerts(am_port, "?active=true")) {
            break alert;
        }
        assert!(Instant::now() < deadline, "no edgebeat alert in Alertmanager:\n{}", alertmanager.log());
        thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(alert["status"]["state"], "active", "{alert}");
    assert_eq!(alert["labels"]["check"], "nightly backup");
    assert_eq!(alert["labels"]["slug"], "nightly-backup");
    assert_eq!(alert["labels"]["project"], project.id.as_str());
    assert_eq!(alert["labels"]["tags"], "prod db");
    assert!(alert["annotations"]["summary"].as_str().unwrap().contains("is DOWN"), "{alert}");

    // Up: the same alert, ended: no longer active.
    assert_eq!(worker.get(&ping).status, 200);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let active = firing(&alertmanager_alerts(am_port, "?active=true"));
        if active.is_none() {
            break;
        }
        assert!(Instant::now() < deadline, "still active after up: {active:?}\n{}", alertmanager.log());
        thread::sleep(Duration::from_millis(200));
    }
    let everything = alertmanager_alerts(am_port, "?active=true&silenced=true&inhibited=true&unprocessed=true");
    assert!(firing(&everything).is_none(), "resolved, not silenced or inhibited: {everything:#?}");
    let notifications = worker.notifications_settled(&project.api_key);
    assert!(
        notifications["notifications"].as_array().unwrap().iter().all(|n| n["state"] == "delivered"),
        "{notifications}"
    );
}
