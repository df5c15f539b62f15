//! The Workers platform: `Date.now()`, outgoing `fetch` (never following
//! redirects), email (the `send_email` binding or SMTP), timers, the
//! console, the cache of answers, and the test-only race hook.

use crate::app::cache::MemoryCache;
use crate::app::platform::ANSWER_EXCERPT;
use crate::app::{CacheHit, CachedAnswer, Level, Platform};
use crate::domain::access::keys::{Jwk, KeyCache};
use crate::domain::channels::{Answer, EmailOut, Outgoing};
use crate::domain::outbox::{AttemptResult, ATTEMPT_TIMEOUT_MS};
use crate::domain::settings::{Settings, SmtpSettings};
use crate::domain::time::Timestamp;
use futures_util::future::{select, Either};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use web_sys::{CryptoKey, WorkerGlobalScope};
use worker::js_sys::Uint8Array;
use worker::js_sys::{self, Array, Object, Reflect, JSON};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{
    console_error, console_warn, AbortController, Cache, Date, Delay, EmailMessage, Env, Fetch, Headers, Method,
    Request, RequestInit, RequestRedirect, Response, SendEmail,
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
    access_keys: Rc<RefCell<KeyCache>>,
    /// Cloudflare's `send_email` binding (`EMAIL`), when bound.
    email: Option<SendEmail>,
    smtp: Option<SmtpSettings>,
}

thread_local! {
    /// The Access team's keys this isolate fetched, kept between requests.
    static ACCESS_KEYS: Rc<RefCell<KeyCache>> = Rc::new(RefCell::new(KeyCache::default()));
}

impl WorkersPlatform {
    pub fn new(settings: &Settings, env: &Env) -> Self {
        WorkersPlatform {
            race_hook_url: settings.race_hook_url.clone(),
            access_keys: ACCESS_KEYS.with(Rc::clone),
            email: env.send_email(EMAIL_BINDING).ok(),
            smtp: settings.smtp.clone(),
        }
    }
}

/// The name of the `send_email` binding in wrangler.toml.
pub const EMAIL_BINDING: &str = "EMAIL";

/// The one clock.
pub fn now() -> Timestamp {
    Timestamp::from_millis(Date::now().as_millis() as i64)
}

impl Platform for WorkersPlatform {
    fn now(&self) -> Timestamp {
        now()
    }

    async fn send(&self, outgoing: &Outgoing) -> Answer {
        send(outgoing).await
    }

