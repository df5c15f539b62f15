//! The web dashboard (/app/) end to end: Debian's chromium, driven through
//! chromedriver (WebDriver) by fantoccini, against the real Worker under
//! wrangler dev. Every state the browser shows is set up through the real ping
//! and management APIs, and every action taken in the browser is confirmed
//! through the API. axe-core (from node_modules) checks accessibility, and
//! the documentation's screenshots are taken of a project of realistic checks
//! (not the XSS test's payloads): into target/screenshots/, or with
//! `UPDATE_SCREENSHOTS=1` into docs/screenshots/ (so a test run leaves the
//! working tree as it found it).
//!
//! The browser may only talk to 127.0.0.1: a dead proxy and a host resolver
//! that resolves nothing else.

mod browser;
mod support;

use browser::{
    assert_accessible, assert_fits_a_phone_except, browser_with, click, find, js, loaded, runtime, type_into, wait_js,
    wait_js_for, Driver, WAIT,
};
use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use fantoccini::Client;
use serde_json::{json, Value};
use std::fs;
use std::process::Command;
use std::time::Duration;
use support::worker::root;
use support::{millis_of, now_ms, path_of, Project, Receiver, Worker};

/// The list refreshes itself every 20 s; allow for a slow machine.
const REFRESH_WAIT: Duration = Duration::from_secs(45);

/// A headless chromium session: light, or with the system's dark theme.
async fn browser(driver: &Driver, dark: bool) -> Client {
    browser_with(driver, if dark { &["--force-dark-mode"] } else { &[] }).await
}

async fn text_of(client: &Client, css: &str) -> String {
    find(client, css).await.text().await.unwrap_or_else(|e| panic!("text of {css}: {e}"))
}

async fn sign_in(client: &Client, worker: &Worker, key: &str) {
    sign_in_at(client, worker, "/app/", key).await;
}

/// Opens `path` (a dashboard URL, as an alert links to it) and signs in there.
async fn sign_in_at(client: &Client, worker: &Worker, path: &str, key: &str) {
    client.goto(&format!("http://127.0.0.1:{}{path}", worker.port)).await.expect("open the dashboard");
    type_into(client, "#key", key).await;
    click(client, "form.signin button[type=submit]").await;
}

/// Nothing sticks out sideways at a phone's width (390 px): the page reads without scrolling sideways.
async fn assert_fits_a_phone(client: &Client, page: &str) {
    assert_fits_a_phone_except(client, page, "#main *", ".scroll, pre").await;
}

/// At a phone's size (390 x 844): the header's height, and for each table, whether its
/// content is wider than the box it is shown in (its own and its scrolling container's).
async fn phone_layout(client: &Client, tables: &[&str]) -> (f64, Vec<(String, bool)>) {
    client.set_window_size(390, 844).await.expect("a phone-sized window");
    wait_js(client, "the phone layout", "return innerWidth <= 420").await;
    let selectors = serde_json::to_string(tables).expect("selectors");
    let facts = js(
        client,
        &format!(
            "const header = document.querySelector('header.top').getBoundingClientRect().height; \
             const tables = {selectors}.map(css => {{ const t = document.querySelector(css); \
               if (!t) return [css, null]; const box = t.closest('.scroll') || t.parentElement; \
               return [css, t.scrollWidth > t.clientWidth || box.scrollWidth > box.clientWidth || t.getBoundingClientRect().width > innerWidth]; }}); \
             return [header, tables];"
        ),
    )
    .await;
    client.set_window_size(1280, 900).await.expect("back to a desktop window");
    let header = facts[0].as_f64().expect("the header's height");
    let tables = facts[1]
        .as_array()
        .expect("tables")
        .iter()
        .map(|t| {
            (
                t[0].as_str().unwrap_or_default().to_owned(),
                t[1].as_bool().unwrap_or_else(|| panic!("no table {}", t[0])),
            )
        })
        .collect();
    (header, tables)
}

async fn sign_out(client: &Client) {
    click(client, "#signout").await;
    find(client, "#key").await;
    let stored = js(client, "return sessionStorage.length").await;
    assert_eq!(stored, json!(0), "signing out forgets the key");
}

/// The status word of every row in the list, by check name, in display order.
async fn list_rows(client: &Client) -> Vec<(String, String, bool)> {
    let rows = js(
        client,
        "return [...document.querySelectorAll('#check-rows .check-row')].map(r => \
           [r.querySelector('.name a').textContent, r.querySelector('.status').textContent, !r.hidden])",
    )
    .await;
    rows.as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap_or_default().to_owned(),
                r[1].as_str().unwrap_or_default().to_owned(),
                r[2] == json!(true),
            )
        })
        .collect()
}

/// The Content-Security-Policy refused nothing the page tried (the page records violations).
async fn assert_no_csp_violations(client: &Client) {
    let violations = js(client, "return document.documentElement.dataset.cspViolations || ''").await;
    assert_eq!(violations, json!(""), "CSP violations");
}

async fn screenshot(client: &Client, name: &str) {
    js(client, "document.activeElement?.blur(); window.scrollTo(0, 0); return true").await;
    // The pointer off the page: no row is shown hovered.
    let away = MouseActions::new("mouse".into()).then(PointerAction::MoveTo { duration: None, x: 0.0, y: 0.0 });
    client.perform_actions(away).await.expect("move the pointer away");
    let png = client.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    let dir = match std::env::var("UPDATE_SCREENSHOTS") {
        Ok(v) if v == "1" => root().join("docs/screenshots"),
        _ => root().join("target/screenshots"),
    };
    fs::create_dir_all(&dir).expect("create the screenshots directory");
    fs::write(dir.join(name), png).expect("write the screenshot");
}

fn ping(worker: &Worker, check: &Value, suffix: &str, body: &[u8]) {
    let path = format!("{}{suffix}", path_of(&check["ping_url"]));
    let method = if body.is_empty() { "GET" } else { "POST" };
    let response = worker.request(method, &path, &[("User-Agent", "curl/8.5.0")], body);
    assert_eq!(response.status, 200, "ping {path}: {}", response.text());
}

fn uuid_of(check: &Value) -> String {
    check["uuid"].as_str().expect("a uuid").to_owned()
}

/// Moves a check's last ping into the past, straight in D1 (as e2e_read does):
/// the only way to show "late" without waiting for real time to pass.
fn age_last_ping(worker: &Worker, uuid: &str, seconds: i64) {
    let at = now_ms() - seconds * 1000;
    worker.execute_sql(&format!("UPDATE checks SET last_ping = {at}, status = 'up' WHERE uuid = '{uuid}';"));
}

/// A project with one check in every status, set up through the APIs.
fn varied_project(worker: &Worker) -> (Project, Vec<Value>) {
    let project = worker.create_project("infra");
    // Five minutes and five of grace: "up" stays up for the whole test.
    let spec = |name: &str, tags: &str| json!({"name": name, "tags": tags, "timeout": 300, "grace": 300});
    let web = worker.create_check(&project, spec("web-healthcheck", "prod web"));
    let db = worker.create_check(&project, spec("db-backup", "prod db"));
    let late = worker.create_check(&project, spec("cache-warmup", "prod"));
    let failed = worker.create_check(&project, spec("invoice-export", "billing"));
    let running = worker.create_check(&project, spec("log-rotation", "ops"));
    let paused = worker.create_check(&project, spec("legacy-sync", "ops"));
    let fresh = worker.create_check(
        &project,
        json!({"name": "weekday-report", "tags": "reports", "schedule": "30 6 * * 1-5", "tz": "Europe/Riga", "grace": 1800}),
    );
    for check in [&web, &db, &late] {
        ping(worker, check, "", b"");
    }
    // They miss their deadline: a sweep ten minutes later marks them down; web and cache recover below.
    worker.run_sweep(now_ms() + 610_000);
    ping(worker, &web, "", b"");
    ping(worker, &failed, "/fail", b"");
    ping(worker, &running, "/start", b"");
    let paused_response =
        worker.api(&project.api_key, "POST", &format!("/api/v3/checks/{}/pause", uuid_of(&paused)), None);
    assert_eq!(paused_response.status, 200, "{}", paused_response.text());
    // Past its period, within its grace: late.
    age_last_ping(worker, &uuid_of(&late), 400);
    (project, vec![web, db, late, failed, running, paused, fresh])
}

