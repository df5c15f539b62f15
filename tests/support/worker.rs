//! Starts the real Worker under `wrangler dev` (workerd, local SQLite-backed
//! D1) on a free port with a throw-away database, and stops it again, also
//! when the test fails.

use super::http::{request, HttpResponse};
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

pub struct Worker {
    pub port: u16,
    child: Child,
    dir: PathBuf,
    /// A wrangler config of this worker's own (wrangler.toml plus more
    /// bindings), removed with it.
    config: Option<PathBuf>,
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

/// A local D1 with all migrations applied, made once per test binary and
/// copied for each worker, so no test sees another's data.
fn migrated_template() -> &'static Path {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        // Build once up front (a no-op when fresh); wrangler's own build step is then a no-op too.
        run_checked("scripts/build.sh");
        let dir = scratch_dir("template");
        run_checked(&format!("wrangler d1 migrations apply DB --local --persist-to '{}'", dir.display()));
        dir
    })
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
    /// `vars` (a developer's .dev.vars is never read).
    pub fn start_with(vars: &[(&str, &str)]) -> Worker {
        Worker::start_with_config(vars, "")
    }

    /// As `start_with`, with `extra` appended to wrangler.toml (bindings a
    /// test needs and a deployment does not have, such as `send_email`).
    pub fn start_with_config(vars: &[(&str, &str)], extra: &str) -> Worker {
        // A free port can be taken by another test between choosing it and
        // wrangler binding it; then start again on fresh ports.
        for _ in 0..3 {
            match Worker::try_start(vars, extra) {
                Ok(worker) => return worker,
                Err(log) if log.contains("Address already in use") => continue,
                Err(log) => panic!("{log}"),
            }
        }
        panic!("wrangler dev found its ports taken three times in a row")
    }

    fn try_start(vars: &[(&str, &str)], extra: &str) -> Result<Worker, String> {
        let template = migrated_template();
        let dir = scratch_dir("worker");
        let state = dir.join("state");
        copy_dir(template, &state);
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
        // Next to wrangler.toml, so that its relative paths mean the same.
        let config = (!extra.is_empty()).then(|| {
            let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let path = root().join(format!(".wrangler-test-{name}.toml"));
            let base = fs::read_to_string(root().join("wrangler.toml")).expect("read wrangler.toml");
            fs::write(&path, format!("{base}\n{extra}\n")).expect("write the test's wrangler config");
            path
        });
        let config_flag = config.as_ref().map(|c| format!(" --config '{}'", c.display())).unwrap_or_default();
        let script = format!(
            "exec wrangler dev --ip 127.0.0.1 --port {port} --inspector-port {inspector} \
             --persist-to '{}' --env-file '{}' --show-interactive-dev-session=false{config_flag}",
            state.display(),
            dir.join("test.env").display()
        );
        let mut command = project_command(&script);
        command.stdin(Stdio::null()).stdout(log.try_clone().expect("clone the log")).stderr(log).process_group(0);
        // If this test process dies, take wrangler down with it.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let child = command.spawn().expect("spawn wrangler dev");
        let mut worker = Worker { port, child, dir, config };
        worker.wait_until_ready()?;
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

    /// Runs SQL against this worker's local D1 from outside, as an operator
    /// (or a broken migration) would: for injecting real storage faults.
    pub fn execute_sql(&self, sql: &str) {
        let state = self.dir.join("state");
        run_checked(&format!(
            "wrangler d1 execute DB --local --persist-to '{}' --command \"{}\"",
            state.display(),
            sql.replace('"', "\\\"")
        ));
    }

    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("wrangler.log")).unwrap_or_default()
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
        let _ = fs::remove_dir_all(&self.dir);
        if let Some(config) = &self.config {
            let _ = fs::remove_file(config);
        }
    }
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
