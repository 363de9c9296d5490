package executor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
)

// t0 is Wednesday 2026-11-25 09:00 UTC; the weekly groups below fire on
// Mondays at 10:00 UTC: 2026-11-30, 12-07, 12-14, ...
var firstMonday = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)

const week = 7 * 24 * time.Hour

var errForTest = errors.New("not allowed")

const noopProcess = `
id: train
name: Train
phases:
  - id: ship
    activities:
      - {id: build, uses: noop}
`

// manualProcess stays Running until its task is completed.
const manualProcess = `
id: train
name: Train
phases:
  - id: ship
    activities:
      - {id: check, type: manual, tasks: [{id: t, required: true}]}
`

func weeklyGroup() *release.Group {
	return &release.Group{
		ID: "weekly", Name: "Weekly", Process: "train", Cadence: "0 10 * * MON", Timezone: "UTC",
		Start: t0, LeadTime: process.Duration(24 * time.Hour), AutoExecute: true, Enabled: true,
		ReleaseDuration: process.Duration(2 * time.Hour),
		VersionTemplate: "1.${{ sequence }}", Labels: map[string]string{"team": "mobile"},
	}
}

func (h *harness) putGroup(g *release.Group) *release.Group {
	h.t.Helper()
	stored, err := h.ex.PutGroup(context.Background(), &PutGroupParams{Group: g, By: By{Actor: "alice"}})
	require.NoError(h.t, err)
	return stored
}

// groupReleases returns the group's releases ordered by occurrence.
func (h *harness) groupReleases(g release.GroupID) []release.Summary {
	h.t.Helper()
	page, err := h.store.ListReleases(context.Background(), &store.ListReleasesParams{Group: g, Limit: store.MaxLimit})
	require.NoError(h.t, err)
	out := page.Releases
	slices.SortFunc(out, func(a, b release.Summary) int { return a.Occurrence.Compare(b.Occurrence) })
	return out
}

// waitReleases waits until the group has n releases and returns them.
func (h *harness) waitReleases(g release.GroupID, n int) []release.Summary {
	h.t.Helper()
	ok := waitFor(func() bool { return len(h.groupReleases(g)) >= n })
	got := h.groupReleases(g)
	require.Truef(h.t, ok, "group %s: %d releases, want %d", g, len(got), n)
	require.Len(h.t, got, n)
	return got
}

type decision struct {
	occ time.Time
	d   release.GroupDecision
}

// history returns the group's history as (occurrence, decision) pairs.
func (h *harness) history(g release.GroupID) []decision {
	h.t.Helper()
	page, err := h.ex.GroupHistory(context.Background(), &GroupHistoryParams{ListGroupHistoryParams: store.ListGroupHistoryParams{Group: g, Limit: store.MaxLimit}})
	require.NoError(h.t, err)
	var out []decision
	for _, r := range page.Records {
		out = append(out, decision{r.Occurrence.UTC(), r.Decision})
	}
	return out
}

func (h *harness) waitHistory(g release.GroupID, want []decision) {
	h.t.Helper()
	var got []decision
	ok := waitFor(func() bool { got = h.history(g); return len(got) >= len(want) })
	require.Truef(h.t, ok, "history %v, want %v", got, want)
	require.Equal(h.t, want, got)
}

// until advances the clock to at, once the executor is idle: what the
// clock's last move set off is done, and the executor waits for its next
// timer (armed on the clock), so that moving the clock fires it.
func (h *harness) until(at time.Time) {
	h.settle()
	h.advance(at.Sub(h.clock.Now()))
}

// settle waits until the executor, when it runs, and its peers are idle
// (Executor.Idle).
func (h *harness) settle() {
	h.t.Helper()
	if h.stop == nil {
		return
	}
	ok := waitFor(func() bool {
		for _, ex := range append([]*Executor{h.ex}, h.peers...) {
			if _, idle := ex.Idle(); !idle {
				return false
			}
		}
		return true
	})
	require.True(h.t, ok, "the executors are idle")
}

func TestGroupCreatesOneReleasePerOccurrenceAheadByItsLeadTime(t *testing.T) {
	ad := &recorder{kind: "noop"}
	h := newHarness(t, nil, ad)
	h.put(noopProcess)
	h.putGroup(weeklyGroup())

	h.until(firstMonday.Add(-24*time.Hour - time.Minute))
	require.Empty(t, h.groupReleases("weekly"), "nothing before the lead time")
	h.until(firstMonday.Add(-24 * time.Hour))
	rs := h.waitReleases("weekly", 1)
	first := rs[0]
	require.Equal(t, release.Scheduled, first.Status, "it waits Scheduled through the lead time")
	require.True(t, first.ScheduledFor.Equal(firstMonday))
	require.True(t, first.Occurrence.Equal(firstMonday))
	require.Equal(t, "Weekly 2026-11-30", first.Name)
	require.Equal(t, "1.1", first.Version)
	require.Equal(t, "mobile", first.Labels["team"])
	require.Equal(t, "1", first.Labels[LabelGroupSequence])
	require.True(t, first.ExpectedEnd.Equal(firstMonday.Add(2*time.Hour)), "the group's release duration: %s", first.ExpectedEnd)
	require.Empty(t, ad.Calls())

	h.until(firstMonday)
	h.waitStatus(first.ID, release.Succeeded)

	h.until(firstMonday.Add(week - 24*time.Hour))
	rs = h.waitReleases("weekly", 2)
	require.Equal(t, "1.2", rs[1].Version, "the version increments from the previous release")
	require.True(t, rs[1].Occurrence.Equal(firstMonday.Add(week)))
	h.until(firstMonday.Add(week))
	h.waitStatus(rs[1].ID, release.Succeeded)
	require.Len(t, ad.Calls(), 2)
	h.waitHistory("weekly", []decision{{firstMonday, release.DecisionCreated}, {firstMonday.Add(week), release.DecisionCreated}})
}

