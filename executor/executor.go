package executor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// Executor drives releases over a store and adapters. Create one with New;
// it is safe for concurrent use. An Executor records events whenever it is
// called, but it runs adapters and fires timers only while Run runs; what
// was left undone is picked up from the store when Run starts.
type Executor struct {
	store  store.Store
	leaser store.Leaser           // nil when the store has no leases
	lister store.UnfinishedLister // nil when the store cannot list unfinished releases with their hints
	reg    *adapters.Registry
	cfg    Config
	clock  Clock
	log    *slog.Logger
	timers *timers
	subs   subscribers
	sched  scheduler // the release groups' scheduler
	fz     freezeCache
	pol    policyCache

	// freezes and history are the store's optional capabilities, found
	// once in New (through Unwrap, so that the sealing wrapper keeps them);
	// nil when it has none.
	freezes  store.FreezeStore
	policies store.PolicyStore
	history  store.GroupHistoryStore
	// retention deletes releases (retention.go); nil when the store
	// cannot.
	retention store.RetentionStore
	sweeping  sync.Mutex // held by the sweep in progress (SweepRetention)

	// notifier tells of changes other instances record (see wakeup.go);
	// nil when the store has no notifications.
	notifier store.ReleaseNotifier
	wake     wakeups

	mu      sync.Mutex
	runs    map[release.ID]*run        // releases held in memory ("hot")
	idle    map[release.ID]idleRelease // releases this instance let go or left unloaded, with their timers here: a rescan skips them while unchanged
	plans   map[planKey]*plan
	checks  map[timerKey]bool // subprocess attempts whose child is being looked at (see checkChild)
	running bool
	runCtx  context.Context // valid while running; adapter contexts derive from it
	wg      sync.WaitGroup  // goroutines started while running
	work    chan task       // hands work to idle workers (see spawn)

	rngMu sync.Mutex
	rng   *rand.Rand

	scanning atomic.Bool   // a scan runs: the next one is skipped (see scan)
	scanGen  uint64        // the scan in progress, or the last one; guarded by mu
	scans    atomic.Uint64 // scans completed (ready: the first one)

	// procs pins the processes of plans: the releases this executor
	// creates share one decoded copy of each.
	procs release.ProcessCache

	life lifecycle // Launch and Shutdown (lifecycle.go); guarded by mu
}

type planKey struct {
	id      process.ID
	version int
}

