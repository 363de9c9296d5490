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
