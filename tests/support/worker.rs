//! Starts the real Worker under `wrangler dev` (workerd, local SQLite-backed
//! D1) on a free port with a throw-away database, and stops it again, also
//! when the test fails.

use super::http::{request, request_within, HttpResponse};
use std::fs;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

/// The admin token every test worker is started with.
pub const ADMIN_TOKEN: &str = "test-admin-token";

const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);

/// How many D1 databases a test worker binds unless a test asks otherwise:
/// two (`DB` and `DB_1`), so that the whole suite runs sharded, with
/// projects placed on both (edgebeat fills the newest of equally loaded
/// databases first, so a test's first project lands on `DB_1`).
pub const DATABASES: usize = 2;

pub struct Worker {
    pub port: u16,
    child: Child,
    dir: PathBuf,
    databases: usize,
    /// Keep the database files when dropped (a restart continues on them).
    keep_state: bool,
    /// What the test added to the wrangler config (`start_with_config`).
    extra: String,
}

/// The D1 binding of database `n`.
pub fn binding(n: usize) -> String {
    if n == 0 {
        "DB".to_owned()
    } else {
        format!("DB_{n}")
    }
}

/// The repository root: this crate's directory, or its parent for the
/// `cli/` crate, whose tests share this support code.
pub fn root() -> &'static Path {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    match manifest.parent() {
        Some(parent) if !manifest.join("wrangler.toml").exists() => parent,
        _ => manifest,
    }
}

/// Runs a command with the project's tool environment (scripts/env.sh).
fn project_command(script: &str) -> Command {
    let mut command = Command::new("bash");
    command.arg("-c").arg(format!("source scripts/env.sh && {script}")).current_dir(root());
    command
}

fn run_checked(script: &str) {
    let output = project_command(script).output().expect("run bash");
    assert!(
        output.status.success(),
        "`{script}` failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn scratch_dir(purpose: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "edgebeat-{purpose}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create a scratch directory");
    dir
}

/// The project's wrangler.toml with every path made absolute, no build
/// step (the harness builds once up front) and `databases` D1 databases
/// bound: `DB` as configured, then `DB_1`, `DB_2`, … like it. Derived from
/// the real file, so a binding or flag added there reaches the tests.
fn wrangler_config(databases: usize) -> &'static Path {
    static CONFIGS: OnceLock<std::sync::Mutex<Vec<(usize, &'static Path)>>> = OnceLock::new();
    let configs = CONFIGS.get_or_init(|| std::sync::Mutex::new(Vec::new()));
    let mut configs = configs.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, path)) = configs.iter().find(|(n, _)| *n == databases) {
        return path;
    }
    let original = fs::read_to_string(root().join("wrangler.toml")).expect("read wrangler.toml");
    let absolute = |value: &str| format!("\"{}\"", root().join(value.trim_matches('"')).display());
    let mut text = String::new();
    let mut skipping_build = false;
    let mut database_block = Vec::new();
    let mut in_database = false;
    for line in original.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            skipping_build = trimmed == "[build]";
            in_database = trimmed == "[[d1_databases]]";
        }
        if skipping_build {
            continue;
        }
        let line = match trimmed.split_once(" = ") {
            Some((key @ ("main" | "directory" | "migrations_dir"), value)) => format!("{key} = {}", absolute(value)),
            _ => line.to_owned(),
        };
        if in_database && !trimmed.starts_with('#') && !trimmed.is_empty() {
            database_block.push(line.clone());
        }
        text.push_str(&line);
        text.push('\n');
    }
    assert!(!database_block.is_empty(), "wrangler.toml binds no D1 database");
    for n in 1..databases {
        text.push('\n');
        for line in &database_block {
            let line = match line.trim().split_once(" = ") {
                Some(("binding", _)) => format!("binding = \"{}\"", binding(n)),
                Some(("database_name", _)) => format!("database_name = \"edgebeat-{n}\""),
                Some(("database_id", _)) => format!("database_id = \"00000000-0000-0000-0000-00000000000{n}\""),
                _ => line.clone(),
            };
            text.push_str(&line);
            text.push('\n');
        }
    }
    let dir = scratch_dir(&format!("config-{databases}"));
    let path: &'static Path = Box::leak(dir.join("wrangler.toml").into_boxed_path());
    fs::write(path, text).expect("write the test wrangler config");
    configs.push((databases, path));
    path
}

