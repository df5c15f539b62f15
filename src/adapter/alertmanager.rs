//! `POST /alertmanager/<ping_key>`: the Alertmanager watchdog receiver. The
//! domain (`crate::domain::alertmanager`) reads the payload into heartbeats,
//! refusing a bad one as a whole before anything is written; each heartbeat
//! is then recorded through the ping path, exactly as a
//! `/ping/<ping_key>/<slug>` ping that creates its check on first sight.

use super::context::{read_body, Body, Failure, RequestContext};
use super::ping::{Ping, Recorder};
use super::store::PingRow;
use crate::domain::alertmanager::{heartbeats, parse_query, AlertmanagerError};
use crate::domain::body::BodyLimits;
use crate::domain::ping::PingError;
use crate::domain::reply::Reply;
use serde_json::json;
use worker::Request;

/// The largest payload read (Alertmanager sends one group's alerts; a
/// thousand alerts with their labels and annotations fit). Larger ones: 413.
const MAX_PAYLOAD_BYTES: usize = 1_000_000;
/// User agents are kept to 200 characters, as for pings.
const MAX_UA: usize = 200;

// Answers are JSON, errors the API's `{"error": "..."}`: Alertmanager logs
// the status, people reading its logs or curl's output read the message.
fn refused(error: &AlertmanagerError) -> Reply {
    Reply::error(error.status(), error.to_string())
}

fn failed(failure: impl Into<Failure>) -> Reply {
    failure.into().reply("alertmanager", false)
}

pub async fn handle(ping_key: &str, ctx: &RequestContext<'_>, req: &mut Request) -> Reply {
    let query = match parse_query(&ctx.incoming.query) {
        Ok(query) => query,
        Err(err) => return refused(&err),
    };
    let store = match ctx.store() {
        Ok(store) => store,
        Err(err) => return failed(err),
    };
    let body = match read_body(req, BodyLimits { keep: MAX_PAYLOAD_BYTES, accept: MAX_PAYLOAD_BYTES }).await {
        Body::Read { kept, .. } => kept,
        Body::TooLarge => return Reply::error(413, PingError::TooLarge(MAX_PAYLOAD_BYTES).to_string()),
        Body::Incomplete => return Reply::error(400, PingError::IncompleteBody.to_string()),
    };
    let beats = match heartbeats(&body, &query) {
        Ok(beats) => beats,
        Err(err) => return refused(&err),
    };
    let incoming = &ctx.incoming;
    let ua: String = incoming.header("User-Agent").unwrap_or_default().chars().take(MAX_UA).collect();
    let remote_addr = incoming.header("CF-Connecting-IP");
    let limit = ctx.settings.ping_body_limit;
    let mut created = Vec::new();
    for beat in &beats {
        // Kept as any ping body is: cut at PING_BODY_LIMIT.
        let kept = &beat.body[..beat.body.len().min(limit)];
        let ping = Ping {
            signal: beat.signal,
            rid: None,
            method: &incoming.method_name,
            body: kept,
            row: PingRow {
                scheme: &incoming.scheme,
                method: &incoming.method_name,
                ua: &ua,
                remote_addr: remote_addr.as_deref(),
                exit_status: None,
                rid: None,
                body: kept,
            },
        };
        let recorder = Recorder { ctx, store, ping: &ping };
        match recorder.by_slug(ping_key, &beat.slug, Some(&beat.config)).await {
            Ok(Ok(true)) => created.push(beat.slug.as_str()),
            Ok(Ok(false)) => {}
            // An unknown ping key refuses the first alert: nothing is written.
            Ok(Err(PingError::NotFound)) => return Reply::error(404, "not found"),
            // A check limit (403) or a slug two checks share (409): the
            // alerts before this one are recorded, the rest are not.
            Ok(Err(rejection)) => {
                return Reply::error(rejection.status(), format!("alert for check {}: {rejection}", beat.slug));
            }
            Err(failure) => return failed(failure),
        }
    }
    let status = if created.is_empty() { 200 } else { 201 };
    Reply::json(status, &json!({ "recorded": beats.len(), "created": created }))
}
