package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton/store/sqlite"
)

// On a shared machine the load changes from one second to the next, so
// rates measured one benchmark after another compare different machines.
// The paired benchmarks interleave what they compare inside one loop, so
// both sides see the same load:
//
//   - BenchmarkPairedAppendVsRawInsert alternates one raw single-row INSERT
//     transaction (the baseline, on its own file with the same driver and
//     pragmas) and one store append, and reports both rates and their ratio.
//   - BenchmarkPairedGroupCommit alternates rounds of 64 serial appends on
//     one release and 64 appends from 8 goroutines on 8 releases, and
//     reports the concurrent rate over the serial one, and the appends per
//     commit (per fsync with SyncFull) of the concurrent rounds.

// rawInserter is the baseline: one connection, one prepared INSERT of a
// 200-byte row, BEGIN IMMEDIATE / COMMIT around it.
type rawInserter struct {
	db   *sql.DB
	conn *sql.Conn
	ins  *sql.Stmt
	row  []byte
}

func newRawInserter(b *testing.B, mode sqlite.Synchronous) *rawInserter {
	b.Helper()
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "raw.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous("+string(mode)+")")
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	ins, err := conn.PrepareContext(ctx, `INSERT INTO t (v) VALUES (?)`)
	if err != nil {
		b.Fatal(err)
	}
	r := &rawInserter{db: db, conn: conn, ins: ins, row: make([]byte, 200)}
	b.Cleanup(func() { ins.Close(); conn.Close(); db.Close() })
	return r
}

func (r *rawInserter) insert(ctx context.Context) error {
	if _, err := r.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	if _, err := r.ins.ExecContext(ctx, r.row); err != nil {
		return err
	}
	_, err := r.conn.ExecContext(ctx, "COMMIT")
	return err
}

func BenchmarkPairedAppendVsRawInsert(b *testing.B) {
	for _, mode := range syncModes {
		for _, n := range []int{10, 10000} {
			b.Run(fmt.Sprintf("sync=%s/activities=%d", mode, n), func(b *testing.B) {
				ctx := context.Background()
				s := openTemp(b, &sqlite.Options{Synchronous: mode})
				d := newDriver(b, s, 1, n)
				raw := newRawInserter(b, mode)
				b.ReportAllocs()
				b.ResetTimer()
				var rawTime, appendTime time.Duration
				for range b.N {
					t0 := time.Now()
					if err := raw.insert(ctx); err != nil {
						b.Fatal(err)
					}
					t1 := time.Now()
					if err := d.step(ctx, s); err != nil {
						b.Fatal(err)
					}
					rawTime += t1.Sub(t0)
					appendTime += time.Since(t1)
				}
				b.StopTimer()
				b.ReportMetric(float64(b.N)/appendTime.Seconds(), "appends/s")
				b.ReportMetric(float64(b.N)/rawTime.Seconds(), "raw-inserts/s")
				b.ReportMetric(100*rawTime.Seconds()/appendTime.Seconds(), "%-of-raw")
			})
		}
	}
}

func BenchmarkPairedGroupCommit(b *testing.B) {
	const round, writers = 64, 8
	for _, mode := range syncModes {
		for _, n := range []int{10, 10000} {
			b.Run(fmt.Sprintf("sync=%s/activities=%d", mode, n), func(b *testing.B) {
				ctx := context.Background()
				s := openTemp(b, &sqlite.Options{Synchronous: mode})
				drivers := make([]*driver, writers)
				for i := range drivers {
					drivers[i] = newDriver(b, s, i+1, n)
				}
				b.ReportAllocs()
				b.ResetTimer()
				var serial, concurrent time.Duration
				var done int
				var batches, requests int64
				for done < b.N {
					t0 := time.Now()
					for range round {
						if err := drivers[0].step(ctx, s); err != nil {
							b.Fatal(err)
						}
					}
					t1 := time.Now()
					b0, r0 := sqlite.BatchStats(s)
					var wg sync.WaitGroup
					errs := make([]error, writers)
					for i, d := range drivers {
						wg.Go(func() {
							for range round / writers {
								if err := d.step(ctx, s); err != nil {
									errs[i] = err
									return
								}
							}
						})
					}
					wg.Wait()
					b1, r1 := sqlite.BatchStats(s)
					batches, requests = batches+b1-b0, requests+r1-r0
					for _, err := range errs {
						if err != nil {
							b.Fatal(err)
						}
					}
					serial += t1.Sub(t0)
					concurrent += time.Since(t1)
					done += 2 * round
				}
				b.StopTimer()
				appends := float64(done / 2)
				b.ReportMetric(appends/serial.Seconds(), "serial-appends/s")
				b.ReportMetric(appends/concurrent.Seconds(), "concurrent-appends/s")
				b.ReportMetric(serial.Seconds()/concurrent.Seconds(), "x-serial")
				b.ReportMetric(float64(requests)/float64(batches), "appends/commit")
			})
		}
	}
}
