package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/postgres"
)

// receiveChange waits for the next change on ch; the bound makes a broken
// notifier fail instead of hang, it measures nothing.
func receiveChange(t *testing.T, ch <-chan store.ReleaseChange) store.ReleaseChange {
	t.Helper()
	select {
	case c, ok := <-ch:
		require.True(t, ok, "the channel closed")
		return c
	case <-time.After(30 * time.Second):
		require.FailNow(t, "no change told within 30s")
		return store.ReleaseChange{}
	}
}

func appendComment(t *testing.T, s *postgres.Store, r *release.Release, notify bool) {
	t.Helper()
	ev, err := release.NewEvent(time.Date(2026, 3, 2, 9, 0, int(r.Seq), 0, time.UTC), "bob", "", release.CommentAddedPayload{Text: "hi"})
	require.NoError(t, err)
	expected := r.Seq
	sealed, err := r.Record(ev)
	require.NoError(t, err)
	require.NoError(t, s.AppendEvents(t.Context(), &store.AppendEventsParams{ExpectedSeq: expected, Events: sealed, Release: r, Notify: notify}))
}

// Two Stores over one schema, as two processes have: what one writes with
// Notify the other's subscribers hear; what it writes without Notify they
// do not; another schema's changes are not heard.
func TestNotificationsReachAnotherStoreOverTheSameSchema(t *testing.T) {
	pool := testPool(t, 8)
	writer := newStore(t, pool)
	reader, err := postgres.NewFromPool(t.Context(), pool, &postgres.Options{Schema: writer.Schema()})
	require.NoError(t, err)
	defer reader.Close()
	other := newStore(t, pool)

	ch, err := reader.SubscribeReleases(t.Context())
	require.NoError(t, err)
	r := createTestRelease(t, writer, "r1", time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	appendComment(t, writer, r, false)
	o := createTestRelease(t, other, "o1", time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	appendComment(t, other, o, true)
	appendComment(t, writer, r, true)
	require.Equal(t, store.ReleaseChange{Release: "r1", Seq: 3}, receiveChange(t, ch),
		"the first change told is the one written with Notify, in this schema")
}

// When the listening connection is lost (here: terminated by the server),
// subscribers are sent an empty change (changes may have been lost) and
// the Store listens again on a new connection.
func TestALostListeningConnectionIsToldAndReplaced(t *testing.T) {
	pool := testPool(t, 8)
	s := newStore(t, pool)
	ch, err := s.SubscribeReleases(t.Context())
	require.NoError(t, err)

	var killed int64
	require.NoError(t, pool.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = 'baton listener' AND query LIKE '%' || $1 || '%'`, s.Schema()).Scan(&killed))
	require.Equal(t, int64(1), killed, "one listening connection for the Store")
	require.Equal(t, store.ReleaseChange{}, receiveChange(t, ch), "the subscriber is told changes may have been lost")

	// Listening again: a change is told. (It may take a reconnection or
	// two; keep writing until one is heard.)
	r := createTestRelease(t, s, "r1", time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	for i := 0; ; i++ {
		appendComment(t, s, r, true)
		select {
		case c := <-ch:
			if c.Release == "" {
				continue
			}
			require.Equal(t, release.ID("r1"), c.Release)
			return
		case <-time.After(200 * time.Millisecond):
			require.Less(t, i, 150, "no change told after the connection was replaced")
		}
	}
}

// The subscribers' channels close when their context is done, and the
// listening connection goes with the last of them.
func TestTheListeningConnectionClosesWithTheLastSubscriber(t *testing.T) {
	pool := testPool(t, 8)
	s := newStore(t, pool)
	listeners := func() int {
		var n int
		require.NoError(t, pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = 'baton listener' AND query LIKE '%' || $1 || '%'`, s.Schema()).Scan(&n))
		return n
	}
	ctx1, cancel1 := context.WithCancel(t.Context())
	ctx2, cancel2 := context.WithCancel(t.Context())
	ch1, err := s.SubscribeReleases(ctx1)
	require.NoError(t, err)
	ch2, err := s.SubscribeReleases(ctx2)
	require.NoError(t, err)
	require.Equal(t, 1, listeners(), "one connection for both subscribers")
	cancel1()
	for range ch1 {
	}
	require.Equal(t, 1, listeners())
	cancel2()
	for range ch2 {
	}
	require.Eventually(t, func() bool { return listeners() == 0 }, 30*time.Second, 10*time.Millisecond)
}

// A feed subscriber hears the writes of its own Store, with or without
// Notify, and another process's writes with Notify: a Store over the same
// schema, as another process has.
func TestFeedSignalsReachAnotherStoreOverTheSameSchemaOnNotify(t *testing.T) {
	pool := testPool(t, 8)
	writer := newStore(t, pool)
	reader, err := postgres.NewFromPool(t.Context(), pool, &postgres.Options{Schema: writer.Schema()})
	require.NoError(t, err)
	defer reader.Close()
	signal := func(ch <-chan struct{}) {
		t.Helper()
		select {
		case _, ok := <-ch:
			require.True(t, ok, "the channel closed")
		case <-time.After(30 * time.Second):
			require.FailNow(t, "no feed signal within 30s")
		}
	}
	own, err := writer.SubscribeFeed(t.Context())
	require.NoError(t, err)
	other, err := reader.SubscribeFeed(t.Context())
	require.NoError(t, err)
	r := createTestRelease(t, writer, "r1", time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	signal(own)
	appendComment(t, writer, r, false)
	signal(own)
	appendComment(t, writer, r, true)
	signal(other)
}

// With Options.NotifyFeed a write without Notify wakes the feed's
// subscribers of another Store over the schema (another process), and
// tells its release subscribers nothing.
func TestNotifyFeedSignalsEveryWriteToOtherProcesses(t *testing.T) {
	pool := testPool(t, 8)
	plain := newStore(t, pool)
	writer, err := postgres.NewFromPool(t.Context(), pool, &postgres.Options{Schema: plain.Schema(), NotifyFeed: true})
	require.NoError(t, err)
	defer writer.Close()
	reader, err := postgres.NewFromPool(t.Context(), pool, &postgres.Options{Schema: plain.Schema()})
	require.NoError(t, err)
	defer reader.Close()
	feed, err := reader.SubscribeFeed(t.Context())
	require.NoError(t, err)
	changes, err := reader.SubscribeReleases(t.Context())
	require.NoError(t, err)
	r := createTestRelease(t, writer, "r1", time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	wait := func(what string) {
		t.Helper()
		select {
		case _, ok := <-feed:
			require.True(t, ok, "the channel closed")
		case <-time.After(30 * time.Second):
			require.FailNow(t, "no feed signal within 30s", what)
		}
	}
	wait("the create")
	appendComment(t, writer, r, false)
	wait("an append without Notify")
	appendComment(t, writer, r, true)
	require.Equal(t, store.ReleaseChange{Release: "r1", Seq: 3}, receiveChange(t, changes),
		"release subscribers hear only the write with Notify")
}