func TestGroupWithoutAutoExecuteWaitsForAPersonToStart(t *testing.T) {
	ad := &recorder{kind: "noop"}
	h := newHarness(t, nil, ad)
	h.put(noopProcess)
	g := weeklyGroup()
	g.AutoExecute = false
	h.putGroup(g)

	h.until(firstMonday.Add(-24 * time.Hour))
	id := h.waitReleases("weekly", 1)[0].ID
	h.until(firstMonday.Add(time.Hour))
	// Restart: the release must not start itself on reload either.
	h.shutdown()
	h.start()
	h.advance(time.Hour)
	h.waitHistory("weekly", []decision{{firstMonday, release.DecisionCreated}})
	require.Equal(t, release.Scheduled, h.get(id).Status)
	require.Equal(t, StartManual, h.get(id).Labels[LabelStart])
	require.Empty(t, ad.Calls())

	require.NoError(t, h.ex.Start(context.Background(), id, &By{Actor: "alice"}))
	h.waitStatus(id, release.Succeeded)
}

func TestGroupEndDateStopsIt(t *testing.T) {
	h := newHarness(t, nil, &recorder{kind: "noop"})
	h.put(noopProcess)
	g := weeklyGroup()
	g.End = firstMonday.Add(week) // the second Monday is excluded
	h.putGroup(g)
	for i := range 3 {
		h.until(firstMonday.Add(time.Duration(i)*week - 24*time.Hour))
		h.waitReleases("weekly", 1)
	}
	h.until(firstMonday.Add(3 * week))
	h.waitHistory("weekly", []decision{{firstMonday, release.DecisionCreated}})
	require.Len(t, h.groupReleases("weekly"), 1)
}

func TestGroupPauseAndResume(t *testing.T) {
	h := newHarness(t, nil, &recorder{kind: "noop"})
	h.put(noopProcess)
	h.putGroup(weeklyGroup())
	ctx := context.Background()

	h.until(firstMonday.Add(-24 * time.Hour))
	h.waitReleases("weekly", 1)
	require.NoError(t, h.ex.PauseGroup(ctx, "weekly", &By{Actor: "alice"}))
	g, err := h.ex.GetGroup(ctx, "weekly", nil)
	require.NoError(t, err)
	require.False(t, g.Enabled)
	for i := 1; i <= 2; i++ {
		h.until(firstMonday.Add(time.Duration(i)*week - 24*time.Hour))
		h.advance(time.Hour)
	}
	require.Len(t, h.groupReleases("weekly"), 1, "a paused group makes nothing")

	// Resumed a day before the third Monday, inside its lead time: its
	// release is made at once; the second Monday, passed while paused, is
	// not made.
	require.NoError(t, h.ex.ResumeGroup(ctx, "weekly", &By{Actor: "alice"}))
	rs := h.waitReleases("weekly", 2)
	require.True(t, rs[1].Occurrence.Equal(firstMonday.Add(2*week)), "it resumes at its next occurrence")
	h.until(firstMonday.Add(3*week - 24*time.Hour))
	h.waitReleases("weekly", 3)
	h.waitHistory("weekly", []decision{{firstMonday, release.DecisionCreated},
		{firstMonday.Add(2 * week), release.DecisionCreated}, {firstMonday.Add(3 * week), release.DecisionCreated}})
}

