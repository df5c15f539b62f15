-- Issue 21: public status pages.
--
-- Every page lives in the deployment's first database (`DB`), whichever
-- database its project is on: the slug is the primary key there, so a slug
-- is unique across the deployment, and a visitor's request finds its page
-- with one read by key, and from the page's project id (which names its
-- database, `shard_of_uuid`) the project's checks, without looking in any
-- other database. The table is created in every database (all databases
-- share the migrations); only the first one's is used. There is no foreign
-- key to `projects`, as the project may be in another database.
CREATE TABLE status_pages (
  slug TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  title TEXT NOT NULL,
  tags TEXT NOT NULL DEFAULT '',        -- a check with any of these tags is shown
  checks TEXT NOT NULL DEFAULT '',      -- check uuids, comma-separated
  show_descriptions INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
-- A project's pages (the management API's list, and the per-project limit).
CREATE INDEX status_pages_by_project ON status_pages(project_id, created_at);
