//! The `edgebeat` binary against the real Worker under `wrangler dev`: what
//! `run` pings (read back through the pings API), what `sync` and `k8s-sync`
//! change, and `status`'s exit codes.

#[path = "../../tests/support/mod.rs"]
mod support;

use serde_json::{json, Value};
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};
use support::{Project, Worker};

const BIN: &str = env!("CARGO_BIN_EXE_edgebeat");

/// The binary with only the configuration given (none from the environment running the tests).
fn edgebeat(env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove("EDGEBEAT_URL")
        .env_remove("EDGEBEAT_API_KEY")
        .env_remove("EDGEBEAT_PING_KEY")
        .env_remove("EDGEBEAT_PING_BUDGET")
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    command
}

fn output(mut command: Command) -> Output {
    command.output().expect("run edgebeat")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn config(worker: &Worker, project: &Project) -> Vec<(&'static str, String)> {
    vec![
        ("EDGEBEAT_URL", format!("http://127.0.0.1:{}", worker.port)),
        ("EDGEBEAT_API_KEY", project.api_key.clone()),
        ("EDGEBEAT_PING_KEY", project.ping_key.clone()),
    ]
}

fn env_refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// A ping's stored body, through its `body_url`.
fn ping_body(worker: &Worker, project: &Project, ping: &Value) -> String {
    let path = support::path_of(&ping["body_url"]);
    let response = worker.api(&project.api_key, "GET", &path, None);
    assert_eq!(response.status, 200, "{path}: {}", response.text());
    response.text()
}

/// The newest two pings (the start and the finish of the last run), checked to be a pair.
fn last_run(worker: &Worker, project: &Project, uuid: &str) -> (Value, Value) {
    let pings = worker.pings(project, uuid);
    assert!(pings.len() >= 2, "{pings:?}");
    let (finish, start) = (pings[0].clone(), pings[1].clone());
    assert_eq!(start["type"], "start", "{pings:?}");
    let rid = start["rid"].as_str().unwrap_or_else(|| panic!("no rid: {start}"));
    assert_eq!(rid.len(), 36, "{start}");
    assert_eq!(finish["rid"], rid, "the finish carries the start's run id");
    (start, finish)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("edgebeat-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write file");
    path.display().to_string()
}

fn wait_for_pings(worker: &Worker, project: &Project, uuid: &str, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while worker.pings(project, uuid).len() < count {
        assert!(Instant::now() < deadline, "no start ping arrived");
        thread::sleep(Duration::from_millis(100));
    }
}

fn wait_with_deadline(child: &mut Child, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("edgebeat run did not finish within {limit:?}");
        }
        thread::sleep(Duration::from_millis(50));
    }
    let mut out = Vec::new();
    let mut err = Vec::new();
    use std::io::Read;
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_end(&mut out);
    }
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_end(&mut err);
    }
    let status = child.wait().expect("status");
    Output { status, stdout: out, stderr: err }
}

