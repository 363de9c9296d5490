package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	nethttp "net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/executor/notify"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
	"github.com/batonhq/baton/store/sqlite"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// testProcess has a build phase (compile, automated), and a qa phase with
// a manual task on group:qa and an approval by group:qa-leads.
func testProcess(id process.ID) *process.Process {
	return &process.Process{ID: id, Version: 1, Name: "Process " + string(id), Phases: []process.Phase{
		{ID: "build", Activities: []process.Activity{{ID: "compile", Uses: "ci.pipeline",
			ExpectedDuration: process.Duration(time.Hour)}}},
		{ID: "qa", DependsOn: []process.PhaseID{"build"}, Activities: []process.Activity{
			{ID: "regression", Type: process.Manual, Tasks: []process.Task{{ID: "run-suite", Name: "Run the suite", Assignees: []string{"carol", "group:qa"}, Required: true}}},
			{ID: "signoff", Type: process.Approval, DependsOn: []string{"regression"},
				Approval: &process.ApprovalPolicy{Approvers: []string{"group:qa-leads"}, Min: 1}},
		}},
	}}
}

// testStore is what the tests need of a store: memstore and sqlite are.
type testStore interface {
	store.Store
	store.FeedStore
	store.CursorStore
	store.Leaser
}

// script writes releases' events to a store, as an executor would.
type script struct {
	t  *testing.T
	st testStore
	// written counts the events written (settle waits for the feed to
	// hold them all).
	written int
}

func newScript(t *testing.T) *script { return &script{t: t, st: memstore.New(nil)} }

// newSQLiteScript is newScript on a SQLite file (synchronous=NORMAL: the
// tests are about order, not durability).
func newSQLiteScript(t *testing.T) *script {
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "baton.db"), &sqlite.Options{Synchronous: sqlite.SyncNormal})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return &script{t: t, st: st}
}

type spec struct {
	name    string
	process process.ID
	group   release.GroupID
	labels  map[string]string
	at      time.Time
	end     time.Time // expected end
}

func (s *script) create(sp spec) *release.Release {
	s.t.Helper()
	if sp.process == "" {
		sp.process = "mobile"
	}
	if sp.at.IsZero() {
		sp.at = t0
	}
	id, err := release.NewID(sp.at, nil)
	require.NoError(s.t, err)
	var occ time.Time
	if sp.group != "" {
		occ = sp.at
	}
	r, created, err := release.Create(id, sp.at, "alice", "", release.ReleaseCreatedPayload{
		Name: sp.name, Version: "1.0", Process: testProcess(sp.process), Group: sp.group, Occurrence: occ,
		Labels: sp.labels, ExpectedEnd: sp.end,
	})
	require.NoError(s.t, err)
	require.NoError(s.t, s.st.CreateRelease(context.Background(), &store.CreateReleaseParams{Events: []release.Event{created}, Release: r}))
	s.written++
	return r
}

func (s *script) append(r *release.Release, at time.Time, payloads ...release.Payload) []release.Event {
	s.t.Helper()
	events := make([]release.Event, len(payloads))
	for i, p := range payloads {
		e, err := release.NewEvent(at, "bob", "", p)
		require.NoError(s.t, err)
		events[i] = e
	}
	expected := r.Seq
	sealed, err := r.Record(events...)
	require.NoError(s.t, err)
	require.NoError(s.t, s.st.AppendEvents(context.Background(), &store.AppendEventsParams{ExpectedSeq: expected, Events: sealed, Release: r}))
	s.written += len(sealed)
	return sealed
}

// settle waits until the feed holds every event the script wrote: a
// PostgreSQL feed holds committed events back while an older transaction
// of the cluster (another test's) is in flight. It returns at once on the
// other stores.
func (s *script) settle() *script {
	s.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		n, after := 0, ""
		for {
			page, err := s.st.ListAllEvents(context.Background(), &store.ListAllEventsParams{After: after, Limit: store.MaxLimit})
			require.NoError(s.t, err)
			n += len(page.Events)
			if len(page.Events) == 0 {
				break
			}
			after = page.Next
		}
		if n >= s.written {
			return s
		}
		require.True(s.t, time.Now().Before(deadline), "the feed holds %d of the %d events written", n, s.written)
		time.Sleep(10 * time.Millisecond)
	}
}