#[test]
fn sign_in_list_statuses_read_only_view_and_screenshots() {
    let worker = Worker::start();
    // Served with the security headers; / leads to the dashboard.
    let page = worker.get("/app/");
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").expect("a Content-Security-Policy").to_owned();
    for part in ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"] {
        assert!(csp.contains(part), "CSP {csp} lacks {part}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("http"), "CSP allows too much: {csp}");
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert!(!page.text().contains("<script>") && !page.text().contains(" style="), "no inline script or style");
    assert_eq!(worker.get("/_headers").status, 404, "the headers file itself is not served");
    let root_page = worker.get("/");
    assert_eq!((root_page.status, root_page.header("location")), (302, Some("/app/")));

    let (project, checks) = varied_project(&worker);
    let uuids: Vec<String> = checks.iter().map(uuid_of).collect();
    let rt = runtime();
    let driver = Driver::start();
    rt.block_on(async {
        let client = browser(&driver, false).await;

        // A wrong key: a clear message, nothing kept.
        sign_in(&client, &worker, "hcw_thisisnotthekeyofanyproject0000").await;
        let message =
            wait_js(&client, "the wrong-key message", "return document.getElementById('signin-error').textContent").await;
        assert!(message.as_str().unwrap_or_default().contains("not accepted"), "{message}");
        assert_eq!(js(&client, "return sessionStorage.length").await, json!(0));

        // The read-write key: every check, with its status, down first.
        sign_in(&client, &worker, &project.api_key).await;
        loaded(&client, "list").await;
        let url = client.current_url().await.expect("url").to_string();
        assert!(!url.contains(&project.api_key), "the key never appears in a URL: {url}");
        let rows = list_rows(&client).await;
        let status = |name: &str| rows.iter().find(|r| r.0 == name).map(|r| r.1.clone()).unwrap_or_default();
        // What the API says each check is, and what the list must show for it.
        let api_status = |uuid: &str| worker.check(&project, uuid)["status"].as_str().unwrap_or_default().to_owned();
        assert_eq!(api_status(&uuids[1]), "down");
        assert_eq!(api_status(&uuids[2]), "grace");
        for (name, expected) in [
            ("web-healthcheck", "up"),
            ("db-backup", "down"),
            ("cache-warmup", "late"),
            ("invoice-export", "down"),
            ("log-rotation", "started"),
            ("legacy-sync", "paused"),
            ("weekday-report", "new"),
        ] {
            assert_eq!(status(name), expected, "{name} in {rows:?}");
        }
        assert_eq!(rows.len(), 7);
        assert_eq!(rows[0].1, "down");
        assert_eq!(rows[1].1, "down");
        assert_eq!(rows[2].1, "late");
        assert_eq!(rows.last().map(|r| r.1.as_str()), Some("paused"));
        // Schedules in words; the title and the favicon count what is down.
        let schedules = js(&client, "return [...document.querySelectorAll('#check-rows [data-label=Schedule]')].map(t => t.textContent)").await;
        let schedules: Vec<&str> = schedules.as_array().expect("schedules").iter().filter_map(Value::as_str).collect();
        assert!(schedules.contains(&"every 5 minutes, grace 5 minutes"), "{schedules:?}");
        assert!(schedules.contains(&"30 6 * * 1-5 in Europe/Riga, grace 30 minutes"), "{schedules:?}");
        assert_eq!(client.title().await.expect("title"), "(2 down) edgebeat");
        let icon = js(&client, "return document.getElementById('favicon').getAttribute('href')").await;
        assert_eq!(icon, json!("favicon-down-2.svg"), "the favicon shows the number down");
        // The last sweep is shown (the one that marked db-backup down).
        let sweep = text_of(&client, "#sweep").await;
        assert!(sweep.starts_with("Last sweep"), "{sweep}");

        // Sorting by name, filtering by tag and by text.
        find(&client, "#sort").await.select_by_value("name").await.expect("sort by name");
        let names: Vec<String> = list_rows(&client).await.into_iter().map(|r| r.0).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        find(&client, "#filter-tag").await.select_by_value("ops").await.expect("filter by tag");
        let visible: Vec<String> = list_rows(&client).await.into_iter().filter(|r| r.2).map(|r| r.0).collect();
        assert_eq!(visible, ["legacy-sync", "log-rotation"]);
        find(&client, "#filter-tag").await.select_by_value("").await.expect("all tags");
        type_into(&client, "#filter-text", "backup").await;
        wait_js(&client, "the text filter", "return [...document.querySelectorAll('#check-rows .check-row')].filter(r => !r.hidden).length === 1").await;
        let visible: Vec<String> = list_rows(&client).await.into_iter().filter(|r| r.2).map(|r| r.0).collect();
        assert_eq!(visible, ["db-backup"]);
        type_into(&client, "#filter-text", "").await;
        find(&client, "#sort").await.select_by_value("status").await.expect("sort by status");
        wait_js(&client, "all rows again", "return [...document.querySelectorAll('#check-rows .check-row')].every(r => !r.hidden)").await;

        // It refreshes itself, without a reload and without rebuilding rows: a ping turns the new check up.
        js(&client, "window.__notReloaded = true; window.__row = document.querySelector('#check-rows .check-row'); return true")
            .await;
        ping(&worker, &checks[6], "", b"");
        wait_js_for(
            &client,
            "the list to show the new ping",
            "return [...document.querySelectorAll('#check-rows .check-row')].some(r => \
               r.querySelector('.name a').textContent === 'weekday-report' && r.querySelector('.status').textContent === 'up')",
            REFRESH_WAIT,
        )
        .await;
        assert_eq!(js(&client, "return window.__notReloaded === true").await, json!(true));
        assert_eq!(js(&client, "return window.__row.isConnected").await, json!(true), "rows are updated in place");

        assert!(!js(&client, "return matchMedia('(prefers-color-scheme: dark)').matches").await.as_bool().unwrap_or(true));
        assert_accessible(&client, "the checks list (light)").await;
        assert_fits_a_phone(&client, "the checks list").await;
        assert_no_csp_violations(&client).await;

        // The keyboard reaches the checks: Tab from the filter lands on controls, Enter opens a check.
        let first_link = find(&client, "#check-rows .check-row .name a").await;
        first_link.send_keys("\u{E007}").await.expect("press Enter on a check link");
        loaded(&client, "check").await;
        assert!(client.current_url().await.expect("url").fragment().unwrap_or_default().starts_with("/checks/"));
        for control in ["#edit", "#pause", "#delete"] {
            find(&client, control).await;
        }
        sign_out(&client).await;

        // The read-only key: the same checks, no action controls, and the API refuses anyway.
        sign_in(&client, &worker, &project.api_key_readonly).await;
        loaded(&client, "list").await;
        assert_eq!(list_rows(&client).await.len(), 7);
        assert_eq!(text_of(&client, "#access").await, "read-only key");
        let none = "return document.querySelectorAll('#new-check, #edit, #pause, #resume, #delete, \
                    [data-nav=channels]:not([hidden]), [data-nav=notifications]:not([hidden])').length";
        assert_eq!(js(&client, none).await, json!(0));
        click(&client, "#check-rows .check-row .name a").await;
        loaded(&client, "check").await;
        assert_eq!(js(&client, none).await, json!(0), "no action controls on a check page");
        find(&client, "#read-only-note").await;
        let fragment = client.current_url().await.expect("url").fragment().unwrap_or_default().to_owned();
        assert!(!uuids.iter().any(|u| fragment.contains(u.as_str())), "a read-only view shows no uuid: {fragment}");
        for (method, path) in [
            ("POST", format!("/api/v3/checks/{}/pause", uuids[0])),
            ("DELETE", format!("/api/v3/checks/{}", uuids[0])),
            ("POST", "/api/v3/checks/".to_owned()),
            ("GET", format!("/api/v3/checks/{}/pings/", uuids[0])),
            ("GET", "/api/v3/channels/".to_owned()),
        ] {
            let body = (method == "POST").then(|| json!({"name": "x"}));
            let refused = worker.api(&project.api_key_readonly, method, &path, body.as_ref());
            assert_eq!(refused.status, 401, "{method} {path} with the read-only key: {}", refused.text());
        }
        assert_ne!(worker.check(&project, &uuids[0])["status"], "paused", "nothing changed");
        sign_out(&client).await;
        client.close().await.expect("close the browser");

        // Dark mode follows the system.
        let dark = browser(&driver, true).await;
        sign_in(&dark, &worker, &project.api_key).await;
        loaded(&dark, "list").await;
        assert_eq!(js(&dark, "return matchMedia('(prefers-color-scheme: dark)').matches").await, json!(true));
        let background = js(&dark, "return getComputedStyle(document.body).backgroundColor").await;
        assert_eq!(background, json!("rgb(13, 17, 23)"), "the dark palette is in use");
        assert_accessible(&dark, "the checks list (dark)").await;
        click(&dark, "#check-rows .check-row .name a").await;
        loaded(&dark, "check").await;
        assert_accessible(&dark, "a check page (dark)").await;
        dark.close().await.expect("close the browser");
    });
}

#[test]
fn a_check_page_shows_pings_bodies_flips_and_notifications_as_text() {
    let receiver = Receiver::start();
    let worker = Worker::start();
    let project = worker.create_project("history");
    let hook = worker.api(
        &project.api_key,
        "POST",
        "/api/v3/channels/",
        Some(&json!({"kind": "webhook", "name": "ops-hook", "url": receiver.url("/hook")})),
    );
    assert_eq!(hook.status, 201, "{}", hook.text());
    let name = "<img src=x onerror=\"window.__xss='name'\">nightly backup";
    let tag = "<svg/onload=window.__xss='tag'>";
    let body =
        "<script>window.__xss='body'</script><img src=x onerror=\"window.__xss='body'\">pg_dump: error: disk full";
    let check = worker.create_check(
        &project,
        json!({"name": name, "tags": format!("prod {tag}"), "desc": "<b>not bold</b>", "timeout": 86400, "grace": 3600, "channels": "*"}),
    );
    let uuid = uuid_of(&check);
    // Earlier runs of different lengths, for the picture of recent runs.
    for ms in [300, 700, 200, 900, 500] {
        ping(&worker, &check, "/start", b"");
        std::thread::sleep(Duration::from_millis(ms));
        ping(&worker, &check, "", b"backup ok");
    }
    ping(&worker, &check, "/start", b"");
    std::thread::sleep(Duration::from_millis(1100));
    ping(&worker, &check, "", b"backup ok: 1.2 GB");
    ping(&worker, &check, "/start", b"");
    ping(&worker, &check, "/2", body.as_bytes());
    receiver.wait_for(1, WAIT);
    worker.run_sweep(now_ms());
    let pings = worker.pings(&project, &uuid);
    assert_eq!(pings.len(), 14);

    let rt = runtime();
    let driver = Driver::start();
    rt.block_on(async {
        let client = browser(&driver, false).await;
        // The alerts' link, /app/#/checks/<uuid>, opened while signed out: sign in, land on the check.
        sign_in_at(&client, &worker, &format!("/app/#/checks/{uuid}"), &project.api_key).await;
        loaded(&client, "check").await;

        assert_eq!(js(&client, "return document.getElementById('check-name').textContent").await, json!(name));
        assert_eq!(text_of(&client, "#check-status").await.to_lowercase(), "down");
        let why = text_of(&client, "#check-why").await;
        assert!(why.contains("exited with status 2"), "{why}");
        let tags = js(&client, "return [...document.querySelectorAll('#check-tags .tag')].map(t => t.textContent)").await;
        assert_eq!(tags, json!(["prod", tag]));
        assert_eq!(js(&client, "return document.getElementById('check-desc').textContent").await, json!("<b>not bold</b>"));
        assert!(text_of(&client, "#ping-url").await.ends_with(&format!("/ping/{uuid}")));

        // The ping log, newest first, with kinds, exit status and the run's duration.
        let log = js(
            &client,
            "return [...document.querySelectorAll('#ping-log tbody tr:not(.body-row)')].map(r => \
               [...r.cells].slice(0, 8).map(c => c.textContent))",
        )
        .await;
        let log = log.as_array().expect("log rows").clone();
        assert_eq!(log.len(), 14, "{log:?}");
        let kinds: Vec<&str> = log.iter().take(4).filter_map(|r| r[1].as_str()).collect();
        assert_eq!(kinds, ["failure", "start", "success", "start"]);
        assert_eq!(log[0][6], "curl/8.5.0", "user agent");
        assert_eq!(log[0][3], "2", "exit status");
        assert_eq!(log[0][4], "POST");
        let api_duration = pings[2]["duration"].as_f64().expect("the success has a duration");
        assert!(api_duration >= 1.0);
        assert_eq!(log[2][7], format!("{api_duration:.2} s"));

        // The last output, and any body on demand: as text, never markup.
        let output = wait_js(&client, "the last output", "return document.querySelector('#last-output pre')?.textContent").await;
        assert_eq!(output, json!(body));
        click(&client, "#ping-log tr[data-n='12'] .show-body").await;
        let second =
            wait_js(&client, "the second ping's body", "return document.querySelector('#ping-log .body-row:not([hidden]) pre')?.textContent").await;
        assert_eq!(second, json!("backup ok: 1.2 GB"));

        // Nothing a user wrote became markup or ran.
        assert_eq!(js(&client, "return window.__xss === undefined").await, json!(true));
        let injected = "return document.querySelectorAll('#main img, #main script, #main b, #main svg:not(.runs), #main svg.runs svg').length";
        assert_eq!(js(&client, injected).await, json!(0));

        // Recent runs: one bar per finished run, coloured by outcome.
        let bars = js(&client, "return [...document.querySelectorAll('svg.runs rect')].map(r => r.getAttribute('class'))").await;
        let outcomes: Vec<&str> = pings
            .iter()
            .rev()
            .filter_map(|p| match p["type"].as_str() {
                Some("success") => Some("ok"),
                Some("fail") => Some("bad"),
                _ => None,
            })
            .collect();
        assert_eq!(bars, json!(outcomes));
        assert_eq!(outcomes.len(), 7);
        // Taller bars ran longer: the tallest is the run the API reports as
        // the longest (the earliest of equals), whatever the machine's load
        // made of the runs' intended lengths.
        let durations: Vec<f64> = pings
            .iter()
            .rev()
            .filter(|p| matches!(p["type"].as_str(), Some("success" | "fail")))
            .map(|p| p["duration"].as_f64().unwrap_or(0.0))
            .collect();
        let heights = js(&client, "return [...document.querySelectorAll('svg.runs rect')].map(r => +r.getAttribute('height'))").await;
        let heights: Vec<f64> = heights.as_array().expect("heights").iter().filter_map(Value::as_f64).collect();
        assert_eq!(heights.len(), durations.len());
        for (i, j) in (0..heights.len()).flat_map(|i| (0..heights.len()).map(move |j| (i, j))) {
            if durations[i] > durations[j] {
                assert!(heights[i] >= heights[j], "run {i} ran longer than run {j}: {durations:?} {heights:?}");
            }
        }
        let longest = durations.iter().enumerate().fold(0, |best, (i, d)| if *d > durations[best] { i } else { best });
        assert!(heights.iter().all(|h| *h <= heights[longest]), "the longest run's bar is the tallest: {heights:?}");

        // The flips as a timeline, the notifications with their state.
        let flips = js(&client, "return [...document.querySelectorAll('#flips li strong')].map(s => s.textContent)").await;
        let api_flips = worker.api(&project.api_key, "GET", &format!("/api/v3/checks/{uuid}/flips/"), None).json();
        let expected: Vec<&str> = api_flips["flips"]
            .as_array()
            .expect("flips")
            .iter()
            .map(|f| if f["up"] == json!(1) { "Up" } else { "Down" })
            .collect();
        assert_eq!(flips, json!(expected));
        assert_eq!(expected.first(), Some(&"Down"));
        let notes = js(
            &client,
            "return [...document.querySelectorAll('#check-notifications tbody tr')].map(r => [...r.cells].map(c => c.textContent))",
        )
        .await;
        let notes = notes.as_array().expect("notifications").clone();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!(notes[0][1], "down");
        assert!(notes[0][2].as_str().unwrap_or_default().contains("status 2"));
        assert_eq!(notes[0][3], "ops-hook");
        assert_eq!(notes[0][4], "delivered");
        assert_eq!(client.title().await.expect("title"), format!("DOWN: {name} · edgebeat"));

        assert_accessible(&client, "a check page").await;
        assert_fits_a_phone(&client, "a check page").await;
        // On a phone the header stays compact and the ping log and notifications read without scrolling sideways.
        let (header, wide) = phone_layout(&client, &["#ping-log", "#check-notifications"]).await;
        assert!(header <= 110.0, "the header takes {header} px of a 844 px phone screen");
        assert_eq!(wide, [("#ping-log".to_owned(), false), ("#check-notifications".to_owned(), false)], "tables wider than a phone");
        client.set_window_size(1280, 1500).await.expect("a taller window");
        assert_no_csp_violations(&client).await;

        // The project's notifications, with their state.
        click(&client, "[data-nav=notifications]").await;
        loaded(&client, "notifications").await;
        let rows = js(
            &client,
            "return [...document.querySelectorAll('#notification-list tbody tr')].map(r => [...r.cells].map(c => c.textContent))",
        )
        .await;
        let rows = rows.as_array().expect("notification rows").clone();
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0][1], json!(name), "the check's name, as text");
        assert_eq!((&rows[0][2], &rows[0][4], &rows[0][5]), (&json!("down"), &json!("ops-hook"), &json!("delivered")));
        let (_, wide) = phone_layout(&client, &["#notification-list table"]).await;
        assert_eq!(wide, [("#notification-list table".to_owned(), false)], "the notifications page on a phone");
        find(&client, "#n-state").await.select_by_value("failed").await.expect("only failed ones");
        wait_js(&client, "no failed notification", "return document.querySelector('#notification-list p')?.textContent === 'No notifications.'").await;
        client.close().await.expect("close the browser");
    });
}

