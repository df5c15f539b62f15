//! Badges: unguessable URLs, no key in a header. A project's badge reads
//! its checks' state once; a check's badge reads one row by its key. The
//! badge key names the database (`crate::domain::shard`).

use super::{App, Failure, Level, Platform};
use crate::domain::badge::{badge_reply, parse_badge_path, parse_check_badge_path, summarize, verify};
use crate::domain::check::ShownStatus;
use crate::domain::reply::Reply;
use crate::store::Store;

fn failed(err: impl Into<Failure>, platform: &impl Platform) -> Reply {
    err.into().reply("badge", false, platform)
}

fn no_such_badge() -> Reply {
    Reply::error(404, "no such badge")
}

/// `/badge/<badge key>/<signature>[/<tag>].<format>`: a project's checks with
/// that tag (or all of them), only for a valid signature.
pub async fn tag_badge<S: Store, P: Platform>(app: &App<'_, S, P>, rest: &str) -> Reply {
    let Some(request) = parse_badge_path(rest) else { return no_such_badge() };
    let Some((_, store)) = app.shards.for_key(&request.badge_key) else { return no_such_badge() };
    let project = match store.project_by_badge_key(&request.badge_key).await {
        Ok(Some(project)) => project,
        Ok(None) => return no_such_badge(),
        Err(err) => return failed(err, app.platform),
    };
    if !verify(project.badge_secret.as_bytes(), &project.badge_key, request.signed_tag(), &request.signature) {
        return no_such_badge();
    }
    let (checks, unreadable) = match store.list_check_states(&project.id).await {
        Ok(found) => found,
        Err(err) => return failed(err, app.platform),
    };
    for problem in &unreadable {
        app.platform.log(Level::Warn, &format!("badge: skipping {problem}"));
    }
    let now = app.platform.now();
    let statuses: Vec<ShownStatus> = checks
        .iter()
        .filter(|c| request.tag.as_deref().is_none_or(|tag| c.config.tags.contains(tag)))
        .map(|c| c.status_at(now))
        .collect();
    let label = match &request.tag {
        Some(tag) => tag.clone(),
        None if project.name.is_empty() => "edgebeat".to_owned(),
        None => project.name.clone(),
    };
    badge_reply(request.format, &label, &summarize(&statuses, request.three_state))
}

/// `/b/<states>/<check badge key>.<format>`: one check.
pub async fn check_badge<S: Store, P: Platform>(app: &App<'_, S, P>, rest: &str) -> Reply {
    let Some((key, three_state, format)) = parse_check_badge_path(rest) else { return no_such_badge() };
    let Some((_, store)) = app.shards.for_key(&key) else { return no_such_badge() };
    match store.check_by_badge_key(&key).await {
        Ok(Some(check)) => {
            badge_reply(format, &check.label(), &summarize(&[check.status_at(app.platform.now())], three_state))
        }
        Ok(None) => no_such_badge(),
        Err(err) => failed(err, app.platform),
    }
}
