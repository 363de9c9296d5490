package sqlite_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/sqlite"
)

// Readers that never let go of the log all at once (two listing in turns,
// their transactions overlapping) starve SQLite's own checkpoints of a
// reset, and the log grows with every write (55 MB for 12 MB written without
// a limit). The writer keeps it near Options.WALLimit: at worst four times
// the limit, plus what it writes between two looks.
func TestTheWALStaysBoundedUnderConstantReads(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: writes 5 MB")
	}
	const limit = 256 << 10
	s := openTemp(t, &sqlite.Options{Synchronous: sqlite.SyncNormal, WALLimit: limit})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := newDriver(t, s, 1, 10)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				_, _ = s.ListReleases(ctx, &store.ListReleasesParams{})
			}
		}()
	}
	wal := func() int64 {
		fi, err := os.Stat(sqlite.Path(s) + "-wal")
		require.NoError(t, err)
		return fi.Size()
	}
	big := strings.Repeat("x", 12000)
	var peak int64
	for i := range 400 { // 5 MB of outputs, each replacing the last
		k := d.keys[i%len(d.keys)]
		events := []release.Event{mustEvent(t, t0, release.ActivityWaitingPayload{Activity: k}),
			mustEvent(t, t0, release.ActivityResumedPayload{Activity: k}),
			mustEvent(t, t0, release.OutputsSubmittedPayload{Activity: k, Outputs: map[string]any{"blob": big}})}
		appendAll(t, s, d.r, events)
		if i%10 == 0 {
			peak = max(peak, wal())
		}
	}
	cancel()
	wg.Wait()
	peak = max(peak, wal())
	t.Logf("WAL peak %d bytes, limit %d, %d truncations", peak, limit, sqlite.WALTruncations(s))
	require.Positive(t, sqlite.WALTruncations(s))
	require.LessOrEqual(t, peak, int64(4*limit+1<<20), "the log stays near its limit")
}
