package executor

import (
	"context"
	"errors"
	"github.com/batonhq/baton/store/memstore"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/sqlite"
)

// deployProcess builds, then rolls out and verifies in a prod-labelled
// phase.
const deployProcess = `
id: deploy
name: Deploy
phases:
  - id: build
    activities:
      - {id: compile, uses: noop}
  - id: prod
    depends-on: [build]
    labels: {env: prod}
    activities:
      - {id: rollout, uses: noop}
      - {id: verify, uses: noop, depends-on: [rollout]}
`

func oneOff(id release.FreezeID, from, to time.Time, scope release.FreezeScope) *release.Freeze {
	return &release.Freeze{ID: id, Name: "Freeze " + string(id), Reason: "change freeze",
		Windows: []release.FreezeWindow{{Start: from, End: to}}, Scope: scope, Enabled: true}
}

var prodOnly = release.FreezeScope{Labels: map[string]string{"env": "prod"}}

func (h *harness) putFreeze(f *release.Freeze) *release.Freeze {
	h.t.Helper()
	stored, err := h.ex.PutFreeze(context.Background(), &PutFreezeParams{Freeze: f, By: By{Actor: "alice"}})
	require.NoError(h.t, err)
	return stored
}

// records returns the group's history records.
func (h *harness) records(g release.GroupID) []release.GroupRecord {
	h.t.Helper()
	page, err := h.ex.GroupHistory(context.Background(), &GroupHistoryParams{ListGroupHistoryParams: store.ListGroupHistoryParams{Group: g, Limit: store.MaxLimit}})
	require.NoError(h.t, err)
	return page.Records
}

func hasKind(evs []release.Event, k release.EventKind) *release.Event {
	for i := range evs {
		if evs[i].Kind == k {
			return &evs[i]
		}
	}
	return nil
}

func TestFreezeSkipsAFrozenOccurrenceAtPlacementNamingTheFreeze(t *testing.T) {
	h := newHarness(t, nil, &recorder{kind: "noop"})
	h.put(noopProcess)
	h.putFreeze(oneOff("cyber-monday", firstMonday.Add(-2*time.Hour), firstMonday.Add(2*time.Hour),
		release.FreezeScope{Groups: []release.GroupID{"weekly"}}))
	h.putGroup(weeklyGroup()) // freeze policy: skip (the default)

	h.until(firstMonday.Add(week - 24*time.Hour))
	rs := h.waitReleases("weekly", 1)
	require.True(t, rs[0].Occurrence.Equal(firstMonday.Add(week)), "the frozen Monday made no release")
	h.waitHistory("weekly", []decision{{firstMonday, release.DecisionSkipped}, {firstMonday.Add(week), release.DecisionCreated}})
	rec := h.records("weekly")[0]
	require.Equal(t, release.FreezeID("cyber-monday"), rec.Freeze)
	require.Contains(t, rec.Reason, `frozen by "Freeze cyber-monday"`)
}

func TestFreezeShiftMovesOccurrencesToItsEndAndMergesThoseThatLandTogether(t *testing.T) {
	ad := &recorder{kind: "noop"}
	h := newHarness(t, nil, ad)
	h.put(noopProcess)
	// Daily at 10:00; frozen from Monday 00:00 to Thursday 08:00: the
	// Monday, Tuesday and Wednesday occurrences all shift to Thursday
	// 08:00 and make one release; Thursday 10:00 is its own.
	end := firstMonday.Add(3*24*time.Hour - 2*time.Hour)
	h.putFreeze(oneOff("rollout-freeze", firstMonday.Add(-10*time.Hour), end, release.FreezeScope{Processes: []process.ID{"train"}}))
	g := weeklyGroup()
	g.ID, g.Cadence, g.LeadTime, g.FreezePolicy = "daily", "0 10 * * *", process.Duration(time.Hour), release.FreezeShift
	g.Start = firstMonday.Add(-time.Hour)
	h.putGroup(g)

	for d := range 3 {
		h.until(firstMonday.Add(time.Duration(d)*24*time.Hour - time.Hour))
		want := d + 2 // a shifted record per occurrence, and the release's created record
		require.True(t, waitFor(func() bool { return len(h.history("daily")) >= want }), "%v", h.history("daily"))
	}
	h.until(end)
	h.until(firstMonday.Add(3*24*time.Hour - time.Hour))
	rs := h.waitReleases("daily", 2)
	require.True(t, rs[0].Occurrence.Equal(end), "the shifted release is made for the freeze's end: %s", rs[0].Occurrence)
	require.True(t, rs[0].ScheduledFor.Equal(end))
	require.True(t, rs[1].Occurrence.Equal(firstMonday.Add(3*24*time.Hour)))
	h.waitStatus(rs[0].ID, release.Succeeded)

	var shifted []release.GroupRecord
	for _, r := range h.records("daily") {
		if r.Decision == release.DecisionShifted {
			shifted = append(shifted, r)
		}
	}
	require.Len(t, shifted, 3, "%+v", h.records("daily"))
	for i, r := range shifted {
		require.True(t, r.Occurrence.Equal(firstMonday.Add(time.Duration(i)*24*time.Hour)))
		require.True(t, r.ShiftedTo.Equal(end), "shifted from %s to %s", r.Occurrence, r.ShiftedTo)
		require.Equal(t, release.FreezeID("rollout-freeze"), r.Freeze)
	}
	require.Len(t, ad.Calls(), 1, "one run for the three shifted occurrences")
}

