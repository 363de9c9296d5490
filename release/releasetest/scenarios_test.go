package releasetest_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/adapters/adaptertest"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/release/releasetest"
)

const gate = `
id: gate
phases:
  - id: qa
    activities:
      - id: signoff
        type: approval
        approval: {approvers: [bob, carol], min: 1, deadline: 8h}
  - id: ship
    depends-on: [qa]
    activities:
      - {id: deploy, uses: cd.deploy}
`

func TestARejectionHoldsTheActivityUntilAnOperatorRetries(t *testing.T) {
	h := releasetest.NewYAML(t, gate, &releasetest.Config{Adapters: []adapters.Adapter{adaptertest.NewFake("cd.deploy", nil)}})
	h.Reject("qa.signoff", "bob").After(time.Hour).Because("crash rate too high")
	h.Retry("qa.signoff", "oncall").After(30 * time.Minute)
	h.Approve("qa.signoff", "carol").After(2 * time.Hour)
	res := h.Run(t)

	releasetest.RequireStatus(t, res, release.Succeeded)
	releasetest.RequireActivity(t, res, "qa.signoff", releasetest.ActivityWant{Attempts: 2, ApprovedBy: []string{"carol"}, Actor: "oncall"})
	releasetest.RequireEvents(t, res,
		releasetest.EventWant{Kind: release.KindApprovalRejected, Actor: "bob", ReasonContains: "crash rate"},
		releasetest.EventWant{Kind: release.KindActivityHeld, Activity: "qa.signoff"},
		releasetest.EventWant{Kind: release.KindActivityStarted, Activity: "qa.signoff", Actor: "oncall"},
		releasetest.EventWant{Kind: release.KindApprovalGranted, Actor: "carol"},
	)
	releasetest.RequireRelease(t, res, releasetest.ReleaseWant{MinDuration: 3*time.Hour + 30*time.Minute, MaxDuration: 3*time.Hour + 30*time.Minute})
}

func TestAMissedDeadlineLeavesTheReleaseWaitingAndRunSaysWhy(t *testing.T) {
	h := releasetest.NewYAML(t, gate, &releasetest.Config{Adapters: []adapters.Adapter{adaptertest.NewFake("cd.deploy", nil)}})
	res := h.Run(t)

	releasetest.RequireStatus(t, res, release.Running)
	releasetest.RequireActivity(t, res, "qa.signoff", releasetest.ActivityWant{Status: release.ActivityOnHold, ErrorContains: "deadline"})
	require.Contains(t, res.Stopped, "nothing more can happen")
	require.Equal(t, res.Start.Add(8*time.Hour), res.End, "the run stops when the deadline has passed, not at the limit")
	require.Contains(t, releasetest.Describe(res), "qa.signoff waits for operator")
}

func TestAStepThatNeverFitsIsReported(t *testing.T) {
	h := releasetest.NewYAML(t, gate, &releasetest.Config{Adapters: []adapters.Adapter{adaptertest.NewFake("cd.deploy", nil)}})
	h.Approve("qa.signoff", "bob")
	h.Retry("ship.deploy", "oncall").Optional()
	res := h.Run(t)
	releasetest.RequireStatus(t, res, release.Succeeded)
	require.Equal(t, []string{"oncall retry ship.deploy"}, res.Unused)
}

// build is a Poller: Start returns a handle, Poll says done after three
// polls, each asking for the next in 5 minutes.
type build struct {
	mu    sync.Mutex
	polls map[string]int
}

func (b *build) Kind() string { return "ci.build" }

func (b *build) Run(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
	return nil, adapters.Permanent(context.Canceled) // the executor uses Start and Poll
}

func (b *build) Start(ctx context.Context, req *adapters.Request) (string, error) {
	return "build-" + req.IdempotencyKey, nil
}

func (b *build) Poll(ctx context.Context, req *adapters.Request, handle string) (adapters.PollStatus, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.polls == nil {
		b.polls = map[string]int{}
	}
	b.polls[handle]++
	if b.polls[handle] < 3 {
		return adapters.PollStatus{After: 5 * time.Minute}, nil
	}
	return adapters.PollStatus{Done: true, Result: &adapters.Result{Outputs: map[string]any{"polls": b.polls[handle]}}}, nil
}

func (b *build) ValidateWith(with map[string]any) error {
	if _, ok := with["pipeline"].(string); !ok {
		return &adapters.ParamError{Param: "pipeline", Msg: "required"}
	}
	return nil
}

