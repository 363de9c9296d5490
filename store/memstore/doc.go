// Package memstore is the reference in-memory implementation of the store
// contract (store.Store and the optional store.Leaser), for tests, demos and
// single-process hosts that need no durability. It passes the conformance
// suite in store/storetest under -race.
//
//	s := memstore.New(nil)
//	err := s.CreateRelease(ctx, &store.CreateReleaseParams{Events: []release.Event{created}, Release: r})
//
// Appends take a lock per release, so appends to different releases run in
// parallel. Snapshots are encoded as JSON, like a durable store's, so a
// release loaded back has made the same round trip.
package memstore
