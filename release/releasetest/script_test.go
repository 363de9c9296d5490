package releasetest_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/adapters/adaptertest"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/release/releasetest"
)

const pipeline = `
id: pipeline
phases:
  - id: build
    activities:
      - {id: compile, uses: ci.build, retry: {max-attempts: 3, backoff: 1m}}
  - id: ship
    depends-on: [build]
    activities:
      - {id: deploy, uses: cd.deploy}
`

// flaky fails its first n calls.
type flaky struct {
	mu    sync.Mutex
	kind  string
	fails int
	calls []string // idempotency keys, in order
}

func (f *flaky) Kind() string { return f.kind }

func (f *flaky) Run(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, req.IdempotencyKey)
	if f.fails > 0 {
		f.fails--
		return nil, errors.New("503")
	}
	return &adapters.Result{}, nil
}

func TestAnAbortWhileTheSecondAttemptRunsAbortsIt(t *testing.T) {
	ci := &flaky{kind: "ci.build", fails: 1}
	h := releasetest.NewYAML(t, pipeline, &releasetest.Config{Adapters: []adapters.Adapter{ci, adaptertest.NewFake("cd.deploy", nil)}})
	h.Abort("ops", "bad build").WhenRunning("build.compile", 2)
	res := h.Run(t)

	releasetest.RequireStatus(t, res, release.Aborted)
	releasetest.RequireActivity(t, res, "build.compile", releasetest.ActivityWant{Status: release.ActivityAborted, Attempts: 2})
	require.Len(t, ci.calls, 1, "the abort came before the second call went through")
	releasetest.RequireNoEvent(t, res, releasetest.EventWant{Kind: release.KindActivityStarted, Activity: "ship.deploy"})
}

func TestACrashWhileAnActivityRunsResumesItWithTheSameKey(t *testing.T) {
	ci := &flaky{kind: "ci.build"}
	h := releasetest.NewYAML(t, pipeline, &releasetest.Config{Adapters: []adapters.Adapter{ci, adaptertest.NewFake("cd.deploy", nil)}})
	h.Restart().WhenRunning("build.compile", 1)
	res := h.Run(t)

	releasetest.RequireStatus(t, res, release.Succeeded)
	releasetest.RequireActivity(t, res, "build.compile", releasetest.ActivityWant{Attempts: 1})
	require.Len(t, ci.calls, 1, "the call cancelled by the crash never reached the adapter; the new executor made it")
	require.Contains(t, ci.calls[0], "build.compile/1", "attempt 1's idempotency key")
	releasetest.RequireBefore(t, res, "build.compile", "ship.deploy")
	require.Empty(t, res.Unused)
}

func TestAStepThatMayFailRecordsItsError(t *testing.T) {
	h := releasetest.NewYAML(t, gate, &releasetest.Config{Adapters: []adapters.Adapter{adaptertest.NewFake("cd.deploy", nil)}})
	h.Approve("qa.signoff", "mallory").MayFail() // not an approver
	h.Approve("qa.signoff", "bob").After(time.Hour)
	res := h.Run(t)
	releasetest.RequireStatus(t, res, release.Succeeded)
	require.Len(t, res.StepErrors, 1)
	require.ErrorIs(t, res.StepErrors["mallory approve qa.signoff"], executor.ErrForbidden)
}
