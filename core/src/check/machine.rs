//! The state machine: what a ping does to a check, what status a check has at
//! an instant, when it will next go down, what pausing and resuming do, and
//! which status changes notify anyone. The store only carries out what these
//! functions decide, conditional on the state they read.
//!
//! The rules follow healthchecks.io's `Check.ping()` and `Check.get_status()`.

use super::config::Monitoring;
use super::state::{CheckState, Event, EventKind, EventSet, FlipReason, PingKind, ShownStatus, Status};
use crate::ids::Uuid;
use crate::time::Timestamp;

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
        self.event_kind().is_some()
    }

    /// The event channels hear of, for a flip that notifies.
    pub fn event_kind(&self) -> Option<EventKind> {
        match (self.from, self.to) {
            (_, Status::Down) => Some(EventKind::Down),
            (Status::Down, Status::Up) => Some(EventKind::Up),
            _ => None,
        }
    }
}

/// The first instant `from + k * step` (k >= 1) after `now`.
fn first_after(from: Timestamp, step_secs: i64, now: Timestamp) -> Timestamp {
    let step = step_secs.max(1) * 1000;
    let k = ((now.millis() - from.millis()).div_euclid(step) + 1).max(1);
    from.plus_millis(k * step)
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
    /// The ping's own event (`fail` or `success`), for the channels that
    /// asked for every signal.
    pub signal: Option<Event>,
}

impl PingEffect {
    /// Whether the ping writes the check's state (success, fail and start do;
    /// log and ignored pings only count).
    pub fn changes_state(&self) -> bool {
        matches!(self.kind, PingKind::Success | PingKind::Fail | PingKind::Start)
    }

    /// The ping's own event, when someone listens for its kind (`listeners`:
    /// what the check's channels, default ones included, asked for). Most
    /// checks have no `success` or `fail` listener, and their pings then
    /// record and queue nothing for it.
    pub fn signal_heard_by(&self, listeners: &EventSet) -> Option<Event> {
        self.signal.filter(|event| listeners.contains(event.kind))
    }

    /// Whether recording the ping would notify anyone, before any hold: a
    /// status change that notifies, or its own event with a listener. Only
    /// then does it matter whether a maintenance window holds it.
    pub fn would_notify(&self, listeners: &EventSet) -> bool {
        self.flip.is_some_and(|flip| flip.notifies()) || self.signal_heard_by(listeners).is_some()
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
    /// A run over its limit, counted as a failure below `failure_threshold`:
    /// the run ends and the check keeps its status.
    CountedFailure { state: CheckState, event: Event, alert_after: Option<Timestamp> },
}

/// Everything the sweep writes for one due check: the new state, a status
/// change, the events to announce and the next deadline. Written only if
/// the check is still as the sweep read it, so it happens once.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepStep {
    pub state: CheckState,
    pub flip: Option<Flip>,
    pub events: Vec<Event>,
    pub alert_after: Option<Timestamp>,
}

impl SweepStep {
    /// Whether the step would notify anyone, before any hold: a status
    /// change that notifies, or an event some listener hears of.
    pub fn would_notify(&self, listeners: &EventSet) -> bool {
        self.flip.is_some_and(|flip| flip.notifies()) || self.events.iter().any(|e| listeners.contains(e.kind))
    }

    /// The step as recorded at the real time `clock`. A sweep decides at its
    /// scheduled instant, which the local scheduled endpoint lets anyone set
    /// ahead of the clock to move time forward; what it records is never
    /// dated after the clock, so a later real ping never sees a status
    /// change from its future (a negative `down_for`).
    pub fn dated_by(mut self, clock: Timestamp) -> SweepStep {
        if let Some(flip) = &mut self.flip {
            flip.at = flip.at.min(clock);
        }
        for event in &mut self.events {
            event.at = event.at.min(clock);
        }
        self
    }
}

/// A sweep step whose notifications were weighed: a held one is recorded
/// but sent to nobody.
#[derive(Clone, Debug, PartialEq)]
pub struct HeldStep {
    pub step: SweepStep,
    /// The status change's notifications are held.
    pub flip_held: bool,
    /// Each event's notifications are held, in `step.events`' order.
    pub events_held: Vec<bool>,
}

impl Monitoring {
    /// When the check enters its grace period: the next expected ping, or the
    /// start of a running job when that is earlier (`with_started`).
    pub fn grace_start(&self, state: &CheckState, with_started: bool) -> Option<Timestamp> {
        let mut result = match (state.status, state.last_ping) {
            (Status::Up, Some(last_ping)) => self.schedule.next_expected(last_ping, self.zone),
            (Status::New, _) => self.first_expected(state),
            _ => None,
        };
        if with_started && state.status != Status::Down {
            if let Some(start) = state.last_start {
                result = Some(result.map_or(start, |r| r.min(start)));
            }
        }
        result
    }

    /// When a new check that expects its first ping expects it: the
    /// schedule's first slot after it began waiting (for a period, that
    /// instant plus the period). `None` for any other check.
    pub fn first_expected(&self, state: &CheckState) -> Option<Timestamp> {
        if !self.expect_first_ping || state.status != Status::New {
            return None;
        }
        state.waiting_since.and_then(|since| self.schedule.next_expected(since, self.zone))
    }

    /// The instant the check goes down unless something arrives: the
    /// `alert_after` the sweep selects on.
    pub fn going_down_after(&self, state: &CheckState) -> Option<Timestamp> {
        match (self.late_deadline(state), self.run_deadline(state)) {
            (Some(late), Some(run)) => Some(late.min(run)),
            (late, run) => late.or(run),
        }
    }

    /// How long a started run may take: `max_runtime`, or else grace.
    fn run_limit(&self) -> i64 {
        self.policy.max_runtime.unwrap_or(self.grace)
    }

    /// Whether a run is measured by `max_runtime` alone (then a missed
    /// deadline does not count while it runs).
    fn runtime_measured(&self, state: &CheckState) -> bool {
        self.policy.max_runtime.is_some() && state.last_start.is_some()
    }

    /// When a running job has run too long.
    fn run_deadline(&self, state: &CheckState) -> Option<Timestamp> {
        if state.status == Status::Down {
            return None;
        }
        state.last_start.map(|start| start.plus_secs(self.run_limit()))
    }

    /// When the next ping is overdue past grace.
    fn late_deadline(&self, state: &CheckState) -> Option<Timestamp> {
        if self.runtime_measured(state) {
            return None;
        }
        self.grace_start(state, false).map(|t| t.plus_secs(self.grace))
    }

    /// When the sweep next has an event to announce for `state` at `now`:
    /// the deadline (`late`), the next reminder counted from
    /// `reminder_from`, or the end of a mute.
    pub fn next_event(&self, state: &CheckState, now: Timestamp, reminder_from: Timestamp) -> Option<Timestamp> {
        let late = match state.status {
            Status::Up | Status::New if !self.runtime_measured(state) => {
                self.grace_start(state, false).filter(|t| *t > now)
            }
            _ => None,
        };
        let interval = self.policy.reminder_interval;
        let reminder =
            (state.status == Status::Down && interval > 0).then(|| first_after(reminder_from, interval, now));
        [late, reminder, state.muted_until].into_iter().flatten().min()
    }

