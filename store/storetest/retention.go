package storetest

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// endRelease aborts r at the given time: it ends there.
func endRelease(t *testing.T, st store.Store, r *release.Release, at time.Time) {
	t.Helper()
	appendTo(t, st, r, at, release.ReleaseAbortedPayload{})
	require.True(t, r.Status.Terminal())
}

// deleteParams are the params that delete r as it is now.
func deleteParams(r *release.Release, at time.Time) *store.DeleteReleaseParams {
	return &store.DeleteReleaseParams{Release: r.ID, ExpectedSeq: r.Seq, Actor: "retention", Rule: "keep-30d",
		Reason: "older than 30 days", Archive: "s3://audit/" + string(r.ID), Now: at}
}

// listEnded reads every page of ListEnded with p.
func listEnded(t *testing.T, rs store.RetentionStore, p store.ListEndedParams) []release.ID {
	t.Helper()
	var ids []release.ID
	for range 1000 {
		page, err := rs.ListEnded(ctx(t), &p)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page.Releases), store.ClampLimit(p.Limit))
		for _, r := range page.Releases {
			require.True(t, r.Status.Terminal())
			require.True(t, r.EndedAt.Before(p.EndedBefore))
			ids = append(ids, r.ID)
		}
		if page.Next == "" {
			return ids
		}
		p.Cursor = page.Next
	}
	t.Fatal("ListEnded: too many pages")
	return nil
}

// requireGone checks that nothing of release id can be read any more.
func requireGone(t *testing.T, st store.Store, id release.ID) {
	t.Helper()
	_, err := st.GetRelease(ctx(t), id)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = st.GetReleaseSummary(ctx(t), id)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = st.ListEvents(ctx(t), &store.ListEventsParams{Release: id})
	require.ErrorIs(t, err, store.ErrNotFound)
	if as, ok := st.(store.AnchorStore); ok {
		_, err = as.ListAnchors(ctx(t), &store.ListAnchorsParams{Release: id})
		require.ErrorIs(t, err, store.ErrNotFound)
	}
	page, err := st.ListReleases(ctx(t), &store.ListReleasesParams{Limit: store.MaxLimit})
	require.NoError(t, err)
	for _, s := range page.Releases {
		require.NotEqual(t, id, s.ID, "a deleted release is not listed")
	}
}

// feedReleases reads the whole feed and returns, in order, the release of
// each run of events of one release; it fails the test when an event comes
// twice or out of order.
func feedReleases(t *testing.T, fs store.FeedStore) []release.ID {
	t.Helper()
	var ids []release.ID
	seen := map[release.ID]int64{}
	all, _ := readFeed(t, fs, "", 7)
	for _, e := range all {
		require.Equal(t, seen[e.Release]+1, e.Seq, "release %s: each event once, in order", e.Release)
		seen[e.Release] = e.Seq
		if len(ids) == 0 || ids[len(ids)-1] != e.Release {
			ids = append(ids, e.Release)
		}
	}
	return ids
}

