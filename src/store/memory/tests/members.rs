//! `MemberStore`, `AuditStore` and the project writes of issue 21, clause
//! by clause: members and their roles, a project that keeps an owner, the
//! log written with its change or not at all, deleting a project, new keys.

use super::*;
use crate::domain::access::members::{member_plan, MemberApplied, MemberChange, MAX_MEMBERS};
use crate::domain::access::roles::Role;
use crate::domain::audit::AuditWrite;
use crate::store::{AuditStore, HistoryStore, MemberStore, StoreError};

fn entry(project: &str, check: Option<Uuid>, at: i64, action: &str) -> AuditWrite {
    AuditWrite::new(project, check, t(at), "ada@example.com", action, serde_json::json!({"n": at}))
}

fn save(store: &MemoryStore, project: &str, email: &str, role: Role) -> MemberApplied {
    let plan = member_plan(project, email, MemberChange::Save(role), entry(project, None, 1, "member.add"));
    block_on(store.apply_member(&plan)).unwrap()
}

fn remove(store: &MemoryStore, project: &str, email: &str) -> MemberApplied {
    let plan = member_plan(project, email, MemberChange::Remove, entry(project, None, 2, "member.remove"));
    block_on(store.apply_member(&plan)).unwrap()
}

fn actions(store: &MemoryStore, project: &str) -> Vec<String> {
    block_on(store.audit_entries(project, None, None, 100)).unwrap().into_iter().map(|e| e.action).collect()
}

#[test]
fn a_project_is_created_with_its_first_owner_and_its_log_entry() {
    let store = MemoryStore::new();
    let id = Uuid::from_bytes([9; 16]);
    let project = NewProject {
        id,
        name: "ops".into(),
        ping_key_hash: "p".into(),
        read_write_hash: "rw".into(),
        read_only_hash: "ro".into(),
        badge_key: "b".into(),
        badge_secret: "s".into(),
        owner: Some("ada@example.com".into()),
        audit: Some(entry(&id.to_string(), None, 5, "project.create")),
    };
    block_on(store.create_project(&project, t(5))).unwrap();
    assert_eq!(block_on(store.role_of(&id.to_string(), "ada@example.com")).unwrap(), Some(Role::Owner));
    assert_eq!(actions(&store, &id.to_string()), ["project.create"]);
    // A clash writes none of it.
    let clash = NewProject { id: Uuid::from_bytes([8; 16]), owner: Some("bo@example.com".into()), ..project };
    assert!(block_on(store.create_project(&clash, t(6))).is_err());
    assert_eq!(block_on(store.projects_of("bo@example.com")).unwrap(), []);
    assert_eq!(store.audit_rows().len(), 1);
}

#[test]
fn members_are_added_given_roles_and_removed_each_with_its_entry() {
    let (store, project) = store();
    assert_eq!(save(&store, &project, "ada@example.com", Role::Owner), MemberApplied::Applied);
    assert_eq!(save(&store, &project, "bo@example.com", Role::Viewer), MemberApplied::Applied);
    assert_eq!(save(&store, &project, "bo@example.com", Role::Member), MemberApplied::Applied);
    assert_eq!(block_on(store.role_of(&project, "bo@example.com")).unwrap(), Some(Role::Member));
    let members = block_on(store.members(&project)).unwrap();
    assert_eq!(
        members.iter().map(|m| (m.email.as_str(), m.role)).collect::<Vec<_>>(),
        [("ada@example.com", Role::Owner), ("bo@example.com", Role::Member)]
    );
    assert_eq!(remove(&store, &project, "bo@example.com"), MemberApplied::Applied);
    assert_eq!(remove(&store, &project, "bo@example.com"), MemberApplied::NotAMember);
    assert_eq!(actions(&store, &project), ["member.remove", "member.add", "member.add", "member.add"]);
    assert_eq!(save(&store, "no-such-project", "x@example.com", Role::Owner), MemberApplied::NoProject);
    assert_eq!(actions(&store, "no-such-project"), Vec::<String>::new(), "nothing logged for what did not apply");
}

