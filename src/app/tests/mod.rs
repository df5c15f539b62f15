//! The application's native tests: real requests through `router::handle`,
//! sweeps through `sweep::run`, on in-memory databases (`MemoryStore`, with
//! their hooks for injected failures and forced interleavings) and a
//! recording platform (`TestPlatform`). Each test asserts what the API
//! answers and what the store holds.

mod api_channels;
mod api_checks;
mod holds;
mod outbox;
mod ping_races;
mod pings;
mod receivers;
mod runs;
mod shards;
mod sweep;
mod windows;
mod write;

use super::testing::{block_on, TestPlatform};
use super::{router, App, Handled, Request, Shards};
use crate::domain::ids::Uuid;
use crate::domain::settings::Settings;
use crate::domain::time::Timestamp;
use crate::store::memory::{MemoryStore, StoredCheck, StoredNotification};
use crate::store::CheckStore;
use serde_json::{json, Value};
use std::rc::{Rc, Weak};

/// When every test starts (800 s past an hour).
const T0: Timestamp = Timestamp::from_secs(1_700_000_000);
const ADMIN_TOKEN: &str = "admin-token-for-the-app-tests";
/// Where test channels point: nothing is sent anywhere (the platform
/// records requests), and the address would be local anyway.
const SINK: &str = "http://127.0.0.1:9";

/// One deployment: its databases, settings and platform.
struct World {
    shards: Shards<MemoryStore>,
    settings: Settings,
    platform: TestPlatform,
}

/// A project as the admin API made it, with its keys.
#[derive(Clone, Debug)]
struct Project {
    id: String,
    api_key: String,
    read_key: String,
    ping_key: String,
}

/// A request's answer, with what it left to do after.
struct Answer(Handled);

impl Answer {
    fn status(&self) -> u16 {
        self.0.reply.status
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.reply.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.0.reply.body).unwrap_or_else(|_| panic!("not JSON: {}", self.text()))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.0.reply.header(name)
    }

    fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or_else(|| panic!("no error in {}", self.text())).to_owned()
    }
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status(), self.text())
    }
}

/// The default settings, with the admin API on and local destinations
/// allowed (every channel points at `SINK`).
fn settings() -> Settings {
    Settings { admin_token: Some(ADMIN_TOKEN.into()), allow_private_destinations: true, ..Settings::default() }
}

impl World {
    /// One database, default settings.
    fn new() -> Rc<World> {
        World::with(1, |_| {})
    }

    /// `databases` databases, settings changed by `change`.
    fn with(databases: usize, change: impl FnOnce(&mut Settings)) -> Rc<World> {
        let mut settings = settings();
        change(&mut settings);
        let more = (1..databases).map(|_| MemoryStore::new()).collect();
        Rc::new(World { shards: Shards::new(MemoryStore::new(), more), settings, platform: TestPlatform::at(T0) })
    }

