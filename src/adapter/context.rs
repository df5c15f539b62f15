//! What every handler works with, built once per request: the store, the
//! settings, the clock's reading, and the request's own facts. Also the one
//! clock, the one body reader, and the one failure type for what is nobody's
//! fault but the platform's.

use super::store::{Store, StoreError};
use crate::domain::body::{BodyEnd, BodyLimits, BodyStart, BodyTally};
use crate::domain::ids::IdError;
use crate::domain::reply::Reply;
use crate::domain::route::Method;
use crate::domain::settings::Settings;
use crate::domain::time::Timestamp;
use worker::js_sys::{Reflect, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys::ReadableStreamDefaultReader;
use worker::{console_error, console_warn, Date, Env, Fetch, Headers, Request};

/// The one clock.
pub fn now() -> Timestamp {
    Timestamp::from_millis(Date::now().as_millis() as i64)
}

/// A random number in [0, 1) for retry jitter.
pub fn jitter() -> f64 {
    let mut bytes = [0u8; 4];
    match getrandom::getrandom(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.5,
    }
}

thread_local! {
    /// The settings as this isolate first read them. Vars and secrets are
    /// fixed for a Worker version, and an isolate runs one version, so
    /// reading them once saves every request about 30 calls into the runtime.
    static SETTINGS: std::cell::OnceCell<Settings> = const { std::cell::OnceCell::new() };
}

/// The settings, read from the Worker's vars and secrets by this isolate's
/// first request (and logged there when bad).
pub fn cached_settings(env: &Env) -> Settings {
    SETTINGS.with(|cell| cell.get_or_init(|| settings(env)).clone())
}

/// Reads the settings from the Worker's vars and secrets, logging bad values.
pub fn settings(env: &Env) -> Settings {
    let (settings, problems) = Settings::read(|name| {
        env.secret(name).map(|s| s.to_string()).or_else(|_| env.var(name).map(|v| v.to_string())).ok()
    });
    for problem in problems {
        console_warn!("{problem}");
    }
    settings
}

/// What went wrong that the client cannot fix: the answer is 503, so that
/// clients (and `curl --retry`) try again, and the cause is logged under
/// its own name.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Storage(#[from] StoreError),
    #[error("no random numbers: {0}")]
    Randomness(#[from] IdError),
    /// Contention, not a fault: the check kept changing under this write
    /// for the whole retry budget (a burst of pings to one check).
    #[error("the check kept changing; gave up after {0} lost writes")]
    Busy(u32),
}

impl Failure {
    /// Logs the failure and answers 503, as JSON or (for pings) plain text.
    pub fn reply(&self, handler: &str, plain_text: bool) -> Reply {
        let message = match self {
            Failure::Storage(_) => "storage unavailable",
            Failure::Randomness(_) => "temporarily unavailable",
            Failure::Busy(_) => "busy, try again",
        };
        if let Failure::Busy(_) = self {
            console_warn!("{handler}: {self}");
        } else {
            console_error!("{handler}: {self}");
        }
        let reply = match self {
            _ if plain_text => Reply::text(503, message),
            Failure::Busy(_) => Reply::error(503, message),
            _ => Reply::error(503, format!("{message}, try again")),
        };
        reply.with_header("Retry-After", "1")
    }
}

/// The request's facts, read once.
pub struct Incoming {
    pub method: Method,
    /// The method as sent, for ping records.
    pub method_name: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    /// The query string as sent (without `?`), for redirects that keep it.
    pub raw_query: String,
    /// `https://host` of the request.
    pub origin: String,
    pub scheme: String,
    pub headers: Headers,
}

impl Incoming {
    pub fn read(req: &Request) -> Incoming {
        let (origin, scheme, query, raw_query) = match req.url() {
            Ok(url) => (
                url.origin().ascii_serialization(),
                url.scheme().to_owned(),
                url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect(),
                url.query().unwrap_or_default().to_owned(),
            ),
            Err(_) => (String::new(), "https".to_owned(), Vec::new(), String::new()),
        };
        // The raw method: worker's Method enum reads unknown methods as GET.
        let method_name = req.inner().method();
        Incoming {
            method: Method::parse(&method_name),
            method_name,
            path: req.path(),
            query,
            raw_query,
            origin,
            scheme,
            headers: req.headers().clone(),
        }
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).ok().flatten()
    }
}