#[test]
fn create_edit_pause_resume_delete_and_channels_through_the_browser() {
    let receiver = Receiver::start();
    let worker = Worker::start();
    let project = worker.create_project("actions");
    let rt = runtime();
    let driver = Driver::start();
    rt.block_on(async {
        let client = browser(&driver, false).await;
        sign_in(&client, &worker, &project.api_key).await;
        loaded(&client, "list").await;

        // No sweep has run on this worker: the dashboard warns, as /health does.
        let warning_text = "const w = document.getElementById('sweep-warning'); return !w.hidden && w.textContent";
        let warning = wait_js(&client, "the sweep warning", warning_text).await;
        assert!(warning.as_str().unwrap_or_default().contains("has not completed a sweep yet"), "{warning}");
        assert_eq!(worker.get("/health").status, 503);
        // The last sweep ten minutes ago: sweeps are late (the /health rule is three minutes).
        // A request would rescue the stalled cron with a sweep at the real now
        // (once a minute per isolate) and end the lateness before the page
        // shows it: a rescue claim held far into the future keeps it away.
        worker.execute_sql_on(0, "UPDATE sweep_claim SET claimed_until = 9999999999999 WHERE id = 1;");
        worker.run_sweep(now_ms() - 600_000);
        assert_eq!(worker.get("/health").status, 503);
        client.refresh().await.expect("reload");
        loaded(&client, "list").await;
        let warning = wait_js(&client, "the late-sweep warning", warning_text).await;
        assert!(warning.as_str().unwrap_or_default().starts_with("Sweeps are late: the last completed sweep was 10 minutes"), "{warning}");
        worker.run_sweep(now_ms());

        // A channel, and a test notification through it.
        click(&client, "[data-nav=channels]").await;
        loaded(&client, "channels").await;
        wait_js(&client, "the warning to go", "return document.getElementById('sweep-warning').hidden").await;
        assert_eq!(worker.get("/health").status, 200);
        find(&client, "#c-kind").await.select_by_value("webhook").await.expect("webhook kind");
        type_into(&client, "#c-name", "ops hook").await;
        type_into(&client, "#c-url", &receiver.url("/hook?token=secret-token")).await;
        click(&client, "#channel-form button[type=submit]").await;
        wait_js(&client, "the new channel", "return document.querySelector('#channel-list tbody tr')?.textContent.includes('ops hook')").await;
        let listed = text_of(&client, "#channel-list tbody tr").await;
        assert!(!listed.contains("secret-token"), "secrets are masked: {listed}");
        assert_accessible(&client, "the channels page").await;
        let channels = worker.api(&project.api_key, "GET", "/api/v3/channels/", None).json();
        assert_eq!(channels["channels"][0]["name"], "ops hook");
        click(&client, "#channel-list tbody tr .send-test").await;
        let result = wait_js(&client, "the test result", "const t = document.querySelector('.test-result').textContent; return t.startsWith('Delivered') || t.startsWith('Not') ? t : null").await;
        assert_eq!(result, json!("Delivered (HTTP 200)"));
        assert_eq!(receiver.wait_for(1, WAIT)[0].json()["event"], "test");

        // Create.
        click(&client, "[data-nav=checks]").await;
        loaded(&client, "list").await;
        click(&client, "#new-check").await;
        loaded(&client, "form").await;
        assert_accessible(&client, "the check form").await;
        // As the API (no `channels`: none), a new check alerts through no channel until one is ticked.
        let ticked = js(&client, "return [...document.querySelectorAll('#check-form input[id^=\"f-ch-\"]')].map(b => b.checked)").await;
        assert_eq!(ticked, json!([false]), "no channel is ticked in a new check's form");
        let channel_id = channels["channels"][0]["id"].as_str().expect("channel id");
        click(&client, &format!("#f-ch-{channel_id}")).await;
        type_into(&client, "#f-name", "nightly-backup").await;
        type_into(&client, "#f-slug", "nightly-backup").await;
        type_into(&client, "#f-tags", "prod db").await;
        type_into(&client, "#f-timeout", "1").await;
        find(&client, "#f-timeout-unit").await.select_by_value("86400").await.expect("days");
        type_into(&client, "#f-grace", "2").await;
        find(&client, "#f-grace-unit").await.select_by_value("3600").await.expect("hours");
        assert_eq!(js(&client, "return document.getElementById('f-expect-first-ping').checked").await, json!(false), "off, as the API");
        click(&client, "#f-expect-first-ping").await;
        click(&client, "#save").await;
        loaded(&client, "check").await;
        let why = wait_js(&client, "why it is new", "return document.getElementById('check-why')?.textContent").await;
        assert!(why.as_str().unwrap_or_default().contains("it goes down as never run if none arrives"), "{why}");
        let listed = worker.api(&project.api_key, "GET", "/api/v3/checks/", None).json();
        let created = listed["checks"][0].clone();
        assert_eq!(created["expect_first_ping"], true, "the checkbox's setting");
        assert_eq!(listed["checks"].as_array().map(Vec::len), Some(1));
        assert_eq!(
            (&created["name"], &created["slug"], &created["tags"], &created["timeout"], &created["grace"]),
            (&json!("nightly-backup"), &json!("nightly-backup"), &json!("prod db"), &json!(86400), &json!(7200))
        );
        assert_eq!(created["channels"], json!(channel_id), "new checks alert through the ticked channels");
        let uuid = uuid_of(&created);
        assert!(client.current_url().await.expect("url").as_str().ends_with(&format!("#/checks/{uuid}")));

        // One finished run: said in the singular.
        ping(&worker, &created, "", b"");
        client.refresh().await.expect("reload");
        loaded(&client, "check").await;
        let caption = wait_js(&client, "the runs caption", "return document.querySelector('.runs-figure figcaption')?.textContent").await;
        assert!(caption.as_str().unwrap_or_default().starts_with("The last run succeeded;"), "{caption}");

        // Edit to a cron schedule: labelled fields, a zone picked from the API's own list,
        // and the schedule in words with its next runs as edgebeat computes them.
        click(&client, "#edit").await;
        loaded(&client, "form").await;
        click(&client, "#f-kind-cron").await;
        let labels = js(&client, "return ['f-schedule', 'f-tz'].map(id => document.querySelector(`label[for=${id}]`)?.textContent)").await;
        assert_eq!(labels, json!(["Cron or OnCalendar expression (cron: minute hour day month weekday)", "Time zone"]));
        let zones = worker.api(&project.api_key, "GET", "/api/v3/schedule/zones", None).json();
        let offered = js(&client, "const s = document.getElementById('f-tz'); return [s.tagName, [...s.options].map(o => o.value)]").await;
        assert_eq!(offered, json!(["SELECT", zones["zones"]]), "a picker of exactly the zones the API accepts");
        find(&client, "#f-tz").await.select_by_value("Europe/Riga").await.expect("Europe/Riga");
        // A schedule whose next runs are fixed (January 2030), to compare with the API's answer.
        type_into(&client, "#f-schedule", "2030-01-01..05 12:00").await;
        let words = wait_js(&client, "the schedule in words", "return document.querySelector('#schedule-preview .schedule-words')?.textContent").await;
        assert_eq!(words, json!("At 12:00 on every day of month from 1 through 5 in January 2030"));
        let runs = js(&client, "return [...document.querySelectorAll('#schedule-preview .next-runs time')].map(t => [t.dateTime, t.textContent])").await;
        let preview = worker.api(&project.api_key, "GET", "/api/v3/schedule/preview?schedule=2030-01-01..05%2012:00&tz=Europe/Riga", None);
        assert_eq!(preview.status, 200, "{}", preview.text());
        let api_runs: Vec<Value> = preview.json()["next"].as_array().expect("runs").to_vec();
        assert_eq!(api_runs.len(), 5);
        assert_eq!(api_runs[0], json!("2030-01-01T12:00:00+02:00"));
        let shown_runs: Vec<Value> = runs.as_array().expect("runs").iter().map(|r| r[0].clone()).collect();
        assert_eq!(shown_runs, api_runs, "the runs shown are the API's");
        assert_eq!(runs[0][1], json!("Tue 2030-01-01 12:00 Europe/Riga"));
        // A bad expression: the preview and the save both say why.
        type_into(&client, "#f-schedule", "61 6 * * 1-5").await;
        let bad = wait_js(&client, "the preview's complaint", "return document.querySelector('#schedule-preview .invalid')?.textContent").await;
        assert!(bad.as_str().unwrap_or_default().contains("minute value 61 is out of range"), "{bad}");
        click(&client, "#save").await;
        let shown = wait_js(&client, "the API's message", "return document.getElementById('form-error').textContent").await;
        let api_says = worker.api(
            &project.api_key,
            "POST",
            &format!("/api/v3/checks/{uuid}"),
            Some(&json!({"schedule": "61 6 * * 1-5", "tz": "Europe/Riga"})),
        );
        assert_eq!(api_says.status, 400);
        let message = api_says.json()["error"].as_str().expect("an error message").to_owned();
        assert_eq!(shown, json!(format!("Not saved: {message}")));
        assert!(worker.check(&project, &uuid).get("schedule").is_none(), "nothing was saved");
        type_into(&client, "#f-schedule", "30 6 * * 1-5").await;
        wait_js(&client, "the cron schedule in words", "return document.querySelector('#schedule-preview .schedule-words')?.textContent === 'At 06:30 on Monday through Friday'").await;
        type_into(&client, "#f-name", "nightly backup (cron)").await;
        click(&client, "#save").await;
        loaded(&client, "check").await;
        let edited = worker.check(&project, &uuid);
        assert_eq!((&edited["schedule"], &edited["tz"]), (&json!("30 6 * * 1-5"), &json!("Europe/Riga")));
        assert_eq!(edited["name"], "nightly backup (cron)");
        assert_eq!(edited["grace"], 7200);
        // The check's page: the schedule in words and its next five runs.
        let words = wait_js(&client, "the check's schedule in words", "return document.querySelector('#check-schedule .schedule-words')?.textContent").await;
        assert_eq!(words, json!("At 06:30 on Monday through Friday"));
        let count = js(&client, "return document.querySelectorAll('#check-schedule .next-runs li').length").await;
        assert_eq!(count, json!(5));

        // The Kubernetes snippet: the check's own name, schedule and zone, and a container that
        // exits with the job's status after reporting it (run here, against this worker).
        let snippet = js(&client, "return [...document.querySelectorAll('details')].find(d => d.querySelector('summary').textContent === 'Kubernetes CronJob').querySelector('pre').textContent").await;
        let snippet = snippet.as_str().expect("the Kubernetes snippet").to_owned();
        for part in ["name: nightly-backup\n", "schedule: \"30 6 * * 1-5\"\n", "timeZone: \"Europe/Riga\"\n"] {
            assert!(snippet.contains(part), "{part:?} in\n{snippet}");
        }
        assert!(!snippet.contains("15 2 * * *") && !snippet.contains("/$?"), "{snippet}");
        let script: String = snippet
            .split("- |\n")
            .nth(1)
            .expect("the container's script")
            .lines()
            .map(|line| format!("{}\n", line.trim_start()))
            .collect();
        let script = script.replace("/usr/local/bin/nightly-backup.sh", "sh -c 'exit 3'");
        let pings_before = worker.pings(&project, &uuid).len();
        let ran = Command::new("sh").args(["-c", &script]).output().expect("run the container's script");
        assert_eq!(ran.status.code(), Some(3), "the container fails as the job did: {}", String::from_utf8_lossy(&ran.stderr));
        let pings = worker.pings(&project, &uuid);
        assert_eq!(pings.len(), pings_before + 2, "a start and the job's status");
        assert_eq!((pings[0]["type"].as_str(), pings[0]["exitstatus"].as_i64()), (Some("fail"), Some(3)));

        // Pause and resume.
        click(&client, "#pause").await;
        find(&client, "#resume").await;
        assert_eq!(worker.check(&project, &uuid)["status"], "paused");
        wait_js(&client, "the paused badge", "return document.getElementById('check-status').textContent === 'paused'").await;
        click(&client, "#resume").await;
        find(&client, "#pause").await;
        assert_ne!(worker.check(&project, &uuid)["status"], "paused");
        // Resumed, it waits for its first run again; none by the first slot plus grace: never ran.
        let first = millis_of(&worker.check(&project, &uuid)["next_ping"]);
        worker.run_sweep(first + 7_200_000 + 60_000);
        client.refresh().await.expect("reload");
        loaded(&client, "check").await;
        let why = wait_js(&client, "why it is down", "return document.getElementById('check-why')?.textContent").await;
        assert!(why.as_str().unwrap_or_default().starts_with("Down: never ran since it was resumed at "), "{why}");

        // Delete, after a confirmation (cancel first: nothing happens).
        click(&client, "#delete").await;
        click(&client, "#confirm-delete-no").await;
        assert_eq!(worker.api(&project.api_key, "GET", &format!("/api/v3/checks/{uuid}"), None).status, 200);
        click(&client, "#delete").await;
        click(&client, "#confirm-delete-yes").await;
        loaded(&client, "list").await;
        let notice = text_of(&client, ".notice").await;
        assert!(notice.contains("Deleted"), "{notice}");
        assert_eq!(worker.api(&project.api_key, "GET", &format!("/api/v3/checks/{uuid}"), None).status, 404);
        assert_eq!(list_rows(&client).await.len(), 0);

        // Checks kept by `edgebeat sync` and `edgebeat k8s-sync` (their marker tags): who manages them, in words.
        worker.create_check(&project, json!({"name": "synced", "tags": "prod edgebeat:sync"}));
        worker.create_check(&project, json!({"name": "cronjob", "tags": "k8s default edgebeat:k8s"}));
        worker.create_check(&project, json!({"name": "team set", "tags": "edgebeat:team-a"}));
        client.refresh().await.expect("reload");
        loaded(&client, "list").await;
        let chips = wait_js(&client, "three rows", "const rows = [...document.querySelectorAll('#check-rows .check-row')]; \
            return rows.length === 3 && rows.map(r => [r.querySelector('.name a').textContent, [...r.querySelectorAll('.tag')].map(t => t.textContent)])").await;
        assert_eq!(
            chips,
            json!([
                ["cronjob", ["k8s", "default", "managed by k8s-sync"]],
                ["synced", ["prod", "managed by sync"]],
                ["team set", ["managed by sync (team-a)"]]
            ])
        );
        let options = js(&client, "return [...document.querySelectorAll('#filter-tag option')].map(o => [o.value, o.textContent])").await;
        let options = options.as_array().expect("options").clone();
        assert!(options.contains(&json!(["edgebeat:sync", "managed by sync"])), "{options:?}");
        assert!(options.contains(&json!(["edgebeat:k8s", "managed by k8s-sync"])), "{options:?}");
        assert!(options.iter().all(|o| !o[1].as_str().unwrap_or_default().starts_with("edgebeat:")), "{options:?}");
        find(&client, "#filter-tag").await.select_by_value("edgebeat:sync").await.expect("the sync filter");
        let shown: Vec<String> = list_rows(&client).await.into_iter().filter(|r| r.2).map(|r| r.0).collect();
        assert_eq!(shown, ["synced"]);
        find(&client, "#filter-tag").await.select_by_value("").await.expect("all tags");

        // Slack and PagerDuty channels through the form; a PagerDuty test; a channel deleted.
        click(&client, "[data-nav=channels]").await;
        loaded(&client, "channels").await;
        find(&client, "#c-kind").await.select_by_value("slack").await.expect("slack kind");
        type_into(&client, "#c-name", "team chat").await;
        type_into(&client, "#c-url", &receiver.url("/slack")).await;
        click(&client, "#channel-form button[type=submit]").await;
        wait_js(&client, "two channels", "return document.querySelectorAll('#channel-list tbody tr').length === 2").await;
        find(&client, "#c-kind").await.select_by_value("pagerduty").await.expect("pagerduty kind");
        assert_eq!(js(&client, "return document.getElementById('c-url').closest('[data-field]').hidden").await, json!(true));
        type_into(&client, "#c-name", "on call").await;
        type_into(&client, "#c-routing-key", "R0UTINGKEY0123456789").await;
        find(&client, "#c-severity").await.select_by_value("warning").await.expect("severity");
        type_into(&client, "#c-events-url", &receiver.url("/pagerduty")).await;
        click(&client, "#channel-form button[type=submit]").await;
        wait_js(&client, "three channels", "return document.querySelectorAll('#channel-list tbody tr').length === 3").await;
        let channels = worker.api(&project.api_key, "GET", "/api/v3/channels/", None).json();
        let by_name = |name: &str| {
            channels["channels"].as_array().and_then(|list| list.iter().find(|c| c["name"] == name).cloned()).unwrap_or_default()
        };
        assert_eq!(by_name("team chat")["kind"], "slack");
        let pagerduty = by_name("on call");
        assert_eq!((&pagerduty["kind"], &pagerduty["settings"]["severity"]), (&json!("pagerduty"), &json!("warning")));
        let pagerduty_row = format!("#channel-list tr[data-id='{}']", pagerduty["id"].as_str().expect("an id"));
        click(&client, &format!("{pagerduty_row} .send-test")).await;
        wait_js(&client, "the PagerDuty test", &format!("return document.querySelector(\"{pagerduty_row} .test-result\").textContent.startsWith('Delivered')")).await;
        // (The webhook also got the down alert of the failed run above.)
        let sent = receiver.requests();
        let test = sent.iter().find(|r| r.path == "/pagerduty").expect("the PagerDuty test was received");
        assert_eq!(test.json()["routing_key"], "R0UTINGKEY0123456789");
        let slack_row = format!("#channel-list tr[data-id='{}']", by_name("team chat")["id"].as_str().expect("an id"));
        click(&client, &format!("{slack_row} .delete-channel")).await;
        click(&client, &format!("{slack_row} .confirm-delete-channel")).await;
        wait_js(&client, "two channels left", "return document.querySelectorAll('#channel-list tbody tr').length === 2").await;
        let left = worker.api(&project.api_key, "GET", "/api/v3/channels/", None).json();
        let names: Vec<&str> = left["channels"].as_array().expect("channels").iter().filter_map(|c| c["name"].as_str()).collect();
        assert_eq!(names.len(), 2);
        assert!(!names.contains(&"team chat"), "{names:?}");
        assert_no_csp_violations(&client).await;
        client.close().await.expect("close the browser");
    });
}

