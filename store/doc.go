// Package store is the storage contract: small role-named interfaces for
// processes (ProcessStore), input sets (InputSetStore), releases with their
// event logs (ReleaseStore) and release groups (GroupStore), combined in
// Store; an optional Leaser capability for many executors sharing one
// store; the params structs; and the sentinel errors every implementation
// returns (ErrNotFound, ErrAlreadyExists, ErrConflict, ErrInvalid).
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
