package executor

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
	"github.com/batonhq/baton/store/sqlite"
	"github.com/stretchr/testify/require"
)

var errCrashed = errors.New("faultstore: crashed")

// faultStore wraps a store and "crashes" at its Nth write: from then on
// every call fails, as if the process had died. With after set, the Nth
// write is applied before the crash (the reply was lost); otherwise it is
// not.
type faultStore struct {
	store.Store
	leaser store.Leaser

	mu      sync.Mutex
	writes  int
	crashAt int // 0: never
	after   bool
	crashed bool
	// crashing is set from the write it crashes at on: later writes
	// fail, and crashed is set once that write is applied (when after).
	crashing bool
}

// Unwrap implements store.Unwrapper: the capabilities it does not inject
// faults into (freezes, group history) are the wrapped store's.
func (f *faultStore) Unwrap() store.Store { return f.Store }

var (
	_ store.Store  = (*faultStore)(nil)
	_ store.Leaser = (*faultStore)(nil)

	_ store.UnfinishedLister = (*faultStore)(nil)
)

func newFaultStore(s store.Store, crashAt int, after bool) *faultStore {
	l, _ := s.(store.Leaser)
	return &faultStore{Store: s, leaser: l, crashAt: crashAt, after: after}
}

func (f *faultStore) isCrashed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.crashed
}

func (f *faultStore) kill() {
	f.mu.Lock()
	f.crashed = true
	f.mu.Unlock()
}

// write runs a write unless the store has crashed or crashes now.
func (f *faultStore) write(do func() error) error {
	f.mu.Lock()
	if f.crashed {
		f.mu.Unlock()
		return errCrashed
	}
	if f.crashing {
		f.mu.Unlock()
		return errCrashed // a write after the one it crashes at
	}
	f.writes++
	crash := f.crashAt > 0 && f.writes == f.crashAt
	f.crashing = crash
	f.mu.Unlock()
	if !crash {
		return do()
	}
	if f.after {
		_ = do()
	}
	// Crashed once the write is applied (or not): a test that sees it
	// crashed finds the write in the store.
	f.mu.Lock()
	f.crashed = true
	f.mu.Unlock()
	return errCrashed
}

func (f *faultStore) read() error {
	if f.isCrashed() {
		return errCrashed
	}
	return nil
}

func (f *faultStore) CreateRelease(ctx context.Context, p *store.CreateReleaseParams) error {
	return f.write(func() error { return f.Store.CreateRelease(ctx, p) })
}

func (f *faultStore) AppendEvents(ctx context.Context, p *store.AppendEventsParams) error {
	return f.write(func() error { return f.Store.AppendEvents(ctx, p) })
}

func (f *faultStore) GetRelease(ctx context.Context, id release.ID) (*release.Release, error) {
	if err := f.read(); err != nil {
		return nil, err
	}
	return f.Store.GetRelease(ctx, id)
}

func (f *faultStore) ListReleases(ctx context.Context, p *store.ListReleasesParams) (*store.ReleasePage, error) {
	if err := f.read(); err != nil {
		return nil, err
	}
	return f.Store.ListReleases(ctx, p)
}

func (f *faultStore) ListUnfinished(ctx context.Context, p *store.ListUnfinishedParams) (*store.UnfinishedPage, error) {
	if err := f.read(); err != nil {
		return nil, err
	}
	return f.Store.(store.UnfinishedLister).ListUnfinished(ctx, p)
}

func (f *faultStore) AcquireLease(ctx context.Context, p *store.LeaseParams) (*store.Lease, error) {
	if err := f.read(); err != nil {
		return nil, err
	}
	return f.leaser.AcquireLease(ctx, p)
}

func (f *faultStore) RenewLease(ctx context.Context, p *store.LeaseParams) (*store.Lease, error) {
	if err := f.read(); err != nil {
		return nil, err
	}
	return f.leaser.RenewLease(ctx, p)
}

func (f *faultStore) ReleaseLease(ctx context.Context, p *store.LeaseParams) error {
	if err := f.read(); err != nil {
		return err
	}
	return f.leaser.ReleaseLease(ctx, p)
}

