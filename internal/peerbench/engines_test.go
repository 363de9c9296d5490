package peerbench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/sqlite"
	gwbackend "github.com/cschleiden/go-workflows/backend"
	"github.com/cschleiden/go-workflows/backend/history"
	"github.com/cschleiden/go-workflows/backend/monoprocess"
	gwsqlite "github.com/cschleiden/go-workflows/backend/sqlite"
	"github.com/cschleiden/go-workflows/client"
	"github.com/cschleiden/go-workflows/core"
	"github.com/cschleiden/go-workflows/worker"
	"github.com/cschleiden/go-workflows/workflow"
	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"
)

// waitTimeout bounds every wait (one operation, stopping an engine): a
// hang fails the benchmark or test instead of blocking it. 2 minutes, or
// the duration in PEERBENCH_WAIT (e.g. PEERBENCH_WAIT=30m to let
// go-workflows finish a 10,000-activity workflow).
var waitTimeout = func() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("PEERBENCH_WAIT")); err == nil && d > 0 {
		return d
	}
	return 2 * time.Minute
}()

// shape is a benchmark graph of n no-op activities: a chain (each depends
// on the one before), a DAG (deps), or all independent; releases of them
// run at once per operation (1 when 0).
type shape struct {
	name       string
	n          int
	sequential bool
	deps       [][]int // deps[i]: the activities i waits for, all before i; nil for none
	graph      string  // the DAG's name in gwShapes
	releases   int
}

func chain(n int) shape    { return shape{name: fmt.Sprintf("chain-%d", n), n: n, sequential: true} }
func parallel(n int) shape { return shape{name: fmt.Sprintf("parallel-%d", n), n: n} }

// randomDAG is the executor benchmarks' graph (executor/bench_test.go, the
// same generator and seed): activity i depends on up to k distinct earlier
// ones among the 50 before it, so the graph is deep and wide, not a star.
func randomDAG(n, k int) shape {
	rng := rand.New(rand.NewPCG(1, 2))
	deps := make([][]int, n)
	for i := 1; i < n; i++ {
		lo := max(0, i-50)
		for j := 0; j < k && j < i; j++ {
			d := lo + rng.IntN(i-lo)
			if !slices.Contains(deps[i], d) {
				deps[i] = append(deps[i], d)
			}
		}
	}
	s := shape{name: fmt.Sprintf("random-dag-%d", n), n: n, deps: deps}
	s.graph = s.name
	gwShapes.Store(s.graph, deps)
	return s
}

// concurrent runs releases workflows or releases of s at once per
// operation.
func concurrent(releases int, s shape) shape {
	s.name = fmt.Sprintf("%dx%s", releases, s.name)
	s.releases = releases
	return s
}

// count is how many workflows or releases one operation runs.
func (s shape) count() int { return max(1, s.releases) }

// creators bounds the goroutines that create an operation's workflows or
// releases (on both engines).
const creators = 64

// engine runs one whole workflow or release of its shape per call to once.
type engine interface {
	// once runs one workflow/release from creation to completion and
	// checks that it succeeded.
	once(ctx context.Context) error
	// activities is how many times the no-op activity has run so far.
	activities() int64
	// stop stops the engine's goroutines and closes its store.
	stop() error
}

// ---------------------------------------------------------------- Baton

// batonDoc is the process document of s: one phase, activities a0..a(n-1)
// using the "noop" adapter, each depending on the one before in a chain.
func batonDoc(s shape) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "id: peerbench-%s\nphases:\n  - id: p\n    activities:\n", s.name)
	for i := 0; i < s.n; i++ {
		var deps []string
		switch {
		case s.sequential && i > 0:
			deps = []string{fmt.Sprintf("a%d", i-1)}
		case s.deps != nil:
			for _, d := range s.deps[i] {
				deps = append(deps, fmt.Sprintf("a%d", d))
			}
		}
		if len(deps) > 0 {
			fmt.Fprintf(&b, "      - {id: a%d, uses: noop, depends-on: [%s]}\n", i, strings.Join(deps, ", "))
		} else {
			fmt.Fprintf(&b, "      - {id: a%d, uses: noop}\n", i)
		}
	}
	return []byte(b.String())
}

