package otelbaton_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/executor/otelbaton"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
)

// chainProcess is n no-op automated activities one after the other.
func chainProcess(n int) string {
	var b strings.Builder
	b.WriteString("id: chain\nphases:\n  - id: p\n    activities:\n")
	for i := range n {
		fmt.Fprintf(&b, "      - id: a%d\n        uses: noop\n", i)
		if i > 0 {
			fmt.Fprintf(&b, "        depends-on: [a%d]\n", i-1)
		}
	}
	return b.String()
}

// BenchmarkTelemetry runs 100-activity chains on memstore without
// Telemetry (none, the baseline) and with this package's Telemetry on the
// SDK (sdk: spans kept in memory by a recorder, metrics aggregated for a
// manual reader).
func BenchmarkTelemetry(b *testing.B) {
	for _, mode := range []string{"none", "sdk"} {
		b.Run(mode, func(b *testing.B) {
			var cfg executor.Config
			if mode == "sdk" {
				tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracetest.NewSpanRecorder()))
				mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
				tel, err := otelbaton.New(&otelbaton.Options{TracerProvider: tp, MeterProvider: mp})
				if err != nil {
					b.Fatal(err)
				}
				cfg.Telemetry = tel
			}
			ended := make(chan release.ID, 1)
			cfg.Observers = []executor.Observer{executor.ObserverFunc(func(e release.Event) {
				if e.Kind == release.KindReleaseSucceeded {
					ended <- e.Release
				}
			})}
			st := memstore.New(nil)
			p, err := process.Parse([]byte(chainProcess(100)))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := st.PutProcess(context.Background(), &store.PutProcessParams{Process: p, Now: time.Now()}); err != nil {
				b.Fatal(err)
			}
			noop := adapters.Func("noop", func(context.Context, *adapters.Request) (*adapters.Result, error) { return &adapters.Result{}, nil })
			ex, err := executor.New(st, adapters.NewRegistry(noop), &cfg)
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); _ = ex.Run(ctx) }()
			defer func() { cancel(); <-done }()
			run := func() {
				sum, err := ex.Create(context.Background(), &executor.CreateParams{Process: "chain", By: executor.By{Actor: "bench"}})
				if err != nil {
					b.Fatal(err)
				}
				if got := <-ended; got != sum.ID {
					b.Fatalf("release %s ended, want %s", got, sum.ID)
				}
			}
			run() // warm up
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				run()
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/activity")
		})
	}
}
