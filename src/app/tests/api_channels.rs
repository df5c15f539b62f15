//! The channels API and what it does to the routes of checks: events,
//! `assign_to_all_checks`, deletion, the channel limit, default channels
//! kept from secrets, the test alert, and a check edit that a channel change
//! overtakes.

use super::*;
use crate::domain::check::Status;

fn channels_field(world: &World, project: &Project, uuid: &str) -> String {
    world.get_check(project, uuid)["channels"].as_str().expect("channels").to_owned()
}

fn sorted(mut ids: Vec<String>) -> String {
    ids.sort();
    ids.join(",")
}

#[test]
fn a_channel_assigned_to_all_checks_is_linked_to_each_and_hears_its_events() {
    let world = World::new();
    let project = world.project("channels");
    let one = uuid_of(&world.check(&project, json!({"name": "one"})));
    let two = uuid_of(&world.check(&project, json!({"name": "two"})));
    let spec = json!({"kind": "webhook", "name": "hook", "url": format!("{SINK}/hook"), "events": ["fail"], "assign_to_all_checks": true});
    let answer = world.api("POST", "/api/v3/channels/", &project.api_key, Some(spec));
    assert_eq!(answer.status(), 201, "{answer:?}");
    let hook = answer.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(answer.json()["events"], json!(["fail"]));
    assert_eq!(channels_field(&world, &project, &one), hook);
    assert_eq!(channels_field(&world, &project, &two), hook);
    assert_eq!(world.row(&one).check.config_version, 1, "rerouting bumps the configuration");

    // The route carries the channel's events: a failure is heard, the flip is not.
    let failed = world.ping(&format!("{one}/fail"));
    world.finish(&failed);
    assert_eq!(world.platform.bodies_to(&format!("{SINK}/hook")).len(), 1);
    let flip_ids: Vec<String> = world.notifications().iter().map(|n| n.flip_id.clone()).collect();
    assert!(flip_ids[0].ends_with("-e"), "the ping's own fail event, not the down flip");

    // Changing the channel's events reroutes the checks linked to it.
    let changed = world.api(
        "POST",
        &format!("/api/v3/channels/{hook}"),
        &project.api_key,
        Some(json!({"events": ["down", "up"]})),
    );
    assert_eq!(changed.status(), 200, "{changed:?}");
    let recovered = world.ping(&one);
    world.finish(&recovered);
    assert_eq!(world.platform.bodies_to(&format!("{SINK}/hook")).len(), 2, "the recovery is heard now");
    assert_eq!(world.row(&one).check.state.status, Status::Up);
}

#[test]
fn a_channel_made_without_assigning_links_nothing_until_a_check_names_it() {
    let world = World::new();
    let project = world.project("channels");
    let uuid = uuid_of(&world.check(&project, json!({"name": "alone"})));
    let pager = world.channel(&project, "pager", &["down"]);
    assert_eq!(channels_field(&world, &project, &uuid), "");
    let named =
        world.api("POST", &format!("/api/v3/checks/{uuid}"), &project.api_key, Some(json!({"channels": "pager"})));
    assert_eq!(named.status(), 200, "{named:?}");
    assert_eq!(channels_field(&world, &project, &uuid), pager);
    let unknown =
        world.api("POST", &format!("/api/v3/checks/{uuid}"), &project.api_key, Some(json!({"channels": "nope"})));
    assert_eq!(unknown.status(), 400);
    assert_eq!(channels_field(&world, &project, &uuid), pager, "a refused edit changes nothing");

    // Deleting the channel unlinks it.
    let deleted = world.api("DELETE", &format!("/api/v3/channels/{pager}"), &project.api_key, None);
    assert_eq!(deleted.status(), 200);
    assert_eq!(channels_field(&world, &project, &uuid), "");
    assert_eq!(world.api("GET", &format!("/api/v3/channels/{pager}"), &project.api_key, None).status(), 404);
}

