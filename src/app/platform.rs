//! What the application needs of the platform beyond storage: the clock,
//! outgoing HTTP, randomness for retry jitter, logs, and a test hook.

use crate::domain::channels::{Answer, EmailOut, Outgoing};
use crate::domain::outbox::AttemptResult;
use crate::domain::time::Timestamp;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Warn,
    Error,
}

/// How much of an answer's body is kept to read it.
pub const ANSWER_EXCERPT: usize = 2000;

pub trait Platform {
    /// The one clock.
    fn now(&self) -> Timestamp;

    /// Makes one outgoing HTTP request (never following redirects), giving
    /// up after the attempt timeout. An answer that is not a success comes
    /// with the start of its body (at most `ANSWER_EXCERPT` bytes), which
    /// tells a permanent refusal from a passing error.
    async fn send(&self, request: &Outgoing) -> Answer;

    /// Sends one email through the deployment's transport (the
    /// `send_email` binding when bound, else SMTP), giving up after the
    /// attempt timeout: `Accepted` when the transport took it, `Refused`
    /// when every recipient's mailbox is refused for good.
    async fn send_email(&self, email: &EmailOut) -> AttemptResult;

    /// A random number in [0, 1), for retry jitter.
    fn jitter(&self) -> f64;

    /// Waits `ms` milliseconds (between retries of a contended write).
    async fn sleep(&self, ms: u64);

    fn log(&self, level: Level, message: &str);

    /// Test-only: waits at a named point between a read and the write that
    /// depends on it, so that a test can force another write in between
    /// (`RACE_HOOK_URL` on the Worker; a callback in native tests).
    async fn race_point(&self, point: &str);
}
