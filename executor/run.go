package executor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// Labels the executor sets on child releases. Every label key starting
// with ReservedLabelPrefix is the executor's: Create refuses them from a
// host, so that no release can pose as another's child.
const (
	ReservedLabelPrefix = "baton."

	LabelParent         = "baton.parent"          // the parent release id
	LabelParentActivity = "baton.parent-activity" // the subprocess activity's key
	LabelParentAttempt  = "baton.parent-attempt"  // the attempt of that activity
	LabelDepth          = "baton.depth"           // nesting depth, 1 for a child of a top-level release
)

// run is a release held in memory while something is in flight for it. All
// fields are guarded by mu.
type run struct {
	e  *Executor
	id release.ID
	mu sync.Mutex

	evicted bool
	driver  bool         // this instance drives the release (holds its lease, or no leases)
	lease   *store.Lease // held lease, when the store has leases
	rel     *release.Release
	p       *plan
	scope   *process.Scope
	depth   int

	remaining []int32 // per graph node: predecessors not done
	done      []bool  // per graph node
	phaseLeft []int32 // per phase: activities not done
	nDone     int
	ready     []int32 // activities whose predecessors are done (may hold stale entries)
	retryDue  []int32 // Failed activities whose next attempt is due but found no free slot

	flights     map[int32]*flight
	undriven    bool // an adapter call was left for Run to make
	busy        int  // automated attempts and subprocesses running (parallelism)
	rollingBack bool
	rbPending   bool // a rollback step is queued or running

	collecting bool                     // a result is being delivered: dispatch leaves its first adapter call in cont
	cont       task                     // that call, for the delivering worker to make next
	ap         store.AppendEventsParams // flush's, reused

	qmu      sync.Mutex // guards queue and draining
	queue    []result
	draining bool

	pending []release.Event // recorded, not yet stored
	// The payloads of the two events of every automated activity, filled
	// for one emit and cleared after it: RecordPayload keeps nothing of
	// what it is given, so one of each serves the run.
	startedP   release.ActivityStartedPayload
	succeededP release.ActivitySucceededPayload
	onCommit   []func() // run under the lock once pending is stored
	effects    []func() // run after the lock is released
	err        error    // a record failed: the in-memory release is unusable

	policyHeld map[int32]bool // Pending activities a policy holds (see holdActivityPolicy)
	policy     *policyCheck   // judges the policies of rel; nil until used, dropped with rel
}

// flight is an adapter call in progress.
type flight struct {
	attempt  int
	rollback bool
	ctx      attemptCtx        // the adapter call's context
	req      *adapters.Request // &reqv
	poller   adapters.Poller
	reqv     adapters.Request
	rep      reporter
	handle   string
}

// result is what an adapter call returned.
type result struct {
	act int32
	f   *flight
	out *adapters.Result
	err error
}

func idemKey(id release.ID, k release.ActivityKey, attempt int) string {
	return string(id) + "/" + string(k) + "/" + strconv.Itoa(attempt)
}

// load reads the release from the store and rebuilds the run state.
func (r *run) load(ctx context.Context) error {
	if err := r.lock(ctx); err != nil {
		return err
	}
	note := r.e.storeTimer(StoreGetRelease)
	rel, err := r.e.store.GetRelease(ctx, r.id)
	note(err)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("executor: release %s: %w: %w", r.id, ErrNotFound, err)
		}
		return fmt.Errorf("executor: loading release %s: %w", r.id, err)
	}
	p, err := r.e.planFor(rel.Process)
	if err != nil {
		return fmt.Errorf("executor: release %s: pinned process: %w", r.id, err)
	}
	r.install(rel, p)
	return nil
}

// install sets the release the run drives and rebuilds the derived state.
func (r *run) install(rel *release.Release, p *plan) {
	r.rel, r.p = rel, p
	r.e.timers.stop(timerKey{rel: r.id, kind: timerWake}) // reconcile arms its timers
	r.init()
	r.reconcile()
}

