//! The minute sweep, run by the cron trigger with the event's scheduledTime as "now".

use super::store::Store;
use crate::domain::time::Timestamp;
use worker::{console_error, Date, Env};

pub async fn run(scheduled_time: f64, env: &Env) {
    let now = Timestamp::from_millis(scheduled_time as i64);
    let store = match Store::from_env(env) {
        Ok(store) => store,
        Err(err) => {
            console_error!("sweep at {now}: {err}");
            return;
        }
    };
    let finished = Timestamp::from_millis(Date::now().as_millis() as i64);
    if let Err(err) = store.record_sweep(now, finished, None).await {
        console_error!("sweep at {now}: could not record the sweep: {err}");
    }
}
