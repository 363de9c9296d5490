package notify_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/executor/notify"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// crash is what a fault point panics with: the dispatcher dies there, with
// whatever it held in memory.
type crash struct{ point string }

// faults counts the fault points passed and fires at the at-th (from 1):
// a panic (a crash) or, with fail, an error.
type faults struct {
	n, at int
	fail  bool
	fired string
}

var errInjected = errors.New("injected fault")

func (f *faults) hit(point string) error {
	f.n++
	if f.n != f.at {
		return nil
	}
	f.fired = point
	if f.fail {
		return fmt.Errorf("%w at %s", errInjected, point)
	}
	panic(crash{point})
}

// faultyStore injects faults around the cursor writes and the feed reads.
type faultyStore struct {
	testStore
	f *faults
}

func (s *faultyStore) PutCursor(ctx context.Context, p *store.PutCursorParams) (*store.ConsumerCursor, error) {
	if err := s.f.hit("before storing the cursor"); err != nil {
		return nil, err
	}
	c, err := s.testStore.PutCursor(ctx, p)
	if err := s.f.hit("after storing the cursor"); err != nil {
		return nil, err
	}
	return c, err
}

func (s *faultyStore) ListAllEvents(ctx context.Context, p *store.ListAllEventsParams) (*store.FeedPage, error) {
	if err := s.f.hit("before reading the feed"); err != nil {
		return nil, err
	}
	return s.testStore.ListAllEvents(ctx, p)
}

// faultyNotifier injects faults around a delivery.
type faultyNotifier struct {
	next notify.Notifier
	f    *faults
}

func (n *faultyNotifier) Notify(ctx context.Context, m *notify.Message) error {
	if err := n.f.hit("before delivering"); err != nil {
		return err
	}
	err := n.next.Notify(ctx, m)
	if err := n.f.hit("after delivering"); err != nil {
		return err
	}
	return err
}

// crashScript stores releases whose events make messages of two rules.
func crashScript(t *testing.T, s *script) *script {
	for i := range 3 {
		at := t0.Add(time.Duration(i) * time.Minute)
		r := s.create(spec{name: fmt.Sprint("r", i), at: at})
		s.toApproval(r, at)
		if i == 1 {
			s.append(r, at, release.ActivityFailedPayload{Activity: "qa.signoff", Error: "no"}, release.ActivityHeldPayload{Activity: "qa.signoff", Error: "no"})
		}
	}
	return s
}

// deliverAll runs dispatchers over st until one polls to the end without
// a fault, replacing each that crashes. It returns the number of crashes.
func deliverAll(t *testing.T, st *faultyStore, hook notify.Notifier) (crashes int) {
	t.Helper()
	for range 100 {
		d, err := notify.New(st, &notify.Config{FromStart: true, PageSize: 4, CursorEvery: 4, Clock: clock.NewMock(), Logger: quiet, Instance: "node-1", Rules: []notify.Rule{
			{Name: "people", Notifier: &faultyNotifier{hook, st.f}, Types: []notify.Type{notify.WaitingForPerson, notify.ActivityOnHold}},
			{Name: "channel", Notifier: &faultyNotifier{hook, st.f}, Types: []notify.Type{notify.ReleaseCreated, notify.ReleaseStarted, notify.PhaseEnded}},
		}})
		require.NoError(t, err)
		for range 100 {
			var crashed bool
			n, err := func() (n int, err error) {
				defer func() {
					if v := recover(); v != nil {
						_, ok := v.(crash)
						require.True(t, ok, "a real panic: %v", v)
						crashed = true
					}
				}()
				return d.Poll(context.Background())
			}()
			if crashed {
				crashes++
				break
			}
			if err != nil {
				require.ErrorIs(t, err, errInjected)
				continue // the same dispatcher tries again
			}
			if n == 0 {
				return crashes
			}
		}
	}
	t.Fatal("never delivered everything")
	return 0
}

// A dispatcher killed at every fault point around deliveries, cursor
// writes and feed reads, or failing there, delivers every message at least
// once; the receiver sees every key, twice only for a crash or a failure.
func TestADispatcherKilledAtEveryPointDeliversEverythingAtLeastOnce(t *testing.T) {
	testKilledAtEveryPoint(t, newScript, 1)
}

// The same over SQLite, at every twentieth fault point (a run on SQLite takes seconds: all of them would take minutes).
func TestADispatcherOverSQLiteKilledAtEveryTwentiethPointDeliversEverything(t *testing.T) {
	testKilledAtEveryPoint(t, newSQLiteScript, 20)
}

// The same over PostgreSQL (BATON_POSTGRES_URL), at every twentieth
// fault point, each run in a schema of its own.
func TestADispatcherOverPostgreSQLKilledAtEveryTwentiethPointDeliversEverything(t *testing.T) {
	testKilledAtEveryPoint(t, newPostgresScript, 20)
}

func testKilledAtEveryPoint(t *testing.T, newStore func(*testing.T) *script, every int) {
	// A clean run gives the keys, and the number of fault points passed.
	clean := crashScript(t, newStore(t)).settle()
	rc := newReceiver(t, 0)
	hook, err := notify.NewWebhook(rc.URL, nil)
	require.NoError(t, err)
	cf := &faults{}
	require.Zero(t, deliverAll(t, &faultyStore{clean.st, cf}, hook))
	want, _ := rc.got()
	require.Greater(t, len(want), 10)
	requireUnique(t, want)
	points := cf.n
	require.Greater(t, points, 2*len(want), "each delivery passes two points, each cursor write two")

	for _, fail := range []bool{false, true} {
		for at := 1; at <= points; at += every {
			name := fmt.Sprintf("crash at %d", at)
			if fail {
				name = fmt.Sprintf("fail at %d", at)
			}
			t.Run(name, func(t *testing.T) {
				// The same releases, so the same keys but for the
				// random part of the release ids (see shapes).
				s := crashScript(t, newStore(t)).settle()
				rc := newReceiver(t, 0)
				hook, err := notify.NewWebhook(rc.URL, nil)
				require.NoError(t, err)
				f := &faults{at: at, fail: fail}
				crashes := deliverAll(t, &faultyStore{s.st, f}, hook)
				require.NotEmpty(t, f.fired, "fault point %d was reached", at)
				if !fail {
					require.Equal(t, 1, crashes)
				}
				got, _ := rc.got()
				require.Equal(t, len(want), len(unique(got)), "every key (fault %s)", f.fired)
				require.Equal(t, shapes(t, want), shapes(t, unique(got)), "the same messages (fault %s)", f.fired)
				dups := len(got) - len(unique(got))
				require.LessOrEqual(t, dups, 4*2, "duplicates: at most the page in flight at the fault (%s)", f.fired)
			})
		}
	}
}

func unique(keys []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

func requireUnique(t *testing.T, keys []string) {
	t.Helper()
	require.Equal(t, len(keys), len(unique(keys)), "no duplicates without a fault")
}

// shapes turns keys into what does not depend on the random part of
// release ids: the release's order of first appearance, the seq and rule.
func shapes(t *testing.T, keys []string) []string {
	t.Helper()
	order := map[string]int{}
	var out []string
	for _, k := range keys {
		var id, rule string
		var seq int
		n, err := fmt.Sscanf(k[37:], "%d/%s", &seq, &rule)
		require.NoError(t, err, k)
		require.Equal(t, 2, n)
		id = k[:36]
		if _, ok := order[id]; !ok {
			order[id] = len(order)
		}
		out = append(out, fmt.Sprintf("%d/%d/%s", order[id], seq, rule))
	}
	return out
}