// lock takes the release's lease when the store has leases; r.driver says
// whether this instance may drive the release.
func (r *run) lock(ctx context.Context) error {
	e := r.e
	r.driver = true
	if e.leaser != nil && r.lease == nil {
		l, err := e.leaser.AcquireLease(ctx, &store.LeaseParams{Key: leaseKey(r.id), Owner: e.cfg.InstanceID, Now: e.clock.Now(), TTL: e.cfg.LeaseDuration})
		switch {
		case err == nil:
			r.lease = l
			if e.context() == nil {
				// Not running: this instance may record, but it runs no
				// adapter, so it holds no lease: a running instance told of
				// what it records takes it at once (wakeup.go).
				e.releaseLease(r)
			}
		case errors.Is(err, store.ErrConflict):
			r.driver = false
		default:
			return fmt.Errorf("executor: release %s: lease: %w", r.id, err)
		}
	}
	return nil
}

// init rebuilds the derived state from r.rel.
func (r *run) init() {
	p, rel := r.p, r.rel
	n := p.n()
	total := n + len(p.phases)
	r.remaining = make([]int32, total)
	for u := range r.remaining {
		r.remaining[u] = int32(len(p.preds[u]))
	}
	r.done = make([]bool, total)
	r.phaseLeft = make([]int32, len(p.phases))
	for q, ph := range p.phases {
		r.phaseLeft[q] = int32(ph.end - ph.first)
	}
	r.nDone, r.busy = 0, 0
	r.ready = r.ready[:0]
	r.retryDue = r.retryDue[:0]
	if r.flights == nil {
		r.flights = map[int32]*flight{}
	}
	r.policy = nil
	r.scope = &process.Scope{
		Inputs: rel.Inputs,
		Release: map[string]any{
			"id": string(rel.ID), "name": rel.Name, "version": rel.Version,
			"group": string(rel.Group), "scheduled-for": rel.ScheduledFor.UTC().Format(time.RFC3339),
		},
		Outputs: func(ref process.ActivityRef) map[string]any {
			if a := r.rel.Activities[release.Key(ref.Phase, ref.Activity)]; a != nil && a.Status.Done() {
				return a.Outputs
			}
			return nil
		},
	}
	if vars, err := p.compiled.Variables(r.scope); err == nil {
		r.scope.Vars = vars
	} else {
		r.e.log.Warn("executor: evaluating variables", "release", r.id, "err", err)
	}
	r.depth, _ = strconv.Atoi(rel.Labels[LabelDepth])
	r.rollingBack = rel.RollingBack
	for i := range p.acts {
		a := rel.Activities[p.acts[i].key]
		if a.Status.Done() {
			r.markDone(int32(i), false)
		}
		if a.Status == release.ActivityRunning {
			if t := p.acts[i].act.EffectiveType(); t == process.Automated || t == process.Subprocess {
				r.busy++
			}
		}
	}
	for i := range p.acts {
		if !r.done[i] && r.remaining[i] == 0 {
			r.ready = append(r.ready, int32(i))
		}
	}
}

// markDone records that activity (or phase end) u is done and propagates.
// emit says whether phase events may be recorded (false while rebuilding).
func (r *run) markDone(u int32, emit bool) {
	if r.done[u] {
		return
	}
	if emit && len(r.policyHeld) > 0 {
		r.recheckPolicyHolds()
	}
	n := int32(r.p.n())
	stack := []int32{u}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if r.done[v] {
			continue
		}
		r.done[v] = true
		if v < n {
			r.nDone++
			q := r.p.acts[v].phase
			r.phaseLeft[q]--
			if r.phaseLeft[q] == 0 && emit {
				r.phaseFinished(q)
			}
		}
		for _, s := range r.p.succs[v] {
			r.remaining[s]--
			if r.remaining[s] != 0 {
				continue
			}
			if s >= n {
				stack = append(stack, s)
			} else if emit {
				r.ready = append(r.ready, s)
			}
		}
	}
}

