//! `GET /health`: whether edgebeat is sweeping and can store pings. The
//! shared sweep's statistics and error texts only for the holder of the
//! admin token.

use super::context::RequestContext;
use crate::domain::health::{report, Details, Storage, SweepRecord};
use crate::domain::ids::secret_matches;
use crate::domain::reply::Reply;

pub async fn handle(ctx: &RequestContext<'_>) -> Reply {
    let details = match (&ctx.settings.admin_token, ctx.incoming.header("Authorization")) {
        (Some(expected), Some(header)) => {
            header.strip_prefix("Bearer ").is_some_and(|token| secret_matches(token.trim(), expected))
        }
        _ => false,
    };
    let mut last_rescue = None;
    let (record, storage) = match ctx.store() {
        Err(err) => (SweepRecord::default(), Storage::Unavailable(err.to_string())),
        Ok(store) => match store.sweep_record().await {
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
        },
    };
    if let Storage::Unavailable(error) | Storage::PingsFailing(error) = &storage {
        worker::console_error!("health: {error}");
    }
    let shown = details.then_some(Details { sweeps: &record, storage: &storage, last_rescue });
    let (status, body) = report(&record, &storage, ctx.now, shown.as_ref());
    Reply::json(status, &body).with_header("Cache-Control", "no-store")
}
