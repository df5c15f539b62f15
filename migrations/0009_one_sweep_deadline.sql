-- One index entry per check for the sweep instead of two. A ping moves both
-- deadlines (when the check goes down, and its next late/reminder/end-of-mute
-- event), and each index entry a write moves is a row written on D1's bill.
-- The sweep only needs the earlier of the two: it re-evaluates a check
-- whenever it is due, so one index on that earlier time finds every check
-- either deadline makes due, and a ping writes one index entry, not two.
DROP INDEX IF EXISTS checks_due;
DROP INDEX IF EXISTS checks_events_due;
CREATE INDEX checks_sweep_at ON checks(coalesce(min(alert_after, next_event_at), alert_after, next_event_at))
  WHERE alert_after IS NOT NULL OR next_event_at IS NOT NULL;
