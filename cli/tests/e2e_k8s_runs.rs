//! Issue 19 end to end: `edgebeat k8s-sync` against the real Worker under
//! `wrangler dev`, fed kubectl's own output (the fixtures in
//! tests/fixtures/k8s, their times moved to around now, as a cluster would
//! print them today). A synced CronJob that never runs goes down at its
//! first slot plus grace and alerts once; a failed Job's check goes down
//! with its reason in the alert; the same document fed three times sends
//! nothing new; a Job that ran 40 minutes, relayed 10 minutes late, records
//! 40 minutes; a watch stream is reported as it comes.

#[path = "../../tests/support/mod.rs"]
mod support;

use chrono::{DateTime, Duration as Span, SecondsFormat, Utc};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use support::{now_ms, Project, Receiver, Worker};

const BIN: &str = env!("CARGO_BIN_EXE_edgebeat");

fn edgebeat(worker: &Worker, project: &Project, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env("EDGEBEAT_URL", format!("http://127.0.0.1:{}", worker.port))
        .env("EDGEBEAT_API_KEY", &project.api_key)
        .env_remove("EDGEBEAT_PING_KEY")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    command
}

fn run(worker: &Worker, project: &Project, args: &[&str]) -> (Option<i32>, String, String) {
    let Output { status, stdout, stderr } = edgebeat(worker, project, args).output().expect("run edgebeat");
    (status.code(), String::from_utf8_lossy(&stdout).into_owned(), String::from_utf8_lossy(&stderr).into_owned())
}

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/k8s").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("a fixture")).expect("JSON")
}

/// Every time in `value` (kubectl writes them `2026-11-20T02:15:00Z`) moved
/// by `by`, and each CronJob's daily schedule with them: its Jobs then start
/// at its slots, whatever the time of day the test runs at (unmoved, a
/// backup's `0 1 * * *` fell between its moved run and now when the test ran
/// between 01:00 and 02:05 UTC).
fn shifted(value: &Value, by: Span) -> Value {
    match value {
        Value::String(text) => match DateTime::parse_from_rfc3339(text) {
            Ok(at) if text.ends_with('Z') => {
                Value::String((at.with_timezone(&Utc) + by).to_rfc3339_opts(SecondsFormat::Secs, true))
            }
            _ => value.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(|v| shifted(v, by)).collect()),
        Value::Object(fields) => {
            let mut moved: serde_json::Map<String, Value> =
                fields.iter().map(|(k, v)| (k.clone(), shifted(v, by))).collect();
            if moved.get("kind").and_then(Value::as_str) == Some("CronJob") {
                if let Some(Value::String(schedule)) = moved.get_mut("spec").and_then(|spec| spec.get_mut("schedule")) {
                    *schedule = daily_schedule_moved(schedule, by);
                }
            }
            Value::Object(moved)
        }
        other => other.clone(),
    }
}

/// `M H * * *` moved by `by` (to the minute that holds the moved slot).
fn daily_schedule_moved(schedule: &str, by: Span) -> String {
    let fields: Vec<&str> = schedule.split_whitespace().collect();
    let [minute, hour, "*", "*", "*"] = fields[..] else {
        panic!("the fixtures' CronJobs run daily: {schedule:?}");
    };
    let slot: i64 = hour.parse::<i64>().expect("an hour") * 60 + minute.parse::<i64>().expect("a minute");
    let moved = (slot * 60 + by.num_seconds()).div_euclid(60).rem_euclid(24 * 60);
    format!("{} {} * * *", moved % 60, moved / 60)
}

/// How far to move the fixtures' times so that `fixture_time` is `ago` before now.
fn shift_to(fixture_time: &str, ago: Span) -> Span {
    let then = DateTime::parse_from_rfc3339(fixture_time).expect("a time").with_timezone(&Utc);
    let now = DateTime::from_timestamp_millis(now_ms()).expect("now");
    now - ago - then
}

