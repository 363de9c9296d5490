package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// Options tunes the suite. A nil *Options is valid.
type Options struct {
	// ConcurrentAppends is how many goroutines append at one expected
	// sequence number in AppendEvents/ConcurrentAppendsHaveOneWinner.
	// Defaults to 50.
	ConcurrentAppends int
	// LongLogEvents is how many events AppendEvents/LongLogKeepsOrderAndChain
	// appends; it should cross store.MinSnapshotInterval at least twice so
	// loading from a snapshot is exercised. Defaults to 600.
	LongLogEvents int
	// RandomHistories is how many random legal histories (RandomEvents)
	// AppendEvents/RandomLegalHistoriesFoldToTheStoredRelease stores and
	// reloads. Defaults to 20.
	RandomHistories int
	// Tamperer, when set, edits the store's data behind its back for the
	// Tamper subtests: an edited snapshot or summary, a removed or edited
	// event and a log cut short must each be an error matching
	// store.ErrCorrupt that names the release. Defaults to nil: the Tamper
	// subtests are not run.
	Tamperer Tamperer
}

func (o *Options) withDefaults() Options {
	var c Options
	if o != nil {
		c = *o
	}
	if c.ConcurrentAppends <= 0 {
		c.ConcurrentAppends = 50
	}
	if c.RandomHistories <= 0 {
		c.RandomHistories = 20
	}
	if c.LongLogEvents <= 0 {
		c.LongLogEvents = 600
	}
	return c
}

// suite carries what every subtest needs.
type suite struct {
	newStore func(t *testing.T) store.Store
	opts     Options
}

// TestStore runs the conformance suite against the stores newStore makes.
// Every subtest gets a fresh store from newStore, and most run in parallel
// (t.Parallel), so newStore must return independent stores (a new
// database file or schema each time). Subtests are named Method/Behavior,
// so one can run a part with -run 'TestMyStore/AppendEvents/'.
//
// The lease subtests run when the store implements store.Leaser, the
// anchor subtests when it implements store.AnchorStore, the group history
// subtests when it implements store.GroupHistoryStore, the freeze subtests
// when it implements store.FreezeStore, the policy subtests when it
// implements store.PolicyStore, the link subtests when it implements
// store.LinkStore, the unfinished-list subtests when it
// implements store.UnfinishedLister, the notification subtests when it
// implements store.ReleaseNotifier, the feed subtests when it implements
// store.FeedStore, the feed signal subtests when it implements
// store.FeedNotifier, the cursor subtests when it implements store.CursorStore,
// the retention subtests when it implements store.RetentionStore, the
// digest subtests when it implements store.DigestStore.
//
//	func TestStore(t *testing.T) {
//		storetest.TestStore(t, func(t *testing.T) store.Store {
//			s, err := mystore.Open(filepath.Join(t.TempDir(), "baton.db"))
//			require.NoError(t, err)
//			t.Cleanup(func() { s.Close() })
//			return s
//		}, nil)
//	}
func TestStore(t *testing.T, newStore func(t *testing.T) store.Store, opts *Options) {
	t.Helper()
	s := &suite{newStore: newStore, opts: opts.withDefaults()}
	s.processTests(t)
	s.inputSetTests(t)
	s.releaseTests(t)
	s.groupTests(t)
	s.contextTests(t)
	if s.opts.Tamperer != nil {
		s.tamperTests(t)
	} else {
		t.Logf("storetest: no Options.Tamperer: tamper tests not run")
	}
	probe := newStore(t)
	if _, ok := probe.(store.AnchorStore); ok {
		s.anchorTests(t)
	} else {
		t.Logf("storetest: %T does not implement store.AnchorStore: anchor tests not run", probe)
	}
	if _, ok := probe.(store.GroupHistoryStore); ok {
		s.historyTests(t)
	} else {
		t.Logf("storetest: %T does not implement store.GroupHistoryStore: group history tests not run", probe)
	}
	if _, ok := probe.(store.FreezeStore); ok {
		s.freezeTests(t)
	} else {
		t.Logf("storetest: %T does not implement store.FreezeStore: freeze tests not run", probe)
	}
	if _, ok := probe.(store.PolicyStore); ok {
		s.policyTests(t)
	} else {
		t.Logf("storetest: %T does not implement store.PolicyStore: policy tests not run", probe)
	}
	if _, ok := probe.(store.LinkStore); ok {
		s.linkTests(t)
	} else {
		t.Logf("storetest: %T does not implement store.LinkStore: link tests not run", probe)
	}
	if _, ok := probe.(store.UnfinishedLister); ok {
		s.unfinishedTests(t)
	} else {
		t.Logf("storetest: %T does not implement store.UnfinishedLister: unfinished-list tests not run", probe)
	}
	if _, ok := probe.(store.RetentionStore); ok {
		_, leases := probe.(store.Leaser)
		s.retentionTests(t, leases)
	} else {
		t.Logf("storetest: %T does not implement store.RetentionStore: retention tests not run", probe)
	}
	if _, ok := probe.(store.DigestStore); ok {
		s.digestTests(t)
	} else {
		t.Logf("storetest: %T does not implement store.DigestStore: digest tests not run", probe)
	}
	if _, ok := probe.(store.Leaser); ok {
		s.leaseTests(t)
	} else {
		t.Logf("storetest: %T does not implement store.Leaser: lease tests not run", probe)
	}
	if _, ok := probe.(store.ReleaseNotifier); ok {
		s.notifyTests(t)
	} else {
		t.Logf("storetest: %T does not implement store.ReleaseNotifier: notification tests not run", probe)
	}
	if _, ok := probe.(store.FeedStore); ok {
		s.feedTests(t)
	} else {
		t.Logf("storetest: %T does not implement store.FeedStore: feed tests not run", probe)
	}
	if _, ok := probe.(store.FeedNotifier); ok {
		s.feedNotifyTests(t)
	} else {
		t.Logf("storetest: %T does not implement store.FeedNotifier: feed signal tests not run", probe)
	}
	if _, ok := probe.(store.CursorStore); ok {
		s.cursorTests(t)
	} else {
		t.Logf("storetest: %T does not implement store.CursorStore: cursor tests not run", probe)
	}
}

