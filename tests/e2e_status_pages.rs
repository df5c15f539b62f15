//! Public status pages end to end, on the real Worker under wrangler dev with
//! its two D1 databases: what a visitor sees of up, down and paused checks
//! made by real pings and sweeps (and nothing secret, in HTML or JSON),
//! repeated views served from the Workers cache without reading D1 (rows
//! counted by the `X-D1-Rows` usage header), a slug unique across both
//! databases, a deleted page no longer served; and in chromium, the page
//! (axe, a phone's width, its stylesheet under its strict policy) and the
//! dashboard's Status pages section.

mod browser;
mod support;

use serde_json::{json, Value};
use std::time::{Duration, Instant};
use support::http::HttpResponse;
use support::{millis_of, now_ms, path_of, Project, Worker};

fn ping(worker: &Worker, check: &Value, suffix: &str, body: &[u8]) {
    let path = format!("{}{suffix}", path_of(&check["ping_url"]));
    let response = worker.request("POST", &path, &[("User-Agent", "curl/8.5.0")], body);
    assert_eq!(response.status, 200, "ping {path}: {}", response.text());
}

fn uuid_of(check: &Value) -> String {
    check["uuid"].as_str().expect("a uuid").to_owned()
}

/// Rows read, by the usage header.
fn rows_read(response: &HttpResponse) -> i64 {
    let usage = response.header("x-d1-rows").expect("the X-D1-Rows usage header (D1_USAGE_HEADER)");
    usage
        .split(',')
        .find_map(|part| part.trim().strip_prefix("read="))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("cannot read {usage}"))
}

/// A project with "api" (up), "db" (down by a failure ping), "backup" (down
/// by a sweep), "legacy" (paused), all tagged public, and "internal" (not
/// tagged public, down); every check has a description and pings with a
/// body that must stay private. Returns the project and the checks.
fn mixed_project(worker: &Worker) -> (Project, Vec<Value>) {
    let project = worker.create_project("Acme");
    // "api" expects a ping an hour: it stays up through the test; the others a minute, with a minute of grace.
    let spec = |name: &str, tags: &str, timeout: i64| {
        let desc = format!("secret-desc-{name}");
        json!({"name": name, "tags": tags, "timeout": timeout, "grace": timeout, "desc": desc})
    };
    let checks: Vec<Value> = [
        ("api", "public", 3600),
        ("db", "public", 60),
        ("backup", "public", 60),
        ("legacy", "public", 60),
        ("internal", "private", 60),
    ]
    .iter()
    .map(|(name, tags, timeout)| worker.create_check(&project, spec(name, tags, *timeout)))
    .collect();
    for check in &checks {
        ping(worker, check, "", format!("secret-body-{}", check["name"].as_str().unwrap_or_default()).as_bytes());
    }
    ping(worker, &checks[1], "/fail", b"secret-body-failure");
    let paused = worker.api(&project.api_key, "POST", &format!("/api/v3/checks/{}/pause", uuid_of(&checks[3])), None);
    assert_eq!(paused.status, 200, "{}", paused.text());
    // Three minutes on, a sweep finds the silent minute checks overdue.
    worker.run_sweep(now_ms() + 180_000);
    (project, checks)
}

fn publish(worker: &Worker, project: &Project, page: Value) -> Value {
    let response = worker.api(&project.api_key, "POST", "/api/v3/status-pages/", Some(&page));
    assert_eq!(response.status, 201, "publish {page}: {}", response.text());
    response.json()
}

