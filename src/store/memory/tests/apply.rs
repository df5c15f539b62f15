//! `CheckStore::apply`: conditions, all-or-nothing, and the eight writes.

use super::*;
use crate::domain::api::spec::UniqueValue;
use crate::domain::check::{CheckState, Schedule};
use crate::domain::plan::{ConfigWrite, Deadlines, StateWrite, Target};
use crate::domain::routing::Link;
use crate::store::{OutboxStore, StoreError};

fn down_state(at: i64) -> StateWrite {
    let mut state = CheckState::idle_up();
    state.status = Status::Down;
    state.next_event_at = Some(t(at + 60_000));
    StateWrite { state, alert_after: None, changed_at: Some(t(at)) }
}

/// A plan with every part: a ping, a flip and an event with recipients,
/// a new state, a new configuration, and the project's routing guard.
fn full_plan(store: &MemoryStore, check: &Check, project: &str) -> CheckPlan {
    let mut plan = plan_for(check, 5_000);
    plan.ping = Some(ping(PingKind::Fail, 5_000, 10));
    plan.flip = Some(flip("f1", Status::New, Status::Down, 5_000, &["a", "b"]));
    plan.events = vec![event("e1", EventKind::Fail, 5_000, &["a"], true)];
    plan.state = Some(down_state(5_000));
    let mut config = check.config.clone();
    config.name = "renamed".into();
    plan.config = Some(ConfigWrite { config, routes: None });
    let version = block_on(store.routing_version(project)).unwrap();
    plan.routing = Some(RoutingGuard { project_id: project.to_owned(), version });
    plan
}

/// Everything a plan can write, to compare before and after.
fn snapshot(store: &MemoryStore, check_id: i64, project: &str) -> impl PartialEq + std::fmt::Debug {
    (
        store.stored_check(check_id),
        store.ping_ring(check_id),
        store.flips(),
        store.notifications(),
        store.project(project).map(|p| p.routing_version),
    )
}

#[test]
fn a_plan_applies_only_when_every_condition_holds_and_otherwise_writes_nothing() {
    type Spoil = fn(&mut CheckPlan);
    let spoilers: [(&str, Spoil); 7] = [
        ("configuration version", |p| set_expected(p, |e| e.config_version += 1)),
        ("status", |p| set_expected(p, |e| e.status = Status::Up)),
        ("failures", |p| set_expected(p, |e| e.failures = 3)),
        ("last ping", |p| set_expected(p, |e| e.last_ping = Some(Some(t(1))))),
        ("routing version", |p| p.routing.as_mut().unwrap().version += 1),
        ("deadlines", |p| {
            let Expect::Row(e) = p.expect else { unreachable!() };
            p.expect = Expect::RowAndDeadlines(e, Deadlines { alert_after: Some(t(7)), next_event_at: None });
        }),
        ("the check", |p| p.target = Target::Existing(999)),
    ];
    for (what, spoil) in spoilers {
        let (store, project) = store();
        let check = add_check(&store, &project, 1);
        let before = snapshot(&store, check.id, &project);
        let mut plan = full_plan(&store, &check, &project);
        spoil(&mut plan);
        let applied = block_on(store.apply(&plan)).unwrap();
        assert!(!applied.applied, "a stale {what} must not apply");
        assert_eq!(applied.check_id, None);
        assert_eq!(snapshot(&store, check.id, &project), before, "a stale {what} wrote something");
    }
    // And unspoiled, the same plan applies.
    let (store, project) = store();
    let check = add_check(&store, &project, 1);
    let plan = full_plan(&store, &check, &project);
    let applied = block_on(store.apply(&plan)).unwrap();
    assert!(applied.applied);
    assert_eq!(applied.check_id, Some(check.id));
    let row = store.stored_check(check.id).unwrap();
    assert_eq!(row.check.state.status, Status::Down);
    assert_eq!(row.check.config.name, "renamed");
    assert_eq!(row.check.config_version, check.config_version + 1);
    assert_eq!(row.check.n_pings, 1);
    assert_eq!(store.notifications().len(), 3);
    assert_eq!(store.project(&project).unwrap().routing_version, 1);
}

