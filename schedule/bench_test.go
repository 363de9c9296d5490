package schedule

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	robfig "github.com/robfig/cron/v3"
	"github.com/teambition/rrule-go"
)

// Benchmarks, each with its peer measured in the same run:
//
//	go test -run='^$' -bench=. -benchmem -count=6 ./schedule/
//
// Results and ratios are recorded in BENCHMARKS-schedule.md.

var (
	benchAfter = time.Date(2026, 3, 10, 10, 7, 0, 0, time.UTC) // a Tuesday
	sinkTime   time.Time
	sinkSched  Schedule
)

var cronBenchCases = []struct{ name, spec string }{
	{"weekdays-0900", "0 9 * * 1-5"},
	{"every-15-minutes", "*/15 * * * *"},
	{"monthly", "0 0 1 * *"},
	{"new-york-sunday-0200", "CRON_TZ=America/New_York 0 2 * * 0"},
	{"leap-day", "0 0 29 2 *"},
}

func BenchmarkCronNext(b *testing.B) {
	for _, bc := range cronBenchCases {
		ours, err := Parse(bc.spec)
		if err != nil {
			b.Fatal(err)
		}
		peer, err := robfig.ParseStandard(bc.spec)
		if err != nil {
			b.Fatal(err)
		}
		if !ours.Next(benchAfter).Equal(peer.Next(benchAfter)) {
			b.Fatalf("%s: peers disagree", bc.spec)
		}
		b.Run(bc.name+"/baton", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkTime = ours.Next(benchAfter)
			}
		})
		b.Run(bc.name+"/robfig-cron", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkTime = peer.Next(benchAfter)
			}
		})
	}
}

func BenchmarkRRuleNext(b *testing.B) {
	ny, _ := LoadLocation("America/New_York")
	query := benchAfter.In(ny)
	for _, rule := range []struct{ name, rule string }{
		{"weekly-mo-we-fr", "FREQ=WEEKLY;BYDAY=MO,WE,FR"},
		{"monthly-last-friday", "FREQ=MONTHLY;BYDAY=-1FR"},
	} {
		for _, back := range []struct {
			name string
			d    func(time.Time) time.Time
		}{
			{"dtstart-2-weeks-back", func(t time.Time) time.Time { return t.AddDate(0, 0, -14) }},
			{"dtstart-1-year-back", func(t time.Time) time.Time { return t.AddDate(-1, 0, 0) }},
			{"dtstart-5-years-back", func(t time.Time) time.Time { return t.AddDate(-5, 0, 0) }},
		} {
			start := back.d(query)
			text := fmt.Sprintf("DTSTART;TZID=America/New_York:%s\nRRULE:%s", time.Date(start.Year(), start.Month(), start.Day(), 9, 0, 0, 0, ny).Format("20060102T150405"), rule.rule)
			ours, err := Parse(text)
			if err != nil {
				b.Fatal(err)
			}
			set, err := rrule.StrToRRuleSet(text)
			if err != nil {
				b.Fatal(err)
			}
			peer := set.GetRRule()
			if !ours.Next(query).Equal(peer.After(query, false)) {
				b.Fatalf("%s: peers disagree: %s vs %s", text, ours.Next(query), peer.After(query, false))
			}
			b.Run(rule.name+"/"+back.name+"/baton", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					sinkTime = ours.Next(query)
				}
			})
			b.Run(rule.name+"/"+back.name+"/rrule-go", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					sinkTime = peer.After(query, false)
				}
			})
		}
	}
}

// BenchmarkBetweenOneYearOfWeekdays lists a year of a weekdays-at-09:00
// cadence (about 261 occurrences).
func BenchmarkBetweenOneYearOfWeekdays(b *testing.B) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(1, 0, 0)
	c := Cadence{Frequency: Daily, Weekdays: []Weekday{Monday, Tuesday, Wednesday, Thursday, Friday}, At: TimeOfDay{9, 0, 0}, Location: "Europe/Berlin", Start: Date{2025, 6, 2}}
	ours, err := c.Schedule()
	if err != nil {
		b.Fatal(err)
	}
	set, err := rrule.StrToRRuleSet(c.RRule())
	if err != nil {
		b.Fatal(err)
	}
	peerRRule := set.GetRRule()
	peerCron, _ := robfig.ParseStandard("CRON_TZ=Europe/Berlin 0 9 * * 1-5")
	n := 0
	for range Between(ours, from, to) {
		n++
	}
	if m := len(peerRRule.Between(from, to, true)); n != m || n != 261 {
		b.Fatalf("baton %d, rrule-go %d occurrences", n, m)
	}
	b.Run("baton", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for t := range Between(ours, from, to) {
				sinkTime = t
			}
		}
	})
	b.Run("rrule-go", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, t := range peerRRule.Between(from, to, true) {
				sinkTime = t
			}
		}
	})
	b.Run("robfig-cron", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for t := peerCron.Next(from.Add(-1)); t.Before(to); t = peerCron.Next(t) {
				sinkTime = t
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct{ name, spec string }{
		{"cron-utc", "0 9 * * 1-5"},
		{"cron-time-zone", "CRON_TZ=America/New_York 0 9 * * 1-5"},
	} {
		b.Run(bc.name+"/baton", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkSched, _ = Parse(bc.spec)
			}
		})
		b.Run(bc.name+"/robfig-cron", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s, _ := robfig.ParseStandard(bc.spec)
				sinkTime = time.Time{}
				_ = s
			}
		})
	}
	for _, bc := range []struct{ name, spec string }{
		{"rrule-utc", "DTSTART:20260302T090000Z\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR"},
		{"rrule-time-zone", "DTSTART;TZID=America/New_York:20260302T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR"},
	} {
		b.Run(bc.name+"/baton", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkSched, _ = Parse(bc.spec)
			}
		})
		b.Run(bc.name+"/rrule-go", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s, _ := rrule.StrToRRuleSet(bc.spec)
				_ = s
			}
		})
	}
}

