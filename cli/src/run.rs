//! `edgebeat run`: runs a command under a heartbeat. Sends `/start` with a
//! fresh run id, runs the command with its output passed through and its
//! tail kept, then sends the exit status with that tail as the body, and
//! exits with the command's own status. Pings are retried within a time
//! budget and never change what the command does or how it ends.
//!
//! The command runs in a process group of its own, so `--timeout` and the
//! SIGTERM/SIGINT/SIGHUP that edgebeat forwards reach everything it started
//! (`sh -c 'a | b'` included); after `--timeout` or a forwarded signal the
//! command has `--kill-after` to end before it is killed. That makes `edgebeat run` a wrapper for jobs,
//! not for interactive programs that read the terminal.

use crate::client::{agent, ping_once, PingAnswer};
use crate::retry::{attempt_timeout, classify, next_delay, RetryPolicy, Verdict};
use crate::tail::{ping_body, Tail, DEFAULT_BODY_LIMIT};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The exit status of a command stopped by `--timeout`, as timeout(1) uses.
pub const TIMED_OUT: i32 = 124;

pub struct RunOptions {
    /// `https://host/ping/<uuid>` or `https://host/ping/<ping_key>/<slug>`;
    /// `None` when configuration is missing: the command still runs.
    pub ping_url: Option<String>,
    /// What the user called the check, for messages.
    pub check: String,
    pub create: bool,
    pub timeout: Option<Duration>,
    pub kill_after: Duration,
    pub ping_budget: Duration,
    pub command: Vec<String>,
}

struct Pinger {
    agent: ureq::Agent,
    url: String,
    query: String,
    check: String,
    policy: RetryPolicy,
}

impl Pinger {
    /// Sends one ping with retries; reports failure on stderr and returns
    /// the final answer, if any came.
    fn send(&self, signal: &str, body: &[u8]) -> Option<PingAnswer> {
        let url = format!("{}/{signal}?{}", self.url, self.query);
        let started = Instant::now();
        let mut attempts = 0;
        loop {
            let outcome = ping_once(&self.agent, &url, body, attempt_timeout(&self.policy, started.elapsed()));
            attempts += 1;
            let (verdict, problem) = match &outcome {
                Ok(answer) => (classify(Some(answer.status)), format!("{} {}", answer.status, answer.body)),
                Err(error) => (classify(None), error.clone()),
            };
            match verdict {
                Verdict::Done => return outcome.ok(),
                Verdict::GiveUp => {
                    let hint = if outcome.as_ref().is_ok_and(|a| a.status == 404) {
                        " (does the check exist? with a slug, --create makes it)"
                    } else {
                        ""
                    };
                    eprintln!(
                        "edgebeat: could not report {} for {}: the server answered {problem}{hint}",
                        what_is_reported(signal),
                        self.check
                    );
                    return outcome.ok();
                }
                Verdict::Retry => match next_delay(&self.policy, attempts, started.elapsed()) {
                    Some(delay) => thread::sleep(delay),
                    None => {
                        eprintln!(
                            "edgebeat: could not report {} for {} ({attempts} attempts in {:.1}s): {problem}",
                            what_is_reported(signal),
                            self.check,
                            started.elapsed().as_secs_f64()
                        );
                        return None;
                    }
                },
            }
        }
    }
}

/// What a ping signal reports, in words: "the start of the run",
/// "exit status 0", "the failure of the run".
pub fn what_is_reported(signal: &str) -> String {
    match signal {
        "start" => "the start of the run".to_owned(),
        "fail" => "the failure of the run".to_owned(),
        code if !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()) => format!("exit status {code}"),
        other => format!("the {other} signal"),
    }
}

/// A random UUID (version 4) from the bytes given.
pub fn uuid_v4(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if read.is_err() {
        // No /dev/urandom: time and pid still make run ids distinct in practice.
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        bytes[..12].copy_from_slice(&nanos.to_le_bytes()[..12]);
        bytes[12..].copy_from_slice(&std::process::id().to_le_bytes());
    }
    bytes
}

