package peerbench

import (
	"context"
	"testing"

	"github.com/batonhq/baton/internal/cputime"
)

// BenchmarkChain100 runs 100 sequential no-op activities per operation.
func BenchmarkChain100(b *testing.B) { benchShape(b, chain(100), withPoll) }

// BenchmarkParallel100 runs 100 independent no-op activities per operation.
func BenchmarkParallel100(b *testing.B) { benchShape(b, parallel(100), withPoll) }

// BenchmarkRandomDAG10000 runs one workflow or release of 10,000 no-op
// activities with about 2 dependencies each (the executor benchmarks'
// graph) per operation. Slow on go-workflows: run it with -benchtime=1x.
func BenchmarkRandomDAG10000(b *testing.B) { benchShape(b, randomDAG(10000, 2), !withPoll) }

// BenchmarkConcurrent1000x10 runs 1,000 workflows or releases of a
// 10-activity random DAG at once per operation (created by 64 goroutines).
func BenchmarkConcurrent1000x10(b *testing.B) {
	benchShape(b, concurrent(1000, randomDAG(10, 2)), !withPoll)
}

// withPoll adds go-workflows-poll to a benchmark. The larger shapes leave
// it out: its polling delay says nothing new there and would add minutes.
const withPoll = true

// benchShape measures one shape on each engine, side by side in the same
// run: Baton (the subject), go-workflows waiting on the committed
// completion (the like-for-like peer), and go-workflows waiting the way
// its samples do, polling with client.GetWorkflowResult.
func benchShape(b *testing.B, s shape, poll bool) {
	engines := []struct {
		name  string
		start func(testing.TB, shape) engine
	}{
		{"baton", func(tb testing.TB, s shape) engine { return newBaton(tb, s) }},
		{"go-workflows", func(tb testing.TB, s shape) engine { return newGoWorkflows(tb, s, waitPush) }},
		{"go-workflows-poll", func(tb testing.TB, s shape) engine { return newGoWorkflows(tb, s, waitPoll) }},
	}
	if !poll {
		engines = engines[:2]
	}
	per := s.n * s.count() // activities per operation
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			en := e.start(b, s)
			timeOps(b, en, per, nil, nil)
			if err := en.stop(); err != nil {
				b.Fatal(err)
			}
			if got, want := en.activities(), int64((b.N+1)*per); got < want {
				b.Fatalf("%d activities ran, want at least %d", got, want)
			}
		})
	}
}

// BenchmarkRandomDAGGrowth runs the random DAG at 250 to 2,000 activities,
// to show how each engine's cost per activity grows with the size of one
// workflow or release (go-workflows' 10,000 takes minutes).
func BenchmarkRandomDAGGrowth(b *testing.B) {
	for _, n := range []int{250, 500, 1000, 2000} {
		s := randomDAG(n, 2)
		b.Run(s.name, func(b *testing.B) { benchShape(b, s, !withPoll) })
	}
}

// timeOps runs one untimed operation on en (the first workflow/release
// pays for warming caches and statements, which is not the steady state),
// calls before, times b.N operations, calls after, and reports
// ns/activity (per activities per operation) and cpu-ms/op. It stops en
// and fails b when an operation fails.
func timeOps(b *testing.B, en engine, per int, before, after func()) {
	ctx := context.Background()
	if err := en.once(ctx); err != nil {
		_ = en.stop()
		b.Fatal(err)
	}
	if before != nil {
		before()
	}
	cpu0, cpuOK := cputime.Process()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := en.once(ctx); err != nil {
			_ = en.stop()
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu1, _ := cputime.Process()
	if after != nil {
		after()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*per), "ns/activity")
	if cpuOK {
		b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/1e6/float64(b.N), "cpu-ms/op")
	}
}
