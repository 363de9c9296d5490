package memstore_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton/internal/cputime"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
)

// benchProcess has n automated activities in phases of at most 1,000.
func benchProcess(n int) *process.Process {
	p := &process.Process{ID: "bench", Version: 1, Name: "Bench"}
	for i := 0; i < n; i += 1000 {
		ph := process.Phase{ID: process.PhaseID(fmt.Sprintf("p%d", i/1000))}
		for j := i; j < min(n, i+1000); j++ {
			ph.Activities = append(ph.Activities, process.Activity{
				ID: process.ActivityID(fmt.Sprintf("a-%05d", j)), Uses: "exec",
				With: map[string]any{"cmd": "deploy", "n": float64(j)},
			})
		}
		p.Phases = append(p.Phases, ph)
	}
	return p
}

// benchRelease stores a started release of n activities, every activity
// Running, and returns it with its activity keys.
func benchRelease(b *testing.B, s store.Store, n int, at time.Time) (*release.Release, []release.ActivityKey) {
	b.Helper()
	ctx := context.Background()
	id, err := release.NewID(at, nil)
	if err != nil {
		b.Fatal(err)
	}
	r, created, err := release.Create(id, at, "bench", "", release.ReleaseCreatedPayload{Name: "bench", Process: benchProcess(n)})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.CreateRelease(ctx, &store.CreateReleaseParams{Events: []release.Event{created}, Release: r}); err != nil {
		b.Fatal(err)
	}
	var payloads []release.Payload
	var keys []release.ActivityKey
	payloads = append(payloads, release.ReleaseStartedPayload{})
	for _, ph := range r.Process.Phases {
		payloads = append(payloads, release.PhaseStartedPayload{Phase: ph.ID})
		for _, a := range ph.Activities {
			k := release.Key(ph.ID, a.ID)
			keys = append(keys, k)
			payloads = append(payloads, release.ActivityStartedPayload{Activity: k})
		}
	}
	for i := 0; i < len(payloads); i += 500 {
		var events []release.Event
		for _, p := range payloads[i:min(len(payloads), i+500)] {
			e, err := release.NewEvent(at, "bench", "", p)
			if err != nil {
				b.Fatal(err)
			}
			events = append(events, e)
		}
		expected := r.Seq
		sealed, err := r.Record(events...)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: expected, Events: sealed, Release: r}); err != nil {
			b.Fatal(err)
		}
	}
	return r, keys
}

// transition makes the i-th activity transition of a benchmark: activity i
// (round robin) goes Running -> Waiting on even rounds and back on odd
// ones, as one append of perAppend events (1: one transition; 2: there and
// back). It is what an executor does per step: record the events
// (RecordPayload: encode, seal, apply) and AppendEvents.
func transition(ctx context.Context, s store.Store, r *release.Release, keys []release.ActivityKey, i int, perAppend int, at time.Time) error {
	expected := r.Seq
	events := make([]release.Event, 0, 2)
	for j := range perAppend {
		n := i*perAppend + j
		k := keys[n%len(keys)]
		var p release.Payload = release.ActivityWaitingPayload{Activity: k}
		if (n/len(keys))%2 == 1 {
			p = release.ActivityResumedPayload{Activity: k}
		}
		if perAppend == 2 {
			k = keys[i%len(keys)]
			p = release.ActivityWaitingPayload{Activity: k}
			if j == 1 {
				p = release.ActivityResumedPayload{Activity: k}
			}
		}
		e, err := r.RecordPayload(at, "executor", "", p)
		if err != nil {
			return err
		}
		events = append(events, e)
	}
	return s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: expected, Events: events, Release: r})
}

