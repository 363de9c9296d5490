package release_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
)

func TestReleaseTransitionsFollowTheTable(t *testing.T) {
	legal := map[release.Status][]release.Status{
		release.Scheduled: {release.Running, release.Aborted},
		release.Running:   {release.Paused, release.Succeeded, release.PartialSuccess, release.Failed, release.Aborted, release.RolledBack},
		release.Paused:    {release.Running, release.Failed, release.Aborted},
	}
	for _, from := range release.Statuses {
		require.True(t, from.Valid())
		require.Equal(t, len(legal[from]) == 0, from.Terminal(), "%s is terminal iff nothing leaves it", from)
		for _, to := range release.Statuses {
			require.Equal(t, slices.Contains(legal[from], to), from.CanTransition(to), "%s -> %s", from, to)
		}
	}
	require.False(t, release.Status("Waiting").Valid(), "waiting for input is derived, not a status")
}

func TestActivityTransitionsFollowTheTable(t *testing.T) {
	const (
		P = release.ActivityPending
		R = release.ActivityRunning
		W = release.ActivityWaiting
		H = release.ActivityOnHold
		S = release.ActivitySucceeded
		F = release.ActivityFailed
		I = release.ActivityIgnored
		K = release.ActivitySkipped
		A = release.ActivityAborted
		B = release.ActivityRolledBack
	)
	legal := map[release.ActivityStatus][]release.ActivityStatus{
		P: {R, K, A},
		R: {W, S, F, H, A},
		W: {R, S, F, H, I, K, A},
		H: {R, F, I, K, A, B},
		F: {R, H, I, A, B},
		S: {B},
	}
	for _, from := range release.ActivityStatuses {
		for _, to := range release.ActivityStatuses {
			require.Equal(t, slices.Contains(legal[from], to), from.CanTransition(to), "%s -> %s", from, to)
		}
	}
	for _, s := range release.ActivityStatuses {
		require.Equal(t, s == S || s == I || s == K, s.Done(), "%s done", s)
		require.Equal(t, s == W || s == H, s.NeedsInput(), "%s needs input", s)
	}
	require.Len(t, release.ActivityStatuses, 10)
	require.False(t, release.ActivityStatus("Paused").Valid())
}

func TestTaskTransitionsFollowTheTable(t *testing.T) {
	all := []release.TaskStatus{release.TaskTodo, release.TaskInProgress, release.TaskSucceeded, release.TaskFailed, release.TaskBlocked}
	illegal := map[string]bool{
		"TODO->TODO": true, "IN_PROGRESS->IN_PROGRESS": true, "SUCCEEDED->SUCCEEDED": true, "FAILED->FAILED": true,
		"BLOCKED->BLOCKED": true, "BLOCKED->SUCCEEDED": true, "SUCCEEDED->FAILED": true, "SUCCEEDED->BLOCKED": true,
		"FAILED->SUCCEEDED": true, "FAILED->BLOCKED": true,
	}
	for _, from := range all {
		require.True(t, from.Valid())
		for _, to := range all {
			key := fmt.Sprintf("%s->%s", from, to)
			require.Equal(t, !illegal[key], from.CanTransition(to), key)
		}
	}
	require.False(t, release.TaskStatus("DONE").Valid())
}

func TestPhaseTransitionsFollowTheTable(t *testing.T) {
	require.True(t, release.PhasePending.CanTransition(release.PhaseRunning))
	require.True(t, release.PhasePending.CanTransition(release.PhaseSkipped))
	require.True(t, release.PhaseFailed.CanTransition(release.PhaseRunning))
	require.False(t, release.PhasePending.CanTransition(release.PhaseSucceeded))
	require.False(t, release.PhaseSucceeded.CanTransition(release.PhaseRunning))
	require.False(t, release.PhaseSkipped.CanTransition(release.PhaseRunning))
	require.True(t, release.PhaseSucceeded.Done())
	require.True(t, release.PhaseSkipped.Done())
	require.False(t, release.PhaseFailed.Done())
}
