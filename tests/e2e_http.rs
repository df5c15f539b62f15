//! edgebeat at the HTTP edge, against the real Worker under `wrangler dev`:
//! what a client gets for a body over the limit, a body cut short, a method
//! no route takes. See docs/http.md for which layer answers what.

mod support;

use serde_json::json;
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
