//! The findings of the adversarial review (issue 9), each reproduced against
//! the real Worker: a test per finding that failed before its fix.

mod support;

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::Duration;
use support::http::request;
use support::{now_ms, path_of, Answer, Project, Receiver, Worker};

const WAIT: Duration = Duration::from_secs(20);

fn channel(worker: &Worker, project: &Project, spec: Value) -> Value {
    let response = worker.api(&project.api_key, "POST", "/api/v3/channels/", Some(&spec));
    assert_eq!(response.status, 201, "create channel {spec}: {}", response.text());
    response.json()
}

fn uuid_of(check: &Value) -> String {
    check["uuid"].as_str().expect("a uuid").to_owned()
}

/// D1's own row counts for the request, from `X-D1-Rows: read=N, written=M`.
fn rows_read(response: &support::http::HttpResponse) -> i64 {
    let header = response.header("X-D1-Rows").expect("the worker reports D1 usage in tests");
    header
        .split(',')
        .find_map(|part| part.trim().strip_prefix("read="))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("cannot read {header}"))
}

/// Finding 1: one tenant's queue does not delay another's alerts.
#[test]
fn another_projects_alert_goes_out_in_the_same_sweep_whatever_one_tenant_queues() {
    let receiver = Receiver::start();
    // One database, so that both tenants' notifications share one queue.
    let vars = [("SWEEP_SUBREQUEST_BUDGET", "10"), ("MAX_CHANNELS_PER_PROJECT", "20")];
    let worker = Worker::start_databases(1, &vars);
    let noisy = worker.create_project("noisy");
    let quiet = worker.create_project("quiet");
    for n in 0..20 {
        channel(&worker, &noisy, json!({"kind": "webhook", "name": format!("hook{n}"), "url": receiver.url("/noisy")}));
    }
    // The channel limit is a clear 403.
    let over = worker.api(
        &noisy.api_key,
        "POST",
        "/api/v3/channels/",
        Some(&json!({"kind": "webhook", "url": receiver.url("/noisy")})),
    );
    assert_eq!(over.status, 403, "{}", over.text());
    assert_eq!(over.json()["error"], "channel limit reached (20 channels per project)");
    channel(&worker, &quiet, json!({"kind": "webhook", "name": "hook", "url": receiver.url("/quiet")}));
    let mut checks = Vec::new();
    for n in 0..5 {
        checks.push(
            worker.create_check(&noisy, json!({"name": format!("n{n}"), "timeout": 60, "grace": 60, "channels": "*"})),
        );
    }
    checks.push(worker.create_check(&quiet, json!({"name": "q", "timeout": 60, "grace": 60, "channels": "*"})));
    for check in &checks {
        assert_eq!(worker.get(&path_of(&check["ping_url"])).status, 200);
    }
    // One sweep: 100 of the noisy tenant's notifications are queued before
    // the quiet one's, and the budget is 10.
    worker.run_sweep(now_ms() + 600_000);
    let requests = receiver.wait_for(10, WAIT);
    assert!(requests.iter().any(|r| r.path == "/quiet"), "the quiet project's alert waited behind the noisy one");
    assert_eq!(requests.len(), 10, "the budget holds");
}

/// Finding 2: no answer that shows a channel shows a secret.
#[test]
fn channel_answers_never_show_credentials_paths_or_queries() {
    let worker = Worker::start();
    let project = worker.create_project("masks");
    let specs = [
        json!({"kind": "slack", "url": "http://user:SECRET1@127.0.0.1:9/services/SECRET2?token=SECRET3"}),
        json!({"kind": "webhook", "url": "http://127.0.0.1:9?token=SECRET4#SECRET5", "secret": "SECRET6SECRET6SECRET6"}),
        json!({"kind": "pagerduty", "routing_key": "R0UTSECRET7", "events_url": "http://SECRET8:SECRET9@127.0.0.1:9/v2/SECRET10?k=SECRET11"}),
    ];
    let mut shown = Vec::new();
    for spec in specs {
        let created = channel(&worker, &project, spec);
        let id = created["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v3/channels/{id}");
        shown.push(created.to_string());
        shown.push(worker.api(&project.api_key, "GET", &path, None).text());
        shown.push(worker.api(&project.api_key, "POST", &path, Some(&json!({"name": "renamed"}))).text());
        shown.push(worker.api(&project.api_key, "GET", "/api/v3/channels/", None).text());
        shown.push(worker.api(&project.api_key, "DELETE", &path, None).text());
    }
    for text in shown {
        assert!(!text.contains("SECRET"), "a secret is shown: {text}");
        assert!(text.contains("127.0.0.1"), "the destination host is shown: {text}");
    }
}

