package releasetest

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/release"
)

// WhenRunning makes the step happen while attempt number attempt (1 for
// the first; 0 for any) of activity runs: after the executor started the
// attempt and called the adapter, before the harness lets the adapter's
// call through, so the adapter is still working when the step acts (an
// Abort, a RollBack, a Restart, a Skip of another activity...). After then
// counts from the attempt's start. The step still needs its own activity
// to fit, as any step.
//
//	h.Abort("ops", "bad canary").WhenRunning("deploy.rollout", 2)
func (s *Step) WhenRunning(activity release.ActivityKey, attempt int) *Step {
	s.whenRunning, s.whenAttempt = activity, attempt
	return s
}

// MayFail accepts either outcome of the step: the executor may refuse it
// with any error, or take it with no visible effect (a Retry racing an
// activity that has just succeeded, say). Neither fails the test; the
// error, if any, is in Result.StepErrors.
func (s *Step) MayFail() *Step { s.mayFail = true; return s }

// Restart scripts a crash of the executor: Run stops at once (adapter
// calls in flight are cancelled, nothing is shut down gracefully) and a
// new executor starts over the same store, resuming the release as a host
// restarted after a crash would (an attempt that was running is run again
// with the same idempotency key). Use After or WhenRunning to say when.
//
//	h.Restart().WhenRunning("build.compile", 1)
func (h *Harness) Restart() *Step {
	return h.add(&Step{kind: stepRestart, actor: "crash"})
}

// fits reports whether the step can happen now that the release Run
// created is root: the release and activity it acts on (one of a child
// for a path), and since when its After counts.
func (s *Step) fits(get releaseGetter, root *release.Release) (rel *release.Release, k release.ActivityKey, since time.Time, ok bool, err error) {
	if s.releaseWide() {
		rel, ok, err = root, true, nil
		if s.child != "" {
			rel, _, ok, err = locate(get, root, s.child, true)
		}
	} else {
		rel, k, ok, err = locate(get, root, s.activity, false)
	}
	if !ok || err != nil {
		return nil, "", time.Time{}, false, err
	}
	if since, ok = s.baseFits(rel, k); !ok || s.whenRunning == "" {
		return rel, k, since, ok, nil
	}
	wr, wk, ok, err := locate(get, root, s.whenRunning, false)
	if !ok || err != nil {
		return nil, "", time.Time{}, false, err
	}
	since, ok = s.runningSince(wr.Activities[wk])
	return rel, k, since, ok, nil
}

// runningSince reports whether a (the WhenRunning activity) runs the
// attempt the step waits for, and since when.
func (s *Step) runningSince(a *release.ActivityState) (time.Time, bool) {
	if a == nil || a.Status != release.ActivityRunning || len(a.Attempts) == 0 {
		return time.Time{}, false
	}
	n := len(a.Attempts)
	if s.whenAttempt > 0 && s.whenAttempt != n {
		return time.Time{}, false
	}
	at := a.Attempts[n-1]
	if !at.EndedAt.IsZero() {
		return time.Time{}, false
	}
	return at.StartedAt, true
}

// hasRunningSteps reports whether a step scripted WhenRunning is pending.
func (h *Harness) hasRunningSteps() bool {
	for _, s := range h.steps {
		if !s.done && s.whenRunning != "" {
			return true
		}
	}
	return false
}

// runner is the executor of a run, which a Restart step replaces.
type runner struct {
	t           *testing.T
	ctx         context.Context
	newExecutor func() (*executor.Executor, error)
	ex          *executor.Executor
	sub         *executor.Subscription
	cancel      context.CancelFunc
	done        chan struct{}
}

// start runs the executor until stop.
func (rn *runner) start() {
	ctx, cancel := context.WithCancel(rn.ctx)
	done := make(chan struct{})
	ex := rn.ex
	go func() {
		defer close(done)
		if err := ex.Run(ctx); err != nil {
			rn.t.Errorf("releasetest: executor: %v", err)
		}
	}()
	rn.cancel, rn.done = cancel, done
}

// stop stops Run at once, as a crash would, and waits for it.
func (rn *runner) stop() {
	if rn.cancel != nil {
		rn.cancel()
		<-rn.done
		rn.cancel = nil
	}
}

// restart crashes the executor and starts a new one over the same store.
func (rn *runner) restart() {
	rn.stop()
	synctest.Wait() // the cancelled adapter calls have returned
	ex, err := rn.newExecutor()
	if err != nil {
		rn.t.Fatalf("releasetest: restarting the executor: %v", err)
	}
	rn.sub.Close()
	rn.ex, rn.sub = ex, ex.Subscribe(context.Background(), &executor.SubscribeParams{Filter: executor.Filter{}, Buffer: 4096})
	rn.start()
}

// RequireBefore fails t unless activity a was done (succeeded, ignored or
// skipped; its first such event) before activity b first started, in the
// order of the release's events: virtual time often ties, the event log
// never does.
//
//	releasetest.RequireBefore(t, res, "build.compile", "deploy.rollout")
func RequireBefore(t testing.TB, r *Result, a, b release.ActivityKey) {
	t.Helper()
	done, started := int64(0), int64(0)
	for _, e := range r.Events {
		k, ok := e.Activity()
		if !ok {
			continue
		}
		switch {
		case k == a && done == 0 && (e.Kind == release.KindActivitySucceeded || e.Kind == release.KindActivityIgnored || e.Kind == release.KindActivitySkipped):
			done = e.Seq
		case k == b && started == 0 && e.Kind == release.KindActivityStarted:
			started = e.Seq
		}
	}
	switch {
	case done == 0:
		t.Fatalf("releasetest: %s was never done (want it done before %s started)\n%s", a, b, eventList(r.Events))
	case started == 0:
		t.Fatalf("releasetest: %s never started (want it to start after %s was done)\n%s", b, a, eventList(r.Events))
	case started < done:
		t.Fatalf("releasetest: %s started (event %d) before %s was done (event %d)\n%s", b, started, a, done, eventList(r.Events))
	}
}
