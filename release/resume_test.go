package release_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
)

// gateProcess: build.compile (automated), then gate.ok (approval, 24h
// deadline, 48h timeout) beside gate.notes (manual, 2h timeout).
func gateProcess() *process.Process {
	return &process.Process{
		ID: "gate", Version: 1,
		Phases: []process.Phase{
			{ID: "build", Activities: []process.Activity{{ID: "compile", Uses: "ci"}}},
			{ID: "gate", DependsOn: []process.PhaseID{"build"}, Activities: []process.Activity{
				{ID: "ok", Type: process.Approval, Timeout: process.Duration(48 * time.Hour),
					Approval: &process.ApprovalPolicy{Approvers: []string{"frank", "gina"}, Min: 2, Deadline: process.Duration(24 * time.Hour)}},
				{ID: "notes", Type: process.Manual, Timeout: process.Duration(2 * time.Hour),
					Tasks: []process.Task{{ID: "write", Assignees: []string{"erin"}, Required: true}}},
			}},
		},
	}
}

func TestResumeTellsWhetherAReleaseNeedsALoadAndWhenItsNextTimerFalls(t *testing.T) {
	at := t0.Add(time.Hour)
	type step struct {
		at time.Time
		p  []release.Payload
	}
	built := []step{
		{at, []release.Payload{release.ReleaseStartedPayload{}, release.PhaseStartedPayload{Phase: "build"}, release.ActivityStartedPayload{Activity: "build.compile"}}},
		{at.Add(time.Minute), []release.Payload{release.ActivitySucceededPayload{Activity: "build.compile"}, release.PhaseSucceededPayload{Phase: "build"},
			release.PhaseStartedPayload{Phase: "gate"}, release.ActivityStartedPayload{Activity: "gate.ok"}, release.ActivityWaitingPayload{Activity: "gate.ok"}}},
	}
	gateStart := at.Add(time.Minute)
	for _, tc := range []struct {
		name  string
		steps []step
		want  release.Resume
	}{
		{"a scheduled release waits for its start", nil, release.Resume{At: t0.Add(30 * time.Minute)}},
		{"a running automated attempt must be re-run", built[:1], release.Resume{Load: true}},
		{"an approval waits for its deadline", built, release.Resume{At: gateStart.Add(24 * time.Hour)}},
		{"a manual task's timeout comes first", append(built[:2:2], step{at.Add(2 * time.Minute), []release.Payload{
			release.ActivityStartedPayload{Activity: "gate.notes"}, release.ActivityWaitingPayload{Activity: "gate.notes"}}}),
			release.Resume{At: at.Add(2*time.Minute + 2*time.Hour)}},
		{"a decision on an approval needs a load (its outcome may wait on a lookup)", append(built[:2:2], step{at.Add(3 * time.Minute), []release.Payload{
			release.ApprovalGrantedPayload{Activity: "gate.ok"}}}), release.Resume{Load: true}},
		{"a paused release keeps its timers", append(built[:2:2], step{at.Add(3 * time.Minute), []release.Payload{
			release.ReleasePausedPayload{}}}), release.Resume{At: gateStart.Add(24 * time.Hour)}},
		{"a failed attempt waits for its retry: load", append(built[:1:1], step{at.Add(3 * time.Minute), []release.Payload{
			release.ActivityFailedPayload{Activity: "build.compile", Error: "exit 1"}}}), release.Resume{Load: true}},
		{"a finished release needs nothing", append(built[:2:2], step{at.Add(3 * time.Minute), []release.Payload{
			release.ReleaseAbortedPayload{}}}), release.Resume{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := release.NewID(t0, nil)
			require.NoError(t, err)
			r, _, err := release.Create(id, t0, "alice", "", release.ReleaseCreatedPayload{Name: "gate", Process: gateProcess(), ScheduledFor: t0.Add(30 * time.Minute)})
			require.NoError(t, err)
			var log []release.Event
			for _, s := range tc.steps {
				rec(t, r, &log, s.at, s.p...)
			}
			require.Equal(t, tc.want, r.Resume())
			// A snapshot gives the same answer (the counters are rebuilt).
			doc, err := r.MarshalSnapshot()
			require.NoError(t, err)
			back, err := release.UnmarshalSnapshot(doc)
			require.NoError(t, err)
			require.Equal(t, tc.want, back.Resume())
		})
	}
}
