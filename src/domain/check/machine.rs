//! The state machine: what a ping does to a check, what status a check has at
//! an instant, when it will next go down, what pausing and resuming do, and
//! which status changes notify anyone. The store only carries out what these
//! functions decide, conditional on the state they read.
//!
//! The rules follow healthchecks.io's `Check.ping()` and `Check.get_status()`.

use super::config::Monitoring;
use super::state::{CheckState, FlipReason, PingKind, ShownStatus, Status};
use crate::domain::ids::Uuid;
use crate::domain::time::Timestamp;

/// A status change the state machine decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flip {
    pub from: Status,
    pub to: Status,
    pub reason: FlipReason,
    /// When it happened (a timeout is dated at its deadline).
    pub at: Timestamp,
}

impl Flip {
    /// A flip between two statuses, or none when the status stays.
    pub fn between(from: Status, to: Status, reason: FlipReason, at: Timestamp) -> Option<Flip> {
        (from != to).then_some(Flip { from, to, reason, at })
    }

    /// Whether the check's channels hear of it: every change to down, and a
    /// recovery from down. A first ping (new to up), a pause or a resume is
    /// not news to anyone.
    pub fn notifies(&self) -> bool {
        self.to == Status::Down || (self.to == Status::Up && self.from == Status::Down)
    }
}

/// What a ping does to a check.
#[derive(Clone, Debug, PartialEq)]
pub struct PingEffect {
    /// The kind actually recorded (a paused manual-resume check ignores pings).
    pub kind: PingKind,
    pub state: CheckState,
    /// The status change the ping makes, if it makes one.
    pub flip: Option<Flip>,
    /// The instant the check will go down if nothing else arrives.
    pub alert_after: Option<Timestamp>,
}

impl PingEffect {
    /// Whether the ping writes the check's state (success, fail and start do;
    /// log and ignored pings only count).
    pub fn changes_state(&self) -> bool {
        matches!(self.kind, PingKind::Success | PingKind::Fail | PingKind::Start)
    }
}

/// A change of state made through the API (pause, resume).
#[derive(Clone, Debug, PartialEq)]
pub struct Transition {
    pub state: CheckState,
    pub flip: Option<Flip>,
    pub alert_after: Option<Timestamp>,
}

/// Resuming a check that is not paused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("check is not paused")]
pub struct NotPaused;

/// The sweep's verdict on a check whose `alert_after` has passed.
#[derive(Clone, Debug, PartialEq)]
pub enum SweepVerdict {
    /// It goes down: dated at the computed instant, not when the sweep noticed.
    Down(Flip),
    /// Not down after all (a ping or an edit moved the deadline): store this
    /// deadline instead.
    NotYet { alert_after: Option<Timestamp> },
}

impl Monitoring {
    /// When the check enters its grace period: the next expected ping, or the
    /// start of a running job when that is earlier (`with_started`).
    pub fn grace_start(&self, state: &CheckState, with_started: bool) -> Option<Timestamp> {
        let mut result = match (state.status, state.last_ping) {
            (Status::Up, Some(last_ping)) => self.schedule.next_expected(last_ping, self.zone),
            _ => None,
        };
        if with_started && state.status != Status::Down {
            if let Some(start) = state.last_start {
                result = Some(result.map_or(start, |r| r.min(start)));
            }
        }
        result
    }

    /// The instant the check goes down unless something arrives: the
    /// `alert_after` the sweep selects on.
    pub fn going_down_after(&self, state: &CheckState) -> Option<Timestamp> {
        self.grace_start(state, true).map(|t| t.plus_secs(self.grace))
    }

    /// The status at `now`, as healthchecks API v3 reports it.
    pub fn status_at(&self, state: &CheckState, now: Timestamp) -> ShownStatus {
        if let Some(start) = state.last_start {
            if now >= start.plus_secs(self.grace) {
                return ShownStatus::Down;
            }
        }
        match state.status {
            Status::New => return ShownStatus::New,
            Status::Paused => return ShownStatus::Paused,
            Status::Down => return ShownStatus::Down,
            Status::Up => {}
        }
        match self.grace_start(state, false) {
            None => ShownStatus::Up,
            Some(start) if now >= start.plus_secs(self.grace) => ShownStatus::Down,
            Some(start) if now >= start => ShownStatus::Grace,
            Some(_) => ShownStatus::Up,
        }
    }

