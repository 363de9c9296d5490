package executor

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/schedule"
	"github.com/batonhq/baton/store"
)

// Limits of a calendar query.
const (
	// MaxCalendarSpan is the longest window Calendar answers for.
	MaxCalendarSpan = 2 * 366 * 24 * time.Hour
	// MaxPlannedPerGroup bounds the planned occurrences listed per group
	// (a cron spec firing every minute has half a million a year); a group
	// cut short is named in Calendar.Truncated.
	MaxPlannedPerGroup = 10_000
	// DefaultCalendarLookback is CalendarParams.Lookback when it is zero.
	DefaultCalendarLookback = 7 * 24 * time.Hour
)

// CalendarParams are the arguments of Calendar.
type CalendarParams struct {
	// From and To are the window, [From, To). Both are required, To after
	// From and at most MaxCalendarSpan later.
	From, To time.Time
	// Groups, when set, keeps only these groups and their releases
	// (releases made on demand are then left out).
	Groups []release.GroupID
	// Processes, when set, keeps only groups and releases of these
	// processes.
	Processes []process.ID
	// Labels, when set, keeps only groups and releases carrying every one
	// of these key=value labels.
	Labels map[string]string
	// OverlapLabels are the label keys whose shared values make two
	// releases overlap: with "env", two releases labelled env=prod at the
	// same time are an overlap. Defaults to ["env"]; an empty, non-nil
	// slice compares no labels.
	OverlapLabels []string
	// Lookback is how long before From a release may have been scheduled
	// and still be listed because it ran into the window (releases still
	// Running or Paused are listed however old). Defaults to
	// DefaultCalendarLookback.
	Lookback time.Duration
}

// Calendar is what is planned and what happened in a window: the
// occurrences of enabled groups whose releases are not made yet, the
// releases, the freezes and the overlaps. Lists are sorted by time.
type Calendar struct {
	From, To time.Time
	// Now is the executor's clock when the calendar was read: releases'
	// health is judged at it, and planned occurrences are those after it.
	Now      time.Time
	Planned  []PlannedOccurrence
	Releases []CalendarRelease
	Freezes  []CalendarFreeze
	Overlaps []Overlap
	// Truncated names the groups with more than MaxPlannedPerGroup
	// occurrences in the window; only their first are in Planned.
	Truncated []release.GroupID
}

// PlannedOccurrence is an occurrence of an enabled group whose release has
// not been made yet.
type PlannedOccurrence struct {
	Group     release.GroupID
	GroupName string // the group's Name, else its ID
	Process   process.ID
	// Occurrence is when the release is to start; End is Occurrence plus
	// the group's ReleaseDuration (equal to it when none is set).
	Occurrence, End time.Time
	// CreateAt is when the release will be made (Occurrence minus the
	// group's LeadTime).
	CreateAt time.Time
	Labels   map[string]string // the group's
}

// CalendarRelease is a release in the window: planned against actual
// start and end, status and health.
type CalendarRelease struct {
	ID         release.ID
	Name       string
	Version    string
	Process    process.ID
	Group      release.GroupID
	Occurrence time.Time // zero for a release made on demand
	Status     release.Status
	// Health is judged at Calendar.Now: for a release Running or Paused
	// as release.Health does; for the others from its summary (a Scheduled
	// release past its expected start is at risk, past its expected end
	// late; an ended one is late when it ended after its expected end).
	Health release.HealthStatus
	// PlannedStart and PlannedEnd are when it was meant to run
	// (ScheduledFor and ExpectedEnd).
	PlannedStart, PlannedEnd time.Time
	// ActualStart and ActualEnd are when it started and ended; zero until
	// then.
	ActualStart, ActualEnd time.Time
	Labels                 map[string]string
}

// CalendarFreeze is one window of a stored freeze that overlaps the
// calendar's window.
type CalendarFreeze struct {
	Freeze     release.FreezeID
	Name       string
	Reason     string
	Start, End time.Time
	Scope      release.FreezeScope
}

// OverlapKind says what two overlapping entries share.
type OverlapKind string