fn set_expected(plan: &mut CheckPlan, change: impl FnOnce(&mut Expected)) {
    if let Expect::Row(expected) = &mut plan.expect {
        change(expected);
    }
}

#[test]
fn deadline_conditions_compare_both_deadlines_as_read() {
    let (store, project) = store();
    let check = add_check(&store, &project, 1);
    let mut arm = plan_for(&check, 1);
    arm.state = Some(StateWrite { state: CheckState::idle_up(), alert_after: Some(t(50_000)), changed_at: None });
    assert!(block_on(store.apply(&arm)).unwrap().applied);
    let check = read(&store, check.id);
    let seen = store.stored_check(check.id).unwrap().deadlines();
    assert_eq!(seen, Deadlines { alert_after: Some(t(50_000)), next_event_at: None });

    let wrong = Deadlines { next_event_at: Some(t(50_000)), ..seen };
    let mut plan = CheckPlan::for_check(&check, Expect::RowAndDeadlines(Expected::of(&check, false), wrong), t(9));
    plan.state = Some(down_state(9));
    assert!(!block_on(store.apply(&plan)).unwrap().applied, "next_event_at is not as read");
    plan.expect = Expect::RowAndDeadlines(Expected::of(&check, false), seen);
    assert!(block_on(store.apply(&plan)).unwrap().applied);
    // The deadlines moved with the state written: the same deadlines-only
    // condition now fails, and the new ones hold.
    let mut again = CheckPlan::for_check(&check, Expect::Deadlines(seen), t(10));
    again.reschedule = Some(t(20));
    assert!(!block_on(store.apply(&again)).unwrap().applied);
    again.expect = Expect::Deadlines(store.stored_check(check.id).unwrap().deadlines());
    assert!(block_on(store.apply(&again)).unwrap().applied, "only the deadlines are compared");
    assert_eq!(store.stored_check(check.id).unwrap().deadlines().next_event_at, Some(t(20)));
}

#[test]
fn new_checks_need_their_owner_room_under_the_limit_and_a_free_slug_when_asked() {
    let (store, project) = store();
    add_check(&store, &project, 1);
    let mut by_ping_key = new_check_plan(&project, 2, "check-1", Routes::default());
    let Target::New(new) = &mut by_ping_key.target else { unreachable!() };
    new.owner = Owner::PingKey(ping_hash(1));
    new.slug_must_be_free = true;
    assert!(!block_on(store.apply(&by_ping_key)).unwrap().applied, "slug check-1 is taken");

    let mut unknown = by_ping_key.clone();
    let Target::New(new) = &mut unknown.target else { unreachable!() };
    new.owner = Owner::PingKey("no such hash".into());
    new.config.slug = "free".into();
    assert!(!block_on(store.apply(&unknown)).unwrap().applied, "no project has that ping key");
    let mut unknown_project = new_check_plan("no-such-project", 3, "x", Routes::default());
    unknown_project.at = t(2);
    assert!(!block_on(store.apply(&unknown_project)).unwrap().applied);

    let mut at_limit = new_check_plan(&project, 4, "other", Routes::default());
    let Target::New(new) = &mut at_limit.target else { unreachable!() };
    new.max_checks = 1;
    assert!(!block_on(store.apply(&at_limit)).unwrap().applied, "the project has 1 check of 1");
    assert_eq!(block_on(store.list_checks(&project)).unwrap().0.len(), 1);

    // Without `slug_must_be_free` a taken slug is fine; by ping key, it lands in that project.
    let Target::New(new) = &mut by_ping_key.target else { unreachable!() };
    new.slug_must_be_free = false;
    let applied = block_on(store.apply(&by_ping_key)).unwrap();
    assert!(applied.applied);
    let created = read(&store, applied.check_id.unwrap());
    assert_eq!(created.project_id, project);
    assert_eq!(block_on(store.checks_by_slug(&ping_hash(1), "check-1")).unwrap().len(), 2);
}