// requireFeedReleases waits until the feed's runs are want: a store may
// hold back a committed write while an earlier one is in flight (see
// waitFeed).
func requireFeedReleases(t *testing.T, fs store.FeedStore, want []release.ID, msg string) {
	t.Helper()
	deadline := time.Now().Add(notifyWait)
	for {
		got := feedReleases(t, fs)
		if slices.Equal(got, want) || time.Now().After(deadline) {
			require.Equal(t, want, got, msg)
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func (s *suite) retentionTests(t *testing.T, leases bool) {
	group(t, "DeleteRelease", func(t *testing.T) {
		s.run(t, "RemovesEveryRowAndRecordsTheDeletion", func(t *testing.T, st store.Store) {
			rs := st.(store.RetentionStore)
			_, anchors := st.(store.AnchorStore)
			r, created := newRelease(t, releaseSpec{group: "weekly", occurrence: base.Add(time.Hour), extra: 2, labels: map[string]string{"env": "prod"}})
			cp := &store.CreateReleaseParams{Events: []release.Event{created}, Release: r}
			if anchors {
				cp.Anchor = testAnchor(headOf(r))
			}
			require.NoError(t, st.CreateRelease(ctx(t), cp))
			kept := createRelease(t, st, releaseSpec{group: "weekly", occurrence: base.Add(2 * time.Hour)})
			startRelease(t, st, r, base.Add(time.Minute))
			// Enough events for a snapshot, so that it goes too.
			for i := range store.MinSnapshotInterval {
				appendTo(t, st, r, base.Add(2*time.Minute+time.Duration(i)*time.Second), release.CommentAddedPayload{Text: "note"})
			}
			expected := r.Seq
			ended := record(t, r, base.Add(time.Hour), release.ReleaseAbortedPayload{})
			ap := &store.AppendEventsParams{ExpectedSeq: expected, Events: ended, Release: r}
			var last *release.Anchor
			if anchors {
				last = testAnchor(headOf(r))
				ap.Anchor = last
			}
			require.NoError(t, st.AppendEvents(ctx(t), ap))
			endRelease(t, st, kept, base.Add(time.Hour))

			at := base.Add(40 * 24 * time.Hour)
			d, err := rs.DeleteRelease(ctx(t), deleteParams(r, at))
			require.NoError(t, err)
			want := store.Deletion{
				Seq: 1, Release: r.ID, Name: r.Name, Process: r.ProcessID, ProcessVersion: r.ProcessVersion,
				Group: "weekly", Occurrence: r.Occurrence, Status: release.Aborted,
				CreatedAt: r.CreatedAt, EndedAt: r.EndedAt, Labels: map[string]string{"env": "prod"}, Head: headOf(r), Anchor: last,
				DeletedAt: at, Actor: "retention", Rule: "keep-30d", Reason: "older than 30 days", Archive: "s3://audit/" + string(r.ID),
			}
			requireSameJSON(t, want, d)
			requireGone(t, st, r.ID)
			page, err := rs.ListDeletions(ctx(t), nil)
			require.NoError(t, err)
			require.Len(t, page.Deletions, 1)
			requireSameJSON(t, want, page.Deletions[0])
			require.Empty(t, page.Next)
			require.Empty(t, listEnded(t, rs, store.ListEndedParams{EndedBefore: at, Process: "nothing"}))
			require.Equal(t, []release.ID{kept.ID}, listEnded(t, rs, store.ListEndedParams{EndedBefore: at}))
			requireStoredRelease(t, st, kept)
		})
		s.run(t, "RefusesAnUnfinishedRelease", func(t *testing.T, st store.Store) {
			rs := st.(store.RetentionStore)
			scheduled := createRelease(t, st, releaseSpec{})
			running := createRelease(t, st, releaseSpec{})
			startRelease(t, st, running, base)
			for _, r := range []*release.Release{scheduled, running} {
				_, err := rs.DeleteRelease(ctx(t), deleteParams(r, base.Add(time.Hour)))
				require.ErrorIs(t, err, store.ErrNotFinished, r.Status)
				var nf *store.NotFinishedError
				require.True(t, errors.As(err, &nf), "a *store.NotFinishedError: %v", err)
				require.Equal(t, r.ID, nf.Release)
				require.Equal(t, r.Status, nf.Status)
				requireStoredRelease(t, st, r)
			}
			page, err := rs.ListDeletions(ctx(t), nil)
			require.NoError(t, err)
			require.Empty(t, page.Deletions)
		})
		s.run(t, "StaleExpectedSeqIsAConflict", func(t *testing.T, st store.Store) {
			rs := st.(store.RetentionStore)
			r := createRelease(t, st, releaseSpec{})
			endRelease(t, st, r, base)
			p := deleteParams(r, base.Add(time.Hour))
			appendTo(t, st, r, base.Add(time.Minute), release.CommentAddedPayload{Text: "after the archive"})
			_, err := rs.DeleteRelease(ctx(t), p)
			require.ErrorIs(t, err, store.ErrConflict)
			requireStoredRelease(t, st, r)
			_, err = rs.DeleteRelease(ctx(t), deleteParams(r, base.Add(time.Hour)))
			require.NoError(t, err)
		})
		s.run(t, "UnknownOrDeletedIsNotFound", func(t *testing.T, st store.Store) {
			rs := st.(store.RetentionStore)
			_, err := rs.DeleteRelease(ctx(t), &store.DeleteReleaseParams{Release: "nope", ExpectedSeq: 1, Actor: "a", Now: base})
			require.ErrorIs(t, err, store.ErrNotFound)
			r := createRelease(t, st, releaseSpec{})
			endRelease(t, st, r, base)
			_, err = rs.DeleteRelease(ctx(t), deleteParams(r, base))
			require.NoError(t, err)
			_, err = rs.DeleteRelease(ctx(t), deleteParams(r, base))
			require.ErrorIs(t, err, store.ErrNotFound)
			page, err := rs.ListDeletions(ctx(t), nil)
			require.NoError(t, err)
			require.Len(t, page.Deletions, 1, "one record per release")
		})
		s.run(t, "MissingArgumentsAreInvalid", func(t *testing.T, st store.Store) {
			rs := st.(store.RetentionStore)
			r := createRelease(t, st, releaseSpec{})
			endRelease(t, st, r, base)
			for name, mutate := range map[string]func(p *store.DeleteReleaseParams){
				"release": func(p *store.DeleteReleaseParams) { p.Release = "" },
				"actor":   func(p *store.DeleteReleaseParams) { p.Actor = "" },
				"now":     func(p *store.DeleteReleaseParams) { p.Now = time.Time{} },
			} {
				p := deleteParams(r, base)
				mutate(p)
				_, err := rs.DeleteRelease(ctx(t), p)
				require.ErrorIs(t, err, store.ErrInvalid, name)
			}
			_, err := rs.DeleteRelease(ctx(t), nil)
			require.ErrorIs(t, err, store.ErrInvalid)
			requireStoredRelease(t, st, r)
		})
		s.run(t, "IDAndOccurrenceStayTaken", func(t *testing.T, st store.Store) {
			rs := st.(store.RetentionStore)
			occ := base.Add(24 * time.Hour)
			r, created := newRelease(t, releaseSpec{group: "weekly", occurrence: occ})
			atCreation := r.Clone()
			require.NoError(t, st.CreateRelease(ctx(t), &store.CreateReleaseParams{Events: []release.Event{created}, Release: r}))
			endRelease(t, st, r, base)
			_, err := rs.DeleteRelease(ctx(t), deleteParams(r, base))
			require.NoError(t, err)
			other, otherCreated := newRelease(t, releaseSpec{group: "weekly", occurrence: occ})
			err = st.CreateRelease(ctx(t), &store.CreateReleaseParams{Events: []release.Event{otherCreated}, Release: other})
			require.ErrorIs(t, err, store.ErrAlreadyExists, "a scheduler must not make a deleted occurrence again")
			err = st.CreateRelease(ctx(t), &store.CreateReleaseParams{Events: []release.Event{created}, Release: atCreation})
			require.ErrorIs(t, err, store.ErrAlreadyExists, "a deleted release's id is not reused")
			requireGone(t, st, r.ID)
			createRelease(t, st, releaseSpec{group: "weekly", occurrence: occ.Add(time.Hour)})
			createRelease(t, st, releaseSpec{group: "daily", occurrence: occ})
		})
		s.run(t, "AnAppendAfterTheDeletionIsNotFound", func(t *testing.T, st store.Store) {
			rs := st.(store.RetentionStore)
			r := createRelease(t, st, releaseSpec{})
			endRelease(t, st, r, base)
			_, err := rs.DeleteRelease(ctx(t), deleteParams(r, base))
			require.NoError(t, err)
			expected := r.Seq
			sealed := record(t, r, base, release.CommentAddedPayload{Text: "late"})
			err = st.AppendEvents(ctx(t), &store.AppendEventsParams{ExpectedSeq: expected, Events: sealed, Release: r})
			require.ErrorIs(t, err, store.ErrNotFound)
			requireGone(t, st, r.ID)
		})
		s.run(t, "ConcurrentDeletesHaveOneWinner", func(t *testing.T, st store.Store) {
			rs := st.(store.RetentionStore)
			r := createRelease(t, st, releaseSpec{})
			endRelease(t, st, r, base)
			const n = 8
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					_, errs[i] = rs.DeleteRelease(ctx(t), deleteParams(r, base))
				})
			}
			wg.Wait()
			won := 0
			for _, err := range errs {
				if err == nil {
					won++
				} else {
					require.ErrorIs(t, err, store.ErrNotFound)
				}
			}
			require.Equal(t, 1, won)
			page, err := rs.ListDeletions(ctx(t), nil)
			require.NoError(t, err)
			require.Len(t, page.Deletions, 1)
		})
		s.run(t, "TheFeedGoesOnWithoutTheDeletedRelease", func(t *testing.T, st store.Store) {
			fs, ok := st.(store.FeedStore)
			if !ok {
				return // nothing to check: the store has no feed
			}
			rs := st.(store.RetentionStore)
			a := createRelease(t, st, releaseSpec{createdAt: base})
			b := createRelease(t, st, releaseSpec{createdAt: base.Add(time.Second)})
			endRelease(t, st, a, base.Add(time.Minute))
			endRelease(t, st, b, base.Add(time.Minute))
			requireFeedReleases(t, fs, []release.ID{a.ID, b.ID, a.ID, b.ID}, "before")
			// The newest release goes, and one is created after it: the
			// feed never gives the new one's events for the deleted one's.
			_, err := rs.DeleteRelease(ctx(t), deleteParams(b, base.Add(time.Hour)))
			require.NoError(t, err)
			c := createRelease(t, st, releaseSpec{createdAt: base.Add(2 * time.Second)})
			appendTo(t, st, c, base.Add(time.Minute), release.CommentAddedPayload{Text: "x"})
			requireFeedReleases(t, fs, []release.ID{a.ID, c.ID}, "a runs on: the events of b between went")
			_, err = rs.DeleteRelease(ctx(t), deleteParams(a, base.Add(time.Hour)))
			require.NoError(t, err)
			requireFeedReleases(t, fs, []release.ID{c.ID}, "a went")
		})
		s.run(t, "TheReleasesLinksLeaveTheIndexButItsDeploymentsStay", func(t *testing.T, st store.Store) {
			ls, ok := st.(store.LinkStore)
			if !ok {
				return // nothing to check: the store has no link index
			}
			rs := st.(store.RetentionStore)
			gone := createRelease(t, st, releaseSpec{createdAt: base})
			kept := createRelease(t, st, releaseSpec{createdAt: base.Add(time.Second)})
			ticket := release.Link{Kind: release.LinkTicket, Ref: "CHG-9"}
			linkOn(t, st, gone, base, "", ticket)
			want := linkOn(t, st, kept, base, "", ticket)
			compileTo(t, st, gone, base, "running")
			deployed := linkOn(t, st, gone, base, "build.compile", deploy("api", "prod", "1.0"))
			// A deployment of an activity that never succeeded goes.
			linkOn(t, st, gone, base, "qa.regression", deploy("web", "prod", "2.0"))
			appendTo(t, st, gone, base.Add(time.Minute), release.ActivitySucceededPayload{Activity: "build.compile"})
			require.Len(t, historyAll(t, ls, store.ListDeploymentHistoryParams{Environment: "prod", Service: "api"}), 1)
			endRelease(t, st, gone, base.Add(time.Hour))
			endRelease(t, st, kept, base.Add(time.Hour))
			_, err := rs.DeleteRelease(ctx(t), deleteParams(gone, base.Add(2*time.Hour)))
			require.NoError(t, err)
			require.Equal(t, []linkKey{want}, keysOf(findAll(t, ls, store.FindLinksParams{Ref: "CHG-9"})), "the ticket of the deleted release went")
			require.Equal(t, []linkKey{deployed}, keysOf(historyAll(t, ls, store.ListDeploymentHistoryParams{Environment: "prod", Service: "api"})),
				"its succeeded deployment stays in the history")
			now := deploymentsAll(t, ls, store.ListDeploymentsParams{})
			require.Equal(t, []linkKey{deployed}, keysOf(now), "what runs in prod still says api 1.0")
			require.True(t, now[0].Succeeded)
			require.Equal(t, base.Add(time.Minute), now[0].SucceededAt.UTC())
			require.Empty(t, historyAll(t, ls, store.ListDeploymentHistoryParams{Environment: "prod", Service: "web"}), "the deployment that never succeeded went")
		})
		if !leases {
			return
		}
		s.run(t, "TheReleaseLeaseGoes", func(t *testing.T, st store.Store) {
			l := st.(store.Leaser)
			rs := st.(store.RetentionStore)
			r := createRelease(t, st, releaseSpec{})
			endRelease(t, st, r, base)
			key := "release/" + string(r.ID)
			held, err := l.AcquireLease(ctx(t), &store.LeaseParams{Key: key, Owner: "a", Now: base, TTL: time.Hour})
			require.NoError(t, err)
			_, err = rs.DeleteRelease(ctx(t), deleteParams(r, base))
			require.NoError(t, err)
			_, err = l.RenewLease(ctx(t), &store.LeaseParams{Key: key, Owner: "a", Now: base, TTL: time.Hour})
			require.ErrorIs(t, err, store.ErrNotFound, "the lease went with the release")
			next, err := l.AcquireLease(ctx(t), &store.LeaseParams{Key: key, Owner: "b", Now: base, TTL: time.Hour})
			require.NoError(t, err)
			require.Greater(t, next.Token, held.Token)
		})
	})
	group(t, "ListEnded", func(t *testing.T) {
		s.run(t, "SelectsFinishedReleasesByEndAndRule", func(t *testing.T, st store.Store) {
			rs := st.(store.RetentionStore)
			// end offsets in hours, in creation order: the list is by end.
			type spec struct {
				process string
				group   string
				end     int // hours after base; 0: not ended
			}
			specs := []spec{
				{"mobile", "", 5}, {"mobile", "weekly", 1}, {"web", "", 3}, {"web", "nightly", 2},
				{"mobile", "", 0}, {"web", "", 9}, {"mobile", "weekly", 4}, {"api", "", 6},
			}
			ids := make([]release.ID, len(specs))
			for i, sp := range specs {
				r := createRelease(t, st, releaseSpec{process: process.ID(sp.process), group: release.GroupID(sp.group), createdAt: base.Add(time.Duration(i) * time.Second)})
				ids[i] = r.ID
				if sp.end > 0 {
					endRelease(t, st, r, base.Add(time.Duration(sp.end)*time.Hour))
				}
			}
			before := base.Add(7 * time.Hour)
			cases := []struct {
				name string
				p    store.ListEndedParams
				want []int
			}{
				{"all ended before", store.ListEndedParams{EndedBefore: before}, []int{1, 3, 2, 6, 0, 7}},
				{"limit pages", store.ListEndedParams{EndedBefore: before, Limit: 2}, []int{1, 3, 2, 6, 0, 7}},
				{"earlier cut", store.ListEndedParams{EndedBefore: base.Add(3 * time.Hour)}, []int{1, 3}},
				{"the cut excludes its instant", store.ListEndedParams{EndedBefore: base.Add(time.Hour)}, nil},
				{"process", store.ListEndedParams{EndedBefore: before, Process: "mobile"}, []int{1, 6, 0}},
				{"group", store.ListEndedParams{EndedBefore: before, Group: "weekly"}, []int{1, 6}},
				{"process without its group", store.ListEndedParams{EndedBefore: before, Process: "mobile", ExcludeGroups: []release.GroupID{"weekly"}}, []int{0}},
				{"default", store.ListEndedParams{EndedBefore: before, ExcludeProcesses: []process.ID{"web"}, ExcludeGroups: []release.GroupID{"weekly"}}, []int{0, 7}},
				{"excluded group only", store.ListEndedParams{EndedBefore: before, ExcludeGroups: []release.GroupID{"nightly", "weekly"}, Limit: 1}, []int{2, 0, 7}},
			}
			for _, c := range cases {
				var want []release.ID
				for _, i := range c.want {
					want = append(want, ids[i])
				}
				require.Equal(t, want, listEnded(t, rs, c.p), c.name)
			}
		})
		s.run(t, "BadArgumentsAreInvalid", func(t *testing.T, st store.Store) {
			rs := st.(store.RetentionStore)
			_, err := rs.ListEnded(ctx(t), &store.ListEndedParams{})
			require.ErrorIs(t, err, store.ErrInvalid, "no EndedBefore")
			_, err = rs.ListEnded(ctx(t), nil)
			require.ErrorIs(t, err, store.ErrInvalid)
			_, err = rs.ListEnded(ctx(t), &store.ListEndedParams{EndedBefore: base, Cursor: "not a cursor"})
			require.ErrorIs(t, err, store.ErrInvalid)
		})
	})
	group(t, "ListDeletions", func(t *testing.T) {
		s.run(t, "PagesInOrderAndFindsOneRelease", func(t *testing.T, st store.Store) {
			rs := st.(store.RetentionStore)
			var ids []release.ID
			for i := range 5 {
				r := createRelease(t, st, releaseSpec{createdAt: base.Add(time.Duration(i) * time.Second)})
				endRelease(t, st, r, base)
				_, err := rs.DeleteRelease(ctx(t), deleteParams(r, base.Add(time.Duration(i)*time.Minute)))
				require.NoError(t, err)
				ids = append(ids, r.ID)
			}
			var got []release.ID
			p := &store.ListDeletionsParams{Limit: 2}
			for {
				page, err := rs.ListDeletions(ctx(t), p)
				require.NoError(t, err)
				require.LessOrEqual(t, len(page.Deletions), 2)
				for _, d := range page.Deletions {
					require.Equal(t, int64(len(got)+1), d.Seq)
					got = append(got, d.Release)
				}
				if page.Next == "" {
					break
				}
				p.Cursor = page.Next
			}
			require.Equal(t, ids, got)
			page, err := rs.ListDeletions(ctx(t), &store.ListDeletionsParams{Release: ids[3]})
			require.NoError(t, err)
			require.Len(t, page.Deletions, 1)
			require.Equal(t, ids[3], page.Deletions[0].Release)
			require.Equal(t, int64(4), page.Deletions[0].Seq)
			_, err = rs.ListDeletions(ctx(t), &store.ListDeletionsParams{Cursor: "###"})
			require.ErrorIs(t, err, store.ErrInvalid)
		})
	})
}
