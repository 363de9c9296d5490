package release_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
)

func TestProgressCountsPerPhase(t *testing.T) {
	r, log := running(t)
	rec(t, r, &log, t0.Add(time.Hour), release.ActivityStartedPayload{Activity: "build.compile"})
	rec(t, r, &log, t0.Add(2*time.Hour), release.ActivitySucceededPayload{Activity: "build.compile"}, release.PhaseSucceededPayload{Phase: "build"},
		release.PhaseStartedPayload{Phase: "qa"}, release.ActivityStartedPayload{Activity: "qa.regression"},
		release.ActivityWaitingPayload{Activity: "qa.regression"})
	p := release.Progress(r)
	require.Equal(t, release.Count{Total: 4, Done: 1, Pending: 2, Waiting: 1}, p.Overall)
	require.Equal(t, "1/4", p.Overall.String())
	require.InDelta(t, 25.0, p.Overall.Percent(), 1e-9)
	require.Equal(t, []release.PhaseProgress{
		{Phase: "build", Status: release.PhaseSucceeded, Count: release.Count{Total: 1, Done: 1}},
		{Phase: "qa", Status: release.PhaseRunning, Count: release.Count{Total: 2, Pending: 1, Waiting: 1}},
		{Phase: "deploy", Status: release.PhasePending, Count: release.Count{Total: 1, Pending: 1}},
	}, p.Phases)
	require.InDelta(t, 100.0, release.Count{}.Percent(), 1e-9)
}

func TestHealth(t *testing.T) {
	// Expected: created t0, expected start t0+1h, expected end t0+8h.
	// Critical path: compile 30m, regression 4h (its longest task), signoff 1h, rollout 20m = 5h50m.
	t.Run("a scheduled release before its expected start is on track", func(t *testing.T) {
		r, _ := newMobile(t)
		h := release.Health(r, t0.Add(30*time.Minute))
		require.Equal(t, release.OnTrack, h.Status, h.Reasons)
		require.Equal(t, t0.Add(30*time.Minute+5*time.Hour+50*time.Minute), h.ProjectedEnd)
	})
	t.Run("a scheduled release after its expected start is at risk", func(t *testing.T) {
		r, _ := newMobile(t)
		h := release.Health(r, t0.Add(90*time.Minute))
		require.Equal(t, release.AtRisk, h.Status)
		require.Equal(t, []string{"not started 30m0s after its expected start"}, h.Reasons)
	})
	t.Run("a release projected past its expected end is at risk", func(t *testing.T) {
		r, _ := running(t)
		h := release.Health(r, t0.Add(3*time.Hour))
		require.Equal(t, release.AtRisk, h.Status)
		require.Equal(t, t0.Add(8*time.Hour+50*time.Minute), h.ProjectedEnd)
		require.Equal(t, []string{"projected to end 50m0s after its expected end"}, h.Reasons)
	})
	t.Run("an activity running longer than expected is overdue", func(t *testing.T) {
		r, log := running(t)
		rec(t, r, &log, t0.Add(time.Hour), release.ActivityStartedPayload{Activity: "build.compile"})
		h := release.Health(r, t0.Add(time.Hour+45*time.Minute))
		require.Equal(t, release.AtRisk, h.Status)
		require.Equal(t, []release.ActivityKey{"build.compile"}, h.Overdue)
		require.Contains(t, h.Reasons, "activity build.compile is taking longer than expected")
		// The running activity has nothing left: 5h20m remain after it.
		require.Equal(t, t0.Add(time.Hour+45*time.Minute+5*time.Hour+20*time.Minute), h.ProjectedEnd)
	})
	t.Run("a running activity counts only its remaining time", func(t *testing.T) {
		r, log := running(t)
		rec(t, r, &log, t0.Add(time.Hour), release.ActivityStartedPayload{Activity: "build.compile"})
		h := release.Health(r, t0.Add(time.Hour+10*time.Minute))
		require.Equal(t, release.OnTrack, h.Status, h.Reasons)
		require.Equal(t, t0.Add(time.Hour+30*time.Minute+5*time.Hour+20*time.Minute), h.ProjectedEnd)
	})
	t.Run("an activity on hold puts the release at risk", func(t *testing.T) {
		r, log := running(t)
		rec(t, r, &log, t0.Add(time.Hour), release.ActivityStartedPayload{Activity: "build.compile"},
			release.ActivityHeldPayload{Activity: "build.compile", Error: "exit 1"})
		h := release.Health(r, t0.Add(time.Hour))
		require.Equal(t, release.AtRisk, h.Status)
		require.Equal(t, []string{"activity build.compile is on hold"}, h.Reasons)
	})
	t.Run("a paused release is at risk", func(t *testing.T) {
		r, log := running(t)
		rec(t, r, &log, t0.Add(time.Hour), release.ReleasePausedPayload{})
		require.Equal(t, release.AtRisk, release.Health(r, t0.Add(time.Hour)).Status)
	})
	t.Run("a release past its expected end is late", func(t *testing.T) {
		r, _ := running(t)
		h := release.Health(r, t0.Add(9*time.Hour))
		require.Equal(t, release.Late, h.Status)
		require.Equal(t, "not ended 1h0m0s after its expected end", h.Reasons[0])
	})
	t.Run("a release that ended after its expected end was late", func(t *testing.T) {
		r, log := running(t)
		rec(t, r, &log, t0.Add(9*time.Hour), release.ReleaseFailedPayload{Error: "boom"})
		h := release.Health(r, t0.Add(20*time.Hour))
		require.Equal(t, release.Late, h.Status)
		require.Equal(t, t0.Add(9*time.Hour), h.ProjectedEnd)
	})
	t.Run("a release that ended in time is on track", func(t *testing.T) {
		r, log := running(t)
		rec(t, r, &log, t0.Add(2*time.Hour), release.ReleaseFailedPayload{Error: "boom"})
		require.Equal(t, release.OnTrack, release.Health(r, t0.Add(20*time.Hour)).Status)
	})
}

