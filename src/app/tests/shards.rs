//! Several databases in one deployment: projects placed on each by the
//! admin API, requests reaching their project's database and no other, the
//! admin list spanning all, and every database swept.

use super::*;
use crate::domain::check::Status;
use crate::domain::shard::{shard_of_key, shard_of_uuid};
use crate::store::SweepStore;

/// Two databases, a project on each (the admin API places them: among
/// equally loaded databases the newest first).
fn two_databases() -> (Rc<World>, Project, Project) {
    let world = World::with(2, |_| {});
    let one = world.project("on one");
    world.platform.advance_secs(1);
    let zero = world.project("on zero");
    (world, zero, one)
}

#[test]
fn new_projects_go_to_the_database_with_the_fewest_and_their_keys_name_it() {
    let (world, zero, one) = two_databases();
    assert_eq!(shard_of_key(&zero.api_key), 0);
    assert_eq!(shard_of_key(&one.api_key), 1);
    assert_eq!(shard_of_key(&one.read_key), 1);
    assert_eq!(shard_of_key(&one.ping_key), 1);
    assert_eq!(shard_of_uuid(&Uuid::parse(&one.id).unwrap()), 1);
    assert!(world.db(0).project(&zero.id).is_some() && world.db(0).project(&one.id).is_none());
    assert!(world.db(1).project(&one.id).is_some() && world.db(1).project(&zero.id).is_none());
    world.platform.advance_secs(1);
    let third = world.project("third");
    assert_eq!(shard_of_key(&third.api_key), 1, "a tie goes to the newest database");

    let listed = world.admin("GET", None).json();
    let listed: Vec<(String, i64)> = listed["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap().to_owned(), p["database"].as_i64().unwrap()))
        .collect();
    assert_eq!(listed, [("on one".to_owned(), 1), ("on zero".to_owned(), 0), ("third".to_owned(), 1)]);
}

#[test]
fn a_check_lives_in_its_projects_database_and_pings_by_uuid_and_slug_touch_no_other() {
    let (world, zero, one) = two_databases();
    let check = world.check(&one, json!({"name": "far", "slug": "far", "timeout": 60, "grace": 60}));
    let uuid = uuid_of(&check);
    assert_eq!(shard_of_uuid(&Uuid::parse(&uuid).unwrap()), 1, "its uuid names its database");
    assert!(check["badge_url"].as_str().unwrap().ends_with("_1.svg"), "so does its badge key");
    let near = uuid_of(&world.check(&zero, json!({"name": "near", "slug": "far"})));

    world.db(0).clear_operations();
    world.db(1).clear_operations();
    assert_eq!(world.ping(&uuid).status(), 200);
    assert_eq!(world.ping(&format!("{}/far/fail", one.ping_key)).status(), 200);
    assert_eq!(
        world.send(Request::new("POST", &format!("/ping/{}/far/snooze?seconds=60", one.ping_key))).status(),
        200
    );
    assert!(world.db(0).operations().is_empty(), "database 0 was never asked: {:?}", world.db(0).operations());
    assert_eq!(world.db(1).operations().first(), Some(&"check_by_uuid"));

    let row = world.row_in(1, &uuid);
    assert_eq!((row.check.n_pings, row.check.state.status), (2, Status::Down));
    assert_eq!(world.row_in(0, &near).check.n_pings, 0, "the same slug in another project is another check");

    // The API reaches it through its project's key, and only that.
    assert_eq!(world.get_check(&one, &uuid)["n_pings"], 2);
    assert_eq!(world.api("GET", &format!("/api/v3/checks/{uuid}"), &zero.api_key, None).status(), 404);
    let created = world.ping(&format!("{}/made-by-ping?create=1", one.ping_key));
    assert_eq!(created.status(), 201);
    let made = world.api("GET", "/api/v3/checks/?slug=made-by-ping", &one.api_key, None).json();
    assert_eq!(shard_of_uuid(&Uuid::parse(made["checks"][0]["uuid"].as_str().unwrap()).unwrap()), 1);
}

#[test]
fn identifiers_of_a_database_this_deployment_does_not_bind_find_nothing_and_ask_nothing() {
    let world = World::new();
    let project = world.project("single");
    let mut bytes = Uuid::parse(&uuid_of(&world.check(&project, json!({"name": "here"})))).unwrap().bytes();
    // The same uuid, marked as living in database 5.
    bytes[6] = 0x8E;
    bytes[7] = 5;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let elsewhere = Uuid::from_bytes(bytes).to_string();
    world.store().clear_operations();
    assert_eq!(world.ping(&elsewhere).status(), 404);
    assert_eq!(world.ping("abcdefghijklmnopqrstuv_5/here").status(), 404);
    assert_eq!(world.api("GET", "/api/v3/checks/", "hcw_aaaaaaaaaaaaaaaaaaaaaaaaaa_5", None).status(), 401);
    assert!(world.store().operations().is_empty());
}

#[test]
fn every_database_is_swept_and_delivers_its_own_alerts() {
    let (world, zero, one) = two_databases();
    let mut uuids = Vec::new();
    for project in [&zero, &one] {
        let channel = world.channel(project, &format!("pager{}", uuids.len()), &["down"]);
        let spec = json!({"name": "due", "timeout": 60, "grace": 60, "channels": channel});
        let uuid = uuid_of(&world.check(project, spec));
        assert_eq!(world.ping(&uuid).status(), 200);
        uuids.push(uuid);
    }
    world.platform.set_now(T0.plus_secs(200));
    world.sweep();
    for (n, uuid) in uuids.iter().enumerate() {
        assert_eq!(world.row_in(n, uuid).check.state.status, Status::Down, "database {n}");
        let record = block_on(world.db(n).sweep_record()).unwrap();
        assert_eq!(record.last_completed, Some(T0.plus_secs(200)), "database {n} records its sweep");
        assert_eq!(record.last_stats.map(|s| (s.due_checks, s.flips, s.sent)), Some((1, 1, 1)));
        assert_eq!(world.platform.bodies_to(&format!("{SINK}/pager{n}")).len(), 1);
    }
    assert_eq!(world.db(0).notifications().len(), 1);
    assert_eq!(world.db(1).notifications().len(), 1);
    // The operator's /health counts the deployment's sweep: both databases'.
    let admin = Request::new("GET", "/health").with_header("authorization", &format!("Bearer {ADMIN_TOKEN}"));
    let health = world.send(admin).json();
    let stats = &health["last_sweep_stats"];
    assert_eq!(
        (stats["due_checks"].as_i64(), stats["flips"].as_i64(), stats["sent"].as_i64()),
        (Some(2), Some(2), Some(2)),
        "{health}"
    );
}

#[test]
fn a_failing_database_does_not_stop_the_sweep_of_the_others() {
    let (world, _, one) = two_databases();
    let uuid = uuid_of(&world.check(&one, json!({"name": "due", "timeout": 60, "grace": 60})));
    assert_eq!(world.ping(&uuid).status(), 200);
    world.db(0).fail_when(|op| op == "due_checks");
    world.platform.set_now(T0.plus_secs(200));
    world.sweep();
    assert_eq!(world.row_in(1, &uuid).check.state.status, Status::Down);
    assert!(block_on(world.db(0).sweep_record()).unwrap().last_error.is_some());
    // Each database's own answer is the operator's to see.
    let admin = Request::new("GET", "/health").with_header("authorization", &format!("Bearer {ADMIN_TOKEN}"));
    let health = world.send(admin).json();
    assert_eq!(health["databases"].as_array().map(Vec::len), Some(2), "{health}");
    assert_eq!(health["databases"][0]["status"], 503, "{health}");
    let public = world.send(Request::new("GET", "/health")).json();
    assert!(public.get("databases").is_none(), "{public}");
}

#[test]
fn badges_metrics_and_alerts_of_a_project_on_the_second_database_come_from_it() {
    let (world, zero, one) = two_databases();
    let pager = world.channel(&one, "pager", &["down"]);
    let check = world.check(&one, json!({"name": "far", "tags": "web", "channels": pager}));
    let uuid = uuid_of(&check);
    let badge = check["badge_url"].as_str().unwrap().trim_start_matches("http://127.0.0.1").to_owned();

    world.db(0).clear_operations();
    let failed = world.ping(&format!("{uuid}/fail"));
    assert_eq!(failed.0.after, [crate::app::After::Deliver { shard: 1 }], "delivered from its database");
    world.finish(&failed);
    assert_eq!(world.platform.bodies_to(&format!("{SINK}/pager")).len(), 1);

    let shown = world.send(Request::new("GET", &badge));
    assert_eq!(shown.status(), 200, "{badge}: {shown:?}");
    assert!(shown.text().contains("down"), "{}", shown.text());
    let metrics = world.send(Request::new("GET", &format!("/projects/{}/metrics/{}", one.id, one.read_key)));
    assert_eq!(metrics.status(), 200, "{metrics:?}");
    assert!(metrics.text().contains("far"));
    let tags = world.api("GET", "/api/v3/badges/", &one.api_key, None).json();
    assert!(tags["badges"]["web"].is_object(), "{tags}");
    assert!(world.db(0).operations().is_empty(), "database 0 was never asked: {:?}", world.db(0).operations());

    // Another project's key never reads them.
    let wrong = world.send(Request::new("GET", &format!("/projects/{}/metrics/{}", one.id, zero.read_key)));
    assert_eq!(wrong.status(), 403);
}

#[test]
fn a_delivery_budget_smaller_than_the_number_of_databases_still_reaches_each_in_turn() {
    let world = World::with(2, |s| s.subrequest_budget = 1);
    let one = world.project("on one");
    let zero = world.project("on zero");
    for (n, project) in [&zero, &one].into_iter().enumerate() {
        let channel = world.channel(project, &format!("pager{n}"), &["down"]);
        let uuid = uuid_of(&world.check(project, json!({"name": "failing", "channels": channel})));
        assert_eq!(world.ping(&format!("{uuid}/fail")).status(), 200, "queued, not delivered");
    }
    let sent = |n: usize| world.platform.bodies_to(&format!("{SINK}/pager{n}")).len();
    world.platform.set_now(T0.plus_secs(60));
    world.sweep();
    assert_eq!(sent(0) + sent(1), 1, "one outgoing request in all, as the budget says");
    world.platform.set_now(T0.plus_secs(120));
    world.sweep();
    assert_eq!((sent(0), sent(1)), (1, 1), "the other database's turn");
}

#[test]
fn an_idle_databases_share_of_the_budget_goes_to_one_with_alerts_waiting() {
    let world = World::with(2, |s| s.subrequest_budget = 4);
    let (_, busy) = (world.project("idle, on one"), world.project("busy, on zero"));
    let channel = world.channel(&busy, "pager", &["down"]);
    for n in 0..6 {
        let uuid = uuid_of(&world.check(&busy, json!({"name": format!("failing {n}"), "channels": channel})));
        assert_eq!(world.ping(&format!("{uuid}/fail")).status(), 200, "queued, not delivered");
    }
    let sent = || world.platform.bodies_to(&format!("{SINK}/pager")).len();
    world.platform.set_now(T0.plus_secs(60));
    world.sweep();
    assert_eq!(sent(), 4, "its own share and the idle database's");
    world.platform.set_now(T0.plus_secs(120));
    world.sweep();
    assert_eq!(sent(), 6);
    let record = block_on(world.db(0).sweep_record()).unwrap();
    assert_eq!(record.last_stats.map(|s| s.sent), Some(2), "each sweep records what it sent");
}

#[test]
fn the_operators_metrics_report_each_database_by_its_label() {
    let (world, _, one) = two_databases();
    world.platform.advance_secs(1);
    assert_eq!(shard_of_key(&world.project("third").api_key), 1);
    let uuid = uuid_of(&world.check(&one, json!({"name": "due", "timeout": 60, "grace": 60})));
    assert_eq!(world.ping(&uuid).status(), 200);
    world.platform.set_now(T0.plus_secs(200));
    world.sweep();
    // Database 0 then cannot store a ping: it alone is down.
    world.db(0).fail_when(|op| op == "probe_ping_write");
    let scrape = |token: &str| world.send(Request::new("GET", "/metrics").with_header("authorization", token));
    let metrics = scrape(&format!("Bearer {ADMIN_TOKEN}"));
    assert_eq!(metrics.status(), 200, "{metrics:?}");
    assert_eq!(metrics.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    let text = metrics.text();
    for line in [
        "edgebeat_databases 2",
        r#"edgebeat_database_up{database="0"} 0"#,
        r#"edgebeat_database_up{database="1"} 1"#,
        r#"edgebeat_database_pings_storable{database="0"} 0"#,
        r#"edgebeat_database_pings_storable{database="1"} 1"#,
        r#"edgebeat_database_projects{database="0"} 1"#,
        r#"edgebeat_database_projects{database="1"} 2"#,
        r#"edgebeat_database_last_sweep_timestamp_seconds{database="0"} 1700000200"#,
        r#"edgebeat_database_last_sweep_timestamp_seconds{database="1"} 1700000200"#,
        r#"edgebeat_database_last_sweep_due_checks{database="0"} 0"#,
        r#"edgebeat_database_last_sweep_due_checks{database="1"} 1"#,
        r#"edgebeat_database_last_sweep_flips{database="1"} 1"#,
    ] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
    }
    assert_eq!(world.send(Request::new("GET", "/metrics")).status(), 401);
    assert_eq!(scrape("Bearer not-the-token").status(), 403);
    assert_eq!(scrape(&format!("Bearer {}", one.read_key)).status(), 403, "a project's key is not the operator's");
    let off = World::with(2, |s| s.admin_token = None);
    let answer = off.send(Request::new("GET", "/metrics").with_header("authorization", "Bearer anything"));
    assert_eq!(answer.status(), 403);
    assert!(answer.error().contains("ADMIN_TOKEN"), "{answer:?}");
}