/// Sets a `datetime-local` field to `ms` from now, in the browser's own zone, on a whole minute; returns the instant (Unix ms).
async fn set_local_time(client: &Client, css: &str, ms_from_now: i64) -> i64 {
    let at = js(
        client,
        &format!(
            "const at = Math.floor((Date.now() + {ms_from_now}) / 60000) * 60000; \
             const field = document.querySelector(\"{css}\"); \
             field.valueAsNumber = at - new Date(at).getTimezoneOffset() * 60000; \
             field.dispatchEvent(new Event('input', {{bubbles: true}})); return at"
        ),
    )
    .await;
    at.as_i64().expect("an instant")
}

async fn texts(client: &Client, css: &str) -> Value {
    js(client, &format!("return [...document.querySelectorAll(\"{css}\")].map(e => e.textContent)")).await
}

#[test]
fn alert_policy_snooze_channel_events_and_maintenance_through_the_browser() {
    let receiver = Receiver::start();
    let worker = Worker::start();
    let project = worker.create_project("policy");
    let check =
        worker.create_check(&project, json!({"name": "db-dump", "tags": "db", "timeout": 86400, "grace": 3600}));
    let uuid = uuid_of(&check);
    let check_path = format!("/api/v3/checks/{uuid}");
    let rt = runtime();
    let driver = Driver::start();
    rt.block_on(async {
        let client = browser(&driver, false).await;
        sign_in_at(&client, &worker, &format!("/app/#/checks/{uuid}"), &project.api_key).await;
        loaded(&client, "check").await;
        // The default policy says nothing, and the check is not snoozed.
        let absent = "return !document.getElementById('check-policy') && !document.getElementById('check-snoozed')";
        assert_eq!(js(&client, absent).await, json!(true));

        // An invalid reminder interval (2 minutes): the API's own message, nothing saved.
        click(&client, "#edit").await;
        loaded(&client, "form").await;
        type_into(&client, "#f-reminder", "2").await;
        find(&client, "#f-reminder-unit").await.select_by_value("60").await.expect("minutes");
        click(&client, "#save").await;
        let shown = wait_js(&client, "the API's message", "return document.getElementById('form-error').textContent").await;
        let api_says = worker.api(&project.api_key, "POST", &check_path, Some(&json!({"reminder_interval": 120})));
        assert_eq!(api_says.status, 400);
        let message = api_says.json()["error"].as_str().expect("an error message").to_owned();
        assert!(message.contains("reminder_interval"), "{message}");
        assert_eq!(shown, json!(format!("Not saved: {message}")));
        assert_eq!(worker.check(&project, &uuid)["reminder_interval"], 0, "nothing was saved");

        // So is min_runtime at or over max_runtime.
        type_into(&client, "#f-reminder", "").await;
        type_into(&client, "#f-max-runtime", "1").await;
        find(&client, "#f-max-runtime-unit").await.select_by_value("60").await.expect("minutes");
        type_into(&client, "#f-min-runtime", "2").await;
        find(&client, "#f-min-runtime-unit").await.select_by_value("60").await.expect("minutes");
        click(&client, "#save").await;
        let api_says =
            worker.api(&project.api_key, "POST", &check_path, Some(&json!({"max_runtime": 60, "min_runtime": 120})));
        assert_eq!(api_says.status, 400);
        let message = api_says.json()["error"].as_str().expect("an error message").to_owned();
        wait_js(
            &client,
            "the API's runtime message",
            &format!("return document.getElementById('form-error').textContent === {}", json!(format!("Not saved: {message}"))),
        )
        .await;
        assert_eq!(worker.check(&project, &uuid)["max_runtime"], Value::Null, "nothing was saved");

        // Every policy setting through the form.
        type_into(&client, "#f-failure-threshold", "3").await;
        type_into(&client, "#f-recovery-threshold", "2").await;
        type_into(&client, "#f-max-runtime", "10").await;
        type_into(&client, "#f-min-runtime", "30").await;
        find(&client, "#f-min-runtime-unit").await.select_by_value("1").await.expect("seconds");
        type_into(&client, "#f-reminder", "1").await;
        find(&client, "#f-reminder-unit").await.select_by_value("3600").await.expect("hours");
        click(&client, "#save").await;
        loaded(&client, "check").await;
        let saved = worker.check(&project, &uuid);
        let policy = |c: &Value| {
            json!([c["failure_threshold"], c["recovery_threshold"], c["max_runtime"], c["min_runtime"], c["reminder_interval"]])
        };
        assert_eq!(policy(&saved), json!([3, 2, 600, 30, 3600]));
        assert_eq!((&saved["name"], &saved["timeout"], &saved["grace"]), (&json!("db-dump"), &json!(86400), &json!(3600)));

        // The check page says it in words.
        let words = wait_js(&client, "the policy in words", "return document.getElementById('check-policy')?.innerText").await;
        let lines = texts(&client, "#check-policy li").await;
        assert_eq!(
            lines,
            json!([
                "Goes down after 3 consecutive failures (a missed deadline still goes down at once).",
                "Recovers after 2 consecutive successes.",
                "A run may take up to 10 minutes; a longer one goes down.",
                "A run faster than 30 seconds is a failure.",
                "Reminds every 1 hour while down."
            ]),
            "{words}"
        );

        // Emptied fields go back to the defaults; the others stay.
        click(&client, "#edit").await;
        loaded(&client, "form").await;
        assert_eq!(js(&client, "return document.getElementById('f-max-runtime').value").await, json!("10"));
        assert_eq!(js(&client, "return document.getElementById('f-max-runtime-unit').value").await, json!("60"));
        type_into(&client, "#f-recovery-threshold", "").await;
        type_into(&client, "#f-min-runtime", "").await;
        click(&client, "#save").await;
        loaded(&client, "check").await;
        assert_eq!(policy(&worker.check(&project, &uuid)), json!([3, 1, 600, null, 3600]));
        wait_js(&client, "three policy lines", "return document.querySelectorAll('#check-policy li').length === 3").await;

        // Snooze for 4 hours with a button: the API holds notifications until then, and the page says so.
        let before = now_ms();
        click(&client, "#snooze-14400").await;
        let snoozed = wait_js(&client, "the snooze", "return document.getElementById('check-snoozed')?.textContent").await;
        let until = worker.check(&project, &uuid)["snoozed_until"].clone();
        let until_ms = millis_of(&until);
        assert!(until_ms >= before / 1000 * 1000 + 14_400_000 && until_ms <= now_ms() + 14_400_000, "{until}");
        assert!(snoozed.as_str().unwrap_or_default().starts_with("Snoozed until "), "{snoozed}");
        let shown_until = js(&client, "return document.querySelector('#check-snoozed time').getAttribute('datetime')").await;
        assert_eq!(shown_until, until);
        assert_accessible(&client, "a check page with a policy and a snooze").await;
        assert_fits_a_phone(&client, "a snoozed check page").await;

        // The list marks the row, in words.
        click(&client, "[data-nav=checks]").await;
        loaded(&client, "list").await;
        let marker = wait_js(&client, "the snoozed marker", "const m = document.querySelector('#check-rows .check-row .snoozed'); return m && !m.hidden && m.textContent").await;
        assert_eq!(marker, json!("snoozed"));
        assert_accessible(&client, "the checks list with a snoozed check").await;

        // End the snooze with a button.
        click(&client, "#check-rows .check-row .name a").await;
        loaded(&client, "check").await;
        click(&client, "#unsnooze").await;
        wait_js(&client, "the snooze to end", "return !document.getElementById('check-snoozed') && !document.getElementById('unsnooze')").await;
        assert_eq!(worker.check(&project, &uuid)["snoozed_until"], Value::Null);

        // A channel with chosen events; the form starts from the API's defaults.
        click(&client, "[data-nav=channels]").await;
        loaded(&client, "channels").await;
        let ticked = "return ['down', 'up', 'late', 'reminder', 'fail', 'success'].filter(e => document.getElementById('c-ev-' + e).checked)";
        assert_eq!(js(&client, ticked).await, json!(["down", "up", "reminder"]));
        find(&client, "#c-kind").await.select_by_value("webhook").await.expect("webhook kind");
        type_into(&client, "#c-name", "late hook").await;
        type_into(&client, "#c-url", &receiver.url("/hook")).await;
        click(&client, "#c-ev-reminder").await;
        click(&client, "#c-ev-late").await;
        click(&client, "#c-ev-fail").await;
        click(&client, "#channel-form button[type=submit]").await;
        wait_js(&client, "the new channel", "return document.querySelector('#channel-list tbody tr')?.textContent.includes('late hook')").await;
        let channels = worker.api(&project.api_key, "GET", "/api/v3/channels/", None).json();
        let channel = &channels["channels"][0];
        let mut events: Vec<&str> = channel["events"].as_array().expect("events").iter().filter_map(Value::as_str).collect();
        events.sort_unstable();
        assert_eq!(events, ["down", "fail", "late", "up"]);
        let row_events = text_of(&client, "#channel-list tbody tr .events").await;
        let api_events: Vec<&str> = channel["events"].as_array().expect("events").iter().filter_map(Value::as_str).collect();
        assert_eq!(row_events, api_events.join(", "));
        assert_eq!(js(&client, ticked).await, json!(["down", "up", "reminder"]), "the form is back at the defaults");
        assert_accessible(&client, "the channels page with events").await;

        // Maintenance: a one-off window for checks tagged db, refused first with the API's message.
        click(&client, "[data-nav=maintenance]").await;
        loaded(&client, "maintenance").await;
        wait_js(&client, "no windows", "return document.getElementById('window-list').textContent === 'No maintenance windows.'").await;
        type_into(&client, "#m-name", "db patching").await;
        let start = set_local_time(&client, "#m-start", 3_600_000).await;
        set_local_time(&client, "#m-end", 0).await;
        click(&client, "#m-scope-tags").await;
        type_into(&client, "#m-tags", "db").await;
        click(&client, "#m-save").await;
        let shown = wait_js(&client, "the API's message", "return document.getElementById('window-error').textContent").await;
        assert_eq!(shown, json!("Not added: json validation error: end must be after start"));
        let end = set_local_time(&client, "#m-end", 3 * 3_600_000).await;
        click(&client, "#m-save").await;
        wait_js(&client, "the new window", "return document.querySelector('#window-list tbody tr')?.textContent.includes('db patching')").await;
        let windows = worker.api(&project.api_key, "GET", "/api/v3/maintenance/", None).json();
        let window = &windows["windows"][0];
        assert_eq!(windows["windows"].as_array().map(Vec::len), Some(1));
        assert_eq!((&window["name"], &window["tags"], &window["all_checks"]), (&json!("db patching"), &json!("db"), &json!(false)));
        assert_eq!((millis_of(&window["start"]), millis_of(&window["end"])), (start, end));
        let row = texts(&client, "#window-list tbody tr td").await;
        assert_eq!(row[2], "checks tagged db");
        assert!(row[3].as_str().unwrap_or_default().starts_with("Next opens"), "{row}");
        assert_accessible(&client, "the maintenance page").await;
        assert_fits_a_phone(&client, "the maintenance page").await;
        click(&client, "#window-list tbody tr .delete-window").await;
        click(&client, "#window-list tbody tr .confirm-delete-window").await;
        wait_js(&client, "the window to go", "return document.getElementById('window-list').textContent === 'No maintenance windows.'").await;
        let windows = worker.api(&project.api_key, "GET", "/api/v3/maintenance/", None).json();
        assert_eq!(windows["windows"], json!([]));
        assert_no_csp_violations(&client).await;
        sign_out(&client).await;

        // The read-only key: the policy and a snooze are shown, no snooze controls.
        let snooze = worker.api(&project.api_key, "POST", &format!("{check_path}/snooze"), Some(&json!({"seconds": 3600})));
        assert_eq!(snooze.status, 200, "{}", snooze.text());
        sign_in(&client, &worker, &project.api_key_readonly).await;
        loaded(&client, "list").await;
        let marker = wait_js(&client, "the snoozed marker", "const m = document.querySelector('#check-rows .check-row .snoozed'); return m && !m.hidden && m.textContent").await;
        assert_eq!(marker, json!("snoozed"));
        click(&client, "#check-rows .check-row .name a").await;
        loaded(&client, "check").await;
        find(&client, "#check-snoozed").await;
        assert_eq!(js(&client, "return document.querySelectorAll('#check-policy li').length").await, json!(3));
        let none = "return document.querySelectorAll('#snooze-3600, #snooze-14400, #snooze-86400, #unsnooze, #edit, \
                    [data-nav=maintenance]:not([hidden])').length";
        assert_eq!(js(&client, none).await, json!(0));
        client.close().await.expect("close the browser");
    });
}

