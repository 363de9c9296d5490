package executor

import (
	"context"
	"sync"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// Wake-ups across executors.
//
// An executor that records a change it will not act on itself (it does
// not drive the release: another instance holds the lease, or Run is not
// running here) asks the store to notify (store.AppendEventsParams.Notify).
// When the store implements store.ReleaseNotifier, every running executor
// hears of the change: the one that holds the release reloads it and acts
// on what was recorded (an approval given through another replica starts
// the next activity at once); one that does not hold it takes the lease if
// it is free and drives the release. The periodic rescan stays the
// fallback for a notification that was lost.

// wakeups coalesces the notifications waiting to be handled: a burst of
// changes to one release costs one reload.
type wakeups struct {
	mu      sync.Mutex
	pending map[release.ID]int64 // release -> highest seq told, not yet handled
}

// notifyWanted reports whether a write to r must wake the other executors:
// this instance will not act on it (r.mu is held).
func (r *run) notifyWanted() bool {
	return !r.driver || r.undriven || r.e.context() == nil
}

// startWakeups subscribes to the store's notifications, when it has them,
// for as long as ctx (Run's) lasts. Called by Run with e.running set.
func (e *Executor) startWakeups(ctx context.Context) {
	if e.notifier == nil {
		return
	}
	ch, err := e.notifier.SubscribeReleases(ctx)
	if err != nil {
		if ctx.Err() == nil {
			e.log.Warn("executor: subscribing to release notifications: relying on rescans", "err", err)
		}
		return
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for c := range ch {
			e.told(ctx, c)
		}
	}()
}

// told handles one notification.
func (e *Executor) told(ctx context.Context, c store.ReleaseChange) {
	if c.Release == "" {
		// Changes may have been lost: look at everything, as a rescan does.
		e.spawn(do(func() { e.scan(ctx) }))
		return
	}
	if !e.wantsWake(c) {
		return
	}
	w := &e.wake
	w.mu.Lock()
	if w.pending == nil {
		w.pending = map[release.ID]int64{}
	}
	seq, queued := w.pending[c.Release]
	if !queued || c.Seq > seq {
		w.pending[c.Release] = c.Seq
	}
	w.mu.Unlock()
	if queued {
		return // the task queued for the release sees this change too
	}
	if !e.spawn(do(func() { e.woken(ctx, c.Release) })) {
		w.mu.Lock()
		delete(w.pending, c.Release)
		w.mu.Unlock()
	}
}

// wantsWake reports whether a change may concern this instance: a change
// this instance made itself, or already holds, needs nothing.
func (e *Executor) wantsWake(c store.ReleaseChange) bool {
	e.mu.Lock()
	r, hot := e.runs[c.Release]
	seq, idle := e.idle[c.Release]
	e.mu.Unlock()
	if hot {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.evicted || r.rel == nil || r.rel.Seq < c.Seq
	}
	return !idle || seq.seq < c.Seq
}

// woken brings release id up to the change told: the instance holding it
// reloads what another recorded and drives on; another takes it if no one
// holds it.
func (e *Executor) woken(ctx context.Context, id release.ID) {
	w := &e.wake
	w.mu.Lock()
	seq := w.pending[id]
	delete(w.pending, id)
	w.mu.Unlock()
	if ctx.Err() != nil {
		return
	}
	e.mu.Lock()
	r := e.runs[id]
	e.mu.Unlock()
	if r != nil {
		r.mu.Lock()
		switch {
		case r.evicted:
			r.mu.Unlock() // let go meanwhile: as if it was not held
		case r.rel == nil || r.rel.Seq >= seq || len(r.pending) > 0:
			r.mu.Unlock() // a reload is due anyway, or it is up to date
			return
		default:
			r.forget()
			if err := r.load(ctx); err != nil {
				e.evict(r)
				r.mu.Unlock()
				if ctx.Err() == nil {
					e.log.Warn("executor: reloading a release another instance changed", "release", id, "err", err)
				}
				return
			}
			if err := e.withRun(ctx, r, func(*run) error { return nil }); err != nil && ctx.Err() == nil {
				e.log.Warn("executor: driving a release another instance changed", "release", id, "err", err)
			}
			return
		}
	}
	err := e.with(ctx, id, func(r *run) error { r.reconcile(); return nil })
	if err != nil && ctx.Err() == nil {
		e.log.Warn("executor: resuming a release another instance changed", "release", id, "err", err)
	}
}

// forget drops the in-memory release so that the next load reads what
// another instance stored; flights stay, their results are delivered to
// the reloaded release (as after a conflict, see invalidate). r.mu is
// held.
func (r *run) forget() {
	r.rel, r.policy = nil, nil
	r.pending = nil
	r.onCommit = nil
	r.effects = nil
	r.err = nil
	r.ready = nil
	r.retryDue = nil
	r.rbPending = false
}

// relock takes the lease of a run held in memory since before Run started
// (recorded while not running, it holds none: see lock), then resumes it
// as a load would. r.mu is held.
func (r *run) relock(ctx context.Context) error {
	if r.e.leaser != nil && r.lease == nil {
		if err := r.lock(ctx); err != nil {
			return err
		}
	}
	r.reconcile()
	return nil
}
