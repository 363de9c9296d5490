package executor

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/sqlite"
)

// retentionFixture fills an SQLite store with n finished releases, created
// in random order over 100 days and ended a random 0-100 days later, so
// that a tenth of them (those ended before cut) is expired and spread
// through the table in creation order.
func retentionFixture(b *testing.B, n int) (st *sqlite.Store, cut time.Time) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "retention.db")
	st, err := sqlite.Open(path, &sqlite.Options{Synchronous: sqlite.SyncNormal})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	p, err := process.Parse([]byte(`
id: api
name: API
phases:
  - id: p
    activities:
      - {id: a, type: manual, tasks: [{id: t, name: Do it}]}
`))
	if err != nil {
		b.Fatal(err)
	}
	p.Version = 1
	base := t0
	span := 100 * day
	rng := rand.New(rand.NewPCG(1, 2))
	type spec struct{ created, ended time.Time }
	specs := make([]spec, n)
	ends := make([]time.Time, n)
	for i := range specs {
		c := base.Add(time.Duration(rng.Int64N(int64(span))))
		specs[i] = spec{c, c.Add(time.Duration(rng.Int64N(int64(span))))}
		ends[i] = specs[i].ended
	}
	// cut: the end time of the n/10-th release to end.
	cut = tenthEnd(ends)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				sp := specs[i]
				id, err := release.NewID(sp.created, nil)
				if err == nil {
					var r *release.Release
					var created release.Event
					r, created, err = release.Create(id, sp.created, "alice", "", release.ReleaseCreatedPayload{Name: "r" + strconv.Itoa(i), Process: p})
					if err == nil {
						var ended release.Event
						ended, err = release.NewEvent(sp.ended, "alice", "done", release.ReleaseAbortedPayload{})
						var sealed []release.Event
						if err == nil {
							sealed, err = r.Record(ended)
						}
						if err == nil {
							err = st.CreateRelease(context.Background(), &store.CreateReleaseParams{Events: append([]release.Event{created}, sealed...), Release: r})
						}
					}
				}
				if err != nil {
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
	return st, cut
}

func tenthEnd(ends []time.Time) time.Time {
	sorted := slices.Clone(ends)
	slices.SortFunc(sorted, time.Time.Compare)
	return sorted[len(sorted)/10]
}

// BenchmarkRetentionSweepOnSQLite measures a retention sweep over a store
// of BATON_RETENTION_RELEASES (default 100,000) finished releases, a tenth
// of them expired: the query that finds a page of expired releases (the
// partial index releases_ended), against two baselines in the same run (a
// page of an ordinary indexed list, and finding the expired without the
// index by paging through the releases); the deletion of one release; and
// a whole sweep of 100 releases, deleted and archived.
func BenchmarkRetentionSweepOnSQLite(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("BATON_RETENTION_RELEASES")); err == nil && v > 0 {
		n = v
	}
	st, cut := retentionFixture(b, n)
	ctx := context.Background()
	b.Run("ListEnded/page-of-100", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			page, err := st.ListEnded(ctx, &store.ListEndedParams{EndedBefore: cut, Limit: 100})
			if err != nil || len(page.Releases) != 100 {
				b.Fatal(err, len(page.Releases))
			}
		}
	})
	b.Run("baseline/ListReleases/page-of-100", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			page, err := st.ListReleases(ctx, &store.ListReleasesParams{Statuses: []release.Status{release.Aborted}, Limit: 100})
			if err != nil || len(page.Releases) != 100 {
				b.Fatal(err, len(page.Releases))
			}
		}
	})
	b.Run("baseline/no-index/100-expired", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			found := 0
			p := &store.ListReleasesParams{Statuses: []release.Status{release.Aborted}, Limit: store.MaxLimit}
			for found < 100 {
				page, err := st.ListReleases(ctx, p)
				if err != nil {
					b.Fatal(err)
				}
				for _, s := range page.Releases {
					if s.EndedAt.Before(cut) {
						found++
					}
				}
				if page.Next == "" {
					break
				}
				p.Cursor = page.Next
			}
		}
	})
	b.Run("DeleteRelease", func(b *testing.B) {
		b.ReportAllocs()
		page, err := st.ListEnded(ctx, &store.ListEndedParams{EndedBefore: cut, Limit: store.MaxLimit})
		if err != nil {
			b.Fatal(err)
		}
		i := 0
		for b.Loop() {
			if i == len(page.Releases) {
				b.Fatal("out of expired releases: lower -benchtime")
			}
			s := page.Releases[i]
			i++
			if _, err := st.DeleteRelease(ctx, &store.DeleteReleaseParams{Release: s.ID, ExpectedSeq: s.Seq, Actor: "bench", Now: t0}); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, action := range []RetentionAction{RetentionDelete, RetentionArchive} {
		b.Run("SweepRetention/100/"+string(action), func(b *testing.B) {
			b.ReportAllocs()
			sink := ArchiveSinkFunc(func(_ context.Context, id release.ID, r io.Reader) (string, error) {
				_, err := io.Copy(io.Discard, r)
				return "discard://" + string(id), err
			})
			e, err := New(st, nil, &Config{Clock: newFakeClock(cut), Logger: slog.New(slog.DiscardHandler), InstanceID: "bench",
				Retention: &RetentionConfig{Sink: sink, Batch: 100, Rules: []RetentionRule{{Name: "all", Keep: time.Nanosecond, Action: action}}}})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				rep, err := e.SweepRetention(ctx)
				if err != nil || len(rep.Deleted) != 100 {
					b.Fatal(err, len(rep.Deleted), "(out of expired releases: lower -benchtime)")
				}
			}
		})
	}
}
