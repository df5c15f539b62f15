//! The OpenAPI document against the real Worker: it is served as committed,
//! every documented operation is a live route that answers a documented
//! status, and schemathesis fuzzes the management API with it.

mod support;

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};
use support::{now_ms, path_of, Project, Receiver, Worker, ADMIN_TOKEN};

const METHODS: [&str; 5] = ["get", "head", "post", "put", "delete"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn committed() -> Vec<u8> {
    fs::read(root().join("openapi.json")).expect("read openapi.json")
}

fn doc() -> Value {
    serde_json::from_slice(&committed()).expect("openapi.json is JSON")
}

/// Follows a local `$ref`.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => resolve(doc, doc.pointer(&reference[1..]).expect("a resolvable $ref")),
        None => value,
    }
}

#[test]
fn the_served_document_is_the_committed_file() {
    let worker = Worker::start();
    // No key: the document is public.
    let response = worker.get("/api/v3/openapi.json");
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.header("access-control-allow-origin"), Some("*"));
    assert!(
        response.body == committed(),
        "the Worker serves another openapi.json than the committed one: the build in build/ is older than the \
         file (scripts/build.sh only watches src/, Cargo.toml and Cargo.lock); run `scripts/build.sh --force`"
    );
    // Only GET: other methods get the API's usual answers.
    assert_eq!(worker.request("POST", "/api/v3/openapi.json", &[], b"{}").status, 405);
    assert_eq!(worker.request("OPTIONS", "/api/v3/openapi.json", &[], b"").status, 204);
}

/// Everything the walk over the document needs: a project with a check that
/// has a ping with a body, a channel that delivers to a local receiver, a
/// status page, and the badge URLs.
struct Fixture {
    worker: Worker,
    project: Project,
    /// Another project, with a member: the operations that manage a
    /// project (members, new keys, deletion) act on it, so that the rest
    /// keep their keys and their project.
    managed: String,
    uuid: String,
    slug: String,
    receiver: Receiver,
    values: BTreeMap<&'static str, String>,
}

fn fixture() -> Fixture {
    let worker = Worker::start();
    let receiver = Receiver::start();
    let project = worker.create_project("documented");
    let slug = "nightly-backup".to_owned();
    let check = worker.create_check(
        &project,
        json!({"name": "nightly backup", "slug": slug, "tags": "prod db", "timeout": 3600, "grace": 60}),
    );
    let uuid = check["uuid"].as_str().unwrap().to_owned();
    assert_eq!(worker.post(&path_of(&check["ping_url"]), b"backup done").status, 200);
    let channel = worker.api(
        &project.api_key,
        "POST",
        "/api/v3/channels/",
        Some(&json!({"kind": "webhook", "name": "hook", "url": receiver.url("/hook")})),
    );
    assert_eq!(channel.status, 201, "{}", channel.text());
    let channel = channel.json()["id"].as_str().unwrap().to_owned();
    let window = worker.api(
        &project.api_key,
        "POST",
        "/api/v3/maintenance/",
        Some(&json!({"name": "weekly", "schedule": "0 3 * * 0", "tz": "Europe/Riga", "duration": 7200, "tags": "db"})),
    );
    assert_eq!(window.status, 201, "{}", window.text());
    let window = window.json()["id"].as_str().unwrap().to_owned();
    let page = worker.api(
        &project.api_key,
        "POST",
        "/api/v3/status-pages/",
        Some(&json!({"slug": "documented", "title": "Documented", "tags": "prod"})),
    );
    assert_eq!(page.status, 201, "{}", page.text());
    // /health answers 200 once a sweep has run.
    worker.run_sweep(now_ms() / 60_000 * 60_000);

    // Badge URLs: /badge/<key>/<sig>.<fmt>, /badge/<key>/<sig>/<tag>.<fmt>, /b/<states>/<key>.<fmt>.
    let badges = worker.api(&project.api_key_readonly, "GET", "/api/v3/badges/", None);
    assert_eq!(badges.status, 200, "{}", badges.text());
    let badges = badges.json();
    let all = path_of(&badges["badges"]["*"]["svg3"]);
    let tagged = path_of(&badges["badges"]["prod"]["json"]);
    let all: Vec<&str> = all.trim_start_matches("/badge/").split('/').collect();
    let tagged: Vec<&str> = tagged.trim_start_matches("/badge/").split('/').collect();
    let check_badge = path_of(&check["badge_url"]);
    let check_badge: Vec<&str> = check_badge.trim_start_matches("/b/").split('/').collect();
    assert_eq!((all.len(), tagged.len(), check_badge.len()), (2, 3, 2), "badge URL shapes");
    let (signature, _) = all[1].split_once('.').unwrap();
    let (tag, _) = tagged[2].split_once('.').unwrap();
    let tag_signature = tagged[1].to_owned();
    let (check_badge_key, _) = check_badge[1].split_once('.').unwrap();

    let values = BTreeMap::from([
        ("uuid", uuid.clone()),
        ("check", uuid.clone()),
        ("n", "1".to_owned()),
        ("channel_id", channel),
        ("window_id", window),
        ("ping_key", project.ping_key.clone()),
        ("slug", slug.clone()),
        ("signal", "log".to_owned()),
        ("badge_key", all[0].to_owned()),
        ("signature", signature.to_owned()),
        ("tag", tag.to_owned()),
        // Each tag's badges have their own signature.
        ("tag_signature", tag_signature),
        ("format", "svg".to_owned()),
        ("states", check_badge[0].to_owned()),
        ("check_badge_key", check_badge_key.to_owned()),
        ("project_id", project.id.clone()),
        ("key", project.api_key_readonly.clone()),
        ("email", "member%40example.com".to_owned()),
        ("page_slug", "documented".to_owned()),
    ]);
    let managed = worker.create_project("managed").id;
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let member = worker.request(
        "POST",
        &format!("/api/v3/projects/{managed}/members/"),
        &[("Authorization", &auth)],
        br#"{"email": "member@example.com", "role": "member"}"#,
    );
    assert_eq!(member.status, 201, "{}", member.text());
    Fixture { worker, project, managed, uuid, slug, receiver, values }
}