/// A project as a reader of the README would have it: everyday jobs in every
/// state, one with a history of runs, a failed last run and its alert.
fn realistic_project(worker: &Worker, receiver: &Receiver) -> (Project, Value) {
    let project = worker.create_project("infra");
    let hook = worker.api(
        &project.api_key,
        "POST",
        "/api/v3/channels/",
        Some(&json!({"kind": "webhook", "name": "ops-alerts", "url": receiver.url("/hook")})),
    );
    assert_eq!(hook.status, 201, "{}", hook.text());
    let backup = worker.create_check(
        &project,
        json!({"name": "nightly-backup", "slug": "nightly-backup", "tags": "prod db", "desc": "pg_dump of the main database to S3",
               "schedule": "15 2 * * *", "tz": "Europe/Riga", "grace": 3600, "channels": "*"}),
    );
    let report = worker.create_check(
        &project,
        json!({"name": "weekday-report", "tags": "reports", "schedule": "30 6 * * 1-5", "tz": "Europe/Riga", "grace": 1800}),
    );
    let invoices = worker
        .create_check(&project, json!({"name": "invoice-export", "tags": "billing", "timeout": 3600, "grace": 900}));
    let certs = worker
        .create_check(&project, json!({"name": "cert-renewal", "tags": "prod tls", "timeout": 86400, "grace": 7200}));
    let queue =
        worker.create_check(&project, json!({"name": "queue-worker", "tags": "prod", "timeout": 300, "grace": 120}));
    let rotation =
        worker.create_check(&project, json!({"name": "log-rotation", "tags": "ops", "timeout": 86400, "grace": 3600}));
    let vacuum =
        worker.create_check(&project, json!({"name": "db-vacuum", "tags": "db", "timeout": 604800, "grace": 86400}));
    worker.create_check(&project, json!({"name": "search-reindex", "tags": "search", "timeout": 86400, "grace": 3600}));

    // The backup's recent runs, of different lengths, each with its output; the last one fails.
    for (ms, size) in [(1400, "1.21"), (2300, "1.23"), (1100, "1.22"), (1900, "1.24"), (1600, "1.24")] {
        ping(worker, &backup, "/start", b"");
        std::thread::sleep(Duration::from_millis(ms));
        ping(
            worker,
            &backup,
            "/0",
            format!("backup finished with 0: {size} GB written to s3://backups/db.sql.gz").as_bytes(),
        );
    }
    ping(worker, &backup, "/start", b"");
    std::thread::sleep(Duration::from_millis(1200));
    ping(
        worker,
        &backup,
        "/1",
        b"backup finished with 1: pg_dump: error: connection to server at \"db-primary\" (10.0.4.12), port 5432 failed: timeout expired",
    );
    receiver.wait_for(1, WAIT);
    for check in [&report, &invoices, &certs, &queue, &rotation, &vacuum] {
        ping(worker, check, "", b"");
    }
    ping(worker, &rotation, "/start", b"");
    let paused = worker.api(&project.api_key, "POST", &format!("/api/v3/checks/{}/pause", uuid_of(&vacuum)), None);
    assert_eq!(paused.status, 200, "{}", paused.text());
    // Past its period, within its grace: late.
    age_last_ping(worker, &uuid_of(&invoices), 3600 + 300);
    // A sweep has run, as the cron trigger's would have (no "no sweep yet" banner).
    worker.run_sweep(now_ms());
    (project, backup)
}

