package hosttest

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/adapters/adaptertest"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/release/releasetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fakes are the team's adapters, faked: a 12-minute build and 10-minute
// deployments, in virtual time.
type fakes struct {
	build, deploy *adaptertest.Fake
}

func newFakes() fakes {
	return fakes{
		build: adaptertest.NewFake("ci.build", nil).WithDelay(12 * time.Minute).
			WithOutputsFunc(func(req *adapters.Request) map[string]any {
				return map[string]any{"image": "registry.example.com/payments:" + req.With["ref"].(string)}
			}),
		deploy: adaptertest.NewFake("cd.deploy", nil).WithDelay(10 * time.Minute),
	}
}

func newHarness(t *testing.T, f fakes, inputs map[string]any) *releasetest.Harness {
	t.Helper()
	p, err := Train()
	require.NoError(t, err)
	return releasetest.New(t, p, &releasetest.Config{
		Inputs:    inputs,
		Initiator: "riley",
		Adapters:  []adapters.Adapter{f.build, f.deploy},
		Groups:    Groups,
	})
}

// happyPath scripts the people of a normal week: the soak is watched for a
// day, two CAB members approve the next morning.
func happyPath(h *releasetest.Harness) {
	h.CompleteTask("verify.soak", "watch-dashboards", "sasha").After(24 * time.Hour).Because("error budget intact")
	h.Approve("approve.cab", "carla").After(16 * time.Hour)
	h.Approve("approve.cab", "cole").After(17 * time.Hour)
}

func TestTheTrainShipsAfterTheSoakAndTwoCABApprovals(t *testing.T) {
	f := newFakes()
	h := newHarness(t, f, map[string]any{"version": "5.2.0"})
	happyPath(h)
	res := h.Run(t)

	releasetest.RequireStatus(t, res, release.Succeeded)
	releasetest.RequireOrder(t, res, "build.image", "verify.staging", "verify.soak", "approve.cab", "release.production")
	releasetest.RequireActivity(t, res, "approve.cab", releasetest.ActivityWant{ApprovedBy: []string{"carla", "cole"}})
	// 12m build, 10m staging, 24h soak, 17h CAB, 10m production.
	releasetest.RequireRelease(t, res, releasetest.ReleaseWant{MaxDuration: 41*time.Hour + 32*time.Minute})
	require.Equal(t, "registry.example.com/payments:v5.2.0", f.deploy.Calls()[1].Request.With["image"])

	golden := filepath.Join("testdata", "happy-path.jsonl")
	if *update {
		require.NoError(t, os.WriteFile(golden, res.EventLog(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run `go test ./examples/hosttest -update` to create the golden file")
	require.True(t, bytes.Equal(want, res.EventLog()), "the event log differs from %s (rerun with -update if the change is intended)", golden)
}

func TestAHotfixSkipsTheSoak(t *testing.T) {
	h := newHarness(t, newFakes(), map[string]any{"version": "5.2.1", "hotfix": true})
	h.Approve("approve.cab", "carla")
	h.Approve("approve.cab", "cyrus")
	res := h.Run(t)

	releasetest.RequireStatus(t, res, release.Succeeded)
	releasetest.RequireActivity(t, res, "verify.soak", releasetest.ActivityWant{Status: release.ActivitySkipped})
	releasetest.RequireRelease(t, res, releasetest.ReleaseWant{MaxDuration: 22 * time.Minute})
}

func TestAFlakyBuildIsRetriedWithBackoff(t *testing.T) {
	f := newFakes()
	f.build.FailTimes(2, nil)
	h := newHarness(t, f, map[string]any{"version": "5.2.0"})
	happyPath(h)
	res := h.Run(t)

	releasetest.RequireStatus(t, res, release.Succeeded)
	releasetest.RequireActivity(t, res, "build.image", releasetest.ActivityWant{Attempts: 3})
	require.Len(t, f.build.Calls(), 3)
}

func TestTheInitiatorCannotApproveTheirOwnRelease(t *testing.T) {
	h := newHarness(t, newFakes(), map[string]any{"version": "5.2.0"})
	h.CompleteTask("verify.soak", "watch-dashboards", "sasha").After(24 * time.Hour)
	h.Approve("approve.cab", "riley").After(time.Hour).ExpectError(executor.ErrForbidden)
	h.Approve("approve.cab", "carla").After(16 * time.Hour)
	h.Approve("approve.cab", "cole").After(17 * time.Hour)
	res := h.Run(t)
	releasetest.RequireActivity(t, res, "approve.cab", releasetest.ActivityWant{ApprovedBy: []string{"carla", "cole"}})
	require.Empty(t, res.Unused, "riley's attempt happened (and was refused)")
}

func TestWithoutAQuorumTheDeadlineRejectsAndTheTrainWaitsForAnOperator(t *testing.T) {
	h := newHarness(t, newFakes(), map[string]any{"version": "5.2.0"})
	h.CompleteTask("verify.soak", "watch-dashboards", "sam").After(24 * time.Hour)
	h.Approve("approve.cab", "carla").After(time.Hour) // one of the two needed
	res := h.Run(t)

	releasetest.RequireStatus(t, res, release.Running)
	releasetest.RequireActivity(t, res, "approve.cab", releasetest.ActivityWant{Status: release.ActivityOnHold, ErrorContains: "deadline"})
	releasetest.RequireNoEvent(t, res, releasetest.EventWant{Kind: release.KindActivityStarted, Activity: "release.production"})
}
