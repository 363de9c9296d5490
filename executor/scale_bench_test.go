package executor

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/postgres"
	"github.com/batonhq/baton/store/sqlite"
)

// scaleDoc is the process of the scale benchmarks: an approval (no
// deadline), then a no-op.
const scaleDoc = `
id: scale
phases:
  - id: qa
    activities:
      - {id: signoff, type: approval, approval: {approvers: [bob]}}
  - id: ship
    depends-on: [qa]
    activities:
      - {id: go, uses: noop}
`

// scaleDB is one database of the scale benchmarks, with the raw access of
// its baseline (a single-row insert and select in a table of its own).
type scaleDB struct {
	st        store.Store
	rawInsert func(ctx context.Context, i int) error
	rawSelect func(ctx context.Context, i int) error
	close     func()
}

func openScaleSQLite(b *testing.B) *scaleDB {
	path := filepath.Join(b.TempDir(), "scale.db")
	s, err := sqlite.Open(path, &sqlite.Options{Synchronous: sqlite.SyncFull})
	if err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=synchronous(FULL)")
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE raw (id INTEGER PRIMARY KEY, v BLOB NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	row := make([]byte, 200)
	return &scaleDB{st: s,
		rawInsert: func(ctx context.Context, i int) error {
			_, err := db.ExecContext(ctx, `INSERT INTO raw (id, v) VALUES (?, ?)`, i, row)
			return err
		},
		rawSelect: func(ctx context.Context, i int) error {
			var v []byte
			return db.QueryRowContext(ctx, `SELECT v FROM raw WHERE id = ?`, i).Scan(&v)
		},
		close: func() { db.Close(); s.Close() },
	}
}

func openScalePostgres(b *testing.B, url string) *scaleDB {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	var r [6]byte
	_, _ = rand.Read(r[:])
	schema := "baton_scale_" + hex.EncodeToString(r[:])
	s, err := postgres.NewFromPool(ctx, pool, &postgres.Options{Schema: schema})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `CREATE TABLE `+schema+`.raw (id bigint PRIMARY KEY, v bytea NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	row := make([]byte, 200)
	return &scaleDB{st: s,
		rawInsert: func(ctx context.Context, i int) error {
			_, err := pool.Exec(ctx, `INSERT INTO `+schema+`.raw (id, v) VALUES ($1, $2)`, i, row)
			return err
		},
		rawSelect: func(ctx context.Context, i int) error {
			var v []byte
			return pool.QueryRow(ctx, `SELECT v FROM `+schema+`.raw WHERE id = $1`, i).Scan(&v)
		},
		close: func() {
			s.Close()
			_, _ = pool.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
			pool.Close()
		},
	}
}

// fill stores n releases waiting on their approval and n aborted ones,
// through the store directly (one CreateRelease each, its whole history at
// once), from 8 goroutines.
func fill(b *testing.B, st store.Store, p *process.Process, n int, at time.Time) {
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= 2*n {
					return
				}
				created := at.Add(time.Duration(i) * time.Millisecond)
				id, err := release.NewID(created, nil)
				if err != nil {
					errs <- err
					return
				}
				r, first, err := release.Create(id, created, "alice", "", release.ReleaseCreatedPayload{Name: "r", Process: p})
				if err != nil {
					errs <- err
					return
				}
				events := []release.Event{first}
				payloads := []release.Payload{&release.ReleaseStartedPayload{}}
				if i%2 == 0 {
					payloads = append(payloads, &release.PhaseStartedPayload{Phase: "qa"},
						&release.ActivityStartedPayload{Activity: "qa.signoff", IdempotencyKey: idemKey(id, "qa.signoff", 1)},
						&release.ActivityWaitingPayload{Activity: "qa.signoff"})
				} else {
					payloads = append(payloads, &release.ReleaseAbortedPayload{})
				}
				for _, pl := range payloads {
					e, err := r.RecordPayload(created, "executor", "scale benchmark", pl)
					if err != nil {
						errs <- err
						return
					}
					events = append(events, e)
				}
				if err := st.CreateRelease(ctx, &store.CreateReleaseParams{Events: events, Release: r}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// BenchmarkScale measures what must not grow with the number of releases
// stored, on SQLite (SyncFull) and, with BATON_POSTGRES_URL set,
// PostgreSQL: each size n stores n releases waiting on an approval and n
// finished ones, then measures
//
//   - restart: a new executor's Run until its first scan is done (ready),
//     with heap-MB the live heap after it (after a GC) and loads the
//     releases it loaded;
//   - create: Executor.Create of a release that goes to wait on its
//     approval (created, started, an append);
//   - get-finished: store GetRelease of a finished release;
//   - list-page: a page of 100 of ListReleases filtered by the unfinished
//     statuses, and one by process;
//   - raw-insert, raw-select: the baseline, one single-row INSERT (its own
//     transaction) and one SELECT by key on the same database.
//
// The sizes come from BATON_SCALE (comma-separated; the benchmark is
// skipped without it): building 200,000 releases takes minutes.
//
//	BATON_SCALE=100,100000 go test -run '^$' -bench Scale -benchtime 200x -benchmem ./executor/
func BenchmarkScale(b *testing.B) {
	sizes := os.Getenv("BATON_SCALE")
	if sizes == "" {
		b.Skip("BATON_SCALE not set (e.g. BATON_SCALE=100,100000): builds that many releases")
	}
	var ns []int
	for _, f := range splitComma(sizes) {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			b.Fatalf("BATON_SCALE: %q: want positive integers", f)
		}
		ns = append(ns, n)
	}
	stores := map[string]func(b *testing.B) *scaleDB{"sqlite": openScaleSQLite}
	if url := os.Getenv("BATON_POSTGRES_URL"); url != "" {
		stores["postgres"] = func(b *testing.B) *scaleDB { return openScalePostgres(b, url) }
	}
	for _, name := range []string{"sqlite", "postgres"} {
		open := stores[name]
		if open == nil {
			continue
		}
		for _, n := range ns {
			b.Run(fmt.Sprintf("store=%s/n=%d", name, n), func(b *testing.B) { benchScale(b, open, n) })
		}
	}
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}

func benchScale(b *testing.B, open func(b *testing.B) *scaleDB, n int) {
	ctx := context.Background()
	db := open(b)
	defer db.close()
	p, err := process.Parse([]byte(scaleDoc))
	if err != nil {
		b.Fatal(err)
	}
	p, err = db.st.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: "bench", Now: t0})
	if err != nil {
		b.Fatal(err)
	}
	t := time.Now()
	fill(b, db.st, p, n, t0)
	b.Logf("stored %d waiting and %d finished releases in %v", n, n, time.Since(t).Round(time.Millisecond))
	var finished []release.ID
	page, err := db.st.ListReleases(ctx, &store.ListReleasesParams{Statuses: []release.Status{release.Aborted}, Limit: 100})
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range page.Releases {
		finished = append(finished, s.ID)
	}
	reg := adapters.NewRegistry(noop)
	clk := newFakeClock(t0.Add(time.Hour))

	b.Run("restart", func(b *testing.B) {
		for range b.N {
			cs := &loadCounter{Store: db.st}
			ex, err := New(cs, reg, &Config{Clock: clk, Jitter: -1, InstanceID: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			rctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			start := time.Now()
			go func() { defer close(done); _ = ex.Run(rctx) }()
			for ex.scans.Load() == 0 {
				time.Sleep(100 * time.Microsecond)
			}
			b.ReportMetric(time.Since(start).Seconds(), "s-to-ready")
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MB")
			b.ReportMetric(float64(cs.loads.Load()), "loads")
			cancel()
			<-done
		}
	})
	ex, err := New(db.st, reg, &Config{Clock: clk, Jitter: -1, InstanceID: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("create", func(b *testing.B) {
		for range b.N {
			if _, err := ex.Create(ctx, &CreateParams{Process: "scale", By: By{Actor: "alice"}}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("get-finished", func(b *testing.B) {
		for i := range b.N {
			if _, err := db.st.GetRelease(ctx, finished[i%len(finished)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	for name, lp := range map[string]store.ListReleasesParams{
		"list-page/unfinished": {Statuses: []release.Status{release.Scheduled, release.Running, release.Paused}, Limit: 100},
		"list-page/process":    {Process: "scale", Limit: 100},
	} {
		b.Run(name, func(b *testing.B) {
			for range b.N {
				if _, err := db.st.ListReleases(ctx, &lp); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	var rawN atomic.Int64
	b.Run("raw-insert", func(b *testing.B) {
		for range b.N {
			if err := db.rawInsert(ctx, int(rawN.Add(1))); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-select", func(b *testing.B) {
		for i := range b.N {
			if err := db.rawSelect(ctx, 1+i%int(rawN.Load())); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// loadCounter counts the releases loaded through it.
type loadCounter struct {
	store.Store
	loads atomic.Int64
}

func (c *loadCounter) GetRelease(ctx context.Context, id release.ID) (*release.Release, error) {
	c.loads.Add(1)
	return c.Store.GetRelease(ctx, id)
}

func (c *loadCounter) ListUnfinished(ctx context.Context, p *store.ListUnfinishedParams) (*store.UnfinishedPage, error) {
	return c.Store.(store.UnfinishedLister).ListUnfinished(ctx, p)
}

func (c *loadCounter) AcquireLease(ctx context.Context, p *store.LeaseParams) (*store.Lease, error) {
	return c.Store.(store.Leaser).AcquireLease(ctx, p)
}

func (c *loadCounter) RenewLease(ctx context.Context, p *store.LeaseParams) (*store.Lease, error) {
	return c.Store.(store.Leaser).RenewLease(ctx, p)
}

func (c *loadCounter) ReleaseLease(ctx context.Context, p *store.LeaseParams) error {
	return c.Store.(store.Leaser).ReleaseLease(ctx, p)
}

// Unwrap lets the executor find the capabilities loadCounter does not
// forward (freezes, notifications, the feed, ...) in the store it counts
// for; without it New refuses the wrapper (store.HiddenCapabilityError).
func (c *loadCounter) Unwrap() store.Store { return c.Store }

// BenchmarkScalePaired compares, on each store, a small and a large
// database side by side: with BATON_SCALE_PAIR=small,large (e.g.
// 100,100000) it builds both (n releases waiting on an approval and n
// finished each, as BenchmarkScale does), then runs each operation in
// rounds of 10 on one database, then 10 on the other (the first one
// alternating), so that both sizes see the same load on a shared machine.
// Each operation reports ns/op at each size (small-ns/op, large-ns/op) and
// their ratio (large/small); the raw INSERT and SELECT rows are the
// baseline, measured the same way. (The usual ns/op covers both sizes.)
//
//	BATON_SCALE_PAIR=100,100000 BATON_POSTGRES_URL=postgres://... \
//	  go test -run '^$' -bench ScalePaired -benchtime 20x ./executor/
func BenchmarkScalePaired(b *testing.B) {
	sizes := splitComma(os.Getenv("BATON_SCALE_PAIR"))
	if len(sizes) != 2 {
		b.Skip("BATON_SCALE_PAIR not set to two sizes (e.g. BATON_SCALE_PAIR=100,100000): builds that many releases")
	}
	var ns [2]int
	for i, f := range sizes {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			b.Fatalf("BATON_SCALE_PAIR: %q: want positive integers", f)
		}
		ns[i] = n
	}
	stores := []struct {
		name string
		open func(b *testing.B) *scaleDB
	}{{"sqlite", openScaleSQLite}}
	if url := os.Getenv("BATON_POSTGRES_URL"); url != "" {
		stores = append(stores, struct {
			name string
			open func(b *testing.B) *scaleDB
		}{"postgres", func(b *testing.B) *scaleDB { return openScalePostgres(b, url) }})
	}
	for _, sc := range stores {
		b.Run("store="+sc.name, func(b *testing.B) { benchScalePaired(b, sc.open, ns) })
	}
}

// scaleSide is one database of BenchmarkScalePaired, filled.
type scaleSide struct {
	db       *scaleDB
	ex       *Executor
	finished []release.ID
	rawN     atomic.Int64
}

func benchScalePaired(b *testing.B, open func(b *testing.B) *scaleDB, ns [2]int) {
	ctx := context.Background()
	reg := adapters.NewRegistry(noop)
	clk := newFakeClock(t0.Add(time.Hour))
	var sides [2]*scaleSide
	for i, n := range ns {
		db := open(b)
		defer db.close()
		p, err := process.Parse([]byte(scaleDoc))
		if err != nil {
			b.Fatal(err)
		}
		if p, err = db.st.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: "bench", Now: t0}); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		fill(b, db.st, p, n, t0)
		b.Logf("stored %d waiting and %d finished releases in %v", n, n, time.Since(start).Round(time.Millisecond))
		page, err := db.st.ListReleases(ctx, &store.ListReleasesParams{Statuses: []release.Status{release.Aborted}, Limit: 100})
		if err != nil {
			b.Fatal(err)
		}
		sd := &scaleSide{db: db}
		for _, s := range page.Releases {
			sd.finished = append(sd.finished, s.ID)
		}
		if sd.ex, err = New(db.st, reg, &Config{Clock: clk, Jitter: -1, InstanceID: "bench"}); err != nil {
			b.Fatal(err)
		}
		for range 100 { // rows for raw-select from the start
			if err := db.rawInsert(ctx, int(sd.rawN.Add(1))); err != nil {
				b.Fatal(err)
			}
		}
		sides[i] = sd
	}
	ops := []struct {
		name string
		op   func(sd *scaleSide, i int) error
	}{
		{"create", func(sd *scaleSide, _ int) error {
			_, err := sd.ex.Create(ctx, &CreateParams{Process: "scale", By: By{Actor: "alice"}})
			return err
		}},
		{"get-finished", func(sd *scaleSide, i int) error {
			_, err := sd.db.st.GetRelease(ctx, sd.finished[i%len(sd.finished)])
			return err
		}},
		{"list-page/unfinished", func(sd *scaleSide, _ int) error {
			_, err := sd.db.st.ListReleases(ctx, &store.ListReleasesParams{Statuses: []release.Status{release.Scheduled, release.Running, release.Paused}, Limit: 100})
			return err
		}},
		{"list-page/process", func(sd *scaleSide, _ int) error {
			_, err := sd.db.st.ListReleases(ctx, &store.ListReleasesParams{Process: "scale", Limit: 100})
			return err
		}},
		{"raw-insert", func(sd *scaleSide, _ int) error { return sd.db.rawInsert(ctx, int(sd.rawN.Add(1))) }},
		{"raw-select", func(sd *scaleSide, i int) error { return sd.db.rawSelect(ctx, 1+i%int(sd.rawN.Load())) }},
	}
	const round = 10
	for _, o := range ops {
		b.Run(o.name, func(b *testing.B) {
			var took [2]time.Duration
			var done [2]int
			for r := 0; done[0] < b.N || done[1] < b.N; r++ {
				for k := range 2 {
					side := (r + k) % 2 // alternate which size goes first
					start := time.Now()
					for j := 0; j < round && done[side] < b.N; j++ {
						if err := o.op(sides[side], done[side]); err != nil {
							b.Fatal(err)
						}
						done[side]++
					}
					took[side] += time.Since(start)
				}
			}
			small, large := float64(took[0].Nanoseconds())/float64(b.N), float64(took[1].Nanoseconds())/float64(b.N)
			b.ReportMetric(small, "small-ns/op")
			b.ReportMetric(large, "large-ns/op")
			b.ReportMetric(large/small, "large/small")
		})
	}
}
