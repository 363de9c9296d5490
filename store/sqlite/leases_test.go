package sqlite_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/sqlite"
)

// The leases table holds the leases held, not a row per release ever run.
func TestReleasedLeasesLeaveNoRow(t *testing.T) {
	s := openTemp(t, &sqlite.Options{Synchronous: sqlite.SyncNormal})
	ctx := context.Background()
	db := rawDB(t, sqlite.Path(s))
	defer db.Close()
	rows := func() (n int) {
		require.NoError(t, db.QueryRow(`SELECT count(*) FROM leases`).Scan(&n))
		return n
	}
	var last int64
	for i := range 50 {
		p := &store.LeaseParams{Key: fmt.Sprintf("release/%d", i%5), Owner: "a", Now: t0, TTL: time.Minute}
		l, err := s.AcquireLease(ctx, p)
		require.NoError(t, err)
		require.Greater(t, l.Token, last)
		last = l.Token
		require.Equal(t, 1, rows())
		require.NoError(t, s.ReleaseLease(ctx, p))
		require.Zero(t, rows())
	}
}