#[test]
fn a_project_keeps_an_owner() {
    let (store, project) = store();
    // A project made before people existed has none: anyone may be added.
    assert_eq!(save(&store, &project, "vi@example.com", Role::Viewer), MemberApplied::Applied);
    assert_eq!(save(&store, &project, "ada@example.com", Role::Owner), MemberApplied::Applied);
    let logged = store.audit_rows().len();
    assert_eq!(remove(&store, &project, "ada@example.com"), MemberApplied::LastOwner);
    assert_eq!(save(&store, &project, "ada@example.com", Role::Member), MemberApplied::LastOwner);
    assert_eq!(store.audit_rows().len(), logged, "refused changes log nothing");
    assert_eq!(save(&store, &project, "bo@example.com", Role::Owner), MemberApplied::Applied);
    assert_eq!(
        save(&store, &project, "ada@example.com", Role::Viewer),
        MemberApplied::Applied,
        "another owner remains"
    );
    assert_eq!(remove(&store, &project, "bo@example.com"), MemberApplied::LastOwner);
    assert_eq!(remove(&store, &project, "vi@example.com"), MemberApplied::Applied, "not an owner: no guard");
}

#[test]
fn new_members_stop_at_the_limit() {
    let (store, project) = store();
    for n in 0..MAX_MEMBERS {
        assert_eq!(save(&store, &project, &format!("m{n}@example.com"), Role::Viewer), MemberApplied::Applied);
    }
    assert_eq!(save(&store, &project, "late@example.com", Role::Viewer), MemberApplied::AtLimit);
    assert_eq!(
        save(&store, &project, "m0@example.com", Role::Member),
        MemberApplied::Applied,
        "a role change is no new member"
    );
}

#[test]
fn someones_projects_by_name() {
    let store = MemoryStore::new();
    let (one, two) = (add_project(&store, 2), add_project(&store, 1));
    save(&store, &one, "ada@example.com", Role::Viewer);
    save(&store, &two, "ada@example.com", Role::Owner);
    save(&store, &two, "bo@example.com", Role::Member);
    let found = block_on(store.projects_of("ada@example.com")).unwrap();
    assert_eq!(
        found.iter().map(|m| (m.name.as_str(), m.role)).collect::<Vec<_>>(),
        [("project 1", Role::Owner), ("project 2", Role::Viewer)]
    );
    assert_eq!(block_on(store.projects_of("nobody@example.com")).unwrap(), []);
}

#[test]
fn the_log_newest_first_by_page_and_by_check() {
    let (store, project) = store();
    let (a, b) = (check_uuid(1), check_uuid(2));
    for (n, check) in [Some(a), Some(b), None, Some(a), Some(a)].into_iter().enumerate() {
        block_on(store.record_audit(&entry(&project, check, n as i64, "x"))).unwrap();
    }
    block_on(store.record_audit(&entry("other", Some(a), 9, "x"))).unwrap();
    let ids = |check: Option<&Uuid>, before, limit| {
        block_on(store.audit_entries(&project, check, before, limit)).unwrap().iter().map(|e| e.id).collect::<Vec<_>>()
    };
    assert_eq!(ids(None, None, 10), [5, 4, 3, 2, 1]);
    assert_eq!(ids(None, None, 2), [5, 4]);
    assert_eq!(ids(None, Some(4), 2), [3, 2]);
    assert_eq!(ids(Some(&a), None, 10), [5, 4, 1]);
    assert_eq!(ids(Some(&b), None, 10), [2]);
}

