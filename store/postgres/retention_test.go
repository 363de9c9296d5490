package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
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

// A Create of an id whose deletion is under way, not yet committed, waits
// on the deleted row's key and, once the deletion commits, is refused: the
// id stays taken. Checked before its insert, as migration 010 did, the
// Create read the deletion log before the deletion committed and went in.
func TestACreateRacingTheDeletionOfItsIDIsRefused(t *testing.T) {
	ctx := context.Background()
	pool := testPool(t, 4)
	schema := freshSchema(t, pool)
	s, err := postgres.NewFromPool(ctx, pool, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	id := mustID(t, at)
	createTestRelease(t, s, id, at)

	// The deletion, as DeleteRelease writes it, left uncommitted.
	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	for _, q := range []string{
		`DELETE FROM ` + schema + `.events WHERE release_id = $1`,
		`DELETE FROM ` + schema + `.anchors WHERE release_id = $1`,
		`DELETE FROM ` + schema + `.snapshots WHERE release_id = $1`,
		`DELETE FROM ` + schema + `.links WHERE release_id = $1`,
		`DELETE FROM ` + schema + `.releases WHERE id = $1`,
		`INSERT INTO ` + schema + `.deletions (release_id, group_id, doc) VALUES ($1, '', '{}')`,
	} {
		_, err := tx.Exec(ctx, q, string(id))
		require.NoError(t, err, q)
	}

	created := make(chan error, 1)
	go func() {
		p := &process.Process{ID: "mobile", Version: 1, Name: "mobile", Phases: []process.Phase{{ID: "build",
			Activities: []process.Activity{{ID: "compile", Uses: "noop"}}}}}
		r, ev, err := release.Create(id, at.Add(time.Hour), "mallory", "", release.ReleaseCreatedPayload{Name: "again", Process: p})
		if err != nil {
			created <- err
			return
		}
		created <- s.CreateRelease(ctx, &store.CreateReleaseParams{Events: []release.Event{ev}, Release: r})
	}()
	// Commit once the Create waits on the deleted row's lock.
	require.Eventually(t, func() bool {
		var waiting bool
		require.NoError(t, pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND query LIKE '%'||$1||'%')`, schema).Scan(&waiting))
		return waiting
	}, 30*time.Second, 10*time.Millisecond, "the Create never waited on the deletion")
	require.NoError(t, tx.Commit(ctx))

	err = <-created
	require.ErrorIs(t, err, store.ErrAlreadyExists, "a deleted id is taken for good")
	_, err = s.GetRelease(ctx, id)
	require.ErrorIs(t, err, store.ErrNotFound)
}
