-- 7: lease rows go away with the work. A released lease's row is deleted;
-- tokens come from one sequence for the schema, so that a key's token still
-- never repeats once its row is gone. The sequence starts above every token
-- handed out; released rows go.
CREATE SEQUENCE lease_tokens;
SELECT setval('lease_tokens', coalesce((SELECT max(token) FROM leases), 0) + 1, false);
DELETE FROM leases WHERE owner = '';
