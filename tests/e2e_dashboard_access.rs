//! The dashboard signed in through Cloudflare Access, in chromium (the same
//! setup as tests/e2e_dashboard.rs: Debian's chromium through chromedriver,
//! talking only to 127.0.0.1 and localhost). A browser cannot set the header
//! Access adds, so each person's token goes in the `CF_Authorization` cookie
//! (through the WebDriver cookie API), as Access sets it for the app's
//! domain. Every action taken in the browser is confirmed through the API.
//!
//! A person sees their projects and switches between them, sees only what
//! their role allows (and the server refuses the rest even when the page is
//! made to send it), owners manage members, the log shows who did what; a
//! form on another site posting to the API is refused.

mod support;
#[path = "support/tokens.rs"]
mod tokens;

use fantoccini::cookies::Cookie;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Map, Value};
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::documents::Documents;
use support::{now_ms, Worker, ADMIN_TOKEN};
use tokens::{claims, jwks, keys};

const TEAM: &str = "team.example.com";
const AUD: &str = "edgebeat-dashboard-aud";
const WAIT: Duration = Duration::from_secs(30);

struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
        let port = support::worker::free_port();
        let log = std::env::temp_dir().join(format!("edgebeat-chromedriver-access-{}-{port}.log", std::process::id()));
        let log = fs::File::create(log).expect("create the chromedriver log");
        let mut command = Command::new("chromedriver");
        command
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone the log"))
            .stderr(log)
            .process_group(0);
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let child = command.spawn().expect("spawn chromedriver (scripts/setup.sh installs chromium-driver)");
        let driver = Driver { child, port };
        let deadline = Instant::now() + WAIT;
        while support::http::request(port, "GET", "/status", &[], b"").is_err() {
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

fn chromium() -> String {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("chromium"))
        .find(|path| path.is_file())
        .map(|path| path.display().to_string())
        .unwrap_or_else(|| "/usr/bin/chromium".to_owned())
}

async fn browser(driver: &Driver) -> Client {
    let args = [
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
    let mut capabilities = Map::new();
    capabilities.insert("browserName".into(), json!("chrome"));
    capabilities.insert("goog:chromeOptions".into(), json!({"binary": chromium(), "args": args}));
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("start a chromium session")
}

async fn js(client: &Client, script: &str) -> Value {
    client.execute(script, vec![]).await.unwrap_or_else(|e| panic!("script failed ({e}): {script}"))
}

fn truthy(value: &Value) -> bool {
    !matches!(value, Value::Null | Value::Bool(false)) && value != &json!(0) && value != &json!("")
}

async fn wait_js(client: &Client, what: &str, script: &str) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let value = js(client, script).await;
        if truthy(&value) {
            return value;
        }
        if Instant::now() > deadline {
            let page = js(client, "return document.body.innerText").await;
            panic!("timed out waiting for {what} (last: {value}); page:\n{}", page.as_str().unwrap_or_default());
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn click(client: &Client, css: &str) {
    let element =
        client.wait().at_most(WAIT).for_element(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no {css}: {e}"));
    element.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
}

async fn loaded(client: &Client, view: &str) {
    wait_js(
        client,
        &format!("the {view} view"),
        &format!("return document.getElementById('main').dataset.loaded === '{view}'"),
    )
    .await;
}

fn present(client_script: &str) -> String {
    format!("return !!document.querySelector('{client_script}') && !document.querySelector('{client_script}').hidden")
}

/// axe-core from node_modules: no serious or critical violations.
async fn assert_accessible(client: &Client, page: &str) {
    let source = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("node_modules/axe-core/axe.min.js"))
        .expect("node_modules/axe-core/axe.min.js (scripts/setup.sh installs it)");
    js(client, &format!("{source}\nreturn typeof window.axe;")).await;
    let result = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.axe.run(document, {resultTypes: ['violations']})
               .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => ({id: v.id, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))))
               .catch(e => done({error: String(e)}));",
            vec![],
        )
        .await
        .expect("run axe");
    assert_eq!(result, json!([]), "axe on {page}");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime")
}

fn admin(worker: &Worker, method: &str, path: &str, body: &Value) -> Value {
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let response = worker.request(method, path, &[("Authorization", &auth)], body.to_string().as_bytes());
    assert!(response.status < 300, "{method} {path}: {}", response.text());
    response.json()
}

fn token(email: &str) -> String {
    keys()[0].token(&claims(TEAM, AUD, email, now_ms() / 1000))
}