func TestPutGroupValidatesAgainstTheStore(t *testing.T) {
	var asked []Action
	h := newHarness(t, &Config{Authorize: func(_ context.Context, a *Action) error {
		asked = append(asked, *a)
		return nil
	}}, &recorder{kind: "noop"})
	h.put(`
id: train
inputs:
  channel: {enum: [beta, stable]}
phases:
  - id: ship
    activities:
      - {id: build, uses: noop}
`)
	ctx := context.Background()
	for name, tc := range map[string]struct {
		change func(g *release.Group)
		want   string
	}{
		"unknown process":   {func(g *release.Group) { g.Process = "nope" }, "process nope version 0 is not stored"},
		"unknown version":   {func(g *release.Group) { g.ProcessVersion = 9 }, "process train version 9 is not stored"},
		"unknown input set": {func(g *release.Group) { g.InputSet = "nope" }, `input set "nope" is not stored`},
		"bad input":         {func(g *release.Group) { g.Inputs = map[string]any{"channel": "nightly"} }, "channel"},
		"bad cadence":       {func(g *release.Group) { g.Cadence = "every tuesday-ish" }, "cadence"},
		"reserved label":    {func(g *release.Group) { g.Labels = map[string]string{LabelStart: StartManual} }, "reserved"},
	} {
		t.Run(name, func(t *testing.T) {
			g := weeklyGroup()
			tc.change(g)
			_, err := h.ex.PutGroup(ctx, &PutGroupParams{Group: g, By: By{Actor: "alice"}})
			require.ErrorIs(t, err, ErrInvalid)
			require.ErrorContains(t, err, tc.want)
		})
	}
	_, err := h.ex.PutGroup(ctx, &PutGroupParams{Group: weeklyGroup()})
	require.ErrorIs(t, err, ErrInvalid, "an actor is required")
	stored := h.putGroup(weeklyGroup())
	require.Equal(t, int64(1), stored.Revision)
	require.Equal(t, ActionPutGroup, asked[len(asked)-1].Kind)
	require.Equal(t, release.GroupID("weekly"), asked[len(asked)-1].Group)
}

func TestCreateCannotTakeAGroupOccurrence(t *testing.T) {
	h := newHarness(t, nil, &recorder{kind: "noop"})
	h.put(noopProcess)
	h.putGroup(weeklyGroup())
	_, err := h.ex.Create(context.Background(), &CreateParams{Process: "train", By: By{Actor: "mallory"},
		Group: "weekly", Occurrence: firstMonday})
	require.ErrorIs(t, err, ErrInvalid)
	h.until(firstMonday.Add(-24 * time.Hour))
	rs := h.waitReleases("weekly", 1)
	require.Equal(t, h.ex.cfg.InstanceID, rs[0].CreatedBy, "the group's scheduler made the occurrence's release")
}

func TestGroupActionsAreAuthorized(t *testing.T) {
	h := newHarness(t, &Config{Authorize: func(_ context.Context, a *Action) error {
		if a.Actor != "admin" {
			return errForTest
		}
		return nil
	}}, &recorder{kind: "noop"})
	h.put(noopProcess)
	ctx := context.Background()
	_, err := h.ex.PutGroup(ctx, &PutGroupParams{Group: weeklyGroup(), By: By{Actor: "mallory"}})
	require.ErrorIs(t, err, ErrUnauthorized)
	_, err = h.ex.PutGroup(ctx, &PutGroupParams{Group: weeklyGroup(), By: By{Actor: "admin"}})
	require.NoError(t, err)
	require.ErrorIs(t, h.ex.PauseGroup(ctx, "weekly", &By{Actor: "mallory"}), ErrUnauthorized)
	require.ErrorIs(t, h.ex.ResumeGroup(ctx, "weekly", &By{Actor: "mallory"}), ErrUnauthorized)
	g, err := h.ex.GetGroup(ctx, "weekly", &By{Actor: "admin"})
	require.NoError(t, err)
	require.True(t, g.Enabled, "a refused pause changed nothing")
}

// TestGroupManyExecutorsOnOneStoreCreateEachOccurrenceOnce runs three
// executors on one store (memstore, SQLite and, with BATON_POSTGRES_URL
// set, PostgreSQL) through four weekly occurrences.
func TestGroupManyExecutorsOnOneStoreCreateEachOccurrenceOnce(t *testing.T) {
	for name, open := range testStores() {
		t.Run(name, func(t *testing.T) { testGroupManyExecutors(t, open(t)) })
	}
}

func testGroupManyExecutors(t *testing.T, st store.Store) {
	ad := &recorder{kind: "noop"}
	h := newHarnessOn(t, st, &Config{InstanceID: "a"}, ad)
	h.put(noopProcess)
	h.putGroup(weeklyGroup())
	for _, name := range []string{"b", "c"} {
		cfg := h.cfg
		cfg.InstanceID = name
		ex, err := New(h.store, h.reg, &cfg)
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := ex.Run(ctx); err != nil {
				t.Errorf("Run: %v", err)
			}
		}()
		t.Cleanup(func() { cancel(); <-done })
		h.peers = append(h.peers, ex)
	}
	for i := range 4 {
		h.until(firstMonday.Add(time.Duration(i)*week - 24*time.Hour))
		h.waitReleases("weekly", i+1)
		h.until(firstMonday.Add(time.Duration(i) * week))
		h.waitStatus(h.groupReleases("weekly")[i].ID, release.Succeeded)
	}
	rs := h.groupReleases("weekly")
	require.Len(t, rs, 4)
	var want []decision
	for i, r := range rs {
		occ := firstMonday.Add(time.Duration(i) * week)
		require.True(t, r.Occurrence.Equal(occ))
		require.Equal(t, strconv.Itoa(i+1), r.Labels[LabelGroupSequence])
		want = append(want, decision{occ, release.DecisionCreated})
	}
	h.waitHistory("weekly", want)
	// Adapter calls are at least once (a write lost to another executor
	// is retried with the same idempotency key): each release ran one
	// attempt.
	keys := map[string]bool{}
	for _, c := range ad.Calls() {
		keys[c.IdempotencyKey] = true
	}
	require.Len(t, keys, 4, "each release ran once")
}

