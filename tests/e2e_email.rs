//! Email end to end: alerts submitted over SMTP (a real aiosmtpd server on
//! 127.0.0.1 that requires a login) and through wrangler dev's local
//! `send_email` binding, read back with Python's `email` package; and email
//! pings through wrangler dev's local email endpoint.

mod support;

use serde_json::{json, Value};
use std::fs;
use std::thread;
use std::time::{Duration, Instant};
use support::smtp::{SmtpServer, PASSWORD, USER};
use support::{now_ms, path_of, Project, Worker};

const WAIT: Duration = Duration::from_secs(30);
const FROM: &str = "alerts@edgebeat.test";

fn smtp_worker(server: &SmtpServer) -> Worker {
    smtp_worker_on(server.port)
}

/// A Worker that sends email through an SMTP server on 127.0.0.1:`port`.
fn smtp_worker_on(port: u16) -> Worker {
    let port = port.to_string();
    Worker::start_with(&[
        ("SMTP_HOST", "127.0.0.1"),
        ("SMTP_PORT", &port),
        ("SMTP_TLS", "none"),
        ("SMTP_USER", USER),
        ("SMTP_PASSWORD", PASSWORD),
        ("EMAIL_FROM", FROM),
    ])
}

fn email_channel(worker: &Worker, project: &Project, to: Value) -> String {
    let spec = json!({"kind": "email", "name": "ops mail", "to": to});
    let response = worker.api(&project.api_key, "POST", "/api/v3/channels/", Some(&spec));
    assert_eq!(response.status, 201, "{}", response.text());
    let body = response.json();
    assert_eq!(body["settings"]["to"], json!(["ops@example.com", "oncall@example.com"]));
    assert_eq!(body["destination"], "ops@example.com, oncall@example.com");
    body["id"].as_str().unwrap().to_owned()
}

#[test]
fn smtp_delivers_a_down_and_an_up_that_threads_under_it() {
    let server = SmtpServer::start();
    let worker = smtp_worker(&server);
    let project = worker.create_project("mail");
    email_channel(&worker, &project, json!("ops@example.com, oncall@example.com"));
    let name = "nightly <b>backup</b> & \"co\" é";
    let check = worker.create_check(&project, json!({"name": name, "timeout": 60, "grace": 60, "channels": "*"}));
    let body = "<script>alert('x')</script> done & dusted";
    assert_eq!(worker.post(&path_of(&check["ping_url"]), body.as_bytes()).status, 200);
    worker.run_sweep(now_ms() + 121_000);
    let down = &server.wait_for(1, WAIT)[0];
    assert_eq!(down.envelope["mail_from"], FROM);
    assert_eq!(down.envelope["rcpt_tos"], json!(["ops@example.com", "oncall@example.com"]));
    assert_eq!(down.envelope["authenticated"], true, "AUTH with SMTP_USER and SMTP_PASSWORD");
    let parsed = &down.parsed;
    assert_eq!(parsed["defects"], json!([]), "{parsed}");
    // Older readers too find both parts (an RFC 2047-encoded boundary lost them).
    assert_eq!(parsed["legacy_parts"], json!(["text/plain", "text/html"]), "{parsed}");
    assert_eq!(parsed["legacy_defects"], json!([]), "{parsed}");
    assert_eq!(parsed["content_type"], "multipart/alternative");
    assert_eq!(parsed["subject"], format!("DOWN: {name}"));
    assert!(parsed["from"].as_str().unwrap().contains(FROM));
    assert!(parsed["date"].as_str().unwrap().ends_with("+0000"));
    let text = down.part("text/plain");
    assert!(text.contains("no ping on time") && text.contains(body), "{text}");
    let link = format!("http://127.0.0.1:{}/app/#/checks/{}", worker.port, check["uuid"].as_str().unwrap());
    assert!(text.contains(&link), "{text}");
    let html = down.part("text/html");
    assert!(!html.contains("<script>") && !html.contains("<b>backup"), "user input unescaped: {html}");
    assert!(
        html.contains("&lt;script&gt;") && html.contains("nightly &lt;b&gt;backup&lt;/b&gt; &amp; &quot;co&quot;"),
        "{html}"
    );
    assert!(down.raw.split(|b| *b == b'\n').all(|line| line.len() <= 1000), "no line over SMTP's limit");

    assert_eq!(worker.get(&path_of(&check["ping_url"])).status, 200);
    let up = &server.wait_for(2, WAIT)[1];
    assert_eq!(up.parsed["subject"], format!("UP: {name}"));
    let root = down.parsed["message_id"].as_str().unwrap();
    assert_eq!(up.parsed["in_reply_to"].as_str(), Some(root), "up threads under its down");
    assert_eq!(up.parsed["references"].as_str(), Some(root));
    assert_ne!(up.parsed["message_id"].as_str(), Some(root));
    let notifications = worker.notifications_settled(&project.api_key);
    assert!(
        notifications["notifications"].as_array().unwrap().iter().all(|n| n["state"] == "delivered"),
        "{notifications}"
    );
}

