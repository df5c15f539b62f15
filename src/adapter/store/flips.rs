//! The `flips` table: status changes as the domain decided them.

use super::{int, text, time, Store, StoreError};
use crate::domain::channel::EventSet;
use crate::domain::check::{Event, Flip, Status};
use crate::domain::history::FlipRecord;
use crate::domain::time::Timestamp;
use serde::Deserialize;
use worker::D1PreparedStatement;

/// Who decides whether anyone hears of an event.
#[derive(Clone, Copy)]
pub(super) enum Heard<'a> {
    /// The domain, from the check's listeners (the write is conditional on them).
    Decided,
    /// The statement, from these default channels and the check's links.
    LookUp(&'a [String]),
}

impl Store {
    /// Records `flip` for the check row matching `condition`, if one does
    /// when the batch runs (the condition carries what the flip was decided
    /// from). `counted_ping`: the flip belongs to a ping counted in the same
    /// batch, after this statement.
    pub(super) fn flip_statement(
        &self,
        condition: &str,
        flip_id: &str,
        flip: &Flip,
        counted_ping: bool,
    ) -> Result<D1PreparedStatement, StoreError> {
        let ping_n = if counted_ping { "n_pings + 1" } else { "n_pings" };
        self.statement(
            &format!(
                "INSERT INTO flips (id, check_id, created_at, old_status, new_status, reason, previous_change_at, ping_n) \
                 SELECT ?1, id, ?2, ?3, ?4, ?5, status_changed_at, {ping_n} FROM checks WHERE {condition}"
            ),
            &[
                text(flip_id),
                time(flip.at),
                text(flip.from.as_str()),
                text(flip.to.as_str()),
                text(&flip.reason.code()),
            ],
        )
    }

    /// Records an event that is not a status change (a flip row with an
    /// event kind, dated at the event, statuses both the current one) for
    /// the check matching `condition`, only when some channel hears of it.
    /// `Heard::Decided`: the domain found a listener in what `condition`
    /// holds the row to; `Heard::LookUp`: one of these default channels, or
    /// a linked channel that asked for it, is looked for here.
    pub(super) fn event_statement(
        &self,
        condition: &str,
        id: &str,
        event: &Event,
        heard: Heard<'_>,
        counted_ping: bool,
    ) -> Result<D1PreparedStatement, StoreError> {
        let ping_n = if counted_ping { "n_pings + 1" } else { "n_pings" };
        let heard = match heard {
            Heard::LookUp([]) => {
                "EXISTS (SELECT 1 FROM check_channels l JOIN channels ch ON ch.id = l.channel_id \
                 WHERE l.check_id = checks.id AND instr(ch.events, ?5) > 0)"
            }
            Heard::LookUp(_) | Heard::Decided => "?5 IS NOT NULL",
        };
        self.statement(
            &format!(
                "INSERT INTO flips (id, check_id, created_at, old_status, new_status, reason, previous_change_at, ping_n, event) \
                 SELECT ?1, id, ?2, status, status, ?3, status_changed_at, {ping_n}, ?4 FROM checks \
                 WHERE {condition} AND {heard}"
            ),
            &[
                text(id),
                time(event.at),
                text(&event.reason.code()),
                text(event.kind.as_str()),
                text(&EventSet::needle(event.kind)),
            ],
        )
    }

    pub async fn list_flips(&self, check_id: i64, from: i64, until: i64) -> Result<Vec<FlipRecord>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            created_at: i64,
            new_status: String,
        }
        // Bounds outside the f64-exact range are clamped; no flip lies there.
        let clamp = |v: i64| v.clamp(-(1 << 52), 1 << 52);
        let rows: Vec<Row> = self
            .rows(
                "SELECT created_at, new_status FROM flips WHERE check_id = ?1 AND created_at >= ?2 AND created_at < ?3 \
                 AND event IS NULL \
                 ORDER BY created_at DESC, rowid DESC LIMIT 1000",
                &[int(check_id), int(clamp(from)), int(clamp(until))],
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                let new_status = Status::parse(&r.new_status)
                    .ok_or_else(|| StoreError::Corrupt(format!("flip status {:?}", r.new_status)))?;
                Ok(FlipRecord { at: Timestamp::from_millis(r.created_at), new_status })
            })
            .collect()
    }
}
