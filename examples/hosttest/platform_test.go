package hosttest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/release/releasetest"
)

// The platform's quarterly release runs the payments train as a
// subprocess; its people act inside the child, reached by path.
const quarterly = `
id: platform-quarterly
phases:
  - id: trains
    activities:
      - {id: payments, type: subprocess, process: payments-train, with: {version: '5.4.0'}}
  - id: announce
    depends-on: [trains]
    activities:
      - {id: notes, type: manual, tasks: [{id: publish, assignees: [pat], required: true}]}
`

func quarterlyHarness(t *testing.T, f fakes) *releasetest.Harness {
	t.Helper()
	p, err := Train()
	require.NoError(t, err)
	return releasetest.NewYAML(t, quarterly, &releasetest.Config{
		Initiator: "riley",
		Adapters:  []adapters.Adapter{f.build, f.deploy},
		Groups:    Groups,
		Processes: []*process.Process{p},
	})
}

func TestTheQuarterlyReleaseShipsThePaymentsTrainAsAChild(t *testing.T) {
	f := newFakes()
	h := quarterlyHarness(t, f)
	h.CompleteTask("trains.payments/verify.soak", "watch-dashboards", "sasha").After(24 * time.Hour)
	h.Approve("trains.payments/approve.cab", "riley").ExpectError(executor.ErrForbidden) // the parent's initiator, even in the child
	h.Approve("trains.payments/approve.cab", "carla").After(time.Hour)
	h.Approve("trains.payments/approve.cab", "cole").After(2 * time.Hour)
	h.CompleteTask("announce.notes", "publish", "pat")
	res := h.Run(t)

	releasetest.RequireStatus(t, res, release.Succeeded)
	train := res.Child("trains.payments")
	require.NotNil(t, train)
	releasetest.RequireStatus(t, train, release.Succeeded)
	releasetest.RequireActivity(t, res, "trains.payments/approve.cab", releasetest.ActivityWant{ApprovedBy: []string{"carla", "cole"}})
	releasetest.RequireBefore(t, train, "approve.cab", "release.production")
	require.Equal(t, "registry.example.com/payments:v5.4.0", f.deploy.Calls()[1].Request.With["image"])
}

// The on-call aborts the child train while production deploys; the
// quarterly release sees its subprocess fail and waits for an operator.
func TestAbortingTheChildTrainHoldsTheQuarterlyRelease(t *testing.T) {
	f := newFakes()
	h := quarterlyHarness(t, f)
	h.CompleteTask("trains.payments/verify.soak", "watch-dashboards", "sasha")
	h.Approve("trains.payments/approve.cab", "carla")
	h.Approve("trains.payments/approve.cab", "cole")
	h.Abort("oncall", "payments incident INC-77").InChild("trains.payments").WhenRunning("trains.payments/release.production", 1)
	res := h.Run(t)

	releasetest.RequireStatus(t, res, release.Running)
	releasetest.RequireStatus(t, res.Child("trains.payments"), release.Aborted)
	releasetest.RequireActivity(t, res, "trains.payments/release.production", releasetest.ActivityWant{Status: release.ActivityAborted})
	releasetest.RequireActivity(t, res, "trains.payments", releasetest.ActivityWant{Status: release.ActivityOnHold, ErrorContains: "ended Aborted"})
}

// A code freeze over the payments service from ten minutes after the
// start, put before the run with Config.Setup, holds the production deploy
// of a release labelled for payments until it ends; one for another
// service goes at once. (A freeze in force at the start would refuse
// Create itself: executor.ErrFrozen.)
func TestTheQuarterCloseFreezeHoldsPaymentsReleases(t *testing.T) {
	start := time.Date(2026, 3, 30, 9, 0, 0, 0, time.UTC)
	end := start.Add(48 * time.Hour)
	from := start.Add(10 * time.Minute)
	run := func(service string) *releasetest.Result {
		f := newFakes()
		p, err := Train()
		require.NoError(t, err)
		h := releasetest.New(t, p, &releasetest.Config{
			Start: start, Initiator: "riley", Inputs: map[string]any{"version": "5.5.0", "hotfix": true},
			Adapters: []adapters.Adapter{f.build, f.deploy}, Groups: Groups,
			Labels: map[string]string{"service": service},
			Setup: func(ctx context.Context, ex *executor.Executor) error {
				_, err := ex.PutFreeze(ctx, &executor.PutFreezeParams{By: executor.By{Actor: "finance"}, Freeze: &release.Freeze{
					ID: "quarter-close", Reason: "quarter close", Enabled: true,
					Windows: []release.FreezeWindow{{Start: from, End: end}},
					Scope:   release.FreezeScope{Labels: map[string]string{"service": "payments"}},
				}})
				return err
			},
		})
		h.Approve("approve.cab", "carla")
		h.Approve("approve.cab", "cole")
		return h.Run(t)
	}

	res := run("payments")
	releasetest.RequireStatus(t, res, release.Succeeded)
	require.Equal(t, "payments", res.Release.Labels["service"])
	require.Equal(t, start, res.Release.Activities["build.image"].StartedAt, "before the freeze")
	require.Equal(t, end, res.Release.Activities["release.production"].StartedAt, "held until the freeze ended")

	res = run("search")
	releasetest.RequireStatus(t, res, release.Succeeded)
	require.Equal(t, start.Add(12*time.Minute), res.Release.Activities["release.production"].StartedAt, "not in the freeze's scope")
}

