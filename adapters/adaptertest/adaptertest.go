package adaptertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
)

// Options tells TestAdapter how to drive the adapter under test. A nil
// *Options is valid: only the checks that need no request run (Kind, and
// the robustness of ValidateWith when the adapter implements Validator);
// every other check is skipped with a message naming the missing field, so
// `go test -v` shows what was not covered.
type Options struct {
	// Kind is the kind the adapter must report. Defaults to "" (any
	// non-empty kind, as long as it is stable).
	Kind string

	// Success returns a request the adapter completes successfully. It is
	// called once per run, from the test goroutine, so each run may get its
	// own idempotency key. Used by the concurrency and Poller checks.
	// Defaults to nil (those checks are skipped).
	Success func(t *testing.T) *adapters.Request

	// Blocking returns a request whose Run takes a long time (blocks until
	// cancelled), and a channel closed once the work is underway (the
	// command started, the server received the call). TestAdapter cancels
	// the context once started is closed (at once if started is nil) and
	// expects Run to return an error within Timeout. Defaults to nil (the
	// check is skipped).
	Blocking func(t *testing.T) (req *adapters.Request, started <-chan struct{})

	// Permanent returns a request that fails permanently (bad parameters,
	// a 4xx, a rejected deployment). Defaults to nil (the check is skipped).
	Permanent func(t *testing.T) *adapters.Request

	// RetryAfter returns a request that fails asking for a delay (a 429
	// with Retry-After). Defaults to nil (the check is skipped).
	RetryAfter func(t *testing.T) *adapters.Request
	// RetryAfterDelay is the delay that request must ask for. Defaults to 0
	// (any positive delay).
	RetryAfterDelay time.Duration

	// Concurrency is how many runs of Success run at once. Defaults to 8.
	Concurrency int

	// ValidWith are with: parameter sets ValidateWith must accept, and
	// InvalidWith sets it must reject with a *adapters.ParamError. Used only
	// when the adapter implements adapters.Validator. Default to none.
	ValidWith   []map[string]any
	InvalidWith []map[string]any

	// Timeout bounds every call the suite makes (a Run, a Start, a whole
	// poll loop) and the time a cancelled Run may take to return. It is a
	// deadlock guard, not a performance assertion. Defaults to 10s.
	Timeout time.Duration
}

// TestAdapter checks that the adapter newAdapter builds keeps the
// adapters.Adapter contract: its kind is non-empty and stable, Run honours
// cancellation, permanent and retry-after errors survive wrapping, concurrent
// runs succeed (run it with -race), and the Validator and Poller contracts
// hold when the adapter implements them. newAdapter is called for every
// subtest, so each starts on a fresh adapter. Subtests are named
// Method/Behavior.
//
//	func TestDeployAdapter(t *testing.T) {
//		adaptertest.TestAdapter(t, func(t *testing.T) adapters.Adapter {
//			return deploy.New(fakeAPI(t))
//		}, &adaptertest.Options{Kind: "cd.deploy", Success: okRequest})
//	}
func TestAdapter(t *testing.T, newAdapter func(t *testing.T) adapters.Adapter, opts *Options) {
	t.Helper()
	testAdapter(stdT{t}, newAdapter, opts)
}

// testingT is the part of *testing.T the suite uses, so the suite's own
// tests can check that it fails when it should.
type testingT interface {
	Helper()
	Errorf(format string, args ...any)
	FailNow()
	Skipf(format string, args ...any)
	Run(name string, f func(t testingT)) bool
	// std returns a *testing.T to hand to the caller's factories.
	std() *testing.T
}

type stdT struct{ *testing.T }

func (s stdT) Run(name string, f func(t testingT)) bool {
	return s.T.Run(name, func(t *testing.T) { f(stdT{t}) })
}

func (s stdT) std() *testing.T { return s.T }

func testAdapter(t testingT, newAdapter func(t *testing.T) adapters.Adapter, opts *Options) {
	t.Helper()
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	s := &suite{newAdapter: newAdapter, o: o}
	t.Run("Kind/IsNonEmptyAndStable", s.kindStable)
	t.Run("Run/ReturnsPromptlyWhenCancelled", s.cancel)
	t.Run("Run/PermanentErrorSurvivesWrapping", s.permanent)
	t.Run("Run/RetryAfterSurvivesWrapping", s.retryAfter)
	t.Run("Run/ConcurrentRunsSucceed", s.concurrent)
	t.Run("ValidateWith/DoesNotPanicOnOddParameters", s.validateOdd)
	t.Run("ValidateWith/AcceptsValidParameters", s.validateValid)
	t.Run("ValidateWith/RejectsInvalidParametersWithParamError", s.validateInvalid)
	t.Run("Poll/StartThenPollOnAFreshAdapterReachesDone", s.poll)
}

