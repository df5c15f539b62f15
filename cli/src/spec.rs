//! Checks as code: the file `edgebeat sync` reads, and the desired state of a
//! check that both `sync` and `k8s-sync` produce. Pure.
//!
//! YAML is read with `serde-saphyr`: `serde_yaml` is archived (unmaintained
//! since 2024) and its best-known fork `serde_yml` drew a RustSec advisory;
//! serde-saphyr is actively released, pure Rust with `#![forbid(unsafe_code)]`
//! on its own pure-Rust parser (`granit-parser`, a descendant of saphyr's; no
//! `unsafe-libyaml` translation of C), and made to never panic on bad input
//! and to point at the line of an error, which matters for a tool that reads
//! hand-written files. JSON files are read
//! with serde_json; both go through the same serde types.
//!
//! The file (YAML shown; the same keys in JSON):
//!
//! ```yaml
//! set: team-a            # optional: which synced checks this file owns (default "sync")
//! channels:              # optional: made when the project has no channel of that name
//!   - name: ops          # the body of POST /api/v3/channels/; ${VAR} comes from the environment
//!     kind: slack
//!     url: ${OPS_SLACK_WEBHOOK}
//!     events: [down, up, reminder, late]   # optional: which events it receives (API default otherwise)
//! checks:
//!   - slug: nightly-backup            # required, the key of the upsert: a-z 0-9 - _
//!     name: Nightly backup            # default: the slug
//!     tags: [prod, db]                # or "prod db"
//!     desc: pg_dump to S3
//!     schedule: "15 2 * * *"          # cron or OnCalendar, with tz; or `period: 1d` (default 1d)
//!     tz: Europe/Riga                 # default UTC
//!     grace: 1h                       # seconds or 90s/15m/1h/1d (default 1h)
//!     channels: [ops, on-call]        # channel names (or ids); "*" for all; [] for none (default)
//!     paused: false                   # optional: pause or resume; absent leaves it alone
//!     manual_resume: false
//!     expect_first_ping: true         # default true: a check that never pings goes down at its
//!                                     # first expected run plus grace ("never ran"); false waits forever
//!     methods: ""                     # "POST" for POST-only checks
//!     filter_http_body: false         # with success_kw / failure_kw / start_kw
//!     filter_default_fail: false
//!     alerts:                         # the alert policy; every key optional, API defaults shown
//!       failure_threshold: 1          # 1 to 100 consecutive failures before down
//!       recovery_threshold: 1         # 1 to 100 consecutive successes before up again
//!       max_runtime: off              # a started run's limit: duration, at least 1m; off: grace limits it
//!       min_runtime: off              # a faster run is a failure: duration, at least 1s; off: none
//!       reminder_interval: off        # reminders while down: duration, at least 5m; 0 or off: none
//! ```
//!
//! Declared channels are created once and then left alone: the API never
//! shows a channel's URL, key or secret back, so sync cannot tell whether one
//! changed (change or delete them with the channels API).
//!
//!
//! Every value is validated here, before anything is changed, by the
//! server's own code (`edgebeat-core`): each field goes through the API's
//! spec parser (`parse_spec`), schedules through `Schedule::parse` (cron and
//! OnCalendar, as the server reads them), zones through `parse_zone`, and the
//! whole check through `apply` and `validate` (settings that contradict each
//! other), so the bounds are the server's and no copy of them is kept here.
//! Every problem of a file is listed, not only the first, with the check
//! named.

use edgebeat_core::api::spec::{apply, parse_spec, spec_body, validate, ChannelSelector, SpecError};
use edgebeat_core::channel::parse_channel_spec;
use edgebeat_core::check::{
    is_valid_slug, CheckConfig, Schedule, MAX_PERIOD, MAX_THRESHOLD, MIN_MAX_RUNTIME, MIN_MIN_RUNTIME, MIN_PERIOD,
    MIN_REMINDER_INTERVAL,
};
use edgebeat_core::cron::parse_zone;
use edgebeat_core::duration::{format_seconds, parse_seconds};
use serde::Deserialize;
use serde_json::{json, Map, Value};

pub use edgebeat_core::check::SYNC_MARKER_PREFIX as MARKER_PREFIX;

/// Everything sync manages about one check.
#[derive(Clone, Debug, PartialEq)]
pub struct Desired {
    /// The configuration, as the server would make it: its tags include the set's marker.
    pub config: CheckConfig,
    pub channels: ChannelSelector,
    /// `None` leaves the paused state as it is.
    pub paused: Option<bool>,
}

impl Desired {
    pub fn slug(&self) -> &str {
        &self.config.slug
    }

    /// The body of the create or update request, without `channels`.
    pub fn body(&self) -> Value {
        spec_body(&self.config)
    }
}

/// The tag that marks a check as owned by a sync set.
pub fn marker(set: &str) -> Result<String, String> {
    if set.is_empty() || set.chars().any(char::is_whitespace) {
        return Err(format!("invalid set name {set:?}: it must be non-empty and have no spaces"));
    }
    Ok(format!("{MARKER_PREFIX}{set}"))
}

/// The longest period, in days, for messages.
fn max_period_text() -> String {
    format!("{}d", MAX_PERIOD / 86_400)
}

/// What the server's bounds are for a field, to follow its verdict.
fn bounds(field: &str, too_large: bool) -> Option<String> {
    if too_large {
        return match field {
            "failure_threshold" | "recovery_threshold" => Some(format!("1 to {MAX_THRESHOLD}")),
            "timeout" | "grace" | "max_runtime" | "min_runtime" | "reminder_interval" => {
                Some(format!("at most {}", max_period_text()))
            }
            _ => None,
        };
    }
    Some(match field {
        "timeout" | "grace" => format!("at least {}", format_seconds(MIN_PERIOD)),
        "failure_threshold" | "recovery_threshold" => format!("1 to {MAX_THRESHOLD}"),
        "max_runtime" => format!("at least {} (off for no limit)", format_seconds(MIN_MAX_RUNTIME)),
        "min_runtime" => format!("at least {} (off for no minimum)", format_seconds(MIN_MIN_RUNTIME)),
        "reminder_interval" => {
            format!("at least {} (0 or off turns reminders off)", format_seconds(MIN_REMINDER_INTERVAL))
        }
        _ => return None,
    })
}

/// How one field was written: its name in the file (or annotation) and, for
/// numbers and durations, the value as people read it.
#[derive(Clone, Debug)]
struct Label {
    field: &'static str,
    name: String,
    shown: Option<String>,
}

