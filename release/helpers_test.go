package release_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// mobileProcess: build.compile (automated, 30m expected), qa.regression
// (manual, two tasks), qa.signoff (approval, after regression), deploy.rollout
// (automated, after qa).
func mobileProcess() *process.Process {
	return &process.Process{
		ID: "mobile", Version: 3, Name: "Mobile",
		Phases: []process.Phase{
			{ID: "build", Owners: []string{"dev-team"}, Activities: []process.Activity{
				{ID: "compile", Uses: "ci.pipeline", ExpectedDuration: process.Duration(30 * time.Minute), Outputs: []string{"artifact"}},
			}},
			{ID: "qa", DependsOn: []process.PhaseID{"build"}, Owners: []string{"group:qa"}, Activities: []process.Activity{
				{ID: "regression", Type: process.Manual, Outputs: []string{"report-url"}, Tasks: []process.Task{
					{ID: "run-suite", Assignees: []string{"group:qa"}, Required: true, ExpectedDuration: process.Duration(4 * time.Hour)},
					{ID: "notes", Assignees: []string{"erin"}},
				}},
				{ID: "signoff", Type: process.Approval, DependsOn: []string{"regression"},
					ExpectedDuration: process.Duration(time.Hour),
					Approval:         &process.ApprovalPolicy{Approvers: []string{"group:qa-leads", "frank"}, Min: 2}},
			}},
			{ID: "deploy", DependsOn: []process.PhaseID{"qa"}, Activities: []process.Activity{
				{ID: "rollout", Uses: "cd.deploy", ExpectedDuration: process.Duration(20 * time.Minute)},
			}},
		},
	}
}

func newMobile(t *testing.T) (*release.Release, []release.Event) {
	t.Helper()
	id, err := release.NewID(t0, nil)
	require.NoError(t, err)
	r, created, err := release.Create(id, t0, "alice", "weekly train", release.ReleaseCreatedPayload{
		Name: "Mobile 2.4", Version: "2.4.0", Process: mobileProcess(),
		Inputs:        map[string]any{"version": "2.4.0"},
		ExpectedStart: t0.Add(time.Hour), ExpectedEnd: t0.Add(8 * time.Hour),
		Labels: map[string]string{"team": "mobile"},
	})
	require.NoError(t, err)
	return r, []release.Event{created}
}

func ev(t *testing.T, at time.Time, actor string, p release.Payload) release.Event {
	t.Helper()
	e, err := release.NewEvent(at, actor, "because", p)
	require.NoError(t, err)
	return e
}

// rec records payloads on r (as bob) and appends them to log.
func rec(t *testing.T, r *release.Release, log *[]release.Event, at time.Time, payloads ...release.Payload) {
	t.Helper()
	events := make([]release.Event, len(payloads))
	for i, p := range payloads {
		events[i] = ev(t, at, "bob", p)
	}
	sealed, err := r.Record(events...)
	require.NoError(t, err)
	*log = append(*log, sealed...)
}

// state captures everything observable about a release, to check that a
// failed Apply changed nothing.
func state(t *testing.T, r *release.Release) string {
	t.Helper()
	doc, err := json.Marshal(r)
	require.NoError(t, err)
	sum, err := json.Marshal(r.Summary())
	require.NoError(t, err)
	prog, err := json.Marshal(release.Progress(r))
	require.NoError(t, err)
	return string(doc) + string(sum) + string(prog)
}

// running returns the mobile release started, with its build phase running.
func running(t *testing.T) (*release.Release, []release.Event) {
	t.Helper()
	r, log := newMobile(t)
	rec(t, r, &log, t0.Add(time.Hour), release.ReleaseStartedPayload{}, release.PhaseStartedPayload{Phase: "build"})
	return r, log
}