// toApproval runs r to its approval, waiting, at at.
func (s *script) toApproval(r *release.Release, at time.Time) {
	s.t.Helper()
	s.append(r, at, release.ReleaseStartedPayload{}, release.PhaseStartedPayload{Phase: "build"},
		release.ActivityStartedPayload{Activity: "build.compile"})
	s.append(r, at, release.ActivitySucceededPayload{Activity: "build.compile"}, release.PhaseSucceededPayload{Phase: "build"},
		release.PhaseStartedPayload{Phase: "qa"}, release.ActivityStartedPayload{Activity: "qa.regression"},
		release.ActivityWaitingPayload{Activity: "qa.regression"})
	s.append(r, at, release.TaskUpdatedPayload{Activity: "qa.regression", Task: "run-suite", Status: release.TaskSucceeded},
		release.ActivitySucceededPayload{Activity: "qa.regression"},
		release.ActivityStartedPayload{Activity: "qa.signoff"}, release.ActivityWaitingPayload{Activity: "qa.signoff"})
}

// recorder is a Notifier that keeps what it is told.
type recorder struct {
	mu   sync.Mutex
	msgs []*notify.Message
}

func (r *recorder) Notify(_ context.Context, m *notify.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := *m
	r.msgs = append(r.msgs, &c)
	return nil
}

func (r *recorder) keys() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := []string{}
	for _, m := range r.msgs {
		out = append(out, m.Key)
	}
	return out
}

func (r *recorder) byType(t notify.Type) []*notify.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*notify.Message
	for _, m := range r.msgs {
		if m.Type == t {
			out = append(out, m)
		}
	}
	return out
}

func groups(_ context.Context, name string) ([]string, error) {
	switch name {
	case "qa":
		return []string{"dave", "erin"}, nil
	case "qa-leads":
		return []string{"frank"}, nil
	case "managers":
		return []string{"grace"}, nil
	}
	return nil, io.EOF
}

func newDispatcher(t *testing.T, st store.Store, clk notify.Clock, rules ...notify.Rule) *notify.Dispatcher {
	t.Helper()
	d, err := notify.New(st, &notify.Config{Rules: rules, FromStart: true, ResolveGroup: groups, Clock: clk, CheckInterval: time.Minute, Logger: quiet,
		Instance: "test-node"})
	require.NoError(t, err)
	return d
}

func poll(t *testing.T, d *notify.Dispatcher) int {
	t.Helper()
	n, err := d.Poll(context.Background())
	require.NoError(t, err)
	return n
}

// receiver is an httptest server that records the bodies posted, and
// fails the first fail requests with 503.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	fail   int
	bodies []map[string]any
	keys   []string
	check  func(r *nethttp.Request) error
}

func newReceiver(t *testing.T, fail int) *receiver {
	rc := &receiver{fail: fail}
	rc.Server = httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if rc.check != nil {
			if err := rc.check(r); err != nil {
				nethttp.Error(w, err.Error(), nethttp.StatusUnauthorized)
				return
			}
		}
		if rc.fail > 0 {
			rc.fail--
			nethttp.Error(w, "down", nethttp.StatusServiceUnavailable)
			return
		}
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			nethttp.Error(w, err.Error(), nethttp.StatusBadRequest)
			return
		}
		rc.bodies = append(rc.bodies, body)
		rc.keys = append(rc.keys, r.Header.Get(notify.IdempotencyKeyHeader))
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) got() ([]string, []map[string]any) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.keys...), append([]map[string]any(nil), rc.bodies...)
}

var _ notify.Clock = clock.NewMock()

// quiet discards the dispatcher's logs.
var quiet = slog.New(slog.DiscardHandler)
