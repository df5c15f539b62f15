-- Issue 11, the alert policy. The check's settings (defaults: today's behaviour).
ALTER TABLE checks ADD COLUMN failure_threshold INTEGER NOT NULL DEFAULT 1;
ALTER TABLE checks ADD COLUMN recovery_threshold INTEGER NOT NULL DEFAULT 1;
ALTER TABLE checks ADD COLUMN max_runtime INTEGER;          -- seconds; NULL: grace limits a run
ALTER TABLE checks ADD COLUMN min_runtime INTEGER;          -- seconds; NULL: no lower limit
ALTER TABLE checks ADD COLUMN reminder_interval INTEGER NOT NULL DEFAULT 0;  -- seconds; 0: off
-- Its state, kept by the state machine.
ALTER TABLE checks ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;   -- consecutive failures below the threshold
ALTER TABLE checks ADD COLUMN successes INTEGER NOT NULL DEFAULT 0;  -- consecutive successes of a down check
ALTER TABLE checks ADD COLUMN next_event_at INTEGER;  -- Unix ms of the next late/reminder/end-of-mute event
ALTER TABLE checks ADD COLUMN muted_until INTEGER;    -- Unix ms notifications are held until (a snooze)
-- The sweep reads only the checks with an event due, as with checks_due.
CREATE INDEX checks_events_due ON checks(next_event_at) WHERE next_event_at IS NOT NULL;

-- Events beyond status changes are flip rows with an event kind (late,
-- reminder, fail, success, down for "still down after a snooze"), so the
-- outbox keeps one notification per event and channel (UNIQUE (flip_id,
-- channel_id)). NULL: a status change.
ALTER TABLE flips ADD COLUMN event TEXT;

-- Which events a channel receives, as ",down,up,reminder," (the default).
ALTER TABLE channels ADD COLUMN events TEXT NOT NULL DEFAULT ',down,up,reminder,';

-- Sweeps started by a request that found the cron trigger stalled.
ALTER TABLE sweeps ADD COLUMN rescue INTEGER NOT NULL DEFAULT 0;
CREATE TABLE sweep_claim (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  claimed_until INTEGER NOT NULL,   -- Unix ms a rescue sweep holds the claim until
  started_at INTEGER                -- Unix ms the last rescue sweep started
);
INSERT INTO sweep_claim (id, claimed_until) VALUES (1, 0);

-- Maintenance windows: recurring (cron schedule, zone, duration in seconds)
-- or one-off (start and end, Unix ms), selecting checks by tags or uuids
-- (neither: all of the project's checks).
CREATE TABLE maintenance_windows (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name TEXT NOT NULL DEFAULT '',
  schedule TEXT,
  tz TEXT NOT NULL DEFAULT 'UTC',
  duration INTEGER,
  start_at INTEGER,
  end_at INTEGER,
  tags TEXT NOT NULL DEFAULT '',
  checks TEXT NOT NULL DEFAULT '',     -- check uuids, comma-separated
  created_at INTEGER NOT NULL
);
CREATE INDEX maintenance_by_project ON maintenance_windows(project_id, created_at);
