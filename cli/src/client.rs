//! HTTP to edgebeat: the management API (JSON, with the API key) and single
//! ping attempts. Blocking, with `ureq`; every answer's status is returned
//! rather than turned into an error, so callers decide.

use serde_json::Value;
use std::time::Duration;

/// An agent that never treats an HTTP status as an error.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .user_agent(concat!("edgebeat-cli/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// The answer to one ping attempt.
#[derive(Clone, Debug)]
pub struct PingAnswer {
    pub status: u16,
    pub body: String,
    /// The server's `Ping-Body-Limit` header.
    pub body_limit: Option<usize>,
    /// The server's `Edgebeat-Already-Reported` header: a run's start or
    /// end it had already, so it recorded nothing.
    pub already_reported: bool,
}

/// One ping attempt: POST `url` with `body`, giving up after `timeout`.
pub fn ping_once(agent: &ureq::Agent, url: &str, body: &[u8], timeout: Duration) -> Result<PingAnswer, String> {
    let mut response = agent
        .post(url)
        .config()
        .timeout_global(Some(timeout))
        .build()
        .header("Content-Type", "text/plain; charset=utf-8")
        .send(body)
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body_limit =
        response.headers().get("ping-body-limit").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok());
    let already_reported = response.headers().get("edgebeat-already-reported").is_some_and(|v| v == "1");
    let body = response.body_mut().with_config().limit(64 * 1024).read_to_string().unwrap_or_default();
    Ok(PingAnswer { status, body: body.trim().to_owned(), body_limit, already_reported })
}

/// The management API v3 with one project's key.
pub struct Api {
    agent: ureq::Agent,
    base: String,
    key: String,
    /// Which of the project's keys the command needs, for the advice on a 401.
    needs: KeyNeed,
}

/// The key a command needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyNeed {
    /// Writes (sync, k8s-sync): the read-write key.
    ReadWrite,
    /// Reads (status): either key.
    ReadOnly,
}

impl KeyNeed {
    /// What to set EDGEBEAT_API_KEY to.
    pub fn advice(self) -> &'static str {
        match self {
            KeyNeed::ReadWrite => "the project's read-write key (hcw_...)",
            KeyNeed::ReadOnly => "the project's read-only key (hcr_...) or its read-write key (hcw_...)",
        }
    }
}

#[derive(Debug)]
pub struct ApiError(pub String);

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Api {
    pub fn new(base: &str, key: &str, needs: KeyNeed) -> Api {
        Api { agent: agent(), base: base.trim_end_matches('/').to_owned(), key: key.to_owned(), needs }
    }

    /// Where edgebeat is, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn agent(&self) -> &ureq::Agent {
        &self.agent
    }

    /// A request to `/api/v3/<path>`; a non-2xx answer is an error that
    /// carries the server's `error` message.
    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, ApiError> {
        let url = format!("{}/api/v3/{path}", self.base);
        let timeout = Some(Duration::from_secs(30));
        let result = match (method, body) {
            ("GET", _) => {
                self.agent.get(&url).config().timeout_global(timeout).build().header("X-Api-Key", &self.key).call()
            }
            ("DELETE", _) => {
                self.agent.delete(&url).config().timeout_global(timeout).build().header("X-Api-Key", &self.key).call()
            }
            (_, body) => self
                .agent
                .post(&url)
                .config()
                .timeout_global(timeout)
                .build()
                .header("X-Api-Key", &self.key)
                .header("Content-Type", "application/json")
                .send(body.map(Value::to_string).unwrap_or_default()),
        };
        let mut response = result.map_err(|e| ApiError(format!("{method} {url}: {e}")))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .map_err(|e| ApiError(format!("{method} {url}: reading the answer: {e}")))?;
        let json: Option<Value> = serde_json::from_str(&text).ok();
        if !(200..300).contains(&status) {
            let message = json
                .as_ref()
                .and_then(|j| j.get("error"))
                .and_then(Value::as_str)
                .map_or_else(|| text.chars().take(200).collect::<String>(), str::to_owned);
            let hint = match status {
                401 => format!(" (check EDGEBEAT_API_KEY: this command takes {})", self.needs.advice()),
                _ => String::new(),
            };
            return Err(ApiError(format!("{method} {url}: {status} {message}{hint}")));
        }
        json.ok_or_else(|| {
            ApiError(format!("{method} {url}: the answer is not JSON: {}", text.chars().take(200).collect::<String>()))
        })
    }

    pub fn list<T: serde::de::DeserializeOwned>(&self, path: &str, field: &str) -> Result<Vec<T>, ApiError> {
        let mut value = self.call("GET", path, None)?;
        let items = value.get_mut(field).map(Value::take).unwrap_or(Value::Array(Vec::new()));
        serde_json::from_value(items).map_err(|e| ApiError(format!("GET {path}: unexpected {field} list: {e}")))
    }
}
