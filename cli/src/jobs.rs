//! Kubernetes Jobs to run reports: what `kubectl get cronjobs,jobs -A -o
//! json` (or `kubectl get jobs -A --watch -o json`) says of each Job that a
//! CronJob owns, as the start and end pings of a run of that CronJob's
//! check. Pure: `report` sends them.
//!
//! - the run id is the Job's uid, so the server records each start and end
//!   once however often it is reported (the same List fed again, a second
//!   sync, a restart, a watch and a periodic sync side by side);
//! - the time of each is the Job's own (`status.startTime`, the `Complete`
//!   condition's time or `completionTime`, the `Failed` condition's time),
//!   sent as `ts`, so durations and deadlines are the Job's, not the relay's;
//! - a success on the `Complete` condition, a failure on `Failed` with its
//!   reason and message (`BackoffLimitExceeded`, `DeadlineExceeded`, ...)
//!   and the pod counts in the ping's body. `SuccessCriteriaMet` and
//!   `FailureTarget`, which Kubernetes sets while the Job's pods are still
//!   being terminated, are not ends yet;
//! - a Job no CronJob owns (`kubectl create job`, or an orphan whose CronJob
//!   was deleted with `--cascade=orphan`) has no check and is left alone.

use chrono::DateTime;
use edgebeat_core::ids::Uuid;
use edgebeat_core::ping::MAX_EVENT_AGE_SECS;
use edgebeat_core::time::Timestamp;
use serde::Deserialize;
use serde_json::Value;

/// Events older than this are not sent: the server refuses those more than
/// a day old, and this leaves ten minutes for a relay's clock and its way.
pub const REPORTABLE_SECS: i64 = MAX_EVENT_AGE_SECS - 600;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct Job {
    metadata: JobMetadata,
    status: JobStatus,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct JobMetadata {
    name: String,
    namespace: String,
    uid: String,
    owner_references: Vec<OwnerReference>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct OwnerReference {
    kind: String,
    name: String,
    controller: Option<bool>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct JobStatus {
    start_time: Option<String>,
    completion_time: Option<String>,
    conditions: Vec<Condition>,
    active: Option<i64>,
    succeeded: Option<i64>,
    failed: Option<i64>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Condition {
    #[serde(rename = "type")]
    kind: String,
    status: String,
    reason: Option<String>,
    message: Option<String>,
    last_transition_time: Option<String>,
}

/// What a report says about a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Signal {
    Start,
    Success,
    Fail,
}

impl Signal {
    /// The ping URL's suffix.
    pub fn suffix(self) -> &'static str {
        match self {
            Signal::Start => "/start",
            Signal::Success => "",
            Signal::Fail => "/fail",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Signal::Start => "start",
            Signal::Success => "success",
            Signal::Fail => "failure",
        }
    }
}

/// The start or end of one Job, to report to its CronJob's check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The owning CronJob, `<namespace>/<name>`.
    pub cronjob: String,
    pub namespace: String,
    pub cronjob_name: String,
    /// The Job, `<namespace>/<name>`.
    pub job: String,
    /// The Job's uid: the run id.
    pub rid: Uuid,
    pub signal: Signal,
    pub at: Timestamp,
    /// The ping's body: what happened, in words.
    pub body: String,
}

impl Report {
    /// The query of its ping: the run id and the event's time, in seconds.
    pub fn query(&self) -> String {
        let millis = self.at.millis();
        let ts =
            if millis % 1000 == 0 { format!("{}", millis / 1000) } else { format!("{:.3}", millis as f64 / 1000.0) };
        format!("rid={}&ts={ts}", self.rid)
    }

    /// Whether the server still takes it at `now`.
    pub fn reportable(&self, now: Timestamp) -> bool {
        self.at >= now.plus_secs(-REPORTABLE_SECS)
    }

    /// One line for the output.
    pub fn describe(&self) -> String {
        format!("Job {} {} at {}", self.job, self.signal.name(), self.at.iso8601())
    }
}

/// What one Job gives: its reports, or why it gives none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobReports {
    Reports(Vec<Report>),
    /// No CronJob owns it.
    Orphan(String),
    /// It cannot be read as a Job (no uid that is a UUID, a time that is
    /// not one): said, and left alone.
    Unreadable(String),
}

fn time(text: &str, what: &str, job: &str) -> Result<Timestamp, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| Timestamp::from_millis(t.timestamp_millis()))
        .map_err(|_| format!("Job {job}: {what} {text:?} is not a time"))
}

/// The condition of this type that holds, if any.
fn holds<'a>(conditions: &'a [Condition], kind: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.kind == kind && c.status == "True")
}

fn pods(status: &JobStatus) -> String {
    let count = |n: Option<i64>, what: &str| n.filter(|n| *n > 0).map(|n| format!("{n} {what}"));
    let parts: Vec<String> =
        [count(status.succeeded, "succeeded"), count(status.failed, "failed"), count(status.active, "active")]
            .into_iter()
            .flatten()
            .collect();
    if parts.is_empty() {
        "pods: none".to_owned()
    } else {
        format!("pods: {}", parts.join(", "))
    }
}

