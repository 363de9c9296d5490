package executor

import (
	"context"
	"sync"
	"time"
)

// attemptCtx is the context an adapter call gets: its parent (the
// executor's running context) that is also cancelled when the attempt
// ends early (a timeout, an abort, the release ending). It behaves as
// context.WithCancel(parent) does, but lives inside the call's flight and
// makes its channel only when someone asks for Done: most adapter calls
// return without looking, and then cost no allocation and no registration
// with the parent (which every attempt of every release would share).
//
// Err reads the parent's state as well as its own. Once Done is called,
// the context watches the parent (context.AfterFunc) and closes its
// channel when either ends; an Err that finds the parent ended first
// closes it at once.
type attemptCtx struct {
	parent context.Context

	mu   sync.Mutex
	done chan struct{} // made by the first Done
	err  error         // once cancelled
	stop func() bool   // stops watching the parent
}

func (c *attemptCtx) Deadline() (time.Time, bool) { return c.parent.Deadline() }
func (c *attemptCtx) Value(key any) any           { return c.parent.Value(key) }

func (c *attemptCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = make(chan struct{})
		if c.err == nil {
			c.err = c.parent.Err()
		}
		if c.err != nil {
			close(c.done)
		} else if c.parent.Done() != nil {
			c.stop = context.AfterFunc(c.parent, c.parentDone)
		}
	}
	return c.done
}

func (c *attemptCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		// The parent's end is ours at once, whether or not parentDone
		// has run yet.
		if c.err = c.parent.Err(); c.err != nil && c.done != nil {
			close(c.done)
		}
	}
	return c.err
}

// parentDone runs when the parent is done after Done was called.
func (c *attemptCtx) parentDone() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = c.parent.Err()
		close(c.done)
	}
}

// cancel ends the context (with the parent's error if the parent already
// ended) and stops watching the parent. It may be called more than once.
func (c *attemptCtx) cancel() {
	c.mu.Lock()
	if c.err == nil {
		if c.err = c.parent.Err(); c.err == nil {
			c.err = context.Canceled
		}
		if c.done != nil {
			close(c.done)
		}
	}
	stop := c.stop
	c.stop = nil
	c.mu.Unlock()
	if stop != nil {
		stop()
	}
}

func (c *attemptCtx) String() string { return "executor.attemptContext" }

// cancel cancels the adapter call's context.
func (f *flight) cancel() { f.ctx.cancel() }