impl Label {
    /// The server's verdict on the field, said in the user's terms:
    /// `alerts.reminder_interval 1m is too small: at least 5m (0 or off turns reminders off)`.
    fn explain(&self, error: &SpecError) -> String {
        let message = match error {
            SpecError::Invalid(message) => message.clone(),
            other => other.to_string(),
        };
        let verdict = message.strip_prefix(self.field).map_or(message.as_str(), str::trim);
        let verdict = verdict.split(" (").next().unwrap_or(verdict);
        let subject = match &self.shown {
            Some(shown) => format!("{} {shown}", self.name),
            None => self.name.clone(),
        };
        let too_small = verdict == "is too small";
        match bounds(self.field, verdict == "is too large").filter(|_| too_small || verdict == "is too large") {
            Some(bounds) => format!("{subject} {verdict}: {bounds}"),
            None => format!("{subject} {verdict}"),
        }
    }
}

/// One check's fields on their way to the server's validation: set field by
/// field (as API v3 names them) with how each was written, checked all at
/// once by `finish`, which lists every problem.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    fields: Map<String, Value>,
    labels: Vec<Label>,
    problems: Vec<String>,
}

impl Draft {
    /// A draft with no field set: what is left out is the API's default.
    pub fn new() -> Draft {
        Draft::default()
    }

    /// Sets an API field; `name` is how the user wrote it, `shown` the value as read.
    pub fn set(&mut self, field: &'static str, name: &str, shown: Option<String>, value: Value) {
        self.fields.insert(field.to_owned(), value);
        self.labels.retain(|l| l.field != field);
        self.labels.push(Label { field, name: name.to_owned(), shown });
    }

    /// A duration field, in seconds, shown as `1h30m`.
    pub fn set_seconds(&mut self, field: &'static str, name: &str, seconds: i64) {
        self.set(field, name, Some(format_seconds(seconds)), json!(seconds));
    }

    /// A duration that can be off: `None` is `null` (or 0 for reminders).
    pub fn set_limit(&mut self, field: &'static str, name: &str, seconds: Option<i64>) {
        match seconds {
            Some(seconds) => self.set_seconds(field, name, seconds),
            None if field == "reminder_interval" => self.set(field, name, Some("off".into()), json!(0)),
            None => self.set(field, name, Some("off".into()), Value::Null),
        }
    }

    pub fn problem(&mut self, message: String) {
        self.problems.push(message);
    }

    fn label(&self, field: &str) -> String {
        self.labels.iter().find(|l| l.field == field).map_or_else(|| field.to_owned(), |l| l.name.clone())
    }

    /// The configuration the server would make of these fields on a new
    /// check, or every problem with them.
    pub fn finish(mut self) -> Result<CheckConfig, Vec<String>> {
        for label in &self.labels {
            let Some(value) = self.fields.get(label.field) else { continue };
            if let Some(problem) = field_problem(label, value) {
                self.problems.push(problem);
            }
        }
        if !self.problems.is_empty() {
            return Err(self.problems);
        }
        let body = Value::Object(self.fields.clone()).to_string();
        let spec = parse_spec(body.as_bytes()).map_err(|e| vec![e.to_string()])?;
        let mut config = CheckConfig::default();
        apply(&spec, &mut config, 3);
        match validate(&config) {
            Ok(()) => Ok(config),
            // The one contradiction the server knows: a minimum at or over the maximum.
            Err(_) => Err(vec![format!(
                "{} ({}) must be less than {} ({}), or every run fails",
                self.label("min_runtime"),
                config.monitoring.policy.min_runtime.map_or_else(String::new, format_seconds),
                self.label("max_runtime"),
                config.monitoring.policy.max_runtime.map_or_else(String::new, format_seconds),
            )]),
        }
    }
}

/// What the server says of one field alone, if it refuses it. Schedules and
/// zones get the reason their parsers give (the API itself only says "not a
/// valid cron or OnCalendar expression").
fn field_problem(label: &Label, value: &Value) -> Option<String> {
    match (label.field, value.as_str()) {
        ("schedule", Some(text)) => {
            if let Err(reason) = Schedule::parse(text) {
                return Some(format!("{} {text:?}: {reason}", label.name));
            }
        }
        ("tz", Some(text)) => {
            if let Err(reason) = parse_zone(text) {
                return Some(format!("{}: {reason}", label.name));
            }
        }
        ("slug", Some(text)) if !is_valid_slug(text) => {
            return Some(format!("{} {text:?}: a slug is 1 to 100 of a-z, 0-9, - and _", label.name));
        }
        _ => {}
    }
    let body = json!({ label.field: value }).to_string();
    parse_spec(body.as_bytes()).err().map(|error| label.explain(&error))
}

/// Checks one value alone with the server's rules (for command-line
/// defaults such as `--default-grace`).
pub fn check_field(field: &'static str, name: &str, seconds: i64) -> Result<i64, String> {
    let label = Label { field, name: name.to_owned(), shown: Some(format_seconds(seconds)) };
    match field_problem(&label, &json!(seconds)) {
        Some(problem) => Err(problem),
        None => Ok(seconds),
    }
}

/// A duration that can be turned off, as text: `off` (or `none`) is `None`,
/// otherwise seconds or units (`90s`, `15m`, `1h`). For annotations.
pub fn parse_limit(field: &str, text: &str) -> Result<Option<i64>, String> {
    let text = text.trim();
    if ["off", "none"].iter().any(|word| text.eq_ignore_ascii_case(word)) {
        return Ok(None);
    }
    parse_seconds(text).map(Some).map_err(|e| format!("{field}: {e}, or off"))
}

/// Channel names (or ids) as a selector: `*` for all, none for none.
pub fn channel_selector(names: Vec<String>) -> ChannelSelector {
    match &names[..] {
        [] => ChannelSelector::Nothing,
        [all] if all == "*" => ChannelSelector::All,
        _ => ChannelSelector::These(names),
    }
}

/// A duration written as seconds or as text with units.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum DurationField {
    Seconds(i64),
    Text(String),
}

impl DurationField {
    fn seconds(&self, field: &str) -> Result<i64, String> {
        match self {
            DurationField::Seconds(s) => Ok(*s),
            DurationField::Text(t) => parse_seconds(t).map_err(|e| format!("{field}: {e}")),
        }
    }
}

/// A list written as a YAML list or as one string.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum Words {
    List(Vec<String>),
    Text(String),
}

/// A duration that can be turned off: seconds, text with units, `off`, or
/// `false` (how YAML 1.1 readers may see an unquoted `off`).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum LimitField {
    Seconds(i64),
    Flag(bool),
    Text(String),
}

