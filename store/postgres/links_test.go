package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/postgres"
)

// linkAnswers asks s every link question about the data of
// TestMigration9FillsTheLinkIndexFromStoredEvents, as JSON.
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

// TestMigration9FillsTheLinkIndexFromStoredEvents stores links, turns the
// schema back into version 8 (no link index) and opens it again: the
// migration rebuilds the index from the events (in SQL), giving the
// answers the live index gave, times to the nanosecond.
func TestMigration9FillsTheLinkIndexFromStoredEvents(t *testing.T) {
	ctx := context.Background()
	pool := testPool(t, 4)
	schema := freshSchema(t, pool)
	s, err := postgres.NewFromPool(ctx, pool, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	deployment := func(v string) release.Link {
		return release.Link{Kind: release.LinkDeployment, Service: "api", Environment: "prod", Version: v, URL: "https://cd/api/" + v}
	}
	rec := func(r *release.Release, at time.Time, ps ...release.Payload) {
		t.Helper()
		events := make([]release.Event, len(ps))
		for i, p := range ps {
			e, err := release.NewEvent(at, "bob", "", p)
			require.NoError(t, err)
			events[i] = e
		}
		expected := r.Seq
		sealed, err := r.Record(events...)
		require.NoError(t, err)
		require.NoError(t, s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: expected, Events: sealed, Release: r}))
	}
	base := time.Date(2026, 3, 2, 9, 0, 0, 123456789, time.UTC)
	for i := range 4 {
		at := base.Add(time.Duration(i) * time.Hour)
		r := createTestRelease(t, s, mustID(t, at), at)
		rec(r, at, release.ReleaseStartedPayload{}, release.PhaseStartedPayload{Phase: "build"},
			release.ActivityStartedPayload{Activity: "build.compile"},
			release.LinkAddedPayload{Activity: "build.compile", Link: release.Link{Kind: release.LinkCommit, Ref: "abc123"}},
			release.LinkAddedPayload{Link: release.Link{Kind: release.LinkTicket, Ref: "CHG-1", Title: "change \"1\""}},
			release.LinkAddedPayload{Activity: "build.compile", Link: deployment(fmt.Sprint(i))})
		rec(r, at.Add(time.Second+7), release.ActivitySucceededPayload{Activity: "build.compile"},
			release.LinkAddedPayload{Activity: "build.compile", Link: deployment("same")})
		if i == 2 {
			rec(r, at.Add(time.Minute), release.ReleaseRollbackStartedPayload{}, release.ActivityRolledBackPayload{Activity: "build.compile"})
		}
	}
	live := linkAnswers(t, s)
	require.Contains(t, live, `"Releases": 3`, "three releases that were not rolled back claim version same")
	require.Contains(t, live, `"Succeeded": false`, "a deployment was rolled back")
	require.NoError(t, s.Close())

	for _, q := range []string{`DROP TABLE ` + schema + `.links`,
		// and retention's, policies' and digests' migrations, undone
		`DROP TABLE ` + schema + `.release_digests`,
		`DROP TABLE ` + schema + `.policies`,
		`DROP TRIGGER releases_not_deleted ON ` + schema + `.releases`, `DROP FUNCTION ` + schema + `.releases_not_deleted()`,
		`DROP TABLE ` + schema + `.deletions`, `ALTER TABLE ` + schema + `.releases DROP COLUMN ended_s, DROP COLUMN ended_ns`,
		`DELETE FROM ` + schema + `.schema_version WHERE version >= 9`} {
		_, err := pool.Exec(ctx, q)
		require.NoError(t, err)
	}
	s, err = postgres.NewFromPool(ctx, pool, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	require.Equal(t, live, linkAnswers(t, s))
}
