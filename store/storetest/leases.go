package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/store"
)

func (s *suite) runLease(t *testing.T, name string, f func(t *testing.T, l store.Leaser)) {
	t.Helper()
	s.run(t, name, func(t *testing.T, st store.Store) { f(t, st.(store.Leaser)) })
}

func lease(owner string, now time.Time) *store.LeaseParams {
	return &store.LeaseParams{Key: "release/r1", Owner: owner, Now: now, TTL: time.Minute}
}

func (s *suite) leaseTests(t *testing.T) {
	group(t, "AcquireLease", func(t *testing.T) {
		s.runLease(t, "TakesAFreeLease", func(t *testing.T, l store.Leaser) {
			got, err := l.AcquireLease(ctx(t), lease("a", base))
			require.NoError(t, err)
			require.Equal(t, "release/r1", got.Key)
			require.Equal(t, "a", got.Owner)
			require.True(t, base.Add(time.Minute).Equal(got.Expires))
			require.Positive(t, got.Token)
		})
		s.runLease(t, "LiveLeaseOfAnotherOwnerConflicts", func(t *testing.T, l store.Leaser) {
			_, err := l.AcquireLease(ctx(t), lease("a", base))
			require.NoError(t, err)
			_, err = l.AcquireLease(ctx(t), lease("b", base.Add(59*time.Second)))
			require.ErrorIs(t, err, store.ErrConflict)
			other := lease("b", base)
			other.Key = "release/r2"
			_, err = l.AcquireLease(ctx(t), other)
			require.NoError(t, err, "leases on other keys are independent")
		})
		s.runLease(t, "SameOwnerExtendsAndKeepsTheToken", func(t *testing.T, l store.Leaser) {
			first, err := l.AcquireLease(ctx(t), lease("a", base))
			require.NoError(t, err)
			again, err := l.AcquireLease(ctx(t), lease("a", base.Add(30*time.Second)))
			require.NoError(t, err)
			require.Equal(t, first.Token, again.Token)
			require.True(t, base.Add(90*time.Second).Equal(again.Expires))
		})
		s.runLease(t, "ExpiredLeaseCanBeStolen", func(t *testing.T, l store.Leaser) {
			first, err := l.AcquireLease(ctx(t), lease("a", base))
			require.NoError(t, err)
			stolen, err := l.AcquireLease(ctx(t), lease("b", base.Add(time.Minute)))
			require.NoError(t, err, "a lease is expired at Now == Expires")
			require.Equal(t, "b", stolen.Owner)
			require.Greater(t, stolen.Token, first.Token)
			_, err = l.RenewLease(ctx(t), lease("a", base.Add(time.Minute)))
			require.ErrorIs(t, err, store.ErrConflict, "the former owner cannot renew")
			back, err := l.AcquireLease(ctx(t), lease("a", base.Add(3*time.Minute)))
			require.NoError(t, err)
			require.Greater(t, back.Token, stolen.Token)
		})
		s.runLease(t, "RejectsBadParams", func(t *testing.T, l store.Leaser) {
			for name, p := range map[string]*store.LeaseParams{
				"no key":   {Owner: "a", Now: base, TTL: time.Minute},
				"no owner": {Key: "k", Now: base, TTL: time.Minute},
				"no ttl":   {Key: "k", Owner: "a", Now: base},
				"nil":      nil,
			} {
				_, err := l.AcquireLease(ctx(t), p)
				require.ErrorIs(t, err, store.ErrInvalid, name)
			}
		})
		s.runLease(t, "ConcurrentAcquiresHaveOneWinner", func(t *testing.T, l store.Leaser) {
			const n = 20
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = l.AcquireLease(ctx(t), lease(fmt.Sprintf("owner-%d", i), base))
				}()
			}
			wg.Wait()
			wins := 0
			for _, err := range errs {
				if err == nil {
					wins++
				} else {
					require.ErrorIs(t, err, store.ErrConflict)
				}
			}
			require.Equal(t, 1, wins)
		})
	})
	group(t, "RenewLease", func(t *testing.T) {
		s.runLease(t, "ExtendsALiveLease", func(t *testing.T, l store.Leaser) {
			first, err := l.AcquireLease(ctx(t), lease("a", base))
			require.NoError(t, err)
			renewed, err := l.RenewLease(ctx(t), lease("a", base.Add(50*time.Second)))
			require.NoError(t, err)
			require.Equal(t, first.Token, renewed.Token)
			require.True(t, base.Add(110*time.Second).Equal(renewed.Expires))
			_, err = l.AcquireLease(ctx(t), lease("b", base.Add(100*time.Second)))
			require.ErrorIs(t, err, store.ErrConflict, "the renewed lease still holds")
		})
		s.runLease(t, "ExpiredLeaseConflicts", func(t *testing.T, l store.Leaser) {
			_, err := l.AcquireLease(ctx(t), lease("a", base))
			require.NoError(t, err)
			_, err = l.RenewLease(ctx(t), lease("a", base.Add(2*time.Minute)))
			require.ErrorIs(t, err, store.ErrConflict)
		})
		s.runLease(t, "AnotherOwnersLeaseConflicts", func(t *testing.T, l store.Leaser) {
			_, err := l.AcquireLease(ctx(t), lease("a", base))
			require.NoError(t, err)
			_, err = l.RenewLease(ctx(t), lease("b", base))
			require.ErrorIs(t, err, store.ErrConflict)
		})
		s.runLease(t, "UnknownKeyIsNotFound", func(t *testing.T, l store.Leaser) {
			_, err := l.RenewLease(ctx(t), lease("a", base))
			require.ErrorIs(t, err, store.ErrNotFound)
		})
	})
	group(t, "ReleaseLease", func(t *testing.T) {
		s.runLease(t, "FreesItForOthers", func(t *testing.T, l store.Leaser) {
			first, err := l.AcquireLease(ctx(t), lease("a", base))
			require.NoError(t, err)
			require.NoError(t, l.ReleaseLease(ctx(t), lease("a", base.Add(time.Second))))
			next, err := l.AcquireLease(ctx(t), lease("b", base.Add(2*time.Second)))
			require.NoError(t, err)
			require.Greater(t, next.Token, first.Token, "tokens never repeat for a key")
			_, err = l.RenewLease(ctx(t), lease("a", base.Add(3*time.Second)))
			require.ErrorIs(t, err, store.ErrConflict)
		})
		s.runLease(t, "AnotherOwnersLeaseConflicts", func(t *testing.T, l store.Leaser) {
			_, err := l.AcquireLease(ctx(t), lease("a", base))
			require.NoError(t, err)
			require.ErrorIs(t, l.ReleaseLease(ctx(t), lease("b", base)), store.ErrConflict)
			_, err = l.RenewLease(ctx(t), lease("a", base.Add(time.Second)))
			require.NoError(t, err, "the lease is still a's")
		})
		s.runLease(t, "ForgetsTheLeaseAndItsTokenNeverRepeats", func(t *testing.T, l store.Leaser) {
			var last int64
			for i, owner := range []string{"a", "b", "a", "c"} {
				now := base.Add(time.Duration(i) * time.Minute)
				got, err := l.AcquireLease(ctx(t), lease(owner, now))
				require.NoError(t, err)
				require.Greater(t, got.Token, last, "acquire %d: a token above every one before, though the row went", i)
				last = got.Token
				other := lease("z", now)
				other.Key = "release/other"
				_, err = l.AcquireLease(ctx(t), other) // another key's lease, which may share the counter
				require.NoError(t, err)
				require.NoError(t, l.ReleaseLease(ctx(t), other))
				require.NoError(t, l.ReleaseLease(ctx(t), lease(owner, now.Add(time.Second))))
				_, err = l.RenewLease(ctx(t), lease(owner, now.Add(2*time.Second)))
				require.ErrorIs(t, err, store.ErrNotFound, "released: nothing left to renew")
			}
		})
		s.runLease(t, "FreeLeaseIsNotAnError", func(t *testing.T, l store.Leaser) {
			require.NoError(t, l.ReleaseLease(ctx(t), lease("a", base)))
			_, err := l.AcquireLease(ctx(t), lease("a", base))
			require.NoError(t, err)
			require.NoError(t, l.ReleaseLease(ctx(t), lease("a", base)))
			require.NoError(t, l.ReleaseLease(ctx(t), lease("a", base)), "releasing twice")
		})
	})
}