impl LimitField {
    /// The seconds, or `None` when turned off.
    fn seconds(&self, field: &str) -> Result<Option<i64>, String> {
        match self {
            LimitField::Seconds(s) => Ok(Some(*s)),
            LimitField::Flag(false) => Ok(None),
            LimitField::Flag(true) => Err(format!("{field}: give a duration (90s, 15m, 1h) or off")),
            LimitField::Text(text) => parse_limit(field, text),
        }
    }
}

/// The `alerts:` mapping of a check: the alert-policy settings.
#[derive(Clone, Debug, Default, Deserialize)]
struct AlertsEntry {
    failure_threshold: Option<i64>,
    recovery_threshold: Option<i64>,
    max_runtime: Option<LimitField>,
    min_runtime: Option<LimitField>,
    reminder_interval: Option<LimitField>,
}

#[derive(Clone, Debug, Deserialize)]
struct CheckEntry {
    /// Required; optional here so that a check without one is one problem
    /// among the file's others, not the end of reading it.
    slug: Option<String>,
    name: Option<String>,
    tags: Option<Words>,
    #[serde(alias = "description")]
    desc: Option<String>,
    #[serde(alias = "timeout")]
    period: Option<DurationField>,
    schedule: Option<String>,
    tz: Option<String>,
    grace: Option<DurationField>,
    channels: Option<Words>,
    paused: Option<bool>,
    manual_resume: Option<bool>,
    expect_first_ping: Option<bool>,
    methods: Option<String>,
    start_kw: Option<String>,
    success_kw: Option<String>,
    failure_kw: Option<String>,
    filter_http_body: Option<bool>,
    filter_default_fail: Option<bool>,
    alerts: Option<AlertsEntry>,
}

/// The file as written. Keys it does not know are not refused by serde on
/// the first one but collected (`serde_ignored`), so that every one of them
/// is reported with the file's other problems.
#[derive(Clone, Debug, Deserialize)]
struct SyncFile {
    set: Option<String>,
    #[serde(default)]
    channels: Vec<serde_json::Map<String, serde_json::Value>>,
    /// `None` when the file has no `checks:` at all (empty, comments only,
    /// cut short): not the same as `checks: []`.
    #[serde(default)]
    checks: Option<Vec<CheckEntry>>,
}

/// A channel the file declares: created when the project has none of that
/// name, otherwise left as it is (the API never shows a channel's secrets
/// back, so there is nothing to compare them with).
#[derive(Clone, Debug, PartialEq)]
pub struct DeclaredChannel {
    pub name: String,
    /// The body of `POST /api/v3/channels/`, with `${VAR}`s still in it.
    pub body: serde_json::Value,
}