var batonTerminal = []release.EventKind{
	release.KindReleaseSucceeded, release.KindReleasePartiallySucceeded, release.KindReleaseFailed,
	release.KindReleaseAborted, release.KindReleaseRolledBack,
}

// closingStore is a store the benchmark owns and closes when it stops.
type closingStore interface {
	store.Store
	Close() error
}

type batonEngine struct {
	st       closingStore
	ex       *executor.Executor
	sub      *executor.Subscription
	proc     process.ID
	releases int // per operation
	// byEvent checks each release's outcome on its terminal event from
	// the feed (in memory) instead of reading it back with Get.
	byEvent bool
	calls   atomic.Int64
	// cancel stops Run; ran receives what Run returned.
	cancel context.CancelFunc
	ran    chan error
}

// newBaton wires Baton as a host would: the SQLite store on a file in a
// temporary directory with its defaults (synchronous=FULL, WAL), the
// process parsed and stored, a no-op adapter registered with adapters.Func,
// an executor with Parallelism >= n, and Run in its own goroutine.
func newBaton(tb testing.TB, s shape) *batonEngine {
	tb.Helper()
	st, err := sqlite.Open(filepath.Join(tb.TempDir(), "baton.db"), nil)
	if err != nil {
		tb.Fatal(err)
	}
	return newBatonOn(tb, s, st)
}

// newBatonOn wires Baton on st (closed by stop, or here on failure).
func newBatonOn(tb testing.TB, s shape, st closingStore) *batonEngine {
	tb.Helper()
	ctx := context.Background()
	p, err := process.Parse(batonDoc(s))
	if err != nil {
		_ = st.Close()
		tb.Fatal(err)
	}
	if _, err := st.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: "peerbench", Now: time.Now()}); err != nil {
		_ = st.Close()
		tb.Fatal(err)
	}
	be := &batonEngine{st: st, proc: p.ID, ran: make(chan error, 1)}
	reg := adapters.NewRegistry(adapters.Func("noop", func(context.Context, *adapters.Request) (*adapters.Result, error) {
		be.calls.Add(1)
		return nil, nil
	}))
	// Parallelism bounds one release's running activities: all of them
	// for chain and parallel shapes, 64 for the DAGs as in the executor's
	// own benchmarks.
	parallelism := max(s.n, executor.DefaultParallelism)
	if s.deps != nil {
		parallelism = 64
	}
	be.ex, err = executor.New(st, reg, &executor.Config{Parallelism: parallelism})
	if err != nil {
		_ = st.Close()
		tb.Fatal(err)
	}
	be.sub = be.ex.Subscribe(ctx, &executor.SubscribeParams{Filter: executor.Filter{Kinds: batonTerminal}, Buffer: max(1024, 2*s.count())})
	be.releases = s.count()
	runCtx, cancel := context.WithCancel(ctx)
	be.cancel = cancel
	go func() { be.ran <- be.ex.Run(runCtx) }()
	return be
}

