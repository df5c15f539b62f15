//! The `pings` table and the one batch that records a ping with everything
//! it changes: the ping row, the check's state, the flip and its outbox rows,
//! and the pruning of the oldest ping.

use super::checks::{defaults_for, state_assignments, CheckKey, CheckRow, Expected, CHECK_COLUMNS};
use super::flips::Heard;
use super::{blob, changes, int, opt_text, text, time, typed, Store, StoreError};
use crate::domain::check::{Check, CheckConfig, Event, EventSet, PingEffect, PingKind};
use crate::domain::history::PingRecord;
use crate::domain::ids::Uuid;
use crate::domain::time::Timestamp;
use serde::Deserialize;
use worker::wasm_bindgen::JsValue;
use worker::D1PreparedStatement;

/// What a ping writes, beyond the state change itself.
pub struct PingRow<'a> {
    pub scheme: &'a str,
    pub method: &'a str,
    pub ua: &'a str,
    pub remote_addr: Option<&'a str>,
    pub exit_status: Option<u8>,
    pub rid: Option<Uuid>,
    pub body: &'a [u8],
}

/// A ping to record: the effect the state machine computed from the state
/// `expected` describes.
#[derive(Clone, Copy)]
pub struct PingWrite<'a> {
    pub key: CheckKey,
    pub expected: Expected,
    pub effect: &'a PingEffect,
    pub flip_id: &'a str,
    /// The id of the ping's own `fail` or `success` event, if anyone hears of it.
    pub event_id: &'a str,
    pub ping: &'a PingRow<'a>,
    /// Pings kept per check.
    pub history: i64,
    pub default_channels: &'a [String],
    pub now: Timestamp,
}

impl PingWrite<'_> {
    /// The ping's own event to record, and whether the domain already found
    /// someone who hears of it (`false`: the batch looks for subscribers,
    /// for a check created in the same batch).
    fn signal(&self) -> Option<(Event, bool)> {
        match self.expected.listeners {
            Some(bits) => {
                let defaults = if self.default_channels.is_empty() { EventSet::of(&[]) } else { EventSet::default() };
                let listeners = EventSet::from_bits(bits).union(&defaults);
                self.effect.signal_heard_by(&listeners).map(|event| (event, true))
            }
            None => self.effect.signal.map(|event| (event, false)),
        }
    }
}

/// What became of a recorded ping.
pub struct RecordedPing {
    /// The check was as expected and everything was written.
    pub applied: bool,
    /// It flipped the check's status into one that notifies.
    pub notified: bool,
    /// The check the batch created, as the batch left it. A ping to an
    /// existing check reads nothing back: when it applied, its caller knows
    /// the state it wrote; when it did not (rare: the check changed under
    /// it), the caller reads the check again.
    pub created: Option<Check>,
}

impl Store {
    /// Records a ping and its effect in one batch (one D1 round trip). Every
    /// statement holds only if the check is still as `expected`.
    pub async fn record_ping(&self, write: &PingWrite<'_>) -> Result<RecordedPing, StoreError> {
        let (results, offset) = self.run_ping_batch(Vec::new(), write, None).await?;
        Ok(self.recorded(&results, offset, write))
    }