/// A parsed, validated sync file.
#[derive(Clone, Debug, PartialEq)]
pub struct Declared {
    /// The set's marker tag, `edgebeat:<set>`.
    pub marker: String,
    pub channels: Vec<DeclaredChannel>,
    pub checks: Vec<Desired>,
    /// Whether the file has a `checks:` list, even an empty one: a file
    /// without one never prunes (an empty or truncated file is a mistake
    /// far more often than "delete them all").
    pub declares_checks: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

impl Format {
    /// JSON for `.json` files, YAML otherwise (YAML also reads most JSON).
    pub fn for_path(path: &str) -> Format {
        if path.to_ascii_lowercase().ends_with(".json") {
            Format::Json
        } else {
            Format::Yaml
        }
    }
}

/// Words of a list or of a string separated by commas or spaces.
pub fn words_of(text: &str) -> Vec<String> {
    text.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

fn words(field: Words) -> Vec<String> {
    match field {
        Words::List(items) => items.into_iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect(),
        Words::Text(text) => words_of(&text),
    }
}

/// Sets the tags: the user's, then the marker. A user's tag may not look like a marker.
pub fn set_tags(draft: &mut Draft, name: &str, mut tags: Vec<String>, marker: &str) {
    if let Some(tag) = tags.iter().find(|t| t.starts_with(MARKER_PREFIX)) {
        draft.problem(format!("{name}: tag {tag:?}: tags starting with {MARKER_PREFIX:?} are sync's own markers"));
    }
    tags.dedup();
    tags.push(marker.to_owned());
    draft.set("tags", name, None, json!(tags.join(" ")));
}

/// Parses and validates a sync file (its set, else `default_set`): every
/// problem, each naming the check or channel it is about. (`sync` itself
/// uses `read_file`, which also expands and validates the channels.)
#[cfg(test)]
pub fn parse_file(text: &str, format: Format, default_set: &str) -> Result<Declared, Vec<String>> {
    match parse_all(text, format, "checks.yaml", default_set)? {
        (declared, problems) if problems.is_empty() => Ok(declared),
        (_, problems) => Err(problems),
    }
}

/// Whether `sync --prune` may delete `prunes`: not when the file has no
/// `checks:` at all (an empty, comment-only or cut-short file would delete
/// every check of the set); `checks: []` says it, and prunes them all.
pub fn prune_allowed(declared: &Declared, prunes: &[String]) -> Result<(), String> {
    if declared.declares_checks || prunes.is_empty() {
        return Ok(());
    }
    let mut shown: Vec<&str> = prunes.iter().take(5).map(String::as_str).collect();
    if prunes.len() > 5 {
        shown.push("...");
    }
    Err(format!(
        "the file has no checks: list, and --prune would delete all {} checks of set {} ({}): is the file empty or \
         cut short? Nothing changed (a file that means it says `checks: []`)",
        prunes.len(),
        declared.marker.trim_start_matches(MARKER_PREFIX),
        shown.join(", ")
    ))
}

/// One step of the path to a key in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

fn steps(path: &serde_ignored::Path<'_>) -> Vec<Step> {
    use serde_ignored::Path;
    match path {
        Path::Root => Vec::new(),
        Path::Seq { parent, index } => [steps(parent), vec![Step::Index(*index)]].concat(),
        Path::Map { parent, key } => [steps(parent), vec![Step::Key(key.clone())]].concat(),
        Path::Some { parent } | Path::NewtypeStruct { parent } | Path::NewtypeVariant { parent } => steps(parent),
    }
}

/// The problem of a key the file has and sync does not know, said of the
/// check it is in.
fn unknown_key(path: &[Step], file: &SyncFile) -> String {
    let written = || {
        let parts: Vec<String> = path
            .iter()
            .map(|step| match step {
                Step::Key(key) => key.clone(),
                Step::Index(n) => n.to_string(),
            })
            .collect();
        parts.join(".")
    };
    match path {
        [Step::Key(key)] => format!("unknown field {key:?} (a sync file has set, channels and checks)"),
        [Step::Key(list), Step::Index(n), within @ ..] if list == "checks" => {
            let entry = file.checks.as_deref().and_then(|checks| checks.get(*n));
            let check = entry.and_then(|c| c.slug.clone()).unwrap_or_else(|| format!("#{}", n + 1));
            match within {
                [Step::Key(key)] => {
                    format!("check {check:?}: unknown field {key:?} (docs/cli.md lists a check's fields)")
                }
                [Step::Key(alerts), Step::Key(key)] if alerts == "alerts" => {
                    format!("check {check:?}: alerts: unknown field {key:?} (docs/cli.md lists them)")
                }
                _ => format!("check {check:?}: unknown field {}", written()),
            }
        }
        _ => format!("unknown field {}", written()),
    }
}

/// serde-saphyr's message for people (its user formatter: no advice about
/// its own options) with the source excerpt it draws, headed by the file's
/// name (`--> checks.yaml:3:15`, the form editors jump to).
fn yaml_problem(error: &serde_saphyr::Error, name: &str) -> String {
    let for_people = serde_saphyr::UserMessageFormatter;
    error.render_with_options(serde_saphyr::render_options! { formatter: &for_people, source_name: Some(name) })
}

/// A declared channel's name and the body of its create request.
pub type ChannelBody = (String, Value);

/// Reads a sync file as `sync` uses it: parsed and validated, with its
/// channels' `${VAR}`s expanded from `lookup` and each channel validated as
/// the server validates it. Every problem of the file, or the checks and
/// the channels' request bodies.
pub fn read_file(
    text: &str,
    format: Format,
    name: &str,
    default_set: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(Declared, Vec<ChannelBody>), Vec<String>> {
    let (declared, mut problems) = parse_all(text, format, name, default_set)?;
    let mut channels = Vec::new();
    for channel in &declared.channels {
        match expand_channel(channel, lookup) {
            Ok(body) => channels.push((channel.name.clone(), body)),
            Err(problem) => problems.push(problem),
        }
    }
    if problems.is_empty() {
        Ok((declared, channels))
    } else {
        Err(problems)
    }
}

/// The file's valid checks and channels, and the problems of the others;
/// `Err` when the file (called `name` in messages) cannot be read at all.
fn parse_all(
    text: &str,
    format: Format,
    name: &str,
    default_set: &str,
) -> Result<(Declared, Vec<String>), Vec<String>> {
    let mut unknown: Vec<Vec<Step>> = Vec::new();
    let file: SyncFile = match format {
        Format::Json => {
            let mut reader = serde_json::Deserializer::from_str(text);
            let file = serde_ignored::deserialize(&mut reader, |path| unknown.push(steps(&path)))
                .and_then(|file| reader.end().map(|()| file));
            file.map_err(|e| vec![e.to_string()])?
        }
        Format::Yaml => serde_saphyr::with_deserializer_from_str(text, |reader| {
            serde_ignored::deserialize(reader, |path| unknown.push(steps(&path)))
        })
        .map_err(|e| vec![yaml_problem(&e, name)])?,
    };
    let mut problems: Vec<String> = unknown.iter().map(|path| unknown_key(path, &file)).collect();
    let marker = match marker(file.set.as_deref().unwrap_or(default_set)) {
        Ok(marker) => marker,
        Err(problem) => return Err(vec![problem]),
    };
    let mut checks: Vec<Desired> = Vec::new();
    let mut slugs: Vec<String> = Vec::new();
    let declares_checks = file.checks.is_some();
    for (n, entry) in file.checks.unwrap_or_default().into_iter().enumerate() {
        let Some(slug) = entry.slug.clone() else {
            problems.push(format!("check #{}: slug is required (sync finds each check by its slug)", n + 1));
            continue;
        };
        if slugs.contains(&slug) {
            problems.push(format!("check {slug:?} is declared twice"));
            continue;
        }
        slugs.push(slug.clone());
        match desired_from(entry, &slug, &marker) {
            Ok(check) => checks.push(check),
            Err(found) => problems.extend(found.into_iter().map(|p| format!("check {slug:?}: {p}"))),
        }
    }
    let mut channels: Vec<DeclaredChannel> = Vec::new();
    for body in file.channels {
        let name = match body.get("name").and_then(serde_json::Value::as_str) {
            Some(name) if !name.trim().is_empty() => name.to_owned(),
            _ => {
                problems.push("every channel needs a name (checks refer to channels by name)".into());
                continue;
            }
        };
        if let Err(problem) = check_channel_fields(&name, &body) {
            problems.push(problem);
            continue;
        }
        if channels.iter().any(|c| c.name == name) {
            problems.push(format!("channel {name:?} is declared twice"));
            continue;
        }
        channels.push(DeclaredChannel { name, body: serde_json::Value::Object(body) });
    }
    Ok((Declared { marker, channels, checks, declares_checks }, problems))
}

fn desired_from(entry: CheckEntry, slug: &str, marker: &str) -> Result<Desired, Vec<String>> {
    let mut draft = Draft::new();
    draft.set("slug", "slug", None, json!(slug));
    draft.set("name", "name", None, json!(entry.name.as_deref().unwrap_or(slug)));
    set_tags(&mut draft, "tags", entry.tags.map(words).unwrap_or_default(), marker);
    draft.set("desc", "desc", None, json!(entry.desc.unwrap_or_default()));
    match (entry.schedule, entry.period, entry.tz) {
        (Some(_), Some(_), _) => draft.problem("give either schedule or period, not both".into()),
        (None, _, Some(_)) => {
            draft.problem("tz only applies to a schedule (cron or OnCalendar), not to a period".into())
        }
        (Some(expr), None, tz) => {
            draft.set("schedule", "schedule", None, json!(expr.trim()));
            draft.set("tz", "tz", None, json!(tz.as_deref().unwrap_or("UTC")));
        }
        (None, Some(period), None) => match period.seconds("period") {
            Ok(seconds) => draft.set_seconds("timeout", "period", seconds),
            Err(problem) => draft.problem(problem),
        },
        (None, None, None) => {}
    }
    if let Some(grace) = entry.grace {
        match grace.seconds("grace") {
            Ok(seconds) => draft.set_seconds("grace", "grace", seconds),
            Err(problem) => draft.problem(problem),
        }
    }
    draft.set("manual_resume", "manual_resume", None, json!(entry.manual_resume.unwrap_or(false)));
    // Checks kept as code are meant to run: one that never does is news.
    draft.set("expect_first_ping", "expect_first_ping", None, json!(entry.expect_first_ping.unwrap_or(true)));
    draft.set("methods", "methods", None, json!(entry.methods.unwrap_or_default()));
    draft.set("start_kw", "start_kw", None, json!(entry.start_kw.unwrap_or_default()));
    draft.set("success_kw", "success_kw", None, json!(entry.success_kw.unwrap_or_default()));
    draft.set("failure_kw", "failure_kw", None, json!(entry.failure_kw.unwrap_or_default()));
    draft.set("filter_http_body", "filter_http_body", None, json!(entry.filter_http_body.unwrap_or(false)));
    draft.set("filter_default_fail", "filter_default_fail", None, json!(entry.filter_default_fail.unwrap_or(false)));
    let alerts = entry.alerts.unwrap_or_default();
    for (field, name, value) in [
        ("failure_threshold", "alerts.failure_threshold", alerts.failure_threshold),
        ("recovery_threshold", "alerts.recovery_threshold", alerts.recovery_threshold),
    ] {
        if let Some(value) = value {
            draft.set(field, name, Some(value.to_string()), json!(value));
        }
    }
    for (field, name, value) in [
        ("max_runtime", "alerts.max_runtime", alerts.max_runtime),
        ("min_runtime", "alerts.min_runtime", alerts.min_runtime),
        ("reminder_interval", "alerts.reminder_interval", alerts.reminder_interval),
    ] {
        match value.map(|v| v.seconds(name)).transpose() {
            Ok(seconds) => draft.set_limit(field, name, seconds.flatten()),
            Err(problem) => draft.problem(problem),
        }
    }
    let config = draft.finish()?;
    let channels = channel_selector(entry.channels.map(words).unwrap_or_default());
    Ok(Desired { config, channels, paused: entry.paused })
}

/// Replaces every `${NAME}` in `text` with `lookup(NAME)`, so that secrets
/// (webhook URLs, routing keys) stay out of the file. `$` alone is kept.
pub fn expand_env(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or_else(|| format!("unclosed ${{ in {text:?}"))?;
        let name = &after[..end];
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(format!("${{{name}}}: not an environment variable name"));
        }
        out.push_str(&lookup(name).ok_or_else(|| format!("environment variable {name} is not set"))?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A declared channel's kind and field names, by the server's registry of
/// kinds (the values, which may still hold `${VAR}`s, are checked once
/// expanded: `expand_channel`).
fn check_channel_fields(name: &str, body: &serde_json::Map<String, serde_json::Value>) -> Result<(), String> {
    use edgebeat_core::channel::COMMON_FIELDS;
    use edgebeat_core::channels::{kind_info, kind_names};
    let kind = body.get("kind").and_then(serde_json::Value::as_str).unwrap_or_default();
    let Some(info) = kind_info(kind) else {
        return Err(format!("channel {name:?}: kind is {}", kind_names()));
    };
    for key in body.keys() {
        if !COMMON_FIELDS.contains(&key.as_str()) && !info.fields.iter().any(|f| f.name == key) {
            let fields: Vec<&str> = info.fields.iter().map(|f| f.name).collect();
            return Err(format!(
                "channel {name:?}: a {kind} channel has no field {key:?} (it takes {})",
                fields.join(", ")
            ));
        }
    }
    Ok(())
}

/// Expands `${NAME}` in every string of a channel body and validates it with
/// the server's rules (`edgebeat_core::channel::parse_channel_spec`; private
/// destinations are the server's to refuse).
pub fn expand_channel(
    channel: &DeclaredChannel,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<serde_json::Value, String> {
    fn walk(value: &serde_json::Value, lookup: &dyn Fn(&str) -> Option<String>) -> Result<serde_json::Value, String> {
        Ok(match value {
            serde_json::Value::String(text) => serde_json::Value::String(expand_env(text, lookup)?),
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.iter().map(|v| walk(v, lookup)).collect::<Result<_, _>>()?)
            }
            serde_json::Value::Object(map) => {
                serde_json::Value::Object(map.iter().map(|(k, v)| Ok((k.clone(), walk(v, lookup)?))).collect::<Result<
                    _,
                    String,
                >>(
                )?)
            }
            other => other.clone(),
        })
    }
    let body = walk(&channel.body, lookup).map_err(|e| format!("channel {:?}: {e}", channel.name))?;
    parse_channel_spec(body.to_string().as_bytes(), None, true).map_err(|e| {
        format!("channel {:?}: {}", channel.name, e.to_string().trim_start_matches("json validation error: "))
    })?;
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgebeat_core::check::{AlertPolicy, Tags};

    const MARKER: &str = "edgebeat:sync";

    fn parse(text: &str) -> Result<Declared, Vec<String>> {
        parse_file(text, Format::Yaml, "sync")
    }

    fn problems(text: &str) -> Vec<String> {
        parse(text).expect_err(text)
    }

    #[test]
    fn every_unknown_key_is_reported_with_the_files_other_problems() {
        let yaml = "sett: x\nchecks:\n  - slug: a\n    nmae: x\n    bogus: 1\n    alerts: {reminder: 1h}\n  - slug: b\n    period: 1d\n    grace: 1 fortnight\n";
        let found = problems(yaml);
        assert_eq!(
            found[..4],
            [
                "unknown field \"sett\" (a sync file has set, channels and checks)",
                "check \"a\": unknown field \"nmae\" (docs/cli.md lists a check's fields)",
                "check \"a\": unknown field \"bogus\" (docs/cli.md lists a check's fields)",
                "check \"a\": alerts: unknown field \"reminder\" (docs/cli.md lists them)",
            ],
            "{found:?}"
        );
        assert_eq!(found.len(), 5, "and the grace of b: {found:?}");
        assert!(found[4].starts_with("check \"b\": grace"), "{found:?}");
        let json = r#"{"checks": [{"slug": "a", "period": "1d", "nmae": "x"}], "extra": true}"#;
        let found = parse_file(json, Format::Json, "sync").expect_err("unknown keys");
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().any(|p| p.starts_with("check \"a\": unknown field \"nmae\"")), "{found:?}");
        assert!(found.iter().any(|p| p.starts_with("unknown field \"extra\"")), "{found:?}");
    }

    #[test]
    fn a_file_without_a_checks_list_never_prunes() {
        let prunes = vec!["job-a".to_owned(), "job-b".to_owned()];
        for text in ["", "# nothing yet\n", "set: sync\n", "checks:\n"] {
            let declared = parse(text).expect(text);
            let refused = prune_allowed(&declared, &prunes).expect_err(text);
            assert!(
                refused.starts_with(
                    "the file has no checks: list, and --prune would delete all 2 checks of set sync (job-a, job-b)"
                ),
                "{refused}"
            );
            assert!(prune_allowed(&declared, &[]).is_ok(), "nothing to prune");
        }
        let meant = parse("checks: []\n").expect("an empty list");
        assert!(prune_allowed(&meant, &prunes).is_ok());
    }

    #[test]
    fn a_check_without_a_slug_is_one_problem_among_the_others() {
        let found = problems("checks:\n  - name: x\n    colour: red\n  - slug: b\n    period: 1 fortnight\n");
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found.iter().any(|p| p.starts_with("check \"#1\": unknown field \"colour\"")), "{found:?}");
        assert!(
            found.contains(&"check #1: slug is required (sync finds each check by its slug)".to_owned()),
            "{found:?}"
        );
        assert!(found.iter().any(|p| p.starts_with("check \"b\": period")), "{found:?}");
    }

    #[test]
    fn a_repeated_key_is_said_without_the_parsers_own_advice() {
        let found = one_problem("checks:\n  - slug: a\n    grace: 1h\n    grace: 2h\n");
        assert!(found.contains("duplicate mapping key `grace`"), "{found}");
        assert!(!found.contains("Options"), "{found}");
    }

    #[test]
    fn a_yaml_syntax_error_points_into_the_file_by_its_name() {
        let text = "checks:\n  - slug: a\n    schedule: \"0 * * * *\n    grace: 1h\n";
        let found = read_file(text, Format::Yaml, "team/checks.yaml", "sync", &|_| None).expect_err("unclosed quote");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("line 3 column 15: unclosed quote"), "{}", found[0]);
        assert!(found[0].contains(" --> team/checks.yaml:3:15\n"), "{}", found[0]);
        assert!(!found[0].contains("<input>"), "{}", found[0]);
    }

