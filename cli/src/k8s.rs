//! Kubernetes CronJobs to checks: reads what `kubectl get cronjobs -A -o json`
//! prints and makes one desired check per CronJob. Pure.
//!
//! - slug `<namespace>-<name>` (dots become dashes; names too long for a slug
//!   are shortened with a hash), name `<namespace>/<name>`, tags `k8s` and the
//!   namespace, description naming the CronJob;
//! - the CronJob's `schedule` (the `@hourly`-style macros become five fields,
//!   a `CRON_TZ=`/`TZ=` prefix becomes the zone) in its `timeZone`, or the
//!   default zone given to `k8s-sync` (Kubernetes itself uses the controller
//!   manager's zone, normally UTC);
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
//!
//! As in a sync file, an alert-policy annotation left out is the API's
//! default, so removing one resets the setting. A bad value (of any
//! annotation) skips the CronJob: it is reported, and its check is left as
//! it is and not pruned.

use crate::duration::parse_seconds;
use crate::spec::{
    check_max_runtime, check_min_runtime, check_period, check_reminder_interval, check_threshold, is_slug, parse_limit,
    AlertPolicy, Channels, Desired, Schedule, MAX_SLUG,
};
use serde::Deserialize;
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

#[derive(Clone, Debug, Deserialize)]
struct List {
    kind: Option<String>,
    items: Option<Vec<CronJob>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct CronJob {
    kind: Option<String>,
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

/// Defaults for what a CronJob does not say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Defaults {
    pub tz: String,
    pub grace: i64,
    pub channels: Channels,
}

/// The outcome for the whole list: checks to keep in sync, CronJobs skipped
/// because of a bad annotation or schedule (their checks must not be pruned),
/// and the messages about those.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Converted {
    pub checks: Vec<Desired>,
    /// Slugs of CronJobs that could not be converted: never prune these.
    pub keep: Vec<String>,
    pub problems: Vec<String>,
}

/// Reads the `kubectl get cronjobs -A -o json` output. A single CronJob
/// object (`kubectl get cronjob x -o json`) is read as a list of one.
pub fn parse_list(text: &str) -> Result<Vec<CronJobRef>, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not the JSON of `kubectl get cronjobs -A -o json`: {e}"))?;
    let kind = value.get("kind").and_then(|k| k.as_str()).unwrap_or_default().to_owned();
    let jobs: Vec<CronJob> = match kind.as_str() {
        "List" | "CronJobList" => {
            let list: List = serde_json::from_value(value).map_err(|e| format!("cannot read the list: {e}"))?;
            let _ = list.kind;
            list.items.ok_or("the list has no items field")?
        }
        "CronJob" => vec![serde_json::from_value(value).map_err(|e| format!("cannot read the CronJob: {e}"))?],
        other => {
            return Err(format!("expected a List of CronJobs (kubectl get cronjobs -A -o json), got kind {other:?}"))
        }
    };
    let mut refs = Vec::new();
    for job in jobs {
        if job.kind.as_deref().is_some_and(|k| k != "CronJob") {
            continue;
        }
        refs.push(CronJobRef(job));
    }
    Ok(refs)
}

/// One CronJob as read.
#[derive(Clone, Debug)]
pub struct CronJobRef(CronJob);

/// The five-field form of the macros Kubernetes accepts.
fn expand_macro(schedule: &str) -> Option<&'static str> {
    Some(match schedule {
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@monthly" => "0 0 1 * *",
        "@weekly" => "0 0 * * 0",
        "@daily" | "@midnight" => "0 0 * * *",
        "@hourly" => "0 * * * *",
        _ => return None,
    })
}

