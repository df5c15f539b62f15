//! The read side end to end: badges in every format and state, and the
//! Prometheus metrics, checked by promtool and by a strict parser.

mod support;

use serde_json::json;
use std::collections::HashMap;
use std::process::Command;
use support::{now_ms, path_of, Project, Worker};

fn setup() -> (Worker, Project) {
    let worker = Worker::start();
    let project = worker.create_project("read side");
    (worker, project)
}

/// Moves a check's last ping into the past, straight in D1: the only honest
/// way to age a check without waiting.
fn age_last_ping(worker: &Worker, uuid: &str, seconds: i64) {
    let at = now_ms() - seconds * 1000;
    worker.execute_sql(&format!("UPDATE checks SET last_ping = {at}, status = 'up' WHERE uuid = '{uuid}';"));
}

#[test]
fn badges_in_every_format_and_state() {
    let (worker, project) = setup();
    let db =
        worker.create_check(&project, json!({"name": "db backup", "tags": "prod db", "timeout": 3600, "grace": 3600}));
    // `edgebeat:<set>` marks the checks a sync set manages: bookkeeping, not a badge.
    let web = worker.create_check(
        &project,
        json!({"name": "web", "tags": "prod web edgebeat:nightly", "timeout": 3600, "grace": 3600}),
    );
    for check in [&db, &web] {
        assert_eq!(worker.get(&path_of(&check["ping_url"])).status, 200);
    }

    // The read-only key lists every badge; no URL reveals a ping URL or key.
    let listed = worker.api(&project.api_key_readonly, "GET", "/api/v3/badges/", None);
    assert_eq!(listed.status, 200, "{}", listed.text());
    let badges = listed.json()["badges"].clone();
    let tags: Vec<&String> = badges.as_object().unwrap().keys().collect();
    assert_eq!(tags, ["*", "db", "prod", "web"]);
    for secret in [
        db["uuid"].as_str().unwrap(),
        web["uuid"].as_str().unwrap(),
        &project.api_key,
        &project.api_key_readonly,
        &project.ping_key,
    ] {
        assert!(!listed.text().contains(secret), "a badge URL leaks {secret}");
    }
    let badge = |tag: &str, format: &str| worker.get(&path_of(&badges[tag][format]));

    let svg = badge("prod", "svg");
    assert_eq!((svg.status, svg.header("content-type")), (200, Some("image/svg+xml")));
    assert!(svg.text().starts_with("<svg") && svg.text().contains(">prod<") && svg.text().contains(">up<"));
    assert!(svg.text().contains("#4c1"), "up is green");
    assert_eq!(badge("*", "json").json(), json!({"status": "up", "total": 2, "grace": 0, "down": 0}));
    assert_eq!(
        badge("db", "shields3").json(),
        json!({"schemaVersion": 1, "label": "db", "message": "up", "color": "success"})
    );

    // One check late (an hour and a half into its hour of grace, which a
    // slow machine's next requests cannot outlast): only three-state badges say so.
    age_last_ping(&worker, web["uuid"].as_str().unwrap(), 5400);
    assert_eq!(badge("prod", "json3").json(), json!({"status": "late", "total": 2, "grace": 1, "down": 0}));
    assert_eq!(badge("prod", "json").json()["status"], "up");
    assert!(badge("web", "svg3").text().contains(">late<"));
    assert_eq!(badge("web", "shields3").json()["color"], "important");
    assert_eq!(badge("db", "json3").json()["status"], "up", "db is not tagged web");

    // One check down: every badge of its tags says so.
    assert_eq!(worker.get(&format!("{}/fail", path_of(&db["ping_url"]))).status, 200);
    assert_eq!(badge("prod", "json").json(), json!({"status": "down", "total": 2, "grace": 1, "down": 1}));
    assert!(badge("db", "svg").text().contains("#e05d44"), "down is red");
    assert_eq!(badge("*", "shields").json()["message"], "down");
    assert_eq!(badge("web", "json").json()["status"], "up");

    // Per-check badges, from the check's badge_url.
    let check_badge = path_of(&worker.check(&project, db["uuid"].as_str().unwrap())["badge_url"]);
    assert!(check_badge.starts_with("/b/2/") && check_badge.ends_with(".svg"), "{check_badge}");
    assert!(worker.get(&check_badge).text().contains(">down<"));
    let web_badge = path_of(&worker.check(&project, web["uuid"].as_str().unwrap())["badge_url"]);
    assert!(worker.get(&web_badge).text().contains(">up<"), "two-state hides late");
    assert!(worker.get(&web_badge.replace("/b/2/", "/b/3/")).text().contains(">late<"));
    assert_eq!(worker.get(&web_badge.replace(".svg", ".json")).json()["grace"], 1);

    // Forged or unknown badge URLs are not found.
    let good = path_of(&badges["prod"]["svg"]);
    let forged = good.replacen("/prod.svg", "/web.svg", 1);
    for path in
        [forged.as_str(), "/badge/nokey/0123456789abcdef/prod.svg", "/b/2/nosuchkey.svg", &good.replace(".svg", ".png")]
    {
        let response = worker.get(path);
        assert_eq!(response.status, 404, "{path}");
        assert!(response.json()["error"].is_string());
    }
}

