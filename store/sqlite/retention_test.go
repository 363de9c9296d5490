package sqlite_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/sqlite"
)

// TestListEndedUsesAnIndexOfTheFinishedReleases checks that each shape of
// ListEnded (a retention rule's sweep) is a range scan of a partial index
// in (ended, id) order: no scan of the releases table and no sort, so a
// sweep costs the releases it returns, not the releases kept.
func TestListEndedUsesAnIndexOfTheFinishedReleases(t *testing.T) {
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "plan.db"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	db := sqlite.ReadDB(s)
	cursor := "eyJzIjoxLCJucyI6MiwiaWQiOiJ4In0" // {"s":1,"ns":2,"id":"x"}
	tests := []struct {
		name  string
		p     store.ListEndedParams
		index string
	}{
		{"default rule", store.ListEndedParams{EndedBefore: t0}, "releases_ended"},
		{"default rule, next page", store.ListEndedParams{EndedBefore: t0, Cursor: cursor}, "releases_ended"},
		{"default rule with exclusions", store.ListEndedParams{EndedBefore: t0,
			ExcludeProcesses: []process.ID{"a", "b"}, ExcludeGroups: []release.GroupID{"g"}}, "releases_ended"},
		{"process rule", store.ListEndedParams{EndedBefore: t0, Process: "mobile", ExcludeGroups: []release.GroupID{"g"}}, "releases_ended_process"},
		{"process rule, next page", store.ListEndedParams{EndedBefore: t0, Process: "mobile", Cursor: cursor}, "releases_ended_process"},
		{"group rule", store.ListEndedParams{EndedBefore: t0, Group: "weekly"}, "releases_ended_group"},
	}
	for _, tc := range tests {
		q, args, err := sqlite.ListEndedSQL(&tc.p)
		require.NoError(t, err, tc.name)
		plan := queryPlan(t, db, q, args...)
		require.Regexp(t, `USING (COVERING )?INDEX `+tc.index+`\b`, plan, "%s:\n%s", tc.name, plan)
		for _, line := range strings.Split(plan, "\n") {
			if strings.HasPrefix(line, "SCAN r") && !strings.Contains(line, "USING") {
				t.Errorf("%s: a scan of the whole table:\n%s", tc.name, plan)
			}
		}
		require.NotContains(t, plan, "TEMP B-TREE", "%s: a sort:\n%s", tc.name, plan)
	}
}

// TestMigrationElevenGivesTheReleasesThatHadEndedTheirEnd opens a version 1
// database: the releases that had ended are listed by ListEnded with the
// end their summaries record, and the others are not.
func TestMigrationElevenGivesTheReleasesThatHadEndedTheirEnd(t *testing.T) {
	path, want := openV1Copy(t)
	s, err := sqlite.Open(path, &sqlite.Options{Synchronous: sqlite.SyncNormal})
	require.NoError(t, err)
	defer s.Close()
	page, err := s.ListEnded(t.Context(), &store.ListEndedParams{EndedBefore: t0.AddDate(100, 0, 0)})
	require.NoError(t, err)
	var ended []release.ID
	for id, w := range want {
		if w.Summary.Status.Terminal() {
			ended = append(ended, id)
		}
	}
	require.NotEmpty(t, ended, "the fixture holds a finished release")
	require.Len(t, page.Releases, len(ended))
	for _, sum := range page.Releases {
		require.Equal(t, want[sum.ID].Summary.EndedAt, sum.EndedAt)
	}
}
