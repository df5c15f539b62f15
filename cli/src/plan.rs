//! The plan of a sync: which declared checks to create, which to change and
//! how, which are already as declared, and which synced checks to prune.
//! Pure: it compares the declared state with the checks and channels the API
//! listed, and says which requests would make them equal. Both sides are the
//! server's own configuration type (`edgebeat_core::check::CheckConfig`): the
//! declared one as the server would make it, the listed one read back from
//! the check object with the server's rules (`config_of`).

use crate::spec::{Desired, MARKER_PREFIX};
use edgebeat_core::api::spec::{ChannelSelector, SpecError};
use edgebeat_core::api::view::config_of;
use edgebeat_core::check::{CheckConfig, Schedule};
use edgebeat_core::duration::format_seconds;
use serde::Deserialize;
use serde_json::Value;

/// A check as `GET /api/v3/checks/` shows it to a read-write key: what
/// `status` shows, and (for sync) its configuration as the server reads it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Existing {
    pub uuid: String,
    pub name: String,
    pub slug: String,
    pub tags: String,
    pub grace: i64,
    pub timeout: Option<i64>,
    pub schedule: Option<String>,
    pub tz: Option<String>,
    /// Channel ids, comma-separated.
    pub channels: String,
    pub status: String,
    /// A run is in progress (a start signal, no finish yet).
    pub started: bool,
    pub last_ping: Option<String>,
    /// The configuration, or why the object could not be read as one.
    #[serde(skip)]
    pub config: Option<Result<CheckConfig, String>>,
}

impl Existing {
    /// Reads a listed check object.
    pub fn from_value(value: Value) -> Result<Existing, String> {
        let config = config_of(&value).map_err(|e| e.to_string());
        let mut existing: Existing = serde_json::from_value(value).map_err(|e| format!("unexpected check: {e}"))?;
        existing.config = Some(config);
        Ok(existing)
    }

    pub fn tag_list(&self) -> Vec<String> {
        self.tags.split_whitespace().map(str::to_owned).collect()
    }

    /// The marker tags (`edgebeat:<set>`) on this check.
    fn markers(&self) -> Vec<String> {
        self.tag_list().into_iter().filter(|t| t.starts_with(MARKER_PREFIX)).collect()
    }

    fn channel_ids(&self) -> Vec<String> {
        sorted(self.channels.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
    }
}

/// A channel as `GET /api/v3/channels/` lists it.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct ChannelInfo {
    pub id: String,
    pub name: String,
}

/// One field that differs: its name, what it is and what it will be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub field: &'static str,
    pub from: String,
    pub to: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Create {
        slug: String,
        body: Value,
        pause: bool,
    },
    Update {
        uuid: String,
        slug: String,
        changes: Vec<Change>,
        /// The full update body, or `None` when only the paused state changes.
        body: Option<Value>,
        /// `Some(true)` pause, `Some(false)` resume.
        pause: Option<bool>,
    },
    Unchanged {
        slug: String,
    },
    Prune {
        uuid: String,
        slug: String,
    },
    /// A synced check no longer declared, left alone because prune is off.
    Undeclared {
        slug: String,
    },
}

