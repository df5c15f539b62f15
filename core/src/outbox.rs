//! The delivery policy of the alert outbox: what an attempt's result means,
//! and when to try again.

use crate::time::Timestamp;

/// First retry after about a minute, doubling, at most an hour apart.
const FIRST_RETRY_SECS: i64 = 60;
const MAX_RETRY_SECS: i64 = 3600;
/// A notification still undelivered this long after its flip is given up.
pub const GIVE_UP_AFTER_SECS: i64 = 24 * 3600;
/// How long one attempt may take before it counts as failed.
pub const ATTEMPT_TIMEOUT_MS: i64 = 10_000;
/// A redirect's `Location` is kept to this many characters in the attempt log.
const MAX_LOCATION: usize = 500;
/// How long a claimed notification stays reserved for its claimer; longer
/// than an attempt, so a crashed sender's claim expires and others retry.
pub const CLAIM_MS: i64 = 60_000;

/// What came back from one delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttemptResult {
    /// The receiver answered with this HTTP status.
    Status(u16),
    /// The receiver answered a redirect (3xx), which deliveries never
    /// follow: the request carries the channel's secrets, and the new
    /// destination was never checked. A failed delivery.
    Redirected { status: u16, location: Option<String> },
    /// Delivered where there is no HTTP status: an email the server
    /// accepted (its reply).
    Accepted(String),
    /// No answer within the attempt timeout.
    Timeout,
    /// The request could not be made or the connection failed.
    NetworkError(String),
    /// The notification cannot be sent at all (e.g. its channel is gone).
    Undeliverable(String),
    /// The service refused for good: the channel's URL, token or room no
    /// longer exists (the kind's reading of the answer). The channel is
    /// marked as failing.
    Refused { status: Option<u16>, reason: String },
}

impl AttemptResult {
    pub fn status(&self) -> Option<u16> {
        match self {
            AttemptResult::Status(status)
            | AttemptResult::Redirected { status, .. }
            | AttemptResult::Refused { status: Some(status), .. } => Some(*status),
            _ => None,
        }
    }

    /// What came back with `status`: a redirect keeps its `Location`.
    pub fn of_response(status: u16, location: Option<String>) -> AttemptResult {
        if (300..400).contains(&status) {
            let location = location.map(|l| l.chars().take(MAX_LOCATION).collect());
            AttemptResult::Redirected { status, location }
        } else {
            AttemptResult::Status(status)
        }
    }

    /// The service took it.
    pub fn is_delivered(&self) -> bool {
        matches!(self, AttemptResult::Status(s) if (200..300).contains(s)) || matches!(self, AttemptResult::Accepted(_))
    }

    pub fn error(&self) -> Option<String> {
        match self {
            AttemptResult::Status(status) if (200..300).contains(status) => None,
            AttemptResult::Accepted(_) => None,
            AttemptResult::Status(status) => Some(format!("HTTP {status}")),
            AttemptResult::Redirected { status, location } => Some(format!(
                "HTTP {status} redirect to {}, not followed (redirects are refused: point the channel at the final URL)",
                location.as_deref().unwrap_or("(no Location)")
            )),
            AttemptResult::Timeout => Some(format!("no answer within {} s", ATTEMPT_TIMEOUT_MS / 1000)),
            AttemptResult::NetworkError(message) | AttemptResult::Undeliverable(message) => Some(message.clone()),
            AttemptResult::Refused { reason, .. } => Some(format!("refused for good: {reason}")),
        }
    }

    /// Worth trying again: network trouble, timeouts, 429 and 5xx.
    fn is_transient(&self) -> bool {
        match self {
            AttemptResult::Status(status) => *status == 429 || *status >= 500,
            AttemptResult::Timeout | AttemptResult::NetworkError(_) => true,
            AttemptResult::Redirected { .. }
            | AttemptResult::Undeliverable(_)
            | AttemptResult::Refused { .. }
            | AttemptResult::Accepted(_) => false,
        }
    }
}

