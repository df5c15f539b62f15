//! The plan of a sync: which declared checks to create, which to change and
//! how, which are already as declared, and which synced checks to prune.
//! Pure: it compares the declared state with the checks and channels the API
//! listed, and says which requests would make them equal.

use crate::duration::format_seconds;
use crate::spec::{AlertPolicy, Channels, Desired, Schedule, MARKER_PREFIX};
use serde::Deserialize;
use serde_json::{json, Value};

/// A check as `GET /api/v3/checks/` shows it to a read-write key.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Existing {
    pub uuid: String,
    pub name: String,
    pub slug: String,
    pub tags: String,
    pub desc: String,
    pub grace: i64,
    pub timeout: Option<i64>,
    pub schedule: Option<String>,
    pub tz: Option<String>,
    /// Channel ids, comma-separated.
    pub channels: String,
    pub status: String,
    /// A run is in progress (a start signal, no finish yet).
    pub started: bool,
    pub manual_resume: bool,
    pub methods: String,
    pub start_kw: String,
    pub success_kw: String,
    pub failure_kw: String,
    pub filter_http_body: bool,
    pub filter_default_fail: bool,
    /// The alert policy. A server that does not show these fields has no
    /// alert policy, which is the same as the defaults.
    #[serde(default = "default_threshold")]
    pub failure_threshold: i64,
    #[serde(default = "default_threshold")]
    pub recovery_threshold: i64,
    pub max_runtime: Option<i64>,
    pub min_runtime: Option<i64>,
    pub reminder_interval: i64,
    pub last_ping: Option<String>,
    pub n_pings: i64,
}

fn default_threshold() -> i64 {
    AlertPolicy::default().failure_threshold
}

impl Existing {
    pub fn alert_policy(&self) -> AlertPolicy {
        AlertPolicy {
            failure_threshold: self.failure_threshold,
            recovery_threshold: self.recovery_threshold,
            max_runtime: self.max_runtime,
            min_runtime: self.min_runtime,
            reminder_interval: self.reminder_interval,
        }
    }

    pub fn tag_list(&self) -> Vec<String> {
        self.tags.split_whitespace().map(str::to_owned).collect()
    }

