package executor

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
)

// count returns the number of timers of kind k.
func (t *timers) count(k timerKind) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for key := range t.byKey {
		if key.kind == k {
			n++
		}
	}
	return n
}

// countingStore counts the loads and unfinished-list calls made through it,
// can hold ListUnfinished until released, and can hide the resume hints
// (as a store written by an older version has none).
type countingStore struct {
	*memstore.Store
	loads     atomic.Int64
	lists     atomic.Int64
	inList    atomic.Int64 // ListUnfinished calls running now
	maxInList atomic.Int64
	noHints   bool
	mu        sync.Mutex
	gate      chan struct{} // when set, ListUnfinished waits for it to close
}

func (c *countingStore) GetRelease(ctx context.Context, id release.ID) (*release.Release, error) {
	c.loads.Add(1)
	return c.Store.GetRelease(ctx, id)
}

func (c *countingStore) ListUnfinished(ctx context.Context, p *store.ListUnfinishedParams) (*store.UnfinishedPage, error) {
	c.lists.Add(1)
	n := c.inList.Add(1)
	defer c.inList.Add(-1)
	for {
		m := c.maxInList.Load()
		if n <= m || c.maxInList.CompareAndSwap(m, n) {
			break
		}
	}
	c.mu.Lock()
	gate := c.gate
	c.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	page, err := c.Store.ListUnfinished(ctx, p)
	if err == nil && c.noHints {
		for i := range page.Releases {
			page.Releases[i].Resume = release.Resume{Load: true}
		}
	}
	return page, err
}

func TestARescanDueWhileAScanRunsIsSkippedNotStacked(t *testing.T) {
	cs := &countingStore{Store: memstore.New(nil), gate: make(chan struct{})}
	h := newHarnessOn(t, cs, &Config{LeaseDuration: 10 * time.Second, RescanInterval: time.Second}, &recorder{kind: "noop"})
	require.True(t, waitFor(func() bool { return cs.inList.Load() == 1 }), "Run's first scan lists")
	// Many rescan ticks while the first scan is held: each finds it running.
	for range 20 {
		h.advance(time.Second)
		time.Sleep(time.Millisecond)
	}
	require.True(t, waitFor(func() bool { return h.ex.timers.has(timerKey{kind: timerRescan}) }))
	require.Equal(t, int64(1), cs.maxInList.Load(), "never two scans at once")
	require.Equal(t, uint64(0), h.ex.scans.Load())
	cs.mu.Lock()
	close(cs.gate)
	cs.gate = nil
	cs.mu.Unlock()
	require.True(t, waitFor(func() bool { return h.ex.scans.Load() == 1 }), "the held scan completes")
	lists := cs.lists.Load()
	require.LessOrEqual(t, lists, int64(2), "the ticks skipped while it ran did not queue scans: %d lists", lists)
	h.advance(time.Second)
	require.True(t, waitFor(func() bool { return h.ex.scans.Load() == 2 }), "the next tick scans again")
	require.Equal(t, int64(1), cs.maxInList.Load())
}

// A restart loads no release that waits on a person: each costs a timer
// entry (its deadline) until the timer fires or someone acts on it.
func TestARestartLoadsNoReleaseWaitingOnAnApprovalUntilItsTimerFiresOrSomeoneActs(t *testing.T) {
	cs := &countingStore{Store: memstore.New(nil)}
	h := newHarnessOn(t, cs, nil, &recorder{kind: "noop"})
	h.put(approvalDoc(`{approvers: [bob], deadline: 24h}`))
	var ids []release.ID
	for range 50 {
		ids = append(ids, h.create("appr", nil))
	}
	for _, id := range ids {
		h.waitActivity(id, "qa.signoff", release.ActivityWaiting)
	}
	h.shutdown()

	cs.loads.Store(0)
	h.start()
	require.True(t, waitFor(func() bool { return h.ex.scans.Load() == 1 }), "ready: the first scan is done")
	require.Zero(t, cs.loads.Load(), "no waiting release was loaded")
	h.ex.mu.Lock()
	hot, idle := len(h.ex.runs), len(h.ex.idle)
	h.ex.mu.Unlock()
	require.Zero(t, hot)
	require.Equal(t, len(ids), idle, "each is known, unloaded")
	for _, id := range ids {
		at, ok := h.ex.timers.when(timerKey{rel: id, kind: timerWake})
		require.True(t, ok, "a wake-up at its deadline")
		require.True(t, at.Equal(h.get(id).Activities["qa.signoff"].Attempts[0].StartedAt.Add(24*time.Hour)))
	}

	// No lease is kept for them: a lease goes with the work.
	for _, id := range ids {
		_, err := cs.RenewLease(context.Background(), &store.LeaseParams{Key: leaseKey(id), Owner: h.ex.cfg.InstanceID, Now: h.clock.Now(), TTL: time.Minute})
		require.ErrorIs(t, err, store.ErrNotFound, "release %s: its lease is gone", id)
	}

	// Someone acts on one: it is loaded then, and goes on.
	require.NoError(t, h.ex.Approve(context.Background(), ids[0], "qa.signoff", &DecisionParams{By: By{Actor: "bob"}}))
	h.waitStatus(ids[0], release.Succeeded)

	// A rescan loads none of the others: they have not changed.
	loads := cs.loads.Load()
	h.ex.scan(context.Background())
	require.Equal(t, loads, cs.loads.Load())

	// The deadline passes: each is loaded then, and its deadline rejects it.
	h.advance(25 * time.Hour)
	for _, id := range ids[1:] {
		h.waitActivity(id, "qa.signoff", release.ActivityOnHold)
	}
}

