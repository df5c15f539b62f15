//! The Workers platform: `Date.now()`, outgoing `fetch` (never following
//! redirects), timers, the console, and the test-only race hook.

use crate::app::platform::ANSWER_EXCERPT;
use crate::app::{Level, Platform};
use crate::domain::channels::{Answer, Outgoing};
use crate::domain::outbox::{AttemptResult, ATTEMPT_TIMEOUT_MS};
use crate::domain::settings::Settings;
use crate::domain::time::Timestamp;
use futures_util::future::{select, Either};
use std::time::Duration;
use worker::js_sys::Uint8Array;
use worker::{console_error, console_warn, AbortController, Date, Delay, Fetch, Headers, Method, Request, RequestInit};

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

    async fn send(&self, outgoing: &Outgoing) -> Answer {
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

/// Makes one HTTP request, giving up after the attempt timeout (the
/// answer's body, read for an answer that is not a success, included).
async fn send(outgoing: &Outgoing) -> Answer {
    let headers = Headers::new();
    for (name, value) in &outgoing.headers {
        if let Err(err) = headers.set(name, value) {
            return Answer::of(AttemptResult::Undeliverable(format!("header {name}: {err}")));
        }
    }
    let mut init = RequestInit::new();
    init.with_method(Method::from(outgoing.method.clone())).with_headers(headers);
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
        let body = if (200..300).contains(&status) { Vec::new() } else { response.bytes().await.unwrap_or_default() };
        Ok::<_, worker::Error>((status, body))
    });
    let timeout = Box::pin(Delay::from(Duration::from_millis(ATTEMPT_TIMEOUT_MS as u64)));
    let finished = select(sending, timeout).await;
    // Bound to a name so the pending futures, which borrow `fetch` and
    // `signal`, are dropped before them.
    #[allow(clippy::let_and_return)]
    let answer = match finished {
        Either::Left((Ok((status, body)), _)) => {
            let kept = &body[..body.len().min(ANSWER_EXCERPT)];
            Answer { result: AttemptResult::Status(status), body: String::from_utf8_lossy(kept).into_owned() }
        }
        Either::Left((Err(err), _)) => Answer::of(AttemptResult::NetworkError(err.to_string())),
        Either::Right(_) => {
            controller.abort();
            Answer::of(AttemptResult::Timeout)
        }
    };
    answer
}
