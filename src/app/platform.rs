//! What the application needs of the platform beyond storage: the clock,
//! outgoing HTTP, randomness for retry jitter, logs, a cache of answers,
//! and a test hook.

use crate::domain::access::keys::{Jwk, KeyCache};
use crate::domain::channels::{Answer, EmailOut, Outgoing};
use crate::domain::outbox::AttemptResult;
use crate::domain::time::Timestamp;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Warn,
    Error,
}

/// An answer kept in the cache (a public status page's): enough to answer
/// again, and when it was made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedAnswer {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    pub stored_at: Timestamp,
}

/// An answer found in the cache, and which layer of it kept the answer
/// (`edge`: the Workers cache of the data center; `isolate`: this
/// isolate's memory; `memory` in tests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheHit {
    pub answer: CachedAnswer,
    pub layer: &'static str,
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

    /// The answer kept under `key` (an absolute URL), if any. Whether it is
    /// still fresh is the caller's decision (`stored_at`); a cache that
    /// fails is a miss.
    async fn cache_get(&self, key: &str) -> Option<CacheHit>;

    /// Keeps `answer` under `key` for `ttl_secs`. Best effort: a failure is
    /// logged, and only costs a later request a read.
    async fn cache_put(&self, key: &str, answer: &CachedAnswer, ttl_secs: i64);

    /// Forgets `key`, where this platform can (the Workers cache forgets it
    /// in this data center only; others keep it until it expires).
    async fn cache_delete(&self, key: &str);

    /// Test-only: waits at a named point between a read and the write that
    /// depends on it, so that a test can force another write in between
    /// (`RACE_HOOK_URL` on the Worker; a callback in native tests).
    async fn race_point(&self, point: &str);

    /// Fetches a small document with GET (the Access team's keys): its
    /// body, up to `max` bytes, or why it could not (any status but 200
    /// included), giving up after the attempt timeout.
    async fn fetch_document(&self, url: &str, max: usize) -> Result<Vec<u8>, String>;

    /// Whether `signature` is a valid RS256 (RSASSA-PKCS1-v1_5 with
    /// SHA-256) signature of `message` by `key`: WebCrypto in the Worker,
    /// no crypto of edgebeat's own.
    async fn verify_rs256(&self, key: &Jwk, message: &[u8], signature: &[u8]) -> bool;

    /// This isolate's Access keys, kept between requests. Borrowed only
    /// briefly, never across an await.
    fn access_keys(&self) -> &std::cell::RefCell<KeyCache>;
}