type suite struct {
	newAdapter func(t *testing.T) adapters.Adapter
	o          Options
}

type outcome struct {
	res *adapters.Result
	err error
}

// run calls a.Run in a goroutine and fails t when it does not return within
// the timeout.
func (s *suite) run(t testingT, ctx context.Context, a adapters.Adapter, req *adapters.Request) (*adapters.Result, error) {
	t.Helper()
	if req.Reporter == nil {
		req.Reporter = adapters.NopReporter{}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan outcome, 1)
	go func() {
		res, err := a.Run(ctx, req)
		done <- outcome{res, err}
	}()
	select {
	case o := <-done:
		return o.res, o.err
	case <-time.After(s.o.Timeout):
		t.Errorf("adaptertest: Run did not return within %v", s.o.Timeout)
		t.FailNow()
		return nil, nil
	}
}

func (s *suite) kindStable(t testingT) {
	a := s.newAdapter(t.std())
	k := a.Kind()
	require.NotEmpty(t, k, "Kind() must not be empty")
	if s.o.Kind != "" {
		require.Equal(t, s.o.Kind, k, "Kind()")
	}
	require.Equal(t, k, a.Kind(), "Kind() must return the same kind on every call")
	require.Equal(t, k, s.newAdapter(t.std()).Kind(), "two adapters from the same factory must have the same kind")
}

func (s *suite) cancel(t testingT) {
	if s.o.Blocking == nil {
		t.Skipf("adaptertest: Options.Blocking not set: cancellation not checked")
	}
	a := s.newAdapter(t.std())
	req, started := s.o.Blocking(t.std())
	if req.Reporter == nil {
		req.Reporter = adapters.NopReporter{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan outcome, 1)
	go func() {
		res, err := a.Run(ctx, req)
		done <- outcome{res, err}
	}()
	if started != nil {
		select {
		case <-started:
		case o := <-done:
			t.Errorf("adaptertest: the Blocking request returned before it started its work: %v", o.err)
			t.FailNow()
		case <-time.After(s.o.Timeout):
			t.Errorf("adaptertest: the Blocking request did not signal started within %v", s.o.Timeout)
			t.FailNow()
		}
	}
	cancel()
	select {
	case o := <-done:
		require.Error(t, o.err, "Run must return an error when its context is cancelled")
		require.False(t, adapters.IsPermanent(o.err),
			"a cancelled Run must not report a permanent failure (the work may be resumed): %v", o.err)
	case <-time.After(s.o.Timeout):
		t.Errorf("adaptertest: Run did not return within %v of its context being cancelled", s.o.Timeout)
		t.FailNow()
	}
}

func (s *suite) permanent(t testingT) {
	if s.o.Permanent == nil {
		t.Skipf("adaptertest: Options.Permanent not set: permanent errors not checked")
	}
	_, err := s.run(t, context.Background(), s.newAdapter(t.std()), s.o.Permanent(t.std()))
	require.Error(t, err, "the Permanent request must fail")
	require.True(t, adapters.IsPermanent(err), "the error must be permanent (wrap adapters.ErrPermanent): %v", err)
	wrapped := fmt.Errorf("executor: attempt 1: %w", err)
	require.True(t, adapters.IsPermanent(wrapped), "the error must stay permanent when wrapped: %v", err)
	_, isRetry := adapters.RetryDelay(err)
	require.False(t, isRetry, "a permanent error must not also ask for a retry delay: %v", err)
}

func (s *suite) retryAfter(t testingT) {
	if s.o.RetryAfter == nil {
		t.Skipf("adaptertest: Options.RetryAfter not set: retry-after errors not checked")
	}
	_, err := s.run(t, context.Background(), s.newAdapter(t.std()), s.o.RetryAfter(t.std()))
	require.Error(t, err, "the RetryAfter request must fail")
	require.False(t, adapters.IsPermanent(err), "a retry-after error must not be permanent: %v", err)
	d, ok := adapters.RetryDelay(fmt.Errorf("executor: attempt 1: %w", err))
	require.True(t, ok, "the error must carry a *adapters.RetryAfterError that survives wrapping: %v", err)
	if s.o.RetryAfterDelay > 0 {
		require.Equal(t, s.o.RetryAfterDelay, d, "retry delay")
	} else {
		require.Positive(t, d, "retry delay")
	}
}

func (s *suite) concurrent(t testingT) {
	if s.o.Success == nil {
		t.Skipf("adaptertest: Options.Success not set: concurrent runs not checked")
	}
	a := s.newAdapter(t.std())
	reqs := make([]*adapters.Request, s.o.Concurrency)
	for i := range reqs {
		reqs[i] = s.o.Success(t.std())
		if reqs[i].Reporter == nil {
			reqs[i].Reporter = adapters.NopReporter{}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.o.Timeout)
	defer cancel()
	errs := make([]error, len(reqs))
	var wg sync.WaitGroup
	for i, req := range reqs {
		wg.Go(func() {
			_, errs[i] = a.Run(ctx, req)
		})
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(s.o.Timeout + time.Second):
		t.Errorf("adaptertest: %d concurrent runs did not all return within %v", len(reqs), s.o.Timeout)
		t.FailNow()
	}
	for i, err := range errs {
		require.NoError(t, err, "concurrent run %d of %d", i+1, len(reqs))
	}
}

func (s *suite) validator(t testingT) adapters.Validator {
	v, ok := s.newAdapter(t.std()).(adapters.Validator)
	if !ok {
		t.Skipf("adaptertest: the adapter does not implement adapters.Validator")
	}
	return v
}

func (s *suite) validateOdd(t testingT) {
	v := s.validator(t)
	odd := []map[string]any{
		nil,
		{},
		{"": nil},
		{"unknown-parameter-xyz": []any{map[string]any{"a": nil}}},
	}
	for _, with := range odd {
		err := func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("panic: %v", r)
				}
			}()
			_ = v.ValidateWith(with)
			return nil
		}()
		require.NoError(t, err, "ValidateWith(%#v) must return an error, not panic", with)
	}
	require.Error(t, v.ValidateWith(map[string]any{"unknown-parameter-xyz": 1}),
		"ValidateWith must reject an unknown parameter")
}

