package executor

import (
	"context"
	"sync"
	"time"

	"github.com/batonhq/baton/release"
)

// timerKind says what a timer does when it fires.
type timerKind uint8

const (
	timerRetry      timerKind = iota + 1 // start the next attempt of an activity
	timerTimeout                         // an attempt ran out of time
	timerDeadline                        // an approval's deadline passed
	timerStart                           // a scheduled release is due
	timerPoll                            // poll a Poller adapter's work
	timerReload                          // reload a release after a store failure
	timerChild                           // check a child release driven elsewhere
	timerRenew                           // renew the leases of the releases held
	timerRescan                          // look for releases nobody drives
	timerResolve                         // look up an approval's approver groups again
	timerGroup                           // create a release group's due occurrences
	timerGroupStart                      // start a release group's releases at their occurrence
	timerFreezeWait                      // an activity held by a freeze looks again
	timerFreezes                         // read the freezes again
	timerWake                            // load a release left unloaded by a scan: its first timer is due
	timerRetention                       // sweep the releases retention rules let go
)

// timerKey identifies a timer; adding a timer with a key that is set moves
// it, so reloading a release never doubles its timers.
type timerKey struct {
	rel     release.ID
	kind    timerKind
	act     int32
	attempt int32
	grp     release.GroupID // the group of timerGroup and timerGroupStart
}

type timerEntry struct {
	key timerKey
	at  time.Time
	pos int
}

// timers is the executor's one timer structure: a min-heap by time with an
// index by key. One goroutine (timerLoop) waits on the clock for the
// earliest entry, so a release waiting on a timer holds no goroutine.
type timers struct {
	mu    sync.Mutex
	heap  []*timerEntry
	byKey map[timerKey]*timerEntry
	armed time.Time // when the loop will wake next; zero when it waits for a wake
	wake  chan struct{}
}

func newTimers() *timers {
	return &timers{byKey: map[timerKey]*timerEntry{}, wake: make(chan struct{}, 1)}
}

func (t *timers) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.heap)
}

// set arms the timer k for at, moving it if it is set.
func (t *timers) set(k timerKey, at time.Time) {
	t.mu.Lock()
	e := t.byKey[k]
	if e == nil {
		e = &timerEntry{key: k, at: at, pos: len(t.heap)}
		t.byKey[k] = e
		t.heap = append(t.heap, e)
		t.up(e.pos)
	} else {
		e.at = at
		t.fix(e.pos)
	}
	wake := t.armed.IsZero() || at.Before(t.armed)
	t.mu.Unlock()
	if wake {
		select {
		case t.wake <- struct{}{}:
		default:
		}
	}
}

// has reports whether the timer k is set.
func (t *timers) has(k timerKey) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.byKey[k] != nil
}

// when returns the time the timer k fires, if it is set.
func (t *timers) when(k timerKey) (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.byKey[k]; e != nil {
		return e.at, true
	}
	return time.Time{}, false
}

// stop removes the timer k if it is set.
func (t *timers) stop(k timerKey) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.byKey[k]; e != nil {
		t.remove(e.pos)
	}
}

// due removes and returns the timers due at now, and the time of the next
// one (zero when there is none), which the caller then waits for.
func (t *timers) due(now time.Time, dst []timerKey) ([]timerKey, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(t.heap) > 0 && !t.heap[0].at.After(now) {
		dst = append(dst, t.heap[0].key)
		t.remove(0)
	}
	t.armed = time.Time{}
	if len(t.heap) > 0 {
		t.armed = t.heap[0].at
	}
	return dst, t.armed
}

func (t *timers) remove(i int) {
	e := t.heap[i]
	delete(t.byKey, e.key)
	last := len(t.heap) - 1
	if i != last {
		t.swap(i, last)
	}
	t.heap[last] = nil
	t.heap = t.heap[:last]
	if i != last {
		t.fix(i)
	}
}

// less orders by time, then by key, so that timers due together come out
// of the heap in the same order on every run.
func (t *timers) less(i, j int) bool {
	a, b := t.heap[i], t.heap[j]
	if !a.at.Equal(b.at) {
		return a.at.Before(b.at)
	}
	return a.key.less(b.key)
}

func (k timerKey) less(o timerKey) bool {
	switch {
	case k.rel != o.rel:
		return k.rel < o.rel
	case k.kind != o.kind:
		return k.kind < o.kind
	case k.act != o.act:
		return k.act < o.act
	case k.grp != o.grp:
		return k.grp < o.grp
	}
	return k.attempt < o.attempt
}

func (t *timers) swap(i, j int) {
	t.heap[i], t.heap[j] = t.heap[j], t.heap[i]
	t.heap[i].pos, t.heap[j].pos = i, j
}

func (t *timers) fix(i int) {
	if !t.down(i) {
		t.up(i)
	}
}

func (t *timers) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !t.less(i, p) {
			return
		}
		t.swap(i, p)
		i = p
	}
}

func (t *timers) down(i0 int) bool {
	i, n := i0, len(t.heap)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && t.less(r, l) {
			m = r
		}
		if !t.less(m, i) {
			break
		}
		t.swap(i, m)
		i = m
	}
	return i > i0
}

// timerLoop fires timers until ctx is done. It is the only goroutine that
// waits on the clock.
func (e *Executor) timerLoop(ctx context.Context) {
	var keys []timerKey
	for {
		var next time.Time
		// Due timers are popped and handed on, and the wait for the next
		// one is armed, as one step (see Idle): a host that moves its
		// clock once Idle says so must find the wait armed, or the wait
		// would be armed for the time left before the move, after it.
		e.life.busy.Add(1)
		keys, next = e.timers.due(e.clock.Now(), keys[:0])
		e.fireAll(ctx, keys)
		if len(keys) > 0 {
			e.life.busy.Add(-1)
			continue // firing may have set timers that are due already
		}
		var c <-chan time.Time
		if !next.IsZero() {
			d := next.Sub(e.clock.Now())
			if d <= 0 {
				e.life.busy.Add(-1)
				continue
			}
			c = e.clock.After(d)
		}
		e.life.busy.Add(-1)
		select {
		case <-ctx.Done():
			return
		case <-e.timers.wake:
		case <-c:
		}
	}
}

// fireAll handles the timers that fell due, in the order given. The timers
// of one release are handled one after another on one goroutine, so their
// order is the same on every run; different releases go in parallel.
func (e *Executor) fireAll(ctx context.Context, keys []timerKey) {
	var order []release.ID
	byRel := map[release.ID][]timerKey{}
	for _, k := range keys {
		if k.rel == "" {
			e.fire(ctx, k)
			continue
		}
		if byRel[k.rel] == nil {
			order = append(order, k.rel)
		}
		byRel[k.rel] = append(byRel[k.rel], k)
	}
	for _, id := range order {
		ks := byRel[id]
		e.spawn(do(func() {
			for _, k := range ks {
				e.fireRelease(ctx, k)
			}
		}))
	}
}