impl Action {
    pub fn slug(&self) -> &str {
        match self {
            Action::Create { slug, .. }
            | Action::Update { slug, .. }
            | Action::Unchanged { slug }
            | Action::Prune { slug, .. }
            | Action::Undeclared { slug } => slug,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub created: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub pruned: usize,
}

pub fn summarize(actions: &[Action]) -> Summary {
    let mut summary = Summary::default();
    for action in actions {
        match action {
            Action::Create { .. } => summary.created += 1,
            Action::Update { .. } => summary.changed += 1,
            Action::Unchanged { .. } => summary.unchanged += 1,
            Action::Prune { .. } => summary.pruned += 1,
            Action::Undeclared { .. } => {}
        }
    }
    summary
}

/// How one action is reported: `created  slug (details)`; a dry run says `would create`.
pub fn describe(action: &Action, dry_run: bool) -> String {
    let verb = |done: &str, planned: &str| if dry_run { format!("would {planned}") } else { done.to_owned() };
    match action {
        Action::Create { slug, pause, .. } => {
            format!("{:<16} {slug}{}", verb("created", "create"), if *pause { " (paused)" } else { "" })
        }
        Action::Update { slug, changes, .. } => {
            let details: Vec<String> = changes.iter().map(|c| format!("{}: {} -> {}", c.field, c.from, c.to)).collect();
            format!("{:<16} {slug} ({})", verb("changed", "change"), details.join("; "))
        }
        Action::Unchanged { slug } => format!("{:<16} {slug}", "unchanged"),
        Action::Prune { slug, .. } => format!("{:<16} {slug}", verb("pruned", "prune")),
        Action::Undeclared { slug } => format!("{:<16} {slug} (no longer declared; pruning is off)", "kept"),
    }
}

/// What to do about a channel the file declares.
#[derive(Clone, Debug, PartialEq)]
pub enum ChannelAction {
    Create {
        name: String,
        body: Value,
    },
    /// A channel of that name exists: it is left as it is.
    Exists {
        name: String,
    },
}

/// Channels to create: the declared ones the project has no channel of that name for.
pub fn plan_channels(declared: &[(String, Value)], known: &[ChannelInfo]) -> Vec<ChannelAction> {
    declared
        .iter()
        .map(|(name, body)| {
            if known.iter().any(|c| &c.name == name) {
                ChannelAction::Exists { name: name.clone() }
            } else {
                ChannelAction::Create { name: name.clone(), body: body.clone() }
            }
        })
        .collect()
}

pub fn describe_channel(action: &ChannelAction, dry_run: bool) -> String {
    match action {
        ChannelAction::Create { name, .. } => {
            format!("{:<16} channel {name}", if dry_run { "would create" } else { "created" })
        }
        ChannelAction::Exists { name } => format!("{:<16} channel {name} (exists; left as it is)", "unchanged"),
    }
}

/// What the plan needs besides the declared checks.
pub struct Context<'a> {
    pub existing: &'a [Existing],
    pub channels: &'a [ChannelInfo],
    /// This set's marker tag, `edgebeat:<set>`.
    pub marker: &'a str,
    /// What becomes of this set's checks that are no longer declared.
    pub gone: Gone,
    /// Slugs never to prune (declarations that could not be read this time).
    pub keep: &'a [String],
}

/// What becomes of a set's checks that the input no longer declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gone {
    /// Deleted (`--prune`).
    Prune,
    /// Left alone, and said so.
    Keep,
    /// Not considered: the input is not the whole set (a single CronJob object).
    Ignore,
}

/// The actions, and the declared checks that cannot be synced as they are
/// (each with its slug and why): these get no action, and are not pruned.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    pub actions: Vec<Action>,
    pub problems: Vec<(String, String)>,
}

impl Plan {
    /// The slugs of the checks it would delete.
    pub fn prunes(&self) -> Vec<String> {
        self.actions.iter().filter(|a| matches!(a, Action::Prune { .. })).map(|a| a.slug().to_owned()).collect()
    }
}

/// The channel ids a selector names, with the server's own resolution.
fn resolve_channels(channels: &ChannelSelector, known: &[ChannelInfo]) -> Result<Vec<String>, String> {
    let named: Vec<(String, String)> = known.iter().map(|c| (c.id.clone(), c.name.clone())).collect();
    channels.resolve(&named).map_err(|error| match error {
        SpecError::UnknownChannel(name) => format!("no channel named {name:?} in the project"),
        SpecError::AmbiguousChannel(name) => format!("several channels are named {name:?}; use its id"),
        other => other.to_string(),
    })
}