    fn one_problem(text: &str) -> String {
        let found = problems(text);
        assert_eq!(found.len(), 1, "{text}: {found:?}");
        found[0].clone()
    }

    /// What the server makes of a spec body on a new check.
    fn made(body: Value) -> CheckConfig {
        let mut config = CheckConfig::default();
        apply(&parse_spec(body.to_string().as_bytes()).unwrap(), &mut config, 3);
        config
    }

    #[test]
    fn channels_are_declared_by_name_with_secrets_from_the_environment() {
        let text =
            "channels:\n  - name: ops\n    kind: slack\n    url: https://hooks.example.com/${HOOK}/x\nchecks: []\n";
        let declared = parse(text).unwrap();
        let [ops] = &declared.channels[..] else { panic!("{declared:?}") };
        assert_eq!(ops.name, "ops");
        let lookup = |name: &str| (name == "HOOK").then(|| "T0/B0".to_owned());
        let body = expand_channel(ops, &lookup).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"name": "ops", "kind": "slack", "url": "https://hooks.example.com/T0/B0/x"})
        );
        let none = |_: &str| None;
        assert!(expand_channel(ops, &none).unwrap_err().contains("HOOK is not set"));
        let found = problems("channels: [{kind: slack}, {name: a, kind: slack}, {name: a, kind: slack}]");
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("needs a name") && found[1].contains("twice"), "{found:?}");
        // As sync reads it: the problems of checks and of channels, all of them.
        let text = "channels: [{name: a, kind: slack, url: '${HOOK}'}, {name: b, kind: slack, url: '${NOPE}'}]\n\
                    checks: [{slug: x, grace: 1}, {slug: y, period: 5}]";
        let lookup = |name: &str| (name == "HOOK").then(|| "https://hooks.example.com/a".to_owned());
        let found = read_file(text, Format::Yaml, "checks.yaml", "sync", &lookup).unwrap_err();
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[2].contains("NOPE is not set"), "{found:?}");
        let text = "channels: [{name: a, kind: slack, url: '${HOOK}'}]\nchecks: [{slug: x}]";
        let (declared, channels) = read_file(text, Format::Yaml, "checks.yaml", "sync", &lookup).unwrap();
        assert_eq!((declared.checks.len(), channels[0].1["url"].as_str()), (1, Some("https://hooks.example.com/a")));
    }

    #[test]
    fn channels_are_validated_by_the_servers_rules() {
        let lookup = |_: &str| Some("x".to_owned());
        for (body, expected) in [
            (json!({"name": "a"}), "kind is required"),
            (json!({"name": "a", "kind": "smoke"}), "telegram"),
            (json!({"name": "a", "kind": "slack", "url": "not a url"}), "url is not an http(s) URL"),
            (json!({"name": "a", "kind": "webhook", "url": "https://h.example.com", "method": "GET"}), "method"),
            (json!({"name": "a", "kind": "slack", "url": "https://h.example.com", "colour": "red"}), "colour"),
        ] {
            let channel = DeclaredChannel { name: "a".into(), body };
            let error = expand_channel(&channel, &lookup).unwrap_err();
            assert!(error.starts_with("channel \"a\": ") && error.contains(expected), "{error}");
        }
        // The core's registry, before any value is expanded: kinds, then field names.
        let unknown = problems("channels: [{name: a, kind: pigeon}]");
        assert!(unknown[0].contains("kind is ") && unknown[0].contains("telegram"), "{unknown:?}");
        let stray = problems("channels: [{name: a, kind: slack, routing_key: x}]");
        assert!(stray[0].contains("has no field \"routing_key\""), "{stray:?}");
        let telegram = DeclaredChannel {
            name: "t".into(),
            body: json!({"kind": "telegram", "bot_token": "123:${T}", "chat_id": "-100"}),
        };
        assert!(expand_channel(&telegram, &|_: &str| Some("ABCDEFGHIJ".to_owned())).is_ok());
        // Where a channel may send is the server's setting: a local address is left to it.
        let local =
            DeclaredChannel { name: "a".into(), body: json!({"kind": "webhook", "url": "http://127.0.0.1:9/h"}) };
        assert!(expand_channel(&local, &lookup).is_ok());
    }

    #[test]
    fn expands_only_variable_references() {
        let lookup = |name: &str| Some(format!("<{name}>"));
        assert_eq!(expand_env("a ${X} b ${Y_2}", &lookup).unwrap(), "a <X> b <Y_2>");
        assert_eq!(expand_env("costs $5", &lookup).unwrap(), "costs $5");
        assert!(expand_env("${X", &lookup).is_err());
        assert!(expand_env("${A-B}", &lookup).is_err());
    }

    const YAML: &str = r#"
