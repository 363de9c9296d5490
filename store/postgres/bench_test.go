package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/postgres"
)

// BenchmarkPairedAppendVsRawInsert compares the store's append with the
// cheapest durable write PostgreSQL offers a client, a raw single-row
// INSERT of 200 bytes in its own (auto-committed) transaction, on the same
// server and pool. On a shared machine the load changes from one second to
// the next, so the two alternate inside one loop, in rounds of 8 of each
// per worker, and both see the same load. Each worker appends one event
// (a comment) at a time to a release of its own. It reports both rates
// and their ratio (appends per raw insert), and the bytes of WAL each
// writes (the server's insert position before and after each round).
func BenchmarkPairedAppendVsRawInsert(b *testing.B) {
	for _, workers := range []int{1, 8} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			ctx := context.Background()
			pool := testPool(b, int32(workers)+2)
			s := newStore(b, pool)
			raw := `INSERT INTO ` + s.Schema() + `.raw (v) VALUES ($1)`
			if _, err := pool.Exec(ctx, `CREATE TABLE `+s.Schema()+`.raw (id bigserial PRIMARY KEY, v bytea NOT NULL)`); err != nil {
				b.Fatal(err)
			}
			row := make([]byte, 200)
			rels := make([]*release.Release, workers)
			for i := range rels {
				rels[i] = createTestRelease(b, s, release.ID(fmt.Sprintf("0190d000-0000-7000-8000-%012d", i+1)), time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
			}
			const round = 8
			var rawTime, appendTime time.Duration
			var mu sync.Mutex
			// run runs op round times in each worker, and adds the wall
			// time of the whole round to *total.
			lsn := func() int64 {
				var n int64
				if err := pool.QueryRow(ctx, `SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint`).Scan(&n); err != nil {
					b.Fatal(err)
				}
				return n
			}
			var rawWAL, appendWAL int64
			run := func(total *time.Duration, wal *int64, op func(w int) error) {
				var wg sync.WaitGroup
				l0 := lsn()
				t0 := time.Now()
				for w := range workers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for range round {
							if err := op(w); err != nil {
								b.Error(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				mu.Lock()
				*total += time.Since(t0)
				mu.Unlock()
				*wal += lsn() - l0
			}
			b.ResetTimer()
			rounds := (b.N + round*workers - 1) / (round * workers)
			for range rounds {
				run(&rawTime, &rawWAL, func(int) error { _, err := pool.Exec(ctx, raw, row); return err })
				run(&appendTime, &appendWAL, func(w int) error {
					r := rels[w]
					expected := r.Seq
					e, err := r.RecordPayload(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), "bob", "", release.CommentAddedPayload{Text: "benchmark"})
					if err != nil {
						return err
					}
					return s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: expected, Events: []release.Event{e}, Release: r})
				})
			}
			n := float64(rounds * round * workers)
			b.ReportMetric(n/rawTime.Seconds(), "raw-tx/s")
			b.ReportMetric(n/appendTime.Seconds(), "appends/s")
			b.ReportMetric(rawTime.Seconds()/appendTime.Seconds(), "append/raw")
			b.ReportMetric(float64(rawWAL)/n, "WAL-B/raw-tx")
			b.ReportMetric(float64(appendWAL)/n, "WAL-B/append")
		})
	}
}

// BenchmarkPairedAppendNotifyFeed measures what Options.NotifyFeed costs
// the writers: appends of one event (a comment) per worker to a release of
// its own, on a store without it and on one with it (whose feed another
// Store over the schema, as another process, listens to), alternating in
// rounds of 8 per worker so that both see the same load. It reports both
// rates and their ratio.
func BenchmarkPairedAppendNotifyFeed(b *testing.B) {
	for _, workers := range []int{1, 8} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			ctx := context.Background()
			pool := testPool(b, 2*int32(workers)+4)
			plain := newStore(b, pool)
			base := newStore(b, pool)
			notifying, err := postgres.NewFromPool(ctx, pool, &postgres.Options{Schema: base.Schema(), NotifyFeed: true})
			if err != nil {
				b.Fatal(err)
			}
			defer notifying.Close()
			lctx, stop := context.WithCancel(ctx)
			defer stop()
			signals, err := base.SubscribeFeed(lctx) // another process's consumer
			if err != nil {
				b.Fatal(err)
			}
			go func() {
				for range signals {
				}
			}()
			at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
			rels := map[*postgres.Store][]*release.Release{}
			for _, s := range []*postgres.Store{plain, notifying} {
				for i := range workers {
					rels[s] = append(rels[s], createTestRelease(b, s, release.ID(fmt.Sprintf("0190d000-0000-7000-8000-%012d", i+1)), at))
				}
			}
			const round = 8
			elapsed := map[*postgres.Store]time.Duration{}
			run := func(s *postgres.Store) {
				var wg sync.WaitGroup
				t0 := time.Now()
				for w := range workers {
					wg.Go(func() {
						r := rels[s][w]
						for range round {
							expected := r.Seq
							e, err := r.RecordPayload(at.Add(time.Hour), "bob", "", release.CommentAddedPayload{Text: "benchmark"})
							if err == nil {
								err = s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: expected, Events: []release.Event{e}, Release: r})
							}
							if err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				elapsed[s] += time.Since(t0)
			}
			b.ResetTimer()
			rounds := (b.N + round*workers - 1) / (round * workers)
			for range rounds {
				run(plain)
				run(notifying)
			}
			n := float64(rounds * round * workers)
			b.ReportMetric(n/elapsed[plain].Seconds(), "appends/s")
			b.ReportMetric(n/elapsed[notifying].Seconds(), "notifyfeed-appends/s")
			b.ReportMetric(elapsed[plain].Seconds()/elapsed[notifying].Seconds(), "notifyfeed/plain")
		})
	}
}
