package peerbench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batonhq/baton/store/postgres"
	"github.com/dbos-inc/dbos-transact-golang/dbos"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"
)

// pgURL is the PostgreSQL database of the PostgreSQL benchmarks and tests,
// from PEERBENCH_POSTGRES_URL; empty when unset.
func pgURL() string { return os.Getenv("PEERBENCH_POSTGRES_URL") }

// needPG skips tb without PEERBENCH_POSTGRES_URL and returns the URL.
func needPG(tb testing.TB) string {
	tb.Helper()
	u := pgURL()
	if u == "" {
		tb.Skip("PEERBENCH_POSTGRES_URL is not set: the PostgreSQL peer benchmarks need a server " +
			"(e.g. PEERBENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/peerbench?sslmode=disable)")
	}
	return u
}

// connect opens one connection to url, which may carry pgxpool's settings
// (pool_max_conns=20, say, for the engines' pools): they are left out.
func connect(ctx context.Context, url string) (*pgx.Conn, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	return pgx.ConnectConfig(ctx, cfg.ConnConfig)
}

// freshSchema drops schema (and everything in it) so that an engine starts
// on an empty one, as on a new database.
func freshSchema(tb testing.TB, url, schema string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	conn, err := connect(ctx, url)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
		tb.Fatal(err)
	}
}

// newBatonPG wires Baton on store/postgres with its defaults (pgxpool's
// default pool, migrated on open) in the schema peerbench_baton, dropped
// first. It checks each release's outcome on its terminal event, as DBOS's
// GetResult reads a local workflow's outcome in memory.
func newBatonPG(tb testing.TB, s shape) *batonEngine {
	tb.Helper()
	url := needPG(tb)
	const schema = "peerbench_baton"
	freshSchema(tb, url, schema)
	st, err := postgres.New(context.Background(), url, &postgres.Options{Schema: schema})
	if err != nil {
		tb.Fatal(err)
	}
	be := newBatonOn(tb, s, st)
	be.byEvent = true
	return be
}

// ------------------------------------------------------------------ DBOS

// dbosEngine runs each operation's workflows in process (dbos.RunWorkflow
// without a queue) and waits for them with the handles' GetResult, which
// for a workflow started in this process reads its outcome in memory.
type dbosEngine struct {
	ctx      dbos.Context
	s        shape
	calls    atomic.Int64
	workflow dbos.Workflow[int, int]
}

// newDBOS wires DBOS Transact as its documentation does: dbos.NewContext
// with the database URL and defaults but for the schema (peerbench_dbos,
// dropped first) and a discarding logger, the workflow registered,
// dbos.Launch.
func newDBOS(tb testing.TB, s shape) *dbosEngine {
	tb.Helper()
	url := needPG(tb)
	const schema = "peerbench_dbos"
	freshSchema(tb, url, schema)
	de := &dbosEngine{s: s}
	ctx, err := dbos.NewContext(context.Background(), dbos.Config{
		AppName:        "peerbench",
		DatabaseURL:    url,
		DatabaseSchema: schema,
		Logger:         slog.New(slog.DiscardHandler),
	})
	if err != nil {
		tb.Fatal(err)
	}
	de.ctx = ctx
	noop := func(context.Context) (int, error) { de.calls.Add(1); return 0, nil }
	switch {
	case s.sequential:
		de.workflow = func(ctx dbos.Context, n int) (int, error) {
			for i := 0; i < n; i++ {
				if _, err := dbos.RunAsStep(ctx, noop, dbos.WithStepName("noop")); err != nil {
					return i, err
				}
			}
			return n, nil
		}
	case s.deps != nil:
		levels := dagLevels(s.deps)
		de.workflow = func(ctx dbos.Context, n int) (int, error) {
			// Steps start from the workflow's goroutine (their ids must
			// be deterministic), so the DAG runs level by level: every
			// activity whose dependencies are all in earlier levels at
			// once, awaited before the next level.
			done := 0
			for _, level := range levels {
				chs := make([]<-chan dbos.StepOutcome[int], len(level))
				for j := range level {
					ch, err := dbos.Go(ctx, noop, dbos.WithStepName("noop"))
					if err != nil {
						return done, err
					}
					chs[j] = ch
				}
				for _, ch := range chs {
					if o := <-ch; o.Err != nil {
						return done, o.Err
					}
					done++
				}
			}
			return done, nil
		}
	default:
		de.workflow = func(ctx dbos.Context, n int) (int, error) {
			chs := make([]<-chan dbos.StepOutcome[int], n)
			for i := range chs {
				ch, err := dbos.Go(ctx, noop, dbos.WithStepName("noop"))
				if err != nil {
					return 0, err
				}
				chs[i] = ch
			}
			for i, ch := range chs {
				if o := <-ch; o.Err != nil {
					return i, o.Err
				}
			}
			return n, nil
		}
	}
	dbos.RegisterWorkflow(ctx, de.workflow, dbos.WithWorkflowName("peerbench-"+s.name))
	if err := dbos.Launch(ctx); err != nil {
		tb.Fatal(errors.Join(err, dbos.Shutdown(ctx, waitTimeout)))
	}
	return de
}

