package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/postgres"
)

// TestListQueriesUseIndexesWithoutSorting checks that each list query can
// be answered by an index range scan in the list's order: with sequential
// scans and sorts priced out (enable_seqscan and enable_sort off), the plan
// has neither, and scans the index the package doc names. On a small table
// the planner would rightly prefer a scan and a sort; pricing them out
// shows what it does with a large one, where they cost in proportion to
// the table.
func TestListQueriesUseIndexesWithoutSorting(t *testing.T) {
	s, conn := pricedOut(t)

	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	// A cursor of this store: the page after the first release listed.
	for i := range 2 {
		createTestRelease(t, s, release.ID(fmt.Sprintf("0190d000-0000-7000-8000-%012d", i+1)), from)
	}
	page, err := s.ListReleases(t.Context(), &store.ListReleasesParams{Limit: 1})
	require.NoError(t, err)
	require.NotEmpty(t, page.Next)
	cursor := page.Next // a cursor of this store: the page after the first release
	tests := []struct {
		name   string
		p      store.ListReleasesParams
		index  string
		sorted bool // the plan may sort (the releases of a window): sorts are not priced out
	}{
		{"all", store.ListReleasesParams{}, "releases_created", false},
		{"all, next page", store.ListReleasesParams{Cursor: cursor}, "releases_created", false},
		{"by status", store.ListReleasesParams{Statuses: []release.Status{release.Running}}, "releases_(status|unfinished)", false},
		{"by status, next page", store.ListReleasesParams{Statuses: []release.Status{release.Running}, Cursor: cursor}, "releases_(status|unfinished)", false},
		{"by statuses", store.ListReleasesParams{Statuses: []release.Status{release.Running, release.Paused, release.Scheduled}}, "releases_(status|unfinished)", false},
		{"by group", store.ListReleasesParams{Group: "weekly"}, "releases_group", false},
		{"by group, next page", store.ListReleasesParams{Group: "weekly", Cursor: cursor}, "releases_group", false},
		{"by process", store.ListReleasesParams{Process: "mobile"}, "releases_process", false},
		{"by window", store.ListReleasesParams{ScheduledFrom: from, ScheduledTo: to}, "releases_scheduled", true},
	}
	for _, tc := range tests {
		q, args, err := postgres.ListReleasesSQL(s, &tc.p)
		require.NoError(t, err, tc.name)
		sort := "off"
		if tc.sorted {
			sort = "on"
		}
		_, err = conn.Exec(t.Context(), "SET enable_sort = "+sort)
		require.NoError(t, err)
		plan := explain(t, conn.Conn(), q, args...)
		require.NotContains(t, plan, "Seq Scan", "%s:\n%s", tc.name, plan)
		// A filter on unfinished statuses may take releases_unfinished,
		// which is in list order too.
		require.Regexp(t, " using ("+tc.index+") ", plan, "%s:\n%s", tc.name, plan)
		require.Contains(t, plan, "Backward using events_pkey", "%s: the last event of each listed release:\n%s", tc.name, plan)
		if !tc.sorted {
			require.NotContains(t, plan, "Sort  (", "%s: a sort node:\n%s", tc.name, plan) // a Merge Append merges sorted scans
		}
	}
	_, err = conn.Exec(t.Context(), "SET enable_sort = off")
	require.NoError(t, err)
	// The unfinished releases an executor resumes: their own partial
	// index, in list order.
	first, next := postgres.UnfinishedSQL(s)
	for _, q := range []struct {
		sql  string
		args []any
	}{{first, []any{1000}}, {next, []any{int64(1), int32(2), "x", 1000}}} {
		plan := explain(t, conn.Conn(), q.sql, q.args...)
		require.Contains(t, plan, " using releases_unfinished ", "unfinished:\n%s", plan)
		require.NotContains(t, plan, "Seq Scan", "unfinished:\n%s", plan)
		require.NotContains(t, plan, "Sort  (", "unfinished:\n%s", plan)
	}
	for name, q := range map[string]string{
		"events":            `SELECT seq FROM _s.events WHERE release_id = $1 AND seq > $2 ORDER BY seq LIMIT 100`,
		"processes":         `SELECT id FROM _s.processes AS p WHERE id > '' AND version = (SELECT max(version) FROM _s.processes WHERE id = p.id) ORDER BY id LIMIT 100`,
		"input sets":        `SELECT id FROM _s.input_sets WHERE id > '' AND process_id = 'mobile' ORDER BY id LIMIT 100`,
		"groups by process": `SELECT id FROM _s.release_groups WHERE id > '' AND process_id = 'mobile' ORDER BY id LIMIT 100`,
		"group history":     `SELECT id FROM _s.group_history WHERE group_id = 'g' AND (occ_s, occ_ns, id) > (1, 2, 3) ORDER BY occ_s, occ_ns, id LIMIT 100`,
		"group history, newest first": `SELECT id FROM _s.group_history WHERE group_id = 'g' AND (occ_s, occ_ns, id) < (1, 2, 3)
			ORDER BY occ_s DESC, occ_ns DESC, id DESC LIMIT 100`,
		"anchors": `SELECT seq FROM _s.anchors WHERE release_id = 'r' AND seq > 0 ORDER BY seq LIMIT 100`,
	} {
		var args []any
		if name == "events" {
			args = []any{"0190d000-0000-7000-8000-000000000001", 0}
		}
		plan := explain(t, conn.Conn(), postgres.SQL(s, q), args...)
		require.NotContains(t, plan, "Seq Scan", "%s:\n%s", name, plan)
		require.NotContains(t, plan, "Sort  (", "%s:\n%s", name, plan)
	}
}

