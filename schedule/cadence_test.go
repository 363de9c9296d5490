package schedule

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func TestCadenceScheduleFiresOnItsDays(t *testing.T) {
	start := Date{2026, time.March, 2} // a Monday
	cases := []struct {
		name string
		c    Cadence
		want []string // local times in Europe/Berlin
	}{
		{"daily", Cadence{Frequency: Daily, At: TimeOfDay{9, 0, 0}, Start: start},
			[]string{"2026-03-02 09:00", "2026-03-03 09:00", "2026-03-04 09:00"}},
		{"daily on business days", Cadence{Frequency: Daily, Weekdays: []Weekday{Monday, Tuesday, Wednesday, Thursday, Friday}, At: TimeOfDay{9, 0, 0}, Start: Date{2026, time.March, 6}},
			[]string{"2026-03-06 09:00", "2026-03-09 09:00", "2026-03-10 09:00"}},
		{"weekly defaults to the start weekday", Cadence{Frequency: Weekly, At: TimeOfDay{10, 30, 0}, Start: start},
			[]string{"2026-03-02 10:30", "2026-03-09 10:30"}},
		{"weekly on two days", Cadence{Frequency: Weekly, Weekdays: []Weekday{Tuesday, Thursday}, At: TimeOfDay{10, 0, 0}, Start: start},
			[]string{"2026-03-03 10:00", "2026-03-05 10:00", "2026-03-10 10:00"}},
		{"biweekly", Cadence{Frequency: Biweekly, Weekdays: []Weekday{Wednesday}, At: TimeOfDay{14, 0, 0}, Start: start},
			[]string{"2026-03-04 14:00", "2026-03-18 14:00", "2026-04-01 14:00"}},
		{"monthly on a day", Cadence{Frequency: Monthly, MonthDay: 15, At: TimeOfDay{8, 0, 0}, Start: start},
			[]string{"2026-03-15 08:00", "2026-04-15 08:00"}},
		{"monthly on the last day", Cadence{Frequency: Monthly, MonthDay: -1, At: TimeOfDay{8, 0, 0}, Start: start},
			[]string{"2026-03-31 08:00", "2026-04-30 08:00"}},
		{"monthly on the last Friday", Cadence{Frequency: Monthly, Nth: -1, Weekdays: []Weekday{Friday}, At: TimeOfDay{16, 0, 0}, Start: start},
			[]string{"2026-03-27 16:00", "2026-04-24 16:00", "2026-05-29 16:00"}},
		{"monthly defaults to the start day", Cadence{Frequency: Monthly, At: TimeOfDay{8, 0, 0}, Start: start},
			[]string{"2026-03-02 08:00", "2026-04-02 08:00"}},
		{"custom every 3 days", Cadence{Frequency: Custom, Unit: Days, Interval: 3, At: TimeOfDay{9, 0, 0}, Start: start},
			[]string{"2026-03-02 09:00", "2026-03-05 09:00", "2026-03-08 09:00"}},
		{"custom every 3 weeks on Friday", Cadence{Frequency: Custom, Unit: Weeks, Interval: 3, Weekdays: []Weekday{Friday}, At: TimeOfDay{9, 0, 0}, Start: start},
			[]string{"2026-03-06 09:00", "2026-03-27 09:00"}},
		{"custom every 2 months on the second Tuesday", Cadence{Frequency: Custom, Unit: Months, Interval: 2, Nth: 2, Weekdays: []Weekday{Tuesday}, At: TimeOfDay{9, 0, 0}, Start: start},
			[]string{"2026-03-10 09:00", "2026-05-12 09:00"}},
		{"end date is inclusive", Cadence{Frequency: Daily, At: TimeOfDay{23, 0, 0}, Start: start, End: Date{2026, time.March, 3}},
			[]string{"2026-03-02 23:00", "2026-03-03 23:00", "zero"}},
		{"spring-forward gap shifts forward", Cadence{Frequency: Daily, At: TimeOfDay{2, 30, 0}, Start: Date{2026, time.March, 29}},
			[]string{"2026-03-29 03:30", "2026-03-30 02:30"}},
	}
	berlin := mustLoc(t, "Europe/Berlin")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.Location = "Europe/Berlin"
			s, err := tc.c.Schedule()
			require.NoError(t, err)
			cur := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			for _, w := range tc.want {
				cur = s.Next(cur)
				if w == "zero" {
					require.True(t, cur.IsZero(), fmtT(cur))
					return
				}
				require.Equal(t, fmtT(at(t, berlin, w)), fmtT(cur))
			}
		})
	}
}

