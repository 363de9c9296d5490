-- 15: appends update a release's row without touching its indexes. An
-- append that keeps the status (nearly all: an activity starting or
-- succeeding, a comment) changes the head, the summary and the resume hint,
-- and releases_unfinished carried seq and the hint as INCLUDE columns, so
-- every append wrote a new entry in every index of the table. Keyed on the
-- columns an append never changes (its condition reads only the status),
-- the update is heap-only (HOT) whenever the row's page has room, which the
-- fill factor keeps (on pages written from now on; VACUUM FULL or
-- pg_repack applies it to the old ones). ListUnfinished reads the hint
-- from the row, found through the index.
DROP INDEX releases_unfinished;
CREATE INDEX releases_unfinished ON releases (created_s, created_ns, id)
	WHERE status IN ('Scheduled', 'Running', 'Paused');
ALTER TABLE releases SET (fillfactor = 80);
