package executor

import (
	"context"
	"testing"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store/memstore"
	"github.com/stretchr/testify/require"
)

const twoStepDoc = "id: two\nphases:\n  - id: p\n    activities:\n" +
	"      - {id: a, uses: slow}\n      - {id: b, uses: slow, depends-on: [a]}\n"

// slowAdapter blocks each call until the test releases it (or, when
// honour is set, until its context is cancelled).
type slowAdapter struct {
	started chan release.ActivityKey
	finish  chan struct{}
}

func newSlowAdapter() *slowAdapter {
	return &slowAdapter{started: make(chan release.ActivityKey, 8), finish: make(chan struct{})}
}

func (s *slowAdapter) Kind() string { return "slow" }

func (s *slowAdapter) Run(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
	s.started <- req.Activity
	select {
	case <-s.finish:
		return &adapters.Result{}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func newLaunched(t *testing.T, ad adapters.Adapter) (*Executor, *memstore.Store) {
	t.Helper()
	st := memstore.New(nil)
	ex, err := New(st, adapters.NewRegistry(ad), &Config{Clock: newFakeClock(t0), Jitter: -1})
	require.NoError(t, err)
	require.NoError(t, ex.Launch(context.Background()))
	t.Cleanup(func() { _ = ex.Shutdown(context.Background()) })
	h := &harness{t: t, store: st, clock: newFakeClock(t0)}
	h.put(twoStepDoc)
	return ex, st
}

func (e *Executor) shuttingDown() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.life.stopping
}

func TestShutdownLetsTheCallInFlightFinishAndStartsNothingNew(t *testing.T) {
	ad := newSlowAdapter()
	ex, st := newLaunched(t, ad)
	require.ErrorIs(t, ex.Launch(context.Background()), ErrRunning)
	ctx := context.Background()
	sum, err := ex.Create(ctx, &CreateParams{Process: "two", By: By{Actor: "alice"}})
	require.NoError(t, err)
	require.Equal(t, release.ActivityKey("p.a"), <-ad.started)

	done := make(chan error, 1)
	go func() { done <- ex.Shutdown(ctx) }()
	require.True(t, waitFor(ex.shuttingDown))
	close(ad.finish) // the call in flight finishes after Shutdown began
	require.NoError(t, <-done, "every call finished in time")

	r, err := st.GetRelease(ctx, sum.ID)
	require.NoError(t, err)
	require.Equal(t, release.ActivitySucceeded, r.Activities["p.a"].Status, "its result was recorded")
	require.Equal(t, release.ActivityRunning, r.Activities["p.b"].Status, "b was started in the store but not called")
	select {
	case k := <-ad.started:
		t.Fatalf("%s was called during shutdown", k)
	default:
	}

	// Launched again, the executor calls b with the same attempt.
	require.NoError(t, ex.Launch(ctx))
	require.Equal(t, release.ActivityKey("p.b"), <-ad.started)
	require.True(t, waitFor(func() bool {
		s, err := st.GetReleaseSummary(ctx, sum.ID)
		return err == nil && s.Status == release.Succeeded
	}))
	r, err = st.GetRelease(ctx, sum.ID)
	require.NoError(t, err)
	require.Len(t, r.Activities["p.b"].Attempts, 1, "the open attempt was re-run, not a new one")
	require.NoError(t, ex.Shutdown(ctx))
	require.NoError(t, ex.Shutdown(ctx), "Shutdown of a stopped executor is a no-op")
}

func TestShutdownPastItsDeadlineCancelsTheCallsAndSaysSo(t *testing.T) {
	ad := newSlowAdapter()
	ex, st := newLaunched(t, ad)
	sum, err := ex.Create(context.Background(), &CreateParams{Process: "two", By: By{Actor: "alice"}})
	require.NoError(t, err)
	<-ad.started

	gone, cancel := context.WithCancel(context.Background())
	cancel() // no time left: the call is cancelled at once
	err = ex.Shutdown(gone)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorContains(t, err, "cancelled 1 adapter call(s)")

	r, err := st.GetRelease(context.Background(), sum.ID)
	require.NoError(t, err)
	a := r.Activities["p.a"]
	require.Equal(t, release.ActivityRunning, a.Status, "the attempt stays open for the next Run")
	require.Len(t, a.Attempts, 1)
}

func TestShutdownStopsAnExecutorStartedWithRun(t *testing.T) {
	ex, err := New(memstore.New(nil), nil, nil)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- ex.Run(context.Background()) }()
	require.True(t, waitFor(func() bool { return ex.context() != nil }))
	require.NoError(t, ex.Shutdown(context.Background()))
	require.NoError(t, <-done)
}

func TestLaunchRefusesADoneContext(t *testing.T) {
	ex, err := New(memstore.New(nil), nil, nil)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, ex.Launch(ctx), context.Canceled)
	require.Nil(t, ex.context(), "not running")
}
