package release

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/schedule"
)

// FreezeID identifies a freeze.
type FreezeID string

// FreezePolicy says what a release group does with an occurrence that falls
// in a freeze window.
type FreezePolicy string

// The freeze policies of a group. The zero value means FreezeSkip.
const (
	// FreezeSkip records a frozen occurrence as skipped, naming the
	// freeze; no release is made for it.
	FreezeSkip FreezePolicy = "skip"
	// FreezeShift moves a frozen occurrence to the first instant no freeze
	// holds; occurrences shifted to the same instant make one release.
	FreezeShift FreezePolicy = "shift"
)

// ErrInvalidFreeze is matched (errors.Is) by every *FreezeError.
var ErrInvalidFreeze = errors.New("release: invalid freeze")

// Freeze is a stored freeze: a set of windows during which releases and
// activities in its Scope may not start. Its windows are one-off periods
// (Windows), recurring ones (Recurring), and the events of an iCalendar
// text (ICal, read with schedule.ReadFreezes); it holds whenever any of
// them does.
//
// The fields are plain data; Validate checks them all at once and
// Compile turns the windows into a schedule.Freezes.
type Freeze struct {
	ID FreezeID `json:"id"`
	// Name is shown to people ("Black Friday"); empty means the ID.
	Name string `json:"name,omitempty"`
	// Reason says why the freeze exists; errors and Why repeat it.
	Reason string `json:"reason,omitempty"`
	// Windows are one-off windows, each [Start, End).
	Windows []FreezeWindow `json:"windows,omitempty"`
	// Recurring are windows that open at every occurrence of a schedule.
	Recurring []RecurringFreeze `json:"recurring,omitempty"`
	// ICal is iCalendar text (an exported .ics file); each VEVENT is a
	// window, recurring when it has an RRULE. Floating times are read in
	// ICalTimezone.
	ICal         string `json:"ical,omitempty"`
	ICalTimezone string `json:"ical-timezone,omitempty"`
	// Scope says what the freeze holds back.
	Scope FreezeScope `json:"scope"`
	// Enabled is false while the freeze is switched off: it holds nothing.
	Enabled bool `json:"enabled"`
	// Revision counts the stored versions of the freeze; stores set it (1
	// on create, +1 on each update) and use it for optimistic concurrency.
	Revision int64 `json:"revision"`
	// CreatedBy and CreatedAt say who stored the freeze first, and when.
	CreatedBy string    `json:"created-by,omitempty"`
	CreatedAt time.Time `json:"created-at"`
}

// FreezeWindow is a one-off freeze window, half-open: it includes Start and
// excludes End.
type FreezeWindow struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// RecurringFreeze is a window that opens at every occurrence of Schedule
// and lasts Days calendar days (counted in the schedule's time zone, so
// wall-clock times survive daylight-saving changes) plus Duration. For
// example "every Friday 16:00 until Monday 08:00 in Berlin" is Schedule
// "weekly on fri at 16:00", Timezone "Europe/Berlin", Days 2, Duration 16h.
type RecurringFreeze struct {
	// Schedule is read by schedule.ParseIn: a preset, a cron spec or RFC
	// 5545 recurrence text.
	Schedule string `json:"schedule"`
	// Timezone is the IANA zone of a schedule that names none; empty means
	// UTC.
	Timezone string           `json:"timezone,omitempty"`
	Days     int              `json:"days,omitempty"`
	Duration process.Duration `json:"duration,omitempty"`
}

