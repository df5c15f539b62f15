//! `ChannelStore` (channel plans, the routing version) and `WindowStore`.

use super::*;
use crate::domain::check::Tags;
use crate::domain::maintenance::{When, Window};
use crate::domain::plan::{ChannelApplied, Reroute};
use crate::store::{StoreError, WindowStore, Windows};

fn channel_plan(store: &MemoryStore, project: &str, channel: &Channel, change: ChannelChange) -> ChannelPlan {
    let version = block_on(store.routing_version(project)).unwrap();
    ChannelPlan {
        channel: channel.clone(),
        change,
        reroutes: Vec::new(),
        routing: RoutingGuard { project_id: project.to_owned(), version },
        audit: None,
    }
}

fn save(max_channels: i64, at: i64) -> ChannelChange {
    ChannelChange::Save { max_channels, at: t(at) }
}

#[test]
fn a_channel_plan_applies_at_the_routing_version_it_read_rerouting_and_bumping_versions() {
    let (store, project) = store();
    let other = add_project(&store, 2);
    let mine = add_check(&store, &project, 1);
    let theirs = add_check(&store, &other, 2);
    let a = channel("a", &[EventKind::Down]);
    let routes = Routes::to_channels([&a]);
    let mut plan = channel_plan(&store, &project, &a, save(5, 10));
    plan.reroutes = vec![
        Reroute { check_id: mine.id, uuid: mine.uuid, routes: routes.clone() },
        Reroute { check_id: theirs.id, uuid: theirs.uuid, routes: routes.clone() },
    ];
    let stale = ChannelPlan { routing: RoutingGuard { version: 7, ..plan.routing.clone() }, ..plan.clone() };
    assert_eq!(block_on(store.apply_channel(&project, &stale)).unwrap(), ChannelApplied::Stale);
    assert!(block_on(store.channels(&project)).unwrap().is_empty());
    assert_eq!(read(&store, mine.id), mine, "a stale plan reroutes nothing");

    assert_eq!(block_on(store.apply_channel(&project, &plan)).unwrap(), ChannelApplied::Applied);
    assert_eq!(block_on(store.channels(&project)).unwrap(), std::slice::from_ref(&a));
    assert_eq!(block_on(store.routing_version(&project)).unwrap(), 1);
    let rerouted = read(&store, mine.id);
    assert_eq!((rerouted.routes, rerouted.config_version), (routes, mine.config_version + 1));
    assert_eq!(read(&store, theirs.id), theirs, "only the project's own checks are rerouted");
    assert_eq!(block_on(store.routing_version(&other)).unwrap(), 0);
    assert_eq!(block_on(store.apply_channel(&project, &plan)).unwrap(), ChannelApplied::Stale, "the version moved on");

    // A check plan decided before the channel change no longer applies.
    let mut check_plan = plan_for(&mine, 20);
    check_plan.routing = Some(RoutingGuard { project_id: project.clone(), version: 0 });
    assert!(!block_on(store.apply(&check_plan)).unwrap().applied);
}

