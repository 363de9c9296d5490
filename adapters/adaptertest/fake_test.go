package adaptertest_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/adapters/adaptertest"
)

func request(key string) *adapters.Request {
	return &adapters.Request{Release: "r1", Activity: "build.compile", Attempt: 1, IdempotencyKey: key,
		With: map[string]any{"pipeline": "app"}, Reporter: adapters.NopReporter{}}
}

func TestFakeSucceedsWithFixedOutputsByDefault(t *testing.T) {
	f := adaptertest.NewFake("ci.pipeline", nil).WithOutputs(map[string]any{"artifact": "app.apk"})
	res, err := f.Run(context.Background(), request("k1"))
	require.NoError(t, err)
	require.Equal(t, map[string]any{"artifact": "app.apk"}, res.Outputs)

	res.Outputs["artifact"] = "mutated"
	res, err = f.Run(context.Background(), request("k2"))
	require.NoError(t, err)
	require.Equal(t, "app.apk", res.Outputs["artifact"], "each call gets its own outputs map")
}

func TestFakeComputesOutputsFromTheRequest(t *testing.T) {
	f := adaptertest.NewFake("ci.pipeline", nil).WithOutputsFunc(func(r *adapters.Request) map[string]any {
		return map[string]any{"key": r.IdempotencyKey}
	})
	res, err := f.Run(context.Background(), request("k7"))
	require.NoError(t, err)
	require.Equal(t, map[string]any{"key": "k7"}, res.Outputs)
}

func TestFakeFailsNTimesThenSucceeds(t *testing.T) {
	boom := errors.New("flaky runner")
	f := adaptertest.NewFake("ci.pipeline", nil).FailTimes(2, boom)
	for i := range 2 {
		_, err := f.Run(context.Background(), request("k"))
		require.ErrorIs(t, err, boom, "call %d", i+1)
		require.False(t, adapters.IsPermanent(err))
	}
	_, err := f.Run(context.Background(), request("k"))
	require.NoError(t, err)

	_, err = adaptertest.NewFake("x", nil).FailTimes(1, nil).Run(context.Background(), request("k"))
	require.ErrorIs(t, err, adaptertest.ErrScripted)
}

func TestFakeFailsPermanentlyUntilToldToSucceed(t *testing.T) {
	f := adaptertest.NewFake("cd.deploy", nil).FailPermanently(nil)
	for range 3 {
		_, err := f.Run(context.Background(), request("k"))
		require.True(t, adapters.IsPermanent(err))
		require.ErrorIs(t, err, adaptertest.ErrScripted)
	}
	_, err := f.Succeed().Run(context.Background(), request("k"))
	require.NoError(t, err)
}

func TestFakeAsksForARetryDelay(t *testing.T) {
	f := adaptertest.NewFake("cd.deploy", nil).RetryAfterTimes(1, 90*time.Second)
	_, err := f.Run(context.Background(), request("k"))
	d, ok := adapters.RetryDelay(err)
	require.True(t, ok)
	require.Equal(t, 90*time.Second, d)
	_, err = f.Run(context.Background(), request("k"))
	require.NoError(t, err)
}

func TestFakeUsesScriptedFailuresBeforeThePermanentDefault(t *testing.T) {
	f := adaptertest.NewFake("x", nil).FailPermanently(nil).RetryAfterTimes(1, time.Minute)
	_, err := f.Run(context.Background(), request("k"))
	_, ok := adapters.RetryDelay(err)
	require.True(t, ok)
	_, err = f.Run(context.Background(), request("k"))
	require.True(t, adapters.IsPermanent(err))
}

func TestFakeDelaysInVirtualTime(t *testing.T) {
	mock := clock.NewMock()
	f := adaptertest.NewFake("ci.pipeline", mock).WithDelay(20 * time.Minute)
	done := make(chan error, 1)
	go func() {
		_, err := f.Run(context.Background(), request("k"))
		done <- err
	}()
	waitForCalls(t, f, 1)
	mock.Add(19 * time.Minute)
	select {
	case err := <-done:
		t.Fatalf("the call returned before its delay elapsed: %v", err)
	default:
	}
	require.False(t, f.Calls()[0].Done)
	mock.Add(time.Minute)
	require.NoError(t, <-done)
	require.True(t, f.Calls()[0].Done)
}

