package notify_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/executor/notify"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// announcer is a Notifier that hands each message's release to a channel.
type announcer chan release.ID

func (a announcer) Notify(ctx context.Context, m *notify.Message) error {
	select {
	case a <- m.Release.ID:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run wakes on the store's signal (store.FeedNotifier) of new events: its
// clock never moves, so the poll never comes, yet a release created while
// it waits is told. On memstore, SQLite and PostgreSQL.
func TestRunDeliversAppendedEventsWithoutWaitingForItsPoll(t *testing.T) {
	for _, tc := range []struct {
		name     string
		newStore func(*testing.T) *script
	}{{"memstore", newScript}, {"sqlite", newSQLiteScript}, {"postgres", newPostgresScript}} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.newStore(t)
			told := make(announcer)
			d, err := notify.New(s.st, &notify.Config{FromStart: true, Clock: clock.NewMock(), Logger: quiet,
				Rules: []notify.Rule{{Name: "created", Notifier: told, Types: []notify.Type{notify.ReleaseCreated}}}})
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			go func() { done <- d.Run(ctx) }()
			defer func() {
				cancel()
				require.ErrorIs(t, <-done, context.Canceled)
			}()
			// Each release is told without the clock moving: the first
			// after Run's first poll at the latest, the others once the
			// store signals them (a poll would wait for the mock clock).
			// A PostgreSQL feed may hold a write back past its signal
			// while another test's transaction is in flight: the script
			// waits for the feed to hold the release, then appends a
			// comment, whose signal finds it.
			for i := range 3 {
				at := t0.Add(time.Duration(i) * time.Minute)
				r := s.create(spec{name: "r", at: at})
				s.settle()
				s.append(r, at, release.CommentAddedPayload{Text: "signal"})
				select {
				case id := <-told:
					require.Equal(t, r.ID, id)
				case <-time.After(time.Minute): // a bound against a hang; it measures nothing
					t.Fatalf("release %d was not told: Run waits for its poll", i)
				}
			}
		})
	}
}

// cursorCounter counts the cursor writes of the store it wraps (Unwrap
// lets the dispatcher find the store's other capabilities).
type cursorCounter struct {
	testStore
	puts atomic.Int64
}

func (s *cursorCounter) PutCursor(ctx context.Context, p *store.PutCursorParams) (*store.ConsumerCursor, error) {
	s.puts.Add(1)
	return s.testStore.PutCursor(ctx, p)
}

func (s *cursorCounter) Unwrap() store.Store { return s.testStore }

// Run woken by the store at every write stores its cursor at most once
// per PollInterval (its clock does not move here: once), not once per
// wake, and stores where it stopped when it returns.
func TestRunWokenByEveryWriteStoresItsCursorOncePerPollInterval(t *testing.T) {
	s := newScript(t)
	cs := &cursorCounter{testStore: s.st}
	told := make(announcer)
	d, err := notify.New(cs, &notify.Config{FromStart: true, Clock: clock.NewMock(), Logger: quiet,
		Rules: []notify.Rule{{Name: "created", Notifier: told, Types: []notify.Type{notify.ReleaseCreated}}}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	const n = 20
	for i := range n {
		r := s.create(spec{name: "r", at: t0.Add(time.Duration(i) * time.Minute)})
		select {
		case id := <-told:
			require.Equal(t, r.ID, id)
		case <-time.After(time.Minute): // a bound against a hang; it measures nothing
			t.Fatalf("release %d was not told", i)
		}
	}
	require.LessOrEqual(t, cs.puts.Load(), int64(2), "the first store, then none until the clock moves")
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	end, err := s.st.FeedEnd(context.Background())
	require.NoError(t, err)
	c, err := s.st.GetCursor(context.Background(), "notify")
	require.NoError(t, err)
	require.Equal(t, end, c.Cursor, "stored where it stopped")
}
