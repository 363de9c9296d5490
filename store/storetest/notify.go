package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// notifyWait bounds how long a notify subtest waits for a change that must
// come; it fails the test rather than hang, it measures nothing.
const notifyWait = 30 * time.Second

func (s *suite) runNotify(t *testing.T, name string, f func(t *testing.T, st store.Store, n store.ReleaseNotifier)) {
	t.Helper()
	s.run(t, name, func(t *testing.T, st store.Store) { f(t, st, st.(store.ReleaseNotifier)) })
}

// changesOf receives from ch until a change of id at seq >= until arrives,
// and returns the seqs told for id, in order (empty changes are skipped).
func changesOf(t *testing.T, ch <-chan store.ReleaseChange, id release.ID, until int64) []int64 {
	t.Helper()
	var seqs []int64
	timeout := time.NewTimer(notifyWait)
	defer timeout.Stop()
	for {
		select {
		case c, ok := <-ch:
			require.True(t, ok, "the channel closed before release %s at seq %d was told", id, until)
			if c.Release != id {
				continue
			}
			seqs = append(seqs, c.Seq)
			if c.Seq >= until {
				return seqs
			}
		case <-timeout.C:
			require.FailNowf(t, "no change told", "release %s at seq %d not told within %v (told: %v)", id, until, notifyWait, seqs)
		}
	}
}

func (s *suite) notifyTests(t *testing.T) {
	group(t, "SubscribeReleases", func(t *testing.T) {
		s.runNotify(t, "TellsCommittedChangesInOrder", func(t *testing.T, st store.Store, n store.ReleaseNotifier) {
			ch, err := n.SubscribeReleases(ctx(t))
			require.NoError(t, err)
			r, created := newRelease(t, releaseSpec{})
			require.NoError(t, st.CreateRelease(ctx(t), &store.CreateReleaseParams{Events: []release.Event{created}, Release: r, Notify: true}))
			for i := range 3 {
				expected := r.Seq
				sealed := record(t, r, base.Add(time.Duration(i+1)*time.Minute), release.CommentAddedPayload{Text: "hi"})
				require.NoError(t, st.AppendEvents(ctx(t), &store.AppendEventsParams{ExpectedSeq: expected, Events: sealed, Release: r, Notify: true}))
			}
			seqs := changesOf(t, ch, r.ID, 4)
			require.Equal(t, int64(1), seqs[0], "the creation is told")
			require.IsNonDecreasing(t, seqs, "changes of one release are told in order")
			require.Subset(t, seqs, []int64{1, 2, 3, 4})
		})
		s.runNotify(t, "DoesNotTellAFailedWrite", func(t *testing.T, st store.Store, n store.ReleaseNotifier) {
			ch, err := n.SubscribeReleases(ctx(t))
			require.NoError(t, err)
			r, created := newRelease(t, releaseSpec{})
			require.NoError(t, st.CreateRelease(ctx(t), &store.CreateReleaseParams{Events: []release.Event{created}, Release: r, Notify: true}))
			stale := r.Clone()
			appendNotified := func(r *release.Release, payloads ...release.Payload) error {
				expected := r.Seq
				sealed := record(t, r, base.Add(time.Minute), payloads...)
				return st.AppendEvents(ctx(t), &store.AppendEventsParams{ExpectedSeq: expected, Events: sealed, Release: r, Notify: true})
			}
			require.NoError(t, appendNotified(r, release.CommentAddedPayload{Text: "first"}))
			// A writer who read seq 1 loses: its three events (up to seq 4) are not stored, nor told.
			err = appendNotified(stale, release.CommentAddedPayload{Text: "a"}, release.CommentAddedPayload{Text: "b"}, release.CommentAddedPayload{Text: "c"})
			require.ErrorIs(t, err, store.ErrConflict)
			require.NoError(t, appendNotified(r, release.CommentAddedPayload{Text: "second"}))
			seqs := changesOf(t, ch, r.ID, 3)
			require.NotContains(t, seqs, int64(4), "the write that failed was told")
			require.Equal(t, int64(3), seqs[len(seqs)-1])
		})
		s.runNotify(t, "ClosesTheChannelWhenTheContextIsDone", func(t *testing.T, st store.Store, n store.ReleaseNotifier) {
			sctx, cancel := context.WithCancel(ctx(t))
			ch, err := n.SubscribeReleases(sctx)
			require.NoError(t, err)
			cancel()
			timeout := time.NewTimer(notifyWait)
			defer timeout.Stop()
			for {
				select {
				case _, ok := <-ch:
					if !ok {
						return
					}
				case <-timeout.C:
					require.FailNow(t, "the channel is still open after the context was cancelled")
				}
			}
		})
		s.runNotify(t, "DoneContextIsAnError", func(t *testing.T, st store.Store, n store.ReleaseNotifier) {
			dctx, cancel := context.WithCancel(ctx(t))
			cancel()
			_, err := n.SubscribeReleases(dctx)
			require.ErrorIs(t, err, context.Canceled)
		})
	})
}