/// One request's context.
pub struct RequestContext<'a> {
    pub env: &'a Env,
    pub worker: &'a worker::Context,
    pub settings: Settings,
    pub now: Timestamp,
    pub incoming: Incoming,
    store: Result<Store, String>,
}

impl<'a> RequestContext<'a> {
    pub fn new(req: &Request, env: &'a Env, worker: &'a worker::Context) -> Self {
        RequestContext {
            env,
            worker,
            settings: cached_settings(env),
            now: now(),
            incoming: Incoming::read(req),
            store: Store::from_env(env).map_err(|e| e.to_string()),
        }
    }

    pub fn store(&self) -> Result<&Store, Failure> {
        self.store.as_ref().map_err(|e| Failure::Storage(StoreError::Binding(e.clone())))
    }

    /// The scheme and host for URLs in answers.
    pub fn base_url(&self) -> String {
        self.settings.public_url.clone().unwrap_or_else(|| self.incoming.origin.clone())
    }

    /// Test-only: waits at a named point for the `RACE_HOOK_URL` receiver,
    /// so that a test can force another write between a read and a write.
    pub async fn race_point(&self, point: &str) {
        let Some(hook) = &self.settings.race_hook_url else { return };
        let Ok(url) = worker::Url::parse(&format!("{hook}/{point}")) else {
            console_warn!("race hook {point}: RACE_HOOK_URL is not a URL");
            return;
        };
        if let Err(err) = Fetch::Url(url).send().await {
            console_warn!("race hook {point}: {err}");
        }
    }

    /// D1's counts for this request so far, when the operator asked for them.
    pub fn usage_header(&self) -> Option<String> {
        let store = self.store.as_ref().ok().filter(|_| self.settings.d1_usage_header)?;
        let usage = store.usage();
        Some(format!("read={}, written={}", usage.rows_read, usage.rows_written))
    }
}

/// A request body, read to its end so that the client always gets the
/// answer (see `crate::domain::body`): its first `limits.keep` bytes kept,
/// `TooLarge` past `limits.accept`. Only the kept bytes are copied into the
/// Worker's memory; the rest is counted and dropped.
pub async fn read_body(req: &mut Request, limits: BodyLimits) -> Body {
    let declared = req.headers().get("Content-Length").ok().flatten().and_then(|l| l.parse::<usize>().ok());
    match limits.start(declared) {
        BodyStart::TooLarge => return Body::TooLarge,
        BodyStart::Whole => {
            return match req.bytes().await {
                Ok(kept) => Body::Read { cut: false, kept },
                Err(_) => Body::Incomplete,
            };
        }
        BodyStart::Chunks => {}
    }
    // A request without a body (GET, HEAD) has nothing to read.
    let Some(stream) = req.inner().body() else { return Body::Read { kept: Vec::new(), cut: false } };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut tally = BodyTally::new(limits);
    let mut kept = Vec::new();
    loop {
        let Some(chunk) = next_chunk(&reader).await else { return Body::Incomplete };
        let Some(chunk) = chunk else { break };
        let Some(room) = tally.take(chunk.length() as usize) else {
            let _ = reader.cancel();
            return Body::TooLarge;
        };
        if room > 0 {
            let start = kept.len();
            kept.resize(start + room, 0);
            chunk.subarray(0, room as u32).copy_to(&mut kept[start..]);
        }
    }
    match tally.end() {
        BodyEnd::Accepted { cut } => Body::Read { kept, cut },
        BodyEnd::TooLarge => Body::TooLarge,
    }
}

/// The next chunk of a body: `Some(None)` at its end, `None` when it broke
/// off (the client went away, or sent less than its `Content-Length`).
async fn next_chunk(reader: &ReadableStreamDefaultReader) -> Option<Option<Uint8Array>> {
    let result = JsFuture::from(reader.read()).await.ok()?;
    let done = Reflect::get(&result, &JsValue::from_str("done")).ok()?;
    if done.is_truthy() {
        return Some(None);
    }
    let value = Reflect::get(&result, &JsValue::from_str("value")).ok()?;
    value.dyn_into::<Uint8Array>().ok().map(Some)
}

/// A request body as read.
pub enum Body {
    Read {
        kept: Vec<u8>,
        cut: bool,
    },
    TooLarge,
    /// The body broke off before its end: the client went away, or sent
    /// less than its `Content-Length`. Answered 400 (if anyone listens).
    Incomplete,
}
