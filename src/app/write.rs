//! The one loop every conditional write of a check goes through: decide
//! from the check as read, hand the plan to storage, and when the check
//! changed in between (the plan's conditions no longer held), read it again
//! and decide again, with growing, jittered pauses, within a time budget.

use super::Platform;
use crate::domain::check::Check;
use crate::domain::plan::{Applied, CheckPlan};
use crate::store::{CheckStore, StoreError};

/// How long a write keeps trying while the check keeps changing under it.
pub const CONTENTION_BUDGET_MS: i64 = 5_000;
/// The first pause between attempts; it doubles up to `MAX_PAUSE_MS`.
const FIRST_PAUSE_MS: f64 = 5.0;
const MAX_PAUSE_MS: f64 = 200.0;

/// How a conditional write ended, when it did not land.
#[derive(Debug)]
pub enum WriteError<E> {
    /// The decision refused (e.g. resuming a check that is not paused).
    Refused(E),
    /// The check was deleted in between.
    Gone,
    /// The check kept changing for the whole budget.
    Contended,
    Store(StoreError),
}

impl<E> From<StoreError> for WriteError<E> {
    fn from(err: StoreError) -> Self {
        WriteError::Store(err)
    }
}

/// A write that landed: the check as it was read for the decision that
/// landed, the plan, what the decision returned besides, and what storage
/// reported.
pub struct Written<T> {
    pub read: Check,
    pub plan: CheckPlan,
    pub decided: T,
    pub applied: Applied,
}

/// Decides from `check` and writes the plan; re-reads and re-decides when
/// the check changed under it. `race_point` names the test hook between
/// the read and the write.
pub async fn decide_and_apply<S, P, T, E>(
    store: &S,
    platform: &P,
    mut check: Check,
    race_point: &str,
    mut decide: impl AsyncFnMut(&Check) -> Result<(CheckPlan, T), E>,
) -> Result<Written<T>, WriteError<E>>
where
    S: CheckStore,
    P: Platform,
{
    let started = platform.now();
    let mut pause = FIRST_PAUSE_MS;
    loop {
        let (plan, decided) = decide(&check).await.map_err(WriteError::Refused)?;
        platform.race_point(race_point).await;
        let applied = store.apply(&plan).await?;
        if applied.applied {
            return Ok(Written { read: check, plan, decided, applied });
        }
        if platform.now().millis() - started.millis() >= CONTENTION_BUDGET_MS {
            return Err(WriteError::Contended);
        }
        // Jittered, so that writers that collided do not collide again.
        platform.sleep((pause * (0.5 + platform.jitter())) as u64).await;
        pause = (pause * 2.0).min(MAX_PAUSE_MS);
        // Its row id, once it is deleted, is given to the next check created.
        let uuid = check.uuid;
        check = store.check_by_id(check.id).await?.filter(|c| c.uuid == uuid).ok_or(WriteError::Gone)?;
    }
}