func TestGroupAfterDowntimeCatchesUpInsideItsWindowAndRecordsTheRestMissed(t *testing.T) {
	ad := &recorder{kind: "noop"}
	h := newHarness(t, nil, ad)
	h.put(noopProcess)
	g := weeklyGroup()
	g.Cadence, g.LeadTime, g.CatchUp = "0 10 * * *", 0, process.Duration(24*time.Hour)
	h.putGroup(g)
	day := 24 * time.Hour
	wed := t0.Add(time.Hour) // Wednesday 10:00
	h.until(wed)
	h.waitStatus(h.waitReleases("weekly", 1)[0].ID, release.Succeeded)
	// The occurrence is recorded after its release is made (and may be
	// after it ended): stop once it is, so that the restart below starts
	// from a history that has it.
	h.waitHistory("weekly", []decision{{wed, release.DecisionCreated}})

	h.shutdown()
	h.until(wed.Add(3*day + 2*time.Hour)) // Saturday 12:00: three days down
	h.start()
	rs := h.waitReleases("weekly", 2)
	late := rs[1]
	require.True(t, late.Occurrence.Equal(wed.Add(3*day)), "Saturday 10:00 is inside the one-day window")
	require.Equal(t, "true", late.Labels[LabelLate])
	require.Equal(t, "2", late.Labels[LabelGroupSequence], "numbered after the previous release, past the missed occurrences")
	h.waitStatus(late.ID, release.Succeeded)
	h.waitHistory("weekly", []decision{
		{wed, release.DecisionCreated}, {wed.Add(day), release.DecisionMissed},
		{wed.Add(2 * day), release.DecisionMissed}, {wed.Add(3 * day), release.DecisionLate},
	})

	// A second restart makes nothing again.
	h.shutdown()
	h.start()
	h.advance(time.Hour)
	h.until(wed.Add(4 * day))
	h.waitStatus(h.waitReleases("weekly", 3)[2].ID, release.Succeeded)
	require.Len(t, ad.Calls(), 3, "nothing ran twice")
}

// overlapHarness runs a daily group of a process that stays Running until
// its task is done, and returns the first two releases: the first Running,
// the second at its occurrence while the first still runs.
func overlapHarness(t *testing.T, policy release.OverlapPolicy) (*harness, release.ID, release.ID) {
	h := newHarness(t, nil)
	h.put(manualProcess)
	g := weeklyGroup()
	g.Cadence, g.LeadTime, g.Overlap = "0 10 * * *", 0, policy
	h.putGroup(g)
	wed := t0.Add(time.Hour)
	h.until(wed)
	first := h.waitReleases("weekly", 1)[0].ID
	h.waitStatus(first, release.Running)
	h.until(wed.Add(24 * time.Hour))
	second := h.waitReleases("weekly", 2)[1].ID
	return h, first, second
}

