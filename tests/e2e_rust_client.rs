//! The Rust healthchecks.io client, the `healthchecks` crate (3.3.0 with its
//! `v3` feature, a pinned dev-dependency), against edgebeat: the calls a user
//! makes, with the outcomes and error kinds healthchecks gives. The crate is
//! only ever built with `get_client_with_url` on the local worker's
//! 127.0.0.1 address (its `get_client` would reach healthchecks.io), and
//! edgebeat's redirects name a path, never a host, so every request it makes,
//! redirects followed included, goes to 127.0.0.1.
//!
//! Where the crate sends a slashless path healthchecks has no route for
//! (`POST …/pings`, `POST …/flips`), healthchecks answers `301` to the
//! slashed path and the crate follows it as a GET; the second test walks
//! every v1, v2 and v3 collection path that way (docs/compatibility.md).

mod support;

use healthchecks::errors::{HealthchecksApiError, HealthchecksConfigError};
use healthchecks::manage::{self, ManageClient, UpsertResult};
use healthchecks::model::{NewCheck, Ping, UpdatedCheck};
use healthchecks::ping;
use serde_json::{json, Value};
use support::{Worker, ADMIN_TOKEN};

/// A check uuid no project has.
const UNKNOWN: &str = "9f1c6b8e-1d2a-4c3b-8e4f-5a6b7c8d9e0f";

/// `http://127.0.0.1:<port>`: the only base any client here is given.
fn local_base(worker: &Worker) -> String {
    format!("http://127.0.0.1:{}", worker.port)
}

fn manage_client(worker: &Worker, key: &str) -> ManageClient {
    manage::get_client_with_url(key.to_owned(), None, format!("{}/api/v3", local_base(worker)))
        .unwrap_or_else(|e| panic!("a manage client: {e}"))
}

fn ping_client(worker: &Worker, uuid: &str) -> ping::PingClient {
    ping::get_client_with_url(uuid, &format!("{}/ping", local_base(worker)))
        .unwrap_or_else(|e| panic!("a ping client: {e}"))
}

/// The uuid at the end of a check's `ping_url` (the crate's own `Check::id`).
fn uuid_of(check: &healthchecks::model::Check) -> String {
    check.id().unwrap_or_else(|| panic!("no ping_url (a read-only view?): {check:?}"))
}

fn as_json(pings: &[Ping]) -> Vec<Value> {
    pings
        .iter()
        .map(|p| {
            json!({"type": p.type_field, "date": p.date, "n": p.n, "scheme": p.scheme,
                   "remote_addr": p.remote_addr, "method": p.method, "ua": p.ua, "duration": p.duration})
        })
        .collect()
}

/// The fields of the API's pings that the crate's `Ping` has.
fn crate_fields(pings: &[Value]) -> Vec<Value> {
    pings
        .iter()
        .map(|p| {
            json!({"type": p["type"], "date": p["date"], "n": p["n"], "scheme": p["scheme"],
                   "remote_addr": p["remote_addr"], "method": p["method"], "ua": p["ua"], "duration": p["duration"]})
        })
        .collect()
}

