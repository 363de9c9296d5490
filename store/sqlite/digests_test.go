package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/sqlite"
)

func TestAnEditedDigestRowIsCorruptNotAWrongFigure(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t, nil)
	proc := &process.Process{ID: "p", Version: 1, Phases: []process.Phase{{ID: "a", Activities: []process.Activity{{ID: "x", Uses: "ci"}}}}}
	r, e, err := release.Create("r1", time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC), "alice", "", release.ReleaseCreatedPayload{Name: "r", Process: proc})
	require.NoError(t, err)
	require.NoError(t, s.CreateRelease(ctx, &store.CreateReleaseParams{Events: []release.Event{e}, Release: r}))
	ab, err := r.RecordPayload(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC), "ops", "not today", release.ReleaseAbortedPayload{})
	require.NoError(t, err)
	require.NoError(t, s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: 1, Events: []release.Event{ab}, Release: r}))
	require.NoError(t, s.PutReleaseDigest(ctx, &store.PutReleaseDigestParams{Release: r.ID, Seq: r.Seq, Hash: r.Hash, Data: []byte(`{"lead":60}`)}))
	page, err := s.ListReleaseDigests(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, `{"lead":60}`, string(page.Releases[0].Data))

	db := rawDB(t, sqlite.Path(s))
	defer db.Close()
	_, err = db.Exec(`UPDATE release_digests SET data = CAST('{"lead":6}' AS BLOB)`)
	require.NoError(t, err)
	_, err = s.ListReleaseDigests(ctx, nil)
	require.ErrorIs(t, err, store.ErrCorrupt)
	var ce *store.CorruptError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, release.ID("r1"), ce.Release)
	require.Equal(t, "digest", ce.What)

	// Putting it again repairs nothing silently: it replaces the row.
	require.NoError(t, s.PutReleaseDigest(ctx, &store.PutReleaseDigestParams{Release: r.ID, Seq: r.Seq, Hash: r.Hash, Data: []byte(`{"lead":60}`)}))
	page, err = s.ListReleaseDigests(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, `{"lead":60}`, string(page.Releases[0].Data))
}
