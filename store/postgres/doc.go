// Package postgres is Baton's shared store: the store contract
// (store.Store, store.Leaser, store.AnchorStore, store.GroupHistoryStore,
// store.ReleaseNotifier, store.FeedStore, store.CursorStore and
// store.LinkStore)
// in a PostgreSQL database that any number of executor processes use at
// once, through jackc/pgx v5 (pgxpool).
//
//	s, err := postgres.New(ctx, os.Getenv("DATABASE_URL"), nil) // schema "baton", migrated on open
//	if err != nil {
//		return err
//	}
//	defer s.Close()
//	ex, err := executor.New(s, reg, nil) // s is a store.Store like any other
//
// A host that has its own pool passes it to NewFromPool; Close then leaves
// it open.
//
// # The durable feed
//
// The Store implements store.FeedStore and store.CursorStore. Each create
// or append writes, in its own statement, a feed row naming its events,
// with the id of its transaction (pg_current_xact_id) and a position from
// a sequence. Positions alone are not commit order: a transaction that
// took an earlier one can commit later, and a reader that had passed it
// would never see it. So the feed is read in (transaction id, position)
// order and only below the oldest transaction still in flight in the
// cluster (pg_snapshot_xmin of the reading statement's snapshot): every
// transaction below it has ended, and every later writer gets a higher
// id, so nothing ever appears before what a reader has read, and a
// release's appends (each made after the one before committed) stay in
// order. Writers pay nothing for it (no lock, no extra round trip); a
// reader waits for the transactions in flight, so a long transaction, in
// any database of the cluster, holds the feed back (never loses or
// reorders it) until it ends.
//
// # Notifications
//
// The Store implements store.ReleaseNotifier with LISTEN/NOTIFY, so that
// an action recorded through one executor process (an approval, say)
// wakes the process that drives the release at once. A write with Notify
// set calls pg_notify on the schema's channel ("baton:" and the schema
// name) in its own transaction: PostgreSQL delivers it on commit, and
// never for a write that failed. While it has subscribers a Store listens
// on one dedicated connection, opened with the pool's settings but outside
// the pool (application_name "baton listener"), and reconnects when the
// connection is lost (after 0.1s, doubling to 5s); the notifications sent
// meanwhile are lost, which it tells its subscribers with an empty change
// (executors then rescan). Only writes that need another process's
// attention notify (executors set Notify only then), because PostgreSQL
// serialises the commits of notifying transactions.
//
// The feed's subscribers (store.FeedNotifier) are signalled after each
// create or append through the Store commits, and on every notification
// the listening connection hears: another process's writes are signalled
// when they notify, the others are found at the consumer's next poll, or
// signalled too when the writers set Options.NotifyFeed (every write
// notifies; about 20% fewer appends per second with 8 writers).
//
// # Schema and migrations
//
// The tables live in one PostgreSQL schema, Options.Schema ("baton" by
// default), so several stores (or test runs) can share a database. The
// migrations are SQL files embedded in this package, numbered from 1
// (SchemaVersion is the newest); the schema's schema_version table records
// the ones applied. New and NewFromPool migrate by default: they create the
// schema when it does not exist and apply the migrations it lacks, in one
// transaction that holds a PostgreSQL advisory lock for the schema, so many
// replicas starting at once migrate it exactly once. With
// Options.NoMigrate they refuse a missing or older schema instead
// (ErrMigrationNeeded) and write nothing. A schema newer than this package
// is always refused with a *SchemaVersionError naming both versions
// (ErrSchemaTooNew).
//
// # Layout and indexes
//
// A release is a row of the releases table: its summary as JSON (built at
// the release's head, with the head's seq and hash in it, and a SHA-256
// digest beside it), the head itself (seq, hash) with a digest of it, the
// seq of its latest
// snapshot, and copies of the fields lists filter and order by. Its events
// are rows of the events table, keyed (release_id, seq); its latest
// snapshot is one row of the snapshots table; the anchors sealing its
// heads (store.AnchorStore) are rows of the anchors table, keyed
// (release_id, seq), stored in the same transaction as the events. Ids that lists order by are
// COLLATE "C" (byte order, as Go compares strings). Every query a host
// with a million releases runs is an index range scan that stops after a
// page, with no sort:
//
//   - ListReleases without a filter: releases_created (created_s,
//     created_ns, id), the list's order (CreatedAt, ID);
//   - by status: releases_status (status, created_s, created_ns, id); with
//     several statuses one such scan per status, each stopping after a
//     page, merged (UNION ALL);
//   - by group: releases_group (group_id, created_s, created_ns, id);
//   - by process: releases_process (process_id, created_s, created_ns, id);
//   - by scheduled window alone: releases_scheduled (sched_s, sched_ns,
//     id) finds the window's releases, which are then sorted: a window is as
//     large as a calendar page, and no one index orders by creation a
//     range of scheduled times. With another filter, that filter's index;
//   - ListUnfinished (store.UnfinishedLister, what an executor resumes
//     after a restart): releases_unfinished (created_s, created_ns, id),
//     partial on the Scheduled, Running and Paused releases, so a page
//     reads only unfinished releases, however many have finished (their
//     resume hints from the rows it finds);
//   - ListReleaseDigests (store.DigestStore): the same filters as
//     ListReleases, each release's digest by the digests' primary key
//     (release_id), compared with the head the releases row keeps;
//   - each listed summary is checked against the release's last event, a
//     backward probe of the events' primary key (release_id, seq);
//   - a release's events (ListEvents, GetRelease): the events' primary key
//     (release_id, seq), one range; its anchors (ListAnchors): the anchors'
//     primary key (release_id, seq), one range;
//   - ListProcesses: the processes' primary key (id, version) in id order,
//     with a backward probe of it for each process's latest version;
//     ListProcessVersions: a range of the same key;
//   - ListInputSets and ListGroups: their primary key (id), or
//     input_sets_process and release_groups_process (process_id, id) with
//     a Process filter (ListGroups' Enabled filters the rows the index
//     yields; groups are few);
//   - the occurrence rule: the unique index releases_occurrence (group_id,
//     occurrence), partial on the releases that have one; a group's
//     occurrence is also claimed by a history record that skips it or
//     records it missed (release.GroupRecord.Claims): such a record and a
//     release of its occurrence are each written in a transaction holding
//     the occurrence's advisory lock, after a probe of the other
//     (group_history's unique (group_id, occ_s, occ_ns, decision);
//     releases_occurrence and deletions_occurrence);
//   - ListGroupHistory: group_history_order (group_id, occ_s, occ_ns, id),
//     forward, or backward for Newest;
//   - the link index (store.LinkStore) is the links table, a row per
//     link.added event keyed (release_id, seq), inserted by the statement
//     that stores the event, and updated by the one that stores its
//     activity's success or rollback. FindLinks: links_ref (ref,
//     release_id, seq) or links_url; ListDeploymentHistory:
//     links_deployed (env, service, newest first), partial on the
//     deployments of succeeded activities; ListDeployments: the same
//     index, one seek per (environment, service) listed (a recursive
//     query); ListDeploymentConflicts walks links_claims (env, service,
//     version, release_id) from its cursor until a page of conflicts is
//     found, so its cost grows with the deployments it passes. Migration
//     9 fills the index from the events already stored (in SQL), leaving
//     out the links an index cannot hold (store.CheckLink).
//
// Labels are in the summary document only: the contract has no label
// filter.
//
// Documents (processes, input sets, groups, summaries, snapshots) and
// event payloads are stored as bytes, byte for byte. Ids, names, lease
// keys and owners, and events' kinds, actors and reasons are PostgreSQL
// text, which holds neither NUL bytes nor invalid UTF-8: a write with
// such a string is refused with store.ErrInvalid naming the field, and a
// lookup by such an id finds nothing (store.ErrNotFound).
//
// # Writes
//
// CreateRelease sends the release's row, its events and its snapshot (when
// due) as one batch, which PostgreSQL runs as one transaction; the primary
// key and releases_occurrence refuse a duplicate (store.ErrAlreadyExists).
// AppendEvents checks the events' own chain, then runs one statement that
// moves the release's head iff it is the one the events follow
// (ExpectedSeq and the first event's PrevHash) and, in the same
// transaction, inserts the events and the snapshot when due
// (store.SnapshotDue). When the head is another it writes nothing, and the
// head is read to say why: store.ErrNotFound, store.ErrConflict (a stale
// ExpectedSeq; of concurrent appends at one head the first to lock the
// release's row wins, the others find it moved) or store.ErrInvalid
// (events that do not continue the stored chain). To decide whether a
// snapshot is due the Store remembers the seq of the latest snapshot of
// the releases it wrote; for another release it reads the head first. An
// entry made stale by another replica is lower than the stored seq, so it
// costs at most a snapshot taken early. The events' primary key guards the
// append rule a second time. Each write is one commit; its durability is
// the server's (synchronous_commit). An append that keeps the release's
// status (nearly all of them) changes no column any index of the releases
// table holds, and the table's fill factor (80) leaves room on its pages,
// so PostgreSQL updates the row heap-only (HOT), writing no index entry
// (TestAppendsChangeNoIndexedColumn keeps it so).
//
// Leases are one INSERT ... ON CONFLICT statement per acquire, whose row
// lock makes concurrent acquires of one key take turns; a released lease
// deletes its row, and tokens come from one sequence per schema
// (lease_tokens), so a token never repeats.
//
// # Connections
//
// New's pool has pgxpool's defaults (at most 4 connections, or the number
// of CPUs if greater) unless the connection string sets pool_max_conns.
// An executor runs many releases at once, each write a short transaction:
// a replica that drives many parallel activities gains from a larger pool
// (20 connections ran 1,000 releases of 10 activities about a third faster
// than 4 in our measurements), at the price of the server's
// max_connections, which every replica's pool counts against.
//
// # What is checked
//
// The summary and the snapshot are caches of the events, never a second
// truth. Every read checks the head against its digest. GetRelease checks
// the snapshot's digest and the stored event at
// its seq, folds the events after it while checking that they continue
// the chain from there (hashes recomputed), and that the last one is the
// release's head; GetReleaseSummary and ListReleases check the summary's
// digest, that it was built at the head, that the row's copies of its
// fields agree, and that the log ends at the head. Any mismatch is a
// *store.CorruptError (store.ErrCorrupt) naming the release, a stored
// document that does not decode a *DecodeError (also store.ErrCorrupt),
// and damage PostgreSQL reports (data_corrupted, index_corrupted) is
// wrapped with store.ErrCorrupt. An edit of an event before the latest
// snapshot is found by verifying the whole chain (ListEvents and
// release.VerifyChain), not by GetRelease. The digests are SHA-256, or
// HMAC-SHA-256 with Options.DigestKey: then someone who can write the
// database but does not hold the key cannot edit a summary or snapshot,
// or move a head back over deleted events, and recompute the digest. A
// consistent rewrite of events and digests by someone who holds the key
// (or when there is none) is caught only by anchoring the heads with a
// key the database's writers do not hold (release.Sealer,
// store.AnchorStore).
package postgres