#[test]
fn run_reports_start_status_and_output_tail() {
    let worker = Worker::start_with(&[("PING_BODY_LIMIT", "2000")]);
    let project = worker.create_project("run");
    let env = config(&worker, &project);
    let env = env_refs(&env);
    let check = worker.create_check(&project, json!({"name": "job", "timeout": 3600, "grace": 60}));
    let uuid = check["uuid"].as_str().unwrap().to_owned();

    // Success: output passes through unchanged and lands in the body, after a start with a run id.
    let out = output(edgebeat(&env, &["run", &uuid, "--", "sh", "-c", "echo hello; echo oops >&2"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "hello\n");
    assert_eq!(text(&out.stderr), "oops\n");
    let (_, finish) = last_run(&worker, &project, &uuid);
    assert_eq!(finish["type"], "success");
    assert_eq!(finish["exitstatus"], 0);
    let body = ping_body(&worker, &project, &finish);
    assert!(body.contains("hello\n") && body.contains("oops\n"), "{body}");
    assert!(body.contains("[edgebeat: exit status 0 after"), "{body}");
    assert_eq!(worker.check(&project, &uuid)["status"], "up");
    let first_rid = finish["rid"].clone();

    // Failure: the status is kept, reported, and the check goes down.
    let out = output(edgebeat(&env, &["run", &uuid, "--", "sh", "-c", "echo failing; exit 3"]));
    assert_eq!(out.status.code(), Some(3));
    let (_, finish) = last_run(&worker, &project, &uuid);
    assert_eq!((finish["type"].as_str(), finish["exitstatus"].as_i64()), (Some("fail"), Some(3)));
    assert_ne!(finish["rid"], first_rid, "every run has its own run id");
    assert!(ping_body(&worker, &project, &finish).starts_with("failing\n[edgebeat: exit status 3"));
    assert_eq!(worker.check(&project, &uuid)["status"], "down");

    // Long output: all of it passes through, the body is its tail within the server's limit.
    let out = output(edgebeat(&env, &["run", &uuid, "--", "seq", "1", "200000"]));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout).lines().count(), 200_000);
    let (_, finish) = last_run(&worker, &project, &uuid);
    let body = ping_body(&worker, &project, &finish);
    assert!(body.len() <= 2000, "{} bytes", body.len());
    assert!(body.len() > 1500, "the tail fills the limit: {} bytes", body.len());
    assert!(body.starts_with("[edgebeat: ") && body.contains("earlier bytes of output cut]\n"), "{body}");
    assert!(body.contains("199999\n200000\n[edgebeat: exit status 0"), "{body}");
    assert_eq!(worker.check(&project, &uuid)["status"], "up");

    // A command that does not exist: 127, reported.
    let out = output(edgebeat(&env, &["run", &uuid, "--", "/nonexistent/command"]));
    assert_eq!(out.status.code(), Some(127));
    assert!(text(&out.stderr).contains("cannot run"), "{}", text(&out.stderr));
    assert_eq!(worker.pings(&project, &uuid)[0]["exitstatus"], 127);

    // By slug, with the ping key, creating the check.
    let out = output(edgebeat(&env, &["run", "made-by-run", "--create", "--", "true"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let listed = worker.api(&project.api_key, "GET", "/api/v3/checks/?slug=made-by-run", None).json();
    let made = listed["checks"][0]["uuid"].as_str().expect("the slug check was created").to_owned();
    let (_, finish) = last_run(&worker, &project, &made);
    assert_eq!(finish["type"], "success");
    // Without --create an unknown slug is refused, reported, and the command's status kept.
    let out = output(edgebeat(&env, &["run", "no-such-check", "--", "sh", "-c", "exit 4"]));
    assert_eq!(out.status.code(), Some(4));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("could not report exit status 4 for no-such-check: the server answered 404"),
        "says what happened in plain words: {stderr}"
    );
    assert!(!stderr.contains("the 4 ping"), "{stderr}");
}

#[test]
fn run_keeps_the_order_in_which_lines_were_written() {
    let worker = Worker::start();
    let project = worker.create_project("order");
    let env = config(&worker, &project);
    let env = env_refs(&env);
    let check = worker.create_check(&project, json!({"name": "interleaved", "timeout": 3600, "grace": 60}));
    let uuid = check["uuid"].as_str().unwrap().to_owned();
    // Lines alternate between stdout and stderr; sh's echo writes (flushes) each line at once.
    let script = "for i in $(seq 1 100); do echo out$i; echo err$i >&2; done";
    let expected: String = (1..=100).map(|i| format!("out{i}\nerr{i}\n")).collect();

    // Our stdout and stderr are one log (as `>log 2>&1`, a terminal, cron's mail): the log and the body keep the order.
    let (mut log, writer) = std::io::pipe().expect("a pipe");
    let mut command = edgebeat(&env, &["run", &uuid, "--", "sh", "-c", script]);
    command.stdout(writer.try_clone().expect("clone the pipe")).stderr(writer);
    let mut child = command.spawn().expect("spawn edgebeat");
    drop(command);
    let mut shown = String::new();
    std::io::Read::read_to_string(&mut log, &mut shown).expect("read the log");
    assert_eq!(child.wait().expect("wait").code(), Some(0));
    assert_eq!(shown, expected, "the log keeps the order");
    let (_, finish) = last_run(&worker, &project, &uuid);
    let body = ping_body(&worker, &project, &finish);
    assert!(body.starts_with(&expected), "the ping body keeps the order:\n{body}");
    assert!(body.ends_with("]"), "{body}");

    // Apart, each stream still goes on to its own destination unchanged, and the body holds every line.
    let out = output(edgebeat(&env, &["run", &uuid, "--", "sh", "-c", script]));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), (1..=100).map(|i| format!("out{i}\n")).collect::<String>());
    assert_eq!(text(&out.stderr), (1..=100).map(|i| format!("err{i}\n")).collect::<String>());
    let (_, finish) = last_run(&worker, &project, &uuid);
    let body = ping_body(&worker, &project, &finish);
    let mut lines: Vec<&str> = body.lines().filter(|l| !l.starts_with('[')).collect();
    lines.sort_unstable();
    let mut all: Vec<String> = (1..=100).flat_map(|i| [format!("out{i}"), format!("err{i}")]).collect();
    all.sort_unstable();
    assert_eq!(lines, all);
}

/// Reads the child's stdout up to the line `line` (the command is then
/// running, past whatever it set up before printing it). What is read is
/// gone from what `wait_with_deadline` returns later.
fn read_through_line(child: &mut Child, line: &str) {
    use std::io::Read;
    let mut stdout = child.stdout.take().expect("a piped stdout");
    let (mut seen, mut byte, wanted) = (Vec::new(), [0u8], format!("{line}\n"));
    while !seen.ends_with(wanted.as_bytes()) {
        match stdout.read(&mut byte) {
            Ok(1) => seen.push(byte[0]),
            _ => panic!("stdout ended before {line:?}: {:?}", String::from_utf8_lossy(&seen)),
        }
    }
    child.stdout = Some(stdout);
}