#[test]
fn a_new_check_with_unique_values_is_created_only_while_no_check_holds_them_all() {
    let (store, project) = store();
    let existing = add_check(&store, &project, 1);
    let (name, grace) = (existing.config.name.clone(), existing.config.monitoring.grace);
    let Schedule::Simple { timeout } = existing.config.monitoring.schedule else { unreachable!("a simple check") };
    let create = |n: u8, unique: Vec<UniqueValue>| {
        let mut plan = new_check_plan(&project, n, &format!("new-{n}"), Routes::default());
        let Target::New(new) = &mut plan.target else { unreachable!() };
        new.unique = unique;
        block_on(store.apply(&plan)).unwrap().applied
    };
    assert!(!create(2, vec![UniqueValue::Name(name.clone())]), "check 1 has the name");
    assert!(!create(2, vec![UniqueValue::Slug("check-1".into()), UniqueValue::Grace(grace)]), "and both of these");
    assert!(!create(2, vec![UniqueValue::Timeout(timeout), UniqueValue::Tags(String::new())]));
    assert_eq!(block_on(store.list_checks(&project)).unwrap().0.len(), 1, "nothing written");
    assert!(create(3, vec![UniqueValue::Name(name), UniqueValue::Grace(grace + 1)]), "not all of them");
    assert!(create(4, Vec::new()), "no values: no such condition");
    assert_eq!(block_on(store.list_checks(&project)).unwrap().0.len(), 3);
}

#[test]
fn a_new_check_has_its_keys_routes_and_a_fresh_state() {
    let (store, project) = store();
    let routes = Routes::to_channels([&channel("a", &[EventKind::Down])]);
    let plan = new_check_plan(&project, 1, "nightly", routes.clone());
    let Target::New(new) = &plan.target else { unreachable!() };
    let check = add_check_routed(&store, &project, 1, routes.clone());
    assert_eq!(check.uuid, new.uuid);
    assert_eq!(check.badge_key, new.badge_key);
    assert_eq!(check.routes, routes);
    assert_eq!(check.config_version, 0);
    assert_eq!(check.n_pings, 0);
    assert_eq!(check.state.status, Status::New);
    let row = store.stored_check(check.id).unwrap();
    assert_eq!((row.created_at, row.unique_key.clone()), (new.created_at, new.unique_key.clone()));
    assert_eq!(block_on(store.check_by_unique_key(&project, &new.unique_key)).unwrap(), Some(check.clone()));
    assert_eq!(block_on(store.check_by_badge_key(&new.badge_key)).unwrap(), Some(check.clone()));
    assert_eq!(block_on(store.check_by_uuid(&new.uuid)).unwrap(), Some(check));
}

#[test]
fn pings_take_the_slot_of_their_number_in_the_ring() {
    let (store, project) = store();
    let check = add_check(&store, &project, 1);
    for n in 1..=7 {
        let check = read(&store, check.id);
        let mut plan = plan_for(&check, n * 1000);
        plan.ping = Some(ping(PingKind::Success, n * 1000, 3));
        assert!(block_on(store.apply(&plan)).unwrap().applied);
    }
    let ring: Vec<(i64, i64)> = store.ping_ring(check.id).iter().map(|p| (p.slot, p.n)).collect();
    assert_eq!(ring, [(0, 6), (1, 7), (2, 5)]);
    assert_eq!(read(&store, check.id).n_pings, 7);
    let seventh = &store.ping_ring(check.id)[1];
    assert_eq!((seventh.created_at, seventh.kind), (t(7000), PingKind::Success));
    assert_eq!(seventh.body.as_deref(), Some(&b"ping at 7000"[..]));
}

