package otelbaton

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// ScopeName is the instrumentation scope of the tracer and meter.
const ScopeName = "github.com/batonhq/baton/executor/otelbaton"

// The attribute keys of spans and metrics.
const (
	AttrRelease        = attribute.Key("baton.release")
	AttrProcess        = attribute.Key("baton.process")
	AttrProcessVersion = attribute.Key("baton.process.version")
	AttrGroup          = attribute.Key("baton.group")
	AttrPhase          = attribute.Key("baton.phase")
	AttrActivity       = attribute.Key("baton.activity")
	AttrActivityKind   = attribute.Key("baton.activity.kind")
	AttrAttempt        = attribute.Key("baton.attempt")
	AttrOutcome        = attribute.Key("baton.outcome")
	AttrStoreOp        = attribute.Key("baton.store.op")
)

// Options configures a Telemetry. A nil *Options takes every default.
type Options struct {
	// TracerProvider makes the tracer. Defaults to otel.GetTracerProvider().
	TracerProvider trace.TracerProvider
	// MeterProvider makes the meter. Defaults to otel.GetMeterProvider().
	MeterProvider metric.MeterProvider
}

// Telemetry implements executor.Telemetry with OpenTelemetry. Make one
// with New, set it as executor.Config.Telemetry, and call Watch with the
// executor for the gauges. It is safe for concurrent use.
type Telemetry struct {
	tracer trace.Tracer
	meter  metric.Meter

	duration  metric.Float64Histogram
	retries   metric.Int64Counter
	waiting   metric.Float64Histogram
	storeTime metric.Float64Histogram
	conflicts metric.Int64Counter
	storeErrs metric.Int64Counter
	leases    metric.Int64Counter

	mu   sync.Mutex
	rels map[release.ID]*relSpans
}

var _ executor.Telemetry = (*Telemetry)(nil)

// relSpans is what Telemetry keeps of one release while it runs here.
type relSpans struct {
	span      trace.Span
	ctx       context.Context // carries span
	base      []attribute.KeyValue
	phases    map[process.PhaseID]trace.Span
	phaseCtx  map[process.PhaseID]context.Context
	attempts  map[release.ActivityKey]*attemptSpan
	rollbacks map[release.ActivityKey]trace.Span
	waiting   map[release.ActivityKey]time.Time
}

type attemptSpan struct {
	span   trace.Span
	ctx    context.Context
	start  time.Time
	kind   string
	number int
}

// New returns a Telemetry that records spans and metrics through the
// providers of opts.
func New(opts *Options) (*Telemetry, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.TracerProvider == nil {
		o.TracerProvider = otel.GetTracerProvider()
	}
	if o.MeterProvider == nil {
		o.MeterProvider = otel.GetMeterProvider()
	}
	t := &Telemetry{
		tracer: o.TracerProvider.Tracer(ScopeName),
		meter:  o.MeterProvider.Meter(ScopeName),
		rels:   map[release.ID]*relSpans{},
	}
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	var err error
	t.duration, err = t.meter.Float64Histogram("baton.activity.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of activity attempts, by activity kind and outcome."))
	add(err)
	t.retries, err = t.meter.Int64Counter("baton.activity.retries",
		metric.WithDescription("Attempts after the first, by activity kind."))
	add(err)
	t.waiting, err = t.meter.Float64Histogram("baton.activity.waiting", metric.WithUnit("s"),
		metric.WithDescription("Time activities waited on people (tasks, outputs, approvals), by activity kind."))
	add(err)
	t.storeTime, err = t.meter.Float64Histogram("baton.store.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of the executor's store calls, by operation."))
	add(err)
	t.conflicts, err = t.meter.Int64Counter("baton.store.conflicts",
		metric.WithDescription("Store calls refused because another writer got there first, by operation."))
	add(err)
	t.storeErrs, err = t.meter.Int64Counter("baton.store.errors",
		metric.WithDescription("Store calls that failed other than by a conflict, by operation."))
	add(err)
	t.leases, err = t.meter.Int64Counter("baton.lease.losses",
		metric.WithDescription("Leases of releases this instance drove and lost."))
	add(err)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return t, nil
}

