package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// linkKey names a link in the expectations: its release and event.
type linkKey struct {
	release release.ID
	seq     int64
}

func keysOf(recs []store.LinkRecord) []linkKey {
	out := make([]linkKey, len(recs))
	for i, r := range recs {
		out[i] = linkKey{r.Release, r.Seq}
	}
	return out
}

// findAll pages through FindLinks with the given limit.
func findAll(t *testing.T, ls store.LinkStore, p store.FindLinksParams) []store.LinkRecord {
	t.Helper()
	var out []store.LinkRecord
	for range 100 {
		page, err := ls.FindLinks(ctx(t), &p)
		require.NoError(t, err)
		if p.Limit > 0 {
			require.LessOrEqual(t, len(page.Links), p.Limit)
		}
		out = append(out, page.Links...)
		if page.Next == "" {
			return out
		}
		p.Cursor = page.Next
	}
	t.Fatal("FindLinks: no end after 100 pages")
	return nil
}

func deploymentsAll(t *testing.T, ls store.LinkStore, p store.ListDeploymentsParams) []store.LinkRecord {
	t.Helper()
	var out []store.LinkRecord
	for range 100 {
		page, err := ls.ListDeployments(ctx(t), &p)
		require.NoError(t, err)
		if p.Limit > 0 {
			require.LessOrEqual(t, len(page.Links), p.Limit)
		}
		out = append(out, page.Links...)
		if page.Next == "" {
			return out
		}
		p.Cursor = page.Next
	}
	t.Fatal("ListDeployments: no end after 100 pages")
	return nil
}

func historyAll(t *testing.T, ls store.LinkStore, p store.ListDeploymentHistoryParams) []store.LinkRecord {
	t.Helper()
	var out []store.LinkRecord
	for range 100 {
		page, err := ls.ListDeploymentHistory(ctx(t), &p)
		require.NoError(t, err)
		if p.Limit > 0 {
			require.LessOrEqual(t, len(page.Links), p.Limit)
		}
		out = append(out, page.Links...)
		if page.Next == "" {
			return out
		}
		p.Cursor = page.Next
	}
	t.Fatal("ListDeploymentHistory: no end after 100 pages")
	return nil
}

func conflictsAll(t *testing.T, ls store.LinkStore, p store.ListDeploymentConflictsParams) []store.DeploymentConflict {
	t.Helper()
	var out []store.DeploymentConflict
	for range 100 {
		page, err := ls.ListDeploymentConflicts(ctx(t), &p)
		require.NoError(t, err)
		if p.Limit > 0 {
			require.LessOrEqual(t, len(page.Conflicts), p.Limit)
		}
		out = append(out, page.Conflicts...)
		if page.Next == "" {
			return out
		}
		p.Cursor = page.Next
	}
	t.Fatal("ListDeploymentConflicts: no end after 100 pages")
	return nil
}

// deploy is a deployment link of service to env at version.
func deploy(service, env, version string) release.Link {
	return release.Link{Kind: release.LinkDeployment, Service: service, Environment: env, Version: version,
		URL: "https://cd.example.com/" + env + "/" + service + "/" + version}
}

// linkOn records a link on activity k (empty: on the release) and returns
// the key of the link.added event.
func linkOn(t *testing.T, st store.Store, r *release.Release, at time.Time, k release.ActivityKey, l release.Link) linkKey {
	t.Helper()
	ev := appendTo(t, st, r, at, release.LinkAddedPayload{Activity: k, Link: l})
	return linkKey{r.ID, ev[0].Seq}
}

// compileTo starts r and build.compile, and ends the activity as end
// says ("succeeded", "failed" or "running": left running).
func compileTo(t *testing.T, st store.Store, r *release.Release, at time.Time, end string) {
	t.Helper()
	startRelease(t, st, r, at)
	appendTo(t, st, r, at, release.ActivityStartedPayload{Activity: "build.compile"})
	switch end {
	case "succeeded":
		appendTo(t, st, r, at.Add(time.Minute), release.ActivitySucceededPayload{Activity: "build.compile"})
	case "failed":
		appendTo(t, st, r, at.Add(time.Minute), release.ActivityFailedPayload{Activity: "build.compile", Error: "boom"})
	}
}