/// Finding 3: an edit racing a ping never leaves a stale deadline.
#[test]
fn an_edit_racing_a_start_keeps_the_deadline_the_start_implies() {
    let hook = Receiver::start();
    let worker = Worker::start_with(&[("RACE_HOOK_URL", &hook.url("/race"))]);
    let project = worker.create_project("race");
    let check = worker.create_check(&project, json!({"name": "r", "timeout": 3600, "grace": 60}));
    let uuid = uuid_of(&check);
    let ping = path_of(&check["ping_url"]);
    // The first ping's write passes its race point at once.
    hook.answer_with(&[Answer::Status(200)]);
    assert_eq!(worker.get(&ping).status, 200);
    // The edit reads the idle check, then waits at its race point...
    hook.answer_with(&[Answer::Hold]);
    let edit = {
        let port = worker.port;
        let key = project.api_key.clone();
        let uuid = uuid.clone();
        thread::spawn(move || {
            let body = json!({"grace": 120}).to_string();
            request(port, "POST", &format!("/api/v3/checks/{uuid}"), &[("X-Api-Key", &key)], body.as_bytes())
        })
    };
    hook.wait_for(2, WAIT);
    // ...while a run starts (its own race point answers at once).
    assert_eq!(worker.get(&format!("{ping}/start")).status, 200);
    // No earlier than the start was recorded: the sweep below is timed from it.
    let started = now_ms();
    hook.release();
    let edited = edit.join().expect("the edit thread").expect("the edit request");
    assert_eq!(edited.status, 200, "{}", edited.text());
    assert_eq!(edited.json()["grace"], 120);
    assert_eq!(edited.json()["started"], true, "the edit was redone on the started check");
    // The run must finish within the new grace: the sweep after it finds it down.
    worker.run_sweep(started + 125_000);
    let shown = worker.check(&project, &uuid);
    assert_eq!(shown["status"], "down", "the deadline was computed from the stale read: {shown}");
}

/// Finding 5: `?create=1` obeys the API's limits.
#[test]
fn create_on_first_ping_validates_the_slug_and_the_check_limit() {
    let worker = Worker::start_with(&[("MAX_CHECKS_PER_PROJECT", "1")]);
    let project = worker.create_project("create");
    let key = &project.ping_key;
    let long = "a".repeat(60_000);
    let response = worker.get(&format!("/ping/{key}/{long}?create=1"));
    assert_eq!(response.status, 400, "{}", response.text());
    let response = worker.get(&format!("/ping/{key}/{}?create=1", "b".repeat(101)));
    assert_eq!(response.status, 400, "{}", response.text());
    assert_eq!(worker.get(&format!("/ping/{key}/{}?create=1", "c".repeat(100))).status, 201);
    let over = worker.get(&format!("/ping/{key}/second?create=1"));
    assert_eq!(over.status, 403, "{}", over.text());
    let listed = worker.api(&project.api_key, "GET", "/api/v3/checks/", None).json();
    assert_eq!(listed["checks"].as_array().map(Vec::len), Some(1));
}

