package executor

import (
	"testing"
	"time"

	"github.com/batonhq/baton/store/memstore"
	"github.com/stretchr/testify/require"
)

func TestNewAppliesDefaultsAndNamesBadFields(t *testing.T) {
	_, err := New(nil, nil, nil)
	require.EqualError(t, err, "executor: new: store is nil")

	ex, err := New(memstore.New(nil), nil, nil)
	require.NoError(t, err)
	c := ex.cfg
	require.Equal(t, DefaultParallelism, c.Parallelism)
	require.Equal(t, SystemClock, c.Clock)
	require.Equal(t, DefaultLeaseDuration, c.LeaseDuration)
	require.Equal(t, DefaultLeaseDuration, c.RescanInterval)
	require.Regexp(t, `^executor-[^\s]+-[0-9]+-[0-9a-f]{16}$`, c.InstanceID)
	other, err := New(memstore.New(nil), nil, nil)
	require.NoError(t, err)
	require.NotEqual(t, c.InstanceID, other.cfg.InstanceID, "two executors of one process get different default ids")
	require.Equal(t, DefaultMaxDepth, c.MaxDepth)
	require.Equal(t, DefaultJitter, c.Jitter)
	require.NotNil(t, c.Logger)
	require.NotNil(t, ex.leaser, "memstore offers leases")

	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Parallelism: -1}, "executor: config: Parallelism -1: must not be negative"},
		{Config{LeaseDuration: -time.Second}, "executor: config: LeaseDuration -1s: must not be negative"},
		{Config{MaxDepth: -2}, "executor: config: MaxDepth -2: must not be negative"},
		{Config{Jitter: 1.5}, "executor: config: Jitter 1.5: must be at most 1"},
	} {
		_, err := New(memstore.New(nil), nil, &tc.cfg)
		require.EqualError(t, err, tc.want)
	}
}

func TestTimersFireInTimeOrderAndMoveWhenSetAgain(t *testing.T) {
	tm := newTimers()
	k := func(n int32) timerKey { return timerKey{rel: "r", kind: timerRetry, act: n} }
	tm.set(k(1), t0.Add(3*time.Second))
	tm.set(k(2), t0.Add(1*time.Second))
	tm.set(k(3), t0.Add(2*time.Second))
	tm.set(k(1), t0.Add(500*time.Millisecond)) // moved, not doubled
	tm.stop(k(3))
	require.Equal(t, 2, tm.len())

	due, next := tm.due(t0, nil)
	require.Empty(t, due)
	require.Equal(t, t0.Add(500*time.Millisecond), next)
	due, next = tm.due(t0.Add(time.Second), nil)
	require.Equal(t, []timerKey{k(1), k(2)}, due)
	require.True(t, next.IsZero())
	require.False(t, tm.has(k(1)))
}
