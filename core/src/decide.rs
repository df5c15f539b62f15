//! Decisions: from what was read to a complete write plan (`crate::plan`).
//! Each function here takes the check as read, the time, who listens, and
//! the ids to give what it records, and returns everything to write; the
//! state machine (`check::Monitoring`) says what happens, `routing` who is
//! told, `maintenance` what a window holds. Nothing here reads or writes
//! anything.

use crate::api::spec::UniqueValue;
use crate::channel::Channel;
use crate::check::{
    Check, CheckConfig, CheckState, Event, EventKind, HeldStep, Monitoring, PingEffect, Tags, Transition,
};
use crate::ids::{unique_key, Uuid};
use crate::maintenance::OpenWindows;
use crate::plan::{
    ChannelChange, ChannelPlan, CheckPlan, ConfigWrite, Deadlines, EventWrite, Expect, Expected, FlipWrite, NewCheck,
    NewPing, Owner, Reroute, RoutingGuard, RunEdge, RunReport, StateWrite, Target,
};
use crate::routing::{anyone_listens, recipients, Routes};
use crate::time::Timestamp;

/// Who hears of a check's events.
#[derive(Clone, Copy, Debug)]
pub struct Audience<'a> {
    /// The channels linked to the check.
    pub routes: &'a Routes,
    /// The deployment's default channels.
    pub defaults: &'a [Channel],
    /// The maintenance windows of the check's project open at the time of
    /// the decision (those that select the check are enough), when they
    /// were read. A window holds the notifications of every event that
    /// happened inside it (`OpenWindows::hold`, at the event's own time).
    /// `None`: not read, and nothing is held by a window: the decision
    /// announces nothing, or they could not be read (an alert during
    /// maintenance is better than a missed one).
    pub windows: Option<&'a OpenWindows>,
}

/// The check a decision is about: its row id, what maintenance windows
/// select it by (uuid and tags), how it is monitored, and its state as read
/// (or, for the one-round-trip ping path, as assumed).
#[derive(Clone, Copy, Debug)]
pub struct Subject<'a> {
    pub id: i64,
    pub uuid: &'a Uuid,
    pub tags: &'a Tags,
    pub monitoring: &'a Monitoring,
    pub state: &'a CheckState,
    /// When its status last changed, when known: a status change is never
    /// dated before it (a relayed event older than the last change).
    pub changed_at: Option<Timestamp>,
}

