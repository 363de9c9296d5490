package releasetest

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/batonhq/baton/adapters"
)

// gate serialises adapter calls so that a run is deterministic: every call
// (and every return) of a wrapped adapter waits at the gate until the
// harness lets it through, one at a time, in the order of their keys, once
// everything else in the bubble is blocked.
type gate struct {
	mu       sync.Mutex
	waiting  []*ticket
	inflight int           // calls let in that have not come back
	notify   chan struct{} // created inside the bubble by Run
}

type ticket struct {
	key    string
	failed bool // an answer that is an error
	ch     chan struct{}
}

func (g *gate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.notify = make(chan struct{}, 1)
}

// pass waits until the harness lets key through, or ctx is done.
func (g *gate) pass(ctx context.Context, key string, failed bool) error {
	t := &ticket{key: key, failed: failed, ch: make(chan struct{})}
	g.mu.Lock()
	g.waiting = append(g.waiting, t)
	notify := g.notify
	g.mu.Unlock()
	if notify != nil {
		select {
		case notify <- struct{}{}:
		default:
		}
	}
	select {
	case <-t.ch:
		return nil
	case <-ctx.Done():
		g.mu.Lock()
		if i := slices.Index(g.waiting, t); i >= 0 {
			g.waiting = slices.Delete(g.waiting, i, i+1)
		}
		g.mu.Unlock()
		return ctx.Err()
	}
}

// next reports whether a call waits, and whether the first to go is a
// failed answer (a call coming back with an error).
func (g *gate) next() (failed, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.waiting) == 0 {
		return false, false
	}
	return g.waiting[g.smallest()].failed, true
}

func (g *gate) smallest() int {
	i := 0
	for j, t := range g.waiting {
		if t.key < g.waiting[i].key {
			i = j
		}
	}
	return i
}

// admit lets the waiting call with the smallest key through and reports
// whether there was one.
func (g *gate) admit() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.waiting) == 0 {
		return false
	}
	i := g.smallest()
	t := g.waiting[i]
	g.waiting = slices.Delete(g.waiting, i, i+1)
	close(t.ch)
	return true
}

const (
	callSuffix   = "\x001"
	answerSuffix = "\x002"
)

// idle reports whether no adapter call waits at the gate or runs.
func (g *gate) idle() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.waiting) == 0 && g.inflight == 0
}

func (g *gate) add(n int) {
	g.mu.Lock()
	g.inflight += n
	g.mu.Unlock()
}

// call runs f between two passes of the gate.
func (g *gate) call(ctx context.Context, req *adapters.Request, method string, f func() error) error {
	key := "?"
	if req != nil {
		key = fmt.Sprintf("%s\x00%s\x00%09d\x00%t\x00%s", req.Release, req.Activity, req.Attempt, req.Rollback, method)
	}
	if err := g.pass(ctx, key+callSuffix, false); err != nil {
		return err
	}
	g.add(1)
	err := f()
	g.add(-1)
	// The answer waits its turn too: two calls that end at the same
	// virtual instant are delivered in key order.
	_ = g.pass(ctx, key+answerSuffix, err != nil)
	return err
}

// wrap returns a to the executor behind the gate, keeping its optional
// capabilities (Validator, Poller).
func wrap(g *gate, a adapters.Adapter) adapters.Adapter {
	w := &gated{g: g, inner: a}
	_, isV := a.(adapters.Validator)
	_, isP := a.(adapters.Poller)
	switch {
	case isV && isP:
		return &gatedBoth{w}
	case isV:
		return &gatedValidator{w}
	case isP:
		return &gatedPoller{w}
	}
	return w
}

type gated struct {
	g     *gate
	inner adapters.Adapter
}

func (w *gated) Kind() string { return w.inner.Kind() }

func (w *gated) Run(ctx context.Context, req *adapters.Request) (res *adapters.Result, err error) {
	gerr := w.g.call(ctx, req, "run", func() error {
		res, err = w.inner.Run(ctx, req)
		return err
	})
	if gerr != nil && err == nil {
		return nil, gerr
	}
	return res, err
}

func (w *gated) validateWith(with map[string]any) error {
	return w.inner.(adapters.Validator).ValidateWith(with)
}

func (w *gated) start(ctx context.Context, req *adapters.Request) (handle string, err error) {
	gerr := w.g.call(ctx, req, "start", func() error {
		handle, err = w.inner.(adapters.Poller).Start(ctx, req)
		return err
	})
	if gerr != nil && err == nil {
		return "", gerr
	}
	return handle, err
}

func (w *gated) poll(ctx context.Context, req *adapters.Request, handle string) (st adapters.PollStatus, err error) {
	gerr := w.g.call(ctx, req, "poll", func() error {
		st, err = w.inner.(adapters.Poller).Poll(ctx, req, handle)
		return err
	})
	if gerr != nil && err == nil {
		return adapters.PollStatus{}, gerr
	}
	return st, err
}

type gatedValidator struct{ *gated }

func (w *gatedValidator) ValidateWith(with map[string]any) error { return w.validateWith(with) }

type gatedPoller struct{ *gated }

func (w *gatedPoller) Start(ctx context.Context, req *adapters.Request) (string, error) {
	return w.start(ctx, req)
}

func (w *gatedPoller) Poll(ctx context.Context, req *adapters.Request, handle string) (adapters.PollStatus, error) {
	return w.poll(ctx, req, handle)
}

type gatedBoth struct{ *gated }

func (w *gatedBoth) ValidateWith(with map[string]any) error { return w.validateWith(with) }

func (w *gatedBoth) Start(ctx context.Context, req *adapters.Request) (string, error) {
	return w.start(ctx, req)
}

func (w *gatedBoth) Poll(ctx context.Context, req *adapters.Request, handle string) (adapters.PollStatus, error) {
	return w.poll(ctx, req, handle)
}
