-- Issue 19: a new check can expect its first ping, and a run's start and end
-- are recorded once per run id.
--
-- 1. `expect_first_ping`: the setting (0 for every existing check, as for a
--    check made through the API). `waiting_since`: since when a new check
--    has waited for its first run (its creation, or the resume that made it
--    new again); the first success or failure clears it. Existing new
--    checks waited since they entered `new`.
ALTER TABLE checks ADD COLUMN expect_first_ping INTEGER NOT NULL DEFAULT 0;
ALTER TABLE checks ADD COLUMN waiting_since INTEGER;
UPDATE checks SET waiting_since = coalesce(status_changed_at, created_at) WHERE status = 'new';

-- 2. The run reports: a start or an end (`edge`) of run `rid` reported to a
--    check, at most once (the primary key): a plan that records a ping with
--    a run id inserts its row and writes only if that insert did (`token`
--    names the plan). `created_at` is when it was recorded: the sweep drops
--    reports older than the event-time bound's margin (see
--    docs/d1-store.md), as nothing older can be reported again.
CREATE TABLE run_reports (
  check_id INTEGER NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
  rid TEXT NOT NULL,
  edge TEXT NOT NULL,                  -- start or end
  token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (check_id, rid, edge)
) WITHOUT ROWID;
CREATE INDEX run_reports_by_age ON run_reports(created_at);