// dagLevels groups a DAG's activities by depth: level 0 has no
// dependencies, level k depends on at least one of level k-1.
func dagLevels(deps [][]int) [][]int {
	depth := make([]int, len(deps))
	var levels [][]int
	for i, ds := range deps {
		for _, d := range ds {
			depth[i] = max(depth[i], depth[d]+1)
		}
		for len(levels) <= depth[i] {
			levels = append(levels, nil)
		}
		levels[depth[i]] = append(levels[depth[i]], i)
	}
	return levels
}

func (de *dbosEngine) once(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	// All workflows are started (by creators goroutines), then awaited,
	// as Baton's releases are created, then awaited.
	handles := make([]dbos.WorkflowHandle[int], de.s.count())
	var g errgroup.Group
	g.SetLimit(creators)
	for i := range handles {
		g.Go(func() error {
			h, err := dbos.RunWorkflow(de.ctx, de.workflow, de.s.n)
			if err != nil {
				return fmt.Errorf("peerbench: dbos: starting a workflow: %w", err)
			}
			handles[i] = h
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, h := range handles {
		got, err := h.GetResult(dbos.WithHandleTimeout(time.Until(deadlineOf(ctx))))
		if err != nil {
			return fmt.Errorf("peerbench: dbos: workflow %s: %w", h.GetWorkflowID(), err)
		}
		if got != de.s.n {
			return fmt.Errorf("peerbench: dbos: workflow %s ran %d activities, want %d", h.GetWorkflowID(), got, de.s.n)
		}
	}
	return nil
}

// deadlineOf is ctx's deadline (every wait here has one).
func deadlineOf(ctx context.Context) time.Time {
	d, ok := ctx.Deadline()
	if !ok {
		return time.Now().Add(waitTimeout)
	}
	return d
}

func (de *dbosEngine) activities() int64 { return de.calls.Load() }

func (de *dbosEngine) stop() error { return dbos.Shutdown(de.ctx, waitTimeout) }

// ------------------------------------------------------- server counters

// pgCounters are the server's counters the PostgreSQL benchmarks read
// before and after their loop.
type pgCounters struct {
	xid     uint64 // the next transaction id: write transactions assign one each
	wal     uint64 // the WAL insert position, in bytes
	commits int64  // pg_stat_database.xact_commit of the database
}

// pgMeter reads pgCounters on a connection of its own.
type pgMeter struct {
	conn *pgx.Conn
	mu   sync.Mutex
}

func newPGMeter(tb testing.TB) *pgMeter {
	tb.Helper()
	conn, err := connect(context.Background(), needPG(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return &pgMeter{conn: conn}
}

func (m *pgMeter) read(ctx context.Context) (pgCounters, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var c pgCounters
	err := m.conn.QueryRow(ctx, `SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint,
		pg_current_wal_insert_lsn() - '0/0'::pg_lsn,
		(SELECT xact_commit FROM pg_stat_database WHERE datname = current_database())`).Scan(&c.xid, &c.wal, &c.commits)
	return c, err
}

// settle waits for the server's statistics to include every transaction
// ended so far: a backend reports its counts at most once a second while
// busy and within 10 s of going idle (PostgreSQL 15), and at exit.
func (m *pgMeter) settle() { time.Sleep(11 * time.Second) }

// others counts the other backends connected to the database: the ones
// an engine left behind after stopping.
func (m *pgMeter) others(ctx context.Context) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n int
	err := m.conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`).Scan(&n)
	return n, err
}

// waitAlone waits until the engines' backends have exited (and so
// reported their statistics), for at most waitTimeout.
func (m *pgMeter) waitAlone(ctx context.Context) error {
	deadline := time.Now().Add(waitTimeout)
	for {
		n, err := m.others(ctx)
		if err != nil || n == 0 {
			if err == nil {
				time.Sleep(200 * time.Millisecond) // the exit's report lands just after
			}
			return err
		}
		if time.Now().After(deadline) {
			return errors.New("peerbench: backends still connected after the engine stopped")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (m *pgMeter) close() { _ = m.conn.Close(context.Background()) }
