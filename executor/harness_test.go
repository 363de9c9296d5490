package executor

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// harness runs an executor over memstore on a mock clock.
type harness struct {
	t     *testing.T
	clock *fakeClock
	store store.Store
	reg   *adapters.Registry
	ex    *Executor
	cfg   Config
	// peers are more executors on the store, run by the test: settle
	// waits for them too.
	peers []*Executor

	stop context.CancelFunc
	done chan struct{}
}

func newHarness(t *testing.T, cfg *Config, ads ...adapters.Adapter) *harness {
	t.Helper()
	return newHarnessOn(t, memstore.New(nil), cfg, ads...)
}

// newHarnessOn is newHarness on the given store.
func newHarnessOn(t *testing.T, st store.Store, cfg *Config, ads ...adapters.Adapter) *harness {
	t.Helper()
	mc := newFakeClock(t0)
	h := &harness{t: t, clock: mc, store: st, reg: adapters.NewRegistry(ads...)}
	if cfg != nil {
		h.cfg = *cfg
	}
	if h.cfg.Clock == nil {
		h.cfg.Clock = mc
	}
	if h.cfg.Jitter == 0 {
		h.cfg.Jitter = -1
	}
	if h.cfg.InstanceID == "" {
		// One id across h.start calls: a restarted executor takes back the
		// leases its crashed former self held, as a replica with a stable
		// id does.
		h.cfg.InstanceID = "harness"
	}
	h.start()
	t.Cleanup(h.shutdown)
	return h
}

// start creates a fresh executor on the same store and runs it.
func (h *harness) start() {
	h.t.Helper()
	ex, err := New(h.store, h.reg, &h.cfg)
	require.NoError(h.t, err)
	h.ex = ex
	ctx, cancel := context.WithCancel(context.Background())
	h.stop = cancel
	h.done = make(chan struct{})
	go func() {
		defer close(h.done)
		if err := ex.Run(ctx); err != nil {
			h.t.Errorf("Run: %v", err)
		}
	}()
}

func (h *harness) shutdown() {
	if h.stop != nil {
		h.stop()
		<-h.done
		h.stop = nil
	}
}

func (h *harness) put(doc string) *process.Process {
	h.t.Helper()
	p, err := process.Parse([]byte(doc))
	require.NoError(h.t, err)
	stored, err := h.store.PutProcess(context.Background(), &store.PutProcessParams{Process: p, CreatedBy: "test", Now: h.clock.Now()})
	require.NoError(h.t, err)
	return stored
}

func (h *harness) create(id process.ID, inputs map[string]any) release.ID {
	h.t.Helper()
	sum, err := h.ex.Create(context.Background(), &CreateParams{Process: id, Inputs: inputs, By: By{Actor: "alice"}})
	require.NoError(h.t, err)
	return sum.ID
}

func (h *harness) get(id release.ID) *release.Release {
	h.t.Helper()
	r, err := h.store.GetRelease(context.Background(), id)
	require.NoError(h.t, err)
	return r
}

func (h *harness) waitStatus(id release.ID, want release.Status) *release.Release {
	h.t.Helper()
	var last release.Status
	ok := waitFor(func() bool {
		s, err := h.store.GetReleaseSummary(context.Background(), id)
		if err != nil {
			return false
		}
		last = s.Status
		return s.Status == want
	})
	require.Truef(h.t, ok, "release %s: status %s, want %s\n%s", id, last, want, dump(h.get(id)))
	return h.get(id)
}

func (h *harness) waitActivity(id release.ID, k release.ActivityKey, want release.ActivityStatus) *release.ActivityState {
	h.t.Helper()
	var last release.ActivityStatus
	ok := waitFor(func() bool {
		r, err := h.store.GetRelease(context.Background(), id)
		if err != nil {
			return false
		}
		last = r.Activities[k].Status
		return last == want
	})
	require.Truef(h.t, ok, "activity %s: status %s, want %s\n%s", k, last, want, dump(h.get(id)))
	return h.get(id).Activities[k]
}

// advance moves the mock clock; the executor's timer loop reacts.
func (h *harness) advance(d time.Duration) { h.clock.Add(d) }

func waitFor(cond func() bool) bool {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(time.Millisecond)
	}
	return cond()
}

func dump(r *release.Release) string {
	s := "release " + string(r.Status) + " " + r.Error + "\n"
	for _, ph := range r.Process.Phases {
		for _, a := range ph.Activities {
			st := r.Activities[release.Key(ph.ID, a.ID)]
			s += "  " + string(st.Key) + " " + string(st.Status) + " " + st.Error + "\n"
		}
	}
	return s
}

// events returns the kinds of a release's events, in order.
func (h *harness) events(id release.ID) []release.Event {
	h.t.Helper()
	evs, err := h.store.ListEvents(context.Background(), &store.ListEventsParams{Release: id, Limit: store.MaxLimit})
	require.NoError(h.t, err)
	for len(evs)%store.MaxLimit == 0 && len(evs) > 0 {
		more, err := h.store.ListEvents(context.Background(), &store.ListEventsParams{Release: id, AfterSeq: evs[len(evs)-1].Seq, Limit: store.MaxLimit})
		require.NoError(h.t, err)
		if len(more) == 0 {
			break
		}
		evs = append(evs, more...)
	}
	return evs
}

// recorder is an adapter that records its calls and answers with a
// function of the request.
type recorder struct {
	kind string
	fn   func(ctx context.Context, req *adapters.Request) (*adapters.Result, error)

	mu    sync.Mutex
	calls []adapters.Request
}

func (a *recorder) Kind() string { return a.kind }

func (a *recorder) Run(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
	a.mu.Lock()
	a.calls = append(a.calls, *req)
	a.mu.Unlock()
	if a.fn == nil {
		return &adapters.Result{}, nil
	}
	return a.fn(ctx, req)
}

func (a *recorder) Calls() []adapters.Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]adapters.Request(nil), a.calls...)
}

func (a *recorder) order() []release.ActivityKey {
	var out []release.ActivityKey
	for _, c := range a.Calls() {
		out = append(out, c.Activity)
	}
	return out
}

// checkNoLeak fails if goroutines started during a test outlive it.
func goroutinesSettle(before int) bool {
	return waitFor(func() bool { return runtime.NumGoroutine() <= before })
}
