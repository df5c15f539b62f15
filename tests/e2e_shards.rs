//! One deployment over several D1 databases, end to end: projects placed on
//! both, pings by UUID and by slug, sweeps and alerts in each, projects that
//! cannot see each other, the admin list spanning all, and a deployment
//! that had one database keeping every check it made then.

mod support;

use serde_json::{json, Value};
use std::time::Duration;
use support::{now_ms, path_of, Project, Receiver, Worker};

const WAIT: Duration = Duration::from_secs(20);

/// The database the admin API says a project lives in.
fn database_of(worker: &Worker, project: &Project) -> i64 {
    let auth = format!("Bearer {}", support::ADMIN_TOKEN);
    let list = worker.request("GET", "/api/v3/projects/", &[("Authorization", &auth)], b"").json();
    let projects = list["projects"].as_array().expect("projects");
    let found = projects.iter().find(|p| p["id"] == json!(project.id)).expect("the project is listed");
    found["database"].as_i64().expect("a database number")
}

/// A UUID's version digit.
fn version_of(uuid: &str) -> char {
    uuid.chars().nth(14).expect("a UUID")
}

/// A check with a webhook to `receiver` that goes down a minute after its ping.
fn watched_check(worker: &Worker, project: &Project, receiver: &Receiver, name: &str) -> Value {
    let hook = worker.api(
        &project.api_key,
        "POST",
        "/api/v3/channels/",
        Some(&json!({"kind": "webhook", "name": "hook", "url": receiver.url(&format!("/{name}"))})),
    );
    assert_eq!(hook.status, 201, "{}", hook.text());
    worker.create_check(project, json!({"name": name, "slug": name, "timeout": 60, "grace": 60, "channels": "*"}))
}

