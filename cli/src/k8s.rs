//! Kubernetes CronJobs to checks: reads what `kubectl get cronjobs -A -o json`
//! (or `kubectl get cronjobs,jobs -A -o json`) prints and makes one desired
//! check per CronJob, validated with the server's own rules. Pure.
//!
//! - slug `<namespace>-<name>` (dots become dashes; names too long for a slug
//!   are shortened with a hash), name `<namespace>/<name>` (shortened to the
//!   API's 100 characters), tags `k8s` and the namespace, description naming
//!   the CronJob;
//! - the CronJob's `schedule` as the server's core translates it
//!   (`edgebeat_core::cronjob`: `?`, the `@hourly`-style descriptors,
//!   `@every` as a period, a `CRON_TZ=`/`TZ=` prefix as the zone) in its
//!   `timeZone`, or the default zone given to `k8s-sync` (Kubernetes itself
//!   uses the controller manager's zone, normally UTC);
//! - `spec.suspend: true` pauses the check, and un-suspending resumes it.
//!
//! Annotations on the CronJob (all optional):
//!
//! | annotation | meaning |
//! | --- | --- |
//! | `edgebeat/grace` | grace time, seconds or `90s`, `15m`, `1h` (default: `--default-grace`) |
//! | `edgebeat/channels` | channel names, comma-separated; `*` for all (default: `--default-channels`) |
//! | `edgebeat/tags` | more tags, space- or comma-separated |
//! | `edgebeat/slug` | the check's slug instead of `<namespace>-<name>` |
//! | `edgebeat/ignore` | `"true"`: no check for this CronJob (an existing synced one is pruned) |
//! | `edgebeat/failure-threshold` | 1 to 100 consecutive failures before the check goes down (default 1) |
//! | `edgebeat/recovery-threshold` | 1 to 100 consecutive successes before it goes up again (default 1) |
//! | `edgebeat/max-runtime` | how long a started run may take, at least `1m`; `off` (default): grace limits it |
//! | `edgebeat/min-runtime` | a run faster than this is a failure, at least `1s`; `off` (default): no minimum |
//! | `edgebeat/reminder-interval` | reminders while down, at least `5m`; `0` or `off` (default): none |
//! | `edgebeat/expect-first-ping` | `"false"`: a new check waits for its first run forever; by default (`"true"`) a CronJob that never runs goes down at its first scheduled run plus grace |
//!
//! As in a sync file, an alert-policy annotation left out is the API's
//! default, so removing one resets the setting. A bad value (of any
//! annotation, the schedule or the zone) skips the CronJob: it is reported,
//! and its check is left as it is and not pruned.
//!
//! What the input is decides what may be pruned: only a `List` (or a
//! `CronJobList`) is an inventory of the cluster's CronJobs. A single
//! CronJob object prunes nothing, nor does a list that holds no CronJob at
//! all (a kubeconfig pointing at the wrong cluster); and a run that would
//! prune more than `--prune-max` checks changes nothing. The Jobs of
//! `kubectl get cronjobs,jobs` are kept for `jobs`, which makes their runs
//! reports to their CronJobs' checks; items of other kinds are counted and
//! left alone.

