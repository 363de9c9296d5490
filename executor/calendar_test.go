package executor

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/schedule"
)

// calendarHarness runs two groups of a manual process until Monday
// 11:00: "weekly" (Mondays 10:00, auto-execute, env=prod; its Monday
// release is Running) and "daily" (10:00 every day, manual start,
// env=prod; its releases wait Scheduled).
func calendarHarness(t *testing.T) *harness {
	h := newHarness(t, nil)
	h.put(manualProcess)
	w := weeklyGroup()
	w.Labels = map[string]string{"env": "prod", "team": "mobile"}
	h.putGroup(w)
	d := weeklyGroup()
	d.ID, d.Name, d.Cadence, d.AutoExecute = "daily", "Daily", "0 10 * * *", false
	d.Labels = map[string]string{"env": "prod", "team": "web"}
	h.putGroup(d)
	h.waitReleases("daily", 1) // Wednesday's, made at once (its lead time has begun)
	for d := 0; d <= 5; d++ {  // Wednesday to Monday, 10:00: each makes the next day's
		h.until(firstMonday.Add(time.Duration(d-5) * 24 * time.Hour))
		h.waitReleases("daily", d+2)
	}
	h.waitStatus(h.waitReleases("weekly", 1)[0].ID, release.Running)
	h.until(firstMonday.Add(time.Hour))
	return h
}

func TestCalendarListsPlannedOccurrencesReleasesAndOverlaps(t *testing.T) {
	h := calendarHarness(t)
	ctx := context.Background()
	from, to := firstMonday.Add(-24*time.Hour), firstMonday.Add(2*week)
	c, err := h.ex.Calendar(ctx, &CalendarParams{From: from, To: to, By: By{Actor: "alice"}})
	require.NoError(t, err)
	require.True(t, c.Now.Equal(firstMonday.Add(time.Hour)))

	type rel struct {
		group  release.GroupID
		start  time.Time
		status release.Status
		health release.HealthStatus
	}
	var rels []rel
	for _, r := range c.Releases {
		rels = append(rels, rel{r.Group, r.start().UTC(), r.Status, r.Health})
	}
	slices.SortStableFunc(rels, func(a, b rel) int { return strings.Compare(string(a.group), string(b.group)) })
	slices.SortStableFunc(rels, func(a, b rel) int { return a.start.Compare(b.start) })
	require.Equal(t, []rel{
		{"daily", from, release.Scheduled, release.Late},                               // not started, past its expected end
		{"daily", firstMonday, release.Scheduled, release.AtRisk},                      // not started, past its expected start
		{"weekly", firstMonday, release.Running, release.OnTrack},                      // started on time
		{"daily", firstMonday.Add(24 * time.Hour), release.Scheduled, release.OnTrack}, // made ahead by the lead time
	}, rels)
	i := slices.IndexFunc(c.Releases, func(r CalendarRelease) bool { return r.Group == "weekly" })
	monday := c.Releases[i]
	require.True(t, monday.PlannedStart.Equal(firstMonday) && monday.ActualStart.Equal(firstMonday))
	require.True(t, monday.PlannedEnd.Equal(firstMonday.Add(2*time.Hour)))
	require.True(t, monday.ActualEnd.IsZero())

	// Planned: the occurrences after now whose release is not made.
	var planned []string
	for _, p := range c.Planned {
		planned = append(planned, string(p.Group)+" "+p.Occurrence.UTC().Format("01-02"))
		require.True(t, p.End.Equal(p.Occurrence.Add(2*time.Hour)))
		require.True(t, p.CreateAt.Equal(p.Occurrence.Add(-24*time.Hour)))
	}
	require.Equal(t, []string{
		"daily 12-02", "daily 12-03", "daily 12-04", "daily 12-05", "daily 12-06",
		"daily 12-07", "weekly 12-07", "daily 12-08", "daily 12-09", "daily 12-10", "daily 12-11", "daily 12-12", "daily 12-13",
	}, planned)

	// Overlaps: env=prod on each Monday (the running release and the
	// daily one, then the two planned occurrences); nothing within a group.
	var ov []string
	for _, o := range c.Overlaps {
		ov = append(ov, string(o.Kind)+" "+o.Key+" "+o.Start.UTC().Format("01-02T15:04")+"-"+o.End.UTC().Format("15:04"))
		require.Len(t, o.Entries, 2)
		require.NotEqual(t, o.Entries[0].Group, o.Entries[1].Group)
	}
	require.Equal(t, []string{"label env=prod 11-30T10:00-12:00", "label env=prod 12-07T10:00-12:00"}, ov)
	require.Empty(t, c.Truncated)

	// Another label key: team differs, so nothing overlaps.
	c, err = h.ex.Calendar(ctx, &CalendarParams{By: By{Actor: "alice"}, From: from, To: to, OverlapLabels: []string{"team"}})
	require.NoError(t, err)
	require.Empty(t, c.Overlaps)
}

