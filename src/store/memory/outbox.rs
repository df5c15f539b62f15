//! `OutboxStore`: the fair selection's input, conditional claims, the
//! delivery rows with their ping, and recording attempts, as D1 does them.

use super::tables::{sql_limit, StoredNotification, Tables, DELIVERED, FAILED, PENDING};
use super::MemoryStore;
use crate::domain::check::FlipReason;
use crate::domain::outbox::Outcome;
use crate::domain::time::Timestamp;
use crate::store::{AttemptRecord, DeliveryRow, DeliveryWrite, NotificationRow, OutboxStore, Queued, StoreError};
use std::collections::BTreeMap;

/// The bytes of a ping's body a delivery gets.
const BODY_BYTES: usize = 2000;

type Claimed = Result<DeliveryRow, (i64, String)>;

impl Tables {
    fn due_notifications(&self, now: Timestamp, per_project: i64) -> Vec<Queued> {
        let mut by_project: BTreeMap<&str, Vec<&StoredNotification>> = BTreeMap::new();
        for n in self.notifications.values().filter(|n| n.claimable(now)) {
            by_project.entry(&n.project_id).or_default().push(n);
        }
        // Unlike a LIMIT, a negative share is no share.
        let share = usize::try_from(per_project).unwrap_or(0);
        let mut due: Vec<Queued> = Vec::new();
        for (project_id, mut queue) in by_project {
            queue.sort_by_key(|n| (n.next_attempt_at, n.id));
            due.extend(queue.into_iter().take(share).map(|n| Queued {
                id: n.id,
                project_id: project_id.to_owned(),
                next_attempt_at: n.next_attempt_at,
            }));
        }
        due.sort_by_key(|q| (q.next_attempt_at, q.id));
        due
    }

    fn claim(&mut self, ids: &[i64], claim: &str, now: Timestamp, until: Timestamp) -> usize {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut claimed = 0;
        for id in ids {
            if let Some(n) = self.notifications.get_mut(&id).filter(|n| n.claimable(now)) {
                n.claim = Some(claim.to_owned());
                n.claimed_until = Some(until);
                n.attempts += 1;
                claimed += 1;
            }
        }
        claimed
    }

    /// One claimed notification with its flip, check, channel and ping;
    /// `None` when its flip or check is gone (D1's inner joins).
    fn delivery(&self, n: &StoredNotification, history: i64) -> Option<Claimed> {
        let flip = self.flip(&n.flip_id)?;
        let row = self.checks.get(&n.check_id)?;
        let problem = |e: crate::store::StoreError| (n.id, e.to_string());
        let check = match row.read() {
            Ok(check) => check,
            Err(e) => return Some(Err(problem(e))),
        };
        // A notice's reason is no check's: a placeholder it never shows.
        let reason = match (FlipReason::parse(&flip.reason), &flip.notice) {
            (Some(reason), _) => reason,
            (None, Some(_)) => FlipReason::Fail,
            (None, None) => {
                let corrupt = StoreError::Corrupt(format!("flip {}: reason {:?}", flip.id, flip.reason));
                return Some(Err(problem(corrupt)));
            }
        };
        let channel = self.channels.iter().find(|c| c.id == n.channel_id);
        let ping = flip.ping_n.and_then(|ping_n| self.kept_ping(flip.check_id, ping_n, history));
        Some(Ok(DeliveryRow {
            id: n.id,
            attempts: n.attempts,
            created_at: n.created_at,
            channel_id: n.channel_id.clone(),
            channel_config: channel.map(|c| c.config.clone()),
            channel_failing: channel.and_then(|c| c.failing.as_ref()).map(|f| f.reason.clone()),
            notice: flip.notice.clone(),
            flip_id: flip.id.clone(),
            flip_at: flip.created_at,
            old_status: flip.old_status,
            new_status: flip.new_status,
            reason,
            previous_change_at: flip.previous_change_at,
            event: flip.event,
            check,
            ping_at: ping.map(|p| p.created_at),
            ping_kind: ping.map(|p| p.kind),
            ping_exit_status: ping.and_then(|p| p.exit_status),
            ping_body: ping.and_then(|p| p.body.as_ref()).map(|b| b[..b.len().min(BODY_BYTES)].to_vec()),
        }))
    }