/// One sample of the text exposition format.
#[derive(Debug)]
struct Sample {
    labels: HashMap<String, String>,
    value: f64,
}

/// A strict parser for what edgebeat emits: HELP and TYPE before each
/// family's samples, quoted label values with \\, \" and \n escapes.
fn parse_metrics(text: &str) -> HashMap<String, Vec<Sample>> {
    let mut families: HashMap<String, Vec<Sample>> = HashMap::new();
    let mut typed: HashMap<String, String> = HashMap::new();
    assert!(text.ends_with('\n'), "the exposition ends with a newline");
    for line in text.lines() {
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            assert!(rest.split_once(' ').is_some_and(|(_, help)| !help.is_empty()), "{line}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or_else(|| panic!("bad TYPE line {line}"));
            assert!(["gauge", "counter"].contains(&kind), "{line}");
            typed.insert(name.to_owned(), kind.to_owned());
            continue;
        }
        let name_end = line.find(['{', ' ']).unwrap_or_else(|| panic!("bad sample {line}"));
        let name = &line[..name_end];
        assert!(typed.contains_key(name), "sample before its TYPE: {line}");
        let mut labels = HashMap::new();
        let mut rest = &line[name_end..];
        if let Some(inner) = rest.strip_prefix('{') {
            let mut chars = inner.char_indices().peekable();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                if c == '}' {
                    end = Some(i);
                    break;
                }
                let key_start = i;
                let mut key_end = i;
                for (j, c) in chars.by_ref() {
                    if c == '=' {
                        key_end = j;
                        break;
                    }
                }
                let key = inner[key_start..key_end].trim_start_matches([',', ' ']).to_owned();
                assert_eq!(chars.next().map(|(_, c)| c), Some('"'), "unquoted label value in {line}");
                let mut value = String::new();
                loop {
                    match chars.next() {
                        Some((_, '\\')) => match chars.next() {
                            Some((_, 'n')) => value.push('\n'),
                            Some((_, c @ ('\\' | '"'))) => value.push(c),
                            other => panic!("bad escape {other:?} in {line}"),
                        },
                        Some((_, '"')) => break,
                        Some((_, '\n')) | None => panic!("unterminated label in {line}"),
                        Some((_, c)) => value.push(c),
                    }
                }
                labels.insert(key, value);
                if let Some((_, ',')) = chars.peek() {
                    chars.next();
                }
            }
            let end = end.unwrap_or_else(|| panic!("unterminated labels in {line}"));
            rest = &inner[end + 1..];
        }
        let value: f64 = rest.trim().parse().unwrap_or_else(|_| panic!("bad value in {line}"));
        families.entry(name.to_owned()).or_default().push(Sample { labels, value });
    }
    families
}

fn value_for(families: &HashMap<String, Vec<Sample>>, metric: &str, label: &str, wanted: &str) -> f64 {
    families[metric]
        .iter()
        .find(|s| s.labels.get(label).map(String::as_str) == Some(wanted))
        .unwrap_or_else(|| panic!("no {metric} with {label}={wanted:?}"))
        .value
}

