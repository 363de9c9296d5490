package executor

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/release"
	"github.com/stretchr/testify/require"
)

// waitIdle spins until the executor is idle and returns its next timer.
func waitIdle(t *testing.T, ex *Executor) time.Time {
	t.Helper()
	var next time.Time
	require.True(t, waitFor(func() bool {
		n, idle := ex.Idle()
		next = n
		if !idle {
			runtime.Gosched()
		}
		return idle
	}))
	return next
}

// A host on a mock clock drives a release with retries by waiting until
// the executor is idle and moving the clock to its next timer.
func TestIdleTellsAMockClockHostWhenToMoveTheClockAndWhere(t *testing.T) {
	fails := 2
	h := newHarness(t, &Config{LeaseDuration: time.Hour}, adapters.Func("flaky", func(context.Context, *adapters.Request) (*adapters.Result, error) {
		if fails > 0 {
			fails--
			return nil, errors.New("503")
		}
		return &adapters.Result{}, nil
	}))
	h.put("id: flaky\nphases:\n  - id: p\n    activities:\n      - {id: a, uses: flaky, retry: {max-attempts: 3, backoff: 1m}}\n")
	id := h.create("flaky", nil)

	next := waitIdle(t, h.ex)
	r := h.get(id)
	require.Len(t, r.Activities["p.a"].Attempts, 1, "idle once the first attempt failed")
	require.Equal(t, t0.Add(time.Minute), next, "the retry backoff is the next timer")

	h.clock.Add(next.Sub(h.clock.Now()))
	next = waitIdle(t, h.ex)
	require.Len(t, h.get(id).Activities["p.a"].Attempts, 2)
	require.Equal(t, t0.Add(3*time.Minute), next, "the second backoff doubles")

	h.clock.Add(next.Sub(h.clock.Now()))
	waitIdle(t, h.ex)
	require.Equal(t, release.Succeeded, h.get(id).Status)

	h.shutdown()
	_, idle := h.ex.Idle()
	require.False(t, idle, "an executor that is not running is never idle")
}

// An executor that has just started is idle only once what its start
// sets off is done: the freezes read, the groups loaded and armed.
func TestAnExecutorIsNotIdleBeforeItsStartIsDone(t *testing.T) {
	h := newHarness(t, nil, &recorder{kind: "noop"})
	h.put(noopProcess)
	h.putGroup(weeklyGroup())
	for range 100 {
		h.shutdown()
		h.start()
		for {
			if _, idle := h.ex.Idle(); idle {
				break
			}
			runtime.Gosched()
		}
		h.ex.fz.mu.Lock()
		loaded := !h.ex.fz.loaded.IsZero()
		h.ex.fz.mu.Unlock()
		require.True(t, loaded, "idle before the freezes were read")
		require.True(t, h.ex.timers.has(groupKey("weekly")), "idle before the group was armed")
	}
}