#[test]
fn channels_are_created_under_the_limit_replaced_in_place_and_deleted() {
    let (store, project) = store();
    let other = add_project(&store, 2);
    for (id, at) in [("b", 10), ("a", 10), ("c", 5)] {
        let plan = channel_plan(&store, &project, &channel(id, &[EventKind::Up]), save(3, at));
        assert_eq!(block_on(store.apply_channel(&project, &plan)).unwrap(), ChannelApplied::Applied);
    }
    let ids = |project: &str| block_on(store.channels(project)).unwrap().into_iter().map(|c| c.id).collect::<Vec<_>>();
    assert_eq!(ids(&project), ["c", "a", "b"], "by creation time, then id");

    let fourth = channel_plan(&store, &project, &channel("d", &[]), save(3, 20));
    assert_eq!(block_on(store.apply_channel(&project, &fourth)).unwrap(), ChannelApplied::AtLimit);
    assert_eq!(block_on(store.routing_version(&project)).unwrap(), 3, "at the limit nothing is written");

    let mut renamed = channel("a", &[EventKind::Fail]);
    renamed.name = "renamed".into();
    let replace = channel_plan(&store, &project, &renamed, save(3, 99));
    assert_eq!(block_on(store.apply_channel(&project, &replace)).unwrap(), ChannelApplied::Applied);
    assert_eq!(ids(&project), ["c", "a", "b"], "a replaced channel keeps its place");
    assert_eq!(block_on(store.channels(&project)).unwrap()[1], renamed);

    // Another project cannot take or replace a channel id in use.
    let taken = channel_plan(&store, &other, &channel("a", &[]), save(3, 1));
    assert_eq!(block_on(store.apply_channel(&other, &taken)).unwrap(), ChannelApplied::AtLimit);
    assert!(ids(&other).is_empty());

    let delete = channel_plan(&store, &project, &channel("c", &[]), ChannelChange::Delete);
    assert_eq!(block_on(store.apply_channel(&project, &delete)).unwrap(), ChannelApplied::Applied);
    assert_eq!(ids(&project), ["a", "b"]);
    assert_eq!(block_on(store.routing_version(&project)).unwrap(), 5);
    let unknown = ChannelPlan { routing: RoutingGuard { project_id: "nope".into(), version: 0 }, ..delete };
    assert_eq!(block_on(store.apply_channel("nope", &unknown)).unwrap(), ChannelApplied::Stale);
}

#[test]
fn an_unreadable_channel_fails_the_list_and_reaches_deliveries_as_stored() {
    let (store, project) = store();
    save_channel(&store, &project, &channel("a", &[EventKind::Down]), 1);
    assert!(store.corrupt_channel("a", "{not json"));
    assert!(matches!(block_on(store.channels(&project)), Err(crate::store::StoreError::Corrupt(_))));
    assert_eq!(store.channel_rows()[0].config, "{not json");
}

fn window(id: &str, start: i64) -> Window {
    Window {
        id: id.into(),
        name: format!("window {id}"),
        when: When::OneOff { start: t(start), end: t(start + 3_600_000) },
        tags: Tags::parse("db"),
        checks: Vec::new(),
    }
}

#[test]
fn windows_are_saved_under_the_limit_replaced_by_their_project_and_listed_oldest_first() {
    let (store, project) = store();
    let other = add_project(&store, 2);
    assert!(block_on(store.save_window(&project, &window("w2", 0), 2, t(20))).unwrap());
    assert!(block_on(store.save_window(&project, &window("w1", 0), 2, t(10))).unwrap());
    assert!(!block_on(store.save_window(&project, &window("w3", 0), 2, t(30))).unwrap(), "at the limit");
    let replaced = window("w2", 99);
    assert!(block_on(store.save_window(&project, &replaced, 2, t(40))).unwrap(), "replacing is not adding");
    assert!(!block_on(store.save_window(&other, &window("w1", 5), 2, t(50))).unwrap(), "not theirs");
    let (windows, problems) = block_on(store.windows(&project)).unwrap();
    assert_eq!((windows, problems), (vec![window("w1", 0), replaced], vec![]));
    assert!(block_on(store.windows(&other)).unwrap().0.is_empty());

    block_on(store.delete_window(&other, "w1")).unwrap();
    assert_eq!(block_on(store.windows(&project)).unwrap().0.len(), 2, "only the project's own are deleted");
    block_on(store.delete_window(&project, "w1")).unwrap();
    let ids = |(windows, _): Windows| windows.into_iter().map(|w| w.id).collect::<Vec<_>>();
    assert_eq!(ids(block_on(store.windows(&project)).unwrap()), ["w2"]);
}

#[test]
fn an_unreadable_window_is_left_out_and_reported_and_the_rest_still_read() {
    let (store, project) = store();
    for (id, created) in [("w1", 10), ("w2", 20), ("w3", 30)] {
        assert!(block_on(store.save_window(&project, &window(id, 0), 100, t(created))).unwrap());
    }
    assert!(store.corrupt_window("w2", "tz does not parse"));
    let (windows, problems) = block_on(store.windows(&project)).unwrap();
    assert_eq!(windows.iter().map(|w| w.id.as_str()).collect::<Vec<_>>(), ["w1", "w3"]);
    assert_eq!(problems, [StoreError::Corrupt("maintenance window w2: tz does not parse".into())]);
    let (of_projects, problems) = block_on(store.windows_of_projects(std::slice::from_ref(&project))).unwrap();
    assert_eq!(of_projects.len(), 2);
    assert_eq!(problems.len(), 1);
    // Saving it again repairs it.
    assert!(block_on(store.save_window(&project, &window("w2", 0), 100, t(40))).unwrap());
    assert_eq!(block_on(store.windows(&project)).unwrap().0.len(), 3);
    assert!(!store.corrupt_window("nope", "x"));
}

