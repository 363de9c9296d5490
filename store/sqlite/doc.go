// Package sqlite is Baton's embedded durable store: the whole store
// contract (store.Store and the optional store.Leaser) in one SQLite file,
// through modernc.org/sqlite (pure Go, no cgo).
//
//	s, err := sqlite.Open("baton.db", nil) // SyncFull, 5s busy timeout, store.SnapshotDue
//	if err != nil {
//		return err
//	}
//	defer s.Close()
//	ex, err := executor.New(s, reg, nil) // s is a store.Store like any other
//
// # Layout
//
// The file is in WAL mode. A release is a row of the releases table (its
// summary, for lists and calendars, with an integer rowid), its events in
// the events table, and its latest snapshot. An event's key is one integer,
// release rowid << 32 | seq, so a release's events are one range of a rowid
// table in seq order (a release holds at most 2^32-2 events, a file at most
// 2^31-1 releases). The last key of a release's range is its head row: the
// release's last seq and hash, the summary's counters that change with
// activities (activities done, waiting for input), and a digest of these.
// It sits next to the release's last events, so an append that inserts
// them and updates it writes one b-tree leaf most of the time. The releases
// row holds the rest of the summary and is rewritten only when that
// changes (status, times, labels), or when a snapshot is stored. An
// append's cost is proportional to its events, not to the size of the
// release.
//
// Lists are index range scans in list order (CreatedAt, ID) that stop
// after a page: releases_created without a filter, releases_status,
// releases_group and releases_process (each (filter, created_s,
// created_ns, id)). Several statuses are one such scan per status, each
// bounded by the page size, merged (UNION ALL). A scheduled window alone
// uses releases_scheduled and sorts the window's releases. ListUnfinished
// (store.UnfinishedLister, what an executor resumes after a restart) reads
// releases_unfinished, partial on the Scheduled, Running and Paused
// releases, with the resume hint each append keeps in the releases row
// (rewritten only when it changes): a page reads only unfinished releases,
// however many have finished. ListReleaseDigests (store.DigestStore)
// merges two range scans in its order (ScheduledFor, ID) from the cursor:
// the digest table, keyed in that order and carrying the release's filter
// columns (with an index per group and per process), and the partial
// index of the releases without a digest. A release with a digest costs
// one narrow row, and no releases or head row: an append to an ended
// release deletes its digest.
//
// The durable feed (store.FeedStore) is a table with a row per create or
// append, naming the events it wrote, inserted in the writer's
// transaction with them. SQLite has one writer at a time, so the order in
// which these rows get their key (the rowid) is the order the writes
// commit, and a reader sees a committed prefix of it: a feed cursor is a
// row's key and a seq, and nothing can ever appear before one. A feed page
// walks three primary keys in order (feed, releases, events), without a
// sort. Consumers' cursors (store.CursorStore) are rows written with
// compare-and-set on a revision. The Store signals its feed's subscribers
// (store.FeedNotifier) after each write transaction that adds events
// commits.
//
// The link index (store.LinkStore) is the links table, a row per
// link.added event keyed (release id, seq), written in the transaction
// that stores the event; an append that stores an activity's success or
// rollback updates the rows of that activity's links in the same
// transaction. Each query is a seek on one partial index, in the order it
// returns (checked by a test on EXPLAIN QUERY PLAN): FindLinks on
// links_ref (ref, release id, seq) or links_url; ListDeploymentHistory on
// links_deployed, the deployments of succeeded activities by (environment,
// service) newest first; ListDeployments on the same index, one seek per
// (environment, service) listed (a skip scan); ListDeploymentConflicts
// walks links_claims (environment, service, version, release id) from its
// cursor until it has a page of conflicts, so its cost grows with the
// succeeded deployments it passes. Migrating to schema version 10 builds the
// index from the events already stored, leaving out the few links an index
// cannot hold (store.CheckLink), which stay in the events.
//
// # What is checked
//
// The summary and the snapshot are caches of the events, never a second
// truth. Each records the seq and hash of the event it was built from and
// a SHA-256 digest of its own document. GetRelease checks the snapshot's
// digest and the stored event at its seq, folds the events after it while
// checking that they continue the chain from there (hashes recomputed), and
// that the last one is the head row's; GetReleaseSummary and ListReleases
// check the summary's digest, its event, the copies of its fields in the
// releases row, and that the log ends at the head row. Any mismatch is a
// *store.CorruptError (store.ErrCorrupt) naming the release. So a summary
// or snapshot edited in the file, an event removed, edited or cut from the
// end is an error, never an answer; in 4,500 random single-byte damages of
// a store file none gave a wrong answer. An edit of an event before the
// latest snapshot is found by verifying the whole chain (ListEvents and
// release.VerifyChain), not by GetRelease. The digests are SHA-256: they
// catch damage and edits that leave them alone, not someone who knows the
// format and recomputes them; with Options.DigestKey they are HMACs, and
// editing a summary or snapshot takes the key. A rewrite of a whole chain
// with every hash recomputed is caught by anchoring the heads with a key
// the file's writer does not hold (release.Sealer, store.AnchorStore).
//
// # Writes and reads
//
// Writes share one write connection. A write that finds it idle runs at
// once, in the caller's goroutine; writes that arrive while a transaction
// runs queue for a writer goroutine the Store owns, which commits all of
// them in the next transaction (group commit) and answers every caller
// after the COMMIT. With SyncFull (the default) concurrent writers so share
// one fsync; when several writers were about, a batch waits a little (at
// most half as long as the last commit took) for as many writers as the
// last batch had, so that writers do not split into two groups committing
// in turn. Each request is checked on its own inside the transaction: one
// that fails its check (a stale expected sequence number: store.ErrConflict)
// writes nothing and fails alone; one that fails after it has written (an
// I/O error) is rolled back with the transaction, which runs again without
// it.
//
// The writer remembers the head and row of the releases it has written,
// so an append at that head needs no read: the conflict check is the
// update of the head row, which names the head it replaces, and the
// events' keys themselves (another process appending to the same file
// makes them differ or collide, and the batch runs again reading the
// heads). A head the writer reads is checked as reads check it, so an
// append never writes after a damaged log. The events of a batch go in
// with shared multi-row INSERTs. Reads run on a pool of read connections,
// in parallel with the writer, and see the last commit. Close stops the
// writer goroutine.
//
// # One process at a time
//
// Two processes may not open one database file, nor two Stores in one
// process: a Store's writer remembers the heads it wrote and its leases
// are meant for the executors sharing that Store, so a second writer on
// the file would make the first one's answers stale. Open takes an
// exclusive lock on a lock file beside the database (its path with
// ".lock" appended, through symbolic links), and a second Open of the
// file while the first Store is open fails at once with an *InUseError
// (errors.Is(err, ErrInUse)) naming the file and the process that holds
// it; it writes nothing. The operating system drops the lock when the
// holder closes the Store or ends, however it ends, so a killed process
// never leaves the file locked. Share one Store among the executors of a
// process; for executors in many processes use store/postgres. The lock
// is flock(2), on Unix-like systems only: elsewhere Open cannot tell, and
// the host must keep to one process. A file system that does not honour
// flock (some network file systems) cannot keep the rule either.
//
// # Schema and damage
//
// The schema version is kept in the file (PRAGMA user_version) and
// migrations are versioned in this package (SchemaVersion). Open migrates
// an older file, and refuses, leaving it as it is: a file from a newer
// version of this package (*SchemaVersionError), a database of another
// application (ErrNotBaton), and a truncated or non-SQLite file
// (ErrCorrupt). Damage SQLite finds later is reported as ErrCorrupt by the
// operation that reads it, a stored document that does not decode as a
// *DecodeError naming the release and sequence number, and data that
// contradicts the events as a *store.CorruptError (all three match
// store.ErrCorrupt); nothing stored is rewritten on the way. Migrating to
// schema version 3 drops older snapshots (the next append of each release
// stores one) and takes the summaries as they are. Event kinds are an open set: events of kinds this
// version does not know are stored and returned like the others.
package sqlite