use crate::spec::{channel_selector, parse_limit, set_tags, words_of, Desired, Draft};
use edgebeat_core::api::spec::ChannelSelector;
use edgebeat_core::check::{is_valid_slug, Schedule, MAX_NAME, MAX_SLUG};
use edgebeat_core::cronjob::translate;
use edgebeat_core::duration::parse_seconds;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub const ANNOTATION_GRACE: &str = "edgebeat/grace";
pub const ANNOTATION_CHANNELS: &str = "edgebeat/channels";
pub const ANNOTATION_TAGS: &str = "edgebeat/tags";
pub const ANNOTATION_SLUG: &str = "edgebeat/slug";
pub const ANNOTATION_IGNORE: &str = "edgebeat/ignore";
pub const ANNOTATION_FAILURE_THRESHOLD: &str = "edgebeat/failure-threshold";
pub const ANNOTATION_RECOVERY_THRESHOLD: &str = "edgebeat/recovery-threshold";
pub const ANNOTATION_MAX_RUNTIME: &str = "edgebeat/max-runtime";
pub const ANNOTATION_MIN_RUNTIME: &str = "edgebeat/min-runtime";
pub const ANNOTATION_REMINDER_INTERVAL: &str = "edgebeat/reminder-interval";
pub const ANNOTATION_EXPECT_FIRST_PING: &str = "edgebeat/expect-first-ping";

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct CronJob {
    metadata: Metadata,
    spec: CronJobSpec,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct Metadata {
    name: String,
    namespace: String,
    annotations: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct CronJobSpec {
    schedule: String,
    time_zone: Option<String>,
    suspend: Option<bool>,
}

/// What the input is, which decides what may be pruned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// A `List` (or `CronJobList`): the cluster's CronJobs, all of them.
    List,
    /// One object (`kubectl get cronjob x -o json`): never an inventory.
    Single,
}

/// The CronJobs read, and what else the input held.
#[derive(Clone, Debug)]
pub struct Inventory {
    pub scope: Scope,
    pub cronjobs: Vec<CronJobRef>,
    /// The Jobs (of `kubectl get cronjobs,jobs`), as read: their runs are reported.
    pub jobs: Vec<Value>,
    /// Items of other kinds, by kind: counted, not used.
    pub others: BTreeMap<String, usize>,
}

impl Inventory {
    /// One line about the input, for the output.
    pub fn summary(&self) -> String {
        let count = self.cronjobs.len();
        let plural = if count == 1 { "" } else { "s" };
        let jobs = self.jobs.len();
        let mut line = match (self.scope, self.others.keys().next()) {
            (Scope::List, _) if jobs > 0 => {
                format!("input: a List of {count} CronJob{plural} and {jobs} Job{}", if jobs == 1 { "" } else { "s" })
            }
            (Scope::List, _) => format!("input: a List of {count} CronJob{plural}"),
            (Scope::Single, _) if jobs > 0 => {
                return "input: a single Job object, no CronJob: nothing to sync, nothing is pruned".to_owned()
            }
            (Scope::Single, Some(kind)) if count == 0 => {
                return format!("input: a single {kind} object, no CronJob: nothing to sync, nothing is pruned")
            }
            (Scope::Single, _) => "input: a single CronJob object (not an inventory: nothing is pruned)".to_owned(),
        };
        for (kind, count) in &self.others {
            line.push_str(&format!("; {count} {kind} item{} left alone", if *count == 1 { "" } else { "s" }));
        }
        line
    }
}

/// Lists that are inventories, and the kind their items have when they do not say it.
const LIST_KINDS: [(&str, Option<&str>); 3] =
    [("List", None), ("CronJobList", Some("CronJob")), ("JobList", Some("Job"))];

/// Reads the JSON kubectl prints: a `List` (`kubectl get cronjobs -A -o json`,
/// also with Jobs: `kubectl get cronjobs,jobs -A -o json`), a typed list,
/// or a single object.
pub fn parse_input(text: &str) -> Result<Inventory, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("not the JSON of `kubectl get cronjobs -A -o json`: {e}"))?;
    let kind = value.get("kind").and_then(Value::as_str).unwrap_or_default().to_owned();
    let (scope, items, item_kind) = if let Some((_, item_kind)) = LIST_KINDS.iter().find(|(k, _)| *k == kind) {
        let items = value.get("items").and_then(Value::as_array).ok_or(format!("the {kind} has no items"))?;
        (Scope::List, items.clone(), *item_kind)
    } else if kind == "CronJob" || kind == "Job" {
        (Scope::Single, vec![value], None)
    } else {
        return Err(format!("expected a List of CronJobs (kubectl get cronjobs -A -o json), got kind {kind:?}"));
    };
    let mut inventory = Inventory { scope, cronjobs: Vec::new(), jobs: Vec::new(), others: BTreeMap::new() };
    for item in items {
        let kind = item.get("kind").and_then(Value::as_str).or(item_kind).unwrap_or("(no kind)").to_owned();
        if kind == "Job" {
            inventory.jobs.push(item);
            continue;
        }
        if kind != "CronJob" {
            *inventory.others.entry(kind).or_default() += 1;
            continue;
        }
        let job: CronJob = serde_json::from_value(item).map_err(|e| format!("cannot read a CronJob: {e}"))?;
        inventory.cronjobs.push(CronJobRef(job));
    }
    Ok(inventory)
}

/// One CronJob as read.
#[derive(Clone, Debug)]
pub struct CronJobRef(CronJob);

/// Defaults for what a CronJob does not say.
#[derive(Clone, Debug, PartialEq)]
pub struct Defaults {
    pub tz: String,
    pub grace: i64,
    pub channels: ChannelSelector,
}

/// The outcome for the whole input: checks to keep in sync, CronJobs skipped
/// because of a bad annotation or schedule (their checks must not be pruned),
/// and the messages about those.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Converted {
    pub checks: Vec<Desired>,
    /// Slugs of CronJobs that could not be converted: never prune these.
    pub keep: Vec<String>,
    pub problems: Vec<String>,
}