// Payments releases must go through the weekly train group (a policy put in
// Config.Setup, with the group): one made in the group (Config.Group) runs;
// one made on demand has its activities held, and says why. (A policy
// judged at release start would refuse Create itself: executor.ErrPolicy.)
func TestOnlyReleasesOfTheWeeklyTrainGroupStart(t *testing.T) {
	run := func(group release.GroupID) *releasetest.Result {
		f := newFakes()
		p, err := Train()
		require.NoError(t, err)
		h := releasetest.New(t, p, &releasetest.Config{
			Initiator: "riley", Inputs: map[string]any{"version": "5.6.0", "hotfix": true},
			Adapters: []adapters.Adapter{f.build, f.deploy}, Groups: Groups, Group: group,
			Setup: func(ctx context.Context, ex *executor.Executor) error {
				by := executor.By{Actor: "platform"}
				if _, err := ex.PutGroup(ctx, &executor.PutGroupParams{By: by, Group: &release.Group{
					ID: "payments-weekly", Name: "Payments weekly", Process: p.ID, Cadence: "0 9 * * MON",
					Inputs: map[string]any{"version": "5.6.0"}, Enabled: false,
				}}); err != nil {
					return err
				}
				_, err := ex.PutPolicy(ctx, &executor.PutPolicyParams{By: by, Policy: &release.Policy{
					ID: "trains-only", Enabled: true, When: []release.PolicyPoint{release.PolicyActivityStart},
					Scope: release.FreezeScope{Processes: []process.ID{p.ID}}, Rule: `release.group == "payments-weekly"`,
					Message: "payments ships through the weekly train",
				}})
				return err
			},
		})
		h.Approve("approve.cab", "carla").Optional()
		h.Approve("approve.cab", "cole").Optional()
		return h.Run(t)
	}

	res := run("payments-weekly")
	releasetest.RequireStatus(t, res, release.Succeeded)
	require.Equal(t, release.GroupID("payments-weekly"), res.Release.Group)

	res = run("")
	releasetest.RequireStatus(t, res, release.Running)
	require.NotEmpty(t, res.Stopped, "nothing more can happen")
	releasetest.RequireEvents(t, res, releasetest.EventWant{Kind: release.KindPolicyFailed})
	releasetest.RequireNoEvent(t, res, releasetest.EventWant{Kind: release.KindActivityStarted})
}

// Harness.Do runs any executor call at a scripted time: the SRE pauses the
// train while staging deploys and resumes it three hours later.
func TestThePausedTrainWaitsForItsResume(t *testing.T) {
	f := newFakes()
	h := newHarness(t, f, map[string]any{"version": "5.7.0"})
	happyPath(h)
	by := &executor.By{Actor: "sam", Reason: "database maintenance"}
	h.Do("sam pauses the train", func(ctx context.Context, ex *executor.Executor, id release.ID) error {
		return ex.Pause(ctx, id, by)
	}).WhenRunning("verify.staging", 1)
	h.Do("sam resumes the train", func(ctx context.Context, ex *executor.Executor, id release.ID) error {
		return ex.Resume(ctx, id, by)
	}).After(3 * time.Hour)
	res := h.Run(t)

	releasetest.RequireStatus(t, res, release.Succeeded)
	releasetest.RequireEvents(t, res,
		releasetest.EventWant{Kind: release.KindReleasePaused, Actor: "sam"},
		releasetest.EventWant{Kind: release.KindReleaseResumed, Actor: "sam"})
	soak := res.Release.Activities["verify.soak"]
	require.Equal(t, res.Start.Add(3*time.Hour), soak.StartedAt, "nothing new started while paused")
}
