package executor

import "time"

// Idle reports whether a running executor has nothing to do until its
// next timer fires: no work is under way (no adapter call, no timer being
// handled, no release being resumed) and no timer is due at Config.Clock's
// now. It also returns when the earliest armed timer is due (zero when none
// is armed). It is for hosts that drive the executor on a mock clock
// (benbjohnson/clock's Mock, say) rather than in a testing/synctest bubble:
// wait until Idle, then move the clock to next, and repeat.
//
//	for {
//		next, idle := ex.Idle()
//		if !idle {
//			runtime.Gosched()
//			continue
//		}
//		if next.IsZero() {
//			break // everything waits on people
//		}
//		mock.Set(next)
//	}
//
// An executor that is not running is never idle. Operator actions a host
// is taking concurrently are the host's to wait for.
func (e *Executor) Idle() (next time.Time, idle bool) {
	e.mu.Lock()
	running := e.running
	e.mu.Unlock()
	if !running {
		return time.Time{}, false
	}
	// The order matters: the timer loop counts itself busy before it pops
	// due timers, and a task counts until its work is done.
	at, armed := e.timers.earliest()
	if armed && !at.After(e.clock.Now()) {
		return time.Time{}, false
	}
	if e.life.busy.Load() != 0 {
		return time.Time{}, false
	}
	// A task that ended between the two reads above may have armed an
	// earlier timer (a retry's backoff) before it stopped counting busy:
	// the earliest timer read first would then be stale.
	if at2, armed2 := e.timers.earliest(); armed2 != armed || !at2.Equal(at) {
		return time.Time{}, false
	}
	if armed {
		next = at
	}
	return next, true
}

// earliest returns when the earliest timer is due.
func (t *timers) earliest() (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.heap) == 0 {
		return time.Time{}, false
	}
	return t.heap[0].at, true
}
