//! The stalled-cron rescue: a request that finds the last completed sweep
//! more than two minutes old runs a sweep itself after answering
//! (`wait_until`), claimed with a conditional update so that only one runs
//! at a time. Each isolate looks at most once a minute, so the ping path
//! pays nothing while the cron trigger keeps up.

use super::context::{now, RequestContext};
use super::store::Store;
use super::sweep;
use crate::domain::health::{rescue_due, RESCUE_CHECK_EVERY_MS, RESCUE_CLAIM_MS};
use crate::domain::time::Timestamp;
use std::cell::Cell;
use worker::console_error;

thread_local! {
    /// When this isolate last looked at the sweeps (Unix ms).
    static LAST_LOOK: Cell<i64> = const { Cell::new(i64::MIN) };
}

/// Looks (at most once a minute per isolate) whether the sweeps stalled,
/// and if so runs one after the answer.
pub fn after_request(ctx: &RequestContext<'_>) {
    let at = ctx.now;
    let due_to_look = LAST_LOOK.with(|last| {
        let look = at.millis().saturating_sub(last.get()) >= RESCUE_CHECK_EVERY_MS;
        if look {
            last.set(at.millis());
        }
        look
    });
    if !due_to_look {
        return;
    }
    let env = ctx.env.clone();
    ctx.worker.wait_until(async move {
        let Ok(store) = Store::from_env(&env) else { return };
        if let Err(err) = rescue(&store, &env, at).await {
            console_error!("rescue sweep: {err}");
        }
    });
}

async fn rescue(store: &Store, env: &worker::Env, at: Timestamp) -> Result<(), super::store::StoreError> {
    let record = store.sweep_record().await?;
    if !rescue_due(record.last_completed, at) {
        return Ok(());
    }
    if !store.claim_rescue(at, at.plus_millis(RESCUE_CLAIM_MS)).await? {
        return Ok(());
    }
    sweep::run_rescue(now(), env, store).await;
    store.release_rescue(at).await
}
