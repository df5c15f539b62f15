//! `POST /alertmanager/<ping_key>`: the Alertmanager watchdog receiver. The
//! domain (`crate::domain::alertmanager`) reads the payload into heartbeats,
//! refusing a bad one as a whole before anything is written; each heartbeat
//! is then recorded through the ping path, exactly as a
//! `/ping/<ping_key>/<slug>` ping that creates its check on first sight.

use super::ping::{Ping, Recorder};
use super::{After, App, Body, Handled, Platform, Request};
use crate::domain::alertmanager::{heartbeats, parse_query, AlertmanagerError};
use crate::domain::ping::PingError;
use crate::domain::reply::Reply;
use crate::store::Store;
use serde_json::json;

/// The largest payload read (Alertmanager sends one group's alerts; a
/// thousand alerts with their labels and annotations fit). Larger ones: 413.
pub const MAX_PAYLOAD_BYTES: usize = 1_000_000;
/// User agents are kept to 200 characters, as for pings.
const MAX_UA: usize = 200;

// Answers are JSON, errors the API's `{"error": "..."}`: Alertmanager logs
// the status, people reading its logs or curl's output read the message.
fn refused(error: &AlertmanagerError) -> Reply {
    Reply::error(error.status(), error.to_string())
}

pub async fn handle<S: Store, P: Platform>(app: &App<'_, S, P>, ping_key: &str, req: &Request) -> Handled {
    let query = match parse_query(&req.query) {
        Ok(query) => query,
        Err(err) => return refused(&err).into(),
    };
    let body = match &req.body {
        Body::Read { kept, cut: false } => kept,
        Body::Read { cut: true, .. } | Body::TooLarge => {
            return Reply::error(413, PingError::TooLarge(MAX_PAYLOAD_BYTES).to_string()).into()
        }
        Body::Truncated => return Reply::error(400, PingError::IncompleteBody.to_string()).into(),
    };
    let beats = match heartbeats(body, &query) {
        Ok(beats) => beats,
        Err(err) => return refused(&err).into(),
    };
    let Some((shard, store)) = app.shards.for_key(ping_key) else {
        return Reply::error(404, "not found").into();
    };
    let ua: String = req.header("user-agent").unwrap_or_default().chars().take(MAX_UA).collect();
    let limit = app.settings.ping_body_limit;
    let mut created = Vec::new();
    let mut notified = false;
    for beat in &beats {
        // Kept as any ping body is: cut at PING_BODY_LIMIT.
        let ping = Ping {
            signal: beat.signal,
            rid: None,
            event_at: None,
            method: req.method_name.clone(),
            scheme: req.scheme.clone(),
            ua: ua.clone(),
            remote_addr: req.header("cf-connecting-ip").map(str::to_owned),
            body: beat.body[..beat.body.len().min(limit)].to_vec(),
            email: None,
        };
        let recorder = Recorder { app, store, ping: &ping };
        match recorder.by_slug(ping_key, &beat.slug, Some(&beat.config)).await {
            Ok(Ok(recorded)) => {
                notified |= recorded.notified;
                if recorded.created {
                    created.push(beat.slug.as_str());
                }
            }
            // An unknown ping key refuses the first alert: nothing is written.
            Ok(Err(PingError::NotFound)) => return Reply::error(404, "not found").into(),
            // A check limit (403) or a slug two checks share (409): the
            // alerts before this one are recorded, the rest are not.
            Ok(Err(rejection)) => {
                let reply = Reply::error(rejection.status(), format!("alert for check {}: {rejection}", beat.slug));
                return Handled { reply, after: notified.then_some(After::Deliver { shard }).into_iter().collect() };
            }
            Err(failure) => {
                app.platform.log(super::Level::Error, &format!("alertmanager: {failure}"));
                let reply = Reply::error(503, "storage unavailable, try again").with_header("Retry-After", "1");
                return Handled { reply, after: notified.then_some(After::Deliver { shard }).into_iter().collect() };
            }
        }
    }
    let status = if created.is_empty() { 200 } else { 201 };
    Handled {
        reply: Reply::json(status, &json!({ "recorded": beats.len(), "created": created })),
        after: notified.then_some(After::Deliver { shard }).into_iter().collect(),
    }
}
