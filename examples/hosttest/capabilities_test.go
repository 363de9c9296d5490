package hosttest

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/release/releasetest"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
)

// An incident while production deploys: the on-call aborts the train with
// the deployment still running.
func TestAnIncidentAbortsTheTrainWhileProductionDeploys(t *testing.T) {
	f := newFakes()
	h := newHarness(t, f, map[string]any{"version": "5.2.1"})
	happyPath(h)
	h.Abort("oncall", "payments incident INC-42").WhenRunning("release.production", 1)
	res := h.Run(t)

	releasetest.RequireStatus(t, res, release.Aborted)
	releasetest.RequireActivity(t, res, "release.production", releasetest.ActivityWant{Status: release.ActivityAborted, Attempts: 1})
	releasetest.RequireBefore(t, res, "approve.cab", "release.production")
}

// The executor crashes while the image builds; the one started after it
// finishes the train from the store, building once.
func TestACrashDuringTheBuildLosesNothing(t *testing.T) {
	f := newFakes()
	h := newHarness(t, f, map[string]any{"version": "5.2.2"})
	happyPath(h)
	h.Restart().WhenRunning("build.image", 1)
	res := h.Run(t)

	releasetest.RequireStatus(t, res, release.Succeeded)
	releasetest.RequireActivity(t, res, "build.image", releasetest.ActivityWant{Attempts: 1})
	require.Len(t, f.build.Calls(), 1, "the call the crash cancelled was made once, by the new executor")
	releasetest.RequireBefore(t, res, "build.image", "verify.staging")
	releasetest.RequireBefore(t, res, "verify.soak", "approve.cab")
}

// The initiator tries to approve their own release: refused, which the
// test accepts and checks, and the train goes on.
func TestTheInitiatorsOwnApprovalMayBeRefused(t *testing.T) {
	f := newFakes()
	h := newHarness(t, f, map[string]any{"version": "5.2.3"})
	h.Approve("approve.cab", "riley").MayFail()
	happyPath(h)
	res := h.Run(t)

	releasetest.RequireStatus(t, res, release.Succeeded)
	require.Len(t, res.StepErrors, 1)
	require.ErrorIs(t, res.StepErrors["riley approve approve.cab"], executor.ErrForbidden)
}

// manualClock is a host's own mock clock: it moves only when Set.
type manualClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []manualTimer
}

type manualTimer struct {
	at time.Time
	c  chan time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, manualTimer{at: c.now.Add(d), c: ch})
	return ch
}

func (c *manualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	kept := c.timers[:0]
	for _, tm := range c.timers {
		if tm.at.After(t) {
			kept = append(kept, tm)
			continue
		}
		tm.c <- t
	}
	c.timers = kept
}

// A host that drives the executor on its own mock clock (not synctest)
// waits until Executor.Idle says nothing is under way, then moves the
// clock to the next timer: here the build's retry backoff.
func TestAMockClockHostKnowsWhenTheExecutorIsIdle(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clk := &manualClock{now: start}
	var mu sync.Mutex
	builds := 0
	build := adapters.Func("ci.build", func(_ context.Context, req *adapters.Request) (*adapters.Result, error) {
		mu.Lock()
		defer mu.Unlock()
		if builds++; builds == 1 {
			return nil, errors.New("registry timeout")
		}
		return &adapters.Result{Outputs: map[string]any{"image": "registry.example.com/payments:" + req.With["ref"].(string)}}, nil
	})
	deploy := adapters.Func("cd.deploy", func(context.Context, *adapters.Request) (*adapters.Result, error) {
		return &adapters.Result{}, nil
	})
	st := memstore.New(nil)
	p, err := Train()
	require.NoError(t, err)
	_, err = st.PutProcess(context.Background(), &store.PutProcessParams{Process: p, CreatedBy: "riley", Now: start})
	require.NoError(t, err)
	ex, err := executor.New(st, adapters.NewRegistry(build, deploy), &executor.Config{
		Clock: clk, Jitter: -1, LeaseDuration: 24 * time.Hour, Logger: slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	require.NoError(t, ex.Launch(context.Background()))
	defer func() { require.NoError(t, ex.Shutdown(context.Background())) }()

	idle := func() time.Time {
		t.Helper()
		for i := 0; ; i++ {
			if next, ok := ex.Idle(); ok {
				return next
			}
			require.Less(t, i, 1_000_000, "the executor never became idle")
			runtime.Gosched()
		}
	}
	sum, err := ex.Create(context.Background(), &executor.CreateParams{Process: p.ID, By: executor.By{Actor: "riley"}, Inputs: map[string]any{"version": "5.3.0"}})
	require.NoError(t, err)

	next := idle()
	require.Equal(t, start.Add(5*time.Minute), next, "the build failed once: its backoff is the next timer")
	r, err := ex.Get(context.Background(), sum.ID, nil)
	require.NoError(t, err)
	require.Len(t, r.Activities["build.image"].Attempts, 1)

	clk.Set(next)
	idle()
	r, err = ex.Get(context.Background(), sum.ID, nil)
	require.NoError(t, err)
	require.Equal(t, release.ActivitySucceeded, r.Activities["build.image"].Status)
	require.Equal(t, release.ActivityWaiting, r.Activities["verify.soak"].Status, "staging deployed; the soak waits on the SRE")
}