/// The concrete paths that exercise a documented path: every placeholder
/// filled with a real value (both readings of the shared ping shape).
fn concrete_paths(fixture: &Fixture, path: &str) -> Vec<String> {
    if path == "/ping/{uuid_or_ping_key}/{signal_or_slug}" {
        return vec![
            format!("/ping/{}/start", fixture.uuid),
            format!("/ping/{}/{}", fixture.project.ping_key, fixture.slug),
        ];
    }
    let mut concrete = path.replace("{signature}/{tag}", "{tag_signature}/{tag}");
    while let Some(start) = concrete.find('{') {
        let end = start + concrete[start..].find('}').expect("a closing brace");
        let name = &concrete[start + 1..end];
        let value = fixture.values.get(name).unwrap_or_else(|| panic!("no value for {{{name}}} in {path}"));
        concrete.replace_range(start..=end, value);
    }
    vec![concrete]
}

/// The headers that authenticate an operation, by its security requirement.
fn auth_headers(doc: &Value, operation: &Value, project: &Project) -> Vec<(&'static str, String)> {
    let security = operation.get("security").unwrap_or(&doc["security"]);
    let scheme = security.as_array().and_then(|s| s.first()).and_then(|r| r.as_object()?.keys().next().cloned());
    match scheme.as_deref() {
        None => vec![],
        Some("AdminBearer") => vec![("Authorization", format!("Bearer {ADMIN_TOKEN}"))],
        Some("MetricsBearer") => vec![("Authorization", format!("Bearer {}", project.api_key_readonly))],
        Some("ApiKeyHeader") => vec![("X-Api-Key", project.api_key.clone())],
        Some(other) => panic!("unknown security scheme {other}"),
    }
}