/// The name of the signals edgebeat forwards, for messages.
pub fn signal_name(signal: i32) -> String {
    match signal {
        libc::SIGTERM => "SIGTERM".into(),
        libc::SIGINT => "SIGINT".into(),
        libc::SIGHUP => "SIGHUP".into(),
        libc::SIGKILL => "SIGKILL".into(),
        libc::SIGQUIT => "SIGQUIT".into(),
        libc::SIGSEGV => "SIGSEGV".into(),
        libc::SIGABRT => "SIGABRT".into(),
        other => format!("signal {other}"),
    }
}

/// How a run ended, as far as the ping and the exit status are concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ending {
    /// edgebeat's own exit status.
    pub code: i32,
    /// The ping signal: an exit status, or `fail`.
    pub signal: String,
    /// The note after the output in the ping body.
    pub footer: String,
}

/// Decides the exit status, ping and note from what happened. Pure.
/// `exit`: the command's exit code, or `Err(signal)` when a signal ended it.
pub fn ending(
    exit: Result<i32, i32>,
    timed_out: Option<Duration>,
    forwarded: Option<i32>,
    elapsed: Duration,
) -> Ending {
    let took = format!("after {:.1}s", elapsed.as_secs_f64());
    let mut code = match exit {
        Ok(code) => code,
        Err(signal) => 128 + signal,
    };
    let mut footer = match exit {
        Ok(code) => format!("[edgebeat: exit status {code} {took}"),
        Err(signal) => format!("[edgebeat: killed by {} {took}", signal_name(signal)),
    };
    if let Some(limit) = timed_out {
        code = TIMED_OUT;
        footer.push_str(&format!("; timed out after {}s (--timeout), exit status {TIMED_OUT}", limit.as_secs()));
    }
    if let Some(signal) = forwarded {
        footer.push_str(&format!("; edgebeat received {} and passed it on", signal_name(signal)));
    }
    footer.push(']');
    // A run interrupted by a signal failed even if the command exited 0.
    let signal = if code == 0 && forwarded.is_some() { "fail".to_owned() } else { code.clamp(0, 255).to_string() };
    Ending { code: code.clamp(0, 255), signal, footer }
}

/// How the command's stdout and stderr are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capture {
    /// One pipe for both streams: the ping body keeps the exact order the
    /// command wrote its lines in, and everything goes on to our stdout.
    /// Only when our own stdout and stderr are the same file (a terminal,
    /// `>log 2>&1`, cron's mail, journald), so passing it all through
    /// stdout changes nothing for whoever reads it.
    Combined,
    /// A pipe per stream, each passed on to its own destination, read by
    /// one thread in the order the data arrives. Lines written to the two
    /// pipes at the same moment cannot be ordered by anyone reading pipes;
    /// lines written apart come in order.
    Separate,
}

/// The device and inode of a file, to tell whether two descriptors write to the same place.
pub type FileId = (u64, u64);

/// Decides how to capture from what our stdout and stderr are. Pure.
pub fn capture_for(stdout: Option<FileId>, stderr: Option<FileId>) -> Capture {
    match (stdout, stderr) {
        (Some(out), Some(err)) if out == err => Capture::Combined,
        _ => Capture::Separate,
    }
}

fn file_id(fd: i32) -> Option<FileId> {
    let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: fstat(2) writes a `struct stat` into memory we own; we read it only when it succeeded.
    let stat = unsafe {
        if libc::fstat(fd, stat.as_mut_ptr()) != 0 {
            return None;
        }
        stat.assume_init()
    };
    Some((stat.st_dev as u64, stat.st_ino as u64))
}

/// A pipe the command writes to, and whether what comes out of it goes to our stdout.
struct Source {
    file: std::fs::File,
    to_stdout: bool,
}