// phaseFinished records that every activity of phase q is done.
func (r *run) phaseFinished(q int) {
	id := r.p.phases[q].id
	ph := r.rel.Phases[id]
	switch ph.Status {
	case release.PhasePending:
		if r.rel.Status != release.Running {
			return
		}
		r.emit(r.actor(), "", &release.PhaseStartedPayload{Phase: id})
		fallthrough
	case release.PhaseRunning, release.PhaseFailed:
		if ph.Status == release.PhaseFailed {
			r.emit(r.actor(), "", &release.PhaseStartedPayload{Phase: id})
		}
		r.emit(r.actor(), "", &release.PhaseSucceededPayload{Phase: id})
	}
}

func (r *run) actor() string { return r.e.cfg.InstanceID }

func (r *run) now() time.Time { return r.e.clock.Now() }

// emit records one event in memory; flush stores it.
func (r *run) emit(actor, reason string, p release.Payload) bool {
	if r.err != nil {
		return false
	}
	ev, err := r.e.procs.RecordPayload(r.rel, r.now(), actor, reason, p)
	if err == nil {
		r.pending = append(r.pending, ev)
		return true
	}
	r.err = fmt.Errorf("executor: release %s: recording %s: %w", r.id, p.EventKind(), err)
	return false
}

// flush stores the recorded events, publishes them and runs the work that
// waited for them. On failure the run is reset and reloaded later.
func (r *run) flush(ctx context.Context) error {
	if r.err != nil {
		err := r.err
		r.invalidate(err)
		return err
	}
	if len(r.pending) > 0 {
		r.ap = store.AppendEventsParams{ExpectedSeq: r.pending[0].Seq - 1, Events: r.pending, Release: r.rel, Notify: r.notifyWanted()}
		note := r.e.storeTimer(StoreAppendEvents)
		err := r.e.store.AppendEvents(ctx, &r.ap)
		note(err)
		r.ap = store.AppendEventsParams{}
		if err != nil {
			r.invalidate(err)
			return fmt.Errorf("executor: storing events of release %s: %w", r.id, err)
		}
		if t := r.e.cfg.Telemetry; t != nil {
			t.Stored(r.rel, r.pending)
		}
		r.e.publish(r.pending, r.rel)
		if r.rel.Status.Terminal() && r.rel.Labels[LabelParent] != "" {
			r.notifyParent()
		}
		if r.rel.Status.Terminal() && r.rel.Group != "" {
			r.e.groupEnded(r.rel.Group)
		}
		r.pending = r.pending[:0]
	}
	// Callbacks may add callbacks: they run too, in order. The slice is
	// kept for the next flush (cleared: no closure outlives its flush).
	for i := 0; i < len(r.onCommit); i++ {
		r.onCommit[i]()
	}
	clear(r.onCommit)
	r.onCommit = r.onCommit[:0]
	return nil
}

// invalidate drops the in-memory release after a failed record or store
// write; a timer reloads it.
func (r *run) invalidate(cause error) {
	r.rel, r.policy = nil, nil
	r.pending = nil
	r.onCommit = nil
	r.effects = nil
	r.err = nil
	r.ready = nil
	r.retryDue = nil
	r.rbPending = false
	delay := r.e.cfg.StoreRetry
	if errors.Is(cause, store.ErrConflict) {
		delay = 0
	}
	if !errors.Is(cause, context.Canceled) { // Run stopping, or the caller gave up
		r.e.log.Warn("executor: release state reset", "release", r.id, "err", cause)
	}
	r.e.timers.set(timerKey{rel: r.id, kind: timerReload}, r.now().Add(delay))
}

func (r *run) cancelFlights() {
	for _, f := range r.flights {
		f.cancel()
	}
}

