//! Maintenance windows end to end (issue 17), against wrangler dev and a real
//! local receiver: a window silences every event inside it from its first
//! second (pings, sweeps), recurring windows open at local times across DST,
//! one tenant's windows never delay another's alerts, a broken window row
//! never stops the sweep, and a read-only key sees no check UUID anywhere.

mod support;

use serde_json::{json, Value};
use std::time::Duration;
use support::{iso, millis_of, now_ms, path_of, Project, Receiver, Worker};

const WAIT: Duration = Duration::from_secs(20);

fn hook(worker: &Worker, project: &Project, receiver: &Receiver, path: &str) {
    let spec = json!({"kind": "webhook", "name": path, "url": receiver.url(path)});
    let response = worker.api(&project.api_key, "POST", "/api/v3/channels/", Some(&spec));
    assert_eq!(response.status, 201, "create channel {spec}: {}", response.text());
}

fn ping(worker: &Worker, check: &Value, suffix: &str) -> support::http::HttpResponse {
    let path = format!("{}{suffix}", path_of(&check["ping_url"]));
    let response = worker.get(&path);
    assert_eq!(response.status, 200, "{path}: {}", response.text());
    response
}

fn uuid(check: &Value) -> String {
    check["uuid"].as_str().expect("a uuid").to_owned()
}

fn window(worker: &Worker, project: &Project, spec: Value) -> Value {
    let response = worker.api(&project.api_key, "POST", "/api/v3/maintenance/", Some(&spec));
    assert_eq!(response.status, 201, "create window {spec}: {}", response.text());
    response.json()
}

/// The check's notifications (outbox rows), oldest first: written in the
/// same batch as the event, so they are there when the ping or sweep answers.
fn notifications(worker: &Worker, project: &Project, check: &Value) -> Vec<(String, String)> {
    let path = format!("/api/v3/notifications/?check={}", uuid(check));
    let response = worker.api(&project.api_key, "GET", &path, None);
    assert_eq!(response.status, 200, "{}", response.text());
    let mut items: Vec<Value> = response.json()["notifications"].as_array().cloned().unwrap_or_default();
    items.reverse();
    items
        .iter()
        .map(|n| (n["event"].as_str().unwrap_or("").into(), n["reason"].as_str().unwrap_or("").into()))
        .collect()
}

/// D1's own row counts for the request, from `X-D1-Rows: read=N, written=M`.
fn rows(response: &support::http::HttpResponse) -> (i64, i64) {
    let header = response.header("X-D1-Rows").expect("the worker reports D1 usage in tests");
    let count = |name: &str| {
        header
            .split(',')
            .find_map(|part| part.trim().strip_prefix(name))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("cannot read {header}"))
    };
    (count("read="), count("written="))
}