#[test]
fn a_check_edit_that_a_channel_change_overtakes_is_decided_again() {
    let world = World::new();
    let project = world.project("channels");
    let first = world.channel(&project, "first", &["down"]);
    let uuid = uuid_of(&world.check(&project, json!({"name": "all of them"})));
    let w = later(&world);
    let racing = project.clone();
    // A channel is added after the edit resolved "*" and before it writes.
    world.store().before_next_apply(move |_, _| {
        up(&w).channel(&racing, "second", &["down"]);
    });
    let edit = world.api("POST", &format!("/api/v3/checks/{uuid}"), &project.api_key, Some(json!({"channels": "*"})));
    assert_eq!(edit.status(), 200, "{edit:?}");
    let channels = world.api("GET", "/api/v3/channels/", &project.api_key, None).json();
    let ids: Vec<String> =
        channels["channels"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&first));
    assert_eq!(channels_field(&world, &project, &uuid), sorted(ids), "\"*\" means both, as of the write");
}

#[test]
fn a_channel_deleted_while_a_check_edit_names_it_makes_the_edit_fail_cleanly() {
    let world = World::new();
    let project = world.project("channels");
    let doomed = world.channel(&project, "doomed", &["down"]);
    let uuid = uuid_of(&world.check(&project, json!({"name": "pointing"})));
    let w = later(&world);
    let (racing, channel) = (project.clone(), doomed.clone());
    world.store().before_next_apply(move |_, _| {
        let answer = up(&w).api("DELETE", &format!("/api/v3/channels/{channel}"), &racing.api_key, None);
        assert_eq!(answer.status(), 200);
    });
    let edit =
        world.api("POST", &format!("/api/v3/checks/{uuid}"), &project.api_key, Some(json!({"channels": doomed})));
    assert_eq!(edit.status(), 400, "decided again: the channel is unknown now: {edit:?}");
    assert_eq!(channels_field(&world, &project, &uuid), "", "never linked to a deleted channel");
}

#[test]
fn a_check_create_that_a_channel_change_overtakes_is_decided_again() {
    let world = World::new();
    let project = world.project("channels");
    world.channel(&project, "first", &["down"]);
    let w = later(&world);
    let racing = project.clone();
    world.store().before_next_apply(move |_, _| {
        up(&w).channel(&racing, "second", &["down"]);
    });
    let created = world.api("POST", "/api/v3/checks/", &project.api_key, Some(json!({"name": "new", "channels": "*"})));
    assert_eq!(created.status(), 201, "{created:?}");
    assert_eq!(created.json()["channels"].as_str().map(|c| c.split(',').count()), Some(2));
}

#[test]
fn the_channel_limit_holds() {
    let world = World::with(1, |s| s.max_channels_per_project = 2);
    let project = world.project("limited");
    world.channel(&project, "a", &["down"]);
    world.channel(&project, "b", &["down"]);
    let spec = json!({"kind": "slack", "name": "c", "url": format!("{SINK}/c")});
    let refused = world.api("POST", "/api/v3/channels/", &project.api_key, Some(spec));
    assert_eq!((refused.status(), refused.error().as_str()), (403, "channel limit reached (2 channels per project)"));
    assert_eq!(world.store().channel_rows().len(), 2);
}

#[test]
fn default_channels_from_secrets_are_listed_and_cannot_be_changed_through_the_api() {
    let world = World::with(1, |s| s.slack_webhook_url = Some(format!("{SINK}/default")));
    let project = world.project("defaults");
    let listed = world.api("GET", "/api/v3/channels/", &project.api_key, None).json();
    assert_eq!(listed["channels"][0]["id"], "default-slack");
    assert_eq!(listed["channels"][0]["managed_by_secret"], true);
    let change = world.api("POST", "/api/v3/channels/default-slack", &project.api_key, Some(json!({"name": "mine"})));
    assert_eq!(change.status(), 409);
    assert_eq!(world.api("DELETE", "/api/v3/channels/default-slack", &project.api_key, None).status(), 409);
    assert!(world.store().channel_rows().is_empty());
}