func TestCadenceValidateReportsEveryProblem(t *testing.T) {
	c := Cadence{Frequency: Monthly, Interval: -1, MonthDay: 32, Unit: Days, At: TimeOfDay{25, 0, 0}, Location: "Mars/Base", End: Date{2026, 2, 30}}
	err := c.Validate()
	require.Error(t, err)
	want := []string{
		`schedule: cadence unit "days": only allowed with frequency custom`,
		`schedule: cadence interval "-1": want 1 to 100000`,
		`schedule: cadence month-day "32": want 1 to 31 or -31 to -1`,
		`schedule: cadence at "25:00": want a time of day from 00:00 to 23:59:59`,
		`schedule: cadence location "Mars/Base": unknown IANA time zone`,
		`schedule: cadence start: required`,
		`schedule: cadence end "2026-02-30": not a valid date`,
	}
	require.Equal(t, strings.Join(want, "\n"), err.Error())
	var pe *ParseError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "cadence unit", pe.Field)
	_, err = c.Schedule()
	require.Error(t, err)
}

func TestCadenceValidateRejectsInconsistentOptions(t *testing.T) {
	start := Date{2026, 1, 1}
	cases := []struct {
		c   Cadence
		msg string
	}{
		{Cadence{Start: start}, `schedule: cadence frequency: required: daily, weekly, biweekly, monthly or custom`},
		{Cadence{Frequency: "hourly", Start: start}, `schedule: cadence frequency "hourly": want daily, weekly, biweekly, monthly or custom`},
		{Cadence{Frequency: Custom, Start: start}, `schedule: cadence unit: required for a custom cadence: days, weeks or months`},
		{Cadence{Frequency: Biweekly, Interval: 3, Start: start}, `schedule: cadence interval "3": not allowed with biweekly; use weekly with interval 2`},
		{Cadence{Frequency: Weekly, MonthDay: 3, Start: start}, `schedule: cadence month-day "3": only allowed with monthly cadences`},
		{Cadence{Frequency: Monthly, MonthDay: 3, Nth: 1, Weekdays: []Weekday{Monday}, Start: start}, `schedule: cadence month-day "3": give month-day or nth, not both`},
		{Cadence{Frequency: Monthly, Nth: 1, Start: start}, `schedule: cadence nth "1": needs exactly one weekday in weekdays`},
		{Cadence{Frequency: Monthly, Nth: 6, Weekdays: []Weekday{Monday}, Start: start}, `schedule: cadence nth "6": want 1 to 5 or -5 (fifth last) to -1 (last)`},
		{Cadence{Frequency: Monthly, Weekdays: []Weekday{Monday}, Start: start}, `schedule: cadence weekdays: monthly cadences take weekdays only with nth`},
		{Cadence{Frequency: Daily, Start: start, End: Date{2025, 12, 31}}, `schedule: cadence end "2025-12-31": before start 2026-01-01`},
		{Cadence{Frequency: Daily, Start: start, Duration: -1}, `schedule: cadence duration "-1ns": must not be negative`},
	}
	for _, tc := range cases {
		t.Run(tc.msg, func(t *testing.T) {
			require.EqualError(t, tc.c.Validate(), tc.msg)
		})
	}
}

func TestCadenceRoundTripsThroughJSONAndYAMLWithKebabCaseKeys(t *testing.T) {
	c := Cadence{Frequency: Monthly, Nth: -1, Weekdays: []Weekday{Friday}, At: TimeOfDay{16, 0, 0},
		Location: "Europe/Berlin", Start: Date{2026, 1, 1}, End: Date{2026, 12, 31}, Duration: Duration(2 * time.Hour)}
	js, err := json.Marshal(c)
	require.NoError(t, err)
	require.JSONEq(t, `{"frequency":"monthly","nth":-1,"weekdays":["fri"],"at":"16:00","location":"Europe/Berlin","start":"2026-01-01","end":"2026-12-31","duration":"2h0m0s"}`, string(js))
	var back Cadence
	require.NoError(t, json.Unmarshal(js, &back))
	require.Equal(t, c, back)

	doc := "frequency: weekly\nweekdays: [MON, thursday]\nat: \"09:30\"\nlocation: America/New_York\nstart: 2026-03-02\nmonth-day: 0\nduration: 90m\n"
	var y Cadence
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(&y))
	require.Equal(t, Cadence{Frequency: Weekly, Weekdays: []Weekday{Monday, Thursday}, At: TimeOfDay{9, 30, 0},
		Location: "America/New_York", Start: Date{2026, 3, 2}, Duration: Duration(90 * time.Minute)}, y)
	out, err := yaml.Marshal(y)
	require.NoError(t, err)
	require.Contains(t, string(out), "weekdays:\n    - mon\n    - thu\n")
}