/// A valid body for each operation that takes one.
fn body_for(operation_id: &str, fixture: &Fixture) -> Vec<u8> {
    let body = match operation_id {
        "createProject" => json!({"name": "second"}),
        "createCheck" => json!({"name": "another", "schedule": "30 6 * * 1-5", "tz": "Europe/Riga"}),
        "updateCheck" => json!({"desc": "documented"}),
        "createChannel" => json!({"kind": "slack", "url": fixture.receiver.url("/slack")}),
        "updateChannel" => json!({"name": "renamed"}),
        // A watchdog alert as Alertmanager's webhook sends it: creates its check (201).
        "alertmanagerWebhook" => json!({
            "version": "4",
            "status": "firing",
            "receiver": "edgebeat",
            "groupKey": "{}:{alertname=\"Watchdog\"}",
            "alerts": [{"status": "firing", "labels": {"alertname": "Watchdog", "cluster": "documented"}}],
        }),
        "createMaintenance" | "updateMaintenance" => {
            json!({"start": "2027-01-01T00:00:00Z", "end": "2027-01-01T02:00:00Z", "checks": [fixture.uuid]})
        }
        "snoozeCheck" => json!({"seconds": 600}),
        "saveMember" => json!({"email": "another@example.com", "role": "viewer"}),
        "createStatusPage" => json!({"slug": "another-page", "title": "Another", "tags": "db"}),
        "updateStatusPage" => json!({"title": "Renamed", "checks": [fixture.uuid]}),
        id if id.starts_with("ping") => return b"job output".to_vec(),
        _ => return Vec::new(),
    };
    body.to_string().into_bytes()
}