/// Opens the dashboard signed in as `email` (Access's cookie for the Worker's host).
async fn sign_in(client: &Client, worker: &Worker, email: &str) {
    let base = format!("http://127.0.0.1:{}", worker.port);
    client.goto(&format!("{base}/app/")).await.expect("open the Worker's origin");
    client.delete_all_cookies().await.expect("forget cookies");
    // SameSite=Lax, as Access sets it (fantoccini would send None, which needs Secure).
    let cookie = Cookie::parse(format!("CF_Authorization={}; Path=/; Domain=127.0.0.1; SameSite=Lax", token(email)))
        .expect("a cookie");
    client.add_cookie(cookie).await.expect("set the Access cookie");
    client.goto(&format!("{base}/app/")).await.expect("open the dashboard");
    js(client, "sessionStorage.clear(); localStorage.clear(); return 1").await;
    client.refresh().await.expect("reload");
}

#[test]
fn the_dashboard_through_cloudflare_access() {
    let documents = Documents::start();
    documents.set("/certs", "application/json", jwks(&[&keys()[0]]).as_bytes());
    let worker = Worker::start_with(&[
        ("ACCESS_TEAM_DOMAIN", TEAM),
        ("ACCESS_AUD", AUD),
        ("ACCESS_CERTS_URL", &documents.url("/certs")),
    ]);
    let ops = admin(&worker, "POST", "/api/v3/projects/", &json!({"name": "ops", "owner": "ada@example.com"}));
    let ops_id = ops["id"].as_str().unwrap().to_owned();
    let members = format!("/api/v3/projects/{ops_id}/members/");
    admin(&worker, "POST", &members, &json!({"email": "bo@example.com", "role": "member"}));
    admin(&worker, "POST", &members, &json!({"email": "vi@example.com", "role": "viewer"}));
    let web = admin(&worker, "POST", "/api/v3/projects/", &json!({"name": "web", "owner": "someone@example.com"}));
    admin(
        &worker,
        "POST",
        &format!("/api/v3/projects/{}/members/", web["id"].as_str().unwrap()),
        &json!({"email": "ada@example.com", "role": "viewer"}),
    );
    let key = ops["api_key"].as_str().unwrap().to_owned();
    let check = worker.create_check(
        &support::Project {
            id: ops_id.clone(),
            api_key: key.clone(),
            api_key_readonly: ops["api_key_readonly"].as_str().unwrap().to_owned(),
            ping_key: ops["ping_key"].as_str().unwrap().to_owned(),
        },
        json!({"name": "nightly backup"}),
    );
    let uuid = check["uuid"].as_str().unwrap().to_owned();
    let status =
        |worker: &Worker| worker.api(&key, "GET", &format!("/api/v3/checks/{uuid}"), None).json()["status"].clone();

    let driver = Driver::start();
    runtime().block_on(async {
        let client = browser(&driver).await;

        // Ada, an owner of ops and a viewer of web.
        sign_in(&client, &worker, "ada@example.com").await;
        loaded(&client, "list").await;
        let who = wait_js(&client, "who is signed in", "return document.getElementById('access').textContent").await;
        assert_eq!(who, "ada@example.com · owner");
        let projects =
            js(&client, "return [...document.querySelectorAll('#project option')].map(o => o.textContent)").await;
        assert_eq!(projects, json!(["ops (owner)", "web (viewer)"]));
        wait_js(
            &client,
            "the check",
            "return document.querySelector('#check-rows [data-id]')?.textContent.includes('nightly backup')",
        )
        .await;
        assert!(truthy(&js(&client, &present("#new-check")).await), "an owner may create checks");
        assert!(truthy(&js(&client, &present("a[data-nav=members]")).await), "an owner manages members");
        assert_accessible(&client, "the list, signed in through Access").await;

        // Pause from the check page, and read who did it in its log.
        client.goto(&format!("http://127.0.0.1:{}/app/#/checks/{uuid}", worker.port)).await.unwrap();
        loaded(&client, "check").await;
        click(&client, "#pause").await;
        wait_js(
            &client,
            "the pause",
            "return document.querySelector('#check-audit')?.textContent.includes('paused the check')",
        )
        .await;
        assert_eq!(status(&worker), "paused");
        let actor = js(&client, "return document.querySelector('#check-audit td.actor').textContent").await;
        assert_eq!(actor, "ada@example.com");

        // Members: an owner adds one through the form.
        client.goto(&format!("http://127.0.0.1:{}/app/#/members", worker.port)).await.unwrap();
        loaded(&client, "members").await;
        let email = client.find(Locator::Css("#m-email")).await.unwrap();
        email.send_keys("new@example.com").await.unwrap();
        client.find(Locator::Css("#m-role")).await.unwrap().select_by_value("member").await.unwrap();
        click(&client, "#member-form button[type=submit]").await;
        wait_js(
            &client,
            "the new member",
            "return document.querySelector('#members [data-email=\"new@example.com\"]')",
        )
        .await;
        let listed = admin(&worker, "GET", &members, &json!({}));
        assert!(listed["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["email"] == "new@example.com" && m["role"] == "member"));
        assert_accessible(&client, "members").await;
        client.goto(&format!("http://127.0.0.1:{}/app/#/audit", worker.port)).await.unwrap();
        loaded(&client, "audit").await;
        let actions = js(
            &client,
            "return [...document.querySelectorAll('#audit-log tr[data-action]')].map(r => r.dataset.action)",
        )
        .await;
        assert_eq!(actions[0], "member.add");
        assert!(actions.as_array().unwrap().iter().any(|a| a == "check.pause"));
        assert_accessible(&client, "the log").await;

        // Switching to web, where she is a viewer: no writes offered.
        client.goto(&format!("http://127.0.0.1:{}/app/#/", worker.port)).await.unwrap();
        loaded(&client, "list").await;
        client
            .find(Locator::Css("#project"))
            .await
            .unwrap()
            .select_by_value(web["id"].as_str().unwrap())
            .await
            .unwrap();
        wait_js(
            &client,
            "the viewer's chrome",
            "return document.getElementById('access').textContent === 'ada@example.com · viewer'",
        )
        .await;
        loaded(&client, "list").await;
        assert!(!truthy(&js(&client, &present("#new-check")).await), "a viewer creates nothing");
        assert!(!truthy(&js(&client, &present("a[data-nav=members]")).await));

        // Vi, a viewer of ops: no pause button, and the server refuses it when the page sends it anyway.
        sign_in(&client, &worker, "vi@example.com").await;
        loaded(&client, "list").await;
        let unique = worker.api(&key, "GET", &format!("/api/v3/checks/{uuid}"), None);
        assert_eq!(unique.status, 200);
        let row =
            wait_js(&client, "the viewer's row", "return document.querySelector('#check-rows [data-id]')?.dataset.id")
                .await;
        client.goto(&format!("http://127.0.0.1:{}/app/#/checks/{}", worker.port, row.as_str().unwrap())).await.unwrap();
        loaded(&client, "check").await;
        assert!(!truthy(&js(&client, &present("#pause")).await) && !truthy(&js(&client, &present("#resume")).await));
        let forced = client
            .execute_async(
                &format!(
                    "const done = arguments[arguments.length - 1];
                     fetch('/api/v3/checks/{uuid}/resume', {{method: 'POST', credentials: 'same-origin',
                       headers: {{'X-Edgebeat-Project': '{ops_id}'}}}})
                       .then(r => r.json().then(b => done([r.status, b.error])));"
                ),
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(forced[0], 403, "{forced}");
        assert_eq!(status(&worker), "paused", "the viewer changed nothing");

        // Bo, a member: writes, but manages no members.
        sign_in(&client, &worker, "bo@example.com").await;
        client.goto(&format!("http://127.0.0.1:{}/app/#/checks/{uuid}", worker.port)).await.unwrap();
        loaded(&client, "check").await;
        click(&client, "#resume").await;
        wait_js(
            &client,
            "the resume",
            "return document.querySelector('#check-audit')?.textContent.includes('resumed the check')",
        )
        .await;
        assert_ne!(status(&worker), "paused");
        assert!(!truthy(&js(&client, &present("a[data-nav=members]")).await));

        // A form on another site posting a pause, with Bo's cookie in the browser.
        for origin in [format!("http://localhost:{}", documents.port), format!("http://127.0.0.1:{}", documents.port)] {
            let page = format!(
                "<!doctype html><html lang=en><title>x</title><form method=post enctype=text/plain \
                 action=\"http://127.0.0.1:{}/api/v3/checks/{uuid}/pause?project={ops_id}\">\
                 <input name='{{\"a\":\"' value='\"}}'></form><script>document.forms[0].submit()</script>",
                worker.port
            );
            documents.set("/evil.html", "text/html", page.as_bytes());
            client.goto(&format!("{origin}/evil.html")).await.unwrap();
            let answer = wait_js(
                &client,
                "the API's answer",
                "return location.pathname.includes('/pause') && document.body.innerText",
            )
            .await;
            assert!(answer.as_str().unwrap().contains("cross-site request refused"), "{origin}: {answer}");
            assert_ne!(status(&worker), "paused", "{origin}: nothing paused");
        }
        client.close().await.ok();
    });
}
