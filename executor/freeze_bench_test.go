package executor

import (
	"fmt"
	"testing"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
)

// BenchmarkFreezeCheck measures what an activity start pays for freezes:
// frozenAt over n enabled freezes whose scopes all match the activity and
// none of which holds it (the worst case: every window is looked at), half
// one-off and half weekly recurring. n=0 is the baseline.
func BenchmarkFreezeCheck(b *testing.B) {
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	subj := release.FreezeSubject{Process: "deploy", Labels: map[string]string{"team": "web"},
		Activity: true, ActivityLabels: map[string]string{"env": "prod"}}
	none := func(release.FreezeID) bool { return false }
	for _, n := range []int{0, 10, 100} {
		var fs []compiledFreeze
		for i := range n {
			f := &release.Freeze{ID: release.FreezeID(fmt.Sprintf("f%03d", i)), Enabled: true, Scope: release.FreezeScope{Labels: map[string]string{"env": "prod"}}}
			if i%2 == 0 {
				start := at.Add(time.Duration(i+1) * 24 * time.Hour)
				f.Windows = []release.FreezeWindow{{Start: start, End: start.Add(time.Hour)}}
			} else {
				f.Recurring = []release.RecurringFreeze{{Schedule: "weekly on sat at 00:00", Timezone: "Europe/Berlin", Days: 1, Duration: process.Duration(time.Hour)}}
			}
			w, err := f.Compile()
			if err != nil {
				b.Fatal(err)
			}
			fs = append(fs, compiledFreeze{f: f, w: w})
		}
		b.Run(fmt.Sprintf("freezes=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if fe := frozenAt(fs, subj, at, none); fe != nil {
					b.Fatal("frozen")
				}
			}
		})
	}
}