// TestFreezeShiftRecordsEveryShiftedOccurrenceAcrossARestart restarts
// the executor after the first of three occurrences shifted to a
// freeze's end: the history holds the shifted release's record at the
// freeze's end, after the occurrences still to shift, and the restarted
// scheduler must not take it for where to go on from.
func TestFreezeShiftRecordsEveryShiftedOccurrenceAcrossARestart(t *testing.T) {
	ad := &recorder{kind: "noop"}
	h := newHarness(t, nil, ad)
	h.put(noopProcess)
	end := firstMonday.Add(3*24*time.Hour - 2*time.Hour) // Thursday 08:00
	h.putFreeze(oneOff("rollout-freeze", firstMonday.Add(-10*time.Hour), end, release.FreezeScope{Processes: []process.ID{"train"}}))
	g := weeklyGroup()
	g.ID, g.Cadence, g.LeadTime, g.FreezePolicy = "daily", "0 10 * * *", process.Duration(time.Hour), release.FreezeShift
	g.Start = firstMonday.Add(-time.Hour)
	h.putGroup(g)

	h.until(firstMonday.Add(-time.Hour))
	h.waitHistory("daily", []decision{{firstMonday, release.DecisionShifted}, {end, release.DecisionCreated}})
	h.shutdown()
	h.start()
	for d := 1; d < 3; d++ {
		h.until(firstMonday.Add(time.Duration(d)*24*time.Hour - time.Hour))
	}
	h.until(end)
	thu := firstMonday.Add(3 * 24 * time.Hour)
	h.until(thu.Add(-time.Hour))
	rs := h.waitReleases("daily", 2)
	require.True(t, rs[0].Occurrence.Equal(end))
	require.True(t, rs[1].Occurrence.Equal(thu))
	h.waitHistory("daily", []decision{
		{firstMonday, release.DecisionShifted}, {firstMonday.Add(24 * time.Hour), release.DecisionShifted},
		{firstMonday.Add(48 * time.Hour), release.DecisionShifted},
		{end, release.DecisionCreated}, {thu, release.DecisionCreated},
	})
	h.waitStatus(rs[0].ID, release.Succeeded)
	require.Len(t, ad.Calls(), 1, "one run for the three shifted occurrences")
}

func TestOnDemandStartIsRefusedWithAnErrorNamingTheFreeze(t *testing.T) {
	ad := &recorder{kind: "noop"}
	h := newHarness(t, nil, ad)
	h.put(noopProcess)
	until := t0.Add(48 * time.Hour)
	h.putFreeze(oneOff("year-end", t0.Add(-time.Hour), until, release.FreezeScope{Processes: []process.ID{"train"}}))
	ctx := context.Background()

	_, err := h.ex.Create(ctx, &CreateParams{Process: "train", By: By{Actor: "alice"}})
	require.ErrorIs(t, err, ErrFrozen)
	var fe *FrozenError
	require.True(t, errors.As(err, &fe))
	require.Equal(t, release.FreezeID("year-end"), fe.Freeze)
	require.True(t, fe.Until.Equal(until))
	require.Contains(t, err.Error(), `frozen by "Freeze year-end" (year-end: change freeze) until 2026-11-27T09:00:00Z`)
	page, err := h.store.ListReleases(ctx, &store.ListReleasesParams{})
	require.NoError(t, err)
	require.Empty(t, page.Releases, "nothing is stored")

	// A release made for later is stored; starting it now is refused.
	sum, err := h.ex.Create(ctx, &CreateParams{Process: "train", By: By{Actor: "alice"}, ScheduledFor: t0.Add(time.Hour)})
	require.NoError(t, err)
	err = h.ex.Start(ctx, sum.ID, &By{Actor: "alice"})
	require.ErrorIs(t, err, ErrFrozen)
	require.Contains(t, err.Error(), "executor: start: release "+string(sum.ID)+` is frozen by "Freeze year-end"`)
	require.Equal(t, release.Scheduled, h.get(sum.ID).Status)

	// Its scheduled start waits for the freeze's end, recorded.
	h.until(t0.Add(time.Hour))
	ok := waitFor(func() bool { return h.get(sum.ID).ScheduledFor.Equal(until) })
	require.True(t, ok, "rescheduled to the freeze's end: %s", h.get(sum.ID).ScheduledFor)
	resched := hasKind(h.events(sum.ID), release.KindReleaseRescheduled)
	require.NotNil(t, resched)
	require.Contains(t, resched.Reason, "year-end")
	x, err := h.ex.Why(ctx, sum.ID, "ship.build", nil)
	require.NoError(t, err)
	require.Equal(t, ReasonFreeze, x.Reasons[len(x.Reasons)-1].Kind)
	require.Empty(t, ad.Calls())
	h.until(until)
	h.waitStatus(sum.ID, release.Succeeded)
	_, err = h.ex.Create(ctx, &CreateParams{Process: "train", By: By{Actor: "alice"}})
	require.NoError(t, err, "after the freeze, starts are allowed")
}