const twoBuilds = `
id: builds
phases:
  - id: build
    activities:
      - {id: ios, uses: ci.build, with: {pipeline: ios}, outputs: [polls]}
      - {id: android, uses: ci.build, with: {pipeline: android}, outputs: [polls]}
      - {id: smoke, type: subprocess, process: smoke, depends-on: [ios, android]}
`

const smoke = `
id: smoke
phases:
  - id: run
    activities:
      - {id: checks, uses: ci.build, with: {pipeline: smoke}}
`

func TestPollersAndSubprocessesRunInVirtualTimeAndRepeatExactly(t *testing.T) {
	run := func() *releasetest.Result {
		h := releasetest.NewYAML(t, twoBuilds, &releasetest.Config{
			Adapters:  []adapters.Adapter{&build{}},
			Processes: []*process.Process{releasetest.Parse(t, smoke)},
		})
		return h.Run(t)
	}
	res := run()
	releasetest.RequireStatus(t, res, release.Succeeded)
	releasetest.RequireActivity(t, res, "build.ios", releasetest.ActivityWant{Outputs: map[string]any{"polls": 3}})
	releasetest.RequireActivity(t, res, "build.android", releasetest.ActivityWant{Outputs: map[string]any{"polls": 3}})
	require.Len(t, res.Children, 1)
	require.Equal(t, release.Succeeded, res.Children[0].Status)
	// two parallel builds of 10 minutes of polling, then the smoke child's 10.
	releasetest.RequireRelease(t, res, releasetest.ReleaseWant{MinDuration: 20 * time.Minute, MaxDuration: 20 * time.Minute})
	require.Equal(t, string(res.EventLog()), string(run().EventLog()))
}

const rollout = `
id: rollout
phases:
  - id: ship
    activities:
      - id: deploy
        uses: cd.deploy
        on-failure: rollback
        rollback: {uses: cd.rollback}
      - {id: migrate, uses: db.migrate, depends-on: [deploy]}
`

func TestAnAbortCancelsTheAdapterThatIsRunning(t *testing.T) {
	deploy := adaptertest.NewFake("cd.deploy", nil).WithDelay(2 * time.Hour)
	h := releasetest.NewYAML(t, rollout, &releasetest.Config{Adapters: []adapters.Adapter{
		deploy, adaptertest.NewFake("cd.rollback", nil), adaptertest.NewFake("db.migrate", nil),
	}})
	h.Abort("oncall", "wrong build").After(30 * time.Minute)
	res := h.Run(t)

	releasetest.RequireRelease(t, res, releasetest.ReleaseWant{Status: release.Aborted, MaxDuration: 30 * time.Minute, MinDuration: 30 * time.Minute})
	releasetest.RequireActivity(t, res, "ship.deploy", releasetest.ActivityWant{Status: release.ActivityAborted})
	require.Len(t, deploy.Calls(), 1)
	require.ErrorIs(t, deploy.Calls()[0].Err, context.Canceled)
}

func TestAFailureUnderOnFailureRollbackRunsTheRollback(t *testing.T) {
	rb := adaptertest.NewFake("cd.rollback", nil).WithDelay(5 * time.Minute)
	h := releasetest.NewYAML(t, rollout, &releasetest.Config{Adapters: []adapters.Adapter{
		adaptertest.NewFake("cd.deploy", nil).WithDelay(10 * time.Minute).FailPermanently(nil),
		rb, adaptertest.NewFake("db.migrate", nil),
	}})
	res := h.Run(t)

	releasetest.RequireStatus(t, res, release.RolledBack)
	require.Len(t, rb.Calls(), 1)
	require.True(t, rb.Calls()[0].Request.Rollback)
	releasetest.RequireNoEvent(t, res, releasetest.EventWant{Kind: release.KindActivityStarted, Activity: "ship.migrate"})
}

func TestRunStopsAtTheLimitOfVirtualTime(t *testing.T) {
	slow := adaptertest.NewFake("cd.deploy", nil).WithDelay(90 * 24 * time.Hour)
	h := releasetest.NewYAML(t, "id: slow\nphases:\n  - id: a\n    activities: [{id: b, uses: cd.deploy}]\n",
		&releasetest.Config{Adapters: []adapters.Adapter{slow}, Limit: 7 * 24 * time.Hour})
	res := h.Run(t)
	releasetest.RequireStatus(t, res, release.Running)
	require.Contains(t, res.Stopped, "not ended after 168h0m0s of virtual time")
	require.Equal(t, res.Start.Add(7*24*time.Hour), res.End)
	require.ErrorIs(t, slow.Calls()[0].Err, context.Canceled, "the adapter still running is cancelled when Run stops")
}