func (r *run) state(i int32) *release.ActivityState { return r.rel.Activities[r.p.acts[i].key] }

// reconcile looks at every activity after a load or a resume and restarts
// what needs it: attempts that were running, timers, the rollback.
func (r *run) reconcile() {
	if !r.driver || r.rel == nil {
		return
	}
	rel := r.rel
	switch rel.Status {
	case release.Scheduled:
		if rel.Labels[LabelStart] == "" { // else a person or the group's scheduler starts it
			r.e.timers.set(timerKey{rel: r.id, kind: timerStart}, rel.ScheduledFor)
		}
		return
	case release.Running, release.Paused:
	default:
		return
	}
	if rel.Labels[LabelParent] != "" {
		r.checkParent()
	}
	for i := range r.p.acts {
		i := int32(i)
		ai := &r.p.acts[i]
		a := r.state(i)
		attempt := len(a.Attempts)
		switch a.Status {
		case release.ActivityRunning:
			switch ai.act.EffectiveType() {
			case process.Automated:
				if r.flights[i] == nil && !r.rollingBack {
					at := a.Attempts[attempt-1]
					r.armTimeout(i, attempt, at.StartedAt)
					r.dispatch(i, attempt, at.Inputs, at.IdempotencyKey, false)
				}
			case process.Subprocess:
				r.armTimeout(i, attempt, a.Attempts[attempt-1].StartedAt)
				r.checkChild(i, attempt)
			default:
				r.emit(r.actor(), "", &release.ActivityWaitingPayload{Activity: ai.key})
				r.armTimeout(i, attempt, a.Attempts[attempt-1].StartedAt)
				r.checkHuman(i)
			}
		case release.ActivityWaiting:
			if ai.act.EffectiveType() == process.Approval {
				r.armDeadline(i)
			}
			r.armTimeout(i, attempt, a.Attempts[attempt-1].StartedAt)
			r.checkHuman(i)
		case release.ActivityFailed:
			if !r.rollingBack && rel.Status == release.Running {
				// A failure whose strategy was applied is never left Failed
				// (except under fail and rollback, which end the release or
				// set rollingBack): this one waits for its next attempt.
				at := a.Attempts[attempt-1]
				k := timerKey{rel: r.id, kind: timerRetry, act: i, attempt: int32(attempt + 1)}
				if !r.e.timers.has(k) {
					r.e.timers.set(k, at.EndedAt.Add(r.e.backoff(ai.act.Retry, attempt)))
				}
			}
		}
	}
}

// drive starts what can start: ready activities up to the parallelism
// limit, the next rollback step, the release's end.
func (r *run) drive() {
	if !r.driver || r.rel == nil || r.rel.Status != release.Running || r.err != nil {
		return
	}
	if r.rollingBack {
		r.driveRollback()
		return
	}
	limit := r.e.cfg.Parallelism
	// Next attempts that found every slot taken go first: they became
	// runnable before anything still in ready.
	r.takeEach(&r.retryDue, limit, func(i int32) {
		if r.state(i).Status == release.ActivityFailed && !r.holdRetry(i) {
			r.start(i, r.actor(), "retry", nil)
		}
	})
	r.takeEach(&r.ready, limit, func(i int32) {
		if r.state(i).Status != release.ActivityPending || r.rel.Status != release.Running || r.rollingBack {
			return
		}
		r.begin(i)
	})
	if r.rollingBack {
		r.driveRollback()
		return
	}
	r.checkFinished()
}

// takeEach takes activities from the front of the queue *q, in order,
// while a slot is free and nothing failed, and calls f with each; f may
// add to the queue, and what it adds is taken in turn. The queue keeps its
// array for the next time.
func (r *run) takeEach(q *[]int32, limit int, f func(int32)) {
	n := 0
	for n < len(*q) && r.busy < limit && r.err == nil {
		n++
		f((*q)[n-1])
	}
	if n >= len(*q) {
		*q = (*q)[:0]
	} else if n > 0 {
		*q = (*q)[:copy(*q, (*q)[n:])]
	}
}

