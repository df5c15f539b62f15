//! The ping API end to end: every URL form, method, status code and body,
//! durations, body storage, slugs, keyword filters, pause, concurrency.

mod support;

use serde_json::{json, Value};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;
use support::{path_of, Project, Worker};

fn setup() -> (Worker, Project) {
    let worker = Worker::start();
    let project = worker.create_project("pings");
    (worker, project)
}

fn ping_path(check: &Value) -> String {
    path_of(&check["ping_url"])
}

#[test]
fn every_form_and_method_of_a_uuid_ping_is_recorded() {
    let (worker, project) = setup();
    let check = worker.create_check(&project, json!({"name": "forms"}));
    let uuid = check["uuid"].as_str().unwrap();
    let base = ping_path(&check);
    assert_eq!(base, format!("/ping/{uuid}"));

    let cases: &[(&str, String, &str)] = &[
        ("GET", base.clone(), "success"),
        ("HEAD", base.clone(), "success"),
        ("POST", base.clone(), "success"),
        ("GET", format!("{base}/"), "success"),
        ("GET", format!("{base}/start"), "start"),
        ("POST", format!("{base}/log"), "log"),
        ("GET", format!("{base}/0"), "success"),
        ("GET", format!("{base}/fail"), "fail"),
        ("POST", format!("{base}/3"), "fail"),
        ("GET", format!("{base}/255"), "fail"),
    ];
    for (method, path, _) in cases {
        let response = worker.request(method, path, &[], b"");
        assert_eq!(response.status, 200, "{method} {path}: {}", response.text());
        if *method != "HEAD" {
            assert_eq!(response.text(), "OK");
        }
        assert_eq!(response.header("Access-Control-Allow-Origin"), Some("*"));
        assert!(response.header("Cache-Control").is_some_and(|v| v.contains("no-cache")), "{method} {path}");
        assert_eq!(response.header("Ping-Body-Limit"), Some("100000"));
    }

    // PUT counts too (`curl -T`), and says which method it was; a method
    // nobody sends on purpose (PURGE, TRACE) is refused and not recorded.
    assert_eq!(worker.request("PUT", &base, &[], b"log").status, 200);
    let custom = worker.request("PURGE", &base, &[], b"");
    assert_eq!(custom.status, 405);
    assert!(custom.header("Allow").is_some_and(|allow| allow.contains("PUT")));
    let pings = worker.pings(&project, uuid);
    assert_eq!(pings[0]["method"], "PUT");
    assert_eq!(pings[0]["type"], "success");
    let pings = &pings[1..];
    assert_eq!(pings.len(), cases.len());
    // Newest first: compare kinds, methods and exit statuses in order.
    for (ping, (method, path, kind)) in pings.iter().rev().zip(cases) {
        assert_eq!(ping["type"], *kind, "{method} {path}");
        assert_eq!(ping["method"], *method, "{method} {path}");
    }
    assert_eq!(pings[0]["exitstatus"], 255);
    assert_eq!(pings[1]["exitstatus"], 3);
    assert_eq!(pings[0]["method"], "GET");
    assert_eq!(worker.check(&project, uuid)["n_pings"], cases.len() + 1);
    assert_eq!(worker.check(&project, uuid)["status"], "up");
}

#[test]
fn bad_ping_urls_get_healthchecks_answers_and_record_nothing() {
    let (worker, project) = setup();
    let check = worker.create_check(&project, json!({"name": "strict", "slug": "strict"}));
    let uuid = check["uuid"].as_str().unwrap();
    let base = ping_path(&check);
    let unknown = "00000000-0000-4000-8000-000000000000";
    let cases = [
        (format!("/ping/{unknown}"), 404, "not found"),
        (format!("/ping/{unknown}/fail"), 404, "not found"),
        (format!("/ping/{}", uuid.to_uppercase()), 404, "not found"),
        ("/ping/not-a-uuid".to_owned(), 404, "not found"),
        (format!("{base}/256"), 400, "invalid url format"),
        (format!("{base}/-1"), 404, "not found"),
        (format!("{base}?rid=not-a-uuid"), 400, "invalid uuid format"),
        (format!("/ping/{}/Strict", project.ping_key), 400, "invalid url format"),
        (format!("/ping/{}/nope", project.ping_key), 404, "not found"),
        ("/ping/wrongkey/strict".to_owned(), 404, "not found"),
        (format!("/ping/{}/strict/bogus", project.ping_key), 404, "not found"),
    ];
    for (path, status, body) in &cases {
        let response = worker.get(path);
        assert_eq!((response.status, response.text().as_str()), (*status, *body), "{path}");
    }
    assert_eq!(worker.check(&project, uuid)["n_pings"], 0);
}

