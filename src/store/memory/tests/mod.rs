//! The twin's own tests, clause by clause of the storage contract
//! (`crate::store`): each arranges rows through the traits, as the
//! application would, and asserts what the contract promises.

mod apply;
mod channels;
mod checks;
mod history;
mod hooks;
mod members;
mod outbox;
mod projects;
mod runs;
mod status_pages;

use super::{block_on, MemoryStore};
use crate::domain::channel::{Channel, ChannelConfig, EventSet};
use crate::domain::check::{Check, CheckConfig, Event, EventKind, Flip, FlipReason, PingKind, Status};
use crate::domain::decide::{create_plan, Collisions, NewKeys};
use crate::domain::ids::Uuid;
use crate::domain::plan::{
    ChannelChange, ChannelPlan, CheckPlan, EventWrite, Expect, Expected, FlipWrite, NewPing, Owner, RoutingGuard,
};
use crate::domain::routing::Routes;
use crate::domain::time::Timestamp;
use crate::store::{ChannelStore, CheckStore, NewProject, ProjectStore};

fn t(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

/// Project `n`'s id, keys and their hashes are all derived from `n`.
fn project_id(n: u8) -> String {
    Uuid::from_bytes([n; 16]).to_string()
}

fn ping_hash(n: u8) -> String {
    format!("ping-hash-{n}")
}

fn add_project(store: &MemoryStore, n: u8) -> String {
    let project = NewProject {
        id: Uuid::from_bytes([n; 16]),
        name: format!("project {n}"),
        ping_key_hash: ping_hash(n),
        read_write_hash: format!("rw-hash-{n}"),
        read_only_hash: format!("ro-hash-{n}"),
        badge_key: format!("project-badge-{n}"),
        badge_secret: format!("secret-{n}"),
        owner: None,
        audit: None,
    };
    block_on(store.create_project(&project, t(i64::from(n)))).expect("project created");
    project_id(n)
}

/// A store with project 1.
fn store() -> (MemoryStore, String) {
    let store = MemoryStore::new();
    let project = add_project(&store, 1);
    (store, project)
}

/// A fresh uuid for the `n`-th check of a test.
fn check_uuid(n: u8) -> Uuid {
    // The unique key hashes the first 8 bytes: they differ too.
    let mut bytes = [0xc0; 16];
    bytes[0] = n;
    bytes[15] = n;
    Uuid::from_bytes(bytes)
}

fn new_check_plan(project: &str, n: u8, slug: &str, routes: Routes) -> CheckPlan {
    let keys = NewKeys { uuid: check_uuid(n), badge_key: format!("check-badge-{n}") };
    let config = CheckConfig::named_after_slug(slug);
    create_plan(keys, Owner::Project(project.to_owned()), config, routes, t(1_000), 100, Collisions::default())
}

/// Creates check `n` of `project` (slug `check-<n>`) linked to `routes`.
fn add_check_routed(store: &MemoryStore, project: &str, n: u8, routes: Routes) -> Check {
    let plan = new_check_plan(project, n, &format!("check-{n}"), routes);
    let applied = block_on(store.apply(&plan)).expect("check created");
    let id = applied.check_id.expect("created check's id");
    block_on(store.check_by_id(id)).expect("readable").expect("stored")
}

fn add_check(store: &MemoryStore, project: &str, n: u8) -> Check {
    add_check_routed(store, project, n, Routes::default())
}

fn read(store: &MemoryStore, id: i64) -> Check {
    block_on(store.check_by_id(id)).expect("readable").expect("stored")
}

fn ping(kind: PingKind, at: i64, history: i64) -> NewPing {
    NewPing {
        kind,
        at: t(at),
        scheme: "https".into(),
        method: "POST".into(),
        ua: "curl".into(),
        remote_addr: Some("127.0.0.1".into()),
        exit_status: None,
        rid: None,
        body: format!("ping at {at}").into_bytes(),
        history,
        arrived: None,
    }
}

/// A plan for `check` as read, writing nothing yet.
fn plan_for(check: &Check, at: i64) -> CheckPlan {
    CheckPlan::for_check(check, Expect::Row(Expected::of(check, false)), t(at))
}

fn flip(id: &str, from: Status, to: Status, at: i64, recipients: &[&str]) -> FlipWrite {
    FlipWrite {
        id: id.into(),
        flip: Flip { from, to, reason: FlipReason::Timeout, at: t(at) },
        recipients: recipients.iter().map(|r| r.to_string()).collect(),
        with_ping: false,
    }
}

fn event(id: &str, kind: EventKind, at: i64, recipients: &[&str], coalesce: bool) -> EventWrite {
    EventWrite {
        id: id.into(),
        event: Event { kind, reason: FlipReason::StillDown, at: t(at) },
        recipients: recipients.iter().map(|r| r.to_string()).collect(),
        with_ping: false,
        coalesce,
    }
}

fn channel(id: &str, events: &[EventKind]) -> Channel {
    Channel {
        id: id.into(),
        name: format!("channel {id}"),
        config: ChannelConfig::Slack(crate::domain::channels::slack::Slack { url: format!("http://127.0.0.1:9/{id}") }),
        events: EventSet::of(events),
        failing: None,
    }
}

/// Saves `channel` in `project` through a channel plan at the project's
/// current routing version.
fn save_channel(store: &MemoryStore, project: &str, channel: &Channel, at: i64) {
    let version = block_on(store.routing_version(project)).expect("routing version");
    let plan = ChannelPlan {
        channel: channel.clone(),
        change: ChannelChange::Save { max_channels: 10, at: t(at) },
        reroutes: Vec::new(),
        routing: RoutingGuard { project_id: project.to_owned(), version },
        audit: None,
    };
    let applied = block_on(store.apply_channel(project, &plan)).expect("channel saved");
    assert_eq!(applied, crate::domain::plan::ChannelApplied::Applied);
}
