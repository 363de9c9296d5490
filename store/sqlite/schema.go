package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/batonhq/baton/release"
)

// SchemaVersion is the newest schema version this package writes: the
// number of migrations it knows. Open migrates older databases to it and
// refuses newer ones.
const SchemaVersion = 14

// applicationID marks a Baton database in the SQLite header ("BATN").
const applicationID = 0x4241544e

// migrations are the schema changes, oldest first: migrations[i] brings a
// database from version i to version i+1. Released migrations are never
// edited; a change is a new entry.
var migrations = [SchemaVersion]string{
	// 1: the first schema.
	`
CREATE TABLE processes (
	id         TEXT    NOT NULL,
	version    INTEGER NOT NULL,
	name       TEXT    NOT NULL,
	created_at TEXT    NOT NULL,
	created_by TEXT    NOT NULL,
	doc        BLOB    NOT NULL,
	PRIMARY KEY (id, version)
) WITHOUT ROWID;

CREATE TABLE input_sets (
	id         TEXT NOT NULL PRIMARY KEY,
	process_id TEXT NOT NULL,
	doc        BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX input_sets_process ON input_sets (process_id, id);

CREATE TABLE releases (
	id           TEXT    NOT NULL PRIMARY KEY,
	created_s    INTEGER NOT NULL,
	created_ns   INTEGER NOT NULL,
	sched_s      INTEGER NOT NULL,
	sched_ns     INTEGER NOT NULL,
	status       TEXT    NOT NULL,
	group_id     TEXT    NOT NULL,
	occurrence   TEXT,
	process_id   TEXT    NOT NULL,
	seq          INTEGER NOT NULL,
	hash         BLOB    NOT NULL,
	snapshot_seq INTEGER NOT NULL DEFAULT 0,
	summary      BLOB    NOT NULL
);
CREATE INDEX releases_created   ON releases (created_s, created_ns, id);
CREATE INDEX releases_status    ON releases (status, created_s, created_ns, id);
CREATE INDEX releases_group     ON releases (group_id, created_s, created_ns, id);
CREATE INDEX releases_process   ON releases (process_id, created_s, created_ns, id);
CREATE INDEX releases_scheduled ON releases (sched_s, sched_ns);
CREATE UNIQUE INDEX releases_occurrence ON releases (group_id, occurrence) WHERE occurrence IS NOT NULL;

CREATE TABLE events (
	release_id TEXT    NOT NULL,
	seq        INTEGER NOT NULL,
	kind       TEXT    NOT NULL,
	time       TEXT    NOT NULL,
	actor      TEXT    NOT NULL,
	reason     TEXT    NOT NULL,
	payload    BLOB,
	prev_hash  BLOB    NOT NULL,
	hash       BLOB    NOT NULL,
	PRIMARY KEY (release_id, seq)
) WITHOUT ROWID;

CREATE TABLE snapshots (
	release_id TEXT    NOT NULL PRIMARY KEY,
	seq        INTEGER NOT NULL,
	doc        BLOB    NOT NULL
);

CREATE TABLE release_groups (
	id         TEXT    NOT NULL PRIMARY KEY,
	process_id TEXT    NOT NULL,
	enabled    INTEGER NOT NULL,
	revision   INTEGER NOT NULL,
	doc        BLOB    NOT NULL
) WITHOUT ROWID;

CREATE TABLE leases (
	key        TEXT    NOT NULL PRIMARY KEY,
	owner      TEXT    NOT NULL,
	expires_s  INTEGER NOT NULL,
	expires_ns INTEGER NOT NULL,
	token      INTEGER NOT NULL
) WITHOUT ROWID;
`,
	// 2: an append writes one b-tree leaf, not three. Releases get an
	// integer rowid (rid); events are keyed by one integer, rid<<32 | seq,
	// in a rowid table (a WITHOUT ROWID table keeps whole rows in its
	// interior pages, so 300-byte events split it every few appends). The
	// chain head (seq, hash) and the summary's counters that change with
	// activities (activities-done, waiting-for-input) live in the last event
	// of each append, not in the releases row, which an append rewrites
	// only when the rest of the summary changes.
	`
CREATE TABLE releases2 (
	rid          INTEGER PRIMARY KEY,
	id           TEXT    NOT NULL UNIQUE,
	created_s    INTEGER NOT NULL,
	created_ns   INTEGER NOT NULL,
	sched_s      INTEGER NOT NULL,
	sched_ns     INTEGER NOT NULL,
	status       TEXT    NOT NULL,
	group_id     TEXT    NOT NULL,
	occurrence   TEXT,
	process_id   TEXT    NOT NULL,
	snapshot_seq INTEGER NOT NULL DEFAULT 0,
	summary      BLOB    NOT NULL
);
INSERT INTO releases2 (id, created_s, created_ns, sched_s, sched_ns, status, group_id, occurrence, process_id, snapshot_seq, summary)
	SELECT id, created_s, created_ns, sched_s, sched_ns, status, group_id, occurrence, process_id, snapshot_seq, summary
	FROM releases ORDER BY created_s, created_ns, id;

CREATE TABLE events2 (
	key       INTEGER PRIMARY KEY, -- rid << 32 | seq
	kind      TEXT    NOT NULL,
	time      TEXT    NOT NULL,
	actor     TEXT    NOT NULL,
	reason    TEXT    NOT NULL,
	payload   BLOB,
	prev_hash BLOB    NOT NULL,
	hash      BLOB    NOT NULL,
	-- the summary's activities-done and waiting-for-input after this
	-- event: set on the last event of each append, NULL on the others
	done      INTEGER,
	waiting   INTEGER
);
INSERT INTO events2 (key, kind, time, actor, reason, payload, prev_hash, hash, done, waiting)
	SELECT (n.rid << 32) | e.seq, e.kind, e.time, e.actor, e.reason, e.payload, e.prev_hash, e.hash,
		CASE WHEN e.seq = o.seq THEN coalesce(json_extract(CAST(o.summary AS TEXT), '$."activities-done"'), 0) END,
		CASE WHEN e.seq = o.seq THEN coalesce(json_extract(CAST(o.summary AS TEXT), '$."waiting-for-input"'), 0) END
	FROM events e JOIN releases o ON o.id = e.release_id JOIN releases2 n ON n.id = e.release_id
	ORDER BY 1;

DROP TABLE events;
DROP TABLE releases;
ALTER TABLE releases2 RENAME TO releases;
ALTER TABLE events2 RENAME TO events;
CREATE INDEX releases_created   ON releases (created_s, created_ns, id);
CREATE INDEX releases_status    ON releases (status, created_s, created_ns, id);
CREATE INDEX releases_group     ON releases (group_id, created_s, created_ns, id);
CREATE INDEX releases_process   ON releases (process_id, created_s, created_ns, id);
CREATE INDEX releases_scheduled ON releases (sched_s, sched_ns);
CREATE UNIQUE INDEX releases_occurrence ON releases (group_id, occurrence) WHERE occurrence IS NOT NULL;
`,
	// 3: summaries and snapshots are checked against the events. Each
	// release gets a head row, the last key of its range in the events
	// table (rid << 32 | 4294967295), updated with every append: head_seq
	// and hash are the release's head, done and waiting the summary's
	// counters, prev_hash the digest of these (digester.head), so a log cut
	// short contradicts it. It sits next to the release's last events, in
	// the b-tree leaf an append writes anyway. The summary keeps the seq
	// of the event it was built from (sum_seq, also in the document) and
	// its digest; a snapshot the hash of its event and its digest. The
	// digests are computed in Go (finishV3). Snapshots of older versions
	// are dropped rather than vouched for: the next append makes one.
	`
ALTER TABLE events ADD COLUMN head_seq INTEGER;
ALTER TABLE releases ADD COLUMN sum_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE releases ADD COLUMN sum_digest BLOB;
ALTER TABLE snapshots ADD COLUMN hash BLOB;
ALTER TABLE snapshots ADD COLUMN digest BLOB;
DELETE FROM snapshots;
UPDATE releases SET snapshot_seq = 0;
INSERT INTO events (key, kind, time, actor, reason, payload, prev_hash, hash, done, waiting, head_seq)
	SELECT (r.rid << 32) + 4294967295, '', '', '', '', NULL, x'', e.hash, coalesce(e.done, 0), coalesce(e.waiting, 0), e.key & 4294967295
	FROM releases r JOIN events e ON e.key = (SELECT key FROM events WHERE key BETWEEN r.rid << 32 AND (r.rid << 32) + 4294967294 ORDER BY key DESC LIMIT 1);
`,
	// 4: the anchors hosts seal release heads with (store.AnchorStore),
	// keyed like the event they seal.
	`
CREATE TABLE anchors (
	key    INTEGER PRIMARY KEY, -- rid << 32 | seq
	hash   BLOB    NOT NULL,
	alg    TEXT    NOT NULL,
	key_id TEXT    NOT NULL,
	sig    BLOB    NOT NULL
);
`,
	// 5: the decisions of the groups' schedulers (store.GroupHistoryStore),
	// one per (group, occurrence, decision); id keeps the append order.
	`
CREATE TABLE group_history (
	id       INTEGER PRIMARY KEY,
	group_id TEXT    NOT NULL,
	occ_s    INTEGER NOT NULL,
	occ_ns   INTEGER NOT NULL,
	decision TEXT    NOT NULL,
	doc      BLOB    NOT NULL,
	UNIQUE (group_id, occ_s, occ_ns, decision)
);
CREATE INDEX group_history_order ON group_history (group_id, occ_s, occ_ns, id);
`,
	// 6: freezes (store.FreezeStore), each kept as its JSON document with
	// the columns lists filter on.
	`
CREATE TABLE freezes (
	id       TEXT    NOT NULL PRIMARY KEY,
	enabled  INTEGER NOT NULL,
	revision INTEGER NOT NULL,
	doc      BLOB    NOT NULL
) WITHOUT ROWID;
`,
	// 7: what an executor needs to resume a release without loading it
	// (release.Resume, store.UnfinishedLister), kept with each append:
	// wake_load 1 when it must be loaded, else the instant of its next
	// timer (wake_s, wake_ns; NULL for none). Rows of older versions have
	// wake_load NULL: load them. The unfinished releases get an index of
	// their own, in list order, so that a restart reads only them.
	`
ALTER TABLE releases ADD COLUMN wake_load INTEGER;
ALTER TABLE releases ADD COLUMN wake_s INTEGER;
ALTER TABLE releases ADD COLUMN wake_ns INTEGER;
CREATE INDEX releases_unfinished ON releases (created_s, created_ns, id) WHERE status IN ('Scheduled', 'Running', 'Paused');
`,
	// 8: lease rows go away with the work. A released lease's row is
	// deleted; tokens come from one counter for the whole file (last), so
	// that a key's token still never repeats once its row is gone. The
	// counter starts above every token handed out; released rows go.
	`
CREATE TABLE lease_tokens (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	last INTEGER NOT NULL
);
INSERT INTO lease_tokens (id, last) SELECT 1, coalesce(max(token), 0) FROM leases;
DELETE FROM leases WHERE owner = '';
`,
	// 9: the durable feed of all events (store.FeedStore) and its
	// consumers' cursors (store.CursorStore). A feed row per create or
	// append names the events first_seq..last_seq of release rid; pos, the
	// rowid (one more than the largest), is given in commit order (one
	// writer at a time). The last row is never deleted, so a position is
	// never given twice (AUTOINCREMENT would guarantee it at the cost of a
	// second b-tree written per commit). The events stored before come
	// first: a row per release with its whole log, in the order the
	// releases were created.
	`
CREATE TABLE feed (
	pos       INTEGER PRIMARY KEY,
	rid       INTEGER NOT NULL,
	first_seq INTEGER NOT NULL,
	last_seq  INTEGER NOT NULL
);
INSERT INTO feed (rid, first_seq, last_seq)
	SELECT r.rid, 1, m.head_seq FROM releases r JOIN events m ON m.key = (r.rid << 32) + 4294967295
	WHERE m.head_seq > 0
	ORDER BY r.created_s, r.created_ns, r.id;
CREATE TABLE feed_cursors (
	consumer TEXT    NOT NULL PRIMARY KEY,
	cursor   TEXT    NOT NULL,
	revision INTEGER NOT NULL
) WITHOUT ROWID;
`,
	// 10: the link index (store.LinkStore): a row per link.added event,
	// written with it; ok (and ok_s, ok_ns: when) says the link's
	// activity succeeded and was not rolled back, kept by the appends
	// that store those. links_ref and links_url find the releases that
	// carried a ref or URL; links_deployed orders each (env, service)'s
	// deployments newest first; links_claims groups them by version.
	// finishV10 fills it from the events already stored.
	`
CREATE TABLE links (
	release_id TEXT    NOT NULL,
	seq        INTEGER NOT NULL,
	kind       TEXT    NOT NULL,
	ref        TEXT    NOT NULL,
	url        TEXT    NOT NULL,
	service    TEXT    NOT NULL,
	env        TEXT    NOT NULL,
	version    TEXT    NOT NULL,
	activity   TEXT    NOT NULL,
	ok         INTEGER NOT NULL,
	ok_s       INTEGER NOT NULL,
	ok_ns      INTEGER NOT NULL,
	doc        BLOB    NOT NULL, -- the release.Link as JSON
	PRIMARY KEY (release_id, seq)
) WITHOUT ROWID;
CREATE INDEX links_ref ON links (ref, release_id, seq) WHERE ref <> '';
CREATE INDEX links_url ON links (url, release_id, seq) WHERE url <> '';
CREATE INDEX links_deployed ON links (env, service, ok_s DESC, ok_ns DESC, release_id DESC, seq DESC) WHERE kind = 'deployment' AND ok = 1;
CREATE INDEX links_claims ON links (env, service, version, release_id, seq) WHERE kind = 'deployment' AND ok = 1;
`,
	// 11: retention (store.RetentionStore). A finished release's end time
	// (ended_s, ended_ns; NULL while it runs), set with the status that
	// ends it, indexed by itself and per process and group, so that the
	// releases a rule lets go are a range scan. The deletion log keeps a
	// record per deleted release (seq is its order) and holds its id and
	// group occurrence taken. finishV11 sets the end of the releases that
	// had ended.
	`
ALTER TABLE releases ADD COLUMN ended_s INTEGER;
ALTER TABLE releases ADD COLUMN ended_ns INTEGER;
CREATE INDEX releases_ended         ON releases (ended_s, ended_ns, id) WHERE ended_s IS NOT NULL;
CREATE INDEX releases_ended_process ON releases (process_id, ended_s, ended_ns, id) WHERE ended_s IS NOT NULL;
CREATE INDEX releases_ended_group   ON releases (group_id, ended_s, ended_ns, id) WHERE ended_s IS NOT NULL;
CREATE TABLE deletions (
	seq        INTEGER PRIMARY KEY,
	release_id TEXT    NOT NULL UNIQUE,
	group_id   TEXT    NOT NULL,
	occurrence TEXT,
	doc        BLOB    NOT NULL
);
CREATE UNIQUE INDEX deletions_occurrence ON deletions (group_id, occurrence) WHERE occurrence IS NOT NULL;
`,
	// 12: policies (store.PolicyStore): every version of each, kept as its
	// JSON document with the column lists filter on. The latest version of
	// a policy is the one with the largest version; the primary key finds
	// it.
	`
CREATE TABLE policies (
	id      TEXT    NOT NULL,
	version INTEGER NOT NULL,
	enabled INTEGER NOT NULL,
	doc     BLOB    NOT NULL,
	PRIMARY KEY (id, version)
) WITHOUT ROWID;
`,
	// 13: the digests readers keep of ended releases (store.DigestStore),
	// one per release, with the head it was computed at and the digest
	// (digester.reportDigest) of the row's fields. An append to an ended
	// release deletes its row.
	`
CREATE TABLE release_digests (
	rid   INTEGER PRIMARY KEY, -- the release's rowid
	seq   INTEGER NOT NULL,
	hash  BLOB    NOT NULL,
	check_sum BLOB NOT NULL,
	data  BLOB    NOT NULL
);
`,
	// 14: a digest listing reads one narrow row per release, in
	// (scheduled, id) order. The digests move to a table keyed in that
	// order, with copies of the release's filter columns (group, process,
	// status: a digest is kept of an ended release, whose row no longer
	// changes; an append drops it), and the releases without one are
	// found through a partial index on a flag (releases.digested) that
	// PutReleaseDigest sets and an append to an ended release clears.
	`
CREATE TABLE release_digests_v14 (
	sched_s    INTEGER NOT NULL,
	sched_ns   INTEGER NOT NULL,
	id         TEXT    NOT NULL,
	rid        INTEGER NOT NULL UNIQUE, -- the release's rowid
	group_id   TEXT    NOT NULL,
	process_id TEXT    NOT NULL,
	status     TEXT    NOT NULL,
	seq        INTEGER NOT NULL,
	hash       BLOB    NOT NULL,
	check_sum  BLOB    NOT NULL,
	data       BLOB    NOT NULL,
	PRIMARY KEY (sched_s, sched_ns, id)
) WITHOUT ROWID;
INSERT INTO release_digests_v14 (sched_s, sched_ns, id, rid, group_id, process_id, status, seq, hash, check_sum, data)
	SELECT r.sched_s, r.sched_ns, r.id, d.rid, r.group_id, r.process_id, r.status, d.seq, d.hash, d.check_sum, d.data
	FROM release_digests d JOIN releases r ON r.rid = d.rid;
DROP TABLE release_digests;
ALTER TABLE release_digests_v14 RENAME TO release_digests;
CREATE INDEX release_digests_group   ON release_digests (group_id, sched_s, sched_ns, id);
CREATE INDEX release_digests_process ON release_digests (process_id, sched_s, sched_ns, id);
ALTER TABLE releases ADD COLUMN digested INTEGER NOT NULL DEFAULT 0;
UPDATE releases SET digested = 1 WHERE rid IN (SELECT rid FROM release_digests);
CREATE INDEX releases_undigested ON releases (sched_s, sched_ns, id) WHERE digested = 0;
`,
}

