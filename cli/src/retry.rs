//! When a ping is tried again: exponential backoff within a total time
//! budget, so a ping can never hold a job up for long. Pure.

use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The most one attempt may take.
    pub attempt_timeout: Duration,
    /// The most all attempts and pauses together may take.
    pub budget: Duration,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl RetryPolicy {
    pub fn with_budget(budget: Duration) -> RetryPolicy {
        RetryPolicy {
            attempt_timeout: Duration::from_secs(10).min(budget),
            budget,
            first_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
        }
    }
}

/// What to make of one attempt's outcome: the HTTP status, or none for a
/// network error or timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Done,
    /// Worth another try: network trouble, 429, 5xx.
    Retry,
    /// The server refused for good (404 unknown check, 400 bad URL...).
    GiveUp,
}

pub fn classify(status: Option<u16>) -> Verdict {
    match status {
        None => Verdict::Retry,
        Some(s) if (200..300).contains(&s) => Verdict::Done,
        Some(429) | Some(408) => Verdict::Retry,
        Some(s) if s >= 500 => Verdict::Retry,
        Some(_) => Verdict::GiveUp,
    }
}

/// The pause before the next attempt, after `attempts` attempts and
/// `elapsed` time since the first began, or `None` when the budget would not
/// leave a useful attempt after it.
pub fn next_delay(policy: &RetryPolicy, attempts: u32, elapsed: Duration) -> Option<Duration> {
    let exponent = attempts.saturating_sub(1).min(16);
    let delay = policy.first_delay.saturating_mul(1 << exponent).min(policy.max_delay);
    let useful = Duration::from_millis(200);
    (elapsed + delay + useful <= policy.budget).then_some(delay)
}

/// How long the next attempt may take: the attempt timeout, or what is left
/// of the budget if that is less.
pub fn attempt_timeout(policy: &RetryPolicy, elapsed: Duration) -> Duration {
    policy.attempt_timeout.min(policy.budget.saturating_sub(elapsed)).max(Duration::from_millis(100))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy::with_budget(Duration::from_secs(30))
    }

    #[test]
    fn classifies_answers() {
        assert_eq!(classify(Some(200)), Verdict::Done);
        assert_eq!(classify(Some(201)), Verdict::Done);
        assert_eq!(classify(None), Verdict::Retry);
        assert_eq!(classify(Some(503)), Verdict::Retry);
        assert_eq!(classify(Some(429)), Verdict::Retry);
        assert_eq!(classify(Some(404)), Verdict::GiveUp);
        assert_eq!(classify(Some(400)), Verdict::GiveUp);
        assert_eq!(classify(Some(409)), Verdict::GiveUp);
    }

    #[test]
    fn backs_off_exponentially_up_to_a_cap() {
        let p = policy();
        let delays: Vec<u64> = (1..=7).map(|n| next_delay(&p, n, Duration::ZERO).unwrap().as_millis() as u64).collect();
        assert_eq!(delays, [500, 1000, 2000, 4000, 8000, 8000, 8000]);
        assert_eq!(next_delay(&p, u32::MAX, Duration::ZERO), Some(Duration::from_secs(8)));
    }

    #[test]
    fn the_whole_schedule_fits_the_budget() {
        for budget in [0, 1, 2, 5, 10, 30, 120] {
            let p = RetryPolicy::with_budget(Duration::from_secs(budget));
            // Attempts that all fail at once, or all take their full timeout.
            for failing_attempt_takes_full_timeout in [false, true] {
                let mut elapsed = Duration::ZERO;
                let mut attempts = 0;
                loop {
                    let took =
                        if failing_attempt_takes_full_timeout { attempt_timeout(&p, elapsed) } else { Duration::ZERO };
                    elapsed += took;
                    attempts += 1;
                    match next_delay(&p, attempts, elapsed) {
                        Some(delay) => elapsed += delay,
                        None => break,
                    }
                    assert!(attempts < 100);
                }
                // One minimal attempt may start at the very end of the budget.
                assert!(elapsed <= p.budget + Duration::from_millis(100), "budget {budget}: {elapsed:?}");
            }
        }
    }

    #[test]
    fn an_attempt_never_outlives_the_budget() {
        let p = policy();
        assert_eq!(attempt_timeout(&p, Duration::ZERO), Duration::from_secs(10));
        assert_eq!(attempt_timeout(&p, Duration::from_secs(25)), Duration::from_secs(5));
        assert_eq!(attempt_timeout(&p, Duration::from_secs(40)), Duration::from_millis(100));
    }
}