/// Bug 1: a window acted only at the next sweep, so a failure right after
/// creating one alerted. Now the mute is decided when the event is recorded.
#[test]
fn a_window_created_a_moment_ago_silences_a_failing_ping_from_its_first_second() {
    let receiver = Receiver::start();
    let worker = Worker::start();
    let project = worker.create_project("windows");
    hook(&worker, &project, &receiver, "/hook");
    // Deadlines a day away: only failures and the windows matter here.
    let spec =
        |name: &str, tags: &str| json!({"name": name, "tags": tags, "timeout": 86400, "grace": 60, "channels": "*"});
    let db = worker.create_check(&project, spec("db-backup", "prod db"));
    let batch = worker.create_check(&project, spec("nightly", "batch"));
    let web = worker.create_check(&project, spec("web", "prod web"));
    for check in [&db, &batch, &web] {
        ping(&worker, check, "");
    }

    // A one-off window over tag db from this very second, for an hour.
    let now = now_ms();
    let start = now / 1000 * 1000;
    let one_off = window(
        &worker,
        &project,
        json!({"name": "db patching", "start": iso(start), "end": iso(start + 3_600_000), "tags": "db"}),
    );
    assert_eq!(one_off["open_until"], iso(start + 3_600_000).as_str());
    // A daily window over tag batch whose occurrence began at the top of this minute.
    let minute = now / 60_000 * 60_000;
    let schedule = format!("{} {} * * *", minute / 60_000 % 60, minute / 3_600_000 % 24);
    let daily = window(&worker, &project, json!({"schedule": schedule, "duration": 3600, "tags": "batch"}));
    let daily_end = minute + 3_600_000;
    assert_eq!(daily["open_until"], iso(daily_end).as_str(), "{daily}");

    // A success ping costs what it always did: the windows are read only
    // when there is something to notify.
    let (read, written) = rows(&ping(&worker, &db, ""));
    assert_eq!((read, written), rows(&ping(&worker, &web, "")), "the same with and without a window");
    assert!(read <= 3, "a success ping read {read} rows");

    // Failures inside both windows: recorded, nobody told. Outside: the alert.
    for check in [&db, &batch, &web] {
        ping(&worker, check, "/fail");
    }
    for check in [&db, &batch, &web] {
        assert_eq!(worker.check(&project, &uuid(check))["status"], "down");
    }
    assert_eq!(notifications(&worker, &project, &db), vec![], "inside the one-off window");
    assert_eq!(notifications(&worker, &project, &batch), vec![], "inside the recurring window's first minute");
    assert_eq!(notifications(&worker, &project, &web), vec![("down".into(), "fail".into())]);
    let alerts = receiver.wait_for(1, WAIT);
    assert_eq!(alerts[0].json()["check"]["name"], "web");
    // The held checks show until when they are held.
    assert_eq!(worker.check(&project, &uuid(&db))["snoozed_until"], iso(start + 3_600_000).as_str());
    assert_eq!(worker.check(&project, &uuid(&batch))["snoozed_until"], iso(daily_end).as_str());
    assert_eq!(worker.check(&project, &uuid(&web))["snoozed_until"], Value::Null);

    // A recovery inside a window is held too.
    ping(&worker, &batch, "");
    assert_eq!(notifications(&worker, &project, &batch), vec![]);

    // When the windows close: db, still down, notifies once; batch, which
    // recovered inside its window, sends nothing.
    let after = start.max(minute) + 3_660_000 + 30_000;
    worker.run_sweep(after);
    worker.run_sweep(after + 60_000);
    assert_eq!(notifications(&worker, &project, &db), vec![("down".into(), "still_down".into())]);
    assert_eq!(notifications(&worker, &project, &batch), vec![]);
    assert_eq!(notifications(&worker, &project, &web), vec![("down".into(), "fail".into())]);
}

/// What the receiver heard about the check named `name`: (event, reason).
fn heard(receiver: &Receiver, name: &str) -> Vec<(String, String)> {
    let bodies = receiver.requests().into_iter().map(|r| r.json());
    let about = bodies.filter(|b| b["check"]["name"] == name);
    about
        .map(|b| (b["event"].as_str().unwrap_or("").into(), b["flip"]["reason"].as_str().unwrap_or("").into()))
        .collect()
}

