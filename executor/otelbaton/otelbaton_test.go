package otelbaton_test

import (
	"context"
	"errors"
	nethttp "net/http"
	"net/http/httptest"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/adapters/adaptertest"
	batonhttp "github.com/batonhq/baton/adapters/http"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/executor/otelbaton"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/release/releasetest"
	"github.com/batonhq/baton/store"
)

const shipProcess = `
id: ship
phases:
  - id: build
    activities:
      - id: compile
        uses: ci.pipeline
        retry: {max-attempts: 3, backoff: 1m}
  - id: prod
    depends-on: [build]
    activities:
      - id: approve
        type: approval
        approval: {approvers: [bob]}
      - id: deploy
        uses: cd.deploy
        depends-on: [approve]
`

type sink struct {
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	tel    *otelbaton.Telemetry
}

func newSink(t *testing.T) *sink {
	t.Helper()
	s := &sink{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(s.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(s.reader))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()); _ = mp.Shutdown(context.Background()) })
	tel, err := otelbaton.New(&otelbaton.Options{TracerProvider: tp, MeterProvider: mp})
	require.NoError(t, err)
	s.tel = tel
	return s
}

func (s *sink) span(t *testing.T, name string, attempt int) sdktrace.ReadOnlySpan {
	t.Helper()
	for _, sp := range s.spans.Ended() {
		if sp.Name() != name {
			continue
		}
		if attempt == 0 || attrs(sp.Attributes())["baton.attempt"] == attribute.IntValue(attempt) {
			return sp
		}
	}
	require.Failf(t, "no span", "%s (attempt %d) among %v", name, attempt, s.names())
	return nil
}

func (s *sink) names() []string {
	var out []string
	for _, sp := range s.spans.Ended() {
		out = append(out, sp.Name())
	}
	sort.Strings(out)
	return out
}

func attrs(kvs []attribute.KeyValue) map[string]attribute.Value {
	m := map[string]attribute.Value{}
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value
	}
	return m
}

func (s *sink) metrics(t *testing.T) map[string]metricdata.Aggregation {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, s.reader.Collect(context.Background(), &rm))
	out := map[string]metricdata.Aggregation{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = m.Data
		}
	}
	return out
}