func TestGroupOverlap(t *testing.T) {
	wed := t0.Add(time.Hour)
	thu := wed.Add(24 * time.Hour)
	t.Run("allow starts the next release anyway", func(t *testing.T) {
		h, first, second := overlapHarness(t, release.OverlapAllow)
		h.waitStatus(second, release.Running)
		require.Equal(t, release.Running, h.get(first).Status)
	})
	t.Run("forbid records the occurrence skipped and makes no release", func(t *testing.T) {
		h := newHarness(t, nil)
		h.put(manualProcess)
		g := weeklyGroup()
		g.Cadence, g.LeadTime, g.Overlap = "0 10 * * *", 0, release.OverlapForbid
		h.putGroup(g)
		h.until(wed)
		first := h.waitReleases("weekly", 1)[0].ID
		h.waitStatus(first, release.Running)
		h.until(thu)
		h.waitHistory("weekly", []decision{
			{wed, release.DecisionCreated}, {wed, release.DecisionStarted}, {thu, release.DecisionSkipped},
		})
		page, err := h.ex.GroupHistory(context.Background(), &GroupHistoryParams{ListGroupHistoryParams: store.ListGroupHistoryParams{Group: "weekly"}})
		require.NoError(t, err)
		require.Contains(t, page.Records[2].Reason, string(first), "the reason names the release still running")
		require.Empty(t, page.Records[2].Release)
		require.Len(t, h.groupReleases("weekly"), 1, "no release made for the skipped occurrence")
		require.Equal(t, release.Running, h.get(first).Status)
		// The next occurrence, once the first has ended, is made and started.
		require.NoError(t, h.ex.CompleteTask(context.Background(), first, "ship.check", "t", &By{Actor: "qa"}))
		h.waitStatus(first, release.Succeeded)
		h.until(thu.Add(24 * time.Hour))
		h.waitStatus(h.waitReleases("weekly", 2)[1].ID, release.Running)
	})
	t.Run("forbid aborts a release made ahead by the lead time", func(t *testing.T) {
		h := newHarness(t, nil)
		h.put(manualProcess)
		g := weeklyGroup()
		g.Cadence, g.LeadTime, g.Overlap = "0 10 * * *", process.Duration(time.Hour), release.OverlapForbid
		h.putGroup(g)
		h.until(wed)
		first := h.waitReleases("weekly", 1)[0].ID
		h.waitStatus(first, release.Running)
		h.until(thu.Add(-time.Hour))
		second := h.waitReleases("weekly", 2)[1].ID
		require.Equal(t, release.Scheduled, h.get(second).Status, "made ahead, for people to prepare")
		h.until(thu)
		r := h.waitStatus(second, release.Aborted)
		require.True(t, r.StartedAt.IsZero(), "the skipped release never ran")
		// The skip is recorded after the abort is stored.
		h.waitHistory("weekly", []decision{
			{wed, release.DecisionCreated}, {wed, release.DecisionStarted}, {thu, release.DecisionCreated}, {thu, release.DecisionSkipped},
		})
		page, err := h.ex.GroupHistory(context.Background(), &GroupHistoryParams{ListGroupHistoryParams: store.ListGroupHistoryParams{Group: "weekly", Newest: true, Limit: 1}})
		require.NoError(t, err)
		require.Equal(t, release.DecisionSkipped, page.Records[0].Decision)
		require.Equal(t, second, page.Records[0].Release)
		require.Contains(t, page.Records[0].Reason, string(first))
	})
	t.Run("queue starts the next release when the previous one ends", func(t *testing.T) {
		h, first, second := overlapHarness(t, release.OverlapQueue)
		h.waitHistory("weekly", []decision{
			{wed, release.DecisionCreated}, {wed, release.DecisionStarted},
			{thu, release.DecisionCreated}, {thu, release.DecisionQueued},
		})
		require.Equal(t, release.Scheduled, h.get(second).Status)
		// Pausing the group stops new releases, not the queued one.
		require.NoError(t, h.ex.PauseGroup(context.Background(), "weekly", &By{Actor: "alice"}))
		require.NoError(t, h.ex.CompleteTask(context.Background(), first, "ship.check", "t", &By{Actor: "qa"}))
		h.waitStatus(first, release.Succeeded)
		// Started when the first ended, without waiting for a poll.
		h.waitStatus(second, release.Running)
		h.waitHistory("weekly", []decision{
			{wed, release.DecisionCreated}, {wed, release.DecisionStarted},
			{thu, release.DecisionCreated}, {thu, release.DecisionQueued}, {thu, release.DecisionStarted},
		})
	})
}

func TestGroupStoredOrDeletedElsewhereIsSeenAtTheNextRescan(t *testing.T) {
	h := newHarness(t, nil, &recorder{kind: "noop"})
	h.put(noopProcess)
	ctx := context.Background()
	// Another executor stores the group (straight into the store here).
	_, err := h.store.CreateGroup(ctx, weeklyGroup())
	require.NoError(t, err)
	h.advance(DefaultLeaseDuration) // a rescan
	h.until(firstMonday.Add(-24 * time.Hour))
	h.waitReleases("weekly", 1)

	require.NoError(t, h.store.DeleteGroup(ctx, "weekly"))
	h.advance(DefaultLeaseDuration)
	h.advance(DefaultLeaseDuration) // the listing of one rescan may predate the delete
	require.True(t, waitFor(func() bool { return h.ex.sched.get("weekly") == nil }), "the scheduler let the group go")
	h.until(firstMonday.Add(2 * week))
	h.advance(time.Hour)
	require.Len(t, h.groupReleases("weekly"), 1, "a deleted group makes nothing")
}

// benchScheduler returns an executor (not running) on memstore with n
// enabled daily groups due at 10:00, held for a person (so that a due
// occurrence costs its creation, not a release's run), and the clock at
// the first occurrence.
func benchScheduler(b *testing.B, n int) (*Executor, *fakeClock) {
	b.Helper()
	clk := newFakeClock(t0)
	st := memstore.New(nil)
	ex, err := New(st, adapters.NewRegistry(&recorder{kind: "noop"}), &Config{Clock: clk})
	require.NoError(b, err)
	p, err := process.Parse([]byte(noopProcess))
	require.NoError(b, err)
	ctx := context.Background()
	_, err = st.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: "bench", Now: t0})
	require.NoError(b, err)
	for i := range n {
		g := weeklyGroup()
		g.ID = release.GroupID(fmt.Sprintf("g%05d", i))
		g.Cadence, g.LeadTime, g.AutoExecute = "0 10 * * *", 0, false
		stored, err := st.CreateGroup(ctx, g)
		require.NoError(b, err)
		ex.sched.put(ctx, ex, stored, putStored)
	}
	clk.Add(time.Hour) // 10:00: every group is due
	return ex, clk
}

