//! Status pages' native tests: the router over two in-memory databases
//! and the recording platform, driven through HTTP-shaped requests as the
//! Worker would hand them over.

mod status_pages;

use super::testing::{block_on, TestPlatform};
use super::{router, App, Platform, Request, Shards};
use crate::domain::reply::Reply;
use crate::domain::settings::Settings;
use crate::domain::time::Timestamp;
use crate::store::memory::MemoryStore;
use serde_json::Value;

const ADMIN: &str = "admin-token";

/// Two databases, settings with an admin token, a clock at `now`.
struct World {
    shards: Shards<MemoryStore>,
    settings: Settings,
    platform: TestPlatform,
}

impl World {
    fn at(now: Timestamp) -> World {
        let (settings, problems) = Settings::read(|name| match name {
            "ADMIN_TOKEN" => Some(ADMIN.to_owned()),
            "D1_USAGE_HEADER" => Some("1".to_owned()),
            _ => None,
        });
        assert!(problems.is_empty(), "{problems:?}");
        World {
            shards: Shards::new(MemoryStore::new(), vec![MemoryStore::new()]),
            settings,
            platform: TestPlatform::at(now),
        }
    }

    fn send(&self, request: Request) -> Reply {
        let app = App::new(&self.shards, &self.settings, &self.platform);
        block_on(router::handle(&app, &request)).reply
    }

    fn get(&self, path: &str) -> Reply {
        self.send(Request::new("GET", path))
    }

    fn api(&self, key: &str, method: &str, path: &str, body: Option<&Value>) -> Reply {
        let mut request = Request::new(method, path).with_header("X-Api-Key", key);
        if let Some(body) = body {
            request = request.with_body(body.to_string().as_bytes());
        }
        self.send(request)
    }

    /// A new project: (id, read-write key, read-only key).
    fn project(&self, name: &str) -> (String, String, String) {
        let body = serde_json::json!({ "name": name }).to_string();
        let request = Request::new("POST", "/api/v3/projects/")
            .with_header("Authorization", &format!("Bearer {ADMIN}"))
            .with_body(body.as_bytes());
        let reply = self.send(request);
        assert_eq!(reply.status, 201, "{}", text(&reply));
        let json = json(&reply);
        let field = |name: &str| json[name].as_str().expect("a field").to_owned();
        (field("id"), field("api_key"), field("api_key_readonly"))
    }

    fn sweep(&self) {
        let app = App::new(&self.shards, &self.settings, &self.platform);
        block_on(super::sweep::run(&app, self.platform.now(), false));
    }

    /// Every operation either database was asked for, then forgets them.
    fn operations(&self) -> Vec<&'static str> {
        let ops = self.shards.all().flat_map(|(_, s)| s.operations()).collect();
        for (_, store) in self.shards.all() {
            store.clear_operations();
        }
        ops
    }
}

fn text(reply: &Reply) -> String {
    String::from_utf8_lossy(&reply.body).into_owned()
}

fn json(reply: &Reply) -> Value {
    serde_json::from_slice(&reply.body).unwrap_or_else(|_| panic!("not JSON: {}", text(reply)))
}