// bigProcess is 30 activities in three phases, with parallel branches,
// output passing, retries, a manual task and two approvals.
func bigProcess() string {
	var b strings.Builder
	b.WriteString("id: big\nphases:\n  - id: build\n    activities:\n")
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&b, "      - {id: a%d, uses: work, outputs: [v], with: {flaky: %v}", i, i == 3 || i == 7)
		if i == 3 || i == 7 {
			b.WriteString(", retry: {max-attempts: 3, backoff: 10s}")
		}
		if i >= 2 {
			fmt.Fprintf(&b, ", depends-on: [a%d, a%d]", i-1, i-2)
		}
		b.WriteString("}\n")
	}
	b.WriteString("  - id: qa\n    depends-on: [build]\n    activities:\n")
	b.WriteString("      - {id: m0, type: manual, tasks: [{id: t, required: true}], outputs: [report]}\n")
	b.WriteString("      - {id: g0, type: approval, depends-on: [m0], approval: {approvers: [bob, carol], min: 2}}\n")
	for i := 0; i < 8; i++ {
		fmt.Fprintf(&b, "      - {id: q%d, uses: work, depends-on: [g0], outputs: [v], with: {flaky: %v, from: '${{ phases.build.activities.a9.outputs.v }}'}", i, i == 5)
		if i == 5 {
			b.WriteString(", retry: {max-attempts: 2, backoff: 20s}")
		}
		b.WriteString("}\n")
	}
	b.WriteString("  - id: deploy\n    depends-on: [qa]\n    activities:\n")
	b.WriteString("      - {id: g1, type: approval, approval: {approvers: [bob, carol, dave], min: 2}}\n")
	for i := 0; i < 9; i++ {
		dep := "g1"
		if i > 0 {
			dep = fmt.Sprintf("d%d", i-1)
		}
		fmt.Fprintf(&b, "      - {id: d%d, uses: work, depends-on: [%s], outputs: [v], with: {flaky: false, from: '${{ phases.qa.activities.m0.outputs.report }}'}}\n", i, dep)
	}
	return b.String()
}

// workAdapter fails the first attempt of flaky activities and otherwise
// returns an output derived from the request.
func workAdapter() adapters.Adapter {
	return adapters.Func("work", func(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
		if req.With["flaky"] == true && req.Attempt == 1 {
			return nil, errors.New("flaked")
		}
		return &adapters.Result{Outputs: map[string]any{"v": fmt.Sprintf("%s<%v>", req.Activity, req.With["from"])}}, nil
	})
}

// world is one store shared by the executors of a durability test.
type world struct {
	t     *testing.T
	clock *fakeClock
	mem   store.Store
	reg   *adapters.Registry
}

func newWorld(t *testing.T) *world { return newWorldOn(t, memstore.New(nil)) }

func newWorldOn(t *testing.T, st store.Store) *world {
	mc := newFakeClock(t0)
	w := &world{t: t, clock: mc, mem: st, reg: adapters.NewRegistry(workAdapter())}
	p, err := process.Parse([]byte(bigProcess()))
	require.NoError(t, err)
	_, err = w.mem.PutProcess(context.Background(), &store.PutProcessParams{Process: p, Now: t0})
	require.NoError(t, err)
	return w
}

type instance struct {
	ex   *Executor
	fs   *faultStore
	stop context.CancelFunc
	done chan struct{}
}

func (w *world) start(name string, crashAt int, after bool) *instance {
	return w.startWith(name, w.reg, crashAt, after)
}

func (w *world) startWith(name string, reg *adapters.Registry, crashAt int, after bool) *instance {
	fs := newFaultStore(w.mem, crashAt, after)
	ex, err := New(fs, reg, &Config{Clock: w.clock, Jitter: -1, InstanceID: name, LeaseDuration: 10 * time.Second, StoreRetry: time.Second})
	require.NoError(w.t, err)
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{ex: ex, fs: fs, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(in.done)
		_ = ex.Run(ctx)
	}()
	return in
}

