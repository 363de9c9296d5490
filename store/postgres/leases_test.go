package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/store"
)

// The leases table holds the leases held, not a row per release ever run.
func TestReleasedLeasesLeaveNoRow(t *testing.T) {
	pool := testPool(t, 2)
	s := newStore(t, pool)
	ctx := context.Background()
	rows := func() (n int) {
		require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM `+s.Schema()+`.leases`).Scan(&n))
		return n
	}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var last int64
	for i := range 50 {
		p := &store.LeaseParams{Key: fmt.Sprintf("release/%d", i%5), Owner: "a", Now: at, TTL: time.Minute}
		l, err := s.AcquireLease(ctx, p)
		require.NoError(t, err)
		require.Greater(t, l.Token, last)
		last = l.Token
		require.Equal(t, 1, rows())
		require.NoError(t, s.ReleaseLease(ctx, p))
		require.Zero(t, rows())
	}
}
