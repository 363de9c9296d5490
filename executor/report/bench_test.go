package report_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/batonhq/baton/executor/report"
	"github.com/batonhq/baton/internal/cputime"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/release/releasetest"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/sqlite"
)

// benchReleases is the number of releases the metrics benchmark stores:
// BATON_BENCH_RELEASES, else 100,000 (2,000 with -short).
func benchReleases(b *testing.B) int {
	if v := os.Getenv("BATON_BENCH_RELEASES"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(b, err)
		return n
	}
	if testing.Short() {
		return 2000
	}
	return 100_000
}

// benchTrainRelease returns the events of the i-th release of the
// benchmark's train: one release every 10 minutes, in 50 groups, one in
// ten failed, one in twenty aborted, the rest succeeded after an approval
// (a commit link at the start, a production deployment at the end).
func benchTrainRelease(c *release.ProcessCache, i int, proc func() *release.ReleaseCreatedPayload) (*release.Release, []release.Event, error) {
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 10 * time.Minute)
	p := proc()
	p.Name, p.Group, p.ScheduledFor = fmt.Sprintf("train %d", i), release.GroupID(fmt.Sprintf("g%02d", i%50)), at
	r, created, err := c.Create(release.ID(fmt.Sprintf("rel-%06d", i)), at, "alice", "", *p)
	if err != nil {
		return nil, nil, err
	}
	events := []release.Event{created}
	step := func(d time.Duration, actor, reason string, ps ...release.Payload) {
		at = at.Add(d)
		for _, pl := range ps {
			if err != nil {
				return
			}
			var e release.Event
			if e, err = r.RecordPayload(at, actor, reason, pl); err == nil {
				events = append(events, e)
			}
		}
	}
	step(0, "executor", "", release.ReleaseStartedPayload{}, release.PhaseStartedPayload{Phase: "deploy"},
		release.ActivityStartedPayload{Activity: approve}, release.ActivityWaitingPayload{Activity: approve},
		release.LinkAddedPayload{Link: commit(fmt.Sprintf("c%d", i))})
	switch {
	case i%20 == 5:
		step(time.Duration(i%7)*time.Minute, "ops", "not today", release.ReleaseAbortedPayload{})
		return r, events, err
	}
	step(time.Duration(5+i%30)*time.Minute, "carol", "", release.ApprovalGrantedPayload{Activity: approve})
	step(0, "executor", "", release.ActivitySucceededPayload{Activity: approve}, release.ActivityStartedPayload{Activity: rollout})
	if i%10 == 0 {
		step(3*time.Minute, "executor", "", release.ActivityFailedPayload{Activity: rollout, Error: "boom"},
			release.PhaseFailedPayload{Phase: "deploy", Error: "boom"}, release.ReleaseFailedPayload{Error: "boom"})
		return r, events, err
	}
	step(time.Duration(2+i%5)*time.Minute, "executor", "", release.ActivitySucceededPayload{Activity: rollout},
		release.LinkAddedPayload{Link: deployment("production")},
		release.PhaseSucceededPayload{Phase: "deploy"}, release.ReleaseSucceededPayload{})
	return r, events, err
}

// benchStore is the SQLite file of the metrics benchmarks, made once per
// run (it takes a minute or two at 100,000 releases).
var benchStore struct {
	once sync.Once
	dir  string // removed at the end (not with BATON_BENCH_DB)
	path string
	n    int
	err  error
}

// openBenchStore opens the benchmark's SQLite file. With BATON_BENCH_DB
// set it is that file, kept after the run, and filled only when it does
// not exist (with BATON_BENCH_RELEASES releases): so that two versions of
// the code are measured on the same data (a file of an older schema is
// migrated when opened).
func openBenchStore(b *testing.B) (*sqlite.Store, int) {
	benchStore.once.Do(func() {
		n := benchReleases(b)
		benchStore.n = n
		if path := os.Getenv("BATON_BENCH_DB"); path != "" {
			benchStore.path = path
			if _, err := os.Stat(path); err == nil {
				return
			}
			benchStore.err = fillBenchStore(b, path, n)
			return
		}
		dir, err := os.MkdirTemp("", "baton-report-bench-")
		if err != nil {
			benchStore.err = err
			return
		}
		benchStore.dir, benchStore.path = dir, filepath.Join(dir, "baton.db")
		benchStore.err = fillBenchStore(b, benchStore.path, n)
	})
	require.NoError(b, benchStore.err)
	s, err := sqlite.Open(benchStore.path, nil)
	require.NoError(b, err)
	b.Cleanup(func() { s.Close() })
	return s, benchStore.n
}