/// Events the sweep makes (here reminders, dated at the sweep) are held by
/// a weekly window at its local times, on both sides of a DST change. (A
/// sweep delivers before it answers, so what the receiver heard is complete.)
#[test]
fn a_weekly_window_holds_sweep_events_at_local_times_across_a_dst_change() {
    let receiver = Receiver::start();
    let worker = Worker::start();
    let project = worker.create_project("maintenance");
    hook(&worker, &project, &receiver, "/hook");
    let spec = |name: &str, tags: &str| json!({"name": name, "tags": tags, "timeout": 3600, "grace": 60, "reminder_interval": 300, "channels": "*"});
    let db = worker.create_check(&project, spec("db-backup", "prod db"));
    let web = worker.create_check(&project, spec("web", "prod web"));
    for check in [&db, &web] {
        ping(&worker, check, "");
        ping(&worker, check, "/fail");
    }
    receiver.wait_for(2, WAIT);
    // Recorded as delivered before sweeps far ahead run, which would take
    // a delivery still in flight for one whose claim has run out.
    worker.notifications_settled(&project.api_key);

    // Sundays 05:00 to 07:00 in Riga, for the db checks.
    let body = json!({"name": "weekly", "schedule": "0 5 * * 0", "tz": "Europe/Riga", "duration": 7200, "tags": "db"});
    let created = window(&worker, &project, body);
    assert_eq!((created["tz"].as_str(), created["open_until"].is_null()), (Some("Europe/Riga"), true));
    let listed = worker.api(&project.api_key_readonly, "GET", "/api/v3/maintenance/", None).json();
    assert_eq!(listed["windows"].as_array().map(Vec::len), Some(1));
    let bad = worker.api(&project.api_key, "POST", "/api/v3/maintenance/", Some(&json!({"schedule": "0 5 * * 0"})));
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"], "json validation error: duration is required with schedule");
    let at = |text: &str| millis_of(&json!(text));
    let down = ("down".to_owned(), "fail".to_owned());
    let reminder = ("reminder".to_owned(), "still_down".to_owned());
    let still_down = ("down".to_owned(), "still_down".to_owned());

    // Before the change (EET, +02): 05:00 local is 03:00 UTC.
    worker.run_sweep(at("2027-03-21T02:50:00+00:00"));
    assert_eq!(heard(&receiver, "db-backup"), vec![down.clone(), reminder.clone()], "before the window");
    // Its first minute (a reminder is due by then), and an hour in:
    // reminders recorded, not sent; web's go out.
    worker.run_sweep(at("2027-03-21T03:00:00+00:00") + 30_000);
    worker.run_sweep(at("2027-03-21T04:00:00+00:00"));
    assert_eq!(heard(&receiver, "db-backup").len(), 2);
    assert_eq!(heard(&receiver, "web").len(), 4);
    assert_eq!(worker.check(&project, &uuid(&db))["snoozed_until"], "2027-03-21T05:00:00+00:00");
    // At its end db is still down: one notice, once.
    worker.run_sweep(at("2027-03-21T05:00:30+00:00"));
    worker.run_sweep(at("2027-03-21T05:01:30+00:00"));
    assert_eq!(heard(&receiver, "db-backup")[2..].to_vec(), vec![still_down.clone()]);

    // After the change (EEST, +03): 05:00 local is 02:00 UTC.
    worker.run_sweep(at("2027-03-28T01:59:00+00:00"));
    assert_eq!(heard(&receiver, "db-backup")[3..].to_vec(), vec![reminder]);
    worker.run_sweep(at("2027-03-28T02:00:30+00:00"));
    worker.run_sweep(at("2027-03-28T03:59:30+00:00"));
    assert_eq!(heard(&receiver, "db-backup").len(), 4, "held from 02:00 UTC");
    assert_eq!(worker.check(&project, &uuid(&db))["snoozed_until"], "2027-03-28T04:00:00+00:00");
    worker.run_sweep(at("2027-03-28T04:00:30+00:00"));
    assert_eq!(heard(&receiver, "db-backup")[4..].to_vec(), vec![still_down]);

    // A project-wide freeze: a one-off window over all checks.
    let all = json!({"name": "freeze", "start": "2027-04-01T00:00:00Z", "end": "2027-04-01T01:00:00+00:00"});
    let created = window(&worker, &project, all);
    assert_eq!(created["all_checks"], true);
    let web_before = heard(&receiver, "web").len();
    worker.run_sweep(at("2027-04-01T00:10:00+00:00"));
    assert_eq!(heard(&receiver, "web").len(), web_before, "the freeze holds web's reminder");
    for check in [&db, &web] {
        assert_eq!(worker.check(&project, &uuid(check))["snoozed_until"], "2027-04-01T01:00:00+00:00");
    }
    let id = created["id"].as_str().unwrap().to_owned();
    let deleted = worker.api(&project.api_key, "DELETE", &format!("/api/v3/maintenance/{id}"), None);
    assert_eq!(deleted.status, 200);
    assert_eq!(worker.api(&project.api_key, "GET", &format!("/api/v3/maintenance/{id}"), None).status, 404);
}

