package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/postgres"
	"github.com/batonhq/baton/store/storetest"
)

func TestStore(t *testing.T) {
	// One pool for every subtest's store, each in a schema of its own.
	pool := testPool(t, 24)
	storetest.TestStore(t, func(t *testing.T) store.Store {
		return newStore(t, pool)
	}, &storetest.Options{Tamperer: tamperer{pool: pool}})
}

// tamperer edits a Store's tables with raw SQL (storetest.Tamperer),
// keeping every hash and digest stored beside what it edits.
type tamperer struct{ pool *pgxpool.Pool }

var _ storetest.Tamperer = tamperer{}

// exec runs q, with "_s." standing for the store's schema, and requires
// it to change one row or more.
func (tp tamperer) exec(t *testing.T, st store.Store, q string, args ...any) {
	t.Helper()
	tag, err := tp.pool.Exec(t.Context(), inSchema(st, q), args...)
	require.NoError(t, err)
	require.Positive(t, tag.RowsAffected(), "the edit changed nothing: %s", q)
}

func inSchema(st store.Store, q string) string {
	return strings.ReplaceAll(q, "_s.", st.(*postgres.Store).Schema()+".")
}

func (tp tamperer) SnapshotSeq(t *testing.T, st store.Store, id release.ID) int64 {
	var seq int64
	err := tp.pool.QueryRow(t.Context(), inSchema(st, `SELECT seq FROM _s.snapshots WHERE release_id = $1`), string(id)).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0
	}
	require.NoError(t, err)
	return seq
}

func (tp tamperer) DeleteEvents(t *testing.T, st store.Store, id release.ID, from, to int64) {
	tp.exec(t, st, `DELETE FROM _s.events WHERE release_id = $1 AND seq BETWEEN $2 AND $3`, string(id), from, to)
}

func (tp tamperer) EditEvent(t *testing.T, st store.Store, id release.ID, seq int64, edit func(*release.Event)) {
	var e release.Event
	var kind, tm string
	var payload []byte
	require.NoError(t, tp.pool.QueryRow(t.Context(), inSchema(st, `SELECT kind, time, actor, reason, payload FROM _s.events WHERE release_id = $1 AND seq = $2`),
		string(id), seq).Scan(&kind, &tm, &e.Actor, &e.Reason, &payload))
	var err error
	e.Kind = release.EventKind(kind)
	e.Time, err = time.Parse(time.RFC3339Nano, tm)
	require.NoError(t, err)
	e.Payload = payload
	edit(&e)
	tp.exec(t, st, `UPDATE _s.events SET kind = $1, time = $2, actor = $3, reason = $4, payload = $5 WHERE release_id = $6 AND seq = $7`,
		string(e.Kind), e.Time.Format(time.RFC3339Nano), e.Actor, e.Reason, []byte(e.Payload), string(id), seq)
}

func (tp tamperer) EditSnapshot(t *testing.T, st store.Store, id release.ID, edit func(*release.Release)) {
	var doc []byte
	require.NoError(t, tp.pool.QueryRow(t.Context(), inSchema(st, `SELECT doc FROM _s.snapshots WHERE release_id = $1`), string(id)).Scan(&doc))
	r, err := release.UnmarshalSnapshot(doc)
	require.NoError(t, err)
	edit(r)
	doc, err = r.MarshalSnapshot()
	require.NoError(t, err)
	tp.exec(t, st, `UPDATE _s.snapshots SET doc = $1 WHERE release_id = $2`, doc, string(id))
}

func (tp tamperer) EditSummary(t *testing.T, st store.Store, id release.ID, edit func(*release.Summary)) {
	var doc []byte
	require.NoError(t, tp.pool.QueryRow(t.Context(), inSchema(st, `SELECT summary FROM _s.releases WHERE id = $1`), string(id)).Scan(&doc))
	var sum release.Summary
	require.NoError(t, json.Unmarshal(doc, &sum))
	edit(&sum)
	doc, err := json.Marshal(&sum)
	require.NoError(t, err)
	tp.exec(t, st, `UPDATE _s.releases SET summary = $1, status = $2 WHERE id = $3`, doc, string(sum.Status), string(id))
}