#[test]
fn a_test_alert_goes_to_the_channel_at_once_and_reports_the_answer() {
    let world = World::new();
    let project = world.project("tests");
    let pager = world.channel(&project, "pager", &["down"]);
    let tested = world.api("POST", &format!("/api/v3/channels/{pager}/test"), &project.api_key, None);
    assert_eq!(tested.json(), json!({"delivered": true, "status": 200, "error": null, "response": null}));
    world.platform.answer([crate::domain::outbox::AttemptResult::Status(500)]);
    let failed = world.api("POST", &format!("/api/v3/channels/{pager}/test"), &project.api_key, None);
    assert_eq!(failed.json(), json!({"delivered": false, "status": 500, "error": "HTTP 500", "response": null}));
    assert_eq!(world.platform.bodies_to(&format!("{SINK}/pager")).len(), 2);
    assert!(world.notifications().is_empty(), "tests are not queued");
}

#[test]
fn another_projects_channel_is_not_found_and_a_channel_change_failing_writes_nothing() {
    let world = World::new();
    let owner = world.project("owner");
    let stranger = world.project("stranger");
    let pager = world.channel(&owner, "pager", &["down"]);
    assert_eq!(world.api("GET", &format!("/api/v3/channels/{pager}"), &stranger.api_key, None).status(), 404);
    assert_eq!(world.api("DELETE", &format!("/api/v3/channels/{pager}"), &stranger.api_key, None).status(), 404);

    world.store().fail_next_op("apply_channel", 1);
    let spec = json!({"kind": "slack", "name": "late", "url": format!("{SINK}/late")});
    let failed = world.api("POST", "/api/v3/channels/", &owner.api_key, Some(spec));
    assert_eq!((failed.status(), failed.error().as_str()), (503, "storage unavailable, try again"));
    assert_eq!(world.store().channel_rows().len(), 1);
    let refused =
        world.api("POST", "/api/v3/channels/", &owner.api_key, Some(json!({"kind": "slack", "url": "ftp://x"})));
    assert_eq!(refused.status(), 400);
}

#[test]
fn a_channel_change_never_reroutes_the_check_that_took_a_deleted_checks_row_id() {
    let world = World::new();
    let project = world.project("channels");
    let private = world.channel(&project, "private", &["down"]);
    let old = uuid_of(&world.check(&project, json!({"name": "old", "channels": private})));
    let old_id = world.row(&old).check.id;
    let w = later(&world);
    let (doomed, racing) = (old.clone(), project.clone());
    // Between the channel change's reading of the checks and its write, the
    // check is deleted and a new one (with no channels) takes its row id.
    world.store().before_next("apply_channel", move |_| {
        let world = up(&w);
        assert_eq!(world.api("DELETE", &format!("/api/v3/checks/{doomed}"), &racing.api_key, None).status(), 200);
        world.check(&racing, json!({"name": "new"}));
    });
    let spec =
        json!({"kind": "slack", "name": "everyone", "url": format!("{SINK}/everyone"), "assign_to_all_checks": true});
    assert_eq!(world.api("POST", "/api/v3/channels/", &project.api_key, Some(spec)).status(), 201);
    let new = world.api("GET", "/api/v3/checks/", &project.api_key, None).json()["checks"][0].clone();
    assert_eq!(world.row(&uuid_of(&new)).check.id, old_id, "the new check took the row id");
    assert!(!new["channels"].as_str().unwrap().contains(&private), "never linked to the old check's channel: {new}");
}

#[test]
fn the_channel_limit_holds_when_two_creates_interleave() {
    let world = World::with(1, |s| s.max_channels_per_project = 2);
    let project = world.project("limited");
    world.channel(&project, "a", &["down"]);
    let w = later(&world);
    let racing = project.clone();
    world.store().before_next("apply_channel", move |_| {
        up(&w).channel(&racing, "b", &["down"]);
    });
    let spec = json!({"kind": "slack", "name": "c", "url": format!("{SINK}/c")});
    let refused = world.api("POST", "/api/v3/channels/", &project.api_key, Some(spec));
    assert_eq!((refused.status(), refused.error().as_str()), (403, "channel limit reached (2 channels per project)"));
    let names: Vec<String> = world.store().channel_rows().into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["a", "b"]);
}
