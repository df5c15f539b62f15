//! Public status pages through the router: what a visitor sees of up, down
//! and paused checks (and nothing secret), the minute a cached answer is
//! served without reading either database, the management API's rules, and
//! a page kept in the first database for a project on the second.

use super::*;
use crate::app::CachedAnswer;
use serde_json::json;

/// 2027-01-10T12:00:00Z.
const NOON: i64 = 1_799_582_400_000;

fn t(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

/// A project with checks "api" (up), "db" (down since a sweep), "batch"
/// (paused, with a description) and "internal" (not tagged public), and a
/// page "acme" showing the public ones. Returns the world, the project's
/// read-write key and the checks' JSON.
fn published() -> (World, String, Vec<Value>) {
    let world = World::at(t(NOON - 3_600_000));
    let (_, key, _) = world.project("Acme");
    let create = |name: &str, tags: &str, desc: &str| {
        let spec = json!({"name": name, "tags": tags, "desc": desc, "timeout": 60, "grace": 60});
        let reply = world.api(&key, "POST", "/api/v3/checks/", Some(&spec));
        assert_eq!(reply.status, 201, "{}", text(&reply));
        json(&reply)
    };
    let checks = vec![
        create("api", "public", "secret-description-api"),
        create("db", "public", "secret-description-db"),
        create("batch", "public", "nightly batch, public words"),
        create("internal", "private", "secret-description-internal"),
    ];
    for check in &checks {
        let reply = world.send(
            Request::new("POST", &format!("/ping/{}", check["uuid"].as_str().unwrap())).with_body(b"secret-body-text"),
        );
        assert_eq!(reply.status, 200, "{}", text(&reply));
    }
    let paused =
        world.api(&key, "POST", &format!("/api/v3/checks/{}/pause", checks[2]["uuid"].as_str().unwrap()), None);
    assert_eq!(paused.status, 200, "{}", text(&paused));
    // "db" goes silent: an hour later every other check has pinged again.
    world.platform.set_now(t(NOON));
    for check in [&checks[0], &checks[3]] {
        world.send(Request::new("GET", &format!("/ping/{}", check["uuid"].as_str().unwrap())));
    }
    world.sweep();
    let page = json!({"slug": "acme", "title": "Acme <Status>", "tags": "public"});
    let reply = world.api(&key, "POST", "/api/v3/status-pages/", Some(&page));
    assert_eq!(reply.status, 201, "{}", text(&reply));
    (world, key, checks)
}

#[test]
fn a_page_shows_up_down_and_paused_checks_by_name_with_their_days_and_nothing_secret() {
    let (world, key, checks) = published();
    let reply = world.get("/status/acme.json");
    assert_eq!(reply.status, 200, "{}", text(&reply));
    let page = json(&reply);
    assert_eq!(page["title"], "Acme <Status>");
    assert_eq!(page["status"], "down");
    let shown: Vec<(String, String)> = page["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap().to_owned(), c["status"].as_str().unwrap().to_owned()))
        .collect();
    let pair = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    assert_eq!(shown, [pair("api", "up"), pair("batch", "paused"), pair("db", "down")]);
    let db = &page["checks"][2];
    let today = &db["days"][89];
    assert_eq!(today["date"], "2027-01-10");
    // Down since the sweep found it overdue (an hour after its ping, 2 minutes of schedule).
    assert!(today["down_seconds"].as_i64().unwrap() > 0, "{today}");
    assert_eq!(db["days"][0]["uptime"], Value::Null, "before it was created: no data");

    let html = world.get("/status/acme");
    assert_eq!(html.status, 200);
    assert_eq!(html.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(html.header("content-security-policy").is_some_and(|csp| csp.contains("default-src 'none'")));
    let body = text(&html);
    assert!(body.contains("Acme &lt;Status&gt;"), "escaped");
    for shown in [&reply, &html] {
        let body = text(shown);
        for check in &checks {
            for secret in ["uuid", "unique_key", "ping_url", "update_url", "badge_url"] {
                if let Some(value) = check[secret].as_str() {
                    assert!(!body.contains(value), "{secret} {value} is on the page");
                }
            }
        }
        for secret in [&key[..], "secret-body-text", "secret-description", "internal", "private"] {
            assert!(!body.contains(secret), "{secret} is on the page:\n{body}");
        }
    }
}

#[test]
fn descriptions_show_only_when_the_page_chooses_to() {
    let (world, key, _) = published();
    let page = json!({"title": "Acme", "tags": "public", "show_descriptions": true});
    let reply = world.api(&key, "POST", "/api/v3/status-pages/acme", Some(&page));
    assert_eq!(reply.status, 200, "{}", text(&reply));
    let body = text(&world.get("/status/acme"));
    assert!(body.contains("nightly batch, public words"));
    assert!(!body.contains("secret-description-internal"), "only the shown checks' descriptions");
}

#[test]
fn a_cached_answer_is_served_for_a_minute_without_reading_a_database() {
    let (world, key, checks) = published();
    let first = world.get("/status/acme.json");
    assert_eq!(first.header("age"), Some("0"));
    assert_eq!(first.header("cache-control"), Some("public, max-age=60"));
    assert!(first.header("cache-status").unwrap().contains("fwd=uri-miss; stored"));
    let ops = world.operations();
    assert!(ops.contains(&"status_page") && ops.contains(&"status_changes"), "{ops:?}");
    // Half a minute on, "api" fails; for the rest of the minute visitors still see it up.
    world.platform.set_now(t(NOON + 30_000));
    let api = checks[0]["uuid"].as_str().unwrap();
    assert_eq!(world.send(Request::new("POST", &format!("/ping/{api}/fail"))).status, 200);
    world.platform.set_now(t(NOON + 59_999));
    world.operations();
    for n in 0..100 {
        let query = if n % 2 == 0 { String::new() } else { format!("?n={n}") };
        let reply = world.get(&format!("/status/acme.json{query}"));
        assert_eq!(reply.body, first.body, "the same answer, whatever the query string");
        assert_eq!(reply.header("age"), Some("59"));
        assert!(reply.header("cache-status").unwrap().starts_with("edgebeat; hit; ttl=1"));
        assert_eq!(reply.header("x-d1-rows"), Some("read=0, written=0"));
    }
    assert_eq!(world.operations(), Vec::<&str>::new(), "no database was asked");
    // A minute after it was made, the page is read again and shows the change.
    world.platform.set_now(t(NOON + 60_000));
    let fresh = world.get("/status/acme.json");
    assert!(fresh.header("cache-status").unwrap().contains("fwd=uri-miss; stored"), "{:?}", fresh.headers);
    assert_eq!(json(&fresh)["checks"][0]["status"], "down");
    assert_eq!(json(&fresh)["checks"][0]["days"][89]["down_seconds"], 30, "down since the failure");
    assert!(!world.operations().is_empty());
    let _ = key;
}

#[test]
fn an_answer_a_cache_kept_too_long_is_not_served() {
    let (world, _, _) = published();
    let key = crate::app::status_pages::cache_key("http://127.0.0.1", "acme", true);
    let old = crate::app::CachedAnswer {
        status: 200,
        content_type: "application/json".into(),
        body: b"{\"old\": true}".to_vec(),
        stored_at: t(NOON - 60_000),
    };
    // A cache that would keep it an hour: the application's own rule says a minute.
    world.platform.cache.put(&key, &old, 3600);
    let reply = world.get("/status/acme.json");
    assert!(reply.header("cache-status").unwrap().contains("fwd=stale; stored"), "{:?}", reply.headers);
    assert_eq!(json(&reply)["title"], "Acme <Status>");
    world.platform.cache.put(&key, &CachedAnswer { stored_at: t(NOON - 59_000), ..old }, 3600);
    assert_eq!(world.get("/status/acme.json").body, b"{\"old\": true}", "59 s old: still fresh");
}

#[test]
fn a_missing_page_is_cached_too_and_creating_it_shows_it_at_once() {
    let world = World::at(t(NOON));
    let (_, key, _) = world.project("Acme");
    world.operations();
    let missing = world.get("/status/later.json");
    assert_eq!(missing.status, 404);
    assert_eq!(json(&missing)["error"], "no such status page");
    assert_eq!(world.operations(), ["status_page"], "one read, in the first database");
    assert_eq!(world.get("/status/later").status, 404);
    world.operations();
    assert_eq!(world.get("/status/later.json").status, 404);
    assert!(world.operations().is_empty(), "the 404 came from the cache");
    // A malformed slug is refused without asking anyone.
    assert_eq!(world.get("/status/Not.A.Slug").status, 404);
    assert!(world.operations().is_empty());

    let page = json!({"slug": "later", "title": "Later", "tags": "x"});
    assert_eq!(world.api(&key, "POST", "/api/v3/status-pages/", Some(&page)).status, 201);
    assert_eq!(world.get("/status/later.json").status, 200, "creating it forgot the cached 404");
    // Deleting it forgets its cached answer here at once.
    assert_eq!(world.api(&key, "DELETE", "/api/v3/status-pages/later", None).status, 200);
    assert_eq!(world.get("/status/later.json").status, 404);
    assert_eq!(world.get("/status/later").status, 404);
}

#[test]
fn pages_live_in_the_first_database_whatever_database_their_project_is_on() {
    let world = World::at(t(NOON));
    let (one, key_one, read_only) = world.project("One");
    let (two, key_two, _) = world.project("Two");
    let on = |id: &str| world.shards.for_uuid(&crate::domain::ids::Uuid::parse(id).unwrap()).unwrap().0;
    assert_eq!((on(&one), on(&two)), (1, 0), "one project on each database");
    let page = |slug: &str| json!({"slug": slug, "title": "T", "tags": "x"});
    assert_eq!(world.api(&key_one, "POST", "/api/v3/status-pages/", Some(&page("acme"))).status, 201);
    assert!(world.shards.get(1).unwrap().operations().iter().all(|op| *op != "create_status_page"));
    let taken = world.api(&key_two, "POST", "/api/v3/status-pages/", Some(&page("acme")));
    assert_eq!(taken.status, 409, "a slug is unique across databases: {}", text(&taken));
    assert!(json(&taken)["error"].as_str().unwrap().contains("taken"));
    // Another project's page is not found, to read, replace or delete.
    for method in ["GET", "POST", "DELETE"] {
        let reply = world.api(&key_two, method, "/api/v3/status-pages/acme", Some(&json!({"title": "x", "tags": "x"})));
        assert_eq!(reply.status, 404, "{method}");
    }
    let listed = json(&world.api(&key_two, "GET", "/api/v3/status-pages/", None));
    assert_eq!(listed, json!({"status_pages": []}));
    let listed = json(&world.api(&key_one, "GET", "/api/v3/status-pages/", None));
    assert_eq!(listed["status_pages"][0]["url"], "http://127.0.0.1/status/acme");
    // Read-only keys manage no pages.
    assert_eq!(world.api(&read_only, "GET", "/api/v3/status-pages/", None).status, 401);
    // A page names only its own project's checks.
    let theirs = world.api(&key_two, "POST", "/api/v3/checks/", Some(&json!({"name": "x"})));
    let uuid = json(&theirs)["uuid"].as_str().unwrap().to_owned();
    let foreign = json!({"slug": "beta", "title": "T", "checks": [uuid]});
    let reply = world.api(&key_one, "POST", "/api/v3/status-pages/", Some(&foreign));
    assert_eq!(reply.status, 400, "{}", text(&reply));
    // At most 20 pages per project.
    for n in 1..20 {
        assert_eq!(world.api(&key_one, "POST", "/api/v3/status-pages/", Some(&page(&format!("p{n:02}")))).status, 201);
    }
    let over = world.api(&key_one, "POST", "/api/v3/status-pages/", Some(&page("p20")));
    assert_eq!(over.status, 403, "{}", text(&over));
    let renamed = world.api(
        &key_one,
        "POST",
        "/api/v3/status-pages/acme",
        Some(&json!({"slug": "moved", "title": "T", "tags": "x"})),
    );
    assert_eq!(renamed.status, 400, "{}", text(&renamed));
}

#[test]
fn publishing_changing_and_deleting_a_page_is_logged_with_who() {
    let world = World::at(t(NOON));
    let (id, key, _) = world.project("One");
    let page = json!({"slug": "acme", "title": "Acme", "tags": "public"});
    assert_eq!(world.api(&key, "POST", "/api/v3/status-pages/", Some(&page)).status, 201);
    let changed = json!({"title": "Acme status", "tags": "public"});
    assert_eq!(world.api(&key, "POST", "/api/v3/status-pages/acme", Some(&changed)).status, 200);
    assert_eq!(world.api(&key, "DELETE", "/api/v3/status-pages/acme", None).status, 200);
    let log = json(&world.api(&key, "GET", &format!("/api/v3/projects/{id}/audit/"), None));
    let entries = log["entries"].as_array().expect("entries");
    let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap_or_default()).collect();
    assert_eq!(actions[..3], ["status_page.delete", "status_page.edit", "status_page.create"], "{log}");
    assert_eq!(entries[1]["change"]["title"], "Acme status");
    assert_eq!(entries[2]["change"]["slug"], "acme");
    assert!(entries[0]["actor"].as_str().unwrap_or_default().starts_with("read-write key hcw_"), "{log}");
}