func TestCalendarFiltersByGroupProcessAndLabel(t *testing.T) {
	h := calendarHarness(t)
	ctx := context.Background()
	from, to := firstMonday.Add(-24*time.Hour), firstMonday.Add(2*week)
	count := func(p *CalendarParams) (releases, planned int, groups []release.GroupID) {
		t.Helper()
		p.From, p.To, p.Actor = from, to, "alice"
		c, err := h.ex.Calendar(ctx, p)
		require.NoError(t, err)
		for _, r := range c.Releases {
			groups = append(groups, r.Group)
		}
		for _, pl := range c.Planned {
			groups = append(groups, pl.Group)
		}
		slices.Sort(groups)
		return len(c.Releases), len(c.Planned), slices.Compact(groups)
	}
	r, p, g := count(&CalendarParams{Groups: []release.GroupID{"weekly"}})
	require.Equal(t, []int{1, 1}, []int{r, p})
	require.Equal(t, []release.GroupID{"weekly"}, g)
	r, p, g = count(&CalendarParams{Labels: map[string]string{"team": "web"}})
	require.Equal(t, []int{3, 12}, []int{r, p})
	require.Equal(t, []release.GroupID{"daily"}, g)
	r, p, _ = count(&CalendarParams{Processes: []process.ID{"other"}})
	require.Equal(t, []int{0, 0}, []int{r, p})
	r, p, _ = count(&CalendarParams{Processes: []process.ID{"train"}})
	require.Equal(t, []int{4, 13}, []int{r, p})

	// A paused group plans nothing; its releases stay listed.
	require.NoError(t, h.ex.PauseGroup(ctx, "daily", &By{Actor: "alice"}))
	r, p, _ = count(&CalendarParams{Groups: []release.GroupID{"daily"}})
	require.Equal(t, []int{3, 0}, []int{r, p})
}

func TestCalendarRefusesBadWindows(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		p    *CalendarParams
		want string
	}{
		{nil, "params: required"},
		{&CalendarParams{To: t0}, "from and to: required"},
		{&CalendarParams{From: t0, To: t0}, "must be after from"},
		{&CalendarParams{From: t0, To: t0.Add(MaxCalendarSpan + time.Hour)}, "longer than MaxCalendarSpan"},
		{&CalendarParams{From: t0, To: t0.Add(time.Hour), Lookback: -time.Hour}, "lookback"},
	} {
		_, err := h.ex.Calendar(ctx, tc.p)
		require.ErrorIs(t, err, ErrInvalid)
		require.ErrorContains(t, err, tc.want)
	}
}

func TestCalendarICalFeedReadsBack(t *testing.T) {
	h := calendarHarness(t)
	c, err := h.ex.Calendar(context.Background(), &CalendarParams{By: By{Actor: "alice"}, From: firstMonday.Add(-24 * time.Hour), To: firstMonday.Add(2 * week)})
	require.NoError(t, err)
	cal := c.ICal("Trains; prod, web")
	var b bytes.Buffer
	_, err = cal.WriteTo(&b)
	require.NoError(t, err)
	out := b.String()
	require.Contains(t, out, "X-WR-CALNAME:Trains\\; prod\\, web\r\n")
	require.NotContains(t, out, "TZID", "times are UTC")
	require.Contains(t, out, "DTSTAMP:20261130T110000Z\r\n")
	require.Contains(t, out, "STATUS:TENTATIVE\r\n")
	require.Contains(t, out, "CATEGORIES:release,running\r\n")

	back, err := schedule.ReadFreezes(&b, nil)
	require.NoError(t, err)
	require.Len(t, back.Windows, len(c.Releases)+len(c.Planned))
	for i, e := range cal.Events {
		require.Equal(t, e.Summary, back.Windows[i].Name)
		require.True(t, e.Start.Equal(back.Windows[i].Start) && e.End.Equal(back.Windows[i].End))
	}
	again := c.ICal("x")
	for i := range cal.Events {
		require.Equal(t, cal.Events[i].UID, again.Events[i].UID, "UIDs are stable")
	}
}

