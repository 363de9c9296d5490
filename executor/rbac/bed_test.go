package rbac_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store/memstore"
	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/require"
)

// bed is what the tests against a real executor share: an executor on
// memstore and a mock clock, judged by an authorizer, whose adapter
// "flaky" always fails (permanently: the activity is held), with smokeDoc
// and shopDoc stored by root (who must be bound as admin).
type bed struct {
	t    *testing.T
	ex   *executor.Executor
	st   *memstore.Store
	clk  *clock.Mock
	root executor.By
	once sync.Once
}

// newBed starts a bed judged by authorize; it is shut down when the test
// ends, or by stop.
func newBed(t *testing.T, authorize func(context.Context, *executor.Action) error) *bed {
	t.Helper()
	b := &bed{t: t, st: memstore.New(nil), clk: clock.NewMock(), root: executor.By{Actor: "root"}}
	b.clk.Set(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	flaky := adapters.Func("flaky", func(context.Context, *adapters.Request) (*adapters.Result, error) {
		return nil, adapters.Permanent(errors.New("boom"))
	})
	var err error
	b.ex, err = executor.New(b.st, adapters.NewRegistry(flaky), &executor.Config{Clock: b.clk, Authorize: authorize,
		ResolveGroup: resolve, Logger: slog.New(slog.DiscardHandler), Jitter: -1})
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, b.ex.Launch(ctx))
	t.Cleanup(b.stop)
	for _, doc := range []string{smokeDoc, shopDoc} {
		p, err := process.Parse([]byte(doc))
		require.NoError(t, err)
		_, err = b.ex.PutProcess(ctx, &executor.PutProcessParams{By: b.root, Process: p})
		require.NoError(t, err)
	}
	return b
}

// putNightly stores the group nightly (releases of shop, daily at 02:00).
func (b *bed) putNightly() {
	b.t.Helper()
	_, err := b.ex.PutGroup(context.Background(), &executor.PutGroupParams{By: b.root, Group: &release.Group{
		ID: "nightly", Name: "Nightly", Process: "shop", Cadence: "0 2 * * *", Timezone: "UTC", Start: b.clk.Now(),
		ReleaseDuration: process.Duration(time.Hour)}})
	require.NoError(b.t, err)
}

// stop shuts the executor down (once).
func (b *bed) stop() {
	b.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(b.t, b.ex.Shutdown(ctx))
	})
}
