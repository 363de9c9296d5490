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
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=FORTNIGHTLY", `schedule: RRULE FREQ "FORTNIGHTLY": want HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=MINUTELY", `schedule: RRULE FREQ "MINUTELY": rules fire at most once a minute; use FREQ=HOURLY with BYMINUTE, or a cron spec`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=SECONDLY;COUNT=1000000000", `schedule: RRULE FREQ "SECONDLY": rules fire at most once a minute; use FREQ=HOURLY with BYMINUTE, or a cron spec`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY;BYSECOND=5", `schedule: RRULE BYSECOND "5": not supported`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY;BYHOUR=24", `schedule: RRULE BYHOUR "24": want an hour from 0 to 23`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY;BYMINUTE=1,60", `schedule: RRULE BYMINUTE "60": want a minute from 0 to 59`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=YEARLY;BYYEARDAY=367", `schedule: RRULE BYYEARDAY "367": want a day of the year from 1 to 366 or -366 to -1`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=YEARLY;BYWEEKNO=0", `schedule: RRULE BYWEEKNO "0": want a week number from 1 to 53 or -53 to -1`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=MONTHLY;BYYEARDAY=100", `schedule: RRULE BYYEARDAY "FREQ=MONTHLY;BYYEARDAY=100": only allowed with FREQ=YEARLY or FREQ=HOURLY (RFC 5545)`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY;BYWEEKNO=3", `schedule: RRULE BYWEEKNO "FREQ=DAILY;BYWEEKNO=3": only allowed with FREQ=YEARLY (RFC 5545)`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=YEARLY;BYWEEKNO=3;BYDAY=1MO", `schedule: RRULE BYDAY "1MO": ordinals are not allowed with BYWEEKNO (RFC 5545)`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=HOURLY;BYDAY=1MO", `schedule: RRULE BYDAY "1MO": ordinals need FREQ=MONTHLY or FREQ=YEARLY`},
		{"DTSTART;VALUE=DATE:20260101\nRRULE:FREQ=DAILY;BYHOUR=9", `schedule: RRULE "FREQ=DAILY;BYHOUR=9": an all-day (VALUE=DATE) DTSTART has no time of day: BYHOUR, BYMINUTE and FREQ=HOURLY need a DATE-TIME DTSTART`},
		{"DTSTART;VALUE=DATE:20260101T090000\nRRULE:FREQ=DAILY", `schedule: DTSTART "20260101T090000": want YYYYMMDD for an all-day (VALUE=DATE) start`},
		{"DTSTART;VALUE=PERIOD:20260101T090000Z/PT1H\nRRULE:FREQ=DAILY", `schedule: DTSTART "DTSTART;VALUE=PERIOD:20260101T090000Z/PT1H": only DATE and DATE-TIME values are supported`},
		{"DTSTART:20260101T090000Z\nRDATE;VALUE=DATE:2026010", `schedule: RDATE "2026010": want YYYYMMDD (VALUE=DATE)`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=HOURLY;INTERVAL=1;COUNT=9999999", `schedule: RRULE COUNT "9999999": too large to resolve (more than 200000 periods); use UNTIL`},
		{"DTSTART:20260101T090000Z\nRRULE:INTERVAL=2", `schedule: RRULE "INTERVAL=2": missing FREQ`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY;INTERVAL=0", `schedule: RRULE INTERVAL "0": want a whole number from 1 to 100000`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=MONTHLY;BYDAY=9MO", `schedule: RRULE BYDAY "9MO": ordinal within a month must be 1 to 5 or -5 to -1`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=WEEKLY;BYDAY=2MO", `schedule: RRULE BYDAY "2MO": ordinals need FREQ=MONTHLY or FREQ=YEARLY`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=MONTHLY;BYDAY=XX", `schedule: RRULE BYDAY "XX": want a weekday code such as MO, 2TU or -1FR`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=MONTHLY;BYMONTHDAY=0", `schedule: RRULE BYMONTHDAY "0": want a day from 1 to 31 or -31 to -1`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=MONTHLY;BYMONTH=13", `schedule: RRULE BYMONTH "13": want a month number from 1 to 12`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=MONTHLY;BYSETPOS=1", `schedule: RRULE BYSETPOS "FREQ=MONTHLY;BYSETPOS=1": needs another BYxxx rule part to select from`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY;COUNT=2;UNTIL=20270101T000000Z", `schedule: RRULE "FREQ=DAILY;COUNT=2;UNTIL=20270101T000000Z": COUNT and UNTIL must not both be given`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY;FOO=1", `schedule: RRULE "FOO=1": unknown rule part`},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY;FREQ=DAILY", `schedule: RRULE FREQ "DAILY": appears twice`},
		{"DTSTART:20260101T090000\nRRULE:FREQ=DAILY", `schedule: DTSTART "DTSTART:20260101T090000": floating time: add ;TZID=Zone or end the time with Z for UTC`},
		{"DTSTART;TZID=Nowhere/Land:20260101T090000\nRRULE:FREQ=DAILY", `schedule: time zone "Nowhere/Land": unknown IANA time zone`},
		{"DTSTART:20260231T090000Z\nRRULE:FREQ=DAILY", `schedule: DTSTART "20260231T090000Z": day 31 is not in that month`},
		{"DTSTART:2026-01-01\nRRULE:FREQ=DAILY", `schedule: DTSTART "2026-01-01": want YYYYMMDDTHHMMSS, with a trailing Z for UTC`},
		{"DTSTART:20260101T090000Z", `schedule: recurrence "DTSTART:20260101T090000Z": missing RRULE line (or RDATE lines)`},
		{"DTSTART:20260101T090000Z\nEXRULE:FREQ=DAILY\nRRULE:FREQ=DAILY", `schedule: recurrence line "EXRULE:FREQ=DAILY": want DTSTART, RRULE, RDATE or EXDATE`},
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

func TestRRuleNextFollowsTimeOfDayWeekAndYearDayParts(t *testing.T) {
	cases := []struct {
		name, start, rule, after string
		want                     []string
	}{
		{"BYHOUR and BYMINUTE fire at each time of each day", "20260302T090000Z", "FREQ=DAILY;BYHOUR=17,9;BYMINUTE=30,0", "2026-03-02 08:00",
			[]string{"2026-03-02 09:00", "2026-03-02 09:30", "2026-03-02 17:00", "2026-03-02 17:30", "2026-03-03 09:00"}},
		{"times before DTSTART on its day are cut", "20260302T120000Z", "FREQ=DAILY;BYHOUR=9,17", "2026-03-01 00:00", []string{"2026-03-02 17:00", "2026-03-03 09:00"}},
		{"BYHOUR keeps DTSTART's minute and second", "20260302T091545Z", "FREQ=WEEKLY;BYHOUR=8,10", "2026-03-02 00:00", []string{"2026-03-02 10:15:45", "2026-03-09 08:15:45"}},
		{"hourly", "20260302T090500Z", "FREQ=HOURLY", "2026-03-02 09:05", []string{"2026-03-02 10:05", "2026-03-02 11:05"}},
		{"hourly interval crosses midnight", "20260302T090500Z", "FREQ=HOURLY;INTERVAL=5", "2026-03-02 09:00", []string{"2026-03-02 09:05", "2026-03-02 14:05", "2026-03-02 19:05", "2026-03-03 00:05", "2026-03-03 05:05"}},
		{"hourly interval over a day jumps days", "20260302T000000Z", "FREQ=HOURLY;INTERVAL=49", "2026-03-02 00:00", []string{"2026-03-04 01:00", "2026-03-06 02:00"}},
		{"hourly filtered by BYHOUR and BYDAY", "20260302T000000Z", "FREQ=HOURLY;INTERVAL=3;BYHOUR=6,7,8,9;BYDAY=SA;BYMINUTE=0,30", "2026-03-02 00:00",
			[]string{"2026-03-07 06:00", "2026-03-07 06:30", "2026-03-07 09:00", "2026-03-07 09:30", "2026-03-14 06:00"}},
		{"hourly BYSETPOS picks within each hour", "20260302T000000Z", "FREQ=HOURLY;BYMINUTE=0,20,40;BYSETPOS=-2", "2026-03-02 00:00", []string{"2026-03-02 00:20", "2026-03-02 01:20"}},
		{"daily BYSETPOS counts the day's times", "20260302T000000Z", "FREQ=DAILY;BYHOUR=9,17;BYSETPOS=-1", "2026-03-02 00:00", []string{"2026-03-02 17:00", "2026-03-03 17:00"}},
		{"monthly BYSETPOS counts days times times", "20260301T000000Z", "FREQ=MONTHLY;BYDAY=MO;BYHOUR=9,17;BYSETPOS=2,-1", "2026-03-01 00:00",
			[]string{"2026-03-02 17:00", "2026-03-30 17:00", "2026-04-06 17:00", "2026-04-27 17:00"}},
		{"COUNT counts each time of day", "20260302T090000Z", "FREQ=DAILY;BYHOUR=9,17;COUNT=3", "2026-03-01 00:00", []string{"2026-03-02 09:00", "2026-03-02 17:00", "2026-03-03 09:00", "zero"}},
		{"hourly COUNT", "20260302T223000Z", "FREQ=HOURLY;INTERVAL=2;COUNT=3", "2026-03-01 00:00", []string{"2026-03-02 22:30", "2026-03-03 00:30", "2026-03-03 02:30", "zero"}},
		{"BYYEARDAY from both ends", "20260101T090000Z", "FREQ=YEARLY;BYYEARDAY=1,100,-1", "2026-01-01 09:00", []string{"2026-04-10 09:00", "2026-12-31 09:00", "2027-01-01 09:00"}},
		{"BYYEARDAY 366 only in leap years", "20250101T090000Z", "FREQ=YEARLY;BYYEARDAY=366", "2025-01-01 00:00", []string{"2028-12-31 09:00"}},
		{"hourly BYYEARDAY", "20260101T000000Z", "FREQ=HOURLY;INTERVAL=12;BYYEARDAY=-1", "2026-01-01 00:00", []string{"2026-12-31 00:00", "2026-12-31 12:00", "2027-12-31 00:00"}},
		{"BYWEEKNO week 1 may start in the year before", "20260101T090000Z", "FREQ=YEARLY;BYWEEKNO=1;BYDAY=MO", "2026-01-01 00:00", []string{"2027-01-04 09:00", "2028-01-03 09:00"}},
		{"BYWEEKNO 53 only in long years, days spilling into January", "20200101T090000Z", "FREQ=YEARLY;BYWEEKNO=53;BYDAY=FR", "2020-01-01 00:00", []string{"2021-01-01 09:00", "2027-01-01 09:00", "2032-12-31 09:00"}},
		{"BYWEEKNO without BYDAY selects the whole week", "20260101T090000Z", "FREQ=YEARLY;BYWEEKNO=20", "2026-05-16 00:00", []string{"2026-05-16 09:00", "2026-05-17 09:00", "2027-05-17 09:00"}},
		{"BYWEEKNO counts weeks from WKST", "20260101T090000Z", "FREQ=YEARLY;BYWEEKNO=2;BYDAY=SU;WKST=SU", "2026-01-01 00:00", []string{"2026-01-11 09:00", "2027-01-10 09:00"}},
		{"negative BYWEEKNO", "20260101T090000Z", "FREQ=YEARLY;BYWEEKNO=-1;BYDAY=TH", "2026-01-01 00:00", []string{"2026-12-31 09:00", "2027-12-30 09:00"}},
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

func TestRRuleRDatesAllDayAndDateExdates(t *testing.T) {
	cases := []struct {
		name, text string
		want       []string // UTC
	}{
		{"RDATEs join the rule", "DTSTART:20260302T090000Z\nRRULE:FREQ=WEEKLY;COUNT=2\nRDATE:20260303T120000Z,20260302T090000Z\nRDATE;TZID=Europe/Berlin:20260320T090000",
			[]string{"2026-03-02 09:00", "2026-03-03 12:00", "2026-03-09 09:00", "2026-03-20 08:00"}},
		{"RDATEs alone", "DTSTART:20260302T090000Z\nRDATE:20260305T090000Z\nRDATE;VALUE=DATE:20260304",
			[]string{"2026-03-04 09:00", "2026-03-05 09:00"}},
		{"EXDATE removes an RDATE", "DTSTART:20260302T090000Z\nRRULE:FREQ=DAILY;COUNT=2\nRDATE:20260310T090000Z\nEXDATE:20260310T090000Z,20260302T090000Z",
			[]string{"2026-03-03 09:00"}},
		{"all-day DTSTART fires at midnight", "DTSTART;VALUE=DATE:20260301\nRRULE:FREQ=WEEKLY;UNTIL=20260315",
			[]string{"2026-03-01 00:00", "2026-03-08 00:00", "2026-03-15 00:00"}},
		{"all-day DTSTART without VALUE", "DTSTART:20260301\nRRULE:FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=2",
			[]string{"2026-03-31 00:00", "2026-04-30 00:00"}},
		{"all-day DTSTART in a zone and a date EXDATE", "DTSTART;TZID=Europe/Berlin;VALUE=DATE:20260301\nRRULE:FREQ=DAILY;COUNT=3\nEXDATE;VALUE=DATE:20260302",
			[]string{"2026-02-28 23:00", "2026-03-02 23:00"}},
		{"date EXDATE removes the occurrence at DTSTART's time that day", "DTSTART;TZID=America/New_York:20260301T093000\nRRULE:FREQ=DAILY;COUNT=3\nEXDATE;VALUE=DATE:20260302",
			[]string{"2026-03-01 14:30", "2026-03-03 14:30"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := mustParse(t, tc.text)
			var want, got, next []string
			for _, w := range tc.want {
				want = append(want, fmtT(at(t, time.UTC, w)))
			}
			for v := range Between(s, at(t, time.UTC, "2026-01-01 00:00"), at(t, time.UTC, "2027-01-01 00:00")) {
				got = append(got, fmtT(v.UTC()))
			}
			require.Equal(t, want, got)
			for v := s.Next(at(t, time.UTC, "2026-01-01 00:00")); !v.IsZero(); v = s.Next(v) {
				next = append(next, fmtT(v.UTC()))
			}
			require.Equal(t, want, next, "Next agrees with Between")
		})
	}
	r := mustParse(t, "DTSTART;VALUE=DATE:20260301\nRRULE:FREQ=DAILY").(*RRule)
	require.True(t, r.AllDay())
}

func TestRRuleSubDailyTimesFollowDaylightSavingRules(t *testing.T) {
	cases := []dstCase{
		{"America/New_York", "hourly: the missing hour fires once, shifted onto the next", "20260308T000000\nRRULE:FREQ=HOURLY", "2026-03-08 00:30 -0500",
			[]string{"2026-03-08 01:00 -0500", "2026-03-08 03:00 -0400", "2026-03-08 04:00 -0400"}},
		{"America/New_York", "hourly: the repeated hour fires once, at its first instant", "20261101T000000\nRRULE:FREQ=HOURLY", "2026-11-01 00:30 -0400",
			[]string{"2026-11-01 01:00 -0400", "2026-11-01 02:00 -0500"}},
		{"America/New_York", "minutes in the gap shift forward and merge with the same instants after it", "20260308T000000\nRRULE:FREQ=HOURLY;BYMINUTE=10,50", "2026-03-08 01:20 -0500",
			[]string{"2026-03-08 01:50 -0500", "2026-03-08 03:10 -0400", "2026-03-08 03:50 -0400", "2026-03-08 04:10 -0400"}},
		{"Australia/Lord_Howe", "a shifted time fires in instant order, after a real one it jumped over", "20261001T000000\nRRULE:FREQ=DAILY;BYHOUR=2;BYMINUTE=20,40", "2026-10-04 00:00 +1030",
			[]string{"2026-10-04 02:40 +1100", "2026-10-04 02:50 +1100", "2026-10-05 02:20 +1100"}},
		{"Europe/Berlin", "BYHOUR in the fall-back hour fires once", "20261001T000000\nRRULE:FREQ=DAILY;BYHOUR=1,2,3", "2026-10-25 00:00 +0200",
			[]string{"2026-10-25 01:00 +0200", "2026-10-25 02:00 +0200", "2026-10-25 03:00 +0100", "2026-10-26 01:00 +0100"}},
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
			var got, want []string
			for v := range Between(s, at(t, loc, tc.after).Add(time.Second), cur.Add(time.Second)) {
				got = append(got, fmtT(v))
			}
			for _, w := range tc.want {
				want = append(want, fmtT(at(t, loc, w)))
			}
			require.Equal(t, want, got, "Between agrees with Next")
		})
	}
}
