package adaptertest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/batonhq/baton/adapters"
)

// Clock is the little a Fake needs from a clock. benbjohnson/clock's real
// and mock clocks satisfy it, so tests can delay a Fake in virtual time.
type Clock interface {
	After(d time.Duration) <-chan time.Time
}

// ErrScripted is the error a Fake returns for a scripted failure that was
// given no error of its own.
var ErrScripted = errors.New("adaptertest: scripted failure")

// Call is one recorded call of Fake.Run.
type Call struct {
	// Request is a copy of the request; its With and Inputs maps are
	// shallow copies, its Reporter is the one the caller passed.
	Request adapters.Request
	// Err is what the call returned (nil on success). It is filled in when
	// the call returns; a call still running has Done == false.
	Err  error
	Done bool
}

// step is one scripted answer.
type step struct {
	err error
}

// Fake is a scriptable adapter for tests. By default it succeeds at once
// with no outputs; its methods script other behaviour and return the Fake so
// they chain:
//
//	build := adaptertest.NewFake("ci.pipeline", mockClock).
//		WithOutputs(map[string]any{"artifact": "app-1.2.3.apk"}).
//		WithDelay(20 * time.Minute).
//		FailTimes(2, nil) // the first two calls fail, the third succeeds
//
// Scripted failures (FailTimes, RetryAfterTimes) are consumed one per call,
// in the order they were added; once they are used up the default outcome
// (success, or FailPermanently) applies. A Fake is safe for concurrent use,
// including scripting it while it runs.
//
// With a delay, Run arms a timer on the clock, then records the call, then
// waits for the timer or ctx: a test can wait until Calls grows and then
// advance a mock clock, without racing the timer.
type Fake struct {
	kind  string
	clock Clock

	mu          sync.Mutex
	delay       time.Duration
	outputs     map[string]any
	outputsFunc func(req *adapters.Request) map[string]any
	queue       []step
	permanent   error
	calls       []Call
}

var _ adapters.Adapter = (*Fake)(nil)

// NewFake returns a Fake adapter of the given kind. A nil clock means real
// time.
func NewFake(kind string, clock Clock) *Fake {
	return &Fake{kind: kind, clock: clock}
}

// Kind returns the kind given to NewFake.
func (f *Fake) Kind() string { return f.kind }

// WithOutputs makes successful calls return these outputs (each call gets
// its own copy of the map).
func (f *Fake) WithOutputs(outputs map[string]any) *Fake {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.outputs = maps.Clone(outputs)
	f.outputsFunc = nil
	return f
}

// WithOutputsFunc makes successful calls return the outputs fn computes
// from the request. fn may be called concurrently.
func (f *Fake) WithOutputsFunc(fn func(req *adapters.Request) map[string]any) *Fake {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.outputsFunc = fn
	f.outputs = nil
	return f
}

// WithDelay makes every call wait d on the clock before it answers. The
// wait ends early, with ctx's error, when ctx is done.
func (f *Fake) WithDelay(d time.Duration) *Fake {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delay = d
	return f
}

// FailTimes makes the next n calls fail with err (ErrScripted when nil), a
// plain error that the activity's retry policy handles.
func (f *Fake) FailTimes(n int, err error) *Fake {
	if err == nil {
		err = ErrScripted
	}
	return f.push(n, err)
}

// RetryAfterTimes makes the next n calls fail with adapters.RetryAfter(d).
func (f *Fake) RetryAfterTimes(n int, d time.Duration) *Fake {
	return f.push(n, adapters.RetryAfter(d, ErrScripted))
}

func (f *Fake) push(n int, err error) *Fake {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.queue = append(f.queue, step{err: err})
	}
	return f
}

// FailPermanently makes every call (once scripted failures are used up)
// fail with adapters.Permanent(err), ErrScripted when err is nil. Succeed
// undoes it.
func (f *Fake) FailPermanently(err error) *Fake {
	if err == nil {
		err = ErrScripted
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.permanent = adapters.Permanent(err)
	return f
}

// Succeed drops the scripted failures and FailPermanently: from now on
// calls succeed.
func (f *Fake) Succeed() *Fake {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue = nil
	f.permanent = nil
	return f
}

// Run records the call, waits the scripted delay and answers as scripted.
func (f *Fake) Run(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
	if req == nil {
		return nil, adapters.Permanent(errors.New("adaptertest: fake: nil request"))
	}
	f.mu.Lock()
	delay := f.delay
	var timer <-chan time.Time
	if delay > 0 {
		if f.clock != nil {
			timer = f.clock.After(delay)
		} else {
			timer = time.After(delay)
		}
	}
	var s step
	if len(f.queue) > 0 {
		s = f.queue[0]
		f.queue = f.queue[1:]
	} else {
		s.err = f.permanent
	}
	c := *req
	c.With = maps.Clone(req.With)
	c.Inputs = maps.Clone(req.Inputs)
	idx := len(f.calls)
	f.calls = append(f.calls, Call{Request: c})
	outputs, outputsFunc := f.outputs, f.outputsFunc
	f.mu.Unlock()

	err := s.err
	if timer != nil {
		select {
		case <-timer:
		case <-ctx.Done():
			err = fmt.Errorf("adaptertest: fake %s: %w", f.kind, ctx.Err())
		}
	} else if ctx.Err() != nil {
		err = fmt.Errorf("adaptertest: fake %s: %w", f.kind, ctx.Err())
	}
	var res *adapters.Result
	if err == nil {
		res = &adapters.Result{Outputs: maps.Clone(outputs)}
		if outputsFunc != nil {
			res.Outputs = outputsFunc(req)
		}
	}
	f.mu.Lock()
	f.calls[idx].Err = err
	f.calls[idx].Done = true
	f.mu.Unlock()
	return res, err
}

// Calls returns a copy of the calls so far, in the order they started.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Call, len(f.calls))
	copy(out, f.calls)
	return out
}
