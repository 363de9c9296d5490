package main

import (
	"sync"
	"time"
)

// simClock is a manual clock for the simulation: time moves only when
// Add is called, and every timer due by then fires, once.
type simClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []simTimer
}

type simTimer struct {
	at time.Time
	c  chan time.Time
}

func newSimClock(t time.Time) *simClock { return &simClock{now: t} }

// Now returns the simulated time.
func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After returns a channel that receives the time once d has passed on
// the simulated clock.
func (c *simClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, simTimer{at: c.now.Add(d), c: ch})
	return ch
}

// Set moves the clock forward to t and fires the timers due.
func (c *simClock) Set(t time.Time) {
	c.mu.Lock()
	if t.After(c.now) {
		c.now = t
	}
	kept := c.timers[:0]
	for _, tm := range c.timers {
		if tm.at.After(c.now) {
			kept = append(kept, tm)
			continue
		}
		tm.c <- c.now
	}
	c.timers = kept
	c.mu.Unlock()
}
