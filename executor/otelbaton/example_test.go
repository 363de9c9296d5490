package otelbaton_test

import (
	"context"
	"fmt"
	"sort"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
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

// An executor with OpenTelemetry: a span per release, phase and activity
// attempt, and metrics. Here the SDK keeps them in memory; a host passes
// the providers of its exporters.
func Example() {
	ctx := context.Background()
	spans := tracetest.NewSpanRecorder()
	reader := sdkmetric.NewManualReader()
	tel, err := otelbaton.New(&otelbaton.Options{
		TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)),
		MeterProvider:  sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
	})
	if err != nil {
		panic(err)
	}

	st := memstore.New(nil)
	p, err := process.Parse([]byte(`
id: web
phases:
  - id: ship
    activities:
      - {id: deploy, uses: cd.deploy}
`))
	if err != nil {
		panic(err)
	}
	if _, err := st.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: "alice", Now: time.Now()}); err != nil {
		panic(err)
	}
	reg := adapters.NewRegistry(adapters.Func("cd.deploy", func(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
		return &adapters.Result{}, nil // ctx carries the attempt's span
	}))
	ex, err := executor.New(st, reg, &executor.Config{Telemetry: tel})
	if err != nil {
		panic(err)
	}
	gauges, err := tel.Watch(ex)
	if err != nil {
		panic(err)
	}
	defer gauges.Unregister()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = ex.Run(runCtx) }()
	defer func() { stop(); <-done }()

	sub := ex.Subscribe(ctx, &executor.SubscribeParams{Filter: executor.Filter{Kinds: []release.EventKind{release.KindReleaseSucceeded}}, Buffer: 1})
	defer sub.Close()
	if _, err := ex.Create(ctx, &executor.CreateParams{Process: "web", By: executor.By{Actor: "alice"}}); err != nil {
		panic(err)
	}
	<-sub.C()

	var names []string
	for _, s := range spans.Ended() {
		names = append(names, s.Name())
	}
	sort.Strings(names)
	fmt.Println(names)

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		panic(err)
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if m.Name == "baton.activity.duration" {
			dp := m.Data.(metricdata.Histogram[float64]).DataPoints[0]
			kind, _ := dp.Attributes.Value(otelbaton.AttrActivityKind)
			outcome, _ := dp.Attributes.Value(otelbaton.AttrOutcome)
			fmt.Println(m.Name, kind.AsString(), outcome.AsString(), dp.Count)
		}
	}
	// Output:
	// [activity ship.deploy phase ship release web]
	// baton.activity.duration cd.deploy succeeded 1
}