#[test]
fn every_documented_operation_is_a_live_route_with_a_documented_answer() {
    let doc = doc();
    let fixture = fixture();
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                operations.push((path.clone(), method, operation));
            }
        }
    }
    // Deletes last, so that everything else finds what it needs; pause
    // comes before resume in path order.
    // A DELETE to a ping URL is a ping, not a deletion: it runs with the others.
    // The check itself is deleted last of all (its snooze is ended before).
    operations.sort_by_key(|(path, method, _)| {
        let deletion = *method == "delete" && !path.starts_with("/ping/");
        // So is the managed project, after its member.
        let last = path == "/api/v3/checks/{check}" || path == "/api/v3/projects/{project_id}";
        (deletion, deletion && last, path.clone())
    });

    let mut problems = Vec::new();
    let mut requests = 0;
    for (path, method, operation) in &operations {
        let operation_id = operation["operationId"].as_str().unwrap();
        let responses = operation["responses"].as_object().unwrap();
        let headers = auth_headers(&doc, operation, &fixture.project);
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let body = if *method == "post" { body_for(operation_id, &fixture) } else { Vec::new() };
        for concrete in concrete_paths(&fixture, path) {
            // A job's snooze says for how long in the query.
            // A schedule preview needs the schedule to preview.
            let concrete = match operation_id {
                id if id.starts_with("snoozeBy") => format!("{concrete}?seconds=60"),
                "previewSchedule" => format!("{concrete}?schedule=30%206%20*%20*%201-5&tz=Europe/Riga"),
                "listMembers" | "saveMember" | "removeMember" | "replaceKeys" | "deleteProject" => {
                    concrete.replace(&fixture.project.id, &fixture.managed)
                }
                _ => concrete,
            };
            let verb = method.to_ascii_uppercase();
            let response = fixture.worker.request(&verb, &concrete, &headers, &body);
            requests += 1;
            let status = response.status.to_string();
            let what = format!("{verb} {concrete} ({operation_id})");
            let Some(documented) = responses.get(&status) else {
                problems.push(format!("{what}: status {status} is not documented: {}", response.text()));
                continue;
            };
            if response.status >= 400 {
                problems.push(format!("{what}: {status} with real ids and a valid key: {}", response.text()));
                continue;
            }
            let documented = resolve(&doc, documented);
            if let (Some(content), false) = (documented.get("content").and_then(Value::as_object), *method == "head") {
                let content_type = response.header("content-type").unwrap_or_default();
                if !content.keys().any(|t| t == content_type || t == "*/*") {
                    problems.push(format!(
                        "{what}: Content-Type {content_type:?}, documented: {:?}",
                        content.keys().collect::<Vec<_>>()
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {requests} requests disagree with openapi.json:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(operations.len() >= 30, "only {} operations in the document", operations.len());
    // The channel test really went out, to the local receiver.
    let delivered = fixture.receiver.wait_for(1, Duration::from_secs(10));
    assert_eq!(delivered[0].path, "/hook");
}

/// The custom schemathesis check: an error answer must be a JSON object with
/// an `error` string, whatever the document says about it.
const HOOKS: &str = r#"
import json

import schemathesis


@schemathesis.check
def error_is_json_with_error_string(ctx, response, case):
    """Every 4xx/5xx answer of the management API is a JSON object with an `error` string."""
    if response.status_code < 400:
        return None
    content_type = ", ".join(response.headers.get("content-type", []))
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise AssertionError(f"{response.status_code} answer with Content-Type {content_type!r}, not application/json")
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"{response.status_code} answer is not JSON: {response.content[:300]!r}") from None
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        raise AssertionError(f"{response.status_code} answer has no string `error`: {body!r}")
    return None
"#;

/// The pinned schemathesis that scripts/setup.sh installs.
fn schemathesis() -> PathBuf {
    let bin = root().join(".tools/venv/bin/schemathesis");
    assert!(
        bin.is_file(),
        "schemathesis is not installed at {}: run `make test` (or `scripts/setup.sh`), which installs it into \
         .tools/venv",
        bin.display()
    );
    bin
}

/// Checks per operation in the fuzzing and stateful phases: with the coverage
/// phase this keeps the run near a minute on 2 cores.
const MAX_EXAMPLES: &str = "50";
const FUZZ_TIMEOUT: Duration = Duration::from_secs(600);

#[test]
fn schemathesis_finds_no_problem_in_the_management_api() {
    let bin = schemathesis();
    let worker = Worker::start();
    let project = worker.create_project("fuzzed");
    // Something to read: a check with pings, and a channel (to a closed local
    // port: nothing in this run sends alerts, and nothing may leave the machine).
    let check = worker.create_check(&project, json!({"name": "fuzzed", "tags": "prod", "timeout": 60, "grace": 60}));
    assert_eq!(worker.post(&path_of(&check["ping_url"]), b"output").status, 200);
    let channel = json!({"kind": "webhook", "url": "http://127.0.0.1:9/discard"});
    assert_eq!(worker.api(&project.api_key, "POST", "/api/v3/channels/", Some(&channel)).status, 201);

    let scratch = std::env::temp_dir().join(format!("edgebeat-schemathesis-{}", std::process::id()));
    let _ = fs::remove_dir_all(&scratch);
    fs::create_dir_all(&scratch).expect("create the scratch directory");
    let hooks = scratch.join("edgebeat_hooks.py");
    fs::write(&hooks, HOOKS).expect("write the hooks");
    let log_path = scratch.join("schemathesis.log");
    let log = fs::File::create(&log_path).expect("create the log");

    let schema_url = format!("http://127.0.0.1:{}/api/v3/openapi.json", worker.port);
    let key_header = format!("X-Api-Key: {}", project.api_key);
    let args = [
        "run",
        &schema_url,
        "--header",
        &key_header,
        // The management API. Not the admin API (another key), nor the
        // channel test (it sends a request out), nor pings, badges and
        // metrics (not JSON APIs).
        "--include-path-regex",
        "^/api/v3/",
        "--exclude-path-regex",
        r"^/api/v3/projects/|^/api/v3/channels/\{channel_id\}/test$",
        "--checks",
        "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,\
         error_is_json_with_error_string",
        "--max-examples",
        MAX_EXAMPLES,
        "--seed",
        "20261128",
        // One worker: the order of requests is reproducible, and Hypothesis
        // in threads can trip CPython 3.11's AST recursion-depth check
        // ("AST constructor recursion depth mismatch", cpython#106905).
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--no-color",
    ];
    let started = Instant::now();
    let mut child = Command::new(&bin)
        .args(args)
        .current_dir(&scratch)
        .env("SCHEMATHESIS_HOOKS", &hooks)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("clone the log"))
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("run {}: {e}", bin.display()));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for schemathesis") {
            break Some(status);
        }
        if started.elapsed() > FUZZ_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(200));
    };
    let report = fs::read_to_string(&log_path).unwrap_or_default();
    let _ = fs::remove_dir_all(&scratch);
    println!(
        "schemathesis {} (in {:.0?}):\n{report}",
        args.join(" ").replace(&project.api_key, "<key>"),
        started.elapsed()
    );
    match status {
        None => panic!("schemathesis did not finish within {FUZZ_TIMEOUT:?}:\n{report}"),
        Some(status) => assert!(status.success(), "schemathesis found problems ({status}):\n{report}"),
    }
}
