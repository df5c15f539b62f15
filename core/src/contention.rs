//! How a write that lost a race tries again. A ping's write is conditional
//! on the check's state as read; when another ping changed the check in
//! between, it reads again and retries: after a short wait with jitter, so
//! writers that collided do not collide again in step, and for a bounded
//! time rather than a fixed number of tries, so a burst of starts and
//! finishes to one check is ridden out instead of refused.

use crate::time::Timestamp;

/// The time a ping may spend on lost writes, from its first attempt. Below
/// the 10 s a ping client typically allows (`curl -m 10 --retry 5`), so the
/// client gets the "busy" answer, and its retry, before its own timeout.
pub const BUDGET_MS: i64 = 5_000;
/// The first wait is up to this long; each lost write doubles it...
const FIRST_WAIT_MS: i64 = 4;
/// ...up to this.
pub const MAX_WAIT_MS: i64 = 200;

/// The retries of one write.
#[derive(Clone, Copy, Debug)]
pub struct Retries {
    started: Timestamp,
    lost: u32,
}

impl Retries {
    /// A write whose first attempt starts at `started`.
    pub fn new(started: Timestamp) -> Retries {
        Retries { started, lost: 0 }
    }

    /// After a lost write at `now`: how long to wait (ms) before reading
    /// again and retrying, or `None` when the budget is spent and the
    /// writer should answer "busy, try again". `jitter` in [0, 1) picks the
    /// wait in [1 ms, cap] ("full jitter"), the cap doubling with each loss.
    pub fn after_lost_write(&mut self, now: Timestamp, jitter: f64) -> Option<u64> {
        self.lost += 1;
        let cap = (FIRST_WAIT_MS << (self.lost - 1).min(16)).min(MAX_WAIT_MS);
        let wait = (1 + (cap as f64 * jitter.clamp(0.0, 1.0)) as i64).min(cap);
        let spent = now.millis() - self.started.millis();
        (spent + wait <= BUDGET_MS).then_some(wait as u64)
    }

    /// How many writes were lost so far.
    pub fn lost(&self) -> u32 {
        self.lost
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T0: Timestamp = Timestamp::from_secs(1_700_000_000);

    #[test]
    fn waits_grow_to_a_cap_and_spread_with_jitter() {
        let mut highest = Retries::new(T0);
        let waits: Vec<u64> = (0..8).map(|_| highest.after_lost_write(T0, 0.999_999).unwrap()).collect();
        assert_eq!(waits, [4, 8, 16, 32, 64, 128, 200, 200]);
        let mut lowest = Retries::new(T0);
        assert_eq!(lowest.after_lost_write(T0, 0.0), Some(1), "never a zero wait");
        assert_eq!(highest.lost(), 8);
    }

    #[test]
    fn retries_stop_when_the_time_budget_is_spent_not_after_a_count() {
        let mut retries = Retries::new(T0);
        // Many quick losses early on are all retried...
        for _ in 0..100 {
            assert!(retries.after_lost_write(T0.plus_millis(10), 0.5).is_some());
        }
        // ...but none whose wait would end past the budget.
        assert_eq!(retries.after_lost_write(T0.plus_millis(BUDGET_MS - 50), 0.5), None);
        assert_eq!(Retries::new(T0).after_lost_write(T0.plus_millis(BUDGET_MS - 1), 0.0), Some(1));
        assert_eq!(Retries::new(T0).after_lost_write(T0.plus_millis(BUDGET_MS), 0.0), None);
    }

    proptest! {
        #[test]
        fn a_retry_never_ends_past_the_budget(spent in 0i64..10_000, lost in 0u32..40, jitter in 0.0f64..1.0) {
            let mut retries = Retries::new(T0);
            for _ in 0..lost {
                retries.after_lost_write(T0, jitter);
            }
            if let Some(wait) = retries.after_lost_write(T0.plus_millis(spent), jitter) {
                prop_assert!(wait >= 1 && wait as i64 <= MAX_WAIT_MS);
                prop_assert!(spent + wait as i64 <= BUDGET_MS);
            } else {
                prop_assert!(spent + 1 > BUDGET_MS - MAX_WAIT_MS);
            }
        }
    }
}
