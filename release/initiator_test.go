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
