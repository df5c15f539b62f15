-- Bumped whenever a check's configuration changes, so the ping fast path can
-- tell that the configuration it holds is still the stored one.
ALTER TABLE checks ADD COLUMN config_version INTEGER NOT NULL DEFAULT 0;
