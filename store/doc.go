// Package store is the storage contract: small role-named interfaces for
// processes (ProcessStore), input sets (InputSetStore), releases with their
// event logs (ReleaseStore) and release groups (GroupStore), combined in
// Store; an optional Leaser capability for many executors sharing one
// store; an optional GroupHistoryStore keeping the decisions of the
// groups' schedulers, one per (group, occurrence, decision); an optional
// FreezeStore keeping freezes (release.Freeze, with revisions); an
// optional PolicyStore keeping every version of each policy
// (release.Policy); an optional FeedStore, a durable feed of every
// release's events in an order that never changes once read, with an
// optional CursorStore that keeps each feed consumer's place (notifiers,
// reports) and an optional FeedNotifier that signals new events to the
// consumers; an optional LinkStore indexing the releases' links (which
// releases carried a commit, what runs in each environment, deployments
// two releases claim); an optional RetentionStore deleting finished
// releases and keeping a log of the deletions that outlives them; the params
// structs; and the sentinel errors every implementation
// returns (ErrNotFound, ErrAlreadyExists, ErrConflict, ErrInvalid,
// ErrCorrupt).
//
// A release's truth is its event log (see the release package). An update
// appends sealed events iff the release's last sequence number is the one
// the caller read, and in the same atomic step refreshes the release's
// summary and, when SnapshotDue says so, a snapshot:
//
//	r, _ := s.GetRelease(ctx, id)
//	expected := r.Seq
//	e, _ := release.NewEvent(now, "alice", "", release.ActivityStartedPayload{Activity: "build.compile"})
//	sealed, err := r.Record(e) // seals and applies; r is now the release after e
//	if err != nil {
//		return err // illegal in r's state: nothing to store
//	}
//	err = s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: expected, Events: sealed, Release: r})
//	if errors.Is(err, store.ErrConflict) {
//		// another writer appended first: reload and decide again
//	}
//
// Summaries and snapshots are caches of the events, never a second truth.
// Each records the sequence number and hash of the event it was built from
// and a digest of its own content; the store also keeps the release's head
// (its last sequence number and hash) apart from the events, updated in
// the same atomic step as each append. Reads check all of it against the
// events: an edited snapshot or summary, a removed, altered or reordered
// event, or a log cut short is an error matching ErrCorrupt that names the
// release (*CorruptError), never a silent answer. What these checks cannot
// catch is a consistent rewrite by someone able to recompute every hash
// and digest (store/sqlite can key its digests against that); anchoring
// each head with a key the writer of the storage does not hold
// (release.Sealer, AnchorStore) catches a rewritten chain.
//
// Implementations: store/memstore (in memory, for tests and demos),
// store/sqlite (one file) and store/postgres. A host's own store proves
// itself with the conformance suite in store/storetest:
//
//	func TestMyStore(t *testing.T) {
//		storetest.TestStore(t, func(t *testing.T) store.Store { return newMyStore(t) }, nil)
//	}
//
// The interfaces here are stable extension points.
package store
