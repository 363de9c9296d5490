package executor

import (
	"context"
	"testing"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/release"
	"github.com/stretchr/testify/require"
)

func TestParallelBranchesRunAndJoinBeforeTheirDependent(t *testing.T) {
	ad := &recorder{kind: "noop"}
	h := newHarness(t, nil, ad)
	h.put(`
id: fan
phases:
  - id: p
    activities:
      - {id: a, uses: noop}
      - {id: b, uses: noop, depends-on: [a]}
      - {id: c, uses: noop, depends-on: [a]}
      - {id: d, uses: noop, depends-on: [b, c]}
`)
	id := h.create("fan", nil)
	r := h.waitStatus(id, release.Succeeded)
	order := ad.order()
	require.Len(t, order, 4)
	require.Equal(t, release.ActivityKey("p.a"), order[0])
	require.Equal(t, release.ActivityKey("p.d"), order[3])
	require.ElementsMatch(t, []release.ActivityKey{"p.b", "p.c"}, order[1:3])
	require.Equal(t, release.PhaseSucceeded, r.Phases["p"].Status)
	require.NoError(t, release.VerifyChain(h.events(id)))
	_ = context.Background
	_ = adapters.Permanent
}