func (be *batonEngine) once(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	ids := make([]release.ID, be.releases)
	var g errgroup.Group
	g.SetLimit(creators)
	for i := range ids {
		g.Go(func() error {
			sum, err := be.ex.Create(ctx, &executor.CreateParams{Process: be.proc, By: executor.By{Actor: "peerbench"}})
			if err != nil {
				return fmt.Errorf("peerbench: baton: creating a release: %w", err)
			}
			ids[i] = sum.ID
			return nil
		})
	}
	// Releases may end before Create returns to its goroutine: the feed is
	// read as they end and the ids checked once all are created.
	ended := make(map[release.ID]bool, be.releases)
	var failed []release.Event
	created := make(chan error, 1)
	go func() { created <- g.Wait() }()
	for waiting := true; waiting || !allIn(ids, ended); {
		select {
		case err := <-created:
			if err != nil {
				return err
			}
			waiting = false
		case n := <-be.sub.C():
			if n.Missed > 0 {
				return fmt.Errorf("peerbench: baton: the subscription missed %d terminal events", n.Missed)
			}
			ended[n.Event.Release] = true
			if n.Event.Kind != release.KindReleaseSucceeded {
				failed = append(failed, n.Event)
			}
		case <-ctx.Done():
			return fmt.Errorf("peerbench: baton: %d releases did not all end in %v: %w", be.releases, waitTimeout, ctx.Err())
		}
	}
	if be.byEvent {
		if len(failed) > 0 {
			return fmt.Errorf("peerbench: baton: %d releases did not succeed, the first %s with %s", len(failed), failed[0].Release, failed[0].Kind)
		}
		return nil
	}
	for _, id := range ids {
		rel, err := be.ex.Get(ctx, id, &executor.By{Actor: "peerbench"})
		if err != nil {
			return fmt.Errorf("peerbench: baton: reading release %s: %w", id, err)
		}
		if rel.Status != release.Succeeded {
			return fmt.Errorf("peerbench: baton: release %s ended %s, want %s (%s)", id, rel.Status, release.Succeeded, rel.Error)
		}
	}
	return nil
}

// allIn reports whether every id is a key of set (false while an id is
// still being created: the zero id is never a key).
func allIn[K comparable](ids []K, set map[K]bool) bool {
	for _, id := range ids {
		if !set[id] {
			return false
		}
	}
	return true
}

func (be *batonEngine) activities() int64 { return be.calls.Load() }

func (be *batonEngine) stop() error {
	be.sub.Close()
	be.cancel()
	var runErr error
	select {
	case runErr = <-be.ran:
	case <-time.After(waitTimeout):
		runErr = fmt.Errorf("peerbench: baton: Run did not return within %v of being stopped", waitTimeout)
	}
	return errors.Join(runErr, be.st.Close())
}

// ---------------------------------------------------------- go-workflows

// gwNoopCalls counts the runs of gwNoop in this process.
var gwNoopCalls atomic.Int64

// gwNoop is the no-op activity (it only counts its runs). go-workflows
// requires an activity to return an error as its last value, and names it
// by its function.
func gwNoop(context.Context) error { gwNoopCalls.Add(1); return nil }

// gwChain calls n no-op activities one after another, awaiting each.
func gwChain(ctx workflow.Context, n int) (int, error) {
	for i := 0; i < n; i++ {
		if _, err := workflow.ExecuteActivity[any](ctx, workflow.DefaultActivityOptions, gwNoop).Get(ctx); err != nil {
			return i, err
		}
	}
	return n, nil
}

// gwParallel schedules n no-op activities, then awaits them all.
func gwParallel(ctx workflow.Context, n int) (int, error) {
	fs := make([]workflow.Future[any], n)
	for i := range fs {
		fs[i] = workflow.ExecuteActivity[any](ctx, workflow.DefaultActivityOptions, gwNoop)
	}
	for i, f := range fs {
		if _, err := f.Get(ctx); err != nil {
			return i, err
		}
	}
	return n, nil
}

// gwShapes holds the dependency lists of the DAG shapes by name: gwDAG
// takes the name (a short, deterministic input), not 10,000 lists.
var gwShapes sync.Map // string -> [][]int