#[test]
fn plans_write_their_entry_only_when_they_apply() {
    let (store, project) = store();
    let check = add_check(&store, &project, 1);
    let mut stale = plan_for(&check, 5);
    stale.audit = Some(entry(&project, Some(check.uuid), 5, "check.pause"));
    store.edit_check(check.id, |c| c.config_version += 1);
    assert!(!block_on(store.apply(&stale)).unwrap().applied);
    assert_eq!(actions(&store, &project), Vec::<String>::new());
    let mut fresh = plan_for(&read(&store, check.id), 6);
    fresh.audit = Some(entry(&project, Some(check.uuid), 6, "check.pause"));
    assert!(block_on(store.apply(&fresh)).unwrap().applied);
    assert_eq!(actions(&store, &project), ["check.pause"]);

    let mut created = new_check_plan(&project, 2, "two", Routes::default());
    created.audit = Some(entry(&project, Some(check_uuid(2)), 7, "check.create"));
    assert!(block_on(store.apply(&created)).unwrap().applied);

    let version = block_on(store.routing_version(&project)).unwrap();
    let mut channel_plan = ChannelPlan {
        channel: channel("c1", &[EventKind::Down]),
        change: ChannelChange::Save { max_channels: 10, at: t(8) },
        reroutes: Vec::new(),
        routing: RoutingGuard { project_id: project.clone(), version: version + 1 },
        audit: Some(entry(&project, None, 8, "channel.create")),
    };
    assert!(
        block_on(store.apply_channel(&project, &channel_plan)).unwrap() != crate::domain::plan::ChannelApplied::Applied
    );
    channel_plan.routing.version = version;
    block_on(store.apply_channel(&project, &channel_plan)).unwrap();

    block_on(store.delete_check(&check, Some(&entry(&project, Some(check.uuid), 9, "check.delete")))).unwrap();
    block_on(store.delete_check(&check, Some(&entry(&project, Some(check.uuid), 10, "check.delete")))).unwrap();
    assert_eq!(
        actions(&store, &project),
        ["check.delete", "channel.create", "check.create", "check.pause"],
        "a check already gone logs nothing"
    );
}

#[test]
fn deleting_a_project_takes_everything_of_it_but_its_log() {
    let (store, project) = store();
    let other = add_project(&store, 2);
    save(&store, &project, "ada@example.com", Role::Owner);
    save(&store, &other, "ada@example.com", Role::Owner);
    let check = add_check(&store, &project, 1);
    let kept = add_check(&store, &other, 2);
    save_channel(&store, &project, &channel("c1", &[EventKind::Down]), 3);
    let mut ping = plan_for(&check, 4);
    ping.ping = Some(super::ping(PingKind::Success, 4, 10));
    block_on(store.apply(&ping)).unwrap();
    assert!(block_on(store.delete_project(&project, &entry(&project, None, 5, "project.delete"))).unwrap());
    assert_eq!(block_on(store.api_key("rw-hash-1")).unwrap(), None);
    assert!(block_on(store.check_by_id(check.id)).unwrap().is_none());
    assert!(store.ping_ring(check.id).is_empty());
    assert!(block_on(store.channels(&project)).unwrap().is_empty());
    assert!(block_on(store.members(&project)).unwrap().is_empty());
    assert_eq!(actions(&store, &project).first().map(String::as_str), Some("project.delete"));
    assert!(block_on(store.check_by_id(kept.id)).unwrap().is_some(), "another project is untouched");
    assert_eq!(block_on(store.projects_of("ada@example.com")).unwrap().len(), 1);
    assert!(!block_on(store.delete_project(&project, &entry(&project, None, 6, "project.delete"))).unwrap());
    assert_eq!(actions(&store, &project).iter().filter(|a| *a == "project.delete").count(), 1);
}

#[test]
fn new_keys_replace_the_old() {
    let (store, project) = store();
    let logged = entry(&project, None, 5, "keys.replace");
    assert!(block_on(store.replace_api_keys(&project, "rw-new", "ro-new", &logged, t(5))).unwrap());
    assert_eq!(block_on(store.api_key("rw-hash-1")).unwrap(), None);
    assert_eq!(block_on(store.api_key("rw-new")).unwrap(), Some((project.clone(), false)));
    assert_eq!(block_on(store.api_key("ro-new")).unwrap(), Some((project.clone(), true)));
    assert!(!block_on(store.replace_api_keys("nope", "a", "b", &logged, t(6))).unwrap());
    let other = add_project(&store, 2);
    let clash = block_on(store.replace_api_keys(&other, "rw-new", "x", &logged, t(7)));
    assert!(matches!(clash, Err(StoreError::Query(_))), "another project's key hash");
    assert_eq!(block_on(store.api_key("rw-hash-2")).unwrap(), Some((other, false)), "nothing changed");
    assert_eq!(actions(&store, &project), ["keys.replace"]);
}

#[test]
fn the_log_is_pruned_as_flips_are() {
    let (store, project) = store();
    for at in [1_000, 2_000, 9_000] {
        block_on(store.record_audit(&entry(&project, None, at, "x"))).unwrap();
    }
    block_on(store.prune_history(t(5_000))).unwrap();
    assert_eq!(store.audit_rows().iter().map(|a| a.at.millis()).collect::<Vec<_>>(), [9_000]);
}
