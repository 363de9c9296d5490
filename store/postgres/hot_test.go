package postgres_test

import (
	"context"
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// Appends that keep a release's status (an activity starting, succeeding,
// a comment: nearly all of them) change no column that an index of the
// releases table holds, keys, INCLUDE columns and index conditions alike,
// so PostgreSQL makes them heap-only (HOT) updates: no index entry is
// written per append, and the fill factor leaves room on the page for the
// row's new version. Checked on the columns an append changes and on the
// server's count of HOT updates.
func TestAppendsChangeNoIndexedColumn(t *testing.T) {
	ctx := context.Background()
	pool := testPool(t, 1) // one connection: its statistics are flushed below
	s := newStore(t, pool)
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	r := createTestRelease(t, s, "0190d000-0000-7000-8000-000000000001", at)
	appendTo := func(p release.Payload) {
		t.Helper()
		expected := r.Seq
		e, err := r.RecordPayload(at.Add(time.Minute), "alice", "", p)
		require.NoError(t, err)
		require.NoError(t, s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: expected, Events: []release.Event{e}, Release: r}))
	}
	appendTo(release.ReleaseStartedPayload{}) // Scheduled -> Running: the status changes
	require.Equal(t, release.Running, r.Status)

	row := func() map[string]any {
		t.Helper()
		var doc []byte
		require.NoError(t, pool.QueryRow(ctx, `SELECT to_jsonb(r) FROM `+s.Schema()+`.releases r WHERE id = $1`, string(r.ID)).Scan(&doc))
		var m map[string]any
		require.NoError(t, json.Unmarshal(doc, &m))
		return m
	}
	counts := func() (upd, hot int64) {
		t.Helper()
		// Flush this connection's pending statistics, then read them.
		_, err := pool.Exec(ctx, `SELECT pg_stat_force_next_flush()`)
		require.NoError(t, err)
		require.NoError(t, pool.QueryRow(ctx, `SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables
			WHERE schemaname = $1 AND relname = 'releases'`, s.Schema()).Scan(&upd, &hot))
		return upd, hot
	}
	before := row()
	upd0, hot0 := counts()
	steady := []release.Payload{
		release.PhaseStartedPayload{Phase: "build"},
		release.ActivityStartedPayload{Activity: "build.compile"},
		release.CommentAddedPayload{Text: "halfway"},
	}
	for _, p := range steady {
		appendTo(p)
	}
	require.Equal(t, release.Running, r.Status)
	after := row()
	upd1, hot1 := counts()

	var changed []string
	for col, v := range after {
		b, _ := json.Marshal(before[col])
		a, _ := json.Marshal(v)
		if string(a) != string(b) {
			changed = append(changed, col)
		}
	}
	require.Contains(t, changed, "seq", "the appends moved the head")

	// Every index of the table: its columns (keys and INCLUDE), and the
	// text of its condition and expressions.
	rows, err := pool.Query(ctx, `SELECT i.relname,
			coalesce((SELECT array_agg(a.attname::text) FROM pg_attribute a WHERE a.attrelid = x.indrelid AND a.attnum = ANY (x.indkey)), '{}'),
			coalesce(pg_get_expr(x.indpred, x.indrelid), '') || ' ' || coalesce(pg_get_expr(x.indexprs, x.indrelid), '')
		FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
		WHERE x.indrelid = ($1 || '.releases')::regclass`, s.Schema())
	require.NoError(t, err)
	type index struct {
		name, exprs string
		cols        []string
	}
	var indexes []index
	for rows.Next() {
		var x index
		if err := rows.Scan(&x.name, &x.cols, &x.exprs); err != nil {
			rows.Close()
			require.NoError(t, err)
		}
		indexes = append(indexes, x)
	}
	rows.Close() // before any assertion: the pool has one connection
	require.NoError(t, rows.Err())
	for _, x := range indexes {
		for _, c := range changed {
			require.NotContains(t, x.cols, c, "index %s holds column %s, which appends change", x.name, c)
			require.False(t, regexp.MustCompile(`\b`+c+`\b`).MatchString(x.exprs), "index %s's condition or expression reads %s, which appends change: %s", x.name, c, x.exprs)
		}
	}
	require.Greater(t, len(indexes), 5, "the releases table's indexes were read")

	require.Equal(t, int64(len(steady)), upd1-upd0, "one update of the releases row per append")
	require.Equal(t, upd1-upd0, hot1-hot0, "every such update is heap-only (HOT)")
}