#[test]
fn run_stops_runaway_and_signalled_commands() {
    let worker = Worker::start();
    let project = worker.create_project("signals");
    let env = config(&worker, &project);
    let env = env_refs(&env);
    let check = worker.create_check(&project, json!({"name": "stoppable", "timeout": 3600, "grace": 60}));
    let uuid = check["uuid"].as_str().unwrap().to_owned();

    // --timeout: SIGTERM to the command's process group, exit 124, a failure ping.
    let started = Instant::now();
    let out = output(edgebeat(&env, &["run", &uuid, "--timeout", "2s", "--", "sh", "-c", "echo started; sleep 60"]));
    assert_eq!(out.status.code(), Some(124), "{}", text(&out.stderr));
    assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());
    let (_, finish) = last_run(&worker, &project, &uuid);
    assert_eq!((finish["type"].as_str(), finish["exitstatus"].as_i64()), (Some("fail"), Some(124)));
    let body = ping_body(&worker, &project, &finish);
    assert!(body.starts_with("started\n") && body.contains("timed out after 2s"), "{body}");

    // A command that ignores SIGTERM is killed after --kill-after.
    let started = Instant::now();
    let script = "trap '' TERM; echo stubborn; sleep 60";
    let out =
        output(edgebeat(&env, &["run", &uuid, "--timeout", "1s", "--kill-after", "1s", "--", "sh", "-c", script]));
    assert_eq!(out.status.code(), Some(124));
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(text(&out.stderr).contains("killing it"), "{}", text(&out.stderr));
    assert_eq!(worker.pings(&project, &uuid)[0]["exitstatus"], 124);

    // SIGTERM to edgebeat reaches the command; the run is a failure with the signal's status.
    let pings_before = worker.pings(&project, &uuid).len();
    let mut child = edgebeat(&env, &["run", &uuid, "--", "sh", "-c", "echo working; sleep 60"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn edgebeat");
    wait_for_pings(&worker, &project, &uuid, pings_before + 1);
    read_through_line(&mut child, "working");
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = wait_with_deadline(&mut child, Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(143), "{}", text(&out.stderr));
    let (_, finish) = last_run(&worker, &project, &uuid);
    assert_eq!((finish["type"].as_str(), finish["exitstatus"].as_i64()), (Some("fail"), Some(143)));
    let body = ping_body(&worker, &project, &finish);
    assert!(body.contains("working\n") && body.contains("received SIGTERM"), "{body}");

    // A command that ignores the forwarded signal is killed after --kill-after, and the failure still reported.
    let pings_before = worker.pings(&project, &uuid).len();
    let script = "trap '' TERM; echo ready; sleep 60";
    let mut child = edgebeat(&env, &["run", &uuid, "--kill-after", "1s", "--", "sh", "-c", script])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn edgebeat");
    wait_for_pings(&worker, &project, &uuid, pings_before + 1);
    read_through_line(&mut child, "ready");
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = wait_with_deadline(&mut child, Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(137), "{}", text(&out.stderr));
    let (_, finish) = last_run(&worker, &project, &uuid);
    assert_eq!((finish["type"].as_str(), finish["exitstatus"].as_i64()), (Some("fail"), Some(137)));

    // A command that handles SIGINT and exits 0 keeps its status, but the run is reported failed.
    let pings_before = worker.pings(&project, &uuid).len();
    let script = "trap 'echo cleaning up; exit 0' INT; echo ready; sleep 60 & wait";
    let mut child = edgebeat(&env, &["run", &uuid, "--", "sh", "-c", script])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn edgebeat");
    wait_for_pings(&worker, &project, &uuid, pings_before + 1);
    read_through_line(&mut child, "ready");
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = wait_with_deadline(&mut child, Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "cleaning up\n");
    let (_, finish) = last_run(&worker, &project, &uuid);
    assert_eq!(finish["type"], "fail");
    assert!(ping_body(&worker, &project, &finish).contains("received SIGINT"));
}

#[test]
fn run_without_a_reachable_edgebeat_still_runs_the_command() {
    // An edgebeat that never answers: a port held for the whole test (a port
    // merely found free could be taken by another test's worker meanwhile,
    // which then answered the pings), whose connections are never served.
    let unanswering = TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = unanswering.local_addr().expect("its address").port();
    let url = format!("http://127.0.0.1:{port}");
    let uuid = "0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b";
    let started = Instant::now();
    let env = [("EDGEBEAT_URL", url.as_str()), ("EDGEBEAT_PING_BUDGET", "2s")];
    let out = output(edgebeat(&env, &["run", uuid, "--", "sh", "-c", "echo ran; exit 5"]));
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(text(&out.stdout), "ran\n");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("could not report the start of the run for"), "{stderr}");
    assert!(stderr.contains("could not report exit status 5 for"), "{stderr}");
    // Two pings of at most 2 s each, retries included: well under the 40 s
    // the default budget (20 s a ping) would let them take, whatever the
    // load on the machine adds to starting the processes.
    assert!(took < Duration::from_secs(15), "{took:?}");
    assert!(took >= Duration::from_secs(2), "it did retry: {took:?}");

    // Told to stop while the start ping is still being tried: the command is not started.
    unanswering.set_nonblocking(true).expect("non-blocking");
    let mut held = Vec::new();
    while let Ok((connection, _)) = unanswering.accept() {
        held.push(connection); // the runs above
    }
    let mut child = edgebeat(&env, &["run", uuid, "--", "sh", "-c", "echo should-not-run"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn edgebeat");
    // Its start ping has connected: the ping is being tried now.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok((connection, _)) = unanswering.accept() {
            held.push(connection);
            break;
        }
        assert!(Instant::now() < deadline, "the start ping never connected");
        thread::sleep(Duration::from_millis(20));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = wait_with_deadline(&mut child, Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(143));
    assert_eq!(text(&out.stdout), "");
    assert!(text(&out.stderr).contains("received SIGTERM before the command started"), "{}", text(&out.stderr));

    // No configuration at all: the command runs, with a warning.
    let out = output(edgebeat(&[], &["run", uuid, "--", "sh", "-c", "echo alone; exit 6"]));
    assert_eq!(out.status.code(), Some(6));
    assert_eq!(text(&out.stdout), "alone\n");
    assert!(text(&out.stderr).contains("no edgebeat URL"), "{}", text(&out.stderr));
    // A slug without the ping key, the same.
    let out = output(edgebeat(&[("EDGEBEAT_URL", url.as_str())], &["run", "backup", "--", "true"]));
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("EDGEBEAT_PING_KEY"), "{}", text(&out.stderr));
    // Usage errors are clap's.
    let out = output(edgebeat(&[], &["run", uuid]));
    assert_eq!(out.status.code(), Some(2));
}

fn checks_by_slug(worker: &Worker, project: &Project) -> Vec<(String, Value)> {
    let listed = worker.api(&project.api_key, "GET", "/api/v3/checks/", None).json();
    let mut checks: Vec<(String, Value)> = listed["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["slug"].as_str().unwrap().to_owned(), c.clone()))
        .collect();
    checks.sort_by(|a, b| a.0.cmp(&b.0));
    checks
}

fn find<'a>(checks: &'a [(String, Value)], slug: &str) -> &'a Value {
    &checks.iter().find(|(s, _)| s == slug).unwrap_or_else(|| panic!("no check {slug}: {checks:?}")).1
}

const CHECKS_YAML: &str = r#"
checks:
  - slug: backup
    name: Nightly backup
    tags: [prod, db]
    desc: pg_dump to S3
    schedule: "15 2 * * *"
    tz: Europe/Riga
    grace: 1h
    channels: [ops]
  - slug: heartbeat
    period: 5m
    grace: 2m
    channels: "*"
  - slug: maintenance
    period: 1d
    paused: true