func TestWaitingSaysWhoMustAct(t *testing.T) {
	r, log := running(t)
	require.Empty(t, release.Waiting(r))
	at := t0.Add(2 * time.Hour)
	rec(t, r, &log, at, release.ActivityStartedPayload{Activity: "build.compile"},
		release.ActivityHeldPayload{Activity: "build.compile", Error: "exit 1"})
	require.Equal(t, []release.Wait{{Activity: "build.compile", Kind: release.WaitOperator, On: []string{"dev-team"}, Since: at, Detail: "exit 1"}},
		release.Waiting(r))

	at = at.Add(time.Hour)
	rec(t, r, &log, at, release.ActivityIgnoredPayload{Activity: "build.compile"}, release.PhaseSucceededPayload{Phase: "build"},
		release.PhaseStartedPayload{Phase: "qa"}, release.ActivityStartedPayload{Activity: "qa.regression"},
		release.ActivityWaitingPayload{Activity: "qa.regression"},
		release.TaskUpdatedPayload{Activity: "qa.regression", Task: "run-suite", Status: release.TaskInProgress})
	require.Equal(t, []release.Wait{{Activity: "qa.regression", Kind: release.WaitTask, Task: "run-suite", On: []string{"group:qa"},
		Since: at, Detail: "run-suite is IN_PROGRESS"}}, release.Waiting(r), "only required tasks when some are required")

	rec(t, r, &log, at, release.TaskUpdatedPayload{Activity: "qa.regression", Task: "run-suite", Status: release.TaskSucceeded})
	require.Equal(t, []release.Wait{{Activity: "qa.regression", Kind: release.WaitOutputs, On: []string{"group:qa"},
		Missing: []string{"report-url"}, Since: at}}, release.Waiting(r))

	rec(t, r, &log, at, release.OutputsSubmittedPayload{Activity: "qa.regression", Outputs: map[string]any{"report-url": "u"}})
	require.Equal(t, []release.Wait{{Activity: "qa.regression", Kind: release.WaitSignOff, On: []string{"group:qa"}, Since: at}}, release.Waiting(r))

	rec(t, r, &log, at, release.ActivitySucceededPayload{Activity: "qa.regression"},
		release.ActivityStartedPayload{Activity: "qa.signoff"}, release.ActivityWaitingPayload{Activity: "qa.signoff"})
	_, err := r.Record(ev(t, at, "frank", release.ApprovalGrantedPayload{Activity: "qa.signoff"}))
	require.NoError(t, err)
	require.Equal(t, []release.Wait{{Activity: "qa.signoff", Kind: release.WaitApproval, On: []string{"group:qa-leads"}, Needed: 1,
		Since: at, Detail: "1 of 2 approvals"}}, release.Waiting(r))
	require.True(t, r.WaitingForInput())
	require.True(t, r.Summary().WaitingForInput)
}