#[test]
fn a_page_shows_up_down_and_paused_checks_by_name_and_nothing_secret() {
    let worker = Worker::start();
    let (project, checks) = mixed_project(&worker);
    let created = publish(&worker, &project, json!({"slug": "acme", "title": "Acme <services>", "tags": "public"}));
    assert_eq!(created["url"], format!("http://127.0.0.1:{}/status/acme", worker.port));
    assert_eq!(created["show_descriptions"], false);

    let response = worker.get("/status/acme.json");
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json"));
    let page = response.json();
    assert_eq!((page["title"].as_str(), page["status"].as_str()), (Some("Acme <services>"), Some("down")));
    let shown: Vec<(&str, &str)> = page["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| (c["name"].as_str().unwrap_or_default(), c["status"].as_str().unwrap_or_default()))
        .collect();
    assert_eq!(shown, [("api", "up"), ("backup", "down"), ("db", "down"), ("legacy", "paused")]);
    // "db" has been down since its failure ping: the days add up to that, to the second.
    let flips =
        worker.api(&project.api_key, "GET", &format!("/api/v3/checks/{}/flips/", uuid_of(&checks[1])), None).json();
    let down_since = flips["flips"].as_array().expect("flips").iter().find(|f| f["up"] == 0).expect("the down flip");
    let expected = (millis_of(&page["updated"]) - millis_of(&down_since["timestamp"])) / 1000;
    let db = &page["checks"][2];
    let days = db["days"].as_array().expect("days");
    assert_eq!(days.len(), 90);
    let down: i64 = days.iter().map(|d| d["down_seconds"].as_i64().unwrap_or_default()).sum();
    assert!((down - expected).abs() <= 2, "down {down} s, the flips say {expected} s");
    assert_eq!(days[0]["uptime"], Value::Null, "89 days ago the check did not exist: no data");

    let html = worker.get("/status/acme");
    assert_eq!(html.status, 200);
    assert_eq!(html.header("content-type"), Some("text/html; charset=utf-8"));
    let csp = html.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("default-src 'none'") && csp.contains("style-src 'self'"), "{csp}");
    let text = html.text();
    assert!(text.contains("<h1>Acme &lt;services&gt;</h1>"), "escaped title");
    assert!(text.contains("Some checks are down"));
    for (name, word) in [("api", "Up"), ("backup", "Down"), ("db", "Down"), ("legacy", "Paused")] {
        assert!(text.contains(&format!("<h2>{name}</h2><span class=\"status status-")), "{name}");
        assert!(text.contains(&format!(">{word}</span>")), "{word}");
    }
    for answer in [&response, &html] {
        let body = answer.text();
        let mut secrets: Vec<String> = vec![
            project.api_key.clone(),
            project.api_key_readonly.clone(),
            project.ping_key.clone(),
            project.id.clone(),
        ];
        for check in &checks {
            for field in ["uuid", "ping_url", "unique_key", "badge_url", "update_url"] {
                if let Some(value) = check[field].as_str() {
                    secrets.push(value.to_owned());
                }
            }
        }
        secrets.extend(["secret-body".to_owned(), "secret-desc".to_owned(), "internal".to_owned()]);
        for secret in secrets {
            assert!(!body.contains(&secret), "{secret} is on the public page");
        }
    }

    // Descriptions only when the page chooses to show them.
    let replaced = worker.api(
        &project.api_key,
        "POST",
        "/api/v3/status-pages/acme",
        Some(&json!({"title": "Acme", "tags": "public", "show_descriptions": true})),
    );
    assert_eq!(replaced.status, 200, "{}", replaced.text());
    let text = worker.get("/status/acme").text();
    assert!(text.contains("secret-desc-api"), "the replacement showed at once: its cached answer was forgotten");
    assert!(!text.contains("secret-desc-internal"));

    for path in ["/status/nobody", "/status/nobody.json", "/status/Not_A_Slug"] {
        assert_eq!(worker.get(path).status, 404, "{path}");
    }
    let head = worker.request("HEAD", "/status/acme", &[], b"");
    assert_eq!((head.status, head.body.len()), (200, 0));
}

