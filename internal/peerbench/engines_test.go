package peerbench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
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
)

// waitTimeout bounds every wait (one workflow or release, stopping an
// engine): a hang fails the benchmark or test instead of blocking it.
const waitTimeout = 2 * time.Minute

// shape is a benchmark graph of n no-op activities, either a chain (each
// depends on the one before) or all independent.
type shape struct {
	name       string
	n          int
	sequential bool
}

func chain(n int) shape    { return shape{name: fmt.Sprintf("chain-%d", n), n: n, sequential: true} }
func parallel(n int) shape { return shape{name: fmt.Sprintf("parallel-%d", n), n: n} }

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
		if s.sequential && i > 0 {
			fmt.Fprintf(&b, "      - {id: a%d, uses: noop, depends-on: [a%d]}\n", i, i-1)
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

type batonEngine struct {
	st    *sqlite.Store
	ex    *executor.Executor
	sub   *executor.Subscription
	proc  process.ID
	calls atomic.Int64
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
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(tb.TempDir(), "baton.db"), nil)
	if err != nil {
		tb.Fatal(err)
	}
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
	be.ex, err = executor.New(st, reg, &executor.Config{Parallelism: max(s.n, executor.DefaultParallelism)})
	if err != nil {
		_ = st.Close()
		tb.Fatal(err)
	}
	be.sub = be.ex.Subscribe(executor.Filter{Kinds: batonTerminal}, 1024)
	runCtx, cancel := context.WithCancel(ctx)
	be.cancel = cancel
	go func() { be.ran <- be.ex.Run(runCtx) }()
	return be
}

func (be *batonEngine) once(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	sum, err := be.ex.Create(ctx, &executor.CreateParams{Process: be.proc, Actor: "peerbench"})
	if err != nil {
		return fmt.Errorf("peerbench: baton: creating a release: %w", err)
	}
	for ended := false; !ended; {
		select {
		case n := <-be.sub.C():
			ended = n.Event.Release == sum.ID
		case <-ctx.Done():
			return fmt.Errorf("peerbench: baton: release %s did not end in %v: %w", sum.ID, waitTimeout, ctx.Err())
		}
	}
	rel, err := be.ex.Get(ctx, sum.ID)
	if err != nil {
		return fmt.Errorf("peerbench: baton: reading release %s: %w", sum.ID, err)
	}
	if rel.Status != release.Succeeded {
		return fmt.Errorf("peerbench: baton: release %s ended %s, want %s (%s)", sum.ID, rel.Status, release.Succeeded, rel.Error)
	}
	return nil
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
	n        int
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
	sq := gwsqlite.NewSqliteBackend(filepath.Join(tb.TempDir(), "go-workflows.sqlite"),
		gwsqlite.WithBackendOptions(gwbackend.WithLogger(slog.New(slog.DiscardHandler))))
	ge := &gwEngine{
		backend:  &finishNotifier{Backend: monoprocess.NewMonoprocessBackend(sq), finished: make(chan string, 1024)},
		n:        s.n,
		mode:     mode,
		sqlClose: sq.Close,
		wf:       gwParallel,
		calls0:   gwNoopCalls.Load(),
	}
	if s.sequential {
		ge.wf = gwChain
	}
	opts := worker.DefaultOptions
	ge.worker = worker.New(ge.backend, &opts)
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
	inst, err := ge.client.CreateWorkflowInstance(ctx, client.WorkflowInstanceOptions{InstanceID: uuid.NewString()}, ge.wf, ge.n)
	if err != nil {
		return fmt.Errorf("peerbench: go-workflows: creating an instance: %w", err)
	}
	if ge.mode == waitPush {
		for ended := false; !ended; {
			select {
			case id := <-ge.backend.finished:
				ended = id == inst.InstanceID
			case <-ctx.Done():
				return fmt.Errorf("peerbench: go-workflows: instance %s did not finish in %v: %w", inst.InstanceID, waitTimeout, ctx.Err())
			}
		}
	}
	got, err := client.GetWorkflowResult[int](ctx, ge.client, inst, waitTimeout)
	if err != nil {
		return fmt.Errorf("peerbench: go-workflows: instance %s: %w", inst.InstanceID, err)
	}
	if got != ge.n {
		return fmt.Errorf("peerbench: go-workflows: instance %s returned %d, want %d", inst.InstanceID, got, ge.n)
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
