-- Issue 20: a channel whose service refused for good (its webhook, token or
-- room no longer exists) is marked failing: why, and since when. Its
-- notifications then fail without contacting the service, until a delivered
-- channel test or an edit clears the mark.
ALTER TABLE channels ADD COLUMN failing TEXT;
ALTER TABLE channels ADD COLUMN failing_since INTEGER;

-- The notice that tells a project's other channels, once, that one of its
-- channels is failing: an event row of the check whose notification was
-- refused (event 'channel_failing'), with the refused channel's id, name,
-- kind and the reason as JSON.
ALTER TABLE flips ADD COLUMN notice TEXT;
