package executor_test

import (
	"context"
	"fmt"
	"time"

	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
)

// The calendar of a fortnight: a weekly group's planned occurrences, a
// release moved with Reschedule, and where they touch env=prod at once.
func ExampleExecutor_Calendar() {
	ex, stop := setup()
	defer stop()
	ctx := context.Background()
	_, err := ex.PutGroup(ctx, &executor.PutGroupParams{By: executor.By{Actor: "alice"}, Group: &release.Group{
		ID: "web-weekly", Name: "Web train", Process: "web", Cadence: "weekly on mon at 09:00", Timezone: "Europe/Paris",
		ReleaseDuration: process.Duration(time.Hour), Enabled: true, AutoExecute: true, Labels: map[string]string{"env": "prod"},
	}})
	if err != nil {
		panic(err)
	}
	from := time.Date(2030, 3, 4, 0, 0, 0, 0, time.UTC) // a Monday
	hotfix, err := ex.Create(ctx, &executor.CreateParams{Process: "web", By: executor.By{Actor: "alice"}, Name: "Hotfix",
		ScheduledFor: from.Add(8 * time.Hour), ExpectedDuration: 2 * time.Hour, Labels: map[string]string{"env": "prod"}})
	if err != nil {
		panic(err)
	}
	// A week later, around the train's slot.
	err = ex.Reschedule(ctx, hotfix.ID, &executor.RescheduleParams{At: from.AddDate(0, 0, 7).Add(7*time.Hour + 30*time.Minute), By: executor.By{Actor: "alice", Reason: "after the audit"}})
	if err != nil {
		panic(err)
	}

	c, err := ex.Calendar(ctx, &executor.CalendarParams{From: from, To: from.AddDate(0, 0, 14), By: executor.By{Actor: "alice"}})
	if err != nil {
		panic(err)
	}
	const layout = "Mon 02 Jan 15:04 MST"
	for _, p := range c.Planned {
		fmt.Println("planned", p.GroupName, p.Occurrence.UTC().Format(layout), "to", p.End.UTC().Format("15:04"))
	}
	for _, r := range c.Releases {
		fmt.Println("release", r.Name, r.Status, r.PlannedStart.UTC().Format(layout), "to", r.PlannedEnd.UTC().Format("15:04"))
	}
	for _, o := range c.Overlaps {
		fmt.Println("overlap", o.Key, o.Start.UTC().Format(layout), "to", o.End.UTC().Format("15:04"), o.Entries[0].Name, "/", o.Entries[1].Name)
	}
	// Output:
	// planned Web train Mon 04 Mar 08:00 UTC to 09:00
	// planned Web train Mon 11 Mar 08:00 UTC to 09:00
	// release Hotfix Scheduled Mon 11 Mar 07:30 UTC to 09:30
	// overlap env=prod Mon 11 Mar 08:00 UTC to 09:00 Hotfix / Web train
}