func (s *suite) validateValid(t testingT) {
	v := s.validator(t)
	if len(s.o.ValidWith) == 0 {
		t.Skipf("adaptertest: Options.ValidWith is empty")
	}
	for _, with := range s.o.ValidWith {
		require.NoError(t, v.ValidateWith(with), "ValidateWith(%#v)", with)
	}
}

func (s *suite) validateInvalid(t testingT) {
	v := s.validator(t)
	if len(s.o.InvalidWith) == 0 {
		t.Skipf("adaptertest: Options.InvalidWith is empty")
	}
	for _, with := range s.o.InvalidWith {
		err := v.ValidateWith(with)
		require.Error(t, err, "ValidateWith(%#v) must fail", with)
		var pe *adapters.ParamError
		require.True(t, errors.As(err, &pe), "ValidateWith(%#v) must return a *adapters.ParamError, got %T: %v", with, err, err)
		require.NotEmpty(t, pe.Param, "the ParamError must name the parameter")
	}
}

func (s *suite) poll(t testingT) {
	p, ok := s.newAdapter(t.std()).(adapters.Poller)
	if !ok {
		t.Skipf("adaptertest: the adapter does not implement adapters.Poller")
	}
	if s.o.Success == nil {
		t.Skipf("adaptertest: Options.Success not set: Start and Poll not checked")
	}
	req := s.o.Success(t.std())
	if req.Reporter == nil {
		req.Reporter = adapters.NopReporter{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.o.Timeout)
	defer cancel()
	handle, err := p.Start(ctx, req)
	require.NoError(t, err, "Start")
	require.NotEmpty(t, handle, "Start must return a non-empty handle")
	// Poll on a second adapter, as an executor restarted after Start would:
	// the handle alone must identify the work.
	p2, ok := s.newAdapter(t.std()).(adapters.Poller)
	require.True(t, ok, "every adapter from the factory must implement Poller")
	for {
		st, err := p2.Poll(ctx, req, handle)
		require.NoError(t, err, "Poll")
		if st.Done {
			return
		}
		require.GreaterOrEqual(t, st.After, time.Duration(0), "PollStatus.After must not be negative")
		wait := min(max(st.After, time.Millisecond), time.Second)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			t.Errorf("adaptertest: Poll did not report done within %v", s.o.Timeout)
			t.FailNow()
		}
	}
}