    /// Creates a check (for `?create=1`) and records its first ping in the
    /// same batch, so a ping that cannot be stored creates nothing either.
    /// Returns whether it created, and the recorded ping.
    pub async fn create_and_record(
        &self,
        uuid: &Uuid,
        ping_key_hash: &str,
        config: &CheckConfig,
        max_checks: i64,
        write: &PingWrite<'_>,
    ) -> Result<(bool, RecordedPing), StoreError> {
        let insert = self.insert_check_statement(
            uuid,
            config,
            "p.ping_key_hash = ?1 AND NOT EXISTS (SELECT 1 FROM checks WHERE project_id = p.id AND slug = ?2) \
             AND (SELECT count(*) FROM checks WHERE project_id = p.id) < ?3",
            &[text(ping_key_hash), text(&config.slug), int(max_checks)],
            write.now,
        )?;
        // A check made by `?create=1` notifies all of the project's channels.
        let channels = self.statement(
            "INSERT INTO check_channels (check_id, channel_id) \
             SELECT c.id, ch.id FROM checks c JOIN channels ch ON ch.project_id = c.project_id WHERE c.uuid = ?1",
            &[text(&uuid.to_string())],
        )?;
        // The new check's id is known only to the batch: it ends by reading
        // the check back.
        let read_back =
            self.statement(&format!("SELECT {CHECK_COLUMNS} FROM checks c WHERE c.{}", write.key.condition()), &[])?;
        let (mut results, offset) = self.run_ping_batch(vec![insert, channels], write, Some(read_back)).await?;
        let created_check = match results.pop() {
            Some(result) => typed::<CheckRow>(&result)?.into_iter().next().map(CheckRow::into_check).transpose()?,
            None => None,
        };
        let created = changes(results.first()) > 0;
        let mut recorded = self.recorded(&results, offset, write);
        recorded.created = created_check;
        Ok((created, recorded))
    }

    async fn run_ping_batch(
        &self,
        mut statements: Vec<D1PreparedStatement>,
        write: &PingWrite<'_>,
        last: Option<D1PreparedStatement>,
    ) -> Result<(Vec<worker::D1Result>, usize), StoreError> {
        let offset = statements.len();
        statements.extend(self.ping_statements(write)?);
        statements.extend(last);
        Ok((self.batch(statements).await?, offset))
    }

    /// The statements of a ping, in order: ping row (in its ring slot),
    /// flip, outbox rows, event, outbox rows, state update.
    fn ping_statements(&self, write: &PingWrite<'_>) -> Result<Vec<D1PreparedStatement>, StoreError> {
        let PingWrite { key, expected, effect, flip_id, event_id, ping, history, default_channels, now } = *write;
        let condition = format!("{} AND {}", key.condition(), expected.condition());
        let mut statements = Vec::with_capacity(7);
        // Everything before the UPDATE sees the row as it was: the ping is
        // n_pings + 1, and it takes that number's slot of the ring in place.
        statements.push(self.statement(
            &format!(
                "INSERT INTO pings (check_id, slot, n, created_at, kind, scheme, method, ua, remote_addr, exit_status, rid, body) \
                 SELECT id, (n_pings + 1) % ?10, n_pings + 1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 FROM checks WHERE {condition} \
                 ON CONFLICT (check_id, slot) DO UPDATE SET n = excluded.n, created_at = excluded.created_at, \
                 kind = excluded.kind, scheme = excluded.scheme, method = excluded.method, ua = excluded.ua, \
                 remote_addr = excluded.remote_addr, exit_status = excluded.exit_status, rid = excluded.rid, \
                 body = excluded.body"
            ),
            &[
                time(now),
                text(effect.kind.as_str()),
                text(ping.scheme),
                text(ping.method),
                text(ping.ua),
                opt_text(ping.remote_addr),
                ping.exit_status.map_or(JsValue::NULL, |c| int(i64::from(c))),
                opt_text(ping.rid.map(|r| r.to_string()).as_deref()),
                if ping.body.is_empty() { JsValue::NULL } else { blob(ping.body) },
                int(history),
            ],
        )?);
        // During a snooze everything is recorded but nobody is notified.
        let muted = effect.state.muted_at(now);
        if let Some(flip) = &effect.flip {
            statements.push(self.flip_statement(&condition, flip_id, flip, true)?);
            if let (Some(kind), false) = (flip.event_kind(), muted) {
                statements.push(self.notifications_statement(
                    flip_id,
                    kind,
                    &defaults_for(default_channels, kind),
                    now,
                )?);
            }
        }
        if let (Some((event, heard)), false) = (write.signal(), muted) {
            let defaults = defaults_for(default_channels, event.kind);
            let heard = if heard { Heard::Decided } else { Heard::LookUp(&defaults) };
            statements.push(self.event_statement(&condition, event_id, &event, heard, true)?);
            statements.push(self.notifications_statement(event_id, event.kind, &defaults, now)?);
        }
        let update = if effect.changes_state() {
            let (assignments, args) =
                state_assignments(&effect.state, effect.alert_after, effect.flip.map(|f| f.at), 1);
            self.statement(&format!("UPDATE checks SET n_pings = n_pings + 1, {assignments} WHERE {condition}"), &args)?
        } else {
            self.statement(&format!("UPDATE checks SET n_pings = n_pings + 1 WHERE {condition}"), &[])?
        };
        statements.push(update);
        // No pruning: the ring's slot held the ping `history` before this one.
        Ok(statements)
    }