func TestCadenceDecodingRejectsUnknownKeysAndBadValues(t *testing.T) {
	var c Cadence
	require.ErrorContains(t, json.Unmarshal([]byte(`{"frequency":"daily","monthday":3}`), &c), `unknown field "monthday"`)
	require.ErrorContains(t, json.Unmarshal([]byte(`{"frequency":"daily","at":"9am"}`), &c), `schedule: time of day "9am": want HH:MM or HH:MM:SS`)
	require.ErrorContains(t, json.Unmarshal([]byte(`{"weekdays":["funday"]}`), &c), `schedule: weekday "funday": want mon, tue, wed, thu, fri, sat or sun`)
	require.ErrorContains(t, json.Unmarshal([]byte(`{"start":"2026-13-01"}`), &c), `schedule: date "2026-13-01": want YYYY-MM-DD`)
	require.ErrorContains(t, json.Unmarshal([]byte(`{"duration":"soon"}`), &c), `schedule: duration "soon": want a duration such as 90m or 2h30m`)
}

func TestCadenceRRuleIsTheEquivalentRecurrence(t *testing.T) {
	c := Cadence{Frequency: Biweekly, Weekdays: []Weekday{Monday, Wednesday}, At: TimeOfDay{9, 0, 0}, Location: "America/New_York", Start: Date{2026, 3, 2}, End: Date{2026, 6, 30}}
	require.Equal(t, "DTSTART;TZID=America/New_York:20260302T090000\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;UNTIL=20260630", c.RRule())
}