// The overlap kinds.
const (
	// OverlapSameGroup: two releases (or planned occurrences) of one group
	// at once.
	OverlapSameGroup OverlapKind = "group"
	// OverlapSameLabel: two releases sharing a label value named in
	// CalendarParams.OverlapLabels (env=prod) at once.
	OverlapSameLabel OverlapKind = "label"
)

// Overlap is two calendar entries that run at the same time and share a
// group or a label value.
type Overlap struct {
	Kind OverlapKind
	// Key is the group's ID, or the shared label as "key=value".
	Key string
	// A starts first (or at the same time, with the smaller ID).
	A, B CalendarRef
	// Start and End bound the time they run together.
	Start, End time.Time
}

// CalendarRef names a release, or a planned occurrence (Release empty).
type CalendarRef struct {
	Release    release.ID
	Group      release.GroupID
	Occurrence time.Time
	Name       string
}

// Calendar answers what is planned and what ran in a window (see
// CalendarParams for the filters). It reads the store only: groups,
// releases scheduled in the window (and a Lookback before it), releases
// not yet ended, and freezes when the store keeps them. Problems with p
// return an error matching ErrInvalid naming the field.
func (e *Executor) Calendar(ctx context.Context, p *CalendarParams) (*Calendar, error) {
	const what = "calendar"
	switch {
	case p == nil:
		return nil, fmt.Errorf("executor: %s: params: required: %w", what, ErrInvalid)
	case p.From.IsZero() || p.To.IsZero():
		return nil, fmt.Errorf("executor: %s: from and to: required: %w", what, ErrInvalid)
	case !p.To.After(p.From):
		return nil, fmt.Errorf("executor: %s: to (%s) must be after from (%s): %w", what, p.To.Format(time.RFC3339), p.From.Format(time.RFC3339), ErrInvalid)
	case p.To.Sub(p.From) > MaxCalendarSpan:
		return nil, fmt.Errorf("executor: %s: window of %s: longer than MaxCalendarSpan (%s): %w", what, p.To.Sub(p.From), MaxCalendarSpan, ErrInvalid)
	case p.Lookback < 0:
		return nil, fmt.Errorf("executor: %s: lookback %s: must not be negative: %w", what, p.Lookback, ErrInvalid)
	}
	c := &Calendar{From: p.From, To: p.To, Now: e.clock.Now()}
	f := calendarFilter{p: p}
	sums, err := e.calendarReleases(ctx, &f)
	if err != nil {
		return nil, fmt.Errorf("executor: %s: %w", what, err)
	}
	made := map[groupOcc]bool{}
	for _, s := range sums {
		if s.Group != "" && !s.Occurrence.IsZero() {
			made[groupOcc{s.Group, s.Occurrence.UnixNano()}] = true
		}
		if !c.shows(s) {
			continue
		}
		cr, err := e.calendarRelease(ctx, s, c.Now)
		if err != nil {
			return nil, fmt.Errorf("executor: %s: %w", what, err)
		}
		c.Releases = append(c.Releases, cr)
	}
	groups, err := e.calendarGroups(ctx, &f)
	if err != nil {
		return nil, fmt.Errorf("executor: %s: %w", what, err)
	}
	for _, g := range groups {
		c.plan(g, made)
	}
	if c.Freezes, err = e.calendarFreezes(ctx, p.From, p.To); err != nil {
		return nil, fmt.Errorf("executor: %s: %w", what, err)
	}
	slices.SortFunc(c.Planned, func(a, b PlannedOccurrence) int {
		if n := a.Occurrence.Compare(b.Occurrence); n != 0 {
			return n
		}
		return strings.Compare(string(a.Group), string(b.Group))
	})
	slices.SortFunc(c.Releases, func(a, b CalendarRelease) int {
		if n := a.start().Compare(b.start()); n != 0 {
			return n
		}
		return strings.Compare(string(a.ID), string(b.ID))
	})
	labels := p.OverlapLabels
	if labels == nil {
		labels = []string{"env"}
	}
	c.Overlaps = c.overlaps(labels)
	return c, nil
}

