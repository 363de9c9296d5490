-- 14: the scheduled index ends with the release id, so that the digest
-- listing (store.DigestStore), ordered by (scheduled, id), reads the
-- window's releases in order from a cursor without sorting them; the
-- queries of the two-column index it replaces use its prefix.
DROP INDEX releases_scheduled;
CREATE INDEX releases_scheduled ON releases (sched_s, sched_ns, id);
