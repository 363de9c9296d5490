package schedule

import (
	"errors"
	"fmt"
)

// ErrNeverFires is wrapped by the *ParseError returned for a spec that is
// well formed but can never produce an occurrence, such as "0 0 30 2 *".
var ErrNeverFires = errors.New("schedule: spec never fires")

// ErrUnsupported is wrapped by the *ParseError returned for valid syntax that
// this package deliberately does not implement (for example an RRULE with
// FREQ=MINUTELY or BYSECOND, or the "@every" descriptor).
var ErrUnsupported = errors.New("schedule: unsupported")

// ErrTooLarge is wrapped by the *ParseError returned for an input larger
// than its limit, such as an .ics file of more than MaxICalSize bytes.
var ErrTooLarge = errors.New("schedule: input too large")

// ErrOutOfRange is returned (wrapped) by Calendar.WriteTo for an event
// whose start or end iCalendar cannot write: outside the years 1 to 9999,
// or an end before its start.
var ErrOutOfRange = errors.New("schedule: time out of range")

// ParseError reports why a spec, cadence, or calendar could not be
// understood. Field names the part that was wrong ("minute field", "RRULE
// BYDAY", "cadence at"), Value is the offending text, and Reason says what
// was wrong with it. Err, when set, is a sentinel (ErrNeverFires,
// ErrUnsupported, ErrTooLarge) reachable with errors.Is.
type ParseError struct {
	Field  string
	Value  string
	Reason string
	Err    error
}

func (e *ParseError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("schedule: %s: %s", e.Field, e.Reason)
	}
	return fmt.Sprintf("schedule: %s %q: %s", e.Field, e.Value, e.Reason)
}

// Unwrap returns the sentinel error, if any.
func (e *ParseError) Unwrap() error { return e.Err }

func perr(field, value, reason string) *ParseError {
	return &ParseError{Field: field, Value: value, Reason: reason}
}