func (in *instance) shutdown() {
	in.stop()
	<-in.done
}

// operate plays the people: it approves and completes whatever waits, and
// lets time pass, until the release ends. It calls restart when the
// current instance has crashed, and returns the number of steps taken.
func (w *world) operate(id func() release.ID, cur func() *instance, restart func()) {
	ctx := context.Background()
	// Bounded by wall time, not steps: on a loaded machine the executor's
	// goroutines may get little CPU between two steps.
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
		if cur().fs.isCrashed() {
			restart()
		}
		rid := id()
		if rid == "" {
			w.clock.Add(time.Second)
			continue
		}
		r, err := w.mem.GetRelease(ctx, rid)
		require.NoError(w.t, err)
		if r.Status.Terminal() {
			return
		}
		ex := cur().ex
		for _, k := range []release.ActivityKey{"qa.m0", "qa.g0", "deploy.g1"} {
			a := r.Activities[k]
			if a.Status != release.ActivityWaiting {
				continue
			}
			switch k {
			case "qa.m0":
				if a.Outputs["report"] == nil {
					_ = ex.SubmitOutputs(ctx, rid, k, &OutputsParams{By: By{Actor: "qa"}, Outputs: map[string]any{"report": "r-1"}})
				}
				_ = ex.CompleteTask(ctx, rid, k, "t", &By{Actor: "qa"})
			default:
				for _, who := range []string{"bob", "carol"} {
					_ = ex.Approve(ctx, rid, k, &DecisionParams{By: By{Actor: who}})
				}
			}
		}
		w.clock.Add(5 * time.Second)
		time.Sleep(2 * time.Millisecond)
	}
	r, _ := w.mem.GetRelease(ctx, id())
	w.t.Fatalf("release did not finish:\n%s", dump(r))
}

// outcome is what must not depend on crashes: statuses, outputs,
// approvals, attempts.
type outcome struct {
	Status     release.Status
	Error      string
	Activities map[release.ActivityKey]string
}

func outcomeOf(r *release.Release) outcome {
	o := outcome{Status: r.Status, Error: r.Error, Activities: map[release.ActivityKey]string{}}
	for k, a := range r.Activities {
		var who []string
		for _, d := range a.Approvals {
			who = append(who, fmt.Sprintf("%s:%v", d.Actor, d.Approved))
		}
		o.Activities[k] = fmt.Sprintf("%s attempts=%d outputs=%v approvals=%v", a.Status, len(a.Attempts), a.Outputs, who)
	}
	return o
}

// runBig runs the big release with the first instance crashing at write
// crashAt (0: never), a second instance taking over, and returns the
// release's outcome, its events and the first instance's write count.
func runBig(t *testing.T, crashAt int, after bool) (outcome, []release.Event, int, bool) {
	w := newWorld(t)
	first := w.start("a", crashAt, after)
	current := first
	var id release.ID
	var mu sync.Mutex
	getID := func() release.ID {
		mu.Lock()
		defer mu.Unlock()
		if id == "" {
			page, err := w.mem.ListReleases(context.Background(), &store.ListReleasesParams{})
			require.NoError(t, err)
			if len(page.Releases) == 1 {
				id = page.Releases[0].ID
			}
		}
		return id
	}
	sum, err := first.ex.Create(context.Background(), &CreateParams{Process: "big", By: By{Actor: "alice"}})
	if err == nil {
		id = sum.ID
	}
	restarted := false
	restart := func() {
		require.False(t, restarted, "only one crash per run")
		restarted = true
		current.shutdown()
		current = w.start("b", 0, false)
		if getID() == "" { // the crash lost the release itself: create it again
			sum, err := current.ex.Create(context.Background(), &CreateParams{Process: "big", By: By{Actor: "alice"}})
			require.NoError(t, err)
			mu.Lock()
			id = sum.ID
			mu.Unlock()
		}
	}
	w.operate(getID, func() *instance { return current }, restart)
	current.shutdown()
	if !restarted {
		first.shutdown()
	}
	r, err := w.mem.GetRelease(context.Background(), getID())
	require.NoError(t, err)
	evs, err := w.mem.ListEvents(context.Background(), &store.ListEventsParams{Release: r.ID, Limit: store.MaxLimit})
	require.NoError(t, err)
	first.fs.mu.Lock()
	writes := first.fs.writes
	first.fs.mu.Unlock()
	return outcomeOf(r), evs, writes, restarted
}