fn unix(text: &str) -> i64 {
    DateTime::parse_from_rfc3339(text).expect("a time").timestamp_millis()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("edgebeat-k8s-runs-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn write(dir: &Path, name: &str, value: &Value) -> String {
    let path = dir.join(name);
    // kubectl's own layout: four spaces, keys sorted (serde_json keeps them sorted).
    let mut text = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut text, formatter);
    serde::Serialize::serialize(value, &mut serializer).expect("serialize");
    text.push(b'\n');
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

/// A List of the fixture's items that pass `keep`.
fn list_of(document: &Value, keep: impl Fn(&Value) -> bool) -> Value {
    let items: Vec<Value> = document["items"].as_array().expect("items").iter().filter(|i| keep(i)).cloned().collect();
    json!({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}})
}

fn named(item: &Value, namespace: &str, name: &str) -> bool {
    item["metadata"]["namespace"] == namespace && item["metadata"]["name"] == name
}

/// The project's checks by slug.
fn checks(worker: &Worker, project: &Project) -> Vec<(String, Value)> {
    let listed = worker.api(&project.api_key, "GET", "/api/v3/checks/", None).json();
    let mut checks: Vec<(String, Value)> = listed["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| (c["slug"].as_str().unwrap_or_default().to_owned(), c.clone()))
        .collect();
    checks.sort_by(|a, b| a.0.cmp(&b.0));
    checks
}

fn uuid_of(worker: &Worker, project: &Project, slug: &str) -> String {
    let found = checks(worker, project).into_iter().find(|(s, _)| s == slug).unwrap_or_else(|| panic!("no {slug}"));
    found.1["uuid"].as_str().expect("uuid").to_owned()
}

/// A project with a webhook channel to `receiver`, named `hook`.
fn project_with_hook(worker: &Worker, receiver: &Receiver, name: &str) -> Project {
    let project = worker.create_project(name);
    let spec = json!({"kind": "webhook", "name": "hook", "url": receiver.url("/hook"), "events": ["down", "up"]});
    let made = worker.api(&project.api_key, "POST", "/api/v3/channels/", Some(&spec));
    assert_eq!(made.status, 201, "{}", made.text());
    project
}

fn notifications(worker: &Worker, project: &Project) -> Vec<Value> {
    let listed = worker.notifications_settled(&project.api_key);
    listed["notifications"].as_array().cloned().unwrap_or_default()
}

#[test]
fn a_synced_cronjob_that_never_runs_goes_down_at_its_first_slot_plus_grace_and_alerts_once() {
    let worker = Worker::start();
    let receiver = Receiver::start();
    let project = project_with_hook(&worker, &receiver, "never-runs");
    let dir = scratch("never");
    // kubectl get cronjobs -A -o json with the one CronJob: "0 1 * * *", no Job ever.
    let cronjobs = list_of(&fixture("job-outcomes.json"), |i| i["kind"] == "CronJob" && named(i, "default", "backup"));
    let file = write(&dir, "cronjobs.json", &cronjobs);
    let (code, stdout, stderr) = run(&worker, &project, &["k8s-sync", &file, "--default-channels", "hook"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("1 created, 0 changed, 0 unchanged, 0 pruned"), "{stdout}");
    let uuid = uuid_of(&worker, &project, "default-backup");
    let check = worker.check(&project, &uuid);
    assert_eq!((check["status"].as_str(), check["expect_first_ping"].as_bool()), (Some("new"), Some(true)));
    assert_eq!(check["never_ran_after"], "created");
    // Its first expected run, the next 01:00 UTC after it was made, plus the default grace of an hour.
    let first_slot = support::millis_of(&check["next_ping"]);
    assert_eq!(support::iso(first_slot)[11..], *"01:00:00+00:00");
    assert!(first_slot > now_ms() && first_slot <= now_ms() + 86_400_000);
    let deadline = first_slot + 3_600_000;

    worker.run_sweep(deadline - 60_000);
    assert_eq!(worker.check(&project, &uuid)["status"], "new", "still within its first slot's grace");
    assert!(notifications(&worker, &project).is_empty());
    worker.run_sweep(deadline + 60_000);
    let shown = worker.check(&project, &uuid);
    assert_eq!(shown["status"], "down");
    assert_eq!(shown["never_ran_since"], check["never_ran_since"]);
    let alerts = receiver.wait_for(1, Duration::from_secs(30));
    let alert = alerts[0].json();
    assert_eq!((alert["event"].as_str(), alert["flip"]["reason"].as_str()), (Some("down"), Some("never_ran")));
    let summary = alert["summary"].as_str().expect("a summary");
    assert!(summary.starts_with("default/backup is DOWN: never ran since it was created at "), "{summary}");
    // Sweeps after it send nothing more.
    worker.run_sweep(deadline + 120_000);
    worker.run_sweep(deadline + 3_600_000);
    let queued = notifications(&worker, &project);
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0]["state"], "delivered");
    assert_eq!(receiver.requests().len(), 1);
}