    fn app(&self) -> App<'_, MemoryStore, TestPlatform> {
        App::new(&self.shards, &self.settings, &self.platform)
    }

    fn db(&self, n: usize) -> &MemoryStore {
        self.shards.get(n).expect("a bound database")
    }

    /// The first database.
    fn store(&self) -> &MemoryStore {
        self.db(0)
    }

    fn now(&self) -> Timestamp {
        use super::Platform;
        self.platform.now()
    }

    /// Handles a request; nothing it left for after is done.
    fn send(&self, req: Request) -> Answer {
        Answer(block_on(router::handle(&self.app(), &req)))
    }

    /// Does what an answer left to do after it (deliveries only: the
    /// stalled-cron look is the rescue's, tested on its own).
    fn finish(&self, answer: &Answer) {
        for work in answer.0.after.iter().filter(|w| !matches!(w, super::After::LookForStall)) {
            block_on(router::after(&self.app(), work));
        }
    }

    /// The minute sweep of every database at the platform's now.
    fn sweep(&self) {
        block_on(super::sweep::run(&self.app(), self.now(), false));
    }

    fn admin(&self, method: &str, body: Option<Value>) -> Answer {
        let mut req =
            Request::new(method, "/api/v3/projects/").with_header("authorization", &format!("Bearer {ADMIN_TOKEN}"));
        if let Some(body) = body {
            req = req.with_body(body.to_string().as_bytes());
        }
        self.send(req)
    }

    fn project(&self, name: &str) -> Project {
        let answer = self.admin("POST", Some(json!({ "name": name })));
        assert_eq!(answer.status(), 201, "{answer:?}");
        let body = answer.json();
        let text = |field: &str| body[field].as_str().expect(field).to_owned();
        Project {
            id: text("id"),
            api_key: text("api_key"),
            read_key: text("api_key_readonly"),
            ping_key: text("ping_key"),
        }
    }

    /// An API request with `key`, and a JSON body when given.
    fn api(&self, method: &str, path: &str, key: &str, body: Option<Value>) -> Answer {
        let mut req = Request::new(method, path).with_header("x-api-key", key);
        if let Some(body) = body {
            req = req.with_body(body.to_string().as_bytes());
        }
        self.send(req)
    }

    /// A ping: `GET /ping/<rest>`.
    fn ping(&self, rest: &str) -> Answer {
        self.send(Request::new("GET", &format!("/ping/{rest}")))
    }

    /// A ping whose deliveries are done before the answer comes back.
    fn finish_ping(&self, rest: &str) -> Answer {
        let answer = self.ping(rest);
        self.finish(&answer);
        answer
    }

    /// Creates a check through the API; its JSON.
    fn check(&self, project: &Project, spec: Value) -> Value {
        let answer = self.api("POST", "/api/v3/checks/", &project.api_key, Some(spec));
        assert_eq!(answer.status(), 201, "{answer:?}");
        answer.json()
    }

    /// A check's JSON as the API shows it.
    fn get_check(&self, project: &Project, uuid: &str) -> Value {
        let answer = self.api("GET", &format!("/api/v3/checks/{uuid}"), &project.api_key, None);
        assert_eq!(answer.status(), 200, "{answer:?}");
        answer.json()
    }

    /// A channel made through the API (a Slack channel pointing at `SINK`),
    /// with these events; its id.
    fn channel(&self, project: &Project, name: &str, events: &[&str]) -> String {
        let spec = json!({"kind": "slack", "name": name, "url": format!("{SINK}/{name}"), "events": events});
        let answer = self.api("POST", "/api/v3/channels/", &project.api_key, Some(spec));
        assert_eq!(answer.status(), 201, "{answer:?}");
        answer.json()["id"].as_str().expect("channel id").to_owned()
    }

    /// Check `uuid`'s row in database `n` (read through the store: tests
    /// that count operations take the log before looking).
    fn row_in(&self, n: usize, uuid: &str) -> StoredCheck {
        let uuid = Uuid::parse(uuid).expect("a uuid");
        let store = self.db(n);
        let id = block_on(store.check_by_uuid(&uuid)).ok().flatten().map(|c| c.id);
        let id = id.unwrap_or_else(|| panic!("no check {uuid} in database {n}"));
        store.stored_check(id).expect("stored")
    }

    fn row(&self, uuid: &str) -> StoredCheck {
        self.row_in(0, uuid)
    }

    /// Database 0's notifications, oldest first.
    fn notifications(&self) -> Vec<StoredNotification> {
        self.store().notifications()
    }
}

/// A check's uuid in its JSON.
fn uuid_of(check: &Value) -> String {
    check["uuid"].as_str().expect("uuid").to_owned()
}

/// The channels notifications went to, sorted.
fn channels_of(notifications: &[StoredNotification]) -> Vec<String> {
    let mut channels: Vec<String> = notifications.iter().map(|n| n.channel_id.clone()).collect();
    channels.sort();
    channels
}

/// A handle a hook can keep without keeping the world alive.
fn later(world: &Rc<World>) -> Weak<World> {
    Rc::downgrade(world)
}

fn up(world: &Weak<World>) -> Rc<World> {
    world.upgrade().expect("the world outlives its hooks")
}