    async fn send_email(&self, email: &EmailOut) -> AttemptResult {
        match (&self.email, &self.smtp) {
            (Some(binding), _) => send_with_binding(binding, email).await,
            (None, Some(smtp)) => super::smtp::submit(smtp, email).await,
            (None, None) => AttemptResult::Undeliverable(
                "no email transport: bind send_email as EMAIL, or set SMTP_HOST (docs/email.md)".into(),
            ),
        }
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

    async fn fetch_document(&self, url: &str, max: usize) -> Result<Vec<u8>, String> {
        fetch_document(url, max).await
    }

    async fn verify_rs256(&self, key: &Jwk, message: &[u8], signature: &[u8]) -> bool {
        match verify_rs256(key, message, signature).await {
            Ok(valid) => valid,
            Err(problem) => {
                console_warn!("access: verifying a token with key {}: {problem}", key.kid);
                false
            }
        }
    }

    fn access_keys(&self) -> &RefCell<KeyCache> {
        &self.access_keys
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

/// GETs a document, within the attempt timeout and `max` bytes.
async fn fetch_document(url: &str, max: usize) -> Result<Vec<u8>, String> {
    let url = worker::Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Url(url);
    let sending = Box::pin(fetch.send_with_signal(&signal));
    let timeout = Box::pin(Delay::from(Duration::from_millis(ATTEMPT_TIMEOUT_MS as u64)));
    let mut response = match select(sending, timeout).await {
        Either::Left((Ok(response), _)) => response,
        Either::Left((Err(err), _)) => return Err(err.to_string()),
        Either::Right(_) => {
            controller.abort();
            return Err("timed out".into());
        }
    };
    if response.status_code() != 200 {
        return Err(format!("answered {}", response.status_code()));
    }
    let body = response.bytes().await.map_err(|e| e.to_string())?;
    if body.len() > max {
        return Err(format!("larger than {max} bytes"));
    }
    Ok(body)
}

/// RS256 through WebCrypto: `importKey` of the JWK, then `verify` with
/// RSASSA-PKCS1-v1_5 and SHA-256.
async fn verify_rs256(key: &Jwk, message: &[u8], signature: &[u8]) -> Result<bool, String> {
    let shown = |e: JsValue| format!("{e:?}");
    let scope: WorkerGlobalScope = js_sys::global().unchecked_into();
    let subtle = scope.crypto().map_err(shown)?.subtle();
    let algorithm = Object::new();
    Reflect::set(&algorithm, &"name".into(), &"RSASSA-PKCS1-v1_5".into()).map_err(shown)?;
    let hash = Object::new();
    Reflect::set(&hash, &"name".into(), &"SHA-256".into()).map_err(shown)?;
    Reflect::set(&algorithm, &"hash".into(), &hash).map_err(shown)?;
    let jwk: Object = JSON::parse(&key.webcrypto_json()).map_err(shown)?.unchecked_into();
    let usages = Array::of1(&"verify".into());
    let importing = subtle.import_key_with_object("jwk", &jwk, &algorithm, false, &usages).map_err(shown)?;
    let imported: CryptoKey = JsFuture::from(importing).await.map_err(shown)?.unchecked_into();
    let verifying = subtle
        .verify_with_object_and_u8_array_and_u8_array(&algorithm, &imported, signature, message)
        .map_err(shown)?;
    Ok(JsFuture::from(verifying).await.map_err(shown)?.as_bool() == Some(true))
}

/// Makes one HTTP request, giving up after the attempt timeout. Redirects
/// are never followed (the request carries the channel's secret headers and
/// signature, and the new destination was never checked): a 3xx comes back
/// as a failed attempt with its `Location`. The body of an answer that is
/// not a success is read (an excerpt), for the kind to read a refusal.
async fn send(outgoing: &Outgoing) -> Answer {
    let headers = Headers::new();
    for (name, value) in &outgoing.headers {
        if let Err(err) = headers.set(name, value) {
            return Answer::of(AttemptResult::Undeliverable(format!("header {name}: {err}")));
        }
    }
    let mut init = RequestInit::new();
    init.with_method(Method::from(outgoing.method.clone()))
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual);
    if !outgoing.body.is_empty() {
        init.with_body(Some(Uint8Array::from(outgoing.body.as_slice()).into()));
    }
    let request = match Request::new_with_init(&outgoing.url, &init) {
        Ok(request) => request,
        Err(err) => return Answer::of(AttemptResult::Undeliverable(format!("bad request: {err}"))),
    };
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let sending = Box::pin(async {
        let mut response = fetch.send_with_signal(&signal).await?;
        let status = response.status_code();
        let location = response.headers().get("Location").ok().flatten();
        let body = if (200..300).contains(&status) { Vec::new() } else { response.bytes().await.unwrap_or_default() };
        Ok::<_, worker::Error>((status, location, body))
    });
    let timeout = Box::pin(Delay::from(Duration::from_millis(ATTEMPT_TIMEOUT_MS as u64)));
    let finished = select(sending, timeout).await;
    // Bound to a name so the pending futures, which borrow `fetch` and
    // `signal`, are dropped before them.
    #[allow(clippy::let_and_return)]
    let answer = match finished {
        Either::Left((Ok((status, location, body)), _)) => {
            let kept = &body[..body.len().min(ANSWER_EXCERPT)];
            Answer {
                result: AttemptResult::of_response(status, location),
                body: String::from_utf8_lossy(kept).into_owned(),
            }
        }
        Either::Left((Err(err), _)) => Answer::of(AttemptResult::NetworkError(err.to_string())),
        Either::Right(_) => {
            controller.abort();
            Answer::of(AttemptResult::Timeout)
        }
    };
    answer
}

/// Sends through the `send_email` binding, one message per recipient (the
/// binding's envelope has one), each within the attempt timeout. An error
/// that says the destination is not allowed (not a verified address of the
/// account) is a permanent refusal; others are worth another try.
async fn send_with_binding(binding: &SendEmail, email: &EmailOut) -> AttemptResult {
    let raw = String::from_utf8_lossy(&email.message);
    let mut ids = Vec::new();
    for to in &email.to {
        let message = match EmailMessage::new(&email.from, to, &raw) {
            Ok(message) => message,
            Err(err) => return AttemptResult::Undeliverable(format!("send_email: {err:?}")),
        };
        let sending = Box::pin(binding.send(&message));
        let timeout = Box::pin(Delay::from(Duration::from_millis(ATTEMPT_TIMEOUT_MS as u64)));
        let result = match select(sending, timeout).await {
            Either::Left((Ok(sent), _)) => Ok(sent.message_id()),
            Either::Left((Err(err), _)) => Err(String::from(err.to_string())),
            Either::Right(_) => return AttemptResult::Timeout,
        };
        match result {
            Ok(id) => ids.push(id),
            Err(problem) => {
                let lower = problem.to_ascii_lowercase();
                if lower.contains("destination") || lower.contains("not verified") || lower.contains("not allowed") {
                    return AttemptResult::Refused { status: None, reason: format!("send_email to {to}: {problem}") };
                }
                return AttemptResult::NetworkError(format!("send_email to {to}: {problem}"));
            }
        }
    }
    AttemptResult::Accepted(format!("send_email: {}", ids.join(", ")))
}
