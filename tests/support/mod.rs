//! Shared end-to-end test support: every e2e test talks to the real Worker
//! over HTTP; nothing of edgebeat's own code is called or mocked.
#![allow(dead_code, unused_imports)]

pub mod http;
pub mod receiver;
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