    /// The status at `now`, as healthchecks API v3 reports it.
    pub fn status_at(&self, state: &CheckState, now: Timestamp) -> ShownStatus {
        if let Some(start) = state.last_start {
            if now >= start.plus_secs(self.run_limit()) {
                return ShownStatus::Down;
            }
        }
        // Before its deadline, a new check that expects its first ping is
        // still new; past it, late, then down, like any other.
        let on_time = match state.status {
            Status::New if self.first_expected(state).is_some() => ShownStatus::New,
            Status::New => return ShownStatus::New,
            Status::Paused => return ShownStatus::Paused,
            Status::Down => return ShownStatus::Down,
            Status::Up => ShownStatus::Up,
        };
        if self.runtime_measured(state) {
            return on_time;
        }
        match self.grace_start(state, false) {
            None => on_time,
            Some(start) if now >= start.plus_secs(self.grace) => ShownStatus::Down,
            Some(start) if now >= start => ShownStatus::Grace,
            Some(_) => on_time,
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
        let mut signal = None;
        match kind {
            PingKind::Start => {
                next.last_start = Some(now);
                next.last_start_rid = rid;
            }
            PingKind::Success | PingKind::Fail => {
                next.last_ping = Some(now);
                next.last_duration = None;
                // It ran: no longer waiting for a first run.
                next.waiting_since = None;
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
                let policy = &self.policy;
                let too_fast = kind == PingKind::Success
                    && policy.min_runtime.is_some_and(|min| next.last_duration.is_some_and(|ms| ms < min * 1000));
                let reason = match (kind, exit_status) {
                    (PingKind::Success, _) if too_fast => FlipReason::TooFast,
                    (PingKind::Success, _) => FlipReason::Success,
                    (_, Some(code)) if code > 0 => FlipReason::ExitStatus(code),
                    _ => FlipReason::Fail,
                };
                let succeeded = reason == FlipReason::Success;
                let event_kind = if succeeded { EventKind::Success } else { EventKind::Fail };
                signal = Some(Event { kind: event_kind, reason, at: now });
                let (status, flip_reason) = if succeeded {
                    next.failures = 0;
                    let successes = state.successes + 1;
                    if state.status == Status::Down && successes < policy.recovery_threshold {
                        next.successes = successes;
                        (Status::Down, reason)
                    } else {
                        next.successes = 0;
                        (Status::Up, reason)
                    }
                } else {
                    next.successes = 0;
                    let failures = state.failures + 1;
                    if state.status != Status::Down && failures < policy.failure_threshold {
                        // Tolerated: counted, and a paused check is monitored again.
                        next.failures = failures;
                        match state.status {
                            Status::Paused => (Status::Up, FlipReason::Resumed),
                            other => (other, reason),
                        }
                    } else {
                        next.failures = 0;
                        (Status::Down, reason)
                    }
                };
                next.status = status;
                flip = Flip::between(state.status, status, flip_reason, now);
            }
            PingKind::Log | PingKind::Ignored => {}
        }
        if kind != PingKind::Log && kind != PingKind::Ignored {
            // A down check that stays down keeps its reminder schedule.
            if !(state.status == Status::Down && next.status == Status::Down) {
                next.next_event_at = self.next_event(&next, now, now);
            }
        }
        let alert_after = self.going_down_after(&next);
        PingEffect { kind, state: next, flip, alert_after, signal }
    }

    /// Applies a ping that happened at `at` and was relayed later (its
    /// reporter gave the event time). Each is applied at its own time, so
    /// durations and deadlines are those of the events. One that comes
    /// after a later event was recorded tells nothing new about the check
    /// (an outcome older than its last success or failure, a start older
    /// than that or than the run it is watching): it is recorded, an end
    /// closes and measures its own run, and nothing else changes, so that
    /// an older event never moves a deadline back or flips a status a later
    /// one decided. Anything else is `ping` at `at`.
    pub fn relayed_ping(
        &self,
        state: &CheckState,
        kind: PingKind,
        exit_status: Option<u8>,
        rid: Option<Uuid>,
        at: Timestamp,
    ) -> PingEffect {
        let before_last = |t: Option<Timestamp>| t.is_some_and(|t| at < t);
        let stale = match kind {
            PingKind::Success | PingKind::Fail => before_last(state.last_ping),
            PingKind::Start => before_last(state.last_ping) || before_last(state.last_start),
            PingKind::Log | PingKind::Ignored => false,
        };
        if !stale || (state.status == Status::Paused && self.manual_resume) {
            return self.ping(state, kind, exit_status, rid, at);
        }
        let mut next = state.clone();
        let closes = matches!(kind, PingKind::Success | PingKind::Fail) && rid.is_some();
        if let Some(start) = state.last_start.filter(|start| closes && state.last_start_rid == rid && *start <= at) {
            next.last_duration = Some(at.millis() - start.millis());
            next.last_start = None;
            next.last_start_rid = None;
            if state.status != Status::Down {
                // A run measured by max_runtime no longer holds the late notice back.
                next.next_event_at = self.next_event(&next, at, at);
            }
        }
        let alert_after = self.going_down_after(&next);
        PingEffect { kind, state: next, flip: None, alert_after, signal: None }
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

    /// The state of a check created at `now`: new, waiting for its first
    /// run since then, with the late notice its first expected ping
    /// implies.
    pub fn created(&self, now: Timestamp) -> CheckState {
        let mut state = CheckState::created(now);
        state.next_event_at = self.next_event(&state, now, now);
        state
    }

    /// Pausing stops monitoring until the next ping (or a resume, with
    /// manual_resume): no deadline, no running job.
    pub fn pause(&self, state: &CheckState, now: Timestamp) -> Transition {
        let mut next = CheckState {
            status: Status::Paused,
            last_start: None,
            last_start_rid: None,
            failures: 0,
            successes: 0,
            ..state.clone()
        };
        next.next_event_at = self.next_event(&next, now, now);
        let flip = Flip::between(state.status, Status::Paused, FlipReason::Paused, now);
        Transition { alert_after: self.going_down_after(&next), state: next, flip }
    }

    /// Resuming a paused check makes it new again, waiting for its first ping.
    pub fn resume(&self, state: &CheckState, now: Timestamp) -> Result<Transition, NotPaused> {
        if state.status != Status::Paused {
            return Err(NotPaused);
        }
        let mut next = CheckState {
            status: Status::New,
            last_ping: None,
            last_start: None,
            last_start_rid: None,
            last_duration: state.last_duration,
            failures: 0,
            successes: 0,
            next_event_at: None,
            muted_until: state.muted_until,
            // New again: it waits for its first run from now on.
            waiting_since: Some(now),
        };
        next.next_event_at = self.next_event(&next, now, now);
        let flip = Flip::between(Status::Paused, Status::New, FlipReason::Resumed, now);
        Ok(Transition { alert_after: self.going_down_after(&next), state: next, flip })
    }

    /// Re-evaluates a check the sweep found due at `now`.
    pub fn sweep(&self, state: &CheckState, now: Timestamp) -> SweepVerdict {
        if state.status == Status::Down || self.status_at(state, now) != ShownStatus::Down {
            return SweepVerdict::NotYet { alert_after: self.going_down_after(state) };
        }
        let late_at = self.late_deadline(state);
        let too_long_at = self.run_deadline(state);
        let missed = self.missed_reason(state);
        let (at, reason) = match (late_at, too_long_at) {
            (Some(late), Some(long)) if long < late => (long, FlipReason::RanTooLong),
            (Some(late), _) => (late, missed),
            (None, Some(long)) => (long, FlipReason::RanTooLong),
            (None, None) => (now, missed),
        };
        // A run over its limit is a reported failure; a missed deadline is never tolerated.
        if reason == FlipReason::RanTooLong && state.failures + 1 < self.policy.failure_threshold {
            let next =
                CheckState { failures: state.failures + 1, last_start: None, last_start_rid: None, ..state.clone() };
            let event = Event { kind: EventKind::Fail, reason, at };
            return SweepVerdict::CountedFailure { alert_after: self.going_down_after(&next), state: next, event };
        }
        SweepVerdict::Down(Flip { from: state.status, to: Status::Down, reason, at })
    }

    /// Why a check that missed its deadline is late or down: a new check
    /// never ran; any other missed a ping.
    fn missed_reason(&self, state: &CheckState) -> FlipReason {
        if state.status == Status::New {
            FlipReason::NeverRan
        } else {
            FlipReason::Timeout
        }
    }

    /// Everything the sweep does to a check it found due at `now` (its
    /// `alert_after` or its `next_event_at` has passed): the status change,
    /// and the events: a run over its limit (`fail`), the deadline passing
    /// (`late`), a reminder, or the end of a mute with the check still
    /// down (a `down` notice with reason `still_down`).
    pub fn sweep_step(&self, state: &CheckState, now: Timestamp) -> SweepStep {
        let mut next = state.clone();
        let mut events = Vec::new();
        let mut flip = None;
        let mut reminder_from = now;
        let due_event = state.next_event_at.filter(|t| *t <= now);
        let alert_after = match self.sweep(state, now) {
            SweepVerdict::Down(down) => {
                if down.reason == FlipReason::RanTooLong {
                    events.push(Event { kind: EventKind::Fail, reason: down.reason, at: down.at });
                }
                next.status = Status::Down;
                next.failures = 0;
                next.successes = 0;
                if down.reason != FlipReason::NeverRan {
                    // A run that started and never ended: it did run.
                    next.waiting_since = None;
                }
                reminder_from = down.at;
                flip = Some(down);
                None
            }
            SweepVerdict::CountedFailure { state: counted, event, alert_after } => {
                next = counted;
                events.push(event);
                alert_after
            }
            SweepVerdict::NotYet { alert_after } => alert_after,
        };
        if let Some(due) = due_event {
            let mute_ended = state.muted_until.filter(|until| *until <= now);
            if let Some(until) = mute_ended {
                next.muted_until = None;
                if state.status == Status::Down {
                    events.push(Event { kind: EventKind::Down, reason: FlipReason::StillDown, at: until.max(due) });
                }
            }
            let interval = self.policy.reminder_interval;
            if state.status == Status::Down && interval > 0 && mute_ended.is_none() {
                events.push(Event { kind: EventKind::Reminder, reason: FlipReason::StillDown, at: now });
                reminder_from = due;
            }
            let watched = matches!(state.status, Status::Up | Status::New);
            let deadline_passed = watched && self.grace_start(state, false) == Some(due);
            if flip.is_none() && deadline_passed && self.status_at(state, now) == ShownStatus::Grace {
                events.push(Event { kind: EventKind::Late, reason: self.missed_reason(state), at: due });
            }
        }
        if flip.is_some() || due_event.is_some() || next != *state {
            next.next_event_at = self.next_event(&next, now, reminder_from);
        }
        SweepStep { state: next, flip, events, alert_after }
    }

    /// Holds notifications until `until` (a snooze), or ends a hold early
    /// (`None`): the sweep then notifies once if the check is still down.
    pub fn snooze(&self, state: &CheckState, until: Option<Timestamp>, now: Timestamp) -> CheckState {
        let mut next = CheckState { muted_until: Some(until.unwrap_or(now)), ..state.clone() };
        // Events already scheduled (a reminder) keep their times; the end of
        // the mute is one more.
        next.next_event_at = [state.next_event_at, self.next_event(&next, now, now)].into_iter().flatten().min();
        next
    }

    /// Mutes a check until `until` for a maintenance window, or `None` when
    /// it is already muted at least that long.
    pub fn mute(&self, state: &CheckState, until: Timestamp, now: Timestamp) -> Option<CheckState> {
        if state.muted_until.is_some_and(|held| held >= until) {
            return None;
        }
        Some(self.snooze(state, Some(until), now))
    }

    /// Holds a ping's notifications at `now` while a maintenance window
    /// holds the check until `window_hold`: the check stays muted until
    /// then (nothing of the ping is notified, as during a snooze), and if it
    /// is still down at that end it notifies once.
    pub fn hold_ping(&self, mut effect: PingEffect, window_hold: Option<Timestamp>, now: Timestamp) -> PingEffect {
        if let Some(state) =
            window_hold.filter(|until| *until > now).and_then(|until| self.mute(&effect.state, until, now))
        {
            effect.state = state;
        }
        effect
    }

    /// Weighs each notification of a sweep step at its own event's time:
    /// it is held while the check's own mute runs at `now`, or when a
    /// maintenance window was open at the event and still is
    /// (`window_hold(at)`: until when the windows that select the check and
    /// were open at `at` hold it). The check stays muted until the last hold
    /// ends, so a check still down then notifies once.
    pub fn hold_step(
        &self,
        step: SweepStep,
        now: Timestamp,
        window_hold: impl Fn(Timestamp) -> Option<Timestamp>,
    ) -> HeldStep {
        let snoozed = step.state.muted_until.filter(|until| *until > now);
        let hold = |at: Timestamp| snoozed.max(window_hold(at).filter(|until| *until > now));
        let flip_hold = step.flip.and_then(|flip| hold(flip.at));
        let event_holds: Vec<Option<Timestamp>> = step.events.iter().map(|event| hold(event.at)).collect();
        let mut step = step;
        if let Some(until) = flip_hold.into_iter().chain(event_holds.iter().flatten().copied()).max() {
            if let Some(state) = self.mute(&step.state, until, now) {
                step.state = state;
            }
        }
        HeldStep {
            step,
            flip_held: flip_hold.is_some(),
            events_held: event_holds.iter().map(Option::is_some).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::config::{AlertPolicy, Schedule};

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

    fn expecting(timeout: i64, grace: i64) -> Monitoring {
        Monitoring { expect_first_ping: true, ..simple(timeout, grace) }
    }

    #[test]
    fn a_new_check_without_the_setting_waits_forever_even_when_created_long_ago() {
        let m = simple(60, 60);
        let state = m.created(T0);
        assert_eq!(m.status_at(&state, T0.plus_secs(100_000)), ShownStatus::New);
        assert_eq!((m.going_down_after(&state), m.next_event(&state, T0, T0)), (None, None));
        assert_eq!(m.first_expected(&state), None);
    }

    #[test]
    fn a_new_check_that_expects_its_first_ping_goes_late_then_down_as_never_ran() {
        let m = expecting(3600, 600);
        let state = m.created(T0);
        assert_eq!(m.first_expected(&state), Some(T0.plus_secs(3600)), "creation plus the period");
        assert_eq!(m.status_at(&state, T0.plus_secs(3599)), ShownStatus::New);
        assert_eq!(m.status_at(&state, T0.plus_secs(3600)), ShownStatus::Grace);
        assert_eq!(m.status_at(&state, T0.plus_secs(4200)), ShownStatus::Down);
        assert_eq!(m.going_down_after(&state), Some(T0.plus_secs(4200)), "plus grace");
        assert_eq!(m.next_event(&state, T0, T0), Some(T0.plus_secs(3600)), "late at the first expected ping");
        let late = m.sweep_step(&state, T0.plus_secs(3660));
        assert_eq!(late.flip, None);
        assert_eq!(
            late.events,
            vec![Event { kind: EventKind::Late, reason: FlipReason::NeverRan, at: T0.plus_secs(3600) }]
        );
        let down = m.sweep_step(&late.state, T0.plus_secs(4260));
        let flip = down.flip.expect("it goes down");
        assert_eq!(
            (flip.from, flip.to, flip.reason, flip.at),
            (Status::New, Status::Down, FlipReason::NeverRan, T0.plus_secs(4200))
        );
        assert!(flip.notifies());
        assert_eq!(down.state.waiting_since, Some(T0), "kept: the alert says since when");
        assert!(m.sweep_step(&down.state, T0.plus_secs(9000)).flip.is_none(), "down once");
        // Its first ping, late, brings it up and ends the wait.
        let up = m.ping(&down.state, PingKind::Success, None, None, T0.plus_secs(9000));
        assert_eq!(up.flip.map(|f| (f.from, f.to, f.notifies())), Some((Status::Down, Status::Up, true)));
        assert_eq!(up.state.waiting_since, None);
    }

    #[test]
    fn a_cron_check_expects_its_first_ping_at_the_first_slot_after_creation() {
        let mut m = expecting(60, 300);
        m.schedule = Schedule::Cron(crate::cron::CronExpr::parse("0 * * * *").unwrap());
        // T0 is 2023-11-14 22:13:20 UTC: the first slot is 23:00.
        let slot = Timestamp::from_secs(1_700_002_800);
        let state = m.created(T0);
        assert_eq!(m.first_expected(&state), Some(slot));
        assert_eq!(m.going_down_after(&state), Some(slot.plus_secs(300)));
        assert_eq!(m.status_at(&state, slot.plus_secs(-1)), ShownStatus::New);
        assert_eq!(m.status_at(&state, slot.plus_secs(299)), ShownStatus::Grace);
        let down = m.sweep_step(&state, slot.plus_secs(360));
        assert_eq!(down.flip.map(|f| (f.reason, f.at)), Some((FlipReason::NeverRan, slot.plus_secs(300))));
    }

    #[test]
    fn a_first_ping_on_time_brings_a_waiting_check_up_with_its_own_deadline() {
        let m = expecting(3600, 600);
        let effect = m.ping(&m.created(T0), PingKind::Success, None, None, T0.plus_secs(100));
        assert_eq!(effect.flip.map(|f| (f.to, f.notifies())), Some((Status::Up, false)));
        assert_eq!(effect.state.waiting_since, None);
        assert_eq!(effect.alert_after, Some(T0.plus_secs(100 + 3600 + 600)));
        // A first failure is a run too: down for that reason, not as never run.
        let failed = m.ping(&m.created(T0), PingKind::Fail, Some(2), None, T0.plus_secs(100));
        assert_eq!(failed.flip.map(|f| f.reason), Some(FlipReason::ExitStatus(2)));
        assert_eq!(failed.state.waiting_since, None);
        // A start keeps it waiting: a run that never ends is down when it runs too long.
        let started = m.ping(&m.created(T0), PingKind::Start, None, None, T0.plus_secs(100));
        assert_eq!(started.state.waiting_since, Some(T0));
        assert_eq!(started.alert_after, Some(T0.plus_secs(700)), "the run's limit comes first");
        assert!(
            matches!(m.sweep(&started.state, T0.plus_secs(800)), SweepVerdict::Down(f) if f.reason == FlipReason::RanTooLong)
        );
    }

    #[test]
    fn resuming_makes_a_check_wait_for_its_first_ping_again_from_then() {
        let m = expecting(3600, 600);
        let paused = m.pause(&m.created(T0), T0.plus_secs(10)).state;
        assert_eq!(
            (m.going_down_after(&paused), m.status_at(&paused, T0.plus_secs(99_999))),
            (None, ShownStatus::Paused)
        );
        let resumed = m.resume(&paused, T0.plus_secs(50_000)).unwrap().state;
        assert_eq!(resumed.waiting_since, Some(T0.plus_secs(50_000)));
        assert_eq!(m.going_down_after(&resumed), Some(T0.plus_secs(50_000 + 4200)));
    }

    #[test]
    fn a_relayed_event_counts_at_its_own_time() {
        let m = with_policy(3600, 300, AlertPolicy { max_runtime: Some(3000), ..AlertPolicy::default() });
        // A run of 40 minutes, both ends relayed 10 minutes late.
        let start = T0.plus_secs(1000);
        let started = m.relayed_ping(&up_at(T0), PingKind::Start, None, rid(1), start);
        assert_eq!(started, m.ping(&up_at(T0), PingKind::Start, None, rid(1), start), "in order: an ordinary ping");
        let done = m.relayed_ping(&started.state, PingKind::Success, None, rid(1), start.plus_secs(2400));
        assert_eq!(done.state.last_duration, Some(2_400_000));
        assert_eq!(done.state.last_ping, Some(start.plus_secs(2400)));
        assert_eq!(done.alert_after, Some(start.plus_secs(2400 + 3600 + 300)), "the deadline from the real end");
    }

    #[test]
    fn a_relayed_event_older_than_what_the_check_recorded_changes_no_status_or_deadline() {
        let m = simple(3600, 300);
        let up = m.ping(&up_at(T0), PingKind::Success, None, None, T0.plus_secs(100)).state;
        for kind in [PingKind::Fail, PingKind::Success] {
            let old = m.relayed_ping(&up, kind, Some(3), rid(1), T0.plus_secs(50));
            assert_eq!((old.kind, old.flip, old.signal), (kind, None, None), "{kind:?}");
            assert_eq!(old.state, up, "{kind:?}: nothing moves back");
            assert_eq!(old.alert_after, m.going_down_after(&up));
        }
        // An older end still closes and measures its own run.
        let started = m.relayed_ping(&up_at(T0), PingKind::Start, None, rid(1), T0.plus_secs(10)).state;
        let other = m.relayed_ping(&started, PingKind::Success, None, rid(2), T0.plus_secs(100)).state;
        assert_eq!((other.last_start, other.last_ping), (Some(T0.plus_secs(10)), Some(T0.plus_secs(100))));
        let closed = m.relayed_ping(&other, PingKind::Fail, None, rid(1), T0.plus_secs(60));
        assert_eq!((closed.flip, closed.state.status), (None, Status::Up), "the later success stands");
        assert_eq!((closed.state.last_duration, closed.state.last_start), (Some(50_000), None));
        assert_eq!(closed.state.last_ping, Some(T0.plus_secs(100)));
        // A start older than the run being watched leaves it watched.
        let older_start = m.relayed_ping(&started, PingKind::Start, None, rid(3), T0.plus_secs(5));
        assert_eq!(older_start.state, started);
        // A plain ping is never held back by the check's times.
        assert_eq!(m.ping(&up, PingKind::Fail, None, None, T0.plus_secs(50)).state.status, Status::Down);
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

    fn with_policy(timeout: i64, grace: i64, policy: AlertPolicy) -> Monitoring {
        Monitoring { policy, ..simple(timeout, grace) }
    }

    /// Applies pings in order, returning the flips they made.
    fn pings(m: &Monitoring, mut state: CheckState, kinds: &[PingKind]) -> (CheckState, Vec<Flip>) {
        let mut flips = Vec::new();
        for (i, kind) in kinds.iter().enumerate() {
            let effect = m.ping(&state, *kind, None, None, T0.plus_secs(i as i64));
            flips.extend(effect.flip);
            state = effect.state;
        }
        (state, flips)
    }

    #[test]
    fn a_failure_threshold_tolerates_fewer_consecutive_failures() {
        let policy = AlertPolicy { failure_threshold: 3, recovery_threshold: 2, ..AlertPolicy::default() };
        let m = with_policy(3600, 60, policy);
        let (state, flips) = pings(&m, up_at(T0), &[PingKind::Fail, PingKind::Fail]);
        assert_eq!((state.status, state.failures, flips.len()), (Status::Up, 2, 0), "two failures send nothing");
        let third = m.ping(&state, PingKind::Fail, Some(4), None, T0.plus_secs(9));
        assert_eq!(third.flip.map(|f| (f.to, f.reason)), Some((Status::Down, FlipReason::ExitStatus(4))));
        assert_eq!(third.state.failures, 0);
        assert_eq!(third.signal.map(|e| e.kind), Some(EventKind::Fail));
        // A success in between starts the count again.
        let (state, flips) = pings(&m, up_at(T0), &[PingKind::Fail, PingKind::Fail, PingKind::Success, PingKind::Fail]);
        assert_eq!((state.status, state.failures, flips.len()), (Status::Up, 1, 0));
        // Recovery after two consecutive successes; a failure resets them.
        let (state, flips) = pings(&m, third.state.clone(), &[PingKind::Success, PingKind::Fail, PingKind::Success]);
        assert_eq!((state.status, state.successes, flips.len()), (Status::Down, 1, 0));
        let up = m.ping(&state, PingKind::Success, None, None, T0.plus_secs(20));
        assert_eq!(up.flip.map(|f| (f.from, f.to, f.notifies())), Some((Status::Down, Status::Up, true)));
        assert_eq!(up.state.successes, 0);
        // A missed deadline is never tolerated.
        let counted = pings(&m, up_at(T0), &[PingKind::Fail]).0;
        assert!(
            matches!(m.sweep(&counted, T0.plus_secs(10_000)), SweepVerdict::Down(f) if f.reason == FlipReason::Timeout)
        );
    }

    #[test]
    fn max_runtime_measures_a_started_run_and_grace_only_the_start() {
        let policy = AlertPolicy { max_runtime: Some(600), ..AlertPolicy::default() };
        let m = with_policy(3600, 60, policy);
        let started = m.ping(&up_at(T0), PingKind::Start, None, None, T0.plus_secs(3590)).state;
        assert_eq!(m.going_down_after(&started), Some(T0.plus_secs(3590 + 600)));
        assert_eq!(m.status_at(&started, T0.plus_secs(3590 + 599)), ShownStatus::Up, "running, not late");
        assert_eq!(m.status_at(&started, T0.plus_secs(3590 + 600)), ShownStatus::Down);
        assert!(matches!(m.sweep(&started, T0.plus_secs(4200)),
            SweepVerdict::Down(f) if f.reason == FlipReason::RanTooLong && f.at == T0.plus_secs(4190)));
        // Without a start, a late start goes down after period + grace.
        assert_eq!(m.going_down_after(&up_at(T0)), Some(T0.plus_secs(3660)));
        // A run over its limit counts toward the failure threshold.
        let tolerant = with_policy(3600, 60, AlertPolicy { failure_threshold: 2, ..policy });
        match tolerant.sweep(&started, T0.plus_secs(4200)) {
            SweepVerdict::CountedFailure { state, event, alert_after } => {
                assert_eq!((state.failures, state.last_start, state.status), (1, None, Status::Up));
                assert_eq!((event.kind, event.reason), (EventKind::Fail, FlipReason::RanTooLong));
                assert_eq!(alert_after, Some(T0.plus_secs(3660)));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_pings_own_event_is_recorded_only_for_a_listener_of_its_kind() {
        let m = with_policy(3600, 60, AlertPolicy::default());
        let success = m.ping(&up_at(T0), PingKind::Success, None, None, T0.plus_secs(10));
        let fail = m.ping(&up_at(T0), PingKind::Fail, None, None, T0.plus_secs(10));
        let start = m.ping(&up_at(T0), PingKind::Start, None, None, T0.plus_secs(10));
        // Today's alerts (down, up, reminder) do not hear of every ping.
        assert_eq!(success.signal_heard_by(&EventSet::default()), None);
        assert_eq!(fail.signal_heard_by(&EventSet::default()), None);
        let both = EventSet::of(&[EventKind::Success, EventKind::Fail]);
        assert_eq!(success.signal_heard_by(&both).map(|e| e.kind), Some(EventKind::Success));
        assert_eq!(fail.signal_heard_by(&EventSet::of(&[EventKind::Fail])).map(|e| e.kind), Some(EventKind::Fail));
        assert_eq!(fail.signal_heard_by(&EventSet::of(&[EventKind::Success])), None);
        assert_eq!(start.signal_heard_by(&both), None);
    }

    #[test]
    fn min_runtime_makes_a_too_fast_success_a_failure() {
        let m = with_policy(3600, 60, AlertPolicy { min_runtime: Some(30), ..AlertPolicy::default() });
        let started = m.ping(&up_at(T0), PingKind::Start, None, rid(1), T0).state;
        let fast = m.ping(&started, PingKind::Success, None, rid(1), T0.plus_secs(2));
        assert_eq!(fast.flip.map(|f| (f.to, f.reason)), Some((Status::Down, FlipReason::TooFast)));
        assert_eq!(fast.signal.map(|e| e.kind), Some(EventKind::Fail));
        let slow = m.ping(&started, PingKind::Success, None, rid(1), T0.plus_secs(31));
        assert_eq!(slow.flip, None);
        assert_eq!(slow.signal.map(|e| e.kind), Some(EventKind::Success));
        // An unpaired success is not measured, so never too fast.
        assert_eq!(m.ping(&started, PingKind::Success, None, rid(2), T0.plus_secs(2)).flip, None);
    }

    #[test]
    fn the_sweep_announces_late_once_then_down() {
        let m = simple(3600, 600);
        let state = m.ping(&up_at(T0), PingKind::Success, None, None, T0).state;
        assert_eq!(state.next_event_at, Some(T0.plus_secs(3600)));
        let late = m.sweep_step(&state, T0.plus_secs(3660));
        assert_eq!(late.flip, None);
        assert_eq!(
            late.events,
            vec![Event { kind: EventKind::Late, reason: FlipReason::Timeout, at: T0.plus_secs(3600) }]
        );
        assert_eq!(late.state.next_event_at, None);
        assert_eq!(late.alert_after, Some(T0.plus_secs(4200)));
        assert!(m.sweep_step(&late.state, T0.plus_secs(3720)).events.is_empty(), "late once");
        let down = m.sweep_step(&late.state, T0.plus_secs(4260));
        assert_eq!(down.flip.map(|f| f.reason), Some(FlipReason::Timeout));
        assert!(down.events.is_empty());
        // A sweep that only notices after grace skips the late notice.
        assert!(m.sweep_step(&state, T0.plus_secs(5000)).events.is_empty());
    }

    #[test]
    fn reminders_come_once_per_interval_while_down_and_stop_on_recovery() {
        let m = with_policy(60, 60, AlertPolicy { reminder_interval: 300, ..AlertPolicy::default() });
        let down = m.sweep_step(&up_at(T0), T0.plus_secs(130));
        assert_eq!(down.flip.map(|f| f.at), Some(T0.plus_secs(120)));
        assert_eq!(down.state.next_event_at, Some(T0.plus_secs(420)));
        let mut state = down.state;
        let mut reminders = 0;
        for minute in 3..=13 {
            let step = m.sweep_step(&state, T0.plus_secs(minute * 60 + 5));
            reminders += step.events.iter().filter(|e| e.kind == EventKind::Reminder).count();
            state = step.state;
        }
        assert_eq!(reminders, 2, "at 420 and 720 s");
        assert_eq!(state.next_event_at, Some(T0.plus_secs(1020)));
        let up = m.ping(&state, PingKind::Success, None, None, T0.plus_secs(800));
        assert_eq!(up.state.status, Status::Up);
        assert_eq!(up.state.next_event_at, Some(T0.plus_secs(860)), "only the next deadline is left");
        // A fail ping while down keeps the reminder schedule.
        assert_eq!(
            m.ping(&state, PingKind::Fail, None, None, T0.plus_secs(800)).state.next_event_at,
            state.next_event_at
        );
    }

    #[test]
    fn a_mute_keeps_the_reminder_schedule_and_only_extends() {
        let m = with_policy(60, 60, AlertPolicy { reminder_interval: 300, ..AlertPolicy::default() });
        let down = m.sweep_step(&up_at(T0), T0.plus_secs(130)).state;
        assert_eq!(down.next_event_at, Some(T0.plus_secs(420)));
        let muted = m.mute(&down, T0.plus_secs(3600), T0.plus_secs(200)).unwrap();
        assert_eq!((muted.next_event_at, muted.muted_until), (Some(T0.plus_secs(420)), Some(T0.plus_secs(3600))));
        assert_eq!(m.mute(&muted, T0.plus_secs(1800), T0.plus_secs(200)), None, "a shorter window changes nothing");
        let ended = m.snooze(&muted, None, T0.plus_secs(300));
        assert_eq!((ended.next_event_at, ended.muted_until), (Some(T0.plus_secs(300)), Some(T0.plus_secs(300))));
    }

    #[test]
    fn a_mute_holds_until_its_end_and_a_still_down_check_is_announced_once() {
        let m = simple(60, 60);
        let snoozed = m.snooze(&up_at(T0), Some(T0.plus_secs(600)), T0);
        assert!(snoozed.muted_at(T0.plus_secs(599)) && !snoozed.muted_at(T0.plus_secs(600)));
        assert_eq!(snoozed.next_event_at, Some(T0.plus_secs(60)));
        let down = m.sweep_step(&snoozed, T0.plus_secs(130));
        assert!(down.flip.is_some(), "flips are recorded during a mute");
        assert_eq!(down.state.next_event_at, Some(T0.plus_secs(600)));
        let end = m.sweep_step(&down.state, T0.plus_secs(605));
        assert_eq!(
            end.events,
            vec![Event { kind: EventKind::Down, reason: FlipReason::StillDown, at: T0.plus_secs(600) }]
        );
        assert_eq!((end.state.muted_until, end.state.next_event_at), (None, None));
        assert!(m.sweep_step(&end.state, T0.plus_secs(700)).events.is_empty(), "once");
        // Recovered inside the mute: nothing at its end.
        let up = m.ping(&down.state, PingKind::Success, None, None, T0.plus_secs(300));
        let step = m.sweep_step(&up.state, T0.plus_secs(605));
        assert!(step.events.is_empty());
        assert_eq!(step.state.muted_until, None);
    }

    #[test]
    fn a_window_holds_a_pings_notifications_and_a_check_still_down_notifies_once_at_its_end() {
        let m = simple(3600, 60);
        let failed = m.ping(&up_at(T0), PingKind::Fail, None, None, T0.plus_secs(10));
        assert!(failed.would_notify(&EventSet::default()));
        assert!(!m.ping(&up_at(T0), PingKind::Success, None, None, T0).would_notify(&EventSet::default()));
        assert!(m
            .ping(&up_at(T0), PingKind::Success, None, None, T0)
            .would_notify(&EventSet::of(&[EventKind::Success])));
        // No window, or one already over: nothing changes.
        assert_eq!(m.hold_ping(failed.clone(), None, T0.plus_secs(10)), failed);
        assert_eq!(m.hold_ping(failed.clone(), Some(T0.plus_secs(10)), T0.plus_secs(10)), failed);
        let held = m.hold_ping(failed.clone(), Some(T0.plus_secs(600)), T0.plus_secs(10));
        assert!(held.state.muted_at(T0.plus_secs(10)), "the store sends nothing for a muted check");
        assert_eq!((held.flip, held.alert_after), (failed.flip, failed.alert_after), "still recorded as it was");
        assert_eq!(held.state.next_event_at, Some(T0.plus_secs(600)), "the sweep looks again at the end");
        let end = m.sweep_step(&held.state, T0.plus_secs(605));
        assert_eq!(
            end.events,
            vec![Event { kind: EventKind::Down, reason: FlipReason::StillDown, at: T0.plus_secs(600) }]
        );
        assert!(m.sweep_step(&end.state, T0.plus_secs(700)).events.is_empty(), "once");
    }

    #[test]
    fn a_sweep_step_is_held_by_the_windows_open_at_each_events_own_time() {
        let m = with_policy(60, 60, AlertPolicy { reminder_interval: 300, ..AlertPolicy::default() });
        // A window from T0+1000 until T0+5000.
        let window = |at: Timestamp| (at >= T0.plus_secs(1000)).then_some(T0.plus_secs(5000));
        // Down at its deadline T0+120, noticed at T0+1100: before the window, so it notifies.
        let late_notice = m.hold_step(m.sweep_step(&up_at(T0), T0.plus_secs(1100)), T0.plus_secs(1100), window);
        assert_eq!(late_notice.step.flip.map(|f| f.at), Some(T0.plus_secs(120)));
        assert!(!late_notice.flip_held);
        assert_eq!(late_notice.step.state.muted_until, None);
        // Its reminder at T0+1400 falls inside: recorded, held, and muted until the end.
        let reminder =
            m.hold_step(m.sweep_step(&late_notice.step.state, T0.plus_secs(1400)), T0.plus_secs(1400), window);
        assert_eq!(reminder.step.events.iter().map(|e| e.kind).collect::<Vec<_>>(), vec![EventKind::Reminder]);
        assert_eq!(reminder.events_held, vec![true]);
        assert_eq!(reminder.step.state.muted_until, Some(T0.plus_secs(5000)));
        assert_eq!(reminder.step.state.next_event_at, Some(T0.plus_secs(1620)), "reminders keep their schedule");
        // Later reminders inside are held too; at the end, one notice.
        let mut state = reminder.step.state;
        let mut sent = Vec::new();
        for at in (1500..=5100).step_by(100).map(|secs| T0.plus_secs(secs)) {
            let held = m.hold_step(m.sweep_step(&state, at), at, window);
            for (event, held) in held.step.events.iter().zip(&held.events_held) {
                if !held {
                    sent.push((event.kind, event.reason, event.at));
                }
            }
            state = held.step.state;
        }
        assert_eq!(sent, vec![(EventKind::Down, FlipReason::StillDown, T0.plus_secs(5000))]);
        // A check's own snooze holds as before, whatever the windows.
        let snoozed = m.snooze(&up_at(T0), Some(T0.plus_secs(600)), T0);
        let step = m.hold_step(m.sweep_step(&snoozed, T0.plus_secs(130)), T0.plus_secs(130), |_| None);
        assert!(step.flip_held);
        assert_eq!(step.step.state.muted_until, Some(T0.plus_secs(600)));
    }

    #[test]
    fn a_sweep_ahead_of_the_clock_dates_nothing_after_it() {
        let m = with_policy(60, 60, AlertPolicy { max_runtime: Some(600), ..AlertPolicy::default() });
        let started = m.ping(&up_at(T0), PingKind::Start, None, None, T0).state;
        // The sweep is told it is T0+900; the clock says T0+5.
        let step = m.sweep_step(&started, T0.plus_secs(900));
        assert_eq!(step.flip.map(|f| f.at), Some(T0.plus_secs(600)), "decided at the deadline");
        assert_eq!(step.events.iter().map(|e| e.at).collect::<Vec<_>>(), vec![T0.plus_secs(600)]);
        let recorded = step.clone().dated_by(T0.plus_secs(5));
        assert_eq!(recorded.flip.map(|f| f.at), Some(T0.plus_secs(5)));
        assert_eq!(recorded.events.iter().map(|e| e.at).collect::<Vec<_>>(), vec![T0.plus_secs(5)]);
        assert_eq!((&recorded.state, recorded.alert_after), (&step.state, step.alert_after), "only dates change");
        // A sweep behind the clock (every real one) records what it decided.
        assert_eq!(step.clone().dated_by(T0.plus_secs(901)), step);
    }

    mod never_ran {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// A new check that expects its first ping and never gets one,
            /// swept at any increasing instants: late at most once, down
            /// exactly once (when a sweep comes at or after creation plus
            /// period plus grace), dated at that instant, as never run; and
            /// never down before it.
            #[test]
            fn a_check_that_never_runs_goes_down_once_at_its_first_deadline(
                timeout in 60i64..100_000,
                grace in 60i64..100_000,
                created in 0i64..1_000_000,
                gaps in proptest::collection::vec(1i64..50_000, 1..40),
            ) {
                let m = expecting(timeout, grace);
                let created = T0.plus_secs(created);
                let deadline = created.plus_secs(timeout + grace);
                let mut state = m.created(created);
                let mut now = created;
                let (mut downs, mut lates) = (Vec::new(), 0);
                for gap in gaps {
                    now = now.plus_secs(gap);
                    let step = m.sweep_step(&state, now);
                    lates += step.events.iter().filter(|e| e.kind == EventKind::Late).count();
                    prop_assert!(step.events.iter().all(|e| e.reason == FlipReason::NeverRan));
                    downs.extend(step.flip);
                    state = step.state;
                }
                prop_assert!(lates <= 1);
                if now >= deadline {
                    prop_assert_eq!(downs.len(), 1);
                    prop_assert_eq!((downs[0].reason, downs[0].at, downs[0].from), (FlipReason::NeverRan, deadline, Status::New));
                } else {
                    prop_assert!(downs.is_empty());
                    prop_assert_eq!(state.status, Status::New);
                }
            }
        }
    }

    mod relayed {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Successes relayed in any order: the check ends with the
            /// latest one as its last ping and its deadline, changes
            /// status once (new to up), and announces each success only
            /// when it is the latest so far.
            #[test]
            fn the_latest_outcome_decides_whatever_order_they_arrive_in(
                times in proptest::collection::vec(0i64..100_000, 1..20),
            ) {
                let m = simple(3600, 300);
                let mut state = m.created(T0);
                let mut flips = 0;
                let mut latest = None;
                for t in &times {
                    let at = T0.plus_secs(*t);
                    let effect = m.relayed_ping(&state, PingKind::Success, None, None, at);
                    flips += effect.flip.iter().count();
                    prop_assert_eq!(effect.signal.is_some(), latest.is_none_or(|l| at >= l));
                    latest = latest.max(Some(at));
                    state = effect.state;
                }
                let last = T0.plus_secs(times.iter().copied().max().unwrap_or(0));
                prop_assert_eq!(flips, 1);
                prop_assert_eq!(state.last_ping, Some(last));
                prop_assert_eq!(m.going_down_after(&state), Some(last.plus_secs(3900)));
            }
        }
    }

    mod holds {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Whatever the windows, a notification is held exactly when the
            /// check's mute or a window holds it past `now`; the check then
            /// stays muted at least until the last hold ends, and the sweep
            /// looks at it again by then. Nothing held: nothing changes.
            #[test]
            fn held_notifications_keep_the_check_muted_until_the_last_hold_ends(
                reminder in prop_oneof![Just(0i64), 300i64..3_000],
                down_before in any::<bool>(),
                snooze in proptest::option::of(0i64..10_000),
                window in proptest::option::of((0i64..10_000, 1i64..10_000)),
                now in 0i64..10_000,
            ) {
                let m = with_policy(60, 60, AlertPolicy { reminder_interval: reminder, ..AlertPolicy::default() });
                let mut state = if down_before { m.sweep_step(&up_at(T0), T0.plus_secs(130)).state } else { up_at(T0) };
                if let Some(until) = snooze {
                    state = m.snooze(&state, Some(T0.plus_secs(until)), T0.plus_secs(125));
                }
                let now = T0.plus_secs(130 + now);
                let window_hold = |at: Timestamp| {
                    window.and_then(|(start, length)| {
                        let (start, end) = (T0.plus_secs(start), T0.plus_secs(start + length));
                        (start <= at && now < end).then_some(end)
                    })
                };
                let step = m.sweep_step(&state, now);
                let held = m.hold_step(step.clone(), now, window_hold);
                let snoozed = step.state.muted_until.filter(|until| *until > now);
                let expect = |at: Timestamp| snoozed.max(window_hold(at));
                prop_assert_eq!(held.flip_held, step.flip.is_some_and(|f| expect(f.at).is_some()));
                let expected: Vec<bool> = step.events.iter().map(|e| expect(e.at).is_some()).collect();
                prop_assert_eq!(&held.events_held, &expected);
                let longest = step.flip.map(|f| f.at).into_iter().chain(step.events.iter().map(|e| e.at)).filter_map(expect).max();
                match longest {
                    Some(until) => {
                        prop_assert!(held.step.state.muted_until.is_some_and(|u| u >= until));
                        prop_assert!(held.step.state.next_event_at.is_some_and(|t| t <= until));
                    }
                    None => prop_assert_eq!(&held.step, &step),
                }
                prop_assert_eq!((held.step.flip, &held.step.events, held.step.alert_after), (step.flip, &step.events, step.alert_after));
            }
        }
    }

    mod policy {
        use super::*;
        use proptest::prelude::*;

        fn signals() -> impl Strategy<Value = PingKind> {
            prop_oneof![Just(PingKind::Success), Just(PingKind::Fail), Just(PingKind::Start)]
        }

        proptest! {
            /// Under any policy and any sequence of pings: a check goes down
            /// exactly when the last `failure_threshold` signals were failures
            /// (counted since it was last not down), up exactly after
            /// `recovery_threshold` successes in a row, every success or
            /// failure has its own event, and the counters stay normalised.
            #[test]
            fn thresholds_count_consecutive_signals(
                policy in idle_up::policies(),
                kinds in proptest::collection::vec(signals(), 1..40),
            ) {
                let policy = AlertPolicy { min_runtime: None, ..policy };
                let m = Monitoring { policy, ..simple(3600, 60) };
                let mut state = up_at(T0);
                let (mut fails, mut oks) = (0i64, 0i64);
                for (i, kind) in kinds.iter().enumerate() {
                    let effect = m.ping(&state, *kind, None, None, T0.plus_secs(i as i64));
                    match kind {
                        PingKind::Fail => { fails += 1; oks = 0; }
                        PingKind::Success => { oks += 1; fails = 0; }
                        _ => {}
                    }
                    let expected = match (state.status, kind) {
                        (Status::Up, PingKind::Fail) if fails >= policy.failure_threshold => Status::Down,
                        (Status::Down, PingKind::Success) if oks >= policy.recovery_threshold => Status::Up,
                        (status, _) => status,
                    };
                    prop_assert_eq!(effect.state.status, expected);
                    if effect.state.status != state.status { fails = 0; oks = 0; }
                    prop_assert_eq!(effect.signal.is_some(), *kind != PingKind::Start);
                    prop_assert!(effect.state.failures == 0 || effect.state.status != Status::Down);
                    prop_assert!(effect.state.successes == 0 || effect.state.status == Status::Down);
                    state = effect.state;
                }
            }

            /// While a check stays down, sweeps at any increasing instants send
            /// exactly one reminder per interval boundary crossed, however
            /// often they run.
            #[test]
            fn one_reminder_per_interval(
                interval in 300i64..5_000,
                gaps in proptest::collection::vec(1i64..2_000, 1..60),
            ) {
                let m = Monitoring { policy: AlertPolicy { reminder_interval: interval, ..AlertPolicy::default() }, ..simple(60, 60) };
                let down_at = T0.plus_secs(120);
                let mut state = m.sweep_step(&up_at(T0), down_at).state;
                let mut now = down_at;
                let mut reminders = 0i64;
                for gap in gaps {
                    now = now.plus_secs(gap);
                    let step = m.sweep_step(&state, now);
                    let sent = step.events.iter().filter(|e| e.kind == EventKind::Reminder).count() as i64;
                    prop_assert!(sent <= 1);
                    reminders += sent;
                    // Running the same sweep again (a concurrent sweep that read
                    // the written state) sends nothing more.
                    let again = m.sweep_step(&step.state, now);
                    prop_assert!(again.events.is_empty());
                    state = step.state;
                }
                let boundaries = (now.millis() - down_at.millis()) / (interval * 1000);
                // Sweeps that skipped several boundaries send one reminder for them.
                prop_assert!(reminders <= boundaries);
                prop_assert!(reminders >= 1 || boundaries == 0);
                prop_assert!(state.next_event_at.is_some_and(|t| t > now && t.millis() <= now.millis() + interval * 1000));
            }
        }
    }

    mod idle_up {
        use super::*;
        use crate::check::config::AlertPolicy;
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

        pub(super) fn policies() -> impl Strategy<Value = AlertPolicy> {
            (
                1i64..5,
                1i64..5,
                proptest::option::of(60i64..100_000),
                proptest::option::of(1i64..600),
                prop_oneof![Just(0i64), 300i64..100_000],
            )
                .prop_map(
                    |(failure_threshold, recovery_threshold, max_runtime, min_runtime, reminder_interval)| {
                        AlertPolicy {
                            failure_threshold,
                            recovery_threshold,
                            max_runtime,
                            min_runtime,
                            reminder_interval,
                        }
                    },
                )
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
                policy in policies(),
            ) {
                let m = Monitoring { schedule: Schedule::Simple { timeout }, grace, manual_resume, policy, ..Monitoring::default() };
                // The write is conditional on up, idle, no failures counted and
                // no mute; everything else is unread.
                let state = CheckState {
                    status: Status::Up,
                    last_ping: last_ping.map(Timestamp::from_secs),
                    last_start: None,
                    last_start_rid: None,
                    last_duration,
                    next_event_at: last_ping.map(|t| Timestamp::from_secs(t + 17)),
                    ..CheckState::idle_up()
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