/// A slug from namespace and name: dots become dashes, and a slug longer
/// than the API allows keeps its start and gets a hash of the whole.
pub fn slug_for(namespace: &str, name: &str) -> String {
    let raw: String = format!("{namespace}-{name}")
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '-' | '_' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '-',
        })
        .collect();
    if raw.len() <= MAX_SLUG {
        return raw;
    }
    // FNV-1a: stable across versions and platforms.
    let hash =
        raw.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3));
    format!("{}-{:08x}", &raw[..MAX_SLUG - 9], hash as u32)
}

/// The description of the check of CronJob `<namespace>/<name>`: how
/// reports find it, whatever its slug.
pub fn desc_for(cronjob: &str) -> String {
    format!("Kubernetes CronJob {cronjob} (kept by edgebeat k8s-sync)")
}

/// `<namespace>/<name>`, cut to the API's longest name (a namespace may have
/// 63 characters and a CronJob's name 52).
fn name_for(namespace: &str, name: &str) -> String {
    let full = format!("{namespace}/{name}");
    if full.chars().count() <= MAX_NAME {
        return full;
    }
    let mut cut: String = full.chars().take(MAX_NAME - 1).collect();
    cut.push('…');
    cut
}

impl CronJobRef {
    pub fn id(&self) -> String {
        format!("{}/{}", self.0.metadata.namespace, self.0.metadata.name)
    }

    fn default_slug(&self) -> String {
        slug_for(&self.0.metadata.namespace, &self.0.metadata.name)
    }

    /// The slug its check has (or would have).
    fn slug(&self) -> String {
        self.annotation(ANNOTATION_SLUG).map_or_else(|| self.default_slug(), str::to_owned)
    }

    fn annotation(&self, name: &str) -> Option<&str> {
        self.0.metadata.annotations.get(name).map(|v| v.trim())
    }