fn channel_names(ids: &[String], known: &[ChannelInfo]) -> String {
    if ids.is_empty() {
        return "(none)".into();
    }
    let mut names: Vec<String> =
        ids.iter().map(|id| known.iter().find(|c| &c.id == id).map_or(id.clone(), |c| c.name.clone())).collect();
    names.sort();
    names.join(",")
}

/// A schedule for the plan's output: `every 1d`, or `"15 2 * * *" in Europe/Riga`.
fn schedule_text(config: &CheckConfig) -> String {
    let monitoring = &config.monitoring;
    match (&monitoring.schedule, monitoring.schedule.expression()) {
        (Schedule::Simple { timeout }, _) => format!("every {}", format_seconds(*timeout)),
        (_, expression) => format!("{:?} in {}", expression.unwrap_or_default(), monitoring.zone.name()),
    }
}

fn sorted(mut words: Vec<String>) -> Vec<String> {
    words.sort();
    words.dedup();
    words
}

/// The create or update body: every field of the configuration, and the channels.
pub fn check_body(desired: &Desired, channel_ids: &[String]) -> Value {
    let mut body = desired.body();
    body["channels"] = Value::from(channel_ids.join(","));
    body
}

/// A limit for the plan's output: `1h30m`, or `none`/`off` when there is none.
fn limit_text(seconds: Option<i64>, none: &str) -> String {
    seconds.map_or_else(|| none.to_owned(), format_seconds)
}

/// The fields in which `have` differs from `want`. Tags and channels are
/// sets (their order does not matter); a period check's zone is not shown by
/// the API and not compared.
fn differences(
    want: &CheckConfig,
    have: &CheckConfig,
    ids: (&[String], &[String]),
    known: &[ChannelInfo],
) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut differ = |field: &'static str, from: String, to: String| {
        if from != to {
            changes.push(Change { field, from, to });
        }
    };
    let quoted = |text: &str| format!("{text:?}");
    let tags = |config: &CheckConfig| quoted(&sorted(config.tags.iter().map(str::to_owned).collect()).join(" "));
    differ("name", quoted(&have.name), quoted(&want.name));
    differ("tags", tags(have), tags(want));
    differ("desc", quoted(&have.desc), quoted(&want.desc));
    differ("schedule", schedule_text(have), schedule_text(want));
    let (mine, theirs) = (&want.monitoring, &have.monitoring);
    differ("grace", format_seconds(theirs.grace), format_seconds(mine.grace));
    differ("channels", channel_names(ids.1, known), channel_names(ids.0, known));
    differ("manual_resume", theirs.manual_resume.to_string(), mine.manual_resume.to_string());
    differ("expect_first_ping", theirs.expect_first_ping.to_string(), mine.expect_first_ping.to_string());
    differ("methods", quoted(have.methods()), quoted(want.methods()));
    let (rules, their_rules) = (&want.ping_rules, &have.ping_rules);
    differ("start_kw", quoted(&their_rules.start_kw), quoted(&rules.start_kw));
    differ("success_kw", quoted(&their_rules.success_kw), quoted(&rules.success_kw));
    differ("failure_kw", quoted(&their_rules.failure_kw), quoted(&rules.failure_kw));
    differ("filter_subject", have.filter_subject.to_string(), want.filter_subject.to_string());
    differ("filter_body", have.filter_body.to_string(), want.filter_body.to_string());
    differ("filter_http_body", their_rules.filter_http_body.to_string(), rules.filter_http_body.to_string());
    differ("filter_default_fail", their_rules.filter_default_fail.to_string(), rules.filter_default_fail.to_string());
    let (policy, their_policy) = (&mine.policy, &theirs.policy);
    differ("failure_threshold", their_policy.failure_threshold.to_string(), policy.failure_threshold.to_string());
    differ("recovery_threshold", their_policy.recovery_threshold.to_string(), policy.recovery_threshold.to_string());
    differ("max_runtime", limit_text(their_policy.max_runtime, "none"), limit_text(policy.max_runtime, "none"));
    differ("min_runtime", limit_text(their_policy.min_runtime, "none"), limit_text(policy.min_runtime, "none"));
    let reminders = |seconds: i64| limit_text(Some(seconds).filter(|s| *s != 0), "off");
    differ("reminder_interval", reminders(their_policy.reminder_interval), reminders(policy.reminder_interval));
    changes
}

