-- Issue 18: every rule in Rust, SQL keeps only what must be atomic.
--
-- 1. Who hears what is kept on the check row as its routes (the linked
--    channels, each with its events, as `Routes::to_stored` writes them:
--    `[{"channel":"<id>","events":["down","up"]}]`). Rust rewrites them with
--    every change of links or of a channel's events. They replace the link
--    table `check_channels`, the `listeners` bits, and migration 0010's
--    triggers and view.
-- 2. The sweep's deadline (the earlier of alert_after and next_event_at) is a
--    plain column Rust writes from the plan, with a plain partial index,
--    instead of an expression written both here and in the adapter.
-- 3. Projects get a routing version: every change of their channels or links
--    bumps it, and a write decided from the routing as read is conditional on it.
-- 4. Notifications carry their project (the outbox picks each project's
--    oldest through an index, without joining checks) and, for events that
--    coalesce, a key that a partial unique index keeps to one pending row per
--    check, channel and kind, so `INSERT OR IGNORE` coalesces atomically.
-- Check badge keys are made in Rust from now on (never randomblob here).

-- 1. Routes, from today's links: the channel ids in order, each channel's
--    events in the order of `EventKind` (down, up, late, reminder, fail,
--    success), read from its ",down,up,reminder," text.
ALTER TABLE checks ADD COLUMN routes TEXT NOT NULL DEFAULT '[]';
UPDATE checks SET routes = (
  SELECT json_group_array(json(link)) FROM (
    SELECT json_object('channel', ch.id, 'events', json('[' || substr(
             CASE WHEN instr(ch.events, ',down,') > 0 THEN ',"down"' ELSE '' END
          || CASE WHEN instr(ch.events, ',up,') > 0 THEN ',"up"' ELSE '' END
          || CASE WHEN instr(ch.events, ',late,') > 0 THEN ',"late"' ELSE '' END
          || CASE WHEN instr(ch.events, ',reminder,') > 0 THEN ',"reminder"' ELSE '' END
          || CASE WHEN instr(ch.events, ',fail,') > 0 THEN ',"fail"' ELSE '' END
          || CASE WHEN instr(ch.events, ',success,') > 0 THEN ',"success"' ELSE '' END, 2) || ']')) AS link
    FROM check_channels l JOIN channels ch ON ch.id = l.channel_id
    WHERE l.check_id = checks.id
    ORDER BY ch.id))
WHERE id IN (SELECT check_id FROM check_channels);

DROP TRIGGER IF EXISTS check_listeners_linked;
DROP TRIGGER IF EXISTS check_listeners_unlinked;
DROP TRIGGER IF EXISTS check_listeners_changed;
DROP VIEW IF EXISTS check_listener_bits;
ALTER TABLE checks DROP COLUMN listeners;
DROP TABLE check_channels;

-- 2. The sweep's deadline, worked out here this once for existing rows.
ALTER TABLE checks ADD COLUMN sweep_at INTEGER;
UPDATE checks SET sweep_at = coalesce(min(alert_after, next_event_at), alert_after, next_event_at)
WHERE alert_after IS NOT NULL OR next_event_at IS NOT NULL;
DROP INDEX IF EXISTS checks_sweep_at;
CREATE INDEX checks_sweep_at ON checks(sweep_at) WHERE sweep_at IS NOT NULL;

-- 3. The routing version.
ALTER TABLE projects ADD COLUMN routing_version INTEGER NOT NULL DEFAULT 0;

-- 4. The outbox.
ALTER TABLE notifications ADD COLUMN project_id TEXT;
ALTER TABLE notifications ADD COLUMN coalesce_key TEXT;
UPDATE notifications SET project_id = (SELECT project_id FROM checks WHERE checks.id = notifications.check_id);
-- Pending notifications queued before this migration keep no key, so that
-- duplicates already waiting cannot break the unique index; they are sent
-- as they were queued.
CREATE UNIQUE INDEX notifications_coalesced ON notifications(check_id, channel_id, coalesce_key)
  WHERE state = 'pending' AND coalesce_key IS NOT NULL;
-- Each project's due notifications in order: the outbox steps from project
-- to project through this index, reading a bounded number from each. It
-- replaces the global queue order (a new notification writes one entry, as
-- before).
DROP INDEX IF EXISTS notifications_due;
CREATE INDEX notifications_due ON notifications(project_id, next_attempt_at) WHERE state = 'pending';