    /// The marker tags (`edgebeat:<set>`) on this check.
    fn markers(&self) -> Vec<String> {
        self.tag_list().into_iter().filter(|t| t.starts_with(MARKER_PREFIX)).collect()
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
        Action::Undeclared { slug } => format!("{:<16} {slug} (no longer declared; --prune deletes it)", "kept"),
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
    pub prune: bool,
    /// Slugs never to prune (declarations that could not be read this time).
    pub keep: &'a [String],
}

fn resolve_channels(channels: &Channels, known: &[ChannelInfo], slug: &str) -> Result<Vec<String>, String> {
    let mut ids: Vec<String> = match channels {
        Channels::All => known.iter().map(|c| c.id.clone()).collect(),
        Channels::These(names) => {
            let mut ids = Vec::new();
            for name in names {
                let matching: Vec<&ChannelInfo> = known.iter().filter(|c| &c.name == name || &c.id == name).collect();
                match matching[..] {
                    [one] => ids.push(one.id.clone()),
                    [] => return Err(format!("check {slug:?}: no channel named {name:?} in the project")),
                    _ => return Err(format!("check {slug:?}: several channels are named {name:?}; use its id")),
                }
            }
            ids
        }
    };
    ids.sort();
    ids.dedup();
    Ok(ids)
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

fn schedule_text(schedule: &Schedule) -> String {
    match schedule {
        Schedule::Period(seconds) => format!("every {}", format_seconds(*seconds)),
        Schedule::Cron { expr, tz } => format!("{expr:?} in {tz}"),
    }
}

fn existing_schedule(check: &Existing) -> Schedule {
    match (&check.schedule, check.timeout) {
        (Some(expr), _) => Schedule::Cron { expr: expr.clone(), tz: check.tz.clone().unwrap_or_else(|| "UTC".into()) },
        (None, timeout) => Schedule::Period(timeout.unwrap_or(0)),
    }
}

/// The tags a synced check carries: the declared ones and the set's marker.
fn synced_tags(desired: &Desired, marker: &str) -> Vec<String> {
    let mut tags = desired.tags.clone();
    tags.push(marker.to_owned());
    tags
}

fn sorted(mut words: Vec<String>) -> Vec<String> {
    words.sort();
    words.dedup();
    words
}

/// The create or update body: every field sync manages.
pub fn check_body(desired: &Desired, marker: &str, channel_ids: &[String]) -> Value {
    let mut body = json!({
        "name": desired.name,
        "slug": desired.slug,
        "tags": synced_tags(desired, marker).join(" "),
        "desc": desired.desc,
        "grace": desired.grace,
        "channels": channel_ids.join(","),
        "manual_resume": desired.manual_resume,
        "methods": desired.methods,
        "start_kw": desired.start_kw,
        "success_kw": desired.success_kw,
        "failure_kw": desired.failure_kw,
        "filter_http_body": desired.filter_http_body,
        "filter_default_fail": desired.filter_default_fail,
        // Every setting, defaults and nulls too: null clears a runtime limit.
        "failure_threshold": desired.alerts.failure_threshold,
        "recovery_threshold": desired.alerts.recovery_threshold,
        "max_runtime": desired.alerts.max_runtime,
        "min_runtime": desired.alerts.min_runtime,
        "reminder_interval": desired.alerts.reminder_interval,
    });
    match &desired.schedule {
        Schedule::Period(seconds) => body["timeout"] = json!(seconds),
        Schedule::Cron { expr, tz } => {
            body["schedule"] = json!(expr);
            body["tz"] = json!(tz);
        }
    }
    body
}

/// The fields in which `existing` differs from `desired`.
fn differences(
    desired: &Desired,
    existing: &Existing,
    marker: &str,
    ids: &[String],
    known: &[ChannelInfo],
) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut differ = |field: &'static str, from: String, to: String| {
        if from != to {
            changes.push(Change { field, from, to });
        }
    };
    differ("name", format!("{:?}", existing.name), format!("{:?}", desired.name));
    let want_tags = sorted(synced_tags(desired, marker));
    differ("tags", format!("{:?}", sorted(existing.tag_list()).join(" ")), format!("{:?}", want_tags.join(" ")));
    differ("desc", format!("{:?}", existing.desc), format!("{:?}", desired.desc));
    differ("schedule", schedule_text(&existing_schedule(existing)), schedule_text(&desired.schedule));
    differ("grace", format_seconds(existing.grace), format_seconds(desired.grace));
    let have_ids =
        sorted(existing.channels.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect());
    differ("channels", channel_names(&have_ids, known), channel_names(ids, known));
    differ("manual_resume", existing.manual_resume.to_string(), desired.manual_resume.to_string());
    differ("methods", format!("{:?}", existing.methods), format!("{:?}", desired.methods));
    differ("start_kw", format!("{:?}", existing.start_kw), format!("{:?}", desired.start_kw));
    differ("success_kw", format!("{:?}", existing.success_kw), format!("{:?}", desired.success_kw));
    differ("failure_kw", format!("{:?}", existing.failure_kw), format!("{:?}", desired.failure_kw));
    differ("filter_http_body", existing.filter_http_body.to_string(), desired.filter_http_body.to_string());
    differ("filter_default_fail", existing.filter_default_fail.to_string(), desired.filter_default_fail.to_string());
    let (have, want) = (existing.alert_policy(), &desired.alerts);
    differ("failure_threshold", have.failure_threshold.to_string(), want.failure_threshold.to_string());
    differ("recovery_threshold", have.recovery_threshold.to_string(), want.recovery_threshold.to_string());
    differ("max_runtime", limit_text(have.max_runtime, "none"), limit_text(want.max_runtime, "none"));
    differ("min_runtime", limit_text(have.min_runtime, "none"), limit_text(want.min_runtime, "none"));
    let reminders = |seconds: i64| limit_text(Some(seconds).filter(|s| *s != 0), "off");
    differ("reminder_interval", reminders(have.reminder_interval), reminders(want.reminder_interval));
    changes
}

/// A limit for the plan's output: `1h30m`, or `none`/`off` when there is none.
fn limit_text(seconds: Option<i64>, none: &str) -> String {
    seconds.map_or_else(|| none.to_owned(), format_seconds)
}