    /// The status word at `now` as healthchecks API v1 reports it
    /// (`get_status(with_started=True)`): `started` while a run that has not
    /// yet outlived its grace period is going, else as `status_at`. v2 and v3
    /// report that separately, as the `started` flag.
    pub fn status_with_started_at(&self, state: &CheckState, now: Timestamp) -> &'static str {
        match state.last_start {
            Some(start) if now < start.plus_secs(self.grace) => "started",
            _ => self.status_at(state, now).as_str(),
        }
    }

    /// Applies a classified ping received at `now` with run id `rid`.
    pub fn ping(
        &self,
        state: &CheckState,
        kind: PingKind,
        exit_status: Option<u8>,
        rid: Option<Uuid>,
        now: Timestamp,
    ) -> PingEffect {
        let kind = if state.status == Status::Paused && self.manual_resume { PingKind::Ignored } else { kind };
        let mut next = state.clone();
        let mut flip = None;
        match kind {
            PingKind::Start => {
                next.last_start = Some(now);
                next.last_start_rid = rid;
            }
            PingKind::Success | PingKind::Fail => {
                next.last_ping = Some(now);
                next.last_duration = None;
                if let Some(start) = state.last_start {
                    if state.last_start_rid == rid {
                        next.last_duration = Some(now.millis() - start.millis());
                        next.last_start = None;
                        next.last_start_rid = None;
                    } else if kind == PingKind::Fail || rid.is_none() {
                        next.last_start = None;
                        next.last_start_rid = None;
                    }
                    // A success with another run id leaves that other run monitored.
                }
                let (status, reason) = match (kind, exit_status) {
                    (PingKind::Success, _) => (Status::Up, FlipReason::Success),
                    (_, Some(code)) if code > 0 => (Status::Down, FlipReason::ExitStatus(code)),
                    _ => (Status::Down, FlipReason::Fail),
                };
                next.status = status;
                flip = Flip::between(state.status, status, reason, now);
            }
            PingKind::Log | PingKind::Ignored => {}
        }
        let alert_after = self.going_down_after(&next);
        PingEffect { kind, state: next, flip, alert_after }
    }

    /// The effect of a ping on a check that is up and not running a job,
    /// whatever else its state holds, or `None` when the effect would depend
    /// on more than that (a start measures against the last ping).
    ///
    /// This is what lets a ping be written in one D1 round trip: the write is
    /// made conditional on "up and not running" instead of reading the state
    /// first. `ping` stays the only definition of what a ping does; this only
    /// calls it and says when its result is independent of the unread state.
    pub fn ping_when_idle_up(
        &self,
        kind: PingKind,
        exit_status: Option<u8>,
        rid: Option<Uuid>,
        now: Timestamp,
    ) -> Option<PingEffect> {
        if kind == PingKind::Start {
            return None;
        }
        Some(self.ping(&CheckState::idle_up(), kind, exit_status, rid, now))
    }

    /// Pausing stops monitoring until the next ping (or a resume, with
    /// manual_resume): no deadline, no running job.
    pub fn pause(&self, state: &CheckState, now: Timestamp) -> Transition {
        let next = CheckState { status: Status::Paused, last_start: None, last_start_rid: None, ..state.clone() };
        let flip = Flip::between(state.status, Status::Paused, FlipReason::Paused, now);
        Transition { alert_after: self.going_down_after(&next), state: next, flip }
    }

    /// Resuming a paused check makes it new again, waiting for its first ping.
    pub fn resume(&self, state: &CheckState, now: Timestamp) -> Result<Transition, NotPaused> {
        if state.status != Status::Paused {
            return Err(NotPaused);
        }
        let next = CheckState {
            status: Status::New,
            last_ping: None,
            last_start: None,
            last_start_rid: None,
            last_duration: state.last_duration,
        };
        let flip = Flip::between(Status::Paused, Status::New, FlipReason::Resumed, now);
        Ok(Transition { alert_after: self.going_down_after(&next), state: next, flip })
    }

    /// Re-evaluates a check the sweep found due at `now`.
    pub fn sweep(&self, state: &CheckState, now: Timestamp) -> SweepVerdict {
        if state.status == Status::Down || self.status_at(state, now) != ShownStatus::Down {
            return SweepVerdict::NotYet { alert_after: self.going_down_after(state) };
        }
        let late_at = self.grace_start(state, false).map(|t| t.plus_secs(self.grace));
        let too_long_at = state.last_start.map(|t| t.plus_secs(self.grace));
        let (at, reason) = match (late_at, too_long_at) {
            (Some(late), Some(long)) if long < late => (long, FlipReason::RanTooLong),
            (Some(late), _) => (late, FlipReason::Timeout),
            (None, Some(long)) => (long, FlipReason::RanTooLong),
            (None, None) => (now, FlipReason::Timeout),
        };
        SweepVerdict::Down(Flip { from: state.status, to: Status::Down, reason, at })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::check::config::Schedule;

    const T0: Timestamp = Timestamp::from_secs(1_700_000_000);

    fn simple(timeout: i64, grace: i64) -> Monitoring {
        Monitoring { schedule: Schedule::Simple { timeout }, grace, ..Monitoring::default() }
    }

    fn up_at(t: Timestamp) -> CheckState {
        CheckState { status: Status::Up, last_ping: Some(t), ..CheckState::new_check() }
    }

    fn rid(n: u8) -> Option<Uuid> {
        Uuid::parse(&format!("00000000-0000-4000-8000-0000000000{n:02x}"))
    }

    #[test]
    fn a_new_check_stays_new_and_never_goes_down() {
        let m = simple(60, 60);
        let state = CheckState::new_check();
        assert_eq!(m.status_at(&state, T0.plus_secs(10_000)), ShownStatus::New);
        assert_eq!(m.going_down_after(&state), None);
    }

    #[test]
    fn api_v1_shows_a_running_job_as_started_until_it_outlives_its_grace() {
        let m = simple(3600, 600);
        let new = CheckState::new_check();
        assert_eq!(m.status_with_started_at(&new, T0), "new");
        let started = m.ping(&new, PingKind::Start, None, None, T0).state;
        assert_eq!(m.status_with_started_at(&started, T0.plus_secs(599)), "started");
        assert_eq!(m.status_at(&started, T0.plus_secs(599)), ShownStatus::New);
        assert_eq!(m.status_with_started_at(&started, T0.plus_secs(600)), "down");
        let up_then_started = m.ping(&up_at(T0), PingKind::Start, None, None, T0.plus_secs(3000)).state;
        assert_eq!(m.status_with_started_at(&up_then_started, T0.plus_secs(3599)), "started");
        let done = m.ping(&up_then_started, PingKind::Success, None, None, T0.plus_secs(3100)).state;
        assert_eq!(m.status_with_started_at(&done, T0.plus_secs(3101)), "up");
        assert_eq!(m.status_with_started_at(&up_at(T0), T0.plus_secs(3700)), "grace");
    }

    #[test]
    fn a_simple_check_goes_late_then_down() {
        let m = simple(3600, 600);
        let state = up_at(T0);
        assert_eq!(m.status_at(&state, T0.plus_secs(3599)), ShownStatus::Up);
        assert_eq!(m.status_at(&state, T0.plus_secs(3600)), ShownStatus::Grace);
        assert_eq!(m.status_at(&state, T0.plus_secs(4199)), ShownStatus::Grace);
        assert_eq!(m.status_at(&state, T0.plus_secs(4200)), ShownStatus::Down);
        assert_eq!(m.going_down_after(&state), Some(T0.plus_secs(4200)));
    }

    #[test]
    fn success_and_fail_set_the_status() {
        let m = simple(60, 60);
        let effect = m.ping(&CheckState::new_check(), PingKind::Success, None, None, T0);
        assert_eq!(effect.flip, Flip::between(Status::New, Status::Up, FlipReason::Success, T0));
        assert!(!effect.flip.is_some_and(|f| f.notifies()), "a first ping is not news");
        assert_eq!(effect.state.last_ping, Some(T0));
        assert_eq!(effect.alert_after, Some(T0.plus_secs(120)));

        let effect = m.ping(&effect.state, PingKind::Fail, None, None, T0.plus_secs(5));
        assert_eq!(effect.flip, Flip::between(Status::Up, Status::Down, FlipReason::Fail, T0.plus_secs(5)));
        assert!(effect.flip.is_some_and(|f| f.notifies()));
        assert_eq!(effect.alert_after, None, "a down check has nothing left to alert on");

        let effect = m.ping(&up_at(T0), PingKind::Fail, Some(3), None, T0);
        assert_eq!(effect.flip.map(|f| f.reason), Some(FlipReason::ExitStatus(3)));
        let again = m.ping(&effect.state, PingKind::Success, None, None, T0);
        assert!(again.flip.is_some_and(|f| f.notifies()), "a recovery from down is news");
        assert_eq!(m.ping(&again.state, PingKind::Success, None, None, T0).flip, None, "up stays up");
    }

    #[test]
    fn log_and_ignored_pings_change_nothing() {
        let m = simple(60, 60);
        for kind in [PingKind::Log, PingKind::Ignored] {
            let effect = m.ping(&up_at(T0), kind, None, None, T0.plus_secs(30));
            assert_eq!(effect.state, up_at(T0));
            assert_eq!(effect.flip, None);
            assert!(!effect.changes_state());
            assert_eq!(effect.alert_after, Some(T0.plus_secs(120)));
        }
    }

    #[test]
    fn start_then_success_measures_the_run() {
        let m = simple(3600, 60);
        let started = m.ping(&up_at(T0), PingKind::Start, None, None, T0.plus_secs(10));
        assert_eq!(started.state.last_start, Some(T0.plus_secs(10)));
        assert_eq!(started.alert_after, Some(T0.plus_secs(70)), "a run must finish within grace");
        let done = m.ping(&started.state, PingKind::Success, None, None, T0.plus_secs(25));
        assert_eq!(done.state.last_duration, Some(15_000));
        assert_eq!(done.state.last_start, None);
        assert_eq!(done.alert_after, Some(T0.plus_secs(25 + 3600 + 60)));
    }

    #[test]
    fn run_ids_pair_a_start_with_its_finish() {
        let m = simple(3600, 60);
        let a = m.ping(&up_at(T0), PingKind::Start, None, rid(1), T0);
        // Another run's success neither measures nor ends run 1.
        let other = m.ping(&a.state, PingKind::Success, None, rid(2), T0.plus_secs(5));
        assert_eq!(other.state.last_duration, None);
        assert_eq!(other.state.last_start, Some(T0));
        let done = m.ping(&other.state, PingKind::Success, None, rid(1), T0.plus_secs(9));
        assert_eq!(done.state.last_duration, Some(9_000));
        assert_eq!(done.state.last_start, None);
        // A failure always ends the monitored run, measured or not.
        let failed = m.ping(&a.state, PingKind::Fail, None, rid(2), T0.plus_secs(5));
        assert_eq!(failed.state.last_start, None);
        assert_eq!(failed.state.last_duration, None);
        // Without a rid the start is ended but unmeasured when the rids differ.
        let plain = m.ping(&a.state, PingKind::Success, None, None, T0.plus_secs(5));
        assert_eq!(plain.state.last_start, None);
        assert_eq!(plain.state.last_duration, None);
    }

    #[test]
    fn a_run_that_never_finishes_is_down_after_grace() {
        let m = simple(86_400, 600);
        let started = m.ping(&up_at(T0), PingKind::Start, None, None, T0.plus_secs(100)).state;
        assert_eq!(m.status_at(&started, T0.plus_secs(699)), ShownStatus::Up);
        assert_eq!(m.status_at(&started, T0.plus_secs(700)), ShownStatus::Down);
        assert_eq!(
            m.sweep(&started, T0.plus_secs(760)),
            SweepVerdict::Down(Flip {
                from: Status::Up,
                to: Status::Down,
                at: T0.plus_secs(700),
                reason: FlipReason::RanTooLong
            })
        );
        // Even a new check that only ever started counts as down when it runs too long.
        let new_started = m.ping(&CheckState::new_check(), PingKind::Start, None, None, T0).state;
        assert_eq!(m.status_at(&new_started, T0.plus_secs(600)), ShownStatus::Down);
    }

    #[test]
    fn the_sweep_dates_a_timeout_at_the_deadline_not_at_the_sweep() {
        let m = simple(60, 60);
        assert_eq!(
            m.sweep(&up_at(T0), T0.plus_secs(500)),
            SweepVerdict::Down(Flip {
                from: Status::Up,
                to: Status::Down,
                at: T0.plus_secs(120),
                reason: FlipReason::Timeout
            })
        );
        assert_eq!(
            m.sweep(&up_at(T0), T0.plus_secs(100)),
            SweepVerdict::NotYet { alert_after: Some(T0.plus_secs(120)) }
        );
        let down = CheckState { status: Status::Down, ..up_at(T0) };
        assert_eq!(m.sweep(&down, T0.plus_secs(500)), SweepVerdict::NotYet { alert_after: None });
    }

    #[test]
    fn paused_checks_resume_on_a_ping_unless_manual_resume() {
        let mut m = simple(60, 60);
        let pause = m.pause(&up_at(T0), T0);
        assert_eq!(pause.flip.map(|f| (f.to, f.notifies())), Some((Status::Paused, false)));
        assert_eq!(pause.alert_after, None);
        assert_eq!(m.pause(&pause.state, T0).flip, None, "pausing twice flips once");
        let state = pause.state;
        assert_eq!(m.status_at(&state, T0.plus_secs(10_000)), ShownStatus::Paused);
        assert_eq!(m.going_down_after(&state), None);
        let effect = m.ping(&state, PingKind::Success, None, None, T0.plus_secs(5));
        assert_eq!(effect.flip.map(|f| (f.from, f.to)), Some((Status::Paused, Status::Up)));

        m.manual_resume = true;
        let effect = m.ping(&state, PingKind::Fail, None, None, T0.plus_secs(5));
        assert_eq!(effect.kind, PingKind::Ignored);
        assert_eq!(effect.flip, None);
        assert_eq!(effect.state, state);

        assert_eq!(m.resume(&up_at(T0), T0), Err(NotPaused));
        let resume = m.resume(&state, T0).unwrap();
        assert_eq!(
            resume.flip.map(|f| (f.to, f.reason, f.notifies())),
            Some((Status::New, FlipReason::Resumed, false))
        );
        let state = resume.state;
        assert_eq!(state.status, Status::New);
        assert_eq!(state.last_ping, None);
    }

    mod idle_up {
        use super::*;
        use proptest::prelude::*;

        fn kinds() -> impl Strategy<Value = PingKind> {
            prop_oneof![
                Just(PingKind::Success),
                Just(PingKind::Fail),
                Just(PingKind::Start),
                Just(PingKind::Log),
                Just(PingKind::Ignored)
            ]
        }

        proptest! {
            /// Whatever the unread parts of an up, idle check's state are (last
            /// ping, last duration), the shortcut writes what the full rule
            /// writes: the same kind, status change, deadline and state columns.
            #[test]
            fn the_shortcut_agrees_with_the_full_rule(
                kind in kinds(),
                exit in proptest::option::of(0u8..=255),
                with_rid in any::<bool>(),
                last_ping in proptest::option::of(0i64..2_000_000_000),
                last_duration in proptest::option::of(0i64..1_000_000),
                timeout in 60i64..31_536_000,
                grace in 60i64..31_536_000,
                manual_resume in any::<bool>(),
                now in 1_000_000_000i64..2_000_000_000,
            ) {
                let m = Monitoring { schedule: Schedule::Simple { timeout }, grace, manual_resume, ..Monitoring::default() };
                let state = CheckState {
                    status: Status::Up,
                    last_ping: last_ping.map(Timestamp::from_secs),
                    last_start: None,
                    last_start_rid: None,
                    last_duration,
                };
                let rid = if with_rid { rid(7) } else { None };
                let now = Timestamp::from_secs(now);
                let full = m.ping(&state, kind, exit, rid, now);
                match m.ping_when_idle_up(kind, exit, rid, now) {
                    None => prop_assert_eq!(kind, PingKind::Start),
                    Some(short) => {
                        prop_assert_eq!(short.kind, full.kind);
                        prop_assert_eq!(short.flip, full.flip);
                        if full.changes_state() {
                            // Success and failure write the whole state and the deadline.
                            prop_assert_eq!(&short.state, &full.state);
                            prop_assert_eq!(short.alert_after, full.alert_after);
                        }
                    }
                }
            }
        }
    }
}
