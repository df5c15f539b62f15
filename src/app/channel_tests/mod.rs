//! Channels' native tests (failing channels, email pings): the
//! application on the in-memory store and the recording platform, whole
//! flows through the router, in milliseconds.

mod email_pings;
mod failing_channels;

use super::testing::{block_on, TestPlatform};
use super::{router, App, Handled, Platform, Request, Shards};
use crate::domain::settings::Settings;
use crate::domain::time::Timestamp;
use crate::store::memory::MemoryStore;
use serde_json::Value;

pub const ADMIN: &str = "admin-token";
pub const T0: Timestamp = Timestamp::from_secs(1_700_000_000);

pub fn settings() -> Settings {
    Settings {
        admin_token: Some(ADMIN.into()),
        public_url: Some("https://eb.example".into()),
        allow_private_destinations: true,
        ..Settings::default()
    }
}

/// One database, its settings and a platform at `T0`.
pub struct World {
    pub shards: Shards<MemoryStore>,
    pub settings: Settings,
    pub platform: TestPlatform,
}

impl World {
    pub fn new() -> World {
        World {
            shards: Shards::new(MemoryStore::new(), Vec::new()),
            settings: settings(),
            platform: TestPlatform::at(T0),
        }
    }

    pub fn app(&self) -> App<'_, MemoryStore, TestPlatform> {
        App::new(&self.shards, &self.settings, &self.platform)
    }

    /// Handles a request and then whatever it left to do after answering.
    pub fn handle(&self, request: Request) -> Handled {
        let app = self.app();
        let handled = block_on(router::handle(&app, &request));
        for work in &handled.after {
            block_on(router::after(&app, work));
        }
        handled
    }

    /// An API call with a key and a JSON body; the answer's status and JSON.
    pub fn api(&self, key: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = Request::new(method, path).with_header("x-api-key", key);
        if let Some(body) = body {
            request = request.with_body(body.to_string().as_bytes());
        }
        let reply = self.handle(request).reply;
        (reply.status, serde_json::from_slice(&reply.body).unwrap_or(Value::Null))
    }

    /// A new project: (read-write key, ping key).
    pub fn project(&self) -> (String, String) {
        let request = Request::new("POST", "/api/v3/projects/")
            .with_header("authorization", &format!("Bearer {ADMIN}"))
            .with_body(br#"{"name": "p"}"#);
        let reply = self.handle(request).reply;
        assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
        let body: Value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
        (
            body["api_key"].as_str().unwrap_or_default().to_owned(),
            body["ping_key"].as_str().unwrap_or_default().to_owned(),
        )
    }

    pub fn ping(&self, path: &str) -> u16 {
        self.handle(Request::new("GET", path)).reply.status
    }

    /// Runs a sweep at the platform's time (it delivers what is due).
    pub fn sweep(&self) {
        block_on(super::sweep::run(&self.app(), self.platform.now(), false));
    }

    /// The bodies sent to URLs starting with `prefix`.
    pub fn sent_to(&self, prefix: &str) -> Vec<String> {
        self.platform.bodies_to(prefix)
    }
}