    fn ignored(&self) -> bool {
        self.annotation(ANNOTATION_IGNORE).is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// The check this CronJob should have, or every problem with it.
    pub fn desired(&self, defaults: &Defaults, marker: &str) -> Result<Desired, Vec<String>> {
        let meta = &self.0.metadata;
        if meta.name.is_empty() || meta.namespace.is_empty() {
            return Err(vec!["CronJob without a name or namespace".into()]);
        }
        let mut draft = Draft::new();
        match self.annotation(ANNOTATION_SLUG) {
            Some(slug) if !is_valid_slug(slug) => {
                draft.problem(format!("{ANNOTATION_SLUG} {slug:?} is not a slug (a-z, 0-9, - and _)"))
            }
            _ => draft.set("slug", ANNOTATION_SLUG, None, json!(self.slug())),
        }
        draft.set("name", "name", None, json!(name_for(&meta.namespace, &meta.name)));
        let desc = desc_for(&self.id());
        draft.set("desc", "desc", None, json!(desc));
        let mut tags = vec!["k8s".to_owned(), meta.namespace.clone()];
        tags.extend(self.annotation(ANNOTATION_TAGS).map(words_of).unwrap_or_default());
        set_tags(&mut draft, ANNOTATION_TAGS, tags, marker);
        self.schedule(&mut draft, defaults);
        match self.annotation(ANNOTATION_GRACE) {
            Some(text) => match parse_seconds(text) {
                Ok(seconds) => draft.set_seconds("grace", ANNOTATION_GRACE, seconds),
                Err(e) => draft.problem(format!("{ANNOTATION_GRACE}: {e}")),
            },
            None => draft.set_seconds("grace", "--default-grace", defaults.grace),
        }
        for (field, name) in
            [("failure_threshold", ANNOTATION_FAILURE_THRESHOLD), ("recovery_threshold", ANNOTATION_RECOVERY_THRESHOLD)]
        {
            if let Some(text) = self.annotation(name) {
                match text.parse::<i64>() {
                    Ok(value) => draft.set(field, name, Some(value.to_string()), json!(value)),
                    Err(_) => draft.problem(format!("{name}: {text:?} is not a whole number")),
                }
            }
        }
        for (field, name) in [
            ("max_runtime", ANNOTATION_MAX_RUNTIME),
            ("min_runtime", ANNOTATION_MIN_RUNTIME),
            ("reminder_interval", ANNOTATION_REMINDER_INTERVAL),
        ] {
            match self.annotation(name).map(|text| parse_limit(name, text)).transpose() {
                Ok(seconds) => draft.set_limit(field, name, seconds.flatten()),
                Err(problem) => draft.problem(problem),
            }
        }
        match self.annotation(ANNOTATION_EXPECT_FIRST_PING).map(str::to_ascii_lowercase).as_deref() {
            None | Some("true") => draft.set("expect_first_ping", ANNOTATION_EXPECT_FIRST_PING, None, json!(true)),
            Some("false") => draft.set("expect_first_ping", ANNOTATION_EXPECT_FIRST_PING, None, json!(false)),
            Some(other) => {
                draft.problem(format!("{ANNOTATION_EXPECT_FIRST_PING}: {other:?} is neither true nor false"))
            }
        }
        let config = draft.finish()?;
        let channels = match self.annotation(ANNOTATION_CHANNELS) {
            Some(text) => channel_selector(words_of(text)),
            None => defaults.channels.clone(),
        };
        Ok(Desired { config, channels, paused: Some(self.0.spec.suspend.unwrap_or(false)) })
    }

    /// The schedule and its zone, as the server's core translates Kubernetes' schedules.
    fn schedule(&self, draft: &mut Draft, defaults: &Defaults) {
        let spec = &self.0.spec;
        let translated = match translate(&spec.schedule) {
            Ok(translated) => translated,
            Err(problem) => return draft.problem(problem.to_string()),
        };
        let (zone, zone_from) = match (&spec.time_zone, translated.zone) {
            (Some(_), Some(_)) => {
                return draft.problem(format!(
                    "schedule {:?} has a zone prefix and spec.timeZone is set too (Kubernetes refuses both)",
                    spec.schedule
                ))
            }
            (Some(zone), None) => (zone.clone(), "spec.timeZone"),
            (None, Some(zone)) => (zone.name().to_owned(), "schedule"),
            (None, None) => (defaults.tz.clone(), "--default-tz"),
        };
        match (&translated.schedule, translated.schedule.expression()) {
            (Schedule::Simple { timeout }, _) => draft.set_seconds("timeout", "schedule", *timeout),
            (_, expression) => {
                draft.set("schedule", "schedule", None, json!(expression));
                draft.set("tz", zone_from, None, json!(zone));
            }
        }
    }
}

/// Converts every CronJob; a bad one is reported and its check kept as it is.
pub fn convert(jobs: &[CronJobRef], defaults: &Defaults, marker: &str) -> Converted {
    let mut out = Converted::default();
    for job in jobs.iter().filter(|job| !job.ignored()) {
        match job.desired(defaults, marker) {
            Ok(check) => {
                if let Some(first) = out.checks.iter().find(|c| c.slug() == check.slug()) {
                    out.problems.push(format!(
                        "{}: slug {:?} is already used by {}; skipped",
                        job.id(),
                        check.slug(),
                        first.config.name
                    ));
                    continue;
                }
                out.checks.push(check);
            }
            Err(problems) => {
                out.problems.push(format!("{}: {}; its check is left as it is", job.id(), problems.join("; ")));
                out.keep.push(job.slug());
            }
        }
    }
    out
}

/// The most checks one run may prune: a number, or a share of the set's
/// synced checks (`10%`, rounded down).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PruneMax {
    Count(usize),
    Percent(usize),
}

impl PruneMax {
    pub fn parse(text: &str) -> Result<PruneMax, String> {
        let text = text.trim();
        let bad = || format!("--prune-max {text:?}: give a number of checks (5) or a share of the set's checks (10%)");
        match text.strip_suffix('%') {
            Some(percent) => percent.trim().parse().map(PruneMax::Percent).map_err(|_| bad()),
            None => text.parse().map(PruneMax::Count).map_err(|_| bad()),
        }
    }

    /// The limit for a set of `synced` checks.
    pub fn limit(self, synced: usize) -> usize {
        match self {
            PruneMax::Count(count) => count,
            PruneMax::Percent(percent) => synced.saturating_mul(percent) / 100,
        }
    }
}

