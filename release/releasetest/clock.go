package releasetest

import (
	"sync"
	"time"
)

// Clock is the harness's virtual clock: it reads the time of the
// testing/synctest bubble Run works in, shifted so that Run begins at
// Config.Start. It satisfies executor.Clock and adaptertest.Clock, so a
// Fake can wait in virtual time:
//
//	build := adaptertest.NewFake("ci.pipeline", h.Clock()).WithDelay(20 * time.Minute)
//
// (a Fake given a nil clock waits on package time, which inside the bubble
// is virtual as well). Before and after Run, Now returns the time Run
// began (Config.Start) and the time it ended.
type Clock struct {
	mu      sync.Mutex
	start   time.Time // the virtual time at base
	base    time.Time // the bubble's time when Run began; zero outside Run
	frozen  time.Time // Now outside Run
	pending []time.Time
}

func newClock(start time.Time) *Clock { return &Clock{start: start, frozen: start} }

// Now returns the virtual time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *Clock) nowLocked() time.Time {
	if c.base.IsZero() {
		return c.frozen
	}
	return c.start.Add(time.Since(c.base))
}

// After returns a channel that receives the virtual time once d has passed.
func (c *Clock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	at := c.nowLocked().Add(d)
	c.pending = append(c.pending, at)
	c.mu.Unlock()
	ch := make(chan time.Time, 1)
	time.AfterFunc(d, func() { ch <- c.atFire(time.Now()) })
	return ch
}

// atFire converts a bubble time to virtual time.
func (c *Clock) atFire(bubble time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.base.IsZero() {
		return c.frozen
	}
	return c.start.Add(bubble.Sub(c.base))
}

// begin starts the clock; it is called inside the bubble.
func (c *Clock) begin() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.base = time.Now()
}

// end freezes the clock at the current time.
func (c *Clock) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frozen = c.nowLocked()
	c.base = time.Time{}
}

// waiting reports whether a wait begun with After ends after now (it may be
// one nobody listens to any more; waking for it costs one step).
func (c *Clock) waiting(now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	keep := c.pending[:0]
	for _, at := range c.pending {
		if at.After(now) {
			keep = append(keep, at)
		}
	}
	c.pending = keep
	return len(keep) > 0
}
