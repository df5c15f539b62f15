-- One row per completed (or failed) run of the minute sweep, newest kept.
CREATE TABLE sweeps (
  id INTEGER PRIMARY KEY,
  scheduled_at INTEGER NOT NULL,  -- the cron event's scheduledTime, Unix ms
  finished_at INTEGER NOT NULL,   -- wall clock when it ended, Unix ms
  error TEXT                      -- NULL when the sweep completed
);
