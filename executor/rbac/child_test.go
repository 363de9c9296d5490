package rbac_test

import (
	"context"
	"testing"
	"time"

	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/executor/rbac"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/stretchr/testify/require"
)

// An operator of the parent's process only: it may not touch the child
// release its subprocess started (a release of another process), but
// aborting the parent still aborts the child, as a consequence of an
// authorized action, without the authorizer refusing it half-way.
func TestChildReleaseIsJudgedAsItsOwnProcessButFollowsItsParent(t *testing.T) {
	ctx := context.Background()
	authz, err := rbac.New(&rbac.Rules{Bindings: []rbac.Binding{
		{Subject: "root", Role: rbac.Admin, Scope: rbac.Everything},
		{Subject: "alice", Role: rbac.Operator, Scope: rbac.Scope{Process: "shop"}},
	}}, &rbac.Config{ResolveGroup: resolve})
	require.NoError(t, err)
	b := newBed(t, authz.Authorize)
	ex, st := b.ex, b.st
	sum, err := ex.Create(ctx, &executor.CreateParams{By: executor.By{Actor: "alice"}, Process: "shop"})
	require.NoError(t, err)

	var child release.Summary
	require.True(t, waitFor(func() bool {
		page, err := st.ListReleases(ctx, &store.ListReleasesParams{Process: "smoke"})
		if err == nil && len(page.Releases) == 1 && page.Releases[0].Status == release.Running {
			child = page.Releases[0]
			return true
		}
		return false
	}), "the subprocess starts its child")
	require.Equal(t, string(sum.ID), child.Labels[executor.LabelParent])

	err = ex.Pause(ctx, child.ID, &executor.By{Actor: "alice", Reason: "mine?"})
	require.ErrorIs(t, err, executor.ErrUnauthorized, "the child is a release of smoke, not of shop")
	require.ErrorIs(t, err, rbac.ErrDenied)
	require.ErrorContains(t, err, `"alice" lacks "execute" (pause) on release `+string(child.ID)+` (process smoke)`)

	require.NoError(t, ex.Abort(ctx, sum.ID, &executor.By{Actor: "alice", Reason: "stop it all"}))
	require.True(t, waitFor(func() bool {
		s, err := st.GetReleaseSummary(ctx, child.ID)
		return err == nil && s.Status == release.Aborted
	}), "aborting the parent aborts the child")
}

// waitFor polls cond until it holds (true) or 10s have passed (false):
// the executor aborts a child release in the background.
func waitFor(cond func() bool) bool {
	for range 1000 {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}