/// The action for one declared check, or why it cannot be synced: a
/// reference to an unknown channel, a slug two existing checks share, or a
/// slug another set's sync owns.
fn plan_one(desired: &Desired, ctx: &Context) -> Result<Action, String> {
    let slug = desired.slug().to_owned();
    let ids = resolve_channels(&desired.channels, ctx.channels)?;
    let same_slug: Vec<&Existing> = ctx.existing.iter().filter(|c| c.slug == slug).collect();
    let existing = match same_slug[..] {
        [] => return Ok(Action::Create { slug, body: check_body(desired, &ids), pause: desired.paused == Some(true) }),
        [one] => one,
        _ => return Err(format!("{} checks share this slug; rename or delete all but one", same_slug.len())),
    };
    if let Some(other) = existing.markers().into_iter().find(|m| m != ctx.marker) {
        return Err(format!(
            "the slug belongs to another sync set ({other}); give it another slug or move it between sets by hand"
        ));
    }
    let have_ids = existing.channel_ids();
    let mut changes = match &existing.config {
        Some(Ok(have)) => differences(&desired.config, have, (&ids, &have_ids), ctx.channels),
        Some(Err(reason)) => {
            vec![Change { field: "settings", from: format!("unreadable ({reason})"), to: "as declared".into() }]
        }
        None => vec![Change { field: "settings", from: "unknown".into(), to: "as declared".into() }],
    };
    let body = (!changes.is_empty()).then(|| check_body(desired, &ids));
    let is_paused = existing.status == "paused";
    let pause = match desired.paused {
        Some(want) if want != is_paused => {
            changes.push(Change { field: "paused", from: is_paused.to_string(), to: want.to_string() });
            Some(want)
        }
        _ => None,
    };
    Ok(if changes.is_empty() {
        Action::Unchanged { slug }
    } else {
        Action::Update { uuid: existing.uuid.clone(), slug, changes, body, pause }
    })
}