/// Copies every source to its destination and into the tail, in the order
/// the data arrives (one thread, poll(2)), until all of them are closed.
fn copy_outputs(mut sources: Vec<Source>, tail: Arc<Mutex<Tail>>, done: mpsc::Sender<()>) {
    let mut buffer = [0u8; 16 * 1024];
    let mut pass_through = true;
    while !sources.is_empty() {
        let mut polled: Vec<libc::pollfd> =
            sources.iter().map(|s| libc::pollfd { fd: s.file.as_raw_fd(), events: libc::POLLIN, revents: 0 }).collect();
        // SAFETY: poll(2) reads and writes only the array we pass, with its true length.
        let ready = unsafe { libc::poll(polled.as_mut_ptr(), polled.len() as libc::nfds_t, -1) };
        if ready < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            break;
        }
        let mut closed = Vec::new();
        for (index, entry) in polled.iter().enumerate() {
            if entry.revents == 0 {
                continue;
            }
            let source = &mut sources[index];
            let n = match source.file.read(&mut buffer) {
                Ok(0) => {
                    closed.push(index);
                    continue;
                }
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    closed.push(index);
                    continue;
                }
            };
            let chunk = &buffer[..n];
            if pass_through {
                // If our own output is gone (closed pipe), keep collecting the tail.
                let written = if source.to_stdout {
                    let mut out = std::io::stdout().lock();
                    out.write_all(chunk).and_then(|()| out.flush())
                } else {
                    let mut err = std::io::stderr().lock();
                    err.write_all(chunk).and_then(|()| err.flush())
                };
                pass_through = written.is_ok();
            }
            if let Ok(mut tail) = tail.lock() {
                tail.push(chunk);
            }
        }
        for index in closed.into_iter().rev() {
            sources.remove(index);
        }
    }
    let _ = done.send(());
}

/// Starts the command with its output captured as `capture` says; the
/// sources to read come back with the child.
fn spawn(program: &str, args: &[String], capture: Capture) -> std::io::Result<(std::process::Child, Vec<Source>)> {
    let mut command = Command::new(program);
    command.args(args).stdin(Stdio::inherit()).process_group(0);
    let combined = match capture {
        Capture::Combined => {
            std::io::pipe().and_then(|(reader, writer)| Ok((reader, writer.try_clone()?, writer))).ok()
        }
        Capture::Separate => None,
    };
    let Some((reader, out, err)) = combined else {
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
        let mut sources = Vec::new();
        if let Some(stdout) = child.stdout.take() {
            sources.push(Source { file: std::fs::File::from(std::os::fd::OwnedFd::from(stdout)), to_stdout: true });
        }
        if let Some(stderr) = child.stderr.take() {
            sources.push(Source { file: std::fs::File::from(std::os::fd::OwnedFd::from(stderr)), to_stdout: false });
        }
        return Ok((child, sources));
    };
    let child = command.stdout(out).stderr(err).spawn();
    // Our copies of the write end must close, or the pipe never ends.
    drop(command);
    let source = Source { file: std::fs::File::from(std::os::fd::OwnedFd::from(reader)), to_stdout: true };
    Ok((child?, vec![source]))
}

fn kill_group(group: i32, signal: i32) {
    if group > 0 {
        // SAFETY: kill(2) with a negative pid signals the process group; no memory is involved.
        unsafe {
            libc::kill(-group, signal);
        }
    }
}

