package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// appendEvents records payloads on r and appends them, in batches of 500.
func appendEvents(t testing.TB, s store.Store, r *release.Release, at time.Time, payloads []release.Payload) {
	t.Helper()
	for len(payloads) > 0 {
		n := min(len(payloads), 500)
		expected := r.Seq
		events := make([]release.Event, n)
		for i, p := range payloads[:n] {
			e, err := r.RecordPayload(at, "executor", "", p)
			require.NoError(t, err)
			events[i] = e
		}
		require.NoError(t, s.AppendEvents(context.Background(), &store.AppendEventsParams{ExpectedSeq: expected, Events: events, Release: r}))
		payloads = payloads[n:]
	}
}

// A finished 10,000-activity release loads from a snapshot at its last
// event, not by folding its 20,000 events: its size's snapshot interval
// (160,000 events) would never have come.
func TestAFinishedBigReleaseLoadsFromASnapshotAtItsEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds a release of 20,000 events")
	}
	pool := testPool(t, 2)
	s := newStore(t, pool)
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	p := &process.Process{ID: "big", Version: 1}
	for i := 0; i < 10000; i += 100 {
		ph := process.Phase{ID: process.PhaseID(fmt.Sprintf("p%03d", i/100))}
		for j := i; j < i+100; j++ {
			ph.Activities = append(ph.Activities, process.Activity{ID: process.ActivityID(fmt.Sprintf("a%05d", j)), Uses: "noop"})
		}
		p.Phases = append(p.Phases, ph)
	}
	r, created, err := release.Create("0190d000-0000-7000-8000-000000000001", at, "alice", "", release.ReleaseCreatedPayload{Name: "big", Process: p})
	require.NoError(t, err)
	require.NoError(t, s.CreateRelease(ctx, &store.CreateReleaseParams{Events: []release.Event{created}, Release: r}))
	start := []release.Payload{release.ReleaseStartedPayload{}}
	var finish []release.Payload
	for _, ph := range p.Phases {
		start = append(start, release.PhaseStartedPayload{Phase: ph.ID})
		for _, a := range ph.Activities {
			start = append(start, release.ActivityStartedPayload{Activity: release.Key(ph.ID, a.ID)})
			finish = append(finish, release.ActivitySucceededPayload{Activity: release.Key(ph.ID, a.ID)})
		}
		finish = append(finish, release.PhaseSucceededPayload{Phase: ph.ID})
	}
	finish = append(finish, release.ReleaseSucceededPayload{})
	snapSeq := func() int64 {
		var seq int64
		require.NoError(t, pool.QueryRow(ctx, `SELECT coalesce((SELECT seq FROM `+s.Schema()+`.snapshots WHERE release_id = $1), 0)`, string(r.ID)).Scan(&seq))
		return seq
	}
	appendEvents(t, s, r, at, start)
	require.Less(t, snapSeq(), int64(2), "10,000 running activities: no snapshot due since the first")
	appendEvents(t, s, r, at, finish)
	require.Greater(t, r.Seq, int64(20000))
	require.Equal(t, r.Seq, snapSeq(), "snapshotted at its last event: a load folds nothing after it")
	got, err := s.GetRelease(ctx, r.ID)
	require.NoError(t, err)
	want, err := r.MarshalSnapshot()
	require.NoError(t, err)
	gotDoc, err := got.MarshalSnapshot()
	require.NoError(t, err)
	require.JSONEq(t, string(want), string(gotDoc))
}
