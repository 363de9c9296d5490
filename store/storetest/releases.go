package storetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// startRelease appends release.started and phase.started for build.
func startRelease(t *testing.T, st store.Store, r *release.Release, at time.Time) {
	t.Helper()
	appendTo(t, st, r, at, release.ReleaseStartedPayload{}, release.PhaseStartedPayload{Phase: "build"})
}

func (s *suite) releaseTests(t *testing.T) {
	group(t, "CreateRelease", func(t *testing.T) {
		s.run(t, "RoundTrips", func(t *testing.T, st store.Store) {
			r := createRelease(t, st, releaseSpec{labels: map[string]string{"team": "mobile"}, extra: 3})
			requireStoredRelease(t, st, r)
		})
		s.run(t, "DuplicateIDAlreadyExists", func(t *testing.T, st store.Store) {
			r, created := newRelease(t, releaseSpec{})
			require.NoError(t, st.CreateRelease(ctx(t), &store.CreateReleaseParams{Events: []release.Event{created}, Release: r}))
			err := st.CreateRelease(ctx(t), &store.CreateReleaseParams{Events: []release.Event{created}, Release: r})
			require.ErrorIs(t, err, store.ErrAlreadyExists)
		})
		s.run(t, "SameGroupOccurrenceAlreadyExists", func(t *testing.T, st store.Store) {
			occ := base.Add(24 * time.Hour)
			createRelease(t, st, releaseSpec{group: "weekly", occurrence: occ})
			r, created := newRelease(t, releaseSpec{group: "weekly", occurrence: occ})
			err := st.CreateRelease(ctx(t), &store.CreateReleaseParams{Events: []release.Event{created}, Release: r})
			require.ErrorIs(t, err, store.ErrAlreadyExists)
			_, err = st.GetRelease(ctx(t), r.ID)
			require.ErrorIs(t, err, store.ErrNotFound, "the duplicate was not stored")
			createRelease(t, st, releaseSpec{group: "daily", occurrence: occ})
			createRelease(t, st, releaseSpec{group: "weekly", occurrence: occ.Add(7 * 24 * time.Hour)})
			createRelease(t, st, releaseSpec{group: "weekly"})
			createRelease(t, st, releaseSpec{group: "weekly"}) // on-demand releases of a group have no occurrence
		})
		s.run(t, "RejectsEventsThatDoNotVerify", func(t *testing.T, st store.Store) {
			r, created := newRelease(t, releaseSpec{})
			tampered := created.Clone()
			tampered.Actor = "mallory"
			notCreated := r.Clone()
			started := record(t, notCreated, base, release.ReleaseStartedPayload{})
			cases := map[string]*store.CreateReleaseParams{
				"tampered event":               {Events: []release.Event{tampered}, Release: r},
				"no events":                    {Events: nil, Release: r},
				"no release":                   {Events: []release.Event{created}},
				"release not at end":           {Events: []release.Event{created}, Release: notCreated},
				"first is not release.created": {Events: started, Release: notCreated},
			}
			for name, p := range cases {
				require.ErrorIs(t, st.CreateRelease(ctx(t), p), store.ErrInvalid, name)
			}
			_, err := st.GetRelease(ctx(t), r.ID)
			require.ErrorIs(t, err, store.ErrNotFound, "nothing was stored")
		})
	})

	group(t, "AppendEvents", func(t *testing.T) {
		s.run(t, "AppendsAndRefreshesTheSummary", func(t *testing.T, st store.Store) {
			r := createRelease(t, st, releaseSpec{})
			startRelease(t, st, r, base.Add(time.Minute))
			appendTo(t, st, r, base.Add(2*time.Minute), release.ActivityStartedPayload{Activity: "build.compile",
				Inputs: map[string]any{"pipeline": "mobile"}, IdempotencyKey: "k1"})
			appendTo(t, st, r, base.Add(3*time.Minute), release.ActivitySucceededPayload{Activity: "build.compile",
				Outputs: map[string]any{"artifact": "s3://a"}}, release.PhaseSucceededPayload{Phase: "build"})
			sum, err := st.GetReleaseSummary(ctx(t), r.ID)
			require.NoError(t, err)
			require.Equal(t, release.Running, sum.Status)
			require.Equal(t, int64(6), sum.Seq)
			require.Equal(t, 1, sum.ActivitiesDone)
			requireStoredRelease(t, st, r)
		})
		s.run(t, "StaleExpectedSeqAppendsNothing", func(t *testing.T, st store.Store) {
			r := createRelease(t, st, releaseSpec{})
			stale := r.Clone()
			startRelease(t, st, r, base.Add(time.Minute))
			events := record(t, stale, base.Add(time.Minute), release.ReleaseAbortedPayload{})
			err := st.AppendEvents(ctx(t), &store.AppendEventsParams{ExpectedSeq: 1, Events: events, Release: stale})
			require.ErrorIs(t, err, store.ErrConflict)
			require.ErrorIs(t, fmt.Errorf("wrapped: %w", err), store.ErrConflict)
			requireStoredRelease(t, st, r)
		})
		s.run(t, "ConcurrentAppendsHaveOneWinner", func(t *testing.T, st store.Store) {
			r := createRelease(t, st, releaseSpec{})
			n := s.opts.ConcurrentAppends
			type attempt struct {
				r      *release.Release
				events []release.Event
			}
			attempts := make([]attempt, n)
			for i := range attempts {
				c := r.Clone()
				attempts[i] = attempt{c, record(t, c, base.Add(time.Minute), release.CommentAddedPayload{Text: fmt.Sprintf("writer %d", i)})}
			}
			errs := make([]error, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range attempts {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					errs[i] = st.AppendEvents(ctx(t), &store.AppendEventsParams{ExpectedSeq: 1, Events: attempts[i].events, Release: attempts[i].r})
				}()
			}
			close(start)
			wg.Wait()
			winner := -1
			for i, err := range errs {
				if err == nil {
					require.Equal(t, -1, winner, "writers %d and %d both won", winner, i)
					winner = i
					continue
				}
				require.ErrorIs(t, err, store.ErrConflict, "writer %d", i)
			}
			require.NotEqual(t, -1, winner, "one writer wins")
			events := allEvents(t, st, r.ID, 0)
			require.Len(t, events, 2)
			require.Equal(t, attempts[winner].events[0], events[1])
			requireStoredRelease(t, st, attempts[winner].r)
		})
		s.run(t, "UnknownReleaseIsNotFound", func(t *testing.T, st store.Store) {
			r, _ := newRelease(t, releaseSpec{})
			events := record(t, r, base, release.ReleaseStartedPayload{})
			err := st.AppendEvents(ctx(t), &store.AppendEventsParams{ExpectedSeq: 1, Events: events, Release: r})
			require.ErrorIs(t, err, store.ErrNotFound)
		})
		s.run(t, "RejectsEventsThatDoNotContinueTheChain", func(t *testing.T, st store.Store) {
			r := createRelease(t, st, releaseSpec{})
			startRelease(t, st, r, base.Add(time.Minute))

			altered := r.Clone()
			events := record(t, altered, base.Add(2*time.Minute), release.CommentAddedPayload{Text: "hello"})
			events[0].Payload = []byte(`{"text":"HELLO"}`)
			err := st.AppendEvents(ctx(t), &store.AppendEventsParams{ExpectedSeq: r.Seq, Events: events, Release: altered})
			require.ErrorIs(t, err, store.ErrInvalid, "an altered event")
			var chainErr *release.ChainError
			require.True(t, errors.As(err, &chainErr), "the *release.ChainError is wrapped: %v", err)

			forked := r.Clone()
			forked.Hash = release.Hash{1} // a head that is not the stored one
			events = record(t, forked, base.Add(2*time.Minute), release.CommentAddedPayload{Text: "fork"})
			err = st.AppendEvents(ctx(t), &store.AppendEventsParams{ExpectedSeq: r.Seq, Events: events, Release: forked})
			require.ErrorIs(t, err, store.ErrInvalid, "events chained to another head")

			ahead := r.Clone()
			events = record(t, ahead, base.Add(2*time.Minute), release.CommentAddedPayload{Text: "one"}, release.CommentAddedPayload{Text: "two"})
			err = st.AppendEvents(ctx(t), &store.AppendEventsParams{ExpectedSeq: r.Seq, Events: events[1:], Release: ahead})
			require.ErrorIs(t, err, store.ErrInvalid, "a gap in the sequence")

			err = st.AppendEvents(ctx(t), &store.AppendEventsParams{ExpectedSeq: r.Seq, Events: events, Release: r})
			require.ErrorIs(t, err, store.ErrInvalid, "a release that is not at the last event")
			err = st.AppendEvents(ctx(t), &store.AppendEventsParams{ExpectedSeq: r.Seq, Events: nil, Release: r})
			require.ErrorIs(t, err, store.ErrInvalid, "no events")
			err = st.AppendEvents(ctx(t), &store.AppendEventsParams{ExpectedSeq: r.Seq, Events: events})
			require.ErrorIs(t, err, store.ErrInvalid, "no release")

			requireStoredRelease(t, st, r)
		})
		s.run(t, "RandomLegalHistoriesFoldToTheStoredRelease", func(t *testing.T, st store.Store) {
			for seed := range uint64(s.opts.RandomHistories) {
				rng := rand.New(rand.NewPCG(seed, 42))
				r := createRelease(t, st, releaseSpec{extra: rng.IntN(4)})
				at := base
				for !r.Status.Terminal() && r.Seq < 200 {
					expected := r.Seq
					events, err := RandomEvents(rng, r, at, 1)
					require.NoError(t, err, "seed %d", seed)
					at = events[len(events)-1].Time
					require.NoError(t, st.AppendEvents(ctx(t), &store.AppendEventsParams{ExpectedSeq: expected, Events: events, Release: r}),
						"seed %d", seed)
				}
				requireStoredRelease(t, st, r)
			}
		})
		s.run(t, "LongLogKeepsOrderAndChain", func(t *testing.T, st store.Store) {
			r := createRelease(t, st, releaseSpec{extra: 20})
			startRelease(t, st, r, base.Add(time.Minute))
			want := allEvents(t, st, r.ID, 0)
			at := base.Add(2 * time.Minute)
			for len(want) < s.opts.LongLogEvents {
				at = at.Add(time.Second)
				want = append(want, appendTo(t, st, r, at,
					release.CommentAddedPayload{Text: fmt.Sprintf("comment %d", len(want))},
					release.LinkAddedPayload{Activity: "build.compile", Link: release.Link{Kind: release.LinkBuild, Ref: fmt.Sprint(len(want))}},
				)...)
			}
			got := allEvents(t, st, r.ID, 37)
			require.Equal(t, want, got, "events come back as appended, in order, page by page")
			requireStoredRelease(t, st, r)
		})
	})

	group(t, "GetRelease", func(t *testing.T) {
		s.run(t, "MissingIsNotFound", func(t *testing.T, st store.Store) {
			_, err := st.GetRelease(ctx(t), "0190a5e0-0000-7000-8000-000000000000")
			require.ErrorIs(t, err, store.ErrNotFound)
		})
		s.run(t, "ReturnsCopies", func(t *testing.T, st store.Store) {
			r := createRelease(t, st, releaseSpec{labels: map[string]string{"team": "mobile"}})
			startRelease(t, st, r, base.Add(time.Minute))
			got, err := st.GetRelease(ctx(t), r.ID)
			require.NoError(t, err)
			got.Name = "changed"
			got.Labels["team"] = "changed"
			got.Inputs["version"] = "changed"
			got.Activities["build.compile"].Status = release.ActivityFailed
			got.Activities["qa.regression"].Tasks[0].Status = release.TaskFailed
			got.Phases["build"].Status = release.PhaseFailed
			requireStoredRelease(t, st, r)
		})
	})

	group(t, "GetReleaseSummary", func(t *testing.T) {
		s.run(t, "MissingIsNotFound", func(t *testing.T, st store.Store) {
			_, err := st.GetReleaseSummary(ctx(t), "0190a5e0-0000-7000-8000-000000000000")
			require.ErrorIs(t, err, store.ErrNotFound)
		})
		s.run(t, "ReturnsCopies", func(t *testing.T, st store.Store) {
			r := createRelease(t, st, releaseSpec{labels: map[string]string{"team": "mobile"}})
			got, err := st.GetReleaseSummary(ctx(t), r.ID)
			require.NoError(t, err)
			got.Labels["team"] = "changed"
			got.Status = release.Failed
			again, err := st.GetReleaseSummary(ctx(t), r.ID)
			require.NoError(t, err)
			requireSameJSON(t, r.Summary(), again)
		})
	})

	group(t, "ListReleases", func(t *testing.T) {
		s.run(t, "Filters", func(t *testing.T, st store.Store) {
			day := 24 * time.Hour
			mk := func(name string, spec releaseSpec) *release.Release {
				spec.name = name
				return createRelease(t, st, spec)
			}
			a := mk("a", releaseSpec{group: "weekly", process: "mobile", scheduled: base.Add(1 * day), createdAt: base.Add(1)})
			b := mk("b", releaseSpec{group: "weekly", process: "mobile", scheduled: base.Add(2 * day), createdAt: base.Add(2)})
			c := mk("c", releaseSpec{group: "daily", process: "web", scheduled: base.Add(3 * day), createdAt: base.Add(3)})
			d := mk("d", releaseSpec{process: "web", scheduled: base.Add(4 * day), createdAt: base.Add(4)})
			startRelease(t, st, b, base.Add(time.Hour))
			startRelease(t, st, d, base.Add(time.Hour))
			appendTo(t, st, d, base.Add(2*time.Hour), release.ReleasePausedPayload{})
			tests := []struct {
				name string
				p    store.ListReleasesParams
				want []*release.Release
			}{
				{"all", store.ListReleasesParams{}, []*release.Release{a, b, c, d}},
				{"by status", store.ListReleasesParams{Statuses: []release.Status{release.Running}}, []*release.Release{b}},
				{"by statuses", store.ListReleasesParams{Statuses: []release.Status{release.Scheduled, release.Paused}}, []*release.Release{a, c, d}},
				{"by group", store.ListReleasesParams{Group: "weekly"}, []*release.Release{a, b}},
				{"by process", store.ListReleasesParams{Process: "web"}, []*release.Release{c, d}},
				{"by window", store.ListReleasesParams{ScheduledFrom: base.Add(2 * day), ScheduledTo: base.Add(4 * day)}, []*release.Release{b, c}},
				{"from only", store.ListReleasesParams{ScheduledFrom: base.Add(3 * day)}, []*release.Release{c, d}},
				{"to only", store.ListReleasesParams{ScheduledTo: base.Add(2 * day)}, []*release.Release{a}},
				{"combined", store.ListReleasesParams{Process: "web", Statuses: []release.Status{release.Paused}}, []*release.Release{d}},
				{"none", store.ListReleasesParams{Group: "monthly"}, nil},
			}
			for _, tc := range tests {
				page, err := st.ListReleases(ctx(t), &tc.p)
				require.NoError(t, err, tc.name)
				require.Empty(t, page.Next, tc.name)
				var want []release.Summary
				for _, r := range tc.want {
					want = append(want, r.Summary())
				}
				if want == nil {
					require.Empty(t, page.Releases, tc.name)
					continue
				}
				requireSameJSON(t, want, page.Releases, tc.name)
			}
		})
		s.run(t, "PagesInCreationOrder", func(t *testing.T, st store.Store) {
			var want []release.ID
			for i := range 23 {
				// Creation times out of insertion order, two releases per instant.
				at := base.Add(time.Duration((i*7)%12) * time.Minute)
				want = append(want, createRelease(t, st, releaseSpec{createdAt: at}).ID)
			}
			all, err := st.ListReleases(ctx(t), &store.ListReleasesParams{Limit: store.MaxLimit})
			require.NoError(t, err)
			for i := 1; i < len(all.Releases); i++ {
				prev, cur := all.Releases[i-1], all.Releases[i]
				require.True(t, prev.CreatedAt.Before(cur.CreatedAt) || (prev.CreatedAt.Equal(cur.CreatedAt) && prev.ID < cur.ID),
					"ordered by (CreatedAt, ID) at %d", i)
			}
			got, pages := listPages(t, st, store.ListReleasesParams{Limit: 5})
			require.Equal(t, 5, pages)
			require.ElementsMatch(t, want, got)
			for i, r := range all.Releases {
				require.Equal(t, r.ID, got[i])
			}
		})
		s.run(t, "FilteredPagesSkipWhatDoesNotMatch", func(t *testing.T, st store.Store) {
			// Matches are sparse (every third release, out of creation
			// order): each page holds matches only, in order, and the
			// pages together hold every match once.
			var want []release.ID
			for i := range 30 {
				r := createRelease(t, st, releaseSpec{process: "web", createdAt: base.Add(time.Duration((i*11)%30) * time.Minute)})
				if i%3 == 0 {
					startRelease(t, st, r, base.Add(time.Hour))
					want = append(want, r.ID)
				}
			}
			all, err := st.ListReleases(ctx(t), &store.ListReleasesParams{Statuses: []release.Status{release.Running}, Limit: store.MaxLimit})
			require.NoError(t, err)
			require.Len(t, all.Releases, len(want))
			got, pages := listPages(t, st, store.ListReleasesParams{Statuses: []release.Status{release.Running}, Limit: 4})
			require.Equal(t, 3, pages)
			for i, r := range all.Releases {
				require.Equal(t, r.ID, got[i], "page order at %d", i)
			}
			require.ElementsMatch(t, want, got)
		})
		s.run(t, "PagingIsStableUnderConcurrentInserts", func(t *testing.T, st store.Store) {
			existing := map[release.ID]bool{}
			for i := range 40 {
				r := createRelease(t, st, releaseSpec{createdAt: base.Add(time.Duration(i) * time.Minute)})
				existing[r.ID] = true
			}
			done := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 100 {
					select {
					case <-done:
						return
					default:
					}
					// New releases before, among and after the existing ones.
					at := base.Add(time.Duration(i%60-10)*time.Minute + 30*time.Second)
					r, created, err := makeRelease(releaseSpec{createdAt: at})
					if err == nil {
						err = st.CreateRelease(ctx(t), &store.CreateReleaseParams{Events: []release.Event{created}, Release: r})
					}
					if err != nil {
						t.Errorf("concurrent insert: %v", err)
						return
					}
				}
			}()
			seen := map[release.ID]int{}
			cursor, pages := "", 0
			for {
				page, err := st.ListReleases(ctx(t), &store.ListReleasesParams{Cursor: cursor, Limit: 3})
				require.NoError(t, err)
				for _, r := range page.Releases {
					seen[r.ID]++
				}
				if page.Next == "" {
					break
				}
				cursor = page.Next
				// Between pages, insert before, at and after the last one listed.
				last := page.Releases[len(page.Releases)-1].CreatedAt
				inserts := []time.Time{base.Add(-time.Hour), last}
				if pages++; pages <= 3 {
					inserts = append(inserts, last.Add(time.Nanosecond), base.Add(time.Hour))
				}
				for _, at := range inserts {
					createRelease(t, st, releaseSpec{createdAt: at})
				}
			}
			close(done)
			wg.Wait()
			for id := range existing {
				require.Equal(t, 1, seen[id], "release %s that existed before paging is listed exactly once", id)
			}
			for id, n := range seen {
				require.Equal(t, 1, n, "release %s is listed once", id)
			}
		})
		s.run(t, "RejectsACursorItDidNotMake", func(t *testing.T, st store.Store) {
			createRelease(t, st, releaseSpec{})
			_, err := st.ListReleases(ctx(t), &store.ListReleasesParams{Cursor: "not a cursor!"})
			require.ErrorIs(t, err, store.ErrInvalid)
		})
		s.run(t, "ReturnsCopies", func(t *testing.T, st store.Store) {
			r := createRelease(t, st, releaseSpec{labels: map[string]string{"team": "mobile"}})
			page, err := st.ListReleases(ctx(t), &store.ListReleasesParams{})
			require.NoError(t, err)
			require.Len(t, page.Releases, 1)
			page.Releases[0].Labels["team"] = "changed"
			again, err := st.ListReleases(ctx(t), &store.ListReleasesParams{})
			require.NoError(t, err)
			requireSameJSON(t, []release.Summary{r.Summary()}, again.Releases)
		})
	})

	group(t, "ListEvents", func(t *testing.T) {
		s.run(t, "ReadsAfterASeqUpToALimit", func(t *testing.T, st store.Store) {
			r := createRelease(t, st, releaseSpec{})
			startRelease(t, st, r, base.Add(time.Minute))
			appendTo(t, st, r, base.Add(2*time.Minute), release.CommentAddedPayload{Text: "one"}, release.CommentAddedPayload{Text: "two"})
			page, err := st.ListEvents(ctx(t), &store.ListEventsParams{Release: r.ID, AfterSeq: 2, Limit: 2})
			require.NoError(t, err)
			require.Len(t, page, 2)
			require.Equal(t, []int64{3, 4}, []int64{page[0].Seq, page[1].Seq})
			rest, err := st.ListEvents(ctx(t), &store.ListEventsParams{Release: r.ID, AfterSeq: 4})
			require.NoError(t, err)
			require.Len(t, rest, 1)
			require.Equal(t, int64(5), rest[0].Seq)
			none, err := st.ListEvents(ctx(t), &store.ListEventsParams{Release: r.ID, AfterSeq: 5})
			require.NoError(t, err)
			require.Empty(t, none)
		})
		s.run(t, "MissingReleaseIsNotFound", func(t *testing.T, st store.Store) {
			_, err := st.ListEvents(ctx(t), &store.ListEventsParams{Release: "0190a5e0-0000-7000-8000-000000000000"})
			require.ErrorIs(t, err, store.ErrNotFound)
		})
		s.run(t, "ReturnsCopies", func(t *testing.T, st store.Store) {
			r := createRelease(t, st, releaseSpec{})
			startRelease(t, st, r, base.Add(time.Minute))
			got, err := st.ListEvents(ctx(t), &store.ListEventsParams{Release: r.ID})
			require.NoError(t, err)
			want := make([]release.Event, len(got))
			for i, e := range got {
				want[i] = e.Clone()
			}
			for i := range got {
				got[i].Payload[0] = 'X'
				got[i].Actor = "mallory"
			}
			again, err := st.ListEvents(ctx(t), &store.ListEventsParams{Release: r.ID})
			require.NoError(t, err)
			require.Equal(t, want, again)
			require.NoError(t, release.VerifyChain(again))
		})
	})
}

// listPages lists the releases p selects page by page, checking that each
// page holds at most p.Limit releases, all matching p's statuses; it
// returns their ids in order and the number of pages.
func listPages(t *testing.T, st store.Store, p store.ListReleasesParams) ([]release.ID, int) {
	t.Helper()
	var ids []release.ID
	for pages := 1; ; pages++ {
		page, err := st.ListReleases(ctx(t), &p)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page.Releases), p.Limit)
		for _, r := range page.Releases {
			if len(p.Statuses) > 0 {
				require.Contains(t, p.Statuses, r.Status)
			}
			ids = append(ids, r.ID)
		}
		if page.Next == "" {
			return ids, pages
		}
		p.Cursor = page.Next
	}
}
