//! A real third-party healthchecks.io client against edgebeat: the
//! `healthchecks-io` package from PyPI (pinned by scripts/setup.sh, installed
//! into .tools/venv), driven by tests/client/healthchecks_client.py through
//! every management and ping method of its sync Client, its AsyncClient and
//! its CheckTrap, with its default API version (v1). The script checks each
//! result; this test starts the Worker, runs it, and checks from the server's
//! side what the client did.

mod support;

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use support::Worker;

/// The healthchecks-io version scripts/setup.sh installs.
const CLIENT_VERSION: &str = "0.4.4";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> PathBuf {
    let python = root().join(".tools/venv/bin/python");
    let installed = Command::new(&python)
        .args(["-c", "from importlib.metadata import version; print(version('healthchecks-io'))"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    assert_eq!(
        installed.as_deref(),
        Some(CLIENT_VERSION),
        "healthchecks-io {CLIENT_VERSION} is not installed in .tools/venv: run `make test` (or `scripts/setup.sh`)"
    );
    python
}

#[test]
fn the_healthchecks_io_python_client_works_against_edgebeat() {
    let python = python();
    let worker = Worker::start();
    let project = worker.create_project("py-healthchecks.io");
    // One channel, for get_integrations (a closed local port: no check is linked to it).
    let channel = json!({"kind": "webhook", "name": "ops hook", "url": "http://127.0.0.1:9/discard"});
    assert_eq!(worker.api(&project.api_key, "POST", "/api/v3/channels/", Some(&channel)).status, 201);

    let base = format!("http://127.0.0.1:{}", worker.port);
    let output = Command::new(&python)
        .arg(root().join("tests/client/healthchecks_client.py"))
        .args([&base, &project.api_key, &project.api_key_readonly, &project.ping_key])
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", python.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the client script failed:\n{stdout}\n{stderr}\n{}", worker.log());
    let report: Value = serde_json::from_str(stdout.trim().lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("no JSON report ({e}):\n{stdout}\n{stderr}"));

    // Every method of the client was called.
    for method in [
        "create_check",
        "get_checks",
        "get_check",
        "update_check",
        "pause_check",
        "delete_check",
        "get_check_pings",
        "get_check_flips",
        "get_integrations",
        "get_badges",
        "success_ping",
        "start_ping",
        "fail_ping",
        "exit_code_ping",
        "CheckTrap",
        "AsyncClient",
        "errors",
    ] {
        assert!(report["called"].get(method).is_some(), "{method} was not called: {report}");
    }
    // The one method that fails against healthchecks.io too (docs/healthchecks.md: "What differs").
    let bugs: Vec<&str> =
        report["client_bugs"].as_array().unwrap().iter().filter_map(|b| b["method"].as_str()).collect();
    assert_eq!(bugs, ["get_check_flips", "AsyncClient.get_check_flips"]);

    // From the server's side: the check the client made through v1 has the slug
    // v1 derived from its last name, and the pings it sent.
    let backup = report["backup"].as_str().unwrap();
    let shown = worker.api(&project.api_key, "GET", &format!("/api/v3/checks/{backup}"), None).json();
    assert_eq!(
        (shown["name"].as_str(), shown["slug"].as_str(), shown["status"].as_str()),
        (Some("Nightly DB Backup"), Some("nightly-db-backup"), Some("paused"))
    );
    assert_eq!(shown["n_pings"], 10);
    let pings = worker.api(&project.api_key, "GET", &format!("/api/v3/checks/{backup}/pings/"), None).json();
    let last = &pings["pings"][0];
    assert_eq!((last["type"].as_str(), last["ua"].as_str()), (Some("fail"), Some("py-healthchecks.io/0.4.4")));
    let body = worker.api(&project.api_key, "GET", &format!("/api/v3/checks/{backup}/pings/10/body"), None);
    assert!(body.text().starts_with("backup exploded\n"), "CheckTrap sent the exception: {}", body.text());
    // The async client deleted its check; the cron check and the upserted one remain.
    let listed = worker.api(&project.api_key, "GET", "/api/v3/checks/", None).json();
    let names: Vec<&str> = listed["checks"].as_array().unwrap().iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, ["Nightly DB Backup", "Weekday Report"]);
}
