package releasetest_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/adapters/adaptertest"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/release/releasetest"
)

const shipWithSmoke = `
id: ship
phases:
  - id: deploy
    activities:
      - {id: canary, uses: cd.deploy}
      - {id: smoke, type: subprocess, process: smoke-suite, depends-on: [canary]}
      - {id: rollout, uses: cd.deploy, depends-on: [smoke]}
`

const smokeSuite = `
id: smoke-suite
phases:
  - id: checks
    activities:
      - {id: api, type: manual, tasks: [{id: run, assignees: [quinn], required: true}]}
      - {id: signoff, type: approval, approval: {approvers: [lena]}, depends-on: [api]}
`

// train runs ship as a subprocess, for paths two levels deep.
const trainOfShips = `
id: train
phases:
  - id: go
    activities:
      - {id: ship, type: subprocess, process: ship}
`

func smokeHarness(t *testing.T, doc string) *releasetest.Harness {
	return releasetest.NewYAML(t, doc, &releasetest.Config{
		Adapters:  []adapters.Adapter{adaptertest.NewFake("cd.deploy", nil).WithDelay(10 * time.Minute)},
		Processes: []*process.Process{releasetest.Parse(t, smokeSuite), releasetest.Parse(t, shipWithSmoke)},
	})
}

func TestStepsReachActivitiesOfASubprocessChildByPath(t *testing.T) {
	h := smokeHarness(t, shipWithSmoke)
	h.CompleteTask("deploy.smoke/checks.api", "run", "quinn").After(time.Hour)
	h.Approve("deploy.smoke/checks.signoff", "lena").After(30 * time.Minute)
	res := h.Run(t)

	releasetest.RequireStatus(t, res, release.Succeeded)
	releasetest.RequireActivity(t, res, "deploy.smoke/checks.signoff", releasetest.ActivityWant{Status: release.ActivitySucceeded, ApprovedBy: []string{"lena"}})
	smoke := res.Child("deploy.smoke")
	require.NotNil(t, smoke)
	releasetest.RequireStatus(t, smoke, release.Succeeded)
	releasetest.RequireActivity(t, smoke, "checks.api", releasetest.ActivityWant{Status: release.ActivitySucceeded})
	releasetest.RequireEvents(t, smoke, releasetest.EventWant{Kind: release.KindApprovalGranted, Actor: "lena"})
	require.Equal(t, executor.ChildID(res.Release.ID, "deploy.smoke", 1), smoke.Release.ID)
	// canary 10m, the task an hour later, the approval half an hour after, rollout 10m.
	releasetest.RequireRelease(t, res, releasetest.ReleaseWant{MinDuration: 110 * time.Minute, MaxDuration: 110 * time.Minute})
	require.Nil(t, res.Child("deploy.canary"), "not a subprocess")
	require.Nil(t, res.Child("deploy.smoke/checks.api"), "no child there")
}

func TestPathsReachGrandchildren(t *testing.T) {
	h := smokeHarness(t, trainOfShips)
	h.CompleteTask("go.ship/deploy.smoke/checks.api", "run", "quinn")
	h.Approve("go.ship/deploy.smoke/checks.signoff", "lena").After(time.Hour)
	res := h.Run(t)

	releasetest.RequireStatus(t, res, release.Succeeded)
	suite := res.Child("go.ship/deploy.smoke")
	require.NotNil(t, suite)
	releasetest.RequireStatus(t, suite, release.Succeeded)
	releasetest.RequireActivity(t, res, "go.ship/deploy.smoke/checks.signoff", releasetest.ActivityWant{ApprovedBy: []string{"lena"}})
	ship := res.Child("go.ship")
	require.Len(t, ship.Children, 1, "the ship child's result holds its own child")
	require.Equal(t, suite.Release.ID, ship.Children[0].ID)
	require.Len(t, res.Children, 2)
}

// An operator aborts the child that a subprocess runs; the parent's
// activity goes on hold, a retry makes a second child, and the paths then
// reach that one.
func TestAReleaseStepActsOnAChildWithInChild(t *testing.T) {
	h := smokeHarness(t, shipWithSmoke)
	h.Abort("sre", "the smoke suite hangs").InChild("deploy.smoke").After(2 * time.Hour)
	h.Retry("deploy.smoke", "sre")
	h.CompleteTask("deploy.smoke/checks.api", "run", "quinn").After(3 * time.Hour)
	h.Approve("deploy.smoke/checks.signoff", "lena")
	res := h.Run(t)

	releasetest.RequireStatus(t, res, release.Succeeded)
	releasetest.RequireActivity(t, res, "deploy.smoke", releasetest.ActivityWant{Status: release.ActivitySucceeded, Attempts: 2})
	require.Len(t, res.Children, 2)
	smoke := res.Child("deploy.smoke")
	require.Equal(t, executor.ChildID(res.Release.ID, "deploy.smoke", 2), smoke.Release.ID, "the latest attempt's child")
	releasetest.RequireStatus(t, smoke, release.Succeeded)
	first := executor.ChildID(res.Release.ID, "deploy.smoke", 1)
	i := slices.IndexFunc(res.Children, func(c *release.Release) bool { return c.ID == first })
	require.GreaterOrEqual(t, i, 0)
	aborted := res.Children[i]
	require.Equal(t, release.Aborted, aborted.Status)
	require.Equal(t, time.Date(2026, 1, 5, 11, 10, 0, 0, time.UTC), aborted.EndedAt, "two hours after the child started")
	releasetest.RequireNoEvent(t, res, releasetest.EventWant{Kind: release.KindReleaseAborted})
}

func TestDoCallsTheExecutorAtAScriptedTime(t *testing.T) {
	h := releasetest.NewYAML(t, gate, &releasetest.Config{Adapters: []adapters.Adapter{adaptertest.NewFake("cd.deploy", nil)}})
	h.Do("sre comments", func(ctx context.Context, ex *executor.Executor, id release.ID) error {
		return ex.Comment(ctx, id, &executor.CommentParams{By: executor.By{Actor: "sre"}, Text: "watching"})
	}).After(time.Hour)
	wrong := errors.New("not now")
	h.Do("a refused call", func(context.Context, *executor.Executor, release.ID) error { return wrong }).ExpectError(wrong)
	h.Approve("qa.signoff", "bob").After(2 * time.Hour)
	res := h.Run(t)

	releasetest.RequireStatus(t, res, release.Succeeded)
	var at time.Time
	for _, e := range res.Events {
		if e.Kind == release.KindCommentAdded {
			at = e.Time
		}
	}
	require.Equal(t, res.Start.Add(time.Hour), at)
}