/// Runs the command and returns edgebeat's exit status.
pub fn run(options: RunOptions) -> i32 {
    let rid = uuid_v4(random_bytes());
    let mut query = format!("rid={rid}");
    if options.create {
        query.push_str("&create=1");
    }
    let pinger = options.ping_url.as_ref().map(|url| Pinger {
        agent: agent(),
        url: url.trim_end_matches('/').to_owned(),
        query,
        check: options.check.clone(),
        policy: RetryPolicy::with_budget(options.ping_budget),
    });

    // Catch the signals to forward before anything starts, so none is lost.
    let group = Arc::new(AtomicI32::new(0));
    let received = Arc::new(AtomicI32::new(0));
    let forwarding = signal_hook::iterator::Signals::new([libc::SIGTERM, libc::SIGINT, libc::SIGHUP]);
    match forwarding {
        Ok(mut signals) => {
            let (group, received) = (Arc::clone(&group), Arc::clone(&received));
            thread::spawn(move || {
                for signal in signals.forever() {
                    received.store(signal, Ordering::SeqCst);
                    kill_group(group.load(Ordering::SeqCst), signal);
                }
            });
        }
        Err(e) => eprintln!("edgebeat: cannot catch signals to forward them: {e}"),
    }

    let body_limit = pinger
        .as_ref()
        .and_then(|p| p.send("start", b""))
        .and_then(|answer| answer.body_limit)
        .unwrap_or(DEFAULT_BODY_LIMIT);
    let tail = Arc::new(Mutex::new(Tail::new(body_limit)));

    let Some((program, args)) = options.command.split_first() else {
        eprintln!("edgebeat: no command to run");
        return 2;
    };
    // Told to stop while the start ping was on its way: do not start the command at all.
    let early = received.load(Ordering::SeqCst);
    if early != 0 {
        let end = ending(Err(early), None, Some(early), Duration::ZERO);
        eprintln!("edgebeat: received {} before the command started; not starting it", signal_name(early));
        if let Some(pinger) = &pinger {
            pinger.send("fail", format!("[edgebeat: not started: received {}]", signal_name(early)).as_bytes());
        }
        return end.code;
    }
    let started = Instant::now();
    let capture = capture_for(file_id(libc::STDOUT_FILENO), file_id(libc::STDERR_FILENO));
    let spawned = spawn(program, args, capture);
    let (mut child, sources) = match spawned {
        Ok(spawned) => spawned,
        Err(e) => {
            let code = if e.kind() == std::io::ErrorKind::NotFound { 127 } else { 126 };
            let message = format!("edgebeat: cannot run {program:?}: {e}");
            eprintln!("{message}");
            if let Some(pinger) = &pinger {
                pinger.send(&code.to_string(), format!("{message}\n[edgebeat: exit status {code}]").as_bytes());
            }
            return code;
        }
    };
    let child_id = i32::try_from(child.id()).unwrap_or(0);
    group.store(child_id, Ordering::SeqCst);
    // A signal that came while the command was being started.
    let early = received.load(Ordering::SeqCst);
    if early != 0 {
        kill_group(child_id, early);
    }

    let (done_tx, done_rx) = mpsc::channel();
    {
        let tail = Arc::clone(&tail);
        thread::spawn(move || copy_outputs(sources, tail, done_tx));
    }

    // A timeout too large for the clock is no timeout.
    let deadline = options.timeout.and_then(|t| started.checked_add(t));
    let mut timed_out = false;
    let mut signalled = false;
    let mut kill_at: Option<Instant> = None;
    let status: Option<ExitStatus> = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) => {}
            Err(e) => {
                eprintln!("edgebeat: lost track of the command: {e}");
                break None;
            }
        }
        let now = Instant::now();
        if !timed_out && deadline.is_some_and(|d| now >= d) {
            timed_out = true;
            eprintln!(
                "edgebeat: the command ran longer than --timeout {}s; stopping it with SIGTERM",
                options.timeout.map_or(0, |t| t.as_secs())
            );
            kill_group(child_id, libc::SIGTERM);
            kill_at = now.checked_add(options.kill_after);
        }
        // A forwarded signal gives the command --kill-after to finish too, so that the
        // failure is still reported before a supervisor's own deadline (Kubernetes: 30 s).
        if !signalled && received.load(Ordering::SeqCst) != 0 {
            signalled = true;
            if let Some(at) = now.checked_add(options.kill_after) {
                kill_at = Some(kill_at.map_or(at, |k| k.min(at)));
            }
        }
        if kill_at.is_some_and(|k| now >= k) {
            eprintln!("edgebeat: the command outlived its signal by {}s; killing it", options.kill_after.as_secs());
            kill_group(child_id, libc::SIGKILL);
            kill_at = None;
        }
        thread::sleep(Duration::from_millis(20));
    };
    let elapsed = started.elapsed();
    let forwarded = match received.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    };
    if timed_out || forwarded.is_some() {
        // Whatever the command left behind in its group goes too.
        kill_group(child_id, libc::SIGKILL);
    }
    // Output still in the pipes; a background process that kept them open must not hold us up.
    let wait_until = Instant::now() + Duration::from_secs(2);
    let _ = done_rx.recv_timeout(wait_until.saturating_duration_since(Instant::now()));
    let exit = match status {
        Some(status) => match (status.code(), status.signal()) {
            (Some(code), _) => Ok(code),
            (None, Some(signal)) => Err(signal),
            (None, None) => Ok(1),
        },
        None => Ok(1),
    };
    let end = ending(exit, timed_out.then_some(options.timeout.unwrap_or_default()), forwarded, elapsed);
    if let Some(pinger) = &pinger {
        let body = match tail.lock() {
            Ok(tail) => ping_body(&tail.kept(), tail.total(), &end.footer, body_limit),
            Err(_) => end.footer.clone().into_bytes(),
        };
        pinger.send(&end.signal, &body);
    }
    end.code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_are_version_4_uuids() {
        let id = uuid_v4([0xff; 16]);
        assert_eq!(id, "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert_eq!(uuid_v4([0; 16]), "00000000-0000-4000-8000-000000000000");
        assert_ne!(uuid_v4(random_bytes()), uuid_v4(random_bytes()));
    }

    #[test]
    fn the_command_status_is_kept() {
        let second = Duration::from_millis(1500);
        let ok = ending(Ok(0), None, None, second);
        assert_eq!(ok, Ending { code: 0, signal: "0".into(), footer: "[edgebeat: exit status 0 after 1.5s]".into() });
        let failed = ending(Ok(3), None, None, second);
        assert_eq!((failed.code, failed.signal.as_str()), (3, "3"));
    }

    #[test]
    fn a_signal_is_a_failure() {
        let killed = ending(Err(libc::SIGTERM), None, Some(libc::SIGTERM), Duration::ZERO);
        assert_eq!((killed.code, killed.signal.as_str()), (143, "143"));
        assert!(
            killed.footer.contains("killed by SIGTERM") && killed.footer.contains("received SIGTERM"),
            "{}",
            killed.footer
        );
        // A command that handles the signal and exits 0 still failed its run.
        let clean = ending(Ok(0), None, Some(libc::SIGINT), Duration::ZERO);
        assert_eq!((clean.code, clean.signal.as_str()), (0, "fail"));
    }

    #[test]
    fn one_pipe_only_when_our_stdout_and_stderr_are_the_same_file() {
        assert_eq!(capture_for(Some((1, 7)), Some((1, 7))), Capture::Combined);
        assert_eq!(capture_for(Some((1, 7)), Some((1, 8))), Capture::Separate);
        assert_eq!(capture_for(None, Some((1, 8))), Capture::Separate);
        assert_eq!(capture_for(None, None), Capture::Separate, "unknown: keep the streams apart");
    }

    #[test]
    fn pings_are_named_by_what_they_report() {
        assert_eq!(what_is_reported("start"), "the start of the run");
        assert_eq!(what_is_reported("0"), "exit status 0");
        assert_eq!(what_is_reported("143"), "exit status 143");
        assert_eq!(what_is_reported("fail"), "the failure of the run");
    }

    #[test]
    fn a_timeout_exits_124() {
        let limit = Some(Duration::from_secs(5));
        let stopped = ending(Err(libc::SIGTERM), limit, None, Duration::from_secs(5));
        assert_eq!((stopped.code, stopped.signal.as_str()), (TIMED_OUT, "124"));
        assert!(stopped.footer.contains("timed out after 5s"), "{}", stopped.footer);
        let obeyed = ending(Ok(0), limit, None, Duration::from_secs(5));
        assert_eq!(obeyed.code, TIMED_OUT);
    }
}
