package executor

import (
	"cmp"
	"context"
	"fmt"
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
	// By names the reader. The authorizer sees ActionView for every group,
	// release and freeze the calendar would show; those it refuses are left
	// out.
	By
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
	// Frozen names a freeze holding the group at the occurrence: the
	// group's FreezePolicy will skip it, or shift it to ShiftedTo (the
	// first instant no freeze in the calendar holds it; occurrences
	// shifted to one instant make one release, listed once).
	Frozen    release.FreezeID
	ShiftedTo time.Time
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

// CalendarFreeze is one window of an enabled stored freeze that overlaps
// the calendar's window (see FreezeWindows).
type CalendarFreeze = FreezeWindow

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

// Overlap is a set of calendar entries that share a group or a label
// value and run at the same time: each entry runs together with at least
// one other (a chain of overlapping entries is one Overlap, so that 25
// releases touching env=prod at 10:00 are one entry, not 300 pairs).
type Overlap struct {
	Kind OverlapKind
	// Key is the group's ID, or the shared label as "key=value".
	Key string
	// Entries are the releases and planned occurrences involved (two or
	// more), by start.
	Entries []CalendarRef
	// Start and End bound the time two or more of them run together.
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
// not yet ended, and freezes when the store keeps them (read as
// FreezeWindows reads them). Groups, releases and freezes the reader p.By
// may not view (ActionView) are left out. Problems with p return an
// error matching ErrInvalid naming the field.
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
	f := calendarFilter{p: p, e: e}
	sums, err := e.calendarReleases(ctx, &f)
	if err != nil {
		return nil, fmt.Errorf("executor: %s: %w", what, err)
	}
	made := map[release.GroupID][]int64{} // the occurrences made, by group
	for _, s := range sums {
		if s.Group != "" && !s.Occurrence.IsZero() {
			made[s.Group] = append(made[s.Group], s.Occurrence.UnixNano())
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
	if c.Freezes, err = e.calendarFreezes(ctx, p, groups); err != nil {
		return nil, err
	}
	c.plan(groups, made)

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

// calendarFilter applies CalendarParams' filters, and leaves out what the
// reader may not view.
type calendarFilter struct {
	p *CalendarParams
	e *Executor
}

// view reports whether the reader may view what action describes (built
// only when an authorizer is set).
func (f *calendarFilter) view(ctx context.Context, action func() *Action) bool {
	return f.e.cfg.Authorize == nil || f.e.mayView(ctx, action())
}

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
// ended, scheduled before or after: their occurrences are not planned any
// more), filtered, each once (one rescheduled while it is listed may be
// found by two queries).
func (e *Executor) calendarReleases(ctx context.Context, f *calendarFilter) ([]release.Summary, error) {
	p := f.p
	lookback := p.Lookback
	if lookback == 0 {
		lookback = DefaultCalendarLookback
	}
	var queries []store.ListReleasesParams
	// The releases not ended are looked for outside the window only: the
	// three ranges do not overlap, so that no release is read (and
	// decoded, by a store that encodes summaries) twice.
	from := p.From.Add(-lookback)
	unfinished := []release.Status{release.Scheduled, release.Running, release.Paused}
	base := []store.ListReleasesParams{
		{ScheduledFrom: from, ScheduledTo: p.To},
		{Statuses: unfinished, ScheduledTo: from},
		{Statuses: unfinished, ScheduledFrom: p.To},
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
	var seen map[release.ID]bool
	var out []release.Summary
	for _, q := range queries {
		q.Limit = store.MaxLimit
		for {
			page, err := e.store.ListReleases(ctx, &q)
			if err != nil {
				return nil, fmt.Errorf("listing releases: %w", err)
			}
			if seen == nil {
				seen = make(map[release.ID]bool, 2*len(page.Releases))
			}
			out = slices.Grow(out, len(page.Releases))
			for i := range page.Releases {
				s := &page.Releases[i]
				if seen[s.ID] || !f.keep(s.Group, s.ProcessID, s.Labels) || !f.view(ctx, func() *Action { return releaseView(f.p.By, s) }) {
					continue
				}
				seen[s.ID] = true
				out = append(out, *s)
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
		ActualStart: s.StartedAt, ActualEnd: s.EndedAt, Labels: s.Labels, // s is the caller's: a store's list returns copies
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
			if g.Enabled && f.keep(g.ID, g.Process, g.Labels) && f.view(ctx, func() *Action { return groupAction(ActionView, f.p.By, g.ID, g) }) {
				out = append(out, g)
			}
		}
		if page.Next == "" {
			return out, nil
		}
		q.Cursor = page.Next
	}
}

// planCursor walks one group's occurrences for plan.
type planCursor struct {
	g    *release.Group
	s    schedule.Schedule
	name string
	next time.Time
	made []int64           // the occurrences whose release is made (few: those in the window or not ended)
	held []*CalendarFreeze // the freeze windows whose scope holds the group
	last time.Time         // the last instant shifted to
	n    int
}

// planHead is a cursor's place on plan's heap: pointer-free and small, so
// that the heap's moves cost little and its comparisons read no cursor.
type planHead struct {
	key int64 // the cursor's next occurrence in Unix nanoseconds
	c   int32 // the cursor's index, in the order of the groups' listing (by ID)
}

func (a planHead) before(b planHead) bool {
	return a.key < b.key || (a.key == b.key && a.c < b.c)
}

// siftDown restores the min-heap order of h from i down.
func siftDown(h []planHead, i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h[r].before(h[l]) {
			m = r
		}
		if !h[m].before(h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// plan lists the groups' occurrences in the window, after Now, whose
// release is not made, in time order: a merge of the groups' walks on a
// min-heap, so nothing is sorted afterwards.
func (c *Calendar) plan(groups []*release.Group, made map[release.GroupID][]int64) {
	after := c.From.Add(-time.Nanosecond)
	if c.Now.After(after) {
		after = c.Now
	}
	cursors := make([]planCursor, 0, len(groups))
	h := make([]planHead, 0, len(groups))
	estimate := 0
	for _, g := range groups {
		s, err := g.Schedule()
		if err != nil {
			continue // a stored group that no longer parses makes nothing: the scheduler logs it
		}
		name := g.Name
		if name == "" {
			name = string(g.ID)
		}
		t := g.NextOccurrence(s, after)
		if t.IsZero() || !t.Before(c.To) {
			continue
		}
		h = append(h, planHead{key: t.UnixNano(), c: int32(len(cursors))})
		cursors = append(cursors, planCursor{g: g, s: s, name: name, next: t, made: made[g.ID], held: c.holding(g)})
		// Room for the group's occurrences, judged from its first gap.
		if t2 := g.NextOccurrence(s, t); !t2.IsZero() && t2.Before(c.To) {
			estimate += min(int(c.To.Sub(t)/t2.Sub(t))+1, MaxPlannedPerGroup)
		} else {
			estimate++
		}
	}
	c.Planned = make([]PlannedOccurrence, 0, estimate)
	for i := len(h)/2 - 1; i >= 0; i-- {
		siftDown(h, i)
	}
	for len(h) > 0 {
		pc := &cursors[h[0].c]
		g, t := pc.g, pc.next
		frozen, shifted := pc.frozen(t)
		switch {
		case slices.Contains(pc.made, h[0].key):
			pc.next = g.NextOccurrence(pc.s, t)
		case !shifted.IsZero() && (shifted.Equal(pc.last) || slices.Contains(pc.made, shifted.UnixNano())):
			pc.next = g.NextOccurrence(pc.s, t) // made, or listed, at the instant it is shifted to
		default:
			if pc.n == MaxPlannedPerGroup {
				c.Truncated = append(c.Truncated, g.ID)
				pc.next = time.Time{}
			} else {
				pc.n++
				c.Planned = append(c.Planned, PlannedOccurrence{
					Group: g.ID, GroupName: pc.name, Process: g.Process,
					Occurrence: t, End: t.Add(g.ReleaseDuration.D()), CreateAt: t.Add(-g.LeadTime.D()), Labels: g.Labels,
					Frozen: frozen, ShiftedTo: shifted,
				})
				if !shifted.IsZero() {
					pc.last = shifted
				}
				pc.next = g.NextOccurrence(pc.s, t)
			}
		}
		if pc.next.IsZero() || !pc.next.Before(c.To) {
			h[0] = h[len(h)-1]
			h = h[:len(h)-1]
		} else {
			h[0].key = pc.next.UnixNano()
		}
		siftDown(h, 0)
	}
	slices.Sort(c.Truncated)
}

// calendarFreezes returns the windows of the enabled freezes overlapping
// the window (through FreezeWindows: authorized), keeping, when the
// calendar is filtered, those whose scope holds one of its groups or
// releases. None when the store keeps no freezes.
func (e *Executor) calendarFreezes(ctx context.Context, p *CalendarParams, groups []*release.Group) ([]CalendarFreeze, error) {
	if _, ok := e.freezeStore(); !ok {
		return nil, nil
	}
	ws, err := e.FreezeWindows(ctx, &FreezeWindowsParams{From: p.From, To: p.To, By: p.By})
	if err != nil {
		return nil, fmt.Errorf("executor: calendar: %w", err)
	}
	if len(p.Groups) == 0 && len(p.Processes) == 0 && len(p.Labels) == 0 {
		return ws, nil
	}
	kept := ws[:0]
	for _, w := range ws {
		if w.Scope.All || slices.ContainsFunc(groups, func(g *release.Group) bool { return w.Scope.Matches(groupSubject(g)) }) {
			kept = append(kept, w)
		}
	}
	return kept, nil
}

// groupSubject is what a freeze's scope is matched against for a group's
// releases.
func groupSubject(g *release.Group) release.FreezeSubject {
	return release.FreezeSubject{Group: g.ID, Process: g.Process, Labels: g.Labels}
}

// holding returns the calendar's freeze windows whose scope holds g.
func (c *Calendar) holding(g *release.Group) []*CalendarFreeze {
	var out []*CalendarFreeze
	for i := range c.Freezes {
		if f := &c.Freezes[i]; f.Scope.Matches(groupSubject(g)) {
			out = append(out, f)
		}
	}
	return out
}

// frozen returns the freeze holding the group at t, if any, and, under
// FreezeShift, the first instant from t that no window of the calendar
// holds.
func (pc *planCursor) frozen(t time.Time) (release.FreezeID, time.Time) {
	if len(pc.held) == 0 {
		return "", time.Time{}
	}
	var id release.FreezeID
	at := t
	for range 100 { // windows may follow each other
		i := slices.IndexFunc(pc.held, func(f *CalendarFreeze) bool { return !at.Before(f.Start) && at.Before(f.End) })
		if i < 0 {
			break
		}
		if id == "" {
			id = pc.held[i].Freeze
		}
		if pc.g.FreezePolicy != release.FreezeShift {
			return id, time.Time{}
		}
		at = pc.held[i].End
	}
	if id == "" {
		return "", time.Time{}
	}
	return id, at
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
// value of one of labels: per key, a sweep over the entries by start that
// gathers each chain of overlapping entries into one Overlap. The spans
// of all keys live in one slice, grouped by key (a counting sort on the
// key's number), so that a query allocates a few slices, not one per key.
func (c *Calendar) overlaps(labels []string) []Overlap {
	// A span is an entry by index: a release (< len(c.Releases)) or a
	// planned occurrence (the rest).
	type span struct { // pointer-free: cheap to grow, sort and collect
		start, end int64 // Unix nanoseconds
		i          int32
		key        int32 // index in keys
	}
	type overlapKey struct {
		group      release.GroupID // a group's key, or
		label, val string          // a label's (label is not empty)
	}
	var keys []overlapKey
	ids := map[overlapKey]int32{}
	id := func(k overlapKey) int32 {
		n, ok := ids[k]
		if !ok {
			n = int32(len(keys))
			ids[k] = n
			keys = append(keys, k)
		}
		return n
	}
	// keysOf appends to dst the keys of an entry of group g with labels
	// lbl.
	keysOf := func(dst []int32, g release.GroupID, lbl map[string]string) []int32 {
		if g != "" {
			dst = append(dst, id(overlapKey{group: g}))
		}
		for _, k := range labels {
			if v, ok := lbl[k]; ok {
				dst = append(dst, id(overlapKey{label: k, val: v}))
			}
		}
		return dst
	}
	spans := make([]span, 0, (len(c.Releases)+len(c.Planned))*(1+len(labels)))
	var ks []int32
	for i := range c.Releases {
		r := &c.Releases[i]
		if r.Status == release.Aborted && r.ActualStart.IsZero() {
			continue // never ran
		}
		start, end := r.span(c.Now)
		if !end.After(start) {
			continue
		}
		ks = keysOf(ks[:0], r.Group, r.Labels)
		for _, k := range ks {
			spans = append(spans, span{start.UnixNano(), end.UnixNano(), int32(i), k})
		}
	}
	// A planned occurrence's keys are those of its group, found once.
	type keyRange struct{ off, n int32 }
	byGroup := map[release.GroupID]keyRange{}
	var groupKeys []int32
	for i := range c.Planned {
		p := &c.Planned[i]
		if !p.End.After(p.Occurrence) {
			continue
		}
		kr, ok := byGroup[p.Group]
		if !ok {
			kr.off = int32(len(groupKeys))
			groupKeys = keysOf(groupKeys, p.Group, p.Labels)
			kr.n = int32(len(groupKeys)) - kr.off
			byGroup[p.Group] = kr
		}
		start, end := p.Occurrence.UnixNano(), p.End.UnixNano()
		for _, k := range groupKeys[kr.off : kr.off+kr.n] {
			spans = append(spans, span{start, end, int32(len(c.Releases) + i), k})
		}
	}
	// Group the spans by key, keeping their order within a key.
	at := make([]int32, len(keys)+1)
	for _, sp := range spans {
		at[sp.key+1]++
	}
	for k := range keys {
		at[k+1] += at[k]
	}
	byKey := make([]span, len(spans))
	next := slices.Clone(at[:len(keys)])
	for _, sp := range spans {
		byKey[next[sp.key]] = sp
		next[sp.key]++
	}
	ref := func(i int32) CalendarRef {
		if int(i) < len(c.Releases) {
			r := &c.Releases[i]
			return CalendarRef{Release: r.ID, Group: r.Group, Occurrence: r.Occurrence, Name: r.Name}
		}
		p := &c.Planned[int(i)-len(c.Releases)]
		return CalendarRef{Group: p.Group, Occurrence: p.Occurrence, Name: p.GroupName}
	}
	var out []Overlap
	for k, key := range keys {
		es := byKey[at[k]:at[k+1]]
		if len(es) < 2 {
			continue
		}
		// Planned spans come in time order, after the releases': nearly
		// sorted already.
		slices.SortFunc(es, func(a, b span) int {
			if n := cmp.Compare(a.start, b.start); n != 0 {
				return n
			}
			return cmp.Compare(a.i, b.i)
		})
		// A chain runs from es[i] while the next entry starts before the
		// latest end so far; each chain of two or more is one Overlap.
		for i := 0; i < len(es); {
			j, end := i+1, es[i].end
			for j < len(es) && es[j].start < end {
				end = max(end, es[j].end)
				j++
			}
			if j-i >= 2 {
				ov := Overlap{Kind: OverlapSameGroup, Key: string(key.group), Entries: make([]CalendarRef, 0, j-i), Start: c.entryStart(es[i+1].i)}
				if key.label != "" {
					ov.Kind, ov.Key = OverlapSameLabel, key.label+"="+key.val
				}
				// End: the latest instant two of them still run together.
				var ovEnd int64
				run := es[i].end
				for k := i; k < j; k++ {
					ov.Entries = append(ov.Entries, ref(es[k].i))
					if k > i {
						ovEnd = max(ovEnd, min(es[k].end, run))
					}
					run = max(run, es[k].end)
				}
				ov.End = time.Unix(0, ovEnd).In(ov.Start.Location())
				out = append(out, ov)
			}
			i = j
		}
	}
	slices.SortFunc(out, func(a, b Overlap) int {
		if n := a.Start.Compare(b.Start); n != 0 {
			return n
		}
		if n := strings.Compare(string(a.Kind), string(b.Kind)); n != 0 {
			return n
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// entryStart returns the start of entry i of overlaps (a release, then the
// planned occurrences), as a time.Time in the entry's own location.
func (c *Calendar) entryStart(i int32) time.Time {
	if int(i) < len(c.Releases) {
		s, _ := c.Releases[i].span(c.Now)
		return s
	}
	return c.Planned[int(i)-len(c.Releases)].Occurrence
}

// ICal returns the calendar as an iCalendar feed (write it with
// schedule.Calendar.WriteTo): one event per release (CONFIRMED, or
// CANCELLED when aborted), per planned occurrence (TENTATIVE) and per
// freeze window, with UTC times and stable UIDs, so a subscribed client
// updates its events in place. A release that took no time is shown one
// minute long. name is the calendar's name; DTSTAMP is
// Calendar.Now.
func (c *Calendar) ICal(name string) *schedule.Calendar {
	cal := &schedule.Calendar{Name: name, Stamp: c.Now}
	for i := range c.Releases {
		r := &c.Releases[i]
		start, end := r.span(c.Now)
		end = atLeastAMinute(start, end)
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
			Start: p.Occurrence.UTC(), End: atLeastAMinute(p.Occurrence, p.End).UTC(), Status: "TENTATIVE", Categories: []string{"planned"},
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

// atLeastAMinute returns end, or start plus a minute when end is not
// after start: calendars (and ReadFreezes) want an event to end after it
// starts.
func atLeastAMinute(start, end time.Time) time.Time {
	if !end.After(start) {
		return start.Add(time.Minute)
	}
	return end
}

func icalText(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
