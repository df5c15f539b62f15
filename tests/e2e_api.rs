//! The management and admin APIs end to end: auth matrix, check CRUD in
//! healthchecks' shapes, validation errors, upserts and filters.

mod support;

use chrono::Datelike;
use serde_json::{json, Value};
use std::sync::{Arc, Barrier};
use std::thread;
use support::http::request;
use support::{path_of, Worker, ADMIN_TOKEN};

#[test]
fn the_admin_api_needs_the_admin_token() {
    let worker = Worker::start();
    let body = br#"{"name": "x"}"#;
    for headers in [vec![], vec![("Authorization", "Bearer wrong")], vec![("X-Api-Key", ADMIN_TOKEN)]] {
        for method in ["POST", "GET"] {
            let response = worker.request(method, "/api/v3/projects/", &headers, body);
            assert_eq!(response.status, 401, "{method} {headers:?}");
            assert!(response.json()["error"].is_string());
        }
    }
    let project = worker.create_project("ops");
    assert!(project.api_key.starts_with("hcw_") && project.api_key.len() == 32);
    assert!(project.api_key_readonly.starts_with("hcr_") && project.api_key_readonly.len() == 32);
    assert_eq!(project.ping_key.len(), 22);

    let auth = format!("Bearer {ADMIN_TOKEN}");
    let list = worker.request("GET", "/api/v3/projects/", &[("Authorization", &auth)], b"");
    assert_eq!(list.status, 200);
    let projects = list.json()["projects"].clone();
    assert_eq!(projects[0]["id"], project.id.as_str());
    assert!(!list.text().contains(&project.api_key), "keys are shown only once");

    let bad = worker.request("POST", "/api/v3/projects/", &[("Authorization", &auth)], br#"{"name": 7}"#);
    assert_eq!(bad.status, 400);
    // A project needs a name: a nameless one is a blank row in every list.
    for nameless in [&b""[..], b"{}", br#"{"name": "  "}"#, br#"{"owner": "ada@example.com"}"#] {
        let refused = worker.request("POST", "/api/v3/projects/", &[("Authorization", &auth)], nameless);
        assert_eq!(refused.status, 400, "{}", String::from_utf8_lossy(nameless));
        assert!(refused.json()["error"].as_str().unwrap().contains("name is required"), "{}", refused.text());
    }
    let after = worker.request("GET", "/api/v3/projects/", &[("Authorization", &auth)], b"").json();
    assert_eq!(after["projects"].as_array().map(Vec::len), Some(1), "{after}");
    // A project's API key is not an admin token.
    let key_auth = format!("Bearer {}", project.api_key);
    assert_eq!(worker.request("GET", "/api/v3/projects/", &[("Authorization", &key_auth)], b"").status, 401);
}

#[test]
fn the_auth_matrix() {
    let worker = Worker::start();
    let mine = worker.create_project("mine");
    let theirs = worker.create_project("theirs");
    let check = worker.create_check(&mine, json!({"name": "secret job"}));
    let uuid = check["uuid"].as_str().unwrap();
    let check_path = format!("/api/v3/checks/{uuid}");

    // No key and an empty key are missing; a key of the wrong length
    // (healthchecks says missing) and an unknown key are wrong.
    for (headers, expected) in [
        (vec![], "missing api key"),
        (vec![("X-Api-Key", "")], "missing api key"),
        (vec![("Authorization", "Bearer ")], "missing api key"),
        (vec![("X-Api-Key", "hcw_wrongwrongwrongwrongwrongwron")], "wrong api key"),
        (vec![("Authorization", "Bearer hcw_truncated")], "wrong api key"),
        (vec![("X-Api-Key", "hcw_wrongwrongwrongwrongwrongwro")], "wrong api key"),
    ] {
        let response = worker.request("GET", "/api/v3/checks/", &headers, b"");
        assert_eq!(response.status, 401, "{headers:?}");
        assert_eq!(response.json()["error"], expected, "{headers:?}");
    }
    // The key also works as a bearer token, and in a POST body.
    let bearer = format!("Bearer {}", mine.api_key);
    assert_eq!(worker.request("GET", "/api/v3/checks/", &[("Authorization", &bearer)], b"").status, 200);
    let in_body = json!({"api_key": mine.api_key, "desc": "set with the key in the body"}).to_string();
    assert_eq!(worker.request("POST", &check_path, &[], in_body.as_bytes()).status, 200);

    // A read-only key reads, in the read-only shape, and cannot write.
    let ro = &mine.api_key_readonly;
    let listed = worker.api(ro, "GET", "/api/v3/checks/", None);
    assert_eq!(listed.status, 200);
    let shown = &listed.json()["checks"][0];
    assert!(shown.get("uuid").is_none() && shown.get("ping_url").is_none() && shown.get("update_url").is_none());
    let unique_key = shown["unique_key"].as_str().unwrap().to_owned();
    assert_eq!(unique_key.len(), 40);
    assert!(!listed.text().contains(uuid), "a read-only key never learns the uuid");
    let by_key = worker.api(ro, "GET", &format!("/api/v3/checks/{unique_key}"), None);
    assert_eq!((by_key.status, by_key.json()["name"].as_str()), (200, Some("secret job")));
    for (method, path) in [
        ("POST", "/api/v3/checks/".to_owned()),
        ("POST", check_path.clone()),
        ("DELETE", check_path.clone()),
        ("POST", format!("{check_path}/pause")),
        ("GET", format!("{check_path}/pings/")),
    ] {
        let response = worker.api(ro, method, &path, Some(&json!({"name": "hijack"})));
        assert_eq!(
            (response.status, response.json()["error"].as_str()),
            (401, Some("wrong api key")),
            "{method} {path}"
        );
    }

    // Another project's key sees nothing of this check, not even that it exists.
    for (method, path) in [
        ("GET", check_path.clone()),
        ("POST", check_path.clone()),
        ("DELETE", check_path.clone()),
        ("POST", format!("{check_path}/pause")),
        ("POST", format!("{check_path}/resume")),
        ("GET", format!("{check_path}/pings/")),
        ("GET", format!("/api/v3/checks/{unique_key}")),
    ] {
        let response = worker.api(&theirs.api_key, method, &path, Some(&json!({})));
        assert_eq!(response.status, 404, "{method} {path}: {}", response.text());
        assert_eq!(response.json()["error"], "not found");
    }
    assert_eq!(worker.api(&theirs.api_key, "GET", "/api/v3/checks/", None).json()["checks"], json!([]));
    assert_eq!(worker.check(&mine, uuid)["name"], "secret job", "nothing was changed");
}

#[test]
fn checks_have_healthchecks_shapes_through_their_life() {
    let worker = Worker::start();
    let project = worker.create_project("crud");
    let created = worker.create_check(
        &project,
        json!({"name": "Backups", "tags": "prod db", "desc": "nightly", "timeout": 3600, "grace": 120,
               "manual_resume": false, "methods": "", "channels": ""}),
    );
    let uuid = created["uuid"].as_str().unwrap().to_owned();
    for (key, value) in [
        ("name", json!("Backups")),
        ("slug", json!("")),
        ("tags", json!("prod db")),
        ("desc", json!("nightly")),
        ("grace", json!(120)),
        ("timeout", json!(3600)),
        ("n_pings", json!(0)),
        ("status", json!("new")),
        ("started", json!(false)),
        ("last_ping", Value::Null),
        ("next_ping", Value::Null),
        ("manual_resume", json!(false)),
        ("methods", json!("")),
        ("channels", json!("")),
        ("filter_http_body", json!(false)),
        ("success_kw", json!("")),
    ] {
        assert_eq!(created[key], value, "{key} in {created}");
    }
    assert!(created["ping_url"].as_str().unwrap().ends_with(&format!("/ping/{uuid}")));
    assert_eq!(path_of(&created["update_url"]), format!("/api/v3/checks/{uuid}"));
    assert_eq!(path_of(&created["pause_url"]), format!("/api/v3/checks/{uuid}/pause"));
    assert_eq!(path_of(&created["resume_url"]), format!("/api/v3/checks/{uuid}/resume"));

    // A ping makes it up, with next_ping one timeout later.
    assert_eq!(worker.get(&path_of(&created["ping_url"])).status, 200);
    let up = worker.check(&project, &uuid);
    assert_eq!(up["status"], "up");
    assert!(up["last_ping"].is_string() && up["next_ping"].is_string());

    // Switching to a cron schedule replaces timeout with schedule and tz.
    let update = json!({"schedule": "30 2 * * 1-5", "tz": "Europe/Riga", "grace": 600});
    let updated = worker.api(&project.api_key, "POST", &format!("/api/v3/checks/{uuid}"), Some(&update));
    assert_eq!(updated.status, 200);
    let updated = updated.json();
    assert_eq!((updated["schedule"].as_str(), updated["tz"].as_str()), (Some("30 2 * * 1-5"), Some("Europe/Riga")));
    assert!(updated.get("timeout").is_none());
    assert_eq!(updated["name"], "Backups", "fields not sent are kept");
    assert_eq!(updated["status"], "up");

    // API versions 1 and 2 answer with their own URLs.
    let v1 = worker.api(&project.api_key, "GET", &format!("/api/v1/checks/{uuid}"), None).json();
    assert_eq!(path_of(&v1["update_url"]), format!("/api/v1/checks/{uuid}"));
    assert_eq!(worker.api(&project.api_key, "GET", "/api/v2/checks", None).status, 200);

    let deleted = worker.api(&project.api_key, "DELETE", &format!("/api/v3/checks/{uuid}"), None);
    assert_eq!((deleted.status, deleted.json()["name"].as_str()), (200, Some("Backups")));
    assert_eq!(worker.api(&project.api_key, "GET", &format!("/api/v3/checks/{uuid}"), None).status, 404);
    assert_eq!(worker.get(&path_of(&created["ping_url"])).status, 404, "a deleted check takes no pings");
}

#[test]
fn listing_filters_by_tags_and_slug_and_upserts_by_unique_fields() {
    let worker = Worker::start();
    let project = worker.create_project("list");
    worker.create_check(&project, json!({"name": "a", "tags": "prod db", "slug": "a"}));
    worker.create_check(&project, json!({"name": "b", "tags": "prod web", "slug": "b"}));
    worker.create_check(&project, json!({"name": "c", "tags": "staging db"}));
    let names = |query: &str| -> Vec<String> {
        let body = worker.api(&project.api_key, "GET", &format!("/api/v3/checks/{query}"), None).json();
        body["checks"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(names(""), ["a", "b", "c"]);
    assert_eq!(names("?tag=prod"), ["a", "b"]);
    assert_eq!(names("?tag=prod&tag=db"), ["a"]);
    assert_eq!(names("?tag=pro"), Vec::<String>::new());
    assert_eq!(names("?slug=b"), ["b"]);

    let spec = json!({"name": "a", "tags": "prod db", "timeout": 600, "unique": ["name"]});
    let upsert = worker.api(&project.api_key, "POST", "/api/v3/checks/", Some(&spec));
    assert_eq!(upsert.status, 200, "an existing match is updated, not duplicated");
    assert_eq!(upsert.json()["timeout"], 600);
    assert_eq!(names("").len(), 3);
    let spec = json!({"name": "d", "unique": ["name"]});
    assert_eq!(worker.api(&project.api_key, "POST", "/api/v3/checks/", Some(&spec)).status, 201);
    assert_eq!(names("").len(), 4);
}

#[test]
fn invalid_input_gets_clear_json_errors_and_changes_nothing() {
    let worker = Worker::start();
    let project = worker.create_project("validation");
    let check = worker.create_check(&project, json!({"name": "keep me", "timeout": 3600}));
    let uuid = check["uuid"].as_str().unwrap();
    let cases: &[(&[u8], &str)] = &[
        (b"{not json", "could not parse request body"),
        (b"[1, 2, 3]", "json validation error: value is not an object"),
        (b"\"text\"", "json validation error: value is not an object"),
        (br#"{"timeout": 59}"#, "json validation error: timeout is too small"),
        (br#"{"timeout": 31536001}"#, "json validation error: timeout is too large"),
        (br#"{"grace": "1h"}"#, "json validation error: grace is not a number"),
        (
            br#"{"schedule": "61 * * * *"}"#,
            "json validation error: schedule is not a valid cron or OnCalendar expression",
        ),
        (
            br#"{"schedule": "* * * * * *"}"#,
            "json validation error: schedule is not a valid cron or OnCalendar expression",
        ),
        (
            br#"{"schedule": "0 0 * *\n*"}"#,
            "json validation error: schedule is not a valid cron or OnCalendar expression",
        ),
        (
            br#"{"schedule": "Mon..Funday 02:00"}"#,
            "json validation error: schedule is not a valid cron or OnCalendar expression",
        ),
        (br#"{"tz": "Mars/Base"}"#, "json validation error: tz is not a valid timezone"),
        (br#"{"slug": "Not A Slug"}"#, "json validation error: slug does not match pattern"),
        (br#"{"methods": "PUT"}"#, "json validation error: methods has unexpected value"),
        (br#"{"manual_resume": 1}"#, "json validation error: manual_resume is not a boolean"),
        (br#"{"tags": ["a"]}"#, "json validation error: tags is not a string"),
        (br#"{"colour": "red"}"#, "json validation error: unknown field \"colour\""),
        (br#"{"channels": "no-such-channel"}"#, "invalid channel identifier: no-such-channel"),
    ];
    let long_name = json!({ "name": "x".repeat(101) }).to_string();
    let mut all: Vec<(&[u8], &str)> = cases.to_vec();
    all.push((long_name.as_bytes(), "json validation error: name is too long"));
    for path in ["/api/v3/checks/".to_owned(), format!("/api/v3/checks/{uuid}")] {
        for (body, message) in &all {
            let response = worker.request("POST", &path, &[("X-Api-Key", &project.api_key)], body);
            assert_eq!(response.status, 400, "{path} {}", String::from_utf8_lossy(body));
            let error = response.json()["error"].as_str().unwrap().to_owned();
            assert!(error.starts_with(message), "{path} {}: {error}", String::from_utf8_lossy(body));
        }
    }
    let after = worker.check(&project, uuid);
    assert_eq!((after["name"].as_str(), after["timeout"].as_i64()), (Some("keep me"), Some(3600)));
    assert_eq!(
        worker.api(&project.api_key, "GET", "/api/v3/checks/", None).json()["checks"].as_array().map(Vec::len),
        Some(1)
    );

    // Unknown routes, wrong methods and oversized bodies are JSON errors too.
    let not_found = worker.api(&project.api_key, "GET", "/api/v3/nothing", None);
    assert_eq!(not_found.status, 404);
    let wrong_method = worker.api(&project.api_key, "PUT", "/api/v3/checks/", None);
    assert_eq!(wrong_method.status, 405);
    assert!(wrong_method.json()["error"].is_string());
    assert_eq!(wrong_method.header("Allow"), Some("GET, POST"));
    // A method the runtime does not know is not mistaken for GET.
    let unknown = worker.api(&project.api_key, "QUERY", "/api/v3/checks/", None);
    assert_eq!((unknown.status, unknown.header("Allow")), (405, Some("GET, POST")));
    let health = worker.request("QUERY", "/health", &[], b"");
    assert_eq!((health.status, health.header("Allow")), (405, Some("GET, HEAD")));
    let huge = vec![b' '; 100_000];
    let too_large = worker.request("POST", "/api/v3/checks/", &[("X-Api-Key", &project.api_key)], &huge);
    assert_eq!(too_large.status, 413);
    assert!(too_large.json()["error"].is_string());
}

#[test]
fn the_api_answers_cors_preflights() {
    let worker = Worker::start();
    let response = worker.request("OPTIONS", "/api/v3/checks/", &[("Origin", "https://dash.example")], b"");
    assert_eq!(response.status, 204);
    assert_eq!(response.header("Access-Control-Allow-Origin"), Some("*"));
    assert!(response.header("Access-Control-Allow-Headers").is_some_and(|h| h.contains("X-Api-Key")));
    assert!(response.header("Access-Control-Allow-Methods").is_some_and(|h| h.contains("POST")));
    let unauthorized = worker.get("/api/v3/checks/");
    assert_eq!(unauthorized.header("Access-Control-Allow-Origin"), Some("*"), "errors carry CORS headers too");
}

#[test]
fn oncalendar_schedules_are_checks_like_cron_ones() {
    let worker = Worker::start();
    let project = worker.create_project("oncalendar");
    let check = worker.create_check(
        &project,
        json!({"name": "weekdays", "schedule": "Mon..Fri *-*-* 02:00:00\nSat 03:30", "tz": "Europe/Riga", "grace": 600}),
    );
    assert_eq!(check["schedule"], "Mon..Fri *-*-* 02:00:00\nSat 03:30");
    assert_eq!(check["tz"], "Europe/Riga");
    assert!(check.get("timeout").is_none());
    let uuid = check["uuid"].as_str().unwrap();
    // next_ping is in UTC; in Riga (UTC+2 in winter, UTC+3 in summer) it is
    // a weekday's 02:00 or a Saturday's 03:30.
    assert_eq!(worker.get(&format!("/ping/{uuid}")).status, 200);
    let next = worker.check(&project, uuid)["next_ping"].as_str().unwrap().to_owned();
    assert!(next.ends_with("+00:00"), "{next}");
    let local =
        chrono::DateTime::parse_from_rfc3339(&next).expect("an RFC 3339 time").with_timezone(&chrono_tz::Europe::Riga);
    let (weekday, time) = (local.weekday(), local.format("%H:%M:%S").to_string());
    let weekday_run = weekday.num_days_from_monday() < 5 && time == "02:00:00";
    assert!(weekday_run || (weekday == chrono::Weekday::Sat && time == "03:30:00"), "{next} is {local} in Riga");
}

/// Sends every request at once (threads released together) and returns
/// each answer's status and JSON body, in order.
fn all_at_once(worker: &Worker, key: &str, bodies: Vec<Value>) -> Vec<(u16, Value)> {
    let barrier = Arc::new(Barrier::new(bodies.len()));
    let handles: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let (port, key, barrier) = (worker.port, key.to_owned(), Arc::clone(&barrier));
            thread::spawn(move || {
                let headers = [("X-Api-Key", key.as_str()), ("Content-Type", "application/json")];
                barrier.wait();
                let response = request(port, "POST", "/api/v3/checks/", &headers, body.to_string().as_bytes())
                    .expect("a create request");
                (response.status, response.json())
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().expect("a create thread")).collect()
}

fn names(worker: &Worker, key: &str) -> Vec<String> {
    let listed = worker.api(key, "GET", "/api/v3/checks/", None).json();
    listed["checks"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect()
}

/// Issue 17, bug 4: concurrent creates (plain, and `unique` upserts that
/// create) hold `MAX_CHECKS_PER_PROJECT` exactly, and concurrent upserts
/// of one check make one check.
#[test]
fn concurrent_creates_hold_the_check_limit_exactly() {
    let worker = Worker::start_with(&[("MAX_CHECKS_PER_PROJECT", "50")]);
    let limit_error = json!({"error": "check limit reached (50 checks per project)"});

    // 40 creates at once on top of 45 checks: exactly 5 are made.
    let plain = worker.create_project("plain");
    for n in 0..45 {
        worker.create_check(&plain, json!({"name": format!("existing-{n}")}));
    }
    let answers = all_at_once(&worker, &plain.api_key, (0..40).map(|n| json!({"name": format!("new-{n}")})).collect());
    let created = answers.iter().filter(|(status, _)| *status == 201).count();
    for (status, body) in &answers {
        assert!(*status == 201 || (*status == 403 && *body == limit_error), "{status} {body}");
    }
    let statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
    assert_eq!(created, 5, "{statuses:?}");
    assert_eq!(names(&worker, &plain.api_key).len(), 50);

    // Upserts at once, five of one check (few enough that each of their
    // updates lands within its retries) and the rest of distinct ones: one
    // "shared" check, and the limit again.
    let upserts = worker.create_project("upserts");
    for n in 0..45 {
        worker.create_check(&upserts, json!({"name": format!("existing-{n}")}));
    }
    let bodies = (0..40)
        .map(|n| {
            let name = if n % 8 == 0 { "shared".to_owned() } else { format!("distinct-{n}") };
            json!({"name": name, "grace": 60 + n, "unique": ["name"]})
        })
        .collect();
    let answers = all_at_once(&worker, &upserts.api_key, bodies);
    for (status, body) in &answers {
        assert!([200, 201].contains(status) || (*status == 403 && *body == limit_error), "{status} {body}");
    }
    let listed = names(&worker, &upserts.api_key);
    assert_eq!(listed.len(), 50, "{listed:?}");
    assert!(listed.iter().filter(|name| *name == "shared").count() <= 1, "one check per unique name: {listed:?}");
    let created = answers.iter().filter(|(status, _)| *status == 201).count();
    let statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
    assert_eq!(created, 5, "{statuses:?}");
    // Every 200 updated the one shared check.
    for (_, body) in answers.iter().filter(|(status, _)| *status == 200) {
        assert_eq!(body["name"], "shared", "{body}");
    }

    // At the limit an upsert that matches still updates; one that would create is refused.
    let updated = worker.api(
        &upserts.api_key,
        "POST",
        "/api/v3/checks/",
        Some(&json!({"name": "existing-0", "grace": 120, "unique": ["name"]})),
    );
    assert_eq!((updated.status, updated.json()["grace"].as_i64()), (200, Some(120)), "{}", updated.text());
    let refused =
        worker.api(&upserts.api_key, "POST", "/api/v3/checks/", Some(&json!({"name": "one-more", "unique": ["name"]})));
    assert_eq!((refused.status, refused.json()), (403, limit_error));
}