// begin starts a ready activity: its phase first, then its condition.
func (r *run) begin(i int32) {
	ai := &r.p.acts[i]
	ph := r.rel.Phases[r.p.phases[ai.phase].id]
	if ph.Status == release.PhasePending {
		ok, err := r.p.compiled.PhaseEnabled(ph.ID, r.scope)
		if err != nil {
			r.e.log.Warn("executor: phase condition", "release", r.id, "phase", ph.ID, "err", err)
		}
		if !ok {
			r.emit(r.actor(), conditionReason(err), &release.PhaseSkippedPayload{Phase: ph.ID})
			pi := r.p.phases[ai.phase]
			for j := pi.first; j < pi.end; j++ {
				if r.state(int32(j)).Status == release.ActivitySkipped {
					r.markDone(int32(j), true)
				}
			}
			return
		}
		r.emit(r.actor(), "", &release.PhaseStartedPayload{Phase: ph.ID})
	}
	ok, err := r.p.compiled.ActivityEnabled(ai.ref, r.scope)
	if err != nil {
		r.e.log.Warn("executor: activity condition", "release", r.id, "activity", ai.key, "err", err)
	}
	if !ok {
		r.emit(r.actor(), conditionReason(err), &release.ActivitySkippedPayload{Activity: ai.key})
		r.markDone(i, true)
		return
	}
	if r.holdActivity(i) || r.holdActivityPolicy(i) {
		return
	}
	r.start(i, r.actor(), "", nil)
}

func conditionReason(err error) string {
	if err != nil {
		return "condition could not be evaluated: " + err.Error()
	}
	return "condition is false"
}

// start begins a new attempt of activity i.
func (r *run) start(i int32, actor, reason string, override map[string]any) {
	ai := &r.p.acts[i]
	a := r.state(i)
	attempt := len(a.Attempts) + 1
	key := idemKey(r.id, ai.key, attempt)
	switch ai.act.EffectiveType() {
	case process.Automated:
		with, err := r.p.compiled.With(ai.ref, r.scope)
		for k, v := range override {
			if with == nil {
				with = map[string]any{}
			}
			with[k] = v
		}
		if err == nil {
			_, err = r.e.reg.Lookup(ai.act.Uses)
		}
		r.startedP = release.ActivityStartedPayload{Activity: ai.key, Inputs: with, IdempotencyKey: key}
		ok := r.emit(actor, reason, &r.startedP)
		r.startedP = release.ActivityStartedPayload{}
		if !ok {
			return
		}
		if err != nil {
			r.failure(i, adapters.Permanent(err), false)
			return
		}
		r.busy++
		r.armTimeout(i, attempt, r.now())
		r.onCommit = append(r.onCommit, func() { r.dispatch(i, attempt, with, key, false) })
	case process.Manual, process.Approval:
		if !r.emit(actor, reason, &release.ActivityStartedPayload{Activity: ai.key, Inputs: override, IdempotencyKey: key}) {
			return
		}
		if ai.act.EffectiveType() == process.Manual && attempt > 1 {
			// A retried manual activity reopens its failed tasks.
			for _, t := range a.Tasks {
				if t.Status == release.TaskFailed {
					r.emit(actor, reason, &release.TaskUpdatedPayload{Activity: ai.key, Task: t.ID, Status: release.TaskTodo})
				}
			}
		}
		r.emit(r.actor(), "", &release.ActivityWaitingPayload{Activity: ai.key})
		if ai.act.EffectiveType() == process.Approval {
			r.armDeadline(i)
		}
		r.armTimeout(i, attempt, r.now())
		r.checkHuman(i)
	case process.Subprocess:
		with, err := r.p.compiled.With(ai.ref, r.scope)
		for k, v := range override {
			if with == nil {
				with = map[string]any{}
			}
			with[k] = v
		}
		if !r.emit(actor, reason, &release.ActivityStartedPayload{Activity: ai.key, Inputs: with, IdempotencyKey: key}) {
			return
		}
		if err != nil {
			r.failure(i, adapters.Permanent(err), false)
			return
		}
		r.busy++
		r.armTimeout(i, attempt, r.now())
		r.startChild(i, attempt, with)
	}
}