/// Local D1 databases with all migrations applied, made once per test
/// binary and database count, and copied for each worker, so no test sees
/// another's data.
fn migrated_template(databases: usize) -> PathBuf {
    static TEMPLATES: OnceLock<std::sync::Mutex<Vec<(usize, PathBuf)>>> = OnceLock::new();
    let templates = TEMPLATES.get_or_init(|| std::sync::Mutex::new(Vec::new()));
    let mut templates = templates.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, dir)) = templates.iter().find(|(n, _)| *n == databases) {
        return dir.clone();
    }
    // Build once up front (a no-op when fresh); wrangler's own build step is then a no-op too.
    run_checked("scripts/build.sh");
    let dir = scratch_dir("template");
    let config = wrangler_config(databases);
    for n in 0..databases {
        run_checked(&format!(
            "wrangler d1 migrations apply {} --local --persist-to '{}' -c '{}'",
            binding(n),
            dir.display(),
            config.display()
        ));
    }
    templates.push((databases, dir.clone()));
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create directory");
    for entry in fs::read_dir(from).expect("read directory") {
        let entry = entry.expect("directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// Whether an answer to `/health` is edgebeat's: a JSON object with its fields.
fn is_edgebeat_health(response: &HttpResponse) -> bool {
    serde_json::from_slice::<serde_json::Value>(&response.body).is_ok_and(|body| body.get("behind_seconds").is_some())
}

impl Worker {
    pub fn start() -> Worker {
        Worker::start_with(&[])
    }

    /// Starts a worker whose secrets and vars are exactly `ADMIN_TOKEN` plus
    /// `vars` (a developer's .dev.vars is never read), with `DATABASES` databases.
    pub fn start_with(vars: &[(&str, &str)]) -> Worker {
        Worker::start_databases(DATABASES, vars)
    }

    /// As `start_with`, binding `databases` D1 databases.
    pub fn start_databases(databases: usize, vars: &[(&str, &str)]) -> Worker {
        let dir = scratch_dir("worker");
        copy_dir(&migrated_template(databases), &dir.join("state"));
        Worker::start_in(dir, databases, vars, "")
    }

    /// As `start_with`, with `extra` appended to the wrangler config
    /// (bindings a test needs and a deployment does not have, such as
    /// `send_email`).
    pub fn start_with_config(vars: &[(&str, &str)], extra: &str) -> Worker {
        let dir = scratch_dir("worker");
        copy_dir(&migrated_template(DATABASES), &dir.join("state"));
        Worker::start_in(dir, DATABASES, vars, extra)
    }

    /// Stops this worker and starts another on the same databases, now
    /// `databases` of them (a database added to a deployment starts out
    /// migrated and empty), as an operator's redeploy would.
    pub fn restart_with_databases(mut self, databases: usize, vars: &[(&str, &str)]) -> Worker {
        self.keep_state = true;
        let dir = self.dir.clone();
        let old = self.databases;
        let extra = std::mem::take(&mut self.extra);
        drop(self);
        let config = wrangler_config(databases);
        for n in old..databases {
            run_checked(&format!(
                "wrangler d1 migrations apply {} --local --persist-to '{}' -c '{}'",
                binding(n),
                dir.join("state").display(),
                config.display()
            ));
        }
        Worker::start_in(dir, databases, vars, &extra)
    }

    fn start_in(dir: PathBuf, databases: usize, vars: &[(&str, &str)], extra: &str) -> Worker {
        // A free port can be taken by another test between choosing it and
        // wrangler binding it; then start again on fresh ports.
        for _ in 0..3 {
            match Worker::try_start(&dir, databases, vars, extra) {
                Ok(worker) => return worker,
                Err(log) if log.contains("Address already in use") => continue,
                Err(log) => panic!("{log}"),
            }
        }
        panic!("wrangler dev found its ports taken three times in a row")
    }

    fn try_start(dir: &Path, databases: usize, vars: &[(&str, &str)], extra: &str) -> Result<Worker, String> {
        let dir = dir.to_path_buf();
        let state = dir.join("state");
        let port = free_port();
        // Tests send only to local receivers, which production refuses as
        // channel destinations; a test that checks the refusal overrides it.
        let defaults = [("ALLOW_PRIVATE_DESTINATIONS", "1"), ("D1_USAGE_HEADER", "1")];
        let mut env_file = format!("ADMIN_TOKEN={ADMIN_TOKEN}\nPUBLIC_URL=http://127.0.0.1:{port}\n");
        for (name, value) in defaults.iter().filter(|(name, _)| !vars.iter().any(|(n, _)| n == name)) {
            env_file.push_str(&format!("{name}={value}\n"));
        }
        for (name, value) in vars {
            env_file.push_str(&format!("{name}={value}\n"));
        }
        fs::write(dir.join("test.env"), env_file).expect("write the env file");
        let log = fs::File::create(dir.join("wrangler.log")).expect("create the log");
        let inspector = free_port();
        let config = if extra.is_empty() {
            wrangler_config(databases).to_path_buf()
        } else {
            // The derived config (its paths absolute) plus the test's own
            // bindings, kept with the worker's files.
            let base = fs::read_to_string(wrangler_config(databases)).expect("read the test wrangler config");
            let path = dir.join("wrangler.toml");
            fs::write(&path, format!("{base}\n{extra}\n")).expect("write the test's wrangler config");
            path
        };
        let script = format!(
            "exec wrangler dev --ip 127.0.0.1 --port {port} --inspector-port {inspector} \
             --persist-to '{}' --env-file '{}' -c '{}' --show-interactive-dev-session=false",
            state.display(),
            dir.join("test.env").display(),
            config.display()
        );
        let mut command = project_command(&script);
        background(&mut command, log, libc::SIGTERM);
        let child = command.spawn().expect("spawn wrangler dev");
        let mut worker = Worker { port, child, dir, databases, keep_state: true, extra: extra.to_owned() };
        worker.wait_until_ready()?;
        worker.keep_state = false;
        Ok(worker)
    }

    /// Waits for the first answer; on failure returns what wrangler said
    /// (dropping the half-started worker stops it).
    fn wait_until_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Ok(response) = request(self.port, "GET", "/health", &[], b"") {
                // Only edgebeat's own answer counts: between choosing the port
                // and wrangler binding it, another test's wrangler may have
                // taken it for one of its own listeners (which answers a plain
                // "Forbidden"); ours then exits with "Address already in use".
                if (response.status < 500 || response.status == 503) && is_edgebeat_health(&response) {
                    return Ok(());
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("wrangler dev exited with {status}:\n{}", self.log()));
            }
            if Instant::now() > deadline {
                return Err(format!("wrangler dev did not answer within {STARTUP_TIMEOUT:?}:\n{}", self.log()));
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs SQL against every one of this worker's local D1 databases from
    /// outside, as an operator (or a broken migration) would: for injecting
    /// real storage faults wherever a test's project lives.
    pub fn execute_sql(&self, sql: &str) {
        for n in 0..self.databases {
            self.execute_sql_on(n, sql);
        }
    }

    /// Runs SQL against database `n` (0: `DB`) only.
    pub fn execute_sql_on(&self, n: usize, sql: &str) {
        let state = self.dir.join("state");
        run_checked(&format!(
            "wrangler d1 execute {} --local --persist-to '{}' -c '{}' --command \"{}\"",
            binding(n),
            state.display(),
            wrangler_config(self.databases).display(),
            sql.replace('"', "\\\"")
        ));
    }

    /// How many databases this worker binds.
    pub fn databases(&self) -> usize {
        self.databases
    }

    /// The port of the Worker's own runtime. `wrangler dev` runs two workerd
    /// processes: one serves `self.port` with wrangler's ProxyWorker, which
    /// forwards every request with `fetch()` to the other, where the Worker
    /// runs. Where that proxy answers in the Worker's stead (a body cut
    /// short), a test talks to the Worker's runtime directly, as Cloudflare's
    /// edge does in production. Found among the listening sockets of the
    /// workerd processes this worker started: the one whose `/health` is
    /// edgebeat's, other than `self.port`.
    pub fn runtime_port(&self) -> u16 {
        let group = self.child.id() as i32;
        let mut inodes = std::collections::HashSet::new();
        for entry in fs::read_dir("/proc").expect("read /proc").flatten() {
            let pid = entry.file_name().to_string_lossy().into_owned();
            if !pid.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else { continue };
            // `pid (comm) state ppid pgrp ...`: comm may hold spaces, so split after ')'.
            let Some((head, rest)) = stat.rsplit_once(')') else { continue };
            let pgrp = rest.split_whitespace().nth(2).and_then(|p| p.parse::<i32>().ok());
            if pgrp != Some(group) || !head.ends_with("(workerd") {
                continue;
            }
            let Ok(fds) = fs::read_dir(entry.path().join("fd")) else { continue };
            for fd in fds.flatten() {
                let Ok(target) = fs::read_link(fd.path()) else { continue };
                let target = target.to_string_lossy().into_owned();
                if let Some(inode) = target.strip_prefix("socket:[").and_then(|t| t.strip_suffix(']')) {
                    inodes.insert(inode.to_owned());
                }
            }
        }
        let table = fs::read_to_string("/proc/net/tcp").expect("read /proc/net/tcp");
        let listening = table.lines().skip(1).filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (local, state, inode) = (fields.get(1)?, fields.get(3)?, fields.get(9)?);
            let port = u16::from_str_radix(local.split_once(':')?.1, 16).ok()?;
            (*state == "0A" && inodes.contains(*inode) && port != self.port).then_some(port)
        });
        for port in listening.collect::<Vec<_>>() {
            let probe = request_within(Duration::from_secs(5), port, "GET", "/health", &[], b"");
            if probe.is_ok_and(|r| is_edgebeat_health(&r)) {
                return port;
            }
        }
        panic!("no workerd of this worker serves edgebeat besides port {}\n{}", self.port, self.log())
    }

    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("wrangler.log")).unwrap_or_default()
    }

    /// The log once `ready` holds for it, or as it stands after `within`:
    /// wrangler writes a request's console lines to its log after the
    /// response has gone out, so a test that reads the log right after a
    /// response can miss them.
    pub fn log_once(&self, within: Duration, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + within;
        loop {
            let log = self.log();
            if ready(&log) || Instant::now() >= deadline {
                return log;
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpResponse {
        request(self.port, method, path, headers, body)
            .unwrap_or_else(|e| panic!("{method} {path} failed: {e}\n{}", self.log()))
    }

    pub fn get(&self, path: &str) -> HttpResponse {
        self.request("GET", path, &[], b"")
    }

    pub fn post(&self, path: &str, body: &[u8]) -> HttpResponse {
        self.request("POST", path, &[], body)
    }

    /// Fires the scheduled handler as the cron trigger would, with
    /// `scheduledTime = at_ms`, and waits for it to finish.
    pub fn run_sweep(&self, at_ms: i64) -> HttpResponse {
        let response = self.get(&format!("/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time={at_ms}"));
        assert_eq!(response.status, 200, "sweep at {at_ms} failed: {}\n{}", response.text(), self.log());
        response
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(80).collect();
            eprintln!("--- wrangler dev log (last lines) ---");
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
        stop_group(&mut self.child, Duration::from_secs(5));
        if !self.keep_state {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Makes `command` a background process of this test: stdin closed, its
/// output into `log`, in its own process group (so `stop_group` takes down
/// all it starts), and sent `on_parent_death` if this test process dies (so
/// nothing outlives a killed test run).
pub fn background(command: &mut Command, log: fs::File, on_parent_death: libc::c_int) -> &mut Command {
    command.stdin(Stdio::null()).stdout(log.try_clone().expect("clone the log")).stderr(log).process_group(0);
    // SAFETY: prctl is async-signal-safe and touches only the child's own state.
    unsafe {
        command.pre_exec(move || {
            libc::prctl(libc::PR_SET_PDEATHSIG, on_parent_death);
            Ok(())
        });
    }
    command
}

/// Stops a child started in its own process group: SIGTERM to the group,
/// up to `grace` to exit, then SIGKILL to whatever is left of it.
pub fn stop_group(child: &mut Child, grace: Duration) {
    let group = -(child.id() as i32);
    unsafe { libc::kill(group, libc::SIGTERM) };
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        thread::sleep(Duration::from_millis(50));
    }
    unsafe { libc::kill(group, libc::SIGKILL) };
    let _ = child.wait();
}

/// The current wall-clock time in Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or_default()
}