// finishMigration holds the part of a migration done in Go, run after its
// SQL in the same transaction; nil when there is none.
var finishMigration = [SchemaVersion]func(ctx context.Context, conn *sql.Conn, dg digester) error{2: finishV3, 9: finishV10, 10: finishV11}

// finishV3 sets the digests migration 3 adds: each head row's and each
// summary's, whose document now names the head it was built from.
func finishV3(ctx context.Context, conn *sql.Conn, dg digester) error {
	type fix struct {
		rid, seq, done, waiting int64
		hash                    release.Hash
		doc                     []byte
	}
	rows, err := conn.QueryContext(ctx, `SELECT r.rid, r.summary, m.head_seq, m.hash, m.done, m.waiting
		FROM releases r JOIN events m ON m.key = (r.rid << 32) + 4294967295`)
	if err != nil {
		return err
	}
	var fixes []fix
	for rows.Next() {
		var f fix
		var hash []byte
		if err := rows.Scan(&f.rid, &f.doc, &f.seq, &hash, &f.done, &f.waiting); err != nil {
			rows.Close()
			return err
		}
		copy(f.hash[:], hash)
		fixes = append(fixes, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, f := range fixes {
		var sum map[string]any
		if err := json.Unmarshal(f.doc, &sum); err != nil {
			return fmt.Errorf("release row %d: decoding the summary: %w", f.rid, err)
		}
		sum["seq"], sum["hash"] = f.seq, f.hash
		doc, err := json.Marshal(sum)
		if err != nil {
			return err
		}
		digest := dg.sum(digestSummary, doc)
		if _, err := conn.ExecContext(ctx, `UPDATE releases SET summary = ?, sum_seq = ?, sum_digest = ? WHERE rid = ?`,
			doc, f.seq, digest[:], f.rid); err != nil {
			return err
		}
		check := dg.head(f.rid, f.seq, f.hash, f.done, f.waiting != 0)
		if _, err := conn.ExecContext(ctx, `UPDATE events SET prev_hash = ? WHERE key = ?`, check[:], headKey(f.rid)); err != nil {
			return err
		}
	}
	return nil
}

// checkFile refuses, before SQLite touches it, a file that cannot be a
// whole SQLite database: shorter than its header, without the SQLite magic,
// or shorter than the size its header records (a truncated file). A missing
// or empty file is a new database.
func checkFile(path string) error {
	fi, err := os.Stat(path)
	switch {
	case os.IsNotExist(err):
		return nil
	case err != nil:
		return fmt.Errorf("sqlite: open %s: %w", path, err)
	case fi.IsDir():
		return fmt.Errorf("sqlite: open %s: is a directory", path)
	case fi.Size() == 0:
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	defer f.Close()
	var h [100]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		return fmt.Errorf("sqlite: open %s: %w: %d bytes, shorter than the 100-byte SQLite header", path, ErrCorrupt, fi.Size())
	}
	if !bytes.Equal(h[:16], []byte("SQLite format 3\x00")) {
		return fmt.Errorf("sqlite: open %s: %w: not an SQLite database (bad header)", path, ErrCorrupt)
	}
	pageSize := int64(binary.BigEndian.Uint16(h[16:18]))
	if pageSize == 1 {
		pageSize = 65536
	}
	if pageSize < 512 || pageSize&(pageSize-1) != 0 {
		return fmt.Errorf("sqlite: open %s: %w: page size %d in the header", path, ErrCorrupt, pageSize)
	}
	// The header's page count is valid when its version-valid-for number
	// matches the change counter. With a non-empty write-ahead log next to
	// the file the log may hold the end of the database (a checkpoint cut
	// short): SQLite recovers that, so the size is not checked then.
	pages := int64(binary.BigEndian.Uint32(h[28:32]))
	valid := binary.BigEndian.Uint32(h[92:96]) == binary.BigEndian.Uint32(h[24:28])
	if wal, err := os.Stat(path + "-wal"); err == nil && wal.Size() > 0 {
		valid = false
	}
	if valid && pages > 0 && fi.Size() < pages*pageSize {
		return fmt.Errorf("sqlite: open %s: %w: truncated: %d bytes, the header records %d pages of %d bytes (%d bytes)",
			path, ErrCorrupt, fi.Size(), pages, pageSize, pages*pageSize)
	}
	return nil
}

// prepareFile checks what the file holds, switches it to WAL and migrates
// it. It writes nothing before the checks pass.
func (s *Store) prepareFile(ctx context.Context, conn *sql.Conn) error {
	op := "open " + s.path
	var version, appID int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return wrapDB(op, err)
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		return wrapDB(op, err)
	}
	if version > SchemaVersion {
		return &SchemaVersionError{Path: s.path, Found: version, Supported: SchemaVersion}
	}
	switch {
	case appID == applicationID:
	case appID != 0:
		return fmt.Errorf("sqlite: open %s: %w: its application id is %#x, not baton's %#x", s.path, ErrNotBaton, appID, applicationID)
	case version != 0:
		return fmt.Errorf("sqlite: open %s: %w: it has schema version %d but no baton application id", s.path, ErrNotBaton, version)
	default:
		var n int
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n); err != nil {
			return wrapDB(op, err)
		}
		if n > 0 {
			return fmt.Errorf("sqlite: open %s: %w: it holds %d tables or indexes but no baton schema", s.path, ErrNotBaton, n)
		}
	}
	if s.opts.IntegrityCheck {
		if err := quickCheck(ctx, conn, s.path); err != nil {
			return err
		}
	}
	var mode string
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode); err != nil {
		return wrapDB(op+": setting WAL mode", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("sqlite: open %s: the journal mode stays %q; WAL is required", s.path, mode)
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous="+string(s.opts.Synchronous)); err != nil {
		return wrapDB(op, err)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA journal_size_limit=%d", s.opts.WALLimit)); err != nil {
		return wrapDB(op, err)
	}
	for version < SchemaVersion {
		next, err := migrate(ctx, conn, s.dg)
		if err != nil {
			return fmt.Errorf("sqlite: open %s: migrating from schema version %d: %w", s.path, version, err)
		}
		version = next
	}
	return nil
}

