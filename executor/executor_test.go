package executor

import (
	"context"
	"testing"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
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

func TestCreateWithTheHostsIDCreatesOnce(t *testing.T) {
	h := newHarness(t, nil, &recorder{kind: "noop"})
	h.put("id: once\nphases:\n  - id: p\n    activities:\n      - {id: a, uses: noop}\n")
	ctx := context.Background()
	const id = "0193a0b2-7c3e-7d2a-9f00-1234567890ab"
	sum, err := h.ex.Create(ctx, &CreateParams{ID: "0193A0B2-7C3E-7D2A-9F00-1234567890AB", Process: "once", By: By{Actor: "ci"}})
	require.NoError(t, err)
	require.Equal(t, release.ID(id), sum.ID, "the id in canonical form")
	h.waitStatus(sum.ID, release.Succeeded)
	before := h.events(sum.ID)

	_, err = h.ex.Create(ctx, &CreateParams{ID: id, Process: "once", By: By{Actor: "ci"}})
	require.ErrorIs(t, err, store.ErrAlreadyExists, "a retried request creates nothing")
	require.Equal(t, before, h.events(sum.ID), "and changes nothing")

	_, err = h.ex.Create(ctx, &CreateParams{ID: "build-42", Process: "once", By: By{Actor: "ci"}})
	require.ErrorIs(t, err, ErrInvalid)
	require.ErrorContains(t, err, "not a UUID")
}
