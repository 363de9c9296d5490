package schedule

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRRuleNextFollowsRuleParts(t *testing.T) {
	cases := []struct {
		name, start, rule, after string
		want                     []string
	}{
		{"daily", "20260302T090000Z", "FREQ=DAILY", "2026-03-01 00:00", []string{"2026-03-02 09:00", "2026-03-03 09:00"}},
		{"daily interval", "20260302T090000Z", "FREQ=DAILY;INTERVAL=3", "2026-03-02 09:00", []string{"2026-03-05 09:00", "2026-03-08 09:00"}},
		{"weekly defaults to DTSTART weekday", "20260303T090000Z", "FREQ=WEEKLY", "2026-03-01 00:00", []string{"2026-03-03 09:00", "2026-03-10 09:00"}},
		{"weekly on three days", "20260302T090000Z", "FREQ=WEEKLY;BYDAY=MO,WE,FR", "2026-03-02 09:00", []string{"2026-03-04 09:00", "2026-03-06 09:00", "2026-03-09 09:00"}},
		{"biweekly with WKST", "20260302T090000Z", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,SU;WKST=SU", "2026-03-01 00:00", []string{"2026-03-02 09:00", "2026-03-15 09:00", "2026-03-16 09:00"}},
		{"biweekly with WKST monday", "20260302T090000Z", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,SU;WKST=MO", "2026-03-01 00:00", []string{"2026-03-02 09:00", "2026-03-08 09:00", "2026-03-16 09:00"}},
		{"DTSTART not selected is not an occurrence", "20260303T090000Z", "FREQ=WEEKLY;BYDAY=MO", "2026-03-01 00:00", []string{"2026-03-09 09:00"}},
		{"monthly defaults to DTSTART day and skips short months", "20260131T090000Z", "FREQ=MONTHLY", "2026-01-01 00:00", []string{"2026-01-31 09:00", "2026-03-31 09:00", "2026-05-31 09:00"}},
		{"monthly last Friday", "20260101T170000Z", "FREQ=MONTHLY;BYDAY=-1FR", "2026-01-01 00:00", []string{"2026-01-30 17:00", "2026-02-27 17:00", "2026-03-27 17:00"}},
		{"monthly second Tuesday", "20260101T100000Z", "FREQ=MONTHLY;BYDAY=2TU", "2026-01-01 00:00", []string{"2026-01-13 10:00", "2026-02-10 10:00"}},
		{"monthly fifth Monday skips months without one", "20260101T100000Z", "FREQ=MONTHLY;BYDAY=5MO", "2026-01-01 00:00", []string{"2026-03-30 10:00", "2026-06-29 10:00"}},
		{"negative month day", "20260101T100000Z", "FREQ=MONTHLY;BYMONTHDAY=-1", "2026-01-01 00:00", []string{"2026-01-31 10:00", "2026-02-28 10:00", "2026-03-31 10:00", "2026-04-30 10:00"}},
		{"last weekday of the month with BYSETPOS", "20260101T100000Z", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "2026-01-01 00:00", []string{"2026-01-30 10:00", "2026-02-27 10:00", "2026-03-31 10:00"}},
		{"Friday the 13th", "20260101T000000Z", "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", "2026-01-01 00:00", []string{"2026-02-13 00:00", "2026-03-13 00:00", "2026-11-13 00:00"}},
		{"yearly defaults to DTSTART month and day", "20240229T120000Z", "FREQ=YEARLY", "2024-03-01 00:00", []string{"2028-02-29 12:00"}},
		{"yearly by month", "20260115T120000Z", "FREQ=YEARLY;BYMONTH=1,7", "2026-01-15 12:00", []string{"2026-07-15 12:00", "2027-01-15 12:00"}},
		{"yearly ordinal within month", "20260101T120000Z", "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH", "2026-01-01 00:00", []string{"2026-11-26 12:00", "2027-11-25 12:00"}},
		{"yearly ordinal within year", "20260101T120000Z", "FREQ=YEARLY;BYDAY=20MO", "2026-01-01 00:00", []string{"2026-05-18 12:00", "2027-05-17 12:00"}},
		{"yearly last Sunday of the year", "20260101T120000Z", "FREQ=YEARLY;BYDAY=-1SU", "2026-01-01 00:00", []string{"2026-12-27 12:00", "2027-12-26 12:00"}},
		{"count stops the rule", "20260302T090000Z", "FREQ=DAILY;COUNT=2", "2026-03-01 00:00", []string{"2026-03-02 09:00", "2026-03-03 09:00", "zero"}},
		{"count counts from DTSTART even when asked later", "20260302T090000Z", "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=3", "2026-03-05 00:00", []string{"2026-03-09 09:00", "zero"}},
		{"until is inclusive", "20260302T090000Z", "FREQ=DAILY;UNTIL=20260303T090000Z", "2026-03-01 00:00", []string{"2026-03-02 09:00", "2026-03-03 09:00", "zero"}},
		{"until as a date includes the day", "20260302T090000Z", "FREQ=DAILY;UNTIL=20260303", "2026-03-01 00:00", []string{"2026-03-02 09:00", "2026-03-03 09:00", "zero"}},
		{"daily by month jumps to the month", "20260101T090000Z", "FREQ=DAILY;BYMONTH=6;BYMONTHDAY=1,-1", "2026-01-01 00:00", []string{"2026-06-01 09:00", "2026-06-30 09:00", "2027-06-01 09:00"}},
		{"daily on weekdays", "20260306T090000Z", "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "2026-03-06 09:00", []string{"2026-03-09 09:00"}},
		{"BYSETPOS with nothing to pick never fires", "20260101T090000Z", "FREQ=MONTHLY;BYMONTHDAY=1;BYSETPOS=2", "2026-01-01 00:00", []string{"zero"}},
		{"February 30th never fires", "20260101T090000Z", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "2026-01-01 00:00", []string{"zero"}},
		{"interval that never meets the month never fires", "20260101T090000Z", "FREQ=MONTHLY;INTERVAL=12;BYMONTH=3", "2026-01-01 00:00", []string{"zero"}},
		{"never-firing count rule has no occurrences", "20260101T090000Z", "FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=2;COUNT=3", "2025-01-01 00:00", []string{"zero"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := mustParse(t, "DTSTART:"+tc.start+"\nRRULE:"+tc.rule)
			cur := at(t, time.UTC, tc.after)
			for _, w := range tc.want {
				next := s.Next(cur)
				if w == "zero" {
					require.True(t, next.IsZero(), "want none after %s, got %s", fmtT(cur), fmtT(next))
					break
				}
				require.Equal(t, fmtT(at(t, time.UTC, w)), fmtT(next), "after %s", fmtT(cur))
				cur = next
			}
		})
	}
}

func TestRRuleNextAppliesDaylightSavingRules(t *testing.T) {
	cases := []dstCase{
		{"America/New_York", "missing local time fires shifted by the gap", "20260301T023000\nRRULE:FREQ=DAILY", "2026-03-07 12:00 -0500",
			[]string{"2026-03-08 03:30 -0400", "2026-03-09 02:30 -0400"}},
		{"America/New_York", "repeated local time fires at its first instant", "20261025T013000\nRRULE:FREQ=WEEKLY", "2026-10-26 00:00 -0400",
			[]string{"2026-11-01 01:30 -0400", "2026-11-08 01:30 -0500"}},
		{"Europe/Berlin", "missing local time fires shifted by the gap", "20260301T021500\nRRULE:FREQ=MONTHLY;BYDAY=-1SU", "2026-03-01 00:00 +0100",
			[]string{"2026-03-29 03:15 +0200", "2026-04-26 02:15 +0200"}},
		{"Europe/Berlin", "repeated local time fires at its first instant", "20260101T023000\nRRULE:FREQ=MONTHLY;BYDAY=-1SU", "2026-10-01 00:00 +0200",
			[]string{"2026-10-25 02:30 +0200", "2026-11-29 02:30 +0100"}},
		{"Australia/Sydney", "missing local time fires shifted by the gap", "20260101T020000\nRRULE:FREQ=MONTHLY;BYDAY=1SU", "2026-09-10 00:00 +1000",
			[]string{"2026-10-04 03:00 +1100", "2026-11-01 02:00 +1100"}},
		{"Australia/Adelaide", "missing local time fires shifted by the gap in a half-hour zone", "20260101T024500\nRRULE:FREQ=DAILY", "2026-10-03 12:00 +0930",
			[]string{"2026-10-04 03:45 +1030", "2026-10-05 02:45 +1030"}},
		{"Australia/Adelaide", "repeated local time fires once in a half-hour zone", "20260101T024500\nRRULE:FREQ=DAILY", "2026-04-04 12:00 +1030",
			[]string{"2026-04-05 02:45 +1030", "2026-04-06 02:45 +0930"}},
	}
	for _, tc := range cases {
		t.Run(tc.zone+"/"+tc.name, func(t *testing.T) {
			loc := mustLoc(t, tc.zone)
			s := mustParse(t, "DTSTART;TZID="+tc.zone+":"+tc.spec)
			cur := at(t, loc, tc.after)
			for _, w := range tc.want {
				next := s.Next(cur)
				require.Equal(t, fmtT(at(t, loc, w)), fmtT(next), "after %s", fmtT(cur))
				cur = next
			}
		})
	}
}

func TestRRuleExdateRemovesOccurrencesAfterCount(t *testing.T) {
	s := mustParse(t, "DTSTART;TZID=Europe/Berlin:20260302T090000\nRRULE:FREQ=DAILY;COUNT=3\nEXDATE;TZID=Europe/Berlin:20260303T090000\nEXDATE:20260304T080000Z")
	got := []string{}
	for v := range Between(s, at(t, time.UTC, "2026-01-01 00:00"), at(t, time.UTC, "2027-01-01 00:00")) {
		got = append(got, fmtT(v))
	}
	require.Equal(t, []string{"2026-03-02 09:00:00 +0100 CET"}, got)
}

func TestParseRRuleRejectsBadInputWithFieldAndValue(t *testing.T) {
	cases := []struct{ spec, msg string }{
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=FORTNIGHTLY", `schedule: RRULE FREQ "FORTNIGHTLY": want DAILY, WEEKLY, MONTHLY or YEARLY`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=HOURLY", `schedule: RRULE FREQ "HOURLY": sub-daily frequencies are not supported; use a cron spec`},
		{"DTSTART:20260101T090000Z\nRRULE:INTERVAL=2", `schedule: RRULE "INTERVAL=2": missing FREQ`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY;INTERVAL=0", `schedule: RRULE INTERVAL "0": want a whole number from 1 to 100000`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=MONTHLY;BYDAY=9MO", `schedule: RRULE BYDAY "9MO": ordinal within a month must be 1 to 5 or -5 to -1`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=WEEKLY;BYDAY=2MO", `schedule: RRULE BYDAY "2MO": ordinals need FREQ=MONTHLY or FREQ=YEARLY`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=MONTHLY;BYDAY=XX", `schedule: RRULE BYDAY "XX": want a weekday code such as MO, 2TU or -1FR`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=MONTHLY;BYMONTHDAY=0", `schedule: RRULE BYMONTHDAY "0": want a day from 1 to 31 or -31 to -1`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=MONTHLY;BYMONTH=13", `schedule: RRULE BYMONTH "13": want a month number from 1 to 12`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=MONTHLY;BYSETPOS=1", `schedule: RRULE BYSETPOS "FREQ=MONTHLY;BYSETPOS=1": needs another BYxxx rule part to select from`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY;COUNT=2;UNTIL=20270101T000000Z", `schedule: RRULE "FREQ=DAILY;COUNT=2;UNTIL=20270101T000000Z": COUNT and UNTIL must not both be given`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY;BYHOUR=9", `schedule: RRULE BYHOUR "9": not supported`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY;FOO=1", `schedule: RRULE "FOO=1": unknown rule part`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY;FREQ=DAILY", `schedule: RRULE FREQ "DAILY": appears twice`},
		{"DTSTART:20260101T090000\nRRULE:FREQ=DAILY", `schedule: DTSTART "DTSTART:20260101T090000": floating time: add ;TZID=Zone or end the time with Z for UTC`},
		{"DTSTART;TZID=Nowhere/Land:20260101T090000\nRRULE:FREQ=DAILY", `schedule: time zone "Nowhere/Land": unknown IANA time zone`},
		{"DTSTART:20260231T090000Z\nRRULE:FREQ=DAILY", `schedule: DTSTART "20260231T090000Z": day 31 is not in that month`},
		{"DTSTART:2026-01-01\nRRULE:FREQ=DAILY", `schedule: DTSTART "2026-01-01": want YYYYMMDDTHHMMSS, with a trailing Z for UTC`},
		{"RRULE:FREQ=DAILY", `schedule: recurrence "RRULE:FREQ=DAILY": missing DTSTART line`},
		{"DTSTART:20260101T090000Z", `schedule: recurrence "DTSTART:20260101T090000Z": missing RRULE line`},
		{"DTSTART:20260101T090000Z\nRDATE:20260101T090000Z\nRRULE:FREQ=DAILY", `schedule: recurrence line "RDATE:20260101T090000Z": want DTSTART, RRULE or EXDATE`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY\nEXDATE:2026", `schedule: EXDATE "2026": want YYYYMMDDTHHMMSS, with a trailing Z for UTC`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY;COUNT=999999999", `schedule: RRULE COUNT "999999999": too large to resolve (more than 200000 periods); use UNTIL`},
	}
	for _, tc := range cases {
		t.Run(tc.msg, func(t *testing.T) {
			_, err := Parse(tc.spec)
			require.EqualError(t, err, tc.msg)
		})
	}
}