#[test]
fn repeated_views_come_from_the_cache_without_reading_d1_and_a_deleted_page_goes() {
    let worker = Worker::start();
    assert_eq!(worker.databases(), 2);
    let first_project = worker.create_project("On DB_1");
    let second_project = worker.create_project("On DB");
    let check = worker.create_check(&first_project, json!({"name": "web", "tags": "public"}));
    ping(&worker, &check, "", b"");
    publish(&worker, &first_project, json!({"slug": "acme", "title": "Acme", "checks": [uuid_of(&check)]}));
    // Slugs are one namespace across both databases.
    let taken = worker.api(
        &second_project.api_key,
        "POST",
        "/api/v3/status-pages/",
        Some(&json!({"slug": "acme", "title": "x", "tags": "x"})),
    );
    assert_eq!(taken.status, 409, "{}", taken.text());
    publish(&worker, &second_project, json!({"slug": "second", "title": "Second", "tags": "x"}));
    assert_eq!(worker.get("/status/second.json").json()["title"], "Second");

    let mut stored_at = Instant::now();
    let first = worker.get("/status/acme.json");
    assert_eq!(first.status, 200, "{}", first.text());
    assert!(rows_read(&first) > 0, "the first view reads D1");
    assert_eq!(first.header("age"), Some("0"));
    assert_eq!(first.header("cache-control"), Some("public, max-age=60"));
    assert!(first.header("cache-status").is_some_and(|s| s.contains("stored")), "{:?}", first.headers);
    let (mut hits, mut misses) = (0, 0);
    // Whole minutes since the answer was first stored, as the misses count them.
    let started = stored_at;
    for n in 1..=100 {
        // A query string does not get past the cache.
        let path = if n % 3 == 0 { format!("/status/acme.json?n={n}") } else { "/status/acme.json".to_owned() };
        let sent = Instant::now();
        let response = worker.get(&path);
        assert_eq!(response.status, 200);
        let status = response.header("cache-status").unwrap_or_default().to_owned();
        if status.contains("; hit") {
            hits += 1;
            assert_eq!(rows_read(&response), 0, "request {n}: a cached answer reads nothing");
            // wrangler dev's runtime implements the Workers cache (the data center's layer).
            assert!(status.contains("detail=edge"), "{status}");
            assert_eq!(response.body, first.body, "the same answer");
            let age: i64 = response.header("age").and_then(|a| a.parse().ok()).expect("an Age");
            assert!((0..60).contains(&age), "Age {age}");
            assert!(Duration::from_secs(age as u64) <= stored_at.elapsed(), "Age {age} counts from the stored answer");
        } else {
            // Only an answer a minute old is made again.
            misses += 1;
            assert!(stored_at.elapsed() >= Duration::from_secs(60), "request {n} read D1 within the minute: {status}");
            stored_at = sent;
        }
    }
    let minutes = started.elapsed().as_secs() / 60;
    assert!(misses <= minutes, "{misses} misses in {minutes} whole minutes");
    assert!(hits >= 91, "the 91st request within a minute came from the cache ({hits} hits)");

    // Deleted: gone at once here (its cached answers forgotten), 404 from then on.
    let deleted = worker.api(&first_project.api_key, "DELETE", "/api/v3/status-pages/acme", None);
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    assert_eq!(worker.get("/status/acme.json").status, 404);
    assert_eq!(worker.get("/status/acme").status, 404);
    let missing = worker.get("/status/acme.json");
    assert_eq!((missing.status, rows_read(&missing)), (404, 0), "the 404 is cached too");
}

