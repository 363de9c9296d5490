package executor

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A release created in a group must be of the group's process: a group is
// a scope the authorizer grants roles over, and a release of another
// process must not get in (and with it, under the group's rules).
func TestCreateInAGroupNeedsTheGroupsProcess(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil, &recorder{kind: "noop"})
	h.put(noopProcess)
	h.put(strings.Replace(noopProcess, "id: train", "id: other", 1))
	g := weeklyGroup()
	g.Enabled = false
	h.putGroup(g)

	_, err := h.ex.Create(ctx, &CreateParams{Process: "other", Group: "weekly", By: By{Actor: "alice"}})
	require.ErrorIs(t, err, ErrInvalid)
	require.ErrorContains(t, err, "group: weekly makes releases of process train, not other")
	_, err = h.ex.Create(ctx, &CreateParams{Process: "train", Group: "monthly", By: By{Actor: "alice"}})
	require.ErrorIs(t, err, ErrInvalid)
	require.ErrorContains(t, err, "group: monthly is not a stored group")
	sum, err := h.ex.Create(ctx, &CreateParams{Process: "train", Group: "weekly", By: By{Actor: "alice"}})
	require.NoError(t, err)
	require.Equal(t, g.ID, sum.Group)
}