/// Plans a sync. Fails, before anything is changed, on a reference to an
/// unknown channel, a slug two existing checks share, or a declared slug
/// that another set's sync owns.
pub fn plan(declared: &[Desired], ctx: &Context) -> Result<Vec<Action>, String> {
    let mut actions = Vec::new();
    for desired in declared {
        let ids = resolve_channels(&desired.channels, ctx.channels, &desired.slug)?;
        let same_slug: Vec<&Existing> = ctx.existing.iter().filter(|c| c.slug == desired.slug).collect();
        let existing = match same_slug[..] {
            [] => {
                actions.push(Action::Create {
                    slug: desired.slug.clone(),
                    body: check_body(desired, ctx.marker, &ids),
                    pause: desired.paused == Some(true),
                });
                continue;
            }
            [one] => one,
            _ => {
                return Err(format!(
                    "slug {:?}: {} checks share it; rename or delete all but one",
                    desired.slug,
                    same_slug.len()
                ))
            }
        };
        if let Some(other) = existing.markers().into_iter().find(|m| m != ctx.marker) {
            return Err(format!(
                "slug {:?} belongs to another sync set ({other}); give it another slug or move it between sets by hand",
                desired.slug
            ));
        }
        let mut changes = differences(desired, existing, ctx.marker, &ids, ctx.channels);
        let body = (!changes.is_empty()).then(|| check_body(desired, ctx.marker, &ids));
        let is_paused = existing.status == "paused";
        let pause = match desired.paused {
            Some(want) if want != is_paused => {
                changes.push(Change { field: "paused", from: is_paused.to_string(), to: want.to_string() });
                Some(want)
            }
            _ => None,
        };
        if changes.is_empty() {
            actions.push(Action::Unchanged { slug: desired.slug.clone() });
        } else {
            actions.push(Action::Update {
                uuid: existing.uuid.clone(),
                slug: desired.slug.clone(),
                changes,
                body,
                pause,
            });
        }
    }
    let mut gone: Vec<&Existing> = ctx
        .existing
        .iter()
        .filter(|c| c.markers().iter().any(|m| m == ctx.marker))
        .filter(|c| !declared.iter().any(|d| d.slug == c.slug) && !ctx.keep.contains(&c.slug))
        .collect();
    gone.sort_by(|a, b| a.slug.cmp(&b.slug));
    for check in gone {
        actions.push(if ctx.prune {
            Action::Prune { uuid: check.uuid.clone(), slug: check.slug.clone() }
        } else {
            Action::Undeclared { slug: check.slug.clone() }
        });
    }
    Ok(actions)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARKER: &str = "edgebeat:sync";

    fn channels() -> Vec<ChannelInfo> {
        vec![
            ChannelInfo { id: "c1".into(), name: "ops".into() },
            ChannelInfo { id: "c2".into(), name: "on-call".into() },
            ChannelInfo { id: "c3".into(), name: "dup".into() },
            ChannelInfo { id: "c4".into(), name: "dup".into() },
        ]
    }

    /// What the API shows after creating `desired` with its body.
    fn as_created(desired: &Desired, uuid: &str) -> Existing {
        let ids = resolve_channels(&desired.channels, &channels(), &desired.slug).unwrap();
        let body = check_body(desired, MARKER, &ids);
        let mut check: Existing = serde_json::from_value(body).unwrap();
        check.uuid = uuid.into();
        check.status = "new".into();
        if check.schedule.is_some() {
            check.timeout = None;
        }
        check
    }

    fn backup() -> Desired {
        Desired {
            tags: vec!["prod".into(), "db".into()],
            schedule: Schedule::Cron { expr: "15 2 * * *".into(), tz: "Europe/Riga".into() },
            channels: Channels::These(vec!["ops".into(), "c2".into()]),
            ..Desired::new("backup")
        }
    }

    fn run(declared: &[Desired], existing: &[Existing], prune: bool) -> Result<Vec<Action>, String> {
        let channels = channels();
        plan(declared, &Context { existing, channels: &channels, marker: MARKER, prune, keep: &[] })
    }

    #[test]
    fn creates_what_is_missing_with_every_field_and_the_marker() {
        let actions = run(&[backup()], &[], false).unwrap();
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

    fn strict() -> AlertPolicy {
        AlertPolicy {
            failure_threshold: 3,
            recovery_threshold: 2,
            max_runtime: Some(10_800),
            min_runtime: Some(60),
            reminder_interval: 14_400,
        }
    }

    #[test]
    fn alert_settings_are_sent_and_compared() {
        let declared = Desired { alerts: strict(), ..backup() };
        let actions = run(std::slice::from_ref(&declared), &[], false).unwrap();
        let [Action::Create { body, .. }] = &actions[..] else { panic!("{actions:?}") };
        assert_eq!(
            (&body["failure_threshold"], &body["recovery_threshold"], &body["max_runtime"]),
            (&json!(3), &json!(2), &json!(10_800))
        );
        assert_eq!((&body["min_runtime"], &body["reminder_interval"]), (&json!(60), &json!(14_400)));
        // As the API shows it back: unchanged.
        let existing = [as_created(&declared, "u1")];
        assert_eq!(existing[0].alert_policy(), strict());
        assert!(matches!(
            &run(std::slice::from_ref(&declared), &existing, false).unwrap()[..],
            [Action::Unchanged { .. }]
        ));
        // A changed threshold and a reminder turned off.
        let edited =
            Desired { alerts: AlertPolicy { failure_threshold: 5, reminder_interval: 0, ..strict() }, ..backup() };
        let actions = run(&[edited], &existing, false).unwrap();
        let [Action::Update { changes, body: Some(body), .. }] = &actions[..] else { panic!("{actions:?}") };
        let fields: Vec<&str> = changes.iter().map(|c| c.field).collect();
        assert_eq!(fields, ["failure_threshold", "reminder_interval"]);
        assert!(describe(&actions[0], false).contains("failure_threshold: 3 -> 5; reminder_interval: 4h -> off"));
        assert_eq!((&body["failure_threshold"], &body["reminder_interval"]), (&json!(5), &json!(0)));
        assert_eq!(body["max_runtime"], 10_800, "the update body carries every setting");
    }

    #[test]
    fn alert_settings_left_out_of_the_file_are_reset() {
        let existing = [as_created(&Desired { alerts: strict(), ..backup() }, "u1")];
        let actions = run(&[backup()], &existing, false).unwrap();
        let [Action::Update { changes, body: Some(body), .. }] = &actions[..] else { panic!("{actions:?}") };
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
        let existing: Existing = serde_json::from_value(shown).unwrap();
        assert_eq!(existing.alert_policy(), AlertPolicy::default());
        assert!(matches!(&run(&[Desired::new("x")], &[existing], false).unwrap()[..], [Action::Unchanged { .. }]));
    }

    #[test]
    fn a_second_run_changes_nothing() {
        let declared = [backup(), Desired::new("plain"), Desired { alerts: strict(), ..Desired::new("strict") }];
        let existing: Vec<Existing> =
            declared.iter().enumerate().map(|(i, d)| as_created(d, &format!("u{i}"))).collect();
        let actions = run(&declared, &existing, true).unwrap();
        assert!(actions.iter().all(|a| matches!(a, Action::Unchanged { .. })), "{actions:?}");
        // Tag order and channel order do not matter.
        let mut shuffled = existing.clone();
        shuffled[0].tags = "edgebeat:sync db prod".into();
        shuffled[0].channels = "c2,c1".into();
        assert!(run(&declared, &shuffled, true).unwrap().iter().all(|a| matches!(a, Action::Unchanged { .. })));
    }

    #[test]
    fn changes_list_each_differing_field() {
        let existing = [as_created(&backup(), "u1")];
        let changed = Desired {
            grace: 1800,
            schedule: Schedule::Period(3600),
            channels: Channels::These(vec!["ops".into()]),
            ..backup()
        };
        let actions = run(&[changed], &existing, false).unwrap();
        let [Action::Update { uuid, changes, body: Some(body), pause: None, .. }] = &actions[..] else {
            panic!("{actions:?}")
        };
        assert_eq!(uuid, "u1");
        let fields: Vec<&str> = changes.iter().map(|c| c.field).collect();
        assert_eq!(fields, ["schedule", "grace", "channels"]);
        assert_eq!(changes[2].from, "on-call,ops", "names in order, whatever the ids");
        assert_eq!(changes[2].to, "ops");
        assert_eq!(body["timeout"], 3600);
        assert!(body.get("schedule").is_none(), "a period replaces the cron schedule");
        assert!(describe(&actions[0], true).starts_with("would change"));
        assert!(describe(&actions[0], false).contains("grace: 1h -> 30m"));
    }

    #[test]
    fn pausing_alone_needs_no_update_body() {
        let existing = [as_created(&backup(), "u1")];
        let paused = Desired { paused: Some(true), ..backup() };
        let actions = run(std::slice::from_ref(&paused), &existing, false).unwrap();
        assert!(matches!(&actions[..], [Action::Update { body: None, pause: Some(true), .. }]), "{actions:?}");
        let mut now_paused = existing.clone();
        now_paused[0].status = "paused".into();
        assert!(matches!(&run(&[paused], &now_paused, false).unwrap()[..], [Action::Unchanged { .. }]));
        let resumed = Desired { paused: Some(false), ..backup() };
        assert!(matches!(
            &run(&[resumed], &now_paused, false).unwrap()[..],
            [Action::Update { pause: Some(false), .. }]
        ));
        // Not saying leaves a paused check paused.
        assert!(matches!(&run(&[backup()], &now_paused, false).unwrap()[..], [Action::Unchanged { .. }]));
    }

    #[test]
    fn prunes_only_this_sets_checks_and_only_when_asked() {
        let mut hand_made = as_created(&Desired::new("by-hand"), "u2");
        hand_made.tags = "prod".into();
        let mut other_set = as_created(&Desired::new("theirs"), "u3");
        other_set.tags = "edgebeat:k8s".into();
        let existing =
            [as_created(&Desired::new("old"), "u1"), hand_made, other_set, as_created(&Desired::new("kept"), "u4")];
        let declared = [Desired::new("new")];
        let channels = channels();
        let keep = ["kept".to_owned()];
        let ctx = Context { existing: &existing, channels: &channels, marker: MARKER, prune: true, keep: &keep };
        let actions = plan(&declared, &ctx).unwrap();
        assert_eq!(actions.len(), 2, "{actions:?}");
        assert!(matches!(&actions[1], Action::Prune { uuid, .. } if uuid == "u1"));
        let actions = run(&declared, &existing, false).unwrap();
        assert!(
            matches!(&actions[..], [Action::Create { .. }, Action::Undeclared { .. }, Action::Undeclared { .. }]),
            "{actions:?}"
        );
        assert_eq!(summarize(&actions), Summary { created: 1, ..Summary::default() });
    }

    #[test]
    fn adopts_a_hand_made_check_with_the_same_slug() {
        let mut hand_made = as_created(&backup(), "u1");
        hand_made.tags = "prod db".into();
        let actions = run(&[backup()], &[hand_made], false).unwrap();
        let [Action::Update { changes, body: Some(body), .. }] = &actions[..] else { panic!("{actions:?}") };
        assert_eq!(changes[0].field, "tags");
        assert_eq!(body["tags"], "prod db edgebeat:sync");
    }

    #[test]
    fn refuses_conflicts_before_changing_anything() {
        let mut theirs = as_created(&Desired::new("x"), "u1");
        theirs.tags = "edgebeat:k8s".into();
        assert!(run(&[Desired::new("x")], &[theirs], false).unwrap_err().contains("another sync set"));
        let twins = [as_created(&Desired::new("x"), "u1"), as_created(&Desired::new("x"), "u2")];
        assert!(run(&[Desired::new("x")], &twins, false).unwrap_err().contains("2 checks share it"));
        let unknown = Desired { channels: Channels::These(vec!["nope".into()]), ..Desired::new("x") };
        assert!(run(&[unknown], &[], false).unwrap_err().contains("no channel named \"nope\""));
        let ambiguous = Desired { channels: Channels::These(vec!["dup".into()]), ..Desired::new("x") };
        assert!(run(&[ambiguous], &[], false).unwrap_err().contains("several channels"));
    }

    #[test]
    fn declared_channels_are_created_once_by_name() {
        let declared =
            vec![("ops".to_owned(), json!({"kind": "slack"})), ("new".to_owned(), json!({"kind": "webhook"}))];
        let actions = plan_channels(&declared, &channels());
        assert_eq!(
            actions,
            [
                ChannelAction::Exists { name: "ops".into() },
                ChannelAction::Create { name: "new".into(), body: json!({"kind": "webhook"}) }
            ]
        );
        assert_eq!(describe_channel(&actions[1], true), "would create     channel new");
        assert_eq!(describe_channel(&actions[0], false), "unchanged        channel ops (exists; left as it is)");
    }

    #[test]
    fn all_channels_means_every_channel_of_the_project() {
        let all = Desired { channels: Channels::All, ..Desired::new("x") };
        let actions = run(&[all], &[], false).unwrap();
        let [Action::Create { body, .. }] = &actions[..] else { panic!() };
        assert_eq!(body["channels"], "c1,c2,c3,c4");
    }
}