// Watch registers gauges read from ex.Stats at each collection:
// baton.timers.pending, baton.releases.held, baton.releases.saturated
// (releases at their parallelism bound), baton.activities.in_flight,
// baton.activities.queued (ready work waiting for a free slot) and
// baton.parallelism (the bound). Unregister the returned registration when
// the executor is gone.
func (t *Telemetry) Watch(ex *executor.Executor) (metric.Registration, error) {
	if ex == nil {
		return nil, errors.New("otelbaton: watch: nil executor")
	}
	type gauge struct {
		name, desc string
		read       func(executor.Stats) int
	}
	gauges := []gauge{
		{"baton.timers.pending", "Timers armed: retries, timeouts, deadlines, polls, scheduled starts.", func(s executor.Stats) int { return s.TimersPending }},
		{"baton.releases.held", "Releases held in memory with work in flight.", func(s executor.Stats) int { return s.Releases }},
		{"baton.releases.saturated", "Releases at their parallelism bound.", func(s executor.Stats) int { return s.Saturated }},
		{"baton.activities.in_flight", "Automated attempts and subprocesses running.", func(s executor.Stats) int { return s.InFlight }},
		{"baton.activities.queued", "Ready activities and due retries waiting for a free slot.", func(s executor.Stats) int { return s.Queued }},
		{"baton.parallelism", "The bound on activities running at once per release.", func(s executor.Stats) int { return s.Parallelism }},
	}
	obs := make([]metric.Observable, len(gauges))
	insts := make([]metric.Int64ObservableGauge, len(gauges))
	for i, g := range gauges {
		inst, err := t.meter.Int64ObservableGauge(g.name, metric.WithDescription(g.desc))
		if err != nil {
			return nil, err
		}
		insts[i], obs[i] = inst, inst
	}
	return t.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := ex.Stats()
		for i, g := range gauges {
			o.ObserveInt64(insts[i], int64(g.read(s)))
		}
		return nil
	}, obs...)
}

// HeaderPropagator returns a function for the http adapter's
// Config.Propagate: it writes the trace context of the adapter call's
// context (traceparent, and whatever else p carries) into the request's
// headers. A nil p means otel.GetTextMapPropagator().
func HeaderPropagator(p propagation.TextMapPropagator) func(ctx context.Context, h http.Header) {
	return func(ctx context.Context, h http.Header) {
		prop := p
		if prop == nil {
			prop = otel.GetTextMapPropagator()
		}
		prop.Inject(ctx, propagation.HeaderCarrier(h))
	}
}

// Stored implements executor.Telemetry: it opens and closes the spans of
// the release, its phases and its activity attempts, at the events' times,
// and records attempt durations, retries and time waiting on people.
func (t *Telemetry) Stored(rel *release.Release, events []release.Event) {
	if rel == nil || len(events) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	rs := t.release(rel, events[0].Time)
	for i := range events {
		t.event(rel, rs, &events[i])
	}
	for key, since := range rs.waiting {
		a := rel.Activity(key)
		if a != nil && a.Status == release.ActivityWaiting {
			continue
		}
		if a != nil {
			t.waiting.Record(rs.ctx, a.Since.Sub(since).Seconds(), metric.WithAttributes(AttrActivityKind.String(kindOf(rel, key))))
		}
		delete(rs.waiting, key)
	}
	if rel.Status.Terminal() {
		end := events[len(events)-1].Time
		outcome := strings.ToLower(string(rel.Status))
		for _, a := range rs.attempts {
			a.span.SetAttributes(AttrOutcome.String("unfinished"))
			a.span.End(trace.WithTimestamp(end))
		}
		for _, s := range rs.rollbacks {
			s.End(trace.WithTimestamp(end))
		}
		for _, s := range rs.phases {
			s.End(trace.WithTimestamp(end))
		}
		rs.span.SetAttributes(AttrOutcome.String(outcome))
		if rel.Status != release.Succeeded {
			rs.span.SetStatus(codes.Error, outcome)
		}
		rs.span.End(trace.WithTimestamp(end))
		delete(t.rels, rel.ID)
	}
}

