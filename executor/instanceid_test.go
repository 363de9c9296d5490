package executor

import (
	"context"
	"testing"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
	"github.com/stretchr/testify/require"
)

// Two replicas whose hosts forgot to set InstanceID share one store: each
// gets its own id, so the second finds the first's leases held and drives
// none of its releases (a shared default id would let both hold every
// lease and run every activity twice).
func TestTwoDefaultConfiguredExecutorsNeverBothDriveARelease(t *testing.T) {
	st := memstore.New(nil)
	clk := newFakeClock(t0)
	slow := &recorder{kind: "slow", fn: func(ctx context.Context, _ *adapters.Request) (*adapters.Result, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	reg := adapters.NewRegistry(slow)
	ctx := context.Background()
	p, err := process.Parse([]byte("id: one\nphases:\n  - id: p\n    activities:\n      - {id: a, uses: slow}\n"))
	require.NoError(t, err)
	_, err = st.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: "test", Now: t0})
	require.NoError(t, err)

	start := func() (*Executor, func()) {
		ex, err := New(st, reg, &Config{Clock: clk, Jitter: -1})
		require.NoError(t, err)
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = ex.Run(rctx)
		}()
		return ex, func() { cancel(); <-done }
	}
	a, stopA := start()
	defer stopA()
	const n = 5
	ids := make([]release.ID, n)
	for i := range ids {
		sum, err := a.Create(ctx, &CreateParams{Process: "one", By: By{Actor: "alice"}})
		require.NoError(t, err)
		ids[i] = sum.ID
	}
	require.True(t, waitFor(func() bool { return len(slow.Calls()) == n }), "replica A runs every activity")

	b, stopB := start()
	defer stopB()
	require.NotEqual(t, a.cfg.InstanceID, b.cfg.InstanceID)
	require.True(t, waitFor(func() bool { return b.scans.Load() >= 1 }), "replica B's first scan (what its Run does first) is over")

	b.mu.Lock()
	held := make([]*run, 0, len(b.runs))
	for _, r := range b.runs {
		held = append(held, r)
	}
	b.mu.Unlock()
	for _, r := range held { // a run's lock before the executor's, never inside it
		r.mu.Lock()
		require.Nilf(t, r.lease, "replica B holds the lease of %s, which A drives", r.id)
		r.mu.Unlock()
	}
	require.Len(t, slow.Calls(), n, "replica B started no activity A is running")
	for _, id := range ids {
		_, err := st.AcquireLease(ctx, &store.LeaseParams{Key: leaseKey(id), Owner: b.cfg.InstanceID, Now: clk.Now(), TTL: a.cfg.LeaseDuration})
		require.ErrorIsf(t, err, store.ErrConflict, "release %s: A's lease stands against B's id", id)
	}
}
