package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batonhq/baton/internal/cputime"
	"github.com/batonhq/baton/store/sqlite"
)

// The benchmarks measure appends per second, one append being one activity
// transition of one or two events (see driver), for releases of 10 and
// 10,000 activities, serially and from 8 goroutines on 8 releases, with
// synchronous=FULL and NORMAL. BenchmarkBaselineRawInsert measures, in the
// same run, the rate of raw single-row INSERT transactions on the same
// driver and pragmas: the ceiling a store built on it can approach.
//
//	go test -run='^$' -bench=. -benchmem -benchtime=2s ./store/sqlite/

var syncModes = []sqlite.Synchronous{sqlite.SyncFull, sqlite.SyncNormal}

func BenchmarkAppend(b *testing.B) {
	parent := b
	for _, mode := range syncModes {
		for _, conc := range []int{1, 8} {
			for _, n := range []int{10, 10000} {
				name := fmt.Sprintf("sync=%s/releases=%d/activities=%d", mode, conc, n)
				var (
					s       *sqlite.Store
					drivers []*driver
				)
				b.Run(name, func(b *testing.B) {
					if s == nil { // set up once for all the b.N rounds; closed with the parent
						s = openTemp(parent, &sqlite.Options{Synchronous: mode})
						for i := range conc {
							drivers = append(drivers, newDriver(b, s, i+1, n))
						}
					}
					b.ReportAllocs()
					ctx := context.Background()
					b.ResetTimer()
					cpu0, cpuOK := cputime.Process()
					if conc == 1 {
						d := drivers[0]
						for range b.N {
							if err := d.step(ctx, s); err != nil {
								b.Fatal(err)
							}
						}
					} else {
						var left atomic.Int64
						left.Store(int64(b.N))
						var wg sync.WaitGroup
						errs := make(chan error, conc)
						for _, d := range drivers {
							wg.Go(func() {
								for left.Add(-1) >= 0 {
									if err := d.step(ctx, s); err != nil {
										errs <- err
										return
									}
								}
							})
						}
						wg.Wait()
						close(errs)
						for err := range errs {
							b.Fatal(err)
						}
					}
					b.StopTimer()
					reportRates(b, cpu0, cpuOK)
				})
			}
		}
	}
}

// BenchmarkBaselineRawInsert is one INSERT of one 200-byte row per
// transaction (BEGIN IMMEDIATE; INSERT; COMMIT) on one connection, in WAL
// mode with the given synchronous setting: the same driver and pragmas as
// the store.
func BenchmarkBaselineRawInsert(b *testing.B) {
	for _, mode := range syncModes {
		b.Run("sync="+string(mode), func(b *testing.B) {
			ctx := context.Background()
			path := filepath.Join(b.TempDir(), "raw.db")
			db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous("+string(mode)+")")
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			db.SetMaxOpenConns(1)
			conn, err := db.Conn(ctx)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)`); err != nil {
				b.Fatal(err)
			}
			ins, err := conn.PrepareContext(ctx, `INSERT INTO t (v) VALUES (?)`)
			if err != nil {
				b.Fatal(err)
			}
			defer ins.Close()
			row := make([]byte, 200)
			b.ReportAllocs()
			b.ResetTimer()
			cpu0, cpuOK := cputime.Process()
			for range b.N {
				if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
					b.Fatal(err)
				}
				if _, err := ins.ExecContext(ctx, row); err != nil {
					b.Fatal(err)
				}
				if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			reportRates(b, cpu0, cpuOK)
		})
	}
}

// reportRates reports appends per second of wall time and the process's
// CPU time per append (all goroutines, user and system): the machine's
// other load disturbs the first far more than the second.
func reportRates(b *testing.B, cpu0 time.Duration, cpuOK bool) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
	if cpu1, ok := cputime.Process(); ok && cpuOK {
		b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	}
}

// BenchmarkWALPagesPerAppend counts the pages an append writes to the
// write-ahead log (each a 4 KiB frame written, checksummed and, with
// SyncFull, synced), serial appends round-robin over 1 or 8 releases,
// against the raw single-row INSERT transaction of BenchmarkBaselineRawInsert
// ("raw"). The log is emptied (checkpoint TRUNCATE) every 200 appends,
// outside the timer, so that SQLite's automatic checkpoint (at 1000 pages)
// never resets it mid count.
//
//	go test -run='^$' -bench=WALPages -benchtime=2000x ./store/sqlite/
func BenchmarkWALPagesPerAppend(b *testing.B) {
	const chunk = 200
	frames := func(b *testing.B, db *sql.DB, mode string) int {
		var busy, log, done int
		if err := db.QueryRow("PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &log, &done); err != nil {
			b.Fatal(err)
		}
		if busy != 0 {
			b.Fatal("checkpoint blocked")
		}
		return log
	}
	count := func(b *testing.B, path string, step func() error) {
		db, err := sql.Open("sqlite", path)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		db.SetMaxOpenConns(1)
		total := 0
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; {
			b.StopTimer()
			frames(b, db, "TRUNCATE")
			b.StartTimer()
			n := min(chunk, b.N-i)
			for range n {
				if err := step(); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			total += frames(b, db, "PASSIVE")
			b.StartTimer()
			i += n
		}
		b.ReportMetric(float64(total)/float64(b.N), "wal-pages/append")
	}
	ctx := context.Background()
	for _, releases := range []int{1, 8} {
		for _, n := range []int{10, 10000} {
			b.Run(fmt.Sprintf("releases=%d/activities=%d", releases, n), func(b *testing.B) {
				path := filepath.Join(b.TempDir(), "baton.db")
				s, err := sqlite.Open(path, &sqlite.Options{Synchronous: sqlite.SyncNormal})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				drivers := make([]*driver, releases)
				for i := range drivers {
					drivers[i] = newDriver(b, s, i+1, n)
				}
				i := 0
				count(b, path, func() error {
					i++
					return drivers[i%releases].step(ctx, s)
				})
			})
		}
	}
	b.Run("raw", func(b *testing.B) {
		raw := newRawInserter(b, sqlite.SyncNormal)
		var path string
		if err := raw.conn.QueryRowContext(ctx, "SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&path); err != nil {
			b.Fatal(err)
		}
		count(b, path, func() error { return raw.insert(ctx) })
	})
}
