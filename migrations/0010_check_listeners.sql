-- What a check's channels listen for, kept on the check row, so that a ping
-- knows from the row it already reads whether anyone hears of its own
-- `success` or `fail` event (most checks: nobody) and writes nothing for it.
-- Without it every ping looked through the check's links and channels.
--
-- A bit per event kind, as `EventSet::to_bits` numbers them:
-- down 1, up 2, late 4, reminder 8, fail 16, success 32.
-- Triggers keep it exact whenever a link or a channel's events change; a
-- ping is conditional on the value it read, so a stale reader recomputes.
ALTER TABLE checks ADD COLUMN listeners INTEGER NOT NULL DEFAULT 0;

-- The bits, worked out in one place for every trigger below.
CREATE VIEW check_listener_bits AS
  SELECT l.check_id,
         coalesce(max(instr(ch.events, ',down,') > 0), 0) * 1
       | coalesce(max(instr(ch.events, ',up,') > 0), 0) * 2
       | coalesce(max(instr(ch.events, ',late,') > 0), 0) * 4
       | coalesce(max(instr(ch.events, ',reminder,') > 0), 0) * 8
       | coalesce(max(instr(ch.events, ',fail,') > 0), 0) * 16
       | coalesce(max(instr(ch.events, ',success,') > 0), 0) * 32 AS bits
  FROM check_channels l JOIN channels ch ON ch.id = l.channel_id
  GROUP BY l.check_id;

CREATE TRIGGER check_listeners_linked AFTER INSERT ON check_channels BEGIN
  UPDATE checks SET listeners = coalesce((SELECT bits FROM check_listener_bits WHERE check_id = NEW.check_id), 0)
  WHERE id = NEW.check_id;
END;

CREATE TRIGGER check_listeners_unlinked AFTER DELETE ON check_channels BEGIN
  UPDATE checks SET listeners = coalesce((SELECT bits FROM check_listener_bits WHERE check_id = OLD.check_id), 0)
  WHERE id = OLD.check_id;
END;

CREATE TRIGGER check_listeners_changed AFTER UPDATE OF events ON channels WHEN OLD.events IS NOT NEW.events BEGIN
  UPDATE checks SET listeners = coalesce((SELECT bits FROM check_listener_bits WHERE check_id = checks.id), 0)
  WHERE id IN (SELECT check_id FROM check_channels WHERE channel_id = NEW.id);
END;

-- Existing checks.
UPDATE checks SET listeners = coalesce((SELECT bits FROM check_listener_bits WHERE check_id = checks.id), 0)
WHERE id IN (SELECT check_id FROM check_channels);
