//! Headless chromium through chromedriver (fantoccini), for the e2e tests
//! that look at pages as a person would (the dashboard, signed in by key or
//! through Access, and the status pages): the browser talks to 127.0.0.1
//! only (a dead proxy and a host resolver that resolves nothing else),
//! axe-core from node_modules, and a phone's width.
#![allow(dead_code)]

use crate::support::worker::root;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Map, Value};
use std::fs;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// How long a page may take to show something on a loaded machine.
pub const WAIT: Duration = Duration::from_secs(30);

/// A chromedriver on a free local port, stopped (with its browsers) on drop.
pub struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    pub fn start() -> Driver {
        let port = crate::support::worker::free_port();
        let log = std::env::temp_dir().join(format!("edgebeat-chromedriver-{}-{port}.log", std::process::id()));
        let log = fs::File::create(log).expect("create the chromedriver log");
        let mut command = Command::new("chromedriver");
        command.arg(format!("--port={port}"));
        // If this test process dies, take chromedriver (and chromium) down with it.
        crate::support::worker::background(&mut command, log, libc::SIGTERM);
        let child = command.spawn().expect("spawn chromedriver (scripts/setup.sh installs chromium-driver)");
        let driver = Driver { child, port };
        let deadline = Instant::now() + WAIT;
        while crate::support::http::request(port, "GET", "/status", &[], b"").is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start on port {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        driver
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = -(self.child.id() as i32);
        unsafe { libc::kill(group, libc::SIGTERM) };
        std::thread::sleep(Duration::from_millis(200));
        unsafe { libc::kill(group, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

/// The chromium binary on PATH (Debian's package installs /usr/bin/chromium).
fn chromium() -> String {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("chromium"))
        .find(|path| path.is_file())
        .map(|path| path.display().to_string())
        .unwrap_or_else(|| "/usr/bin/chromium".to_owned())
}

/// A headless chromium session.
pub async fn browser(driver: &Driver) -> Client {
    browser_with(driver, &[]).await
}

/// A headless chromium session with `extra` flags (as `--force-dark-mode`).
pub async fn browser_with(driver: &Driver, extra: &[&str]) -> Client {
    let mut args = vec![
        "--headless=new",
        "--no-sandbox",
        "--proxy-server=http://127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        "--lang=en-US",
    ];
    args.extend_from_slice(extra);
    let mut capabilities = Map::new();
    capabilities.insert("browserName".into(), json!("chrome"));
    capabilities.insert("goog:chromeOptions".into(), json!({"binary": chromium(), "args": args}));
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("start a chromium session")
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime")
}

pub async fn js(client: &Client, script: &str) -> Value {
    client.execute(script, vec![]).await.unwrap_or_else(|e| panic!("script failed ({e}): {script}"))
}

/// Whether a script's result counts as true in JavaScript.
pub fn truthy(value: &Value) -> bool {
    !matches!(value, Value::Null | Value::Bool(false)) && value != &json!(0) && value != &json!("")
}

/// Runs `script` until it returns something truthy, and returns that.
pub async fn wait_js(client: &Client, what: &str, script: &str) -> Value {
    wait_js_for(client, what, script, WAIT).await
}

/// Runs `script` until it returns something truthy, for up to `timeout`.
pub async fn wait_js_for(client: &Client, what: &str, script: &str, timeout: Duration) -> Value {
    let deadline = Instant::now() + timeout;
    loop {
        let value = js(client, script).await;
        if truthy(&value) {
            return value;
        }
        if Instant::now() > deadline {
            let page = js(client, "return document.body ? document.body.innerText : ''").await;
            panic!("timed out waiting for {what} (last: {value}); page:\n{}", page.as_str().unwrap_or_default());
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

pub async fn find(client: &Client, css: &str) -> Element {
    client.wait().at_most(WAIT).for_element(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no element {css}: {e}"))
}

pub async fn click(client: &Client, css: &str) {
    find(client, css).await.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
}

pub async fn type_into(client: &Client, css: &str, text: &str) {
    let element = find(client, css).await;
    element.clear().await.unwrap_or_else(|e| panic!("clear {css}: {e}"));
    element.send_keys(text).await.unwrap_or_else(|e| panic!("type into {css}: {e}"));
}

/// Waits until the dashboard's current view finished loading (`main[data-loaded=<view>]`).
pub async fn loaded(client: &Client, view: &str) {
    wait_js(
        client,
        &format!("the {view} view"),
        &format!("return document.getElementById('main').dataset.loaded === '{view}'"),
    )
    .await;
}

/// axe-core, injected from node_modules: no serious or critical violations.
pub async fn assert_accessible(client: &Client, page: &str) {
    let source = fs::read_to_string(root().join("node_modules/axe-core/axe.min.js"))
        .expect("node_modules/axe-core/axe.min.js (scripts/setup.sh installs it)");
    js(client, &format!("{source}\nreturn typeof window.axe;")).await;
    let result = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.axe.run(document, {resultTypes: ['violations']})
               .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' + (n.failureSummary || ''))}))))
               .catch(e => done({error: String(e)}));",
            vec![],
        )
        .await
        .expect("run axe");
    let violations = result.as_array().unwrap_or_else(|| panic!("axe failed on {page}: {result}"));
    let serious: Vec<&Value> =
        violations.iter().filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical"))).collect();
    assert!(serious.is_empty(), "axe on {page}: {}", serde_json::to_string_pretty(&serious).unwrap_or_default());
}

/// At a phone's width (390 px) nothing sticks out sideways.
pub async fn assert_fits_a_phone(client: &Client, page: &str) {
    assert_fits_a_phone_except(client, page, "main *", ".scroll").await;
}

/// At a phone's width (390 px) the page does not scroll sideways and none of
/// the `elements` (CSS) sticks out, but for those inside `scrolling` (CSS:
/// boxes that scroll, or text kept as it is).
pub async fn assert_fits_a_phone_except(client: &Client, page: &str, elements: &str, scrolling: &str) {
    client.set_window_size(390, 844).await.expect("a phone-sized window");
    let widths = wait_js(
        client,
        "the phone layout",
        "return innerWidth <= 420 && [document.documentElement.scrollWidth, innerWidth]",
    )
    .await;
    let wide = js(
        client,
        &format!(
            "return [...document.querySelectorAll({elements:?})].filter(e => {{ const r = e.getBoundingClientRect(); \
               return r.width > 0 && r.right > innerWidth + 1 && !e.closest({scrolling:?}); }}) \
               .slice(0, 5).map(e => e.tagName + '.' + e.className)"
        ),
    )
    .await;
    assert!(widths[0].as_i64() <= widths[1].as_i64(), "{page} scrolls sideways on a phone: {widths}");
    assert_eq!(wide, json!([]), "{page}: elements wider than a phone");
    client.set_window_size(1280, 900).await.expect("back to a desktop window");
}