// BenchmarkAppend measures one activity transition (an append of one or two
// events) on releases of 10 and 10,000 activities, serially and spread over
// 8 releases appended to concurrently. ns/op is per append.
func BenchmarkAppend(b *testing.B) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, activities := range []int{10, 10000} {
		for _, perAppend := range []int{1, 2} {
			b.Run(fmt.Sprintf("serial/activities=%d/events=%d", activities, perAppend), func(b *testing.B) {
				ctx := context.Background()
				s := memstore.New(nil)
				r, keys := benchRelease(b, s, activities, at)
				b.ReportAllocs()
				b.ResetTimer()
				cpu := startCPU()
				for i := range b.N {
					if err := transition(ctx, s, r, keys, i, perAppend, at); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				cpu.report(b)
			})
			b.Run(fmt.Sprintf("concurrent8/activities=%d/events=%d", activities, perAppend), func(b *testing.B) {
				ctx := context.Background()
				s := memstore.New(nil)
				const releases = 8
				rs := make([]*release.Release, releases)
				keys := make([][]release.ActivityKey, releases)
				for g := range releases {
					rs[g], keys[g] = benchRelease(b, s, activities, at)
				}
				b.ReportAllocs()
				b.ResetTimer()
				cpu := startCPU()
				var wg sync.WaitGroup
				errs := make([]error, releases)
				for g := range releases {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := g; i < b.N; i += releases {
							if err := transition(ctx, s, rs[g], keys[g], i/releases, perAppend, at); err != nil {
								errs[g] = err
								return
							}
						}
					}()
				}
				wg.Wait()
				b.StopTimer()
				for _, err := range errs {
					if err != nil {
						b.Fatal(err)
					}
				}
				cpu.report(b)
			})
		}
	}
}

// BenchmarkAppendBaseline is the least any in-memory append does: check the
// expected sequence number and append a prepared event to a slice under a
// mutex; and, as a second reference, the SHA-256 of an event-sized buffer.
func BenchmarkAppendBaseline(b *testing.B) {
	b.Run("mutex-slice-append", func(b *testing.B) {
		var mu sync.Mutex
		var log []release.Event
		e := release.Event{Release: "r", Kind: release.KindActivityWaiting, Actor: "executor",
			Payload: []byte(`{"activity":"p0.a-00001"}`)}
		b.ReportAllocs()
		b.ResetTimer()
		cpu := startCPU()
		for i := range b.N {
			mu.Lock()
			if int64(len(log)) != int64(i) {
				b.Fatal("seq")
			}
			e.Seq = int64(i + 1)
			log = append(log, e.Clone())
			mu.Unlock()
		}
		cpu.report(b)
	})
	b.Run("sha256-300B", func(b *testing.B) {
		buf := make([]byte, 300)
		b.ReportAllocs()
		cpu := startCPU()
		for range b.N {
			_ = sha256.Sum256(buf)
		}
		cpu.report(b)
	})
}

type cpuMeter struct {
	start time.Duration
	ok    bool
}

func startCPU() cpuMeter {
	d, ok := cputime.Process()
	return cpuMeter{d, ok}
}

// report adds appends/s (wall) and cpu-ns/op (process CPU time per op).
func (m cpuMeter) report(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
	if end, ok := cputime.Process(); ok && m.ok {
		b.ReportMetric(float64(end-m.start)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkSnapshot measures what store.SnapshotDue spreads over appends:
// encoding a snapshot (reported also as its CPU share of each append,
// snapshot-cpu-ns/append, given the policy's interval) and loading a release
// (GetRelease: decoding the snapshot and folding the events after it).
func BenchmarkSnapshot(b *testing.B) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, activities := range []int{10, 10000} {
		s := memstore.New(nil)
		r, _ := benchRelease(b, s, activities, at)
		interval := max(int64(store.MinSnapshotInterval), int64(store.SnapshotEventsPerActivity*len(r.Activities)))
		b.Run(fmt.Sprintf("encode/activities=%d", activities), func(b *testing.B) {
			b.ReportAllocs()
			cpu := startCPU()
			size := 0
			for range b.N {
				data, err := r.MarshalSnapshot()
				if err != nil {
					b.Fatal(err)
				}
				size = len(data)
			}
			b.StopTimer()
			b.ReportMetric(float64(size), "bytes")
			if end, ok := cputime.Process(); ok && cpu.ok {
				perOp := float64(end-cpu.start) / float64(b.N)
				b.ReportMetric(perOp, "cpu-ns/op")
				b.ReportMetric(perOp/float64(interval), "snapshot-cpu-ns/append")
			}
		})
		b.Run(fmt.Sprintf("load/activities=%d", activities), func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for range b.N {
				if _, err := s.GetRelease(ctx, r.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
