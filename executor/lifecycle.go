package executor

import (
	"context"
	"fmt"
	"sync/atomic"
)

// lifecycle is the state Launch and Shutdown share with Run; it is
// guarded by Executor.mu.
type lifecycle struct {
	started  chan struct{}      // set by Launch, closed when Run is running
	cancel   context.CancelFunc // cancels the running Run
	done     chan struct{}      // closed when the running Run returns
	stopping bool               // Shutdown called: no new adapter calls
	calls    int                // adapter calls in flight
	drained  chan struct{}      // closed when stopping and calls is 0
	busy     atomic.Int64       // tasks handed to workers and not finished, plus the timer loop firing (see Idle)
}

// beginRun records that Run is running; e.mu is held.
func (e *Executor) beginRun(cancel context.CancelFunc) {
	l := &e.life
	l.cancel, l.done, l.stopping, l.drained = cancel, make(chan struct{}), false, nil
	if l.started != nil {
		close(l.started)
		l.started = nil
	}
}

// endRun records that Run returned.
func (e *Executor) endRun() {
	e.mu.Lock()
	defer e.mu.Unlock()
	close(e.life.done)
	e.life.cancel, e.life.stopping = nil, false
}

// startCall returns the context of an adapter call about to be made and
// counts it in flight, or nil when Run is not running or is shutting
// down (the attempt then stays open in the store for the next Run).
func (e *Executor) startCall() context.Context {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.running || e.life.stopping {
		return nil
	}
	e.life.calls++
	return e.runCtx
}

// endCall counts an adapter call (and the delivery of its result) done.
func (e *Executor) endCall() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.life.calls--
	if e.life.calls == 0 && e.life.drained != nil {
		close(e.life.drained)
		e.life.drained = nil
	}
}

// Launch starts driving releases in the background, as Run does, and
// returns once the executor is running (its first scan of unfinished
// releases under way). Stop it with Shutdown, which lets adapter calls in
// flight finish; cancelling ctx stops it at once instead, as with Run. It
// returns ErrRunning if the executor is already running.
//
// The wiring of a host is:
//
//	if err := ex.Launch(ctx); err != nil {
//		return err
//	}
//	defer func() {
//		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
//		defer cancel()
//		if err := ex.Shutdown(ctx); err != nil {
//			log.Printf("baton: %v", err)
//		}
//	}()
func (e *Executor) Launch(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("executor: launch: %w", err)
	}
	e.mu.Lock()
	if e.running || e.life.started != nil {
		e.mu.Unlock()
		return ErrRunning
	}
	started := make(chan struct{})
	e.life.started = started
	e.mu.Unlock()
	errc := make(chan error, 1)
	go func() { errc <- e.Run(ctx) }()
	select {
	case <-started:
		return nil
	case err := <-errc:
		e.mu.Lock()
		if e.life.started == started {
			e.life.started = nil
		}
		e.mu.Unlock()
		return err
	}
}

// Shutdown stops a running executor gracefully: it starts no new adapter
// call (ready activities, retries that fall due and polls wait in the
// store for the next Run), lets the calls in flight finish and records
// their results, until ctx is done; then it cancels the calls still
// running (their attempts stay open in the store and the next Run re-runs
// them with the same idempotency key), waits for Run to return (adapters
// must honour cancellation) and gives up the executor's leases. Operator
// actions keep being recorded meanwhile.
//
// It returns nil when every call finished in time, and an error wrapping
// ctx.Err() when some had to be cancelled; either way the executor has
// stopped, and Run (or Launch) may be called again. Shutdown of an
// executor that is not running returns nil. It stops an executor started
// with Run as well as one started with Launch.
func (e *Executor) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	if !e.running || e.life.done == nil {
		e.mu.Unlock()
		return nil
	}
	l := &e.life
	l.stopping = true
	drained := l.drained
	if drained == nil {
		drained = make(chan struct{})
		if l.calls == 0 {
			close(drained)
		} else {
			l.drained = drained
		}
	}
	cancel, done, calls := l.cancel, l.done, l.calls
	e.mu.Unlock()

	var err error
	select {
	case <-drained:
	case <-ctx.Done():
		e.mu.Lock()
		calls = e.life.calls
		e.mu.Unlock()
		err = fmt.Errorf("executor: shutdown: cancelled %d adapter call(s) still in flight: %w", calls, ctx.Err())
	}
	cancel()
	<-done
	if err != nil {
		e.log.WarnContext(ctx, "executor: shutdown did not wait for every adapter call", "err", err)
	}
	return err
}
