//! `CheckStore::apply`: a plan carried out as the contract says, all or
//! nothing. The conditions are evaluated first; then everything that D1
//! would refuse (a uniqueness constraint, a ping without a ring) is looked
//! for before anything is changed, so a plan either writes every part or
//! leaves no trace.

use super::tables::{
    next_id, StoredCheck, StoredFlip, StoredNotification, StoredPing, StoredRunReport, Tables, PENDING,
};
use crate::domain::check::{Check, CheckState, EventKind, Status};
use crate::domain::plan::{Applied, CheckPlan, Expect, NewCheck, NewPing, Owner, Target};
use crate::domain::time::Timestamp;
use crate::store::StoreError;

fn constraint(what: &str) -> StoreError {
    StoreError::Query(format!("{what} constraint failed"))
}

impl Tables {
    pub(super) fn apply(&mut self, plan: &CheckPlan) -> Result<Applied, StoreError> {
        if self.already_reported(plan) {
            return Ok(Applied { already_reported: true, ..Applied::not_applied() });
        }
        if !self.holds(plan) {
            return Ok(Applied::not_applied());
        }
        self.refusal(plan).map_or(Ok(()), Err)?;
        Ok(Applied { applied: true, check_id: Some(self.carry_out(plan)), already_reported: false })
    }

    /// Whether the plan's run report is already recorded for its check.
    fn already_reported(&self, plan: &CheckPlan) -> bool {
        match (&plan.run_report, &plan.target) {
            (Some(report), Target::Existing(id)) => {
                self.run_reports.contains_key(&(*id, report.rid.to_string(), report.edge.as_str()))
            }
            _ => false,
        }
    }

    /// The project a new check's owner names.
    fn owner(&self, owner: &Owner) -> Option<String> {
        match owner {
            Owner::Project(id) => self.project(id),
            Owner::PingKey(hash) => self.project_by_ping_key(hash),
        }
        .map(|p| p.id.clone())
    }

    /// Whether every condition the plan names holds.
    fn holds(&self, plan: &CheckPlan) -> bool {
        if let Some(guard) = &plan.routing {
            if self.project(&guard.project_id).map(|p| p.routing_version) != Some(guard.version) {
                return false;
            }
        }
        match &plan.target {
            Target::Existing(id) => {
                let Some(row) = self.checks.get(id) else {
                    return false;
                };
                match &plan.expect {
                    Expect::Nothing => true,
                    Expect::Row(expected) => expected.holds_for(&row.check),
                    Expect::RowAndDeadlines(expected, seen) => {
                        expected.holds_for(&row.check) && row.deadlines() == *seen
                    }
                    Expect::Deadlines(seen) => row.deadlines() == *seen,
                }
            }
            Target::New(new) => {
                let Some(project_id) = self.owner(&new.owner) else {
                    return false;
                };
                let count = self.checks_of(&project_id).count() as i64;
                let slug_taken = || self.checks_of(&project_id).any(|c| c.check.config.slug == new.config.slug);
                let matched = || {
                    self.checks_of(&project_id).any(|c| new.unique.iter().all(|value| value.matches(&c.check.config)))
                };
                count < new.max_checks
                    && !(new.slug_must_be_free && slug_taken())
                    && (new.unique.is_empty() || !matched())
            }
        }
    }

    /// What D1 would refuse the plan for, the conditions holding: the
    /// uniqueness of check uuids, badge keys, flip ids and one notification
    /// per flip and channel, and a ring to put a ping in.
    fn refusal(&self, plan: &CheckPlan) -> Option<StoreError> {
        if let Target::New(new) = &plan.target {
            if self.checks.values().any(|c| c.check.uuid == new.uuid) {
                return Some(constraint("UNIQUE: checks.uuid"));
            }
            if self.checks.values().any(|c| c.check.badge_key == new.badge_key) {
                return Some(constraint("UNIQUE: checks.badge_key"));
            }
        }
        if plan.ping.as_ref().is_some_and(|p| p.history < 1) {
            return Some(constraint("NOT NULL: pings.slot"));
        }
        let flips = plan.flip.iter().map(|f| (&f.id, &f.recipients));
        let rows: Vec<_> = flips.chain(plan.events.iter().map(|e| (&e.id, &e.recipients))).collect();
        for (i, (id, recipients)) in rows.iter().enumerate() {
            if self.flip(id).is_some() || rows[..i].iter().any(|(other, _)| other == id) {
                return Some(constraint("UNIQUE: flips.id"));
            }
            if recipients.iter().enumerate().any(|(j, channel)| recipients[..j].contains(channel)) {
                return Some(constraint("UNIQUE: notifications.flip_id, notifications.channel_id"));
            }
        }
        None
    }