// unfoldByConcat is how ReadFreezes unfolded lines before: appending each
// continuation to a string, which copies the line so far every time. It is
// the baseline of BenchmarkReadFreezesFolded.
func unfoldByConcat(r io.Reader) []icsLine {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	var lines []icsLine
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimRight(sc.Text(), "\r")
		if (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) && len(lines) > 0 {
			lines[len(lines)-1].text += l[1:]
			continue
		}
		if l != "" {
			lines = append(lines, icsLine{n, l})
		}
	}
	return lines
}

// BenchmarkReadFreezesFolded reads a 781 KiB calendar whose one SUMMARY is
// folded into 200,000 lines: ReadFreezes as a whole, against unfolding
// alone the old way.
//
//	go test -run='^$' -bench=ReadFreezesFolded -benchmem -benchtime=1x -count=3 ./schedule/
func BenchmarkReadFreezesFolded(b *testing.B) {
	ics := foldedICS(781 << 10)
	b.Run("ReadFreezes", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(ics)))
		for b.Loop() {
			if _, err := ReadFreezes(strings.NewReader(ics), nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("old-unfolding-only", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(ics)))
		for b.Loop() {
			if lines := unfoldByConcat(strings.NewReader(ics)); len(lines) != 7 {
				b.Fatal(len(lines))
			}
		}
	})
}

// BenchmarkRRuleSubDaily measures the rule parts added for calendars
// exported by calendar tools (HOURLY, BYHOUR/BYMINUTE, BYWEEKNO) beside
// the daily rule of the same run and rrule-go, with DTSTART one year
// before the query: Next from 2026-03-10 10:07 New York, and Between over
// a window holding about the same number of occurrences as a year of the
// daily rule (365).
func BenchmarkRRuleSubDaily(b *testing.B) {
	ny, _ := LoadLocation("America/New_York")
	query := benchAfter.In(ny)
	for _, bc := range []struct {
		name, rule string
		window     time.Duration
	}{
		{"daily-0900", "FREQ=DAILY", 365 * 24 * time.Hour},
		{"hourly", "FREQ=HOURLY", 15*24*time.Hour + 5*time.Hour},
		{"hourly-business-hours-every-20-min", "FREQ=HOURLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9,10,11,12,13,14,15,16;BYMINUTE=0,20,40", 15 * 7 * 24 * time.Hour},
		{"daily-byhour-byminute", "FREQ=DAILY;BYHOUR=9,13,17;BYMINUTE=0,30", 61 * 24 * time.Hour},
		{"yearly-byweekno", "FREQ=YEARLY;BYWEEKNO=1,10,20,30,40,50;BYDAY=MO,WE,FR", 20 * 365 * 24 * time.Hour},
	} {
		start := query.AddDate(-1, 0, 0)
		text := fmt.Sprintf("DTSTART;TZID=America/New_York:%s\nRRULE:%s", time.Date(start.Year(), start.Month(), start.Day(), 9, 0, 0, 0, ny).Format("20060102T150405"), bc.rule)
		ours, err := Parse(text)
		if err != nil {
			b.Fatal(err)
		}
		set, err := rrule.StrToRRuleSet(text)
		if err != nil {
			b.Fatal(err)
		}
		peer := set.GetRRule()
		if !ours.Next(query).Equal(peer.After(query, false)) {
			b.Fatalf("%s: peers disagree: %s vs %s", text, ours.Next(query), peer.After(query, false))
		}
		to := query.Add(bc.window)
		n := 0
		for range Between(ours, query, to) {
			n++
		}
		if m := len(peer.Between(query, to, true)); n != m {
			b.Fatalf("%s: baton %d, rrule-go %d occurrences", text, n, m)
		}
		b.Run("next/"+bc.name+"/baton", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkTime = ours.Next(query)
			}
		})
		b.Run("next/"+bc.name+"/rrule-go", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkTime = peer.After(query, false)
			}
		})
		b.Run(fmt.Sprintf("between-%d/%s/baton", n, bc.name), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for t := range Between(ours, query, to) {
					sinkTime = t
				}
			}
		})
		b.Run(fmt.Sprintf("between-%d/%s/rrule-go", n, bc.name), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, t := range peer.Between(query, to, true) {
					sinkTime = t
				}
			}
		})
	}
}
