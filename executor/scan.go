package executor

import (
	"context"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// idleRelease is a release this instance does not hold in memory but whose
// timers it keeps: one it drove and let go, or one a scan left unloaded.
type idleRelease struct {
	seq int64  // the release's Seq then: a rescan skips it while unchanged
	gen uint64 // the scan that last saw it (or during which it was let go)
}

// scan resumes the unfinished releases in the store. Only one scan runs at
// a time: a scan asked for while one runs (a rescan tick on a slow store)
// is skipped, not queued, so scans never pile up; the next tick scans
// again.
//
// With a store that lists unfinished releases with their resume hints
// (store.UnfinishedLister), a release that waits on people or a timer is
// not loaded: it costs a timer entry (its next wake-up, when it has one)
// until the timer fires or someone acts on it, and only the releases with
// work to drive now are loaded. Without one, every unfinished release is
// loaded.
func (e *Executor) scan(ctx context.Context) {
	if !e.scanning.CompareAndSwap(false, true) {
		return
	}
	defer e.scanning.Store(false)
	e.mu.Lock()
	e.scanGen++
	gen := e.scanGen
	e.mu.Unlock()
	var complete bool
	if e.lister != nil {
		complete = e.scanHints(ctx, gen)
	} else {
		complete = e.scanSummaries(ctx, gen)
	}
	if !complete {
		return
	}
	// Forget the releases the scan did not see: finished, or deleted,
	// elsewhere (one let go during the scan carries its generation).
	e.mu.Lock()
	for id, in := range e.idle {
		if in.gen < gen {
			delete(e.idle, id)
		}
	}
	e.mu.Unlock()
	e.scans.Add(1)
}

// scanHints is scan over store.UnfinishedLister. It reports whether it
// went through every page.
func (e *Executor) scanHints(ctx context.Context, gen uint64) bool {
	p := &store.ListUnfinishedParams{Limit: store.MaxLimit}
	for {
		page, err := e.lister.ListUnfinished(ctx, p)
		if err != nil {
			if ctx.Err() == nil {
				e.log.Error("executor: listing unfinished releases", "err", err)
			}
			return false
		}
		for _, u := range page.Releases {
			if ctx.Err() != nil {
				return false
			}
			if e.seen(ctx, u.ID, u.Seq, gen) {
				continue
			}
			if u.Resume.Load {
				e.resume(ctx, u.ID)
				continue
			}
			// Nothing to do until its first timer: arm it, and let the
			// load wait for it (or for whoever acts on the release). Under
			// mu, so that a release loaded meanwhile (install stops the
			// wake-up) or let go meanwhile keeps the timers it has.
			e.mu.Lock()
			_, hot := e.runs[u.ID]
			if in, known := e.idle[u.ID]; !hot && (!known || in.seq < u.Seq) {
				if !u.Resume.At.IsZero() {
					e.timers.set(timerKey{rel: u.ID, kind: timerWake}, u.Resume.At)
				}
				e.idle[u.ID] = idleRelease{seq: u.Seq, gen: gen}
			}
			e.mu.Unlock()
		}
		if page.Next == "" {
			return true
		}
		p.Cursor = page.Next
	}
}

// scanSummaries is scan over ListReleases, for a store without
// store.UnfinishedLister: every unfinished release not known here is
// loaded.
func (e *Executor) scanSummaries(ctx context.Context, gen uint64) bool {
	p := &store.ListReleasesParams{
		Statuses: []release.Status{release.Scheduled, release.Running, release.Paused},
		Limit:    store.MaxLimit,
	}
	for {
		page, err := e.store.ListReleases(ctx, p)
		if err != nil {
			if ctx.Err() == nil {
				e.log.Error("executor: listing unfinished releases", "err", err)
			}
			return false
		}
		for _, s := range page.Releases {
			if ctx.Err() != nil {
				return false
			}
			if !e.seen(ctx, s.ID, s.Seq, gen) {
				e.resume(ctx, s.ID)
			}
		}
		if page.Next == "" {
			return true
		}
		p.Cursor = page.Next
	}
}

// seen handles a listed release that needs no load: one held in memory
// (redriven when it left an adapter call for Run), or one unchanged since
// this instance let it go or left it unloaded (its timers are here). It
// marks the latter as seen by scan gen.
//
// Seqs only grow, and a release's Seq changes only through an instance
// that holds it, so a release known here at a Seq at least the listed one
// has its timers here.
func (e *Executor) seen(ctx context.Context, id release.ID, seq int64, gen uint64) bool {
	e.mu.Lock()
	r, hot := e.runs[id]
	in, known := e.idle[id]
	// A Seq known here beyond the listed one: the page was read before
	// this instance let the release go, and its timers are here.
	current := known && in.seq >= seq
	if !hot && current {
		e.idle[id] = idleRelease{seq: in.seq, gen: gen}
	}
	e.mu.Unlock()
	switch {
	case hot:
		// Driven here; but an adapter call it started before Run was
		// running was left for this scan (undriven).
		e.redrive(ctx, r)
		return true
	case current:
		return true
	}
	return false
}

// resume loads a release and restarts what it needs.
func (e *Executor) resume(ctx context.Context, id release.ID) {
	if err := e.with(ctx, id, func(r *run) error { r.reconcile(); return nil }); err != nil && ctx.Err() == nil {
		e.log.Warn("executor: resuming release", "release", id, "err", err)
	}
}
