//! Decisions: from what was read to a complete write plan (`crate::plan`).
//! Each function here takes the check as read, the time, who listens, and
//! the ids to give what it records, and returns everything to write; the
//! state machine (`check::Monitoring`) says what happens, `routing` who is
//! told. Nothing here reads or writes anything.

use crate::channel::Channel;
use crate::check::{Check, CheckConfig, CheckState, Event, EventKind, Monitoring, PingEffect, Transition};
use crate::ids::{unique_key, Uuid};
use crate::plan::{
    ChannelChange, ChannelPlan, CheckPlan, ConfigWrite, Deadlines, EventWrite, Expect, Expected, FlipWrite, NewCheck,
    NewPing, Owner, Reroute, RoutingGuard, StateWrite, Target,
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
    /// Until when open maintenance windows hold the check's notifications,
    /// if one selecting it is open at the time of the decision.
    pub held_until: Option<Timestamp>,
}

/// The check a decision is about: its row id, how it is monitored, and its
/// state as read (or, for the one-round-trip ping path, as assumed).
#[derive(Clone, Copy, Debug)]
pub struct Subject<'a> {
    pub id: i64,
    pub monitoring: &'a Monitoring,
    pub state: &'a CheckState,
}

impl<'a> Subject<'a> {
    pub fn of(check: &'a Check) -> Subject<'a> {
        Subject { id: check.id, monitoring: &check.config.monitoring, state: &check.state }
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

/// Holds the check's notifications until the windows close, when anything
/// is to be announced while a window holds it: a check still down then
/// notifies once when the hold ends.
fn held(monitoring: &Monitoring, state: CheckState, held_until: Option<Timestamp>, now: Timestamp) -> CheckState {
    match held_until.and_then(|until| monitoring.mute(&state, until, now)) {
        Some(muted) => muted,
        None => state,
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

/// Whether a ping's effect would announce anything to anyone (before any
/// hold): only then do maintenance windows matter to it.
pub fn ping_announces(effect: &PingEffect, audience: &Audience<'_>) -> bool {
    let flip_heard = effect
        .flip
        .and_then(|f| f.event_kind())
        .is_some_and(|kind| !recipients(audience.routes, audience.defaults, kind, false).is_empty());
    let signal_heard =
        effect.signal.is_some_and(|e| !recipients(audience.routes, audience.defaults, e.kind, false).is_empty());
    flip_heard || signal_heard
}

/// Everything a ping writes: its record, the check's new state, the flip
/// and the ping's own event with who hears of them. `expect` is what the
/// decision read (or assumed) of the row; `seed` the id of the flip.
pub fn ping_plan(
    subject: Subject<'_>,
    ping: NewPing,
    expect: Expect,
    audience: &Audience<'_>,
    seed: &str,
) -> (CheckPlan, PingEffect) {
    let monitoring = subject.monitoring;
    let at = ping.at;
    let exit_status = ping.exit_status;
    let mut effect = monitoring.ping(subject.state, ping.kind, exit_status, ping.rid, at);
    if ping_announces(&effect, audience) {
        effect.state = held(monitoring, effect.state.clone(), audience.held_until, at);
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
    let plan = CheckPlan {
        target: Target::Existing(subject.id),
        at,
        expect,
        ping: Some(NewPing { kind: effect.kind, ..ping }),
        state,
        config: None,
        flip,
        events: events.into_iter().collect(),
        routing: None,
        reschedule: None,
        audit: None,
    };
    (plan, effect)
}

/// Everything the sweep writes for a check it found due at `now`, which it
/// selected by the deadlines `seen`.
pub fn sweep_plan(check: &Check, seen: Deadlines, now: Timestamp, audience: &Audience<'_>, seed: &str) -> CheckPlan {
    let monitoring = check.monitoring();
    let mut step = monitoring.sweep_step(&check.state, now);
    let announces = step.flip.and_then(|f| f.event_kind()).into_iter().chain(step.events.iter().map(|e| e.kind));
    let announces =
        announces.into_iter().any(|kind| !recipients(audience.routes, audience.defaults, kind, false).is_empty());
    if announces {
        step.state = held(monitoring, step.state.clone(), audience.held_until, now);
        step.alert_after = monitoring.going_down_after(&step.state);
    }
    let muted = step.state.muted_at(now);
    let mut plan = CheckPlan::for_check(check, Expect::RowAndDeadlines(Expected::of(check, false), seen), now);
    plan.flip = step.flip.map(|flip| flip_write(flip, seed, audience, muted, false));
    plan.events = step
        .events
        .iter()
        .enumerate()
        .filter_map(|(i, event)| event_write(*event, event_id(seed, Some(i)), audience, muted, false))
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
    }
}

/// A change of state made through the API (pause, resume), with its flip.
pub fn transition_plan(check: &Check, transition: Transition, seed: &str, now: Timestamp) -> CheckPlan {
    let audience = Audience { routes: &check.routes, defaults: &[], held_until: None };
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

/// Creates a check with this configuration and these routes, within the
/// project's limit.
pub fn create_plan(
    keys: NewKeys,
    owner: Owner,
    config: CheckConfig,
    routes: Routes,
    now: Timestamp,
    max_checks: i64,
    slug_must_be_free: bool,
) -> CheckPlan {
    let state = CheckState::new_check();
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
            slug_must_be_free,
        })),
        expect: Expect::Nothing,
        ping: None,
        state: Some(StateWrite { state, alert_after, changed_at: None }),
        config: None,
        flip: None,
        events: Vec::new(),
        routing: None,
        reschedule: None,
        audit: None,
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
            (routes != check.routes).then_some(Reroute { check_id: check.id, routes })
        })
        .collect();
    ChannelPlan { channel, change, reroutes, routing, audit: None }
}