// FreezeScope says which releases and activities a freeze holds back.
//
// All holds back everything. Otherwise every criterion that is set must
// match (an empty one matches anything), and at least one must be set:
//
//   - Groups: the release belongs to one of these groups (a child release
//     counts as belonging to the group of the release that started it);
//   - Processes: the release runs one of these processes;
//   - Labels: every key=value pair is among the labels. A release matches
//     on its own labels; an activity on its effective labels (its own over
//     its phase's) or, when its release matches, always.
//
// A release in scope may not start while the freeze holds, and none of its
// activities may start; an activity in scope waits until the freeze ends.
type FreezeScope struct {
	All       bool              `json:"all,omitempty"`
	Groups    []GroupID         `json:"groups,omitempty"`
	Processes []process.ID      `json:"processes,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
}

// FreezeSubject is what a freeze's scope is matched against: a release,
// or an activity of one (ActivityLabels set, possibly empty).
type FreezeSubject struct {
	Group   GroupID
	Process process.ID
	Labels  map[string]string
	// ActivityLabels are an activity's effective labels; nil for a release.
	ActivityLabels map[string]string
	// Activity is true when the subject is an activity.
	Activity bool
}

// Matches reports whether the scope holds back s.
func (sc *FreezeScope) Matches(s FreezeSubject) bool {
	if sc.All {
		return true
	}
	if len(sc.Groups) == 0 && len(sc.Processes) == 0 && len(sc.Labels) == 0 {
		return false
	}
	if len(sc.Groups) > 0 && !slices.Contains(sc.Groups, s.Group) {
		return false
	}
	if len(sc.Processes) > 0 && !slices.Contains(sc.Processes, s.Process) {
		return false
	}
	if len(sc.Labels) == 0 {
		return true
	}
	return hasLabels(s.Labels, sc.Labels) || (s.Activity && hasLabels(s.ActivityLabels, sc.Labels))
}

func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// Clone returns a deep copy of f.
func (f *Freeze) Clone() *Freeze {
	if f == nil {
		return nil
	}
	c := *f
	c.Windows = slices.Clone(f.Windows)
	c.Recurring = slices.Clone(f.Recurring)
	c.Scope = f.Scope.Clone()
	return &c
}

// Clone returns a deep copy of sc.
func (sc FreezeScope) Clone() FreezeScope {
	sc.Groups = slices.Clone(sc.Groups)
	sc.Processes = slices.Clone(sc.Processes)
	sc.Labels = maps.Clone(sc.Labels)
	return sc
}

// DisplayName returns the freeze's Name, or its ID when it has none.
func (f *Freeze) DisplayName() string {
	if f.Name != "" {
		return f.Name
	}
	return string(f.ID)
}

// FreezeError lists every problem found in a freeze, in field order. It
// matches ErrInvalidFreeze.
type FreezeError struct {
	Freeze   FreezeID
	Problems []process.Problem
}

func (e *FreezeError) Error() string { return problemsText("freeze", string(e.Freeze), e.Problems) }

// Is reports whether target is ErrInvalidFreeze.
func (e *FreezeError) Is(target error) bool { return target == ErrInvalidFreeze }

// Limits on a freeze, so that one stored freeze cannot make every check
// slow.
const (
	// MaxFreezeWindows bounds Windows and Recurring, each.
	MaxFreezeWindows = 1000
	// MaxFreezeDays bounds the length of a recurring window (Days plus
	// Duration): a year.
	MaxFreezeDays = 366
)

// Validate checks every field of f and returns a *FreezeError listing all
// the problems, or nil. Paths name the JSON fields ("windows[0].end",
// "recurring[1].schedule", "scope").
func (f *Freeze) Validate() error {
	var ps problems
	add := ps.add
	text := func(path, v string, required bool) { ps.text(path, v, maxGroupText, required, false) }
	if f.ID == "" {
		add("id", "required")
	} else if !process.ValidID(string(f.ID)) {
		add("id", "%q is not a valid freeze id: want lower-case letters, digits, '-' and '_', starting with a letter or digit", f.ID)
	}
	text("name", f.Name, false)
	if len(f.Reason) > 4*maxGroupText {
		add("reason", "longer than %d bytes", 4*maxGroupText)
	}
	if len(f.Windows) > MaxFreezeWindows {
		add("windows", "%d windows: at most %d", len(f.Windows), MaxFreezeWindows)
	}
	for i, w := range f.Windows {
		p := fmt.Sprintf("windows[%d]", i)
		switch {
		case w.Start.IsZero():
			add(p+".start", "required")
		case w.End.IsZero():
			add(p+".end", "required")
		case !w.End.After(w.Start):
			add(p+".end", "%s: must be after start (%s)", w.End.Format(time.RFC3339), w.Start.Format(time.RFC3339))
		}
	}
	if len(f.Recurring) > MaxFreezeWindows {
		add("recurring", "%d windows: at most %d", len(f.Recurring), MaxFreezeWindows)
	}
	for i, r := range f.Recurring {
		p := fmt.Sprintf("recurring[%d]", i)
		if _, err := r.schedule(); err != nil {
			if _, lerr := schedule.LoadLocation(r.Timezone); lerr != nil {
				add(p+".timezone", "%q: want an IANA time zone name such as Europe/Paris: %v", r.Timezone, lerr)
			} else if strings.TrimSpace(r.Schedule) == "" {
				add(p+".schedule", "required: a preset, a cron spec or RRULE text")
			} else {
				add(p+".schedule", "%v", err)
			}
		}
		switch {
		case r.Days < 0:
			add(p+".days", "%d: must not be negative", r.Days)
		case r.Duration < 0:
			add(p+".duration", "%s: must not be negative", r.Duration.D())
		case r.Days == 0 && r.Duration == 0:
			add(p+".duration", "a recurring window needs a length: days, duration or both")
		case time.Duration(r.Days)*24*time.Hour+r.Duration.D() > MaxFreezeDays*24*time.Hour || r.Days > MaxFreezeDays:
			add(p+".duration", "longer than %d days", MaxFreezeDays)
		}
	}
	if f.ICal != "" {
		if _, err := f.readICal(); err != nil {
			add("ical", "%v", err)
		}
	} else if f.ICalTimezone != "" {
		add("ical-timezone", "set without ical")
	}
	if len(f.Windows) == 0 && len(f.Recurring) == 0 && f.ICal == "" {
		add("windows", "a freeze needs at least one window: windows, recurring or ical")
	}
	sc := f.Scope
	if !sc.All && len(sc.Groups) == 0 && len(sc.Processes) == 0 && len(sc.Labels) == 0 {
		add("scope", "required: all, or groups, processes or labels")
	}
	if sc.All && (len(sc.Groups) > 0 || len(sc.Processes) > 0 || len(sc.Labels) > 0) {
		add("scope", "all holds everything: groups, processes and labels must be empty with it")
	}
	for i, g := range sc.Groups {
		text(fmt.Sprintf("scope.groups[%d]", i), string(g), true)
	}
	for i, p := range sc.Processes {
		text(fmt.Sprintf("scope.processes[%d]", i), string(p), true)
	}
	for _, k := range slices.Sorted(maps.Keys(sc.Labels)) {
		if err := process.CheckLabel(k, sc.Labels[k]); err != nil {
			add("scope.labels."+k, "%v", err)
		}
	}
	text("created-by", f.CreatedBy, false)
	if len(ps) == 0 {
		return nil
	}
	return &FreezeError{Freeze: f.ID, Problems: ps}
}

func (r RecurringFreeze) schedule() (schedule.Schedule, error) {
	loc, err := schedule.LoadLocation(r.Timezone)
	if err != nil {
		return nil, err
	}
	return schedule.ParseIn(r.Schedule, loc)
}

func (f *Freeze) readICal() (*schedule.Freezes, error) {
	loc, err := schedule.LoadLocation(f.ICalTimezone)
	if err != nil {
		return nil, fmt.Errorf("ical-timezone %q: %w", f.ICalTimezone, err)
	}
	return schedule.ReadFreezes(strings.NewReader(f.ICal), loc)
}

// Compile returns the freeze's windows as a schedule.Freezes, each window
// named after the freeze (DisplayName). It fails as Validate would on a
// window it cannot read. A disabled freeze compiles too: callers check
// Enabled.
func (f *Freeze) Compile() (*schedule.Freezes, error) {
	name := f.DisplayName()
	out := &schedule.Freezes{}
	for _, w := range f.Windows {
		out.Windows = append(out.Windows, schedule.Window{Name: name, Start: w.Start, End: w.End})
	}
	for i, r := range f.Recurring {
		s, err := r.schedule()
		if err != nil {
			return nil, fmt.Errorf("release: freeze %s: recurring[%d]: %w", f.ID, i, err)
		}
		out.Recurring = append(out.Recurring, schedule.Recurring{Name: name, Schedule: s, Days: r.Days, Duration: r.Duration.D()})
	}
	if f.ICal != "" {
		ics, err := f.readICal()
		if err != nil {
			return nil, fmt.Errorf("release: freeze %s: ical: %w", f.ID, err)
		}
		for _, w := range ics.Windows {
			w.Name = name
			out.Windows = append(out.Windows, w)
		}
		for _, r := range ics.Recurring {
			r.Name = name
			out.Recurring = append(out.Recurring, r)
		}
	}
	return out, nil
}

// FreezeOverride records that an operator let one release, or one activity
// of it, through a freeze (freeze.overridden).
type FreezeOverride struct {
	Freeze FreezeID `json:"freeze"`
	// Activity is the activity let through; empty for the whole release.
	Activity ActivityKey `json:"activity,omitempty"`
	Actor    string      `json:"actor"`
	Reason   string      `json:"reason,omitempty"`
	At       time.Time   `json:"at"`
}

// FreezeOverridden reports whether an override lets activity k (or, when
// k is empty, the release itself) through freeze f: an override of the
// whole release covers its activities too.
func (r *Release) FreezeOverridden(f FreezeID, k ActivityKey) bool {
	for _, o := range r.FreezeOverrides {
		if o.Freeze == f && (o.Activity == "" || o.Activity == k) {
			return true
		}
	}
	return false
}
