//! The application's native tests of issue 21, on the in-memory store and
//! the test platform (RS256 verified with a RustCrypto crate where the
//! Worker uses WebCrypto): Access tokens good and forged, key rotation, the
//! permission matrix on every write endpoint for every role and key, the
//! project a person acts in, cross-site writes, members, the log of
//! changes, deleting a project.

#[path = "../../../tests/support/tokens.rs"]
mod tokens;

mod forged;
mod matrix;
mod members;

use super::testing::{block_on, TestPlatform};
use super::{router, App, Shards};
use crate::domain::access::AccessSettings;
use crate::domain::reply::Reply;
use crate::domain::settings::Settings;
use crate::domain::time::Timestamp;
use crate::store::memory::MemoryStore;
use serde_json::{json, Value};
use tokens::{claims, jwks, keys, TestKey};

const TEAM: &str = "team.example.com";
const AUD: &str = "edgebeat-aud";
const CERTS: &str = "https://team.example.com/cdn-cgi/access/certs";
const ADMIN: &str = "admin-token";
const NOW: i64 = 1_800_000_000;

/// One deployment: two databases, Access on, the team's first key published.
struct World {
    shards: Shards<MemoryStore>,
    settings: Settings,
    platform: TestPlatform,
}

/// Who sends a request.
#[derive(Clone, Debug)]
enum As {
    Nobody,
    Admin,
    Key(String),
    /// A raw Access token, in the header.
    Token(String),
    /// A person signed in with a fresh token of the team's key, in a project.
    Person(String, Option<String>),
}

impl World {
    fn new() -> World {
        let settings = Settings {
            admin_token: Some(ADMIN.into()),
            access: Some(AccessSettings::from_values(TEAM, AUD, None).expect("access settings")),
            allow_private_destinations: true,
            ..Settings::default()
        };
        let platform = TestPlatform::at(Timestamp::from_secs(NOW));
        *platform.verifier.borrow_mut() =
            Some(Box::new(|key, message, signature| tokens::verify(&key.n, &key.e, message, signature)));
        platform.serve_document(CERTS, jwks(&[&keys()[0]]).as_bytes());
        World { shards: Shards::new(MemoryStore::new(), vec![MemoryStore::new()]), settings, platform }
    }

    fn token_for(&self, email: &str) -> String {
        keys()[0].token(&claims(TEAM, AUD, email, self.platform.now_secs()))
    }

    fn request(&self, who: &As, method: &str, path: &str, body: Option<&Value>) -> Reply {
        self.request_with(who, method, path, body, &[])
    }

    fn request_with(
        &self,
        who: &As,
        method: &str,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = super::Request::new(method, path);
        match who {
            As::Nobody => {}
            As::Admin => req = req.with_header("Authorization", &format!("Bearer {ADMIN}")),
            As::Key(key) => req = req.with_header("X-Api-Key", key),
            As::Token(token) => req = req.with_header("Cf-Access-Jwt-Assertion", token),
            As::Person(email, project) => {
                req = req.with_header("Cf-Access-Jwt-Assertion", &self.token_for(email));
                if let Some(project) = project {
                    req = req.with_header("X-Edgebeat-Project", project);
                }
            }
        }
        for (name, value) in headers {
            req = req.with_header(name, value);
        }
        if let Some(body) = body {
            req = req.with_body(body.to_string().as_bytes());
        }
        let app = App::new(&self.shards, &self.settings, &self.platform);
        block_on(router::handle(&app, &req)).reply
    }

    /// Creates a project with its first owner; returns its JSON (keys included).
    fn project(&self, name: &str, owner: &str) -> Value {
        let reply = self.request(&As::Admin, "POST", "/api/v3/projects/", Some(&json!({"name": name, "owner": owner})));
        assert_eq!(reply.status, 201, "{}", text(&reply));
        body(&reply)
    }

    fn add_member(&self, project: &str, email: &str, role: &str) {
        let path = format!("/api/v3/projects/{project}/members/");
        let reply = self.request(&As::Admin, "POST", &path, Some(&json!({"email": email, "role": role})));
        assert!(reply.status == 201 || reply.status == 200, "{}", text(&reply));
    }

    /// The project's log, newest first: (actor, action).
    fn log(&self, project: &str) -> Vec<(String, String)> {
        let reply = self.request(&As::Admin, "GET", &format!("/api/v3/projects/{project}/audit/"), None);
        assert_eq!(reply.status, 200, "{}", text(&reply));
        body(&reply)["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| {
                (
                    e["actor"].as_str().unwrap_or_default().to_owned(),
                    e["action"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }
}

impl TestPlatform {
    fn now_secs(&self) -> i64 {
        use crate::app::Platform;
        self.now().secs()
    }
}

fn body(reply: &Reply) -> Value {
    serde_json::from_slice(&reply.body).unwrap_or_else(|_| panic!("not JSON: {}", text(reply)))
}

fn text(reply: &Reply) -> String {
    format!("{} {}", reply.status, String::from_utf8_lossy(&reply.body))
}

fn key_of(project: &Value, field: &str) -> As {
    As::Key(project[field].as_str().expect("a key").to_owned())
}

fn id_of(project: &Value) -> String {
    project["id"].as_str().expect("an id").to_owned()
}

#[allow(dead_code)]
fn stranger() -> &'static TestKey {
    &keys()[2]
}
