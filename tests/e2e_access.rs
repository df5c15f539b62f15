//! People through the real Worker (wrangler dev, WebCrypto verifying RS256):
//! a Cloudflare Access key set served on 127.0.0.1, tokens made by the test
//! for each role, every kind of forged or unfit token refused, a key
//! rotated in without a restart, and each role on every write endpoint.

mod support;
#[path = "support/tokens.rs"]
mod tokens;

use serde_json::{json, Value};
use support::documents::Documents;
use support::http::HttpResponse;
use support::{now_ms, Worker, ADMIN_TOKEN};
use tokens::{claims, jwks, keys, tampered, unsigned};

const TEAM: &str = "team.example.com";
const AUD: &str = "edgebeat-e2e-aud";

/// A worker with Access on, its keys served by `documents`.
fn worker(documents: &Documents) -> Worker {
    documents.set("/cdn-cgi/access/certs", "application/json", jwks(&[&keys()[0]]).as_bytes());
    let certs = documents.url("/cdn-cgi/access/certs");
    Worker::start_with(&[("ACCESS_TEAM_DOMAIN", TEAM), ("ACCESS_AUD", AUD), ("ACCESS_CERTS_URL", &certs)])
}

fn now() -> i64 {
    now_ms() / 1000
}

/// A fresh token of the team's first key for `email`.
fn token(email: &str) -> String {
    keys()[0].token(&claims(TEAM, AUD, email, now()))
}

