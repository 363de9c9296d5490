-- 5: what an executor needs to resume a release without loading it
-- (release.Resume, store.UnfinishedLister), kept with each append:
-- wake_load true when it must be loaded, else the instant of its next
-- timer (wake_s, wake_ns; NULL for none). Rows of older versions have
-- wake_load NULL: load them. The unfinished releases get an index of their
-- own, in list order, so that a restart reads only them.
ALTER TABLE releases ADD COLUMN wake_load boolean;
ALTER TABLE releases ADD COLUMN wake_s bigint;
ALTER TABLE releases ADD COLUMN wake_ns integer;
CREATE INDEX releases_unfinished ON releases (created_s, created_ns, id)
	INCLUDE (status, seq, wake_load, wake_s, wake_ns)
	WHERE status IN ('Scheduled', 'Running', 'Paused');