// run registers a parallel subtest with a fresh store.
func (s *suite) run(t *testing.T, name string, f func(t *testing.T, st store.Store)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		f(t, s.newStore(t))
	})
}

// group registers the Method level of Method/Behavior.
func group(t *testing.T, method string, f func(t *testing.T)) {
	t.Helper()
	t.Run(method, f)
}

var base = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func ctx(t *testing.T) context.Context { return t.Context() }

// requireSameJSON compares two values by their JSON encodings, the form
// durable stores keep: nil and empty collections are the same thing there.
func requireSameJSON(t *testing.T, want, got any, msgAndArgs ...any) {
	t.Helper()
	w, err := json.Marshal(want)
	require.NoError(t, err)
	g, err := json.Marshal(got)
	require.NoError(t, err)
	require.JSONEq(t, string(w), string(g), msgAndArgs...)
}

// testProcess returns a process with a build phase (one automated
// activity), a qa phase (a manual activity with tasks, an approval) and
// extra automated activities in a deploy phase. Values in With maps are
// JSON-decoded types (string, float64, bool, []any, map[string]any) so
// that they round-trip through any store unchanged.
func testProcess(id process.ID, extra int) *process.Process {
	p := &process.Process{
		ID: id, Name: "Process " + string(id), Description: "a test process",
		Inputs: []process.InputSpec{
			{Name: "version", Type: process.String, Required: true, Pattern: `^\d+\.\d+\.\d+$`},
			{Name: "percent", Type: process.Number, Default: 10.0},
		},
		Variables: []process.Variable{{Name: "tag", Value: "v${{ inputs.version }}"}},
		Phases: []process.Phase{
			{ID: "build", Owners: []string{"dev-team"}, Activities: []process.Activity{{
				ID: "compile", Uses: "ci.pipeline",
				With:    map[string]any{"pipeline": "mobile", "ref": "${{ vars.tag }}", "depth": 3.0, "flags": []any{"a", true}},
				Outputs: []string{"artifact"}, Timeout: process.Duration(30 * time.Minute),
				Retry: &process.RetryPolicy{MaxAttempts: 3, Backoff: process.Duration(30 * time.Second)},
			}}},
			{ID: "qa", DependsOn: []process.PhaseID{"build"}, Activities: []process.Activity{
				{ID: "regression", Type: process.Manual, Tasks: []process.Task{
					{ID: "run-suite", Name: "Run the suite", Assignees: []string{"group:qa"}, Required: true,
						ExpectedDuration: process.Duration(4 * time.Hour)},
				}, Outputs: []string{"report-url"}},
				{ID: "signoff", Type: process.Approval, DependsOn: []string{"regression"},
					Approval: &process.ApprovalPolicy{Approvers: []string{"group:qa-leads"}, Min: 1}},
			}},
		},
	}
	if extra > 0 {
		deploy := process.Phase{ID: "deploy", DependsOn: []process.PhaseID{"qa"}}
		for i := range extra {
			deploy.Activities = append(deploy.Activities, process.Activity{
				ID: process.ActivityID(fmt.Sprintf("step-%d", i)), Uses: "exec",
				With: map[string]any{"n": float64(i)},
			})
		}
		p.Phases = append(p.Phases, deploy)
	}
	return p
}