#[test]
fn flips_and_events_record_the_previous_change_and_the_ping_and_queue_one_notification_per_recipient() {
    let (store, project) = store();
    let check = add_check(&store, &project, 1);
    let mut plan = plan_for(&check, 5_000);
    plan.ping = Some(ping(PingKind::Fail, 5_000, 10));
    plan.flip = Some(flip("f1", Status::New, Status::Down, 4_000, &["a", "b"]));
    plan.events = vec![event("e1", EventKind::Fail, 5_000, &["b"], false)];
    plan.state = Some(down_state(4_000));
    assert!(block_on(store.apply(&plan)).unwrap().applied);

    // A later plan without a ping: the flip's ping number is the current count.
    let check = read(&store, check.id);
    let mut up = plan_for(&check, 9_000);
    up.flip = Some(flip("f2", Status::Down, Status::Up, 8_000, &[]));
    up.events = vec![event("e2", EventKind::Reminder, 8_500, &[], false)];
    up.state = Some(StateWrite { state: CheckState::idle_up(), alert_after: None, changed_at: Some(t(8_000)) });
    assert!(block_on(store.apply(&up)).unwrap().applied);

    let rows: Vec<_> = store
        .flips()
        .into_iter()
        .map(|f| (f.id, f.created_at, f.old_status, f.new_status, f.previous_change_at, f.ping_n, f.event))
        .collect();
    assert_eq!(
        rows,
        [
            ("f1".into(), t(4_000), Status::New, Status::Down, Some(t(1_000)), Some(1), None),
            ("e1".into(), t(5_000), Status::Down, Status::Down, Some(t(1_000)), Some(1), Some(EventKind::Fail)),
            ("f2".into(), t(8_000), Status::Down, Status::Up, Some(t(4_000)), Some(1), None),
            ("e2".into(), t(8_500), Status::Up, Status::Up, Some(t(4_000)), Some(1), Some(EventKind::Reminder)),
        ]
    );
    assert_eq!(store.flips()[0].reason, "timeout");
    let queued: Vec<_> = store
        .notifications()
        .into_iter()
        .map(|n| (n.flip_id, n.channel_id, n.project_id, n.state, n.created_at, n.next_attempt_at, n.attempts))
        .collect();
    let row = |flip: &str, channel: &str| {
        (flip.to_owned(), channel.to_owned(), project.clone(), "pending".to_owned(), t(5_000), t(5_000), 0)
    };
    assert_eq!(queued, [row("f1", "a"), row("f1", "b"), row("e1", "b")]);
    assert_eq!(store.stored_check(check.id).unwrap().status_changed_at, Some(t(8_000)));
}

#[test]
fn a_coalesced_event_queues_nothing_for_a_channel_already_waiting_with_that_kind() {
    let (store, project) = store();
    let check = add_check(&store, &project, 1);
    let apply_events = |events: Vec<EventWrite>| {
        let check = read(&store, check.id);
        let mut plan = plan_for(&check, 1_000);
        plan.events = events;
        assert!(block_on(store.apply(&plan)).unwrap().applied);
    };
    apply_events(vec![event("r1", EventKind::Reminder, 1_000, &["a"], true)]);
    // "a" waits with a reminder; "b" does not; a fail is another kind.
    apply_events(vec![
        event("r2", EventKind::Reminder, 2_000, &["a", "b"], true),
        event("x1", EventKind::Fail, 2_000, &["a"], true),
    ]);
    // Not coalesced: queued whatever waits.
    apply_events(vec![event("r3", EventKind::Reminder, 3_000, &["a"], false)]);
    let queued: Vec<_> = store.notifications().into_iter().map(|n| (n.flip_id, n.channel_id)).collect();
    let expected = [("r1", "a"), ("r2", "b"), ("x1", "a"), ("r3", "a")];
    assert_eq!(queued, expected.map(|(f, c)| (f.to_owned(), c.to_owned())));
    assert_eq!(store.flips().len(), 4, "every event row is written, coalesced or not");

    // Once "a"'s reminders are no longer pending, the next one is queued.
    let ids: Vec<i64> = store.notifications().iter().filter(|n| n.channel_id == "a").map(|n| n.id).collect();
    block_on(store.claim(&ids, "sender", t(10_000), t(70_000))).unwrap();
    let delivered = ids.iter().map(|id| crate::store::DeliveryWrite {
        notification_id: *id,
        at: t(10_001),
        result: crate::domain::outbox::AttemptResult::Status(200),
        outcome: crate::domain::outbox::Outcome::Delivered,
        duration_ms: 5,
    });
    block_on(store.record_deliveries("sender", &delivered.collect::<Vec<_>>())).unwrap();
    apply_events(vec![event("r4", EventKind::Reminder, 11_000, &["a", "b"], true)]);
    let last: Vec<_> = store.notifications().into_iter().skip(4).map(|n| (n.flip_id, n.channel_id)).collect();
    assert_eq!(last, [("r4".to_owned(), "a".to_owned())], "b still has r2 waiting");
}

