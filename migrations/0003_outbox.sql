-- The alert outbox: one row per flip and channel, written in the same batch
-- as the flip, delivered (and retried) by the sweep and right after pings.
CREATE TABLE notifications (
  id INTEGER PRIMARY KEY,
  flip_id TEXT NOT NULL REFERENCES flips(id) ON DELETE CASCADE,
  channel_id TEXT NOT NULL,            -- a channels row, or a default channel kept from secrets
  check_id INTEGER NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
  state TEXT NOT NULL DEFAULT 'pending',  -- pending, delivered, failed
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  claim TEXT,                          -- who is sending it now
  claimed_until INTEGER,               -- until when that claim holds
  last_status INTEGER,
  last_error TEXT,
  finished_at INTEGER,                 -- when it was delivered or given up
  UNIQUE (flip_id, channel_id)
);
CREATE INDEX notifications_due ON notifications(next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX notifications_by_check ON notifications(check_id, id);
CREATE INDEX notifications_by_time ON notifications(created_at);

-- Every delivery attempt: when, what came back.
CREATE TABLE notification_attempts (
  id INTEGER PRIMARY KEY,
  notification_id INTEGER NOT NULL REFERENCES notifications(id) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  status INTEGER,
  error TEXT,
  duration_ms INTEGER
);
CREATE INDEX attempts_by_notification ON notification_attempts(notification_id, id);

CREATE INDEX flips_by_time ON flips(created_at);

-- What each sweep did.
ALTER TABLE sweeps ADD COLUMN due_checks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sweeps ADD COLUMN flips INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sweeps ADD COLUMN sent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sweeps ADD COLUMN rows_read INTEGER NOT NULL DEFAULT 0;
