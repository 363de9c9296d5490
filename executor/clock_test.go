package executor

import (
	"sync"
	"time"

	"github.com/benbjohnson/clock"
)

// benbjohnson/clock's clocks satisfy Clock.
var (
	_ Clock = clock.New()
	_ Clock = clock.NewMock()
)

// fakeClock is the tests' manual clock. benbjohnson/clock's Mock satisfies
// Clock too, but its Add and a concurrent After can tick the same timer
// twice and then block forever on the timer's full channel (v1.3.5,
// Mock.Timer runs due timers outside its lock), which the executor's timer
// goroutine hits when a test advances the clock while it re-arms. This
// clock fires each timer exactly once, under its lock.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
}

type fakeTimer struct {
	at time.Time
	c  chan time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), c: ch})
	return ch
}

// armed reports whether a timer is set for at: a goroutine is waiting on
// an After that fires then.
func (c *fakeClock) armed(at time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range c.timers {
		if t.at.Equal(at) {
			return true
		}
	}
	return false
}

// Add moves the clock forward and fires the timers that are due, then
// yields briefly so that the goroutines woken can run.
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.now) {
			kept = append(kept, t)
			continue
		}
		t.c <- c.now // buffered, fired once
	}
	c.timers = kept
	c.mu.Unlock()
	time.Sleep(time.Millisecond)
}