// releaseSpec describes a release the suite creates.
type releaseSpec struct {
	name       string
	process    process.ID
	group      release.GroupID
	occurrence time.Time
	scheduled  time.Time
	createdAt  time.Time
	labels     map[string]string
	extra      int
}

// newRelease makes a release (not stored) and its release.created event.
func newRelease(t *testing.T, spec releaseSpec) (*release.Release, release.Event) {
	t.Helper()
	r, created, err := makeRelease(spec)
	require.NoError(t, err)
	return r, created
}

// makeRelease is newRelease for goroutines, which must not call t.FailNow.
func makeRelease(spec releaseSpec) (*release.Release, release.Event, error) {
	if spec.createdAt.IsZero() {
		spec.createdAt = base
	}
	if spec.process == "" {
		spec.process = "mobile"
	}
	if spec.name == "" {
		spec.name = "release"
	}
	p := testProcess(spec.process, spec.extra)
	p.Version = 1
	id, err := release.NewID(spec.createdAt, nil)
	if err != nil {
		return nil, release.Event{}, err
	}
	return release.Create(id, spec.createdAt, "alice", "test", release.ReleaseCreatedPayload{
		Name: spec.name, Version: "2.4.0", Process: p,
		Inputs: map[string]any{"version": "2.4.0", "percent": 25.0, "services": []any{"api", "web"}},
		Group:  spec.group, Occurrence: spec.occurrence, ScheduledFor: spec.scheduled,
		ExpectedStart: spec.scheduled, ExpectedEnd: spec.createdAt.Add(8 * time.Hour),
		Labels: spec.labels,
	})
}

// createRelease makes and stores a release.
func createRelease(t *testing.T, st store.Store, spec releaseSpec) *release.Release {
	t.Helper()
	r, created := newRelease(t, spec)
	require.NoError(t, st.CreateRelease(ctx(t), &store.CreateReleaseParams{Events: []release.Event{created}, Release: r}))
	return r
}

// record seals payloads after r's head and applies them to r.
func record(t *testing.T, r *release.Release, at time.Time, payloads ...release.Payload) []release.Event {
	t.Helper()
	events := make([]release.Event, len(payloads))
	for i, p := range payloads {
		e, err := release.NewEvent(at, "bob", "because", p)
		require.NoError(t, err)
		events[i] = e
	}
	sealed, err := r.Record(events...)
	require.NoError(t, err)
	return sealed
}

// appendTo records payloads on r and appends them to the store.
func appendTo(t *testing.T, st store.Store, r *release.Release, at time.Time, payloads ...release.Payload) []release.Event {
	t.Helper()
	expected := r.Seq
	sealed := record(t, r, at, payloads...)
	require.NoError(t, st.AppendEvents(ctx(t), &store.AppendEventsParams{ExpectedSeq: expected, Events: sealed, Release: r}))
	return sealed
}

// allEvents reads a release's whole log, page by page.
func allEvents(t *testing.T, st store.Store, id release.ID, limit int) []release.Event {
	t.Helper()
	var all []release.Event
	after := int64(0)
	for {
		page, err := st.ListEvents(ctx(t), &store.ListEventsParams{Release: id, AfterSeq: after, Limit: limit})
		require.NoError(t, err)
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		after = page[len(page)-1].Seq
	}
}

// requireStoredRelease checks that the store's release is want: loaded,
// folded from the stored log, and summarised.
func requireStoredRelease(t *testing.T, st store.Store, want *release.Release) {
	t.Helper()
	got, err := st.GetRelease(ctx(t), want.ID)
	require.NoError(t, err)
	requireSameJSON(t, want, got, "GetRelease")
	requireSameJSON(t, want.Summary(), got.Summary(), "the summary of the loaded release")
	requireSameJSON(t, release.Progress(want), release.Progress(got), "the progress of the loaded release")
	events := allEvents(t, st, want.ID, 0)
	require.NoError(t, release.VerifyChain(events), "the stored chain verifies")
	folded, err := release.Fold(events)
	require.NoError(t, err)
	requireSameJSON(t, want, folded, "folding the stored events")
	sum, err := st.GetReleaseSummary(ctx(t), want.ID)
	require.NoError(t, err)
	requireSameJSON(t, want.Summary(), sum, "GetReleaseSummary")
}
