package rbac_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/executor/rbac"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/require"
)

// Someone bound over a group or a label cannot bring a release of another
// process under that scope: not by naming the group at creation, nor by
// giving it the executor's own labels (those that make a child release
// count in its tree's group, or pose as a child).
func TestAScopeCannotBeClaimedAtCreation(t *testing.T) {
	ctx := context.Background()
	st := memstore.New(nil)
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	authz, err := rbac.New(&rbac.Rules{Bindings: []rbac.Binding{
		{Subject: "root", Role: rbac.Admin, Scope: rbac.Everything},
		{Subject: "mallory", Role: rbac.Operator, Scope: rbac.Scope{Group: "nightly"}},
	}}, nil)
	require.NoError(t, err)
	ex, err := executor.New(st, adapters.NewRegistry(adapters.Func("flaky", func(context.Context, *adapters.Request) (*adapters.Result, error) {
		return &adapters.Result{}, nil
	})), &executor.Config{Clock: clk, Authorize: authz.Authorize, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	require.NoError(t, ex.Launch(ctx))
	defer func() {
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		require.NoError(t, ex.Shutdown(stopCtx))
	}()
	root := executor.By{Actor: "root"}
	for _, doc := range []string{smokeDoc, shopDoc} {
		p, err := process.Parse([]byte(doc))
		require.NoError(t, err)
		_, err = ex.PutProcess(ctx, &executor.PutProcessParams{By: root, Process: p})
		require.NoError(t, err)
	}
	_, err = ex.PutGroup(ctx, &executor.PutGroupParams{By: root, Group: &release.Group{
		ID: "nightly", Name: "Nightly", Process: "shop", Cadence: "0 2 * * *", Timezone: "UTC", Start: clk.Now(),
		ReleaseDuration: process.Duration(time.Hour)}})
	require.NoError(t, err)

	mallory := executor.By{Actor: "mallory"}
	_, err = ex.Create(ctx, &executor.CreateParams{By: mallory, Process: "smoke", Group: "nightly", ScheduledFor: clk.Now().Add(time.Hour)})
	require.ErrorIs(t, err, executor.ErrInvalid, "smoke is not the group's process")
	for _, forged := range []map[string]string{
		{executor.LabelFreezeGroup: "nightly"},
		{executor.LabelParent: "0190a3c4-0000-7000-8000-000000000000", executor.LabelFreezeGroup: "nightly"},
	} {
		_, err = ex.Create(ctx, &executor.CreateParams{By: mallory, Process: "smoke", Labels: forged, ScheduledFor: clk.Now().Add(time.Hour)})
		require.ErrorIs(t, err, executor.ErrInvalid, "reserved labels: %v", forged)
	}
	// Without the group, a release of smoke is outside mallory's scope.
	_, err = ex.Create(ctx, &executor.CreateParams{By: mallory, Process: "smoke", ScheduledFor: clk.Now().Add(time.Hour)})
	require.ErrorIs(t, err, rbac.ErrDenied)
	page, err := st.ListReleases(ctx, &store.ListReleasesParams{Limit: store.MaxLimit})
	require.NoError(t, err)
	require.Empty(t, page.Releases, "nothing was created")

	// The group's own process, in the group: allowed, and hers to drive.
	sum, err := ex.Create(ctx, &executor.CreateParams{By: mallory, Process: "shop", Group: "nightly", ScheduledFor: clk.Now().Add(time.Hour)})
	require.NoError(t, err)
	require.NoError(t, ex.Start(ctx, sum.ID, &mallory))
}
