package executor

import (
	"context"
	"testing"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/stretchr/testify/require"
)

// A process version whose if: cannot be boolean is refused by PutProcess,
// but one stored before that rule (here: straight into the store) still
// runs: its releases must not stop loading.
func TestANonBooleanIfIsRefusedNewButAStoredVersionStillRuns(t *testing.T) {
	h := newHarness(t, nil, &recorder{kind: "noop"})
	ctx := context.Background()
	p, err := process.Decode([]byte(`
id: odd
inputs:
  n: {type: integer, default: 1}
phases:
  - id: p
    activities:
      - {id: a, uses: noop}
      - {id: b, uses: noop, if: "inputs.n + 1"}
`)) // decoded, not validated (Parse would refuse it)
	require.NoError(t, err)
	_, err = h.ex.PutProcess(ctx, &PutProcessParams{By: By{Actor: "alice"}, Process: p})
	require.ErrorIs(t, err, ErrInvalid)
	require.ErrorContains(t, err, "want a boolean, got integer")

	_, err = h.store.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: "before", Now: h.clock.Now()})
	require.NoError(t, err)
	sum, err := h.ex.Create(ctx, &CreateParams{By: By{Actor: "alice"}, Process: "odd"})
	require.NoError(t, err)
	r := h.waitStatus(sum.ID, release.Succeeded)
	require.Equal(t, release.ActivitySucceeded, r.Activities["p.a"].Status)
}
