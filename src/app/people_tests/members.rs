//! People in projects: who am I, which project a request acts in, members
//! managed by owners (a project keeps one), new keys, deleting a project,
//! the logs, and cross-site writes refused however the identity arrived.

use super::*;

#[test]
fn me_lists_a_persons_projects_across_databases() {
    let world = World::new();
    let ops = world.project("ops", "ada@example.com");
    let web = world.project("web", "bo@example.com");
    world.add_member(&id_of(&web), "ADA@example.com", "viewer");
    assert_ne!(
        crate::domain::shard::shard_of_uuid(&crate::domain::ids::Uuid::parse(&id_of(&ops)).unwrap()),
        crate::domain::shard::shard_of_uuid(&crate::domain::ids::Uuid::parse(&id_of(&web)).unwrap()),
        "the two projects live in two databases"
    );
    let me = body(&world.request(&As::Person("ada@example.com".into(), None), "GET", "/api/v3/me", None));
    assert_eq!(me["email"], "ada@example.com");
    let projects: Vec<(String, String)> = me["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap().to_owned(), p["role"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(projects, [("ops".into(), "owner".into()), ("web".into(), "viewer".into())]);
    let by_key = body(&world.request(&key_of(&ops, "api_key_readonly"), "GET", "/api/v3/me", None));
    assert_eq!(by_key["projects"][0]["role"], "viewer");
    assert!(by_key["key"].as_str().unwrap().starts_with("read-only key hcr_"));
    assert_eq!(world.request(&As::Nobody, "GET", "/api/v3/me", None).status, 401);
}

#[test]
fn a_person_names_the_project_unless_they_have_only_one() {
    let world = World::new();
    let ops = world.project("ops", "ada@example.com");
    let web = world.project("web", "bo@example.com");
    let only_ops = As::Person("ada@example.com".into(), None);
    assert_eq!(world.request(&only_ops, "GET", "/api/v3/checks/", None).status, 200, "one project: implied");
    world.add_member(&id_of(&web), "ada@example.com", "member");
    let reply = world.request(&only_ops, "GET", "/api/v3/checks/", None);
    assert_eq!(reply.status, 400);
    assert!(text(&reply).contains("2 projects"));
    let in_web = As::Person("ada@example.com".into(), Some(id_of(&web).to_uppercase()));
    let made = world.request(&in_web, "POST", "/api/v3/checks/", Some(&json!({"name": "in web"})));
    assert_eq!(made.status, 201, "{}", text(&made));
    let query = format!("/api/v3/checks/?project={}", id_of(&ops));
    assert_eq!(body(&world.request(&only_ops, "GET", &query, None))["checks"], json!([]));
    let listed = body(&world.request(&key_of(&web, "api_key"), "GET", "/api/v3/checks/", None));
    assert_eq!(listed["checks"][0]["name"], "in web");
    let stranger = As::Person("eve@example.com".into(), Some(id_of(&ops)));
    let refused = world.request(&stranger, "GET", "/api/v3/checks/", None);
    assert_eq!(refused.status, 403);
    assert!(text(&refused).contains("not a member"));
    let nowhere = world.request(&As::Person("eve@example.com".into(), None), "GET", "/api/v3/checks/", None);
    assert_eq!(nowhere.status, 403);
    let bogus =
        world.request(&As::Person("ada@example.com".into(), Some("nope".into())), "GET", "/api/v3/checks/", None);
    assert_eq!(bogus.status, 403);
}

#[test]
fn owners_manage_members_and_a_project_keeps_an_owner() {
    let world = World::new();
    let ops = world.project("ops", "ada@example.com");
    let id = id_of(&ops);
    let ada = As::Person("ada@example.com".into(), Some(id.clone()));
    let members = format!("/api/v3/projects/{id}/members/");
    let added = world.request(&ada, "POST", &members, Some(&json!({"email": "Bo@Example.com", "role": "member"})));
    assert_eq!(added.status, 201, "{}", text(&added));
    assert_eq!(body(&added)["email"], "bo@example.com");
    let bo = As::Person("bo@example.com".into(), Some(id.clone()));
    let refused = world.request(&bo, "POST", &members, Some(&json!({"email": "eve@example.com", "role": "owner"})));
    assert_eq!(refused.status, 403, "a member manages no members");
    let last = world.request(&ada, "DELETE", &format!("{members}ada@example.com"), None);
    assert_eq!(last.status, 409, "{}", text(&last));
    let demoted = world.request(&ada, "POST", &members, Some(&json!({"email": "ada@example.com", "role": "viewer"})));
    assert_eq!(demoted.status, 409);
    let promoted = world.request(&ada, "POST", &members, Some(&json!({"email": "bo@example.com", "role": "owner"})));
    assert_eq!(promoted.status, 200, "{}", text(&promoted));
    let removed = world.request(&bo, "DELETE", &format!("{members}ADA%40example.com"), None);
    assert_eq!(removed.status, 200, "{}", text(&removed));
    assert_eq!(world.request(&ada, "GET", "/api/v3/checks/", None).status, 403, "ada is out");
    assert_eq!(world.request(&bo, "DELETE", &format!("{members}nobody@example.com"), None).status, 404);
    let bad = world.request(&bo, "POST", &members, Some(&json!({"email": "x", "role": "owner"})));
    assert_eq!(bad.status, 400);
    let listed = body(&world.request(&bo, "GET", &members, None));
    assert_eq!(listed["members"].as_array().unwrap().len(), 1);
    let log = world.log(&id);
    assert_eq!(log[0], ("bo@example.com".into(), "member.remove".into()));
    assert_eq!(log[1], ("ada@example.com".into(), "member.role".into()));
    assert_eq!(log[2], ("ada@example.com".into(), "member.add".into()));
}

#[test]
fn new_keys_and_deleting_a_project() {
    let world = World::new();
    let ops = world.project("ops", "ada@example.com");
    let id = id_of(&ops);
    let ada = As::Person("ada@example.com".into(), Some(id.clone()));
    world.request(&key_of(&ops, "api_key"), "POST", "/api/v3/checks/", Some(&json!({"name": "backup"})));
    let fresh = world.request(&ada, "POST", &format!("/api/v3/projects/{id}/keys/"), None);
    assert_eq!(fresh.status, 200, "{}", text(&fresh));
    assert_eq!(world.request(&key_of(&ops, "api_key"), "GET", "/api/v3/checks/", None).status, 401, "old key gone");
    let new_key = key_of(&body(&fresh), "api_key");
    assert_eq!(world.request(&new_key, "GET", "/api/v3/checks/", None).status, 200);
    let deleted = world.request(&ada, "DELETE", &format!("/api/v3/projects/{id}"), None);
    assert_eq!(deleted.status, 200, "{}", text(&deleted));
    assert_eq!(world.request(&new_key, "GET", "/api/v3/checks/", None).status, 401);
    assert_eq!(world.request(&ada, "GET", "/api/v3/checks/", None).status, 403);
    let log = world.log(&id);
    assert_eq!(log[0], ("ada@example.com".into(), "project.delete".into()), "the admin still reads the log");
    assert_eq!(log[1], ("ada@example.com".into(), "keys.replace".into()));
    assert_eq!(world.request(&As::Admin, "DELETE", &format!("/api/v3/projects/{id}"), None).status, 404);
}

#[test]
fn every_change_is_logged_with_who_and_what() {
    let world = World::new();
    let ops = world.project("ops", "ada@example.com");
    let id = id_of(&ops);
    let ada = As::Person("ada@example.com".into(), Some(id.clone()));
    let created =
        body(&world.request(&ada, "POST", "/api/v3/checks/", Some(&json!({"name": "backup", "timeout": 3600}))));
    let uuid = created["uuid"].as_str().unwrap().to_owned();
    world.request(&ada, "POST", &format!("/api/v3/checks/{uuid}"), Some(&json!({"name": "nightly backup"})));
    world.request(&key_of(&ops, "api_key"), "POST", &format!("/api/v3/checks/{uuid}/pause"), None);
    world.request(&ada, "POST", &format!("/api/v3/checks/{uuid}/resume"), None);
    world.request(&ada, "POST", &format!("/api/v3/checks/{uuid}/snooze"), Some(&json!({"seconds": 600})));
    let check_log = body(&world.request(&ada, "GET", &format!("/api/v3/checks/{uuid}/audit/"), None));
    let entries = check_log["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["check.snooze", "check.resume", "check.pause", "check.edit", "check.create"]);
    assert!(entries[2]["actor"].as_str().unwrap().starts_with("read-write key hcw_"), "{}", entries[2]);
    assert!(entries[2]["actor"].as_str().unwrap().ends_with('…'));
    assert_eq!(entries[3]["change"], json!({"name": "nightly backup"}), "an edit logs what it changed");
    assert_eq!(entries[4]["change"]["timeout"], 3600);
    assert_eq!(entries[4]["actor"], "ada@example.com");
    assert!(entries[0]["at"].as_str().unwrap().starts_with("2027-"));
    // Pages: two at a time, then the rest.
    let first = body(&world.request(&ada, "GET", &format!("/api/v3/checks/{uuid}/audit/?limit=2"), None));
    let next = first["next"].as_i64().unwrap();
    let second =
        body(&world.request(&ada, "GET", &format!("/api/v3/checks/{uuid}/audit/?limit=2&before={next}"), None));
    assert_eq!(second["entries"][0]["action"], "check.pause");
    assert_eq!(world.request(&ada, "GET", &format!("/api/v3/checks/{uuid}/audit/?limit=0"), None).status, 400);
    world.request(&ada, "DELETE", &format!("/api/v3/checks/{uuid}"), None);
    assert_eq!(world.log(&id)[0], ("ada@example.com".into(), "check.delete".into()));
}

#[test]
fn cross_site_writes_are_refused_however_the_identity_arrived() {
    let world = World::new();
    let ops = world.project("ops", "ada@example.com");
    let ada = As::Person("ada@example.com".into(), None);
    let new = json!({"name": "forged"});
    for who in [ada.clone(), key_of(&ops, "api_key")] {
        for headers in [
            vec![("Origin", "https://evil.example")],
            vec![("Sec-Fetch-Site", "cross-site")],
            vec![("Origin", "http://127.0.0.1:9999"), ("Sec-Fetch-Site", "same-site")],
            vec![("Origin", "null")],
        ] {
            let reply = world.request_with(&who, "POST", "/api/v3/checks/", Some(&new), &headers);
            assert_eq!(reply.status, 403, "{headers:?}: {}", text(&reply));
            assert!(text(&reply).contains("cross-site request refused"));
        }
    }
    let listed = body(&world.request(&ada, "GET", "/api/v3/checks/", None));
    assert_eq!(listed["checks"], json!([]), "nothing was created");
    // The page's own origin, and scripts that send no such headers, pass.
    let own = world.request_with(
        &ada,
        "POST",
        "/api/v3/checks/",
        Some(&new),
        &[("Origin", "http://127.0.0.1"), ("Sec-Fetch-Site", "same-origin")],
    );
    assert_eq!(own.status, 201, "{}", text(&own));
    assert_eq!(world.request(&key_of(&ops, "api_key"), "POST", "/api/v3/checks/", Some(&new)).status, 201);
    // Reads from anywhere are answered as before.
    let read = world.request_with(
        &ada,
        "GET",
        "/api/v3/checks/",
        None,
        &[("Origin", "https://evil.example"), ("Sec-Fetch-Site", "cross-site")],
    );
    assert_eq!(read.status, 200);
}

#[test]
fn the_log_shows_a_read_only_reader_no_check_uuid() {
    // A UUID is a ping credential (issue 17, bug 3): whoever reads only
    // (a read-only key, a viewer) sees each check by its unique key.
    let world = World::new();
    let ops = world.project("ops", "ada@example.com");
    let id = id_of(&ops);
    world.add_member(&id, "vic@example.com", "viewer");
    let writer = key_of(&ops, "api_key");
    let created = body(&world.request(&writer, "POST", "/api/v3/checks/", Some(&json!({"name": "backup"}))));
    let uuid = created["uuid"].as_str().unwrap().to_owned();
    world.request(&writer, "POST", &format!("/api/v3/checks/{uuid}/pause"), None);
    let window =
        json!({"name": "db work", "start": "2030-01-01T00:00:00Z", "end": "2030-01-01T01:00:00Z", "checks": [uuid]});
    assert_eq!(world.request(&writer, "POST", "/api/v3/maintenance/", Some(&window)).status, 201);
    let unique = body(&world.request(&key_of(&ops, "api_key_readonly"), "GET", "/api/v3/checks/", None))["checks"][0]
        ["unique_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let vic = As::Person("vic@example.com".into(), Some(id.clone()));
    for reader in [key_of(&ops, "api_key_readonly"), vic] {
        for path in [format!("/api/v3/projects/{id}/audit/"), format!("/api/v3/checks/{unique}/audit/")] {
            let reply = world.request(&reader, "GET", &path, None);
            assert_eq!(reply.status, 200, "{path}: {}", text(&reply));
            assert!(!text(&reply).contains(&uuid), "{path}: {}", text(&reply));
            assert!(text(&reply).contains(&unique), "{path}: {}", text(&reply));
        }
    }
    // Those who may ping see the UUID, as in every other answer.
    let full = text(&world.request(&writer, "GET", &format!("/api/v3/projects/{id}/audit/"), None));
    assert!(full.contains(&uuid), "{full}");
}