func TestParseReadsCadencePresets(t *testing.T) {
	ny := "America/New_York"
	cases := []struct {
		text string
		want Cadence
		next []string // UTC, after 2026-02-28 23:59:59 UTC
	}{
		{"weekly on mon", Cadence{Frequency: Weekly, Weekdays: []Weekday{Monday}, Start: defaultStart},
			[]string{"2026-03-02 00:00", "2026-03-09 00:00"}},
		{"daily at 09:30", Cadence{Frequency: Daily, At: TimeOfDay{9, 30, 0}, Start: defaultStart},
			[]string{"2026-03-01 09:30", "2026-03-02 09:30"}},
		{"Daily on Weekdays at 09:00 in America/New_York", Cadence{Frequency: Daily, Weekdays: []Weekday{Monday, Tuesday, Wednesday, Thursday, Friday}, At: TimeOfDay{9, 0, 0}, Location: ny, Start: defaultStart},
			[]string{"2026-03-02 14:00", "2026-03-03 14:00"}},
		{"weekly on mon, Wednesday,FR at 10:00", Cadence{Frequency: Weekly, Weekdays: []Weekday{Monday, Wednesday, Friday}, At: TimeOfDay{10, 0, 0}, Start: defaultStart},
			[]string{"2026-03-02 10:00", "2026-03-04 10:00", "2026-03-06 10:00"}},
		{"biweekly on thu from 2026-03-02", Cadence{Frequency: Biweekly, Weekdays: []Weekday{Thursday}, Start: Date{2026, 3, 2}},
			[]string{"2026-03-05 00:00", "2026-03-19 00:00"}},
		{"monthly on day 15 at 08:00", Cadence{Frequency: Monthly, MonthDay: 15, At: TimeOfDay{8, 0, 0}, Start: defaultStart},
			[]string{"2026-03-15 08:00", "2026-04-15 08:00"}},
		{"monthly on the last day", Cadence{Frequency: Monthly, MonthDay: -1, Start: defaultStart},
			[]string{"2026-03-31 00:00", "2026-04-30 00:00"}},
		{"monthly on day -2", Cadence{Frequency: Monthly, MonthDay: -2, Start: defaultStart},
			[]string{"2026-03-30 00:00", "2026-04-29 00:00"}},
		{"monthly on the 2nd tue at 10:00", Cadence{Frequency: Monthly, Nth: 2, Weekdays: []Weekday{Tuesday}, At: TimeOfDay{10, 0, 0}, Start: defaultStart},
			[]string{"2026-03-10 10:00", "2026-04-14 10:00"}},
		{"monthly on the last fri at 16:00 in Europe/Berlin until 2026-04-30 for 2h", Cadence{Frequency: Monthly, Nth: -1, Weekdays: []Weekday{Friday}, At: TimeOfDay{16, 0, 0}, Location: "Europe/Berlin", Start: defaultStart, End: Date{2026, 4, 30}, Duration: Duration(2 * time.Hour)},
			[]string{"2026-03-27 15:00", "2026-04-24 14:00", "zero"}},
		{"monthly on the 2nd last mon", Cadence{Frequency: Monthly, Nth: -2, Weekdays: []Weekday{Monday}, Start: defaultStart},
			[]string{"2026-03-23 00:00"}},
		{"every 3 days from 2026-03-01", Cadence{Frequency: Custom, Unit: Days, Interval: 3, Start: Date{2026, 3, 1}},
			[]string{"2026-03-01 00:00", "2026-03-04 00:00", "2026-03-07 00:00"}},
		{"every 2 weeks on mon,fri from 2026-03-02", Cadence{Frequency: Custom, Unit: Weeks, Interval: 2, Weekdays: []Weekday{Monday, Friday}, Start: Date{2026, 3, 2}},
			[]string{"2026-03-02 00:00", "2026-03-06 00:00", "2026-03-16 00:00"}},
		{"every month on the first sun", Cadence{Frequency: Custom, Unit: Months, Interval: 1, Nth: 1, Weekdays: []Weekday{Sunday}, Start: defaultStart},
			[]string{"2026-03-01 00:00", "2026-04-05 00:00"}},
	}
	for _, tc := range cases {
		t.Run(tc.text, func(t *testing.T) {
			c, err := ParseCadence(tc.text)
			require.NoError(t, err)
			require.Equal(t, tc.want, c)
			s := mustParse(t, tc.text)
			cur := at(t, time.UTC, "2026-02-28 23:59:59")
			for _, w := range tc.next {
				n := s.Next(cur)
				if w == "zero" {
					require.True(t, n.IsZero(), "got %s", fmtT(n))
					break
				}
				require.Equal(t, fmtT(at(t, time.UTC, w)), fmtT(n.UTC()))
				cur = n
			}
			back, err := ParseCadence(c.String())
			require.NoError(t, err, c.String())
			require.Equal(t, c.RRule(), back.RRule(), "String %q reads back as the same schedule", c.String())
		})
	}
}

func TestCadenceStringIsTheTextForm(t *testing.T) {
	cases := []struct {
		c    Cadence
		want string
	}{
		{Cadence{Frequency: Weekly, Weekdays: []Weekday{Monday, Thursday}, At: TimeOfDay{9, 30, 0}, Location: "Europe/Berlin", Start: Date{2026, 3, 2}},
			"weekly on mon,thu at 09:30 in Europe/Berlin from 2026-03-02"},
		{Cadence{Frequency: Daily, Interval: 3, Start: defaultStart}, "every 3 days"},
		{Cadence{Frequency: Biweekly, Start: Date{2026, 1, 5}, End: Date{2026, 12, 31}, Duration: Duration(90 * time.Minute)}, "biweekly from 2026-01-05 until 2026-12-31 for 1h30m0s"},
		{Cadence{Frequency: Monthly, Nth: -1, Weekdays: []Weekday{Friday}, At: TimeOfDay{16, 0, 5}, Start: defaultStart}, "monthly on the last fri at 16:00:05"},
		{Cadence{Frequency: Monthly, Nth: 3, Weekdays: []Weekday{Wednesday}, Start: defaultStart}, "monthly on the 3rd wed"},
		{Cadence{Frequency: Custom, Unit: Months, Interval: 6, MonthDay: -1, Start: defaultStart}, "every 6 months on the last day"},
		{Cadence{Frequency: Custom, Unit: Months, Interval: 2, MonthDay: 10, Start: defaultStart}, "every 2 months on day 10"},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, tc.c.String())
		back, err := ParseCadence(tc.want)
		require.NoError(t, err)
		require.Equal(t, tc.c.RRule(), back.RRule())
	}
}

