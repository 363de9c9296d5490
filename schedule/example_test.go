package schedule_test

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/batonhq/baton/schedule"
)

func ExampleParse() {
	s, err := schedule.Parse("CRON_TZ=Europe/Berlin 0 9 * * 1-5")
	if err != nil {
		panic(err)
	}
	friday := time.Date(2026, 3, 13, 12, 0, 0, 0, time.UTC)
	fmt.Println(s.Next(friday))
	// Output: 2026-03-16 09:00:00 +0100 CET
}

func ExampleParse_error() {
	_, err := schedule.Parse("61 9 * * *")
	fmt.Println(err)
	_, err = schedule.Parse("0 0 30 2 *")
	fmt.Println(err)
	// Output:
	// schedule: minute field "61": above 59
	// schedule: cron spec "0 0 30 2 *": never fires: no chosen month has day 30
}

func ExampleParse_rrule() {
	s, err := schedule.Parse("DTSTART;TZID=America/New_York:20260130T170000\nRRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=3")
	if err != nil {
		panic(err)
	}
	for t := range schedule.Between(s, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
		fmt.Println(t)
	}
	// Output:
	// 2026-01-30 17:00:00 -0500 EST
	// 2026-02-27 17:00:00 -0500 EST
	// 2026-03-27 17:00:00 -0400 EDT
}

func ExampleParse_daylightSaving() {
	fixed, _ := schedule.Parse("CRON_TZ=America/New_York 30 2 * * *")
	hourly, _ := schedule.Parse("CRON_TZ=America/New_York 30 * * * *")
	ny, _ := schedule.LoadLocation("America/New_York")
	springForward := time.Date(2026, 3, 8, 0, 0, 0, 0, ny)
	fmt.Println("fixed: ", fixed.Next(springForward))
	t := springForward.Add(time.Hour)
	for range 2 {
		t = hourly.Next(t)
		fmt.Println("hourly:", t)
	}
	// Output:
	// fixed:  2026-03-08 03:30:00 -0400 EDT
	// hourly: 2026-03-08 01:30:00 -0500 EST
	// hourly: 2026-03-08 03:30:00 -0400 EDT
}

func ExampleCadence_Schedule() {
	c := schedule.Cadence{
		Frequency: schedule.Biweekly,
		Weekdays:  []schedule.Weekday{schedule.Tuesday},
		At:        schedule.TimeOfDay{Hour: 10},
		Location:  "Europe/Berlin",
		Start:     schedule.Date{Year: 2026, Month: time.March, Day: 2},
	}
	s, err := c.Schedule()
	if err != nil {
		panic(err)
	}
	fmt.Println(c.RRule())
	t := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for range 3 {
		t = s.Next(t)
		fmt.Println(t)
	}
	// Output:
	// DTSTART;TZID=Europe/Berlin:20260302T100000
	// RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU
	// 2026-03-03 10:00:00 +0100 CET
	// 2026-03-17 10:00:00 +0100 CET
	// 2026-03-31 10:00:00 +0200 CEST
}

func ExampleFreezes_Apply() {
	weekend, _ := schedule.Parse("CRON_TZ=Europe/Berlin 0 16 * * 5")
	freezes := &schedule.Freezes{Recurring: []schedule.Recurring{
		{Name: "weekend", Schedule: weekend, Days: 2, Duration: 16 * time.Hour}, // Fri 16:00 to Mon 08:00
	}}
	daily, _ := schedule.Parse("CRON_TZ=Europe/Berlin 0 18 * * *")
	from := time.Date(2026, 3, 13, 0, 0, 0, 0, time.UTC) // a Friday
	to := from.AddDate(0, 0, 4)
	for _, p := range []schedule.Policy{schedule.Skip, schedule.Shift} {
		fmt.Println(p)
		for t := range schedule.Between(freezes.Apply(daily, p), from, to) {
			fmt.Println(" ", t.Format("Mon 2006-01-02 15:04"))
		}
	}
	frozen, w := freezes.Frozen(time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC))
	fmt.Println(frozen, w.Name, w.End.Format("Mon 15:04"))
	// Output:
	// skip
	//   Mon 2026-03-16 18:00
	// shift
	//   Mon 2026-03-16 08:00
	//   Mon 2026-03-16 18:00
	// true weekend Mon 08:00
}

func ExampleCalendar_WriteTo() {
	s, _ := schedule.Parse("0 9 * * 1")
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	cal := schedule.Calendar{
		Name:   "Releases",
		Stamp:  from,
		Events: schedule.OccurrenceEvents(s, from, from.AddDate(0, 0, 7), time.Hour, "Weekly release", "weekly"),
	}
	var b bytes.Buffer
	if _, err := cal.WriteTo(&b); err != nil {
		panic(err)
	}
	fmt.Print(strings.ReplaceAll(b.String(), "\r\n", "\n"))
	// Output:
	// BEGIN:VCALENDAR
	// VERSION:2.0
	// PRODID:-//Baton//schedule//EN
	// CALSCALE:GREGORIAN
	// X-WR-CALNAME:Releases
	// BEGIN:VEVENT
	// UID:weekly-20260302T090000Z
	// DTSTAMP:20260301T000000Z
	// DTSTART:20260302T090000Z
	// DTEND:20260302T100000Z
	// SUMMARY:Weekly release
	// END:VEVENT
	// END:VCALENDAR
}

func ExampleReadFreezes() {
	ics := "BEGIN:VCALENDAR\r\n" +
		"BEGIN:VEVENT\r\nSUMMARY:Month-end close\r\nDTSTART;TZID=Europe/Berlin:20260130T000000\r\n" +
		"DURATION:P2D\r\nRRULE:FREQ=MONTHLY;BYMONTHDAY=-2\r\nEND:VEVENT\r\n" +
		"END:VCALENDAR\r\n"
	f, err := schedule.ReadFreezes(strings.NewReader(ics), nil)
	if err != nil {
		panic(err)
	}
	frozen, w := f.Frozen(time.Date(2026, 2, 28, 12, 0, 0, 0, time.UTC))
	fmt.Println(frozen, w.Name, w.Start, "to", w.End)
	// Output: true Month-end close 2026-02-27 00:00:00 +0100 CET to 2026-03-01 00:00:00 +0100 CET
}

func ExampleParse_cadence() {
	s, err := schedule.Parse("monthly on the last fri at 16:00 in Europe/Berlin")
	if err != nil {
		panic(err)
	}
	t := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for range 2 {
		t = s.Next(t)
		fmt.Println(t)
	}
	c, _ := schedule.ParseCadence("every 2 weeks on Monday, Thursday at 09:30")
	fmt.Println(c)
	// Output:
	// 2026-03-27 16:00:00 +0100 CET
	// 2026-04-24 16:00:00 +0200 CEST
	// every 2 weeks on mon,thu at 09:30
}