// A release whose build fails once and whose deploy waits two hours for an
// approval: a span per release, phase and attempt with the attributes and
// the events' times, adapter calls inside their attempt's span, and the
// metrics.
func TestSpansAndMetricsOfARelease(t *testing.T) {
	s := newSink(t)
	ci := adaptertest.NewFake("ci.pipeline", nil).FailTimes(1, nil)
	var seen []trace.SpanContext
	deploy := adapters.Func("cd.deploy", func(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
		seen = append(seen, trace.SpanContextFromContext(ctx))
		return &adapters.Result{}, nil
	})
	h := releasetest.NewYAML(t, shipProcess, &releasetest.Config{
		Adapters: []adapters.Adapter{ci, deploy},
		Executor: &executor.Config{Telemetry: s.tel},
	})
	h.Approve("prod.approve", "bob").After(2 * time.Hour)
	res := h.Run(t)
	require.Equal(t, release.Succeeded, res.Release.Status)

	rel := s.span(t, "release ship", 0)
	ra := attrs(rel.Attributes())
	require.Equal(t, "ship", ra["baton.process"].AsString())
	require.Equal(t, int64(1), ra["baton.process.version"].AsInt64())
	require.Equal(t, string(res.Release.ID), ra["baton.release"].AsString())
	require.Equal(t, "succeeded", ra["baton.outcome"].AsString())
	require.Equal(t, res.Events[0].Time, rel.StartTime(), "span times are the events' times")
	require.Equal(t, res.Events[len(res.Events)-1].Time, rel.EndTime())
	require.False(t, rel.Parent().IsValid(), "the release span is a root")

	build := s.span(t, "phase build", 0)
	require.Equal(t, rel.SpanContext().SpanID(), build.Parent().SpanID())
	first := s.span(t, "activity build.compile", 1)
	second := s.span(t, "activity build.compile", 2)
	for i, sp := range []sdktrace.ReadOnlySpan{first, second} {
		require.Equal(t, build.SpanContext().SpanID(), sp.Parent().SpanID(), "attempt %d is inside its phase", i+1)
		require.Equal(t, "ci.pipeline", attrs(sp.Attributes())["baton.activity.kind"].AsString())
	}
	require.Equal(t, "failed", attrs(first.Attributes())["baton.outcome"].AsString())
	require.Equal(t, codes.Error, first.Status().Code)
	require.Equal(t, "succeeded", attrs(second.Attributes())["baton.outcome"].AsString())
	require.Equal(t, time.Minute, second.StartTime().Sub(first.EndTime()), "the retry waited its backoff")

	approve := s.span(t, "activity prod.approve", 1)
	require.Equal(t, "approval", attrs(approve.Attributes())["baton.activity.kind"].AsString())
	require.Equal(t, 2*time.Hour, approve.EndTime().Sub(approve.StartTime()))

	dep := s.span(t, "activity prod.deploy", 1)
	require.Len(t, seen, 1)
	require.Equal(t, dep.SpanContext().SpanID(), seen[0].SpanID(), "the adapter ran inside its attempt's span")
	require.Equal(t, rel.SpanContext().TraceID(), seen[0].TraceID())

	m := s.metrics(t)
	dur := m["baton.activity.duration"].(metricdata.Histogram[float64])
	counts := map[[2]string]uint64{}
	for _, dp := range dur.DataPoints {
		k, _ := dp.Attributes.Value("baton.activity.kind")
		o, _ := dp.Attributes.Value("baton.outcome")
		counts[[2]string{k.AsString(), o.AsString()}] += dp.Count
	}
	require.Equal(t, map[[2]string]uint64{
		{"ci.pipeline", "failed"}: 1, {"ci.pipeline", "succeeded"}: 1,
		{"approval", "succeeded"}: 1, {"cd.deploy", "succeeded"}: 1,
	}, counts)
	retries := m["baton.activity.retries"].(metricdata.Sum[int64])
	require.Len(t, retries.DataPoints, 1)
	require.Equal(t, int64(1), retries.DataPoints[0].Value)
	wait := m["baton.activity.waiting"].(metricdata.Histogram[float64])
	require.Len(t, wait.DataPoints, 1)
	require.Equal(t, uint64(1), wait.DataPoints[0].Count)
	require.Equal(t, (2 * time.Hour).Seconds(), wait.DataPoints[0].Sum, "the approval waited two hours on bob")
	st := m["baton.store.duration"].(metricdata.Histogram[float64])
	ops := map[string]uint64{}
	for _, dp := range st.DataPoints {
		op, _ := dp.Attributes.Value("baton.store.op")
		ops[op.AsString()] += dp.Count
	}
	require.Equal(t, uint64(1), ops["create-release"])
	require.Positive(t, ops["append-events"])
}

// A failed release ends its span with an error status and the outcome.
func TestAFailedReleaseEndsItsSpanInError(t *testing.T) {
	s := newSink(t)
	ci := adaptertest.NewFake("ci.pipeline", nil).FailPermanently(nil)
	h := releasetest.NewYAML(t, `
id: red
phases:
  - id: build
    activities:
      - {id: compile, uses: ci.pipeline, on-failure: fail}
`, &releasetest.Config{Adapters: []adapters.Adapter{ci}, Executor: &executor.Config{Telemetry: s.tel}})
	res := h.Run(t)
	require.Equal(t, release.Failed, res.Release.Status)
	rel := s.span(t, "release red", 0)
	require.Equal(t, codes.Error, rel.Status().Code)
	require.Equal(t, "failed", attrs(rel.Attributes())["baton.outcome"].AsString())
	require.Equal(t, "failed", attrs(s.span(t, "activity build.compile", 1).Attributes())["baton.outcome"].AsString())
	require.Len(t, s.spans.Started(), len(s.spans.Ended()), "no span is left open")
}

