//! What differs between the management API's versions, end to end, as in
//! healthchecks.io: v1 and v2 derive the slug from the name, v1 folds a
//! running job into `status`, URLs echo the version; and what every version
//! shares with healthchecks: `unique_key` as it computes it, `last_duration`
//! for runs under a second.

mod support;

use serde_json::{json, Value};
use sha1::{Digest, Sha1};
use support::{path_of, Worker};

fn create(worker: &Worker, key: &str, version: u8, spec: Value) -> Value {
    let response = worker.api(key, "POST", &format!("/api/v{version}/checks/"), Some(&spec));
    assert_eq!(response.status, 201, "v{version} create: {}", response.text());
    response.json()
}

fn update(worker: &Worker, key: &str, version: u8, uuid: &str, spec: Value) -> Value {
    let response = worker.api(key, "POST", &format!("/api/v{version}/checks/{uuid}"), Some(&spec));
    assert_eq!(response.status, 200, "v{version} update: {}", response.text());
    response.json()
}

#[test]
fn api_v1_and_v2_derive_the_slug_from_the_name_and_v3_does_not() {
    let worker = Worker::start();
    let project = worker.create_project("slugs");
    let key = &project.api_key;
    let by_slug = |slug: &str| worker.post(&format!("/ping/{}/{slug}", project.ping_key), b"");
    for version in [1, 2] {
        let name = format!("Crème Brûlée Backup v{version}");
        let check = create(&worker, key, version, json!({ "name": name, "timeout": 3600 }));
        let slug = format!("creme-brulee-backup-v{version}");
        assert_eq!(check["slug"], slug.as_str(), "v{version}");
        let uuid = check["uuid"].as_str().unwrap();
        // A check created through v1 or v2 can be pinged by that slug.
        let pinged = by_slug(&slug);
        assert_eq!((pinged.status, pinged.text()), (200, "OK".to_owned()), "v{version}");
        assert_eq!(worker.check(&project, uuid)["status"], "up");

        // A rename moves the slug; the old one is gone.
        let renamed = update(&worker, key, version, uuid, json!({"name": format!("Renamed, Job {version}!")}));
        assert_eq!(renamed["slug"], format!("renamed-job-{version}"));
        assert_eq!(by_slug(&slug).status, 404);
        assert_eq!(by_slug(&format!("renamed-job-{version}")).status, 200);
        // An update without a name leaves the slug; an explicit slug wins over the name's.
        assert_eq!(update(&worker, key, version, uuid, json!({"tags": "x"}))["slug"], format!("renamed-job-{version}"));
        let explicit = update(&worker, key, version, uuid, json!({"name": "Other", "slug": format!("mine-{version}")}));
        assert_eq!(
            (explicit["name"].as_str(), explicit["slug"].as_str()),
            (Some("Other"), Some(&*format!("mine-{version}")))
        );
    }

    // Ligatures expand: a 40-character name makes a 120-character slug, kept whole and pingable.
    let long = create(&worker, key, 1, json!({"name": "\u{fb03}".repeat(40)}));
    assert_eq!(long["slug"], "ffi".repeat(40));
    assert_eq!(by_slug(&"ffi".repeat(40)).status, 200);

    // v3 keeps its explicit slug: none unless given, and a rename keeps it.
    let check = create(&worker, key, 3, json!({"name": "Nightly Backup"}));
    assert_eq!(check["slug"], "");
    let uuid = check["uuid"].as_str().unwrap();
    assert_eq!(update(&worker, key, 3, uuid, json!({"slug": "nightly"}))["slug"], "nightly");
    assert_eq!(update(&worker, key, 3, uuid, json!({"name": "Renamed Backup"}))["slug"], "nightly");
}

#[test]
fn api_v1_reports_a_running_check_as_started() {
    let worker = Worker::start();
    let project = worker.create_project("started");
    let check = create(&worker, &project.api_key, 3, json!({"name": "job", "timeout": 3600, "grace": 600}));
    let uuid = check["uuid"].as_str().unwrap();
    let ping_path = path_of(&check["ping_url"]);
    assert_eq!(worker.post(&format!("{ping_path}/start"), b"").status, 200);

    for (key, read_only) in [(&project.api_key, false), (&project.api_key_readonly, true)] {
        for version in [1u8, 2, 3] {
            let listed = worker.api(key, "GET", &format!("/api/v{version}/checks/"), None).json();
            let shown = &listed["checks"][0];
            let expected = if version == 1 { "started" } else { "new" };
            assert_eq!(
                (shown["status"].as_str(), shown["started"].as_bool()),
                (Some(expected), Some(true)),
                "v{version}, read-only {read_only}"
            );
            if !read_only {
                let single = worker.api(key, "GET", &format!("/api/v{version}/checks/{uuid}"), None).json();
                assert_eq!(single["status"], expected, "v{version}");
                assert_eq!(
                    single["update_url"],
                    format!("http://127.0.0.1:{}/api/v{version}/checks/{uuid}", worker.port)
                );
            }
        }
    }
    // After the run, v1 shows the plain status again.
    assert_eq!(worker.post(&ping_path, b"done").status, 200);
    let shown = worker.api(&project.api_key, "GET", &format!("/api/v1/checks/{uuid}"), None).json();
    assert_eq!((shown["status"].as_str(), shown["started"].as_bool()), (Some("up"), Some(false)));
    // Ping body URLs echo the version too.
    let pings = worker.api(&project.api_key, "GET", &format!("/api/v1/checks/{uuid}/pings/"), None).json();
    assert_eq!(
        pings["pings"][0]["body_url"],
        format!("http://127.0.0.1:{}/api/v1/checks/{uuid}/pings/2/body", worker.port)
    );
}