impl<'a> Subject<'a> {
    pub fn of(check: &'a Check) -> Subject<'a> {
        Subject {
            id: check.id,
            uuid: &check.uuid,
            tags: &check.config.tags,
            monitoring: &check.config.monitoring,
            state: &check.state,
            changed_at: check.status_changed_at,
        }
    }
}

/// The ids a plan gives what it records: the flip gets `seed`, events
/// `seed-e` (a ping's own) or `seed-<n>` (the sweep's).
fn event_id(seed: &str, index: Option<usize>) -> String {
    match index {
        None => format!("{seed}-e"),
        Some(n) => format!("{seed}-{n}"),
    }
}

fn flip_write(
    flip: crate::check::Flip,
    seed: &str,
    audience: &Audience<'_>,
    muted: bool,
    with_ping: bool,
) -> FlipWrite {
    let recipients = match flip.event_kind() {
        Some(kind) => recipients(audience.routes, audience.defaults, kind, muted),
        None => Vec::new(),
    };
    FlipWrite { id: seed.to_owned(), flip, recipients, with_ping }
}

/// An event to record, if anyone listens for its kind at all.
fn event_write(event: Event, id: String, audience: &Audience<'_>, muted: bool, with_ping: bool) -> Option<EventWrite> {
    if !anyone_listens(audience.routes, audience.defaults, event.kind) {
        return None;
    }
    Some(EventWrite {
        id,
        recipients: recipients(audience.routes, audience.defaults, event.kind, muted),
        with_ping,
        coalesce: matches!(event.kind, EventKind::Reminder | EventKind::Success | EventKind::Fail),
        event,
    })
}

/// Whether an event of this kind would be sent to anyone, before any hold.
fn heard(audience: &Audience<'_>, kind: EventKind) -> bool {
    !recipients(audience.routes, audience.defaults, kind, false).is_empty()
}

/// Whether a ping's effect would announce anything to anyone (before any
/// hold): only then do maintenance windows matter to it.
pub fn ping_announces(effect: &PingEffect, audience: &Audience<'_>) -> bool {
    let flip_heard = effect.flip.and_then(|f| f.event_kind()).is_some_and(|kind| heard(audience, kind));
    let signal_heard = effect.signal.is_some_and(|e| heard(audience, e.kind));
    flip_heard || signal_heard
}

/// Whether a ping with this effect at `at` needs the project's maintenance
/// windows to be decided: it would announce something, and the check's own
/// snooze does not already hold it. Every other ping reads no window.
pub fn ping_weighs_windows(effect: &PingEffect, audience: &Audience<'_>, at: Timestamp) -> bool {
    ping_announces(effect, audience) && !effect.state.muted_at(at)
}

/// What a ping does to the check as read: at its own time, and for a
/// relayed one (`NewPing::arrived`) as `Monitoring::relayed_ping` says.
pub fn ping_effect(subject: &Subject<'_>, ping: &NewPing) -> PingEffect {
    let monitoring = subject.monitoring;
    let state = subject.state;
    let mut effect = match ping.arrived {
        Some(_) => monitoring.relayed_ping(state, ping.kind, ping.exit_status, ping.rid, ping.at),
        None => monitoring.ping(state, ping.kind, ping.exit_status, ping.rid, ping.at),
    };
    if let (Some(flip), Some(changed)) = (&mut effect.flip, subject.changed_at) {
        flip.at = flip.at.max(changed);
    }
    effect
}

/// Everything a ping writes: its record, the check's new state, the flip
/// and the ping's own event with who hears of them, and, for a start or an
/// end with a run id, its run report (the plan applies only if the check
/// has none of that run and edge yet). `expect` is what the decision read
/// (or assumed) of the row; `seed` the id of the flip. Notifications are
/// queued when the ping arrived.
pub fn ping_plan(
    subject: Subject<'_>,
    ping: NewPing,
    expect: Expect,
    audience: &Audience<'_>,
    seed: &str,
) -> (CheckPlan, PingEffect) {
    let monitoring = subject.monitoring;
    let at = ping.at;
    let mut effect = ping_effect(&subject, &ping);
    if ping_announces(&effect, audience) {
        // Held while a window that selects the check is open at the ping:
        // the check stays muted until the window closes.
        let window_hold = audience.windows.and_then(|open| open.hold(subject.uuid, subject.tags, at));
        effect = monitoring.hold_ping(effect, window_hold, at);
        effect.alert_after = monitoring.going_down_after(&effect.state);
    }
    let muted = effect.state.muted_at(at);
    let flip = effect.flip.map(|flip| flip_write(flip, seed, audience, muted, true));
    let events = effect.signal.and_then(|event| event_write(event, event_id(seed, None), audience, muted, true));
    let state = effect.changes_state().then(|| StateWrite {
        state: effect.state.clone(),
        alert_after: effect.alert_after,
        changed_at: effect.flip.map(|f| f.at),
    });
    let run_report =
        ping.rid.zip(RunEdge::of(effect.kind)).map(|(rid, edge)| RunReport { rid, edge, token: seed.to_owned() });
    let plan = CheckPlan {
        target: Target::Existing(subject.id),
        at: ping.arrival(),
        expect,
        ping: Some(NewPing { kind: effect.kind, ..ping }),
        state,
        config: None,
        flip,
        events: events.into_iter().collect(),
        routing: None,
        reschedule: None,
        audit: None,
        run_report,
    };
    (plan, effect)
}

/// Everything the sweep writes for a check it found due at `now`, which it
/// selected by the deadlines `seen`. Each notification is weighed at its
/// own event's time (`Monitoring::hold_step`): held by the check's own
/// snooze, or by a window open at the event and still open now; a held
/// flip or event is recorded but sent to nobody. What it records is dated
/// no later than `clock` (the real time, which a sweep run ahead of it
/// through the local scheduled endpoint must not outrun), and its
/// notifications are queued at `clock`.
pub fn sweep_plan(
    check: &Check,
    seen: Deadlines,
    now: Timestamp,
    clock: Timestamp,
    audience: &Audience<'_>,
    seed: &str,
) -> CheckPlan {
    let monitoring = check.monitoring();
    let step = monitoring.sweep_step(&check.state, now);
    // Windows matter only to what would be announced: a step nobody hears
    // of leaves the check unmuted.
    let announces = step.flip.and_then(|f| f.event_kind()).is_some_and(|kind| heard(audience, kind))
        || step.events.iter().any(|e| heard(audience, e.kind));
    let windows = audience.windows.filter(|_| announces);
    let window_hold = |at| windows.and_then(|open| open.hold(&check.uuid, &check.config.tags, at));
    let HeldStep { step, flip_held, events_held } = monitoring.hold_step(step, now, window_hold);
    let step = step.dated_by(clock);
    let mut plan = CheckPlan::for_check(check, Expect::RowAndDeadlines(Expected::of(check, false), seen), clock);
    plan.flip = step.flip.map(|flip| flip_write(flip, seed, audience, flip_held, false));
    plan.events = step
        .events
        .iter()
        .zip(events_held)
        .enumerate()
        .filter_map(|(i, (event, held))| event_write(*event, event_id(seed, Some(i)), audience, held, false))
        .collect();
    plan.state =
        Some(StateWrite { state: step.state, alert_after: step.alert_after, changed_at: step.flip.map(|f| f.at) });
    plan
}

/// A row the sweep could not read: it looks again at `retry_at`.
pub fn reschedule_plan(id: i64, seen: Deadlines, now: Timestamp, retry_at: Timestamp) -> CheckPlan {
    CheckPlan {
        target: Target::Existing(id),
        at: now,
        expect: Expect::Deadlines(seen),
        ping: None,
        state: None,
        config: None,
        flip: None,
        events: Vec::new(),
        routing: None,
        reschedule: Some(retry_at),
        audit: None,
        run_report: None,
    }
}

/// A change of state made through the API (pause, resume), with its flip.
pub fn transition_plan(check: &Check, transition: Transition, seed: &str, now: Timestamp) -> CheckPlan {
    let audience = Audience { routes: &check.routes, defaults: &[], windows: None };
    let mut plan = CheckPlan::for_check(check, Expect::Row(Expected::of(check, true)), now);
    plan.flip = transition.flip.map(|flip| flip_write(flip, seed, &audience, true, false));
    plan.state = Some(StateWrite {
        state: transition.state,
        alert_after: transition.alert_after,
        changed_at: transition.flip.map(|f| f.at),
    });
    plan
}

/// Holds a check's notifications until `until`, or ends a hold (`None`).
pub fn snooze_plan(check: &Check, until: Option<Timestamp>, now: Timestamp) -> CheckPlan {
    let monitoring = check.monitoring();
    let state = monitoring.snooze(&check.state, until, now);
    let mut plan = CheckPlan::for_check(check, Expect::Row(Expected::of(check, true)), now);
    plan.state = Some(StateWrite { alert_after: monitoring.going_down_after(&state), state, changed_at: None });
    plan
}

/// A new configuration for a stored check, with the deadlines it implies
/// and, when they change, its routes.
pub fn edit_plan(
    check: &Check,
    config: CheckConfig,
    routes: Option<(Routes, RoutingGuard)>,
    now: Timestamp,
) -> CheckPlan {
    let monitoring = &config.monitoring;
    let mut state = check.state.clone();
    state.next_event_at = monitoring.next_event(&state, now, now);
    let alert_after = monitoring.going_down_after(&state);
    let mut plan = CheckPlan::for_check(check, Expect::Row(Expected::of(check, true)), now);
    plan.state = Some(StateWrite { state, alert_after, changed_at: None });
    let (routes, guard) = match routes {
        Some((routes, guard)) => (Some(routes), Some(guard)),
        None => (None, None),
    };
    plan.config = Some(ConfigWrite { config, routes });
    plan.routing = guard;
    plan
}

/// What a new check is given: its uuid and the keys it is known by.
#[derive(Clone, Debug)]
pub struct NewKeys {
    pub uuid: Uuid,
    pub badge_key: String,
}

/// What a new check must not collide with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Collisions {
    /// None of the project's checks may have its slug (a ping that creates
    /// the check it names).
    pub slug: bool,
    /// None of the project's checks may hold all of these values (a
    /// `unique` upsert that found no match, `api::spec::unique_values`).
    pub unique: Vec<UniqueValue>,
}

