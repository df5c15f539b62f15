//! Badges: unguessable URLs, no key in a header. A project's badge reads
//! its checks' state once; a check's badge reads one row by its key.

use super::context::{Failure, RequestContext};
use crate::domain::badge::{badge_reply, parse_badge_path, parse_check_badge_path, summarize, verify};
use crate::domain::check::ShownStatus;
use crate::domain::reply::Reply;
use worker::console_warn;

fn failed(err: impl Into<Failure>) -> Reply {
    err.into().reply("badge", false)
}

fn no_such_badge() -> Reply {
    Reply::error(404, "no such badge")
}

/// `/badge/<badge key>/<signature>[/<tag>].<format>`: a project's checks with
/// that tag (or all of them), only for a valid signature.
pub async fn tag_badge(rest: &str, ctx: &RequestContext<'_>) -> Reply {
    let Some(request) = parse_badge_path(rest) else { return no_such_badge() };
    let store = match ctx.store() {
        Ok(store) => store,
        Err(err) => return failed(err),
    };
    let project = match store.project_by_badge_key(&request.badge_key).await {
        Ok(Some(project)) => project,
        Ok(None) => return no_such_badge(),
        Err(err) => return failed(err),
    };
    if !verify(project.badge_secret.as_bytes(), &project.badge_key, request.signed_tag(), &request.signature) {
        return no_such_badge();
    }
    let (checks, unreadable) = match store.list_check_states(&project.id).await {
        Ok(found) => found,
        Err(err) => return failed(err),
    };
    for problem in &unreadable {
        console_warn!("badge: skipping {problem}");
    }
    let statuses: Vec<ShownStatus> = checks
        .iter()
        .filter(|c| request.tag.as_deref().is_none_or(|tag| c.config.tags.contains(tag)))
        .map(|c| c.status_at(ctx.now))
        .collect();
    let label = match &request.tag {
        Some(tag) => tag.clone(),
        None if project.name.is_empty() => "edgebeat".to_owned(),
        None => project.name.clone(),
    };
    badge_reply(request.format, &label, &summarize(&statuses, request.three_state))
}

/// `/b/<states>/<check badge key>.<format>`: one check.
pub async fn check_badge(rest: &str, ctx: &RequestContext<'_>) -> Reply {
    let Some((key, three_state, format)) = parse_check_badge_path(rest) else { return no_such_badge() };
    let check = match ctx.store() {
        Ok(store) => store.check_by_badge_key(&key).await,
        Err(err) => return failed(err),
    };
    match check {
        Ok(Some(check)) => badge_reply(format, &check.label(), &summarize(&[check.status_at(ctx.now)], three_state)),
        Ok(None) => no_such_badge(),
        Err(err) => failed(err),
    }
}
