package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// signalled waits for a value on ch (or fails after notifyWait).
func signalled(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case _, ok := <-ch:
		require.True(t, ok, "the channel closed before %s was signalled", what)
	case <-time.After(notifyWait):
		require.FailNowf(t, "no signal", "%s not signalled within %v", what, notifyWait)
	}
}

// drained empties ch of a pending signal.
func drained(ch <-chan struct{}) {
	select {
	case <-ch:
	default:
	}
}

func (s *suite) feedNotifyTests(t *testing.T) {
	notifier := func(st store.Store) store.FeedNotifier { return st.(store.FeedNotifier) }
	group(t, "SubscribeFeed", func(t *testing.T) {
		s.run(t, "SignalsCreatesAndAppendsWithoutNotify", func(t *testing.T, st store.Store) {
			ch, err := notifier(st).SubscribeFeed(ctx(t))
			require.NoError(t, err)
			r, created := newRelease(t, releaseSpec{})
			require.NoError(t, st.CreateRelease(ctx(t), &store.CreateReleaseParams{Events: []release.Event{created}, Release: r}))
			signalled(t, ch, "a create")
			// The events signalled are readable (at once, or once the
			// writes in flight before them end).
			got, _ := waitFeed(t, st.(store.FeedStore), "", 10, 1)
			require.Equal(t, r.ID, got[0].Release)
			drained(ch)
			appendTo(t, st, r, base.Add(time.Minute), release.CommentAddedPayload{Text: "hi"})
			signalled(t, ch, "an append")
		})
		s.run(t, "DoesNotSignalARefusedAppend", func(t *testing.T, st store.Store) {
			r := createRelease(t, st, releaseSpec{})
			stale := r.Clone()
			appendTo(t, st, r, base.Add(time.Minute), release.CommentAddedPayload{Text: "first"})
			ch, err := notifier(st).SubscribeFeed(ctx(t))
			require.NoError(t, err)
			bad := record(t, stale, base.Add(2*time.Minute), release.CommentAddedPayload{Text: "stale"})
			require.ErrorIs(t, st.AppendEvents(ctx(t), &store.AppendEventsParams{ExpectedSeq: 1, Events: bad, Release: stale}), store.ErrConflict)
			select {
			case <-ch:
				t.Fatal("a refused append was signalled")
			default:
			}
		})
		s.run(t, "ClosesTheChannelWhenTheContextEnds", func(t *testing.T, st store.Store) {
			c, cancel := context.WithCancel(ctx(t))
			ch, err := notifier(st).SubscribeFeed(c)
			require.NoError(t, err)
			cancel()
			timeout := time.After(notifyWait)
			for {
				select {
				case _, ok := <-ch:
					if !ok {
						_, err := notifier(st).SubscribeFeed(c)
						require.ErrorIs(t, err, context.Canceled, "a done context")
						return
					}
				case <-timeout:
					t.Fatalf("the channel is still open %v after its context ended", notifyWait)
				}
			}
		})
	})
}