#[test]
fn failed_jobs_go_down_with_their_reason_and_the_same_document_fed_three_times_sends_nothing_new() {
    let worker = Worker::start();
    let receiver = Receiver::start();
    let project = project_with_hook(&worker, &receiver, "job-outcomes");
    let dir = scratch("outcomes");
    // The last event of the fixture (the reindex's deadline, 02:40) five minutes ago.
    let document = shifted(&fixture("job-outcomes.json"), shift_to("2026-11-20T02:40:00Z", Span::minutes(5)));
    let file = write(&dir, "cronjobs-and-jobs.json", &document);

    let (code, stdout, stderr) = run(&worker, &project, &["k8s-sync", &file, "--default-channels", "hook"]);
    assert_eq!(code, Some(0), "{stderr}\n{stdout}");
    assert!(stdout.starts_with("input: a List of 4 CronJobs and 6 Jobs\n"), "{stdout}");
    assert!(stdout.contains("4 created, 0 changed, 0 unchanged, 0 pruned"), "{stdout}");
    assert!(
        stdout.ends_with("job runs: 7 reported, 0 already reported, 2 Jobs no CronJob owns, left alone\n"),
        "{stdout}"
    );
    assert!(stdout.contains("reported Job reports/digest-29412380 failure at "), "{stdout}");
    let status = |slug: &str| worker.check(&project, &uuid_of(&worker, &project, slug))["status"].clone();
    assert_eq!(
        [status("default-backup"), status("reports-digest"), status("batch-reindex"), status("web-report")],
        ["up", "down", "down", "new"]
    );
    assert_eq!(worker.check(&project, &uuid_of(&worker, &project, "web-report"))["started"], true);

    // One down alert per failed Job, each with the Job's reason in the ping it carries.
    let alerts: Vec<Value> = receiver.wait_for(2, Duration::from_secs(30)).iter().map(|r| r.json()).collect();
    let alert_of = |name: &str| {
        alerts.iter().find(|a| a["check"]["name"] == name).unwrap_or_else(|| panic!("no alert for {name}: {alerts:?}"))
    };
    let digest = alert_of("reports/digest");
    assert_eq!((digest["event"].as_str(), digest["flip"]["reason"].as_str()), (Some("down"), Some("fail")));
    assert_eq!(digest["summary"], "reports/digest is DOWN: the job reported a failure");
    let body = digest["last_ping"]["body"].as_str().expect("the failure's body");
    assert!(
        body.contains("Job reports/digest-29412380 failed: BackoffLimitExceeded: Job has reached the specified backoff limit; pods: 3 failed"),
        "{body}"
    );
    let reindex = alert_of("batch/reindex");
    let body = reindex["last_ping"]["body"].as_str().expect("the failure's body");
    assert!(body.contains("failed: DeadlineExceeded: Job was active longer than specified deadline"), "{body}");

    // The same document twice more: acknowledged, nothing recorded, nothing queued.
    let pings_before: Vec<(String, usize)> = checks(&worker, &project)
        .iter()
        .map(|(slug, c)| (slug.clone(), worker.pings(&project, c["uuid"].as_str().unwrap()).len()))
        .collect();
    assert_eq!(
        pings_before,
        [
            ("batch-reindex".into(), 2),
            ("default-backup".into(), 2),
            ("reports-digest".into(), 2),
            ("web-report".into(), 1)
        ]
    );
    for _ in 0..2 {
        let (code, stdout, stderr) = run(&worker, &project, &["k8s-sync", &file, "--default-channels", "hook"]);
        assert_eq!(code, Some(0), "{stderr}");
        assert!(stdout.contains("0 created, 0 changed, 4 unchanged, 0 pruned"), "{stdout}");
        assert!(
            stdout.ends_with("job runs: 0 reported, 7 already reported, 2 Jobs no CronJob owns, left alone\n"),
            "{stdout}"
        );
    }
    let pings_after: Vec<(String, usize)> = checks(&worker, &project)
        .iter()
        .map(|(slug, c)| (slug.clone(), worker.pings(&project, c["uuid"].as_str().unwrap()).len()))
        .collect();
    assert_eq!(pings_after, pings_before);
    let queued = notifications(&worker, &project);
    assert_eq!(queued.len(), 2, "{queued:?}");
    assert!(queued.iter().all(|n| n["state"] == "delivered"), "{queued:?}");
    assert_eq!(receiver.requests().len(), 2);
}

