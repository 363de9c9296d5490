package schedule

import (
	"iter"
	"strings"
	"time"
)

// Schedule is the contract every schedule in Baton satisfies.
//
// Next returns the first occurrence strictly after after, or the zero time
// when there is none. Implementations are pure (no clock, no goroutines),
// return non-decreasing results for non-decreasing inputs, and are safe
// for concurrent use.
type Schedule interface {
	Next(after time.Time) time.Time
}

// Parse reads a schedule spec. It is the one text form of a release
// group's cadence, and accepts:
//
//   - a cadence preset (see Cadence.String and ParseCadence): "daily",
//     "daily on weekdays at 09:00", "weekly on mon,wed", "biweekly on fri",
//     "monthly on day 15", "monthly on the last day", "monthly on the 2nd
//     tue", "monthly on the last fri at 16:00", "every 3 days", "every 2
//     weeks on thu", "every 3 months on day -1", each optionally followed
//     by "at HH:MM", "in Zone", "from YYYY-MM-DD", "until YYYY-MM-DD" and
//     "for 2h" (the expected release duration, ignored by the schedule);
//   - a 5-field cron spec "minute hour day-of-month month day-of-week"
//     with "*", lists, ranges, steps ("*/15", "9-17/2"), month and weekday
//     names (JAN, MON), 0 and 7 both Sunday, an optional "CRON_TZ=Zone " or
//     "TZ=Zone " prefix, and the descriptors @hourly, @daily, @weekly,
//     @monthly, @yearly and @annually;
//   - RFC 5545 recurrence text: DTSTART, RRULE, RDATE and EXDATE lines
//     (see RRule). The DTSTART line may be left out, and so may the
//     "RRULE:" prefix of a lone rule ("FREQ=WEEKLY;BYDAY=MO;BYHOUR=9"):
//     DTSTART is then 1970-01-01 00:00 (so give COUNT only with a
//     DTSTART).
//
// Specs that name no time zone are read in UTC; ParseIn reads them in
// another zone, and so does a "CRON_TZ=Zone " prefix before a preset or
// recurrence text ("CRON_TZ=Europe/Berlin weekly on mon"; a DTSTART with
// its own TZID keeps it). A spec that does not say when it starts starts
// on 1970-01-01.
//
// The error is a *ParseError naming the field and value at fault. A spec
// that can never fire is an error wrapping ErrNeverFires where that can be
// decided at parse time.
func Parse(spec string) (Schedule, error) { return ParseIn(spec, nil) }

// ParseIn is Parse, reading a spec that names no time zone (a cron spec
// without CRON_TZ, a preset without "in", recurrence text without DTSTART)
// in loc, as a release group does with its own time zone. loc must be an
// IANA zone (see LoadLocation); a nil loc is UTC.
func ParseIn(spec string, loc *time.Location) (Schedule, error) {
	s := strings.TrimSpace(spec)
	if s == "" {
		return nil, perr("spec", "", "empty")
	}
	if loc == nil {
		loc = time.UTC
	}
	if hasPrefixFold(s, "CRON_TZ=") || hasPrefixFold(s, "TZ=") {
		// A zone prefix before a preset or recurrence text is the zone
		// for what names none.
		_, rest, _ := strings.Cut(s, "=")
		zone, rest, _ := strings.Cut(rest, " ")
		rest = strings.TrimSpace(rest)
		if first, _, _ := strings.Cut(rest, " "); isCadenceWord(first) || isRecurrence(rest) {
			z, err := LoadLocation(zone)
			if err != nil {
				return nil, err
			}
			loc, s = z, rest
		}
	}
	if hasPrefixFold(s, "FREQ=") {
		s = "RRULE:" + s
	}
	if isRecurrence(s) {
		if !hasDTStart(s) {
			if loc == time.UTC {
				s = "DTSTART:19700101T000000Z\n" + s
			} else {
				s = "DTSTART;TZID=" + loc.String() + ":19700101T000000\n" + s
			}
		}
		r, err := parseRRule(s)
		if err != nil {
			return nil, err
		}
		return r, nil
	}
	if first, _, _ := strings.Cut(s, " "); isCadenceWord(first) {
		c, err := ParseCadence(s)
		if err != nil {
			return nil, err
		}
		if c.Location == "" && loc != time.UTC {
			c.Location = loc.String()
		}
		return c.Schedule()
	}
	if loc != time.UTC && !hasPrefixFold(s, "CRON_TZ=") && !hasPrefixFold(s, "TZ=") {
		s = "CRON_TZ=" + loc.String() + " " + s
	}
	c, err := parseCron(s)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func isCadenceWord(w string) bool {
	switch strings.ToLower(w) {
	case "daily", "weekly", "biweekly", "fortnightly", "monthly", "every":
		return true
	}
	return false
}

// isRecurrence reports whether s is RFC 5545 recurrence text.
func isRecurrence(s string) bool {
	for _, p := range []string{"DTSTART", "RRULE", "EXDATE", "RDATE", "FREQ="} {
		if hasPrefixFold(s, p) {
			return true
		}
	}
	return false
}

// hasDTStart reports whether recurrence text has a DTSTART line.
func hasDTStart(s string) bool {
	for l := range strings.SplitSeq(s, "\n") {
		if hasPrefixFold(strings.TrimSpace(l), "DTSTART") {
			return true
		}
	}
	return false
}

// Between yields the occurrences of s in the half-open range [from, to), in
// order. It stops early if s returns the zero time or fails to advance.
func Between(s Schedule, from, to time.Time) iter.Seq[time.Time] {
	return func(yield func(time.Time) bool) {
		if r, ok := s.(*RRule); ok {
			r.between(from, to, yield)
			return
		}
		t := s.Next(from.Add(-1))
		for !t.IsZero() && t.Before(to) {
			if !yield(t) {
				return
			}
			n := s.Next(t)
			if !n.After(t) {
				return
			}
			t = n
		}
	}
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
