package peerbench

import (
	"context"
	"testing"

	"github.com/batonhq/baton/internal/cputime"
)

// BenchmarkChain100 runs 100 sequential no-op activities per operation.
func BenchmarkChain100(b *testing.B) { benchShape(b, chain(100)) }

// BenchmarkParallel100 runs 100 independent no-op activities per operation.
func BenchmarkParallel100(b *testing.B) { benchShape(b, parallel(100)) }

// benchShape measures one shape on each engine, side by side in the same
// run: Baton (the subject), go-workflows waiting on the committed
// completion (the like-for-like peer), and go-workflows waiting the way
// its samples do, polling with client.GetWorkflowResult.
func benchShape(b *testing.B, s shape) {
	engines := []struct {
		name  string
		start func(testing.TB, shape) engine
	}{
		{"baton", func(tb testing.TB, s shape) engine { return newBaton(tb, s) }},
		{"go-workflows", func(tb testing.TB, s shape) engine { return newGoWorkflows(tb, s, waitPush) }},
		{"go-workflows-poll", func(tb testing.TB, s shape) engine { return newGoWorkflows(tb, s, waitPoll) }},
	}
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			en := e.start(b, s)
			ctx := context.Background()
			// One untimed run: the first workflow/release pays for
			// warming caches and statements, which is not the steady state.
			if err := en.once(ctx); err != nil {
				_ = en.stop()
				b.Fatal(err)
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
			if err := en.stop(); err != nil {
				b.Fatal(err)
			}
			if got, want := en.activities(), int64((b.N+1)*s.n); got < want {
				b.Fatalf("%d activities ran, want at least %d", got, want)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*s.n), "ns/activity")
			if cpuOK {
				b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/1e6/float64(b.N), "cpu-ms/op")
			}
		})
	}
}
