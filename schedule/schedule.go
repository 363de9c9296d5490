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

// Parse reads a schedule spec. It accepts:
//
//   - a 5-field cron spec "minute hour day-of-month month day-of-week"
//     with "*", lists, ranges, steps ("*/15", "9-17/2"), month and weekday
//     names (JAN, MON), 0 and 7 both Sunday, an optional "CRON_TZ=Zone " or
//     "TZ=Zone " prefix (UTC otherwise), and the descriptors @hourly,
//     @daily, @weekly, @monthly, @yearly and @annually;
//   - RFC 5545 recurrence text: a DTSTART line, an RRULE line and optional
//     EXDATE lines (see RRule).
//
// The error is a *ParseError naming the field and value at fault. A spec
// that can never fire is an error wrapping ErrNeverFires where that can be
// decided at parse time.
func Parse(spec string) (Schedule, error) {
	s := strings.TrimSpace(spec)
	if s == "" {
		return nil, perr("spec", "", "empty")
	}
	if hasPrefixFold(s, "DTSTART") || hasPrefixFold(s, "RRULE") || hasPrefixFold(s, "EXDATE") {
		r, err := parseRRule(s)
		if err != nil {
			return nil, err
		}
		return r, nil
	}
	c, err := parseCron(spec)
	if err != nil {
		return nil, err
	}
	return c, nil
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
