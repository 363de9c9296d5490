// Package sqlite is Baton's embedded durable store: the whole store
// contract (store.Store and the optional store.Leaser) in one SQLite file,
// through modernc.org/sqlite (pure Go, no cgo).
//
//	s, err := sqlite.Open("baton.db", nil) // SyncFull, 5s busy timeout, store.SnapshotDue
//	if err != nil {
//		return err
//	}
//	defer s.Close()
//	exec := executor.New(s, ...) // any store.Store
//
// # Layout
//
// The file is in WAL mode. A release is a row of the releases table (its
// summary, for lists and calendars, with an integer rowid), its events in
// the events table, and its latest snapshot. An event's key is one integer,
// release rowid << 32 | seq, so a release's events are one range of a rowid
// table in seq order (a release holds at most 2^32-1 events, a file at most
// 2^31-1 releases). The chain head is the release's last event, which also
// carries the summary's counters that change with activities (activities
// done, waiting for input); the releases row holds the rest of the summary
// and is rewritten only when that changes (status, times, labels), or when
// a snapshot is stored. So an append of a release whose summary keeps its
// status inserts its events and nothing else: one b-tree leaf, most of the
// time. Its cost is proportional to its events, not to the size of the
// release. GetRelease decodes the snapshot and folds the events after it.
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
// events' keys themselves (another process appending to the same file
// makes them collide, and the batch runs again reading the heads). The
// events of a batch go in with shared multi-row INSERTs; a batch that does
// nothing else is that one INSERT, its own transaction, with no BEGIN and
// COMMIT around it. Reads run on a pool of read connections, in parallel
// with the writer, and see the last commit. Close stops the writer
// goroutine.
//
// # Schema and damage
//
// The schema version is kept in the file (PRAGMA user_version) and
// migrations are versioned in this package (SchemaVersion). Open migrates
// an older file, and refuses, leaving it as it is: a file from a newer
// version of this package (*SchemaVersionError), a database of another
// application (ErrNotBaton), and a truncated or non-SQLite file
// (ErrCorrupt). Damage SQLite finds later is reported as ErrCorrupt by the
// operation that reads it, and a stored document that does not decode as a
// *DecodeError naming the release and sequence number; nothing stored is
// rewritten on the way. Event kinds are an open set: events of kinds this
// version does not know are stored and returned like the others.
package sqlite
