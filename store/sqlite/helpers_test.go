package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/sqlite"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// testProcess returns a process of n activities, in phases of up to 100.
func testProcess(id process.ID, n int) *process.Process {
	p := &process.Process{ID: id, Version: 1, Name: string(id)}
	for i := 0; i < n; i += 100 {
		ph := process.Phase{ID: process.PhaseID(fmt.Sprintf("p%03d", i/100))}
		for j := i; j < n && j < i+100; j++ {
			ph.Activities = append(ph.Activities, process.Activity{ID: process.ActivityID(fmt.Sprintf("a%05d", j)), Uses: "noop"})
		}
		p.Phases = append(p.Phases, ph)
	}
	return p
}

// newID returns a release id made from a counter, so tests are repeatable.
func newID(t testing.TB, n int) release.ID {
	t.Helper()
	id, err := release.ParseID(fmt.Sprintf("0190d000-0000-7000-8000-%012d", n))
	require.NoError(t, err)
	return id
}

// driver moves one release through endless activity transitions of
// constant cost: every activity is Running or Waiting, and each step moves
// the next one: Running -> [activity.waiting] (one event), Waiting ->
// [activity.resumed, outputs.submitted] (two events).
type driver struct {
	r    *release.Release
	keys []release.ActivityKey
	i    int
	at   time.Time
}

func mustEvent(tb testing.TB, at time.Time, p release.Payload) release.Event {
	e, err := release.NewEvent(at, "executor", "", p)
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// appendAll records events on r and appends them, in batches of up to 500.
func appendAll(tb testing.TB, s store.Store, r *release.Release, events []release.Event) {
	tb.Helper()
	for len(events) > 0 {
		n := min(len(events), 500)
		expected := r.Seq
		sealed, err := r.Record(events[:n]...)
		require.NoError(tb, err)
		require.NoError(tb, s.AppendEvents(context.Background(), &store.AppendEventsParams{ExpectedSeq: expected, Events: sealed, Release: r}))
		events = events[n:]
	}
}

// newDriver creates a release of n activities in s and starts all of them.
func newDriver(tb testing.TB, s store.Store, idn, n int) *driver {
	tb.Helper()
	ctx := context.Background()
	p := testProcess(process.ID(fmt.Sprintf("proc-%d", n)), n)
	r, created, err := release.Create(newID(tb, idn), t0, "alice", "", release.ReleaseCreatedPayload{Name: "bench", Process: p})
	require.NoError(tb, err)
	require.NoError(tb, s.CreateRelease(ctx, &store.CreateReleaseParams{Events: []release.Event{created}, Release: r}))
	at := t0.Add(time.Second)
	events := []release.Event{mustEvent(tb, at, release.ReleaseStartedPayload{})}
	d := &driver{r: r, at: at}
	for _, ph := range p.Phases {
		events = append(events, mustEvent(tb, at, release.PhaseStartedPayload{Phase: ph.ID}))
		for _, a := range ph.Activities {
			k := release.Key(ph.ID, a.ID)
			d.keys = append(d.keys, k)
			events = append(events, mustEvent(tb, at, release.ActivityStartedPayload{Activity: k}))
		}
	}
	appendAll(tb, s, r, events)
	return d
}

// next records the next transition on the driver's release and returns
// the sealed events and the expected sequence number to append them at.
func (d *driver) next() ([]release.Event, int64, error) {
	k := d.keys[d.i%len(d.keys)]
	d.i++
	d.at = d.at.Add(time.Millisecond)
	var ps []release.Payload
	if d.r.Activities[k].Status == release.ActivityRunning {
		ps = []release.Payload{release.ActivityWaitingPayload{Activity: k}}
	} else {
		ps = []release.Payload{
			release.ActivityResumedPayload{Activity: k},
			release.OutputsSubmittedPayload{Activity: k, Outputs: map[string]any{"progress": d.i}},
		}
	}
	// As the executor records them: RecordPayload (encode, seal, apply).
	expected := d.r.Seq
	sealed := make([]release.Event, len(ps))
	for i, p := range ps {
		e, err := d.r.RecordPayload(d.at, "executor", "", p)
		if err != nil {
			return nil, 0, err
		}
		sealed[i] = e
	}
	return sealed, expected, nil
}

// step appends the next transition.
func (d *driver) step(ctx context.Context, s store.Store) error {
	sealed, expected, err := d.next()
	if err != nil {
		return err
	}
	return s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: expected, Events: sealed, Release: d.r})
}

// setHead moves release id's head row to (seq, hash), with a matching
// digest, as a writer of the file who knows the format can.
func setHead(t *testing.T, db *sql.DB, id release.ID, seq int64, hash release.Hash) {
	t.Helper()
	var rid, done, waiting int64
	require.NoError(t, db.QueryRow(`SELECT r.rid, m.done, m.waiting FROM releases r JOIN events m ON m.key = (r.rid << 32) + 4294967295
		WHERE r.id = ?`, string(id)).Scan(&rid, &done, &waiting))
	check := sqlite.HeadCheck(rid, seq, hash, done, waiting != 0)
	res, err := db.Exec(`UPDATE events SET head_seq = ?, hash = ?, prev_hash = ? WHERE key = (? << 32) + 4294967295`, seq, hash[:], check[:], rid)
	require.NoError(t, err)
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.Equal(t, int64(1), n)
}