func (r *run) armTimeout(i int32, attempt int, started time.Time) {
	if d := r.p.acts[i].act.Timeout.D(); d > 0 {
		r.e.timers.set(timerKey{rel: r.id, kind: timerTimeout, act: i, attempt: int32(attempt)}, started.Add(d))
	}
}

func (r *run) armDeadline(i int32) {
	pol := r.p.acts[i].act.Approval
	a := r.state(i)
	if pol == nil || pol.Deadline <= 0 || len(a.Attempts) == 0 {
		return
	}
	at := a.Attempts[len(a.Attempts)-1].StartedAt.Add(pol.Deadline.D())
	r.e.timers.set(timerKey{rel: r.id, kind: timerDeadline, act: i, attempt: int32(len(a.Attempts))}, at)
}

// dispatch runs an adapter call for attempt of activity i (or its rollback)
// on its own goroutine. It does nothing when Run is not running: the
// attempt stays Running in the store and the next Run re-runs it.
func (r *run) dispatch(i int32, attempt int, with map[string]any, key string, rollback bool) {
	e := r.e
	if r.flights[i] != nil {
		return
	}
	base := e.startCall() // counted in flight until its result is delivered
	if base == nil || (e.leaser != nil && r.lease == nil) {
		if base != nil {
			e.endCall()
		}
		r.undriven = true // Run's first scan must pick this release up
		return
	}
	ai := &r.p.acts[i]
	kind := ai.act.Uses
	if rollback {
		kind = ai.act.Rollback.Uses
	}
	ad, err := e.reg.Lookup(kind)
	f := &flight{attempt: attempt, rollback: rollback}
	f.ctx.parent = r.adapterContext(base, ai, kind, attempt, rollback)
	ctx := &f.ctx
	f.reqv = adapters.Request{
		Release: r.id, ReleaseName: r.rel.Name, Activity: ai.key, Attempt: attempt,
		IdempotencyKey: key, With: cloneMap(with), Inputs: r.rel.Inputs, Rollback: rollback,
		Reporter: &f.rep,
	}
	f.rep.clock = e.clock
	if e.log.Enabled(base, slog.LevelInfo) {
		f.rep.log = e.log.With("release", r.id, "activity", ai.key, "attempt", attempt)
	}
	f.req = &f.reqv
	r.flights[i] = f
	var run task // each ends the call it counts (endCall) once it has delivered
	switch {
	case err != nil:
		run = func() task {
			defer e.endCall()
			return e.deliver(r, result{act: i, f: f, err: adapters.Permanent(err)})
		}
	default:
		if p, ok := ad.(adapters.Poller); ok {
			f.poller = p
			run = func() task {
				defer e.endCall()
				if err := ctx.Err(); err != nil {
					// Cancelled before this worker got to it (a timeout,
					// an abort): the adapter is not called at all.
					return e.deliver(r, result{act: i, f: f, err: err})
				}
				h, err := p.Start(ctx, f.req)
				if err != nil {
					return e.deliver(r, result{act: i, f: f, err: err})
				}
				e.polled(r, i, f, h)
				return nil
			}
		} else {
			run = func() task {
				defer e.endCall()
				if err := ctx.Err(); err != nil {
					return e.deliver(r, result{act: i, f: f, err: err}) // as above
				}
				out, err := ad.Run(ctx, f.req)
				return e.deliver(r, result{act: i, f: f, out: out, err: err})
			}
		}
	}
	if r.collecting && r.cont == nil {
		r.cont = run // the goroutine delivering a result runs it next (see deliver)
		return
	}
	if !e.spawn(run) {
		delete(r.flights, i)
		f.cancel()
		e.endCall()
		r.undriven = true
	}
}

