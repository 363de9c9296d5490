package executor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func children(t *testing.T, h *harness, parent release.ID) []release.Summary {
	t.Helper()
	page, err := h.store.ListReleases(context.Background(), &store.ListReleasesParams{Limit: store.MaxLimit})
	require.NoError(t, err)
	var out []release.Summary
	for _, s := range page.Releases {
		if s.Labels[LabelParent] == string(parent) {
			out = append(out, s)
		}
	}
	return out
}

// hanging is an adapter whose calls run until they are cancelled.
func hanging(kind string) adapters.Adapter {
	return adapters.Func(kind, func(ctx context.Context, _ *adapters.Request) (*adapters.Result, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
}

// A parent whose one subprocess runs a child whose one activity hangs.
const (
	hangingChild = `
id: child
phases:
  - id: p
    activities:
      - {id: a, uses: slow}
`
	parentOfOne = `
id: parent
phases:
  - id: p
    activities:
      - {id: sub, type: subprocess, process: child}
`
)

// runningChild waits until parent's only child release has its activity
// p.a running, and returns the child's id.
func runningChild(t *testing.T, h *harness, parent release.ID) release.ID {
	t.Helper()
	var kid release.ID
	require.True(t, waitFor(func() bool {
		k := children(t, h, parent)
		if len(k) == 1 && h.get(k[0].ID).Activities["p.a"].Status == release.ActivityRunning {
			kid = k[0].ID
		}
		return kid != ""
	}), "parent %s has one child running", parent)
	return kid
}

func TestSubprocessRunsAChildReleaseAndReturnsItsOutputs(t *testing.T) {
	smoke := &recorder{kind: "smoke", fn: func(_ context.Context, req *adapters.Request) (*adapters.Result, error) {
		return &adapters.Result{Outputs: map[string]any{"passed": 42, "target": req.Inputs["target"]}}, nil
	}}
	h := newHarness(t, nil, smoke, &recorder{kind: "noop"})
	h.put(`
id: smoke-tests
inputs:
  target: {required: true}
phases:
  - id: run
    activities:
      - {id: suite, uses: smoke, outputs: [passed, target]}
`)
	h.put(`
id: app
phases:
  - id: deploy
    activities:
      - {id: smoke, type: subprocess, process: smoke-tests, with: {target: production}, outputs: [passed]}
      - {id: after, uses: noop, depends-on: [smoke], with: {n: '${{ phases.deploy.activities.smoke.outputs.passed }}'}}
`)
	id := h.create("app", nil)
	r := h.waitStatus(id, release.Succeeded)
	require.Equal(t, map[string]any{"passed": float64(42)}, r.Activities["deploy.smoke"].Outputs)
	require.Equal(t, float64(42), r.Activities["deploy.after"].Attempts[0].Inputs["n"])
	kids := children(t, h, id)
	require.Len(t, kids, 1)
	require.Equal(t, release.Succeeded, kids[0].Status)
	require.Equal(t, "1", kids[0].Labels[LabelDepth])
	require.Equal(t, "production", smoke.Calls()[0].Inputs["target"])
}

func TestAFailedSubprocessFailsTheParentActivity(t *testing.T) {
	h := newHarness(t, nil, adapters.Func("bad", func(context.Context, *adapters.Request) (*adapters.Result, error) {
		return nil, errors.New("smoke failed")
	}))
	h.put(`
id: child
phases:
  - id: p
    activities:
      - {id: a, uses: bad, on-failure: fail}
`)
	h.put(parentOfOne)
	id := h.create("parent", nil)
	a := h.waitActivity(id, "p.sub", release.ActivityOnHold)
	require.Contains(t, a.Error, "ended Failed: activity p.a failed: smoke failed")
	kids := children(t, h, id)
	require.Len(t, kids, 1)
	require.Equal(t, release.Failed, kids[0].Status)
}

func TestSubprocessNestingIsLimited(t *testing.T) {
	h := newHarness(t, &Config{MaxDepth: 2}, &recorder{kind: "noop"})
	for _, pair := range [][2]string{{"l0", "l1"}, {"l1", "l2"}, {"l2", "l3"}} {
		h.put(`
id: ` + pair[0] + `
phases:
  - id: p
    activities:
      - {id: sub, type: subprocess, process: ` + pair[1] + `, on-failure: fail}
`)
	}
	h.put(`
id: l3
phases:
  - id: p
    activities:
      - {id: a, uses: noop}
`)
	id := h.create("l0", nil)
	r := h.waitStatus(id, release.Failed)
	require.Contains(t, r.Error, "nesting too deep", "the failure propagates up through every level")
	l1 := children(t, h, id)
	require.Len(t, l1, 1)
	l2 := children(t, h, l1[0].ID)
	require.Len(t, l2, 1)
	require.Equal(t, "2", l2[0].Labels[LabelDepth])
	require.Empty(t, children(t, h, l2[0].ID), "depth 2 may not start a child")
	l2r := h.get(l2[0].ID)
	require.Equal(t, release.Failed, l2r.Status)
	require.Contains(t, l2r.Activities["p.sub"].Error, "a release at depth 2 cannot start a child (limit 2)")
}

func TestAbortingAParentAbortsItsChild(t *testing.T) {
	h := newHarness(t, nil, hanging("slow"))
	h.put(hangingChild)
	h.put(parentOfOne)
	id := h.create("parent", nil)
	kid := runningChild(t, h, id)
	require.NoError(t, h.ex.Abort(context.Background(), id, &By{Actor: "alice", Reason: "cancelled"}))
	h.waitStatus(id, release.Aborted)
	h.waitStatus(kid, release.Aborted)
}

// childCrashStore crashes, as faultStore does, when the first child release
// is about to be created: the parent's subprocess attempt is stored as
// started, its child is not (or, with stored set, is stored but not
// started).
type childCrashStore struct {
	*faultStore
	stored bool
}

func (s childCrashStore) CreateRelease(ctx context.Context, p *store.CreateReleaseParams) error {
	if p.Release.Labels[LabelParent] == "" {
		return s.faultStore.CreateRelease(ctx, p)
	}
	// The crash comes first, then the child is stored: as with a real
	// crash, nothing else gets through from the moment this write begins.
	// (Storing first left the store alive until kill, and in that window
	// the running executor could start the child and see it end.) The
	// write is not cancelled by the shutdown that follows the crash: it
	// was under way when the process died.
	s.mu.Lock()
	first := !s.crashed
	s.crashed = true
	s.mu.Unlock()
	if first && s.stored {
		_ = s.faultStore.Store.CreateRelease(context.WithoutCancel(ctx), p)
	}
	return errCrashed
}

// A release stopped between recording a subprocess attempt and creating its
// child gets the child made when it is resumed (this once recursed without
// end: each look for the missing child reloaded the parent, which asked for
// another look before making the child).
func TestAMissingChildIsCreatedOnResume(t *testing.T) {
	for _, stored := range []bool{false, true} {
		t.Run(fmt.Sprintf("stored=%v", stored), func(t *testing.T) { testMissingChild(t, stored) })
	}
}

// testMissingChild is TestAMissingChildIsCreatedOnResume; with stored, the
// child was stored (Scheduled) but not started: the fresh executor starts
// it, once.
func testMissingChild(t *testing.T, stored bool) {
	mem := memstore.New(nil)
	fs := childCrashStore{newFaultStore(mem, 0, false), stored}
	noop := &recorder{kind: "noop"}
	h := newHarnessOn(t, fs, nil, noop)
	h.put(`
id: child
phases:
  - id: p
    activities:
      - {id: a, uses: noop, outputs: [x]}
`)
	h.put(`
id: parent
phases:
  - id: p
    activities:
      - {id: sub, type: subprocess, process: child}
      - {id: after, uses: noop, depends-on: [sub]}
`)
	// Run's scan may find the parent stored and Scheduled before Create
	// starts it, and start it itself (on its start timer): the child's
	// creation, and so the crash, then happen on Run's goroutines, and
	// Create finds the store dead when it comes to start the parent.
	sum, err := h.ex.Create(context.Background(), &CreateParams{Process: "parent", By: By{Actor: "alice"}})
	if err != nil {
		require.ErrorIs(t, err, errCrashed)
	}
	id := sum.ID
	require.NotEmpty(t, id)
	require.True(t, waitFor(fs.isCrashed), "the executor reaches the child's creation")
	h.shutdown()
	h.store = mem
	r := h.get(id)
	require.Equal(t, release.ActivityRunning, r.Activities["p.sub"].Status)
	if stored {
		kids := children(t, h, id)
		require.Len(t, kids, 1)
		require.Equal(t, release.Scheduled, kids[0].Status)
	} else {
		require.Empty(t, children(t, h, id))
	}

	h.start()
	r = h.waitStatus(id, release.Succeeded)
	kids := children(t, h, id)
	require.Len(t, kids, 1, "one child, made once")
	require.Equal(t, release.Succeeded, kids[0].Status)
	require.Equal(t, "alice", h.get(kids[0].ID).Initiator, "a child made on resume has the parent's initiator")
	require.Len(t, r.Activities["p.sub"].Attempts, 1)
	var childCalls int
	for _, c := range noop.Calls() {
		if c.Release == kids[0].ID {
			childCalls++
		}
	}
	require.Equal(t, 1, childCalls, "the child's activity ran once")
}

// gateStore holds the creation of child releases until open is closed.
type gateStore struct {
	store.Store
	reached chan struct{} // closed when a child's creation is held
	open    chan struct{}
	once    sync.Once
}

// Unwrap keeps memstore's leases (store.Unwrapper).
func (g *gateStore) Unwrap() store.Store { return g.Store }

func (s *gateStore) CreateRelease(ctx context.Context, p *store.CreateReleaseParams) error {
	if p.Release.Labels[LabelParent] != "" {
		s.once.Do(func() { close(s.reached) })
		<-s.open
	}
	return s.Store.CreateRelease(ctx, p)
}

// A parent aborted after recording its subprocess attempt but before the
// child was stored (its abort found no child to abort) gets the child
// aborted, not started: the child does no work.
func TestAChildMadeAfterItsParentWasAbortedIsAborted(t *testing.T) {
	gs := &gateStore{Store: memstore.New(nil), reached: make(chan struct{}), open: make(chan struct{})}
	work := &recorder{kind: "noop"}
	h := newHarnessOn(t, gs, nil, work)
	h.put(`
id: child
phases:
  - id: p
    activities:
      - {id: a, uses: noop}
`)
	h.put(parentOfOne)
	// Create makes the child on its way out (an effect of the start), so
	// it is held there: run it aside.
	created := make(chan release.ID, 1)
	go func() {
		sum, err := h.ex.Create(context.Background(), &CreateParams{Process: "parent", By: By{Actor: "alice"}})
		assert.NoError(t, err)
		created <- sum.ID
	}()
	<-gs.reached
	page, err := h.store.ListReleases(context.Background(), &store.ListReleasesParams{Limit: 10})
	require.NoError(t, err)
	require.Len(t, page.Releases, 1)
	id := page.Releases[0].ID
	require.NoError(t, h.ex.Abort(context.Background(), id, &By{Actor: "alice", Reason: "wrong build"}))
	close(gs.open)
	require.Equal(t, id, <-created)
	var kids []release.Summary
	require.True(t, waitFor(func() bool {
		kids = children(t, h, id)
		return len(kids) == 1 && kids[0].Status.Terminal()
	}), "the child is stored and ends: %v", kids)
	require.Equal(t, release.Aborted, kids[0].Status)
	require.Empty(t, work.Calls(), "the child did no work")
	r := h.get(id)
	require.Equal(t, release.Aborted, r.Status)
	require.Equal(t, release.ActivityAborted, r.Activities["p.sub"].Status)
}

// A subprocess with a timeout fails timed out when its child runs too long,
// and the child is aborted (its adapter call cancelled); the retry runs a
// new child. The timeout is re-armed when the parent is resumed.
func TestASubprocessTimesOutAndItsChildIsAborted(t *testing.T) {
	for _, restart := range []bool{false, true} {
		t.Run(fmt.Sprintf("restart=%v", restart), func(t *testing.T) {
			cancelled := make(chan struct{}, 4)
			slow := adapters.Func("slow", func(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
				if req.Inputs["fast"] == true {
					return &adapters.Result{Outputs: map[string]any{"x": 1}}, nil
				}
				<-ctx.Done()
				cancelled <- struct{}{}
				return nil, ctx.Err()
			})
			h := newHarness(t, nil, slow)
			h.put(`
id: child
inputs:
  fast: {type: boolean, default: false}
phases:
  - id: p
    activities:
      - {id: a, uses: slow, outputs: [x]}
`)
			h.put(`
id: parent
phases:
  - id: p
    activities:
      - {id: sub, type: subprocess, process: child, timeout: 10m}
`)
			id := h.create("parent", nil)
			kid := runningChild(t, h, id)
			if restart {
				h.shutdown()
				h.start()
			}
			h.advance(9 * time.Minute)
			require.Never(t, func() bool { return h.get(id).Activities["p.sub"].Status != release.ActivityRunning }, 50*time.Millisecond, 5*time.Millisecond)
			h.advance(time.Minute)
			a := h.waitActivity(id, "p.sub", release.ActivityOnHold)
			require.True(t, a.Attempts[0].TimedOut)
			require.Contains(t, a.Error, "timed out after 10m0s")
			require.Equal(t, release.Aborted, h.waitStatus(kid, release.Aborted).Status)
			select {
			case <-cancelled:
			case <-time.After(10 * time.Second):
				t.Fatal("the child's adapter call was not cancelled")
			}

			// The operator retries with a child that is quick: a new child,
			// and the parent succeeds.
			require.NoError(t, h.ex.Retry(context.Background(), id, "p.sub", &RetryParams{By: By{Actor: "alice", Reason: "again"}, Inputs: map[string]any{"fast": true}}))
			r := h.waitStatus(id, release.Succeeded)
			require.Equal(t, map[string]any{"x": float64(1)}, r.Activities["p.sub"].Outputs)
			require.Len(t, children(t, h, id), 2)
		})
	}
}

// abortCrashStore stores the abort of a parent release, then crashes (as
// faultStore does) before the executor can abort the child.
type abortCrashStore struct{ *faultStore }

func (s abortCrashStore) AppendEvents(ctx context.Context, p *store.AppendEventsParams) error {
	for _, e := range p.Events {
		if e.Kind == release.KindReleaseAborted && p.Release.Labels[LabelParent] == "" {
			err := s.faultStore.AppendEvents(ctx, p)
			s.kill()
			if err != nil {
				return err
			}
			return errCrashed
		}
	}
	return s.faultStore.AppendEvents(ctx, p)
}

// A child whose parent was aborted, with the executor stopped before it
// aborted the child, is aborted when it is next loaded.
func TestAChildWhoseParentEndedIsAbortedAfterACrash(t *testing.T) {
	mem := memstore.New(nil)
	fs := abortCrashStore{newFaultStore(mem, 0, false)}
	h := newHarnessOn(t, fs, nil, hanging("slow"))
	h.put(hangingChild)
	h.put(parentOfOne)
	id := h.create("parent", nil)
	kid := runningChild(t, h, id)
	require.ErrorIs(t, h.ex.Abort(context.Background(), id, &By{Actor: "alice", Reason: "wrong build"}), errCrashed)
	h.shutdown()
	h.store = mem
	require.Equal(t, release.Aborted, h.get(id).Status)
	require.Equal(t, release.Running, h.get(kid).Status, "the crash came before the child's abort")

	h.start()
	r := h.waitStatus(kid, release.Aborted)
	require.Equal(t, release.ActivityAborted, r.Activities["p.a"].Status)
}

// Processes that run each other as subprocesses (a runs b, b runs a) are
// refused at Create; Validate sees only a process naming itself.
func TestSubprocessRecursionIsRefusedAtCreate(t *testing.T) {
	h := newHarness(t, nil, &recorder{kind: "noop"})
	for _, doc := range []string{`
id: a
phases:
  - id: p
    activities:
      - {id: first, uses: noop}
      - {id: sub, type: subprocess, process: b}
`, `
id: b
phases:
  - id: p
    activities:
      - {id: sub, type: subprocess, process: c}
`, `
id: c
phases:
  - id: p
    activities:
      - {id: back, type: subprocess, process: b}
`, `
id: d
phases:
  - id: p
    activities:
      - {id: sub, type: subprocess, process: not-stored-yet}
`} {
		h.put(doc)
	}
	for _, tc := range []struct{ process, want string }{
		{"a", "executor: create: invalid argument: phases.p.activities.sub: subprocesses run in a cycle, b -> c -> b (recursion is not allowed)"},
		{"c", "executor: create: invalid argument: phases.p.activities.back: subprocesses run in a cycle, c -> b -> c (recursion is not allowed)"},
	} {
		_, err := h.ex.Create(context.Background(), &CreateParams{Process: process.ID(tc.process), By: By{Actor: "alice"}})
		require.ErrorIs(t, err, ErrInvalid)
		require.EqualError(t, err, tc.want)
	}
	// A subprocess whose process is not stored yet is not a cycle: the
	// release starts, and the subprocess fails when its child cannot be made.
	id := h.create("d", nil)
	a := h.waitActivity(id, "p.sub", release.ActivityOnHold)
	require.Contains(t, a.Error, "not-stored-yet")
	require.Empty(t, children(t, h, id))
}