#[test]
fn start_and_finish_pair_by_run_id_and_keep_the_duration() {
    let (worker, project) = setup();
    let check = worker.create_check(&project, json!({"name": "timed", "timeout": 3600, "grace": 60}));
    let uuid = check["uuid"].as_str().unwrap();
    let base = ping_path(&check);

    // Without a run id.
    assert_eq!(worker.get(&format!("{base}/start")).status, 200);
    let started = worker.check(&project, uuid);
    assert_eq!(started["started"], true);
    thread::sleep(Duration::from_millis(1100));
    assert_eq!(worker.get(&base).status, 200);
    let done = worker.check(&project, uuid);
    assert_eq!(done["started"], false);
    assert_eq!(done["status"], "up");
    assert!(done["last_duration"].as_i64().is_some_and(|d| d >= 1), "at least the second slept: {done}");

    // Two overlapping runs, finished out of order, each paired with its own start.
    let (a, b) = ("aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000002");
    assert_eq!(worker.get(&format!("{base}/start?rid={a}")).status, 200);
    thread::sleep(Duration::from_millis(600));
    assert_eq!(worker.get(&format!("{base}/start?rid={b}")).status, 200);
    thread::sleep(Duration::from_millis(600));
    assert_eq!(worker.get(&format!("{base}?rid={a}")).status, 200);
    assert_eq!(worker.get(&format!("{base}/1?rid={b}")).status, 200);
    let pings = worker.pings(&project, uuid);
    let (fail_b, success_a) = (&pings[0], &pings[1]);
    assert_eq!((fail_b["type"].as_str(), fail_b["rid"].as_str()), (Some("fail"), Some(b)));
    assert_eq!((success_a["type"].as_str(), success_a["rid"].as_str()), (Some("success"), Some(a)));
    let (start_b, start_a) = (&pings[2], &pings[3]);
    assert_eq!((start_b["type"].as_str(), start_b["rid"].as_str()), (Some("start"), Some(b)));
    assert_eq!((start_a["type"].as_str(), start_a["rid"].as_str()), (Some("start"), Some(a)));
    let duration = |p: &Value| p["duration"].as_f64().unwrap_or_else(|| panic!("no duration in {p}"));
    // Each end's duration is the time since its own start, as the pings'
    // dates say, to the hundredth of a second the API shows (the starts are
    // 600 ms or more apart, so the other start would give another figure);
    // the lower bounds are the sleeps.
    let at = |ping: &Value| {
        let date = ping["date"].as_str().unwrap_or_else(|| panic!("no date in {ping}"));
        chrono::DateTime::parse_from_rfc3339(date).unwrap_or_else(|e| panic!("{date}: {e}")).timestamp_millis()
    };
    let since = |end: &Value, start: &Value| (at(end) - at(start)) as f64 / 1000.0;
    assert!((duration(success_a) - since(success_a, start_a)).abs() <= 0.006, "{success_a} after {start_a}");
    assert!((duration(fail_b) - since(fail_b, start_b)).abs() <= 0.006, "{fail_b} after {start_b}");
    assert!(duration(success_a) >= 1.2 && duration(fail_b) >= 0.6, "{success_a} {fail_b}");
    assert_eq!(start_b["duration"], Value::Null, "a start has no duration");
}

