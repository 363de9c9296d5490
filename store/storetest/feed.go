package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// readFeed pages through the feed from after with the given page size and
// returns the events and the last Next.
func readFeed(t *testing.T, f store.FeedStore, after string, limit int) ([]store.FeedEvent, string) {
	t.Helper()
	var all []store.FeedEvent
	for {
		page, err := f.ListAllEvents(ctx(t), &store.ListAllEventsParams{After: after, Limit: limit})
		require.NoError(t, err)
		require.NotNil(t, page.Events, "an empty page is an empty slice")
		if len(page.Events) == 0 {
			require.Equal(t, after, page.Next, "an empty page gives back its cursor")
			return all, after
		}
		require.LessOrEqual(t, len(page.Events), limit)
		require.Equal(t, page.Events[len(page.Events)-1].Cursor, page.Next, "Next is the cursor of the page's last event")
		all = append(all, page.Events...)
		after = page.Next
	}
}

// waitFeed reads the feed from after until it has n events, and returns
// them and the last Next. A store may hold back a committed write while an
// earlier one is in flight (another test's, on a shared server), so it
// asks again until they are all there; it fails the test after notifyWait.
func waitFeed(t *testing.T, f store.FeedStore, after string, limit, n int) ([]store.FeedEvent, string) {
	t.Helper()
	var all []store.FeedEvent
	deadline := time.Now().Add(notifyWait)
	for {
		got, next := readFeed(t, f, after, limit)
		all, after = append(all, got...), next
		if len(all) >= n {
			return all, after
		}
		require.True(t, time.Now().Before(deadline), "the feed gave %d events of %d", len(all), n)
		time.Sleep(time.Millisecond)
	}
}

// requireFeed checks that got holds exactly want, in that order, each
// event byte for byte.
func requireFeed(t *testing.T, want []release.Event, got []store.FeedEvent) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		require.Equal(t, want[i].Release, got[i].Release, "event %d", i)
		require.Equal(t, want[i].Seq, got[i].Seq, "event %d of release %s", i, want[i].Release)
		require.Equal(t, want[i].Hash, got[i].Hash, "event %d", i)
		require.Equal(t, string(want[i].Payload), string(got[i].Payload), "event %d: the payload byte for byte", i)
		require.True(t, want[i].Time.Equal(got[i].Time), "event %d: time", i)
		require.Equal(t, want[i].Actor, got[i].Actor)
		require.NotEmpty(t, got[i].Cursor)
	}
}

