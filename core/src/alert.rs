//! What an alert says: the event behind a notification, worded once and
//! rendered by each integration (Slack, PagerDuty, webhook).

use crate::check::{CheckConfig, EventKind, FlipReason, PingKind, Schedule, Status};
use crate::ids::Uuid;
use crate::time::Timestamp;

/// The check an alert is about, as it was when the alert was prepared.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertCheck {
    pub uuid: Uuid,
    pub name: String,
    pub slug: String,
    pub tags: String,
    /// `every 1 day` or the cron expression; none for a channel test,
    /// which is about no check.
    pub schedule: Option<String>,
    /// The time zone of a cron schedule.
    pub tz: Option<String>,
    pub grace_secs: i64,
    /// Where a person can look at the check (the API URL of it).
    pub url: String,
    /// The project's id (empty for a channel test).
    pub project: String,
    /// When the check was created; none for a channel test.
    pub created_at: Option<Timestamp>,
}

impl AlertCheck {
    /// The check as alerts show it (`project` is then set by the caller).
    pub fn from_config(uuid: Uuid, config: &CheckConfig, url: String, created_at: Timestamp) -> Self {
        let monitoring = &config.monitoring;
        let (schedule, tz) = match (&monitoring.schedule, monitoring.schedule.expression()) {
            (Schedule::Simple { timeout }, _) => (format!("every {}", format_duration(*timeout)), None),
            (_, expression) => (expression.unwrap_or_default().to_owned(), Some(monitoring.zone.name().to_owned())),
        };
        AlertCheck {
            uuid,
            name: config.name.clone(),
            slug: config.slug.clone(),
            tags: config.tags.as_str().to_owned(),
            schedule: Some(schedule),
            tz,
            grace_secs: monitoring.grace,
            url,
            project: String::new(),
            created_at: Some(created_at),
        }
    }

    /// The name people know the check by.
    pub fn label(&self) -> &str {
        if !self.name.is_empty() {
            &self.name
        } else if !self.slug.is_empty() {
            &self.slug
        } else {
            "unnamed check"
        }
    }

