package executor

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// ctxUnderTest is a context with its cancel function: an attemptCtx, or
// what context.WithCancel makes, which it must behave as.
type ctxUnderTest struct {
	ctx    context.Context
	cancel func()
}

func makeAttemptCtx(parent context.Context) ctxUnderTest {
	c := &attemptCtx{parent: parent}
	return ctxUnderTest{c, c.cancel}
}

func makeStdCtx(parent context.Context) ctxUnderTest {
	ctx, cancel := context.WithCancel(parent)
	return ctxUnderTest{ctx, cancel}
}

// closedSoon reports whether ch is closed, waiting a little for an asynchronous
// close (the standard library propagates some cancellations on its own
// goroutine too).
func closedSoon(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	case <-time.After(2 * time.Second):
		return false
	}
}

func isOpen(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return false
	default:
		return true
	}
}

type ctxKey struct{}

// Every order of the things that can happen to an attempt's context (the
// adapter asks for Done or not, the attempt is cancelled, the parent ends
// with an error or a cause) gives what context.WithCancel gives.
func TestAttemptContextBehavesAsWithCancel(t *testing.T) {
	cause := errors.New("executor stopping")
	steps := []struct {
		name string
		// early: Done asked for first; then the events in order.
		early  bool
		events []string // "cancel", "parent", "parent-deadline"
		// causeIsTheParents: see below.
		causeIsTheParents bool
	}{
		{"nothing happens", true, nil, false},
		{"nothing happens, Done never asked", false, nil, false},
		{"cancelled before Done", false, []string{"cancel"}, false},
		{"cancelled after Done", true, []string{"cancel"}, false},
		{"parent ends before Done", false, []string{"parent"}, false},
		{"parent ends after Done", true, []string{"parent"}, false},
		{"parent ends, then cancelled", true, []string{"parent", "cancel"}, false},
		{"parent ends, then cancelled, Done last", false, []string{"parent", "cancel"}, false},
		{"cancelled, then parent ends", true, []string{"cancel", "parent"}, true},
		{"cancelled, then parent ends, Done last", false, []string{"cancel", "parent"}, true},
		{"parent deadline passes", true, []string{"parent-deadline"}, false},
		{"parent deadline passes, Done last", false, []string{"parent-deadline"}, false},
		{"cancelled twice", true, []string{"cancel", "cancel"}, false},
		{"parent deadline passes, then cancelled", false, []string{"parent-deadline", "cancel"}, false},
		{"parent deadline passes, then cancelled, Done first", true, []string{"parent-deadline", "cancel"}, false},
	}
	for _, tc := range steps {
		t.Run(tc.name, func(t *testing.T) {
			type outcome struct {
				ErrFirst   error // read before anything asks for Done
				Err, Cause error
				Done       bool
				Value      any
				HasDL      bool
			}
			run := func(mk func(context.Context) ctxUnderTest) outcome {
				base := context.WithValue(context.Background(), ctxKey{}, "v")
				parent, cancelParent := context.WithCancelCause(base)
				defer cancelParent(nil)
				var dlCancel context.CancelFunc = func() {}
				for _, ev := range tc.events {
					if ev == "parent-deadline" {
						parent, dlCancel = context.WithDeadline(parent, time.Now().Add(-time.Second))
					}
				}
				defer dlCancel()
				c := mk(parent)
				if tc.early {
					_ = c.ctx.Done()
				}
				for _, ev := range tc.events {
					switch ev {
					case "cancel":
						c.cancel()
					case "parent":
						cancelParent(cause)
					}
				}
				var o outcome
				o.ErrFirst = c.ctx.Err()
				if len(tc.events) > 0 {
					o.Done = closedSoon(c.ctx.Done())
				} else {
					o.Done = !isOpen(c.ctx.Done())
				}
				o.Err, o.Cause = c.ctx.Err(), context.Cause(c.ctx)
				o.Value = c.ctx.Value(ctxKey{})
				_, o.HasDL = c.ctx.Deadline()
				c.cancel()
				return o
			}
			want := run(makeStdCtx)
			got := run(makeAttemptCtx)
			if tc.causeIsTheParents {
				// context.Cause finds the cause through Value, which an
				// attemptCtx passes to its parent: once the parent ended
				// with a cause, that is the cause.
				require.Equal(t, context.Canceled, want.Cause)
				want.Cause = cause
			}
			require.Equal(t, want, got)
		})
	}
}

// A context an adapter derives from its attempt's context ends when the
// attempt is cancelled, and when the executor's context ends.
func TestAContextDerivedFromTheAttemptEndsWithIt(t *testing.T) {
	for _, viaParent := range []bool{false, true} {
		parent, cancelParent := context.WithCancel(context.Background())
		c := &attemptCtx{parent: parent}
		child, cancelChild := context.WithTimeout(c, time.Hour)
		require.NoError(t, child.Err())
		if viaParent {
			cancelParent()
		} else {
			c.cancel()
		}
		require.True(t, closedSoon(child.Done()), "viaParent=%v", viaParent)
		require.ErrorIs(t, child.Err(), context.Canceled)
		cancelChild()
		cancelParent()
	}
}

// Cancelling stops watching the parent: nothing of the attempt stays
// registered with the executor's context, which outlives every attempt.
func TestCancellingAnAttemptStopsWatchingTheParent(t *testing.T) {
	parent, cancelParent := context.WithCancel(context.Background())
	defer cancelParent()
	c := &attemptCtx{parent: parent}
	_ = c.Done()
	require.NotNil(t, c.stop)
	c.cancel()
	require.Nil(t, c.stop)
	require.ErrorIs(t, c.Err(), context.Canceled)
	cancelParent()
	require.ErrorIs(t, c.Err(), context.Canceled, "the parent's later end changes nothing")
}

// Done, Err and cancel from many goroutines while the parent ends: the
// race detector checks the locking, and every reader ends up seeing the
// one error.
func TestAttemptContextConcurrentUse(t *testing.T) {
	for round := 0; round < 50; round++ {
		parent, cancelParent := context.WithCancel(context.Background())
		c := &attemptCtx{parent: parent}
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				switch g {
				case 0:
					<-c.Done()
				case 1:
					c.cancel()
				case 2:
					cancelParent()
				default:
					for c.Err() == nil {
						time.Sleep(time.Microsecond)
					}
				}
			}()
		}
		wg.Wait()
		require.Error(t, c.Err())
		require.False(t, isOpen(c.Done()))
		cancelParent()
	}
}
