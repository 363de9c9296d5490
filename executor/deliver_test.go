package executor

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
	"github.com/stretchr/testify/require"
)

// gate holds one store call until the test lets it go on, with an error or
// not.
type gate struct {
	reached chan struct{}
	proceed chan error
}

func newGate() *gate { return &gate{reached: make(chan struct{}), proceed: make(chan error)} }

func (g *gate) pass() error {
	close(g.reached)
	return <-g.proceed
}

// gatedStore holds the next AppendEvents or GetRelease at the gate armed
// for it (each gate holds one call). It has no leases.
type gatedStore struct {
	store.Store
	mu          sync.Mutex
	append, get *gate
}

// Unwrap keeps memstore's leases (store.Unwrapper).
func (g *gatedStore) Unwrap() store.Store { return g.Store }

func (s *gatedStore) take(g **gate) *gate {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := *g
	*g = nil
	return t
}

func (s *gatedStore) arm(g **gate) *gate {
	s.mu.Lock()
	defer s.mu.Unlock()
	*g = newGate()
	return *g
}

func (s *gatedStore) AppendEvents(ctx context.Context, p *store.AppendEventsParams) error {
	if g := s.take(&s.append); g != nil {
		if err := g.pass(); err != nil {
			return err
		}
	}
	return s.Store.AppendEvents(ctx, p)
}

func (s *gatedStore) GetRelease(ctx context.Context, id release.ID) (*release.Release, error) {
	if g := s.take(&s.get); g != nil {
		if err := g.pass(); err != nil {
			return nil, err
		}
	}
	return s.Store.GetRelease(ctx, id)
}

// Results that arrive while another worker applies results are queued.
// After a batch was dropped (the release could not be reloaded), the queue
// was handed the array of the batch read next: a result queued while that
// batch waited for the store overwrote one of its results, which was never
// applied, and its activity stayed Running for good (a data race under
// -race, seen in TestCrashAtEveryWriteThenAFreshExecutorFinishesTheSameRelease).
func TestAResultQueuedWhileABatchIsAppliedIsNotLost(t *testing.T) {
	gs := &gatedStore{Store: memstore.New(nil)}
	ex, err := New(gs, adapters.NewRegistry(&recorder{kind: "noop"}), &Config{Clock: newFakeClock(t0), Jitter: -1})
	require.NoError(t, err)
	p, err := process.Parse([]byte("id: four\nphases:\n  - id: p\n    activities:\n" +
		"      - {id: a, uses: noop}\n      - {id: b, uses: noop}\n      - {id: c, uses: noop}\n      - {id: d, uses: noop}\n"))
	require.NoError(t, err)
	ctx := context.Background()
	_, err = gs.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: "test", Now: t0})
	require.NoError(t, err)
	// Run is not running: the four calls are left undone, and the test
	// plays them, delivering each result itself.
	sum, err := ex.Create(ctx, &CreateParams{Process: "four", By: By{Actor: "ci"}})
	require.NoError(t, err)
	r, err := ex.acquire(ctx, sum.ID)
	require.NoError(t, err)
	res := map[string]result{}
	for _, k := range []string{"a", "b", "c", "d"} {
		i := int32(r.p.index[release.ActivityKey("p."+k)])
		require.Equal(t, release.ActivityRunning, r.state(i).Status)
		f := &flight{attempt: 1}
		f.ctx.parent = ctx
		f.reqv.Reporter = &f.rep
		f.req = &f.reqv
		r.flights[i] = f
		res[k] = result{act: i, f: f, out: &adapters.Result{}}
	}
	ex.releaseRun(r) // held in memory: calls are in flight

	// a's worker drains the queue; its append waits at the gate.
	appended := gs.arm(&gs.append)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		ex.deliver(r, res["a"])
	}()
	<-appended.reached
	require.Nil(t, ex.deliver(r, res["b"]), "queued for a's worker")
	// The append fails: the release is dropped from memory, and the
	// reload for b's batch fails too (b's result is dropped: the reload
	// makes its call again).
	loadB := gs.arm(&gs.get)
	appended.proceed <- errors.New("the disk is full")
	<-loadB.reached
	require.Nil(t, ex.deliver(r, res["c"]), "queued for a's worker")
	// The reload for c's batch works; d's result is queued meanwhile.
	loadC := gs.arm(&gs.get)
	loadB.proceed <- errors.New("the disk is full")
	<-loadC.reached
	require.Nil(t, ex.deliver(r, res["d"]), "queued for a's worker")
	loadC.proceed <- nil
	<-drained

	rel, err := gs.Store.GetRelease(ctx, sum.ID)
	require.NoError(t, err)
	require.Equal(t, release.ActivitySucceeded, rel.Activities["p.c"].Status, "c's result is applied")
	require.Equal(t, release.ActivitySucceeded, rel.Activities["p.d"].Status, "d's result is applied")
	require.Len(t, rel.Activities["p.d"].Attempts, 1)
}