    /// The schedule and grace in words; none for a channel test.
    pub fn schedule_text(&self) -> Option<String> {
        let schedule = self.schedule.as_ref()?;
        let grace = format_duration(self.grace_secs);
        Some(match &self.tz {
            Some(tz) => format!("`{schedule}` ({tz}), grace {grace}"),
            None => format!("{schedule}, grace {grace}"),
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct LastPing {
    pub at: Timestamp,
    pub kind: PingKind,
    pub exit_status: Option<i64>,
    /// The start of the ping's body, as text.
    pub body_excerpt: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum AlertEvent {
    Down(FlipReason),
    /// Recovered after being down for this long (when known).
    Up {
        down_for_secs: Option<i64>,
    },
    /// A channel test from the API.
    Test,
    /// The deadline passed; the check is within its grace period.
    Late,
    /// Still down, for this long (a reminder).
    Reminder {
        down_for_secs: Option<i64>,
    },
    /// Still down when a snooze or maintenance window ended.
    StillDown {
        down_for_secs: Option<i64>,
    },
    /// A failure signal (a ping, a run too long or too fast), even while down.
    Fail(FlipReason),
    /// A success ping.
    Success,
    /// One of the project's channels is failing: its service refused for
    /// good (told once, through the project's other channels).
    ChannelFailing {
        /// The failing channel's name and kind: `old hook (webhook)`.
        channel: String,
        reason: String,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    pub check: AlertCheck,
    pub event: AlertEvent,
    /// When the status changed.
    pub at: Timestamp,
    /// Stable for one incident: the same on the down alert and on the
    /// recovery that ends it (PagerDuty's dedup_key).
    pub incident_key: String,
    pub last_ping: Option<LastPing>,
    pub flip_id: String,
    /// For a check that never ran (a `never_ran` down or late): since when
    /// it waited for its first run, its creation or its last resume.
    pub never_ran_since: Option<Timestamp>,
}

/// A flip as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlipFacts {
    pub id: String,
    pub at: Timestamp,
    pub old_status: Status,
    pub new_status: Status,
    pub reason: FlipReason,
    /// When the check entered `old_status`.
    pub previous_change_at: Option<Timestamp>,
    /// For an event that is not a status change (a `late`, `reminder`,
    /// `fail` or `success` event, or a `down` notice after a mute): its kind.
    pub event: Option<EventKind>,
}

/// The alert for a flip. A recovery carries the key of the incident it
/// ends: the instant the check went down, which is when it entered `down`.
pub fn alert_for(check: AlertCheck, flip: &FlipFacts, last_ping: Option<LastPing>) -> Alert {
    let never_ran_since = flip.previous_change_at.filter(|_| flip.reason == FlipReason::NeverRan);
    let alert = alert_of_flip(check, flip, last_ping);
    Alert { never_ran_since, ..alert }
}

fn alert_of_flip(check: AlertCheck, flip: &FlipFacts, last_ping: Option<LastPing>) -> Alert {
    if let Some(kind) = flip.event {
        return event_alert(check, flip, kind, last_ping);
    }
    let (event, incident_at) = if flip.new_status == Status::Up {
        let down_since = flip.previous_change_at.filter(|_| flip.old_status == Status::Down);
        let down_for_secs = down_since.map(|since| (flip.at.millis() - since.millis()) / 1000);
        (AlertEvent::Up { down_for_secs }, down_since.unwrap_or(flip.at))
    } else {
        (AlertEvent::Down(flip.reason), flip.at)
    };
    Alert {
        incident_key: incident_key(&check.uuid, incident_at),
        check,
        event,
        at: flip.at,
        last_ping,
        flip_id: flip.id.clone(),
        never_ran_since: None,
    }
}

/// The alert for an event that is not a status change. Reminders and the
/// notice after a mute belong to the incident the check is in (the same
/// PagerDuty `dedup_key` as its down alert); the others are their own.
fn event_alert(check: AlertCheck, flip: &FlipFacts, kind: EventKind, last_ping: Option<LastPing>) -> Alert {
    let down_since = flip.previous_change_at.filter(|_| flip.old_status == Status::Down);
    let down_for_secs = down_since.map(|since| (flip.at.millis() - since.millis()) / 1000);
    let own_key = format!("edgebeat/{}/{}/{}", check.uuid, kind.as_str(), flip.at.millis());
    let (event, key) = match kind {
        EventKind::Reminder => (AlertEvent::Reminder { down_for_secs }, None),
        EventKind::Down | EventKind::Up => (AlertEvent::StillDown { down_for_secs }, None),
        EventKind::Late => (AlertEvent::Late, Some(own_key)),
        EventKind::Fail => (AlertEvent::Fail(flip.reason), Some(own_key)),
        EventKind::Success => (AlertEvent::Success, Some(own_key)),
    };
    Alert {
        incident_key: key.unwrap_or_else(|| incident_key(&check.uuid, down_since.unwrap_or(flip.at))),
        check,
        event,
        at: flip.at,
        last_ping,
        flip_id: flip.id.clone(),
        never_ran_since: None,
    }
}

/// The incident key of a check that went down at `down_at`.
pub fn incident_key(check: &Uuid, down_at: Timestamp) -> String {
    format!("edgebeat/{check}/{}", down_at.millis())
}

impl Alert {
    /// `down`, `up`, `late`, `reminder`, `fail`, `success` or `test`: the
    /// webhook's `event` field (the notice after a mute is a `down`).
    pub fn event_name(&self) -> &'static str {
        match self.event {
            AlertEvent::Down(_) | AlertEvent::StillDown { .. } => "down",
            AlertEvent::Up { .. } => "up",
            AlertEvent::Test => "test",
            AlertEvent::Late => "late",
            AlertEvent::Reminder { .. } => "reminder",
            AlertEvent::Fail(_) => "fail",
            AlertEvent::Success => "success",
            AlertEvent::ChannelFailing { .. } => "channel_failing",
        }
    }

    /// Whether this alert is about a check being down (a page).
    pub fn is_down(&self) -> bool {
        matches!(self.event, AlertEvent::Down(_) | AlertEvent::Reminder { .. } | AlertEvent::StillDown { .. })
    }

    /// The reason code behind the alert, where there is one.
    pub fn reason(&self) -> Option<FlipReason> {
        match self.event {
            AlertEvent::Down(reason) | AlertEvent::Fail(reason) => Some(reason),
            AlertEvent::Reminder { .. } | AlertEvent::StillDown { .. } => Some(FlipReason::StillDown),
            AlertEvent::Late if self.never_ran_since.is_some() => Some(FlipReason::NeverRan),
            AlertEvent::Late => Some(FlipReason::Timeout),
            _ => None,
        }
    }

    /// "never ran since it was created at ..." (or resumed), for a check
    /// that never ran.
    fn never_ran(&self, time: &dyn Fn(Timestamp) -> String) -> Option<String> {
        let since = self.never_ran_since?;
        let how = if self.check.created_at == Some(since) { "created" } else { "resumed" };
        Some(format!("never ran since it was {how} at {}", time(since)))
    }

    /// One line: what happened to which check.
    pub fn summary(&self) -> String {
        let name = self.check.label();
        let never_ran = self.never_ran(&readable_time);
        match &self.event {
            AlertEvent::Down(FlipReason::NeverRan) => {
                format!("{name} is DOWN: {}", never_ran.unwrap_or_else(|| "it never ran".into()))
            }
            AlertEvent::Late if never_ran.is_some() => {
                format!("{name} is LATE: {}, within its grace period", never_ran.unwrap_or_default())
            }
            AlertEvent::Down(FlipReason::Timeout) => format!("{name} is DOWN: no ping on time"),
            AlertEvent::Down(FlipReason::Fail) => format!("{name} is DOWN: the job reported a failure"),
            AlertEvent::Down(FlipReason::ExitStatus(code)) => format!("{name} is DOWN: exit status {code}"),
            AlertEvent::Down(FlipReason::RanTooLong) => format!("{name} is DOWN: it ran too long"),
            AlertEvent::Down(FlipReason::TooFast) => format!("{name} is DOWN: a run finished too fast"),
            AlertEvent::Down(_) => format!("{name} is DOWN"),
            AlertEvent::Up { .. } => format!("{name} is UP again"),
            AlertEvent::Test => format!("Test notification from edgebeat to {name}"),
            AlertEvent::Late => format!("{name} is LATE: no ping yet, within its grace period"),
            AlertEvent::Reminder { down_for_secs: Some(secs) } => {
                format!("{name} is still DOWN, for {}", format_duration(*secs))
            }
            AlertEvent::Reminder { down_for_secs: None } => format!("{name} is still DOWN"),
            AlertEvent::StillDown { .. } => format!("{name} is still DOWN after maintenance"),
            AlertEvent::Fail(FlipReason::ExitStatus(code)) => format!("{name} failed: exit status {code}"),
            AlertEvent::Fail(FlipReason::RanTooLong) => format!("{name} failed: a run took too long"),
            AlertEvent::Fail(FlipReason::TooFast) => format!("{name} failed: a run finished too fast"),
            AlertEvent::Fail(_) => format!("{name} failed"),
            AlertEvent::Success => format!("{name} succeeded"),
            AlertEvent::ChannelFailing { channel, .. } => {
                format!("Channel {channel} is failing: alerts through it have stopped")
            }
        }
    }

    /// A sentence with the details behind the summary, times as ISO 8601.
    pub fn details(&self) -> String {
        self.details_with(&Style::PLAIN)
    }

    /// The details sentence with times and embedded text written in `style`
    /// (Slack shows times in each reader's own zone).
    pub fn details_with(&self, style: &Style) -> String {
        let time = |at: Timestamp| (style.time)(at);
        let schedule = || (style.text)(&self.check.schedule_text().unwrap_or_default());
        let since = |ping: &Option<LastPing>| match ping {
            Some(ping) => format!("the last ping was at {}", time(ping.at)),
            None => "it has never been pinged".to_owned(),
        };
        let never_ran = self.never_ran(&time);
        // What a job signalled happened when its ping says (a relayed one
        // earlier than it arrived), which can be before the flip: a check
        // made after its job failed flips when it was made. A ping after the
        // flip is not the one that signalled it.
        let signalled = |kind: PingKind| {
            let ping = self.last_ping.as_ref().filter(|ping| ping.kind == kind && ping.at <= self.at);
            ping.map_or(self.at, |ping| ping.at)
        };
        match &self.event {
            AlertEvent::Down(FlipReason::NeverRan) => format!(
                "No first ping by its first expected run plus grace ({}): it {}.",
                schedule(),
                never_ran.unwrap_or_else(|| "never ran".into())
            ),
            AlertEvent::Late if never_ran.is_some() => format!(
                "Its first run was due at {} ({}) and it {}; it goes down when the grace period ends.",
                time(self.at),
                schedule(),
                never_ran.unwrap_or_default()
            ),
            AlertEvent::Down(FlipReason::Timeout) => {
                format!("No ping arrived within the schedule ({}); {}.", schedule(), since(&self.last_ping))
            }
            AlertEvent::Down(FlipReason::RanTooLong) => format!(
                "A run started and did not finish within the grace period of {}.",
                format_duration(self.check.grace_secs)
            ),
            AlertEvent::Down(FlipReason::ExitStatus(code)) | AlertEvent::Fail(FlipReason::ExitStatus(code)) => {
                format!("The job exited with status {code} at {}.", time(signalled(PingKind::Fail)))
            }
            AlertEvent::Down(FlipReason::TooFast) | AlertEvent::Fail(FlipReason::TooFast) => {
                format!(
                    "A run finished at {} faster than its minimum runtime: was its input empty?",
                    time(signalled(PingKind::Success))
                )
            }
            AlertEvent::Fail(FlipReason::RanTooLong) => {
                format!("A run started and did not finish within its time limit, by {}.", time(self.at))
            }
            AlertEvent::Down(_) | AlertEvent::Fail(_) => {
                format!("The job signalled a failure at {}.", time(signalled(PingKind::Fail)))
            }
            AlertEvent::Late => format!(
                "The next ping was due at {} ({}); it goes down when the grace period ends.",
                time(self.at),
                schedule()
            ),
            AlertEvent::Reminder { down_for_secs } | AlertEvent::StillDown { down_for_secs } => {
                let down_for = down_for_secs.map(|s| format!(" for {}", format_duration(s))).unwrap_or_default();
                format!("It has been down{down_for}; {}.", since(&self.last_ping))
            }
            AlertEvent::Success => format!("The job reported success at {}.", time(self.at)),
            AlertEvent::Up { down_for_secs: Some(secs) } => {
                format!("It recovered at {} after being down for {}.", time(self.at), format_duration(*secs))
            }
            AlertEvent::Up { down_for_secs: None } => format!("It recovered at {}.", time(self.at)),
            AlertEvent::Test => format!(
                "This is a test, sent at {} to show that this channel works. No check is involved and nothing is down.",
                time(self.at)
            ),
            AlertEvent::ChannelFailing { reason, .. } => format!(
                "At {} its service refused for good: {}. edgebeat sends nothing through it until it is edited, or a \
                 channel test through it is delivered.",
                time(self.at),
                (style.text)(reason)
            ),
        }
    }

    /// The alert a channel test sends: it says it is a test, names the
    /// channel, and is about no check (no schedule, no last ping).
    pub fn channel_test(channel_label: &str, channel_id: &str, dashboard_url: String, at: Timestamp) -> Alert {
        let check = AlertCheck {
            uuid: Uuid::PLACEHOLDER,
            name: channel_label.to_owned(),
            slug: String::new(),
            tags: String::new(),
            schedule: None,
            tz: None,
            grace_secs: 0,
            url: dashboard_url,
            project: String::new(),
            created_at: None,
        };
        Alert {
            incident_key: format!("edgebeat/test/{channel_id}"),
            check,
            event: AlertEvent::Test,
            at,
            last_ping: None,
            flip_id: "test".into(),
            never_ran_since: None,
        }
    }
}

impl Alert {
    /// The notice to a project's other channels that one of its channels
    /// is failing; like a channel test, about no check (the link goes to
    /// the channels page).
    pub fn channel_failing(
        channel_label: &str,
        kind: &str,
        reason: &str,
        channel_id: &str,
        channels_page: String,
        at: Timestamp,
        flip_id: &str,
    ) -> Alert {
        let mut alert = Alert::channel_test(channel_label, channel_id, channels_page, at);
        alert.event =
            AlertEvent::ChannelFailing { channel: format!("{channel_label} ({kind})"), reason: reason.to_owned() };
        alert.incident_key = format!("edgebeat/channel/{channel_id}/failing/{}", at.millis());
        alert.flip_id = flip_id.to_owned();
        alert
    }
}

/// How the details sentence writes what it embeds.
pub struct Style<'a> {
    /// An instant.
    pub time: &'a dyn Fn(Timestamp) -> String,
    /// Text taken from the check (its schedule), for escaping.
    pub text: &'a dyn Fn(&str) -> String,
}

impl Style<'static> {
    /// ISO 8601 times, text as it is.
    pub const PLAIN: Style<'static> = Style { time: &Timestamp::iso8601, text: &str::to_owned };
}

/// A time people read at a glance, in UTC: `2023-11-14 22:13 UTC`.
pub fn readable_time(at: Timestamp) -> String {
    chrono::DateTime::from_timestamp_millis(at.millis())
        .map_or_else(|| at.iso8601(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
}

/// `1 day 2 hours`, `45 minutes`, `30 seconds`: the two largest units.
pub fn format_duration(secs: i64) -> String {
    let units = [(86_400, "day"), (3_600, "hour"), (60, "minute"), (1, "second")];
    let mut rest = secs.max(0);
    let mut parts = Vec::new();
    for (size, name) in units {
        let count = rest / size;
        if count > 0 {
            parts.push(format!("{count} {name}{}", if count == 1 { "" } else { "s" }));
            rest -= count * size;
        }
        if parts.len() == 2 {
            break;
        }
    }
    if parts.is_empty() {
        "0 seconds".to_owned()
    } else {
        parts.join(" ")
    }
}

/// Cuts text to at most `max` characters, the mark of the cut (`…`) included.
pub fn excerpt(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn sample(event: AlertEvent) -> Alert {
        Alert {
            check: AlertCheck {
                uuid: Uuid::parse("0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b").unwrap(),
                name: "nightly-backup".into(),
                slug: "nightly-backup".into(),
                tags: "prod db".into(),
                schedule: Some("every 1 day".into()),
                tz: None,
                grace_secs: 3600,
                url: "https://eb.example/api/v3/checks/0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b".into(),
                project: "p1".into(),
                created_at: Some(Timestamp::from_secs(1_699_000_000)),
            },
            event,
            at: Timestamp::from_secs(1_700_000_000),
            incident_key: "edgebeat/0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b/1699990000000".into(),
            last_ping: Some(LastPing {
                at: Timestamp::from_secs(1_699_990_000),
                kind: PingKind::Success,
                exit_status: None,
                body_excerpt: "msg=backup completed".into(),
            }),
            flip_id: "flip1".into(),
            never_ran_since: None,
        }
    }

    #[test]
    fn a_failure_is_dated_by_the_ping_that_signalled_it() {
        let mut alert = sample(AlertEvent::Down(FlipReason::Fail));
        // A Job that failed 40 minutes before its check was made (and flipped).
        let failed_at = alert.at.plus_secs(-2400);
        alert.last_ping =
            Some(LastPing { at: failed_at, kind: PingKind::Fail, exit_status: None, body_excerpt: String::new() });
        assert_eq!(alert.details(), format!("The job signalled a failure at {}.", failed_at.iso8601()));
        alert.event = AlertEvent::Down(FlipReason::ExitStatus(3));
        assert_eq!(alert.details(), format!("The job exited with status 3 at {}.", failed_at.iso8601()));
        // A ping after the flip is another ping: the flip's own time.
        alert.last_ping = Some(LastPing {
            at: alert.at.plus_secs(60),
            kind: PingKind::Success,
            exit_status: None,
            body_excerpt: String::new(),
        });
        assert_eq!(alert.details(), format!("The job exited with status 3 at {}.", alert.at.iso8601()));
    }

    #[test]
    fn a_recovery_closes_the_incident_its_down_flip_opened() {
        let check = sample(AlertEvent::Test).check;
        let down_at = Timestamp::from_secs(1_700_000_000);
        let down = FlipFacts {
            id: "f1".into(),
            at: down_at,
            old_status: Status::Up,
            new_status: Status::Down,
            reason: FlipReason::ExitStatus(2),
            previous_change_at: None,
            event: None,
        };
        let up = FlipFacts {
            id: "f2".into(),
            at: down_at.plus_secs(5400),
            old_status: Status::Down,
            new_status: Status::Up,
            reason: FlipReason::Success,
            previous_change_at: Some(down_at),
            event: None,
        };
        let down_alert = alert_for(check.clone(), &down, None);
        let up_alert = alert_for(check, &up, None);
        assert_eq!(down_alert.event, AlertEvent::Down(FlipReason::ExitStatus(2)));
        assert_eq!(up_alert.event, AlertEvent::Up { down_for_secs: Some(5400) });
        assert_eq!(down_alert.incident_key, up_alert.incident_key);
    }

    #[test]
    fn reminders_and_the_notice_after_a_mute_belong_to_the_down_incident() {
        let check = sample(AlertEvent::Test).check;
        let down_at = Timestamp::from_secs(1_700_000_000);
        let down = alert_for(
            check.clone(),
            &FlipFacts {
                id: "f1".into(),
                at: down_at,
                old_status: Status::Up,
                new_status: Status::Down,
                reason: FlipReason::Timeout,
                previous_change_at: None,
                event: None,
            },
            None,
        );
        let event = |kind: EventKind, reason: FlipReason| FlipFacts {
            id: "e".into(),
            at: down_at.plus_secs(600),
            old_status: Status::Down,
            new_status: Status::Down,
            reason,
            previous_change_at: Some(down_at),
            event: Some(kind),
        };
        let reminder = alert_for(check.clone(), &event(EventKind::Reminder, FlipReason::StillDown), None);
        assert_eq!(reminder.event, AlertEvent::Reminder { down_for_secs: Some(600) });
        assert_eq!(reminder.incident_key, down.incident_key);
        assert_eq!(reminder.summary(), "nightly-backup is still DOWN, for 10 minutes");
        assert_eq!(reminder.event_name(), "reminder");
        let notice = alert_for(check.clone(), &event(EventKind::Down, FlipReason::StillDown), None);
        assert_eq!(notice.incident_key, down.incident_key);
        assert_eq!(
            (notice.event_name(), notice.summary().as_str()),
            ("down", "nightly-backup is still DOWN after maintenance")
        );
        let fail = alert_for(check.clone(), &event(EventKind::Fail, FlipReason::TooFast), None);
        assert_ne!(fail.incident_key, down.incident_key);
        assert_eq!(fail.summary(), "nightly-backup failed: a run finished too fast");
        assert!(fail.details().contains("input empty"));
        let late = alert_for(check, &event(EventKind::Late, FlipReason::Timeout), None);
        assert_eq!((late.event_name(), late.is_down()), ("late", false));
        assert!(late.details().contains("every 1 day, grace 1 hour"), "{}", late.details());
    }

    #[test]
    fn a_check_that_never_ran_says_since_when_it_waited() {
        let check = sample(AlertEvent::Test).check;
        let created = Timestamp::from_secs(1_699_000_000);
        let flip = |previous: Timestamp, event: Option<EventKind>| FlipFacts {
            id: "f".into(),
            at: created.plus_secs(90_000),
            old_status: Status::New,
            new_status: if event.is_some() { Status::New } else { Status::Down },
            reason: FlipReason::NeverRan,
            previous_change_at: Some(previous),
            event,
        };
        let down = alert_for(check.clone(), &flip(created, None), None);
        assert_eq!(down.event, AlertEvent::Down(FlipReason::NeverRan));
        assert_eq!(down.summary(), "nightly-backup is DOWN: never ran since it was created at 2023-11-03 08:26 UTC");
        assert_eq!(
            down.details(),
            "No first ping by its first expected run plus grace (every 1 day, grace 1 hour): it never ran since it \
             was created at 2023-11-03T08:26:40+00:00."
        );
        assert_eq!((down.event_name(), down.reason()), ("down", Some(FlipReason::NeverRan)));
        let resumed = alert_for(check.clone(), &flip(created.plus_secs(3600), None), None);
        assert!(resumed.summary().ends_with("never ran since it was resumed at 2023-11-03 09:26 UTC"));
        let late = alert_for(check.clone(), &flip(created, Some(EventKind::Late)), None);
        assert_eq!(
            late.summary(),
            "nightly-backup is LATE: never ran since it was created at 2023-11-03 08:26 UTC, within its grace period"
        );
        assert_eq!(late.reason(), Some(FlipReason::NeverRan));
        // An ordinary late check says nothing of it.
        let plain = FlipFacts { reason: FlipReason::Timeout, ..flip(created, Some(EventKind::Late)) };
        let plain = alert_for(check, &plain, None);
        assert_eq!((plain.never_ran_since, plain.reason()), (None, Some(FlipReason::Timeout)));
    }

    #[test]
    fn checks_describe_their_schedule() {
        let uuid = Uuid::parse("0f2ea3c4-5b6d-4e7f-8a9b-0c1d2e3f4a5b").unwrap();
        let mut simple = CheckConfig::default();
        simple.monitoring.schedule = Schedule::Simple { timeout: 3600 };
        let simple = AlertCheck::from_config(uuid, &simple, "u".into(), Timestamp::from_secs(0));
        assert_eq!(simple.schedule_text().as_deref(), Some("every 1 hour, grace 1 hour"));
        let mut cron = CheckConfig::default();
        cron.monitoring.schedule = Schedule::Cron(crate::cron::CronExpr::parse("0 3 * * *").unwrap());
        cron.monitoring.zone = chrono_tz::Europe::Riga;
        assert_eq!(
            AlertCheck::from_config(uuid, &cron, "u".into(), Timestamp::from_secs(0)).schedule_text().as_deref(),
            Some("`0 3 * * *` (Europe/Riga), grace 1 hour")
        );
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration(0), "0 seconds");
        assert_eq!(format_duration(61), "1 minute 1 second");
        assert_eq!(format_duration(3600), "1 hour");
        assert_eq!(format_duration(93_784), "1 day 2 hours");
        assert_eq!(format_duration(-5), "0 seconds");
    }

    #[test]
    fn summaries_name_the_reason() {
        assert_eq!(sample(AlertEvent::Down(FlipReason::Timeout)).summary(), "nightly-backup is DOWN: no ping on time");
        assert_eq!(
            sample(AlertEvent::Down(FlipReason::ExitStatus(3))).summary(),
            "nightly-backup is DOWN: exit status 3"
        );
        assert_eq!(
            sample(AlertEvent::Down(FlipReason::RanTooLong)).summary(),
            "nightly-backup is DOWN: it ran too long"
        );
        assert_eq!(sample(AlertEvent::Up { down_for_secs: Some(7200) }).summary(), "nightly-backup is UP again");
        assert!(sample(AlertEvent::Up { down_for_secs: Some(7200) }).details().contains("down for 2 hours"));
        assert!(sample(AlertEvent::Down(FlipReason::Timeout)).details().contains("every 1 day, grace 1 hour"));
    }

    #[test]
    fn a_channel_test_says_so_and_names_no_schedule() {
        let at = Timestamp::from_secs(1_700_000_000);
        let test = Alert::channel_test("ops hook", "c1", "https://eb.example/app/#/channels".into(), at);
        assert_eq!(test.summary(), "Test notification from edgebeat to ops hook");
        assert_eq!(
            test.details(),
            "This is a test, sent at 2023-11-14T22:13:20+00:00 to show that this channel works. \
             No check is involved and nothing is down."
        );
        assert_eq!(test.check.schedule_text(), None);
        assert_eq!(test.incident_key, "edgebeat/test/c1");
    }

    #[test]
    fn readable_times_are_utc_minutes() {
        assert_eq!(readable_time(Timestamp::from_secs(1_700_000_000)), "2023-11-14 22:13 UTC");
    }

    #[test]
    fn excerpts_are_cut_on_characters() {
        assert_eq!(excerpt("héllo", 10), "héllo");
        assert_eq!(excerpt("héllo", 3), "hé…");
        assert_eq!(excerpt("héllo", 5), "héllo");
        assert_eq!(excerpt("héllo", 4).chars().count(), 4, "the mark counts");
    }
}