func TestFakeDelayEndsWhenTheContextIsCancelled(t *testing.T) {
	mock := clock.NewMock()
	f := adaptertest.NewFake("ci.pipeline", mock).WithDelay(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := f.Run(ctx, request("k"))
		done <- err
	}()
	waitForCalls(t, f, 1)
	cancel()
	err := <-done
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, f.Calls()[0].Err, context.Canceled)
}

func TestFakeRecordsCallsAsCopies(t *testing.T) {
	f := adaptertest.NewFake("ci.pipeline", nil)
	r := request("k1")
	_, err := f.Run(context.Background(), r)
	require.NoError(t, err)
	r.With["pipeline"] = "changed after the call"

	calls := f.Calls()
	require.Len(t, calls, 1)
	require.Equal(t, "k1", calls[0].Request.IdempotencyKey)
	require.Equal(t, "app", calls[0].Request.With["pipeline"], "the recorded With is a copy")
	calls[0].Request.IdempotencyKey = "mutated"
	require.Equal(t, "k1", f.Calls()[0].Request.IdempotencyKey, "Calls returns a copy")
}

func TestFakeIsSafeForConcurrentUse(t *testing.T) {
	f := adaptertest.NewFake("ci.pipeline", nil).FailTimes(5, nil)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			_, _ = f.Run(context.Background(), request("k"))
			_ = f.Calls()
		})
	}
	wg.Go(func() { f.WithOutputs(map[string]any{"a": 1}) })
	wg.Wait()
	calls := f.Calls()
	require.Len(t, calls, 20)
	failed := 0
	for _, c := range calls {
		require.True(t, c.Done)
		if c.Err != nil {
			failed++
		}
	}
	require.Equal(t, 5, failed, "each scripted failure is used exactly once")
}

func TestFakePassesTestAdapter(t *testing.T) {
	t.Run("succeeding", func(t *testing.T) {
		adaptertest.TestAdapter(t, func(*testing.T) adapters.Adapter {
			return adaptertest.NewFake("ci.pipeline", nil).WithOutputs(map[string]any{"a": 1})
		}, &adaptertest.Options{Kind: "ci.pipeline", Success: func(*testing.T) *adapters.Request { return request("k") }})
	})
	t.Run("delayed", func(t *testing.T) {
		adaptertest.TestAdapter(t, func(*testing.T) adapters.Adapter {
			return adaptertest.NewFake("ci.pipeline", clock.NewMock()).WithDelay(time.Hour)
		}, &adaptertest.Options{Blocking: func(*testing.T) (*adapters.Request, <-chan struct{}) { return request("k"), nil }})
	})
	t.Run("permanent", func(t *testing.T) {
		adaptertest.TestAdapter(t, func(*testing.T) adapters.Adapter {
			return adaptertest.NewFake("ci.pipeline", nil).FailPermanently(nil)
		}, &adaptertest.Options{Permanent: func(*testing.T) *adapters.Request { return request("k") }})
	})
	t.Run("retry-after", func(t *testing.T) {
		adaptertest.TestAdapter(t, func(*testing.T) adapters.Adapter {
			return adaptertest.NewFake("ci.pipeline", nil).RetryAfterTimes(1, time.Minute)
		}, &adaptertest.Options{RetryAfter: func(*testing.T) *adapters.Request { return request("k") }, RetryAfterDelay: time.Minute})
	})
}

func waitForCalls(t *testing.T, f *adaptertest.Fake, n int) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for len(f.Calls()) < n {
		select {
		case <-deadline:
			t.Fatalf("the fake got %d calls, want %d", len(f.Calls()), n)
		case <-time.After(time.Millisecond):
		}
	}
}