// pricedOut returns a store in a fresh schema and a connection to explain
// its queries on, with sequential scans, sorts and bitmap scans priced
// out, until the test's end.
func pricedOut(t *testing.T) (*postgres.Store, *pgxpool.Conn) {
	t.Helper()
	pool := testPool(t, 2)
	s := newStore(t, pool)
	conn, err := pool.Acquire(t.Context())
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = conn.Exec(context.Background(), "RESET ALL") // the connection goes back to the pool either way
		conn.Release()
	})
	for _, set := range []string{"enable_seqscan", "enable_sort", "enable_bitmapscan"} {
		_, err := conn.Exec(t.Context(), "SET "+set+" = off")
		require.NoError(t, err)
	}
	return s, conn
}

// explain returns the plan of q as text.
func explain(t *testing.T, conn interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}, q string, args ...any) string {
	t.Helper()
	rows, err := conn.Query(t.Context(), "EXPLAIN "+q, args...)
	require.NoError(t, err)
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return strings.Join(lines, "\n")
}

// The digest listing, in (scheduled, id) order, reads the window's
// releases from releases_scheduled in that order from the cursor, without
// a sort, and each one's digest by key (scans and sorts priced out, as in
// TestListQueriesUseIndexesWithoutSorting).
func TestDigestListingUsesTheScheduledIndexWithoutSorting(t *testing.T) {
	s, conn := pricedOut(t)
	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	cursor := "eyJzIjoxLCJucyI6MiwiaWQiOiJ4In0" // {"s":1,"ns":2,"id":"x"}
	for name, p := range map[string]store.ListReleaseDigestsParams{
		"all": {}, "all, next page": {Cursor: cursor},
		"window": {ScheduledFrom: from, ScheduledTo: to}, "window, next page": {ScheduledFrom: from, ScheduledTo: to, Cursor: cursor},
	} {
		q, args, err := postgres.ListDigestsSQL(s, &p)
		require.NoError(t, err, name)
		plan := explain(t, conn.Conn(), q, args...)
		require.NotContains(t, plan, "Seq Scan", "%s:\n%s", name, plan)
		require.NotContains(t, plan, "Sort  (", "%s: a sort node:\n%s", name, plan)
		require.Contains(t, plan, " using releases_scheduled ", "%s:\n%s", name, plan)
		require.Contains(t, plan, " using release_digests_pkey ", "%s: each digest by key:\n%s", name, plan)
	}
}
