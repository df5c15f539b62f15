//! Reporting Job runs to their CronJobs' checks (the I/O around `jobs`):
//! each start and end as a ping to the check's uuid with the Job's uid as
//! `rid` and the event's own time as `ts`. The server records each once, so
//! sending one again (the same List fed twice, a periodic sync beside a
//! watch, a restart) is safe: it answers `Edgebeat-Already-Reported` and
//! nothing is recorded or sent.
//!
//! A CronJob's check is the set's check whose description names the
//! CronJob (`k8s::desc_for`, whatever its slug), else the one with the
//! slug k8s-sync gives it.

use crate::client::{ping_once, Api, PingAnswer};
use crate::jobs::Report;
use crate::k8s::{desc_for, slug_for};
use crate::retry::{attempt_timeout, classify, next_delay, RetryPolicy, Verdict};
use edgebeat_core::ids::Uuid;
use edgebeat_core::time::Timestamp;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// The most one report may take, retries included.
const REPORT_BUDGET: Duration = Duration::from_secs(20);

/// One check of the set, as listed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listed {
    pub uuid: String,
    pub paused: bool,
}

/// The set's checks, by description and by slug.
#[derive(Clone, Debug, Default)]
pub struct CheckIndex {
    by_desc: HashMap<String, Listed>,
    by_slug: HashMap<String, Listed>,
}

impl CheckIndex {
    /// Indexes the checks the API listed that carry `marker`.
    pub fn of(listed: &[Value], marker: &str) -> CheckIndex {
        let mut index = CheckIndex::default();
        for check in listed {
            let text = |field: &str| check.get(field).and_then(Value::as_str).unwrap_or_default().to_owned();
            if !text("tags").split_whitespace().any(|t| t == marker) || text("uuid").is_empty() {
                continue;
            }
            let entry = Listed { uuid: text("uuid"), paused: text("status") == "paused" };
            index.by_desc.insert(text("desc"), entry.clone());
            index.by_slug.insert(text("slug"), entry);
        }
        index
    }

    /// The check of CronJob `namespace/name`.
    pub fn entry(&self, namespace: &str, name: &str) -> Option<&Listed> {
        let cronjob = format!("{namespace}/{name}");
        self.by_desc.get(&desc_for(&cronjob)).or_else(|| self.by_slug.get(&slug_for(namespace, name)))
    }

    /// The uuid of the check of CronJob `namespace/name`.
    pub fn find(&self, namespace: &str, name: &str) -> Option<&str> {
        self.entry(namespace, name).map(|check| check.uuid.as_str())
    }

    /// Lists the project's checks of the set `marker`.
    pub fn list(api: &Api, marker: &str) -> Result<CheckIndex, String> {
        let path = format!("checks/?tag={}", crate::percent_encode(marker));
        let listed: Vec<Value> = api.list(&path, "checks").map_err(|e| e.to_string())?;
        Ok(CheckIndex::of(&listed, marker))
    }
}

/// What became of one report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sent {
    Reported,
    AlreadyReported,
    /// Its CronJob has no check of the set (not synced, ignored, or skipped).
    NoCheck,
    /// Its check is paused (its CronJob is suspended): a ping would resume
    /// it, so a suspended CronJob's earlier Jobs are not sent.
    Paused,
    /// Older than a day: the server would refuse it.
    TooOld,
    /// The server refused it, or could not be reached.
    Failed(String),
}

/// What a run of reports did, for the summary.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub reported: usize,
    pub already: usize,
    pub too_old: usize,
    pub paused: usize,
    pub no_check: BTreeSet<String>,
    pub problems: Vec<String>,
}

impl Tally {
    pub fn count(&mut self, report: &Report, sent: Sent) {
        match sent {
            Sent::Reported => self.reported += 1,
            Sent::AlreadyReported => self.already += 1,
            Sent::TooOld => self.too_old += 1,
            Sent::Paused => self.paused += 1,
            Sent::NoCheck => {
                self.no_check.insert(report.cronjob.clone());
            }
            Sent::Failed(problem) => self.problems.push(problem),
        }
    }

    /// One line: what was reported, and what was not and why.
    pub fn summary(&self, orphans: usize) -> String {
        let mut parts = vec![format!("{} reported", self.reported), format!("{} already reported", self.already)];
        if self.too_old > 0 {
            parts.push(format!("{} older than a day, not sent", self.too_old));
        }
        if self.paused > 0 {
            parts.push(format!("{} for paused checks (suspended CronJobs), not sent", self.paused));
        }
        if !self.no_check.is_empty() {
            let names: Vec<&str> = self.no_check.iter().map(String::as_str).collect();
            parts.push(format!("none for CronJobs without a check ({})", names.join(", ")));
        }
        if orphans > 0 {
            parts.push(format!("{orphans} Job{} no CronJob owns, left alone", if orphans == 1 { "" } else { "s" }));
        }
        if !self.problems.is_empty() {
            parts.push(format!("{} not sent", self.problems.len()));
        }
        format!("job runs: {}", parts.join(", "))
    }
}

