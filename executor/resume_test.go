package executor

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
	"github.com/stretchr/testify/require"
)

func TestRunResumesAnInFlightAttemptWithTheSameIdempotencyKey(t *testing.T) {
	var mu sync.Mutex
	var keys []string
	block := true
	ad := adapters.Func("deploy", func(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
		mu.Lock()
		keys = append(keys, req.IdempotencyKey)
		b := block
		mu.Unlock()
		if b {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return &adapters.Result{Outputs: map[string]any{"done": true}}, nil
	})
	h := newHarness(t, nil, ad)
	h.put(`
id: resume
phases:
  - id: p
    activities:
      - {id: rollout, uses: deploy, retry: {max-attempts: 3, backoff: 1s}}
`)
	id := h.create("resume", nil)
	require.True(t, waitFor(func() bool { mu.Lock(); defer mu.Unlock(); return len(keys) == 1 }))
	h.shutdown() // the adapter sees its context cancelled; nothing is recorded
	require.Equal(t, release.ActivityRunning, h.get(id).Activities["p.rollout"].Status)
	require.Len(t, h.get(id).Activities["p.rollout"].Attempts, 1)

	mu.Lock()
	block = false
	mu.Unlock()
	h.start()
	r := h.waitStatus(id, release.Succeeded)
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []string{idemKey(id, "p.rollout", 1), idemKey(id, "p.rollout", 1)}, keys)
	require.Len(t, r.Activities["p.rollout"].Attempts, 1, "the same attempt was re-run, not a new one")
}

// pollAdapter starts external work and reports it done after a number of
// polls. Start is idempotent per key, as the contract requires.
type pollAdapter struct {
	mu     sync.Mutex
	starts map[string]int
	polls  map[string]int
	need   int
}

func (p *pollAdapter) Kind() string { return "ci" }
func (p *pollAdapter) Run(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
	panic("the executor must use Start and Poll")
}
func (p *pollAdapter) Start(_ context.Context, req *adapters.Request) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.starts[req.IdempotencyKey]++
	return "build-" + req.IdempotencyKey, nil
}
func (p *pollAdapter) Poll(_ context.Context, req *adapters.Request, handle string) (adapters.PollStatus, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.polls[handle]++
	if p.polls[handle] < p.need {
		return adapters.PollStatus{After: time.Minute}, nil
	}
	return adapters.PollStatus{Done: true, Result: &adapters.Result{Outputs: map[string]any{"build": handle}}}, nil
}

func TestPollerWorkIsPolledOnTheClockAndReattachedAfterARestart(t *testing.T) {
	pa := &pollAdapter{starts: map[string]int{}, polls: map[string]int{}, need: 3}
	before := runtime.NumGoroutine() + 3 // Run, its timer loop and its notification listener
	h := newHarness(t, nil, pa)
	h.put(`
id: poll
phases:
  - id: p
    activities:
      - {id: build, uses: ci}
`)
	id := h.create("poll", nil)
	key := idemKey(id, "p.build", 1)
	handle := "build-" + key
	polls := func() int { pa.mu.Lock(); defer pa.mu.Unlock(); return pa.polls[handle] }
	require.True(t, waitFor(func() bool { return polls() == 1 }))
	require.True(t, waitFor(func() bool { return runtime.NumGoroutine() <= before }), "waiting between polls holds no goroutine")

	h.shutdown()
	h.start()
	require.True(t, waitFor(func() bool { return polls() == 2 }), "re-attached: polled again")
	h.advance(time.Minute)
	r := h.waitStatus(id, release.Succeeded)
	require.Equal(t, handle, r.Activities["p.build"].Outputs["build"])
	pa.mu.Lock()
	defer pa.mu.Unlock()
	require.Equal(t, map[string]int{key: 2}, pa.starts, "the same work was started again once, idempotently, with the same key")
}

func TestWaitingReleasesHoldNoGoroutineAndRunLeavesNone(t *testing.T) {
	before := runtime.NumGoroutine()
	h := newHarness(t, nil, &recorder{kind: "noop"})
	h.put(approvalDoc(`{approvers: [bob], deadline: 24h}`))
	running := before + 3 // Run, its timer loop and its notification listener
	var ids []release.ID
	for i := 0; i < 200; i++ {
		ids = append(ids, h.create("appr", nil))
	}
	for _, id := range ids {
		h.waitActivity(id, "qa.signoff", release.ActivityWaiting)
	}
	require.True(t, waitFor(func() bool { return runtime.NumGoroutine() <= running }),
		"200 waiting releases: %d goroutines, %d before", runtime.NumGoroutine(), running)
	h.ex.mu.Lock()
	hot := len(h.ex.runs)
	h.ex.mu.Unlock()
	require.Zero(t, hot, "waiting releases are not held in memory")
	// A release created before Run was running may also have a wake-up
	// from Run's first scan, due with its deadline (see scan).
	require.Equal(t, 200+3, h.ex.timers.len()-h.ex.timers.count(timerWake), "one deadline timer each, plus lease renewal, rescan and reading the freezes again")

	require.NoError(t, h.ex.Approve(context.Background(), ids[0], "qa.signoff", &DecisionParams{By: By{Actor: "bob"}}))
	h.waitStatus(ids[0], release.Succeeded)
	h.shutdown()
	require.True(t, goroutinesSettle(before), "after Run returns: %d goroutines, %d before", runtime.NumGoroutine(), before)
}

// Run may start between two adapter calls of one drive: the first call
// found Run not running and was left for Run, while the release stays in
// memory because of the second. Run's first scan makes the call left.
func TestRunMakesTheCallsLeftBeforeItStartedOnAReleaseHeldInMemory(t *testing.T) {
	ad := &recorder{kind: "noop"}
	st := memstore.New(nil)
	ex, err := New(st, adapters.NewRegistry(ad), &Config{Clock: newFakeClock(t0), Jitter: -1})
	require.NoError(t, err)
	p, err := process.Parse([]byte("id: early\nphases:\n  - id: p\n    activities:\n      - {id: a, uses: noop}\n      - {id: b, uses: noop}\n"))
	require.NoError(t, err)
	ctx := context.Background()
	_, err = st.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: "test", Now: t0})
	require.NoError(t, err)
	sum, err := ex.Create(ctx, &CreateParams{Process: "early", By: By{Actor: "ci"}})
	require.NoError(t, err)
	require.Empty(t, ad.Calls(), "Run is not running: the calls are left for it")

	r, err := ex.acquire(ctx, sum.ID)
	require.NoError(t, err)
	f := &flight{attempt: 1}
	f.ctx.parent = ctx
	r.flights[int32(r.p.index["p.b"])] = f // b looks in flight
	r.undriven = true
	ex.releaseRun(r)
	ex.mu.Lock()
	_, hot := ex.runs[sum.ID]
	ex.mu.Unlock()
	require.True(t, hot, "the release is held in memory")

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = ex.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	require.True(t, waitFor(func() bool {
		for _, c := range ad.Calls() {
			if c.Activity == "p.a" {
				return true
			}
		}
		return false
	}), "the call left for Run is made")
}