// polled records a Poller's handle and arms the poll timer.
func (e *Executor) polled(r *run, i int32, f *flight, handle string) {
	r.mu.Lock()
	current := !r.evicted && r.flights[i] == f
	f.handle = handle
	r.mu.Unlock()
	if current {
		e.timers.set(timerKey{rel: r.id, kind: timerPoll, act: i, attempt: int32(f.attempt)}, e.clock.Now())
	}
}

// poll checks a Poller's work once; handle was read under the run's lock.
func (e *Executor) poll(r *run, i int32, f *flight, handle string) task {
	ctx := e.startCall()
	if ctx == nil {
		return nil // shutting down: the next Run re-attaches the work
	}
	defer e.endCall()
	st, err := f.poller.Poll(ctx, f.req, handle)
	if err != nil || st.Done {
		var out *adapters.Result
		if st.Done {
			out = st.Result
		}
		return e.deliver(r, result{act: i, f: f, out: out, err: err})
	}
	d := st.After
	if d <= 0 {
		d = e.cfg.PollInterval
	}
	e.timers.set(timerKey{rel: r.id, kind: timerPoll, act: i, attempt: int32(f.attempt)}, e.clock.Now().Add(d))
	return nil
}

// deliver hands an adapter's result to its release. Results that arrive
// while another goroutine applies results are queued and applied by it in
// one batch (one store append). It returns the first adapter call the
// results started, for the calling worker to make itself; the others go to
// other workers.
func (e *Executor) deliver(r *run, res result) (next task) {
	r.qmu.Lock()
	r.queue = append(r.queue, res)
	if r.draining {
		r.qmu.Unlock()
		return nil
	}
	r.draining = true
	r.qmu.Unlock()
	var spare []result // the last batch's slice, for the queue to reuse
	for {
		r.qmu.Lock()
		batch := r.queue
		r.queue = spare
		if len(batch) == 0 {
			r.draining = false
			r.qmu.Unlock()
			return next
		}
		r.qmu.Unlock()
		next = e.applyBatch(r, batch, next)
		// The batch is done with on every path, applied or dropped: its
		// array is the queue's next. (Keeping the older spare after a
		// dropped batch gave the queue the array of the batch read next,
		// and results queued meanwhile overwrote results not yet applied.)
		clear(batch)
		spare = batch[:0]
	}
}

// applyBatch applies a batch of results to r under its lock, after loading
// the release if it was dropped, and returns next, or if next is nil the
// first adapter call the batch started (for the calling worker to make).
// A batch that finds r evicted, or the release not loadable, is dropped:
// the release's reload makes those calls again.
func (e *Executor) applyBatch(r *run, batch []result, next task) task {
	r.mu.Lock()
	if r.evicted {
		r.mu.Unlock()
		return next
	}
	ctx := e.background()
	if r.rel == nil {
		if err := r.load(ctx); err != nil {
			e.log.Warn("executor: reloading release", "release", r.id, "err", err)
			for _, res := range batch {
				if r.flights[res.act] == res.f {
					delete(r.flights, res.act)
				}
			}
			e.timers.set(timerKey{rel: r.id, kind: timerReload}, e.clock.Now().Add(e.cfg.StoreRetry))
			e.releaseRun(r)
			return next
		}
	}
	r.collecting = next == nil // one call is kept for this worker; the rest go to others
	for _, res := range batch {
		r.apply(res)
	}
	r.drive()
	if err := r.flush(ctx); err != nil && ctx.Err() == nil {
		e.log.Warn("executor: storing results", "release", r.id, "err", err)
	}
	r.collecting = false
	if next == nil {
		next = r.cont
	}
	r.cont = nil
	e.releaseRun(r)
	return next
}