#[test]
fn runs_shorter_than_a_second_report_a_last_duration_of_zero() {
    let worker = Worker::start();
    let project = worker.create_project("durations");
    let check = create(&worker, &project.api_key, 3, json!({"name": "quick job"}));
    let uuid = check["uuid"].as_str().unwrap();
    assert!(check.get("last_duration").is_none(), "no run measured yet");
    let ping_path = path_of(&check["ping_url"]);
    // A run of a few milliseconds, measured under a second (a stalled
    // machine can stretch one past it: then another run).
    for _ in 0..5 {
        assert_eq!(worker.post(&format!("{ping_path}/start"), b"").status, 200);
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(worker.post(&ping_path, b"").status, 200);
        let measured = worker.pings(&project, uuid)[0]["duration"].as_f64().expect("a measured run");
        if measured < 1.0 {
            break;
        }
    }
    for version in [1, 2, 3] {
        let shown = worker.api(&project.api_key, "GET", &format!("/api/v{version}/checks/{uuid}"), None).json();
        assert_eq!(shown["last_duration"], 0, "v{version}: {shown}");
    }
    let metrics = worker.get(&format!("/projects/{}/metrics/{}", project.id, project.api_key_readonly)).text();
    let line = metrics
        .lines()
        .find(|l| l.starts_with("edgebeat_check_last_duration_seconds{name=\"quick job\""))
        .unwrap_or_else(|| panic!("no duration in the metrics:\n{metrics}"));
    let seconds: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(seconds > 0.0 && seconds < 1.0, "{line}");
    // A success without a start measures nothing, and the duration goes away.
    assert_eq!(worker.post(&ping_path, b"").status, 200);
    assert!(worker.check(&project, uuid).get("last_duration").is_none());
}

/// healthchecks' `Check.unique_key`: `sha1(code.hex[:16].encode()).hexdigest()`.
fn healthchecks_unique_key(uuid: &str) -> String {
    let hex: String = uuid.chars().filter(|c| *c != '-').collect();
    Sha1::digest(&hex.as_bytes()[..16]).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn unique_keys_are_healthchecks_own_and_stale_stored_ones_are_refilled() {
    let worker = Worker::start();
    let project = worker.create_project("unique keys");
    let ro = &project.api_key_readonly;
    let check = create(&worker, &project.api_key, 3, json!({"name": "keyed"}));
    let uuid = check["uuid"].as_str().unwrap();
    let expected = healthchecks_unique_key(uuid);
    for version in [1, 2, 3] {
        let listed = worker.api(ro, "GET", &format!("/api/v{version}/checks/"), None).json();
        assert_eq!(listed["checks"][0]["unique_key"], expected.as_str(), "v{version}");
        let by_key = worker.api(ro, "GET", &format!("/api/v{version}/checks/{expected}"), None);
        assert_eq!((by_key.status, by_key.json()["name"].as_str()), (200, Some("keyed")), "v{version}");
    }
    let metrics = worker.get(&format!("/projects/{}/metrics/{ro}", project.id)).text();
    assert!(metrics.contains(&format!("unique_key=\"{expected}\"")), "{metrics}");

    // A row still holding a key computed the old way (a truncated SHA-256) is
    // not found by its new key until migration 0008 forgets the stored keys;
    // then the first lookup refills them.
    worker.execute_sql(&format!(
        "UPDATE checks SET unique_key = '{}' WHERE uuid = '{uuid}';",
        "0123456789abcdef0123456789abcdef01234567"
    ));
    assert_eq!(worker.api(ro, "GET", &format!("/api/v3/checks/{expected}"), None).status, 404);
    let migration =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/0008_unique_key_sha1.sql"))
            .expect("read migration 0008");
    let sql: Vec<&str> = migration.lines().filter(|l| !l.trim_start().starts_with("--")).collect();
    worker.execute_sql(&sql.join(" "));
    let by_key = worker.api(ro, "GET", &format!("/api/v3/checks/{expected}/flips/"), None);
    assert_eq!(by_key.status, 200, "{}", by_key.text());
    assert_eq!(worker.api(ro, "GET", &format!("/api/v3/checks/{expected}"), None).json()["name"], "keyed");
}
