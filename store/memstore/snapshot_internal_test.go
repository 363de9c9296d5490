package memstore

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

func TestSnapshotsFollowSnapshotDue(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	s := New(nil)
	id, err := release.NewID(at, nil)
	require.NoError(t, err)
	r, created, err := release.Create(id, at, "alice", "", release.ReleaseCreatedPayload{Name: "r",
		Process: &process.Process{ID: "x", Version: 1, Phases: []process.Phase{{ID: "p", Activities: []process.Activity{{ID: "a"}}}}}})
	require.NoError(t, err)
	require.NoError(t, s.CreateRelease(ctx, &store.CreateReleaseParams{Events: []release.Event{created}, Release: r}))
	var snapshots []int64
	for range 2*store.MinSnapshotInterval + 10 {
		e, err := release.NewEvent(at, "bob", "", release.CommentAddedPayload{Text: "x"})
		require.NoError(t, err)
		expected := r.Seq
		sealed, err := r.Record(e)
		require.NoError(t, err)
		require.NoError(t, s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: expected, Events: sealed, Release: r}))
		rec := s.release(r.ID)
		if n := len(snapshots); rec.snapshotSeq != 0 && (n == 0 || snapshots[n-1] != rec.snapshotSeq) {
			snapshots = append(snapshots, rec.snapshotSeq)
		}
	}
	require.Equal(t, []int64{store.MinSnapshotInterval, 2 * store.MinSnapshotInterval}, snapshots)
	got, err := s.GetRelease(ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, r, got, "loaded from the latest snapshot and the events after it")
}
