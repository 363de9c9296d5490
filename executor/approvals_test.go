package executor

import (
	"context"
	"testing"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/stretchr/testify/require"
)

// A parent whose subprocess runs a middle release whose subprocess runs a
// child holding an approval that forbids the initiator.
const (
	gatedChild = `
id: gated
phases:
  - id: p
    activities:
      - id: gate
        type: approval
        approval: {approvers: [alice, bob], forbid-initiator: true}
`
	middleOfGated = `
id: middle
phases:
  - id: p
    activities:
      - {id: sub, type: subprocess, process: gated}
`
	topOfMiddle = `
id: top
phases:
  - id: p
    activities:
      - {id: sub, type: subprocess, process: middle}
`
)

// waitingDescendant waits for the one release, depth levels below top,
// whose approval p.gate is Waiting, and returns its id.
func waitingDescendant(t *testing.T, h *harness, top release.ID, depth int) release.ID {
	t.Helper()
	var found release.ID
	require.True(t, waitFor(func() bool {
		ids := []release.ID{top}
		for range depth {
			var next []release.ID
			for _, id := range ids {
				for _, k := range children(t, h, id) {
					next = append(next, k.ID)
				}
			}
			ids = next
		}
		if len(ids) == 1 && h.get(ids[0]).Activities["p.gate"].Status == release.ActivityWaiting {
			found = ids[0]
		}
		return found != ""
	}), "release %s has one descendant %d levels down waiting on its approval", top, depth)
	return found
}

func TestTheInitiatorOfAParentCannotApproveItsChildren(t *testing.T) {
	for _, tc := range []struct {
		name  string
		top   string
		depth int
	}{
		{"child", "middle", 1},
		{"grandchild", "top", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.put(gatedChild)
			h.put(middleOfGated)
			h.put(topOfMiddle)
			id := h.create(process.ID(tc.top), nil) // alice
			kid := waitingDescendant(t, h, id, tc.depth)
			k := h.get(kid)
			require.Equal(t, DefaultInstanceID, k.CreatedBy, "the executor creates the child")
			require.Equal(t, "alice", k.Initiator, "but alice initiated it")

			ctx := context.Background()
			err := h.ex.Approve(ctx, kid, "p.gate", &DecisionParams{Actor: "alice"})
			require.ErrorIs(t, err, ErrForbidden)
			require.ErrorContains(t, err, "forbids the initiator")
			require.Empty(t, h.get(kid).Activities["p.gate"].Approvals)

			require.NoError(t, h.ex.Approve(ctx, kid, "p.gate", &DecisionParams{Actor: "bob"}))
			h.waitStatus(id, release.Succeeded)
		})
	}
}