// release returns rel's spans, opening the release span at `at` the first
// time this instance sees the release (its creation, or its first event
// here after a restart or a takeover).
func (t *Telemetry) release(rel *release.Release, at time.Time) *relSpans {
	if rs := t.rels[rel.ID]; rs != nil {
		return rs
	}
	base := []attribute.KeyValue{AttrRelease.String(string(rel.ID))}
	if p := rel.Process; p != nil {
		base = append(base, AttrProcess.String(string(p.ID)), AttrProcessVersion.Int(p.Version))
	}
	if rel.Group != "" {
		base = append(base, AttrGroup.String(string(rel.Group)))
	}
	parent := context.Background()
	if pid := release.ID(rel.Labels[executor.LabelParent]); pid != "" {
		if prs := t.rels[pid]; prs != nil {
			parent = prs.ctx
			if a := prs.attempts[release.ActivityKey(rel.Labels[executor.LabelParentActivity])]; a != nil {
				parent = a.ctx
			}
		}
	}
	name := "release"
	if rel.Process != nil {
		name = "release " + string(rel.Process.ID)
	}
	ctx, span := t.tracer.Start(parent, name, trace.WithTimestamp(at), trace.WithAttributes(base...))
	rs := &relSpans{span: span, ctx: ctx, base: base,
		phases: map[process.PhaseID]trace.Span{}, phaseCtx: map[process.PhaseID]context.Context{},
		attempts: map[release.ActivityKey]*attemptSpan{}, rollbacks: map[release.ActivityKey]trace.Span{},
		waiting: map[release.ActivityKey]time.Time{}}
	t.rels[rel.ID] = rs
	return rs
}

// subject is what an event's payload says it is about.
type subject struct {
	Activity release.ActivityKey `json:"activity"`
	Phase    process.PhaseID     `json:"phase"`
}

func (t *Telemetry) event(rel *release.Release, rs *relSpans, e *release.Event) {
	kind := string(e.Kind)
	if !strings.HasPrefix(kind, "phase.") && !strings.HasPrefix(kind, "activity.") {
		return
	}
	var s subject
	if err := json.Unmarshal(e.Payload, &s); err != nil {
		return
	}
	switch e.Kind {
	case release.KindPhaseStarted:
		t.phase(rs, s.Phase, e.Time)
	case release.KindPhaseSucceeded, release.KindPhaseFailed, release.KindPhaseSkipped, release.KindPhaseAborted:
		span := t.phase(rs, s.Phase, e.Time)
		span.SetAttributes(AttrOutcome.String(strings.TrimPrefix(kind, "phase.")))
		if e.Kind == release.KindPhaseFailed {
			span.SetStatus(codes.Error, "failed")
		}
		span.End(trace.WithTimestamp(e.Time))
		delete(rs.phases, s.Phase)
		delete(rs.phaseCtx, s.Phase)
	case release.KindActivityStarted:
		if old := rs.attempts[s.Activity]; old != nil {
			old.span.End(trace.WithTimestamp(e.Time))
		}
		n := 1
		if a := rel.Activity(s.Activity); a != nil {
			n = countStarts(a, e.Time)
		}
		a := t.attempt(rel, rs, s.Activity, n, e.Time)
		if n > 1 {
			t.retries.Add(rs.ctx, 1, metric.WithAttributes(AttrActivityKind.String(a.kind)))
		}
	case release.KindActivityWaiting:
		rs.waiting[s.Activity] = e.Time
	case release.KindActivitySucceeded, release.KindActivityFailed, release.KindActivityHeld,
		release.KindActivityIgnored, release.KindActivitySkipped, release.KindActivityAborted:
		outcome := strings.TrimPrefix(kind, "activity.")
		a := rs.attempts[s.Activity]
		if a == nil {
			return // never started here (skipped, or settled before this instance saw it)
		}
		a.span.SetAttributes(AttrOutcome.String(outcome))
		if e.Kind == release.KindActivityFailed || e.Kind == release.KindActivityHeld {
			a.span.SetStatus(codes.Error, outcome)
		}
		a.span.End(trace.WithTimestamp(e.Time))
		t.duration.Record(rs.ctx, e.Time.Sub(a.start).Seconds(), metric.WithAttributes(
			AttrActivityKind.String(a.kind), AttrOutcome.String(outcome)))
		delete(rs.attempts, s.Activity)
	case release.KindActivityRolledBack:
		if span := rs.rollbacks[s.Activity]; span != nil {
			span.End(trace.WithTimestamp(e.Time))
			delete(rs.rollbacks, s.Activity)
		}
	}
}