    fn claimed(&self, claim: &str, history: i64) -> Vec<Claimed> {
        self.notifications
            .values()
            .filter(|n| n.claim.as_deref() == Some(claim))
            .filter_map(|n| self.delivery(n, history))
            .collect()
    }

    fn record_deliveries(&mut self, claim: &str, deliveries: &[DeliveryWrite]) {
        for d in deliveries {
            let Some(n) = self.notifications.get_mut(&d.notification_id) else {
                continue;
            };
            if n.claim.as_deref() != Some(claim) {
                continue;
            }
            let (state, finished_at) = match d.outcome {
                Outcome::Delivered => (DELIVERED, Some(d.at)),
                Outcome::RetryAt(next) => {
                    n.next_attempt_at = next;
                    (PENDING, None)
                }
                Outcome::Failed => (FAILED, Some(d.at)),
            };
            let status = d.result.status().map(i64::from);
            let error = d.result.error();
            n.state = state.to_owned();
            n.finished_at = finished_at;
            n.last_status = status;
            n.last_error = error.clone();
            n.claim = None;
            n.claimed_until = None;
            n.attempt_log.push(AttemptRecord { at: d.at, status, error, duration_ms: Some(d.duration_ms) });
        }
    }

    fn list_notifications(
        &self,
        project_id: &str,
        check_id: Option<i64>,
        state: Option<&str>,
        limit: i64,
    ) -> Vec<NotificationRow> {
        self.notifications
            .values()
            .rev()
            .filter(|n| n.project_id == project_id)
            .filter(|n| check_id.is_none_or(|id| n.check_id == id) && state.is_none_or(|s| n.state == s))
            .filter_map(|n| {
                let flip = self.flip(&n.flip_id)?;
                let row = self.checks.get(&n.check_id)?;
                Some(NotificationRow {
                    id: n.id,
                    channel_id: n.channel_id.clone(),
                    state: n.state.clone(),
                    attempts: n.attempts,
                    created_at: n.created_at,
                    next_attempt_at: n.next_attempt_at,
                    last_status: n.last_status,
                    last_error: n.last_error.clone(),
                    finished_at: n.finished_at,
                    event: match (flip.event, &flip.notice) {
                        (Some(kind), _) => kind.as_str(),
                        (None, Some(_)) => "channel_failing",
                        (None, None) => flip.new_status.as_str(),
                    }
                    .to_owned(),
                    reason: flip.reason.clone(),
                    check_uuid: row.check.uuid,
                    attempt_log: n.attempt_log.clone(),
                })
            })
            .take(sql_limit(limit))
            .collect()
    }

    fn notification_counts(&self, project_id: &str) -> (i64, i64) {
        let of_project = || self.notifications.values().filter(|n| n.project_id == project_id);
        let pending = of_project().filter(|n| n.state == PENDING).count() as i64;
        let failed = of_project().filter(|n| n.state == FAILED).count() as i64;
        (pending, failed)
    }
}

impl OutboxStore for MemoryStore {
    async fn due_notifications(&self, now: Timestamp, per_project: i64) -> Result<Vec<Queued>, StoreError> {
        self.read("due_notifications", |t| Ok(t.due_notifications(now, per_project)))
    }

    async fn claim(&self, ids: &[i64], claim: &str, now: Timestamp, until: Timestamp) -> Result<usize, StoreError> {
        self.write("claim", |t| Ok(t.claim(ids, claim, now, until)))
    }

    async fn claimed(&self, claim: &str, history: i64) -> Result<Vec<Claimed>, StoreError> {
        self.read("claimed", |t| Ok(t.claimed(claim, history)))
    }

    async fn record_deliveries(&self, claim: &str, deliveries: &[DeliveryWrite]) -> Result<(), StoreError> {
        self.write("record_deliveries", |t| {
            t.record_deliveries(claim, deliveries);
            Ok(())
        })
    }

    async fn list_notifications(
        &self,
        project_id: &str,
        check_id: Option<i64>,
        state: Option<&str>,
        limit: i64,
    ) -> Result<Vec<NotificationRow>, StoreError> {
        self.read("list_notifications", |t| Ok(t.list_notifications(project_id, check_id, state, limit)))
    }

    async fn notification_counts(&self, project_id: &str) -> Result<(i64, i64), StoreError> {
        self.read("notification_counts", |t| Ok(t.notification_counts(project_id)))
    }
}
