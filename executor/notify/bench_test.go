package notify_test

import (
	"context"
	"fmt"
	nethttp "net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"golang.org/x/sync/errgroup"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/executor/notify"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/sqlite"
)

// benchProcess has one phase of n parallel no-op activities, the
// executor benchmarks' parallel-100 shape.
func benchProcess(n int) *process.Process {
	acts := make([]process.Activity, n)
	for i := range acts {
		acts[i] = process.Activity{ID: process.ActivityID(fmt.Sprintf("a%d", i)), Uses: "noop"}
	}
	return &process.Process{ID: "bench", Phases: []process.Phase{{ID: "p", Activities: acts}}}
}

// benchRun runs an executor over a SQLite file (synchronous=FULL) and
// runs releases to their end.
type benchRun struct {
	st    *sqlite.Store
	ex    *executor.Executor
	ended chan release.ID
	stop  func()
}

func newBenchRun(b *testing.B, path string) *benchRun {
	b.Helper()
	st, err := sqlite.Open(path, &sqlite.Options{Synchronous: sqlite.SyncFull})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.PutProcess(context.Background(), &store.PutProcessParams{Process: benchProcess(100), Now: time.Now()}); err != nil {
		b.Fatal(err)
	}
	br := &benchRun{st: st, ended: make(chan release.ID, 1024)}
	noop := adapters.Func("noop", func(context.Context, *adapters.Request) (*adapters.Result, error) { return nil, nil })
	br.ex, err = executor.New(st, adapters.NewRegistry(noop), &executor.Config{Parallelism: 100, Observers: []executor.Observer{
		executor.ObserverFunc(func(e release.Event) {
			if e.Kind == release.KindReleaseSucceeded || e.Kind == release.KindReleaseFailed {
				br.ended <- e.Release
			}
		})}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = br.ex.Run(ctx) }()
	br.stop = func() { cancel(); <-done; st.Close() }
	return br
}

// release runs one release and returns its number of events.
func (br *benchRun) release(b *testing.B) int64 {
	sum, err := br.ex.Create(context.Background(), &executor.CreateParams{Process: "bench", By: executor.By{Actor: "bench"}})
	if err != nil {
		b.Fatal(err)
	}
	if got := <-br.ended; got != sum.ID {
		b.Fatalf("release %s ended, want %s", got, sum.ID)
	}
	s, err := br.st.GetReleaseSummary(context.Background(), sum.ID)
	if err != nil {
		b.Fatal(err)
	}
	return s.Seq
}

// BenchmarkFeedVsExecutorSQLite compares, on SQLite with
// synchronous=FULL, the rate at which an executor records events (releases
// of 100 parallel no-op activities, the baseline) with the rate at which a
// Dispatcher reads them back from the durable feed and notifies: every
// release and phase change (5 messages a release) to a no-op notifier, or
// to a webhook on a local HTTP server. The target: the feed is never the
// bottleneck (its events/s at least the executor's).
func BenchmarkFeedVsExecutorSQLite(b *testing.B) {
	var consumers atomic.Int64 // names never reused across b.N rounds
	b.Run("executor", func(b *testing.B) {
		br := newBenchRun(b, filepath.Join(b.TempDir(), "baton.db"))
		defer br.stop()
		br.release(b) // warm up
		b.ReportAllocs()
		b.ResetTimer()
		var events int64
		for range b.N {
			events += br.release(b)
		}
		b.StopTimer()
		b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	})
	// The feed the dispatchers read: 50 releases, recorded once.
	path := filepath.Join(b.TempDir(), "feed.db")
	br := newBenchRun(b, path)
	var total int64
	for range 50 {
		total += br.release(b)
	}
	br.stop()
	types := []notify.Type{notify.ReleaseCreated, notify.ReleaseStarted, notify.ReleaseSucceeded, notify.PhaseStarted, notify.PhaseEnded}
	srv := httptest.NewServer(nethttp.HandlerFunc(func(nethttp.ResponseWriter, *nethttp.Request) {}))
	defer srv.Close()
	hook, err := notify.NewWebhook(srv.URL, &notify.WebhookConfig{SigningKey: []byte("k")})
	if err != nil {
		b.Fatal(err)
	}
	for _, nt := range []struct {
		name string
		n    func(*atomic.Int64) notify.Notifier
	}{
		{"dispatcher-noop", func(c *atomic.Int64) notify.Notifier {
			return notify.NotifierFunc(func(context.Context, *notify.Message) error { c.Add(1); return nil })
		}},
		{"dispatcher-webhook", func(c *atomic.Int64) notify.Notifier {
			return notify.NotifierFunc(func(ctx context.Context, m *notify.Message) error { c.Add(1); return hook.Notify(ctx, m) })
		}},
	} {
		b.Run(nt.name, func(b *testing.B) {
			st, err := sqlite.Open(path, &sqlite.Options{Synchronous: sqlite.SyncFull})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			var msgs atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			var events int64
			for range b.N {
				// A new consumer each time: it reads the whole feed.
				d, err := notify.New(st, &notify.Config{Consumer: fmt.Sprintf("%s-%d", nt.name, consumers.Add(1)), FromStart: true, Logger: quiet,
					Rules: []notify.Rule{{Name: "all", Types: types, Notifier: nt.n(&msgs)}}})
				if err != nil {
					b.Fatal(err)
				}
				n, err := d.Poll(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				events += int64(n)
			}
			b.StopTimer()
			if events != int64(b.N)*total {
				b.Fatalf("read %d events, want %d", events, int64(b.N)*total)
			}
			b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(msgs.Load())/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// nopNotifier drops every message.
type nopNotifier struct{}

func (nopNotifier) Notify(context.Context, *notify.Message) error { return nil }

// BenchmarkRunningLateCheck measures one clock tick of a Dispatcher with
// a RunningLate rule that follows 10,000 unfinished releases (scheduled
// in a week, on track) on SQLite: the clock moves by CheckInterval and the
// dispatcher polls (no event in the feed; the clock checks are the cost).
// BATON_BENCH_RELEASES sets the number of releases.
func BenchmarkRunningLateCheck(b *testing.B) {
	n := 10_000
	if v := os.Getenv("BATON_BENCH_RELEASES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	st, err := sqlite.Open(filepath.Join(b.TempDir(), "baton.db"), &sqlite.Options{Synchronous: sqlite.SyncNormal})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	proc := testProcess("mobile")
	g, ctx := errgroup.WithContext(context.Background())
	for w := range 8 {
		g.Go(func() error {
			for i := w; i < n; i += 8 {
				at := t0.Add(time.Duration(i) * time.Second)
				id, err := release.NewID(at, nil)
				if err != nil {
					return err
				}
				r, created, err := release.Create(id, at, "alice", "", release.ReleaseCreatedPayload{Name: fmt.Sprint("r", i), Version: "1.0",
					Process: proc, ScheduledFor: at.Add(7 * 24 * time.Hour), ExpectedEnd: at.Add(8 * 24 * time.Hour)})
				if err != nil {
					return err
				}
				if err := st.CreateRelease(ctx, &store.CreateReleaseParams{Events: []release.Event{created}, Release: r}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	clk := clock.NewMock()
	clk.Set(t0.Add(time.Duration(n) * time.Second))
	d, err := notify.New(st, &notify.Config{FromStart: true, Clock: clk, CheckInterval: time.Minute, Logger: quiet,
		Rules: []notify.Rule{{Name: "late", Notifier: nopNotifier{}, Types: []notify.Type{notify.RunningLate}}}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := d.Poll(context.Background()); err != nil { // reads the feed, follows the releases
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		clk.Add(time.Minute)
		if _, err := d.Poll(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