#[test]
fn bodies_are_stored_byte_for_byte_and_cut_at_the_limit() {
    let worker = Worker::start_with(&[("PING_BODY_LIMIT", "16")]);
    let project = worker.create_project("bodies");
    let check = worker.create_check(&project, json!({"name": "bodies"}));
    let uuid = check["uuid"].as_str().unwrap();
    let base = ping_path(&check);

    let response = worker.post(&base, b"msg=backup+completed+in+42s");
    assert_eq!(response.status, 200, "a long body is cut, never refused");
    assert_eq!(response.header("Ping-Body-Limit"), Some("16"));
    let binary: &[u8] = &[0xff, 0xfe, 0x00, b'o', b'k', 0x80];
    assert_eq!(worker.post(&format!("{base}/log"), binary).status, 200);
    assert_eq!(worker.get(&base).status, 200);

    let pings = worker.pings(&project, uuid);
    assert_eq!(pings[0]["body_url"], Value::Null, "no body, no body URL");
    let body_of = |ping: &Value| {
        let response = worker.api(&project.api_key, "GET", &path_of(&ping["body_url"]), None);
        assert_eq!(response.status, 200, "{}", response.text());
        assert_eq!(response.header("content-type"), Some("text/plain"));
        response.body
    };
    assert_eq!(body_of(&pings[1]), binary);
    assert_eq!(body_of(&pings[2]), b"msg=backup+compl");
    let missing = worker.api(&project.api_key, "GET", &format!("/api/v3/checks/{uuid}/pings/99/body"), None);
    assert_eq!(missing.status, 404);
}

#[test]
fn ping_metadata_is_recorded() {
    let (worker, project) = setup();
    let check = worker.create_check(&project, json!({"name": "meta"}));
    let uuid = check["uuid"].as_str().unwrap();
    let response = worker.request(
        "POST",
        &ping_path(&check),
        &[("User-Agent", "backup-script/1.0"), ("CF-Connecting-IP", "203.0.113.7")],
        b"done",
    );
    assert_eq!(response.status, 200);
    let ping = &worker.pings(&project, uuid)[0];
    assert_eq!(ping["ua"], "backup-script/1.0");
    assert_eq!(ping["remote_addr"], "203.0.113.7");
    assert_eq!(ping["scheme"], "http");
    assert_eq!(ping["n"], 1);
    assert!(ping["date"].as_str().is_some_and(|d| d.ends_with("+00:00")));
    let last_ping = worker.check(&project, uuid)["last_ping"].clone();
    assert!(last_ping.as_str().is_some_and(|d| d.ends_with("+00:00")), "{last_ping}");
}

#[test]
fn slug_pings_and_create_on_first_ping() {
    let (worker, project) = setup();
    let key = &project.ping_key;
    assert_eq!(worker.get(&format!("/ping/{key}/nightly-db")).status, 404);

    let created = worker.get(&format!("/ping/{key}/nightly-db/start?create=1"));
    assert_eq!((created.status, created.text().as_str()), (201, "Created"));
    assert_eq!(created.header("Ping-Body-Limit"), Some("100000"));
    let again = worker.get(&format!("/ping/{key}/nightly-db?create=1"));
    assert_eq!((again.status, again.text().as_str()), (200, "OK"));
    assert_eq!(worker.post(&format!("/ping/{key}/nightly-db/0"), b"").status, 200);

    let list = worker.api(&project.api_key, "GET", "/api/v3/checks/?slug=nightly-db", None).json();
    let checks = list["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 1, "create=1 made exactly one check");
    assert_eq!(checks[0]["name"], "nightly-db");
    assert_eq!(checks[0]["n_pings"], 3);
    assert_eq!(checks[0]["status"], "up");

    // Two checks with one slug: healthchecks answers 409.
    worker.create_check(&project, json!({"name": "twin 1", "slug": "twin"}));
    worker.create_check(&project, json!({"name": "twin 2", "slug": "twin"}));
    let ambiguous = worker.get(&format!("/ping/{key}/twin"));
    assert_eq!((ambiguous.status, ambiguous.text().as_str()), (409, "ambiguous slug"));

    // Another project's ping key never reaches this project's slugs.
    let other = worker.create_project("other");
    assert_eq!(worker.get(&format!("/ping/{}/nightly-db", other.ping_key)).status, 404);
}

#[test]
fn concurrent_create_on_first_ping_makes_one_check() {
    let (worker, project) = setup();
    let worker = Arc::new(worker);
    let path = format!("/ping/{}/burst?create=1", project.ping_key);
    let handles: Vec<_> = (0..10)
        .map(|_| {
            let (worker, path) = (Arc::clone(&worker), path.clone());
            thread::spawn(move || worker.get(&path).status)
        })
        .collect();
    let statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 201), "{statuses:?}");
    let list = worker.api(&project.api_key, "GET", "/api/v3/checks/?slug=burst", None).json();
    assert_eq!(list["checks"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["checks"][0]["n_pings"], 10);
}