func TestAProdLabelledActivityWaitsThroughAFreezeAndResumesAfterIt(t *testing.T) {
	ad := &recorder{kind: "noop"}
	h := newHarness(t, nil, ad)
	h.put(deployProcess)
	until := t0.Add(2 * time.Hour)
	h.putFreeze(oneOff("prod-freeze", t0, until, prodOnly))
	ctx := context.Background()

	id := h.create("deploy", nil) // the release has no labels: it starts
	h.waitActivity(id, "build.compile", release.ActivitySucceeded)
	require.Never(t, func() bool { return len(ad.Calls()) > 1 }, 50*time.Millisecond, 5*time.Millisecond)
	require.Equal(t, release.ActivityPending, h.get(id).Activities["prod.rollout"].Status)
	x, err := h.ex.Why(ctx, id, "prod.rollout", nil)
	require.NoError(t, err)
	require.Len(t, x.Reasons, 1, "%+v", x.Reasons)
	r := x.Reasons[0]
	require.Equal(t, ReasonFreeze, r.Kind)
	require.Equal(t, release.FreezeID("prod-freeze"), r.Freeze)
	require.True(t, r.Until.Equal(until))
	require.Contains(t, r.Text, `frozen by "Freeze prod-freeze" (prod-freeze: change freeze) until 2026-11-25T11:00:00Z`)

	h.until(until.Add(-time.Second))
	require.Equal(t, release.ActivityPending, h.get(id).Activities["prod.rollout"].Status)
	h.until(until)
	h.waitStatus(id, release.Succeeded)
	require.Equal(t, []release.ActivityKey{"build.compile", "prod.rollout", "prod.verify"}, ad.order())
	require.True(t, h.get(id).Activities["prod.rollout"].StartedAt.Equal(until))
}

func TestFreezesStoredOrDeletedTakeEffectOnWaitingActivitiesWithoutARestart(t *testing.T) {
	ad := &recorder{kind: "noop"}
	h := newHarness(t, nil, ad)
	h.put(deployProcess)
	h.putFreeze(oneOff("first", t0, t0.Add(time.Hour), prodOnly))
	id := h.create("deploy", nil)
	h.waitActivity(id, "build.compile", release.ActivitySucceeded)

	// A second freeze stored meanwhile keeps the activity waiting past the
	// first one's end.
	h.putFreeze(oneOff("second", t0.Add(30*time.Minute), t0.Add(5*time.Hour), prodOnly))
	h.until(t0.Add(time.Hour))
	require.Never(t, func() bool { return len(ad.Calls()) > 1 }, 50*time.Millisecond, 5*time.Millisecond)
	x, err := h.ex.Why(context.Background(), id, "prod.rollout", nil)
	require.NoError(t, err)
	require.Equal(t, release.FreezeID("second"), x.Reasons[0].Freeze)

	// Deleting it lets the activity go at once, the clock standing still.
	require.NoError(t, h.ex.DeleteFreeze(context.Background(), "second", &By{Actor: "alice"}))
	h.waitStatus(id, release.Succeeded)
}

func TestFreezeChangesByAnotherExecutorAreSeenWithinTheRescanInterval(t *testing.T) {
	ad := &recorder{kind: "noop"}
	h := newHarness(t, &Config{RescanInterval: time.Minute}, ad)
	h.put(deployProcess)
	h.putFreeze(oneOff("long", t0, t0.Add(24*time.Hour), prodOnly))
	id := h.create("deploy", nil)
	h.waitActivity(id, "build.compile", release.ActivitySucceeded)

	// Deleted straight in the store, as another executor would.
	require.NoError(t, h.store.(store.FreezeStore).DeleteFreeze(context.Background(), "long", 0))
	h.advance(time.Minute)
	h.waitStatus(id, release.Succeeded)
}