/// The reports of one Job object (as kubectl prints it).
pub fn job_reports(value: &Value) -> JobReports {
    let job: Job = match serde_json::from_value(value.clone()) {
        Ok(job) => job,
        Err(e) => return JobReports::Unreadable(format!("cannot read a Job: {e}")),
    };
    let meta = &job.metadata;
    let id = format!("{}/{}", meta.namespace, meta.name);
    let owners: Vec<&OwnerReference> = meta.owner_references.iter().filter(|o| o.kind == "CronJob").collect();
    let owner = owners.iter().find(|o| o.controller == Some(true)).or(owners.first());
    let Some(owner) = owner else {
        return JobReports::Orphan(id);
    };
    let Some(rid) = Uuid::parse_any_case(&meta.uid) else {
        return JobReports::Unreadable(format!("Job {id}: its uid {:?} is not a UUID", meta.uid));
    };
    let status = &job.status;
    let report = |signal, at, body: String| Report {
        cronjob: format!("{}/{}", meta.namespace, owner.name),
        namespace: meta.namespace.clone(),
        cronjob_name: owner.name.clone(),
        job: id.clone(),
        rid,
        signal,
        at,
        body,
    };
    let mut reports = Vec::new();
    let result = (|| -> Result<(), String> {
        if let Some(start) = &status.start_time {
            reports.push(report(Signal::Start, time(start, "startTime", &id)?, format!("Job {id} started")));
        }
        let said = |c: &Condition| {
            let reason = c.reason.as_deref().unwrap_or("no reason given");
            match c.message.as_deref() {
                Some(message) if !message.is_empty() => format!("{reason}: {message}"),
                _ => reason.to_owned(),
            }
        };
        if let Some(complete) = holds(&status.conditions, "Complete") {
            let at = complete.last_transition_time.as_ref().or(status.completion_time.as_ref());
            let at = match at {
                Some(text) => time(text, "the Complete condition's time", &id)?,
                None => return Err(format!("Job {id}: complete, but says not when")),
            };
            reports.push(report(
                Signal::Success,
                at,
                format!("Job {id} complete ({}); {}", said(complete), pods(status)),
            ));
        } else if let Some(failed) = holds(&status.conditions, "Failed") {
            let at = match &failed.last_transition_time {
                Some(text) => time(text, "the Failed condition's time", &id)?,
                None => return Err(format!("Job {id}: failed, but says not when")),
            };
            reports.push(report(Signal::Fail, at, format!("Job {id} failed: {}; {}", said(failed), pods(status))));
        }
        Ok(())
    })();
    match result {
        Ok(()) => JobReports::Reports(reports),
        Err(problem) => JobReports::Unreadable(problem),
    }
}

/// The Jobs of one input, as reports in the order to send them (by time,
/// a start before an end at the same second), with the Jobs left alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Runs {
    pub reports: Vec<Report>,
    /// Jobs no CronJob owns.
    pub orphans: Vec<String>,
    pub problems: Vec<String>,
}

pub fn runs_of(jobs: &[Value]) -> Runs {
    let mut runs = Runs::default();
    for job in jobs {
        match job_reports(job) {
            JobReports::Reports(reports) => runs.reports.extend(reports),
            JobReports::Orphan(id) => runs.orphans.push(id),
            JobReports::Unreadable(problem) => runs.problems.push(problem),
        }
    }
    runs.reports.sort_by(|a, b| (a.at, a.signal, &a.job).cmp(&(b.at, b.signal, &b.job)));
    runs
}

