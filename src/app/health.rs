//! `GET /health`: whether edgebeat is sweeping and can store pings, in
//! every database. Anyone sees ok or down, the reason in one word and when
//! the last sweep ran (`domain::health::report`); the shared sweep's
//! statistics, error texts, the version and, with several databases, each
//! database's own answer only with the admin token.

use super::{App, Level, Platform, Request};
use crate::domain::health::{report, Details, Storage, SweepRecord};
use crate::domain::ids::secret_matches;
use crate::domain::reply::Reply;
use crate::domain::time::Timestamp;
use crate::store::Store;
use serde_json::{json, Value};

pub async fn handle<S: Store, P: Platform>(app: &App<'_, S, P>, req: &Request) -> Reply {
    let details = match (&app.settings.admin_token, req.header("authorization")) {
        (Some(expected), Some(header)) => {
            header.strip_prefix("Bearer ").is_some_and(|token| secret_matches(token.trim(), expected))
        }
        _ => false,
    };
    let now = app.platform.now();
    let mut worst: Option<(u16, Value)> = None;
    let mut databases = Vec::new();
    for (n, store) in app.shards.all() {
        let (status, body) = database_health(app, store, now, details).await;
        if worst.as_ref().is_none_or(|(s, _)| status > *s) {
            worst = Some((status, body.clone()));
        }
        databases.push(json!({"database": n, "status": status, "health": body}));
    }
    let (status, mut body) = worst.unwrap_or((503, json!({"status": "down", "reason": "storage"})));
    // The deployment is as healthy as its least healthy database. With
    // several, the operator also sees each one's own answer.
    if details && databases.len() > 1 {
        body["databases"] = Value::Array(databases);
    }
    Reply::json(status, &body).with_header("Cache-Control", "no-store")
}

async fn database_health<S: Store, P: Platform>(
    app: &App<'_, S, P>,
    store: &S,
    now: Timestamp,
    details: bool,
) -> (u16, Value) {
    let mut last_rescue = None;
    let (record, storage) = match store.sweep_record().await {
        Err(err) => (SweepRecord::default(), Storage::Unavailable(err.to_string())),
        Ok(record) => {
            if details {
                last_rescue = store.last_rescue().await.ok().flatten();
            }
            match store.probe_ping_write().await {
                Ok(()) => (record, Storage::Ok),
                Err(err) => (record, Storage::PingsFailing(err.to_string())),
            }
        }
    };
    if let Storage::Unavailable(error) | Storage::PingsFailing(error) = &storage {
        app.platform.log(Level::Error, &format!("health: {error}"));
    }
    let shown = details.then_some(Details { sweeps: &record, storage: &storage, last_rescue });
    report(&record, &storage, now, shown.as_ref())
}