#[test]
fn the_page_is_accessible_on_a_phone_and_the_dashboard_publishes_and_deletes_pages() {
    let worker = Worker::start();
    let (project, checks) = mixed_project(&worker);
    let driver = browser::Driver::start();
    browser::runtime().block_on(async {
        let client = browser::browser(&driver).await;
        // Publish through the dashboard: tags, and one chosen check.
        client.goto(&format!("http://127.0.0.1:{}/app/", worker.port)).await.expect("open the dashboard");
        browser::type_into(&client, "#key", &project.api_key).await;
        browser::click(&client, "form.signin button[type=submit]").await;
        browser::wait_js(&client, "signed in", "return !document.getElementById('nav').hidden").await;
        browser::click(&client, "a[data-nav=status-pages]").await;
        browser::wait_js(
            &client,
            "the status pages view",
            "return document.getElementById('main').dataset.loaded === 'status-pages'",
        )
        .await;
        browser::assert_accessible(&client, "the dashboard's status pages").await;
        // Its link in the header keeps the header small on a phone (the dashboard's rule).
        client.set_window_size(390, 844).await.expect("a phone-sized window");
        let header = browser::wait_js(
            &client,
            "the phone layout",
            "return innerWidth <= 420 && document.querySelector('header.top').getBoundingClientRect().height",
        )
        .await;
        // There its links scroll sideways; coming to the page, its link is in view.
        let loaded = |view: &str| format!("return document.getElementById('main').dataset.loaded === '{view}'");
        browser::js(&client, "location.hash = '#/maintenance'; return true").await;
        browser::wait_js(&client, "the maintenance view", &loaded("maintenance")).await;
        browser::js(&client, "location.hash = '#/status-pages'; return true").await;
        browser::wait_js(&client, "the status pages view", &loaded("status-pages")).await;
        let in_view = browser::js(
            &client,
            "const nav = document.getElementById('nav').getBoundingClientRect(); \
             const link = document.querySelector('#nav [aria-current=page]').getBoundingClientRect(); \
             return link.left >= nav.left - 1 && link.right <= nav.right + 1",
        )
        .await;
        assert_eq!(in_view, json!(true), "the current page's link is in view");
        screenshot(&client, "status-pages-dashboard-phone.png").await;
        client.set_window_size(1280, 900).await.expect("back to a desktop window");
        assert!(header.as_f64().unwrap_or(f64::MAX) <= 110.0, "the header takes {header} px of a 844 px phone screen");
        browser::type_into(&client, "#p-slug", "acme-status").await;
        browser::type_into(&client, "#p-title", "Acme services").await;
        browser::type_into(&client, "#p-tags", "public").await;
        let internal = uuid_of(&checks[4]);
        browser::click(&client, &format!("#p-checks input[value='{internal}']")).await;
        browser::click(&client, "#p-save").await;
        browser::wait_js(
            &client,
            "the new page's row",
            "return document.querySelector('tr[data-slug=acme-status] a.page-link')",
        )
        .await;
        let page = worker.api(&project.api_key, "GET", "/api/v3/status-pages/acme-status", None).json();
        assert_eq!((page["title"].as_str(), page["tags"].as_str()), (Some("Acme services"), Some("public")));
        assert_eq!(page["checks"], json!([internal]));
        // A refused slug says why.
        browser::type_into(&client, "#p-slug", "Bad Slug").await;
        browser::type_into(&client, "#p-title", "x").await;
        browser::click(&client, "#p-save").await;
        browser::wait_js(
            &client,
            "the error",
            "return document.querySelector('#page-error .error')?.textContent.includes('slug must be')",
        )
        .await;

        // The public page, as a visitor opens it from the list.
        browser::click(&client, "tr[data-slug=acme-status] a.page-link").await;
        browser::wait_js(
            &client,
            "the status page",
            "return document.querySelector('h1')?.textContent === 'Acme services'",
        )
        .await;
        let names =
            browser::js(&client, "return [...document.querySelectorAll('.check h2')].map(h => h.textContent)").await;
        assert_eq!(names, json!(["api", "backup", "db", "internal", "legacy"]));
        // Its stylesheet loaded under its policy: the overall status has its colours.
        let styled =
            browser::js(&client, "return getComputedStyle(document.querySelector('.overall')).backgroundColor").await;
        assert_ne!(styled, json!("rgba(0, 0, 0, 0)"), "style.css applies");
        let bars = browser::js(&client, "return document.querySelectorAll('.check:first-child .bar').length").await;
        assert_eq!(bars, json!(90));
        browser::assert_accessible(&client, "the status page").await;
        browser::assert_fits_a_phone(&client, "the status page").await;
        screenshot(&client, "status-page.png").await;

        // Deleted from the dashboard.
        client.back().await.expect("back to the dashboard");
        browser::wait_js(
            &client,
            "the status pages view",
            "return document.getElementById('main').dataset.loaded === 'status-pages'",
        )
        .await;
        browser::click(&client, "tr[data-slug=acme-status] .delete-page").await;
        browser::click(&client, "tr[data-slug=acme-status] .confirm-delete-page").await;
        browser::wait_js(&client, "the row to go", "return !document.querySelector('tr[data-slug=acme-status]')").await;
        client.close().await.expect("close the browser");
    });
    assert_eq!(worker.api(&project.api_key, "GET", "/api/v3/status-pages/acme-status", None).status, 404);
    assert_eq!(worker.get("/status/acme-status").status, 404);
}