#[test]
fn body_keywords_decide_what_a_ping_means() {
    let (worker, project) = setup();
    let check = worker.create_check(
        &project,
        json!({"name": "kw", "filter_http_body": true, "success_kw": "SUCCESS", "failure_kw": "ERROR, FATAL",
               "start_kw": "STARTING"}),
    );
    let uuid = check["uuid"].as_str().unwrap();
    let base = ping_path(&check);
    let steps: &[(&str, &[u8], &str, &str)] = &[
        ("", b"STARTING backup", "start", "new"),
        ("", b"backup: SUCCESS", "success", "up"),
        ("/fail", b"SUCCESS anyway", "success", "up"),
        ("", b"FATAL: disk full", "fail", "down"),
        ("", b"nothing to see", "ign", "down"),
    ];
    for (suffix, body, kind, status) in steps {
        assert_eq!(worker.post(&format!("{base}{suffix}"), body).status, 200);
        assert_eq!(worker.pings(&project, uuid)[0]["type"], *kind, "{}", String::from_utf8_lossy(body));
        assert_eq!(worker.check(&project, uuid)["status"], *status, "{}", String::from_utf8_lossy(body));
    }
    let update = json!({"filter_default_fail": true});
    assert_eq!(worker.api(&project.api_key, "POST", &format!("/api/v3/checks/{uuid}"), Some(&update)).status, 200);
    assert_eq!(worker.post(&base, b"backup: SUCCESS").status, 200);
    assert_eq!(worker.check(&project, uuid)["status"], "up");
    assert_eq!(worker.post(&base, b"nothing to see").status, 200);
    assert_eq!(worker.pings(&project, uuid)[0]["type"], "fail");
    assert_eq!(worker.check(&project, uuid)["status"], "down");
}

#[test]
fn post_only_checks_ignore_other_methods() {
    let (worker, project) = setup();
    let check = worker.create_check(&project, json!({"name": "post", "methods": "POST"}));
    let uuid = check["uuid"].as_str().unwrap();
    assert_eq!(worker.get(&ping_path(&check)).status, 200);
    assert_eq!(worker.request("HEAD", &ping_path(&check), &[], b"").status, 200);
    let shown = worker.check(&project, uuid);
    assert_eq!((shown["status"].as_str(), shown["n_pings"].as_i64()), (Some("new"), Some(2)));
    assert_eq!(worker.post(&format!("{}/fail", ping_path(&check)), b"").status, 200);
    assert_eq!(worker.check(&project, uuid)["status"], "down");
    let kinds: Vec<Value> = worker.pings(&project, uuid).iter().map(|p| p["type"].clone()).collect();
    assert_eq!(kinds, vec![json!("fail"), json!("ign"), json!("ign")]);
}

#[test]
fn pause_resume_and_manual_resume() {
    let (worker, project) = setup();
    let check = worker.create_check(&project, json!({"name": "paused", "timeout": 60, "grace": 60}));
    let uuid = check["uuid"].as_str().unwrap();
    let base = ping_path(&check);
    let action = |name: &str| worker.api(&project.api_key, "POST", &format!("/api/v3/checks/{uuid}/{name}"), None);

    assert_eq!(worker.get(&base).status, 200);
    let paused = action("pause");
    assert_eq!(paused.status, 200);
    assert_eq!(paused.json()["status"], "paused");
    assert_eq!(action("pause").json()["status"], "paused", "pausing twice is harmless");
    // Without manual_resume, a ping resumes monitoring.
    assert_eq!(worker.get(&base).status, 200);
    assert_eq!(worker.check(&project, uuid)["status"], "up");

    let update = json!({"manual_resume": true});
    assert_eq!(worker.api(&project.api_key, "POST", &format!("/api/v3/checks/{uuid}"), Some(&update)).status, 200);
    assert_eq!(action("pause").status, 200);
    assert_eq!(worker.get(&format!("{base}/fail")).status, 200, "the ping is still answered and recorded");
    let still = worker.check(&project, uuid);
    assert_eq!(still["status"], "paused");
    assert_eq!(worker.pings(&project, uuid)[0]["type"], "ign");

    let resumed = action("resume");
    assert_eq!(resumed.status, 200);
    assert_eq!(resumed.json()["status"], "new");
    assert_eq!(resumed.json()["last_ping"], Value::Null);
    let again = action("resume");
    assert_eq!(again.status, 409);
    assert_eq!(again.json()["error"], "check is not paused");
}