func TestFreezeOverrideByAnAuthorizedActorIsRecordedAndByAnotherRefused(t *testing.T) {
	ad := &recorder{kind: "noop"}
	var mu sync.Mutex
	var seen []Action
	auth := func(_ context.Context, a *Action) error {
		if a.Kind == ActionOverrideFreeze {
			mu.Lock()
			seen = append(seen, *a)
			mu.Unlock()
			if a.Actor != "carol" {
				return errForTest
			}
		}
		return nil
	}
	h := newHarness(t, &Config{Authorize: auth}, ad)
	h.put(deployProcess)
	h.putFreeze(oneOff("prod-freeze", t0, t0.Add(24*time.Hour), prodOnly))
	ctx := context.Background()
	a := h.create("deploy", nil)
	b := h.create("deploy", nil)
	h.waitActivity(a, "build.compile", release.ActivitySucceeded)
	h.waitActivity(b, "build.compile", release.ActivitySucceeded)

	err := h.ex.OverrideFreeze(ctx, a, "prod.rollout", &OverrideFreezeParams{Freeze: "prod-freeze", By: By{Actor: "bob", Reason: "hotfix"}})
	require.ErrorIs(t, err, ErrUnauthorized)
	require.Nil(t, hasKind(h.events(a), release.KindFreezeOverridden), "a refused override records nothing")
	require.ErrorIs(t, h.ex.OverrideFreeze(ctx, a, "prod.rollout", &OverrideFreezeParams{Freeze: "prod-freeze", By: By{Actor: "carol"}}), ErrInvalid, "the reason is required")
	require.ErrorIs(t, h.ex.OverrideFreeze(ctx, a, "prod.rollout", &OverrideFreezeParams{Freeze: "nope", By: By{Actor: "carol", Reason: "x"}}), ErrNotFound)
	require.ErrorIs(t, h.ex.OverrideFreeze(ctx, a, "prod.nope", &OverrideFreezeParams{Freeze: "prod-freeze", By: By{Actor: "carol", Reason: "x"}}), ErrNotFound)

	require.NoError(t, h.ex.OverrideFreeze(ctx, a, "prod.rollout", &OverrideFreezeParams{Freeze: "prod-freeze", By: By{Actor: "carol", Reason: "hotfix"}}))
	h.waitActivity(a, "prod.rollout", release.ActivitySucceeded)
	ev := hasKind(h.events(a), release.KindFreezeOverridden)
	require.NotNil(t, ev)
	require.Equal(t, "carol", ev.Actor)
	require.Equal(t, "hotfix", ev.Reason)
	mu.Lock()
	last := seen[len(seen)-1]
	mu.Unlock()
	require.Equal(t, release.FreezeID("prod-freeze"), last.Freeze)
	require.Equal(t, a, last.Release)
	require.Equal(t, release.ActivityKey("prod.rollout"), last.Activity)

	// The override covered that one activity: its dependent still waits,
	// and so does the other release.
	require.Never(t, func() bool {
		r := h.get(a)
		return r.Activities["prod.verify"].Status != release.ActivityPending || h.get(b).Activities["prod.rollout"].Status != release.ActivityPending
	}, 50*time.Millisecond, 5*time.Millisecond)

	// An override of the whole release lets every activity of it through.
	require.NoError(t, h.ex.OverrideFreeze(ctx, a, "", &OverrideFreezeParams{Freeze: "prod-freeze", By: By{Actor: "carol", Reason: "all of it"}}))
	h.waitStatus(a, release.Succeeded)
	require.Equal(t, release.ActivityPending, h.get(b).Activities["prod.rollout"].Status, "an override of another release lets nothing through here")
}

func TestRetryAndSkipCannotGetAFrozenActivityPastTheFreeze(t *testing.T) {
	var mu sync.Mutex
	failures := map[release.ActivityKey]int{"prod.rollout": 1}
	ad := &recorder{kind: "noop", fn: func(_ context.Context, req *adapters.Request) (*adapters.Result, error) {
		mu.Lock()
		defer mu.Unlock()
		if failures[req.Activity] > 0 {
			failures[req.Activity]--
			return nil, adapters.Permanent(errors.New("boom"))
		}
		return &adapters.Result{}, nil
	}}
	h := newHarness(t, nil, ad)
	h.put(deployProcess)
	ctx := context.Background()
	id := h.create("deploy", nil)
	h.waitActivity(id, "prod.rollout", release.ActivityOnHold)
	h.putFreeze(oneOff("prod-freeze", t0, t0.Add(24*time.Hour), prodOnly))

	err := h.ex.Retry(ctx, id, "prod.rollout", &RetryParams{By: By{Actor: "alice"}})
	require.ErrorIs(t, err, ErrFrozen, "a retry starts the activity: refused while frozen")
	require.Contains(t, err.Error(), "executor: retry: activity prod.rollout of release")
	require.Equal(t, release.ActivityOnHold, h.get(id).Activities["prod.rollout"].Status)

	// Skipping runs nothing; the dependent it frees is still frozen.
	require.NoError(t, h.ex.Skip(ctx, id, "prod.rollout", &By{Actor: "alice"}))
	require.Never(t, func() bool { return h.get(id).Activities["prod.verify"].Status != release.ActivityPending }, 50*time.Millisecond, 5*time.Millisecond)
	x, err := h.ex.Why(ctx, id, "prod.verify", nil)
	require.NoError(t, err)
	require.Equal(t, ReasonFreeze, x.Reasons[0].Kind)
	h.until(t0.Add(24 * time.Hour))
	h.waitStatus(id, release.Succeeded)
}

// retryProcess retries its prod rollout after a minute.
const retryProcess = `
id: retrying
phases:
  - id: prod
    labels: {env: prod}
    activities:
      - {id: rollout, uses: noop, retry: {max-attempts: 2, backoff: 1m}}
`