#[test]
fn the_healthchecks_crate_works_against_edgebeat_as_against_healthchecks() {
    let worker = Worker::start();
    let project = worker.create_project("rust healthchecks crate");
    let client = manage_client(&worker, &project.api_key);
    let read_only = manage_client(&worker, &project.api_key_readonly);

    // Create, then upsert by name: the same check, updated (200), as healthchecks.
    let created = client
        .create_check(NewCheck {
            name: Some("nightly backup".into()),
            tags: Some("db prod".into()),
            timeout: Some(86_400),
            grace: Some(3600),
            ..NewCheck::default()
        })
        .unwrap_or_else(|e| panic!("create_check: {e}"));
    let uuid = uuid_of(&created);
    assert_eq!((created.name.as_str(), created.status.as_str(), created.n_pings), ("nightly backup", "new", 0));
    assert_eq!((created.timeout, created.grace, created.started), (Some(86_400), 3600, false));
    let unique = |desc: &str| NewCheck {
        name: Some("nightly backup".into()),
        desc: Some(desc.into()),
        unique: Some(vec!["name".into()]),
        ..NewCheck::default()
    };
    let (result, upserted) = client.upsert_check(unique("pg_dump of prod")).unwrap_or_else(|e| panic!("upsert: {e}"));
    assert!(matches!(result, UpsertResult::Updated), "an existing check matched by name is updated");
    assert_eq!((uuid_of(&upserted), upserted.desc.as_str()), (uuid.clone(), "pg_dump of prod"));
    // create_check with `unique` that matches: healthchecks answers 200, which the crate reports as an error.
    assert!(matches!(client.create_check(unique("again")), Err(HealthchecksApiError::ExistingCheckMatched)));
    let (result, other) = client
        .upsert_check(NewCheck {
            name: Some("weekly report".into()),
            schedule: Some("0 6 * * 1".into()),
            tz: Some("Europe/Riga".into()),
            unique: Some(vec!["name".into()]),
            ..NewCheck::default()
        })
        .unwrap_or_else(|e| panic!("upsert a new check: {e}"));
    assert!(matches!(result, UpsertResult::Created), "no check matched: created (201)");
    assert_eq!((other.schedule.as_deref(), other.tz.as_deref()), (Some("0 6 * * 1"), Some("Europe/Riga")));

    // List and get, by uuid and (as a read-only key sees checks) by unique key.
    let listed = client.get_checks().unwrap_or_else(|e| panic!("get_checks: {e}"));
    let mut names: Vec<&str> = listed.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["nightly backup", "weekly report"]);
    assert_eq!(client.get_check(&uuid).unwrap_or_else(|e| panic!("get_check: {e}")).desc, "again");
    let seen = read_only.get_checks().unwrap_or_else(|e| panic!("get_checks with a read-only key: {e}"));
    let backup = seen.iter().find(|c| c.name == "nightly backup").expect("the read-only list has the check");
    assert_eq!((backup.ping_url.as_deref(), backup.update_url.as_deref()), (None, None), "no write URLs");
    let unique_key = backup.unique_key.clone().expect("a read-only key sees unique_key");
    for who in [&read_only, &client] {
        let by_key = who.get_check(&unique_key).unwrap_or_else(|e| panic!("get_check by unique key: {e}"));
        assert_eq!(by_key.name, "nightly backup");
    }

    // Update.
    let updated = client
        .update_check(
            UpdatedCheck { name: Some("nightly pg backup".into()), timeout: Some(7200), ..UpdatedCheck::default() },
            &uuid,
        )
        .unwrap_or_else(|e| panic!("update_check: {e}"));
    assert_eq!(
        (updated.name.as_str(), updated.timeout, updated.tags.as_str()),
        ("nightly pg backup", Some(7200), "db prod")
    );

    // Pings: a run (start, then success, paired by run id), a failure with a log, a bare failure.
    let pinger = ping_client(&worker, &uuid);
    let run = uuid::Uuid::parse_str("3e9d6f0a-4b1c-4d2e-9f3a-5b6c7d8e9f01").expect("a run id");
    assert!(pinger.start_timer_with_run_id(Some(&run)), "start");
    assert!(pinger.report_success_with_run_id(Some(&run)), "success");
    assert!(pinger.start_timer(), "start without a run id");
    assert!(pinger.report_failure_with_logs("pg_dump: disk full\n"), "fail with a body");
    assert!(pinger.report_success(), "success");
    assert!(pinger.report_failure(), "fail");
    let down = client.get_check(&uuid).unwrap_or_else(|e| panic!("get_check: {e}"));
    assert_eq!((down.status.as_str(), down.n_pings), ("down", 6));

    // The crate's POST …/pings is redirected to GET …/pings/: the same pings as the API lists.
    let logged = client.list_logged_pings(&uuid).unwrap_or_else(|e| panic!("list_logged_pings: {e}"));
    let listed = worker.pings(&project, &uuid); // the API's own GET …/pings/
    assert_eq!(as_json(&logged), crate_fields(&listed));
    let kinds: Vec<&str> = logged.iter().map(|p| p.type_field.as_str()).collect();
    assert_eq!(kinds, ["fail", "success", "fail", "start", "success", "start"], "newest first");
    assert!(logged.iter().all(|p| p.ua == "healthchecks-rs/3.3.0"), "{logged:?}");
    let methods: Vec<&str> = logged.iter().map(|p| p.method.as_str()).collect();
    assert_eq!(methods, ["GET", "GET", "POST", "GET", "GET", "GET"]);
    assert!(logged[4].duration.is_some(), "the run's success is paired with its start by run id: {logged:?}");
    assert_eq!(listed[4]["rid"], json!(run.to_string()));
    let body = worker.api(&project.api_key, "GET", &format!("/api/v3/checks/{uuid}/pings/4/body"), None);
    assert_eq!((body.status, body.text().as_str()), (200, "pg_dump: disk full\n"), "the failure's log is kept");

    // Flips: the crate reads the answer as a bare list, but healthchecks has always answered
    // {"flips": [...]}; so the call fails reading the JSON (ureq reports it as an I/O error of
    // kind InvalidData) against healthchecks, and here too, once the redirect is followed.
    let flips = worker.api(&project.api_key, "GET", &format!("/api/v3/checks/{uuid}/flips/"), None).json();
    assert!(!flips["flips"].as_array().expect("a flips list").is_empty(), "there are flips: {flips}");
    match client.list_status_changes(&uuid) {
        Err(HealthchecksApiError::Io { source })
            if source.kind() == std::io::ErrorKind::InvalidData
                && source.to_string().contains("map, expected a sequence") => {}
        other => panic!("list_status_changes: expected the crate's JSON error, got {other:?}"),
    }

    // Pause, channels, delete.
    let paused = client.pause(&uuid).unwrap_or_else(|e| panic!("pause: {e}"));
    assert_eq!(paused.status, "paused");
    let channel = json!({"kind": "webhook", "name": "ops hook", "url": "http://127.0.0.1:9/discard"});
    assert_eq!(worker.api(&project.api_key, "POST", "/api/v3/channels/", Some(&channel)).status, 201);
    let channels = client.get_channels().unwrap_or_else(|e| panic!("get_channels: {e}"));
    let kinds: Vec<(&str, &str)> = channels.iter().map(|c| (c.name.as_str(), c.kind.as_str())).collect();
    assert_eq!(kinds, [("ops hook", "webhook")]);
    let other_uuid = uuid_of(&other);
    assert_eq!(client.delete(&other_uuid).unwrap_or_else(|e| panic!("delete: {e}")).name, "weekly report");
    assert!(matches!(client.get_check(&other_uuid), Err(HealthchecksApiError::NoCheckFound(id)) if id == other_uuid));

    // Unknown checks: the redirected calls now reach healthchecks' 404 instead of a 405.
    assert!(matches!(client.get_check(UNKNOWN), Err(HealthchecksApiError::NoCheckFound(_))));
    assert!(matches!(client.list_logged_pings(UNKNOWN), Err(HealthchecksApiError::NoCheckFound(_))));
    assert!(matches!(client.pause(UNKNOWN), Err(HealthchecksApiError::NoCheckFound(_))));
    assert!(matches!(client.delete(UNKNOWN), Err(HealthchecksApiError::NoCheckFound(_))));
    assert!(!ping_client(&worker, UNKNOWN).report_success(), "a ping to an unknown uuid is a 404");
    // Another project's check is 404 (healthchecks: 403, AccessDenied), so its existence is not revealed.
    let stranger = manage_client(&worker, &worker.create_project("stranger").api_key);
    assert!(matches!(stranger.get_check(&uuid), Err(HealthchecksApiError::NoCheckFound(_))));
    assert!(matches!(stranger.list_logged_pings(&uuid), Err(HealthchecksApiError::NoCheckFound(_))));

    // Validation errors are 400: NotWellFormed.
    let bad_timeout = UpdatedCheck { timeout: Some(10), ..UpdatedCheck::default() };
    assert!(matches!(client.update_check(bad_timeout, &uuid), Err(HealthchecksApiError::NotWellFormed)));
    let bad_schedule = NewCheck { schedule: Some("not a schedule".into()), ..NewCheck::default() };
    assert!(matches!(client.create_check(bad_schedule), Err(HealthchecksApiError::NotWellFormed)));

    // A read-only key reads checks but not pings, channels or writes: 401, in the crate's words.
    assert!(matches!(read_only.list_logged_pings(&uuid), Err(HealthchecksApiError::InvalidApiKey)));
    assert!(matches!(read_only.pause(&uuid), Err(HealthchecksApiError::PossibleReadOnlyKey)));
    assert!(matches!(read_only.get_channels(), Err(HealthchecksApiError::PossibleReadOnlyKey)));
    assert!(matches!(read_only.create_check(NewCheck::default()), Err(HealthchecksApiError::InvalidApiKey)));
    let rename = UpdatedCheck { name: Some("x".into()), ..UpdatedCheck::default() };
    assert!(matches!(read_only.update_check(rename, &uuid), Err(HealthchecksApiError::InvalidApiKey)));
    assert!(matches!(read_only.delete(&uuid), Err(HealthchecksApiError::InvalidApiKey)));

    // A wrong key: 401 everywhere, the redirected pings list included.
    let wrong = manage_client(&worker, &"x".repeat(32));
    assert!(matches!(wrong.get_checks(), Err(HealthchecksApiError::InvalidApiKey)));
    assert!(matches!(wrong.get_check(&uuid), Err(HealthchecksApiError::InvalidApiKey)));
    assert!(matches!(wrong.list_logged_pings(&uuid), Err(HealthchecksApiError::InvalidApiKey)));
    assert!(matches!(wrong.list_status_changes(&uuid), Err(HealthchecksApiError::InvalidApiKey)));
    assert!(matches!(wrong.create_check(NewCheck::default()), Err(HealthchecksApiError::InvalidApiKey)));
    assert!(matches!(wrong.pause(&uuid), Err(HealthchecksApiError::PossibleReadOnlyKey)));
    assert!(matches!(wrong.get_channels(), Err(HealthchecksApiError::PossibleReadOnlyKey)));

    // Client-side checks of the crate, before any request.
    assert!(matches!(
        ping::get_client_with_url("not-a-uuid", &local_base(&worker)),
        Err(HealthchecksConfigError::InvalidUuid(_))
    ));
    assert!(matches!(
        manage::get_client_with_url(String::new(), None, local_base(&worker)),
        Err(HealthchecksConfigError::EmptyApiKey)
    ));

    // Nothing the failed calls sent changed the check.
    let after = worker.check(&project, &uuid);
    assert_eq!(
        (after["name"].as_str(), after["status"].as_str(), after["n_pings"].as_i64()),
        (Some("nightly pg backup"), Some("paused"), Some(6))
    );
}