set: team-a
checks:
  - slug: nightly-backup
    name: Nightly backup
    tags: [prod, db]
    desc: pg_dump to S3
    schedule: "15 2 * * *"
    tz: Europe/Riga
    grace: 1h30m
    channels: [ops, on-call]
  - slug: heartbeat
    period: 300
    grace: 2m
    channels: "*"
    tags: "web  edge"
    paused: true
    alerts:
      failure_threshold: 3
      recovery_threshold: 2
      max_runtime: 1h30m
      min_runtime: 30
      reminder_interval: 4h
  - slug: plain
    alerts: {}
"#;

    #[test]
    fn reads_a_yaml_file_into_the_servers_configuration() {
        let declared = parse(YAML).unwrap();
        assert_eq!(declared.marker, "edgebeat:team-a");
        let [backup, beat, plain] = &declared.checks[..] else { panic!("{declared:?}") };
        assert_eq!(backup.config.name, "Nightly backup");
        assert_eq!(backup.config.tags, Tags::parse("prod db edgebeat:team-a"));
        let monitoring = &backup.config.monitoring;
        assert_eq!(monitoring.schedule.expression(), Some("15 2 * * *"));
        assert_eq!(monitoring.schedule.kind(), "cron");
        assert_eq!((monitoring.zone.name(), monitoring.grace), ("Europe/Riga", 5400));
        assert_eq!(backup.channels, ChannelSelector::These(vec!["ops".into(), "on-call".into()]));
        assert_eq!(backup.paused, None);
        assert_eq!(beat.config.monitoring.schedule, Schedule::Simple { timeout: 300 });
        assert_eq!(beat.config.monitoring.grace, 120);
        assert_eq!(beat.channels, ChannelSelector::All);
        assert_eq!(beat.config.tags.iter().collect::<Vec<_>>(), ["web", "edge", "edgebeat:team-a"]);
        assert_eq!(beat.paused, Some(true));
        assert_eq!(
            beat.config.monitoring.policy,
            AlertPolicy {
                failure_threshold: 3,
                recovery_threshold: 2,
                max_runtime: Some(5400),
                min_runtime: Some(30),
                reminder_interval: 14_400,
            }
        );
        assert_eq!(backup.config.monitoring.policy, AlertPolicy::default(), "no alerts: the API's defaults");
        let defaults = json!({"name": "plain", "slug": "plain", "tags": "edgebeat:team-a", "expect_first_ping": true});
        assert_eq!(plain.config, made(defaults), "a synced check expects its first ping unless told otherwise");
        assert_eq!(plain.channels, ChannelSelector::Nothing);
        // The body sent is the server's own rendering of the configuration, and makes exactly it.
        for check in &declared.checks {
            assert_eq!(made(check.body()), check.config);
        }
    }

    #[test]
    fn the_set_comes_from_the_file_or_the_command() {
        assert_eq!(parse_file("checks: []", Format::Yaml, "k8s-prod").unwrap().marker, "edgebeat:k8s-prod");
        assert_eq!(parse("set: x\nchecks: []").unwrap().marker, "edgebeat:x");
        assert!(one_problem("set: 'a b'\nchecks: []").contains("invalid set"));
        assert_eq!(marker("k8s").unwrap(), "edgebeat:k8s");
        assert!(marker("").is_err());
    }

    #[test]
    fn limits_can_be_turned_off_in_every_spelling() {
        for off in ["off", "'off'", "OFF", "none", "false", "null", "~"] {
            let text = format!(
                "checks: [{{slug: a, alerts: {{max_runtime: {off}, min_runtime: {off}, reminder_interval: {off}}}}}]"
            );
            let declared = parse(&text).unwrap_or_else(|e| panic!("{off}: {e:?}"));
            assert_eq!(declared.checks[0].config.monitoring.policy, AlertPolicy::default(), "{off}");
        }
        for zero in ["0", "0s", "'0'"] {
            let text = format!("checks: [{{slug: a, alerts: {{reminder_interval: {zero}}}}}]");
            assert_eq!(parse(&text).unwrap().checks[0].config.monitoring.policy.reminder_interval, 0, "{zero}");
        }
        let json = r#"{"checks": [{"slug": "a", "alerts": {"max_runtime": null, "min_runtime": "2m",
            "reminder_interval": "off", "failure_threshold": 100}}]}"#;
        let policy = parse_file(json, Format::Json, "sync").unwrap().checks[0].config.monitoring.policy;
        assert_eq!(policy, AlertPolicy { min_runtime: Some(120), failure_threshold: 100, ..AlertPolicy::default() });
    }

    #[test]
    fn refuses_alert_settings_out_of_the_servers_bounds() {
        let cases = [
            ("failure_threshold: 0", "alerts.failure_threshold 0 is too small: 1 to 100"),
            ("failure_threshold: 101", "alerts.failure_threshold 101 is too large: 1 to 100"),
            ("recovery_threshold: -1", "alerts.recovery_threshold -1 is too small"),
            ("max_runtime: 30s", "alerts.max_runtime 30s is too small: at least 1m (off for no limit)"),
            ("max_runtime: 0", "alerts.max_runtime 0s is too small"),
            ("max_runtime: 366d", "alerts.max_runtime 52w2d is too large: at most 365d"),
            ("max_runtime: true", "alerts.max_runtime: give a duration"),
            ("max_runtime: soon", "alerts.max_runtime: invalid duration \"soon\""),
            ("min_runtime: 0", "alerts.min_runtime 0s is too small: at least 1s (off for no minimum)"),
            ("min_runtime: -5", "alerts.min_runtime -5s is too small"),
            ("reminder_interval: 299", "alerts.reminder_interval 4m59s is too small: at least 5m (0 or off turns"),
            ("reminder_interval: 4m", "alerts.reminder_interval 4m is too small"),
            ("reminder_interval: 400d", "too large"),
            (
                "max_runtime: 10m, min_runtime: 10m",
                "alerts.min_runtime (10m) must be less than alerts.max_runtime (10m), or every run fails",
            ),
        ];
        for (setting, expected) in cases {
            let text = format!("checks: [{{slug: ok}}, {{slug: nightly, alerts: {{{setting}}}}}]");
            let problem = one_problem(&text);
            assert!(problem.starts_with("check \"nightly\": "), "{setting}: {problem}");
            assert!(problem.contains(expected), "{setting}: {problem}");
        }
        // The bounds themselves are accepted.
        let edges = "checks: [{slug: a, alerts: {failure_threshold: 100, recovery_threshold: 1, max_runtime: 60, \
                     min_runtime: 1, reminder_interval: 300}}]";
        let policy = parse(edges).unwrap().checks[0].config.monitoring.policy;
        assert_eq!((policy.max_runtime, policy.min_runtime, policy.reminder_interval), (Some(60), Some(1), 300));
        assert_eq!(parse_limit("x", " 2h "), Ok(Some(7200)));
        assert_eq!(parse_limit("x", "Off"), Ok(None));
        assert!(parse_limit("x", "2 hours").unwrap_err().starts_with("x: invalid duration"));
        // Not a setting of the alert policy, or not a whole number: the file cannot be read.
        assert!(one_problem("checks: [{slug: a, alerts: {max_alerts: 3}}]").contains("max_alerts"));
        assert!(one_problem("checks: [{slug: a, alerts: {recovery_threshold: 2.5}}]").contains("recovery_threshold"));
    }

    #[test]
    fn every_problem_of_a_file_is_listed_with_its_check() {
        let text = r#"
checks:
  - slug: good
  - slug: bad-schedule
    schedule: "61 * * * *"
  - slug: bad-zone
    schedule: "0 3 * * *"
    tz: Mars/Olympus
  - slug: Bad Slug
  - slug: many
    grace: 10
    period: 2y
    methods: GET
    tags: [edgebeat:x]
    name: "#;
        let text = format!("{text}{}\n  - slug: good\n", "n".repeat(101));
        let found = problems(&text);
        let expected = [
            "check \"bad-schedule\": schedule \"61 * * * *\": minute value 61 is out of range 0-59",
            "check \"bad-zone\": tz: unknown time zone \"Mars/Olympus\"",
            "check \"Bad Slug\": slug \"Bad Slug\": a slug is 1 to 100 of a-z, 0-9, - and _",
            "check \"many\": tags: tag \"edgebeat:x\": tags starting with \"edgebeat:\" are sync's own markers",
            "check \"many\": period: invalid duration \"2y\": use seconds or units s, m, h, d, w (e.g. 1h30m)",
            "check \"many\": name is too long",
            "check \"many\": grace 10s is too small: at least 1m",
            "check \"many\": methods has unexpected value",
            "check \"good\" is declared twice",
        ];
        assert_eq!(found, expected);
    }

    #[test]
    fn oncalendar_schedules_and_zones_are_the_servers() {
        let declared = parse("checks: [{slug: a, schedule: \"Mon..Fri 02:00\", tz: Europe/Kiev}]").unwrap();
        let monitoring = &declared.checks[0].config.monitoring;
        assert_eq!(monitoring.schedule.kind(), "oncalendar");
        assert_eq!(monitoring.zone.name(), "Europe/Kyiv", "a legacy name, as the server stores it");
        assert!(one_problem("checks: [{slug: a, schedule: \"Mon..Fry 02:00\"}]").starts_with("check \"a\": schedule"));
    }

    #[test]
    fn a_check_may_wait_for_its_first_ping_forever_if_it_says_so() {
        let declared = parse("checks: [{slug: a}, {slug: b, expect_first_ping: false}]").unwrap();
        let expects: Vec<bool> = declared.checks.iter().map(|c| c.config.monitoring.expect_first_ping).collect();
        assert_eq!(expects, [true, false]);
        assert_eq!(declared.checks[1].body()["expect_first_ping"], false);
        let problem = one_problem("checks: [{slug: a, expect_first_ping: sometimes}]");
        assert!(problem.contains("expect_first_ping"), "{problem}");
    }

    #[test]
    fn reads_the_same_as_json() {
        let json = r#"{"checks": [{"slug": "a", "period": "1d", "grace": 3600, "channels": []}]}"#;
        for format in [Format::Json, Format::Yaml] {
            let declared = parse_file(json, format, "sync").unwrap();
            let expected = json!({"name": "a", "slug": "a", "tags": MARKER, "expect_first_ping": true});
            assert_eq!(declared.checks[0].config, made(expected));
        }
        assert_eq!(Format::for_path("checks.JSON"), Format::Json);
        assert_eq!(Format::for_path("checks.yml"), Format::Yaml);
    }

    #[test]
    fn refuses_mistakes_with_the_check_named() {
        let cases = [
            ("checks: [{slug: a, graze: 60}]", "graze"),
            ("checks: [{slug: a, schedule: '* * * * *', period: 60}]", "not both"),
            ("checks: [{slug: a, tz: UTC}]", "tz only"),
            ("checks: {", ""),
        ];
        for (text, expected) in cases {
            assert!(one_problem(text).contains(expected), "{text}");
        }
    }

    #[test]
    fn command_line_durations_are_checked_with_the_servers_bounds() {
        assert_eq!(check_field("grace", "--default-grace", 600), Ok(600));
        assert_eq!(
            check_field("grace", "--default-grace", 30),
            Err("--default-grace 30s is too small: at least 1m".into())
        );
    }

    #[test]
    fn the_documented_sync_file_is_valid() {
        let page = include_str!("../../docs/cli.md");
        let start = page.find("```yaml\nset: team-a").expect("the example in docs/cli.md") + "```yaml\n".len();
        let end = start + page[start..].find("```").expect("its end");
        let declared = parse(&page[start..end]).unwrap();
        assert_eq!(declared.channels.len(), 2);
        assert_eq!(declared.checks.len(), 2);
        assert_eq!(declared.checks[1].config.monitoring.schedule, Schedule::Simple { timeout: 300 });
        assert_eq!(declared.checks[1].config.methods(), "POST");
        assert_eq!(declared.channels[0].body["events"], serde_json::json!(["down", "up", "reminder", "late"]));
        let expected = AlertPolicy {
            failure_threshold: 2,
            recovery_threshold: 1,
            max_runtime: Some(10_800),
            min_runtime: Some(60),
            reminder_interval: 14_400,
        };
        assert_eq!(declared.checks[0].config.monitoring.policy, expected);
        assert_eq!(declared.checks[1].config.monitoring.policy, AlertPolicy::default());
        let lookup = |_: &str| Some("https://hooks.example.com/services/T0".to_owned());
        for channel in &declared.channels {
            assert!(expand_channel(channel, &lookup).is_ok(), "{channel:?}");
        }
    }
}
