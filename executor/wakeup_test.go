package executor

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
	"github.com/stretchr/testify/require"
)

// replica is one executor of a multi-replica test, with its own adapters.
type replica struct {
	ex   *Executor
	slow *recorder // hangs until cancelled
	work *recorder // succeeds at once
	stop func()
}

func startReplica(t *testing.T, st store.Store, clk Clock, cfg Config, run bool) *replica {
	t.Helper()
	rp := &replica{
		slow: &recorder{kind: "slow", fn: func(ctx context.Context, _ *adapters.Request) (*adapters.Result, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}},
		work: &recorder{kind: "work"},
	}
	cfg.Clock, cfg.Jitter = clk, -1
	ex, err := New(st, adapters.NewRegistry(rp.slow, rp.work), &cfg)
	require.NoError(t, err)
	rp.ex, rp.stop = ex, func() {}
	if run {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = ex.Run(ctx)
		}()
		// Its first scan must be over before the test creates releases:
		// a scan running meanwhile may take a release its creator drives.
		require.True(t, waitFor(func() bool { return ex.scans.Load() >= 1 }), "the first scan is over")
		stopped := false
		rp.stop = func() {
			if !stopped {
				stopped = true
				cancel()
				<-done
			}
		}
		t.Cleanup(rp.stop)
	}
	return rp
}

func putDoc(t *testing.T, st store.Store, doc string) {
	t.Helper()
	p, err := process.Parse([]byte(doc))
	require.NoError(t, err)
	_, err = st.PutProcess(context.Background(), &store.PutProcessParams{Process: p, CreatedBy: "test", Now: t0})
	require.NoError(t, err)
}

func waitActivityIn(t *testing.T, st store.Store, id release.ID, k release.ActivityKey, want release.ActivityStatus) {
	t.Helper()
	ok := waitFor(func() bool {
		r, err := st.GetRelease(context.Background(), id)
		return err == nil && r.Activities[k] != nil && r.Activities[k].Status == want
	})
	require.Truef(t, ok, "release %s: activity %s never %s", id, k, want)
}

// Rescans are a day apart in these tests, and the clock never moves: what
// happens, happens because a notification woke the replica.
const noRescan = 24 * time.Hour

// An approval given through replica A, which does not drive the release,
// starts the next activity on replica B, which does, without waiting for
// a rescan; and a change recorded by a process that does not run Run at
// all (an API server recording an approval) is picked up by a running
// replica.
func TestAChangeRecordedThroughAnotherReplicaWakesTheDriver(t *testing.T) {
	const gated = `
id: gated
phases:
  - id: p
    activities:
      - {id: slow, uses: slow}
      - {id: gate, type: approval, approval: {approvers: [bob], min: 1}}
      - {id: after, uses: work, depends-on: [gate]}
`
	cases := []struct {
		name string
		// holding: replica B has an adapter call in flight, so it holds the
		// release (and its lease) in memory while A records the approval.
		holding bool
		// runA: the approving executor runs Run.
		runA bool
	}{
		{name: "driver holds the release, approval through a running replica", holding: true, runA: true},
		{name: "driver holds the release, approval through an executor not running", holding: true, runA: false},
		{name: "no one holds the release, approval through an executor not running", holding: false, runA: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := memstore.New(nil)
			clk := newFakeClock(t0)
			putDoc(t, st, gated)
			doc := gated
			if !tc.holding {
				doc = `
id: gated
version: 2
phases:
  - id: p
    activities:
      - {id: gate, type: approval, approval: {approvers: [bob], min: 1}}
      - {id: after, uses: work, depends-on: [gate]}
`
				putDoc(t, st, doc)
			}
			cfg := Config{LeaseDuration: noRescan, RescanInterval: noRescan}
			cfg.InstanceID = "b"
			b := startReplica(t, st, clk, cfg, true)
			cfg.InstanceID = "a"
			a := startReplica(t, st, clk, cfg, tc.runA)

			sum, err := b.ex.Create(context.Background(), &CreateParams{Process: "gated", By: By{Actor: "alice"}})
			require.NoError(t, err)
			waitActivityIn(t, st, sum.ID, "p.gate", release.ActivityWaiting)
			if tc.holding {
				require.True(t, waitFor(func() bool { return len(b.slow.Calls()) == 1 }))
			}

			require.NoError(t, a.ex.Approve(context.Background(), sum.ID, "p.gate", &DecisionParams{By: By{Actor: "bob"}}))
			waitActivityIn(t, st, sum.ID, "p.after", release.ActivitySucceeded)
			require.Len(t, b.work.Calls(), 1, "replica B ran the next activity")
			require.Empty(t, a.work.Calls(), "replica A ran nothing")
			require.Equal(t, t0, clk.Now(), "no timer, no rescan: a notification did it")
		})
	}
}