/// Every slashless form of a v1, v2 and v3 collection path: what edgebeat
/// serves there it still serves; a method it would refuse gets
/// healthchecks' `301` to the slashed path, query string kept.
#[test]
fn slashless_collection_paths_redirect_the_methods_they_refuse() {
    let worker = Worker::start();
    let project = worker.create_project("slashless");
    let uuid = worker.create_check(&project, json!({"name": "job", "timeout": 3600}))["ping_url"]
        .as_str()
        .and_then(|url| url.rsplit('/').next())
        .expect("a ping_url")
        .to_owned();
    assert_eq!(worker.get(&format!("/ping/{uuid}")).status, 200);
    let key = project.api_key.as_str();
    let unique_key = worker.api(&project.api_key_readonly, "GET", "/api/v3/checks/", None).json()["checks"][0]
        ["unique_key"]
        .as_str()
        .expect("a unique key")
        .to_owned();

    for version in 1..=3 {
        let api = format!("/api/v{version}");
        let mut collections = vec![
            format!("{api}/checks"),
            format!("{api}/checks/{uuid}/pings"),
            format!("{api}/checks/{uuid}/flips"),
            format!("{api}/checks/{unique_key}/flips"),
            format!("{api}/channels"),
            format!("{api}/badges"),
            format!("{api}/notifications"),
        ];
        if version == 3 {
            collections.push(format!("{api}/maintenance"));
        }
        for path in &collections {
            // Served as today, with the slashed path's answer.
            let direct = worker.api(key, "GET", path, None);
            let slashed = worker.api(key, "GET", &format!("{path}/"), None);
            assert_eq!((direct.status, direct.json()), (200, slashed.json()), "GET {path}");
            // POST creates on checks, channels and maintenance (below); the rest only list.
            let creates = ["/checks", "/channels", "/maintenance"].iter().any(|end| path.ends_with(end));
            for method in ["POST", "PUT", "PATCH", "DELETE", "HEAD", "TRACE"] {
                if method == "POST" && creates {
                    continue;
                }
                let answer = worker.api(key, method, &format!("{path}?a=1&b=%20"), None);
                assert_eq!(
                    (answer.status, answer.header("Location")),
                    (301, Some(format!("{path}/?a=1&b=%20").as_str())),
                    "{method} {path}: {}",
                    answer.text()
                );
                assert!(answer.body.is_empty(), "{method} {path}: no body");
            }
            // The slashed path itself never redirects: its own 405.
            let slashed_put = worker.api(key, "PUT", &format!("{path}/"), None);
            assert_eq!((slashed_put.status, slashed_put.header("Location")), (405, None), "PUT {path}/");
            // A CORS preflight is answered, not redirected.
            let preflight = worker.request("OPTIONS", path, &[], b"");
            assert_eq!((preflight.status, preflight.header("Location")), (204, None), "OPTIONS {path}");
        }
        // POST creates on the slashless checks and channels paths, as today.
        let created = worker.api(key, "POST", &format!("{api}/checks"), Some(&json!({"name": format!("v{version}")})));
        assert_eq!(created.status, 201, "POST {api}/checks: {}", created.text());
        let hook = json!({"kind": "webhook", "name": format!("v{version}"), "url": "http://127.0.0.1:9/discard"});
        assert_eq!(worker.api(key, "POST", &format!("{api}/channels"), Some(&hook)).status, 201, "POST {api}/channels");
    }
    let window = json!({"name": "w", "start": "2030-01-01T00:00:00Z", "end": "2030-01-01T01:00:00Z"});
    let posted = worker.api(key, "POST", "/api/v3/maintenance", Some(&window));
    assert_eq!(posted.status, 201, "POST /api/v3/maintenance: {}", posted.text());
    // The admin API's slashless path: listing and creating as today, other methods redirected.
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let listed = worker.request("GET", "/api/v3/projects", &[("Authorization", &auth)], b"");
    assert_eq!(listed.status, 200);
    let deleted = worker.request("DELETE", "/api/v3/projects", &[("Authorization", &auth)], b"");
    assert_eq!((deleted.status, deleted.header("Location")), (301, Some("/api/v3/projects/")));

    // Outside the API, healthchecks' Prometheus path with the key as a bearer token is spelled
    // `/projects/<id>/metrics/`: served without the slash too, other methods redirected.
    let bearer = format!("Bearer {}", project.api_key_readonly);
    let metrics = format!("/projects/{}/metrics", project.id);
    let scraped = worker.request("GET", &metrics, &[("Authorization", &bearer)], b"");
    assert_eq!(scraped.status, 200, "GET {metrics}: {}", scraped.text());
    assert!(scraped.text().contains("hc_check_up{"), "{}", scraped.text());
    let posted = worker.request("POST", &metrics, &[("Authorization", &bearer)], b"");
    assert_eq!((posted.status, posted.header("Location")), (301, Some(format!("{metrics}/").as_str())));

    // Paths spelled without a slash keep their 405 (healthchecks' views answer 405 there too).
    for (method, path) in [
        ("PUT", format!("/api/v3/checks/{uuid}")),
        ("GET", format!("/api/v3/checks/{uuid}/pause")),
        ("POST", format!("/api/v3/checks/{uuid}/pings/1/body")),
        ("POST", format!("/api/v3/checks/{unique_key}")),
    ] {
        let answer = worker.api(key, method, &path, None);
        assert_eq!((answer.status, answer.header("Location")), (405, None), "{method} {path}");
    }
    // Ping paths resolve without a slash at healthchecks too: never redirected.
    let trace = worker.request("TRACE", &format!("/ping/{uuid}"), &[], b"");
    assert_eq!((trace.status, trace.header("Location")), (405, None), "TRACE /ping/<uuid>");
    assert_eq!(worker.get(&format!("/ping/{uuid}/")).status, 200, "/ping/<uuid>/ is a ping, as at healthchecks");
    assert_eq!(worker.get(&format!("/ping/{uuid}/fail/")).status, 404, "healthchecks has no /fail/ either");

    // Followed as clients follow it (a GET), the redirect lists the pings.
    let redirected = worker.api(key, "POST", &format!("/api/v1/checks/{uuid}/pings"), None);
    let location = redirected.header("Location").expect("a Location").to_owned();
    assert!(location.starts_with("/api/v1/"), "a path on this host, never another: {location}");
    let followed = worker.api(key, "GET", &location, None);
    assert_eq!(followed.status, 200);
    assert_eq!(followed.json()["pings"].as_array().map(Vec::len), Some(2));
}
