-- Projects own checks, channels and keys. Keys are stored only as SHA-256 hashes.
CREATE TABLE projects (
  id TEXT PRIMARY KEY,                 -- uuid
  name TEXT NOT NULL,
  ping_key_hash TEXT NOT NULL UNIQUE,  -- for /ping/<ping_key>/<slug>
  created_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
  key_hash TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  read_only INTEGER NOT NULL,          -- 0 read-write, 1 read-only
  created_at INTEGER NOT NULL
);

CREATE TABLE checks (
  id INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL UNIQUE,
  project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name TEXT NOT NULL DEFAULT '',
  slug TEXT NOT NULL DEFAULT '',
  tags TEXT NOT NULL DEFAULT '',
  desc TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL DEFAULT 'simple', -- 'simple' (timeout) or 'cron' (schedule + tz)
  timeout INTEGER NOT NULL DEFAULT 86400,
  grace INTEGER NOT NULL DEFAULT 3600,
  schedule TEXT NOT NULL DEFAULT '* * * * *',
  tz TEXT NOT NULL DEFAULT 'UTC',
  manual_resume INTEGER NOT NULL DEFAULT 0,
  methods TEXT NOT NULL DEFAULT '',
  start_kw TEXT NOT NULL DEFAULT '',
  success_kw TEXT NOT NULL DEFAULT '',
  failure_kw TEXT NOT NULL DEFAULT '',
  filter_subject INTEGER NOT NULL DEFAULT 0,
  filter_body INTEGER NOT NULL DEFAULT 0,
  filter_http_body INTEGER NOT NULL DEFAULT 0,
  filter_default_fail INTEGER NOT NULL DEFAULT 0,
  -- State, kept by pings, the API and the sweep.
  status TEXT NOT NULL DEFAULT 'new',  -- new, up, down, paused
  status_changed_at INTEGER,           -- Unix ms of the last flip
  last_ping INTEGER,
  last_start INTEGER,
  last_start_rid TEXT,
  last_duration INTEGER,               -- ms
  n_pings INTEGER NOT NULL DEFAULT 0,
  alert_after INTEGER,                 -- Unix ms the check goes down unless pinged; NULL when it cannot
  created_at INTEGER NOT NULL
);
CREATE INDEX checks_by_project ON checks(project_id, id);
CREATE INDEX checks_by_slug ON checks(project_id, slug);
-- The minute sweep reads only the checks that are due.
CREATE INDEX checks_due ON checks(alert_after) WHERE alert_after IS NOT NULL;

-- The newest N pings of each check (older ones are pruned by n).
CREATE TABLE pings (
  id INTEGER PRIMARY KEY,
  check_id INTEGER NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
  n INTEGER NOT NULL,                  -- 1-based sequence number within the check
  created_at INTEGER NOT NULL,
  kind TEXT NOT NULL,                  -- success, fail, start, log, ign
  scheme TEXT NOT NULL,
  method TEXT NOT NULL,
  ua TEXT NOT NULL,
  remote_addr TEXT,
  exit_status INTEGER,
  rid TEXT,
  body BLOB                            -- raw bytes, cut at the body limit
);
CREATE UNIQUE INDEX pings_by_check ON pings(check_id, n);

-- Status changes.
CREATE TABLE flips (
  id TEXT PRIMARY KEY,
  check_id INTEGER NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  old_status TEXT NOT NULL,
  new_status TEXT NOT NULL,
  reason TEXT NOT NULL,
  previous_change_at INTEGER,          -- when the check entered old_status
  ping_n INTEGER                       -- the check's last ping when it flipped
);
CREATE INDEX flips_by_check ON flips(check_id, created_at);

-- Notification channels (managed by the alerting API) and which checks use them.
CREATE TABLE channels (
  id TEXT PRIMARY KEY,
  project_id TEXT REFERENCES projects(id) ON DELETE CASCADE,  -- NULL: a default channel from secrets
  name TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL,
  config TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL
);
CREATE INDEX channels_by_project ON channels(project_id);

CREATE TABLE check_channels (
  check_id INTEGER NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
  channel_id TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
  PRIMARY KEY (check_id, channel_id)
) WITHOUT ROWID;
CREATE INDEX check_channels_by_channel ON check_channels(channel_id);
