package memstore

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// Tamperer edits a Store's releases behind its back (storetest.Tamperer),
// keeping every hash and digest stored beside what it edits.
type Tamperer struct{}

func (Tamperer) rec(t *testing.T, st store.Store, id release.ID) *storedRelease {
	t.Helper()
	rec := st.(*Store).release(id)
	require.NotNil(t, rec, "release %s", id)
	return rec
}

// SnapshotSeq implements storetest.Tamperer.
func (tp Tamperer) SnapshotSeq(t *testing.T, st store.Store, id release.ID) int64 {
	rec := tp.rec(t, st, id)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.snapshotSeq
}

// DeleteEvents implements storetest.Tamperer.
func (tp Tamperer) DeleteEvents(t *testing.T, st store.Store, id release.ID, from, to int64) {
	rec := tp.rec(t, st, id)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.True(t, from >= 1 && from <= to && to <= int64(len(rec.events)))
	// A new slice: loads may hold the old one.
	rec.events = append(append([]release.Event(nil), rec.events[:from-1]...), rec.events[to:]...)
}

// EditEvent implements storetest.Tamperer.
func (tp Tamperer) EditEvent(t *testing.T, st store.Store, id release.ID, seq int64, edit func(*release.Event)) {
	rec := tp.rec(t, st, id)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.True(t, seq >= 1 && seq <= int64(len(rec.events)))
	events := append([]release.Event(nil), rec.events...)
	e := events[seq-1].Clone()
	hash, prev := e.Hash, e.PrevHash
	edit(&e)
	e.Hash, e.PrevHash = hash, prev
	events[seq-1] = e
	rec.events = events
}

// EditSnapshot implements storetest.Tamperer.
func (tp Tamperer) EditSnapshot(t *testing.T, st store.Store, id release.ID, edit func(*release.Release)) {
	rec := tp.rec(t, st, id)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.NotNil(t, rec.snapshot, "no snapshot")
	r, err := release.UnmarshalSnapshot(rec.snapshot)
	require.NoError(t, err)
	edit(r)
	rec.snapshot, err = r.MarshalSnapshot()
	require.NoError(t, err)
}

// EditSummary implements storetest.Tamperer.
func (tp Tamperer) EditSummary(t *testing.T, st store.Store, id release.ID, edit func(*release.Summary)) {
	rec := tp.rec(t, st, id)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	edit(&rec.summary)
}