// Replicas that schedule the same occurrence of a group at once make one
// release between them: the unique index decides, not a read before the
// write.
func TestConcurrentCreatesOfOneOccurrenceHaveOneWinner(t *testing.T) {
	pool := testPool(t, 8)
	s := newStore(t, pool)
	occ := time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)
	p := &process.Process{ID: "mobile", Version: 1, Name: "mobile", Phases: []process.Phase{{ID: "build",
		Activities: []process.Activity{{ID: "compile", Uses: "noop"}}}}}
	const n = 12
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		id := release.ID(fmt.Sprintf("0190d000-0000-7000-8000-%012d", i+1))
		r, created, err := release.Create(id, occ.Add(-time.Hour), "scheduler", "", release.ReleaseCreatedPayload{
			Name: "weekly", Process: p, Group: "weekly", Occurrence: occ})
		require.NoError(t, err)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = s.CreateRelease(context.Background(), &store.CreateReleaseParams{Events: []release.Event{created}, Release: r})
		}()
	}
	close(start)
	wg.Wait()
	wins := 0
	for i, err := range errs {
		if err == nil {
			wins++
			continue
		}
		require.ErrorIs(t, err, store.ErrAlreadyExists, "creator %d", i)
	}
	require.Equal(t, 1, wins)
	page, err := s.ListReleases(t.Context(), &store.ListReleasesParams{Group: "weekly"})
	require.NoError(t, err)
	require.Len(t, page.Releases, 1)
}

// Two replicas on one schema append to one release in turn, each past
// store.MinSnapshotInterval, so each one's memory of the latest snapshot
// goes stale behind the other's writes: every append still lands or
// conflicts as the contract says, and both load the release as appended.
func TestReplicasAppendingInTurnAgreeOnTheRelease(t *testing.T) {
	pool := testPool(t, 4)
	a := newStore(t, pool)
	b, err := postgres.NewFromPool(t.Context(), pool, &postgres.Options{Schema: a.Schema()})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, b.Close()) })
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	r := createTestRelease(t, a, "0190d000-0000-7000-8000-000000000001", at)
	stale := r.Clone()
	replicas := []*postgres.Store{a, b}
	for turn := range 6 {
		st := replicas[turn%2]
		for range store.MinSnapshotInterval/2 + 7 {
			expected := r.Seq
			e, err := r.RecordPayload(at, "bob", "", release.CommentAddedPayload{Text: fmt.Sprintf("turn %d", turn)})
			require.NoError(t, err)
			require.NoError(t, st.AppendEvents(t.Context(), &store.AppendEventsParams{ExpectedSeq: expected, Events: []release.Event{e}, Release: r}))
		}
		// A writer that read the release long ago loses, on either replica.
		late := stale.Clone()
		e, err := late.RecordPayload(at, "mallory", "", release.CommentAddedPayload{Text: "late"})
		require.NoError(t, err)
		err = st.AppendEvents(t.Context(), &store.AppendEventsParams{ExpectedSeq: stale.Seq, Events: []release.Event{e}, Release: late})
		require.ErrorIs(t, err, store.ErrConflict)
	}
	want, err := json.Marshal(r)
	require.NoError(t, err)
	for i, st := range replicas {
		got, err := st.GetRelease(t.Context(), r.ID)
		require.NoError(t, err, "replica %d", i)
		gotJSON, err := json.Marshal(got)
		require.NoError(t, err)
		require.JSONEq(t, string(want), string(gotJSON), "replica %d", i)
		events, err := st.ListEvents(t.Context(), &store.ListEventsParams{Release: r.ID, Limit: store.MaxLimit})
		require.NoError(t, err)
		require.Len(t, events, int(r.Seq))
		require.NoError(t, release.VerifyChain(events))
	}
}
