//! The Workers platform: `Date.now()`, outgoing `fetch` (never following
//! redirects), timers, the console, the cache of answers, and the
//! test-only race hook.

use crate::app::cache::MemoryCache;
use crate::app::{CacheHit, CachedAnswer, Level, Platform};
use crate::domain::integrations::Outgoing;
use crate::domain::outbox::{AttemptResult, ATTEMPT_TIMEOUT_MS};
use crate::domain::settings::Settings;
use crate::domain::time::Timestamp;
use futures_util::future::{select, Either};
use std::time::Duration;
use worker::js_sys::Uint8Array;
use worker::{
    console_error, console_warn, AbortController, Cache, Date, Delay, Fetch, Headers, Method, Request, RequestInit,
    Response,
};

/// The header that carries when a cached answer was made (Unix ms).
const STORED_AT: &str = "X-Edgebeat-Stored-At";

thread_local! {
    /// The isolate's own cache, under the data center's: the Workers cache
    /// does nothing on `*.workers.dev` (and behind Cloudflare Access), and
    /// there this layer still spares the database most requests.
    static ISOLATE_CACHE: MemoryCache = const { MemoryCache::new(64) };
}

pub struct WorkersPlatform {
    race_hook_url: Option<String>,
}

impl WorkersPlatform {
    pub fn new(settings: &Settings) -> Self {
        WorkersPlatform { race_hook_url: settings.race_hook_url.clone() }
    }
}

/// The one clock.
pub fn now() -> Timestamp {
    Timestamp::from_millis(Date::now().as_millis() as i64)
}

impl Platform for WorkersPlatform {
    fn now(&self) -> Timestamp {
        now()
    }

    async fn send(&self, outgoing: &Outgoing) -> AttemptResult {
        send(outgoing).await
    }

    fn jitter(&self) -> f64 {
        let mut bytes = [0u8; 4];
        match getrandom::getrandom(&mut bytes) {
            Ok(()) => f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0),
            Err(_) => 0.5,
        }
    }

    async fn sleep(&self, ms: u64) {
        Delay::from(Duration::from_millis(ms)).await;
    }

    fn log(&self, level: Level, message: &str) {
        match level {
            Level::Warn => console_warn!("{message}"),
            Level::Error => console_error!("{message}"),
        }
    }

    /// The data center's cache first (shared by every isolate there), then
    /// the isolate's.
    async fn cache_get(&self, key: &str) -> Option<CacheHit> {
        if let Some(answer) = edge_get(key).await {
            return Some(CacheHit { answer, layer: "edge" });
        }
        ISOLATE_CACHE.with(|cache| cache.get(key, now())).map(|answer| CacheHit { answer, layer: "isolate" })
    }

    async fn cache_put(&self, key: &str, answer: &CachedAnswer, ttl_secs: i64) {
        ISOLATE_CACHE.with(|cache| cache.put(key, answer, ttl_secs));
        if let Err(err) = edge_put(key, answer, ttl_secs).await {
            console_warn!("cache put {key}: {err}");
        }
    }

    async fn cache_delete(&self, key: &str) {
        ISOLATE_CACHE.with(|cache| cache.delete(key));
        if let Err(err) = Cache::default().delete(key, false).await {
            console_warn!("cache delete {key}: {err}");
        }
    }

    async fn race_point(&self, point: &str) {
        let Some(hook) = &self.race_hook_url else { return };
        let Ok(url) = worker::Url::parse(&format!("{hook}/{point}")) else {
            console_warn!("race hook {point}: RACE_HOOK_URL is not a URL");
            return;
        };
        if let Err(err) = Fetch::Url(url).send().await {
            console_warn!("race hook {point}: {err}");
        }
    }
}

/// The answer the Workers cache keeps under `key`, if any (a failure is a miss).
async fn edge_get(key: &str) -> Option<CachedAnswer> {
    let mut response = match Cache::default().get(key, false).await {
        Ok(found) => found?,
        Err(err) => {
            console_warn!("cache get {key}: {err}");
            return None;
        }
    };
    let headers = response.headers();
    let stored_at = headers.get(STORED_AT).ok().flatten()?.parse::<i64>().ok()?;
    let content_type = headers.get("Content-Type").ok().flatten().unwrap_or_default();
    let status = response.status_code();
    let body = response.bytes().await.ok()?;
    Some(CachedAnswer { status, content_type, body, stored_at: Timestamp::from_millis(stored_at) })
}

/// Puts `answer` in the Workers cache for `ttl_secs` (its `Cache-Control`).
async fn edge_put(key: &str, answer: &CachedAnswer, ttl_secs: i64) -> worker::Result<()> {
    let headers = Headers::new();
    headers.set("Content-Type", &answer.content_type)?;
    headers.set("Cache-Control", &format!("public, max-age={ttl_secs}"))?;
    headers.set(STORED_AT, &answer.stored_at.millis().to_string())?;
    let response = Response::builder().with_status(answer.status).with_headers(headers).fixed(answer.body.clone());
    Cache::default().put(key, response).await
}

/// Makes one HTTP request, giving up after the attempt timeout.
async fn send(outgoing: &Outgoing) -> AttemptResult {
    let headers = Headers::new();
    for (name, value) in &outgoing.headers {
        if let Err(err) = headers.set(name, value) {
            return AttemptResult::Undeliverable(format!("header {name}: {err}"));
        }
    }
    let mut init = RequestInit::new();
    init.with_method(Method::from(outgoing.method.clone())).with_headers(headers);
    if !outgoing.body.is_empty() {
        init.with_body(Some(Uint8Array::from(outgoing.body.as_slice()).into()));
    }
    let request = match Request::new_with_init(&outgoing.url, &init) {
        Ok(request) => request,
        Err(err) => return AttemptResult::Undeliverable(format!("bad request: {err}")),
    };
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let sending = Box::pin(fetch.send_with_signal(&signal));
    let timeout = Box::pin(Delay::from(Duration::from_millis(ATTEMPT_TIMEOUT_MS as u64)));
    let finished = select(sending, timeout).await;
    // Bound to a name so the pending futures, which borrow `fetch` and
    // `signal`, are dropped before them.
    #[allow(clippy::let_and_return)]
    let result = match finished {
        Either::Left((Ok(response), _)) => AttemptResult::Status(response.status_code()),
        Either::Left((Err(err), _)) => AttemptResult::NetworkError(err.to_string()),
        Either::Right(_) => {
            controller.abort();
            AttemptResult::Timeout
        }
    };
    result
}
