// Package schedule answers the calendar questions of release
// orchestration: "when does this cadence fire next?", "which releases fall
// in this month?" and "is this instant frozen?", correctly across
// daylight-saving changes.
//
// It is a pure package: it imports only the standard library, starts no
// goroutines and never reads the clock. The runtime (package executor)
// owns the clock and asks this package for the maths.
//
// # Schedules
//
// Everything that fires implements one method:
//
//	type Schedule interface{ Next(after time.Time) time.Time }
//
// Parse is the one text form of a release group's cadence. It reads
// cadence presets ("weekly on mon at 09:00", "monthly on the last fri",
// "every 2 weeks on thu"), 5-field cron specs (with an optional
// "CRON_TZ=Zone " prefix) and RFC 5545 recurrence text (DTSTART, RRULE,
// RDATE, EXDATE, with HOURLY to YEARLY rules and every BYxxx part but
// BYSECOND); ParseIn reads a spec that names no zone in the group's zone.
// A Cadence describes the daily / weekly / bi-weekly / monthly / custom
// cadences as data (JSON and YAML, kebab-case keys), its String is the
// preset text, and it compiles to an *RRule. Between lists the
// occurrences in a range.
//
//	s, err := schedule.Parse("CRON_TZ=Europe/Berlin 0 9 * * 1-5")
//	if err != nil {
//		return err // a *schedule.ParseError: `schedule: minute field "61": above 59`
//	}
//	next := s.Next(now)
//	for t := range schedule.Between(s, monthStart, monthEnd) {
//		fmt.Println(t)
//	}
//
// # Daylight saving
//
// A schedule names local times in an IANA zone, and some local times do not
// exist or happen twice. The rules are:
//
//   - a local time that does not exist (02:30 on a spring-forward day in
//     America/New_York) fires once, shifted forward by the gap (03:30 EDT);
//   - a fixed local time that happens twice (01:30 on a fall-back day)
//     fires once, at its first instant (01:30 EDT);
//   - a cron spec whose hour field is "*" or stepped ("*/2", "8-18/2")
//     fires in every real hour: not in the missing hour, twice in the
//     repeated one.
//
// robfig/cron skips the missing time for the day and fires a repeated one
// twice; rrule-go fires a missing time before the gap. The package tests
// pin these differences down.
//
// # Freeze windows and calendars
//
// Freezes holds one-off Windows and Recurring ones (a schedule plus a
// length, such as "every Friday 16:00 until Monday 08:00" or "all of
// December"); Frozen tells whether an instant is frozen, and Apply skips
// or shifts a schedule's frozen occurrences. Calendar writes occurrences
// and windows as RFC 5545 iCalendar for any calendar client to subscribe
// to, and ReadFreezes reads freeze windows from an .ics file.
//
// # Cost
//
// Cron Next steps through bitsets field by field (month, day, hour,
// minute), never minute by minute, and allocates nothing. RRULE Next jumps
// arithmetically to the period holding its argument, so its cost does not
// grow with the distance from DTSTART; COUNT is resolved once at Parse.
// Time zones are loaded once per process and cached (LoadLocation).
// Every search is bounded, so Next returns (possibly the zero time) for
// every spec Parse accepts.
package schedule