#[test]
fn prometheus_metrics_for_the_read_only_key() {
    let (worker, project) = setup();
    let tricky = "backup \"nightly\" \\ db\nsecond line";
    let down = worker.create_check(&project, json!({"name": tricky, "tags": "prod db"}));
    let up = worker.create_check(&project, json!({"name": "web", "tags": "prod web"}));
    worker.create_check(&project, json!({"name": "paused one", "tags": "misc"}));
    assert_eq!(worker.post(&format!("{}/fail", path_of(&down["ping_url"])), b"").status, 200);
    assert_eq!(worker.get(&format!("{}/start", path_of(&up["ping_url"]))).status, 200);
    assert_eq!(worker.get(&path_of(&up["ping_url"])).status, 200);
    let paused_uuid = worker.api(&project.api_key, "GET", "/api/v3/checks/?tag=misc", None).json()["checks"][0]["uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(worker.api(&project.api_key, "POST", &format!("/api/v3/checks/{paused_uuid}/pause"), None).status, 200);

    let path = format!("/projects/{}/metrics/{}", project.id, project.api_key_readonly);
    let response = worker.get(&path);
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(response.header("content-type").is_some_and(|t| t.starts_with("text/plain")));
    let text = response.text();
    let families = parse_metrics(&text);
    assert_eq!(value_for(&families, "hc_check_up", "name", tricky), 0.0);
    assert_eq!(value_for(&families, "hc_check_up", "name", "web"), 1.0);
    assert_eq!(value_for(&families, "hc_check_paused", "name", "paused one"), 1.0);
    assert_eq!(value_for(&families, "hc_tag_up", "tag", "prod"), 0.0);
    assert_eq!(value_for(&families, "hc_tag_up", "tag", "web"), 1.0);
    assert_eq!(families["hc_checks_total"][0].value, 3.0);
    assert_eq!(families["hc_checks_down_total"][0].value, 1.0);
    assert_eq!(value_for(&families, "edgebeat_check_pings_total", "name", "web"), 2.0);
    assert!(value_for(&families, "edgebeat_check_last_ping_timestamp_seconds", "name", "web") > 1.7e9);
    assert!(families["edgebeat_check_last_duration_seconds"].iter().any(|s| s.labels["name"] == "web"));
    assert_eq!(families["edgebeat_notifications_pending"][0].value, 0.0);
    let unique_key = worker.api(&project.api_key_readonly, "GET", "/api/v3/checks/?tag=web", None).json()["checks"][0]
        ["unique_key"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        families["hc_check_up"].iter().find(|s| s.labels["name"] == "web").unwrap().labels["unique_key"],
        unique_key
    );

    // promtool accepts it. healthchecks names two gauges `hc_checks_total` and
    // `hc_checks_down_total`; promtool's lint dislikes `_total` on gauges, but
    // renaming them would break existing dashboards and rules, so exactly
    // those two lint remarks are allowed and nothing else.
    let dir = std::env::temp_dir().join(format!("edgebeat-metrics-{}", std::process::id()));
    std::fs::write(&dir, &text).unwrap();
    let output = Command::new("bash")
        .arg("-c")
        .arg(format!("promtool check metrics < '{}'", dir.display()))
        .output()
        .expect("promtool (installed by scripts/setup.sh) runs");
    let _ = std::fs::remove_file(&dir);
    let report = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    let remarks: Vec<&str> = report.lines().filter(|l| !l.trim().is_empty()).collect();
    let allowed = |line: &&str| {
        (line.starts_with("hc_checks_total ") || line.starts_with("hc_checks_down_total "))
            && line.contains("non-counter metrics should not have \"_total\" suffix")
    };
    assert!(remarks.iter().all(allowed), "promtool objects:\n{report}");
    assert!(matches!(output.status.code(), Some(0) | Some(3)), "promtool failed ({:?}):\n{report}", output.status);

    // The bearer form, and the keys that are refused.
    let bearer = format!("Bearer {}", project.api_key_readonly);
    let bare = format!("/projects/{}/metrics/", project.id);
    assert_eq!(worker.request("GET", &bare, &[("Authorization", &bearer)], b"").status, 200);
    assert_eq!(worker.get(&bare).status, 401);
    let other = worker.create_project("other");
    for (path, expected) in [
        (format!("/projects/{}/metrics/{}", project.id, project.api_key), 403),
        (format!("/projects/{}/metrics/hcr_wrongwrongwrongwrongwrongwron", project.id), 403),
        (format!("/projects/{}/metrics/{}", project.id, other.api_key_readonly), 403),
    ] {
        let response = worker.get(&path);
        assert_eq!(response.status, expected, "{path}");
        assert!(response.json()["error"].is_string());
    }
}

#[test]
fn ping_history_is_capped_and_pruned() {
    let worker = Worker::start_with(&[("PING_HISTORY", "5")]);
    let project = worker.create_project("history");
    let check = worker.create_check(&project, json!({"name": "chatty"}));
    let uuid = check["uuid"].as_str().unwrap();
    for i in 0..8 {
        assert_eq!(worker.post(&path_of(&check["ping_url"]), format!("run {i}").as_bytes()).status, 200);
    }
    let pings = worker.pings(&project, uuid);
    let numbers: Vec<i64> = pings.iter().map(|p| p["n"].as_i64().unwrap()).collect();
    assert_eq!(numbers, [8, 7, 6, 5, 4], "the newest five are kept");
    assert_eq!(worker.check(&project, uuid)["n_pings"], 8, "the count keeps counting");
    let body = |n: i64| worker.api(&project.api_key, "GET", &format!("/api/v3/checks/{uuid}/pings/{n}/body"), None);
    assert_eq!(body(4).text(), "run 3");
    assert_eq!(body(3).status, 404, "pruned");
    assert_eq!(body(1).json(), json!({"error": "not found"}));
}