    fn recorded(&self, results: &[worker::D1Result], offset: usize, write: &PingWrite<'_>) -> RecordedPing {
        let applied = changes(results.get(offset)) > 0;
        let effect = write.effect;
        let muted = effect.state.muted_at(write.now);
        let flip_notifies = effect.flip.is_some_and(|f| f.notifies()) && !muted;
        // The statements ping_statements made: ping, [flip, [notifications]], [event, notifications].
        let after_flip = offset + 1 + effect.flip.map_or(0, |_| 1 + usize::from(flip_notifies));
        let event_notifies = write.signal().is_some() && !muted && changes(results.get(after_flip + 1)) > 0;
        let notified = applied && (flip_notifies || event_notifies);
        RecordedPing { applied, notified, created: None }
    }

    /// Whether a ping could be stored now: a write to the ping path's tables
    /// that matches no row (so it changes nothing), run for `/health`.
    pub async fn probe_ping_write(&self) -> Result<(), StoreError> {
        let insert = self.statement(
            "INSERT INTO pings (check_id, slot, n, created_at, kind, scheme, method, ua) \
             SELECT id, 0, n_pings + 1, 0, 'log', 'https', 'GET', '' FROM checks WHERE 0",
            &[],
        )?;
        let update = self.statement("UPDATE checks SET n_pings = n_pings + 1 WHERE 0", &[])?;
        self.batch(vec![insert, update]).await.map(drop)
    }

    /// The newest `limit` pings of a check numbered above `after` (older
    /// ones are outside the kept history), newest first, without bodies.
    pub async fn list_pings(&self, check_id: i64, after: i64, limit: i64) -> Result<Vec<PingRecord>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            n: i64,
            created_at: i64,
            kind: String,
            scheme: String,
            method: String,
            ua: String,
            remote_addr: Option<String>,
            exit_status: Option<i64>,
            rid: Option<String>,
            has_body: i64,
        }
        let rows: Vec<Row> = self
            .rows(
                "SELECT n, created_at, kind, scheme, method, ua, remote_addr, exit_status, rid, \
                 body IS NOT NULL AS has_body FROM pings WHERE check_id = ?1 AND n > ?2 ORDER BY n DESC LIMIT ?3",
                &[int(check_id), int(after), int(limit)],
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(PingRecord {
                    n: r.n,
                    created_at: Timestamp::from_millis(r.created_at),
                    kind: PingKind::parse(&r.kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("ping kind {:?}", r.kind)))?,
                    scheme: r.scheme,
                    method: r.method,
                    ua: r.ua,
                    remote_addr: r.remote_addr,
                    exit_status: r.exit_status,
                    rid: r.rid,
                    has_body: r.has_body != 0,
                })
            })
            .collect()
    }

    /// The stored body of ping `n`, if that ping is still kept and had one.
    pub async fn ping_body(&self, check_id: i64, n: i64, history: i64) -> Result<Option<Vec<u8>>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            body: Option<Vec<u8>>,
        }
        let row: Option<Row> = self
            .row(
                "SELECT body FROM pings WHERE check_id = ?1 AND slot = ?2 AND n = ?3",
                &[int(check_id), int(n % history), int(n)],
            )
            .await?;
        Ok(row.and_then(|r| r.body))
    }
}
