//! The Workers platform: `Date.now()`, outgoing `fetch` (never following
//! redirects), timers, the console, and the test-only race hook.

use crate::app::platform::ANSWER_EXCERPT;
use crate::app::{Level, Platform};
use crate::domain::channels::{Answer, EmailOut, Outgoing};
use crate::domain::outbox::{AttemptResult, ATTEMPT_TIMEOUT_MS};
use crate::domain::settings::Settings;
use crate::domain::settings::SmtpSettings;
use crate::domain::time::Timestamp;
use futures_util::future::{select, Either};
use std::time::Duration;
use worker::js_sys::Uint8Array;
use worker::{
    console_error, console_warn, AbortController, Date, Delay, EmailMessage, Env, Fetch, Headers, Method, Request,
    RequestInit, SendEmail,
};

pub struct WorkersPlatform {
    race_hook_url: Option<String>,
    /// Cloudflare's `send_email` binding (`EMAIL`), when bound.
    email: Option<SendEmail>,
    smtp: Option<SmtpSettings>,
}

impl WorkersPlatform {
    pub fn new(settings: &Settings, env: &Env) -> Self {
        WorkersPlatform {
            race_hook_url: settings.race_hook_url.clone(),
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