func TestAnAutomaticRetryWaitsForTheFreeze(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	ad := &recorder{kind: "noop", fn: func(_ context.Context, req *adapters.Request) (*adapters.Result, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			return nil, errors.New("flaky")
		}
		return &adapters.Result{}, nil
	}}
	h := newHarness(t, nil, ad)
	h.put(retryProcess)
	id := h.create("retrying", nil)
	h.waitActivity(id, "prod.rollout", release.ActivityFailed)
	h.putFreeze(oneOff("prod-freeze", t0, t0.Add(time.Hour), prodOnly))
	h.advance(time.Minute)
	require.Never(t, func() bool { return len(ad.Calls()) > 1 }, 50*time.Millisecond, 5*time.Millisecond)
	h.until(t0.Add(time.Hour))
	h.waitStatus(id, release.Succeeded)
	require.True(t, h.get(id).Activities["prod.rollout"].Attempts[1].StartedAt.Equal(t0.Add(time.Hour)))
}

// parentProcess runs a child release of childProcess.
const parentProcess = `
id: parent
phases:
  - id: run
    activities:
      - {id: smoke, type: subprocess, process: child}
`

const childProcess = `
id: child
phases:
  - id: run
    activities:
      - {id: prep, type: manual, tasks: [{id: t, required: true}]}
      - {id: probe, uses: noop, depends-on: [prep]}
`

func TestAChildReleaseOfAFrozenReleaseIsHeldToo(t *testing.T) {
	ad := &recorder{kind: "noop"}
	h := newHarness(t, nil, ad)
	h.put(childProcess)
	h.put(parentProcess)
	ctx := context.Background()
	sum, err := h.ex.Create(ctx, &CreateParams{Process: "parent", By: By{Actor: "alice"}, Labels: map[string]string{"env": "prod"}})
	require.NoError(t, err)
	h.waitActivity(sum.ID, "run.smoke", release.ActivityRunning)
	child := childID(sum.ID, "run.smoke", 1)
	h.waitActivity(child, "run.prep", release.ActivityWaiting)
	require.Equal(t, "prod", h.get(child).Labels["env"], "the child carries its parent's labels")

	// The freeze begins while the child runs: its next activity waits.
	h.putFreeze(oneOff("prod-freeze", t0, t0.Add(time.Hour), prodOnly))
	require.NoError(t, h.ex.CompleteTask(ctx, child, "run.prep", "t", &By{Actor: "alice"}))
	h.waitActivity(child, "run.prep", release.ActivitySucceeded)
	require.Never(t, func() bool { return len(ad.Calls()) > 0 }, 50*time.Millisecond, 5*time.Millisecond)
	x, err := h.ex.Why(ctx, child, "run.probe", nil)
	require.NoError(t, err)
	require.Equal(t, ReasonFreeze, x.Reasons[0].Kind)

	// A host cannot give a release the executor's override label.
	_, err = h.ex.Create(ctx, &CreateParams{Process: "child", By: By{Actor: "mallory"}, ScheduledFor: t0.Add(48 * time.Hour),
		Labels: map[string]string{"env": "prod", LabelFreezeOverrides: "prod-freeze"}})
	require.ErrorIs(t, err, ErrInvalid)

	h.until(t0.Add(time.Hour))
	h.waitStatus(sum.ID, release.Succeeded)
}

func TestAnOverrideOfTheParentCoversTheChildItMakesAfterwards(t *testing.T) {
	ad := &recorder{kind: "noop"}
	h := newHarness(t, nil, ad)
	h.put(childProcess)
	h.put(parentProcess)
	ctx := context.Background()
	h.putFreeze(oneOff("prod-freeze", t0, t0.Add(time.Hour), prodOnly))
	sum, err := h.ex.Create(ctx, &CreateParams{Process: "parent", By: By{Actor: "alice"}, Labels: map[string]string{"env": "prod"}, ScheduledFor: t0.Add(time.Minute)})
	require.NoError(t, err)
	require.NoError(t, h.ex.OverrideFreeze(ctx, sum.ID, "", &OverrideFreezeParams{Freeze: "prod-freeze", By: By{Actor: "carol", Reason: "incident"}}))
	require.NoError(t, h.ex.Start(ctx, sum.ID, &By{Actor: "carol"}), "the overridden release may start")
	child := childID(sum.ID, "run.smoke", 1)
	h.waitActivity(child, "run.prep", release.ActivityWaiting)
	require.Equal(t, "prod-freeze", h.get(child).Labels[LabelFreezeOverrides])
	require.NoError(t, h.ex.CompleteTask(ctx, child, "run.prep", "t", &By{Actor: "alice"}))
	h.waitStatus(sum.ID, release.Succeeded)
}

