-- Unguessable badge URLs: a key per project (tag badges, signed with the
-- project's badge secret) and a key per check (check badges).
ALTER TABLE projects ADD COLUMN badge_key TEXT;
ALTER TABLE projects ADD COLUMN badge_secret TEXT;
ALTER TABLE checks ADD COLUMN badge_key TEXT;
UPDATE projects SET badge_key = lower(hex(randomblob(12))), badge_secret = lower(hex(randomblob(32)));
UPDATE checks SET badge_key = lower(hex(randomblob(16)));
CREATE UNIQUE INDEX projects_by_badge_key ON projects(badge_key);
CREATE UNIQUE INDEX checks_by_badge_key ON checks(badge_key);