/// What a dry run knows of the checks the sync before it would make or
/// change: by CronJob description, whether the check would be paused.
pub type Planned = HashMap<String, bool>;

/// Sends reports to the checks of one set.
pub struct Reporter<'a> {
    api: &'a Api,
    marker: String,
    checks: CheckIndex,
    dry_run: bool,
    /// In a dry run, the checks as the sync would leave them.
    planned: Planned,
    /// In a dry run, each check's pings as (run id, type), read once.
    pings: std::cell::RefCell<HashMap<String, Vec<(String, String)>>>,
}

impl<'a> Reporter<'a> {
    pub fn new(api: &'a Api, marker: &str, dry_run: bool) -> Result<Reporter<'a>, String> {
        Ok(Reporter {
            api,
            marker: marker.to_owned(),
            checks: CheckIndex::list(api, marker)?,
            dry_run,
            planned: Planned::new(),
            pings: Default::default(),
        })
    }

    /// A dry run's reporter, which counts the checks the sync would make.
    pub fn planning(mut self, planned: Planned) -> Reporter<'a> {
        self.planned = planned;
        self
    }

    /// Whether the check's pings already hold this report (a dry run's
    /// guess at what the server would answer; its pings are the last ones).
    fn reported_before(&self, uuid: &str, report: &Report) -> bool {
        let mut cache = self.pings.borrow_mut();
        let pings = cache.entry(uuid.to_owned()).or_insert_with(|| {
            let listed: Vec<Value> = self.api.list(&format!("checks/{uuid}/pings/"), "pings").unwrap_or_default();
            let field =
                |ping: &Value, name: &str| ping.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
            listed.iter().map(|ping| (field(ping, "rid"), field(ping, "type"))).collect()
        });
        let kind = match report.signal {
            crate::jobs::Signal::Start => "start",
            crate::jobs::Signal::Success => "success",
            crate::jobs::Signal::Fail => "fail",
        };
        pings.iter().any(|(rid, type_)| *rid == report.rid.to_string() && type_ == kind)
    }

    /// Lists the set's checks again (a CronJob synced since).
    pub fn refresh(&mut self) -> Result<(), String> {
        self.checks = CheckIndex::list(self.api, &self.marker)?;
        Ok(())
    }

    pub fn has_check(&self, report: &Report) -> bool {
        self.checks.find(&report.namespace, &report.cronjob_name).is_some()
    }

    /// Sends one report, printing it when it was news.
    pub fn send(&self, report: &Report, now: Timestamp) -> Sent {
        if !report.reportable(now) {
            return Sent::TooOld;
        }
        let listed = self.checks.entry(&report.namespace, &report.cronjob_name);
        let planned = self.planned.get(&desc_for(&report.cronjob)).copied();
        let Some(paused) = planned.or(listed.map(|check| check.paused)) else {
            return Sent::NoCheck;
        };
        if paused {
            return Sent::Paused;
        }
        if self.dry_run {
            if listed.is_some_and(|check| self.reported_before(&check.uuid, report)) {
                return Sent::AlreadyReported;
            }
            println!("would report {} to {}", report.describe(), report.cronjob);
            return Sent::Reported;
        }
        let Some(uuid) = listed.map(|check| check.uuid.as_str()) else {
            return Sent::NoCheck;
        };
        let url = format!("{}/ping/{uuid}{}?{}", self.api.base(), report.signal.suffix(), report.query());
        match send_with_retries(self.api.agent(), &url, report.body.as_bytes()) {
            Ok(answer) if answer.already_reported => Sent::AlreadyReported,
            Ok(answer) if (200..300).contains(&answer.status) => {
                println!("reported {} to {}", report.describe(), report.cronjob);
                Sent::Reported
            }
            Ok(answer) => Sent::Failed(format!("{}: {} {}", report.describe(), answer.status, answer.body)),
            Err(problem) => Sent::Failed(format!("{}: {problem}", report.describe())),
        }
    }
}

/// One ping, tried again on network trouble and 5xx within the budget.
fn send_with_retries(agent: &ureq::Agent, url: &str, body: &[u8]) -> Result<PingAnswer, String> {
    let policy = RetryPolicy::with_budget(REPORT_BUDGET);
    let started = Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let outcome = ping_once(agent, url, body, attempt_timeout(&policy, started.elapsed()));
        let status = outcome.as_ref().ok().map(|a| a.status);
        if classify(status) != Verdict::Retry {
            return outcome;
        }
        match next_delay(&policy, attempts, started.elapsed()) {
            Some(delay) => std::thread::sleep(delay),
            None => return outcome,
        }
    }
}

