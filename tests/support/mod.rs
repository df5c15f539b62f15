//! Shared end-to-end test support: every e2e test talks to the real Worker
//! over HTTP; nothing of edgebeat's own code is called or mocked.
#![allow(dead_code, unused_imports)]

pub mod documents;
pub mod http;
pub mod receiver;
pub mod smtp;
pub mod worker;

pub use receiver::{Answer, Receiver};
pub use worker::{now_ms, Worker, ADMIN_TOKEN};

use http::HttpResponse;
use serde_json::{json, Value};

/// A project created through the admin API, with its one-time keys.
#[derive(Clone, Debug)]
pub struct Project {
    pub id: String,
    pub api_key: String,
    pub api_key_readonly: String,
    pub ping_key: String,
}

impl Worker {
    pub fn create_project(&self, name: &str) -> Project {
        let auth = format!("Bearer {ADMIN_TOKEN}");
        let response = self.request(
            "POST",
            "/api/v3/projects/",
            &[("Authorization", &auth)],
            json!({ "name": name }).to_string().as_bytes(),
        );
        assert_eq!(response.status, 201, "create project: {}", response.text());
        let body = response.json();
        let field = |name: &str| body[name].as_str().unwrap_or_else(|| panic!("no {name} in {body}")).to_owned();
        Project {
            id: field("id"),
            api_key: field("api_key"),
            api_key_readonly: field("api_key_readonly"),
            ping_key: field("ping_key"),
        }
    }

    /// An API call with `X-Api-Key: key`.
    pub fn api(&self, key: &str, method: &str, path: &str, body: Option<&Value>) -> HttpResponse {
        let body = body.map(Value::to_string).unwrap_or_default();
        self.request(method, path, &[("X-Api-Key", key), ("Content-Type", "application/json")], body.as_bytes())
    }

    /// `GET /api/v3/notifications/` once none is pending any more (or as it
    /// is after 30 s): a delivery a request set off records its outcome after
    /// the receiver has the message, so a test that reads the log as soon as
    /// a message arrives can find it still pending.
    pub fn notifications_settled(&self, key: &str) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let response = self.api(key, "GET", "/api/v3/notifications/", None);
            assert_eq!(response.status, 200, "{}", response.text());
            let listed = response.json();
            let pending = listed["notifications"].as_array().is_some_and(|n| n.iter().any(|n| n["state"] == "pending"));
            if !pending || std::time::Instant::now() >= deadline {
                return listed;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// Creates a check and returns its JSON (asserting 201).
    pub fn create_check(&self, project: &Project, spec: Value) -> Value {
        let response = self.api(&project.api_key, "POST", "/api/v3/checks/", Some(&spec));
        assert_eq!(response.status, 201, "create check {spec}: {}", response.text());
        response.json()
    }

    /// The check's current JSON (read-write view).
    pub fn check(&self, project: &Project, uuid: &str) -> Value {
        let response = self.api(&project.api_key, "GET", &format!("/api/v3/checks/{uuid}"), None);
        assert_eq!(response.status, 200, "get check: {}", response.text());
        response.json()
    }

    /// `/health` as the operator sees it (with the admin token): the sweep's
    /// statistics, error texts, the version.
    pub fn health_details(&self) -> Value {
        let auth = format!("Bearer {ADMIN_TOKEN}");
        self.request("GET", "/health", &[("Authorization", &auth)], b"").json()
    }

    pub fn pings(&self, project: &Project, uuid: &str) -> Vec<Value> {
        let response = self.api(&project.api_key, "GET", &format!("/api/v3/checks/{uuid}/pings/"), None);
        assert_eq!(response.status, 200, "list pings: {}", response.text());
        response.json()["pings"].as_array().cloned().unwrap_or_default()
    }
}

/// The path part of an absolute URL the API handed out.
pub fn path_of(url: &Value) -> String {
    let url = url.as_str().unwrap_or_else(|| panic!("not a URL: {url}"));
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    after_scheme.find('/').map_or("/".to_owned(), |i| after_scheme[i..].to_owned())
}

/// The API's date format for a Unix ms instant on a whole second.
pub fn iso(ms: i64) -> String {
    let secs = ms / 1000;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm), to stay independent of the crate under test.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}+00:00", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Unix ms of a `YYYY-MM-DDTHH:MM:SS+00:00` date the API gave.
pub fn millis_of(value: &Value) -> i64 {
    let text = value.as_str().unwrap_or_else(|| panic!("not a date: {value}"));
    let number = |range: std::ops::Range<usize>| -> i64 {
        text.get(range).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("cannot read date {text}"))
    };
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let (hour, minute, second) = (number(11..13), number(14..16), number(17..19));
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    (days * 86_400 + hour * 3600 + minute * 60 + second) * 1000
}
