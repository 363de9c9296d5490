package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

func TestAnEditedDigestRowIsCorruptNotAWrongFigure(t *testing.T) {
	ctx := context.Background()
	pool := testPool(t, 2)
	s := newStore(t, pool)
	r := createTestRelease(t, s, "r1", time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	ab, err := r.RecordPayload(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC), "ops", "not today", release.ReleaseAbortedPayload{})
	require.NoError(t, err)
	var page *store.ReleaseDigestPage
	require.NoError(t, s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: r.Seq - 1, Events: []release.Event{ab}, Release: r}))
	require.NoError(t, s.PutReleaseDigest(ctx, &store.PutReleaseDigestParams{Release: r.ID, Seq: r.Seq, Hash: r.Hash, Data: []byte(`{"lead":60}`)}))
	page, err = s.ListReleaseDigests(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, `{"lead":60}`, string(page.Releases[0].Data))

	_, err = pool.Exec(ctx, `UPDATE `+s.Schema()+`.release_digests SET data = convert_to('{"lead":6}', 'UTF8')`)
	require.NoError(t, err)
	_, err = s.ListReleaseDigests(ctx, nil)
	require.ErrorIs(t, err, store.ErrCorrupt)
	var ce *store.CorruptError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, release.ID("r1"), ce.Release)
	require.Equal(t, "digest", ce.What)
}
