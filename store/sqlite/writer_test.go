package sqlite_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/store/sqlite"
)

// TestConcurrentAppendsShareCommits appends from 8 goroutines with
// SyncFull: the writer gathers them (group commit), so there are fewer
// commits than appends, and every append is there after a reopen.
func TestConcurrentAppendsShareCommits(t *testing.T) {
	path := t.TempDir() + "/baton.db"
	s, err := sqlite.Open(path, &sqlite.Options{Synchronous: sqlite.SyncFull})
	require.NoError(t, err)
	ctx := context.Background()
	const writers, appends = 8, 16
	drivers := make([]*driver, writers)
	for i := range drivers {
		drivers[i] = newDriver(t, s, i+1, 3)
	}
	b0, r0 := sqlite.BatchStats(s)
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i, d := range drivers {
		wg.Go(func() {
			for range appends {
				if err := d.step(ctx, s); err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	b1, r1 := sqlite.BatchStats(s)
	require.Equal(t, int64(writers*appends), r1-r0)
	require.Less(t, b1-b0, r1-r0, "no two appends shared a commit")
	t.Logf("%d appends in %d commits", r1-r0, b1-b0)

	// A lone writer after them still commits on its own.
	for range 3 {
		require.NoError(t, drivers[0].step(ctx, s))
	}
	require.NoError(t, s.Close())
	s, err = sqlite.Open(path, nil)
	require.NoError(t, err)
	defer s.Close()
	for _, d := range drivers {
		got, err := s.GetRelease(ctx, d.r.ID)
		require.NoError(t, err)
		requireSameRelease(t, d.r, got)
	}
}
