package sqlite_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/sqlite"
)

// v1Want is what the schema version 1 code read back from
// testdata/v1/baton.db (testdata/v1/want.json).
type v1Want struct {
	Summary *release.Summary
	Release json.RawMessage
	Events  int
}

// openV1Copy copies testdata/v1/baton.db, made by the schema version 1
// code (commit eb3a1d4, testdata/v1/genv1.go.txt), to a temporary file.
func openV1Copy(t *testing.T) (string, map[release.ID]v1Want) {
	t.Helper()
	db, err := os.ReadFile(filepath.Join("testdata", "v1", "baton.db"))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "baton.db")
	require.NoError(t, os.WriteFile(path, db, 0o600))
	raw, err := os.ReadFile(filepath.Join("testdata", "v1", "want.json"))
	require.NoError(t, err)
	want := map[release.ID]v1Want{}
	require.NoError(t, json.Unmarshal(raw, &want))
	require.Len(t, want, 3)
	return path, want
}

func schemaVersion(t *testing.T, path string) int {
	t.Helper()
	db := rawDB(t, path)
	defer db.Close()
	var v int
	require.NoError(t, db.QueryRow(`PRAGMA user_version`).Scan(&v))
	return v
}

func TestOpenMigratesAVersion1DatabaseAndEverythingStillReads(t *testing.T) {
	path, want := openV1Copy(t)
	require.Equal(t, 1, schemaVersion(t, path))
	s, err := sqlite.Open(path, &sqlite.Options{Synchronous: sqlite.SyncNormal})
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, sqlite.SchemaVersion, schemaVersion(t, path))
	ctx := context.Background()

	for id, w := range want {
		// The summary reads as version 1 read it.
		sum, err := s.GetReleaseSummary(ctx, id)
		require.NoError(t, err)
		require.Equal(t, w.Summary, sum, "release %s", id)

		// The release (snapshot + events after it) is the one version 1 folded.
		got, err := s.GetRelease(ctx, id)
		require.NoError(t, err)
		gotDoc, err := got.MarshalSnapshot()
		require.NoError(t, err)
		require.JSONEq(t, string(w.Release), string(gotDoc), "release %s", id)

		// Every event is there, the chain verifies, and folding it from the
		// first reproduces the release.
		events, err := s.ListEvents(ctx, &store.ListEventsParams{Release: id, Limit: store.MaxLimit})
		require.NoError(t, err)
		require.Len(t, events, w.Events)
		require.NoError(t, release.VerifyChain(events))
		folded := new(release.Release)
		for _, e := range events {
			require.NoError(t, release.Apply(folded, e))
		}
		requireSameRelease(t, got, folded)

		// Paging the events still works across the new keys.
		page, err := s.ListEvents(ctx, &store.ListEventsParams{Release: id, AfterSeq: int64(w.Events) - 1, Limit: 5})
		require.NoError(t, err)
		require.Len(t, page, 1)
		require.Equal(t, int64(w.Events), page[0].Seq)
	}

	// Lists and their filters read the migrated rows.
	page, err := s.ListReleases(ctx, &store.ListReleasesParams{})
	require.NoError(t, err)
	require.Len(t, page.Releases, 3)
	for _, sum := range page.Releases {
		require.Equal(t, want[sum.ID].Summary, &sum)
	}
	page, err = s.ListReleases(ctx, &store.ListReleasesParams{Statuses: []release.Status{release.Succeeded}})
	require.NoError(t, err)
	require.Len(t, page.Releases, 1)
	require.Equal(t, "done", page.Releases[0].Name)
	page, err = s.ListReleases(ctx, &store.ListReleasesParams{Group: "nightly"})
	require.NoError(t, err)
	require.Len(t, page.Releases, 1)
	require.Equal(t, map[string]string{"team": "core"}, page.Releases[0].Labels)

	// The (group, occurrence) uniqueness survived the migration.
	b := want[mustParseID(t, "0190d000-0000-7000-8000-00000000000b")].Summary
	r, created, err := release.Create(newID(t, 99), t0, "alice", "", release.ReleaseCreatedPayload{
		Name: "again", Process: testProcess("deploy", 1), Group: b.Group, Occurrence: b.Occurrence})
	require.NoError(t, err)
	err = s.CreateRelease(ctx, &store.CreateReleaseParams{Events: []release.Event{created}, Release: r})
	require.ErrorIs(t, err, store.ErrAlreadyExists)

	// The unfinished releases are listed for an executor's restart, with no
	// hint yet (rows of older versions): each must be loaded.
	var unfinished int
	for _, w := range want {
		if !w.Summary.Status.Terminal() {
			unfinished++
		}
	}
	un, err := s.ListUnfinished(ctx, nil)
	require.NoError(t, err)
	require.Len(t, un.Releases, unfinished)
	for _, u := range un.Releases {
		require.Equal(t, want[u.ID].Summary.Status, u.Status)
		require.Equal(t, want[u.ID].Summary.Seq, u.Seq)
		require.Equal(t, release.Resume{Load: true}, u.Resume, "release %s: a row of an older version has no hint", u.ID)
	}

	// A migrated release takes appends after its stored head, and a stale
	// one is refused.
	id := mustParseID(t, "0190d000-0000-7000-8000-00000000000a")
	a, err := s.GetRelease(ctx, id)
	require.NoError(t, err)
	head := a.Seq
	behind, err := s.GetRelease(ctx, id) // a writer that read before the append below
	require.NoError(t, err)
	appendAll(t, s, a, []release.Event{mustEvent(t, t0.Add(time.Hour), release.CommentAddedPayload{Text: "after the migration"})})
	stale, err := behind.Record(mustEvent(t, t0, release.CommentAddedPayload{Text: "late"}))
	require.NoError(t, err)
	err = s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: head, Events: stale, Release: behind})
	require.ErrorIs(t, err, store.ErrConflict)
	got, err := s.GetRelease(ctx, id)
	require.NoError(t, err)
	requireSameRelease(t, a, got)
	sum, err := s.GetReleaseSummary(ctx, id)
	require.NoError(t, err)
	require.Equal(t, head+1, sum.Seq)
	require.Equal(t, a.Summary(), *sum)
	if !a.Status.Terminal() {
		un, err := s.ListUnfinished(ctx, nil)
		require.NoError(t, err)
		for _, u := range un.Releases {
			if u.ID == id {
				require.Equal(t, a.Resume().Load, u.Resume.Load, "the append stored the hint")
				require.True(t, a.Resume().At.Equal(u.Resume.At), "the append stored the hint")
			}
		}
	}

	// Reopening migrates nothing more.
	require.NoError(t, s.Close())
	s2, err := sqlite.Open(path, nil)
	require.NoError(t, err)
	require.NoError(t, s2.Close())
	require.Equal(t, sqlite.SchemaVersion, schemaVersion(t, path))
}

func mustParseID(t *testing.T, s string) release.ID {
	t.Helper()
	id, err := release.ParseID(s)
	require.NoError(t, err)
	return id
}