// countStarts is the number of the attempt that started at `at`: the
// attempts of a up to the last one started then.
func countStarts(a *release.ActivityState, at time.Time) int {
	for i := len(a.Attempts) - 1; i >= 0; i-- {
		if a.Attempts[i].StartedAt.Equal(at) {
			return a.Attempts[i].Number
		}
	}
	return len(a.Attempts)
}

func (t *Telemetry) phase(rs *relSpans, id process.PhaseID, at time.Time) trace.Span {
	if s := rs.phases[id]; s != nil {
		return s
	}
	ctx, s := t.tracer.Start(rs.ctx, "phase "+string(id), trace.WithTimestamp(at),
		trace.WithAttributes(append(rs.base[:len(rs.base):len(rs.base)], AttrPhase.String(string(id)))...))
	rs.phases[id], rs.phaseCtx[id] = s, ctx
	return s
}

func (t *Telemetry) attempt(rel *release.Release, rs *relSpans, key release.ActivityKey, n int, at time.Time) *attemptSpan {
	parent := rs.ctx
	if ctx := rs.phaseCtx[key.Phase()]; ctx != nil {
		parent = ctx
	}
	kind := kindOf(rel, key)
	attrs := append(rs.base[:len(rs.base):len(rs.base)],
		AttrActivity.String(string(key)), AttrActivityKind.String(kind), AttrAttempt.Int(n))
	ctx, s := t.tracer.Start(parent, "activity "+string(key), trace.WithTimestamp(at), trace.WithAttributes(attrs...))
	a := &attemptSpan{span: s, ctx: ctx, start: at, kind: kind, number: n}
	rs.attempts[key] = a
	return a
}

// kindOf is an activity's kind: its adapter kind when automated, else its
// type (manual, approval, subprocess).
func kindOf(rel *release.Release, key release.ActivityKey) string {
	if rel.Process != nil {
		phase, id, _ := strings.Cut(string(key), ".")
		for i := range rel.Process.Phases {
			p := &rel.Process.Phases[i]
			if string(p.ID) != phase {
				continue
			}
			for j := range p.Activities {
				a := &p.Activities[j]
				if string(a.ID) != id {
					continue
				}
				if a.Type == "" || a.Type == process.Automated {
					return a.Uses
				}
				return string(a.Type)
			}
		}
	}
	if a := rel.Activity(key); a != nil {
		return string(a.Type)
	}
	return ""
}