func TestTimelineIsOrderedByTime(t *testing.T) {
	r, log := running(t)
	at := t0.Add(time.Hour)
	rec(t, r, &log, at.Add(time.Minute), release.ActivityStartedPayload{Activity: "build.compile"})
	rec(t, r, &log, at.Add(2*time.Minute), release.LinkAddedPayload{Activity: "build.compile",
		Link: release.Link{Kind: release.LinkBuild, URL: "https://ci/b/7"}})
	rec(t, r, &log, at.Add(3*time.Minute), release.ActivityFailedPayload{Activity: "build.compile", Error: "exit 1"})
	rec(t, r, &log, at.Add(4*time.Minute), release.CommentAddedPayload{Text: "looking"})
	rec(t, r, &log, at.Add(5*time.Minute), release.ReleaseAbortedPayload{})
	_ = log
	tl := release.Timeline(r)
	var got []string
	for _, e := range tl {
		got = append(got, e.At.Sub(t0).String()+" "+e.Subject+" "+e.What)
	}
	require.Equal(t, []string{
		"0s release created",
		"1h0m0s release started",
		"1h0m0s phase build started",
		"1h1m0s activity build.compile attempt 1 started",
		"1h2m0s activity build.compile link build",
		"1h3m0s activity build.compile attempt 1 ended",
		"1h3m0s activity build.compile Failed",
		"1h4m0s release comment",
		"1h5m0s release Aborted",
	}, got)
	require.Equal(t, "exit 1", tl[5].Detail)
	require.Equal(t, "https://ci/b/7", tl[4].Detail)
}

// Health's Recheck: at every minute up to Recheck the status is the same;
// Late and ended releases have none; and the instants are the ones the
// rules name (the expected start, an activity's expected end, the time
// the projection reaches the expected end, the expected end).
func TestHealthRecheckHoldsTheStatusUntilItPasses(t *testing.T) {
	scheduled := func(t *testing.T) *release.Release { r, _ := newMobile(t); return r }
	compiling := func(t *testing.T) *release.Release {
		r, log := running(t)
		rec(t, r, &log, t0.Add(time.Hour), release.ActivityStartedPayload{Activity: "build.compile"})
		return r
	}
	waiting := func(t *testing.T) *release.Release { // began waiting 10m into its attempt
		r := compiling(t)
		var log []release.Event
		rec(t, r, &log, t0.Add(time.Hour+10*time.Minute), release.ActivityWaitingPayload{Activity: "build.compile"})
		return r
	}
	paused := func(t *testing.T) *release.Release {
		r, log := running(t)
		rec(t, r, &log, t0.Add(time.Hour), release.ReleasePausedPayload{})
		return r
	}
	ended := func(t *testing.T) *release.Release {
		r, log := running(t)
		rec(t, r, &log, t0.Add(2*time.Hour), release.ReleaseAbortedPayload{})
		return r
	}
	for _, tc := range []struct {
		name string
		make func(*testing.T) *release.Release
		// the Recheck of the first look, at t0 + 1h
		first time.Time
	}{
		{"scheduled", scheduled, t0.Add(time.Hour)},              // the expected start
		{"compiling", compiling, t0.Add(90 * time.Minute)},       // compile's 30m run out
		{"waiting", waiting, t0.Add(time.Hour + 40*time.Minute)}, // 30m after the wait began
		{"paused", paused, t0.Add(2*time.Hour + 10*time.Minute)}, // projected 6h50m after the 1h start: 1h10m to spare
		{"ended", ended, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.make(t)
			require.Equal(t, tc.first, release.Health(r, t0.Add(time.Hour)).Recheck)
			for now := t0.Add(time.Hour); now.Before(t0.Add(12 * time.Hour)); now = now.Add(7 * time.Minute) {
				h := release.Health(r, now)
				if h.Status == release.Late || r.Status.Terminal() {
					require.Zero(t, h.Recheck, "at %s: %s cannot change without an event", now.Sub(t0), h.Status)
					continue
				}
				require.False(t, h.Recheck.Before(now), "at %s", now.Sub(t0))
				for at := now; !at.After(h.Recheck); at = at.Add(time.Minute) {
					require.Equal(t, h.Status, release.Health(r, at).Status, "looked at %s, again at %s (recheck %s)", now.Sub(t0), at.Sub(t0), h.Recheck.Sub(t0))
				}
				require.Equal(t, h.Status, release.Health(r, h.Recheck).Status, "at the recheck itself")
			}
		})
	}
	// Tight where a rule turns: late just after the expected end.
	r := compiling(t)
	h := release.Health(r, t0.Add(7*time.Hour))
	require.Equal(t, release.AtRisk, h.Status)
	require.Equal(t, t0.Add(8*time.Hour), h.Recheck)
	require.Equal(t, release.Late, release.Health(r, h.Recheck.Add(time.Nanosecond)).Status)
}
