//! Carrying out a sync plan through API v3 (the I/O around `plan`), shared
//! by `sync` and `k8s-sync`. Everything is planned, and every problem found,
//! before the first change.

use crate::client::Api;
use crate::plan::{
    describe, describe_channel, plan, plan_channels, summarize, Action, ChannelAction, ChannelInfo, Context, Existing,
    Gone, Plan, Summary,
};
use crate::spec::Desired;
use serde_json::Value;

/// Decides whether a run may prune these slugs of the set's `synced` checks.
pub type PruneGuard<'a> = &'a dyn Fn(&[String], usize) -> Result<(), String>;

pub struct SyncOptions<'a> {
    pub marker: &'a str,
    pub gone: Gone,
    pub dry_run: bool,
    /// Slugs never to prune (declarations that could not be read this time).
    pub keep: &'a [String],
    /// A file a person wrote: any problem changes nothing. Otherwise (the
    /// cluster's CronJobs) a check with a problem is skipped and reported,
    /// and the rest is synced.
    pub all_or_nothing: bool,
    pub prune_guard: Option<PruneGuard<'a>>,
}

/// Why a sync stopped, and whether it had changed anything by then.
#[derive(Debug)]
pub struct Stopped {
    pub problems: Vec<String>,
    pub changed_nothing: bool,
}

impl Stopped {
    fn before_any_change(problems: Vec<String>) -> Stopped {
        Stopped { problems, changed_nothing: true }
    }
}

/// What a sync skipped, with why (the requests the server refused).
#[derive(Debug, Default)]
pub struct Outcome {
    pub problems: Vec<String>,
}

fn uuid_of(created: &Value) -> Result<String, String> {
    created
        .get("uuid")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| "the API did not show the new check's uuid (is EDGEBEAT_API_KEY a read-only key?)".into())
}

fn perform(api: &Api, action: &Action) -> Result<(), String> {
    let fail = |e: crate::client::ApiError| format!("{}: {e}", action.slug());
    match action {
        Action::Create { body, pause, .. } => {
            let created = api.call("POST", "checks/", Some(body)).map_err(fail)?;
            if *pause {
                api.call("POST", &format!("checks/{}/pause", uuid_of(&created)?), None).map_err(fail)?;
            }
        }
        Action::Update { uuid, body, pause, .. } => {
            if let Some(body) = body {
                api.call("POST", &format!("checks/{uuid}"), Some(body)).map_err(fail)?;
            }
            match pause {
                Some(true) => {
                    api.call("POST", &format!("checks/{uuid}/pause"), None).map_err(fail)?;
                }
                Some(false) => {
                    api.call("POST", &format!("checks/{uuid}/resume"), None).map_err(fail)?;
                }
                None => {}
            }
        }
        Action::Prune { uuid, .. } => {
            api.call("DELETE", &format!("checks/{uuid}"), None).map_err(fail)?;
        }
        Action::Unchanged { .. } | Action::Undeclared { .. } => {}
    }
    Ok(())
}

/// Whether carrying out the action changes anything.
fn changes(action: &Action) -> bool {
    !matches!(action, Action::Unchanged { .. } | Action::Undeclared { .. })
}

fn list_checks(api: &Api) -> Result<Vec<Existing>, String> {
    let listed: Vec<Value> = api.list("checks/", "checks").map_err(|e| e.to_string())?;
    let existing = listed.into_iter().map(Existing::from_value).collect::<Result<Vec<_>, _>>()?;
    if existing.iter().any(|c| c.uuid.is_empty()) {
        return Err("the API hides check uuids from this key: sync needs the project's read-write key (hcw_...)".into());
    }
    Ok(existing)
}

fn plan_with(declared: &[Desired], existing: &[Existing], channels: &[ChannelInfo], options: &SyncOptions) -> Plan {
    let context = Context { existing, channels, marker: options.marker, gone: options.gone, keep: options.keep };
    plan(declared, &context)
}

/// Plans against the project's current checks and channels, then (unless
/// there is a reason to change nothing) prints each action as it is carried
/// out, or would be in a dry run, and a summary. `channels`: declared channels by name, with their
/// create bodies (secrets expanded, validated).
pub fn sync(
    api: &Api,
    channels: &[(String, Value)],
    declared: &[Desired],
    options: &SyncOptions,
) -> Result<Outcome, Stopped> {
    let one = |e: String| Stopped::before_any_change(vec![e]);
    let existing = list_checks(api).map_err(one)?;
    let known: Vec<ChannelInfo> = api.list("channels/", "channels").map_err(|e| one(e.to_string()))?;
    // The channels the file declares are made first, so that checks can name
    // them; to plan before any change, new ones stand in under their names.
    let channel_actions = plan_channels(channels, &known);
    let mut planning_channels = known.clone();
    for action in &channel_actions {
        if let ChannelAction::Create { name, .. } = action {
            planning_channels.push(ChannelInfo { id: format!("(new channel {name})"), name: name.clone() });
        }
    }
    let mut planned = plan_with(declared, &existing, &planning_channels, options);
    let mut problems: Vec<String> = planned.problems.iter().map(|(slug, p)| format!("check {slug:?}: {p}")).collect();
    if options.all_or_nothing && !problems.is_empty() {
        return Err(Stopped::before_any_change(problems));
    }
    if let Some(guard) = options.prune_guard {
        let prunes = planned.prunes();
        let synced = existing.iter().filter(|c| c.tag_list().iter().any(|t| t == options.marker)).count();
        guard(&prunes, synced).map_err(one)?;
    }
    let mut created_channels = 0;
    for action in &channel_actions {
        if let ChannelAction::Create { name, body } = action {
            if !options.dry_run {
                api.call("POST", "channels/", Some(body)).map_err(|e| Stopped {
                    problems: vec![format!("channel {name}: {e}")],
                    changed_nothing: created_channels == 0,
                })?;
                created_channels += 1;
            }
        }
        println!("{}", describe_channel(action, options.dry_run));
    }
    if !options.dry_run && channel_actions.iter().any(|a| matches!(a, ChannelAction::Create { .. })) {
        // Plan again with the new channels' ids.
        let known: Vec<ChannelInfo> = api
            .list("channels/", "channels")
            .map_err(|e| Stopped { problems: vec![e.to_string()], changed_nothing: false })?;
        planned = plan_with(declared, &existing, &known, options);
        problems = planned.problems.iter().map(|(slug, p)| format!("check {slug:?}: {p}")).collect();
    }
    let mut done = Vec::new();
    for action in &planned.actions {
        if !options.dry_run {
            if let Err(failure) = perform(api, action) {
                if options.all_or_nothing {
                    let changed_nothing = created_channels == 0 && done.iter().all(|a| !changes(a));
                    return Err(Stopped { problems: vec![format!("{failure}; stopped there")], changed_nothing });
                }
                problems.push(failure);
                continue;
            }
        }
        println!("{}", describe(action, options.dry_run));
        done.push(action.clone());
    }
    let Summary { created, changed, unchanged, pruned } = summarize(&done);
    if options.dry_run {
        println!(
            "dry run, nothing changed: would create {created}, change {changed}, prune {pruned}; {unchanged} unchanged"
        );
    } else {
        println!("{created} created, {changed} changed, {unchanged} unchanged, {pruned} pruned");
    }
    Ok(Outcome { problems })
}