func (s *suite) linkTests(t *testing.T) {
	ls := func(st store.Store) store.LinkStore { return st.(store.LinkStore) }
	group(t, "FindLinks", func(t *testing.T) {
		s.run(t, "FindsTheReleasesThatCarriedARefOrURL", func(t *testing.T, st store.Store) {
			r1 := createRelease(t, st, releaseSpec{})
			r2 := createRelease(t, st, releaseSpec{createdAt: base.Add(time.Second)})
			r3 := createRelease(t, st, releaseSpec{createdAt: base.Add(2 * time.Second)})
			commit := release.Link{Kind: release.LinkCommit, Ref: "abc123", URL: "https://git.example.com/c/abc123", Title: "fix the build"}
			k1 := linkOn(t, st, r1, base.Add(time.Minute), "build.compile", commit)
			linkOn(t, st, r1, base.Add(time.Minute), "", release.Link{Kind: release.LinkTicket, Ref: "JIRA-7"})
			k2 := linkOn(t, st, r2, base.Add(2*time.Minute), "", release.Link{Kind: release.LinkCommit, Ref: "abc123"})
			linkOn(t, st, r3, base.Add(3*time.Minute), "", release.Link{Kind: release.LinkCommit, Ref: "def456"})
			k3 := linkOn(t, st, r3, base.Add(3*time.Minute), "", release.Link{Kind: release.LinkArtifact, Ref: "abc123"})
			task := appendTo(t, st, r2, base.Add(4*time.Minute), release.LinkAddedPayload{Activity: "qa.regression", Task: "run-suite",
				Link: release.Link{Kind: release.LinkTicket, Ref: "JIRA-7", URL: "https://jira.example.com/JIRA-7"}})

			byID := func(keys ...linkKey) []linkKey {
				out := append([]linkKey(nil), keys...)
				for i := 1; i < len(out); i++ { // insertion sort: a handful
					for j := i; j > 0 && (out[j].release < out[j-1].release ||
						(out[j].release == out[j-1].release && out[j].seq < out[j-1].seq)); j-- {
						out[j], out[j-1] = out[j-1], out[j]
					}
				}
				return out
			}
			got := findAll(t, ls(st), store.FindLinksParams{Kind: release.LinkCommit, Ref: "abc123"})
			require.Equal(t, byID(k1, k2), keysOf(got), "ordered by (Release, Seq)")
			require.Equal(t, byID(k1, k2, k3), keysOf(findAll(t, ls(st), store.FindLinksParams{Ref: "abc123"})), "any kind")
			require.Equal(t, byID(k1, k2, k3), keysOf(findAll(t, ls(st), store.FindLinksParams{Ref: "abc123", Limit: 1})), "paged")
			require.Equal(t, []linkKey{k1}, keysOf(findAll(t, ls(st), store.FindLinksParams{URL: commit.URL})), "by URL")
			require.Empty(t, findAll(t, ls(st), store.FindLinksParams{Kind: release.LinkTicket, Ref: "abc123"}))
			require.Empty(t, findAll(t, ls(st), store.FindLinksParams{Ref: "abc"}), "whole refs only")

			for _, rec := range got {
				if rec.Release == r1.ID {
					want := commit
					want.Activity, want.Actor, want.At = "build.compile", "bob", base.Add(time.Minute)
					require.True(t, want.At.Equal(rec.Link.At))
					requireSameJSON(t, want, rec.Link)
					require.False(t, rec.Succeeded)
					require.True(t, rec.SucceededAt.IsZero())
				}
			}
			tickets := findAll(t, ls(st), store.FindLinksParams{URL: "https://jira.example.com/JIRA-7"})
			require.Len(t, tickets, 1)
			require.Equal(t, linkKey{r2.ID, task[0].Seq}, keysOf(tickets)[0])
			require.Equal(t, release.ActivityKey("qa.regression"), tickets[0].Link.Activity)
			require.Equal(t, "run-suite", tickets[0].Link.Task)
		})
		s.run(t, "LinksStoredWithTheReleaseAreIndexed", func(t *testing.T, st store.Store) {
			r, created := newRelease(t, releaseSpec{})
			more := record(t, r, base, release.LinkAddedPayload{Link: release.Link{Kind: release.LinkTicket, Ref: "CHG-1"}})
			require.NoError(t, st.CreateRelease(ctx(t), &store.CreateReleaseParams{Events: append([]release.Event{created}, more...), Release: r}))
			got := findAll(t, ls(st), store.FindLinksParams{Kind: release.LinkTicket, Ref: "CHG-1"})
			require.Equal(t, []linkKey{{r.ID, 2}}, keysOf(got))
		})
		s.run(t, "RefusesBadParamsAndCursors", func(t *testing.T, st store.Store) {
			for name, p := range map[string]*store.FindLinksParams{
				"nil": nil, "neither": {Kind: release.LinkCommit}, "both": {Ref: "a", URL: "https://a"},
				"a cursor it did not make": {Ref: "a", Cursor: "not-a-cursor"},
			} {
				_, err := ls(st).FindLinks(ctx(t), p)
				require.ErrorIs(t, err, store.ErrInvalid, name)
			}
			r := createRelease(t, st, releaseSpec{})
			compileTo(t, st, r, base, "succeeded")
			linkOn(t, st, r, base.Add(time.Hour), "build.compile", deploy("api", "prod", "1"))
			linkOn(t, st, r, base.Add(time.Hour), "build.compile", deploy("web", "prod", "1"))
			page, err := ls(st).ListDeployments(ctx(t), &store.ListDeploymentsParams{Limit: 1})
			require.NoError(t, err)
			require.NotEmpty(t, page.Next)
			_, err = ls(st).FindLinks(ctx(t), &store.FindLinksParams{Ref: "a", Cursor: page.Next})
			require.ErrorIs(t, err, store.ErrInvalid, "a cursor of another query")
		})
		s.run(t, "AnAppendWithALinkTheIndexCannotHoldWritesNothing", func(t *testing.T, st store.Store) {
			r := createRelease(t, st, releaseSpec{})
			for name, l := range map[string]release.Link{
				"a long url":        {Kind: release.LinkBuild, URL: "https://ci.example.com/" + strings.Repeat("x", store.MaxLinkURL)},
				"a long ref":        {Kind: release.LinkCommit, Ref: strings.Repeat("a", store.MaxLinkText+1)},
				"a control char":    {Kind: release.LinkCommit, Ref: "abc\x00def"},
				"a newline version": {Kind: release.LinkDeployment, Ref: "r", Service: "api", Environment: "prod", Version: "1\n2"},
			} {
				expected := r.Seq
				c := r.Clone()
				sealed := record(t, c, base, release.LinkAddedPayload{Link: l})
				err := st.AppendEvents(ctx(t), &store.AppendEventsParams{ExpectedSeq: expected, Events: sealed, Release: c})
				require.ErrorIs(t, err, store.ErrInvalid, name)
			}
			requireStoredRelease(t, st, r)
			appendTo(t, st, r, base, release.CommentAddedPayload{Text: "still appendable"})
		})
	})

	group(t, "ListDeployments", func(t *testing.T) {
		s.run(t, "TheLastSuccessWinsAndARollbackRestoresTheOneBefore", func(t *testing.T, st store.Store) {
			t1, t2 := base.Add(time.Hour), base.Add(2*time.Hour)
			// r1 links first, then succeeds.
			r1 := createRelease(t, st, releaseSpec{})
			startRelease(t, st, r1, t1)
			appendTo(t, st, r1, t1, release.ActivityStartedPayload{Activity: "build.compile"})
			k1 := linkOn(t, st, r1, t1, "build.compile", deploy("api", "prod", "1.0"))
			appendTo(t, st, r1, t1.Add(time.Minute), release.ActivitySucceededPayload{Activity: "build.compile"})
			// r2 succeeds, then links (as adapters report them).
			r2 := createRelease(t, st, releaseSpec{createdAt: base.Add(time.Second)})
			compileTo(t, st, r2, t2, "succeeded")
			k2 := linkOn(t, st, r2, t2.Add(time.Hour), "build.compile", deploy("api", "prod", "2.0"))
			// r3 fails, r4 still runs, r5 links on the release: none counts.
			r3 := createRelease(t, st, releaseSpec{createdAt: base.Add(2 * time.Second)})
			compileTo(t, st, r3, t2.Add(time.Hour), "failed")
			linkOn(t, st, r3, t2.Add(time.Hour), "build.compile", deploy("api", "prod", "3.0"))
			r4 := createRelease(t, st, releaseSpec{createdAt: base.Add(3 * time.Second)})
			compileTo(t, st, r4, t2.Add(time.Hour), "running")
			linkOn(t, st, r4, t2.Add(time.Hour), "build.compile", deploy("api", "prod", "4.0"))
			r5 := createRelease(t, st, releaseSpec{createdAt: base.Add(4 * time.Second)})
			linkOn(t, st, r5, t2.Add(time.Hour), "", deploy("api", "prod", "5.0"))
			// Another service and environment.
			r6 := createRelease(t, st, releaseSpec{createdAt: base.Add(5 * time.Second)})
			compileTo(t, st, r6, t1, "succeeded")
			k6 := linkOn(t, st, r6, t1, "build.compile", deploy("web", "staging", "9"))
			k6b := linkOn(t, st, r6, t1, "build.compile", deploy("api", "staging", "2.0"))

			got := deploymentsAll(t, ls(st), store.ListDeploymentsParams{})
			require.Equal(t, []linkKey{k2, k6b, k6}, keysOf(got), "by (environment, service)")
			require.Equal(t, "2.0", got[0].Link.Version)
			require.True(t, got[0].Succeeded)
			require.True(t, got[0].SucceededAt.Equal(t2.Add(time.Minute)), "when the activity succeeded, not when linked: %v", got[0].SucceededAt)
			require.Equal(t, keysOf(got), keysOf(deploymentsAll(t, ls(st), store.ListDeploymentsParams{Limit: 1})), "paged")
			require.Equal(t, []linkKey{k2}, keysOf(deploymentsAll(t, ls(st), store.ListDeploymentsParams{Environment: "prod"})))
			require.Equal(t, []linkKey{k6b, k6}, keysOf(deploymentsAll(t, ls(st), store.ListDeploymentsParams{Environment: "staging"})))
			require.Equal(t, []linkKey{k2, k6b}, keysOf(deploymentsAll(t, ls(st), store.ListDeploymentsParams{Service: "api"})))
			require.Empty(t, deploymentsAll(t, ls(st), store.ListDeploymentsParams{Environment: "dev"}))

			hist := historyAll(t, ls(st), store.ListDeploymentHistoryParams{Environment: "prod", Service: "api"})
			require.Equal(t, []linkKey{k2, k1}, keysOf(hist), "newest first; failed, running and release-level links left out")
			require.True(t, hist[1].SucceededAt.Equal(t1.Add(time.Minute)))
			require.Equal(t, keysOf(hist), keysOf(historyAll(t, ls(st), store.ListDeploymentHistoryParams{Environment: "prod", Service: "api", Limit: 1})))

			// r2's deployment is rolled back: r1's runs again.
			appendTo(t, st, r2, t2.Add(2*time.Hour), release.ReleaseRollbackStartedPayload{},
				release.ActivityRolledBackPayload{Activity: "build.compile"})
			require.Equal(t, []linkKey{k1}, keysOf(deploymentsAll(t, ls(st), store.ListDeploymentsParams{Environment: "prod"})))
			require.Equal(t, []linkKey{k1}, keysOf(historyAll(t, ls(st), store.ListDeploymentHistoryParams{Environment: "prod", Service: "api"})))
			found := findAll(t, ls(st), store.FindLinksParams{URL: deploy("api", "prod", "2.0").URL})
			require.Len(t, found, 1, "a rolled-back deployment is still found as a link")
			require.False(t, found[0].Succeeded)

			// r4's activity succeeds now: it deployed last.
			appendTo(t, st, r4, t2.Add(3*time.Hour), release.ActivitySucceededPayload{Activity: "build.compile"})
			require.Equal(t, "4.0", deploymentsAll(t, ls(st), store.ListDeploymentsParams{Environment: "prod"})[0].Link.Version)
		})
		s.run(t, "RefusesBadParams", func(t *testing.T, st store.Store) {
			_, err := ls(st).ListDeployments(ctx(t), nil)
			require.ErrorIs(t, err, store.ErrInvalid)
			_, err = ls(st).ListDeployments(ctx(t), &store.ListDeploymentsParams{Cursor: "%%"})
			require.ErrorIs(t, err, store.ErrInvalid)
			for name, p := range map[string]*store.ListDeploymentHistoryParams{
				"nil": nil, "no service": {Environment: "prod"}, "no environment": {Service: "api"},
				"a bad cursor": {Environment: "prod", Service: "api", Cursor: "eyJ4Ijox"},
			} {
				_, err := ls(st).ListDeploymentHistory(ctx(t), p)
				require.ErrorIs(t, err, store.ErrInvalid, name)
			}
			_, err = ls(st).ListDeploymentConflicts(ctx(t), nil)
			require.ErrorIs(t, err, store.ErrInvalid)
		})
	})

	group(t, "ListDeploymentConflicts", func(t *testing.T) {
		s.run(t, "ADeploymentClaimedByTwoReleases", func(t *testing.T, st store.Store) {
			at := base.Add(time.Hour)
			var rs []*release.Release
			for i := range 4 {
				r := createRelease(t, st, releaseSpec{createdAt: base.Add(time.Duration(i) * time.Second)})
				compileTo(t, st, r, at.Add(time.Duration(i)*time.Minute), "succeeded")
				rs = append(rs, r)
			}
			a := linkOn(t, st, rs[0], at, "build.compile", deploy("api", "prod", "1.0"))
			linkOn(t, st, rs[0], at, "build.compile", deploy("api", "prod", "1.0")) // twice by one release: one claim
			b := linkOn(t, st, rs[1], at, "build.compile", deploy("api", "prod", "1.0"))
			linkOn(t, st, rs[2], at, "build.compile", deploy("api", "prod", "2.0"))
			c := linkOn(t, st, rs[2], at, "build.compile", deploy("web", "prod", "7"))
			d := linkOn(t, st, rs[3], at, "build.compile", deploy("web", "prod", "7"))
			linkOn(t, st, rs[3], at, "build.compile", deploy("web", "staging", "7"))
			// A failed release's claim does not count.
			failed := createRelease(t, st, releaseSpec{createdAt: base.Add(time.Minute)})
			compileTo(t, st, failed, at, "failed")
			linkOn(t, st, failed, at, "build.compile", deploy("api", "prod", "2.0"))

			got := conflictsAll(t, ls(st), store.ListDeploymentConflictsParams{})
			require.Len(t, got, 2)
			order := func(x, y linkKey) []linkKey {
				if y.release < x.release {
					return []linkKey{y, x}
				}
				return []linkKey{x, y}
			}
			require.Equal(t, "prod", got[0].Environment)
			require.Equal(t, "api", got[0].Service)
			require.Equal(t, "1.0", got[0].Version)
			require.Equal(t, 2, got[0].Releases)
			require.Equal(t, order(a, b), keysOf(got[0].Claims))
			require.Equal(t, "web", got[1].Service)
			require.Equal(t, order(c, d), keysOf(got[1].Claims))
			require.Len(t, conflictsAll(t, ls(st), store.ListDeploymentConflictsParams{Limit: 1}), 2, "paged")
			only := conflictsAll(t, ls(st), store.ListDeploymentConflictsParams{Service: "web"})
			require.Len(t, only, 1)
			require.Equal(t, "7", only[0].Version)
			require.Empty(t, conflictsAll(t, ls(st), store.ListDeploymentConflictsParams{Environment: "staging"}))

			// Rolling one claim back ends the conflict.
			appendTo(t, st, rs[3], at.Add(time.Hour), release.ReleaseRollbackStartedPayload{},
				release.ActivityRolledBackPayload{Activity: "build.compile"})
			got = conflictsAll(t, ls(st), store.ListDeploymentConflictsParams{})
			require.Len(t, got, 1)
			require.Equal(t, "api", got[0].Service)
		})
	})
}
