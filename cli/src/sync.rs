//! Carrying out a sync plan through API v3 (the I/O around `plan`), shared
//! by `sync` and `k8s-sync`.

use crate::client::Api;
use crate::plan::{
    describe, describe_channel, plan, plan_channels, summarize, Action, ChannelAction, ChannelInfo, Context, Existing,
    Summary,
};
use crate::spec::Desired;
use serde_json::Value;

pub struct SyncOptions<'a> {
    pub marker: &'a str,
    pub prune: bool,
    pub dry_run: bool,
    pub keep: &'a [String],
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

/// Plans against the project's current checks and channels, prints each
/// action as it is carried out (or would be, in a dry run) and a summary.
/// Stops at the first failed request.
/// `channels`: declared channels by name, with their create bodies (secrets expanded).
pub fn sync(
    api: &Api,
    channels: &[(String, Value)],
    declared: &[Desired],
    options: &SyncOptions,
) -> Result<Summary, String> {
    let existing: Vec<Existing> = api.list("checks/", "checks").map_err(|e| e.to_string())?;
    if existing.iter().any(|c| c.uuid.is_empty()) {
        return Err("the API hides check uuids from this key: sync needs the project's read-write key (hcw_...)".into());
    }
    let mut known: Vec<ChannelInfo> = api.list("channels/", "channels").map_err(|e| e.to_string())?;
    // Channels first, so that the checks can refer to them.
    let channel_actions = plan_channels(channels, &known);
    for action in &channel_actions {
        if let ChannelAction::Create { name, body } = action {
            if options.dry_run {
                known.push(ChannelInfo { id: format!("(new channel {name})"), name: name.clone() });
            } else {
                api.call("POST", "channels/", Some(body)).map_err(|e| format!("channel {name}: {e}"))?;
            }
        }
        println!("{}", describe_channel(action, options.dry_run));
    }
    if !options.dry_run && channel_actions.iter().any(|a| matches!(a, ChannelAction::Create { .. })) {
        known = api.list("channels/", "channels").map_err(|e| e.to_string())?;
    }
    let channels = known;
    let context = Context {
        existing: &existing,
        channels: &channels,
        marker: options.marker,
        prune: options.prune,
        keep: options.keep,
    };
    let actions = plan(declared, &context)?;
    for action in &actions {
        if !options.dry_run {
            perform(api, action)?;
        }
        println!("{}", describe(action, options.dry_run));
    }
    let summary = summarize(&actions);
    let Summary { created, changed, unchanged, pruned } = &summary;
    if options.dry_run {
        println!(
            "dry run, nothing changed: would create {created}, change {changed}, prune {pruned}; {unchanged} unchanged"
        );
    } else {
        println!("{created} created, {changed} changed, {unchanged} unchanged, {pruned} pruned");
    }
    Ok(summary)
}