fn call(
    worker: &Worker,
    token: &str,
    project: Option<&str>,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> HttpResponse {
    let mut headers = vec![("Cf-Access-Jwt-Assertion", token), ("Content-Type", "application/json")];
    if let Some(project) = project {
        headers.push(("X-Edgebeat-Project", project));
    }
    let body = body.map(Value::to_string).unwrap_or_default();
    worker.request(method, path, &headers, body.as_bytes())
}

fn admin(worker: &Worker, method: &str, path: &str, body: Option<&Value>) -> HttpResponse {
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let body = body.map(Value::to_string).unwrap_or_default();
    worker.request(method, path, &[("Authorization", &auth), ("Content-Type", "application/json")], body.as_bytes())
}

/// A project owned by `owner`, with a member and a viewer; its JSON.
fn team_project(worker: &Worker, name: &str, owner: &str, member: &str, viewer: &str) -> Value {
    let created = admin(worker, "POST", "/api/v3/projects/", Some(&json!({"name": name, "owner": owner})));
    assert_eq!(created.status, 201, "{}", created.text());
    let project = created.json();
    let id = project["id"].as_str().unwrap();
    for (email, role) in [(member, "member"), (viewer, "viewer")] {
        let added = admin(
            worker,
            "POST",
            &format!("/api/v3/projects/{id}/members/"),
            Some(&json!({"email": email, "role": role})),
        );
        assert_eq!(added.status, 201, "{}", added.text());
    }
    project
}

fn log_len(worker: &Worker, project: &str) -> usize {
    let log = admin(worker, "GET", &format!("/api/v3/projects/{project}/audit/?limit=500"), None);
    assert_eq!(log.status, 200, "{}", log.text());
    log.json()["entries"].as_array().map_or(0, Vec::len)
}

#[test]
fn access_tokens_sign_people_in_and_forgeries_are_refused() {
    let documents = Documents::start();
    let worker = worker(&documents);
    let project = team_project(&worker, "ops", "Ada@Example.com", "bo@example.com", "vi@example.com");
    let id = project["id"].as_str().unwrap().to_owned();

    // A valid token per role: each is signed in with its role.
    for (email, role) in [("ada@example.com", "owner"), ("bo@example.com", "member"), ("vi@example.com", "viewer")] {
        let me = call(&worker, &token(email), None, "GET", "/api/v3/me", None);
        assert_eq!(me.status, 200, "{email}: {}", me.text());
        assert_eq!(me.json()["email"], email);
        assert_eq!(me.json()["projects"][0]["role"], role);
        assert_eq!(call(&worker, &token(email), None, "GET", "/api/v3/checks/", None).status, 200);
    }
    assert!(documents.served("/cdn-cgi/access/certs") >= 1);

    let created =
        call(&worker, &token("ADA@example.com"), None, "POST", "/api/v3/checks/", Some(&json!({"name": "backup"})));
    assert_eq!(created.status, 201, "{}", created.text());
    let uuid = created.json()["uuid"].as_str().unwrap().to_owned();
    let logged = log_len(&worker, &id);

    let ada = |edit: &dyn Fn(&mut Value)| {
        let mut c = claims(TEAM, AUD, "ada@example.com", now());
        edit(&mut c);
        c
    };
    let good = ada(&|_| {});
    let [team, _, stranger] = keys();
    let forged: Vec<(&str, String)> = vec![
        (
            "expired",
            team.token(&ada(&|c| {
                c["nbf"] = json!(now() - 7200);
                c["exp"] = json!(now() - 3600);
            })),
        ),
        (
            "not yet valid",
            team.token(&ada(&|c| {
                c["nbf"] = json!(now() + 3600);
                c["exp"] = json!(now() + 7200);
            })),
        ),
        ("wrong audience", team.token(&ada(&|c| c["aud"] = json!(["another-app"])))),
        ("wrong issuer", team.token(&ada(&|c| c["iss"] = json!("https://evil.example.com")))),
        ("unknown kid", stranger.token(&good)),
        ("alg none", unsigned(&team.kid, &good)),
        ("HS256 with the public key", team.hs256_with_public_key(&good)),
        ("signed by another key", stranger.token_as(&team.kid, &good)),
        ("tampered payload", tampered(&team.token(&ada(&|c| c["email"] = json!("vi@example.com"))), &good)),
    ];
    for (what, forged) in forged {
        let reply = call(&worker, &forged, None, "POST", &format!("/api/v3/checks/{uuid}/pause"), None);
        assert_eq!(reply.status, 401, "{what}: {}", reply.text());
        assert!(
            reply.json()["error"].as_str().unwrap_or_default().contains("Cloudflare Access"),
            "{what}: {}",
            reply.text()
        );
    }
    let check = call(&worker, &token("ada@example.com"), None, "GET", &format!("/api/v3/checks/{uuid}"), None);
    assert_eq!(check.json()["status"], "new", "never paused");
    assert_eq!(log_len(&worker, &id), logged, "nothing was logged");

    // Access starts signing with a new key: it works without a restart.
    documents.set("/cdn-cgi/access/certs", "application/json", jwks(&[&keys()[0], &keys()[1]]).as_bytes());
    let rotated = keys()[1].token(&claims(TEAM, AUD, "ada@example.com", now()));
    let paused = call(&worker, &rotated, None, "POST", &format!("/api/v3/checks/{uuid}/pause"), None);
    assert_eq!(paused.status, 200, "{}", paused.text());
    let log = admin(&worker, "GET", &format!("/api/v3/checks/{uuid}/audit/"), None);
    assert_eq!(log.status, 401, "the admin token reads project logs, not a check's: there it is no key");
    let log = call(&worker, &token("vi@example.com"), None, "GET", &format!("/api/v3/checks/{uuid}/audit/"), None);
    assert_eq!(log.json()["entries"][0]["action"], "check.pause");
    assert_eq!(log.json()["entries"][0]["actor"], "ada@example.com");
}

/// (method, path, body, roles allowed: o owner, m member, v viewer).
const WRITES: &[(&str, &str, &str, &str)] = &[
    ("POST", "/api/v3/checks/", r#"{"name": "new"}"#, "om"),
    ("POST", "/api/v3/checks/{check}", r#"{"name": "renamed"}"#, "om"),
    ("POST", "/api/v3/checks/{check}/pause", "", "om"),
    ("POST", "/api/v3/checks/{check}/resume", "", "om"),
    ("POST", "/api/v3/checks/{check}/snooze", r#"{"seconds": 600}"#, "om"),
    ("DELETE", "/api/v3/checks/{check}/snooze", "", "om"),
    ("POST", "/api/v3/channels/", r#"{"kind": "webhook", "url": "http://127.0.0.1:9/hook"}"#, "om"),
    ("POST", "/api/v3/channels/{channel}", r#"{"name": "renamed"}"#, "om"),
    ("POST", "/api/v3/channels/{channel}/test", "", "om"),
    ("DELETE", "/api/v3/channels/{channel}", "", "om"),
    (
        "POST",
        "/api/v3/maintenance/",
        r#"{"name": "w", "start": "2030-01-01T00:00:00Z", "end": "2030-01-01T01:00:00Z"}"#,
        "om",
    ),
    (
        "POST",
        "/api/v3/maintenance/{window}",
        r#"{"name": "w2", "start": "2030-01-01T00:00:00Z", "end": "2030-01-01T02:00:00Z"}"#,
        "om",
    ),
    ("DELETE", "/api/v3/maintenance/{window}", "", "om"),
    ("DELETE", "/api/v3/checks/{check}", "", "om"),
    ("POST", "/api/v3/projects/{project}/members/", r#"{"email": "new@example.com", "role": "viewer"}"#, "o"),
    ("DELETE", "/api/v3/projects/{project}/members/new%40example.com", "", "o"),
    ("POST", "/api/v3/projects/{project}/keys/", "", "o"),
    ("DELETE", "/api/v3/projects/{project}", "", "o"),
];

#[test]
fn each_role_on_every_write_endpoint() {
    let documents = Documents::start();
    let worker = worker(&documents);
    for (letter, role) in [('o', "owner"), ('m', "member"), ('v', "viewer")] {
        // A project of its own per role, so that one role's deletes leave the next its targets.
        let email = format!("{role}@example.com");
        let owner = if role == "owner" { email.clone() } else { "boss@example.com".to_owned() };
        let member = if role == "member" { email.clone() } else { "m@example.com".to_owned() };
        let viewer = if role == "viewer" { email.clone() } else { "v@example.com".to_owned() };
        let project = team_project(&worker, role, &owner, &member, &viewer);
        let id = project["id"].as_str().unwrap().to_owned();
        let key = project["api_key"].as_str().unwrap().to_owned();
        let made = |path: &str, body: Value| {
            let reply = worker.api(&key, "POST", path, Some(&body));
            assert!(reply.status < 300, "{path}: {}", reply.text());
            reply.json()
        };
        let check = made("/api/v3/checks/", json!({"name": "target"}))["uuid"].as_str().unwrap().to_owned();
        let channel = made("/api/v3/channels/", json!({"kind": "webhook", "url": "http://127.0.0.1:9/x"}))["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let window =
            made("/api/v3/maintenance/", json!({"start": "2030-01-01T00:00:00Z", "end": "2030-01-01T01:00:00Z"}))["id"]
                .as_str()
                .unwrap()
                .to_owned();
        let token = token(&email);
        for (method, pattern, body, allowed) in WRITES {
            let path = pattern
                .replace("{check}", &check)
                .replace("{channel}", &channel)
                .replace("{window}", &window)
                .replace("{project}", &id);
            let before = log_len(&worker, &id);
            let sent: Option<Value> = (!body.is_empty()).then(|| serde_json::from_str(body).unwrap());
            let reply = call(&worker, &token, Some(&id), method, &path, sent.as_ref());
            if allowed.contains(letter) {
                assert!(reply.status < 300, "{role} {method} {pattern}: {}", reply.text());
                if !pattern.ends_with("/test") {
                    assert_eq!(log_len(&worker, &id), before + 1, "{role} {method} {pattern} is logged");
                }
            } else {
                assert_eq!(reply.status, 403, "{role} {method} {pattern}: {}", reply.text());
                assert!(reply.json()["error"].as_str().unwrap().contains(role), "{}", reply.text());
                assert_eq!(log_len(&worker, &id), before, "{role} {method} {pattern} changed nothing");
            }
        }
        // Cross-site writes are refused however the identity arrives.
        for headers in [[("Origin", "https://evil.example")], [("Sec-Fetch-Site", "cross-site")]] {
            let mut sent = headers.to_vec();
            let token = self::token(&email);
            sent.push(("Cf-Access-Jwt-Assertion", &token));
            sent.push(("X-Edgebeat-Project", &id));
            let forged = worker.request("POST", "/api/v3/checks/", &sent, br#"{"name": "forged"}"#);
            assert_eq!(forged.status, 403, "{role} {headers:?}: {}", forged.text());
            assert!(forged.text().contains("cross-site request refused"));
        }
    }
}
