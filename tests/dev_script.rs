//! `make dev` on another port: scripts/dev.sh started with `PORT=<free port>`
//! (and a secrets file it creates from .dev.vars.example, as on a first run)
//! serves there, and every URL edgebeat hands out names that port: the
//! project's slug ping URL, a check's ping and badge URLs, the badges list and
//! the link in an alert. Stopping the script stops everything it started.
//!
//! The script gets its own throw-away D1 directory and secrets file
//! (EDGEBEAT_DEV_STATE, EDGEBEAT_DEV_VARS), so a developer's local database and
//! .dev.vars are never touched or read.

mod support;

use serde_json::{json, Value};
use std::fs;
use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};
use support::http::{request, HttpResponse};
use support::worker::{background, free_port, stop_group};
use support::Receiver;

const STARTUP_TIMEOUT: Duration = Duration::from_secs(180);

fn is_edgebeat_health(response: &HttpResponse) -> bool {
    serde_json::from_slice::<Value>(&response.body).is_ok_and(|body| body.get("behind_seconds").is_some())
}

/// Every string in a JSON value that looks like a URL.
fn urls_in(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::String(s) if s.starts_with("http://") || s.starts_with("https://") => found.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| urls_in(v, found)),
        Value::Object(fields) => fields.values().for_each(|v| urls_in(v, found)),
        _ => {}
    }
}

#[test]
fn make_dev_on_another_port_hands_out_urls_on_that_port() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let dir = std::env::temp_dir().join(format!("edgebeat-dev-script-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create a scratch directory");
    let vars = dir.join("dev.vars");
    let log_path = dir.join("dev.log");
    let log = fs::File::create(&log_path).expect("create the log");

    let mut command = Command::new("bash");
    command
        .arg("scripts/dev.sh")
        .current_dir(root)
        .env("PORT", port.to_string())
        .env("EDGEBEAT_DEV_VARS", &vars)
        .env("EDGEBEAT_DEV_STATE", dir.join("state"))
        .env_remove("PUBLIC_URL");
    // If this test process dies, take the script (and what it started) down with it.
    background(&mut command, log, libc::SIGTERM);
    let mut child = command.spawn().expect("start scripts/dev.sh");
    let dev_log = || fs::read_to_string(&log_path).unwrap_or_default();

    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        if request(port, "GET", "/health", &[], b"").is_ok_and(|r| is_edgebeat_health(&r)) {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("scripts/dev.sh exited with {status}:\n{}", dev_log());
        }
        if Instant::now() > deadline {
            stop_group(&mut child, Duration::from_secs(5));
            panic!("scripts/dev.sh did not serve on {base} within {STARTUP_TIMEOUT:?}:\n{}", dev_log());
        }
        thread::sleep(Duration::from_millis(200));
    }

    let outcome = std::panic::catch_unwind(|| {
        let secrets = fs::read_to_string(&vars).expect("dev.sh created the secrets file from .dev.vars.example");
        let admin_token = secrets
            .lines()
            .find_map(|line| line.strip_prefix("ADMIN_TOKEN="))
            .expect("an ADMIN_TOKEN in .dev.vars.example")
            .to_owned();
        let call = |method: &str, path: &str, headers: &[(&str, &str)], body: Value| {
            let body = if body.is_null() { String::new() } else { body.to_string() };
            let response = request(port, method, path, headers, body.as_bytes())
                .unwrap_or_else(|e| panic!("{method} {path}: {e}\n{}", dev_log()));
            assert!(response.status < 300, "{method} {path}: {} {}", response.status, response.text());
            response.json()
        };
        let auth = format!("Bearer {admin_token}");
        let project = call("POST", "/api/v3/projects/", &[("Authorization", &auth)], json!({"name": "dev"}));
        let key = project["api_key"].as_str().expect("a read-write key").to_owned();
        let with_key = [("X-Api-Key", key.as_str())];

        let receiver = Receiver::start();
        call(
            "POST",
            "/api/v3/channels/",
            &with_key,
            json!({"kind": "webhook", "name": "local", "url": receiver.url("/hook")}),
        );
        let check = call(
            "POST",
            "/api/v3/checks/",
            &with_key,
            json!({"name": "nightly-backup", "timeout": 86400, "grace": 3600, "channels": "*"}),
        );
        let badges = call("GET", "/api/v3/badges/", &with_key, Value::Null);

        let mut urls = Vec::new();
        for value in [&project, &check, &badges] {
            urls_in(value, &mut urls);
        }
        for field in ["ping_url", "badge_url"] {
            assert!(check[field].is_string(), "the check has a {field}: {check}");
        }
        assert!(urls.len() >= 4, "URLs handed out: {urls:?}");
        for url in &urls {
            assert!(url.starts_with(&format!("{base}/")), "{url} does not name {base}");
        }

        // An alert's link: a failing ping flips the check and notifies the webhook.
        let ping = check["ping_url"].as_str().expect("a ping URL");
        let ping_path = &ping[base.len()..];
        let failed = request(port, "GET", &format!("{ping_path}/fail"), &[], b"").expect("ping /fail");
        assert_eq!(failed.status, 200, "{}", failed.text());
        let delivered = receiver.wait_for(1, Duration::from_secs(60));
        let alert = delivered[0].json();
        let link = alert["check"]["url"].as_str().unwrap_or_else(|| panic!("no check link in {alert}"));
        assert!(link.starts_with(&format!("{base}/")), "the alert links to {link}, not to {base}");

        // What the script printed for the newcomer names the same port, and
        // says that its ticker sweeps although wrangler warns that nothing
        // scheduled runs locally. (The script prints it after its first
        // sweep, which can finish after the requests above: wait for it.)
        let running = format!("edgebeat is running on {base}");
        let printed = Instant::now() + Duration::from_secs(60);
        while !dev_log().contains(&running) && Instant::now() < printed {
            thread::sleep(Duration::from_millis(200));
        }
        let log = dev_log();
        assert!(log.contains(&running), "{log}");
        assert!(log.contains("this script's ticker fires the sweep at every minute boundary"), "{log}");
        // A first run applies every migration with one line, not wrangler's
        // table reprinted after each migration.
        assert!(log.contains("dev: migrations applied to the local D1\n"), "{log}");
        assert!(!log.contains("Migrations to be applied"), "{log}");
    });

    // Ctrl-C's path: the script's trap stops wrangler and the ticker.
    stop_group(&mut child, Duration::from_secs(10));
    let stopped = Instant::now() + Duration::from_secs(10);
    while request(port, "GET", "/health", &[], b"").is_ok() && Instant::now() < stopped {
        thread::sleep(Duration::from_millis(200));
    }
    assert!(
        request(port, "GET", "/health", &[], b"").is_err(),
        "something still serves {base} after the script stopped"
    );
    let _ = fs::remove_dir_all(&dir);
    if let Err(panic) = outcome {
        eprintln!("--- scripts/dev.sh log ---\n{}", dev_log());
        std::panic::resume_unwind(panic);
    }
}