type groupOcc struct {
	g   release.GroupID
	occ int64
}

// calendarFilter applies CalendarParams' filters.
type calendarFilter struct{ p *CalendarParams }

func (f *calendarFilter) keep(g release.GroupID, proc process.ID, labels map[string]string) bool {
	p := f.p
	if len(p.Groups) > 0 && !slices.Contains(p.Groups, g) {
		return false
	}
	if len(p.Processes) > 0 && !slices.Contains(p.Processes, proc) {
		return false
	}
	for k, v := range p.Labels {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// calendarReleases lists the releases the calendar may show (those
// scheduled in [From-Lookback, To)) and those it must know about (not
// ended: their occurrences are not planned any more), filtered, each once.
func (e *Executor) calendarReleases(ctx context.Context, f *calendarFilter) ([]release.Summary, error) {
	p := f.p
	lookback := p.Lookback
	if lookback == 0 {
		lookback = DefaultCalendarLookback
	}
	var queries []store.ListReleasesParams
	base := []store.ListReleasesParams{
		{ScheduledFrom: p.From.Add(-lookback), ScheduledTo: p.To},
		{Statuses: []release.Status{release.Scheduled, release.Running, release.Paused}},
	}
	switch {
	case len(p.Groups) > 0:
		for _, g := range slices.Compact(slices.Sorted(slices.Values(p.Groups))) {
			for _, q := range base {
				q.Group = g
				queries = append(queries, q)
			}
		}
	case len(p.Processes) == 1:
		for _, q := range base {
			q.Process = p.Processes[0]
			queries = append(queries, q)
		}
	default:
		queries = base
	}
	seen := map[release.ID]bool{}
	var out []release.Summary
	for _, q := range queries {
		q.Limit = store.MaxLimit
		for {
			page, err := e.store.ListReleases(ctx, &q)
			if err != nil {
				return nil, fmt.Errorf("listing releases: %w", err)
			}
			for _, s := range page.Releases {
				if seen[s.ID] || !f.keep(s.Group, s.ProcessID, s.Labels) {
					continue
				}
				seen[s.ID] = true
				out = append(out, s)
			}
			if page.Next == "" {
				break
			}
			q.Cursor = page.Next
		}
	}
	return out, nil
}

// shows reports whether the calendar lists s: scheduled in the window, or
// running in it.
func (c *Calendar) shows(s release.Summary) bool {
	if !s.ScheduledFor.Before(c.From) && s.ScheduledFor.Before(c.To) {
		return true
	}
	if s.StartedAt.IsZero() {
		return false
	}
	end := s.EndedAt
	if end.IsZero() {
		end = c.Now
	}
	return s.StartedAt.Before(c.To) && end.After(c.From)
}

// calendarRelease turns a summary into a CalendarRelease, loading the
// release to judge the health of one Running or Paused.
func (e *Executor) calendarRelease(ctx context.Context, s release.Summary, now time.Time) (CalendarRelease, error) {
	cr := CalendarRelease{
		ID: s.ID, Name: s.Name, Version: s.Version, Process: s.ProcessID, Group: s.Group, Occurrence: s.Occurrence,
		Status: s.Status, PlannedStart: s.ScheduledFor, PlannedEnd: s.ExpectedEnd,
		ActualStart: s.StartedAt, ActualEnd: s.EndedAt, Labels: maps.Clone(s.Labels),
	}
	switch {
	case s.Status == release.Running || s.Status == release.Paused:
		r, err := e.store.GetRelease(ctx, s.ID)
		if err != nil {
			return cr, fmt.Errorf("release %s: %w", s.ID, err)
		}
		cr.Health = release.Health(r, now).Status
	case s.Status.Terminal():
		cr.Health = release.OnTrack
		if !s.ExpectedEnd.IsZero() && s.EndedAt.After(s.ExpectedEnd) {
			cr.Health = release.Late
		}
	default: // Scheduled
		cr.Health = release.OnTrack
		if !s.ExpectedStart.IsZero() && now.After(s.ExpectedStart) {
			cr.Health = release.AtRisk
		}
		if !s.ExpectedEnd.IsZero() && now.After(s.ExpectedEnd) {
			cr.Health = release.Late
		}
	}
	return cr, nil
}

// calendarGroups lists the enabled groups the filter keeps.
func (e *Executor) calendarGroups(ctx context.Context, f *calendarFilter) ([]*release.Group, error) {
	enabled := true
	q := &store.ListGroupsParams{Enabled: &enabled, Limit: store.MaxLimit}
	if len(f.p.Processes) == 1 {
		q.Process = f.p.Processes[0]
	}
	var out []*release.Group
	for {
		page, err := e.store.ListGroups(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("listing groups: %w", err)
		}
		for _, g := range page.Groups {
			if g.Enabled && f.keep(g.ID, g.Process, g.Labels) {
				out = append(out, g)
			}
		}
		if page.Next == "" {
			return out, nil
		}
		q.Cursor = page.Next
	}
}

// plan adds the group's occurrences in the window, after Now, whose
// release is not made.
func (c *Calendar) plan(g *release.Group, made map[groupOcc]bool) {
	s, err := g.Schedule()
	if err != nil {
		return // a stored group that no longer parses makes nothing: the scheduler logs it
	}
	after := c.From.Add(-time.Nanosecond)
	if c.Now.After(after) {
		after = c.Now
	}
	name := g.Name
	if name == "" {
		name = string(g.ID)
	}
	n := 0
	for t := g.NextOccurrence(s, after); !t.IsZero() && t.Before(c.To); t = g.NextOccurrence(s, t) {
		if made[groupOcc{g.ID, t.UnixNano()}] {
			continue
		}
		if n == MaxPlannedPerGroup {
			c.Truncated = append(c.Truncated, g.ID)
			return
		}
		n++
		c.Planned = append(c.Planned, PlannedOccurrence{
			Group: g.ID, GroupName: name, Process: g.Process,
			Occurrence: t, End: t.Add(g.ReleaseDuration.D()), CreateAt: t.Add(-g.LeadTime.D()), Labels: g.Labels,
		})
	}
}

// calendarFreezes returns the windows of the stored freezes that overlap
// [from, to). The store keeps no freezes yet: none.
func (e *Executor) calendarFreezes(ctx context.Context, from, to time.Time) ([]CalendarFreeze, error) {
	return nil, nil
}

// start is when the release began, or is planned to.
func (r *CalendarRelease) start() time.Time {
	if !r.ActualStart.IsZero() {
		return r.ActualStart
	}
	return r.PlannedStart
}

// span is when the release runs, or is expected to: from its actual (else
// planned) start to its actual end, else (until now at least, when it
// runs) its planned end.
func (r *CalendarRelease) span(now time.Time) (time.Time, time.Time) {
	start := r.start()
	end := r.ActualEnd
	if end.IsZero() {
		end = r.PlannedEnd
		if !r.ActualStart.IsZero() && now.After(end) {
			end = now
		}
	}
	if end.Before(start) {
		end = start
	}
	return start, end
}

// overlaps finds the entries that run at once and share a group or the
// value of one of labels: per key, a sweep over the entries by start.
func (c *Calendar) overlaps(labels []string) []Overlap {
	type entry struct {
		ref        CalendarRef
		start, end time.Time
	}
	keyed := map[string][]entry{}
	add := func(ref CalendarRef, start, end time.Time, lbl map[string]string) {
		if !end.After(start) {
			return
		}
		en := entry{ref, start, end}
		if ref.Group != "" {
			keyed["g\x00"+string(ref.Group)] = append(keyed["g\x00"+string(ref.Group)], en)
		}
		for _, k := range labels {
			if v, ok := lbl[k]; ok {
				keyed["l\x00"+k+"="+v] = append(keyed["l\x00"+k+"="+v], en)
			}
		}
	}
	for i := range c.Releases {
		r := &c.Releases[i]
		if r.Status == release.Aborted && r.ActualStart.IsZero() {
			continue // never ran
		}
		start, end := r.span(c.Now)
		add(CalendarRef{Release: r.ID, Group: r.Group, Occurrence: r.Occurrence, Name: r.Name}, start, end, r.Labels)
	}
	for _, p := range c.Planned {
		add(CalendarRef{Group: p.Group, Occurrence: p.Occurrence, Name: p.GroupName}, p.Occurrence, p.End, p.Labels)
	}
	var out []Overlap
	for _, key := range slices.Sorted(maps.Keys(keyed)) {
		es := keyed[key]
		slices.SortFunc(es, func(a, b entry) int {
			if n := a.start.Compare(b.start); n != 0 {
				return n
			}
			return strings.Compare(string(a.ref.Release), string(b.ref.Release))
		})
		kind, name := OverlapSameGroup, key[2:]
		if key[0] == 'l' {
			kind = OverlapSameLabel
		}
		var active []entry
		for _, en := range es {
			kept := active[:0]
			for _, a := range active {
				if a.end.After(en.start) {
					kept = append(kept, a)
				}
			}
			active = kept
			for _, a := range active {
				out = append(out, Overlap{Kind: kind, Key: name, A: a.ref, B: en.ref, Start: en.start, End: minTime(a.end, en.end)})
			}
			active = append(active, en)
		}
	}
	slices.SortStableFunc(out, func(a, b Overlap) int { return a.Start.Compare(b.Start) })
	return out
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// ICal returns the calendar as an iCalendar feed (write it with
// schedule.Calendar.WriteTo): one event per release (CONFIRMED, or
// CANCELLED when aborted), per planned occurrence (TENTATIVE) and per
// freeze window, with UTC times and stable UIDs, so a subscribed client
// updates its events in place. name is the calendar's name; DTSTAMP is
// Calendar.Now.
func (c *Calendar) ICal(name string) *schedule.Calendar {
	cal := &schedule.Calendar{Name: name, Stamp: c.Now}
	for i := range c.Releases {
		r := &c.Releases[i]
		start, end := r.span(c.Now)
		status := "CONFIRMED"
		if r.Status == release.Aborted {
			status = "CANCELLED"
		}
		summary := r.Name
		if r.Version != "" {
			summary += " " + r.Version
		}
		desc := fmt.Sprintf("status: %s; health: %s; planned %s to %s", r.Status, r.Health, icalText(r.PlannedStart), icalText(r.PlannedEnd))
		if !r.ActualStart.IsZero() {
			desc += fmt.Sprintf("; started %s", icalText(r.ActualStart))
		}
		if !r.ActualEnd.IsZero() {
			desc += fmt.Sprintf("; ended %s", icalText(r.ActualEnd))
		}
		cal.Events = append(cal.Events, schedule.Event{
			UID: "release-" + string(r.ID) + "@baton", Summary: summary, Description: desc,
			Start: start.UTC(), End: end.UTC(), Status: status, Categories: []string{"release", strings.ToLower(string(r.Status))},
		})
	}
	for _, p := range c.Planned {
		cal.Events = append(cal.Events, schedule.Event{
			UID:     "planned-" + string(p.Group) + "-" + p.Occurrence.UTC().Format("20060102T150405Z") + "@baton",
			Summary: p.GroupName + " (planned)", Description: fmt.Sprintf("group %s, process %s; release made at %s", p.Group, p.Process, icalText(p.CreateAt)),
			Start: p.Occurrence.UTC(), End: p.End.UTC(), Status: "TENTATIVE", Categories: []string{"planned"},
		})
	}
	for _, f := range c.Freezes {
		cal.Events = append(cal.Events, schedule.Event{
			UID:     "freeze-" + string(f.Freeze) + "-" + f.Start.UTC().Format("20060102T150405Z") + "@baton",
			Summary: f.Name, Description: f.Reason, Start: f.Start.UTC(), End: f.End.UTC(), Status: "CONFIRMED", Categories: []string{"freeze"},
		})
	}
	slices.SortStableFunc(cal.Events, func(a, b schedule.Event) int { return a.Start.Compare(b.Start) })
	return cal
}

func icalText(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