    /// Writes the plan's parts in the contract's order; returns the check's id.
    fn carry_out(&mut self, plan: &CheckPlan) -> i64 {
        let id = match &plan.target {
            Target::Existing(id) => *id,
            Target::New(new) => self.insert_check(new),
        };
        let Some(row) = self.checks.get(&id) else {
            return id;
        };
        let project_id = row.check.project_id.clone();
        let changed_before = row.status_changed_at;
        let status_after = plan.state.as_ref().map_or(row.check.state.status, |s| s.state.status);
        if let Some(report) = &plan.run_report {
            let stored = StoredRunReport { token: report.token.clone(), created_at: plan.at };
            self.run_reports.insert((id, report.rid.to_string(), report.edge.as_str()), stored);
        }
        if let Some(ping) = &plan.ping {
            self.record_ping(id, ping);
        }
        let ping_n = self.checks.get(&id).map(|row| row.check.n_pings);
        let record = Record { check_id: id, project_id: &project_id, previous_change_at: changed_before, ping_n };
        if let Some(write) = &plan.flip {
            let flip = write.flip;
            self.insert_flip(&record, &write.id, flip.at, (flip.from, flip.to), &flip.reason.code(), None);
            for channel in &write.recipients {
                self.queue(&record, &write.id, channel, plan.at);
            }
        }
        for write in &plan.events {
            let event = write.event;
            let statuses = (status_after, status_after);
            self.insert_flip(&record, &write.id, event.at, statuses, &event.reason.code(), Some(event.kind));
            for channel in &write.recipients {
                if !(write.coalesce && self.waiting(id, channel, event.kind)) {
                    self.queue(&record, &write.id, channel, plan.at);
                }
            }
        }
        if let Some(row) = self.checks.get_mut(&id) {
            write_row(row, plan);
        }
        if let Some(guard) = &plan.routing {
            if let Some(project) = self.project_mut(&guard.project_id) {
                project.routing_version += 1;
            }
        }
        if let Some(entry) = &plan.audit {
            self.record_audit(entry);
        }
        id
    }

    fn insert_check(&mut self, new: &NewCheck) -> i64 {
        let id = next_id(self.checks.keys().copied());
        let project_id = self.owner(&new.owner).unwrap_or_default();
        let check = Check {
            id,
            uuid: new.uuid,
            project_id,
            config: new.config.clone(),
            state: CheckState::new_check(),
            n_pings: 0,
            badge_key: new.badge_key.clone(),
            config_version: 0,
            routes: new.routes.clone(),
            created_at: new.created_at,
            status_changed_at: None,
        };
        let row = StoredCheck {
            check,
            alert_after: None,
            status_changed_at: None,
            created_at: new.created_at,
            unique_key: new.unique_key.clone(),
            unreadable: None,
        };
        self.checks.insert(id, row);
        id
    }

    /// Ping `n = n_pings + 1` takes slot `n % history` of the ring.
    fn record_ping(&mut self, check_id: i64, ping: &NewPing) {
        let Some(row) = self.checks.get_mut(&check_id) else {
            return;
        };
        let n = row.check.n_pings + 1;
        row.check.n_pings = n;
        let slot = n % ping.history;
        let stored = StoredPing {
            check_id,
            slot,
            n,
            created_at: ping.at,
            kind: ping.kind,
            scheme: ping.scheme.clone(),
            method: ping.method.clone(),
            ua: ping.ua.clone(),
            remote_addr: ping.remote_addr.clone(),
            exit_status: ping.exit_status.map(i64::from),
            rid: ping.rid.map(|r| r.to_string()),
            body: (!ping.body.is_empty()).then(|| ping.body.clone()),
        };
        self.pings.insert((check_id, slot), stored);
    }

    fn insert_flip(
        &mut self,
        record: &Record<'_>,
        id: &str,
        at: Timestamp,
        (old_status, new_status): (Status, Status),
        reason: &str,
        event: Option<EventKind>,
    ) {
        let rowid = next_id(self.flips.iter().map(|f| f.rowid));
        self.flips.push(StoredFlip {
            rowid,
            id: id.to_owned(),
            check_id: record.check_id,
            created_at: at,
            old_status,
            new_status,
            reason: reason.to_owned(),
            previous_change_at: record.previous_change_at,
            ping_n: record.ping_n,
            event,
            notice: None,
        });
    }

    /// Whether `channel` already has a pending notification of an event of
    /// `kind` for the check.
    fn waiting(&self, check_id: i64, channel: &str, kind: EventKind) -> bool {
        self.notifications.values().any(|n| {
            n.check_id == check_id
                && n.channel_id == channel
                && n.is_pending()
                && self.flip(&n.flip_id).is_some_and(|f| f.event == Some(kind))
        })
    }

    fn queue(&mut self, record: &Record<'_>, flip_id: &str, channel: &str, at: Timestamp) {
        let id = next_id(self.notifications.keys().copied());
        self.notifications.insert(
            id,
            StoredNotification {
                id,
                flip_id: flip_id.to_owned(),
                channel_id: channel.to_owned(),
                check_id: record.check_id,
                project_id: record.project_id.to_owned(),
                state: PENDING.to_owned(),
                attempts: 0,
                created_at: at,
                next_attempt_at: at,
                claim: None,
                claimed_until: None,
                last_status: None,
                last_error: None,
                finished_at: None,
                attempt_log: Vec::new(),
            },
        );
    }
}

/// What every flip and event row of one plan records of its check.
struct Record<'a> {
    check_id: i64,
    project_id: &'a str,
    /// The row's `status_changed_at` before the plan.
    previous_change_at: Option<Timestamp>,
    /// The check's `n_pings` once the plan's ping is counted.
    ping_n: Option<i64>,
}

/// Steps 5 to 7: the state, the configuration, the rescheduled deadlines.
fn write_row(row: &mut StoredCheck, plan: &CheckPlan) {
    if let Some(write) = &plan.state {
        row.check.state = write.state.clone();
        row.alert_after = write.alert_after;
        if let Some(at) = write.changed_at {
            row.status_changed_at = Some(at);
        }
    }
    if let Some(write) = &plan.config {
        row.check.config = write.config.clone();
        if let Some(routes) = &write.routes {
            row.check.routes = routes.clone();
        }
        row.check.config_version += 1;
    }
    if let Some(at) = plan.reschedule {
        if row.alert_after.is_some() {
            row.alert_after = Some(at);
        }
        if row.check.state.next_event_at.is_some() {
            row.check.state.next_event_at = Some(at);
        }
    }
}