// Store calls: conflicts and other failures are counted apart; lease
// losses are counted and end the release's spans.
func TestStoreCallsAndLeaseLosses(t *testing.T) {
	s := newSink(t)
	s.tel.StoreCall(executor.StoreAppendEvents, 3*time.Millisecond, nil)
	s.tel.StoreCall(executor.StoreAppendEvents, time.Millisecond, store.ErrConflict)
	s.tel.StoreCall(executor.StoreGetRelease, time.Millisecond, errors.New("disk on fire"))
	ctx := s.tel.AdapterCall(context.Background(), &executor.AdapterCall{Release: "r1", Process: "p", ProcessVersion: 2,
		Activity: "a.b", Kind: "http", Attempt: 1})
	require.True(t, trace.SpanContextFromContext(ctx).IsValid(), "an attempt not seen starting gets a span of its own")
	s.tel.LeaseLost("r1", errors.New("expired"))
	require.Equal(t, "lease-lost", attrs(s.span(t, "activity a.b", 1).Attributes())["baton.outcome"].AsString())
	require.Equal(t, "lease-lost", attrs(s.span(t, "release p", 0).Attributes())["baton.outcome"].AsString())

	m := s.metrics(t)
	sum := func(name string) map[string]int64 {
		out := map[string]int64{}
		for _, dp := range m[name].(metricdata.Sum[int64]).DataPoints {
			op, _ := dp.Attributes.Value("baton.store.op")
			out[op.AsString()] += dp.Value
		}
		return out
	}
	require.Equal(t, map[string]int64{"append-events": 1}, sum("baton.store.conflicts"))
	require.Equal(t, map[string]int64{"get-release": 1}, sum("baton.store.errors"))
	require.Equal(t, map[string]int64{"": 1}, sum("baton.lease.losses"))
	var n uint64
	for _, dp := range m["baton.store.duration"].(metricdata.Histogram[float64]).DataPoints {
		n += dp.Count
	}
	require.Equal(t, uint64(3), n)
}

// The http adapter sends the attempt's trace context as traceparent when
// its Propagate is HeaderPropagator.
func TestTheHTTPAdapterSendsTraceparent(t *testing.T) {
	s := newSink(t)
	var got string
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		got = r.Header.Get("traceparent")
		w.WriteHeader(200)
	}))
	defer srv.Close()
	a, err := batonhttp.New(&batonhttp.Config{Propagate: otelbaton.HeaderPropagator(propagation.TraceContext{})})
	require.NoError(t, err)
	ctx := s.tel.AdapterCall(context.Background(), &executor.AdapterCall{Release: "r1", Process: "p", Activity: "a.b", Kind: "http", Attempt: 1})
	_, err = a.Run(ctx, &adapters.Request{Release: "r1", Activity: "a.b", Attempt: 1, With: map[string]any{"url": srv.URL}, Reporter: adapters.NopReporter{}})
	require.NoError(t, err)
	sc := trace.SpanContextFromContext(ctx)
	require.Equal(t, "00-"+sc.TraceID().String()+"-"+sc.SpanID().String()+"-01", got)

	plain, err := batonhttp.New(nil)
	require.NoError(t, err)
	_, err = plain.Run(ctx, &adapters.Request{Release: "r1", Activity: "a.b", Attempt: 1, With: map[string]any{"url": srv.URL}, Reporter: adapters.NopReporter{}})
	require.NoError(t, err)
	require.Empty(t, got, "no Propagate, no traceparent")
}

// A subprocess's child release is traced inside its parent's attempt.
func TestAChildReleaseIsInsideItsParentsAttempt(t *testing.T) {
	s := newSink(t)
	child := releasetest.Parse(t, `
id: smoke
phases:
  - id: check
    activities:
      - {id: ping, uses: ci.pipeline}
`)
	ci := adaptertest.NewFake("ci.pipeline", nil)
	h := releasetest.NewYAML(t, `
id: parent
phases:
  - id: verify
    activities:
      - {id: smoke, type: subprocess, process: smoke}
`, &releasetest.Config{Adapters: []adapters.Adapter{ci}, Processes: []*process.Process{child},
		Executor: &executor.Config{Telemetry: s.tel}})
	res := h.Run(t)
	require.Equal(t, release.Succeeded, res.Release.Status)
	parent := s.span(t, "release parent", 0)
	attempt := s.span(t, "activity verify.smoke", 1)
	require.Equal(t, "subprocess", attrs(attempt.Attributes())["baton.activity.kind"].AsString())
	kid := s.span(t, "release smoke", 0)
	require.Equal(t, attempt.SpanContext().SpanID(), kid.Parent().SpanID())
	require.Equal(t, parent.SpanContext().TraceID(), kid.SpanContext().TraceID(), "one trace for the parent and its child")
	ping := s.span(t, "activity check.ping", 1)
	require.Equal(t, parent.SpanContext().TraceID(), ping.SpanContext().TraceID())
}