// New returns an executor over store s and the adapters of reg. A nil cfg
// takes every default (see Config). When s implements store.Leaser, the
// executor takes a lease on each release it drives, so several executors
// may share s. A wrapper around a store (one that embeds store.Store)
// keeps the leases of the store it wraps when it implements
// store.Unwrapper; one that holds a store with leases and neither forwards
// them nor unwraps is refused with a *store.HiddenCapabilityError
// (it matches store.ErrInvalid), since
// losing leases silently would let two executors drive one release.
func New(s store.Store, reg *adapters.Registry, cfg *Config) (*Executor, error) {
	if s == nil {
		return nil, errNilStore
	}
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if reg == nil {
		reg = &adapters.Registry{}
	}
	e := &Executor{
		store: s, reg: reg, cfg: c, clock: c.Clock, log: c.Logger,
		timers: newTimers(),
		runs:   map[release.ID]*run{},
		idle:   map[release.ID]idleRelease{},
		plans:  map[planKey]*plan{},
		checks: map[timerKey]bool{},
		work:   make(chan task),
		rng:    rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
	}
	l, ok, err := store.Find[store.Leaser](s)
	if err != nil {
		return nil, fmt.Errorf("executor: new: %w", err)
	}
	if ok {
		e.leaser = l
	}
	if l, ok, _ := store.Find[store.UnfinishedLister](s); ok { // through Unwrap; hiding it only costs speed
		e.lister = l
	}
	// A wrapper that hides freezes would let releases through them: it is
	// refused, as one that hides leasing is.
	fz, ok, err := store.Find[store.FreezeStore](s)
	if err != nil {
		return nil, fmt.Errorf("executor: new: %w", err)
	}
	if ok {
		e.freezes = fz
	}
	// So would one that hides policies.
	pol, ok, err := store.Find[store.PolicyStore](s)
	if err != nil {
		return nil, fmt.Errorf("executor: new: %w", err)
	}
	if ok {
		e.policies = pol
	}
	rs, ok, err := store.Find[store.RetentionStore](s)
	switch {
	case ok:
		e.retention = rs
	case c.Retention != nil && len(c.Retention.Rules) > 0 && err != nil:
		return nil, fmt.Errorf("executor: new: Retention: %w", err)
	case c.Retention != nil && len(c.Retention.Rules) > 0:
		return nil, fmt.Errorf("executor: config: Retention: %w", errRetentionUnsupported(s))
	}
	if h, ok, _ := store.Find[store.GroupHistoryStore](s); ok { // hiding it loses the groups' history, as a store without it does
		e.history = h
	}
	// A wrapper that hides notifications costs promptness only: rescans
	// still find the changes, so it is not refused.
	if n, ok, _ := store.Find[store.ReleaseNotifier](s); ok {
		e.notifier = n
	}
	if c.Sealer != nil {
		if e.store, err = sealing(s, c.Sealer); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// Run drives releases until ctx is done or Shutdown is called (see Launch
// for running in the background): it first resumes every unfinished
// release in the store (re-running activities that were running with the
// same idempotency key, re-arming timers), then runs adapters and fires
// timers as releases need. When ctx is done it cancels the adapters still
// running (their attempts stay open in the store, to be re-run by the next
// Run), waits for every goroutine it started, gives up its leases and
// returns nil. It returns ErrRunning if Run is already running.
func (e *Executor) Run(ctx context.Context) error {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	e.mu.Lock()
	if e.running {
		e.mu.Unlock()
		return ErrRunning
	}
	e.running, e.runCtx = true, runCtx
	e.idle = map[release.ID]idleRelease{} // the first scan looks at everything
	e.wg.Add(1)
	e.beginRun(cancel)
	e.mu.Unlock()
	defer e.endRun()

	go func() {
		defer e.wg.Done()
		e.timerLoop(runCtx)
	}()
	e.startWakeups(runCtx)
	if e.leaser != nil {
		now := e.clock.Now()
		e.timers.set(timerKey{kind: timerRenew}, now.Add(e.cfg.LeaseDuration/3))
		if e.cfg.rescans() {
			e.timers.set(timerKey{kind: timerRescan}, now.Add(e.cfg.RescanInterval))
		}
	}
	e.spawn(do(func() { e.scan(runCtx) }))
	e.spawn(do(func() { e.loadGroups(runCtx, true) }))
	if _, ok := e.freezeStore(); ok || e.policies != nil {
		e.timers.set(timerKey{kind: timerFreezes}, e.clock.Now())
	}
	if e.cfg.Retention != nil && len(e.cfg.Retention.Rules) > 0 {
		e.timers.set(timerKey{kind: timerRetention}, e.clock.Now())
	}

	<-runCtx.Done()

	e.mu.Lock()
	e.running = false
	e.mu.Unlock()
	cancel()
	e.wg.Wait()

	// Forget everything held in memory; the store has it all.
	e.mu.Lock()
	runs := e.runs
	e.runs = map[release.ID]*run{}
	e.idle = map[release.ID]idleRelease{}
	e.mu.Unlock()
	for _, r := range runs {
		r.mu.Lock()
		r.evicted = true
		r.cancelFlights()
		if r.lease != nil {
			e.releaseLease(r)
		}
		r.mu.Unlock()
	}
	e.timers.stop(timerKey{kind: timerRenew})
	e.timers.stop(timerKey{kind: timerRescan})
	e.timers.stop(timerKey{kind: timerFreezes})
	e.timers.stop(timerKey{kind: timerRetention})
	e.sched.stopAll(e)
	return nil
}

// task is work for a worker goroutine. It returns the work to do next on
// the same goroutine, or nil: an adapter call whose result starts the next
// activity runs that activity's adapter call itself, without a handoff to
// another goroutine (see deliver).
type task func() task

// do makes a task of f.
func do(f func()) task { return func() task { f(); return nil } }

// workerIdle is how long a worker goroutine waits for more work before it
// exits.
const workerIdle = time.Second

// spawn runs f on a goroutine if Run is running, and reports whether it
// did. It hands f to an idle worker when there is one, else starts a
// worker: a goroutine that goes on taking work until it has been idle for
// workerIdle or Run stops. Reusing goroutines saves starting one per
// adapter call and, above all, growing its stack again to the depth an
// append reaches. Run waits for every worker before it returns.
func (e *Executor) spawn(f task) bool {
	e.mu.Lock()
	if !e.running {
		e.mu.Unlock()
		return false
	}
	ctx := e.runCtx
	e.mu.Unlock()
	e.life.busy.Add(1) // until the worker has run f and what it returned (see Idle)
	select {
	case e.work <- f:
		return true
	default:
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.running {
		e.life.busy.Add(-1)
		return false
	}
	e.wg.Add(1)
	go e.worker(ctx, f)
	return true
}

func (e *Executor) worker(ctx context.Context, f task) {
	defer e.wg.Done()
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		for f != nil {
			f = f()
		}
		e.life.busy.Add(-1)
		idle.Reset(workerIdle)
		select {
		case f = <-e.work:
		case <-idle.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// context returns the context adapters run under, or nil when Run is not
// running.
func (e *Executor) context() context.Context {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.running {
		return nil
	}
	return e.runCtx
}

// background is the context for the executor's own store calls.
func (e *Executor) background() context.Context {
	if ctx := e.context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

// redrive makes the adapter calls a run held in memory left for Run to
// make (dispatch found Run not running yet).
func (e *Executor) redrive(ctx context.Context, r *run) {
	r.mu.Lock()
	if r.evicted { // let go meanwhile: resume it as any other
		r.mu.Unlock()
		if err := e.with(ctx, r.id, func(r *run) error { r.reconcile(); return nil }); err != nil && ctx.Err() == nil {
			e.log.Warn("executor: resuming release", "release", r.id, "err", err)
		}
		return
	}
	if !r.undriven || r.rel == nil {
		r.mu.Unlock()
		return
	}
	r.undriven = false
	if err := e.withRun(ctx, r, func(r *run) error { return r.relock(ctx) }); err != nil && ctx.Err() == nil {
		e.log.Warn("executor: resuming release", "release", r.id, "err", err)
	}
}

// planFor returns the shared plan of a pinned process.
func (e *Executor) planFor(p *process.Process) (*plan, error) {
	k := planKey{p.ID, p.Version}
	e.mu.Lock()
	pl := e.plans[k]
	e.mu.Unlock()
	if pl != nil {
		return pl, nil
	}
	// A pinned version is compiled as stored: a check added to process
	// validation since it was stored (an if: that cannot be boolean) must
	// not stop its releases from resuming. PutProcess checks new versions
	// in full.
	c, err := process.CompileStored(p)
	if err != nil {
		return nil, err
	}
	pl = newPlan(c)
	e.mu.Lock()
	if old := e.plans[k]; old != nil {
		pl = old
	} else {
		e.plans[k] = pl
	}
	e.mu.Unlock()
	return pl, nil
}

// acquire returns the release's run, loaded and locked. The caller must
// call e.releaseRun.
func (e *Executor) acquire(ctx context.Context, id release.ID) (*run, error) {
	return e.acquireWith(ctx, id, nil, nil)
}

// acquireWith is acquire for a release the caller has just made: rel and p,
// when set, are installed instead of loading the release again.
func (e *Executor) acquireWith(ctx context.Context, id release.ID, rel *release.Release, p *plan) (*run, error) {
	for {
		e.mu.Lock()
		r := e.runs[id]
		if r == nil {
			r = &run{e: e, id: id}
			e.runs[id] = r
		}
		e.mu.Unlock()
		r.mu.Lock()
		if r.evicted {
			r.mu.Unlock()
			continue
		}
		if r.rel == nil && rel != nil {
			if err := r.lock(ctx); err != nil {
				e.evict(r)
				r.mu.Unlock()
				return nil, err
			}
			r.install(rel, p)
		}
		if r.rel == nil {
			if err := r.load(ctx); err != nil {
				e.evict(r)
				r.mu.Unlock()
				return nil, err
			}
		}
		return r, nil
	}
}

// releaseRun unlocks r, evicting it first when nothing is in flight: a
// release waiting on a person or a timer is kept only in the store (and in
// the timer structure).
func (e *Executor) releaseRun(r *run) {
	if len(r.flights) == 0 && !r.rbPending && r.rel != nil {
		e.evict(r)
	}
	effects := r.effects
	r.effects = nil
	r.mu.Unlock()
	for _, f := range effects {
		f()
	}
}

// evict drops r from memory; r.mu is held.
func (e *Executor) evict(r *run) {
	r.evicted = true
	e.mu.Lock()
	if e.runs[r.id] == r {
		delete(e.runs, r.id)
	}
	switch {
	case r.rel != nil && r.driver && !r.undriven && e.running && !r.rel.Status.Terminal():
		e.idle[r.id] = idleRelease{seq: r.rel.Seq, gen: e.scanGen}
	default:
		delete(e.idle, r.id)
	}
	e.mu.Unlock()
	if r.lease != nil {
		e.releaseLease(r)
	}
}

func (e *Executor) releaseLease(r *run) {
	err := e.leaser.ReleaseLease(context.Background(), &store.LeaseParams{Key: leaseKey(r.id), Owner: e.cfg.InstanceID, Now: e.clock.Now()})
	if err != nil {
		e.log.Debug("executor: releasing lease", "release", r.id, "err", err)
	}
	r.lease = nil
}

func leaseKey(id release.ID) string { return "release/" + string(id) }

// with runs fn on the release's run under its lock, stores the events fn
// recorded, then performs their effects.
func (e *Executor) with(ctx context.Context, id release.ID, fn func(r *run) error) error {
	r, err := e.acquire(ctx, id)
	if err != nil {
		return err
	}
	return e.withRun(ctx, r, fn)
}

// withRun is with for a run already acquired.
func (e *Executor) withRun(ctx context.Context, r *run, fn func(r *run) error) error {
	var err error
	err = fn(r)
	if err != nil {
		if len(r.pending) > 0 || r.err != nil {
			r.invalidate(err)
		}
	} else {
		if r.rel != nil {
			r.drive()
		}
		err = r.flush(ctx)
	}
	e.releaseRun(r)
	return err
}

// onTimer handles a timer that fired.
func (e *Executor) fire(ctx context.Context, k timerKey) {
	switch k.kind {
	case timerRenew:
		e.renewLeases(ctx)
		e.timers.set(k, e.clock.Now().Add(e.cfg.LeaseDuration/3))
		return
	case timerRescan:
		e.spawn(do(func() { e.scan(ctx) }))
		e.spawn(do(func() { e.loadGroups(ctx, false) }))
		e.timers.set(k, e.clock.Now().Add(e.cfg.RescanInterval))
		return
	case timerGroup:
		e.spawn(do(func() { e.fireGroup(ctx, k.grp) }))
		return
	case timerGroupStart:
		e.spawn(do(func() { e.fireGroupStart(ctx, k.grp) }))
		return
	case timerFreezes:
		e.spawn(do(func() { e.refreshFreezes(ctx) }))
		return
	case timerRetention:
		e.spawn(do(func() { e.sweepOnTimer(ctx) }))
		return
	}
	e.spawn(do(func() { e.fireRelease(ctx, k) }))
}

// fireRelease handles a timer of a release.
func (e *Executor) fireRelease(ctx context.Context, k timerKey) {
	err := e.with(ctx, k.rel, func(r *run) error { return r.onTimer(k) })
	if err != nil && ctx.Err() == nil && !errors.Is(err, errNotDriver) {
		e.log.Warn("executor: timer", "release", k.rel, "kind", k.kind, "err", err)
	}
}

// renewLeases renews the lease of every release held; a release whose
// lease was lost is dropped (another instance drives it now).
func (e *Executor) renewLeases(ctx context.Context) {
	e.mu.Lock()
	runs := make([]*run, 0, len(e.runs))
	for _, r := range e.runs {
		runs = append(runs, r)
	}
	e.mu.Unlock()
	for _, r := range runs {
		r.mu.Lock()
		if r.lease != nil && !r.evicted {
			lp := &store.LeaseParams{Key: leaseKey(r.id), Owner: e.cfg.InstanceID, Now: e.clock.Now(), TTL: e.cfg.LeaseDuration}
			l, err := e.leaser.RenewLease(ctx, lp)
			if err != nil {
				// Expired (this instance stalled past its lease): take it
				// again unless another instance has.
				l, err = e.leaser.AcquireLease(ctx, lp)
			}
			if err == nil {
				r.lease = l
			} else {
				e.log.Warn("executor: lost the lease of a release", "release", r.id, "err", err)
				if t := e.cfg.Telemetry; t != nil {
					t.LeaseLost(r.id, err)
				}
				r.lease = nil
				r.cancelFlights()
				r.flights = nil
				r.evicted = true
				e.mu.Lock()
				if e.runs[r.id] == r {
					delete(e.runs, r.id)
				}
				e.mu.Unlock()
			}
		}
		r.mu.Unlock()
	}
}

// backoff returns the delay before attempt n+1 after n attempts failed,
// with jitter.
func (e *Executor) backoff(p *process.RetryPolicy, n int) time.Duration {
	d := float64(backoffDelay(p, n))
	if e.cfg.Jitter > 0 {
		e.rngMu.Lock()
		f := e.rng.Float64()
		e.rngMu.Unlock()
		d += d * e.cfg.Jitter * f // only adds: backoff is the least wait
	}
	return time.Duration(d)
}

// backoffDelay is the policy's delay before attempt n+1, without jitter:
// Backoff × Multiplier^(n-1), capped at MaxBackoff.
func backoffDelay(p *process.RetryPolicy, n int) time.Duration {
	if p == nil {
		return 0
	}
	d := float64(p.Backoff.D())
	mult := p.Multiplier
	if mult == 0 {
		mult = 2
	}
	limit := float64(p.MaxBackoff.D())
	for i := 1; i < n; i++ {
		d *= mult
		if limit > 0 && d >= limit {
			break
		}
	}
	if limit > 0 && d > limit {
		d = limit
	}
	return time.Duration(d)
}

func (e *Executor) authorize(ctx context.Context, a *Action) error {
	if a.Actor == "" && a.Kind != ActionView {
		return invalidf(a.Kind, "actor: required")
	}
	a.Verb = a.Kind.Verb()
	if a.Resource == "" {
		switch {
		case a.Activity != "":
			a.Resource = ResourceActivity
		case a.Release != "" || a.Kind == ActionCreate:
			a.Resource = ResourceRelease
		case a.Freeze != "" || a.NewFreeze != nil:
			a.Resource = ResourceFreeze
		case a.InputSet != "":
			a.Resource = ResourceInputSet
		case a.Group != "":
			a.Resource = ResourceGroup
		case a.Process != "":
			a.Resource = ResourceProcess
		}
	}
	if e.cfg.Authorize == nil || isConsequence(ctx) {
		return nil
	}
	if err := e.cfg.Authorize(ctx, a); err != nil {
		e.refused(ctx, a, err)
		return fmt.Errorf("executor: %s: %w: %w", a.Kind, ErrUnauthorized, err)
	}
	return nil
}

var errNotDriver = errors.New("executor: another instance drives this release")
