package adaptertest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
)

// fakeT records failures instead of failing the real test, so the suite can
// be checked to fail when it should. FailNow and Skipf end the subtest's
// goroutine, as they do on *testing.T.
type fakeT struct {
	real    *testing.T
	name    string
	mu      sync.Mutex
	failed  bool
	skipped bool
	msgs    []string
	subs    map[string]*fakeT
}

func newFakeT(real *testing.T) *fakeT { return &fakeT{real: real, subs: map[string]*fakeT{}} }

func (f *fakeT) Helper() {}

func (f *fakeT) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed = true
	f.msgs = append(f.msgs, fmt.Sprintf(format, args...))
}

func (f *fakeT) FailNow() {
	f.mu.Lock()
	f.failed = true
	f.mu.Unlock()
	runtime.Goexit()
}

func (f *fakeT) Skipf(format string, args ...any) {
	f.mu.Lock()
	f.skipped = true
	f.msgs = append(f.msgs, fmt.Sprintf(format, args...))
	f.mu.Unlock()
	runtime.Goexit()
}

func (f *fakeT) Run(name string, fn func(t testingT)) bool {
	c := &fakeT{real: f.real, name: name, subs: map[string]*fakeT{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(c)
	}()
	<-done
	f.mu.Lock()
	defer f.mu.Unlock()
	f.subs[name] = c
	if c.failed {
		f.failed = true
	}
	return !c.failed
}

func (f *fakeT) std() *testing.T { return f.real }

// messages gathers the messages of the failed subtests, for diagnostics.
func (f *fakeT) messages() []string {
	var out []string
	for name, s := range f.subs {
		if s.failed {
			out = append(out, name+": "+strings.Join(s.msgs, "; "))
		}
	}
	return out
}

// failedSubtests lists the subtests that failed, sorted as they ran.
func (f *fakeT) failedSubtests() []string {
	var out []string
	for name, s := range f.subs {
		if s.failed {
			out = append(out, name)
		}
	}
	return out
}

func req(mode string) *adapters.Request {
	return &adapters.Request{
		Release: "r1", Activity: "build.compile", Attempt: 1, IdempotencyKey: "r1/build.compile/1",
		With: map[string]any{"mode": mode}, Reporter: adapters.NopReporter{},
	}
}

func reqFn(mode string) func(*testing.T) *adapters.Request {
	return func(*testing.T) *adapters.Request { return req(mode) }
}

// modal is a well-behaved adapter whose behaviour depends on with.mode.
func modal(ctx context.Context, r *adapters.Request) (*adapters.Result, error) {
	switch r.With["mode"] {
	case "block":
		<-ctx.Done()
		return nil, ctx.Err()
	case "permanent":
		return nil, fmt.Errorf("deploy: %w", adapters.Permanent(errors.New("rejected")))
	case "retry":
		return nil, adapters.RetryAfter(30*time.Second, errors.New("busy"))
	}
	return &adapters.Result{Outputs: map[string]any{"ok": true}}, nil
}

func fullOptions() *Options {
	return &Options{
		Kind:            "modal",
		Success:         reqFn("ok"),
		Blocking:        func(*testing.T) (*adapters.Request, <-chan struct{}) { return req("block"), nil },
		Permanent:       reqFn("permanent"),
		RetryAfter:      reqFn("retry"),
		RetryAfterDelay: 30 * time.Second,
		Timeout:         2 * time.Second,
	}
}

func TestTestAdapterPassesOnAWellBehavedFunc(t *testing.T) {
	TestAdapter(t, func(*testing.T) adapters.Adapter { return adapters.Func("modal", modal) }, fullOptions())
}

func TestTestAdapterReportsNoFailureOnAWellBehavedFuncUnderTheFakeT(t *testing.T) {
	ft := newFakeT(t)
	testAdapter(ft, func(*testing.T) adapters.Adapter { return adapters.Func("modal", modal) }, fullOptions())
	require.False(t, ft.failed, "%v", ft.messages())
	require.False(t, ft.subs["Run/ConcurrentRunsSucceed"].skipped)
	require.True(t, ft.subs["Poll/StartThenPollOnAFreshAdapterReachesDone"].skipped, "a Func is no Poller")
}

func TestTestAdapterSkipsChecksWhoseOptionsAreMissing(t *testing.T) {
	ft := newFakeT(t)
	testAdapter(ft, func(*testing.T) adapters.Adapter { return adapters.Func("modal", modal) }, nil)
	require.False(t, ft.failed)
	for _, name := range []string{"Run/ReturnsPromptlyWhenCancelled", "Run/PermanentErrorSurvivesWrapping",
		"Run/RetryAfterSurvivesWrapping", "Run/ConcurrentRunsSucceed"} {
		require.True(t, ft.subs[name].skipped, name)
		require.Contains(t, strings.Join(ft.subs[name].msgs, "\n"), "Options.", "the skip names the missing option")
	}
	require.False(t, ft.subs["Kind/IsNonEmptyAndStable"].skipped)
}

// brokenValidator implements Validator badly in one of several ways.
type brokenValidator struct {
	adapters.Adapter
	validate func(with map[string]any) error
}

func (b brokenValidator) ValidateWith(with map[string]any) error { return b.validate(with) }

// brokenPoller implements Poller badly.
type brokenPoller struct {
	adapters.Adapter
	handle string
	done   bool
	// started is the work this instance began: a poller that keeps state in
	// memory instead of the handle forgets it across a restart.
	started map[string]bool
}

func (b brokenPoller) Start(context.Context, *adapters.Request) (string, error) {
	if b.started != nil {
		b.started[b.handle] = true
	}
	return b.handle, nil
}

func (b brokenPoller) Poll(_ context.Context, _ *adapters.Request, h string) (adapters.PollStatus, error) {
	if b.started != nil && !b.started[h] {
		return adapters.PollStatus{}, errors.New("unknown handle")
	}
	return adapters.PollStatus{Done: b.done, After: time.Millisecond}, nil
}

func TestTestAdapterFailsOnBrokenAdapters(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	good := adapters.Func("modal", modal)
	tests := []struct {
		name    string
		adapter func() adapters.Adapter
		opts    func(o *Options)
		want    string // the subtest that must fail
	}{
		{
			name:    "an empty kind",
			adapter: func() adapters.Adapter { return adapters.Func("", modal) },
			want:    "Kind/IsNonEmptyAndStable",
		},
		{
			name:    "a kind other than the expected one",
			adapter: func() adapters.Adapter { return adapters.Func("other", modal) },
			want:    "Kind/IsNonEmptyAndStable",
		},
		{
			name: "a kind that changes",
			adapter: func() adapters.Adapter {
				return &unstableKind{Adapter: good}
			},
			opts: func(o *Options) { o.Kind = "" },
			want: "Kind/IsNonEmptyAndStable",
		},
		{
			name: "a Run that ignores cancellation",
			adapter: func() adapters.Adapter {
				return adapters.Func("modal", func(ctx context.Context, r *adapters.Request) (*adapters.Result, error) {
					if r.With["mode"] == "block" {
						<-release
					}
					return modal(ctx, r)
				})
			},
			opts: func(o *Options) { o.Timeout = 500 * time.Millisecond },
			want: "Run/ReturnsPromptlyWhenCancelled",
		},
		{
			name: "a cancelled Run that succeeds",
			adapter: func() adapters.Adapter {
				return adapters.Func("modal", func(ctx context.Context, r *adapters.Request) (*adapters.Result, error) {
					if r.With["mode"] == "block" {
						<-ctx.Done()
						return &adapters.Result{}, nil
					}
					return modal(ctx, r)
				})
			},
			want: "Run/ReturnsPromptlyWhenCancelled",
		},
		{
			name: "a cancelled Run reported as permanent",
			adapter: func() adapters.Adapter {
				return adapters.Func("modal", func(ctx context.Context, r *adapters.Request) (*adapters.Result, error) {
					if r.With["mode"] == "block" {
						<-ctx.Done()
						return nil, adapters.Permanent(ctx.Err())
					}
					return modal(ctx, r)
				})
			},
			want: "Run/ReturnsPromptlyWhenCancelled",
		},
		{
			name: "a permanent error flattened by %v",
			adapter: func() adapters.Adapter {
				return adapters.Func("modal", func(ctx context.Context, r *adapters.Request) (*adapters.Result, error) {
					res, err := modal(ctx, r)
					if r.With["mode"] == "permanent" {
						return nil, fmt.Errorf("deploy: %v", err)
					}
					return res, err
				})
			},
			want: "Run/PermanentErrorSurvivesWrapping",
		},
		{
			name: "a retry-after error flattened by %v",
			adapter: func() adapters.Adapter {
				return adapters.Func("modal", func(ctx context.Context, r *adapters.Request) (*adapters.Result, error) {
					res, err := modal(ctx, r)
					if r.With["mode"] == "retry" {
						return nil, fmt.Errorf("deploy: %v", err)
					}
					return res, err
				})
			},
			want: "Run/RetryAfterSurvivesWrapping",
		},
		{
			name: "a retry-after delay other than the expected one",
			adapter: func() adapters.Adapter {
				return adapters.Func("modal", func(ctx context.Context, r *adapters.Request) (*adapters.Result, error) {
					if r.With["mode"] == "retry" {
						return nil, adapters.RetryAfter(time.Second, nil)
					}
					return modal(ctx, r)
				})
			},
			want: "Run/RetryAfterSurvivesWrapping",
		},
		{
			name: "an adapter that cannot run twice at once",
			adapter: func() adapters.Adapter {
				var inFlight atomic.Int32
				refused := make(chan struct{})
				var once sync.Once
				return adapters.Func("modal", func(ctx context.Context, r *adapters.Request) (*adapters.Result, error) {
					if r.With["mode"] == "ok" {
						defer inFlight.Add(-1)
						if inFlight.Add(1) > 1 {
							once.Do(func() { close(refused) })
							return nil, errors.New("busy")
						}
						// Hold the slot until another run was refused.
						select {
						case <-refused:
						case <-ctx.Done():
						}
					}
					return modal(ctx, r)
				})
			},
			want: "Run/ConcurrentRunsSucceed",
		},
		{
			name: "concurrent runs that never return",
			adapter: func() adapters.Adapter {
				return adapters.Func("modal", func(ctx context.Context, r *adapters.Request) (*adapters.Result, error) {
					if r.With["mode"] == "ok" {
						<-release
					}
					return modal(ctx, r)
				})
			},
			opts: func(o *Options) { o.Timeout = 500 * time.Millisecond; o.Blocking = nil },
			want: "Run/ConcurrentRunsSucceed",
		},
		{
			name: "a validator that panics on nil",
			adapter: func() adapters.Adapter {
				return brokenValidator{Adapter: good, validate: func(with map[string]any) error {
					if with == nil {
						panic("nil map")
					}
					return &adapters.ParamError{Param: "x", Msg: "bad"}
				}}
			},
			want: "ValidateWith/DoesNotPanicOnOddParameters",
		},
		{
			name: "a validator that accepts unknown parameters",
			adapter: func() adapters.Adapter {
				return brokenValidator{Adapter: good, validate: func(map[string]any) error { return nil }}
			},
			want: "ValidateWith/DoesNotPanicOnOddParameters",
		},
		{
			name: "a validator that rejects valid parameters",
			adapter: func() adapters.Adapter {
				return brokenValidator{Adapter: good, validate: func(map[string]any) error {
					return &adapters.ParamError{Param: "x", Msg: "bad"}
				}}
			},
			opts: func(o *Options) { o.ValidWith = []map[string]any{{"mode": "ok"}} },
			want: "ValidateWith/AcceptsValidParameters",
		},
		{
			name: "a validator whose errors name no parameter",
			adapter: func() adapters.Adapter {
				return brokenValidator{Adapter: good, validate: func(map[string]any) error { return errors.New("bad") }}
			},
			opts: func(o *Options) { o.InvalidWith = []map[string]any{{"mode": 7}} },
			want: "ValidateWith/RejectsInvalidParametersWithParamError",
		},
		{
			name:    "a poller that returns an empty handle",
			adapter: func() adapters.Adapter { return brokenPoller{Adapter: good, done: true} },
			want:    "Poll/StartThenPollOnAFreshAdapterReachesDone",
		},
		{
			name: "a poller that remembers its work only in memory",
			adapter: func() adapters.Adapter {
				return brokenPoller{Adapter: good, handle: "h", done: true, started: map[string]bool{}}
			},
			want: "Poll/StartThenPollOnAFreshAdapterReachesDone",
		},
		{
			name:    "a poller that never finishes",
			adapter: func() adapters.Adapter { return brokenPoller{Adapter: good, handle: "h"} },
			opts:    func(o *Options) { o.Timeout = 500 * time.Millisecond },
			want:    "Poll/StartThenPollOnAFreshAdapterReachesDone",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := fullOptions()
			if tt.opts != nil {
				tt.opts(o)
			}
			ft := newFakeT(t)
			testAdapter(ft, func(*testing.T) adapters.Adapter { return tt.adapter() }, o)
			require.True(t, ft.failed, "TestAdapter must fail")
			require.Equal(t, []string{tt.want}, ft.failedSubtests())
		})
	}
}

type unstableKind struct {
	adapters.Adapter
	n atomic.Int32
}

func (u *unstableKind) Kind() string { return fmt.Sprintf("kind-%d", u.n.Add(1)) }

// goodPoller keeps everything in its handle.
type goodPoller struct{ adapters.Adapter }

func (goodPoller) Start(context.Context, *adapters.Request) (string, error) { return "build-7", nil }
func (goodPoller) Poll(_ context.Context, _ *adapters.Request, h string) (adapters.PollStatus, error) {
	if h != "build-7" {
		return adapters.PollStatus{}, errors.New("unknown handle")
	}
	return adapters.PollStatus{Done: true, Result: &adapters.Result{}}, nil
}

func TestTestAdapterPassesOnAPollerThatKeepsItsStateInTheHandle(t *testing.T) {
	ft := newFakeT(t)
	testAdapter(ft, func(*testing.T) adapters.Adapter { return goodPoller{adapters.Func("modal", modal)} }, fullOptions())
	require.False(t, ft.failed, "%v", ft.messages())
	require.False(t, ft.subs["Poll/StartThenPollOnAFreshAdapterReachesDone"].skipped)
}