// gwDAG runs the activities of a DAG shape from one workflow goroutine:
// it starts every activity whose dependencies are done, then waits with
// workflow.Select for any running one to finish, and starts the
// dependents that finish made ready. An activity starts as soon as its
// dependencies are done, as in Baton, and each completion costs in
// proportion to the activities running, not to the whole graph. (A
// workflow goroutine per activity waiting on wait groups is simpler, but
// go-workflows then steps every goroutine at each workflow task: 17 s for
// 2,000 activities, growing with the square of their number.)
func gwDAG(ctx workflow.Context, name string) (int, error) {
	v, ok := gwShapes.Load(name)
	if !ok {
		return 0, fmt.Errorf("peerbench: no DAG shape %q", name)
	}
	deps := v.([][]int)
	n := len(deps)
	waiting := make([]int, n) // dependencies not yet done
	dependents := make([][]int, n)
	for i, ds := range deps {
		waiting[i] = len(ds)
		for _, d := range ds {
			dependents[d] = append(dependents[d], i)
		}
	}
	futures := make([]workflow.Future[any], n)
	var running []int // in start order: Select's cases must be deterministic
	start := func(i int) {
		futures[i] = workflow.ExecuteActivity[any](ctx, workflow.DefaultActivityOptions, gwNoop)
		running = append(running, i)
	}
	for i := range n {
		if waiting[i] == 0 {
			start(i)
		}
	}
	cases := make([]workflow.SelectCase, 0, 64)
	for done := 0; done < n; done++ {
		if len(running) == 0 {
			return done, fmt.Errorf("peerbench: DAG %q: %d activities can never start", name, n-done)
		}
		finished := -1
		cases = cases[:0]
		for k, i := range running {
			cases = append(cases, workflow.Await(futures[i], func(workflow.Context, workflow.Future[any]) { finished = k }))
		}
		workflow.Select(ctx, cases...)
		i := running[finished]
		running = slices.Delete(running, finished, finished+1)
		if _, err := futures[i].Get(ctx); err != nil {
			return done, err
		}
		for _, j := range dependents[i] {
			if waiting[j]--; waiting[j] == 0 {
				start(j)
			}
		}
	}
	return n, nil
}

// finishNotifier wraps a go-workflows backend and reports each workflow
// instance whose task completed it, once that completion is committed: the
// same push signal Baton's Subscribe gives, so neither side pays a polling
// delay.
type finishNotifier struct {
	gwbackend.Backend
	finished chan string
}

func (f *finishNotifier) CompleteWorkflowTask(ctx context.Context, task *gwbackend.WorkflowTask, state core.WorkflowInstanceState,
	executedEvents, activityEvents, timerEvents []*history.Event, workflowEvents []*history.WorkflowEvent,
) error {
	if err := f.Backend.CompleteWorkflowTask(ctx, task, state, executedEvents, activityEvents, timerEvents, workflowEvents); err != nil {
		return err
	}
	if state == core.WorkflowInstanceStateFinished {
		select {
		case f.finished <- task.WorkflowInstance.InstanceID:
		default: // nobody waits for that many; the waiter then times out and says so
		}
	}
	return nil
}

// waitMode is how a go-workflows iteration learns that its workflow ended.
type waitMode int

const (
	// waitPush waits for the committed completion (finishNotifier), then
	// reads the result with client.GetWorkflowResult, whose first state
	// poll then already sees the instance finished.
	waitPush waitMode = iota
	// waitPoll only calls client.GetWorkflowResult, which polls the
	// instance state with exponential backoff (1 ms growing 1.5x to 1 s),
	// as go-workflows' samples and its bench tool do.
	waitPoll
)

type gwEngine struct {
	backend  *finishNotifier
	worker   *worker.Worker
	client   *client.Client
	wf       workflow.Workflow
	arg      any // the workflow's input: n, or the DAG shape's name
	n        int
	releases int // workflow instances per operation
	mode     waitMode
	calls0   int64 // gwNoopCalls when the engine started
	cancel   context.CancelFunc
	sqlClose func() error
}

