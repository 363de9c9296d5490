package release_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
)

func TestInitiatorIsTheCreatorUnlessThePayloadNamesOne(t *testing.T) {
	id, err := release.NewID(t0, nil)
	require.NoError(t, err)
	for name, tc := range map[string]struct{ initiator, want string }{
		"top-level release: the creator":               {"", "executor"},
		"child release: the top-level's initiator":     {"alice", "alice"},
		"the field survives a fold from the event log": {"bob", "bob"},
	} {
		t.Run(name, func(t *testing.T) {
			r, created, err := release.Create(id, t0, "executor", "", release.ReleaseCreatedPayload{
				Name: "m", Process: mobileProcess(), Initiator: tc.initiator})
			require.NoError(t, err)
			require.Equal(t, tc.want, r.Initiator)
			require.Equal(t, "executor", r.CreatedBy)
			folded, err := release.Fold([]release.Event{created})
			require.NoError(t, err)
			require.Equal(t, tc.want, folded.Initiator)
			snap, err := r.MarshalSnapshot()
			require.NoError(t, err)
			back, err := release.UnmarshalSnapshot(snap)
			require.NoError(t, err)
			require.Equal(t, tc.want, back.Initiator)
		})
	}
}

// A snapshot written before releases had an initiator falls back to the
// creator, as the fold of an old release.created does.
func TestAnOldSnapshotWithoutInitiatorFallsBackToTheCreator(t *testing.T) {
	r, _ := newMobile(t)
	snap, err := r.MarshalSnapshot()
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(snap, &m))
	require.NotContains(t, m, "initiator", "a top-level release's snapshot reads as before")
	back, err := release.UnmarshalSnapshot(snap)
	require.NoError(t, err)
	require.Equal(t, "alice", back.Initiator)
}

func TestABypassIsRecordedAsADecisionInPlaceOfTheApprovers(t *testing.T) {
	r, log := running(t)
	rec(t, r, &log, t0, release.ActivitySkippedPayload{Activity: "build.compile"}, release.PhaseSucceededPayload{Phase: "build"},
		release.PhaseStartedPayload{Phase: "qa"}, release.ActivitySkippedPayload{Activity: "qa.regression"})

	// Not while it is Pending, not on another activity type, not without a reason.
	for name, e := range map[string]release.Event{
		"pending":   ev(t, t0, "ops", release.ApprovalBypassedPayload{Activity: "qa.signoff"}),
		"automated": ev(t, t0, "ops", release.ApprovalBypassedPayload{Activity: "deploy.rollout"}),
	} {
		before := state(t, r)
		_, err := r.Record(e)
		require.Error(t, err, name)
		require.Equal(t, before, state(t, r), name)
	}
	rec(t, r, &log, t0, release.ActivityStartedPayload{Activity: "qa.signoff"}, release.ActivityWaitingPayload{Activity: "qa.signoff"})
	noReason, err := release.NewEvent(t0, "ops", "", release.ApprovalBypassedPayload{Activity: "qa.signoff"})
	require.NoError(t, err)
	_, err = r.Record(noReason)
	require.ErrorContains(t, err, "reason: required to bypass an approval")

	rec(t, r, &log, t0, release.ApprovalBypassedPayload{Activity: "qa.signoff"}, release.ActivitySucceededPayload{Activity: "qa.signoff"})
	a := r.Activity("qa.signoff")
	require.Equal(t, release.ActivitySucceeded, a.Status)
	require.Equal(t, []release.Decision{{Actor: "bob", Approved: true, Bypassed: true, Comment: "because", At: t0, Attempt: 1}}, a.Approvals)
	folded, err := release.Fold(log)
	require.NoError(t, err)
	require.Equal(t, a.Approvals, folded.Activity("qa.signoff").Approvals)
}
