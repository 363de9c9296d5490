package executor

import (
	"context"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
)

// Telemetry is told what an executor does, for traces and metrics: the
// package executor/otelbaton implements it with OpenTelemetry, so that
// this package depends on no telemetry library. Set it in
// Config.Telemetry; with none set the executor makes none of these calls.
//
// The methods are called on the executor's own goroutines, some with a
// release's lock held: they must return quickly, must not block, and must
// not call back into the Executor. They may be called concurrently.
type Telemetry interface {
	// Stored is called after the executor stored events of one release
	// (created the release, or appended to it), in order per release, with
	// the release as it is after them, before observers and subscribers
	// hear of them. rel is read-only and must not be
	// kept after the call; events must not be modified.
	Stored(rel *release.Release, events []release.Event)
	// AdapterCall is called before each adapter call of an attempt (Run,
	// or a Poller's Start) and returns the context the adapter is called
	// with: a Telemetry puts its trace context there, so that an adapter
	// can pass it on (the http adapter's Config.Propagate). It must return
	// ctx or a context derived from it.
	AdapterCall(ctx context.Context, call *AdapterCall) context.Context
	// StoreCall reports one store call made for a release: which, how
	// long it took (wall time), and its error (nil, or one matching
	// store.ErrConflict when another writer got there first, or another).
	StoreCall(op StoreOp, took time.Duration, err error)
	// LeaseLost reports that this instance lost the lease of a release it
	// was driving; another instance may drive it now.
	LeaseLost(id release.ID, err error)
}

// AdapterCall describes one adapter call, for Telemetry.AdapterCall.
type AdapterCall struct {
	Release        release.ID
	Process        process.ID
	ProcessVersion int
	Group          release.GroupID // empty for a release made on demand
	Activity       release.ActivityKey
	Kind           string // the adapter kind (uses:, or the rollback's)
	Attempt        int    // from 1
	Rollback       bool   // the call undoes the activity
}

// StoreOp names a store call for Telemetry.StoreCall.
type StoreOp string

// The store calls the executor reports.
const (
	StoreCreateRelease StoreOp = "create-release"
	StoreAppendEvents  StoreOp = "append-events"
	StoreGetRelease    StoreOp = "get-release"
)

// Stats is a snapshot of an executor's load (Executor.Stats).
type Stats struct {
	// Releases is the number of releases held in memory: something is in
	// flight for them or someone is acting on them. Releases waiting on
	// people or timers are not held.
	Releases int
	// InFlight is the number of automated attempts and subprocesses
	// running, over all releases.
	InFlight int
	// Saturated is the number of releases at their Parallelism bound.
	Saturated int
	// Queued is the number of activities and due retries that are ready
	// but wait for a free slot, over the saturated releases (an upper
	// bound: an entry may have been settled meanwhile).
	Queued int
	// TimersPending is the number of timers armed: retries, timeouts,
	// deadlines, polls, scheduled starts.
	TimersPending int
	// Parallelism is Config.Parallelism, the bound per release.
	Parallelism int
}

// Stats returns a snapshot of the executor's load, for gauges. It takes
// each held release's lock in turn, so it costs in proportion to the
// releases held; call it at a metrics collector's pace, not per event.
func (e *Executor) Stats() Stats {
	s := Stats{TimersPending: e.timers.len(), Parallelism: e.cfg.Parallelism}
	e.mu.Lock()
	runs := make([]*run, 0, len(e.runs))
	for _, r := range e.runs {
		runs = append(runs, r)
	}
	e.mu.Unlock()
	for _, r := range runs {
		r.mu.Lock()
		if !r.evicted && r.rel != nil {
			s.Releases++
			s.InFlight += r.busy
			if r.busy >= e.cfg.Parallelism {
				s.Saturated++
				s.Queued += len(r.ready) + len(r.retryDue)
			}
		}
		r.mu.Unlock()
	}
	return s
}

// adapterContext is ctx as the configured Telemetry wants it for an
// adapter call of activity i.
func (r *run) adapterContext(ctx context.Context, ai *actInfo, kind string, attempt int, rollback bool) context.Context {
	t := r.e.cfg.Telemetry
	if t == nil || r.rel == nil {
		return ctx
	}
	c := &AdapterCall{Release: r.id, Group: r.rel.Group, Activity: ai.key, Kind: kind, Attempt: attempt, Rollback: rollback}
	if p := r.rel.Process; p != nil {
		c.Process, c.ProcessVersion = p.ID, p.Version
	}
	return t.AdapterCall(ctx, c)
}

// storeTimer starts timing a store call; the function it returns reports
// it. Without Telemetry it costs nothing.
func (e *Executor) storeTimer(op StoreOp) func(err error) {
	t := e.cfg.Telemetry
	if t == nil {
		return noteNothing
	}
	start := time.Now()
	return func(err error) { t.StoreCall(op, time.Since(start), err) }
}

func noteNothing(error) {}