#[test]
fn state_config_reschedule_and_routing_are_written_as_planned() {
    let (store, project) = store();
    let check = add_check(&store, &project, 1);
    let mut plan = plan_for(&check, 1_000);
    let mut state = check.state.clone();
    state.status = Status::Up;
    state.last_ping = Some(t(1_000));
    state.next_event_at = Some(t(50_000));
    plan.state = Some(StateWrite { state: state.clone(), alert_after: Some(t(90_000)), changed_at: None });
    let routes = Routes::to_channels([&channel("z", &[EventKind::Up])]);
    plan.config = Some(ConfigWrite { config: check.config.clone(), routes: Some(routes.clone()) });
    plan.reschedule = Some(t(70_000));
    plan.routing = Some(RoutingGuard { project_id: project.clone(), version: 0 });
    assert!(block_on(store.apply(&plan)).unwrap().applied);
    let row = store.stored_check(check.id).unwrap();
    assert_eq!(row.check.state.last_ping, Some(t(1_000)));
    assert_eq!(row.status_changed_at, Some(t(1_000)), "no flip: when the status changed (its creation) stays");
    assert_eq!(row.check.routes.links(), [Link { channel: "z".into(), events: vec![EventKind::Up] }]);
    assert_eq!(row.check.config_version, 1);
    // Step 7 comes after step 5: both deadlines set by the state move to 70 s.
    assert_eq!(row.deadlines(), Deadlines { alert_after: Some(t(70_000)), next_event_at: Some(t(70_000)) });
    assert_eq!(store.project(&project).unwrap().routing_version, 1);

    // A reschedule moves only the deadlines that are set.
    let check = read(&store, check.id);
    let mut plan = plan_for(&check, 2_000);
    let mut state = check.state.clone();
    state.next_event_at = None;
    plan.state = Some(StateWrite { state, alert_after: Some(t(80_000)), changed_at: None });
    plan.reschedule = Some(t(75_000));
    assert!(block_on(store.apply(&plan)).unwrap().applied);
    let row = store.stored_check(check.id).unwrap();
    assert_eq!(row.deadlines(), Deadlines { alert_after: Some(t(75_000)), next_event_at: None });
}

#[test]
fn a_plan_the_database_refuses_fails_and_leaves_no_trace() {
    let (store, project) = store();
    let check = add_check(&store, &project, 1);
    let mut first = plan_for(&check, 1_000);
    first.flip = Some(flip("taken", Status::New, Status::Down, 1_000, &["a"]));
    first.state = Some(down_state(1_000));
    assert!(block_on(store.apply(&first)).unwrap().applied);
    let check = read(&store, check.id);
    let before = snapshot(&store, check.id, &project);

    let mut reused = plan_for(&check, 2_000);
    reused.ping = Some(ping(PingKind::Success, 2_000, 10));
    reused.events = vec![event("taken", EventKind::Fail, 2_000, &["a"], false)];
    assert!(matches!(block_on(store.apply(&reused)), Err(StoreError::Query(_))), "flip ids are unique");

    let mut no_ring = plan_for(&check, 2_000);
    no_ring.ping = Some(ping(PingKind::Success, 2_000, 0));
    assert!(matches!(block_on(store.apply(&no_ring)), Err(StoreError::Query(_))), "a ping needs a ring");

    let mut twice = plan_for(&check, 2_000);
    twice.ping = Some(ping(PingKind::Success, 2_000, 10));
    twice.events = vec![event("new", EventKind::Fail, 2_000, &["a", "a"], false)];
    assert!(matches!(block_on(store.apply(&twice)), Err(StoreError::Query(_))), "one notification per channel");

    let same_uuid = new_check_plan(&project, 1, "another", Routes::default());
    assert!(matches!(block_on(store.apply(&same_uuid)), Err(StoreError::Query(_))), "check uuids are unique");
    assert_eq!(snapshot(&store, check.id, &project), before);
    assert_eq!(block_on(store.list_checks(&project)).unwrap().0.len(), 1);
}
