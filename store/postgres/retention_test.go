package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/postgres"
)

// A schema at version 9 (before retention) holding a finished release and
// one that runs: migration 010 gives the finished one its end from its
// summary, to the nanosecond, so that ListEnded finds it, and leaves the
// other out.
func TestMigration010GivesTheReleasesThatHadEndedTheirEnd(t *testing.T) {
	ctx := context.Background()
	pool := testPool(t, 4)
	schema := freshSchema(t, pool)
	s, err := postgres.NewFromPool(ctx, pool, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ended := createTestRelease(t, s, mustID(t, at), at)
	running := createTestRelease(t, s, mustID(t, at.Add(time.Second)), at.Add(time.Second))
	e, err := release.NewEvent(at.Add(90*time.Minute+123456789), "bob", "done", release.ReleaseAbortedPayload{})
	require.NoError(t, err)
	expected := ended.Seq
	sealed, err := ended.Record(e)
	require.NoError(t, err)
	require.NoError(t, s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: expected, Events: sealed, Release: ended}))
	require.NoError(t, s.Close())
	for _, q := range []string{
		`DROP TRIGGER releases_not_deleted ON ` + schema + `.releases`, `DROP FUNCTION ` + schema + `.releases_not_deleted()`,
		`DROP TABLE ` + schema + `.deletions`, `ALTER TABLE ` + schema + `.releases DROP COLUMN ended_s, DROP COLUMN ended_ns`,
		`DROP TABLE ` + schema + `.policies`, `DROP TABLE ` + schema + `.release_digests`, // and the migrations after it
		`DELETE FROM ` + schema + `.schema_version WHERE version >= 10`,
	} {
		_, err := pool.Exec(ctx, q)
		require.NoError(t, err, q)
	}
	s, err = postgres.NewFromPool(ctx, pool, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	page, err := s.ListEnded(ctx, &store.ListEndedParams{EndedBefore: at.AddDate(1, 0, 0)})
	require.NoError(t, err)
	require.Len(t, page.Releases, 1)
	require.Equal(t, ended.ID, page.Releases[0].ID)
	require.Equal(t, ended.EndedAt, page.Releases[0].EndedAt)
	page, err = s.ListEnded(ctx, &store.ListEndedParams{EndedBefore: ended.EndedAt})
	require.NoError(t, err)
	require.Empty(t, page.Releases, "the end is exact: not before itself")
	_, err = s.DeleteRelease(ctx, &store.DeleteReleaseParams{Release: running.ID, ExpectedSeq: running.Seq, Actor: "a", Now: at})
	require.ErrorIs(t, err, store.ErrNotFinished)
}