/// Bug 2: the sweep stopped before flipping anything when a window row could
/// not be read. Now that window is left out (it cannot silence anything) and
/// the others still hold.
#[test]
fn a_broken_window_row_never_stops_due_checks_from_flipping() {
    let receiver = Receiver::start();
    let worker = Worker::start();
    let project = worker.create_project("broken-window");
    hook(&worker, &project, &receiver, "/hook");
    let spec =
        |name: &str, tags: &str| json!({"name": name, "tags": tags, "timeout": 60, "grace": 60, "channels": "*"});
    let db = worker.create_check(&project, spec("db", "db"));
    let web = worker.create_check(&project, spec("web", "web"));
    for check in [&db, &web] {
        ping(&worker, check, "");
    }
    let start = now_ms() / 1000 * 1000;
    let day = |tags: &str, name: &str| json!({"name": name, "start": iso(start), "end": iso(start + 86_400_000), "tags": tags});
    window(&worker, &project, day("db", "healthy"));
    window(&worker, &project, day("web", "broken"));
    worker.execute_sql("UPDATE maintenance_windows SET duration = 'broken' WHERE name = 'broken'");

    worker.run_sweep(start + 600_000);
    for check in [&db, &web] {
        assert_eq!(worker.check(&project, &uuid(check))["status"], "down", "{}", check["name"]);
    }
    assert_eq!(notifications(&worker, &project, &web), vec![("down".into(), "timeout".into())]);
    assert_eq!(notifications(&worker, &project, &db), vec![], "the readable window still holds");
    let alerts = receiver.wait_for(1, WAIT);
    assert_eq!(alerts[0].json()["check"]["name"], "web");
    // No database's sweep failed (the error is the operator's to see).
    let health = worker.health_details();
    let each = health["databases"]
        .as_array()
        .map_or_else(|| vec![health.clone()], |d| d.iter().map(|d| d["health"].clone()).collect());
    assert!(each.iter().all(|h| h["last_error"].is_null() && h["last_sweep_stats"].is_object()), "{health}");
    // The API lists what it can read.
    let listed = worker.api(&project.api_key, "GET", "/api/v3/maintenance/", None);
    assert_eq!(listed.status, 200, "{}", listed.text());
    let names: Vec<Value> = listed.json()["windows"].as_array().unwrap().iter().map(|w| w["name"].clone()).collect();
    assert_eq!(names, vec![json!("healthy")]);
}

/// Bug 2: windows were evaluated for every check x window x cron step, so
/// one tenant with 100 windows held the shared sweep for the better part of
/// a minute. Another project's due alert goes out in that same sweep.
#[test]
fn a_hundred_windows_in_one_project_do_not_delay_another_projects_alert() {
    let receiver = Receiver::start();
    // One database: both tenants share its sweep.
    let worker = Worker::start_databases(1, &[]);
    let noisy = worker.create_project("noisy");
    let quiet = worker.create_project("quiet");
    hook(&worker, &noisy, &receiver, "/noisy");
    hook(&worker, &quiet, &receiver, "/quiet");
    let spec = |n: usize| json!({"name": format!("n{n}"), "timeout": 60, "grace": 60, "channels": "*"});
    let checks: Vec<Value> = (0..100).map(|n| worker.create_check(&noisy, spec(n))).collect();
    let quiet_check = worker.create_check(&quiet, json!({"name": "q", "timeout": 60, "grace": 60, "channels": "*"}));
    // A window every minute for a minute never closes: the costliest kind.
    for n in 0..100 {
        window(&worker, &noisy, json!({"name": format!("w{n}"), "schedule": "* * * * *", "duration": 60}));
    }
    for check in checks.iter().chain([&quiet_check]) {
        ping(&worker, check, "");
    }

    worker.run_sweep(now_ms() + 600_000);
    let requests = receiver.wait_for(1, WAIT);
    assert!(requests.iter().any(|r| r.path == "/quiet"), "{requests:?}");
    let stats = worker.health_details()["last_sweep_stats"].clone();
    assert_eq!((stats["flips"].as_i64(), stats["sent"].as_i64()), (Some(101), Some(1)), "{stats}");
    assert_eq!(notifications(&worker, &quiet, &quiet_check), vec![("down".into(), "timeout".into())]);
    for check in &checks[..3] {
        assert_eq!(notifications(&worker, &noisy, check), vec![], "held by the windows");
    }
}

