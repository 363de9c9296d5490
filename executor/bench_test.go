package executor

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/internal/cputime"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
	"github.com/batonhq/baton/store/sqlite"
	"golang.org/x/sync/errgroup"
)

// shape is a benchmark graph: deps[i] lists the nodes i depends on (all
// lower than i).
type shape struct {
	name string
	deps [][]int
}

func randomDAG(n, k int) shape {
	rng := rand.New(rand.NewPCG(1, 2))
	deps := make([][]int, n)
	for i := 1; i < n; i++ {
		lo := max(0, i-50) // keep the graph deep and wide, not a star
		for j := 0; j < k && j < i; j++ {
			d := lo + rng.IntN(i-lo)
			dup := false
			for _, x := range deps[i] {
				dup = dup || x == d
			}
			if !dup {
				deps[i] = append(deps[i], d)
			}
		}
	}
	return shape{name: fmt.Sprintf("random-dag-%d", n), deps: deps}
}

func chain(n int) shape {
	deps := make([][]int, n)
	for i := 1; i < n; i++ {
		deps[i] = []int{i - 1}
	}
	return shape{name: fmt.Sprintf("chain-%d", n), deps: deps}
}

func parallel(n int) shape { return shape{name: fmt.Sprintf("parallel-%d", n), deps: make([][]int, n)} }

func (s shape) process(id string) *process.Process {
	acts := make([]process.Activity, len(s.deps))
	for i, ds := range s.deps {
		a := process.Activity{ID: process.ActivityID(fmt.Sprintf("a%d", i)), Uses: "noop"}
		for _, d := range ds {
			a.DependsOn = append(a.DependsOn, fmt.Sprintf("a%d", d))
		}
		acts[i] = a
	}
	return &process.Process{ID: process.ID(id), Phases: []process.Phase{{ID: "p", Activities: acts}}}
}

var noop = adapters.Func("noop", func(context.Context, *adapters.Request) (*adapters.Result, error) { return nil, nil })

// benchExecutor runs an executor over memstore and signals each release
// that ends.
type benchExecutor struct {
	ex    *Executor
	st    store.Store
	ended chan release.ID
	stop  func()
}

func newBenchExecutor(b *testing.B, parallelism int, procs ...*process.Process) *benchExecutor {
	return newBenchExecutorOn(b, memstore.New(nil), parallelism, procs...)
}

func newBenchExecutorOn(b *testing.B, st store.Store, parallelism int, procs ...*process.Process) *benchExecutor {
	b.Helper()
	for _, p := range procs {
		if _, err := st.PutProcess(context.Background(), &store.PutProcessParams{Process: p, Now: time.Now()}); err != nil {
			b.Fatal(err)
		}
	}
	be := &benchExecutor{st: st, ended: make(chan release.ID, 100000)}
	ex, err := New(st, adapters.NewRegistry(noop), &Config{Parallelism: parallelism, Observers: []Observer{ObserverFunc(func(e release.Event) {
		switch e.Kind {
		case release.KindReleaseSucceeded, release.KindReleaseFailed:
			be.ended <- e.Release
		}
	})}})
	if err != nil {
		b.Fatal(err)
	}
	be.ex = ex
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = ex.Run(ctx) }()
	be.stop = func() { cancel(); <-done }
	return be
}

func (be *benchExecutor) runRelease(b *testing.B, id process.ID) {
	sum, err := be.ex.Create(context.Background(), &CreateParams{Process: id, By: By{Actor: "bench"}})
	if err != nil {
		b.Fatal(err)
	}
	if got := <-be.ended; got != sum.ID {
		b.Fatalf("release %s ended, want %s", got, sum.ID)
	}
}

// BenchmarkRelease runs whole releases of each shape on memstore with a
// no-op adapter: events, hash chain, store and all.
func BenchmarkRelease(b *testing.B) {
	for _, s := range []shape{randomDAG(10000, 2), chain(100), parallel(100), randomDAG(100, 2)} {
		b.Run(s.name, func(b *testing.B) {
			be := newBenchExecutor(b, 64, s.process("bench"))
			defer be.stop()
			be.runRelease(b, "bench") // warm up: the plan compiled, the process pinned
			b.ReportAllocs()
			b.ResetTimer()
			m := startMeter()
			for i := 0; i < b.N; i++ {
				be.runRelease(b, "bench")
			}
			b.StopTimer()
			m.report(b, b.N*len(s.deps))
		})
	}
}