// AdapterCall implements executor.Telemetry: the adapter is called with
// the context of its attempt's span (opened now if this instance has not
// seen the attempt start, as after a restart), or of a rollback span.
func (t *Telemetry) AdapterCall(ctx context.Context, c *executor.AdapterCall) context.Context {
	t.mu.Lock()
	defer t.mu.Unlock()
	rs := t.rels[c.Release]
	if rs == nil {
		base := []attribute.KeyValue{AttrRelease.String(string(c.Release)),
			AttrProcess.String(string(c.Process)), AttrProcessVersion.Int(c.ProcessVersion)}
		if c.Group != "" {
			base = append(base, AttrGroup.String(string(c.Group)))
		}
		sctx, span := t.tracer.Start(context.Background(), "release "+string(c.Process), trace.WithAttributes(base...))
		rs = &relSpans{span: span, ctx: sctx, base: base,
			phases: map[process.PhaseID]trace.Span{}, phaseCtx: map[process.PhaseID]context.Context{},
			attempts: map[release.ActivityKey]*attemptSpan{}, rollbacks: map[release.ActivityKey]trace.Span{},
			waiting: map[release.ActivityKey]time.Time{}}
		t.rels[c.Release] = rs
	}
	if c.Rollback {
		if old := rs.rollbacks[c.Activity]; old != nil {
			old.End()
		}
		sctx, span := t.tracer.Start(rs.ctx, "rollback "+string(c.Activity), trace.WithAttributes(append(rs.base[:len(rs.base):len(rs.base)],
			AttrActivity.String(string(c.Activity)), AttrActivityKind.String(c.Kind), AttrAttempt.Int(c.Attempt))...))
		rs.rollbacks[c.Activity] = span
		return trace.ContextWithSpanContext(ctx, trace.SpanContextFromContext(sctx))
	}
	a := rs.attempts[c.Activity]
	if a == nil || a.number != c.Attempt {
		parent := rs.ctx
		if pctx := rs.phaseCtx[c.Activity.Phase()]; pctx != nil {
			parent = pctx
		}
		attrs := append(rs.base[:len(rs.base):len(rs.base)],
			AttrActivity.String(string(c.Activity)), AttrActivityKind.String(c.Kind), AttrAttempt.Int(c.Attempt))
		sctx, span := t.tracer.Start(parent, "activity "+string(c.Activity), trace.WithAttributes(attrs...))
		a = &attemptSpan{span: span, ctx: sctx, start: time.Now(), kind: c.Kind, number: c.Attempt}
		if old := rs.attempts[c.Activity]; old != nil {
			old.span.End()
		}
		rs.attempts[c.Activity] = a
	}
	return trace.ContextWithSpanContext(ctx, trace.SpanContextFromContext(a.ctx))
}

// StoreCall implements executor.Telemetry: store latency by operation,
// conflicts and other failures.
func (t *Telemetry) StoreCall(op executor.StoreOp, took time.Duration, err error) {
	attrs := metric.WithAttributes(AttrStoreOp.String(string(op)))
	ctx := context.Background()
	t.storeTime.Record(ctx, took.Seconds(), attrs)
	switch {
	case err == nil:
	case errors.Is(err, store.ErrConflict):
		t.conflicts.Add(ctx, 1, attrs)
	default:
		t.storeErrs.Add(ctx, 1, attrs)
	}
}

// LeaseLost implements executor.Telemetry: it counts the loss and ends the
// release's open spans here (the instance that takes it over opens its
// own).
func (t *Telemetry) LeaseLost(id release.ID, err error) {
	t.leases.Add(context.Background(), 1)
	t.mu.Lock()
	defer t.mu.Unlock()
	rs := t.rels[id]
	if rs == nil {
		return
	}
	for _, a := range rs.attempts {
		a.span.SetAttributes(AttrOutcome.String("lease-lost"))
		a.span.End()
	}
	for _, s := range rs.rollbacks {
		s.End()
	}
	for _, s := range rs.phases {
		s.End()
	}
	rs.span.SetAttributes(AttrOutcome.String("lease-lost"))
	if err != nil {
		rs.span.RecordError(err)
	}
	rs.span.End()
	delete(t.rels, id)
}
