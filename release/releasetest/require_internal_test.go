package releasetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
)

// testingT records what a Require function reports instead of failing the
// test, so the helpers can be checked to fail when they should. Its
// FailNow stops the helper with a panic that check recovers.
type testingT struct {
	testing.TB
	failed bool
	msg    string
}

type failNow struct{}

func (f *testingT) Helper() {}
func (f *testingT) Errorf(format string, args ...any) {
	f.failed = true
	f.msg += fmt.Sprintf(format, args...)
}
func (f *testingT) Fatalf(format string, args ...any) { f.Errorf(format, args...); f.FailNow() }
func (f *testingT) FailNow()                          { f.failed = true; panic(failNow{}) }

// check runs fn against a testingT and returns it.
func check(t *testing.T, fn func(tb testing.TB)) *testingT {
	ft := &testingT{TB: t}
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(failNow); !ok {
					panic(r)
				}
			}
		}()
		fn(ft)
	}()
	return ft
}

// sample builds a Result by folding events by hand: build.compile
// succeeded on its second attempt with an artifact, qa.signoff approved by
// bob, the release succeeded after 3h.
func sample(t *testing.T) *Result {
	p, err := process.Parse([]byte(`
id: s
phases:
  - id: build
    activities:
      - {id: compile, uses: ci, outputs: [artifact]}
  - id: qa
    depends-on: [build]
    activities:
      - {id: signoff, type: approval, approval: {approvers: [bob]}}
`))
	require.NoError(t, err)
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	id := release.ID("0194357a-8a00-7000-8000-000000000001")
	r, created, err := release.Create(id, t0, "alice", "", release.ReleaseCreatedPayload{Name: "s", Process: p, ScheduledFor: t0})
	require.NoError(t, err)
	evs := []release.Event{created}
	add := func(at time.Duration, actor, reason string, pl release.Payload) {
		e, err := release.NewEvent(t0.Add(at), actor, reason, pl)
		require.NoError(t, err)
		sealed, err := r.Record(e)
		require.NoError(t, err)
		evs = append(evs, sealed...)
	}
	add(0, "alice", "", &release.ReleaseStartedPayload{})
	add(0, "executor", "", &release.PhaseStartedPayload{Phase: "build"})
	add(0, "executor", "", &release.ActivityStartedPayload{Activity: "build.compile"})
	add(time.Minute, "executor", "", &release.ActivityFailedPayload{Activity: "build.compile", Error: "boom"})
	add(2*time.Minute, "executor", "retry", &release.ActivityStartedPayload{Activity: "build.compile"})
	add(3*time.Minute, "executor", "", &release.ActivitySucceededPayload{Activity: "build.compile", Outputs: map[string]any{"artifact": "app.apk", "size": json.Number("42")}})
	add(3*time.Minute, "executor", "", &release.PhaseSucceededPayload{Phase: "build"})
	add(3*time.Minute, "executor", "", &release.PhaseStartedPayload{Phase: "qa"})
	add(3*time.Minute, "executor", "", &release.ActivityStartedPayload{Activity: "qa.signoff"})
	add(3*time.Minute, "executor", "", &release.ActivityWaitingPayload{Activity: "qa.signoff"})
	add(3*time.Hour, "bob", "ship it", &release.ApprovalGrantedPayload{Activity: "qa.signoff", Comment: "ship it"})
	add(3*time.Hour, "executor", "", &release.ActivitySucceededPayload{Activity: "qa.signoff"})
	add(3*time.Hour, "executor", "", &release.PhaseSucceededPayload{Phase: "qa"})
	add(3*time.Hour, "executor", "", &release.ReleaseSucceededPayload{})
	return &Result{Release: r, Events: evs, Start: t0, End: t0.Add(3 * time.Hour)}
}

