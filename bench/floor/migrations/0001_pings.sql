-- The floor's only table: one row per request.
CREATE TABLE pings (
  id INTEGER PRIMARY KEY,
  created_at INTEGER NOT NULL,
  method TEXT NOT NULL,
  body BLOB
);
