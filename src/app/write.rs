//! The one loop every conditional write of a check goes through: decide
//! from the check as read, hand the plan to storage, and when the check
//! changed in between (the plan's conditions no longer held), read it again
//! and decide again, after growing, jittered pauses, within a time budget
//! (`domain::contention`: how long, and how long each pause).

use super::Platform;
use crate::domain::check::Check;
use crate::domain::contention::Retries;
use crate::domain::plan::{Applied, CheckPlan};
use crate::store::{CheckStore, StoreError};

/// How a conditional write ended, when it did not land.
#[derive(Debug)]
pub enum WriteError<E> {
    /// The decision refused (e.g. resuming a check that is not paused).
    Refused(E),
    /// The check was deleted in between.
    Gone,
    /// The check kept changing for the whole budget (contention, not a
    /// fault: answered "busy, try again").
    Contended,
    Store(StoreError),
}

impl<E> From<StoreError> for WriteError<E> {
    fn from(err: StoreError) -> Self {
        WriteError::Store(err)
    }
}

/// A write that landed, or that found the plan's run report recorded
/// already (`applied.already_reported`: nothing was written, and deciding
/// again would not change that): the check as it was read for the
/// decision, the plan, what the decision returned besides, and what
/// storage reported.
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
    let mut retries = Retries::new(platform.now());
    loop {
        let (plan, decided) = decide(&check).await.map_err(WriteError::Refused)?;
        platform.race_point(race_point).await;
        let applied = store.apply(&plan).await?;
        if applied.applied || applied.already_reported {
            return Ok(Written { read: check, plan, decided, applied });
        }
        // Jittered, so that writers that collided do not collide again.
        match retries.after_lost_write(platform.now(), platform.jitter()) {
            Some(wait) => platform.sleep(wait).await,
            None => return Err(WriteError::Contended),
        }
        // Its row id, once it is deleted, is given to the next check created.
        let uuid = check.uuid;
        check = store.check_by_id(check.id).await?.filter(|c| c.uuid == uuid).ok_or(WriteError::Gone)?;
    }
}