// BenchmarkGroupOccurrence measures the cost of one due occurrence
// (creating its release, its history record, its next timer) among
// 10,000 enabled groups, against the same release made by Create.
func BenchmarkGroupOccurrence(b *testing.B) {
	const n = 10000
	ctx := context.Background()
	b.Run("baseline-create", func(b *testing.B) {
		ex, _ := benchScheduler(b, 0)
		b.ReportAllocs()
		b.ResetTimer()
		m := startMeter()
		for i := 0; i < b.N; i++ {
			// Scheduled an hour ahead on a clock that does not move: it
			// never starts (Create refuses the executor's own labels).
			_, err := ex.Create(ctx, &CreateParams{Process: "train", By: By{Actor: "bench"}, ScheduledFor: t0.Add(time.Hour)})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		m.reportPer(b, b.N, "occurrence")
	})
	b.Run("scheduler-10000-groups", func(b *testing.B) {
		ex, clk := benchScheduler(b, n)
		ids := make([]release.GroupID, n)
		for i := range ids {
			ids[i] = release.GroupID(fmt.Sprintf("g%05d", i))
		}
		b.ReportAllocs()
		b.ResetTimer()
		m := startMeter()
		for i := 0; i < b.N; i++ {
			if i > 0 && i%n == 0 {
				clk.Add(24 * time.Hour)
			}
			ex.fireGroup(ctx, ids[i%n])
		}
		b.StopTimer()
		m.reportPer(b, b.N, "occurrence")
		got, err := ex.store.ListReleases(ctx, &store.ListReleasesParams{Limit: 1})
		require.NoError(b, err)
		require.NotEmpty(b, got.Releases, "occurrences were created")
	})
}

// BenchmarkGroupIdleTick measures a tick of the timer loop (taking the
// timers that are due) with every group's timer armed and none due: it
// costs the same with 100 groups as with 10,000.
func BenchmarkGroupIdleTick(b *testing.B) {
	for _, n := range []int{100, 10000} {
		b.Run(fmt.Sprintf("groups-%d", n), func(b *testing.B) {
			ex, clk := benchScheduler(b, n)
			for i := range n {
				ex.fireGroup(context.Background(), release.GroupID(fmt.Sprintf("g%05d", i)))
			}
			require.Equal(b, n, ex.timers.len(), "one timer per idle group")
			now := clk.Now()
			var keys []timerKey
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				keys, _ = ex.timers.due(now, keys[:0])
				if len(keys) != 0 {
					b.Fatal("a timer was due")
				}
			}
		})
	}
}

// faultHistoryStore is faultStore with the group history, whose appends
// count as writes (and may be where it crashes).
type faultHistoryStore struct {
	*faultStore
	hist store.GroupHistoryStore
}

func (f *faultHistoryStore) AppendGroupHistory(ctx context.Context, r *release.GroupRecord) error {
	return f.write(func() error { return f.hist.AppendGroupHistory(ctx, r) })
}

func (f *faultHistoryStore) ListGroupHistory(ctx context.Context, p *store.ListGroupHistoryParams) (*store.GroupHistoryPage, error) {
	if err := f.read(); err != nil {
		return nil, err
	}
	return f.hist.ListGroupHistory(ctx, p)
}

func (f *faultHistoryStore) GetReleaseSummary(ctx context.Context, id release.ID) (*release.Summary, error) {
	if err := f.read(); err != nil {
		return nil, err
	}
	return f.Store.GetReleaseSummary(ctx, id)
}

func (f *faultHistoryStore) ListGroups(ctx context.Context, p *store.ListGroupsParams) (*store.GroupPage, error) {
	if err := f.read(); err != nil {
		return nil, err
	}
	return f.Store.ListGroups(ctx, p)
}

// crashRunner is an executor running until stop.
type crashRunner struct {
	ex   *Executor
	stop func()
}

