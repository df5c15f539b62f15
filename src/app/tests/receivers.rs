//! The Alertmanager watchdog receiver: each alert is a heartbeat recorded
//! through the ping path, creating its check on first sight.

use super::*;
use crate::domain::check::Status;

fn payload(status: &str, cluster: &str) -> Value {
    json!({"version": "4", "alerts": [{"status": status, "labels": {"alertname": "Watchdog", "cluster": cluster}}]})
}

fn post(world: &World, ping_key: &str, body: &Value) -> Answer {
    world.send(Request::new("POST", &format!("/alertmanager/{ping_key}")).with_body(body.to_string().as_bytes()))
}

#[test]
fn a_watchdog_creates_its_check_on_first_sight_and_a_resolved_alert_takes_it_down() {
    let world = World::new();
    let project = world.project("watchdogs");
    let pager = world.channel(&project, "pager", &["down"]);
    let first = post(&world, &project.ping_key, &payload("firing", "eu-1"));
    assert_eq!(first.status(), 201, "{first:?}");
    let slug = first.json()["created"][0].as_str().expect("the created slug").to_owned();
    let again = post(&world, &project.ping_key, &payload("firing", "eu-1"));
    assert_eq!((again.status(), again.json()["created"].clone()), (200, json!([])));

    let listed = world.api("GET", &format!("/api/v3/checks/?slug={slug}"), &project.api_key, None).json();
    let check = &listed["checks"][0];
    assert_eq!((check["n_pings"].as_i64(), check["tags"].as_str()), (Some(2), Some("alertmanager")));
    assert_eq!(check["channels"], pager, "linked to the project's channels, as a ?create=1 ping");

    let resolved = post(&world, &project.ping_key, &payload("resolved", "eu-1"));
    assert_eq!(resolved.status(), 200);
    assert_eq!(resolved.0.after, [crate::app::After::Deliver { shard: 0 }]);
    world.finish(&resolved);
    assert_eq!(world.row(&uuid_of(check)).check.state.status, Status::Down);
    assert_eq!(world.platform.bodies_to(&format!("{SINK}/pager")).len(), 1);
}

#[test]
fn the_receiver_refuses_what_it_cannot_record_and_writes_nothing() {
    let world = World::new();
    let project = world.project("watchdogs");
    assert_eq!(post(&world, "unknownunknownunknownunk", &payload("firing", "eu-1")).status(), 404);
    assert_eq!(post(&world, &project.ping_key, &json!({"version": "3", "alerts": []})).status(), 400);
    world.store().fail_next_op("apply", 1);
    let failed = post(&world, &project.ping_key, &payload("firing", "eu-1"));
    assert_eq!((failed.status(), failed.header("Retry-After")), (503, Some("1")));
    assert_eq!(world.api("GET", "/api/v3/checks/", &project.api_key, None).json()["checks"], json!([]));
}