/// Issue 17, bug 7: 200 mixed pings at once to one check (starts,
/// successes and failures, with and without run ids) contend for its state.
/// Each is recorded, or answered 503 "busy, try again" with `Retry-After`
/// (contention, which `curl --retry` retries), never "storage unavailable";
/// and exactly the answered ones are stored, except a run's start or end
/// sent again with its run id (issue 19), answered `OK` with
/// `Edgebeat-Already-Reported` and stored once.
#[test]
fn two_hundred_concurrent_mixed_pings_are_recorded_or_told_to_retry() {
    let (worker, project) = setup();
    let check = worker.create_check(&project, json!({"name": "burst"}));
    let uuid = check["uuid"].as_str().unwrap().to_owned();
    let path = ping_path(&check);
    let worker = Arc::new(worker);
    let barrier = Arc::new(Barrier::new(200));
    let handles: Vec<_> = (0..200)
        .map(|i| {
            let (worker, barrier) = (Arc::clone(&worker), Arc::clone(&barrier));
            let rid = format!("00000000-0000-4000-8000-{:012}", i % 20);
            let path = match i % 6 {
                0 => format!("{path}/start"),
                1 => format!("{path}/start?rid={rid}"),
                2 => format!("{path}?rid={rid}"),
                3 => format!("{path}/fail"),
                4 => format!("{path}/fail?rid={rid}"),
                _ => path.clone(),
            };
            thread::spawn(move || {
                barrier.wait();
                let response = worker.get(&path);
                let repeated = response.header("Edgebeat-Already-Reported").is_some();
                (response.status, response.header("Retry-After").map(str::to_owned), response.text(), repeated, path)
            })
        })
        .collect();
    let answers: Vec<(u16, Option<String>, String, bool, String)> =
        handles.into_iter().map(|h| h.join().unwrap()).collect();
    for answer in &answers {
        let told_to_retry = answer.0 == 503 && answer.1.as_deref() == Some("1") && answer.2 == "busy, try again";
        assert!(answer.0 == 200 || told_to_retry, "only OK or busy-with-Retry-After: {answer:?}");
        assert!(!answer.3 || (answer.0 == 200 && answer.4.contains("rid=")), "only a run id repeats: {answer:?}");
    }
    // Each run id's start, and its end (success or failure), is stored once at most.
    let repeats = answers.iter().filter(|a| a.3).count();
    let stored_runs: std::collections::BTreeSet<(bool, &str)> = answers
        .iter()
        .filter(|a| a.0 == 200 && !a.3 && a.4.contains("rid="))
        .map(|a| (a.4.contains("/start"), a.4.rsplit('=').next().unwrap_or_default()))
        .collect();
    assert_eq!(stored_runs.len(), answers.iter().filter(|a| a.0 == 200 && !a.3 && a.4.contains("rid=")).count());
    assert!(repeats > 0, "twenty run ids among 100 pings with one repeat");
    let accepted = answers.iter().filter(|a| a.0 == 200 && !a.3).count();
    let shown = worker.check(&project, &uuid);
    assert_eq!(shown["n_pings"].as_u64(), Some(accepted as u64));
    // The history holds the newest 100, numbered without gaps or repeats.
    let numbers: Vec<i64> = worker.pings(&project, &uuid).iter().map(|p| p["n"].as_i64().unwrap()).collect();
    let expected: Vec<i64> = ((accepted as i64 - 99).max(1)..=accepted as i64).rev().collect();
    assert_eq!(numbers, expected);
}