// TestGroupSchedulerSurvivesACrashAtEveryWrite crashes an executor at
// each of its store writes in turn (with the write lost or applied), then
// restarts it, alone on the store (every write index is reached: it must
// crash) and with two more executors racing it all along (three in all;
// they leave it fewer writes). It checks that three weekly occurrences
// still get exactly one release each, run once, none missed. The clock
// moves only once every executor is idle.
func TestGroupSchedulerSurvivesACrashAtEveryWrite(t *testing.T) {
	occs := []time.Time{firstMonday, firstMonday.Add(week), firstMonday.Add(2 * week)}
	for _, racers := range []int{0, 2} {
		for crashAt := 1; crashAt <= 12; crashAt++ {
			for _, after := range []bool{false, true} {
				t.Run(fmt.Sprintf("racers-%d/write-%d-applied-%v", racers, crashAt, after), func(t *testing.T) {
					ad := &recorder{kind: "noop"}
					mem := memstore.New(nil)
					clk := newFakeClock(t0)
					reg := adapters.NewRegistry(ad)
					ctx := context.Background()
					p, err := process.Parse([]byte(noopProcess))
					require.NoError(t, err)
					_, err = mem.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: "test", Now: t0})
					require.NoError(t, err)
					_, err = mem.CreateGroup(ctx, weeklyGroup())
					require.NoError(t, err)

					run := func(s store.Store, name string) *crashRunner {
						ex, err := New(s, reg, &Config{Clock: clk, Jitter: -1, InstanceID: name, LeaseDuration: 10 * time.Second, Logger: testLogger(t)})
						require.NoError(t, err)
						rctx, cancel := context.WithCancel(ctx)
						done := make(chan struct{})
						go func() { defer close(done); _ = ex.Run(rctx) }()
						return &crashRunner{ex: ex, stop: func() { cancel(); <-done }}
					}
					// a crashes at the write; b and c race it on the store
					// all along. A crashed a is restarted (under its id, as a
					// replica is) on the store without faults.
					fs := &faultHistoryStore{faultStore: newFaultStore(mem, crashAt, after), hist: mem}
					runners := []*crashRunner{run(fs, "a")}
					for _, name := range []string{"b", "c"}[:racers] {
						runners = append(runners, run(mem, name))
					}
					defer func() {
						for _, r := range runners {
							r.stop()
						}
					}()
					switched := false
					settle := func() {
						require.True(t, waitFor(func() bool {
							for _, r := range runners {
								if _, idle := r.ex.Idle(); !idle {
									return false
								}
							}
							return true
						}), "the executors are idle")
						if !switched && fs.isCrashed() {
							runners[0].stop()
							runners[0] = run(mem, "a")
							switched = true
						}
					}
					step := func(to time.Time) {
						settle()
						clk.Add(to.Sub(clk.Now()))
						settle()
					}
					for _, occ := range occs {
						step(occ.Add(-24 * time.Hour))
						require.True(t, waitFor(func() bool {
							page, err := mem.ListReleases(ctx, &store.ListReleasesParams{Group: "weekly", ScheduledFrom: occ, ScheduledTo: occ.Add(time.Second)})
							return err == nil && len(page.Releases) == 1
						}), "the release of %s", occ)
						step(occ.Add(time.Minute))
					}
					step(occs[2].Add(time.Hour)) // leases of a crashed instance expire meanwhile

					var got []release.Summary
					ok := waitFor(func() bool {
						page, err := mem.ListReleases(ctx, &store.ListReleasesParams{Group: "weekly", Statuses: []release.Status{release.Succeeded}})
						if err != nil {
							return false
						}
						got = page.Releases
						if len(got) < len(occs) {
							step(clk.Now().Add(5 * time.Second))
						}
						return len(got) >= len(occs)
					})
					if !ok {
						all, _ := mem.ListReleases(ctx, &store.ListReleasesParams{Group: "weekly"})
						for _, r := range all.Releases {
							t.Logf("release %s occ %s status %s sched %s", r.ID, r.Occurrence, r.Status, r.ScheduledFor)
						}
						hist, _ := mem.ListGroupHistory(ctx, &store.ListGroupHistoryParams{Group: "weekly"})
						for _, r := range hist.Records {
							t.Logf("history %+v", r)
						}
						t.Logf("clock %s", clk.Now())
					}
					require.True(t, ok, "succeeded releases %d", len(got))
					all, err := mem.ListReleases(ctx, &store.ListReleasesParams{Group: "weekly"})
					require.NoError(t, err)
					require.Len(t, all.Releases, len(occs), "one release per occurrence")
					hist, err := mem.ListGroupHistory(ctx, &store.ListGroupHistoryParams{Group: "weekly"})
					require.NoError(t, err)
					made := map[time.Time]bool{}
					for _, r := range hist.Records {
						require.NotEqual(t, release.DecisionMissed, r.Decision, "nothing missed: %+v", r)
						if r.Decision == release.DecisionCreated || r.Decision == release.DecisionLate {
							require.False(t, made[r.Occurrence.UTC()], "recorded once: %+v", r)
							made[r.Occurrence.UTC()] = true
						}
					}
					require.Len(t, made, len(occs), "every occurrence's release is in the history")
					runs := map[release.ID]int{}
					for _, c := range ad.Calls() {
						runs[c.Release]++
					}
					require.Len(t, runs, len(occs))
					if racers == 0 {
						require.True(t, switched, "crashed at write %d", crashAt)
					}
				})
			}
		}
	}
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, nil))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// TestGroupWeeklyAcrossDaylightSavingChanges runs a weekly group through
// the spring-forward and fall-back weeks of New York and Berlin: a local
// time that does not exist fires once, an hour later; one that happens
// twice fires once, at its first instant.
func TestGroupWeeklyAcrossDaylightSavingChanges(t *testing.T) {
	utc := func(mo time.Month, d, h, m int) time.Time { return time.Date(2027, mo, d, h, m, 0, 0, time.UTC) }
	for name, tc := range map[string]struct {
		zone, cadence string
		from          time.Time
		want          []time.Time
	}{
		"New York spring forward": {"America/New_York", "30 2 * * SUN", utc(3, 1, 0, 0),
			[]time.Time{utc(3, 7, 7, 30), utc(3, 14, 7, 30), utc(3, 21, 6, 30)}}, // 02:30 EST, 03:30 EDT, 02:30 EDT
		"New York fall back": {"America/New_York", "30 1 * * SUN", utc(10, 25, 0, 0),
			[]time.Time{utc(10, 31, 5, 30), utc(11, 7, 5, 30), utc(11, 14, 6, 30)}}, // 01:30 EDT, the first 01:30, 01:30 EST
		"Berlin spring forward": {"Europe/Berlin", "30 2 * * SUN", utc(3, 15, 0, 0),
			[]time.Time{utc(3, 21, 1, 30), utc(3, 28, 1, 30), utc(4, 4, 0, 30)}}, // 02:30 CET, 03:30 CEST, 02:30 CEST
		"Berlin fall back": {"Europe/Berlin", "30 2 * * SUN", utc(10, 18, 0, 0),
			[]time.Time{utc(10, 24, 0, 30), utc(10, 31, 0, 30), utc(11, 7, 1, 30)}}, // 02:30 CEST, the first 02:30, 02:30 CET
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, nil, &recorder{kind: "noop"})
			h.put(noopProcess)
			h.until(tc.from)
			g := weeklyGroup()
			g.Cadence, g.Timezone, g.LeadTime, g.AutoExecute = tc.cadence, tc.zone, 0, false
			h.putGroup(g)
			for i, w := range tc.want {
				h.until(w.Add(-time.Minute))
				require.Len(t, h.groupReleases("weekly"), i, "nothing before %s", w)
				h.until(w)
				rs := h.waitReleases("weekly", i+1)
				require.Truef(t, rs[i].Occurrence.Equal(w), "occurrence %d: %s, want %s", i, rs[i].Occurrence.UTC(), w)
			}
		})
	}
}