/// Plans a sync: an action for each declared check that can be synced, and
/// the problems of those that cannot (they are not pruned either).
pub fn plan(declared: &[Desired], ctx: &Context) -> Plan {
    let mut result = Plan::default();
    for desired in declared {
        match plan_one(desired, ctx) {
            Ok(action) => result.actions.push(action),
            Err(problem) => result.problems.push((desired.slug().to_owned(), problem)),
        }
    }
    let mut gone: Vec<&Existing> = ctx
        .existing
        .iter()
        .filter(|c| c.markers().iter().any(|m| m == ctx.marker))
        .filter(|c| !declared.iter().any(|d| d.slug() == c.slug) && !ctx.keep.contains(&c.slug))
        .collect();
    gone.sort_by(|a, b| a.slug.cmp(&b.slug));
    for check in gone {
        match ctx.gone {
            Gone::Prune => result.actions.push(Action::Prune { uuid: check.uuid.clone(), slug: check.slug.clone() }),
            Gone::Keep => result.actions.push(Action::Undeclared { slug: check.slug.clone() }),
            Gone::Ignore => {}
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{parse_file, Format};
    use edgebeat_core::api::spec::{apply, parse_spec};
    use edgebeat_core::api::view::{check_json, Urls};
    use edgebeat_core::check::{AlertPolicy, Check, CheckState};
    use edgebeat_core::ids::Uuid;
    use edgebeat_core::routing::Routes;
    use edgebeat_core::time::Timestamp;
    use serde_json::json;

    const MARKER: &str = "edgebeat:sync";

    fn channels() -> Vec<ChannelInfo> {
        vec![
            ChannelInfo { id: "c1".into(), name: "ops".into() },
            ChannelInfo { id: "c2".into(), name: "on-call".into() },
            ChannelInfo { id: "c3".into(), name: "dup".into() },
            ChannelInfo { id: "c4".into(), name: "dup".into() },
        ]
    }

    /// Declared checks, from sync-file YAML.
    fn declare(yaml: &str) -> Vec<Desired> {
        parse_file(yaml, Format::Yaml, "sync").unwrap().checks
    }

    fn one(yaml: &str) -> Desired {
        declare(yaml).remove(0)
    }

    /// What the API shows after creating `desired` with its body: the
    /// server's own code makes the check and shows it.
    fn as_created(desired: &Desired, uuid: &str) -> Existing {
        let ids = resolve_channels(&desired.channels, &channels()).unwrap();
        let body = check_body(desired, &ids);
        let mut config = edgebeat_core::check::CheckConfig::default();
        let mut fields = body.as_object().unwrap().clone();
        fields.remove("channels");
        apply(&parse_spec(Value::Object(fields).to_string().as_bytes()).unwrap(), &mut config, 3);
        let uuid_text = format!("0f2ea3c4-5b6d-4e7f-8a9b-{:012}", uuid.trim_start_matches('u').parse::<u64>().unwrap());
        let check = Check {
            id: 1,
            uuid: Uuid::parse(&uuid_text).unwrap(),
            project_id: "p".into(),
            config,
            state: CheckState::new_check(),
            n_pings: 0,
            badge_key: "k".into(),
            config_version: 1,
            routes: Routes::default(),
            created_at: Timestamp::from_secs(1_700_000_000),
            status_changed_at: None,
        };
        let urls = Urls { base: "http://eb".into(), api_version: 3, ping_email_domain: None };
        let mut shown =
            check_json(&check, &ids, &urls, false, Timestamp::from_secs(1_700_000_000), &Default::default());
        shown["uuid"] = json!(uuid);
        Existing::from_value(shown).unwrap()
    }

    const BACKUP: &str =
        "checks: [{slug: backup, tags: [prod, db], schedule: '15 2 * * *', tz: Europe/Riga, channels: [ops, c2]}]";

    fn backup() -> Desired {
        one(BACKUP)
    }

    fn run(declared: &[Desired], existing: &[Existing], prune: bool) -> Plan {
        let channels = channels();
        let gone = if prune { Gone::Prune } else { Gone::Keep };
        plan(declared, &Context { existing, channels: &channels, marker: MARKER, gone, keep: &[] })
    }

    fn actions(declared: &[Desired], existing: &[Existing], prune: bool) -> Vec<Action> {
        let planned = run(declared, existing, prune);
        assert!(planned.problems.is_empty(), "{:?}", planned.problems);
        planned.actions
    }

    #[test]
    fn creates_what_is_missing_with_every_field_and_the_marker() {
        let actions = actions(&[backup()], &[], false);
        let [Action::Create { slug, body, pause: false }] = &actions[..] else { panic!("{actions:?}") };
        assert_eq!(slug, "backup");
        assert_eq!(body["tags"], "prod db edgebeat:sync");
        assert_eq!(body["channels"], "c1,c2");
        assert_eq!(body["schedule"], "15 2 * * *");
        assert_eq!(body["tz"], "Europe/Riga");
        assert!(body.get("timeout").is_none());
        assert_eq!(body["grace"], 3600);
        // The alert policy, with the API's defaults spelled out and null for no runtime limit.
        assert_eq!(body["failure_threshold"], 1);
        assert_eq!(body["recovery_threshold"], 1);
        assert_eq!(body["max_runtime"], Value::Null);
        assert_eq!(body["min_runtime"], Value::Null);
        assert_eq!(body["reminder_interval"], 0);
        assert_eq!(summarize(&actions), Summary { created: 1, ..Summary::default() });
    }

    const STRICT: &str = "alerts: {failure_threshold: 3, recovery_threshold: 2, max_runtime: 3h, min_runtime: 1m, \
                          reminder_interval: 4h}";

    #[test]
    fn alert_settings_are_sent_and_compared() {
        let declared = one(&BACKUP.replace("channels:", &format!("{STRICT}, channels:")));
        let planned = actions(std::slice::from_ref(&declared), &[], false);
        let [Action::Create { body, .. }] = &planned[..] else { panic!("{planned:?}") };
        assert_eq!(
            (&body["failure_threshold"], &body["recovery_threshold"], &body["max_runtime"]),
            (&json!(3), &json!(2), &json!(10_800))
        );
        assert_eq!((&body["min_runtime"], &body["reminder_interval"]), (&json!(60), &json!(14_400)));
        // As the API shows it back: unchanged.
        let existing = [as_created(&declared, "u1")];
        assert!(matches!(&actions(std::slice::from_ref(&declared), &existing, false)[..], [Action::Unchanged { .. }]));
        // A changed threshold and a reminder turned off.
        let edited = one(&BACKUP.replace(
            "channels:",
            &format!(
                "{}, channels:",
                STRICT.replace("failure_threshold: 3", "failure_threshold: 5").replace("4h", "off")
            ),
        ));
        let planned = actions(&[edited], &existing, false);
        let [Action::Update { changes, body: Some(body), .. }] = &planned[..] else { panic!("{planned:?}") };
        let fields: Vec<&str> = changes.iter().map(|c| c.field).collect();
        assert_eq!(fields, ["failure_threshold", "reminder_interval"]);
        assert!(describe(&planned[0], false).contains("failure_threshold: 3 -> 5; reminder_interval: 4h -> off"));
        assert_eq!((&body["failure_threshold"], &body["reminder_interval"]), (&json!(5), &json!(0)));
        assert_eq!(body["max_runtime"], 10_800, "the update body carries every setting");
    }

    #[test]
    fn alert_settings_left_out_of_the_file_are_reset() {
        let existing = [as_created(&one(&BACKUP.replace("channels:", &format!("{STRICT}, channels:"))), "u1")];
        let planned = actions(&[backup()], &existing, false);
        let [Action::Update { changes, body: Some(body), .. }] = &planned[..] else { panic!("{planned:?}") };
        let details: Vec<String> = changes.iter().map(|c| format!("{}: {} -> {}", c.field, c.from, c.to)).collect();
        assert_eq!(
            details,
            [
                "failure_threshold: 3 -> 1",
                "recovery_threshold: 2 -> 1",
                "max_runtime: 3h -> none",
                "min_runtime: 1m -> none",
                "reminder_interval: 4h -> off"
            ]
        );
        assert_eq!((&body["max_runtime"], &body["min_runtime"]), (&Value::Null, &Value::Null), "null clears them");
    }

    #[test]
    fn a_check_object_without_alert_fields_has_the_default_policy() {
        let shown = json!({"uuid": "u1", "slug": "x", "name": "x", "tags": MARKER, "grace": 3600, "timeout": 86400});
        let existing = Existing::from_value(shown).unwrap();
        assert_eq!(existing.config.clone().unwrap().unwrap().monitoring.policy, AlertPolicy::default());
        assert!(matches!(
            &actions(&declare("checks: [{slug: x, expect_first_ping: false}]"), std::slice::from_ref(&existing), false)
                [..],
            [Action::Unchanged { .. }]
        ));
        // Nor expect_first_ping: false, and a synced check expects its first ping by default.
        let [Action::Update { changes, .. }] = &actions(&declare("checks: [{slug: x}]"), &[existing], false)[..] else {
            panic!("an update")
        };
        let changes: Vec<String> = changes.iter().map(|c| format!("{}: {} -> {}", c.field, c.from, c.to)).collect();
        assert_eq!(changes, ["expect_first_ping: false -> true"]);
    }

    #[test]
    fn a_second_run_changes_nothing() {
        let declared = declare(&format!(
            "checks: [{{slug: backup, tags: [prod, db], schedule: '15 2 * * *', tz: Europe/Riga, channels: [ops, c2]}}, \
             {{slug: plain}}, {{slug: strict, {STRICT}}}, {{slug: cal, schedule: 'Mon..Fri 02:00', tz: Europe/Kiev}}]"
        ));
        let existing: Vec<Existing> =
            declared.iter().enumerate().map(|(i, d)| as_created(d, &format!("u{i}"))).collect();
        let planned = actions(&declared, &existing, true);
        assert!(planned.iter().all(|a| matches!(a, Action::Unchanged { .. })), "{planned:?}");
        // Tag order and channel order do not matter.
        let mut shuffled = existing.clone();
        shuffled[0].tags = "edgebeat:sync db prod".into();
        shuffled[0].channels = "c2,c1".into();
        let planned = actions(&declared, &shuffled, true);
        assert!(planned.iter().all(|a| matches!(a, Action::Unchanged { .. })), "{planned:?}");
    }

    #[test]
    fn changes_list_each_differing_field() {
        let existing = [as_created(&backup(), "u1")];
        let changed = one("checks: [{slug: backup, tags: [prod, db], period: 1h, grace: 30m, channels: [ops]}]");
        let planned = actions(&[changed], &existing, false);
        let [Action::Update { uuid, changes, body: Some(body), pause: None, .. }] = &planned[..] else {
            panic!("{planned:?}")
        };
        assert_eq!(uuid, "u1");
        let fields: Vec<&str> = changes.iter().map(|c| c.field).collect();
        assert_eq!(fields, ["schedule", "grace", "channels"]);
        assert_eq!(changes[0].from, "\"15 2 * * *\" in Europe/Riga");
        assert_eq!(changes[0].to, "every 1h");
        assert_eq!(changes[2].from, "on-call,ops", "names in order, whatever the ids");
        assert_eq!(changes[2].to, "ops");
        assert_eq!(body["timeout"], 3600);
        assert!(body.get("schedule").is_none(), "a period replaces the cron schedule");
        assert!(describe(&planned[0], true).starts_with("would change"));
        assert!(describe(&planned[0], false).contains("grace: 1h -> 30m"));
    }

    #[test]
    fn pausing_alone_needs_no_update_body() {
        let existing = [as_created(&backup(), "u1")];
        let paused = Desired { paused: Some(true), ..backup() };
        let planned = actions(std::slice::from_ref(&paused), &existing, false);
        assert!(matches!(&planned[..], [Action::Update { body: None, pause: Some(true), .. }]), "{planned:?}");
        let mut now_paused = existing.clone();
        now_paused[0].status = "paused".into();
        assert!(matches!(&actions(&[paused], &now_paused, false)[..], [Action::Unchanged { .. }]));
        let resumed = Desired { paused: Some(false), ..backup() };
        assert!(matches!(&actions(&[resumed], &now_paused, false)[..], [Action::Update { pause: Some(false), .. }]));
        // Not saying leaves a paused check paused.
        assert!(matches!(&actions(&[backup()], &now_paused, false)[..], [Action::Unchanged { .. }]));
    }

    #[test]
    fn prunes_only_this_sets_checks_and_only_when_asked() {
        let plain = |slug: &str| one(&format!("checks: [{{slug: {slug}}}]"));
        let mut hand_made = as_created(&plain("by-hand"), "u2");
        hand_made.tags = "prod".into();
        let mut other_set = as_created(&plain("theirs"), "u3");
        other_set.tags = "edgebeat:k8s".into();
        let existing = [as_created(&plain("old"), "u1"), hand_made, other_set, as_created(&plain("kept"), "u4")];
        let declared = [plain("new")];
        let channels = channels();
        let keep = ["kept".to_owned()];
        let ctx = Context { existing: &existing, channels: &channels, marker: MARKER, gone: Gone::Prune, keep: &keep };
        let planned = plan(&declared, &ctx);
        assert_eq!(planned.actions.len(), 2, "{planned:?}");
        assert!(matches!(&planned.actions[1], Action::Prune { uuid, .. } if uuid == "u1"));
        assert_eq!(planned.prunes(), ["old"]);
        // Input that is not the whole set says nothing of the checks it does not name.
        let ctx = Context { gone: Gone::Ignore, ..ctx };
        assert!(matches!(&plan(&declared, &ctx).actions[..], [Action::Create { .. }]));
        let planned = actions(&declared, &existing, false);
        assert!(
            matches!(&planned[..], [Action::Create { .. }, Action::Undeclared { .. }, Action::Undeclared { .. }]),
            "{planned:?}"
        );
        assert_eq!(summarize(&planned), Summary { created: 1, ..Summary::default() });
    }

    #[test]
    fn adopts_a_hand_made_check_with_the_same_slug() {
        let mut hand_made = as_created(&backup(), "u1");
        hand_made.tags = "prod db".into();
        let Some(Ok(config)) = &mut hand_made.config else { panic!() };
        config.tags = edgebeat_core::check::Tags::parse("prod db");
        let planned = actions(&[backup()], &[hand_made], false);
        let [Action::Update { changes, body: Some(body), .. }] = &planned[..] else { panic!("{planned:?}") };
        assert_eq!(changes[0].field, "tags");
        assert_eq!(body["tags"], "prod db edgebeat:sync");
    }

    #[test]
    fn lists_every_check_that_cannot_be_synced_and_plans_the_rest() {
        let mut theirs = as_created(&one("checks: [{slug: x}]"), "u1");
        theirs.tags = "edgebeat:k8s".into();
        let twins = [as_created(&one("checks: [{slug: y}]"), "u2"), as_created(&one("checks: [{slug: y}]"), "u3")];
        let declared = declare(
            "checks: [{slug: x}, {slug: y}, {slug: unknown, channels: [nope]}, {slug: ambiguous, channels: [dup]}, \
             {slug: fine, channels: [ops]}]",
        );
        let mut existing = vec![theirs];
        existing.extend(twins);
        let planned = run(&declared, &existing, true);
        let problems: Vec<String> = planned.problems.iter().map(|(slug, p)| format!("{slug}: {p}")).collect();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[0].starts_with("x: the slug belongs to another sync set (edgebeat:k8s)"), "{problems:?}");
        assert!(problems[1].starts_with("y: 2 checks share this slug"), "{problems:?}");
        assert_eq!(problems[2], "unknown: no channel named \"nope\" in the project");
        assert_eq!(problems[3], "ambiguous: several channels are named \"dup\"; use its id");
        assert!(matches!(&planned.actions[..], [Action::Create { slug, .. }] if slug == "fine"), "{planned:?}");
    }

    #[test]
    fn declared_channels_are_created_once_by_name() {
        let declared =
            vec![("ops".to_owned(), json!({"kind": "slack"})), ("new".to_owned(), json!({"kind": "webhook"}))];
        let planned = plan_channels(&declared, &channels());
        assert_eq!(
            planned,
            [
                ChannelAction::Exists { name: "ops".into() },
                ChannelAction::Create { name: "new".into(), body: json!({"kind": "webhook"}) }
            ]
        );
        assert_eq!(describe_channel(&planned[1], true), "would create     channel new");
        assert_eq!(describe_channel(&planned[0], false), "unchanged        channel ops (exists; left as it is)");
    }

    #[test]
    fn all_channels_means_every_channel_of_the_project() {
        let planned = actions(&declare("checks: [{slug: x, channels: '*'}]"), &[], false);
        let [Action::Create { body, .. }] = &planned[..] else { panic!() };
        assert_eq!(body["channels"], "c1,c2,c3,c4");
    }
}