/// Finding 6: a large body is read to the end, so the client gets its answer.
#[test]
fn large_ping_bodies_get_their_answer_and_oversized_ones_413() {
    let worker = Worker::start();
    let project = worker.create_project("bodies");
    let check = worker.create_check(&project, json!({"name": "big"}));
    let ping = path_of(&check["ping_url"]);
    let body = vec![b'x'; 10_000_000];
    for attempt in 0..10 {
        let response = request(worker.port, "POST", &ping, &[], &body)
            .unwrap_or_else(|e| panic!("attempt {attempt}: the connection failed: {e}"));
        assert_eq!(response.status, 200, "attempt {attempt}");
    }
    assert_eq!(worker.check(&project, &uuid_of(&check))["n_pings"], 10);
    // Past the documented maximum (20 MB): 413, and nothing is recorded.
    let mut stream = TcpStream::connect(("127.0.0.1", worker.port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let head =
        format!("POST {ping} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 25000000\r\nConnection: close\r\n\r\n");
    let sender = thread::spawn(move || {
        // The server may answer and close before the body is all sent.
        let _ = writer.write_all(head.as_bytes()).and_then(|()| writer.write_all(&vec![b'x'; 25_000_000]));
    });
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let _ = sender.join();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert_eq!(worker.check(&project, &uuid_of(&check))["n_pings"], 10);
}

/// Finding 7: a row that cannot be read blocks nothing else.
#[test]
fn an_unreadable_check_row_is_skipped_and_reported() {
    let worker = Worker::start();
    let broken = worker.create_project("broken");
    let healthy = worker.create_project("healthy");
    let bad_status = worker.create_check(&broken, json!({"name": "bad-status", "timeout": 60, "grace": 60}));
    let bad_timeout = worker.create_check(&broken, json!({"name": "bad-timeout", "timeout": 60, "grace": 60}));
    let fine = worker.create_check(&broken, json!({"name": "fine"}));
    let other = worker.create_check(&healthy, json!({"name": "other", "timeout": 60, "grace": 60}));
    for check in [&bad_status, &bad_timeout, &other] {
        assert_eq!(worker.get(&path_of(&check["ping_url"])).status, 200);
    }
    worker.execute_sql(&format!("UPDATE checks SET status = 'bogus' WHERE uuid = '{}'", uuid_of(&bad_status)));
    worker.execute_sql(&format!("UPDATE checks SET timeout = 'abc' WHERE uuid = '{}'", uuid_of(&bad_timeout)));
    let at = now_ms() + 600_000;
    worker.run_sweep(at);
    assert_eq!(worker.check(&healthy, &uuid_of(&other))["status"], "down", "the other project's check was swept");
    let health = worker.health_details();
    assert_eq!(health["last_sweep_stats"]["unreadable_checks"], 2, "{health}");
    let listed = worker.api(&broken.api_key, "GET", "/api/v3/checks/", None);
    assert_eq!(listed.status, 200, "{}", listed.text());
    let names: Vec<Value> = listed.json()["checks"].as_array().unwrap().iter().map(|c| c["name"].clone()).collect();
    assert_eq!(names, vec![json!("fine")]);
    let one = worker.api(&broken.api_key, "GET", &format!("/api/v3/checks/{}", uuid_of(&bad_status)), None);
    assert_eq!(one.status, 503);
    assert!(one.json()["error"].as_str().unwrap().contains("cannot be read"));
    assert_eq!(worker.check(&broken, &uuid_of(&fine))["status"], "new");
}

/// Finding 8: cheap lookups read a few rows, not the whole project.
#[test]
fn lookups_by_unique_key_read_one_row_not_the_whole_project() {
    let worker = Worker::start();
    let project = worker.create_project("scans");
    let desc = "d".repeat(5_000);
    for n in 0..150 {
        worker.create_check(&project, json!({"name": format!("c{n}"), "tags": "t", "desc": desc}));
    }
    let listed = worker.api(&project.api_key_readonly, "GET", "/api/v3/checks/", None).json();
    let key = listed["checks"][149]["unique_key"].as_str().unwrap().to_owned();
    // The first lookup fills the indexed column for older rows, if any; then it is one row.
    let path = format!("/api/v3/checks/{key}");
    assert_eq!(worker.api(&project.api_key_readonly, "GET", &path, None).status, 200);
    let again = worker.api(&project.api_key_readonly, "GET", &path, None);
    assert_eq!(again.json()["name"], "c149");
    assert!(rows_read(&again) < 10, "a lookup by unique key read {} rows", rows_read(&again));
    let flips = worker.api(&project.api_key_readonly, "GET", &format!("{path}/flips/"), None);
    assert_eq!(flips.status, 200);
    assert!(rows_read(&flips) < 10, "flips by unique key read {} rows", rows_read(&flips));
}

/// Finding 9: `/health` fails while pings cannot be stored, without internals.
#[test]
fn health_reports_pings_that_cannot_be_stored_without_showing_internals() {
    let worker = Worker::start();
    worker.run_sweep(now_ms());
    assert_eq!(worker.get("/health").status, 200);
    worker.execute_sql("ALTER TABLE pings RENAME TO pings_gone;");
    let health = worker.get("/health");
    assert_eq!(health.status, 503, "{}", health.text());
    assert_eq!((health.json()["status"].as_str(), health.json()["reason"].as_str()), (Some("down"), Some("storage")));
    assert!(!health.text().contains("pings_gone") && !health.text().contains("no such table"), "{}", health.text());
    let detailed = worker.health_details();
    assert_eq!(detailed["pings_storable"], false);
    assert!(detailed["storage_error"].as_str().unwrap().contains("pings"), "{detailed}");
}

/// Finding 10, and issue 17 bug 5: channels may not target internal
/// networks by default, also through IPv6 forms that embed an IPv4 address,
/// wildcard-DNS names, names spelling an address, or cluster names. Only
/// refusals are tested: no channel here is ever sent through.
#[test]
fn internal_destinations_are_refused_at_creation() {
    // Production's default: no ALLOW_PRIVATE_DESTINATIONS.
    let worker = Worker::start_with(&[("ALLOW_PRIVATE_DESTINATIONS", "0")]);
    let project = worker.create_project("ssrf");
    for url in [
        "http://127.0.0.1:9/x",
        "http://localhost:9/x",
        "http://[::1]:9/x",
        "http://2130706433:9/x",
        "http://[::127.0.0.1]:9/x",
        "http://[::ffff:0:127.0.0.1]:9/x",
        "http://[64:ff9b::127.0.0.1]:9/x",
        "http://[2002:7f00:1::1]:9/x",
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:9/x",
        "http://127.0.0.1.nip.io:9/x",
        "http://127-0-0-1.sslip.io:9/x",
        "http://localtest.me:9/x",
        "http://app.lvh.me:9/x",
        "http://10.0.0.1.wildcard.example:9/x",
        "http://kubernetes.default.svc:9/x",
        "http://redis.prod.svc.cluster.local:9/x",
        "http://vault.service.consul:9/x",
        "http://metadata.google.internal:9/x",
    ] {
        for spec in [json!({"kind": "webhook", "url": url}), json!({"kind": "slack", "url": url})] {
            let response = worker.api(&project.api_key, "POST", "/api/v3/channels/", Some(&spec));
            assert_eq!(response.status, 400, "{spec}: {}", response.text());
            assert!(response.json()["error"].as_str().unwrap().contains("not allowed"), "{}", response.text());
        }
        let pd = json!({"kind": "pagerduty", "routing_key": "k", "events_url": url});
        assert_eq!(worker.api(&project.api_key, "POST", "/api/v3/channels/", Some(&pd)).status, 400);
    }
    let listed = worker.api(&project.api_key, "GET", "/api/v3/channels/", None).json();
    assert_eq!(listed["channels"], json!([]), "nothing was created");
}

/// Finding 11: a preflight is answered and never counts; other methods as documented.
#[test]
fn preflights_never_count_and_methods_are_decided() {
    let worker = Worker::start();
    let project = worker.create_project("methods");
    let check = worker.create_check(&project, json!({"name": "m"}));
    let uuid = uuid_of(&check);
    let ping = path_of(&check["ping_url"]);
    let preflight = worker.request(
        "OPTIONS",
        &format!("{ping}/fail"),
        &[("Origin", "https://example.com"), ("Access-Control-Request-Method", "POST")],
        b"",
    );
    assert_eq!(preflight.status, 204);
    assert!(preflight.header("Access-Control-Allow-Methods").unwrap().contains("POST"));
    assert_eq!(preflight.header("Access-Control-Allow-Origin"), Some("*"));
    let shown = worker.check(&project, &uuid);
    assert_eq!((shown["n_pings"].clone(), shown["status"].clone()), (json!(0), json!("new")));
    for method in ["PUT", "PATCH", "DELETE"] {
        assert_eq!(worker.request(method, &ping, &[], b"log").status, 200, "{method}");
    }
    let trace = worker.request("TRACE", &ping, &[], b"");
    assert_eq!(trace.status, 405);
    assert!(trace.header("Allow").unwrap().contains("GET"));
    let methods: Vec<Value> = worker.pings(&project, &uuid).iter().map(|p| p["method"].clone()).collect();
    assert_eq!(methods, vec![json!("DELETE"), json!("PATCH"), json!("PUT")]);
}

/// Finding 12: a `?create=1` ping that cannot be stored creates nothing.
#[test]
fn a_create_ping_that_fails_creates_nothing_and_its_retry_says_created() {
    let worker = Worker::start();
    let project = worker.create_project("retry");
    let path = format!("/ping/{}/fresh?create=1", project.ping_key);
    worker.execute_sql("ALTER TABLE pings RENAME TO pings_gone;");
    assert_eq!(worker.get(&path).status, 503);
    worker.execute_sql("ALTER TABLE pings_gone RENAME TO pings;");
    let listed = worker.api(&project.api_key, "GET", "/api/v3/checks/", None).json();
    assert_eq!(listed["checks"], json!([]), "the failed ping created a check");
    let retry = worker.get(&path);
    assert_eq!(retry.status, 201, "{}", retry.text());
    assert_eq!(retry.text(), "Created");
    assert_eq!(worker.get(&path).status, 200);
}
