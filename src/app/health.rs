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

/// What one database's look found.
pub(super) struct Look {
    pub record: SweepRecord,
    pub storage: Storage,
    pub last_rescue: Option<Timestamp>,
}

pub async fn handle<S: Store, P: Platform>(app: &App<'_, S, P>, req: &Request) -> Reply {
    let details = match (&app.settings.admin_token, req.header("authorization")) {
        (Some(expected), Some(header)) => {
            header.strip_prefix("Bearer ").is_some_and(|token| secret_matches(token.trim(), expected))
        }
        _ => false,
    };
    let now = app.platform.now();
    let mut looks = Vec::new();
    for (_, store) in app.shards.all() {
        looks.push(look(app, store, details).await);
    }
    // The deployment is as healthy as its least healthy database, and its
    // sweep's counts are the sum of theirs.
    let record = SweepRecord::combined(looks.iter().map(|l| &l.record));
    let storage = looks
        .iter()
        .enumerate()
        .map(|(n, l)| match &l.storage {
            Storage::Ok => Storage::Ok,
            Storage::PingsFailing(error) => Storage::PingsFailing(format!("database {n}: {error}")),
            Storage::Unavailable(error) => Storage::Unavailable(format!("database {n}: {error}")),
        })
        .max_by_key(|s| match s {
            Storage::Ok => 0,
            Storage::PingsFailing(_) => 1,
            Storage::Unavailable(_) => 2,
        })
        .unwrap_or(Storage::Unavailable("no database is bound".into()));
    let last_rescue = looks.iter().filter_map(|l| l.last_rescue).max();
    let shown = details.then_some(Details { sweeps: &record, storage: &storage, last_rescue });
    let (status, mut body) = report(&record, &storage, now, shown.as_ref());
    // With several databases the operator also sees each one's own answer.
    if details && looks.len() > 1 {
        let each = looks.iter().enumerate().map(|(n, l)| {
            let own = Details { sweeps: &l.record, storage: &l.storage, last_rescue: l.last_rescue };
            let (status, health) = report(&l.record, &l.storage, now, Some(&own));
            json!({"database": n, "status": status, "health": health})
        });
        body["databases"] = Value::Array(each.collect());
    }
    Reply::json(status, &body).with_header("Cache-Control", "no-store")
}

/// One database's sweep record and whether a ping can be stored in it now
/// (and, with `details`, its last rescue sweep); a failure is logged.
pub(super) async fn look<S: Store, P: Platform>(app: &App<'_, S, P>, store: &S, details: bool) -> Look {
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
    Look { record, storage, last_rescue }
}