/// The notification's state after an attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    RetryAt(Timestamp),
    /// Permanent failure, or transient ones for longer than a day.
    Failed,
}

/// The wait after the `attempt`-th failed attempt (1-based): about 1, 2, 4, ...
/// minutes up to an hour, stretched by up to 20 % with `jitter` in [0, 1) so
/// that many notifications failing together do not retry in lockstep.
pub fn retry_delay_ms(attempt: u32, jitter: f64) -> i64 {
    let doublings = attempt.saturating_sub(1).min(20);
    let base = (FIRST_RETRY_SECS << doublings).min(MAX_RETRY_SECS) * 1000;
    base + (base as f64 * 0.2 * jitter.clamp(0.0, 1.0)) as i64
}

/// Decides what happens after the `attempt`-th attempt of a notification
/// created at `created_at`.
pub fn after_attempt(
    result: &AttemptResult,
    attempt: u32,
    created_at: Timestamp,
    now: Timestamp,
    jitter: f64,
) -> Outcome {
    match result {
        delivered if delivered.is_delivered() => Outcome::Delivered,
        transient if transient.is_transient() => {
            let next = now.plus_millis(retry_delay_ms(attempt, jitter));
            if next.millis() - created_at.millis() > GIVE_UP_AFTER_SECS * 1000 {
                Outcome::Failed
            } else {
                Outcome::RetryAt(next)
            }
        }
        _ => Outcome::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp::from_secs(1_700_000_000);

    #[test]
    fn a_redirect_is_a_failed_delivery_that_names_its_location() {
        let redirect = AttemptResult::of_response(302, Some("http://127.0.0.1:9/elsewhere".into()));
        assert_eq!(redirect.status(), Some(302));
        assert_eq!(
            redirect.error().as_deref(),
            Some("HTTP 302 redirect to http://127.0.0.1:9/elsewhere, not followed (redirects are refused: point the channel at the final URL)")
        );
        assert_eq!(after_attempt(&redirect, 1, T0, T0, 0.0), Outcome::Failed, "retrying cannot help");
        let long = AttemptResult::of_response(307, Some("x".repeat(10_000)));
        assert!(long.error().unwrap().len() < 700);
        assert!(AttemptResult::of_response(308, None).error().unwrap().contains("(no Location)"));
        assert_eq!(AttemptResult::of_response(204, Some("ignored".into())), AttemptResult::Status(204));
        assert_eq!(AttemptResult::of_response(404, None), AttemptResult::Status(404));
    }

    #[test]
    fn any_2xx_is_delivered() {
        for status in [200, 201, 202, 204, 299] {
            assert_eq!(after_attempt(&AttemptResult::Status(status), 1, T0, T0, 0.0), Outcome::Delivered);
        }
    }

    #[test]
    fn transient_failures_retry_with_exponential_backoff() {
        for result in [
            AttemptResult::Status(500),
            AttemptResult::Status(503),
            AttemptResult::Status(429),
            AttemptResult::Timeout,
            AttemptResult::NetworkError("connection refused".into()),
        ] {
            assert_eq!(after_attempt(&result, 1, T0, T0, 0.0), Outcome::RetryAt(T0.plus_secs(60)), "{result:?}");
        }
        let delays: Vec<i64> = (1..=9).map(|a| retry_delay_ms(a, 0.0) / 1000).collect();
        assert_eq!(delays, [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
        assert_eq!(retry_delay_ms(u32::MAX, 0.0), 3_600_000, "no overflow for absurd attempt counts");
    }

    #[test]
    fn jitter_stretches_by_at_most_a_fifth() {
        assert_eq!(retry_delay_ms(1, 0.5), 66_000);
        assert!(retry_delay_ms(3, 0.999) < 240_000 * 12 / 10);
        assert_eq!(retry_delay_ms(1, 7.0), 72_000, "out-of-range jitter is clamped");
    }

    #[test]
    fn other_client_errors_are_permanent() {
        for status in [400, 401, 403, 404, 410, 301] {
            assert_eq!(after_attempt(&AttemptResult::Status(status), 1, T0, T0, 0.0), Outcome::Failed, "{status}");
        }
        assert_eq!(after_attempt(&AttemptResult::Undeliverable("gone".into()), 1, T0, T0, 0.0), Outcome::Failed);
        let refused = AttemptResult::Refused { status: Some(404), reason: "no_service".into() };
        assert_eq!(after_attempt(&refused, 1, T0, T0, 0.0), Outcome::Failed);
        assert_eq!((refused.status(), refused.error().as_deref()), (Some(404), Some("refused for good: no_service")));
    }

    #[test]
    fn retries_stop_after_a_day() {
        let late = T0.plus_secs(GIVE_UP_AFTER_SECS - 600);
        assert_eq!(after_attempt(&AttemptResult::Status(502), 30, T0, late, 0.0), Outcome::Failed);
        let earlier = T0.plus_secs(GIVE_UP_AFTER_SECS - 7200);
        assert_eq!(
            after_attempt(&AttemptResult::Status(502), 30, T0, earlier, 0.0),
            Outcome::RetryAt(earlier.plus_secs(3600))
        );
    }

    #[test]
    fn errors_describe_the_attempt() {
        assert_eq!(AttemptResult::Status(200).error(), None);
        assert_eq!(AttemptResult::Status(503).error().as_deref(), Some("HTTP 503"));
        assert_eq!(AttemptResult::Timeout.error().as_deref(), Some("no answer within 10 s"));
    }
}

/// The order in which due notifications are claimed, at most `budget` of
/// them: projects take turns (each project's oldest first: its first turn,
/// then every project's second, ...), and within a turn the oldest go
/// first, so one tenant's backlog never delays another tenant's alerts.
/// Each item is `(project, next attempt, notification id)`.
pub fn fair_turns(due: &[(String, Timestamp, i64)], budget: usize) -> Vec<i64> {
    let mut sorted: Vec<&(String, Timestamp, i64)> = due.iter().collect();
    crate::sorting::sort_by(&mut sorted, |a, b| (&a.0, a.1, a.2).cmp(&(&b.0, b.1, b.2)));
    let mut turns: Vec<(usize, Timestamp, i64)> = Vec::with_capacity(sorted.len());
    let mut turn = 0;
    for (i, item) in sorted.iter().enumerate() {
        turn = if i > 0 && sorted[i - 1].0 == item.0 { turn + 1 } else { 0 };
        turns.push((turn, item.1, item.2));
    }
    crate::sorting::sort(&mut turns);
    turns.into_iter().take(budget).map(|(_, _, id)| id).collect()
}

#[cfg(test)]
mod fairness_tests {
    use super::*;
    use proptest::prelude::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_secs(secs)
    }

    #[test]
    fn projects_take_turns_oldest_first() {
        let due = vec![
            ("big".to_owned(), at(1), 1),
            ("big".to_owned(), at(2), 2),
            ("big".to_owned(), at(3), 3),
            ("small".to_owned(), at(10), 4),
            ("other".to_owned(), at(5), 5),
        ];
        assert_eq!(fair_turns(&due, 3), [1, 5, 4]);
        assert_eq!(fair_turns(&due, 10), [1, 5, 4, 2, 3]);
        assert!(fair_turns(&due, 0).is_empty());
    }

    proptest! {
        /// However large one project's backlog, every other project with
        /// something due gets its oldest notification into the first
        /// claim as long as the budget covers one per project.
        #[test]
        fn no_project_waits_behind_another(backlog in 0usize..300, others in 1usize..20) {
            let mut due: Vec<(String, Timestamp, i64)> =
                (0..backlog).map(|i| ("big".to_owned(), at(i as i64), i as i64)).collect();
            for p in 0..others {
                due.push((format!("p{p}"), at(1_000_000 + p as i64), 10_000 + p as i64));
            }
            let claimed = fair_turns(&due, others + 1);
            for p in 0..others {
                prop_assert!(claimed.contains(&(10_000 + p as i64)));
            }
        }
    }
}