"#;

#[test]
fn sync_creates_changes_and_prunes_only_its_own_checks() {
    let worker = Worker::start();
    let project = worker.create_project("sync");
    let env = config(&worker, &project);
    let env = env_refs(&env);
    let dir = scratch("sync");
    let hook = "http://127.0.0.1:9/hook";
    let mut channel_ids = Vec::new();
    for name in ["ops", "pager"] {
        let made = worker.api(
            &project.api_key,
            "POST",
            "/api/v3/channels/",
            Some(&json!({"kind": "webhook", "name": name, "url": hook})),
        );
        assert_eq!(made.status, 201);
        channel_ids.push(made.json()["id"].as_str().unwrap().to_owned());
    }
    worker.create_check(&project, json!({"name": "by hand", "slug": "by-hand", "tags": "prod"}));
    let file = write(&dir, "checks.yaml", CHECKS_YAML);

    // Dry run: the plan, and nothing changed.
    let out = output(edgebeat(&env, &["sync", &file, "--dry-run"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("would create     backup\n") && stdout.contains("would create     heartbeat\n"),
        "{stdout}"
    );
    assert!(stdout.contains("would create 3, change 0, prune 0"), "{stdout}");
    assert_eq!(checks_by_slug(&worker, &project).len(), 1);

    // Create.
    let out = output(edgebeat(&env, &["sync", &file]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).ends_with("3 created, 0 changed, 0 unchanged, 0 pruned\n"), "{}", text(&out.stdout));
    let checks = checks_by_slug(&worker, &project);
    assert_eq!(checks.len(), 4);
    let backup = find(&checks, "backup");
    assert_eq!(backup["name"], "Nightly backup");
    assert_eq!(backup["tags"], "prod db edgebeat:sync");
    assert_eq!(backup["desc"], "pg_dump to S3");
    assert_eq!((backup["schedule"].as_str(), backup["tz"].as_str()), (Some("15 2 * * *"), Some("Europe/Riga")));
    assert_eq!(backup["grace"], 3600);
    assert_eq!(backup["channels"], channel_ids[0].as_str());
    let heartbeat = find(&checks, "heartbeat");
    assert_eq!((heartbeat["timeout"].as_i64(), heartbeat["grace"].as_i64()), (Some(300), Some(120)));
    let mut all = channel_ids.clone();
    all.sort();
    assert_eq!(heartbeat["channels"], all.join(","));
    assert_eq!(find(&checks, "maintenance")["status"], "paused");

    // A second run changes nothing.
    let out = output(edgebeat(&env, &["sync", &file]));
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).ends_with("0 created, 0 changed, 3 unchanged, 0 pruned\n"), "{}", text(&out.stdout));
    assert_eq!(checks_by_slug(&worker, &project), checks);

    // A change, and a check no longer declared: kept without --prune.
    let changed = CHECKS_YAML.replace("grace: 1h", "grace: 30m").replace("channels: [ops]", "channels: [ops, pager]");
    let without_heartbeat: String = changed.split("  - slug: heartbeat").next().unwrap().to_owned()
        + "  - slug: maintenance\n    period: 1d\n    paused: true\n";
    let file = write(&dir, "checks.yaml", &without_heartbeat);
    let out = output(edgebeat(&env, &["sync", &file]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("changed          backup (grace: 1h -> 30m; channels: ops -> ops,pager)"), "{stdout}");
    assert!(stdout.contains("kept             heartbeat (no longer declared"), "{stdout}");
    assert!(stdout.ends_with("0 created, 1 changed, 1 unchanged, 0 pruned\n"), "{stdout}");
    let checks = checks_by_slug(&worker, &project);
    assert_eq!(find(&checks, "backup")["grace"], 1800);

    // --prune --dry-run says so and deletes nothing; --prune deletes only the synced check.
    let out = output(edgebeat(&env, &["sync", &file, "--prune", "--dry-run"]));
    assert!(text(&out.stdout).contains("would prune      heartbeat\n"), "{}", text(&out.stdout));
    assert_eq!(checks_by_slug(&worker, &project).len(), 4);
    let out = output(edgebeat(&env, &["sync", &file, "--prune"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("pruned           heartbeat\n"), "{}", text(&out.stdout));
    let slugs: Vec<String> = checks_by_slug(&worker, &project).into_iter().map(|(s, _)| s).collect();
    assert_eq!(slugs, ["backup", "by-hand", "maintenance"]);
    // An empty (or cut-short) file never prunes the set away.
    let empty = write(&dir, "empty.yaml", "# truncated\n");
    for dry_run in [true, false] {
        let mut args = vec!["sync", empty.as_str(), "--prune"];
        if dry_run {
            args.push("--dry-run");
        }
        let out = output(edgebeat(&env, &args));
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
        let stderr = text(&out.stderr);
        assert!(stderr.contains("has no checks: list, and --prune would delete all 2 checks of set"), "{stderr}");
        assert_eq!(checks_by_slug(&worker, &project).len(), 3, "nothing deleted");
    }

    // The same as JSON, in another set: it does not touch the first set's checks.
    // It declares a channel too, its URL from the environment.
    let json_file = write(
        &dir,
        "other.json",
        r#"{"set": "team-b",
            "channels": [{"name": "reports-hook", "kind": "webhook", "url": "http://127.0.0.1:9/${HOOK_PATH}"}],
            "checks": [{"slug": "reports", "schedule": "0 6 * * *", "grace": "10m", "channels": ["reports-hook"]},
                       {"slug": "weekdays", "schedule": "Mon..Fri *-*-* 02:00:00\nSat 03:30", "tz": "Europe/Riga"}]}"#,
    );
    let out = output(edgebeat(&env, &["sync", &json_file, "--prune", "--dry-run"]));
    assert_eq!(out.status.code(), Some(1), "an unset variable is an error");
    assert!(text(&out.stderr).contains("HOOK_PATH is not set"), "{}", text(&out.stderr));
    let mut with_hook = env.clone();
    with_hook.push(("HOOK_PATH", "reports"));
    let out = output(edgebeat(&with_hook, &["sync", &json_file, "--prune", "--dry-run"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("would create     channel reports-hook\n"), "{}", text(&out.stdout));
    let out = output(edgebeat(&with_hook, &["sync", &json_file, "--prune"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("created          channel reports-hook\n"), "{}", text(&out.stdout));
    assert!(text(&out.stdout).ends_with("2 created, 0 changed, 0 unchanged, 0 pruned\n"), "{}", text(&out.stdout));
    // An OnCalendar schedule, kept verbatim.
    let weekdays = find(&checks_by_slug(&worker, &project), "weekdays").clone();
    assert_eq!(
        (weekdays["schedule"].as_str(), weekdays["tz"].as_str()),
        (Some("Mon..Fri *-*-* 02:00:00\nSat 03:30"), Some("Europe/Riga"))
    );
    let reports = find(&checks_by_slug(&worker, &project), "reports").clone();
    assert_eq!(reports["tags"], "edgebeat:team-b");
    let listed = worker.api(&project.api_key, "GET", "/api/v3/channels/", None).json();
    let hook = listed["channels"].as_array().unwrap().iter().find(|c| c["name"] == "reports-hook").unwrap().clone();
    assert_eq!(reports["channels"], hook["id"]);
    let out = output(edgebeat(&with_hook, &["sync", &json_file, "--prune"]));
    assert!(text(&out.stdout).starts_with("unchanged        channel reports-hook (exists"), "{}", text(&out.stdout));
    assert!(text(&out.stdout).ends_with("0 created, 0 changed, 2 unchanged, 0 pruned\n"), "{}", text(&out.stdout));

    // Mistakes stop before any change, with exit status 1; missing configuration is 2.
    let bad = write(&dir, "bad.yaml", "checks:\n  - slug: new-one\n  - slug: backup\n    channels: [nope]\n");
    let out = output(edgebeat(&env, &["sync", &bad]));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no channel named \"nope\""), "{}", text(&out.stderr));
    assert_eq!(checks_by_slug(&worker, &project).len(), 5);
    let typo = write(&dir, "typo.yaml", "checks:\n  - slug: x\n    graze: 60\n");
    let out = output(edgebeat(&env, &["sync", &typo]));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("graze"), "{}", text(&out.stderr));
    let url_only = [("EDGEBEAT_URL", env[0].1)];
    let out = output(edgebeat(&url_only, &["sync", &file]));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("EDGEBEAT_API_KEY"), "{}", text(&out.stderr));
}

const ALERTS_YAML: &str = r#"
checks:
  - slug: backup
    schedule: "0 2 * * *"
    grace: 10m
    alerts:
      failure_threshold: 3
      recovery_threshold: 2
      max_runtime: 3h
      min_runtime: 1m
      reminder_interval: 4h
  - slug: plain
    period: 1h
"#;

/// The alert-policy fields of a check object, in the order of the sync file's `alerts:`.
fn policy_of(check: &Value) -> [Value; 5] {
    ["failure_threshold", "recovery_threshold", "max_runtime", "min_runtime", "reminder_interval"]
        .map(|field| check[field].clone())
}

#[test]
fn sync_keeps_the_alert_policy_as_declared() {
    let worker = Worker::start();
    let project = worker.create_project("sync-alerts");
    let env = config(&worker, &project);
    let env = env_refs(&env);
    let dir = scratch("sync-alerts");
    let file = write(&dir, "checks.yaml", ALERTS_YAML);

    // Created with the file's policy; the check without alerts: has the API's defaults.
    let out = output(edgebeat(&env, &["sync", &file]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).ends_with("2 created, 0 changed, 0 unchanged, 0 pruned\n"), "{}", text(&out.stdout));
    let checks = checks_by_slug(&worker, &project);
    assert_eq!(policy_of(find(&checks, "backup")), [json!(3), json!(2), json!(10_800), json!(60), json!(14_400)]);
    assert_eq!(policy_of(find(&checks, "plain")), [json!(1), json!(1), Value::Null, Value::Null, json!(0)]);

    // Again: nothing changes.
    let out = output(edgebeat(&env, &["sync", &file]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).ends_with("0 created, 0 changed, 2 unchanged, 0 pruned\n"), "{}", text(&out.stdout));
    assert_eq!(checks_by_slug(&worker, &project), checks);

    // An edited threshold, and a setting removed from the file: both changed, the rest kept.
    let edited =
        ALERTS_YAML.replace("failure_threshold: 3", "failure_threshold: 5").replace("      min_runtime: 1m\n", "");
    let file = write(&dir, "checks.yaml", &edited);
    let out = output(edgebeat(&env, &["sync", &file, "--dry-run"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("would change     backup (failure_threshold: 3 -> 5; min_runtime: 1m -> none)"),
        "{stdout}"
    );
    assert_eq!(checks_by_slug(&worker, &project), checks, "a dry run changes nothing");
    let out = output(edgebeat(&env, &["sync", &file]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("changed          backup (failure_threshold: 3 -> 5; min_runtime: 1m -> none)"),
        "{stdout}"
    );
    assert!(stdout.ends_with("0 created, 1 changed, 1 unchanged, 0 pruned\n"), "{stdout}");
    let checks = checks_by_slug(&worker, &project);
    assert_eq!(policy_of(find(&checks, "backup")), [json!(5), json!(2), json!(10_800), Value::Null, json!(14_400)]);
    let out = output(edgebeat(&env, &["sync", &file]));
    assert!(text(&out.stdout).ends_with("0 created, 0 changed, 2 unchanged, 0 pruned\n"), "{}", text(&out.stdout));

    // A value the API would refuse stops the sync before any change, with the check named.
    let bad = write(&dir, "bad.yaml", &edited.replace("reminder_interval: 4h", "reminder_interval: 1m"));
    let out = output(edgebeat(&env, &["sync", &bad]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("check \"backup\": alerts.reminder_interval 1m is too small: at least 5m"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(checks_by_slug(&worker, &project), checks);
}

#[test]
fn k8s_sync_follows_cronjobs_and_status_reports_down_checks() {
    let worker = Worker::start();
    let project = worker.create_project("k8s");
    let env = config(&worker, &project);
    let env = env_refs(&env);
    let made = worker.api(
        &project.api_key,
        "POST",
        "/api/v3/channels/",
        Some(&json!({"kind": "webhook", "name": "ops", "url": "http://127.0.0.1:9/h"})),
    );
    let ops = made.json()["id"].as_str().unwrap().to_owned();
    worker.create_check(&project, json!({"name": "by hand", "slug": "by-hand"}));
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let before = fixtures.join("cronjobs-before.json").display().to_string();
    let after = fixtures.join("cronjobs-after.json").display().to_string();

    // From stdin, as in `kubectl get cronjobs -A -o json | edgebeat k8s-sync`.
    let mut child = edgebeat(&env, &["k8s-sync", "--default-tz", "America/New_York"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().unwrap().write_all(&std::fs::read(&before).unwrap()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).ends_with("3 created, 0 changed, 0 unchanged, 0 pruned\n"), "{}", text(&out.stdout));
    let checks = checks_by_slug(&worker, &project);
    let slugs: Vec<&str> = checks.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(slugs, ["batch-cleanup", "by-hand", "default-backup", "web-report"]);
    let backup = find(&checks, "default-backup");
    assert_eq!(backup["name"], "default/backup");
    assert_eq!((backup["schedule"].as_str(), backup["tz"].as_str()), (Some("15 2 * * *"), Some("America/New_York")));
    assert_eq!(backup["tags"], "k8s default edgebeat:k8s");
    let report = find(&checks, "web-report");
    assert_eq!((report["schedule"].as_str(), report["tz"].as_str()), (Some("30 6 * * 1-5"), Some("Europe/Riga")));
    assert_eq!(report["grace"], 900);
    assert_eq!(report["channels"], ops.as_str());
    assert_eq!(report["tags"], "k8s web team-web edgebeat:k8s");
    // Its alert-policy annotations; the rest of the policy is the API's default.
    assert_eq!((report["failure_threshold"].as_i64(), report["reminder_interval"].as_i64()), (Some(2), Some(21_600)));
    assert_eq!((report["recovery_threshold"].as_i64(), report["max_runtime"].as_i64()), (Some(1), None));
    let cleanup = find(&checks, "batch-cleanup");
    assert_eq!(cleanup["schedule"], "0 * * * *");
    assert_eq!(cleanup["status"], "paused", "a suspended CronJob's check is paused");

    // Again: nothing to do.
    let out = output(edgebeat(&env, &["k8s-sync", &before, "--default-tz", "America/New_York"]));
    assert!(text(&out.stdout).ends_with("0 created, 0 changed, 3 unchanged, 0 pruned\n"), "{}", text(&out.stdout));

    // backup removed, cleanup resumed; the hand-made check stays.
    let out = output(edgebeat(&env, &["k8s-sync", &after, "--default-tz", "America/New_York", "--dry-run"]));
    assert!(text(&out.stdout).contains("would prune      default-backup\n"), "{}", text(&out.stdout));
    assert_eq!(checks_by_slug(&worker, &project).len(), 4);
    let out = output(edgebeat(&env, &["k8s-sync", &after, "--default-tz", "America/New_York"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("changed          batch-cleanup (paused: true -> false)"), "{stdout}");
    assert!(stdout.ends_with("0 created, 1 changed, 1 unchanged, 1 pruned\n"), "{stdout}");
    let checks = checks_by_slug(&worker, &project);
    let slugs: Vec<&str> = checks.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(slugs, ["batch-cleanup", "by-hand", "web-report"]);
    assert_ne!(find(&checks, "batch-cleanup")["status"], "paused");

    // Not a CronJob list: nothing changes.
    let garbage = write(&scratch("k8s"), "empty.json", "");
    let out = output(edgebeat(&env, &["k8s-sync", &garbage]));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(checks_by_slug(&worker, &project).len(), 3);

    // status: nothing down, exit 0; a failed check, exit 1; --tag narrows.
    let out = output(edgebeat(&env, &["status"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.starts_with("STATUS  NAME"), "{table}");
    assert!(table.contains("web/report") && table.ends_with("3 checks, 0 down\n"), "{table}");
    assert!(!table.contains('\x1b'), "no colour when not a terminal");
    let uuid = find(&checks, "by-hand")["uuid"].as_str().unwrap().to_owned();
    assert_eq!(worker.get(&format!("/ping/{uuid}/fail")).status, 200);
    let out = output(edgebeat(&env, &["status"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("down    by hand"), "{}", text(&out.stdout));
    // On a terminal (script(1) gives it one) the status is coloured; NO_COLOR turns that off.
    let on_terminal = |no_colour: bool| {
        let mut script = Command::new("script");
        script.args(["-q", "-e", "-c", &format!("{BIN} status"), "/dev/null"]);
        script.envs(env.iter().copied()).env_remove("NO_COLOR").stdin(Stdio::null());
        if no_colour {
            script.env("NO_COLOR", "1");
        }
        script.output().expect("run script(1)")
    };
    let coloured = on_terminal(false);
    assert_eq!(coloured.status.code(), Some(1), "{}", text(&coloured.stderr));
    assert!(text(&coloured.stdout).contains("\x1b[1;31mdown\x1b[0m"), "{:?}", text(&coloured.stdout));
    assert!(!text(&on_terminal(true).stdout).contains('\x1b'));
    let out = output(edgebeat(&env, &["status", "--tag", "k8s"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).ends_with("2 checks, 0 down\n"));
    // A tag no check has is said, not shown as an empty table that reads as "all fine".
    let out = output(edgebeat(&env, &["status", "--tag", "k8z"]));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert_eq!(text(&out.stdout), "");
    assert!(text(&out.stderr).contains("no check has the tag \"k8z\""), "{}", text(&out.stderr));
    let out = output(edgebeat(&env, &["status", "--tag", "k8s", "--tag", "by-hand-only"]));
    assert_eq!(out.status.code(), Some(2));
    // The dashboard's words and order: down first, a check in its grace period is late.
    let late =
        worker.create_check(&project, json!({"name": "overdue", "slug": "overdue", "timeout": 60, "grace": 3600}));
    assert_eq!(worker.get(&format!("/ping/{}", late["uuid"].as_str().unwrap())).status, 200);
    let late_uuid = late["uuid"].as_str().unwrap();
    worker.execute_sql(&format!(
        "UPDATE checks SET last_ping = {}, status = 'up' WHERE uuid = '{late_uuid}';",
        support::now_ms() - 120_000
    ));
    assert_eq!(worker.check(&project, late_uuid)["status"], "grace", "the API's word");
    let out = output(edgebeat(&env, &["status"]));
    let table = text(&out.stdout);
    let statuses: Vec<&str> = table.lines().skip(1).filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(&statuses[..2], ["down", "late"], "{table}");
    assert!(!table.contains("grace "), "{table}");
    // A read-only key is enough for status; a wrong key is an error, exit 2.
    let ro = [("EDGEBEAT_URL", env[0].1), ("EDGEBEAT_API_KEY", project.api_key_readonly.as_str())];
    assert_eq!(output(edgebeat(&ro, &["status"])).status.code(), Some(1));
    let wrong = [("EDGEBEAT_URL", env[0].1), ("EDGEBEAT_API_KEY", "hcw_wrongwrongwrongwrongwrongwron")];
    let out = output(edgebeat(&wrong, &["status"]));
    assert_eq!(out.status.code(), Some(2));
    let said = text(&out.stderr);
    assert!(said.contains("401 wrong api key"), "a wrong key is not a missing one: {said}");
    assert!(said.contains("read-only key (hcr_...)"), "status takes the read-only key, and says so: {said}");
    // k8s-sync writes, and asks for the read-write key.
    let cronjobs = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cronjobs-before.json");
    let out = output(edgebeat(&wrong, &["k8s-sync", &cronjobs.display().to_string()]));
    assert!(text(&out.stderr).contains("takes the project's read-write key (hcw_...)"), "{}", text(&out.stderr));
}

/// A file with two invalid checks and an invalid channel among good ones:
/// every problem is listed, and nothing at all changes.
#[test]
fn sync_lists_every_problem_of_a_file_and_changes_nothing() {
    let worker = Worker::start();
    let project = worker.create_project("sync-problems");
    let env = config(&worker, &project);
    let env = env_refs(&env);
    let dir = scratch("sync-problems");
    worker.create_check(&project, json!({"name": "by hand", "slug": "by-hand"}));
    let before = checks_by_slug(&worker, &project);
    let file = write(
        &dir,
        "checks.yaml",
        r#"
channels:
  - {name: hook, kind: webhook, url: "http://127.0.0.1:9/hook"}
  - {name: broken, kind: webhook, url: "not a url"}
checks:
  - slug: first-good
    schedule: "15 2 * * *"
    channels: [hook]
  - slug: weekdays
    schedule: "0 9 ? * MON-FRI"
  - slug: second-good
    period: 1h
  - slug: nagging
    schedule: "0 3 * * *"
    alerts: {reminder_interval: 1m}
  - slug: third-good
    period: 1d
"#,
    );
    for dry_run in [true, false] {
        let mut args = vec!["sync", file.as_str()];
        if dry_run {
            args.push("--dry-run");
        }
        let out = output(edgebeat(&env, &args));
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
        let stderr = text(&out.stderr);
        // "?" is Kubernetes' and robfig's, not a server schedule: a person's file gets the server's rules.
        assert!(stderr.contains("check \"weekdays\": schedule \"0 9 ? * MON-FRI\": "), "{stderr}");
        assert!(
            stderr.contains("check \"nagging\": alerts.reminder_interval 1m is too small: at least 5m"),
            "{stderr}"
        );
        assert!(stderr.contains("channel \"broken\": url is not an http(s) URL"), "{stderr}");
        assert!(stderr.trim_end().ends_with("3 problems; nothing changed"), "{stderr}");
        assert_eq!(text(&out.stdout), "", "no plan is printed for a file with problems");
        assert_eq!(checks_by_slug(&worker, &project), before, "no check made, changed or deleted");
        let channels = worker.api(&project.api_key, "GET", "/api/v3/channels/", None).json();
        assert_eq!(channels["channels"], json!([]), "no channel made either");
    }
    // A file that is not YAML at all: where, by the file's name.
    let broken = write(&dir, "broken.yaml", "checks:\n  - slug: a\n    schedule: \"0 * * * *\n");
    let out = output(edgebeat(&env, &["sync", &broken]));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let stderr = text(&out.stderr);
    assert!(stderr.contains(&format!(" --> {broken}:3:15\n")) && !stderr.contains("<input>"), "{stderr}");
    assert!(stderr.trim_end().ends_with("1 problem; nothing changed"), "{stderr}");
    // The same file without the mistakes goes through.
    let fixed = std::fs::read_to_string(&file)
        .unwrap()
        .replace("  - {name: broken, kind: webhook, url: \"not a url\"}\n", "")
        .replace("0 9 ? * MON-FRI", "0 9 * * MON-FRI")
        .replace("reminder_interval: 1m", "reminder_interval: 1h");
    let fixed = write(&dir, "fixed.yaml", &fixed);
    let out = output(edgebeat(&env, &["sync", &fixed]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).ends_with("5 created, 0 changed, 0 unchanged, 0 pruned\n"), "{}", text(&out.stdout));
}

fn k8s_fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/k8s").join(name).display().to_string()
}

fn slugs_of(checks: &[(String, Value)]) -> Vec<&str> {
    checks.iter().map(|(slug, _)| slug.as_str()).collect()
}

/// A bad schedule among ten CronJobs skips that one only; pruning needs an
/// inventory with CronJobs in it (a List), and stays under --prune-max or
/// changes nothing at all.
#[test]
fn k8s_sync_skips_bad_cronjobs_and_prunes_only_what_it_may() {
    let worker = Worker::start();
    let project = worker.create_project("k8s-guard");
    let env = config(&worker, &project);
    let env = env_refs(&env);
    worker.create_check(&project, json!({"name": "by hand", "slug": "by-hand"}));
    let fleet: Vec<String> = (0..10).filter(|i| *i != 4).map(|i| format!("fleet-job-{i:02}")).collect();

    // Nine applied, one reported; the exit status says one was skipped.
    let out = output(edgebeat(&env, &["k8s-sync", &k8s_fixture("ten-cronjobs-one-bad.json")]));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("fleet/job-04: schedule \"0 0 30 2 *\" cannot be monitored"), "{stderr}");
    assert!(stderr.contains("1 CronJob(s) skipped; the others are synced"), "{stderr}");
    assert!(text(&out.stdout).ends_with("9 created, 0 changed, 0 unchanged, 0 pruned\n"), "{}", text(&out.stdout));
    let checks = checks_by_slug(&worker, &project);
    let mut expected: Vec<&str> = fleet.iter().map(String::as_str).collect();
    expected.insert(0, "by-hand");
    assert_eq!(slugs_of(&checks), expected);
    assert_eq!(find(&checks, "fleet-job-05")["schedule"], "25 5 * * *");

    // A List without CronJobs (the wrong cluster, or only Jobs) prunes nothing and changes nothing.
    for input in ["empty-list.json", "jobs-only.json"] {
        let out = output(edgebeat(&env, &["k8s-sync", &k8s_fixture(input)]));
        assert_eq!(out.status.code(), Some(1), "{input}: {}", text(&out.stdout));
        let stderr = text(&out.stderr);
        assert!(stderr.contains("the input holds no CronJob at all, and pruning would delete all 9"), "{stderr}");
        assert!(stderr.contains("Nothing changed"), "{stderr}");
        assert_eq!(checks_by_slug(&worker, &project), checks, "{input}");
    }

    // A single CronJob object is synced and prunes nothing.
    let out = output(edgebeat(&env, &["k8s-sync", &k8s_fixture("single-cronjob.json")]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("input: a single CronJob object (not an inventory: nothing is pruned)\n"), "{stdout}");
    assert!(stdout.ends_with("1 created, 0 changed, 0 unchanged, 0 pruned\n"), "{stdout}");
    let checks = checks_by_slug(&worker, &project);
    assert_eq!(checks.len(), 11);
    let backup = find(&checks, "default-backup");
    assert_eq!((backup["schedule"].as_str(), backup["tz"].as_str()), (Some("15 2 * * *"), Some("America/New_York")));

    // Five CronJobs gone (and default-backup, not in this List): six to prune, over --prune-max 5.
    // Nothing changes, not even job-00's suspension.
    let five_gone = k8s_fixture("ten-cronjobs-five-gone.json");
    let out = output(edgebeat(&env, &["k8s-sync", &five_gone, "--prune-max", "5"]));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("pruning would delete 6 of the set's 10 synced checks (default-backup, fleet-job-05"));
    assert!(stderr.contains("more than --prune-max allows (5). Nothing changed"), "{stderr}");
    assert_eq!(checks_by_slug(&worker, &project), checks);
    assert_eq!(find(&checks, "fleet-job-00")["status"], "new");

    // Allowed: six pruned, job-00 paused; job-04 (still bad) kept and reported.
    let out = output(edgebeat(&env, &["k8s-sync", &five_gone, "--prune-max", "60%"]));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("input: a List of 5 CronJobs and 3 Jobs\n"), "{stdout}");
    assert!(stdout.contains("0 created, 1 changed, 3 unchanged, 6 pruned\n"), "{stdout}");
    // Their Jobs ran weeks ago (the fixture's 2026-11-20): too old to report.
    assert!(stdout.ends_with("job runs: 0 reported, 0 already reported, 6 older than a day, not sent\n"), "{stdout}");
    let checks = checks_by_slug(&worker, &project);
    assert_eq!(slugs_of(&checks), ["by-hand", "fleet-job-00", "fleet-job-01", "fleet-job-02", "fleet-job-03"]);
    assert_eq!(find(&checks, "fleet-job-00")["status"], "paused");
}

#[test]
fn every_command_has_help_with_examples() {
    for command in
        [&["--help"][..], &["run", "--help"], &["sync", "--help"], &["k8s-sync", "--help"], &["status", "--help"]]
    {
        let out = output(edgebeat(&[], command));
        assert_eq!(out.status.code(), Some(0), "{command:?}");
        assert!(text(&out.stdout).contains("Examples:"), "{command:?}: {}", text(&out.stdout));
    }
    // Each command lists the options it uses: run pings, with no API key.
    let run = text(&output(edgebeat(&[], &["run", "--help"])).stdout);
    assert!(!run.contains("--api-key") && run.contains("--ping-key"), "{run}");
    let status = text(&output(edgebeat(&[], &["status", "--help"])).stdout);
    assert!(status.contains("--api-key") && !status.contains("--ping-key"), "{status}");
    assert!(status.contains("read-only key (hcr_...) is enough"), "{status}");
}
