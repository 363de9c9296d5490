package executor

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
	"github.com/batonhq/baton/store/sqlite"
)

// calendarBenchGroups is the number of groups of BenchmarkCalendarOneYear.
const calendarBenchGroups = 1000

// calendarBenchGroup is the i-th group: weekly, on one of the five
// weekdays, at one of eight hours, with a 2h release; one in four is
// labelled env=prod.
func calendarBenchGroup(i int) *release.Group {
	days := []string{"MON", "TUE", "WED", "THU", "FRI"}
	g := &release.Group{
		ID: release.GroupID(fmt.Sprintf("g%04d", i)), Process: "train", Enabled: true, AutoExecute: true,
		Cadence: fmt.Sprintf("0 %d * * %s", 8+i%8, days[i%5]), Timezone: "Europe/Berlin",
		ReleaseDuration: process.Duration(2 * time.Hour), LeadTime: process.Duration(7 * 24 * time.Hour),
		Labels: map[string]string{"team": fmt.Sprintf("t%d", i%40)},
	}
	if i%4 == 0 {
		g.Labels["env"] = "prod"
	}
	return g
}

// seedCalendar stores the process, the groups and each group's next
// release (made ahead by its lead time, Scheduled): 1,000 releases and
// about 51,000 planned occurrences in a year.
func seedCalendar(b *testing.B, st store.Store) *Executor {
	ctx := context.Background()
	p, err := process.Parse([]byte(manualProcess))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: "bench", Now: t0}); err != nil {
		b.Fatal(err)
	}
	ex, err := New(st, adapters.NewRegistry(), &Config{Clock: newFakeClock(t0), Jitter: -1})
	if err != nil {
		b.Fatal(err)
	}
	for i := range calendarBenchGroups {
		g, err := st.CreateGroup(ctx, calendarBenchGroup(i))
		if err != nil {
			b.Fatal(err)
		}
		s, err := g.Schedule()
		if err != nil {
			b.Fatal(err)
		}
		occ := g.NextOccurrence(s, t0)
		id, err := groupReleaseID(g.ID, occ)
		if err != nil {
			b.Fatal(err)
		}
		_, err = ex.create(ctx, id, &CreateParams{Process: "train", By: By{Actor: "bench"}, ScheduledFor: occ, Group: g.ID, Occurrence: occ,
			Labels: map[string]string{LabelStart: StartGroup, "env": g.Labels["env"]}, ExpectedDuration: 2 * time.Hour}, "")
		if err != nil {
			b.Fatal(err)
		}
	}
	return ex
}

// BenchmarkCalendarOneYear answers a one-year calendar over 1,000 weekly
// groups. The baseline is the schedule maths alone: every group's
// occurrences in the year, with no store and nothing else.
func BenchmarkCalendarOneYear(b *testing.B) {
	ctx := context.Background()
	params := &CalendarParams{From: t0, To: t0.Add(365 * 24 * time.Hour), By: By{Actor: "bench"}}
	b.Run("baseline-occurrences-only", func(b *testing.B) {
		groups := make([]*release.Group, calendarBenchGroups)
		for i := range groups {
			groups[i] = calendarBenchGroup(i)
		}
		b.ReportAllocs()
		b.ResetTimer()
		m := startMeter()
		n := 0
		for range b.N {
			n = 0
			for _, g := range groups {
				s, err := g.Schedule()
				if err != nil {
					b.Fatal(err)
				}
				for t := g.NextOccurrence(s, params.From); !t.IsZero() && t.Before(params.To); t = g.NextOccurrence(s, t) {
					n++
				}
			}
		}
		b.StopTimer()
		m.reportPer(b, b.N, "query")
		b.ReportMetric(float64(n), "occurrences")
	})
	run := func(b *testing.B, ex *Executor) {
		c, err := ex.Calendar(ctx, params)
		if err != nil {
			b.Fatal(err)
		}
		if len(c.Releases) != calendarBenchGroups {
			b.Fatalf("%d releases, want %d", len(c.Releases), calendarBenchGroups)
		}
		b.ReportAllocs()
		b.ResetTimer()
		m := startMeter()
		for range b.N {
			if c, err = ex.Calendar(ctx, params); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		m.reportPer(b, b.N, "query")
		b.ReportMetric(float64(len(c.Planned)), "planned")
		b.ReportMetric(float64(len(c.Overlaps)), "overlaps")
	}
	b.Run("memstore", func(b *testing.B) { run(b, seedCalendar(b, memstore.New(nil))) })
	b.Run("sqlite", func(b *testing.B) {
		st, err := sqlite.Open(filepath.Join(b.TempDir(), "baton.db"), nil)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		run(b, seedCalendar(b, st))
	})
}