// newGoWorkflows wires go-workflows the way its own bench tool does for
// SQLite: NewSqliteBackend on a file (its default pragmas, migrations
// applied) wrapped in the monoprocess backend (in-process wake-ups instead
// of 200 ms polling), worker.DefaultOptions, the worker started once, a
// client on the same backend. Logs are discarded, as in its bench tool.
func newGoWorkflows(tb testing.TB, s shape, mode waitMode) *gwEngine {
	tb.Helper()
	opts := []gwbackend.BackendOption{gwbackend.WithLogger(slog.New(slog.DiscardHandler))}
	if h := int64(4 * s.n); h > gwbackend.DefaultOptions.MaxHistorySize {
		// The one departure from its defaults: a workflow fails once its
		// history holds MaxHistorySize (10,000) events, and an activity
		// adds three.
		opts = append(opts, gwbackend.WithMaxHistorySize(h))
	}
	sq := gwsqlite.NewSqliteBackend(filepath.Join(tb.TempDir(), "go-workflows.sqlite"), gwsqlite.WithBackendOptions(opts...))
	ge := &gwEngine{
		backend:  &finishNotifier{Backend: monoprocess.NewMonoprocessBackend(sq), finished: make(chan string, max(1024, 2*s.count()))},
		n:        s.n,
		releases: s.count(),
		mode:     mode,
		sqlClose: sq.Close,
		wf:       gwParallel,
		arg:      s.n,
		calls0:   gwNoopCalls.Load(),
	}
	switch {
	case s.sequential:
		ge.wf = gwChain
	case s.deps != nil:
		ge.wf, ge.arg = gwDAG, s.graph
	}
	wopts := worker.DefaultOptions
	ge.worker = worker.New(ge.backend, &wopts)
	if err := ge.worker.RegisterWorkflow(ge.wf); err != nil {
		tb.Fatal(err)
	}
	if err := ge.worker.RegisterActivity(gwNoop); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ge.cancel = cancel
	if err := ge.worker.Start(ctx); err != nil {
		cancel()
		_ = sq.Close()
		tb.Fatal(err)
	}
	ge.client = client.New(ge.backend)
	return ge
}

func (ge *gwEngine) once(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	ran0 := ge.activities()
	insts := make([]*workflow.Instance, ge.releases)
	var g errgroup.Group
	g.SetLimit(creators)
	for i := range insts {
		g.Go(func() error {
			inst, err := ge.client.CreateWorkflowInstance(ctx, client.WorkflowInstanceOptions{InstanceID: uuid.NewString()}, ge.wf, ge.arg)
			if err != nil {
				return fmt.Errorf("peerbench: go-workflows: creating an instance: %w", err)
			}
			insts[i] = inst
			return nil
		})
	}
	if ge.mode != waitPush {
		if err := g.Wait(); err != nil {
			return err
		}
	} else {
		// As for Baton: instances may finish before their creation returns.
		finished := make(map[string]bool, ge.releases)
		ids := make([]string, ge.releases)
		created := make(chan error, 1)
		go func() { created <- g.Wait() }()
		for waiting := true; waiting || !allIn(ids, finished); {
			select {
			case err := <-created:
				if err != nil {
					return err
				}
				for i, inst := range insts {
					ids[i] = inst.InstanceID
				}
				waiting = false
			case id := <-ge.backend.finished:
				finished[id] = true
			case <-ctx.Done():
				return fmt.Errorf("peerbench: go-workflows: %d instances did not all finish in %v (%d activities ran meanwhile): %w",
					ge.releases, waitTimeout, ge.activities()-ran0, ctx.Err())
			}
		}
	}
	for _, inst := range insts {
		got, err := client.GetWorkflowResult[int](ctx, ge.client, inst, waitTimeout)
		if err != nil {
			return fmt.Errorf("peerbench: go-workflows: instance %s: %w", inst.InstanceID, err)
		}
		if got != ge.n {
			return fmt.Errorf("peerbench: go-workflows: instance %s returned %d, want %d", inst.InstanceID, got, ge.n)
		}
	}
	return nil
}

func (ge *gwEngine) activities() int64 { return gwNoopCalls.Load() - ge.calls0 }

// stop cancels the worker's context, waits for its pollers and executors to
// return, then closes the SQLite database.
func (ge *gwEngine) stop() error {
	ge.cancel()
	done := make(chan error, 1)
	go func() { done <- ge.worker.WaitForCompletion() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(waitTimeout):
		err = fmt.Errorf("peerbench: go-workflows: the worker did not stop within %v", waitTimeout)
	}
	return errors.Join(err, ge.sqlClose())
}
