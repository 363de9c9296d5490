// Package schedule answers "when does this cadence fire next?": cron and
// RFC 5545 RRULE specs, cadence presets, occurrences in a range, freeze
// windows and iCalendar output, correct across daylight-saving changes.
//
// This package is pure: it starts no goroutines and never reads the clock.
package schedule