/// The Job objects in one value of a watch stream: a Job, a watch event
/// (`--output-watch-events`: `{"type": "MODIFIED", "object": {...}}`), or a
/// List of them. Anything else holds none.
pub fn jobs_in(value: Value) -> Vec<Value> {
    let kind = value.get("kind").and_then(Value::as_str).unwrap_or_default().to_owned();
    match kind.as_str() {
        "Job" => vec![value],
        "List" | "JobList" => match value.get("items").and_then(Value::as_array) {
            Some(items) => items
                .iter()
                .filter(|i| i.get("kind").and_then(Value::as_str).is_none_or(|k| k == "Job"))
                .cloned()
                .collect(),
            None => Vec::new(),
        },
        _ => match value.get("object") {
            Some(object) if value.get("type").is_some() => {
                // A deleted Job's last state says nothing new.
                if value.get("type").and_then(Value::as_str) == Some("DELETED") {
                    return Vec::new();
                }
                jobs_in(object.clone())
            }
            _ => Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        let path = format!("{}/tests/fixtures/k8s/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap()
    }

    fn items(name: &str) -> Vec<Value> {
        fixture(name)["items"].as_array().unwrap().iter().filter(|i| i["kind"] == "Job").cloned().collect()
    }

    fn at(text: &str) -> Timestamp {
        Timestamp::from_millis(DateTime::parse_from_rfc3339(text).unwrap().timestamp_millis())
    }

    #[test]
    fn jobs_running_complete_and_failed_by_backoff_or_deadline() {
        let runs = runs_of(&items("job-outcomes.json"));
        assert_eq!(runs.orphans, ["batch/leftover-28999000", "default/manual-backup"]);
        assert!(runs.problems.is_empty(), "{:?}", runs.problems);
        let seen: Vec<(&str, Signal, Timestamp)> =
            runs.reports.iter().map(|r| (r.job.as_str(), r.signal, r.at)).collect();
        assert_eq!(
            seen,
            [
                ("default/backup-29412370", Signal::Start, at("2026-11-20T01:00:00Z")),
                ("default/backup-29412370", Signal::Success, at("2026-11-20T01:40:00Z")),
                ("reports/digest-29412380", Signal::Start, at("2026-11-20T02:00:00Z")),
                ("reports/digest-29412380", Signal::Fail, at("2026-11-20T02:03:10Z")),
                ("batch/reindex-29412390", Signal::Start, at("2026-11-20T02:10:00Z")),
                ("web/report-29412395", Signal::Start, at("2026-11-20T02:15:00Z")),
                ("batch/reindex-29412390", Signal::Fail, at("2026-11-20T02:40:00Z")),
            ]
        );
        let body = |job: &str, signal| runs.reports.iter().find(|r| r.job == job && r.signal == signal).unwrap();
        let backoff = body("reports/digest-29412380", Signal::Fail);
        assert_eq!(
            backoff.body,
            "Job reports/digest-29412380 failed: BackoffLimitExceeded: Job has reached the specified backoff limit; \
             pods: 3 failed"
        );
        assert_eq!((backoff.cronjob.as_str(), backoff.cronjob_name.as_str()), ("reports/digest", "digest"));
        let deadline = body("batch/reindex-29412390", Signal::Fail);
        assert!(
            deadline.body.starts_with("Job batch/reindex-29412390 failed: DeadlineExceeded: Job was active longer"),
            "{}",
            deadline.body
        );
        let complete = body("default/backup-29412370", Signal::Success);
        assert_eq!(
            complete.body,
            "Job default/backup-29412370 complete (CompletionsReached: Reached expected number of succeeded pods); \
             pods: 1 succeeded"
        );
        assert_eq!(complete.rid.to_string(), "7c0d1e2f-3a4b-4c5d-9e6f-000000002001");
        assert_eq!(complete.query(), "rid=7c0d1e2f-3a4b-4c5d-9e6f-000000002001&ts=1795138800");
    }

    #[test]
    fn a_job_that_is_only_about_to_end_has_not_ended() {
        let mut job =
            items("job-outcomes.json").into_iter().find(|j| j["metadata"]["name"] == "digest-29412380").unwrap();
        // While its pods are terminated, Kubernetes says FailureTarget, not yet Failed.
        let conditions = job["status"]["conditions"].as_array_mut().unwrap();
        conditions.retain(|c| c["type"] != "Failed");
        let JobReports::Reports(reports) = job_reports(&job) else { panic!() };
        assert_eq!(reports.iter().map(|r| r.signal).collect::<Vec<_>>(), [Signal::Start]);
    }

    #[test]
    fn only_events_of_the_last_day_are_sent() {
        let runs = runs_of(&items("job-outcomes.json"));
        let start = &runs.reports[0];
        assert!(start.reportable(start.at.plus_secs(REPORTABLE_SECS)));
        assert!(!start.reportable(start.at.plus_secs(REPORTABLE_SECS + 1)));
    }

    #[test]
    fn bad_jobs_are_said_and_left_alone() {
        let job = |uid: &str, start: &str| {
            serde_json::json!({"kind": "Job", "metadata": {"name": "j", "namespace": "n", "uid": uid,
                "ownerReferences": [{"kind": "CronJob", "name": "c", "controller": true}]},
                "status": {"startTime": start}})
        };
        let no_uuid = job_reports(&job("not-a-uuid", "2026-11-20T01:00:00Z"));
        assert_eq!(no_uuid, JobReports::Unreadable("Job n/j: its uid \"not-a-uuid\" is not a UUID".into()));
        let bad_time = job_reports(&job("7c0d1e2f-3a4b-4c5d-9e6f-000000002001", "yesterday"));
        assert_eq!(bad_time, JobReports::Unreadable("Job n/j: startTime \"yesterday\" is not a time".into()));
        assert!(matches!(job_reports(&serde_json::json!({"metadata": 5})), JobReports::Unreadable(_)));
    }

    #[test]
    fn a_watch_stream_holds_jobs_events_and_lists() {
        let job = serde_json::json!({"kind": "Job", "metadata": {"name": "a"}});
        assert_eq!(jobs_in(job.clone()).len(), 1);
        assert_eq!(jobs_in(serde_json::json!({"type": "MODIFIED", "object": job.clone()})).len(), 1);
        assert!(jobs_in(serde_json::json!({"type": "DELETED", "object": job.clone()})).is_empty());
        let list = serde_json::json!({"kind": "List", "items": [job.clone(), {"kind": "CronJob"}]});
        assert_eq!(jobs_in(list).len(), 1);
        assert!(jobs_in(serde_json::json!({"kind": "CronJob"})).is_empty());
        assert!(jobs_in(serde_json::json!("text")).is_empty());
    }
}