func TestAGroupStartHeldByAFreezeIsRecordedAndStartsWhenItEnds(t *testing.T) {
	ad := &recorder{kind: "noop"}
	h := newHarness(t, nil, ad)
	h.put(noopProcess)
	g := weeklyGroup()
	g.Overlap = release.OverlapForbid // the scheduler starts its releases itself
	h.putGroup(g)
	h.until(firstMonday.Add(-24 * time.Hour))
	id := h.waitReleases("weekly", 1)[0].ID

	// Stored after the release was placed: it holds the start.
	until := firstMonday.Add(3 * time.Hour)
	h.putFreeze(oneOff("monday", firstMonday.Add(-time.Hour), until, release.FreezeScope{Groups: []release.GroupID{"weekly"}}))
	h.until(firstMonday)
	h.waitHistory("weekly", []decision{{firstMonday, release.DecisionCreated}, {firstMonday, release.DecisionWaited}})
	require.Equal(t, release.Scheduled, h.get(id).Status)
	require.Equal(t, release.FreezeID("monday"), h.records("weekly")[1].Freeze)
	h.until(until)
	h.waitStatus(id, release.Succeeded)
	require.True(t, h.get(id).StartedAt.Equal(until))
}

func TestPutFreezeValidatesAuthorizesAndTracksRevisions(t *testing.T) {
	var mu sync.Mutex
	var seen []Action
	auth := func(_ context.Context, a *Action) error {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, *a)
		if a.Actor == "mallory" {
			return errForTest
		}
		return nil
	}
	h := newHarness(t, &Config{Authorize: auth})
	ctx := context.Background()
	f := oneOff("year-end", t0, t0.Add(time.Hour), prodOnly)

	_, err := h.ex.PutFreeze(ctx, &PutFreezeParams{Freeze: f, By: By{Actor: "mallory"}})
	require.ErrorIs(t, err, ErrUnauthorized)
	mu.Lock()
	require.Equal(t, ActionPutFreeze, seen[0].Kind)
	require.Equal(t, release.FreezeID("year-end"), seen[0].Freeze)
	require.Equal(t, f.Windows, seen[0].NewFreeze.Windows, "the authorizer sees the freeze it would store")
	mu.Unlock()

	bad := f.Clone()
	bad.Scope = release.FreezeScope{}
	_, err = h.ex.PutFreeze(ctx, &PutFreezeParams{Freeze: bad, By: By{Actor: "alice"}})
	require.ErrorIs(t, err, ErrInvalid)
	require.ErrorIs(t, err, release.ErrInvalidFreeze)
	require.Contains(t, err.Error(), "scope: required")

	stored := h.putFreeze(f)
	require.Equal(t, int64(1), stored.Revision)
	require.Equal(t, "alice", stored.CreatedBy)
	require.True(t, stored.CreatedAt.Equal(t0))
	stored.Reason = "changed"
	again, err := h.ex.PutFreeze(ctx, &PutFreezeParams{Freeze: stored, By: By{Actor: "bob"}})
	require.NoError(t, err)
	require.Equal(t, int64(2), again.Revision)
	require.Equal(t, "alice", again.CreatedBy, "the creator is kept")
	_, err = h.ex.PutFreeze(ctx, &PutFreezeParams{Freeze: stored, By: By{Actor: "bob"}})
	require.ErrorIs(t, err, store.ErrConflict)

	got, err := h.ex.GetFreeze(ctx, "year-end", &By{Actor: "bob"})
	require.NoError(t, err)
	require.Equal(t, "changed", got.Reason)
	_, err = h.ex.GetFreeze(ctx, "year-end", &By{Actor: "mallory"})
	require.ErrorIs(t, err, ErrUnauthorized)
	page, err := h.ex.ListFreezes(ctx, &ListFreezesParams{By: By{Actor: "bob"}})
	require.NoError(t, err)
	require.Len(t, page.Freezes, 1)
	require.ErrorIs(t, h.ex.DeleteFreeze(ctx, "year-end", &By{Actor: "mallory"}), ErrUnauthorized)
	require.NoError(t, h.ex.DeleteFreeze(ctx, "year-end", &By{Actor: "bob"}))
	require.ErrorIs(t, h.ex.DeleteFreeze(ctx, "year-end", &By{Actor: "bob"}), store.ErrNotFound)
}

