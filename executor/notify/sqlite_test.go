package notify_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/executor/notify"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/sqlite"
)

// On a durable store the cursor outlives the process: a dispatcher over the
// file reopened delivers only what came after.
func TestADispatcherOverSQLiteResumesAfterTheFileIsReopened(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "baton.db")
	open := func() *sqlite.Store {
		st, err := sqlite.Open(path, &sqlite.Options{Synchronous: sqlite.SyncNormal})
		require.NoError(t, err)
		return st
	}
	st := open()
	r, created, err := release.Create("0190d000-0000-7000-8000-000000000001", t0, "alice", "", release.ReleaseCreatedPayload{Name: "web", Process: testProcess("web")})
	require.NoError(t, err)
	require.NoError(t, st.CreateRelease(ctx, &store.CreateReleaseParams{Events: []release.Event{created}, Release: r}))
	rec := &recorder{}
	rule := notify.Rule{Name: "r", Notifier: rec, Types: []notify.Type{notify.ReleaseCreated, notify.ReleaseStarted, notify.PhaseStarted}}
	d := newDispatcher(t, st, clock.NewMock(), rule)
	require.Equal(t, 1, poll(t, d))
	require.NoError(t, st.Close())

	st = open()
	defer st.Close()
	e1, _ := release.NewEvent(t0.Add(time.Minute), "executor", "", release.ReleaseStartedPayload{})
	e2, _ := release.NewEvent(t0.Add(time.Minute), "executor", "", release.PhaseStartedPayload{Phase: "build"})
	sealed, err := r.Record(e1, e2)
	require.NoError(t, err)
	require.NoError(t, st.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: 1, Events: sealed, Release: r}))
	require.Equal(t, 2, poll(t, newDispatcher(t, st, clock.NewMock(), rule)))
	require.Equal(t, []string{fmt.Sprintf("%s/1/r", r.ID), fmt.Sprintf("%s/2/r", r.ID), fmt.Sprintf("%s/3/r", r.ID)}, rec.keys())
}