func requireNoDoubleCompletion(t *testing.T, evs []release.Event) {
	t.Helper()
	seen := map[string]int{}
	for _, ev := range evs {
		switch ev.Kind {
		case release.KindActivitySucceeded, release.KindReleaseSucceeded, release.KindApprovalGranted:
			p, err := release.DecodePayload(ev)
			require.NoError(t, err)
			key := string(ev.Kind) + " " + ev.Actor
			switch p := p.(type) {
			case *release.ActivitySucceededPayload:
				key = string(ev.Kind) + " " + string(p.Activity)
			case *release.ApprovalGrantedPayload:
				key += " " + string(p.Activity)
			}
			seen[key]++
			require.Equalf(t, 1, seen[key], "%s recorded twice", key)
		}
	}
}

func TestCrashAtEveryWriteThenAFreshExecutorFinishesTheSameRelease(t *testing.T) {
	before := runtime.NumGoroutine()
	want, evs, writes, _ := runBig(t, 0, false)
	require.Equal(t, release.Succeeded, want.Status)
	require.NoError(t, release.VerifyChain(evs))
	requireNoDoubleCompletion(t, evs)
	require.Greater(t, writes, 20)
	t.Logf("a release of 30 activities takes %d writes without crashes", writes)

	var notCrashed atomic.Int32
	runs, step := 0, 1
	if testing.Short() {
		step = 5 // -short: every fifth write
	}
	for _, after := range []bool{false, true} {
		for n := 1; n <= writes; n += step {
			runs++
			name := fmt.Sprintf("write %d lost", n)
			if after {
				name = fmt.Sprintf("write %d stored, reply lost", n)
			}
			t.Run(name, func(t *testing.T) {
				got, evs, _, crashed := runBig(t, n, after)
				if !crashed {
					notCrashed.Add(1)
				}
				require.Equal(t, want, got)
				require.NoError(t, release.VerifyChain(evs))
				requireNoDoubleCompletion(t, evs)
			})
		}
	}
	// Runs differ in how branches interleave, so a few may take fewer
	// writes than the reference run and never reach the crash point.
	require.LessOrEqual(t, int(notCrashed.Load()), runs/4, "most runs must crash")
	require.True(t, goroutinesSettle(before), "goroutines left behind: %d, before %d", runtime.NumGoroutine(), before)
}

func allEvents(t *testing.T, w *world, id release.ID) []release.Event {
	evs, err := w.mem.ListEvents(context.Background(), &store.ListEventsParams{Release: id, Limit: store.MaxLimit})
	require.NoError(t, err)
	return evs
}

func TestTheBigReleaseSurvivesACrashOnSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "baton.db")
	st, err := sqlite.Open(path, nil)
	require.NoError(t, err)
	defer func() { _ = st.Close() }()
	want, _, _, _ := runBig(t, 0, false)

	w := newWorldOn(t, st)
	first := w.start("a", 12, true) // the 12th write is stored, then the instance dies
	current := first
	sum, err := first.ex.Create(context.Background(), &CreateParams{Process: "big", By: By{Actor: "alice"}})
	require.NoError(t, err)
	w.operate(func() release.ID { return sum.ID }, func() *instance { return current }, func() {
		current.shutdown()
		current = w.start("b", 0, false)
	})
	current.shutdown()
	require.True(t, first.fs.isCrashed())
	r, err := st.GetRelease(context.Background(), sum.ID)
	require.NoError(t, err)
	require.Equal(t, want, outcomeOf(r))
	evs := allEvents(t, w, sum.ID)
	require.NoError(t, release.VerifyChain(evs))
	requireNoDoubleCompletion(t, evs)
}