// mortalStore is a store whose executor dies at once when killed: every
// write and lease call fails from then on, so it gives nothing back.
type mortalStore struct {
	*memstore.Store
	dead atomic.Bool
}

var errDead = errors.New("mortal: dead")

func (m *mortalStore) AppendEvents(ctx context.Context, p *store.AppendEventsParams) error {
	if m.dead.Load() {
		return errDead
	}
	return m.Store.AppendEvents(ctx, p)
}

func (m *mortalStore) AcquireLease(ctx context.Context, p *store.LeaseParams) (*store.Lease, error) {
	if m.dead.Load() {
		return nil, errDead
	}
	return m.Store.AcquireLease(ctx, p)
}

func (m *mortalStore) RenewLease(ctx context.Context, p *store.LeaseParams) (*store.Lease, error) {
	if m.dead.Load() {
		return nil, errDead
	}
	return m.Store.RenewLease(ctx, p)
}

func (m *mortalStore) ReleaseLease(ctx context.Context, p *store.LeaseParams) error {
	if m.dead.Load() {
		return errDead
	}
	return m.Store.ReleaseLease(ctx, p)
}

// A release whose driver died (its lease not given back) is taken over by
// another replica once the lease expires, and the activity that was
// running is run again with the same idempotency key.
func TestAReleaseWhoseDriverDiedIsTakenOverAfterItsLeaseExpires(t *testing.T) {
	mem := memstore.New(nil)
	clk := newFakeClock(t0)
	putDoc(t, mem, "id: one\nphases:\n  - id: p\n    activities:\n      - {id: a, uses: slow}\n      - {id: b, uses: work, depends-on: [a]}\n")
	cfg := Config{LeaseDuration: 10 * time.Second, RescanInterval: 5 * time.Second, Logger: testLogger(t)}
	cfg.InstanceID = "a"
	ms := &mortalStore{Store: mem}
	a := startReplica(t, ms, clk, cfg, true)
	sum, err := a.ex.Create(context.Background(), &CreateParams{Process: "one", By: By{Actor: "alice"}})
	require.NoError(t, err)
	require.True(t, waitFor(func() bool { return len(a.slow.Calls()) == 1 }))
	key := a.slow.Calls()[0].IdempotencyKey

	cfg.InstanceID = "b"
	b := startReplica(t, mem, clk, cfg, true)
	b.slow.fn = nil // on B the activity succeeds
	ms.dead.Store(true)
	a.stop() // dies holding the lease

	// Nothing happens while the lease is live.
	clk.Add(5 * time.Second)
	require.Empty(t, b.slow.Calls(), "B waited for A's lease to expire")
	lease, err := mem.AcquireLease(context.Background(), &store.LeaseParams{Key: leaseKey(sum.ID), Owner: "probe", Now: clk.Now(), TTL: time.Second})
	require.ErrorIs(t, err, store.ErrConflict, "A's lease is still live: %v", lease)

	ok := waitFor(func() bool {
		clk.Add(time.Second)
		return len(b.slow.Calls()) > 0
	})
	require.True(t, ok, "B took the release over after the lease expired")
	require.Equal(t, key, b.slow.Calls()[0].IdempotencyKey, "the running attempt is run again with its idempotency key")
	waitActivityIn(t, mem, sum.ID, "p.b", release.ActivitySucceeded)
	require.Len(t, b.work.Calls(), 1)
	require.Empty(t, a.work.Calls())
}
