-- unique_key is now computed exactly as healthchecks.io computes it (SHA-1 of the
-- first 16 hex digits of the uuid; it was a truncated SHA-256). Forget the stored
-- values: every row gets its new key on the first lookup by unique key, as rows
-- made before the column existed do (new rows get it at insert).
UPDATE checks SET unique_key = NULL;