// A release stored without a hint (by an older version) is loaded.
func TestARestartLoadsTheReleasesWhoseStoreHasNoHint(t *testing.T) {
	cs := &countingStore{Store: memstore.New(nil), noHints: true}
	h := newHarnessOn(t, cs, nil, &recorder{kind: "noop"})
	h.put(approvalDoc(`{approvers: [bob]}`))
	var ids []release.ID
	for range 5 {
		ids = append(ids, h.create("appr", nil))
	}
	for _, id := range ids {
		h.waitActivity(id, "qa.signoff", release.ActivityWaiting)
	}
	h.shutdown()
	cs.loads.Store(0)
	h.start()
	require.True(t, waitFor(func() bool { return h.ex.scans.Load() == 1 }))
	require.Equal(t, int64(len(ids)), cs.loads.Load(), "each release was loaded")
}

// The paths around lazy resumption: a release whose approval already has
// a decision, and a release with an attempt in flight at the crash, are
// loaded at once; a scheduled release starts at its time without having
// been loaded before.
func TestARestartLoadsAtOnceTheReleasesWithWorkToDrive(t *testing.T) {
	cs := &countingStore{Store: memstore.New(nil)}
	block := make(chan struct{})
	var calls atomic.Int64
	ad := adapters.Func("slow", func(ctx context.Context, _ *adapters.Request) (*adapters.Result, error) {
		calls.Add(1)
		select {
		case <-block:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	h := newHarnessOn(t, cs, nil, ad, &recorder{kind: "noop"})
	h.put(approvalDoc(`{approvers: [bob, carol], min: 2}`))
	h.put("id: slow\nphases:\n  - id: p\n    activities:\n      - {id: a, uses: slow}\n")
	decided := h.create("appr", nil)
	h.waitActivity(decided, "qa.signoff", release.ActivityWaiting)
	require.NoError(t, h.ex.Approve(context.Background(), decided, "qa.signoff", &DecisionParams{By: By{Actor: "bob"}}))
	inflight := h.create("slow", nil)
	require.True(t, waitFor(func() bool { return calls.Load() == 1 }))
	sum, err := h.ex.Create(context.Background(), &CreateParams{Process: "slow", By: By{Actor: "alice"}, ScheduledFor: t0.Add(time.Hour)})
	require.NoError(t, err)
	h.shutdown()

	cs.loads.Store(0)
	h.start()
	require.True(t, waitFor(func() bool { return h.ex.scans.Load() == 1 }))
	require.Equal(t, int64(2), cs.loads.Load(), "the decided approval and the attempt in flight, not the scheduled release")
	require.True(t, waitFor(func() bool { return calls.Load() == 2 }), "the attempt in flight is re-run")
	at, ok := h.ex.timers.when(timerKey{rel: sum.ID, kind: timerWake})
	require.True(t, ok)
	require.True(t, at.Equal(t0.Add(time.Hour)))
	h.advance(time.Hour)
	require.True(t, waitFor(func() bool { return calls.Load() == 3 }), "the scheduled release started at its time")
	close(block)
	h.waitStatus(inflight, release.Succeeded)
	h.waitStatus(sum.ID, release.Succeeded)
	require.NoError(t, h.ex.Approve(context.Background(), decided, "qa.signoff", &DecisionParams{By: By{Actor: "carol"}}))
	h.waitStatus(decided, release.Succeeded)
}
