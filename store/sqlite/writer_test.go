package sqlite_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/sqlite"
)

// TestConcurrentAppendsShareCommits appends from 8 goroutines with
// SyncFull: the writer gathers them (group commit), so there are fewer
// commits than appends, and every append is there after a reopen.
func TestConcurrentAppendsShareCommits(t *testing.T) {
	path := t.TempDir() + "/baton.db"
	s, err := sqlite.Open(path, &sqlite.Options{Synchronous: sqlite.SyncFull})
	require.NoError(t, err)
	ctx := context.Background()
	const writers, appends = 8, 16
	drivers := make([]*driver, writers)
	for i := range drivers {
		drivers[i] = newDriver(t, s, i+1, 3)
	}
	b0, r0 := sqlite.BatchStats(s)
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i, d := range drivers {
		wg.Go(func() {
			for range appends {
				if err := d.step(ctx, s); err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	b1, r1 := sqlite.BatchStats(s)
	require.Equal(t, int64(writers*appends), r1-r0)
	require.Less(t, b1-b0, r1-r0, "no two appends shared a commit")
	t.Logf("%d appends in %d commits", r1-r0, b1-b0)

	// A lone writer after them still commits on its own.
	for range 3 {
		require.NoError(t, drivers[0].step(ctx, s))
	}
	require.NoError(t, s.Close())
	s, err = sqlite.Open(path, nil)
	require.NoError(t, err)
	defer s.Close()
	for _, d := range drivers {
		got, err := s.GetRelease(ctx, d.r.ID)
		require.NoError(t, err)
		requireSameRelease(t, d.r, got)
	}
}

// TestWriteLockHeldElsewhereFailsTheWriteAndNothingIsLost holds SQLite's
// write lock from another connection for longer than the busy timeout:
// appends fail (whether the writer knows the release's head or must read
// it) and write nothing; once the lock is released they go through.
func TestWriteLockHeldElsewhereFailsTheWriteAndNothingIsLost(t *testing.T) {
	path := t.TempDir() + "/baton.db"
	opts := &sqlite.Options{Synchronous: sqlite.SyncNormal, BusyTimeout: 50 * time.Millisecond}
	s, err := sqlite.Open(path, opts)
	require.NoError(t, err)
	ctx := context.Background()
	known := newDriver(t, s, 1, 3) // the writer knows its head
	require.NoError(t, s.Close())
	s, err = sqlite.Open(path, opts)
	require.NoError(t, err)
	defer s.Close()
	unknown := known // after the reopen the writer knows no head
	other := newDriver(t, s, 2, 3)

	db := rawDB(t, path)
	defer db.Close()
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	require.NoError(t, err)
	retry := map[*driver]*store.AppendEventsParams{}
	for name, d := range map[string]*driver{"unknown head": unknown, "known head": other} {
		head := d.r.Seq
		sealed, expected, err := d.next()
		require.NoError(t, err)
		err = s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: expected, Events: sealed, Release: d.r})
		require.Error(t, err, name)
		require.ErrorContains(t, err, "locked", name)
		sum, err := s.GetReleaseSummary(ctx, d.r.ID)
		require.NoError(t, err)
		require.Equal(t, head, sum.Seq, name)
		// Retry the same events once the lock is free.
		retry[d] = &store.AppendEventsParams{ExpectedSeq: expected, Events: sealed, Release: d.r}
	}
	_, err = conn.ExecContext(ctx, "ROLLBACK")
	require.NoError(t, err)
	for _, d := range []*driver{unknown, other} {
		require.NoError(t, s.AppendEvents(ctx, retry[d]))
		got, err := s.GetRelease(ctx, d.r.ID)
		require.NoError(t, err)
		requireSameRelease(t, d.r, got)
	}
}

// TestTheEventKeysLimitsAreInvalidArguments reaches the limits of the
// events' key (rid << 32 | seq) by writing rows at them directly: an append
// past seq 2^32-2 (the last seq of a release's range is its head row) and
// a release past rowid 2^31-1 are refused with ErrInvalid, writing nothing.
func TestTheEventKeysLimitsAreInvalidArguments(t *testing.T) {
	path := t.TempDir() + "/baton.db"
	s, err := sqlite.Open(path, &sqlite.Options{Synchronous: sqlite.SyncNormal})
	require.NoError(t, err)
	ctx := context.Background()
	d := newDriver(t, s, 1, 3)
	require.NoError(t, s.Close())

	// The release's last event at the highest seq, and a release at the
	// highest rowid.
	const maxSeq = 1<<32 - 2
	last := [32]byte{7}
	db := rawDB(t, path)
	_, err = db.Exec(`INSERT INTO events (key, kind, time, actor, reason, payload, prev_hash, hash)
		SELECT (rid << 32) + ?, 'comment.added', '2026-11-25T09:00:00Z', 'x', '', NULL, zeroblob(32), ?
		FROM releases WHERE id = ?`, maxSeq, last[:], string(d.r.ID))
	require.NoError(t, err)
	setHead(t, db, d.r.ID, maxSeq, last)
	_, err = db.Exec(`INSERT INTO releases (rid, id, created_s, created_ns, sched_s, sched_ns, status, group_id, process_id, summary)
		VALUES (2147483647, 'last', 0, 0, 0, 0, 'Scheduled', '', 'p', '{}')`)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	s, err = sqlite.Open(path, &sqlite.Options{Synchronous: sqlite.SyncNormal})
	require.NoError(t, err)
	defer s.Close()
	sealed, err := release.Seal(release.Head{Release: d.r.ID, Seq: maxSeq, Hash: last},
		[]release.Event{mustEvent(t, t0, release.CommentAddedPayload{Text: "one too many"})})
	require.NoError(t, err)
	r := *d.r
	r.Seq, r.Hash = sealed[0].Seq, sealed[0].Hash
	err = s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: maxSeq, Events: sealed, Release: &r})
	require.ErrorIs(t, err, store.ErrInvalid)
	require.ErrorContains(t, err, "above the store's limit")

	rel, created, err := release.Create(newID(t, 2), t0, "alice", "", release.ReleaseCreatedPayload{Name: "x", Process: testProcess("x", 1)})
	require.NoError(t, err)
	err = s.CreateRelease(ctx, &store.CreateReleaseParams{Events: []release.Event{created}, Release: rel})
	require.ErrorIs(t, err, store.ErrInvalid)
	require.ErrorContains(t, err, "limit")
	_, err = s.GetReleaseSummary(ctx, rel.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
}