func TestParseCadenceRejectsBadTextWithTheWord(t *testing.T) {
	cases := []struct{ text, msg string }{
		{"hourly", `schedule: cron spec "hourly": expected 5 fields (minute hour day-of-month month day-of-week), found 1`},
		{"every 0 days", `schedule: cadence "0": want every N days, weeks or months, N from 1 to 100000`},
		{"every fortnight", `schedule: cadence "fortnight": want every N days, weeks or months`},
		{"weekly on funday", `schedule: weekday "funday": want mon, tue, wed, thu, fri, sat or sun`},
		{"weekly at 9am", `schedule: time of day "9am": want HH:MM or HH:MM:SS`},
		{"weekly on mon on tue", `schedule: cadence "on": appears twice`},
		{"weekly sometimes 3", `schedule: cadence "sometimes": want on, at, in, from, until or for`},
		{"weekly at", `schedule: cadence "at": expected a value after it`},
		{"monthly on day 0", `schedule: cadence on day "0": want a day of the month, 1 to 31 or -31 to -1`},
		{"monthly on day 32", `schedule: cadence month-day "32": want 1 to 31 or -31 to -1`},
		{"monthly on the 2nd day", `schedule: cadence on the "day": only "the last day"; write "on day N" for another day`},
		{"monthly on mon", `schedule: cadence weekdays: monthly cadences take weekdays only with nth`},
		{"weekly in Mars/Olympus", `schedule: cadence location "Mars/Olympus": unknown IANA time zone`},
		{"daily from 2026-03-02 until 2026-03-01", `schedule: cadence end "2026-03-01": before start 2026-03-02`},
		{"monthly on the last", `schedule: cadence on the: want a weekday (the last fri) or "the last day"`},
	}
	for _, tc := range cases {
		t.Run(tc.text, func(t *testing.T) {
			_, err := Parse(tc.text)
			require.EqualError(t, err, tc.msg)
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
		})
	}
}

func TestParseReadsRRuleWithoutDTStartAndParseInSuppliesTheZone(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	after := at(t, berlin, "2026-03-02 12:00") // a Monday
	cases := []struct{ spec, want string }{
		{"RRULE:FREQ=WEEKLY;BYDAY=MO;BYHOUR=9", "2026-03-09 09:00"},
		{"FREQ=WEEKLY;BYDAY=TU;BYHOUR=9;BYMINUTE=30", "2026-03-03 09:30"},
		{"0 9 * * 3", "2026-03-04 09:00"},
		{"weekly on thu at 09:00", "2026-03-05 09:00"},
		{"CRON_TZ=UTC 0 9 * * 3", "2026-03-04 10:00"},
		{"weekly on thu at 09:00 in UTC", "2026-03-05 10:00"},
		{"CRON_TZ=UTC weekly on thu at 09:00 in America/New_York", "2026-03-05 15:00"},
		{"DTSTART:20260101T090000Z\nRRULE:FREQ=WEEKLY;BYDAY=FR", "2026-03-06 10:00"},
		{"CRON_TZ=UTC weekly on thu at 09:00", "2026-03-05 10:00"},
		{"CRON_TZ=UTC FREQ=WEEKLY;BYDAY=TU;BYHOUR=9", "2026-03-03 10:00"},
		{"TZ=UTC RRULE:FREQ=WEEKLY;BYDAY=TU;BYHOUR=9", "2026-03-03 10:00"},
		{"CRON_TZ=UTC DTSTART;TZID=Europe/Berlin:20260101T090000\nRRULE:FREQ=WEEKLY;BYDAY=FR", "2026-03-06 09:00"},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			s, err := ParseIn(tc.spec, berlin)
			require.NoError(t, err)
			require.Equal(t, fmtT(at(t, berlin, tc.want)), fmtT(s.Next(after).In(berlin)))
		})
	}
	s := mustParse(t, "FREQ=DAILY;BYHOUR=6")
	require.Equal(t, "2026-03-03 06:00:00 +0000 UTC", fmtT(s.Next(after)), "Parse reads a zone-less spec in UTC")
	r := s.(*RRule)
	require.Equal(t, fmtT(at(t, time.UTC, "1970-01-01 00:00")), fmtT(r.DTStart()))
	back := mustParse(t, r.String())
	require.Equal(t, fmtT(s.Next(after)), fmtT(back.Next(after)), "String reads back as the same schedule")
}
