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

	require.NoError(t, h.store.(store.FreezeStore).DeleteFreeze(context.Background(), "long"))
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

	require.NoError(t, h.store.(store.FreezeStore).DeleteFreeze(context.Background(), "long"))
	h.advance(2 * DefaultLeaseDuration)
	h.waitStatus(id, release.Succeeded)
}