/// Whether a run that would prune `prunes` of the set's `synced` checks may
/// go ahead; otherwise why not (and then nothing at all is changed).
pub fn prune_allowed(inventory: &Inventory, prunes: &[String], synced: usize, max: PruneMax) -> Result<(), String> {
    if prunes.is_empty() {
        return Ok(());
    }
    let named = |slugs: &[String]| {
        let mut shown: Vec<&str> = slugs.iter().take(5).map(String::as_str).collect();
        if slugs.len() > 5 {
            shown.push("...");
        }
        shown.join(", ")
    };
    if inventory.cronjobs.is_empty() {
        return Err(format!(
            "the input holds no CronJob at all, and pruning would delete all {} synced checks ({}): is kubectl \
             pointed at the right cluster? Nothing changed (--no-prune syncs without pruning)",
            prunes.len(),
            named(prunes)
        ));
    }
    let limit = max.limit(synced);
    if prunes.len() > limit {
        return Err(format!(
            "pruning would delete {} of the set's {synced} synced checks ({}), more than --prune-max allows ({limit}). \
             Nothing changed. If those CronJobs are really gone, run again with --prune-max {} (--no-prune syncs \
             without pruning)",
            prunes.len(),
            named(prunes),
            prunes.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgebeat_core::check::{AlertPolicy, Tags};

    const MARKER: &str = "edgebeat:k8s";

    fn defaults() -> Defaults {
        Defaults { tz: "UTC".into(), grace: 3600, channels: ChannelSelector::Nothing }
    }

    fn fixture(name: &str) -> String {
        let path = format!("{}/tests/fixtures/k8s/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn list(items: &str) -> String {
        format!(r#"{{"apiVersion": "v1", "kind": "List", "metadata": {{"resourceVersion": ""}}, "items": [{items}]}}"#)
    }

    fn job(namespace: &str, name: &str, spec: &str, annotations: &str) -> String {
        format!(
            r#"{{"apiVersion": "batch/v1", "kind": "CronJob",
                "metadata": {{"name": "{name}", "namespace": "{namespace}", "uid": "x", "annotations": {{{annotations}}}}},
                "spec": {{"concurrencyPolicy": "Forbid", "jobTemplate": {{"spec": {{}}}}, {spec}}},
                "status": {{}}}}"#
        )
    }

    fn convert_text(text: &str) -> Converted {
        convert(&parse_input(text).unwrap().cronjobs, &defaults(), MARKER)
    }

    fn cron(check: &Desired) -> (Option<&str>, &str) {
        (check.config.monitoring.schedule.expression(), check.config.monitoring.zone.name())
    }

    #[test]
    fn a_plain_cronjob_becomes_a_cron_check() {
        let out = convert_text(&list(&job("db", "backup", r#""schedule": "15 2 * * *", "suspend": false"#, "")));
        assert!(out.problems.is_empty(), "{:?}", out.problems);
        let [check] = &out.checks[..] else { panic!("{out:?}") };
        assert_eq!(check.slug(), "db-backup");
        assert_eq!(check.config.name, "db/backup");
        assert_eq!(check.config.tags, Tags::parse("k8s db edgebeat:k8s"));
        assert_eq!(cron(check), (Some("15 2 * * *"), "UTC"));
        assert_eq!(check.config.monitoring.grace, 3600);
        assert_eq!(check.paused, Some(false));
        assert_eq!(check.channels, ChannelSelector::Nothing);
        assert_eq!(check.config.monitoring.policy, AlertPolicy::default());
        assert!(check.config.monitoring.expect_first_ping, "a CronJob that never runs is news");
        let waits = r#""edgebeat/expect-first-ping": "False""#;
        let out = convert_text(&list(&job("db", "backup", r#""schedule": "15 2 * * *""#, waits)));
        assert!(!out.checks[0].config.monitoring.expect_first_ping);
    }

    #[test]
    fn kubectls_list_of_cronjobs_and_jobs() {
        let inventory = parse_input(&fixture("cronjobs-and-jobs.json")).unwrap();
        assert_eq!(inventory.scope, Scope::List);
        assert_eq!(inventory.cronjobs.len(), 5);
        assert_eq!(inventory.jobs.len(), 2, "Jobs are kept for their runs");
        assert!(inventory.others.is_empty());
        assert_eq!(inventory.summary(), "input: a List of 5 CronJobs and 2 Jobs");
        let out = convert(&inventory.cronjobs, &defaults(), MARKER);
        assert!(out.problems.is_empty(), "{:?}", out.problems);
        let [weekdays, paused, tokyo, every, backup] = &out.checks[..] else { panic!("{out:?}") };
        // "0 9 ? * MON-FRI", as Kubernetes accepts it, with its timeZone and annotations.
        assert_eq!(cron(weekdays), (Some("0 9 * * MON-FRI"), "Europe/Riga"));
        assert_eq!(weekdays.config.monitoring.grace, 1200);
        assert_eq!(weekdays.channels, ChannelSelector::These(vec!["ops".into()]));
        // Suspended: paused.
        assert_eq!((cron(paused), paused.paused), ((Some("0 0 * * *"), "UTC"), Some(true)));
        // A CRON_TZ= prefix names the zone.
        assert_eq!(cron(tokyo), (Some("30 3 * * *"), "Asia/Tokyo"));
        // @every is a period, with its own annotation.
        assert_eq!(every.config.monitoring.schedule, Schedule::Simple { timeout: 600 });
        assert_eq!(every.config.monitoring.policy.max_runtime, Some(300));
        assert_eq!(cron(backup), (Some("15 2 * * *"), "America/New_York"));
        let policy = backup.config.monitoring.policy;
        assert_eq!((policy.failure_threshold, policy.reminder_interval), (2, 21_600));
    }

    #[test]
    fn a_single_object_an_empty_list_and_jobs_alone() {
        let single = parse_input(&fixture("single-cronjob.json")).unwrap();
        assert_eq!((single.scope, single.cronjobs.len()), (Scope::Single, 1));
        assert!(single.summary().contains("nothing is pruned"), "{}", single.summary());
        let job = fixture("jobs-only.json");
        let one_job = serde_json::from_str::<Value>(&job).unwrap()["items"][0].to_string();
        let one_job = parse_input(&one_job).unwrap();
        assert_eq!((one_job.scope, one_job.cronjobs.len()), (Scope::Single, 0));
        assert_eq!(one_job.summary(), "input: a single Job object, no CronJob: nothing to sync, nothing is pruned");
        let empty = parse_input(&fixture("empty-list.json")).unwrap();
        assert_eq!((empty.scope, empty.cronjobs.len()), (Scope::List, 0));
        let jobs = parse_input(&fixture("jobs-only.json")).unwrap();
        assert_eq!((jobs.scope, jobs.cronjobs.len(), jobs.jobs.len()), (Scope::List, 0, 2));
        let pods = parse_input(r#"{"kind": "List", "items": [{"kind": "Pod"}, {"kind": "Pod"}]}"#).unwrap();
        assert_eq!(pods.summary(), "input: a List of 0 CronJobs; 2 Pod items left alone");
        // A typed list's items need not say their kind.
        let typed = r#"{"kind": "CronJobList", "items": [{"metadata": {"name": "a", "namespace": "b"},
                        "spec": {"schedule": "@hourly"}}]}"#;
        assert_eq!(parse_input(typed).unwrap().cronjobs.len(), 1);
        assert!(parse_input("").is_err());
        assert!(parse_input(r#"{"kind": "PodList", "items": []}"#).unwrap_err().contains("PodList"));
        assert!(parse_input(r#"{"kind": "List"}"#).is_err());
    }

    fn slugs(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn pruning_needs_an_inventory_that_holds_cronjobs_and_stays_under_the_limit() {
        let list = parse_input(&fixture("cronjobs-and-jobs.json")).unwrap();
        let empty = parse_input(&fixture("empty-list.json")).unwrap();
        let jobs = parse_input(&fixture("jobs-only.json")).unwrap();
        let five = PruneMax::Count(5);
        assert_eq!(prune_allowed(&list, &[], 40, five), Ok(()));
        assert_eq!(prune_allowed(&list, &slugs(&["a", "b", "c", "d", "e"]), 40, five), Ok(()));
        let six = slugs(&["a", "b", "c", "d", "e", "f"]);
        let refused = prune_allowed(&list, &six, 40, five).unwrap_err();
        assert!(refused.contains("delete 6 of the set's 40 synced checks (a, b, c, d, e, ...)"), "{refused}");
        assert!(refused.contains("Nothing changed") && refused.contains("--prune-max 6"), "{refused}");
        for nothing in [&empty, &jobs] {
            let refused = prune_allowed(nothing, &slugs(&["a"]), 1, PruneMax::Percent(100)).unwrap_err();
            assert!(refused.starts_with("the input holds no CronJob at all"), "{refused}");
            assert_eq!(prune_allowed(nothing, &[], 0, five), Ok(()), "nothing to prune: nothing refused");
        }
        assert_eq!(PruneMax::parse("10%"), Ok(PruneMax::Percent(10)));
        assert_eq!(PruneMax::parse(" 3 "), Ok(PruneMax::Count(3)));
        assert!(PruneMax::parse("-1").is_err() && PruneMax::parse("lots").is_err());
        assert_eq!(PruneMax::Percent(10).limit(45), 4);
        assert_eq!(PruneMax::Count(0).limit(45), 0);
        assert!(prune_allowed(&list, &slugs(&["a"]), 45, PruneMax::Count(0)).is_err());
    }

    #[test]
    fn a_bad_schedule_among_ten_skips_that_cronjob_only() {
        let inventory = parse_input(&fixture("ten-cronjobs-one-bad.json")).unwrap();
        let out = convert(&inventory.cronjobs, &defaults(), MARKER);
        assert_eq!(out.checks.len(), 9);
        assert_eq!(out.keep, ["fleet-job-04"]);
        let [problem] = &out.problems[..] else { panic!("{out:?}") };
        assert!(
            problem.starts_with("fleet/job-04: schedule \"0 0 30 2 *\" cannot be monitored: day-of-month 30 does not"),
            "{problem}"
        );
    }

    #[test]
    fn alert_policy_annotations() {
        let items = [
            job(
                "db",
                "backup",
                r#""schedule": "@daily""#,
                r#""edgebeat/failure-threshold": "3", "edgebeat/recovery-threshold": " 2 ",
                   "edgebeat/max-runtime": "3h", "edgebeat/min-runtime": "45", "edgebeat/reminder-interval": "4h""#,
            ),
            job(
                "db",
                "off",
                r#""schedule": "@daily""#,
                r#""edgebeat/max-runtime": "off", "edgebeat/min-runtime": "none", "edgebeat/reminder-interval": "0""#,
            ),
        ];
        let out = convert_text(&list(&items.join(",")));
        assert!(out.problems.is_empty(), "{:?}", out.problems);
        let [backup, off] = &out.checks[..] else { panic!("{out:?}") };
        assert_eq!(
            backup.config.monitoring.policy,
            AlertPolicy {
                failure_threshold: 3,
                recovery_threshold: 2,
                max_runtime: Some(10_800),
                min_runtime: Some(45),
                reminder_interval: 14_400
            }
        );
        assert_eq!(off.config.monitoring.policy, AlertPolicy::default());
    }

    #[test]
    fn a_bad_annotation_is_reported_and_its_check_kept() {
        let cases = [
            (r#""edgebeat/failure-threshold": "0""#, "edgebeat/failure-threshold 0 is too small: 1 to 100"),
            (r#""edgebeat/recovery-threshold": "many""#, "edgebeat/recovery-threshold: \"many\" is not a whole number"),
            (r#""edgebeat/max-runtime": "30s""#, "edgebeat/max-runtime 30s is too small: at least 1m"),
            (r#""edgebeat/min-runtime": "0""#, "edgebeat/min-runtime 0s is too small: at least 1s"),
            (r#""edgebeat/min-runtime": "fast""#, "edgebeat/min-runtime: invalid duration \"fast\""),
            (r#""edgebeat/reminder-interval": "1m""#, "edgebeat/reminder-interval 1m is too small: at least 5m"),
            (r#""edgebeat/grace": "soon""#, "edgebeat/grace: invalid duration \"soon\""),
            (
                r#""edgebeat/expect-first-ping": "maybe""#,
                "edgebeat/expect-first-ping: \"maybe\" is neither true nor false",
            ),
            (r#""edgebeat/grace": "5s""#, "edgebeat/grace 5s is too small: at least 1m"),
            (r#""edgebeat/slug": "Not A Slug""#, "edgebeat/slug \"Not A Slug\" is not a slug"),
            (r#""edgebeat/tags": "edgebeat:other""#, "edgebeat/tags: tag \"edgebeat:other\""),
            (
                r#""edgebeat/max-runtime": "5m", "edgebeat/min-runtime": "1h""#,
                "edgebeat/min-runtime (1h) must be less than edgebeat/max-runtime (5m)",
            ),
        ];
        for (annotation, expected) in cases {
            let items = [
                job("a", "bad", r#""schedule": "@hourly""#, annotation),
                job("a", "good", r#""schedule": "@hourly""#, ""),
            ];
            let out = convert_text(&list(&items.join(",")));
            assert_eq!(out.checks.len(), 1, "{annotation}");
            let [problem] = &out.problems[..] else { panic!("{out:?}") };
            assert!(problem.starts_with(&format!("a/bad: {expected}")), "{annotation}: {problem}");
            assert!(problem.ends_with("; its check is left as it is"), "{problem}");
        }
    }

    #[test]
    fn every_problem_of_a_cronjob_is_said_at_once() {
        let item = job(
            "a",
            "bad",
            r#""schedule": "@every 30s""#,
            r#""edgebeat/grace": "5s", "edgebeat/failure-threshold": "0""#,
        );
        let out = convert_text(&list(&item));
        let [problem] = &out.problems[..] else { panic!("{out:?}") };
        assert!(problem.contains("shortest period") && problem.contains("grace") && problem.contains("threshold"));
        assert_eq!(out.keep, ["a-bad"]);
    }

    #[test]
    fn schedules_and_zones_kubernetes_accepts() {
        let items = [
            job("web", "report", r#""schedule": "30 6 * * 1-5", "timeZone": "Europe/Riga""#, ""),
            job("web", "paused", r#""schedule": "@daily", "suspend": true"#, ""),
            job(
                "ops",
                "cleanup.v2",
                r#""schedule": "TZ=Asia/Tokyo 0 * * * *""#,
                r#""edgebeat/grace": "15m", "edgebeat/channels": "ops, on-call", "edgebeat/tags": "team-x""#,
            ),
            job("ops", "all", r#""schedule": "@hourly""#, r#""edgebeat/channels": "*", "edgebeat/slug": "custom""#),
            job("ops", "skip", r#""schedule": "@hourly""#, r#""edgebeat/ignore": "true""#),
            job("ops", "odd-days", r#""schedule": "0 0 */2 * MON""#, ""),
        ];
        let out = convert_text(&list(&items.join(",")));
        assert!(out.problems.is_empty(), "{:?}", out.problems);
        let [report, paused, cleanup, all, odd] = &out.checks[..] else { panic!("{out:?}") };
        assert_eq!(cron(report), (Some("30 6 * * 1-5"), "Europe/Riga"));
        assert_eq!(cron(paused), (Some("0 0 * * *"), "UTC"));
        assert_eq!(paused.paused, Some(true));
        assert_eq!(cleanup.slug(), "ops-cleanup-v2");
        assert_eq!(cron(cleanup), (Some("0 * * * *"), "Asia/Tokyo"));
        assert_eq!(cleanup.config.monitoring.grace, 900);
        assert_eq!(cleanup.channels, ChannelSelector::These(vec!["ops".into(), "on-call".into()]));
        assert_eq!(cleanup.config.tags, Tags::parse("k8s ops team-x edgebeat:k8s"));
        assert_eq!(all.slug(), "custom");
        assert_eq!(all.channels, ChannelSelector::All);
        assert_eq!(cron(odd), (Some("0 0 1-31/2 * MON"), "UTC"), "robfig ORs a stepped day field");
    }

    #[test]
    fn zones_are_checked_and_never_given_twice() {
        let items = [
            job("a", "mars", r#""schedule": "@hourly", "timeZone": "Mars/Olympus""#, ""),
            job("a", "both", r#""schedule": "CRON_TZ=UTC @hourly", "timeZone": "Europe/Riga""#, ""),
            job("a", "legacy", r#""schedule": "@hourly", "timeZone": "US/Eastern""#, ""),
        ];
        let out = convert_text(&list(&items.join(",")));
        assert_eq!(out.problems.len(), 2, "{:?}", out.problems);
        assert!(out.problems[0].starts_with("a/mars: spec.timeZone: unknown time zone"), "{:?}", out.problems);
        assert!(out.problems[1].contains("Kubernetes refuses both"), "{:?}", out.problems);
        assert_eq!(cron(&out.checks[0]), (Some("0 * * * *"), "America/New_York"));
    }

    #[test]
    fn the_default_zone_grace_and_channels_apply() {
        let d = Defaults {
            tz: "America/New_York".into(),
            grace: 600,
            channels: ChannelSelector::These(vec!["ops".into()]),
        };
        let jobs = parse_input(&list(&job("a", "b", r#""schedule": "0 3 * * *""#, ""))).unwrap();
        let out = convert(&jobs.cronjobs, &d, MARKER);
        assert_eq!(cron(&out.checks[0]), (Some("0 3 * * *"), "America/New_York"));
        assert_eq!(out.checks[0].config.monitoring.grace, 600);
        assert_eq!(out.checks[0].channels, ChannelSelector::These(vec!["ops".into()]));
    }

    #[test]
    fn long_names_get_a_stable_short_slug_and_a_name_the_api_takes() {
        let namespace = "n".repeat(63);
        let name = "j".repeat(52);
        let slug = slug_for(&namespace, &name);
        assert_eq!(slug.len(), 100);
        assert!(is_valid_slug(&slug));
        assert_eq!(slug, slug_for(&namespace, &name));
        assert_ne!(slug, slug_for(&namespace, &"k".repeat(52)));
        assert_eq!(slug_for("default", "Back.Up"), "default-back-up");
        // 63 + 1 + 52 characters: more than a check's name may have.
        let out = convert_text(&list(&job(&namespace, &name, r#""schedule": "@hourly""#, "")));
        assert!(out.problems.is_empty(), "{:?}", out.problems);
        assert_eq!(out.checks[0].config.name.chars().count(), MAX_NAME);
        assert!(out.checks[0].config.name.ends_with('…'));
    }
}