func fillBenchStore(b *testing.B, path string, n int) error {
	s, err := sqlite.Open(path, &sqlite.Options{Synchronous: sqlite.SyncNormal})
	if err != nil {
		return err
	}
	defer s.Close()
	proc := releasetest.Parse(b, deployYAML)
	proc.Version = 1
	c := new(release.ProcessCache)
	start := time.Now()
	g, ctx := errgroup.WithContext(context.Background())
	const workers = 8
	for w := range workers {
		g.Go(func() error {
			for i := w; i < n; i += workers {
				r, events, err := benchTrainRelease(c, i, func() *release.ReleaseCreatedPayload {
					return &release.ReleaseCreatedPayload{Process: proc, Labels: map[string]string{"env": "prod"}}
				})
				if err != nil {
					return err
				}
				if err := s.CreateRelease(ctx, &store.CreateReleaseParams{Events: events, Release: r}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	b.Logf("stored %d releases in %v", n, time.Since(start).Round(time.Millisecond))
	// The first metrics compute and keep every digest: the cost of a
	// first call (or of keeping each digest as its release ends).
	start = time.Now()
	m, err := report.ComputeMetrics(context.Background(), s, benchWindow(n))
	if err != nil {
		return err
	}
	b.Logf("first ComputeMetrics (computes and keeps %d digests from the events): %v", m.Releases, time.Since(start).Round(time.Millisecond))
	return nil
}

// perRelease reports wall and process CPU time per release of a loop
// begun when cpu0 was read.
func perRelease(b *testing.B, cpu0 time.Duration, n int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/release")
	if cpu1, ok := cputime.Process(); ok {
		b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N)/float64(n), "cpu-ns/release")
		b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func benchWindow(n int) *report.MetricsParams {
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	return &report.MetricsParams{From: from, To: from.Add(time.Duration(n) * 10 * time.Minute)}
}

// BenchmarkMetrics measures ComputeMetrics over every release of the
// benchmark's SQLite file (kept digests), and its baselines in the same
// run: the same figures computed from the events of the first 1,000
// releases (store without digests: ns/release scales it), and MetricsOf
// alone over the digests in memory.
func BenchmarkMetrics(b *testing.B) {
	b.Run("sqlite-digests", func(b *testing.B) {
		s, n := openBenchStore(b)
		p := benchWindow(n)
		b.ReportAllocs()
		cpu0, _ := cputime.Process()
		for b.Loop() {
			m, err := report.ComputeMetrics(context.Background(), s, p)
			require.NoError(b, err)
			require.Equal(b, n, m.Releases)
		}
		perRelease(b, cpu0, n)
	})
	b.Run("sqlite-events-1000", func(b *testing.B) {
		s, _ := openBenchStore(b)
		const n = 1000
		p := benchWindow(n)
		b.ReportAllocs()
		cpu0, _ := cputime.Process()
		for b.Loop() {
			m, err := report.ComputeMetrics(context.Background(), eventsOnly{s}, p)
			require.NoError(b, err)
			require.Equal(b, n, m.Releases)
		}
		perRelease(b, cpu0, n)
	})
	b.Run("memory", func(b *testing.B) {
		_, n := openBenchStore(b)
		c := new(release.ProcessCache)
		proc := releasetest.Parse(b, deployYAML)
		proc.Version = 1
		ds := make([]*report.Digest, n)
		for i := range n {
			_, events, err := benchTrainRelease(c, i, func() *release.ReleaseCreatedPayload {
				return &release.ReleaseCreatedPayload{Process: proc, Labels: map[string]string{"env": "prod"}}
			})
			require.NoError(b, err)
			ds[i], err = report.DigestOf(events)
			require.NoError(b, err)
		}
		p := benchWindow(n)
		b.ReportAllocs()
		cpu0, _ := cputime.Process()
		for b.Loop() {
			m := report.MetricsOf(ds, p)
			require.Equal(b, n, m.Releases)
		}
		perRelease(b, cpu0, n)
	})
}

// TestMain removes the benchmarks' SQLite file once every test and
// benchmark has run.
func TestMain(m *testing.M) {
	code := m.Run()
	if benchStore.dir != "" {
		os.RemoveAll(benchStore.dir)
	}
	os.Exit(code)
}