// BenchmarkReleaseSQLite runs the shapes go-workflows was measured on
// (100 sequential and 100 parallel no-op activities) on a SQLite file with
// synchronous=FULL.
func BenchmarkReleaseSQLite(b *testing.B) {
	for _, s := range []shape{chain(100), parallel(100)} {
		b.Run(s.name, func(b *testing.B) {
			st, err := sqlite.Open(filepath.Join(b.TempDir(), "baton.db"), &sqlite.Options{Synchronous: sqlite.SyncFull})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			be := newBenchExecutorOn(b, st, 100, s.process("bench"))
			defer be.stop()
			be.runRelease(b, "bench") // warm up: the plan compiled, the process pinned
			b.ReportAllocs()
			b.ResetTimer()
			m := startMeter()
			for i := 0; i < b.N; i++ {
				be.runRelease(b, "bench")
			}
			b.StopTimer()
			m.report(b, b.N*len(s.deps))
		})
	}
}

// BenchmarkConcurrentReleases runs 1,000 releases of 10 activities at once.
func BenchmarkConcurrentReleases(b *testing.B) {
	const releases = 1000
	s := randomDAG(10, 2)
	be := newBenchExecutor(b, 64, s.process("ten"))
	defer be.stop()
	b.ReportAllocs()
	b.ResetTimer()
	m := startMeter()
	for i := 0; i < b.N; i++ {
		var g errgroup.Group
		g.SetLimit(64)
		for r := 0; r < releases; r++ {
			g.Go(func() error {
				_, err := be.ex.Create(context.Background(), &CreateParams{Process: "ten", By: By{Actor: "bench"}})
				return err
			})
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
		for r := 0; r < releases; r++ {
			<-be.ended
		}
	}
	b.StopTimer()
	m.report(b, b.N*releases*10)
}

// BenchmarkBaselineWorkerPool runs the bare graph (no store, no events)
// with a pool of workers: the floor of scheduling alone.
func BenchmarkBaselineWorkerPool(b *testing.B) {
	for _, s := range []shape{randomDAG(10000, 2), chain(100), parallel(100)} {
		b.Run(s.name, func(b *testing.B) {
			n := len(s.deps)
			succs := make([][]int, n)
			for i, ds := range s.deps {
				for _, d := range ds {
					succs[d] = append(succs[d], i)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			m := startMeter()
			for it := 0; it < b.N; it++ {
				remaining := make([]atomic.Int32, n)
				ready := make(chan int, n)
				for i, ds := range s.deps {
					remaining[i].Store(int32(len(ds)))
					if len(ds) == 0 {
						ready <- i
					}
				}
				var left sync.WaitGroup
				left.Add(n)
				var wg sync.WaitGroup
				for w := 0; w < 64; w++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for u := range ready {
							_, _ = noop.Run(context.Background(), nil)
							for _, v := range succs[u] {
								if remaining[v].Add(-1) == 0 {
									ready <- v
								}
							}
							left.Done()
						}
					}()
				}
				left.Wait()
				close(ready)
				wg.Wait()
			}
			b.StopTimer()
			m.report(b, b.N*n)
		})
	}
}

// BenchmarkBaselineErrgroup runs the bare graph with one goroutine per
// node waiting on its dependencies' channels.
func BenchmarkBaselineErrgroup(b *testing.B) {
	for _, s := range []shape{randomDAG(10000, 2), chain(100), parallel(100)} {
		b.Run(s.name, func(b *testing.B) {
			n := len(s.deps)
			b.ReportAllocs()
			b.ResetTimer()
			m := startMeter()
			for it := 0; it < b.N; it++ {
				done := make([]chan struct{}, n)
				for i := range done {
					done[i] = make(chan struct{})
				}
				var g errgroup.Group
				for i := 0; i < n; i++ {
					g.Go(func() error {
						for _, d := range s.deps[i] {
							<-done[d]
						}
						_, err := noop.Run(context.Background(), nil)
						close(done[i])
						return err
					})
				}
				if err := g.Wait(); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			m.report(b, b.N*n)
		})
	}
}

// BenchmarkWaitingReleases parks releases on an approval (with a deadline
// timer) and measures what a fresh executor holds for them after resuming
// them all: goroutines and heap per waiting release.
func BenchmarkWaitingReleases(b *testing.B) {
	n := 100000
	if testing.Short() {
		n = 10000
	}
	if v, err := strconv.Atoi(os.Getenv("BATON_BENCH_WAITING")); err == nil && v > 0 {
		n = v // e.g. BATON_BENCH_WAITING=30000 on a small machine
	}
	proc, err := process.Parse([]byte(strings.TrimSpace(`
id: gate
phases:
  - id: p
    activities:
      - {id: signoff, type: approval, approval: {approvers: [bob], deadline: 24h}}
      - {id: after, uses: noop, depends-on: [signoff]}
`)))
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		be := newBenchExecutor(b, 16, proc)
		var g errgroup.Group
		g.SetLimit(8)
		for r := 0; r < n; r++ {
			g.Go(func() error {
				_, err := be.ex.Create(context.Background(), &CreateParams{Process: "gate", By: By{Actor: "bench"}})
				return err
			})
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
		be.stop()
		st := be.st
		be = nil

		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		goroutines := runtime.NumGoroutine()

		ex, err := New(st, adapters.NewRegistry(noop), nil)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		b.StartTimer()
		t0 := time.Now()
		go func() { defer close(done); _ = ex.Run(ctx) }()
		for ex.timers.len() < n {
			time.Sleep(10 * time.Millisecond)
		}
		for {
			ex.mu.Lock()
			hot := len(ex.runs)
			ex.mu.Unlock()
			if hot == 0 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		b.StopTimer()
		resumed := time.Since(t0)
		// The worker goroutines that resumed them exit once idle for
		// workerIdle: what stays is what waiting costs.
		time.Sleep(workerIdle + 200*time.Millisecond)
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		extra := runtime.NumGoroutine() - goroutines
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(n), "heap-B/waiting-release")
		b.ReportMetric(float64(extra), "extra-goroutines")
		b.ReportMetric(float64(n), "waiting-releases")
		b.ReportMetric(float64(resumed.Microseconds())/float64(n), "resume-µs/release")
		runtime.KeepAlive(st)
		cancel()
		<-done
	}
}

// BenchmarkBaselineEventsOnly records, on one goroutine and without the
// executor, the events a release of each shape needs (release and phase
// events, activity.started and activity.succeeded per activity), sealed,
// applied and appended to memstore one activity at a time: the floor that
// the release model and the store set under the executor.
func BenchmarkBaselineEventsOnly(b *testing.B) {
	for _, s := range []shape{randomDAG(10000, 2), chain(100), parallel(100)} {
		b.Run(s.name, func(b *testing.B) {
			var procs release.ProcessCache // as the executor does
			proc, err := procs.Pin(s.process("bench"))
			if err != nil {
				b.Fatal(err)
			}
			st := memstore.New(nil)
			ctx := context.Background()
			now := time.Now()
			b.ReportAllocs()
			b.ResetTimer()
			m := startMeter()
			for i := 0; i < b.N; i++ {
				id, _ := release.NewID(now, nil)
				rel, ev, err := procs.Create(id, now, "bench", "", release.ReleaseCreatedPayload{Name: "bench", Process: proc})
				if err != nil {
					b.Fatal(err)
				}
				if err := st.CreateRelease(ctx, &store.CreateReleaseParams{Events: []release.Event{ev}, Release: rel}); err != nil {
					b.Fatal(err)
				}
				record := func(payloads ...release.Payload) {
					seq := rel.Seq
					sealed := make([]release.Event, len(payloads))
					for j, p := range payloads {
						e, err := rel.RecordPayload(now, "executor", "", p)
						if err != nil {
							b.Fatal(err)
						}
						sealed[j] = e
					}
					if err := st.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: seq, Events: sealed, Release: rel}); err != nil {
						b.Fatal(err)
					}
				}
				record(&release.ReleaseStartedPayload{}, &release.PhaseStartedPayload{Phase: "p"})
				for j := range s.deps {
					k := release.Key("p", process.ActivityID(fmt.Sprintf("a%d", j)))
					record(&release.ActivityStartedPayload{Activity: k, IdempotencyKey: idemKey(id, k, 1)})
					record(&release.ActivitySucceededPayload{Activity: k})
				}
				record(&release.PhaseSucceededPayload{Phase: "p"}, &release.ReleaseSucceededPayload{})
			}
			b.StopTimer()
			m.report(b, b.N*len(s.deps))
		})
	}
}

// meter measures wall and process CPU time from its start, per activity.
type meter struct{ cpu0 time.Duration }

func startMeter() meter {
	c, _ := cputime.Process()
	return meter{cpu0: c}
}

// report adds ns/activity (wall) and cpu-ns/activity (CPU time of the
// whole process, which other load on a shared machine disturbs far less).
func (m meter) report(b *testing.B, activities int) { m.reportPer(b, activities, "activity") }

// reportPer is report per n units of what.
func (m meter) reportPer(b *testing.B, n int, what string) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/"+what)
	if c, ok := cputime.Process(); ok {
		b.ReportMetric(float64((c-m.cpu0).Nanoseconds())/float64(n), "cpu-ns/"+what)
	}
}
