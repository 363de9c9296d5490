package peerbench

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"testing"

	gwbackend "github.com/cschleiden/go-workflows/backend"
	gwsqlite "github.com/cschleiden/go-workflows/backend/sqlite"
	"github.com/stretchr/testify/require"
)

// TestEachEngineRunsEachShapeToCompletion checks the wiring the
// benchmarks use, on small versions of their shapes: a chain, independent
// activities, a random DAG and several DAG releases at once complete on each
// engine, every activity runs once, and each engine stops cleanly.
func TestEachEngineRunsEachShapeToCompletion(t *testing.T) {
	for _, s := range []shape{chain(10), parallel(10), randomDAG(40, 2), concurrent(6, randomDAG(10, 2))} {
		for _, tc := range []struct {
			name  string
			start func(testing.TB, shape) engine
		}{
			{"baton", func(tb testing.TB, s shape) engine { return newBaton(tb, s) }},
			{"go-workflows", func(tb testing.TB, s shape) engine { return newGoWorkflows(tb, s, waitPush) }},
			{"go-workflows-poll", func(tb testing.TB, s shape) engine { return newGoWorkflows(tb, s, waitPoll) }},
		} {
			t.Run(s.name+"/"+tc.name, func(t *testing.T) { runOnce(t, tc.start, s) })
		}
	}
}

// TestGoWorkflowsSQLiteRunsWALWithSynchronousFull records the durability
// settings the go-workflows SQLite backend leaves in place: it sets
// journal_mode=WAL and busy_timeout=5000 and nothing else, so synchronous is
// the driver's default. Read through a second connection on the same file
// with the same driver and DSN form ("file:PATH", no pragmas).
func TestGoWorkflowsSQLiteRunsWALWithSynchronousFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gw.sqlite")
	b := gwsqlite.NewSqliteBackend(path, gwsqlite.WithBackendOptions(gwbackend.WithLogger(slog.New(slog.DiscardHandler))))
	t.Cleanup(func() { require.NoError(t, b.Close()) })

	db, err := sql.Open("sqlite", "file:"+path)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	var mode string
	require.NoError(t, db.QueryRow("PRAGMA journal_mode").Scan(&mode))
	require.Equal(t, "wal", mode)
	var sync int
	require.NoError(t, db.QueryRow("PRAGMA synchronous").Scan(&sync))
	require.Equal(t, 2, sync, "0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA")
}

// TestPostgresEnginesRunEachShapeToCompletion checks the PostgreSQL
// benchmarks' wiring on small shapes (Baton on store/postgres, DBOS), and
// that River works every job it was given. Needs PEERBENCH_POSTGRES_URL;
// skipped otherwise.
func TestPostgresEnginesRunEachShapeToCompletion(t *testing.T) {
	needPG(t)
	for _, s := range []shape{chain(10), parallel(10), concurrent(6, randomDAG(10, 2))} {
		for _, e := range pgEngines {
			t.Run(s.name+"/"+e.name, func(t *testing.T) { runOnce(t, e.start, s) })
		}
	}
	t.Run("river", func(t *testing.T) {
		re := newRiver(t, riverRuns[0])
		err := re.insert(context.Background(), 50)
		if err == nil {
			err = re.work(context.Background(), 50)
		}
		stopErr := re.stop()
		require.NoError(t, err)
		require.NoError(t, stopErr)
		require.Equal(t, int64(50), re.calls.Load())
	})
}

// TestDAGLevelsKeepDependenciesInEarlierLevels checks the order DBOS runs
// a DAG in: every activity once, each after all its dependencies.
func TestDAGLevelsKeepDependenciesInEarlierLevels(t *testing.T) {
	s := randomDAG(200, 2)
	level := make(map[int]int)
	for k, l := range dagLevels(s.deps) {
		for _, i := range l {
			_, seen := level[i]
			require.False(t, seen, "activity %d in two levels", i)
			level[i] = k
		}
	}
	require.Len(t, level, s.n)
	for i, ds := range s.deps {
		for _, d := range ds {
			require.Less(t, level[d], level[i], "activity %d runs before its dependency %d", i, d)
		}
	}
}

// runOnce starts an engine on s, runs one operation, stops it, and checks
// that each activity ran exactly once.
func runOnce(t *testing.T, start func(testing.TB, shape) engine, s shape) {
	en := start(t, s)
	err := en.once(context.Background())
	stopErr := en.stop()
	require.NoError(t, err)
	require.NoError(t, stopErr)
	require.Equal(t, int64(s.n*s.count()), en.activities(), "each no-op activity runs exactly once")
}
