-- 8: the durable feed of all events (store.FeedStore) and its consumers'
-- cursors (store.CursorStore). A feed row per create or append names the
-- events first_seq..last_seq of a release, with the id of the transaction
-- that wrote it (xid, the top-level transaction's) and a position (pos).
--
-- Positions from a sequence are not commit order: a transaction that took
-- 101 may commit after one that took 102, and a reader that had read 102
-- would never go back for 101. So the feed is ordered by (xid, pos), and a
-- reader reads only the rows whose xid is below the oldest transaction
-- still in flight (pg_snapshot_xmin of its snapshot): every transaction
-- below it has ended, and every later transaction gets a higher xid, so no
-- row can ever appear before one already read. A transaction that began
-- after another committed has a higher xid: the events of one release
-- (each append follows the commit of the one before) are in Seq order.
--
-- The events stored before come first (xid 0): a row per release with its
-- whole log, in the order the releases were created.
CREATE TABLE feed (
	xid        xid8   NOT NULL DEFAULT pg_current_xact_id(),
	pos        bigserial,
	release_id text COLLATE "C" NOT NULL,
	first_seq  bigint NOT NULL,
	last_seq   bigint NOT NULL,
	PRIMARY KEY (xid, pos)
);
INSERT INTO feed (xid, release_id, first_seq, last_seq)
	SELECT '0'::xid8, id, 1, seq FROM releases WHERE seq > 0 ORDER BY created_s, created_ns, id;

CREATE TABLE feed_cursors (
	consumer text COLLATE "C" NOT NULL PRIMARY KEY,
	cursor   text   NOT NULL,
	revision bigint NOT NULL
);