#[test]
fn screenshots_of_a_project_of_realistic_checks() {
    let receiver = Receiver::start();
    let worker = Worker::start();
    let (project, backup) = realistic_project(&worker, &receiver);
    let rt = runtime();
    let driver = Driver::start();
    rt.block_on(async {
        for dark in [false, true] {
            let client = browser(&driver, dark).await;
            sign_in(&client, &worker, &project.api_key).await;
            loaded(&client, "list").await;
            let rows = list_rows(&client).await;
            let mut statuses: Vec<(String, String)> = rows.iter().map(|r| (r.0.clone(), r.1.clone())).collect();
            assert_eq!(statuses.first().map(|r| r.1.as_str()), Some("down"), "down first: {rows:?}");
            assert_eq!(statuses.last().map(|r| r.1.as_str()), Some("paused"), "paused last: {rows:?}");
            statuses.sort();
            let expected = [
                ("cert-renewal", "up"),
                ("db-vacuum", "paused"),
                ("invoice-export", "late"),
                ("log-rotation", "started"),
                ("nightly-backup", "down"),
                ("queue-worker", "up"),
                ("search-reindex", "new"),
                ("weekday-report", "up"),
            ]
            .map(|(name, status)| (name.to_owned(), status.to_owned()));
            assert_eq!(statuses, expected, "every state in the pictures");
            let names = js(&client, "return document.getElementById('main').innerText").await;
            assert!(!names.as_str().unwrap_or_default().contains('<'), "no markup in the pictures: {names}");
            client.set_window_size(1280, 1000).await.expect("a window that shows every row");
            screenshot(&client, if dark { "list-dark.png" } else { "list-light.png" }).await;
            assert_no_csp_violations(&client).await;
            client.close().await.expect("close the browser");
        }

        let client = browser(&driver, false).await;
        sign_in_at(&client, &worker, &format!("/app/#/checks/{}", uuid_of(&backup)), &project.api_key).await;
        loaded(&client, "check").await;
        assert_eq!(text_of(&client, "#check-name").await, "nightly-backup");
        let why = text_of(&client, "#check-why").await;
        assert!(why.contains("exited with status 1"), "{why}");
        let output = wait_js(&client, "the last output", "return document.querySelector('#last-output pre')?.textContent").await;
        assert!(output.as_str().unwrap_or_default().contains("timeout expired"), "{output}");
        let bars = js(&client, "return [...document.querySelectorAll('svg.runs rect')].map(r => r.getAttribute('class'))").await;
        assert_eq!(bars, json!(["ok", "ok", "ok", "ok", "ok", "bad"]), "six runs, the last failed");
        wait_js(&client, "the delivered alert", "return [...document.querySelectorAll('#check-notifications tbody tr')].some(r => r.textContent.includes('delivered'))").await;
        client.set_window_size(1280, 1500).await.expect("a taller window");
        screenshot(&client, "check.png").await;
        assert_no_csp_violations(&client).await;
        client.close().await.expect("close the browser");
    });
}
