package schedule

import "time"

// Window is a freeze period, half-open: it includes Start and excludes End.
type Window struct {
	Name  string
	Start time.Time
	End   time.Time
}

// Contains reports whether t lies in [w.Start, w.End).
func (w Window) Contains(t time.Time) bool { return !t.Before(w.Start) && t.Before(w.End) }

// Recurring is a freeze window that opens at every occurrence of Schedule
// and stays open for Months and Days (calendar units, counted in the
// occurrence's time zone, so wall-clock times survive daylight-saving
// changes) plus Duration. For example "every Friday 16:00 until Monday
// 08:00" is Schedule "CRON_TZ=Europe/Berlin 0 16 * * 5", Days 2, Duration
// 16h; "all of December" is Schedule "0 0 1 12 *", Months 1.
type Recurring struct {
	Name     string
	Schedule Schedule
	Months   int
	Days     int
	Duration time.Duration
}

func (r Recurring) end(start time.Time) time.Time {
	return start.AddDate(0, r.Months, r.Days).Add(r.Duration)
}

// reach bounds how long one window of r can be.
// Lengths beyond a century are clamped so the sum cannot overflow.
func (r Recurring) reach() time.Duration {
	const century = 100 * 366 * 24 * time.Hour
	months := time.Duration(min(max(r.Months, 0), 1200))
	days := time.Duration(min(max(r.Days, 0), 36600))
	return months*31*24*time.Hour + days*25*time.Hour + min(max(r.Duration, 0), century) + time.Hour
}

// maxStartsPerCheck bounds the work of one Frozen call per recurring window
// (a window that opens every minute and lasts a week would otherwise need
// ten thousand Next calls).
const maxStartsPerCheck = 4096

// Freezes is a set of freeze windows: one-off Windows and Recurring ones.
// The zero value has no windows. A Freezes must not be modified while it is
// being read; reading it is safe for concurrent use.
type Freezes struct {
	Windows   []Window
	Recurring []Recurring
}

// Frozen reports whether t lies in a freeze window and, if so, the window.
// When several windows contain t it returns the one that ends last (so
// that its End is the earliest instant that window does not freeze).
func (f *Freezes) Frozen(t time.Time) (bool, Window) {
	var best Window
	found := false
	take := func(w Window) {
		if !found || w.End.After(best.End) {
			best, found = w, true
		}
	}
	for _, w := range f.Windows {
		if w.Contains(t) {
			take(w)
		}
	}
	for _, r := range f.Recurring {
		if r.Schedule == nil {
			continue
		}
		s := r.Schedule.Next(t.Add(-r.reach()))
		for i := 0; i < maxStartsPerCheck && !s.IsZero() && !s.After(t); i++ {
			if e := r.end(s); e.After(t) {
				take(Window{Name: r.Name, Start: s, End: e})
			}
			n := r.Schedule.Next(s)
			if !n.After(s) {
				break
			}
			s = n
		}
	}
	return found, best
}

// NextStart returns the earliest instant after t at which a window opens
// (a one-off window's Start, an occurrence of a recurring window's
// Schedule), or the zero time when none opens after t.
func (f *Freezes) NextStart(t time.Time) time.Time {
	var next time.Time
	for _, w := range f.Windows {
		if w.Start.After(t) && (next.IsZero() || w.Start.Before(next)) {
			next = w.Start
		}
	}
	for _, r := range f.Recurring {
		if r.Schedule == nil {
			continue
		}
		if s := r.Schedule.Next(t); !s.IsZero() && s.After(t) && (next.IsZero() || s.Before(next)) {
			next = s
		}
	}
	return next
}

// FirstAllowed returns the first instant at or after t that no window
// freezes, following windows that chain into each other. It returns the
// zero time if t is still frozen after 1000 windows.
func (f *Freezes) FirstAllowed(t time.Time) time.Time {
	for range 1000 {
		frozen, w := f.Frozen(t)
		if !frozen {
			return t
		}
		t = w.End
	}
	return time.Time{}
}

// Policy says what happens to an occurrence that falls in a freeze window.
type Policy string

// Policies for occurrences in freeze windows.
const (
	// Skip drops frozen occurrences.
	Skip Policy = "skip"
	// Shift moves a frozen occurrence to the first instant no window
	// freezes; several occurrences frozen together become one.
	Shift Policy = "shift"
)

// Apply returns a Schedule with the occurrences of s that f freezes
// skipped or shifted, as p says. Any Policy other than Shift skips.
func (f *Freezes) Apply(s Schedule, p Policy) Schedule {
	return &guarded{s: s, f: f, shift: p == Shift}
}

type guarded struct {
	s     Schedule
	f     *Freezes
	shift bool
}

// maxSkips bounds the frozen occurrences one Next call walks over.
const maxSkips = 100000

func (g *guarded) Next(after time.Time) time.Time {
	if g.shift {
		// An occurrence frozen by the window holding after is shifted to
		// the window's end, which is still ahead.
		if frozen, w := g.f.Frozen(after); frozen {
			if o := g.s.Next(w.Start.Add(-1)); !o.IsZero() && !o.After(after) {
				return g.f.FirstAllowed(after)
			}
		}
		t := g.s.Next(after)
		if t.IsZero() {
			return t
		}
		return g.f.FirstAllowed(t)
	}
	t := g.s.Next(after)
	for range maxSkips {
		if t.IsZero() {
			return t
		}
		frozen, w := g.f.Frozen(t)
		if !frozen {
			return t
		}
		// Every occurrence before the window's end is frozen too.
		t = g.s.Next(w.End.Add(-1))
	}
	return time.Time{}
}
