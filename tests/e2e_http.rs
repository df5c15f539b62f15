//! edgebeat at the HTTP edge, against the real Worker under `wrangler dev`:
//! what a client gets for a body over the limit, a body cut short, a method
//! no route takes. See docs/http.md for which layer answers what.

mod support;

use serde_json::json;
use std::time::Duration;
use support::http::{send_streamed, Framing};
use support::{path_of, Worker};

/// Over-limit bodies of 25 to 40 MB, chunked (the size known only by reading)
/// and a few declared up front: each must get its 413 and its documented
/// error, never a reset connection or a 500. Before the Worker read such a
/// body to its end, about one in three chunked ones got no answer.
#[test]
fn every_over_limit_body_gets_its_413() {
    let worker = Worker::start();
    let project = worker.create_project("bodies");
    let check = worker.create_check(&project, json!({"name": "big"}));
    let ping = path_of(&check["ping_url"]);
    let alertmanager = format!("/alertmanager/{}", project.ping_key);
    let sizes = [25_000_000, 40_000_000, 30_000_000, 35_000_000, 27_000_000, 38_000_000, 32_000_000, 26_000_000];
    let mut failures = Vec::new();
    let mut sent = 0;
    let cases = sizes
        .iter()
        .map(|&size| (ping.as_str(), size, Framing::Chunked))
        .chain(sizes[..6].iter().map(|&size| (alertmanager.as_str(), size, Framing::Chunked)))
        .chain([(ping.as_str(), 25_000_000, Framing::Length), (alertmanager.as_str(), 25_000_000, Framing::Length)]);
    for (path, size, framing) in cases {
        sent += 1;
        let what = format!("{} of {size} bytes ({framing:?})", if path == ping { "ping" } else { "alertmanager post" });
        match send_streamed(worker.port, "POST", path, &[("Content-Type", "application/json")], size, framing) {
            Err(err) => failures.push(format!("{what}: no answer ({err})")),
            Ok(response) if response.status != 413 => {
                failures.push(format!("{what}: {} {}", response.status, response.text()))
            }
            Ok(response) if path == ping => assert_eq!(response.text(), "request too large (at most 20000000 bytes)"),
            Ok(response) => assert_eq!(response.json(), json!({"error": "request too large (at most 1000000 bytes)"})),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {sent} over-limit requests got no 413:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(worker.check(&project, check["uuid"].as_str().unwrap())["n_pings"], 0);
    let listed = worker.api(&project.api_key, "GET", "/api/v3/checks/", None).json();
    assert_eq!(listed["checks"].as_array().map(Vec::len), Some(1), "no alertmanager post created a check");
}

/// Sends `head` and the start of a body, then closes the sending side, as a
/// client that dies mid-upload does; reads whatever answer comes.
fn send_cut_short(port: u16, request: &str) -> std::io::Result<support::http::HttpResponse> {
    use std::io::{BufReader, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(60)))?;
    stream.write_all(request.as_bytes())?;
    stream.shutdown(std::net::Shutdown::Write)?;
    let mut reader = BufReader::new(stream);
    let (status_line, headers) = support::http::read_head(&mut reader)?;
    let status = status_line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or_default();
    let body = support::http::read_body(&mut reader, &headers, true)?;
    Ok(support::http::HttpResponse { status, headers, body })
}

/// A body shorter than its `Content-Length`, or a chunked one that stops
/// before its last chunk, is the client's doing: 400 `incomplete request
/// body` (plain text on pings, JSON elsewhere), never a 5xx that invites a
/// retry, and nothing is recorded. Sent to the Worker's own runtime: under
/// `wrangler dev` the proxy in front answers such a request itself (a 500
/// with its stack trace, docs/http.md), and production has no such proxy.
#[test]
fn a_body_cut_short_gets_400_and_records_nothing() {
    let worker = Worker::start();
    let project = worker.create_project("cut");
    let check = worker.create_check(&project, json!({"name": "cut", "slug": "cut"}));
    let ping = path_of(&check["ping_url"]);
    let port = worker.runtime_port();
    let head = |method: &str, path: &str, framing: &str| {
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Api-Key: {}\r\n{framing}\r\n", project.api_key)
    };
    let slug_ping = format!("/ping/{}/cut/fail", project.ping_key);
    let alertmanager = format!("/alertmanager/{}", project.ping_key);
    let cases = [
        // Declared, short of it: read in one call (within PING_BODY_LIMIT)...
        (format!("{}partial log", head("POST", &ping, "Content-Length: 1000\r\n")), true),
        // ...and streamed (over PING_BODY_LIMIT, so only the limit is kept).
        (format!("{}partial log", head("PUT", &slug_ping, "Content-Length: 500000\r\n")), true),
        (format!("{}5\r\nhello\r\n", head("POST", &ping, "Transfer-Encoding: chunked\r\n")), true),
        (format!("{}{{\"alerts\": [", head("POST", &alertmanager, "Content-Length: 800\r\n")), false),
        (format!("{}{{\"name\": ", head("POST", "/api/v3/checks/", "Content-Length: 300\r\n")), false),
    ];
    for (request, plain_text) in cases {
        let what = request.lines().next().unwrap_or_default().to_owned();
        let response = send_cut_short(port, &request).unwrap_or_else(|e| panic!("{what}: no answer ({e})"));
        assert_eq!(response.status, 400, "{what}: {}", response.text());
        if plain_text {
            assert_eq!(response.text(), "incomplete request body", "{what}");
        } else {
            assert_eq!(response.json(), json!({"error": "incomplete request body"}), "{what}");
        }
    }
    let shown = worker.check(&project, check["uuid"].as_str().unwrap());
    assert_eq!((shown["n_pings"].clone(), shown["status"].clone()), (json!(0), json!("new")));
    let listed = worker.api(&project.api_key, "GET", "/api/v3/checks/", None).json();
    assert_eq!(listed["checks"].as_array().map(Vec::len), Some(1), "nothing was created");
}

/// Methods the runtime hands to the Worker but no route takes (TRACE, and
/// the WebDAV and other registered methods workerd knows) get 405 with
/// `Allow` and a JSON error on every kind of route. CONNECT and unknown
/// methods never reach the Worker (docs/http.md).
#[test]
fn methods_no_route_takes_get_405_with_allow() {
    let worker = Worker::start();
    let project = worker.create_project("methods");
    let check = worker.create_check(&project, json!({"name": "m"}));
    let ping = path_of(&check["ping_url"]);
    let badge = path_of(&check["badge_url"]);
    let routes = [
        ("/health", "GET, HEAD"),
        (ping.as_str(), "GET, HEAD, POST, PUT, PATCH, DELETE"),
        (&format!("{ping}/snooze"), "POST"),
        (&badge, "GET, HEAD"),
        (&format!("/projects/{}/metrics/", project.id), "GET, HEAD"),
        (&format!("/alertmanager/{}", project.ping_key), "POST"),
        ("/api/v3/checks/", "GET, POST"),
        ("/api/v3/openapi.json", "GET"),
    ];
    for (path, allow) in routes {
        for method in ["TRACE", "PROPFIND", "QUERY", "PURGE"] {
            let response = worker.request(method, path, &[], b"");
            assert_eq!(response.status, 405, "{method} {path}: {}", response.text());
            assert_eq!(response.header("Allow"), Some(allow), "{method} {path}");
            assert_eq!(response.json(), json!({"error": "method not allowed"}), "{method} {path}");
        }
    }
    assert_eq!(worker.check(&project, check["uuid"].as_str().unwrap())["n_pings"], 0);
}

/// The Worker's own log lines (console output under `wrangler dev`), not
/// wrangler's request log (`[wrangler:info] GET /ping/...`), which shows
/// every path as sent (docs/http.md).
fn worker_lines(log: &str) -> Vec<String> {
    log.lines().filter(|line| !line.contains("[wrangler:")).map(str::to_owned).collect()
}

/// Keys travel in URL paths (`/ping/<uuid>`, `/ping/<ping_key>/<slug>`,
/// `/alertmanager/<ping_key>`, `/projects/<id>/metrics/<read-only key>`),
/// and SELF_PING_URL is itself a ping URL: requests that make the Worker
/// log an error must not put any of them in its log.
#[test]
fn the_workers_own_log_never_shows_a_key_or_a_ping_url() {
    let self_ping_secret = "0b7e6a1c-3d2f-4e5a-9b8c-7d6e5f4a3b2c";
    let closed = support::worker::free_port();
    let self_ping = format!("http://127.0.0.1:{closed}/ping/{self_ping_secret}");
    let worker = Worker::start_with(&[("SELF_PING_URL", &self_ping)]);
    let project = worker.create_project("logs");
    let check = worker.create_check(&project, json!({"name": "logged", "slug": "logged"}));
    let uuid = check["uuid"].as_str().unwrap().to_owned();
    // A sweep that completes pings SELF_PING_URL, which refuses the connection.
    worker.run_sweep(support::now_ms());
    // Storage that fails under every request that carries a key.
    worker.execute_sql("ALTER TABLE checks RENAME TO checks_gone;");
    let firing = json!({"version": "4", "alerts": [{"status": "firing", "labels": {"alertname": "Watchdog"}}]});
    let requests = [
        ("GET", format!("/ping/{uuid}"), Vec::new()),
        ("POST", format!("/ping/{}/logged/fail", project.ping_key), b"output".to_vec()),
        ("POST", format!("/alertmanager/{}", project.ping_key), firing.to_string().into_bytes()),
        ("GET", format!("/projects/{}/metrics/{}", project.id, project.api_key_readonly), Vec::new()),
    ];
    for (method, path, body) in &requests {
        let response = worker.request(method, path, &[], body);
        assert_eq!(response.status, 503, "{method} {path}: {}", response.text());
    }
    let needles = ["ping:", "alertmanager:", "metrics:", "self-ping"];
    let log = worker.log_once(Duration::from_secs(30), |log| {
        let logged = worker_lines(log).join("\n");
        needles.iter().all(|needle| logged.contains(needle))
    });
    let lines = worker_lines(&log);
    let logged = lines.join("\n");
    for needle in needles {
        assert!(logged.contains(needle), "the Worker logged nothing with {needle:?}:\n{logged}");
    }
    let secrets = [
        ("check UUID", uuid.as_str()),
        ("ping key", project.ping_key.as_str()),
        ("read-only key", project.api_key_readonly.as_str()),
        ("API key", project.api_key.as_str()),
        ("SELF_PING_URL", self_ping_secret),
    ];
    for (what, secret) in secrets {
        let shown: Vec<&String> = lines.iter().filter(|line| line.contains(secret)).collect();
        assert!(shown.is_empty(), "the Worker's log shows the {what}:\n{shown:?}");
    }
}
