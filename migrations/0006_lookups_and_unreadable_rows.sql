-- The read-only identity of a check, indexed: a lookup by unique key reads
-- one row instead of the whole project (filled on insert, and for older rows
-- on first use).
ALTER TABLE checks ADD COLUMN unique_key TEXT;
CREATE INDEX checks_by_unique_key ON checks(project_id, unique_key);
-- Check rows a sweep could not read (they are skipped and rescheduled).
ALTER TABLE sweeps ADD COLUMN unreadable INTEGER NOT NULL DEFAULT 0;
-- All that a sweep read and wrote (D1's own counts), for /health and the benchmarks.
ALTER TABLE sweeps ADD COLUMN total_rows_read INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sweeps ADD COLUMN rows_written INTEGER NOT NULL DEFAULT 0;
