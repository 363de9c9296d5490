package peerbench

import (
	"context"
	"testing"
)

// pgEngines are the engines compared on PostgreSQL: Baton on store/postgres
// and DBOS Transact, each on its own schema of the same database.
var pgEngines = []struct {
	name  string
	start func(testing.TB, shape) engine
}{
	{"baton", func(tb testing.TB, s shape) engine { return newBatonPG(tb, s) }},
	{"dbos", func(tb testing.TB, s shape) engine { return newDBOS(tb, s) }},
}

// BenchmarkPostgres runs the SQLite comparison's shapes on PostgreSQL,
// Baton beside DBOS Transact: chain-100, parallel-100 and 1,000 releases
// or workflows of a 10-activity random DAG at once. Besides the times it
// reports what the server did per activity: write-tx/activity (transaction
// ids assigned, i.e. transactions that wrote), commits/activity
// (pg_stat_database.xact_commit of the database: every committed
// transaction, reads included) and WAL-B/activity. Needs
// PEERBENCH_POSTGRES_URL; skipped otherwise.
func BenchmarkPostgres(b *testing.B) {
	needPG(b)
	for _, s := range []shape{chain(100), parallel(100), concurrent(1000, randomDAG(10, 2))} {
		b.Run(s.name, func(b *testing.B) {
			for _, e := range pgEngines {
				b.Run(e.name, func(b *testing.B) { benchPG(b, s, e.start) })
			}
		})
	}
}

func benchPG(b *testing.B, s shape, start func(testing.TB, shape) engine) {
	ctx := context.Background()
	m := newPGMeter(b)
	defer m.close()
	per := s.n * s.count()
	en := start(b, s)
	var c0, c1 pgCounters
	read := func(c *pgCounters) func() {
		return func() {
			var err error
			if *c, err = m.read(ctx); err != nil {
				_ = en.stop()
				b.Fatal(err)
			}
		}
	}
	timeOps(b, en, per, func() { m.settle(); read(&c0)() }, read(&c1))
	if err := en.stop(); err != nil {
		b.Fatal(err)
	}
	if got, want := en.activities(), int64((b.N+1)*per); got < want {
		b.Fatalf("%d activities ran, want at least %d", got, want)
	}
	if err := m.waitAlone(ctx); err != nil {
		b.Fatal(err)
	}
	c2, err := m.read(ctx)
	if err != nil {
		b.Fatal(err)
	}
	acts := float64(b.N * per)
	b.ReportMetric(float64(c1.xid-c0.xid)/acts, "write-tx/activity")
	b.ReportMetric(float64(c2.commits-c0.commits)/acts, "commits/activity")
	b.ReportMetric(float64(c1.wal-c0.wal)/acts, "WAL-B/activity")
}

// BenchmarkRiverNoop measures River's rate of working no-op jobs on the
// same server, as the ceiling a PostgreSQL work queue reaches here: b.N
// jobs are inserted before the timer starts (InsertManyFast), then the
// client starts and the operation ends when all b.N are completed (their
// completion committed). One op is one job. Run with a fixed count, e.g.
// -benchtime=20000x. Needs PEERBENCH_POSTGRES_URL; skipped otherwise.
func BenchmarkRiverNoop(b *testing.B) {
	needPG(b)
	for _, rs := range riverRuns {
		b.Run(rs.name, func(b *testing.B) {
			ctx := context.Background()
			m := newPGMeter(b)
			defer m.close()
			re := newRiver(b, rs)
			if err := re.insert(ctx, b.N); err != nil {
				_ = re.stop()
				b.Fatal(err)
			}
			m.settle()
			c0, err := m.read(ctx)
			if err != nil {
				_ = re.stop()
				b.Fatal(err)
			}
			b.ResetTimer()
			if err := re.work(ctx, b.N); err != nil {
				_ = re.stop()
				b.Fatal(err)
			}
			b.StopTimer()
			c1, err := m.read(ctx)
			if err != nil {
				_ = re.stop()
				b.Fatal(err)
			}
			if err := re.stop(); err != nil {
				b.Fatal(err)
			}
			if got := re.calls.Load(); got != int64(b.N) {
				b.Fatalf("%d jobs worked, want %d", got, b.N)
			}
			if err := m.waitAlone(ctx); err != nil {
				b.Fatal(err)
			}
			c2, err := m.read(ctx)
			if err != nil {
				b.Fatal(err)
			}
			n := float64(b.N)
			b.ReportMetric(n/b.Elapsed().Seconds(), "jobs/s")
			b.ReportMetric(float64(c1.xid-c0.xid)/n, "write-tx/job")
			b.ReportMetric(float64(c2.commits-c0.commits)/n, "commits/job")
			b.ReportMetric(float64(c1.wal-c0.wal)/n, "WAL-B/job")
		})
	}
}