/// Creates a check with this configuration and these routes, within the
/// project's limit, if it collides with no check of the project.
pub fn create_plan(
    keys: NewKeys,
    owner: Owner,
    config: CheckConfig,
    routes: Routes,
    now: Timestamp,
    max_checks: i64,
    collisions: Collisions,
) -> CheckPlan {
    let state = config.monitoring.created(now);
    let alert_after = config.monitoring.going_down_after(&state);
    CheckPlan {
        at: now,
        target: Target::New(Box::new(NewCheck {
            unique_key: unique_key(&keys.uuid),
            uuid: keys.uuid,
            owner,
            config,
            routes,
            badge_key: keys.badge_key,
            created_at: now,
            max_checks,
            slug_must_be_free: collisions.slug,
            unique: collisions.unique,
        })),
        expect: Expect::Nothing,
        ping: None,
        // It entered `new` now: a first flip's previous change, and what a
        // check that never runs says it waited since.
        state: Some(StateWrite { state, alert_after, changed_at: Some(now) }),
        config: None,
        flip: None,
        events: Vec::new(),
        routing: None,
        reschedule: None,
        audit: None,
        run_report: None,
    }
}

/// A change to a channel, with the new routes of every check of the
/// project it touches: linked checks hear of its new events, `assign_to_all`
/// links it to every check, a deleted channel leaves every route.
pub fn channel_plan(
    channel: Channel,
    change: ChannelChange,
    assign_to_all: bool,
    checks: &[Check],
    routing: RoutingGuard,
) -> ChannelPlan {
    let reroutes = checks
        .iter()
        .filter_map(|check| {
            let routes = match change {
                ChannelChange::Delete => check.routes.without(&channel.id),
                ChannelChange::Save { .. } => check.routes.with_channel(&channel, assign_to_all),
            };
            (routes != check.routes).then_some(Reroute { check_id: check.id, uuid: check.uuid, routes })
        })
        .collect();
    ChannelPlan { channel, change, reroutes, routing, audit: None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::{ChannelConfig, EventSet};
    use crate::check::{PingKind, Schedule, Status};
    use crate::maintenance::{When, Window};

    const T0: Timestamp = Timestamp::from_secs(1_700_000_000);

    fn pager() -> Channel {
        Channel {
            id: "pager".into(),
            name: "pager".into(),
            config: ChannelConfig::Webhook(crate::channels::webhook::Webhook {
                url: "http://127.0.0.1:9/".into(),
                method: "POST".into(),
                headers: Vec::new(),
                secret: None,
            }),
            events: EventSet::of(&[EventKind::Down, EventKind::Up]),
            failing: None,
        }
    }

    /// A check tagged `db`, timeout and grace a minute each, pinged at T0
    /// (it goes down at T0 + 120 s), linked to `pager`.
    fn check() -> Check {
        let mut config = CheckConfig { tags: Tags::parse("db"), ..CheckConfig::default() };
        config.monitoring.schedule = Schedule::Simple { timeout: 60 };
        config.monitoring.grace = 60;
        let state = config.monitoring.ping(&CheckState::new_check(), PingKind::Success, None, None, T0).state;
        Check {
            id: 7,
            uuid: Uuid::parse("0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b").unwrap(),
            project_id: "p".into(),
            config,
            state,
            n_pings: 1,
            badge_key: String::new(),
            config_version: 0,
            routes: Routes::to_channels(&[pager()]),
            created_at: T0,
            status_changed_at: None,
        }
    }

    /// The windows open at `now` of one one-off window over `tags`.
    fn one_off(tags: &str, from: i64, until: i64, now: Timestamp) -> OpenWindows {
        let window = Window {
            id: "w".into(),
            name: String::new(),
            when: When::OneOff { start: T0.plus_secs(from), end: T0.plus_secs(until) },
            tags: Tags::parse(tags),
            checks: Vec::new(),
        };
        OpenWindows::at([window], now)
    }

    fn deadlines(check: &Check) -> Deadlines {
        Deadlines {
            alert_after: check.monitoring().going_down_after(&check.state),
            next_event_at: check.state.next_event_at,
        }
    }

    fn fail_ping(at: Timestamp) -> NewPing {
        NewPing {
            kind: PingKind::Fail,
            at,
            scheme: "https".into(),
            method: "GET".into(),
            ua: String::new(),
            remote_addr: None,
            exit_status: None,
            rid: None,
            body: Vec::new(),
            history: 100,
            arrived: None,
        }
    }

    #[test]
    fn a_ping_inside_a_window_that_selects_its_check_is_recorded_and_told_to_nobody() {
        let check = check();
        let at = T0.plus_secs(30);
        let expect = Expect::Row(Expected::of(&check, false));
        let decide = |windows: Option<&OpenWindows>| {
            let audience = Audience { routes: &check.routes, defaults: &[], windows };
            ping_plan(Subject::of(&check), fail_ping(at), expect.clone(), &audience, "f").0
        };
        let held = decide(Some(&one_off("db", 0, 600, at)));
        assert_eq!(held.flip.as_ref().map(|f| (f.flip.to, f.recipients.len())), Some((Status::Down, 0)));
        assert_eq!(held.state.as_ref().and_then(|s| s.state.muted_until), Some(T0.plus_secs(600)));
        assert!(!held.notifies());
        for (what, windows) in [("no window read", None), ("another tag", Some(&one_off("web", 0, 600, at)))] {
            let told = decide(windows);
            assert_eq!(told.flip.map(|f| f.recipients), Some(vec!["pager".to_owned()]), "{what}");
            assert_eq!(told.state.and_then(|s| s.state.muted_until), None, "{what}");
        }
    }

    #[test]
    fn a_start_or_end_with_a_run_id_is_reported_once_and_a_log_is_not() {
        let check = check();
        let audience = Audience { routes: &check.routes, defaults: &[], windows: None };
        let rid = Uuid::parse("a0000000-0000-4000-8000-000000000001").unwrap();
        let with = |kind: PingKind, rid: Option<Uuid>| {
            let ping = NewPing { kind, rid, ..fail_ping(T0.plus_secs(5)) };
            ping_plan(Subject::of(&check), ping, Expect::Row(Expected::of(&check, false)), &audience, "seed").0
        };
        let report = |edge| Some(RunReport { rid, edge, token: "seed".into() });
        assert_eq!(with(PingKind::Start, Some(rid)).run_report, report(RunEdge::Start));
        assert_eq!(with(PingKind::Success, Some(rid)).run_report, report(RunEdge::End));
        assert_eq!(with(PingKind::Fail, Some(rid)).run_report, report(RunEdge::End));
        assert_eq!(with(PingKind::Log, Some(rid)).run_report, None, "a run may log many times");
        assert_eq!(with(PingKind::Success, None).run_report, None, "no run id: nothing to recognize it by");
    }

    #[test]
    fn a_relayed_ping_is_decided_at_its_time_queued_at_its_arrival_and_never_flips_before_the_last_change() {
        let mut check = check();
        // Down by the sweep at T0 + 120 s.
        let audience = Audience { routes: &check.routes, defaults: &[], windows: None };
        let down = sweep_plan(&check, deadlines(&check), T0.plus_secs(130), T0.plus_secs(130), &audience, "s");
        check.state = down.state.expect("a state").state;
        check.status_changed_at = Some(T0.plus_secs(120));
        // A success that happened at T0 + 100 s, relayed at T0 + 200 s.
        let arrived = T0.plus_secs(200);
        let ping = NewPing { kind: PingKind::Success, arrived: Some(arrived), ..fail_ping(T0.plus_secs(100)) };
        let audience = Audience { routes: &check.routes, defaults: &[], windows: None };
        let (plan, effect) =
            ping_plan(Subject::of(&check), ping, Expect::Row(Expected::of(&check, true)), &audience, "f");
        assert_eq!(plan.ping.as_ref().map(|p| p.at), Some(T0.plus_secs(100)), "recorded at its time");
        assert_eq!(effect.state.last_ping, Some(T0.plus_secs(100)));
        assert_eq!(plan.at, arrived, "its notifications are queued when it arrived");
        let flip = plan.flip.expect("it recovers");
        assert_eq!((flip.flip.to, flip.flip.at), (Status::Up, T0.plus_secs(120)), "not before it went down");
        assert_eq!(plan.state.and_then(|s| s.changed_at), Some(T0.plus_secs(120)));
    }

    #[test]
    fn the_sweep_weighs_each_event_at_its_own_time() {
        let check = check();
        let now = T0.plus_secs(185);
        let plan = |windows: &OpenWindows| {
            let audience = Audience { routes: &check.routes, defaults: &[], windows: Some(windows) };
            sweep_plan(&check, deadlines(&check), now, now, &audience, "s")
        };
        // Down at its deadline, T0 + 120 s: inside a window open since T0 + 100 s.
        let held = plan(&one_off("db", 100, 1000, now));
        let flip = held.flip.clone().expect("it goes down");
        assert_eq!((flip.flip.at, flip.recipients.len()), (T0.plus_secs(120), 0));
        assert_eq!(held.state.and_then(|s| s.state.muted_until), Some(T0.plus_secs(1000)));
        // A window that opened after the deadline holds nothing of it.
        let told = plan(&one_off("db", 150, 1000, now));
        assert_eq!(told.flip.map(|f| f.recipients), Some(vec!["pager".to_owned()]));
        assert_eq!(told.state.and_then(|s| s.state.muted_until), None);
    }

    #[test]
    fn a_sweep_ahead_of_the_clock_dates_nothing_after_it_and_queues_at_the_clock() {
        let check = check();
        let (now, clock) = (T0.plus_secs(10_000), T0.plus_secs(60));
        let audience = Audience { routes: &check.routes, defaults: &[], windows: None };
        let plan = sweep_plan(&check, deadlines(&check), now, clock, &audience, "s");
        assert_eq!(plan.flip.map(|f| f.flip.at), Some(clock), "its deadline, T0 + 120 s, is after the clock");
        assert_eq!(plan.state.and_then(|s| s.changed_at), Some(clock));
        assert_eq!(plan.at, clock, "notifications are queued at the clock");
        let on_time = sweep_plan(&check, deadlines(&check), T0.plus_secs(185), T0.plus_secs(185), &audience, "s");
        assert_eq!(on_time.flip.map(|f| f.flip.at), Some(T0.plus_secs(120)), "dated at its deadline");
    }
}
