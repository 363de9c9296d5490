package sqlite_test

import (
	"context"
	"encoding/json"
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

// nullArgs returns a parameter for each ? of q.
func nullArgs(q string) []any { return make([]any, strings.Count(q, "?")) }

// TestLinkQueriesUseTheirIndexes checks that every query of the link
// index seeks (or, for conflicts, walks) its index in the order it
// returns: no step scans the links table, and nothing is sorted.
func TestLinkQueriesUseTheirIndexes(t *testing.T) {
	s := openTemp(t, nil)
	want := map[string]string{
		"find by ref": "links_ref", "find by ref and kind after": "links_ref",
		"find by url": "links_url", "find by url and kind after": "links_url",
		"deployed now": "links_deployed", "next env": "links_deployed", "deployments in env": "links_deployed", "next key": "links_deployed",
		"history": "links_deployed", "history after": "links_deployed",
		"conflicts": "links_claims", "conflicts of env and service after": "links_claims", "claims": "links_claims",
	}
	queries := sqlite.LinkQueries()
	require.Len(t, queries, len(want), "every query has its expected index")
	for name, q := range queries {
		plan := queryPlan(t, sqlite.ReadDB(s), q, nullArgs(q)...)
		require.Regexp(t, regexp.MustCompile(`(SEARCH|SCAN) links USING (COVERING )?INDEX `+want[name]+`\b`), plan, name)
		if name != "deployments in env" { // it sorts its page (up to Limit rows), nothing more
			require.NotContains(t, plan, "TEMP B-TREE", name)
		}
		require.NotRegexp(t, regexp.MustCompile(`(?m)^SCAN links$`), plan, name)
		if name != "conflicts" {
			require.NotRegexp(t, regexp.MustCompile(`SCAN (links|l)\b`), plan, "%s: seeks, does not walk the index from its start", name)
		}
	}
}

// linkAnswers asks s every link question about the data of
// TestMigration10FillsTheLinkIndexFromStoredEvents, as JSON.
func linkAnswers(t *testing.T, s store.LinkStore) string {
	t.Helper()
	ctx := context.Background()
	var out []any
	for _, p := range []store.FindLinksParams{{Ref: "abc123"}, {Kind: release.LinkTicket, Ref: "CHG-1"}, {URL: "https://cd/api/2"}} {
		page, err := s.FindLinks(ctx, &p)
		require.NoError(t, err)
		out = append(out, page)
	}
	dep, err := s.ListDeployments(ctx, &store.ListDeploymentsParams{})
	require.NoError(t, err)
	hist, err := s.ListDeploymentHistory(ctx, &store.ListDeploymentHistoryParams{Environment: "prod", Service: "api"})
	require.NoError(t, err)
	conf, err := s.ListDeploymentConflicts(ctx, &store.ListDeploymentConflictsParams{})
	require.NoError(t, err)
	out = append(out, dep, hist, conf)
	b, err := json.MarshalIndent(out, "", " ")
	require.NoError(t, err)
	return string(b)
}

// TestMigration10FillsTheLinkIndexFromStoredEvents stores links, turns the
// file back into a version 9 database (no link index) and opens it
// again: the migration rebuilds the index from the events, giving the
// answers the live index gave.
func TestMigration10FillsTheLinkIndexFromStoredEvents(t *testing.T) {
	path := filepath.Join(t.TempDir(), "baton.db")
	s, err := sqlite.Open(path, &sqlite.Options{Synchronous: sqlite.SyncNormal})
	require.NoError(t, err)
	ctx := context.Background()
	deployment := func(v string) release.Link {
		return release.Link{Kind: release.LinkDeployment, Service: "api", Environment: "prod", Version: v, URL: "https://cd/api/" + v}
	}
	for i := range 1100 { // more than one range of the backfill (1000 releases)
		p := testProcess("deploy", 2)
		r, created, err := release.Create(newID(t, i+1), t0, "alice", "", release.ReleaseCreatedPayload{Name: "r", Process: p})
		require.NoError(t, err)
		require.NoError(t, s.CreateRelease(ctx, &store.CreateReleaseParams{Events: []release.Event{created}, Release: r}))
		if i%500 != 0 {
			continue
		}
		at := t0.Add(time.Duration(i) * time.Minute)
		v := fmt.Sprint(i / 500)
		appendAll(t, s, r, []release.Event{
			mustEvent(t, at, release.ReleaseStartedPayload{}), mustEvent(t, at, release.PhaseStartedPayload{Phase: "p000"}),
			mustEvent(t, at, release.ActivityStartedPayload{Activity: "p000.a00000"}),
			mustEvent(t, at, release.LinkAddedPayload{Activity: "p000.a00000", Link: release.Link{Kind: release.LinkCommit, Ref: "abc123"}}),
			mustEvent(t, at, release.LinkAddedPayload{Link: release.Link{Kind: release.LinkTicket, Ref: "CHG-1"}}),
			mustEvent(t, at, release.LinkAddedPayload{Activity: "p000.a00000", Link: deployment(v)}),
			mustEvent(t, at.Add(time.Second), release.ActivitySucceededPayload{Activity: "p000.a00000"}),
			mustEvent(t, at.Add(time.Second), release.LinkAddedPayload{Activity: "p000.a00000", Link: deployment("same")}),
		})
		if i == 1000 {
			appendAll(t, s, r, []release.Event{mustEvent(t, at.Add(time.Hour), release.ReleaseRollbackStartedPayload{}),
				mustEvent(t, at.Add(time.Hour), release.ActivityRolledBackPayload{Activity: "p000.a00000"})})
		}
	}
	live := linkAnswers(t, s)
	require.Contains(t, live, `"Releases": 2`, "the two releases that were not rolled back claim version same")
	require.Contains(t, live, `"Succeeded": false`, "release 1001's deployment was rolled back")
	require.NoError(t, s.Close())

	db := rawDB(t, path)
	_, err = db.Exec(`DROP TABLE links; ` +
		// and retention's, policies' and digests' migrations, undone
		`DROP TABLE release_digests; DROP INDEX releases_undigested; ALTER TABLE releases DROP COLUMN digested; ` +
		`DROP TABLE policies; ` +
		`DROP INDEX releases_ended; DROP INDEX releases_ended_process; DROP INDEX releases_ended_group;
		ALTER TABLE releases DROP COLUMN ended_s; ALTER TABLE releases DROP COLUMN ended_ns; DROP TABLE deletions;
		PRAGMA user_version = 9`)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	require.Equal(t, 9, schemaVersion(t, path))

	s, err = sqlite.Open(path, &sqlite.Options{Synchronous: sqlite.SyncNormal})
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, sqlite.SchemaVersion, schemaVersion(t, path))
	require.Equal(t, live, linkAnswers(t, s))
}
