package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// listUnfinished pages through ListUnfinished with the given page size.
func listUnfinished(t *testing.T, ul store.UnfinishedLister, limit int) ([]store.Unfinished, int) {
	t.Helper()
	var all []store.Unfinished
	p := &store.ListUnfinishedParams{Limit: limit}
	pages := 0
	for {
		page, err := ul.ListUnfinished(ctx(t), p)
		require.NoError(t, err)
		require.NotNil(t, page.Releases, "an empty page is an empty slice")
		pages++
		all = append(all, page.Releases...)
		if page.Next == "" {
			return all, pages
		}
		require.Len(t, page.Releases, limit, "a page before the last is full")
		p.Cursor = page.Next
	}
}

func (s *suite) unfinishedTests(t *testing.T) {
	lister := func(st store.Store) store.UnfinishedLister { return st.(store.UnfinishedLister) }
	group(t, "ListUnfinished", func(t *testing.T) {
		s.run(t, "EmptyStoreGivesAnEmptyPage", func(t *testing.T, st store.Store) {
			page, err := lister(st).ListUnfinished(ctx(t), nil)
			require.NoError(t, err)
			require.Empty(t, page.Releases)
			require.Empty(t, page.Next)
		})
		s.run(t, "ListsUnfinishedReleasesInOrderWithTheirResumeHint", func(t *testing.T, st store.Store) {
			var want []store.Unfinished
			for i := range 7 {
				at := base.Add(time.Duration(i) * time.Minute)
				r := createRelease(t, st, releaseSpec{createdAt: at, scheduled: at.Add(time.Hour)})
				switch i % 4 {
				case 1: // running: compile runs, so the release must be loaded
					startRelease(t, st, r, at.Add(time.Second))
					appendTo(t, st, r, at.Add(2*time.Second), release.ActivityStartedPayload{Activity: "build.compile"})
				case 2: // finished: not listed
					appendTo(t, st, r, at.Add(time.Second), release.ReleaseAbortedPayload{})
					continue
				case 3: // waiting on its approval, after an attempt that timed out
					startRelease(t, st, r, at.Add(time.Second))
					appendTo(t, st, r, at.Add(2*time.Second), release.ActivityStartedPayload{Activity: "build.compile"})
					appendTo(t, st, r, at.Add(3*time.Second), release.ActivitySucceededPayload{Activity: "build.compile"},
						release.PhaseSucceededPayload{Phase: "build"}, release.PhaseStartedPayload{Phase: "qa"},
						release.ActivityStartedPayload{Activity: "qa.regression"}, release.ActivityWaitingPayload{Activity: "qa.regression"})
				}
				want = append(want, store.Unfinished{ID: r.ID, CreatedAt: r.CreatedAt, Status: r.Status, Seq: r.Seq, Resume: r.Resume()})
			}
			require.Equal(t, release.Resume{At: base.Add(time.Hour)}, want[0].Resume, "the scheduled start")
			require.True(t, want[1].Resume.Load)
			require.Equal(t, release.Resume{}, want[2].Resume, "waiting on people only: no timer")
			for _, limit := range []int{1, 2, 100} {
				got, pages := listUnfinished(t, lister(st), limit)
				require.Len(t, got, len(want))
				for i := range want {
					require.Equal(t, want[i].ID, got[i].ID, "limit %d: order", limit)
					require.True(t, want[i].CreatedAt.Equal(got[i].CreatedAt))
					require.Equal(t, want[i].Status, got[i].Status)
					require.Equal(t, want[i].Seq, got[i].Seq)
					require.Equal(t, want[i].Resume.Load, got[i].Resume.Load)
					require.True(t, want[i].Resume.At.Equal(got[i].Resume.At), "limit %d: release %d: wake at %v, want %v", limit, i, got[i].Resume.At, want[i].Resume.At)
				}
				require.Equal(t, (len(want)+limit-1)/limit, pages)
			}
		})
		s.run(t, "AReleaseLeavesTheListWhenItFinishes", func(t *testing.T, st store.Store) {
			r := createRelease(t, st, releaseSpec{})
			got, _ := listUnfinished(t, lister(st), 10)
			require.Len(t, got, 1)
			startRelease(t, st, r, base.Add(time.Second))
			got, _ = listUnfinished(t, lister(st), 10)
			require.Len(t, got, 1)
			require.Equal(t, release.Running, got[0].Status)
			require.True(t, got[0].Resume.Load, "running with nothing waiting on a person: load")
			appendTo(t, st, r, base.Add(2*time.Second), release.ReleaseAbortedPayload{})
			got, _ = listUnfinished(t, lister(st), 10)
			require.Empty(t, got)
		})
		s.run(t, "ACursorItDidNotMakeIsInvalid", func(t *testing.T, st store.Store) {
			_, err := lister(st).ListUnfinished(ctx(t), &store.ListUnfinishedParams{Cursor: "not-a-cursor"})
			require.ErrorIs(t, err, store.ErrInvalid)
		})
	})
}