/// Splits a `CRON_TZ=Zone expr` or `TZ=Zone expr` prefix off a schedule.
fn split_zone(schedule: &str) -> (Option<&str>, &str) {
    for prefix in ["CRON_TZ=", "TZ="] {
        if let Some(rest) = schedule.strip_prefix(prefix) {
            if let Some((zone, expr)) = rest.split_once(char::is_whitespace) {
                return (Some(zone), expr.trim());
            }
        }
    }
    (None, schedule)
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

fn words(text: &str) -> Vec<String> {
    text.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

impl CronJobRef {
    pub fn id(&self) -> String {
        format!("{}/{}", self.0.metadata.namespace, self.0.metadata.name)
    }

    fn default_slug(&self) -> String {
        slug_for(&self.0.metadata.namespace, &self.0.metadata.name)
    }

    fn annotation(&self, name: &str) -> Option<&str> {
        self.0.metadata.annotations.get(name).map(|v| v.trim())
    }

    /// The check this CronJob should have, or `None` when it is ignored.
    pub fn desired(&self, defaults: &Defaults) -> Result<Option<Desired>, String> {
        if self.annotation(ANNOTATION_IGNORE).is_some_and(|v| v.eq_ignore_ascii_case("true")) {
            return Ok(None);
        }
        let meta = &self.0.metadata;
        if meta.name.is_empty() || meta.namespace.is_empty() {
            return Err("CronJob without a name or namespace".into());
        }
        let slug = match self.annotation(ANNOTATION_SLUG) {
            Some(slug) if is_slug(slug) => slug.to_owned(),
            Some(slug) => return Err(format!("{ANNOTATION_SLUG} {slug:?} is not a slug (a-z, 0-9, - and _)")),
            None => self.default_slug(),
        };
        let mut check = Desired::new(&slug);
        check.name = self.id();
        check.desc = format!("Kubernetes CronJob {} (kept by edgebeat k8s-sync)", self.id());
        check.tags = vec!["k8s".into(), meta.namespace.clone()];
        if let Some(tags) = self.annotation(ANNOTATION_TAGS) {
            check.tags.extend(words(tags));
        }
        check.tags.dedup();
        if let Some(tag) = check.tags.iter().find(|t| t.starts_with(crate::spec::MARKER_PREFIX)) {
            return Err(format!("{ANNOTATION_TAGS}: tag {tag:?} is reserved for sync's markers"));
        }
        let schedule = self.0.spec.schedule.trim();
        if schedule.is_empty() {
            return Err("the CronJob has no schedule".into());
        }
        let (prefixed_zone, expr) = split_zone(schedule);
        let expr = expand_macro(expr).map_or_else(|| expr.to_owned(), str::to_owned);
        if expr.starts_with('@') {
            return Err(format!("schedule {expr:?} is not supported (only the @hourly-style macros and 5 fields)"));
        }
        let tz = self.0.spec.time_zone.as_deref().or(prefixed_zone).unwrap_or(&defaults.tz).to_owned();
        check.schedule = Schedule::Cron { expr, tz };
        check.grace = match self.annotation(ANNOTATION_GRACE) {
            Some(text) => {
                check_period(ANNOTATION_GRACE, parse_seconds(text).map_err(|e| format!("{ANNOTATION_GRACE}: {e}"))?)?
            }
            None => defaults.grace,
        };
        check.channels = match self.annotation(ANNOTATION_CHANNELS) {
            Some("*") => Channels::All,
            Some(text) => Channels::These(words(text)),
            None => defaults.channels.clone(),
        };
        check.paused = Some(self.0.spec.suspend.unwrap_or(false));
        check.alerts = self.alert_policy()?;
        Ok(Some(check))
    }

    /// The alert policy from the annotations; each one absent is the API's default.
    fn alert_policy(&self) -> Result<AlertPolicy, String> {
        let mut policy = AlertPolicy::default();
        for (name, target) in [
            (ANNOTATION_FAILURE_THRESHOLD, &mut policy.failure_threshold),
            (ANNOTATION_RECOVERY_THRESHOLD, &mut policy.recovery_threshold),
        ] {
            if let Some(text) = self.annotation(name) {
                let value = text.parse().map_err(|_| format!("{name}: {text:?} is not a whole number"))?;
                *target = check_threshold(name, value)?;
            }
        }
        let limit = |name: &str| self.annotation(name).map(|text| parse_limit(name, text)).transpose();
        policy.max_runtime = check_max_runtime(ANNOTATION_MAX_RUNTIME, limit(ANNOTATION_MAX_RUNTIME)?.flatten())?;
        policy.min_runtime = check_min_runtime(ANNOTATION_MIN_RUNTIME, limit(ANNOTATION_MIN_RUNTIME)?.flatten())?;
        policy.reminder_interval =
            check_reminder_interval(ANNOTATION_REMINDER_INTERVAL, limit(ANNOTATION_REMINDER_INTERVAL)?.flatten())?;
        policy.consistent(ANNOTATION_MIN_RUNTIME, ANNOTATION_MAX_RUNTIME)
    }
}

/// Converts every CronJob; a bad one is reported and its check kept as it is.
pub fn convert(jobs: &[CronJobRef], defaults: &Defaults) -> Converted {
    let mut out = Converted::default();
    for job in jobs {
        match job.desired(defaults) {
            Ok(Some(check)) => {
                if let Some(first) = out.checks.iter().find(|c| c.slug == check.slug) {
                    out.problems.push(format!(
                        "{}: slug {:?} is already used by {}; skipped",
                        job.id(),
                        check.slug,
                        first.name
                    ));
                    continue;
                }
                out.checks.push(check);
            }
            Ok(None) => {}
            Err(problem) => {
                out.problems.push(format!("{}: {problem}; its check is left as it is", job.id()));
                out.keep.push(job.annotation(ANNOTATION_SLUG).map_or_else(|| job.default_slug(), str::to_owned));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Defaults {
        Defaults { tz: "UTC".into(), grace: 3600, channels: Channels::These(vec![]) }
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
        convert(&parse_list(text).unwrap(), &defaults())
    }

    #[test]
    fn a_plain_cronjob_becomes_a_cron_check() {
        let out = convert_text(&list(&job("db", "backup", r#""schedule": "15 2 * * *", "suspend": false"#, "")));
        assert!(out.problems.is_empty(), "{:?}", out.problems);
        let [check] = &out.checks[..] else { panic!("{out:?}") };
        assert_eq!(check.slug, "db-backup");
        assert_eq!(check.name, "db/backup");
        assert_eq!(check.tags, ["k8s", "db"]);
        assert_eq!(check.schedule, Schedule::Cron { expr: "15 2 * * *".into(), tz: "UTC".into() });
        assert_eq!(check.grace, 3600);
        assert_eq!(check.paused, Some(false));
        assert_eq!(check.channels, Channels::These(vec![]));
        assert_eq!(check.alerts, AlertPolicy::default());
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
            backup.alerts,
            AlertPolicy {
                failure_threshold: 3,
                recovery_threshold: 2,
                max_runtime: Some(10_800),
                min_runtime: Some(45),
                reminder_interval: 14_400
            }
        );
        assert_eq!(off.alerts, AlertPolicy::default());
    }

    #[test]
    fn a_bad_alert_policy_annotation_is_reported_and_its_check_kept() {
        let cases = [
            (r#""edgebeat/failure-threshold": "0""#, "edgebeat/failure-threshold 0 is out of range: 1 to 100"),
            (r#""edgebeat/recovery-threshold": "many""#, "edgebeat/recovery-threshold: \"many\" is not a whole number"),
            (r#""edgebeat/max-runtime": "30s""#, "edgebeat/max-runtime 30s is too small: at least 1m"),
            (r#""edgebeat/min-runtime": "0""#, "edgebeat/min-runtime 0s is too small: at least 1s"),
            (r#""edgebeat/min-runtime": "fast""#, "edgebeat/min-runtime: invalid duration \"fast\""),
            (r#""edgebeat/reminder-interval": "1m""#, "edgebeat/reminder-interval 60s is too small: at least 5m"),
            (
                r#""edgebeat/max-runtime": "5m", "edgebeat/min-runtime": "1h""#,
                "edgebeat/min-runtime (3600s) must be less than edgebeat/max-runtime (300s)",
            ),
        ];
        for (annotation, expected) in cases {
            let items = [
                job("a", "bad", r#""schedule": "@hourly""#, annotation),
                job("a", "good", r#""schedule": "@hourly""#, ""),
            ];
            let out = convert_text(&list(&items.join(",")));
            assert_eq!(out.checks.len(), 1, "{annotation}");
            assert_eq!(out.keep, ["a-bad"], "{annotation}");
            let [problem] = &out.problems[..] else { panic!("{out:?}") };
            assert!(problem.starts_with(&format!("a/bad: {expected}")), "{annotation}: {problem}");
            assert!(problem.ends_with("; its check is left as it is"), "{problem}");
        }
    }

    #[test]
    fn zone_suspension_and_annotations() {
        let items = [
            job("web", "report", r#""schedule": "30 6 * * 1-5", "timeZone": "Europe/Riga""#, ""),
            job("web", "paused", r#""schedule": "@daily", "suspend": true"#, ""),
            job(
                "ops",
                "cleanup.v2",
                r#""schedule": "CRON_TZ=Asia/Tokyo 0 * * * *""#,
                r#""edgebeat/grace": "15m", "edgebeat/channels": "ops, on-call", "edgebeat/tags": "team-x""#,
            ),
            job("ops", "all", r#""schedule": "@hourly""#, r#""edgebeat/channels": "*", "edgebeat/slug": "custom""#),
            job("ops", "skip", r#""schedule": "@hourly""#, r#""edgebeat/ignore": "true""#),
        ];
        let out = convert_text(&list(&items.join(",")));
        assert!(out.problems.is_empty(), "{:?}", out.problems);
        let [report, paused, cleanup, all] = &out.checks[..] else { panic!("{out:?}") };
        assert_eq!(report.schedule, Schedule::Cron { expr: "30 6 * * 1-5".into(), tz: "Europe/Riga".into() });
        assert_eq!(paused.schedule, Schedule::Cron { expr: "0 0 * * *".into(), tz: "UTC".into() });
        assert_eq!(paused.paused, Some(true));
        assert_eq!(cleanup.slug, "ops-cleanup-v2");
        assert_eq!(cleanup.schedule, Schedule::Cron { expr: "0 * * * *".into(), tz: "Asia/Tokyo".into() });
        assert_eq!(cleanup.grace, 900);
        assert_eq!(cleanup.channels, Channels::These(vec!["ops".into(), "on-call".into()]));
        assert_eq!(cleanup.tags, ["k8s", "ops", "team-x"]);
        assert_eq!(all.slug, "custom");
        assert_eq!(all.channels, Channels::All);
    }

    #[test]
    fn the_default_zone_grace_and_channels_apply() {
        let d = Defaults { tz: "America/New_York".into(), grace: 600, channels: Channels::These(vec!["ops".into()]) };
        let jobs = parse_list(&list(&job("a", "b", r#""schedule": "0 3 * * *""#, ""))).unwrap();
        let out = convert(&jobs, &d);
        assert_eq!(out.checks[0].schedule, Schedule::Cron { expr: "0 3 * * *".into(), tz: "America/New_York".into() });
        assert_eq!(out.checks[0].grace, 600);
        assert_eq!(out.checks[0].channels, Channels::These(vec!["ops".into()]));
    }

    #[test]
    fn a_bad_cronjob_is_reported_and_its_check_kept() {
        let items = [
            job("a", "bad-grace", r#""schedule": "@hourly""#, r#""edgebeat/grace": "soon""#),
            job("a", "tiny-grace", r#""schedule": "@hourly""#, r#""edgebeat/grace": "5s""#),
            job("a", "every", r#""schedule": "@every 5m""#, ""),
            job("a", "good", r#""schedule": "@hourly""#, ""),
        ];
        let out = convert_text(&list(&items.join(",")));
        assert_eq!(out.checks.len(), 1);
        assert_eq!(out.keep, ["a-bad-grace", "a-tiny-grace", "a-every"]);
        assert_eq!(out.problems.len(), 3);
        assert!(out.problems[0].starts_with("a/bad-grace: edgebeat/grace"), "{:?}", out.problems);
    }

    #[test]
    fn long_names_get_a_stable_short_slug() {
        let namespace = "n".repeat(63);
        let name = "j".repeat(52);
        let slug = slug_for(&namespace, &name);
        assert_eq!(slug.len(), 100);
        assert!(is_slug(&slug));
        assert_eq!(slug, slug_for(&namespace, &name));
        assert_ne!(slug, slug_for(&namespace, &"k".repeat(52)));
        assert_eq!(slug_for("default", "Back.Up"), "default-back-up");
    }

    #[test]
    fn reads_only_cronjob_lists() {
        assert!(parse_list("").is_err());
        assert!(parse_list(r#"{"kind": "PodList", "items": []}"#).unwrap_err().contains("PodList"));
        assert!(parse_list(r#"{"kind": "List"}"#).is_err());
        assert_eq!(parse_list(&list("")).unwrap().len(), 0);
        let single = job("a", "b", r#""schedule": "@hourly""#, "");
        assert_eq!(parse_list(&single).unwrap().len(), 1);
    }
}