#[test]
fn two_databases_serve_one_deployment() {
    let receiver = Receiver::start();
    let worker = Worker::start_databases(2, &[]);
    // Equally loaded databases: the newest takes the next project.
    let first = worker.create_project("first");
    let second = worker.create_project("second");
    let third = worker.create_project("third");
    assert_eq!([database_of(&worker, &first), database_of(&worker, &second), database_of(&worker, &third)], [1, 0, 1]);
    // Identifiers of the second database say so; the first database's stay as they always were.
    assert_eq!(version_of(&first.id), '8');
    assert!(first.api_key.ends_with("_1") && first.ping_key.ends_with("_1"), "{first:?}");
    assert_eq!(version_of(&second.id), '4');
    assert!(!second.api_key[4..].contains('_'), "{second:?}");

    let checks: Vec<(Project, Value)> = [(&first, "alpha"), (&second, "beta"), (&third, "gamma")]
        .into_iter()
        .map(|(project, name)| (project.clone(), watched_check(&worker, project, &receiver, name)))
        .collect();
    for (project, check) in &checks {
        // By UUID, at the ping path and at the root; and by slug.
        assert_eq!(worker.get(&path_of(&check["ping_url"])).status, 200);
        let slug = check["slug"].as_str().expect("a slug");
        assert_eq!(worker.get(&format!("/ping/{}/{slug}", project.ping_key)).status, 200);
        assert_eq!(worker.get(&format!("/{}/{slug}/log", project.ping_key)).status, 200);
        assert_eq!(worker.pings(project, check["uuid"].as_str().expect("uuid")).len(), 3);
    }
    // A ping by UUID touches its own database only: D1's own row counts, per database.
    let ping = worker.get(&path_of(&checks[0].1["ping_url"]));
    // After the last ping: the sweeps below are timed from it.
    let pinged = now_ms();
    let each = ping.header("X-D1-Rows-By-Database").expect("the worker reports D1 usage per database in tests");
    let (zero, one) = each.split_once("; ").expect("two databases");
    assert_eq!(zero, "0: read=0, written=0", "{each}");
    assert!(one.starts_with("1: read=") && !one.ends_with("written=0"), "{each}");
    assert_eq!(version_of(checks[0].1["uuid"].as_str().expect("uuid")), '8');
    assert_eq!(version_of(checks[1].1["uuid"].as_str().expect("uuid")), '4');

    // A project sees only its own checks, whichever database the other's is in.
    for (project, _) in &checks {
        for (other, check) in &checks {
            let uuid = check["uuid"].as_str().expect("uuid");
            let status = worker.api(&project.api_key, "GET", &format!("/api/v3/checks/{uuid}"), None).status;
            assert_eq!(status, if project.id == other.id { 200 } else { 404 }, "{} reading {uuid}", project.id);
        }
        let listed = worker.api(&project.api_key, "GET", "/api/v3/checks/", None).json();
        assert_eq!(listed["checks"].as_array().map(Vec::len), Some(1));
    }
    // A slug under another project's ping key is not found.
    assert_eq!(worker.get(&format!("/ping/{}/beta", first.ping_key)).status, 404);

    // One sweep goes through both databases: every check goes down and alerts once.
    worker.run_sweep(pinged + 130_000);
    let requests = receiver.wait_for(3, WAIT);
    let mut paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    paths.sort();
    assert_eq!(paths, ["/alpha", "/beta", "/gamma"]);
    for (project, check) in &checks {
        assert_eq!(worker.check(project, check["uuid"].as_str().expect("uuid"))["status"], "down");
    }
    worker.run_sweep(pinged + 190_000);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(receiver.requests().len(), 3, "each alert once");

    // /health answers for the deployment and names each database.
    let auth = format!("Bearer {}", support::ADMIN_TOKEN);
    let health = worker.request("GET", "/health", &[("Authorization", &auth)], b"").json();
    assert_eq!(health["databases"].as_array().map(Vec::len), Some(2), "{health}");

    // So does the operator's /metrics, each database by its label.
    let metrics = worker.request("GET", "/metrics", &[("Authorization", &auth)], b"");
    assert_eq!(metrics.status, 200, "{}", metrics.text());
    let text = metrics.text();
    let swept = format!("{}", (pinged + 190_000) / 1000);
    for line in [
        "edgebeat_databases 2".to_owned(),
        r#"edgebeat_database_up{database="0"} 1"#.to_owned(),
        r#"edgebeat_database_up{database="1"} 1"#.to_owned(),
        r#"edgebeat_database_projects{database="0"} 1"#.to_owned(),
        r#"edgebeat_database_projects{database="1"} 2"#.to_owned(),
        format!(r#"edgebeat_database_last_sweep_timestamp_seconds{{database="0"}} {swept}"#),
        format!(r#"edgebeat_database_last_sweep_timestamp_seconds{{database="1"}} {swept}"#),
    ] {
        assert!(text.lines().any(|l| l.starts_with(&line)), "no `{line}` in:\n{text}");
    }
    assert_eq!(worker.get("/metrics").status, 401, "the operator's only");
}

#[test]
fn a_check_made_before_sharding_keeps_answering() {
    let receiver = Receiver::start();
    let worker = Worker::start_databases(1, &[]);
    let old = worker.create_project("before");
    let check = watched_check(&worker, &old, &receiver, "legacy");
    let uuid = check["uuid"].as_str().expect("uuid").to_owned();
    assert_eq!(worker.get(&path_of(&check["ping_url"])).status, 200);

    // The operator binds a second database and redeploys.
    let worker = worker.restart_with_databases(2, &[]);
    assert_eq!(worker.get(&format!("/ping/{uuid}")).status, 200, "by UUID");
    assert_eq!(worker.get(&format!("/ping/{}/legacy/start", old.ping_key)).status, 200, "by slug");
    assert_eq!(worker.get(&format!("/ping/{}/legacy", old.ping_key)).status, 200);
    assert_eq!(worker.pings(&old, &uuid).len(), 4);
    assert_eq!(worker.check(&old, &uuid)["status"], "up");
    let readonly = worker.api(&old.api_key_readonly, "GET", "/api/v3/checks/", None);
    assert_eq!(readonly.status, 200, "{}", readonly.text());
    // Its badge and the project's metrics too, at the URLs handed out before.
    let badge = worker.get(&path_of(&check["badge_url"]));
    assert_eq!(badge.status, 200, "{}", badge.text());
    assert!(badge.text().contains("<svg"), "{}", badge.text());
    let metrics = worker.get(&format!("/projects/{}/metrics/{}", old.id, old.api_key_readonly));
    assert_eq!(metrics.status, 200, "{}", metrics.text());
    assert!(metrics.text().contains(r#"hc_check_up{name="legacy""#), "{}", metrics.text());

    // New projects go to the new, empty database and work beside the old one.
    let new = worker.create_project("after");
    assert_eq!(database_of(&worker, &new), 1);
    assert_eq!(database_of(&worker, &old), 0);
    let fresh = watched_check(&worker, &new, &receiver, "fresh");
    assert_eq!(worker.get(&path_of(&fresh["ping_url"])).status, 200);
    let pinged = now_ms();
    worker.run_sweep(pinged + 130_000);
    let requests = receiver.wait_for(2, WAIT);
    let mut paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    paths.sort();
    assert_eq!(paths, ["/fresh", "/legacy"]);
}
