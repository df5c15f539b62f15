//! The dashboard signed in through Cloudflare Access, in chromium (the same
//! setup as tests/e2e_dashboard.rs, from tests/browser: Debian's chromium
//! through chromedriver, talking only to 127.0.0.1 and localhost). A browser cannot set the header
//! Access adds, so each person's token goes in the `CF_Authorization` cookie
//! (through the WebDriver cookie API), as Access sets it for the app's
//! domain. Every action taken in the browser is confirmed through the API.
//!
//! A person sees their projects and switches between them, sees only what
//! their role allows (and the server refuses the rest even when the page is
//! made to send it), owners manage members, the log shows who did what; a
//! form on another site posting to the API is refused.

mod browser;
mod support;
#[path = "support/tokens.rs"]
mod tokens;

use browser::{assert_accessible, browser, click, js, loaded, runtime, truthy, wait_js, Driver};
use fantoccini::cookies::Cookie;
use fantoccini::{Client, Locator};
use serde_json::{json, Value};
use support::documents::Documents;
use support::{now_ms, Worker, ADMIN_TOKEN};
use tokens::{claims, jwks, keys};

const TEAM: &str = "team.example.com";
const AUD: &str = "edgebeat-dashboard-aud";

fn present(client_script: &str) -> String {
    format!("return !!document.querySelector('{client_script}') && !document.querySelector('{client_script}').hidden")
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
