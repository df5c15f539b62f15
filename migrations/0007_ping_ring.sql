-- Each check's ping history as a ring of slots updated in place: ping n goes
-- to slot n % PING_HISTORY, replacing the ping PING_HISTORY before it. A ping
-- to a check with a full history then writes one row (the slot), where the
-- old table wrote the new row and its index entry and deleted the oldest row
-- and its index entry. The key is the slot, which a rewrite never changes.
CREATE TABLE ping_ring (
  id INTEGER PRIMARY KEY,
  check_id INTEGER NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
  slot INTEGER NOT NULL,               -- n % PING_HISTORY
  n INTEGER NOT NULL,                  -- 1-based sequence number within the check
  created_at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  scheme TEXT NOT NULL,
  method TEXT NOT NULL,
  ua TEXT NOT NULL,
  remote_addr TEXT,
  exit_status INTEGER,
  rid TEXT,
  body BLOB
);
CREATE UNIQUE INDEX ping_ring_by_slot ON ping_ring(check_id, slot);
-- The kept history moves over (PING_HISTORY's default, 100, decides the slots;
-- with another setting the ring settles within one history).
INSERT INTO ping_ring (check_id, slot, n, created_at, kind, scheme, method, ua, remote_addr, exit_status, rid, body)
  SELECT p.check_id, p.n % 100, p.n, p.created_at, p.kind, p.scheme, p.method, p.ua, p.remote_addr, p.exit_status,
         p.rid, p.body
  FROM pings p JOIN checks c ON c.id = p.check_id WHERE p.n > c.n_pings - 100;
DROP TABLE pings;
ALTER TABLE ping_ring RENAME TO pings;
