package executor

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

func TestRescheduleMovesAReleaseThatHasNotStartedAndItsStartFollows(t *testing.T) {
	h := newHarness(t, nil, &recorder{kind: "noop"})
	h.put(noopProcess)
	ctx := context.Background()
	at := t0.Add(2 * time.Hour)
	sum, err := h.ex.Create(ctx, &CreateParams{Process: "train", By: By{Actor: "alice"}, ScheduledFor: at, ExpectedDuration: 30 * time.Minute})
	require.NoError(t, err)

	later := t0.Add(5 * time.Hour)
	require.NoError(t, h.ex.Reschedule(ctx, sum.ID, &RescheduleParams{At: later, By: By{Actor: "alice", Reason: "after the incident review"}}))
	r := h.get(sum.ID)
	require.True(t, r.ScheduledFor.Equal(later))
	require.True(t, r.ExpectedStart.Equal(later))
	require.True(t, r.ExpectedEnd.Equal(later.Add(30*time.Minute)), "the expected duration is kept")
	evs := h.events(sum.ID)
	last := evs[len(evs)-1]
	require.Equal(t, release.KindReleaseRescheduled, last.Kind)
	require.Equal(t, "alice", last.Actor)
	require.Equal(t, "after the incident review", last.Reason)

	h.until(at.Add(time.Minute))
	require.Equal(t, release.Scheduled, h.get(sum.ID).Status, "the old time starts nothing")
	h.until(later)
	h.waitStatus(sum.ID, release.Succeeded)

	// Earlier works too: the timer moves forward.
	sum2, err := h.ex.Create(ctx, &CreateParams{Process: "train", By: By{Actor: "alice"}, ScheduledFor: later.Add(10 * time.Hour)})
	require.NoError(t, err)
	require.NoError(t, h.ex.Reschedule(ctx, sum2.ID, &RescheduleParams{At: later.Add(time.Hour), By: By{Actor: "alice"}}))
	h.until(later.Add(time.Hour))
	h.waitStatus(sum2.ID, release.Succeeded)
}

func TestRescheduleRefusesAStartedReleaseBadTimesAndTheUnauthorized(t *testing.T) {
	auth := func(ctx context.Context, a *Action) error {
		if a.Kind == ActionReschedule && (a.Actor != "alice" || a.At.IsZero()) {
			return errors.New("only alice reschedules")
		}
		return nil
	}
	h := newHarness(t, &Config{Authorize: auth})
	h.put(manualProcess)
	ctx := context.Background()
	sum, err := h.ex.Create(ctx, &CreateParams{Process: "train", By: By{Actor: "alice"}, ScheduledFor: t0.Add(time.Hour)})
	require.NoError(t, err)

	err = h.ex.Reschedule(ctx, sum.ID, &RescheduleParams{At: t0.Add(3 * time.Hour), By: By{Actor: "mallory"}})
	require.ErrorIs(t, err, ErrUnauthorized)
	err = h.ex.Reschedule(ctx, sum.ID, &RescheduleParams{At: t0.Add(-time.Hour), By: By{Actor: "alice"}})
	require.ErrorIs(t, err, ErrInvalid)
	require.ErrorContains(t, err, "in the past")
	err = h.ex.Reschedule(ctx, sum.ID, &RescheduleParams{By: By{Actor: "alice"}})
	require.ErrorIs(t, err, ErrInvalid)
	require.ErrorContains(t, err, "at: required")
	err = h.ex.Reschedule(ctx, sum.ID, nil)
	require.ErrorIs(t, err, ErrInvalid)
	require.True(t, h.get(sum.ID).ScheduledFor.Equal(t0.Add(time.Hour)), "nothing changed")

	require.NoError(t, h.ex.Start(ctx, sum.ID, &By{Actor: "alice"}))
	h.waitStatus(sum.ID, release.Running)
	err = h.ex.Reschedule(ctx, sum.ID, &RescheduleParams{At: t0.Add(3 * time.Hour), By: By{Actor: "alice"}})
	require.ErrorIs(t, err, ErrIllegal)
	var se *StateError
	require.True(t, errors.As(err, &se))
	require.Equal(t, "Running", se.Status)
	require.NoError(t, h.ex.Abort(ctx, sum.ID, &By{Actor: "alice", Reason: "done"}))
	n := len(h.events(sum.ID))
	err = h.ex.Reschedule(ctx, sum.ID, &RescheduleParams{At: t0.Add(3 * time.Hour), By: By{Actor: "alice"}})
	require.ErrorIs(t, err, ErrIllegal)
	require.Len(t, h.events(sum.ID), n, "no event recorded")
	_, err = h.store.GetReleaseSummary(ctx, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, h.ex.Reschedule(ctx, "nope", &RescheduleParams{At: t0.Add(3 * time.Hour), By: By{Actor: "alice"}}), ErrNotFound)
}

// A release the group's scheduler starts (overlap queue) starts at its new
// time, not at its occurrence, also when another executor moved it.
func TestRescheduleAGroupReleaseMovesItsStart(t *testing.T) {
	for _, elsewhere := range []bool{false, true} {
		name := "on this executor"
		if elsewhere {
			name = "on another executor"
		}
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, nil, &recorder{kind: "noop"})
			h.put(noopProcess)
			g := weeklyGroup()
			g.Overlap = release.OverlapQueue
			h.putGroup(g)
			h.until(firstMonday.Add(-24 * time.Hour))
			id := h.waitReleases("weekly", 1)[0].ID
			require.Equal(t, StartGroup, h.get(id).Labels[LabelStart])
			later := firstMonday.Add(3 * time.Hour)
			ctx := context.Background()
			if elsewhere {
				other, err := New(h.store, h.reg, &Config{Clock: h.clock, Jitter: -1, InstanceID: "other"})
				require.NoError(t, err)
				require.NoError(t, other.Reschedule(ctx, id, &RescheduleParams{At: later, By: By{Actor: "alice"}}))
			} else {
				require.NoError(t, h.ex.Reschedule(ctx, id, &RescheduleParams{At: later, By: By{Actor: "alice"}}))
			}
			h.until(firstMonday.Add(time.Minute))
			time.Sleep(20 * time.Millisecond)
			require.Equal(t, release.Scheduled, h.get(id).Status, "not at its occurrence")
			h.until(later)
			r := h.waitStatus(id, release.Succeeded)
			require.True(t, r.StartedAt.Equal(later), "started %s", r.StartedAt)
			require.True(t, r.Occurrence.Equal(firstMonday), "its occurrence is unchanged")
		})
	}
}