func TestFreezeWindowsListsTheWindowsInARange(t *testing.T) {
	h := newHarness(t, nil)
	weekend := &release.Freeze{ID: "weekends", Scope: prodOnly, Enabled: true,
		Recurring: []release.RecurringFreeze{{Schedule: "weekly on sat at 00:00", Days: 2}}}
	h.putFreeze(weekend)
	h.putFreeze(oneOff("xmas", time.Date(2026, 12, 24, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 27, 0, 0, 0, 0, time.UTC),
		release.FreezeScope{Groups: []release.GroupID{"weekly"}}))
	off := oneOff("off", t0, t0.Add(time.Hour), prodOnly)
	off.Enabled = false
	h.putFreeze(off)

	ws, err := h.ex.FreezeWindows(context.Background(), &FreezeWindowsParams{
		From: time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC), To: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), By: By{Actor: "alice"}})
	require.NoError(t, err)
	var got []string
	for _, w := range ws {
		got = append(got, string(w.Freeze)+" "+w.Start.UTC().Format("01-02")+".."+w.End.UTC().Format("01-02"))
	}
	require.Equal(t, []string{"weekends 12-19..12-21", "xmas 12-24..12-27", "weekends 12-26..12-28"}, got)

	ws, err = h.ex.FreezeWindows(context.Background(), &FreezeWindowsParams{
		From: time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC), To: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), By: By{Actor: "alice"},
		Subject: &release.FreezeSubject{Group: "weekly"}})
	require.NoError(t, err)
	require.Len(t, ws, 1, "only the freezes whose scope holds the group")
	require.Equal(t, release.FreezeID("xmas"), ws[0].Freeze)
	_, err = h.ex.FreezeWindows(context.Background(), &FreezeWindowsParams{From: t0, To: t0, By: By{Actor: "alice"}})
	require.ErrorIs(t, err, ErrInvalid)
}

// labelledParent runs its child from a prod-labelled activity.
const labelledParent = `
id: parent
phases:
  - id: run
    activities:
      - {id: smoke, type: subprocess, process: child, labels: {env: prod}}
`

func TestAnOverrideOfASubprocessActivityCoversItsChild(t *testing.T) {
	ad := &recorder{kind: "noop"}
	h := newHarness(t, nil, ad)
	h.put(childProcess)
	h.put(labelledParent)
	ctx := context.Background()
	h.putFreeze(oneOff("prod-freeze", t0, t0.Add(time.Hour), prodOnly))
	id := h.create("parent", nil) // no labels: the release starts; its prod activity waits
	x, err := h.ex.Why(ctx, id, "run.smoke", nil)
	require.NoError(t, err)
	require.Equal(t, ReasonFreeze, x.Reasons[0].Kind)

	require.NoError(t, h.ex.OverrideFreeze(ctx, id, "run.smoke", &OverrideFreezeParams{Freeze: "prod-freeze", By: By{Actor: "carol", Reason: "urgent"}}))
	child := childID(id, "run.smoke", 1)
	h.waitActivity(child, "run.prep", release.ActivityWaiting)
	c := h.get(child)
	require.Equal(t, "prod", c.Labels["env"], "the child carries its activity's labels")
	require.Equal(t, "prod-freeze", c.Labels[LabelFreezeOverrides])
	require.NoError(t, h.ex.CompleteTask(ctx, child, "run.prep", "t", &By{Actor: "alice"}))
	h.waitStatus(id, release.Succeeded)
}

func TestARecurringICalFreezeHoldsOnSQLiteAcrossARestart(t *testing.T) {
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "baton.db"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	ad := &recorder{kind: "noop"}
	h := newHarnessOn(t, st, nil, ad)
	h.put(deployProcess)
	// Every Wednesday 08:00-12:00 UTC, from an exported calendar: t0 is a
	// Wednesday 09:00.
	ics := "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20261104T080000Z\r\nDTEND:20261104T120000Z\r\nRRULE:FREQ=WEEKLY\r\nSUMMARY:Wednesday freeze\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	h.putFreeze(&release.Freeze{ID: "wednesdays", ICal: ics, Scope: prodOnly, Enabled: true})
	id := h.create("deploy", nil)
	h.waitActivity(id, "build.compile", release.ActivitySucceeded)

	h.shutdown()
	h.start() // the held activity is held again after the restart
	require.Never(t, func() bool { return len(ad.Calls()) > 1 }, 50*time.Millisecond, 5*time.Millisecond)
	x, err := h.ex.Why(context.Background(), id, "prod.rollout", nil)
	require.NoError(t, err)
	require.True(t, x.Reasons[0].Until.Equal(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)), "%+v", x.Reasons)
	h.until(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	h.waitStatus(id, release.Succeeded)
}

func TestTheCalendarShowsTheFreezes(t *testing.T) {
	h := newHarness(t, nil)
	h.putFreeze(oneOff("xmas", firstMonday, firstMonday.Add(24*time.Hour), prodOnly))
	off := oneOff("off", firstMonday, firstMonday.Add(time.Hour), prodOnly)
	off.Enabled = false
	h.putFreeze(off)
	c, err := h.ex.Calendar(context.Background(), &CalendarParams{From: firstMonday.Add(-week), To: firstMonday.Add(week), By: By{Actor: "alice"}})
	require.NoError(t, err)
	require.Len(t, c.Freezes, 1, "enabled freezes only")
	require.Equal(t, CalendarFreeze{Freeze: "xmas", Name: "Freeze xmas", Reason: "change freeze",
		Start: firstMonday, End: firstMonday.Add(24 * time.Hour), Scope: prodOnly, Enabled: true}, c.Freezes[0])
}

