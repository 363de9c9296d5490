package rbac_test

import (
	"context"
	"testing"
	"time"

	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/executor/rbac"
	"github.com/batonhq/baton/store"
	"github.com/stretchr/testify/require"
)

// Someone bound over a group or a label cannot bring a release of another
// process under that scope: not by naming the group at creation, nor by
// giving it the executor's own labels (those that make a child release
// count in its tree's group, or pose as a child).
func TestAScopeCannotBeClaimedAtCreation(t *testing.T) {
	ctx := context.Background()
	authz, err := rbac.New(&rbac.Rules{Bindings: []rbac.Binding{
		{Subject: "root", Role: rbac.Admin, Scope: rbac.Everything},
		{Subject: "mallory", Role: rbac.Operator, Scope: rbac.Scope{Group: "nightly"}},
	}}, nil)
	require.NoError(t, err)
	b := newBed(t, authz.Authorize)
	b.putNightly()
	ex, st, clk := b.ex, b.st, b.clk

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