func TestCalendarOverlapsGatherChainsOfOverlappingEntries(t *testing.T) {
	at := func(h int) time.Time { return firstMonday.Add(time.Duration(h) * time.Hour) }
	rel := func(id string, start, end int, env string) CalendarRelease {
		return CalendarRelease{ID: release.ID(id), Name: id, Status: release.Succeeded, PlannedStart: at(start), PlannedEnd: at(end),
			ActualStart: at(start), ActualEnd: at(end), Labels: map[string]string{"env": env}}
	}
	c := &Calendar{Now: at(100), Releases: []CalendarRelease{
		rel("a", 0, 10, "prod"), rel("b", 1, 2, "prod"), rel("c", 5, 12, "prod"), // one chain: a with b, a with c
		rel("d", 12, 13, "prod"),                              // touches c's end: not an overlap
		rel("e", 20, 22, "prod"), rel("f", 21, 23, "staging"), // different values
		{ID: "g", Status: release.Aborted, PlannedStart: at(20), PlannedEnd: at(22), Labels: map[string]string{"env": "prod"}}, // never ran
	}}
	ov := c.overlaps([]string{"env"})
	require.Len(t, ov, 1)
	var ids []release.ID
	for _, e := range ov[0].Entries {
		ids = append(ids, e.Release)
	}
	require.Equal(t, []release.ID{"a", "b", "c"}, ids)
	require.Equal(t, OverlapSameLabel, ov[0].Kind)
	require.Equal(t, "env=prod", ov[0].Key)
	require.True(t, ov[0].Start.Equal(at(1)) && ov[0].End.Equal(at(10)), "%s..%s", ov[0].Start, ov[0].End)
	require.Empty(t, c.overlaps([]string{}), "no label compared, no group shared")
}

func TestCalendarShowsFreezesAndMarksTheOccurrencesTheyHold(t *testing.T) {
	h := calendarHarness(t)
	ctx := context.Background()
	wed := firstMonday.Add(2 * 24 * time.Hour)
	_, err := h.ex.PutFreeze(ctx, &PutFreezeParams{By: By{Actor: "alice"}, Freeze: &release.Freeze{
		ID: "web-freeze", Name: "Web freeze", Reason: "conference", Enabled: true,
		Windows: []release.FreezeWindow{{Start: wed, End: wed.Add(24 * time.Hour)}},
		Scope:   release.FreezeScope{Groups: []release.GroupID{"daily"}},
	}})
	require.NoError(t, err)
	from, to := firstMonday.Add(-24*time.Hour), firstMonday.Add(2*week)
	c, err := h.ex.Calendar(ctx, &CalendarParams{From: from, To: to, By: By{Actor: "alice"}})
	require.NoError(t, err)
	require.Len(t, c.Freezes, 1)
	require.Equal(t, "Web freeze", c.Freezes[0].Name)
	var frozen []string
	for _, p := range c.Planned {
		if p.Frozen != "" {
			frozen = append(frozen, string(p.Group)+" "+p.Occurrence.UTC().Format("01-02")+" "+string(p.Frozen))
		}
	}
	require.Equal(t, []string{"daily 12-02 web-freeze"}, frozen)

	// A calendar of the other group leaves the freeze out.
	c, err = h.ex.Calendar(ctx, &CalendarParams{From: from, To: to, By: By{Actor: "alice"}, Groups: []release.GroupID{"weekly"}})
	require.NoError(t, err)
	require.Empty(t, c.Freezes)

	// The feed carries it.
	c, err = h.ex.Calendar(ctx, &CalendarParams{From: from, To: to, By: By{Actor: "alice"}})
	require.NoError(t, err)
	var b bytes.Buffer
	_, err = c.ICal("x").WriteTo(&b)
	require.NoError(t, err)
	require.Contains(t, b.String(), "SUMMARY:Web freeze\r\nDESCRIPTION:conference\r\nSTATUS:CONFIRMED\r\nCATEGORIES:freeze\r\n")

	// An anonymous read reaches the authorizer with no actor; the
	// default authorizer allows it (TestCalendarFreezesAreAuthorized
	// refuses it).
	_, err = h.ex.Calendar(ctx, &CalendarParams{From: from, To: to})
	require.NoError(t, err)
}

func TestCalendarFreezesAreAuthorized(t *testing.T) {
	h := newHarness(t, &Config{Authorize: func(ctx context.Context, a *Action) error {
		if a.Kind == ActionView && a.Resource == ResourceFreeze && a.Actor != "alice" {
			return errForTest
		}
		return nil
	}})
	ctx := context.Background()
	_, err := h.ex.PutFreeze(ctx, &PutFreezeParams{By: By{Actor: "alice"}, Freeze: &release.Freeze{ID: "f", Enabled: true,
		Windows: []release.FreezeWindow{{Start: t0.Add(time.Hour), End: t0.Add(2 * time.Hour)}}, Scope: release.FreezeScope{All: true}}})
	require.NoError(t, err)
	// A reader who may not see freezes gets the calendar without them.
	c, err := h.ex.Calendar(ctx, &CalendarParams{From: t0, To: t0.Add(week), By: By{Actor: "mallory"}})
	require.NoError(t, err)
	require.Empty(t, c.Freezes)
	c, err = h.ex.Calendar(ctx, &CalendarParams{From: t0, To: t0.Add(week), By: By{Actor: "alice"}})
	require.NoError(t, err)
	require.Len(t, c.Freezes, 1)
}
