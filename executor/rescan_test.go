package executor

import (
	"context"
	"testing"
	"time"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/stretchr/testify/require"
)

// A negative RescanInterval stops the periodic re-reads: no rescan or
// freeze timer stays armed, a freeze deleted by someone else (straight in
// the store) holds the activity however long the clock runs, and the
// executor's own changes still take effect at once.
func TestANegativeRescanIntervalDisablesPeriodicRereads(t *testing.T) {
	ad := &recorder{kind: "noop"}
	h := newHarness(t, &Config{RescanInterval: -1}, ad)
	require.Equal(t, time.Duration(-1), h.ex.cfg.RescanInterval, "a negative interval is kept, not defaulted")
	h.put(deployProcess)
	h.putFreeze(oneOff("long", t0, t0.Add(7*24*time.Hour), prodOnly))
	id := h.create("deploy", nil)
	h.waitActivity(id, "build.compile", release.ActivitySucceeded)
	waitIdle(t, h.ex)
	require.False(t, h.ex.timers.has(timerKey{kind: timerRescan}), "no rescan timer")
	require.False(t, h.ex.timers.has(timerKey{kind: timerFreezes}), "no freeze refresh timer")

	require.NoError(t, h.store.(store.FreezeStore).DeleteFreeze(context.Background(), "long", 0))
	h.advance(2 * time.Hour) // many default intervals (LeaseDuration)
	waitIdle(t, h.ex)
	require.Equal(t, release.ActivityPending, h.get(id).Activities["prod.rollout"].Status, "the deletion by another is not seen")
	require.Len(t, ad.Calls(), 1, "only the build ran")

	// A change through this executor reads the freezes again.
	h.putFreeze(oneOff("other", t0.Add(30*24*time.Hour), t0.Add(31*24*time.Hour), prodOnly))
	h.waitStatus(id, release.Succeeded)
}

func TestADefaultRescanIntervalRereadsPeriodically(t *testing.T) {
	ad := &recorder{kind: "noop"}
	h := newHarness(t, nil, ad)
	h.put(deployProcess)
	h.putFreeze(oneOff("long", t0, t0.Add(7*24*time.Hour), prodOnly))
	id := h.create("deploy", nil)
	h.waitActivity(id, "build.compile", release.ActivitySucceeded)
	waitIdle(t, h.ex)
	require.True(t, h.ex.timers.has(timerKey{kind: timerRescan}))

	require.NoError(t, h.store.(store.FreezeStore).DeleteFreeze(context.Background(), "long", 0))
	h.advance(2 * DefaultLeaseDuration)
	h.waitStatus(id, release.Succeeded)
}

// Without rescans the executor is alone on its store: it drives a
// subprocess's child itself and is told when it ends, so a parent loaded
// again (here after a restart) does not poll it; with them, it checks the
// child every PollInterval (another instance may drive it).
func TestChildPollingFollowsTheRescans(t *testing.T) {
	for _, tc := range []struct {
		name     string
		interval time.Duration
		polls    int
	}{
		{"rescans off", -1, 0},
		{"default", 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, &Config{RescanInterval: tc.interval})
			h.put("id: gate\nphases:\n  - id: g\n    activities:\n      - {id: ok, type: approval, approval: {approvers: [bob]}}\n")
			h.put("id: outer\nphases:\n  - id: o\n    activities:\n      - {id: sub, type: subprocess, process: gate}\n")
			id := h.create("outer", nil)
			h.waitActivity(id, "o.sub", release.ActivityRunning)
			child := ChildID(id, "o.sub", 1)
			h.waitActivity(child, "g.ok", release.ActivityWaiting)
			// A restart: the parent is loaded again and looks at its child.
			h.shutdown()
			h.start()
			if tc.polls > 0 {
				require.True(t, waitFor(func() bool { return h.ex.timers.count(timerChild) == tc.polls }), "the parent polls its child")
			} else {
				waitIdle(t, h.ex)
				require.Never(t, func() bool { return h.ex.timers.count(timerChild) > 0 }, 50*time.Millisecond, time.Millisecond)
			}

			require.NoError(t, h.ex.Approve(context.Background(), child, "g.ok", &DecisionParams{By: By{Actor: "bob"}}))
			h.waitStatus(id, release.Succeeded)
		})
	}
}
