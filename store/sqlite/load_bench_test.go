package sqlite_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/batonhq/baton/store/sqlite"
)

// BenchmarkGetRelease loads a release: one of 10 activities after 300
// transitions (a snapshot and the events after it, with store.SnapshotDue)
// and one of 1,000 activities after 500 (no snapshot yet: every event is
// folded).
//
//	go test -run='^$' -bench=GetRelease -benchmem ./store/sqlite/
func BenchmarkGetRelease(b *testing.B) {
	for _, c := range []struct{ activities, steps int }{{10, 300}, {1000, 500}} {
		b.Run(fmt.Sprintf("activities=%d/steps=%d", c.activities, c.steps), func(b *testing.B) {
			s := openTemp(b, &sqlite.Options{Synchronous: sqlite.SyncNormal})
			ctx := context.Background()
			d := newDriver(b, s, 1, c.activities)
			for range c.steps {
				if err := d.step(ctx, s); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := s.GetRelease(ctx, d.r.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
