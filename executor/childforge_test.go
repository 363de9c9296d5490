package executor

import (
	"context"
	"testing"

	"github.com/batonhq/baton/release"
	"github.com/stretchr/testify/require"
)

const trivialProcess = `
id: trivial
phases:
  - id: p
    activities:
      - {id: a, uses: noop}
`

// A host's release that claims to be a subprocess's child, by the labels
// the executor uses to link them, must not end the parent's subprocess:
// else anyone who may create a release passes the child's approvals.
func TestAReleaseCannotPoseAsTheChildOfAnother(t *testing.T) {
	h := newHarness(t, nil, &recorder{kind: "noop"})
	h.put(gatedChild)
	h.put(middleOfGated)
	h.put(trivialProcess)
	parent := h.create("middle", nil) // alice
	waitingDescendant(t, h, parent, 1)

	ctx := context.Background()
	_, err := h.ex.Create(ctx, &CreateParams{
		Process: "trivial", By: By{Actor: "alice"},
		Labels: map[string]string{
			LabelParent: string(parent), LabelParentActivity: "p.sub",
			LabelParentAttempt: "1", LabelDepth: "1",
		},
	})
	require.ErrorIs(t, err, ErrInvalid, "labels under baton. are the executor's")
	require.ErrorContains(t, err, "reserved for the executor")

	_, err = h.ex.Create(ctx, &CreateParams{Process: "trivial", By: By{Actor: "alice"}, Labels: map[string]string{"baton.anything": "x"}})
	require.ErrorIs(t, err, ErrInvalid)
	require.Equal(t, release.ActivityRunning, h.get(parent).Activities["p.sub"].Status, "the parent still waits for its real child")
}

// A release made ahead of time under the id the executor will give a
// subprocess's child (ids are derived, so anyone can compute them) is not
// taken for the child: the attempt fails, saying why, rather than adopting
// a release of another process, or waiting for ever.
func TestAReleaseSquattingAChildsIDIsNotAdopted(t *testing.T) {
	h := newHarness(t, nil, &recorder{kind: "noop"})
	h.put(gatedChild)
	h.put(trivialProcess)
	h.put(`
id: slow-parent
phases:
  - id: p
    activities:
      - id: first
        type: manual
        tasks: [{id: t, name: do it}]
      - {id: sub, type: subprocess, process: gated, depends-on: [first], on-failure: fail}
`)
	parent := h.create("slow-parent", nil)
	h.waitActivity(parent, "p.first", release.ActivityWaiting)

	ctx := context.Background()
	squat := childID(parent, "p.sub", 1)
	_, err := h.ex.Create(ctx, &CreateParams{ID: squat, Process: "trivial", By: By{Actor: "alice"}})
	require.NoError(t, err)
	h.waitStatus(squat, release.Succeeded)

	require.NoError(t, h.ex.CompleteTask(ctx, parent, "p.first", "t", &By{Actor: "bob"}))
	r := h.waitStatus(parent, release.Failed)
	a := r.Activities["p.sub"]
	require.Equal(t, release.ActivityFailed, a.Status)
	require.Contains(t, a.Attempts[len(a.Attempts)-1].Error, "is not this subprocess's child")
}
