package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/sqlite"
)

func TestMigratedEventsAreInTheFeedBeforeNewOnes(t *testing.T) {
	path, want := openV1Copy(t)
	s, err := sqlite.Open(path, &sqlite.Options{Synchronous: sqlite.SyncNormal})
	require.NoError(t, err)
	defer s.Close()
	ctx := context.Background()

	page, err := s.ListAllEvents(ctx, &store.ListAllEventsParams{Limit: store.MaxLimit})
	require.NoError(t, err)
	total := 0
	next := map[release.ID]int64{}
	for _, e := range page.Events {
		require.Equal(t, next[e.Release]+1, e.Seq, "release %s in seq order", e.Release)
		next[e.Release] = e.Seq
		total++
	}
	for id, w := range want {
		require.Equal(t, int64(w.Events), next[id], "release %s: every event stored before the migration", id)
		total -= w.Events
	}
	require.Zero(t, total, "and nothing else")

	// A new append comes after all of them.
	var id release.ID
	for id = range want {
		break
	}
	r, err := s.GetRelease(ctx, id)
	require.NoError(t, err)
	e, err := release.NewEvent(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), "alice", "", release.CommentAddedPayload{Text: "after the migration"})
	require.NoError(t, err)
	expected := r.Seq
	sealed, err := r.Record(e)
	require.NoError(t, err)
	require.NoError(t, s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: expected, Events: sealed, Release: r}))
	rest, err := s.ListAllEvents(ctx, &store.ListAllEventsParams{After: page.Next})
	require.NoError(t, err)
	require.Len(t, rest.Events, 1)
	require.Equal(t, sealed[0].Hash, rest.Events[0].Hash)
}