#[test]
fn pings_also_work_at_the_root_as_on_hc_ping_com() {
    let (worker, project) = setup();
    let check = worker.create_check(&project, json!({"name": "root", "slug": "root-job"}));
    let uuid = check["uuid"].as_str().unwrap();
    assert_eq!(worker.get(&format!("/{uuid}")).text(), "OK");
    assert_eq!(worker.get(&format!("/{uuid}/start")).text(), "OK");
    assert_eq!(worker.post(&format!("/{}/root-job/0", project.ping_key), b"").text(), "OK");
    assert_eq!(worker.get("/00000000-0000-4000-8000-000000000000").status, 404);
    let kinds: Vec<Value> = worker.pings(&project, uuid).iter().map(|p| p["type"].clone()).collect();
    assert_eq!(kinds, vec![json!("success"), json!("start"), json!("success")]);
}

#[test]
fn a_ping_that_cannot_be_stored_is_answered_with_a_retryable_error() {
    let (worker, project) = setup();
    let check = worker.create_check(&project, json!({"name": "storage"}));
    let uuid = check["uuid"].as_str().unwrap();
    assert_eq!(worker.get(&ping_path(&check)).status, 200);
    // Break the pings table under the running worker.
    worker.execute_sql("DROP TABLE pings;");
    let response = worker.get(&ping_path(&check));
    assert_eq!(response.status, 503, "never OK when nothing was stored: {}", response.text());
    assert_eq!(response.text(), "storage unavailable");
    // The failed ping changed nothing: its batch is all or nothing.
    assert_eq!(worker.check(&project, uuid)["n_pings"], 1);
    // The API answers a JSON error, not a 500.
    worker.execute_sql("ALTER TABLE checks RENAME TO checks_gone;");
    let listed = worker.api(&project.api_key, "GET", "/api/v3/checks/", None);
    assert_eq!(listed.status, 503);
    assert!(listed.json()["error"].is_string());
}

#[test]
fn a_configuration_change_between_pings_is_honoured_at_once() {
    let (worker, project) = setup();
    let check = worker.create_check(&project, json!({"name": "edited", "timeout": 3600, "grace": 60}));
    let uuid = check["uuid"].as_str().unwrap();
    let path = ping_path(&check);
    // Two pings: the worker now knows this check's configuration.
    for _ in 0..2 {
        assert_eq!(worker.get(&path).status, 200);
    }
    let next_gap = |shown: &Value| support::millis_of(&shown["next_ping"]) - support::millis_of(&shown["last_ping"]);
    assert_eq!(next_gap(&worker.check(&project, uuid)), 3_600_000);

    let update = json!({"timeout": 120, "methods": "POST"});
    assert_eq!(worker.api(&project.api_key, "POST", &format!("/api/v3/checks/{uuid}"), Some(&update)).status, 200);
    // The next ping is read with the new rules: a GET is ignored now, a POST counts with the new timeout.
    assert_eq!(worker.get(&path).status, 200);
    assert_eq!(worker.pings(&project, uuid)[0]["type"], "ign");
    assert_eq!(worker.post(&path, b"").status, 200);
    let shown = worker.check(&project, uuid);
    assert_eq!(worker.pings(&project, uuid)[0]["type"], "success");
    assert_eq!(next_gap(&shown), 120_000);
    assert_eq!(shown["n_pings"], 4);

    // A paused check is not up: the shortcut must not resume it behind the API's back.
    let update = json!({"manual_resume": true});
    assert_eq!(worker.api(&project.api_key, "POST", &format!("/api/v3/checks/{uuid}"), Some(&update)).status, 200);
    assert_eq!(worker.post(&path, b"").status, 200);
    assert_eq!(worker.api(&project.api_key, "POST", &format!("/api/v3/checks/{uuid}/pause"), None).status, 200);
    assert_eq!(worker.post(&path, b"").status, 200);
    assert_eq!(worker.check(&project, uuid)["status"], "paused");
    assert_eq!(worker.pings(&project, uuid)[0]["type"], "ign");

    // A deleted check takes no more pings, known or not.
    assert_eq!(worker.api(&project.api_key, "DELETE", &format!("/api/v3/checks/{uuid}"), None).status, 200);
    assert_eq!(worker.post(&path, b"").status, 404);
}