#[test]
fn a_mailbox_that_does_not_exist_marks_the_channel_failing_and_a_test_says_why() {
    let server = SmtpServer::start();
    let worker = smtp_worker(&server);
    let project = worker.create_project("gone");
    let spec = json!({"kind": "email", "to": ["gone@example.com"]});
    let created = worker.api(&project.api_key, "POST", "/api/v3/channels/", Some(&spec)).json();
    let path = format!("/api/v3/channels/{}", created["id"].as_str().unwrap());
    let tested = worker.api(&project.api_key, "POST", &format!("{path}/test"), None).json();
    assert_eq!(tested["delivered"], false, "{tested}");
    assert!(tested["error"].as_str().unwrap().contains("550"), "{tested}");
    let failing = worker.api(&project.api_key, "GET", &path, None).json()["failing"].clone();
    assert!(failing["reason"].as_str().unwrap().contains("gone@example.com"), "{failing}");
    assert!(server.received().is_empty());
    let moved = worker.api(&project.api_key, "POST", &path, Some(&json!({"to": "ops@example.com"}))).json();
    assert_eq!(moved["failing"], Value::Null);
    let tested = worker.api(&project.api_key, "POST", &format!("{path}/test"), None).json();
    assert_eq!(tested["delivered"], true, "{tested}");
    let test = &server.wait_for(1, WAIT)[0];
    assert!(test.parsed["subject"].as_str().unwrap().starts_with("TEST: "), "{}", test.parsed);
    // One recipient of two refused: delivered, and the answer names it.
    let both = json!({"to": ["gone2@example.com", "ops@example.com"]});
    assert_eq!(worker.api(&project.api_key, "POST", &path, Some(&both)).status, 200);
    let tested = worker.api(&project.api_key, "POST", &format!("{path}/test"), None).json();
    assert_eq!(tested["delivered"], true, "{tested}");
    let response = tested["response"].as_str().unwrap_or_default();
    assert!(response.contains("refused: gone2@example.com: 550"), "{tested}");
}

/// The path of the message wrangler dev's local `send_email` binding saved,
/// from its log line `Email: <path>`.
fn saved_emails(worker: &Worker) -> Vec<String> {
    worker
        .log()
        .lines()
        .filter_map(|line| line.trim().strip_prefix("Email: ").map(|p| p.trim().to_owned()))
        .filter(|p| p.ends_with(".eml"))
        .collect()
}

#[test]
fn the_send_email_binding_is_used_when_bound() {
    let worker = Worker::start_with_config(&[("EMAIL_FROM", FROM)], "[[send_email]]\nname = \"EMAIL\"\n");
    let project = worker.create_project("binding");
    email_channel(&worker, &project, json!(["ops@example.com", "oncall@example.com"]));
    let check = worker.create_check(&project, json!({"name": "backup <job>", "channels": "*"}));
    assert_eq!(worker.get(&format!("{}/fail", path_of(&check["ping_url"]))).status, 200);
    let deadline = Instant::now() + WAIT;
    let mut saved = saved_emails(&worker);
    while saved.len() < 2 {
        assert!(Instant::now() < deadline, "the binding saved {saved:?}:\n{}", worker.log());
        thread::sleep(Duration::from_millis(200));
        saved = saved_emails(&worker);
    }
    let parsed = support::smtp::parse(std::path::Path::new(&saved[0]));
    assert_eq!(parsed["subject"], "DOWN: backup <job>");
    assert_eq!(parsed["content_type"], "multipart/alternative");
    let html =
        parsed["parts"].as_array().unwrap().iter().find(|p| p["type"] == "text/html").unwrap()["content"].clone();
    assert!(html.as_str().unwrap().contains("backup &lt;job&gt;"), "{html}");
    let notifications = worker.notifications_settled(&project.api_key);
    let first = &notifications["notifications"][0];
    assert_eq!(first["state"], "delivered", "{notifications}");
    let _ = fs::metadata(&saved[0]).map(|m| assert!(m.len() > 500));
}

const PING_DOMAIN: &str = "ping.edgebeat.test";

/// Hands a message to the Worker's email handler through wrangler dev's
/// local email endpoint, as Email Routing would.
fn email_ping(worker: &Worker, to: &str, subject: &str, body: &str) -> support::http::HttpResponse {
    let raw = format!(
        "From: Cron <cron@example.com>\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{}@example.com>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        now_ms()
    );
    let query = format!("from=cron%40example.com&to={}", to.replace('@', "%40").replace('+', "%2B"));
    worker.request(
        "POST",
        &format!("/cdn-cgi/handler/email?{query}"),
        &[("Content-Type", "message/rfc822")],
        raw.as_bytes(),
    )
}

