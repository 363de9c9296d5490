package sqlite_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store/sqlite"
)

// finishBig runs every activity of the driver's release to success, then
// the release: with newDriver's starts, two events per activity.
func finishBig(t testing.TB, s *sqlite.Store, d *driver) {
	t.Helper()
	var events []release.Event
	for _, k := range d.keys {
		events = append(events, mustEvent(t, d.at, release.ActivitySucceededPayload{Activity: k}))
	}
	for _, ph := range d.r.Process.Phases {
		events = append(events, mustEvent(t, d.at, release.PhaseSucceededPayload{Phase: ph.ID}))
	}
	events = append(events, mustEvent(t, d.at, release.ReleaseSucceededPayload{}))
	appendAll(t, s, d.r, events)
}

// A finished 10,000-activity release loads from a snapshot at its last
// event, not by folding its 20,000 events: its size's snapshot interval
// (160,000 events) would never have come.
func TestAFinishedBigReleaseLoadsFromASnapshotAtItsEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds a release of 20,000 events")
	}
	s := openTemp(t, &sqlite.Options{Synchronous: sqlite.SyncNormal})
	d := newDriver(t, s, 1, 10000)
	db := rawDB(t, sqlite.Path(s))
	defer db.Close()
	snapSeq := func() int64 {
		var seq int64
		err := db.QueryRow(`SELECT coalesce((SELECT seq FROM snapshots WHERE release_id = ?), 0)`, string(d.r.ID)).Scan(&seq)
		require.NoError(t, err)
		return seq
	}
	require.Zero(t, snapSeq(), "10,000 running activities: no snapshot due yet")
	finishBig(t, s, d)
	require.Equal(t, release.Succeeded, d.r.Status)
	require.Greater(t, d.r.Seq, int64(20000))
	require.Equal(t, d.r.Seq, snapSeq(), "snapshotted at its last event: a load folds nothing after it")
	got, err := s.GetRelease(context.Background(), d.r.ID)
	require.NoError(t, err)
	requireSameRelease(t, d.r, got)
}
