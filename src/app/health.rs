//! `GET /health`: whether edgebeat is sweeping and can store pings, in
//! every database. Error texts only for the holder of the admin token.

use super::{App, Level, Platform, Request};
use crate::domain::health::{report, with_rescue, Storage, SweepRecord};
use crate::domain::ids::secret_matches;
use crate::domain::reply::Reply;
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
    let (status, mut body) = worst.unwrap_or((503, json!({"status": "unavailable"})));
    // One database: the answer as it always was. Several: the worst one's,
    // and each database's own beside it.
    if databases.len() > 1 {
        body["databases"] = Value::Array(databases);
    }
    Reply::json(status, &body).with_header("Cache-Control", "no-store")
}

async fn database_health<S: Store, P: Platform>(
    app: &App<'_, S, P>,
    store: &S,
    now: crate::domain::time::Timestamp,
    details: bool,
) -> (u16, Value) {
    let mut last_rescue = None;
    let (record, storage) = match store.sweep_record().await {
        Err(err) => (SweepRecord::default(), Storage::Unavailable(err.to_string())),
        Ok(record) => {
            last_rescue = store.last_rescue().await.ok().flatten();
            match store.probe_ping_write().await {
                Ok(()) => (record, Storage::Ok),
                Err(err) => (record, Storage::PingsFailing(err.to_string())),
            }
        }
    };
    if let Storage::Unavailable(error) | Storage::PingsFailing(error) = &storage {
        app.platform.log(Level::Error, &format!("health: {error}"));
    }
    let (status, body) = report(&record, &storage, now, details);
    (status, with_rescue(body, last_rescue))
}