/// A suspended CronJob's check is paused, and its earlier Jobs are not
/// sent (a ping would resume the check); a dry run says what a real run
/// would report, before the checks exist and after.
#[test]
fn a_suspended_cronjobs_jobs_leave_its_check_paused_and_dry_runs_count_truly() {
    let worker = Worker::start();
    let project = worker.create_project("suspended");
    let dir = scratch("suspended");
    let mut document = shifted(&fixture("job-outcomes.json"), shift_to("2026-11-20T02:40:00Z", Span::minutes(5)));
    for item in document["items"].as_array_mut().expect("items") {
        if item["kind"] == "CronJob" && named(item, "default", "backup") {
            item["spec"]["suspend"] = json!(true);
        }
    }
    let file = write(&dir, "suspended.json", &document);
    let summary = |stdout: &str| stdout.lines().last().unwrap_or_default().to_owned();
    let orphans = "2 Jobs no CronJob owns, left alone";
    let paused = "2 for paused checks (suspended CronJobs), not sent";

    // Before any check exists: what the real run will report.
    let (code, stdout, stderr) = run(&worker, &project, &["k8s-sync", &file, "--dry-run"]);
    assert_eq!(code, Some(0), "{stderr}\n{stdout}");
    assert_eq!(summary(&stdout), format!("job runs: 5 reported, 0 already reported, {paused}, {orphans}"));
    assert!(checks(&worker, &project).is_empty(), "a dry run makes nothing");

    let (code, stdout, stderr) = run(&worker, &project, &["k8s-sync", &file]);
    assert_eq!(code, Some(0), "{stderr}\n{stdout}");
    assert_eq!(summary(&stdout), format!("job runs: 5 reported, 0 already reported, {paused}, {orphans}"));
    let backup = uuid_of(&worker, &project, "default-backup");
    assert_eq!(worker.check(&project, &backup)["status"], "paused", "its Jobs did not resume it");
    assert!(worker.pings(&project, &backup).is_empty());

    // Again, dry and real: nothing is news.
    for args in [vec!["k8s-sync", file.as_str(), "--dry-run"], vec!["k8s-sync", file.as_str()]] {
        let (code, stdout, stderr) = run(&worker, &project, &args);
        assert_eq!(code, Some(0), "{stderr}\n{stdout}");
        assert!(!stdout.contains("would report"), "{stdout}");
        assert_eq!(summary(&stdout), format!("job runs: 0 reported, 5 already reported, {paused}, {orphans}"));
    }
    assert_eq!(worker.check(&project, &backup)["status"], "paused");
}