/// Into target/screenshots/, to look at.
async fn screenshot(client: &fantoccini::Client, name: &str) {
    let png = client.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("create the screenshots directory");
    std::fs::write(dir.join(name), png).expect("write the screenshot");
}

/// docs/status-pages.md's screenshot (with `UPDATE_SCREENSHOTS=1`; else
/// into target/screenshots/): a page with three months of history. Checks and
/// pings are real; history older than this test is written into the flips
/// table, as the sweep and pings would have written it over those months.
#[test]
fn a_screenshot_of_a_page_with_three_months_of_history() {
    const DAY: i64 = 86_400_000;
    let worker = Worker::start();
    let project = worker.create_project("Acme");
    let spec = |name: &str| json!({"name": name, "tags": "public", "timeout": 3600, "grace": 600});
    let names = ["API", "Nightly backup", "Billing export", "Search index", "Legacy sync"];
    let checks: Vec<Value> = names.iter().map(|name| worker.create_check(&project, spec(name))).collect();
    for check in &checks {
        ping(&worker, check, "", b"");
    }
    let now = now_ms();
    // Each check's first ping months ago, and outages (start days ago, minutes down).
    let history: [(i64, &[(i64, i64)]); 5] = [
        (88, &[(40, 25)]),
        (88, &[(71, 300), (33, 45), (6, 90)]),
        (60, &[(12, 1440 + 180)]),
        (30, &[]),
        (89, &[(50, 20)]),
    ];
    let mut sql = String::new();
    for (n, (check, (since, outages))) in checks.iter().zip(history).enumerate() {
        let uuid = uuid_of(check);
        let row = format!("(SELECT id FROM checks WHERE uuid = '{uuid}')");
        sql.push_str(&format!(
            "UPDATE flips SET created_at = {} WHERE check_id = {row} AND old_status = 'new';",
            now - since * DAY
        ));
        for (i, (ago, minutes)) in outages.iter().enumerate() {
            // At 06:00 UTC of that day, so that no outage crosses midnight
            // (a status page's days are UTC days): at now's time of day, a
            // test run after 19:00 made the 300-minute one count twice.
            let down = (now - ago * DAY) / DAY * DAY + 6 * 3_600_000;
            let up = down + minutes * 60_000;
            for (suffix, at, old, new) in [("d", down, "up", "down"), ("u", up, "down", "up")] {
                sql.push_str(&format!(
                    "INSERT INTO flips (id, check_id, created_at, old_status, new_status, reason) \
                     SELECT 'shot-{n}-{i}-{suffix}', id, {at}, '{old}', '{new}', 'timeout' FROM checks WHERE uuid = '{uuid}';"
                ));
            }
        }
    }
    worker.execute_sql(&sql);
    ping(&worker, &checks[2], "/fail", b"");
    let paused = worker.api(&project.api_key, "POST", &format!("/api/v3/checks/{}/pause", uuid_of(&checks[4])), None);
    assert_eq!(paused.status, 200, "{}", paused.text());
    publish(&worker, &project, json!({"slug": "acme", "title": "Acme services", "tags": "public"}));
    let page = worker.get("/status/acme.json").json();
    let backup = page["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["name"] == "Nightly backup"))
        .expect("the backup check");
    let down_days = backup["days"].as_array().expect("days").iter().filter(|d| d["down_seconds"] != 0).count();
    assert_eq!(down_days, 3, "its three outages");

    let driver = browser::Driver::start();
    browser::runtime().block_on(async {
        let client = browser::browser(&driver).await;
        client.set_window_size(900, 1000).await.expect("a window");
        client.goto(&format!("http://127.0.0.1:{}/status/acme", worker.port)).await.expect("open the page");
        browser::wait_js(&client, "the page", "return document.querySelectorAll('.check').length === 5").await;
        browser::assert_accessible(&client, "the status page").await;
        let png = client.screenshot().await.expect("screenshot");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = match std::env::var("UPDATE_SCREENSHOTS") {
            Ok(v) if v == "1" => root.join("docs/screenshots"),
            _ => root.join("target/screenshots"),
        };
        std::fs::create_dir_all(&dir).expect("create the screenshots directory");
        std::fs::write(dir.join("status-page.png"), png).expect("write the screenshot");
        client.close().await.expect("close the browser");
    });
}
