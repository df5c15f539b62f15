//! The stalled-cron rescue: a request that finds the last completed sweep
//! more than two minutes old runs a sweep itself after answering, claimed
//! with a conditional update so that only one runs at a time. Each isolate
//! looks at most once a minute, so the ping path pays nothing while the
//! cron trigger keeps up.

use super::{sweep, App, Platform};
use crate::domain::health::{rescue_due, RESCUE_CHECK_EVERY_MS, RESCUE_CLAIM_MS};
use crate::domain::time::Timestamp;
use crate::store::{Store, StoreError};
use std::cell::Cell;

thread_local! {
    /// When this isolate last looked at the sweeps (Unix ms).
    static LAST_LOOK: Cell<i64> = const { Cell::new(i64::MIN) };
}

/// Whether this isolate should look for a stalled cron now (at most once a
/// minute).
pub fn due_to_look(at: Timestamp) -> bool {
    LAST_LOOK.with(|last| {
        let look = at.millis().saturating_sub(last.get()) >= RESCUE_CHECK_EVERY_MS;
        if look {
            last.set(at.millis());
        }
        look
    })
}

/// Runs a sweep of every database if the first one's sweeps stalled and no
/// other request holds the rescue claim.
pub async fn rescue<S: Store, P: Platform>(app: &App<'_, S, P>, at: Timestamp) -> Result<(), StoreError> {
    let store = app.shards.first();
    let record = store.sweep_record().await?;
    if !rescue_due(record.last_completed, at) {
        return Ok(());
    }
    if !store.claim_rescue(at, at.plus_millis(RESCUE_CLAIM_MS)).await? {
        return Ok(());
    }
    sweep::run(app, app.platform.now(), true).await;
    store.release_rescue(at).await
}
