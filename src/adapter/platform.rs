//! The Workers platform: `Date.now()`, outgoing `fetch` (never following
//! redirects), timers, the console, and the test-only race hook.

use crate::app::{Level, Platform};
use crate::domain::integrations::Outgoing;
use crate::domain::outbox::{AttemptResult, ATTEMPT_TIMEOUT_MS};
use crate::domain::settings::Settings;
use crate::domain::time::Timestamp;
use futures_util::future::{select, Either};
use std::time::Duration;
use worker::js_sys::Uint8Array;
use worker::{
    console_error, console_warn, AbortController, Date, Delay, Fetch, Headers, Method, Request, RequestInit,
    RequestRedirect,
};

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

/// Makes one HTTP request, giving up after the attempt timeout. Redirects
/// are never followed (the request carries the channel's secret headers and
/// signature, and the new destination was never checked): a 3xx comes back
/// as a failed attempt with its `Location`.
async fn send(outgoing: &Outgoing) -> AttemptResult {
    let headers = Headers::new();
    for (name, value) in &outgoing.headers {
        if let Err(err) = headers.set(name, value) {
            return AttemptResult::Undeliverable(format!("header {name}: {err}"));
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
        Either::Left((Ok(response), _)) => {
            AttemptResult::of_response(response.status_code(), response.headers().get("Location").ok().flatten())
        }
        Either::Left((Err(err), _)) => AttemptResult::NetworkError(err.to_string()),
        Either::Right(_) => {
            controller.abort();
            AttemptResult::Timeout
        }
    };
    result
}