/// Bug 3: the read-only key listed the check UUIDs of each window, and a
/// UUID is a ping credential (it can fail or snooze the check). It sees
/// unique keys instead, here and in every other answer it gets.
#[test]
fn a_read_only_key_sees_no_check_uuid_anywhere() {
    let worker = Worker::start();
    let project = worker.create_project("read-only");
    let named = worker.create_check(&project, json!({"name": "db-backup", "tags": "db", "timeout": 60}));
    let unnamed = worker.create_check(&project, json!({"tags": "db", "timeout": 60}));
    let uuids = [uuid(&named), uuid(&unnamed)];
    for check in [&named, &unnamed] {
        ping(&worker, check, "");
        ping(&worker, check, "/fail");
    }
    let created = window(
        &worker,
        &project,
        json!({"name": "by uuid", "start": "2027-01-01T00:00:00Z", "end": "2027-01-02T00:00:00Z", "checks": uuids}),
    );
    assert_eq!(created["checks"], json!(uuids), "the read-write key sees the uuids it gave");
    let id = created["id"].as_str().unwrap().to_owned();
    let ro = project.api_key_readonly.as_str();

    let listed = worker.api(ro, "GET", "/api/v3/checks/", None).json();
    let keys: Vec<String> =
        listed["checks"].as_array().unwrap().iter().map(|c| c["unique_key"].as_str().unwrap().to_owned()).collect();
    let windows = worker.api(ro, "GET", "/api/v3/maintenance/", None);
    assert_eq!(windows.status, 200);
    assert_eq!(windows.json()["windows"][0]["checks"], json!(keys), "{}", windows.text());
    let one = worker.api(ro, "GET", &format!("/api/v3/maintenance/{id}"), None);
    assert_eq!(one.json()["checks"], json!(keys));

    // Everything a read-only key can ask, and what it is refused.
    let mut answers = vec![windows, one];
    for version in 1..=3 {
        answers.push(worker.api(ro, "GET", &format!("/api/v{version}/checks/"), None));
    }
    for key in &keys {
        answers.push(worker.api(ro, "GET", &format!("/api/v3/checks/{key}"), None));
        answers.push(worker.api(ro, "GET", &format!("/api/v3/checks/{key}/flips/"), None));
    }
    let badges = worker.api(ro, "GET", "/api/v3/badges/", None);
    let mut badge_urls: Vec<String> = Vec::new();
    if let Some(tags) = badges.json()["badges"].as_object() {
        for formats in tags.values() {
            badge_urls.extend(formats.as_object().unwrap().values().map(|u| u.as_str().unwrap().to_owned()));
        }
    }
    answers.push(badges);
    for check in listed["checks"].as_array().unwrap() {
        let url = check["badge_url"].as_str().unwrap();
        badge_urls.extend([url.to_owned(), url.replace(".svg", ".shields"), url.replace(".svg", ".json")]);
    }
    assert!(badge_urls.len() >= 4, "{badge_urls:?}");
    for url in &badge_urls {
        let answer = worker.get(&path_of(&json!(url)));
        assert_eq!(answer.status, 200, "{url}");
        answers.push(answer);
    }
    answers.push(worker.get(&format!("/projects/{}/metrics/{ro}", project.id)));
    answers.push(worker.get(&format!("/projects/{}/metrics/", project.id)));
    for (method, path) in [
        ("GET", format!("/api/v3/checks/{}/pings/", uuids[0])),
        ("POST", format!("/api/v3/checks/{}/pause", uuids[0])),
        ("POST", "/api/v3/maintenance/".to_owned()),
        ("DELETE", format!("/api/v3/maintenance/{id}")),
        ("GET", "/api/v3/notifications/".to_owned()),
        ("GET", "/api/v3/checks/0000000000000000000000000000000000000000".to_owned()),
    ] {
        let answer = worker.api(ro, method, &path, Some(&json!({})));
        assert!(answer.status >= 400, "{method} {path}: {}", answer.text());
        answers.push(answer);
    }
    for answer in &answers {
        let text = answer.text().to_lowercase();
        for uuid in &uuids {
            assert!(!text.contains(uuid) && !text.contains(&uuid.replace('-', "")), "{uuid} in {text}");
        }
        for (name, value) in &answer.headers {
            assert!(uuids.iter().all(|u| !value.to_lowercase().contains(u)), "{name}: {value}");
        }
    }
}