#[test]
fn email_pings_succeed_fail_by_keyword_are_ignored_by_filter_and_unknown_addresses_are_rejected() {
    let worker = Worker::start_with(&[("PING_EMAIL_DOMAIN", PING_DOMAIN)]);
    let project = worker.create_project("email pings");
    let check = worker.create_check(
        &project,
        json!({"name": "nightly", "slug": "nightly", "filter_subject": true, "filter_body": true,
               "success_kw": "Backup OK", "failure_kw": "ERROR,FAILED", "start_kw": "Starting"}),
    );
    let uuid = check["uuid"].as_str().unwrap().to_owned();
    let address = format!("{uuid}@{PING_DOMAIN}");
    assert_eq!(check["email"], address.as_str(), "the check's API object shows its address");

    let ok = email_ping(&worker, &address, "Backup OK", "12 GB in 4 minutes");
    assert_eq!(ok.status, 200, "{}", ok.text());
    let pings = worker.pings(&project, &uuid);
    assert_eq!((pings[0]["type"].as_str(), pings[0]["scheme"].as_str()), (Some("success"), Some("email")));
    assert_eq!(pings[0]["ua"], "Email from cron@example.com");
    assert_eq!(worker.check(&project, &uuid)["status"], "up");
    let n = pings[0]["n"].as_i64().unwrap();
    let stored = worker.api(&project.api_key, "GET", &format!("/api/v3/checks/{uuid}/pings/{n}/body"), None);
    assert!(stored.text().starts_with("Subject: Backup OK") && stored.text().contains("12 GB"), "{}", stored.text());

    // The slug form; a failure keyword in the body.
    let slug_address = format!("{}+nightly@{PING_DOMAIN}", project.ping_key);
    assert_eq!(email_ping(&worker, &slug_address, "Nightly report", "ERROR: disk full").status, 200);
    assert_eq!(worker.pings(&project, &uuid)[0]["type"], "fail");
    assert_eq!(worker.check(&project, &uuid)["status"], "down");

    // No keyword: ignored, the status stays.
    assert_eq!(email_ping(&worker, &address, "Weekly newsletter", "nothing to see").status, 200);
    assert_eq!(worker.pings(&project, &uuid)[0]["type"], "ign");
    assert_eq!(worker.check(&project, &uuid)["status"], "down");

    // Unknown addresses are rejected: the sending server bounces them.
    for unknown in [format!("0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b@{PING_DOMAIN}"), format!("postmaster@{PING_DOMAIN}")]
    {
        let rejected = email_ping(&worker, &unknown, "Backup OK", "");
        assert_ne!(rejected.status, 200, "{unknown}: {}", rejected.text());
        assert!(rejected.text().contains("rejected"), "{}", rejected.text());
    }
    assert_eq!(worker.pings(&project, &uuid).len(), 3);
}

/// A port on 127.0.0.1 that refuses connections for as long as the socket
/// lives: bound, so no other test's server can take it, and not listening.
fn refusing_port() -> (std::os::fd::OwnedFd, u16) {
    use std::os::fd::FromRawFd;
    // SAFETY: plain socket calls on a descriptor this function owns; the
    // address structs are initialised before the kernel reads them.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0, "a socket");
        let owned = std::os::fd::OwnedFd::from_raw_fd(fd);
        let mut address: libc::sockaddr_in = std::mem::zeroed();
        address.sin_family = libc::AF_INET as libc::sa_family_t;
        address.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
        let size = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        assert_eq!(libc::bind(fd, (&raw const address).cast(), size), 0, "bind to 127.0.0.1");
        let mut length = size;
        assert_eq!(libc::getsockname(fd, (&raw mut address).cast(), &mut length), 0, "its address");
        (owned, u16::from_be(address.sin_port))
    }
}

/// An SMTP server that is down: the channel's test says which server did not answer.
#[test]
fn an_smtp_server_that_does_not_answer_is_named_in_the_error() {
    let (_held, closed) = refusing_port();
    let worker = smtp_worker_on(closed);
    let project = worker.create_project("no-smtp");
    let spec = json!({"kind": "email", "name": "mail", "to": ["ops@example.com"]});
    let made = worker.api(&project.api_key, "POST", "/api/v3/channels/", Some(&spec));
    assert_eq!(made.status, 201, "{}", made.text());
    let id = made.json()["id"].as_str().unwrap().to_owned();
    let tested = worker.api(&project.api_key, "POST", &format!("/api/v3/channels/{id}/test"), None).json();
    assert_eq!(tested["delivered"], false, "{tested}");
    let error = tested["error"].as_str().unwrap_or_default();
    assert!(error.starts_with(&format!("SMTP 127.0.0.1:{closed}: no answer")), "{tested}");
}
