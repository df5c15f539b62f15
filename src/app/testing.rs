//! A platform for the application's native tests: a clock the test sets
//! (sleeping moves it), outgoing requests recorded and answered as the
//! test says, logs kept, and a race hook the test can use to change things
//! between a read and a write.

use super::cache::MemoryCache;
use super::{CacheHit, CachedAnswer, Level, Platform};
use crate::domain::access::keys::{Jwk, KeyCache};
use crate::domain::channels::{Answer, EmailOut, Outgoing};
use crate::domain::outbox::AttemptResult;
use crate::domain::time::Timestamp;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

type Hook = Box<dyn FnMut(&str)>;
/// Verifies an RS256 signature natively (the tests give one made with a
/// RustCrypto crate, a dev-dependency).
pub type Verifier = Box<dyn Fn(&Jwk, &[u8], &[u8]) -> bool>;

pub struct TestPlatform {
    now: Cell<Timestamp>,
    /// Every request sent, in order.
    pub sent: RefCell<Vec<Outgoing>>,
    /// Every email sent, in order, and how the transport answers them.
    pub emails: RefCell<Vec<EmailOut>>,
    pub email_answer: RefCell<AttemptResult>,
    /// Answers for the next requests, in order; then `default_answer`.
    answers: RefCell<VecDeque<Answer>>,
    pub default_answer: RefCell<AttemptResult>,
    /// Standing answers for URLs starting with a prefix (before the queue).
    by_url: RefCell<Vec<(String, Answer)>>,
    pub logs: RefCell<Vec<(Level, String)>>,
    race_hook: RefCell<Option<Hook>>,
    /// Documents `fetch_document` answers, by URL (else it fails).
    pub documents: RefCell<Vec<(String, Vec<u8>)>>,
    /// Every URL fetched with `fetch_document`, in order.
    pub fetched: RefCell<Vec<String>>,
    /// How signatures are verified: none is valid until a test sets one.
    pub verifier: RefCell<Option<Verifier>>,
    access_keys: RefCell<KeyCache>,
    /// The cache of answers, expiring by this platform's clock.
    pub cache: MemoryCache,
}

impl TestPlatform {
    pub fn at(now: Timestamp) -> Self {
        TestPlatform {
            now: Cell::new(now),
            sent: RefCell::new(Vec::new()),
            emails: RefCell::new(Vec::new()),
            email_answer: RefCell::new(AttemptResult::Accepted("250 OK".into())),
            answers: RefCell::new(VecDeque::new()),
            default_answer: RefCell::new(AttemptResult::Status(200)),
            by_url: RefCell::new(Vec::new()),
            logs: RefCell::new(Vec::new()),
            race_hook: RefCell::new(None),
            documents: RefCell::new(Vec::new()),
            fetched: RefCell::new(Vec::new()),
            verifier: RefCell::new(None),
            access_keys: RefCell::new(KeyCache::default()),
            cache: MemoryCache::new(100),
        }
    }

    pub fn set_now(&self, now: Timestamp) {
        self.now.set(now);
    }

    pub fn advance_secs(&self, secs: i64) {
        self.now.set(self.now.get().plus_secs(secs));
    }

    /// The next requests get these answers, in order.
    pub fn answer(&self, results: impl IntoIterator<Item = AttemptResult>) {
        self.answers.borrow_mut().extend(results.into_iter().map(Answer::of));
    }

    /// The next request gets this status and body.
    pub fn answer_with_body(&self, status: u16, body: &str) {
        self.answers.borrow_mut().push_back(Answer { result: AttemptResult::Status(status), body: body.to_owned() });
    }

    /// Every request to a URL starting with `prefix` gets this status and
    /// body (until `answer_url` says otherwise for the same prefix).
    pub fn answer_url(&self, prefix: &str, status: u16, body: &str) {
        let answer = Answer { result: AttemptResult::Status(status), body: body.to_owned() };
        let mut rules = self.by_url.borrow_mut();
        rules.retain(|(p, _)| p != prefix);
        rules.push((prefix.to_owned(), answer));
    }

    /// Runs `hook` at every race point (with the point's name).
    pub fn on_race_point(&self, hook: impl FnMut(&str) + 'static) {
        *self.race_hook.borrow_mut() = Some(Box::new(hook));
    }

    /// `fetch_document(url)` answers `body` from now on.
    pub fn serve_document(&self, url: &str, body: &[u8]) {
        let mut documents = self.documents.borrow_mut();
        documents.retain(|(u, _)| u != url);
        documents.push((url.to_owned(), body.to_vec()));
    }

    /// The bodies of the requests sent to URLs starting with `prefix`, as text.
    pub fn bodies_to(&self, prefix: &str) -> Vec<String> {
        self.sent
            .borrow()
            .iter()
            .filter(|o| o.url.starts_with(prefix))
            .map(|o| String::from_utf8_lossy(&o.body).into_owned())
            .collect()
    }
}

impl Platform for TestPlatform {
    fn now(&self) -> Timestamp {
        self.now.get()
    }

    async fn send(&self, request: &Outgoing) -> Answer {
        self.sent.borrow_mut().push(request.clone());
        if let Some((_, answer)) = self.by_url.borrow().iter().find(|(p, _)| request.url.starts_with(p.as_str())) {
            return answer.clone();
        }
        let next = self.answers.borrow_mut().pop_front();
        next.unwrap_or_else(|| Answer::of(self.default_answer.borrow().clone()))
    }

    async fn send_email(&self, email: &EmailOut) -> AttemptResult {
        self.emails.borrow_mut().push(email.clone());
        self.email_answer.borrow().clone()
    }

    fn jitter(&self) -> f64 {
        0.5
    }

    async fn sleep(&self, ms: u64) {
        self.now.set(self.now.get().plus_millis(ms as i64));
    }

    fn log(&self, level: Level, message: &str) {
        self.logs.borrow_mut().push((level, message.to_owned()));
    }

    async fn fetch_document(&self, url: &str, max: usize) -> Result<Vec<u8>, String> {
        self.fetched.borrow_mut().push(url.to_owned());
        let documents = self.documents.borrow();
        match documents.iter().find(|(u, _)| u == url) {
            Some((_, body)) if body.len() <= max => Ok(body.clone()),
            Some(_) => Err(format!("{url}: larger than {max} bytes")),
            None => Err(format!("{url}: connection refused")),
        }
    }

    async fn verify_rs256(&self, key: &Jwk, message: &[u8], signature: &[u8]) -> bool {
        self.verifier.borrow().as_ref().is_some_and(|verify| verify(key, message, signature))
    }

    fn access_keys(&self) -> &RefCell<KeyCache> {
        &self.access_keys
    }

    async fn cache_get(&self, key: &str) -> Option<CacheHit> {
        self.cache.get(key, self.now()).map(|answer| CacheHit { answer, layer: "memory" })
    }

    async fn cache_put(&self, key: &str, answer: &CachedAnswer, ttl_secs: i64) {
        self.cache.put(key, answer, ttl_secs);
    }

    async fn cache_delete(&self, key: &str) {
        self.cache.delete(key);
    }

    async fn race_point(&self, point: &str) {
        // Taken out while it runs, so that it may use the platform itself.
        let hook = self.race_hook.borrow_mut().take();
        if let Some(mut hook) = hook {
            hook(point);
            *self.race_hook.borrow_mut() = Some(hook);
        }
    }
}

/// Runs a future to completion on this thread (everything the application
/// awaits completes without an outside event: the twin and this platform
/// never wait on I/O).
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}