// TestGroupSequenceIsNotReusedAfterACrashBetweenCreateAndRecord stops an
// executor right after it stored a release (its history record lost);
// after a downtime longer than the catch-up window another executor makes
// the next occurrence's release: it takes the next number, not the lost
// record's again.
func TestGroupSequenceIsNotReusedAfterACrashBetweenCreateAndRecord(t *testing.T) {
	ad := &recorder{kind: "noop"}
	mem := memstore.New(nil)
	clk := newFakeClock(t0)
	reg := adapters.NewRegistry(ad)
	ctx := context.Background()
	p, err := process.Parse([]byte(noopProcess))
	require.NoError(t, err)
	_, err = mem.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: "test", Now: t0})
	require.NoError(t, err)
	_, err = mem.CreateGroup(ctx, weeklyGroup())
	require.NoError(t, err)
	run := func(s store.Store, name string) (stop func()) {
		ex, err := New(s, reg, &Config{Clock: clk, Jitter: -1, InstanceID: name, LeaseDuration: 10 * time.Second, Logger: testLogger(t)})
		require.NoError(t, err)
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); _ = ex.Run(rctx) }()
		return func() { cancel(); <-done }
	}
	fs := &faultHistoryStore{faultStore: newFaultStore(mem, 1, true), hist: mem} // the release is stored, then it crashes
	stop := run(fs, "a")
	clk.Add(firstMonday.Add(-24 * time.Hour).Sub(clk.Now()))
	require.True(t, waitFor(fs.isCrashed))
	stop()
	first, err := mem.ListReleases(ctx, &store.ListReleasesParams{Group: "weekly"})
	require.NoError(t, err)
	require.Len(t, first.Releases, 1)
	require.Equal(t, "1", first.Releases[0].Labels[LabelGroupSequence])
	hist, err := mem.ListGroupHistory(ctx, &store.ListGroupHistoryParams{Group: "weekly"})
	require.NoError(t, err)
	require.Empty(t, hist.Records, "the crash lost the record")

	clk.Add(3 * 24 * time.Hour) // beyond the catch-up window: the first occurrence is not handled again
	stop = run(mem, "b")
	defer stop()
	clk.Add(firstMonday.Add(week - 24*time.Hour).Sub(clk.Now()))
	var got []release.Summary
	require.True(t, waitFor(func() bool {
		page, err := mem.ListReleases(ctx, &store.ListReleasesParams{Group: "weekly"})
		got = page.Releases
		return err == nil && len(got) == 2
	}))
	slices.SortFunc(got, func(a, b release.Summary) int { return a.Occurrence.Compare(b.Occurrence) })
	require.Equal(t, firstMonday.Add(week), got[1].Occurrence.UTC())
	require.Equal(t, "2", got[1].Labels[LabelGroupSequence])
	require.Equal(t, "1.2", got[1].Version)
}