func TestAnAutoExecutedGroupReleaseHeldAtItsStartIsRecordedWaited(t *testing.T) {
	h := newHarness(t, nil, &recorder{kind: "noop"})
	h.put(noopProcess)
	h.putGroup(weeklyGroup()) // overlap allow: the release starts itself at its time
	h.until(firstMonday.Add(-24 * time.Hour))
	id := h.waitReleases("weekly", 1)[0].ID
	until := firstMonday.Add(time.Hour)
	h.putFreeze(oneOff("monday", firstMonday.Add(-time.Hour), until, release.FreezeScope{All: true}))
	h.until(firstMonday)
	h.waitHistory("weekly", []decision{{firstMonday, release.DecisionCreated}, {firstMonday, release.DecisionWaited}})
	require.Equal(t, release.FreezeID("monday"), h.records("weekly")[1].Freeze)
	h.until(until)
	h.waitStatus(id, release.Succeeded)
	require.True(t, h.get(id).StartedAt.Equal(until))
}

// gatedFreezes is a FreezeStore whose ListFreezes reads the store, then
// waits to be let go before it answers: a slow read.
type gatedFreezes struct {
	store.FreezeStore
	entered, release chan struct{}
}

func (g *gatedFreezes) ListFreezes(ctx context.Context, p *store.ListFreezesParams) (*store.FreezePage, error) {
	page, err := g.FreezeStore.ListFreezes(ctx, p)
	close(g.entered)
	<-g.release
	return page, err
}

// A read of the freezes that began before a PutFreeze and ends after it
// must not put back the list it read: the freeze just stored would be
// forgotten until the next refresh (a RescanInterval later).
func TestASlowFreezeReadNeverHidesAFreezeStoredMeanwhile(t *testing.T) {
	mem := memstore.New(nil)
	h := newHarnessOn(t, mem, nil, &recorder{kind: "noop"})
	ctx := context.Background()
	gated := &gatedFreezes{FreezeStore: mem, entered: make(chan struct{}), release: make(chan struct{})}
	done := make(chan struct{})
	go func() { defer close(done); h.ex.loadFreezes(ctx, gated, false) }()
	<-gated.entered // it has read the store: no freeze yet
	h.putFreeze(oneOff("audit", t0, t0.Add(time.Hour), release.FreezeScope{All: true}))
	close(gated.release)
	<-done
	list := h.ex.activeFreezes(ctx)
	require.Len(t, list, 1, "the freeze stored meanwhile is kept")
	require.Equal(t, release.FreezeID("audit"), list[0].f.ID)
}

// With a Sealer the executor writes through a sealing wrapper of the
// store; the freezes (and the groups' history) must still be found, or a
// host that anchors its releases would have freezes that hold nothing.
func TestFreezesHoldWhenTheExecutorSealsReleaseHeads(t *testing.T) {
	key, err := release.NewHMACKey("k1", []byte("0123456789abcdef0123456789abcdef"))
	require.NoError(t, err)
	h := newHarness(t, &Config{Sealer: key}, &recorder{kind: "noop"})
	require.NotNil(t, h.ex.history, "the group history store is found through the sealing wrapper")
	h.put(noopProcess)
	h.putFreeze(oneOff("year-end", t0.Add(-time.Hour), t0.Add(time.Hour), release.FreezeScope{All: true}))
	_, err = h.ex.Create(context.Background(), &CreateParams{Process: "train", By: By{Actor: "alice"}})
	require.ErrorIs(t, err, ErrFrozen)
}

// A freeze re-scoped between the authorizer's verdict and the delete is not
// deleted: the verdict was on the scope read (staging), and the freeze is
// now a production freeze the actor may not touch. The delete is refused
// with ErrConflict and the freeze stays; read again, the actor is refused.
func TestDeleteFreezeDeletesOnlyTheFreezeThatWasJudged(t *testing.T) {
	staging := release.FreezeScope{Labels: map[string]string{"env": "staging"}}
	var h *harness
	var rescoped bool
	auth := func(ctx context.Context, a *Action) error {
		if a.Kind != ActionDeleteFreeze || a.Actor != "sam" {
			return nil
		}
		if a.Scope.Labels["env"] != "staging" {
			return errForTest // sam may delete staging freezes only
		}
		if !rescoped { // an admin moves it to production right after the verdict
			rescoped = true
			fs := h.store.(store.FreezeStore)
			f, err := fs.GetFreeze(ctx, a.Freeze)
			require.NoError(t, err)
			f.Scope = prodOnly
			_, err = fs.UpdateFreeze(ctx, f)
			require.NoError(t, err)
		}
		return nil
	}
	h = newHarness(t, &Config{Authorize: auth})
	ctx := context.Background()
	h.putFreeze(oneOff("f", t0, t0.Add(time.Hour), staging))

	err := h.ex.DeleteFreeze(ctx, "f", &By{Actor: "sam"})
	require.ErrorIs(t, err, store.ErrConflict)
	got, err := h.store.(store.FreezeStore).GetFreeze(ctx, "f")
	require.NoError(t, err, "the production freeze is still there")
	require.Equal(t, prodOnly, got.Scope)
	require.ErrorIs(t, h.ex.DeleteFreeze(ctx, "f", &By{Actor: "sam"}), ErrUnauthorized)
}
