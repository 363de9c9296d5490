package sqlite_test

import (
	"database/sql"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/sqlite"
	"github.com/batonhq/baton/store/storetest"
)

// tamperer edits a Store's file with raw SQL on a connection of its own
// (storetest.Tamperer), keeping every hash and digest stored beside what
// it edits.
type tamperer struct{}

var _ storetest.Tamperer = tamperer{}

// exec runs q on the store's file and requires it to change one row or
// more.
func (tamperer) exec(t *testing.T, st store.Store, q string, args ...any) {
	t.Helper()
	db := rawDB(t, sqlite.Path(st.(*sqlite.Store)))
	defer db.Close()
	res, err := db.Exec(q, args...)
	require.NoError(t, err)
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.Positive(t, n, "the edit changed nothing: %s", q)
}

func (tamperer) query(t *testing.T, st store.Store, q string, args []any, dest ...any) {
	t.Helper()
	db := rawDB(t, sqlite.Path(st.(*sqlite.Store)))
	defer db.Close()
	require.NoError(t, db.QueryRow(q, args...).Scan(dest...))
}

const ridOf = `(SELECT rid FROM releases WHERE id = ?)`

func (tp tamperer) SnapshotSeq(t *testing.T, st store.Store, id release.ID) int64 {
	var seq int64
	err := func() error {
		db := rawDB(t, sqlite.Path(st.(*sqlite.Store)))
		defer db.Close()
		return db.QueryRow(`SELECT seq FROM snapshots WHERE release_id = ?`, string(id)).Scan(&seq)
	}()
	if err == sql.ErrNoRows {
		return 0
	}
	require.NoError(t, err)
	return seq
}

func (tp tamperer) DeleteEvents(t *testing.T, st store.Store, id release.ID, from, to int64) {
	tp.exec(t, st, `DELETE FROM events WHERE key BETWEEN (`+ridOf+` << 32) + ? AND (`+ridOf+` << 32) + ?`, string(id), from, string(id), to)
}

func (tp tamperer) EditEvent(t *testing.T, st store.Store, id release.ID, seq int64, edit func(*release.Event)) {
	var e release.Event
	var tm string
	var payload []byte
	tp.query(t, st, `SELECT kind, time, actor, reason, payload FROM events WHERE key = (`+ridOf+` << 32) + ?`,
		[]any{string(id), seq}, &e.Kind, &tm, &e.Actor, &e.Reason, &payload)
	var err error
	e.Time, err = time.Parse(time.RFC3339Nano, tm)
	require.NoError(t, err)
	e.Payload = payload
	edit(&e)
	tp.exec(t, st, `UPDATE events SET kind = ?, time = ?, actor = ?, reason = ?, payload = ? WHERE key = (`+ridOf+` << 32) + ?`,
		string(e.Kind), e.Time.Format(time.RFC3339Nano), e.Actor, e.Reason, []byte(e.Payload), string(id), seq)
}

func (tp tamperer) EditSnapshot(t *testing.T, st store.Store, id release.ID, edit func(*release.Release)) {
	var doc []byte
	tp.query(t, st, `SELECT doc FROM snapshots WHERE release_id = ?`, []any{string(id)}, &doc)
	r, err := release.UnmarshalSnapshot(doc)
	require.NoError(t, err)
	edit(r)
	doc, err = r.MarshalSnapshot()
	require.NoError(t, err)
	tp.exec(t, st, `UPDATE snapshots SET doc = ? WHERE release_id = ?`, doc, string(id))
}

func (tp tamperer) EditSummary(t *testing.T, st store.Store, id release.ID, edit func(*release.Summary)) {
	var doc []byte
	tp.query(t, st, `SELECT summary FROM releases WHERE id = ?`, []any{string(id)}, &doc)
	var sum release.Summary
	require.NoError(t, json.Unmarshal(doc, &sum))
	edit(&sum)
	doc, err := json.Marshal(&sum)
	require.NoError(t, err)
	tp.exec(t, st, `UPDATE releases SET summary = ?, status = ? WHERE id = ?`, doc, string(sum.Status), string(id))
}