#[test]
fn a_job_relayed_ten_minutes_late_records_its_forty_minutes_and_a_watch_reports_as_jobs_change() {
    let worker = Worker::start();
    let project = worker.create_project("relayed");
    let dir = scratch("relayed");
    // The backup ran from 01:00 to 01:40: it ended ten minutes ago.
    let shift = shift_to("2026-11-20T01:40:00Z", Span::minutes(10));
    let document = shifted(&fixture("job-outcomes.json"), shift);
    let backup = list_of(&document, |i| named(i, "default", "backup") || named(i, "default", "backup-29412370"));
    let file = write(&dir, "backup.json", &backup);
    let (code, stdout, stderr) = run(&worker, &project, &["k8s-sync", &file]);
    assert_eq!(code, Some(0), "{stderr}\n{stdout}");
    assert!(stdout.ends_with("job runs: 2 reported, 0 already reported\n"), "{stdout}");
    let job = &backup["items"][1]["status"];
    let (started, ended) = (unix(job["startTime"].as_str().unwrap()), unix(job["completionTime"].as_str().unwrap()));
    assert_eq!(ended - started, 2_400_000);
    let uuid = uuid_of(&worker, &project, "default-backup");
    let pings = worker.pings(&project, &uuid);
    let kinds: Vec<&str> = pings.iter().map(|p| p["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["success", "start"]);
    assert_eq!(support::millis_of(&pings[0]["date"]), ended, "recorded at the Job's end");
    assert_eq!(support::millis_of(&pings[1]["date"]), started, "recorded at the Job's start");
    assert_eq!(pings[0]["duration"], 2400.0, "40 minutes");
    assert_eq!(pings[0]["rid"], backup["items"][1]["metadata"]["uid"]);
    let check = worker.check(&project, &uuid);
    assert_eq!((check["status"].as_str(), check["last_duration"].as_i64()), (Some("up"), Some(2400)));
    assert_eq!(support::millis_of(&check["last_ping"]), ended);
    let flips = worker.api(&project.api_key, "GET", &format!("/api/v3/checks/{uuid}/flips/"), None).json();
    assert_eq!(flips["flips"].as_array().map(Vec::len), Some(1), "{flips}");
    assert_eq!(flips["flips"][0]["up"], 1);

    // A watch: the report's Job as kubectl prints it at each change, written one object at a time.
    let report = list_of(&document, |i| i["kind"] == "CronJob" && named(i, "web", "report"));
    let (code, _, stderr) = run(&worker, &project, &["k8s-sync", &write(&dir, "report.json", &report), "--no-prune"]);
    assert_eq!(code, Some(0), "{stderr}");
    let report_uuid = uuid_of(&worker, &project, "web-report");
    // Started three minutes ago, ended a minute ago.
    let stream_shift = shift_to("2026-11-20T02:17:00Z", Span::minutes(1));
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/k8s/jobs-watch.json"))
            .expect("the watch fixture");
    let objects: Vec<Value> = serde_json::Deserializer::from_str(&text)
        .into_iter::<Value>()
        .map(|v| shifted(&v.expect("a JSON object"), stream_shift))
        .collect();
    assert_eq!(objects.len(), 3);
    let mut watch = edgebeat(&worker, &project, &["k8s-sync", "--watch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the watch");
    let mut stdin = watch.stdin.take().expect("stdin");
    let mut lines = BufReader::new(watch.stdout.take().expect("stdout")).lines();
    let mut next_line = || lines.next().expect("a line").expect("text");
    assert_eq!(next_line(), "watching Jobs: each start and end is reported as it comes");
    let pretty = |value: &Value| serde_json::to_string_pretty(value).expect("JSON") + "\n";
    stdin.write_all(pretty(&objects[0]).as_bytes()).expect("write");
    stdin.flush().expect("flush");
    // Reported while the stream is still open.
    let line = next_line();
    assert!(line.starts_with("reported Job web/report-29412396 start at "), "{line}");
    assert_eq!(worker.pings(&project, &report_uuid).len(), 1);
    // The pod becoming ready is no news; the end is.
    stdin.write_all(pretty(&objects[1]).as_bytes()).expect("write");
    stdin.write_all(pretty(&objects[2]).as_bytes()).expect("write");
    stdin.flush().expect("flush");
    let line = next_line();
    assert!(line.starts_with("reported Job web/report-29412396 success at "), "{line}");
    drop(stdin);
    assert_eq!(next_line(), "the stream ended");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = watch.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "the watch did not end with its stream");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
    let pings = worker.pings(&project, &report_uuid);
    assert_eq!(pings.iter().map(|p| p["type"].as_str().unwrap()).collect::<Vec<_>>(), ["success", "start"]);
    assert_eq!(pings[0]["duration"], 120.0);
    // The periodic sync seeing the same Job later reports nothing twice.
    let mut later = list_of(&document, |i| i["kind"] == "CronJob" && named(i, "web", "report"));
    later["items"].as_array_mut().unwrap().push(objects[2].clone());
    let (code, stdout, stderr) =
        run(&worker, &project, &["k8s-sync", &write(&dir, "later.json", &later), "--no-prune"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.ends_with("job runs: 0 reported, 2 already reported\n"), "{stdout}");
    assert_eq!(worker.pings(&project, &report_uuid).len(), 2);
}