#[test]
fn the_windows_of_several_projects_are_one_read_by_project_then_oldest_first() {
    let (store, first) = store();
    let second = add_project(&store, 2);
    let third = add_project(&store, 3);
    assert!(block_on(store.save_window(&second, &window("b2", 0), 100, t(20))).unwrap());
    assert!(block_on(store.save_window(&first, &window("a1", 0), 100, t(30))).unwrap());
    assert!(block_on(store.save_window(&second, &window("b1", 0), 100, t(10))).unwrap());
    assert!(block_on(store.save_window(&third, &window("c1", 0), 100, t(10))).unwrap());
    store.clear_operations();
    let asked = [second.clone(), first.clone(), "no-such-project".to_owned()];
    let (windows, problems) = block_on(store.windows_of_projects(&asked)).unwrap();
    assert_eq!(store.operations(), ["windows_of_projects"], "one read");
    assert!(problems.is_empty());
    let mut expected = vec![(first.clone(), "a1"), (second.clone(), "b1"), (second.clone(), "b2")];
    expected.sort();
    let got: Vec<(String, &str)> = windows.iter().map(|(p, w)| (p.clone(), w.id.as_str())).collect();
    assert_eq!(got, expected, "by project, then oldest first; the third project's not asked for");
    assert_eq!(block_on(store.windows_of_projects(&[])).unwrap().0, vec![]);
}

#[test]
fn a_failing_mark_applies_once_for_the_channel_as_configured_with_its_notice_and_an_edit_clears_it() {
    use crate::domain::plan::{FailingMark, NoticeWrite};
    use crate::store::OutboxStore;
    let (store, project) = store();
    let check = add_check(&store, &project, 1);
    let a = channel("a", &[EventKind::Down]);
    save_channel(&store, &project, &a, 1);
    save_channel(&store, &project, &channel("b", &[EventKind::Down]), 2);
    let mark = |config: String, notice: &str| FailingMark {
        project_id: project.clone(),
        channel_id: "a".into(),
        config,
        reason: "HTTP 410".into(),
        at: t(50),
        notice: Some(NoticeWrite {
            id: notice.into(),
            check_id: check.id,
            status: Status::Up,
            detail: "{}".into(),
            recipients: vec!["b".into()],
        }),
    };
    assert!(!block_on(store.mark_channel_failing(&mark("{}".into(), "n0"))).unwrap(), "not as configured");
    assert!(block_on(store.mark_channel_failing(&mark(a.config.to_stored(), "n1"))).unwrap());
    let listed = block_on(store.channels(&project)).unwrap();
    assert_eq!(listed[0].failing.as_ref().map(|f| (f.since, f.reason.as_str())), Some((t(50), "HTTP 410")));
    assert!(!block_on(store.mark_channel_failing(&mark(a.config.to_stored(), "n2"))).unwrap(), "once");
    let queued = block_on(store.list_notifications(&project, None, None, 10)).unwrap();
    assert_eq!(queued.len(), 1, "one notice, to the other channel");
    assert_eq!((queued[0].channel_id.as_str(), queued[0].event.as_str()), ("b", "channel_failing"));
    assert_eq!(queued[0].next_attempt_at, t(50));
    assert!(!block_on(store.clear_channel_failing(&project, "a", "{}")).unwrap());
    assert!(block_on(store.clear_channel_failing(&project, "a", &a.config.to_stored())).unwrap());
    assert!(block_on(store.channels(&project)).unwrap()[0].failing.is_none());
    assert!(block_on(store.mark_channel_failing(&mark(a.config.to_stored(), "n3"))).unwrap());
    save_channel(&store, &project, &a, 3);
    assert!(block_on(store.channels(&project)).unwrap()[0].failing.is_none(), "a saved channel is not failing");
}
