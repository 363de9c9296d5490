package sqlite_test

import (
	"context"
	"path/filepath"
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

// A database of schema version 13 (the digests keyed by the release's
// rowid alone, no digested flag) migrates to version 14 with its digests:
// the listing gives the same entries, in scheduled order, and a release
// without a digest is still listed (the flag is set from the digests).
func TestMigration14KeepsTheDigestsAndListsInScheduledOrder(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "baton.db")
	s, err := sqlite.Open(path, &sqlite.Options{Synchronous: sqlite.SyncNormal})
	require.NoError(t, err)
	proc := &process.Process{ID: "p", Version: 1, Phases: []process.Phase{{ID: "a", Activities: []process.Activity{{ID: "x", Uses: "ci"}}}}}
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	for i, name := range []string{"r1", "r2", "r3", "r4"} {
		// Created in name order, scheduled in reverse.
		r, e, err := release.Create(release.ID(name), at.Add(time.Duration(i)*time.Minute), "alice", "",
			release.ReleaseCreatedPayload{Name: name, Process: proc, ScheduledFor: at.Add(time.Duration(10-i) * time.Hour)})
		require.NoError(t, err)
		require.NoError(t, s.CreateRelease(ctx, &store.CreateReleaseParams{Events: []release.Event{e}, Release: r}))
		if i == 3 {
			continue // r4 runs on
		}
		ab, err := r.RecordPayload(at.Add(time.Hour), "ops", "not today", release.ReleaseAbortedPayload{})
		require.NoError(t, err)
		require.NoError(t, s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: 1, Events: []release.Event{ab}, Release: r}))
		if i != 1 { // r2 keeps no digest
			require.NoError(t, s.PutReleaseDigest(ctx, &store.PutReleaseDigestParams{Release: r.ID, Seq: r.Seq, Hash: r.Hash, Data: []byte(name)}))
		}
	}
	list := func(s *sqlite.Store) []store.ReleaseDigestEntry {
		var all []store.ReleaseDigestEntry
		p := &store.ListReleaseDigestsParams{Limit: 1}
		for {
			page, err := s.ListReleaseDigests(ctx, p)
			require.NoError(t, err)
			all = append(all, page.Releases...)
			if page.Next == "" {
				return all
			}
			p.Cursor = page.Next
		}
	}
	before := list(s)
	var order []release.ID
	for _, e := range before {
		order = append(order, e.Release)
	}
	require.Equal(t, []release.ID{"r4", "r3", "r2", "r1"}, order, "scheduled order")
	require.Equal(t, "r3", string(before[1].Data))
	require.Nil(t, before[2].Data)
	require.NoError(t, s.Close())

	db := rawDB(t, path)
	_, err = db.Exec(`CREATE TABLE release_digests_v13 (rid INTEGER PRIMARY KEY, seq INTEGER NOT NULL, hash BLOB NOT NULL,
			check_sum BLOB NOT NULL, data BLOB NOT NULL);
		INSERT INTO release_digests_v13 SELECT rid, seq, hash, check_sum, data FROM release_digests;
		DROP TABLE release_digests; ALTER TABLE release_digests_v13 RENAME TO release_digests;
		DROP INDEX releases_undigested; ALTER TABLE releases DROP COLUMN digested;
		PRAGMA user_version = 13`)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	require.Equal(t, 13, schemaVersion(t, path))

	s, err = sqlite.Open(path, &sqlite.Options{Synchronous: sqlite.SyncNormal})
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, sqlite.SchemaVersion, schemaVersion(t, path))
	require.Equal(t, before, list(s))
}
