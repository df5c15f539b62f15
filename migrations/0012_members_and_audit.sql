-- Issue 21: people. Who is a member of which project, with one role each,
-- by email address (stored lower-cased by the application, so that
-- comparing is exact); and the log of who changed what.
--
-- A project keeps an owner, and a member count limit holds: conditions the
-- application's plans name and each write checks atomically (no trigger).

CREATE TABLE members (
  project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  email TEXT NOT NULL,
  role TEXT NOT NULL,                  -- owner, member, viewer
  created_at INTEGER NOT NULL,
  PRIMARY KEY (project_id, email)
) WITHOUT ROWID;
-- "Which projects is this person in", asked of every database.
CREATE INDEX members_by_email ON members(email);

-- No foreign key on purpose: a deleted project's log (its deletion
-- included) stays until the sweep's hourly prune drops it, as flips.
CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  project_id TEXT NOT NULL,
  check_uuid TEXT,                     -- the check it is about, if any
  at INTEGER NOT NULL,                 -- Unix ms
  actor TEXT NOT NULL,                 -- an email, "read-write key hcw_abc…", "admin", "ping"
  action TEXT NOT NULL,                -- check.create, member.add, ...
  detail TEXT NOT NULL DEFAULT '{}'    -- what changed, a small JSON object
);
CREATE INDEX audit_by_project ON audit(project_id, id);
CREATE INDEX audit_by_check ON audit(check_uuid, id) WHERE check_uuid IS NOT NULL;
CREATE INDEX audit_by_time ON audit(at);
