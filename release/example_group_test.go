package release_test

import (
	"fmt"
	"time"

	"github.com/batonhq/baton/release"
)

// A group's Cadence takes every form its documentation names: a preset, a
// cron spec, recurrence text; each is read in the group's time zone.
func ExampleGroup_Schedule() {
	after := time.Date(2026, 3, 25, 12, 0, 0, 0, time.UTC) // a Wednesday
	for _, cadence := range []string{
		"weekly on mon at 09:00",
		"0 9 * * 1",
		"FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0",
	} {
		g := &release.Group{Cadence: cadence, Timezone: "Europe/Berlin"}
		s, err := g.Schedule()
		if err != nil {
			panic(err)
		}
		fmt.Println(g.NextOccurrence(s, after).UTC())
	}
	// Output:
	// 2026-03-30 07:00:00 +0000 UTC
	// 2026-03-30 07:00:00 +0000 UTC
	// 2026-03-30 07:00:00 +0000 UTC
}