// migrate applies the next migration in its own transaction, after reading
// the version again under the write lock (another process may have
// migrated meanwhile). It returns the version reached.
func migrate(ctx context.Context, conn *sql.Conn, dg digester) (_ int, err error) {
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			conn.ExecContext(ctx, "ROLLBACK") //nolint:errcheck // the first error is the one to report
		}
	}()
	var v int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, err
	}
	if v < SchemaVersion {
		if _, err := conn.ExecContext(ctx, migrations[v]); err != nil {
			return 0, fmt.Errorf("migration %d: %w", v+1, err)
		}
		if finish := finishMigration[v]; finish != nil {
			if err := finish(ctx, conn, dg); err != nil {
				return 0, fmt.Errorf("migration %d: %w", v+1, err)
			}
		}
		v++
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version=%d", v)); err != nil {
			return 0, err
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id=%d", applicationID)); err != nil {
			return 0, err
		}
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return 0, err
	}
	return v, nil
}

func quickCheck(ctx context.Context, conn *sql.Conn, path string) error {
	rows, err := conn.QueryContext(ctx, "PRAGMA quick_check(10)")
	if err != nil {
		return wrapDB("open "+path+": integrity check", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return wrapDB("open "+path+": integrity check", err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return wrapDB("open "+path+": integrity check", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("sqlite: open %s: %w: integrity check: %s", path, ErrCorrupt, strings.Join(problems, "; "))
	}
	return nil
}