/// Reports already sent by this process, by run and signal: a watch prints
/// a Job in full at each change, and its start need not be sent each time.
#[derive(Clone, Debug, Default)]
pub struct SentBefore {
    seen: HashSet<(Uuid, crate::jobs::Signal)>,
}

impl SentBefore {
    /// Whether this report is new to this process; remembers it.
    pub fn first_time(&mut self, report: &Report) -> bool {
        self.seen.insert((report.rid, report.signal))
    }

    pub fn forget(&mut self, report: &Report) {
        self.seen.remove(&(report.rid, report.signal));
    }
}

/// The time now.
fn now() -> Timestamp {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    Timestamp::from_millis(millis)
}

fn say(problems: &[String]) {
    for problem in problems {
        eprintln!("edgebeat: {problem}");
    }
}

/// Reports the starts and ends of the Jobs of one input to their
/// CronJobs' checks, oldest first, and prints a summary; whether every one
/// could be read and sent (or was known already).
pub fn report_jobs(api: &Api, marker: &str, items: &[Value], dry_run: bool, planned: Planned) -> Result<bool, String> {
    let runs = crate::jobs::runs_of(items);
    say(&runs.problems);
    let reporter = Reporter::new(api, marker, dry_run)?.planning(planned);
    let mut tally = Tally::default();
    let now = now();
    for run in &runs.reports {
        tally.count(run, reporter.send(run, now));
    }
    say(&tally.problems);
    println!("{}", tally.summary(runs.orphans.len()));
    Ok(tally.problems.is_empty() && runs.problems.is_empty())
}

/// `k8s-sync --watch`: reads Jobs as kubectl's watch prints them (JSON
/// objects one after another) and reports each start and end as it comes.
/// It creates, changes and prunes no check; a Job whose CronJob has no
/// check yet makes it list the set's checks again (at most twice a
/// minute). The exit status: 1 when a report could not be sent.
pub fn watch(api: &Api, marker: &str, input: Box<dyn Read>, dry_run: bool) -> Result<u8, String> {
    let mut reporter = Reporter::new(api, marker, dry_run)?;
    let mut sent = SentBefore::default();
    let mut listed_at = Instant::now();
    let mut failures = 0;
    println!("watching Jobs: each start and end is reported as it comes");
    let stream = serde_json::Deserializer::from_reader(std::io::BufReader::new(input)).into_iter::<Value>();
    for value in stream {
        let value = value.map_err(|e| format!("the stream is not kubectl's JSON: {e}"))?;
        let runs = crate::jobs::runs_of(&crate::jobs::jobs_in(value));
        say(&runs.problems);
        for run in &runs.reports {
            if !sent.first_time(run) {
                continue;
            }
            if !reporter.has_check(run) && listed_at.elapsed() >= Duration::from_secs(30) {
                listed_at = Instant::now();
                if let Err(problem) = reporter.refresh() {
                    eprintln!("edgebeat: listing the checks: {problem}");
                }
            }
            match reporter.send(run, now()) {
                Sent::Failed(problem) => {
                    // Not sent: the next time the Job changes (or the next sync) tries again.
                    sent.forget(run);
                    failures += 1;
                    eprintln!("edgebeat: {problem}");
                }
                // Tried again when the Job next changes: its check may exist, or be resumed, by then.
                Sent::NoCheck | Sent::Paused => sent.forget(run),
                _ => {}
            }
            let _ = std::io::stdout().flush();
        }
    }
    println!("the stream ended");
    Ok(if failures == 0 { 0 } else { 1 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_cronjob_s_check_is_found_by_its_description_else_by_its_slug() {
        let listed = [
            json!({"uuid": "u1", "slug": "custom", "tags": "k8s db edgebeat:k8s",
                   "desc": "Kubernetes CronJob db/backup (kept by edgebeat k8s-sync)"}),
            json!({"uuid": "u2", "slug": "web-report", "tags": "edgebeat:k8s", "desc": "edited by hand"}),
            json!({"uuid": "u3", "slug": "batch-reindex", "tags": "edgebeat:other",
                   "desc": "Kubernetes CronJob batch/reindex (kept by edgebeat k8s-sync)"}),
            json!({"uuid": "", "slug": "hidden", "tags": "edgebeat:k8s", "desc": ""}),
        ];
        let index = CheckIndex::of(&listed, "edgebeat:k8s");
        assert_eq!(index.find("db", "backup"), Some("u1"), "an edgebeat/slug annotation: by its description");
        assert_eq!(index.find("web", "report"), Some("u2"));
        assert_eq!(index.find("batch", "reindex"), None, "another set's check is not this set's");
        assert_eq!(index.find("web", "other"), None);
    }
}
