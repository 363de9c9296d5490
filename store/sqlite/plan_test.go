package sqlite_test

import (
	"database/sql"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/sqlite"
)

// queryPlan returns SQLite's EXPLAIN QUERY PLAN of q, one step a line.
func queryPlan(t *testing.T, db *sql.DB, q string, args ...any) string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, args...)
	require.NoError(t, err)
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, notused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &notused, &detail))
		b.WriteString(detail + "\n")
	}
	require.NoError(t, rows.Err())
	return b.String()
}

// TestListQueriesUseIndexesWithoutSortingTheTable checks that each list
// query is answered by index range scans in the list's order, so that a
// page costs what it returns, not a sort of every release that matches:
// no step scans the releases table, and the only sort allowed is the merge
// of the statuses' scans (each bounded by the page size) or, for a
// scheduled window, the releases of the window.
func TestListQueriesUseIndexesWithoutSortingTheTable(t *testing.T) {
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "plan.db"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	db := sqlite.ReadDB(s)
	cursor := "eyJzIjoxLCJucyI6MiwiaWQiOiJ4In0" // {"s":1,"ns":2,"id":"x"}
	from, to := t0, t0.Add(7*24*time.Hour)
	running := []release.Status{release.Running}
	unfinished := []release.Status{release.Scheduled, release.Running, release.Paused}
	tests := []struct {
		name    string
		p       store.ListReleasesParams
		index   string
		sortsOK bool // the window's releases, or the merge of bounded scans
	}{
		{"all", store.ListReleasesParams{}, "releases_created", false},
		{"all, next page", store.ListReleasesParams{Cursor: cursor}, "releases_created", false},
		{"by status", store.ListReleasesParams{Statuses: running}, "releases_status", false},
		{"by status, next page", store.ListReleasesParams{Statuses: running, Cursor: cursor}, "releases_status", false},
		{"by statuses", store.ListReleasesParams{Statuses: unfinished}, "releases_status", true},
		{"by statuses, next page", store.ListReleasesParams{Statuses: unfinished, Cursor: cursor}, "releases_status", true},
		{"by group", store.ListReleasesParams{Group: "weekly"}, "releases_group", false},
		{"by group, next page", store.ListReleasesParams{Group: "weekly", Cursor: cursor}, "releases_group", false},
		{"by process", store.ListReleasesParams{Process: "mobile"}, "releases_process", false},
		{"by window", store.ListReleasesParams{ScheduledFrom: from, ScheduledTo: to}, "releases_scheduled", true},
	}
	for _, tc := range tests {
		q, args, err := sqlite.ListReleasesSQL(&tc.p)
		require.NoError(t, err, tc.name)
		plan := queryPlan(t, db, q, args...)
		require.Regexp(t, `USING (COVERING )?INDEX `+tc.index+`\b`, plan, "%s:\n%s", tc.name, plan)
		for _, line := range strings.Split(plan, "\n") {
			if strings.HasPrefix(line, "SCAN r") && !strings.Contains(line, "USING") {
				t.Errorf("%s: a scan of the whole table:\n%s", tc.name, plan)
			}
		}
		if !tc.sortsOK {
			require.NotContains(t, plan, "TEMP B-TREE", "%s: a sort:\n%s", tc.name, plan)
		}
		if len(tc.p.Statuses) > 1 {
			require.Len(t, regexp.MustCompile(`USING (COVERING )?INDEX releases_status\b`).FindAllString(plan, -1), len(tc.p.Statuses), "%s: one bounded scan per status:\n%s", tc.name, plan)
		}
	}
	first, next := sqlite.UnfinishedSQL()
	for _, q := range []struct {
		sql  string
		args []any
	}{{first, []any{1000}}, {next, []any{1, 2, "x", 1000}}} {
		plan := queryPlan(t, db, q.sql, q.args...)
		require.Contains(t, plan, "USING INDEX releases_unfinished", "unfinished:\n%s", plan)
		require.NotContains(t, plan, "TEMP B-TREE", "unfinished: a sort:\n%s", plan)
	}
}

// TestDigestListingReadsNarrowRowsInOrder checks that ListReleaseDigests
// merges two index range scans already in the list's order: the digest
// table by its key (or its group or process index), and the releases
// without a digest by their partial index. No sort, and no read of the
// releases table for a release that has a digest.
func TestDigestListingReadsNarrowRowsInOrder(t *testing.T) {
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "plan.db"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	db := sqlite.ReadDB(s)
	from, to := t0, t0.Add(7*24*time.Hour)
	cursor := base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, `{"s":%d,"ns":0,"id":"x"}`, from.Add(time.Hour).Unix())) // in the window
	tests := []struct {
		name    string
		p       store.ListReleaseDigestsParams
		digests string // the digest table's index: its key when empty
	}{
		{"all", store.ListReleaseDigestsParams{}, ""},
		{"all, next page", store.ListReleaseDigestsParams{Cursor: cursor}, ""},
		{"window", store.ListReleaseDigestsParams{ScheduledFrom: from, ScheduledTo: to}, ""},
		{"window, next page", store.ListReleaseDigestsParams{ScheduledFrom: from, ScheduledTo: to, Cursor: cursor}, ""},
		{"group", store.ListReleaseDigestsParams{Group: "weekly", ScheduledFrom: from}, "release_digests_group"},
		{"process", store.ListReleaseDigestsParams{Process: "mobile", Cursor: cursor}, "release_digests_process"},
	}
	for _, tc := range tests {
		q, args, err := sqlite.ListDigestsSQL(&tc.p)
		require.NoError(t, err, tc.name)
		plan := queryPlan(t, db, q, args...)
		require.Contains(t, plan, "MERGE (UNION ALL)", "%s:\n%s", tc.name, plan)
		require.NotContains(t, plan, "TEMP B-TREE", "%s: a sort:\n%s", tc.name, plan)
		if tc.digests == "" {
			require.Regexp(t, `(SCAN|SEARCH) release_digests( USING PRIMARY KEY|$|\n)`, plan, "%s: the digest table in key order:\n%s", tc.name, plan)
		} else {
			require.Regexp(t, `USING INDEX `+tc.digests+`\b`, plan, "%s:\n%s", tc.name, plan)
		}
		require.Regexp(t, `USING INDEX releases_undigested\b`, plan, "%s: the releases without a digest:\n%s", tc.name, plan)
		if tc.p.Cursor != "" {
			require.Len(t, regexp.MustCompile(`\(sched_s,sched_ns,id\)>\(\?,\?,\?\)`).FindAllString(plan, -1), 2,
				"%s: both scans start at the cursor, not at the window's start:\n%s", tc.name, plan)
		}
		require.Len(t, regexp.MustCompile(`(SCAN|SEARCH) releases\b`).FindAllString(plan, -1), 1, "%s: the releases table once, for those without a digest:\n%s", tc.name, plan)
	}
}