func TestRequireHelpersPassAndFailWhenTheyShould(t *testing.T) {
	res := sample(t)
	cases := []struct {
		name string
		fn   func(tb testing.TB)
		fail string // "" when the helper must pass; else part of its message
	}{
		{"status matches", func(tb testing.TB) { RequireStatus(tb, res, release.Succeeded) }, ""},
		{"status differs", func(tb testing.TB) { RequireStatus(tb, res, release.Failed) }, "is Succeeded, want Failed"},
		{"zero release want checks nothing", func(tb testing.TB) { RequireRelease(tb, res, ReleaseWant{}) }, ""},
		{"duration within bounds", func(tb testing.TB) {
			RequireRelease(tb, res, ReleaseWant{MinDuration: 3 * time.Hour, MaxDuration: 3 * time.Hour})
		}, ""},
		{"duration too long", func(tb testing.TB) { RequireRelease(tb, res, ReleaseWant{MaxDuration: time.Hour}) }, "took 3h0m0s, want at most 1h0m0s"},
		{"duration too short", func(tb testing.TB) { RequireRelease(tb, res, ReleaseWant{MinDuration: 4 * time.Hour}) }, "want at least 4h0m0s"},
		{"release error", func(tb testing.TB) { RequireRelease(tb, res, ReleaseWant{ErrorContains: "boom"}) }, "does not contain"},
		{"activity matches", func(tb testing.TB) {
			RequireActivity(tb, res, "build.compile", ActivityWant{Status: release.ActivitySucceeded, Attempts: 2,
				Outputs: map[string]any{"artifact": "app.apk", "size": 42}, Actor: "executor"})
		}, ""},
		{"zero activity want checks only that it exists", func(tb testing.TB) { RequireActivity(tb, res, "qa.signoff", ActivityWant{}) }, ""},
		{"unknown activity", func(tb testing.TB) { RequireActivity(tb, res, "qa.nope", ActivityWant{}) }, `no activity "qa.nope" (it has build.compile, qa.signoff)`},
		{"activity status", func(tb testing.TB) {
			RequireActivity(tb, res, "build.compile", ActivityWant{Status: release.ActivityFailed})
		}, "build.compile is Succeeded, want Failed"},
		{"attempts", func(tb testing.TB) { RequireActivity(tb, res, "build.compile", ActivityWant{Attempts: 3}) }, "made 2 attempt(s), want 3"},
		{"missing output", func(tb testing.TB) {
			RequireActivity(tb, res, "build.compile", ActivityWant{Outputs: map[string]any{"commit": "abc"}})
		}, `no output "commit"`},
		{"wrong output", func(tb testing.TB) {
			RequireActivity(tb, res, "build.compile", ActivityWant{Outputs: map[string]any{"artifact": "web.zip"}})
		}, `output "artifact" is "app.apk"`},
		{"activity error", func(tb testing.TB) {
			RequireActivity(tb, res, "build.compile", ActivityWant{ErrorContains: "kaput"})
		}, `error "boom" does not contain "kaput"`},
		{"approvers", func(tb testing.TB) { RequireActivity(tb, res, "qa.signoff", ActivityWant{ApprovedBy: []string{"bob"}}) }, ""},
		{"wrong approvers", func(tb testing.TB) {
			RequireActivity(tb, res, "qa.signoff", ActivityWant{ApprovedBy: []string{"carol"}})
		}, "approved by [bob], want [carol]"},
		{"attempt actor", func(tb testing.TB) { RequireActivity(tb, res, "build.compile", ActivityWant{Actor: "oncall"}) }, "started by executor, want oncall"},
		{"order holds", func(tb testing.TB) { RequireOrder(tb, res, "build.compile", "qa.signoff") }, ""},
		{"order reversed", func(tb testing.TB) { RequireOrder(tb, res, "qa.signoff", "build.compile") }, "build.compile is missing or out of place"},
		{"order names an activity that never started", func(tb testing.TB) { RequireOrder(tb, res, "deploy.rollout") }, "deploy.rollout is missing"},
		{"events in order", func(tb testing.TB) {
			RequireEvents(tb, res,
				EventWant{Kind: release.KindActivityFailed, Activity: "build.compile"},
				EventWant{Actor: "bob", ReasonContains: "ship"},
				EventWant{Kind: release.KindReleaseSucceeded})
		}, ""},
		{"events out of order", func(tb testing.TB) {
			RequireEvents(tb, res, EventWant{Kind: release.KindReleaseSucceeded}, EventWant{Kind: release.KindApprovalGranted})
		}, "no event {approval.granted}"},
		{"event with a wrong actor", func(tb testing.TB) {
			RequireEvents(tb, res, EventWant{Kind: release.KindApprovalGranted, Actor: "carol"})
		}, "no event {approval.granted actor=carol}"},
		{"no event holds", func(tb testing.TB) { RequireNoEvent(tb, res, EventWant{Kind: release.KindApprovalRejected}) }, ""},
		{"no event fails", func(tb testing.TB) {
			RequireNoEvent(tb, res, EventWant{Kind: release.KindActivityFailed})
		}, "unexpected event 5 activity.failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ft := check(t, c.fn)
			if c.fail == "" {
				require.False(t, ft.failed, "helper failed: %s", ft.msg)
				return
			}
			require.True(t, ft.failed, "helper passed; want a failure containing %q", c.fail)
			require.Contains(t, ft.msg, c.fail)
		})
	}
}

func TestStartOrderListsFirstAttemptsOnly(t *testing.T) {
	require.Equal(t, []release.ActivityKey{"build.compile", "qa.signoff"}, StartOrder(sample(t)))
}

func TestNewFailsOnAProcessTheAdaptersDoNotFit(t *testing.T) {
	p, err := process.Parse([]byte("id: x\nphases:\n  - id: a\n    activities: [{id: b, uses: ci.build}]\n"))
	require.NoError(t, err)
	ft := check(t, func(tb testing.TB) { New(tb, p, nil) })
	require.True(t, ft.failed)
	require.Contains(t, ft.msg, `phases.a.activities.b.uses: no adapter registered for kind "ci.build"`)

	ft = check(t, func(tb testing.TB) { NewYAML(tb, "id: x\nphases: 3\n", nil) })
	require.True(t, ft.failed)
	require.Contains(t, ft.msg, "releasetest: process document")

	ft = check(t, func(tb testing.TB) { New(tb, p, &Config{Limit: -time.Second}) })
	require.Contains(t, ft.msg, "Limit -1s: must not be negative")
}
