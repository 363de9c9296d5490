package releasetest_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/adapters/adaptertest"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/release/releasetest"
)

const train = `
id: train
name: Release train
inputs:
  version: {required: true}
phases:
  - id: build
    activities:
      - id: compile
        uses: ci.pipeline
        with: {ref: 'v${{ inputs.version }}'}
        outputs: [artifact]
        retry: {max-attempts: 3, backoff: 10m}
      - id: lint
        uses: ci.lint
  - id: qa
    depends-on: [build]
    activities:
      - id: regression
        type: manual
        tasks: [{id: run-suite, assignees: [dave], required: true}]
        outputs: [report-url]
      - id: signoff
        type: approval
        depends-on: [regression]
        approval: {approvers: ['group:qa-leads'], min: 2, deadline: 24h, forbid-initiator: true}
  - id: deploy
    depends-on: [qa]
    activities:
      - id: rollout
        uses: cd.deploy
        with: {artifact: '${{ phases.build.activities.compile.outputs.artifact }}'}
`

// newTrain builds the sample train: a build that fails twice (backoff
// 10m, then 20m), a lint in parallel, a manual regression that takes a day,
// a quorum approval, then a 20-minute deploy. Fakes given a nil clock wait
// on package time, which is virtual inside Run.
func newTrain(t *testing.T) *releasetest.Harness {
	compile := adaptertest.NewFake("ci.pipeline", nil).
		WithOutputs(map[string]any{"artifact": "app-2.4.0.apk"}).
		WithDelay(15*time.Minute).
		FailTimes(2, nil)
	lint := adaptertest.NewFake("ci.lint", nil).WithDelay(15 * time.Minute)
	deploy := adaptertest.NewFake("cd.deploy", nil).WithDelay(20 * time.Minute)
	h := releasetest.NewYAML(t, train, &releasetest.Config{
		Inputs:   map[string]any{"version": "2.4.0"},
		Adapters: []adapters.Adapter{compile, lint, deploy},
		Groups:   map[string][]string{"qa-leads": {"erin", "frank", "initiator"}},
	})
	h.SubmitOutputs("qa.regression", "dave", map[string]any{"report-url": "https://ci/r/1"}).After(20 * time.Hour)
	h.CompleteTask("qa.regression", "run-suite", "dave").After(24 * time.Hour)
	h.Approve("qa.signoff", "initiator").ExpectError(executor.ErrForbidden)
	h.Approve("qa.signoff", "erin").After(2 * time.Hour)
	h.Approve("qa.signoff", "frank").After(3 * time.Hour).Because("looks good")
	return h
}

func TestRunDrivesAWeekOfReleaseOnTheVirtualClock(t *testing.T) {
	res := newTrain(t).Run(t)
	releasetest.RequireStatus(t, res, release.Succeeded)
	releasetest.RequireActivity(t, res, "build.compile", releasetest.ActivityWant{
		Status: release.ActivitySucceeded, Attempts: 3, Outputs: map[string]any{"artifact": "app-2.4.0.apk"},
	})
	releasetest.RequireActivity(t, res, "qa.signoff", releasetest.ActivityWant{ApprovedBy: []string{"erin", "frank"}})
	releasetest.RequireOrder(t, res, "build.compile", "qa.regression", "qa.signoff", "deploy.rollout")
	releasetest.RequireEvents(t, res,
		releasetest.EventWant{Kind: release.KindOutputsSubmitted, Actor: "dave"},
		releasetest.EventWant{Kind: release.KindApprovalGranted, Actor: "frank", ReasonContains: "looks good"},
		releasetest.EventWant{Kind: release.KindActivityStarted, Activity: "deploy.rollout"},
	)
	// compile: 15m + 10m backoff + 15m + 20m backoff + 15m = 75m; regression
	// 24h; signoff 3h; rollout 20m.
	want := 75*time.Minute + 24*time.Hour + 3*time.Hour + 20*time.Minute
	releasetest.RequireRelease(t, res, releasetest.ReleaseWant{MinDuration: want, MaxDuration: want})
	require.Equal(t, res.Start.Add(want), res.End)
	require.Empty(t, res.Unused)
}

func TestRunTwiceGivesTheSameEventLogByteForByte(t *testing.T) {
	a := newTrain(t).Run(t)
	b := newTrain(t).Run(t)
	require.NotEmpty(t, a.EventLog())
	require.True(t, bytes.Equal(a.EventLog(), b.EventLog()), "event logs differ:\n%s\n----\n%s", a.EventLog(), b.EventLog())
}

func TestTheReleaseStartsAtTheGivenTimeAndTheClockEndsWithTheRun(t *testing.T) {
	start := time.Date(2027, 3, 1, 22, 30, 0, 0, time.UTC)
	h := releasetest.NewYAML(t, "id: one\nphases:\n  - id: a\n    activities: [{id: b, uses: x}]\n", &releasetest.Config{
		Start:    start,
		Adapters: []adapters.Adapter{adaptertest.NewFake("x", nil).WithDelay(3 * time.Hour)},
	})
	require.Equal(t, start, h.Clock().Now(), "before Run the clock reads Config.Start")
	res := h.Run(t)
	require.Equal(t, start, res.Release.CreatedAt)
	require.Equal(t, start, res.Events[0].Time)
	require.Equal(t, start.Add(3*time.Hour), res.Release.EndedAt)
	require.Equal(t, res.End, h.Clock().Now(), "after Run the clock reads the end")
}
