package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

func releaseOf(t *testing.T, activities int) *release.Release {
	t.Helper()
	ph := process.Phase{ID: "p"}
	for i := range activities {
		ph.Activities = append(ph.Activities, process.Activity{ID: process.ActivityID(fmt.Sprintf("a%d", i))})
	}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	id, err := release.NewID(at, nil)
	require.NoError(t, err)
	r, _, err := release.Create(id, at, "alice", "", release.ReleaseCreatedPayload{Name: "r",
		Process: &process.Process{ID: "x", Version: 1, Phases: []process.Phase{ph}}})
	require.NoError(t, err)
	return r
}

func TestSnapshotDueScalesWithTheReleasesSize(t *testing.T) {
	tests := []struct {
		activities int
		interval   int64
	}{
		{0, store.MinSnapshotInterval},
		{10, store.MinSnapshotInterval},
		{100, 16 * 100},
		{10000, 16 * 10000},
	}
	for _, tc := range tests {
		r := releaseOf(t, tc.activities)
		r.Seq = 1000 + tc.interval
		require.False(t, store.SnapshotDue(r, 1001), "%d activities: %d events since the last", tc.activities, tc.interval-1)
		require.True(t, store.SnapshotDue(r, 1000), "%d activities: %d events since the last", tc.activities, tc.interval)
		require.True(t, store.SnapshotDue(r, 0))
	}
}

func TestSnapshotDueOnceAReleaseFinishes(t *testing.T) {
	for _, st := range []release.Status{release.Succeeded, release.PartialSuccess, release.Failed, release.Aborted, release.RolledBack} {
		r := releaseOf(t, 10000)
		r.Status = st
		r.Seq = 20000
		require.True(t, store.SnapshotDue(r, 0), "%s: 20,000 events, none snapshotted", st)
		require.True(t, store.SnapshotDue(r, 20000-store.MinSnapshotInterval), "%s", st)
		require.False(t, store.SnapshotDue(r, 20000-store.MinSnapshotInterval+1), "%s: fewer events than the minimum since the last", st)
	}
	for _, st := range []release.Status{release.Scheduled, release.Running, release.Paused} {
		r := releaseOf(t, 10000)
		r.Status = st
		r.Seq = 20000
		require.False(t, store.SnapshotDue(r, 1), "%s: an unfinished release keeps the interval of its size", st)
	}
}

func TestClampLimit(t *testing.T) {
	for limit, want := range map[int]int{-1: store.DefaultLimit, 0: store.DefaultLimit, 1: 1, 500: 500,
		store.MaxLimit: store.MaxLimit, store.MaxLimit + 1: store.MaxLimit} {
		require.Equal(t, want, store.ClampLimit(limit), "limit %d", limit)
	}
}