func (s *suite) feedTests(t *testing.T) {
	feed := func(st store.Store) store.FeedStore { return st.(store.FeedStore) }
	group(t, "ListAllEvents", func(t *testing.T) {
		s.run(t, "EmptyStoreGivesAnEmptyPage", func(t *testing.T, st store.Store) {
			page, err := feed(st).ListAllEvents(ctx(t), nil)
			require.NoError(t, err)
			require.Empty(t, page.Events)
			require.Empty(t, page.Next)
			end, err := feed(st).FeedEnd(ctx(t))
			require.NoError(t, err)
			require.Empty(t, end)
		})
		s.run(t, "ListsEveryEventInTheOrderTheWritesCommitted", func(t *testing.T, st store.Store) {
			var want []release.Event
			a, createdA := newRelease(t, releaseSpec{name: "a"})
			require.NoError(t, st.CreateRelease(ctx(t), &store.CreateReleaseParams{Events: []release.Event{createdA}, Release: a}))
			want = append(want, createdA)
			b := createRelease(t, st, releaseSpec{name: "b", createdAt: base.Add(time.Minute)})
			want = append(want, allEvents(t, st, b.ID, 0)...)
			want = append(want, appendTo(t, st, a, base.Add(2*time.Minute), release.ReleaseStartedPayload{}, release.PhaseStartedPayload{Phase: "build"})...)
			want = append(want, appendTo(t, st, b, base.Add(3*time.Minute), release.CommentAddedPayload{Text: "b1"})...)
			want = append(want, appendTo(t, st, a, base.Add(4*time.Minute), release.CommentAddedPayload{Text: "a1"}, release.CommentAddedPayload{Text: "a2"})...)
			// A refused append is not in the feed.
			stale := a.Clone()
			bad := record(t, stale, base.Add(5*time.Minute), release.CommentAddedPayload{Text: "stale"})
			require.ErrorIs(t, st.AppendEvents(ctx(t), &store.AppendEventsParams{ExpectedSeq: 1, Events: bad, Release: stale}), store.ErrConflict)
			want = append(want, appendTo(t, st, b, base.Add(6*time.Minute), release.CommentAddedPayload{Text: "b2"})...)
			for _, limit := range []int{1, 2, 3, 100} {
				got, next := waitFeed(t, feed(st), "", limit, len(want))
				requireFeed(t, want, got)
				end, err := feed(st).FeedEnd(ctx(t))
				require.NoError(t, err)
				require.Equal(t, got[len(got)-1].Cursor, end, "limit %d: FeedEnd is the cursor of the last event", limit)
				require.Equal(t, end, next)
			}
		})
		s.run(t, "ACursorResumesAfterItsEvent", func(t *testing.T, st store.Store) {
			r := createRelease(t, st, releaseSpec{})
			first := appendTo(t, st, r, base.Add(time.Minute), release.CommentAddedPayload{Text: "1"}, release.CommentAddedPayload{Text: "2"}, release.CommentAddedPayload{Text: "3"})
			got, _ := waitFeed(t, feed(st), "", 100, 4)
			require.Len(t, got, 4)
			// From the middle of one write's events.
			rest, _ := waitFeed(t, feed(st), got[1].Cursor, 100, 2)
			requireFeed(t, first[1:], rest)
			// From the end, once more is written.
			more := appendTo(t, st, r, base.Add(2*time.Minute), release.CommentAddedPayload{Text: "4"})
			other := createRelease(t, st, releaseSpec{createdAt: base.Add(time.Minute)})
			rest, _ = waitFeed(t, feed(st), got[3].Cursor, 100, 2)
			requireFeed(t, append(more, allEvents(t, st, other.ID, 0)...), rest)
		})
		s.run(t, "FeedEndSkipsWhatIsAlreadyThere", func(t *testing.T, st store.Store) {
			r := createRelease(t, st, releaseSpec{})
			appendTo(t, st, r, base.Add(time.Minute), release.CommentAddedPayload{Text: "old"})
			waitFeed(t, feed(st), "", 100, 2)
			end, err := feed(st).FeedEnd(ctx(t))
			require.NoError(t, err)
			page, err := feed(st).ListAllEvents(ctx(t), &store.ListAllEventsParams{After: end})
			require.NoError(t, err)
			require.Empty(t, page.Events)
			newer := appendTo(t, st, r, base.Add(2*time.Minute), release.CommentAddedPayload{Text: "new"})
			got, _ := waitFeed(t, feed(st), end, 10, 1)
			requireFeed(t, newer, got)
		})
		s.run(t, "AConcurrentReaderSeesEveryEventOnceInEachReleasesOrder", func(t *testing.T, st store.Store) {
			const writers, appends = 6, 12
			releases := make([]*release.Release, writers)
			for i := range releases {
				releases[i] = createRelease(t, st, releaseSpec{createdAt: base.Add(time.Duration(i) * time.Second)})
			}
			_, start := waitFeed(t, feed(st), "", 100, writers)
			errs := make(chan error, writers)
			var wg sync.WaitGroup
			for i := range writers {
				r := releases[i]
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := range appends {
						e, err := release.NewEvent(base.Add(time.Hour), "bob", "", release.CommentAddedPayload{Text: fmt.Sprintf("%d-%d", i, j)})
						if err == nil {
							expected := r.Seq
							var sealed []release.Event
							if sealed, err = r.Record(e); err == nil {
								err = st.AppendEvents(ctx(t), &store.AppendEventsParams{ExpectedSeq: expected, Events: sealed, Release: r})
							}
						}
						if err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			// Follow the feed while the writers write: every event exactly
			// once, each release's in Seq order, whatever commits when.
			last := map[release.ID]int64{}
			for i := range releases {
				last[releases[i].ID] = 1
			}
			seen, after := 0, start
			deadline := time.Now().Add(notifyWait)
			for seen < writers*appends {
				require.True(t, time.Now().Before(deadline), "the reader saw %d of %d events", seen, writers*appends)
				select {
				case err := <-errs:
					require.NoError(t, err)
				default:
				}
				page, err := feed(st).ListAllEvents(ctx(t), &store.ListAllEventsParams{After: after, Limit: 5})
				require.NoError(t, err)
				for _, e := range page.Events {
					prev, ok := last[e.Release]
					require.True(t, ok, "an event of an unknown release %s", e.Release)
					require.Equal(t, prev+1, e.Seq, "release %s: after seq %d", e.Release, prev)
					last[e.Release] = e.Seq
					seen++
				}
				after = page.Next
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			rest, _ := readFeed(t, feed(st), after, 100)
			require.Empty(t, rest, "nothing after the last event")
		})
		s.run(t, "ACursorItDidNotMakeIsInvalid", func(t *testing.T, st store.Store) {
			createRelease(t, st, releaseSpec{})
			for _, c := range []string{"not-a-cursor", "x1.2", "-1"} {
				_, err := feed(st).ListAllEvents(ctx(t), &store.ListAllEventsParams{After: c})
				require.ErrorIs(t, err, store.ErrInvalid, "cursor %q", c)
			}
		})
	})
}

func (s *suite) cursorTests(t *testing.T) {
	cursors := func(st store.Store) store.CursorStore { return st.(store.CursorStore) }
	group(t, "PutCursor", func(t *testing.T) {
		s.run(t, "CreatesThenComparesAndSets", func(t *testing.T, st store.Store) {
			cs := cursors(st)
			_, err := cs.GetCursor(ctx(t), "notify/ops")
			require.ErrorIs(t, err, store.ErrNotFound)
			c, err := cs.PutCursor(ctx(t), &store.PutCursorParams{Consumer: "notify/ops", Cursor: "c1"})
			require.NoError(t, err)
			require.Equal(t, store.ConsumerCursor{Consumer: "notify/ops", Cursor: "c1", Revision: 1}, *c)
			_, err = cs.PutCursor(ctx(t), &store.PutCursorParams{Consumer: "notify/ops", Cursor: "c9"})
			require.ErrorIs(t, err, store.ErrConflict, "creating it twice")
			c, err = cs.PutCursor(ctx(t), &store.PutCursorParams{Consumer: "notify/ops", Cursor: "c2", ExpectedRevision: 1})
			require.NoError(t, err)
			require.Equal(t, int64(2), c.Revision)
			_, err = cs.PutCursor(ctx(t), &store.PutCursorParams{Consumer: "notify/ops", Cursor: "c0", ExpectedRevision: 1})
			require.ErrorIs(t, err, store.ErrConflict, "a stale revision")
			got, err := cs.GetCursor(ctx(t), "notify/ops")
			require.NoError(t, err)
			require.Equal(t, store.ConsumerCursor{Consumer: "notify/ops", Cursor: "c2", Revision: 2}, *got, "the refused writes changed nothing")
			_, err = cs.GetCursor(ctx(t), "notify/other")
			require.ErrorIs(t, err, store.ErrNotFound, "consumers are apart")
		})
		s.run(t, "ConcurrentPutsHaveOneWinner", func(t *testing.T, st store.Store) {
			cs := cursors(st)
			_, err := cs.PutCursor(ctx(t), &store.PutCursorParams{Consumer: "c", Cursor: "start"})
			require.NoError(t, err)
			const n = 20
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = cs.PutCursor(ctx(t), &store.PutCursorParams{Consumer: "c", Cursor: fmt.Sprint(i), ExpectedRevision: 1})
				}()
			}
			wg.Wait()
			winner := -1
			for i, err := range errs {
				if err == nil {
					require.Equal(t, -1, winner, "writers %d and %d both won", winner, i)
					winner = i
					continue
				}
				require.ErrorIs(t, err, store.ErrConflict)
			}
			require.NotEqual(t, -1, winner)
			got, err := cs.GetCursor(ctx(t), "c")
			require.NoError(t, err)
			require.Equal(t, fmt.Sprint(winner), got.Cursor)
			require.Equal(t, int64(2), got.Revision)
		})
		s.run(t, "DeleteForgetsAndAnEmptyConsumerIsInvalid", func(t *testing.T, st store.Store) {
			cs := cursors(st)
			_, err := cs.PutCursor(ctx(t), &store.PutCursorParams{Consumer: "c", Cursor: "x"})
			require.NoError(t, err)
			require.NoError(t, cs.DeleteCursor(ctx(t), "c"))
			_, err = cs.GetCursor(ctx(t), "c")
			require.ErrorIs(t, err, store.ErrNotFound)
			require.NoError(t, cs.DeleteCursor(ctx(t), "c"), "deleting what is gone")
			c, err := cs.PutCursor(ctx(t), &store.PutCursorParams{Consumer: "c", Cursor: "y"})
			require.NoError(t, err, "created anew")
			require.Equal(t, int64(1), c.Revision)
			_, err = cs.GetCursor(ctx(t), "")
			require.ErrorIs(t, err, store.ErrInvalid)
			_, err = cs.PutCursor(ctx(t), &store.PutCursorParams{Cursor: "y"})
			require.ErrorIs(t, err, store.ErrInvalid)
			_, err = cs.PutCursor(ctx(t), nil)
			require.ErrorIs(t, err, store.ErrInvalid)
			require.ErrorIs(t, cs.DeleteCursor(ctx(t), ""), store.ErrInvalid)
		})
	})
}
