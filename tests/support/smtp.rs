//! A real SMTP server on 127.0.0.1 (aiosmtpd, tests/support/smtp_server.py)
//! that requires a login and keeps every message it accepts, and Python's
//! `email` package to read them (tests/support/parse_email.py).

use super::worker::{free_port, root, stop_group};
use serde_json::Value;
use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

pub const USER: &str = "edgebeat";
pub const PASSWORD: &str = "smtp-s3cret";

/// The project's Python, with aiosmtpd (scripts/setup.sh --test installs it).
fn python() -> PathBuf {
    let python = root().join(".tools/venv/bin/python");
    assert!(python.exists(), "{} is missing: run scripts/setup.sh --test", python.display());
    python
}

pub struct SmtpServer {
    pub port: u16,
    dir: PathBuf,
    child: Child,
}

/// One message as Python's `email` package reads it, with its envelope.
#[derive(Clone, Debug)]
pub struct Received {
    pub parsed: Value,
    pub envelope: Value,
    pub raw: Vec<u8>,
}

impl Received {
    pub fn part(&self, content_type: &str) -> String {
        self.parsed["parts"]
            .as_array()
            .and_then(|parts| parts.iter().find(|p| p["type"] == content_type))
            .and_then(|p| p["content"].as_str())
            .unwrap_or_else(|| panic!("no {content_type} part: {}", self.parsed))
            .to_owned()
    }
}

impl SmtpServer {
    pub fn start() -> SmtpServer {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("edgebeat-smtp-{}-{port}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create the mail directory");
        let mut command = Command::new(python());
        command
            .arg(root().join("tests/support/smtp_server.py"))
            .arg(port.to_string())
            .arg(&dir)
            .arg(USER)
            .arg(PASSWORD)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0);
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = command.spawn().expect("start the SMTP server");
        let stdout = child.stdout.take().expect("its output");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("read READY");
        assert_eq!(line.trim(), "READY", "the SMTP server did not start");
        SmtpServer { port, dir, child }
    }

    /// Waits for at least `count` messages, or panics after `timeout`.
    pub fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            assert!(Instant::now() < deadline, "{} messages arrived, expected {count}", received.len());
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Every complete message so far, in order.
    pub fn received(&self) -> Vec<Received> {
        let mut received = Vec::new();
        for n in 1.. {
            let envelope = self.dir.join(format!("{n}.json"));
            let Ok(text) = fs::read_to_string(&envelope) else { break };
            let message = self.dir.join(format!("{n}.eml"));
            received.push(Received {
                parsed: parse(&message),
                envelope: serde_json::from_str(&text).expect("the envelope"),
                raw: fs::read(&message).expect("the message"),
            });
        }
        received
    }
}

/// Reads a message with Python's `email` package (strict policy).
pub fn parse(path: &Path) -> Value {
    let output = Command::new(python())
        .arg(root().join("tests/support/parse_email.py"))
        .arg(path)
        .output()
        .expect("run parse_email.py");
    assert!(output.status.success(), "parse_email.py: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("its JSON")
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        stop_group(&mut self.child, Duration::from_secs(3));
        let _ = fs::remove_dir_all(&self.dir);
    }
}
