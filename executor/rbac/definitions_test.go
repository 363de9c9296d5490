package rbac_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/executor/rbac"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/stretchr/testify/require"
)

// A release manager over team=a edits the freezes and policies scoped to
// team=a (or narrower), and no other: not one over everything or over
// team=b, not team=b's by re-scoping it to team=a, not hers by re-scoping
// it away; she does not see, delete or disable team=b's. One over process
// shop edits those scoped to shop alone.
func TestFreezeAndPolicyRightsFollowTheirScope(t *testing.T) {
	ctx := context.Background()
	authz, err := rbac.New(&rbac.Rules{Bindings: []rbac.Binding{
		{Subject: "root", Role: rbac.Admin, Scope: rbac.Everything},
		{Subject: "alice", Role: rbac.ReleaseManager, Scope: rbac.Scope{Labels: map[string]string{"team": "a"}}},
		{Subject: "carol", Role: rbac.ReleaseManager, Scope: rbac.Scope{Process: "shop"}},
	}}, nil)
	require.NoError(t, err)
	b := newBed(t, authz.Authorize)
	ex, st, now := b.ex, b.st, b.clk.Now()
	root, alice, carol := b.root, executor.By{Actor: "alice"}, executor.By{Actor: "carol"}

	teamA := release.FreezeScope{Labels: map[string]string{"team": "a"}}
	teamB := release.FreezeScope{Labels: map[string]string{"team": "b"}}
	scopes := map[string]release.FreezeScope{
		"team=a":             teamA,
		"team=a,env=prod":    {Labels: map[string]string{"team": "a", "env": "prod"}},
		"team=a in shop":     {Processes: []process.ID{"shop"}, Labels: map[string]string{"team": "a"}},
		"team=b":             teamB,
		"everything":         {All: true},
		"shop":               {Processes: []process.ID{"shop"}},
		"shop and smoke":     {Processes: []process.ID{"shop", "smoke"}},
		"group nightly":      {Groups: []release.GroupID{"nightly"}},
		"team=a in nightly":  {Groups: []release.GroupID{"nightly"}, Labels: map[string]string{"team": "a"}},
		"shop in nightly":    {Groups: []release.GroupID{"nightly"}, Processes: []process.ID{"shop"}},
		"env=prod (no team)": {Labels: map[string]string{"env": "prod"}},
	}
	allowed := map[string][]string{ // the scopes each may create a freeze or policy over
		"alice": {"team=a", "team=a,env=prod", "team=a in shop", "team=a in nightly"},
		"carol": {"team=a in shop", "shop", "shop in nightly"},
	}
	freeze := func(id release.FreezeID, sc release.FreezeScope) *release.Freeze {
		return &release.Freeze{ID: id, Enabled: true, Scope: sc.Clone(),
			Windows: []release.FreezeWindow{{Start: now.Add(24 * time.Hour), End: now.Add(48 * time.Hour)}}}
	}
	policy := func(id release.PolicyID, sc release.FreezeScope) *release.Policy {
		return &release.Policy{ID: id, Enabled: true, When: []release.PolicyPoint{release.PolicyActivityStart}, Scope: sc.Clone(), Rule: "true"}
	}
	n := 0
	for _, who := range []executor.By{alice, carol} {
		for name, sc := range scopes {
			n++
			want := slices.Contains(allowed[who.Actor], name)
			_, ferr := ex.PutFreeze(ctx, &executor.PutFreezeParams{By: who, Freeze: freeze(release.FreezeID(fmt.Sprintf("f%d", n)), sc)})
			_, perr := ex.PutPolicy(ctx, &executor.PutPolicyParams{By: who, Policy: policy(release.PolicyID(fmt.Sprintf("p%d", n)), sc)})
			for _, err := range []error{ferr, perr} {
				if want {
					require.NoError(t, err, "%s over %s", who.Actor, name)
				} else {
					require.ErrorIs(t, err, rbac.ErrDenied, "%s over %s", who.Actor, name)
				}
			}
		}
	}

	// team=b's freeze and policy, stored by root.
	_, err = ex.PutFreeze(ctx, &executor.PutFreezeParams{By: root, Freeze: freeze("fb", teamB)})
	require.NoError(t, err)
	_, err = ex.PutPolicy(ctx, &executor.PutPolicyParams{By: root, Policy: policy("pb", teamB)})
	require.NoError(t, err)
	// alice's own.
	_, err = ex.PutFreeze(ctx, &executor.PutFreezeParams{By: alice, Freeze: freeze("fa", teamA)})
	require.NoError(t, err)
	_, err = ex.PutPolicy(ctx, &executor.PutPolicyParams{By: alice, Policy: policy("pa", teamA)})
	require.NoError(t, err)

	// Taking team=b's by re-scoping it to team=a: judged on the stored
	// scope too, refused, and nothing changes.
	fb, err := st.GetFreeze(ctx, "fb")
	require.NoError(t, err)
	take := fb.Clone()
	take.Scope = teamA.Clone()
	_, err = ex.PutFreeze(ctx, &executor.PutFreezeParams{By: alice, Freeze: take})
	require.ErrorIs(t, err, rbac.ErrDenied)
	require.ErrorContains(t, err, `"alice" lacks "edit" (put-freeze) on freeze fb labelled {team=b}`)
	pb, err := st.GetPolicy(ctx, "pb", 0)
	require.NoError(t, err)
	takeP := pb.Clone()
	takeP.Scope = teamA.Clone()
	_, err = ex.PutPolicy(ctx, &executor.PutPolicyParams{By: alice, Policy: takeP})
	require.ErrorIs(t, err, rbac.ErrDenied)
	require.ErrorIs(t, ex.DeleteFreeze(ctx, "fb", &alice), rbac.ErrDenied)
	require.ErrorIs(t, ex.DeletePolicy(ctx, "pb", &alice), rbac.ErrDenied)
	_, err = ex.GetFreeze(ctx, "fb", &alice)
	require.ErrorIs(t, err, rbac.ErrDenied)
	_, err = ex.GetPolicy(ctx, "pb", 0, &alice)
	require.ErrorIs(t, err, rbac.ErrDenied)
	_, err = ex.ListPolicyVersions(ctx, &executor.ListPolicyVersionsParams{By: alice, ListPolicyVersionsParams: store.ListPolicyVersionsParams{ID: "pb"}})
	require.ErrorIs(t, err, rbac.ErrDenied)
	fb2, err := st.GetFreeze(ctx, "fb")
	require.NoError(t, err)
	require.Equal(t, fb, fb2, "team=b's freeze is untouched")
	pb2, err := st.GetPolicy(ctx, "pb", 0)
	require.NoError(t, err)
	require.Equal(t, pb, pb2, "team=b's policy is untouched")

	// Giving hers away: judged on the new scope, refused.
	fa, err := st.GetFreeze(ctx, "fa")
	require.NoError(t, err)
	away := fa.Clone()
	away.Scope = release.FreezeScope{All: true}
	_, err = ex.PutFreeze(ctx, &executor.PutFreezeParams{By: alice, Freeze: away})
	require.ErrorIs(t, err, rbac.ErrDenied)
	pa, err := st.GetPolicy(ctx, "pa", 0)
	require.NoError(t, err)
	awayP := pa.Clone()
	awayP.Scope = teamB.Clone()
	_, err = ex.PutPolicy(ctx, &executor.PutPolicyParams{By: alice, Policy: awayP})
	require.ErrorIs(t, err, rbac.ErrDenied)

	// Narrowing hers is hers to do; she sees only hers; she deletes them.
	narrow := fa.Clone()
	narrow.Scope.Labels["env"] = "prod"
	_, err = ex.PutFreeze(ctx, &executor.PutFreezeParams{By: alice, Freeze: narrow})
	require.NoError(t, err)
	fp, err := ex.ListFreezes(ctx, &executor.ListFreezesParams{By: alice, ListFreezesParams: store.ListFreezesParams{Limit: store.MaxLimit}})
	require.NoError(t, err)
	for _, f := range fp.Freezes {
		require.Equal(t, "a", f.Scope.Labels["team"], "alice is shown freeze %s", f.ID)
	}
	pp, err := ex.ListPolicies(ctx, &executor.ListPoliciesParams{By: alice, ListPoliciesParams: store.ListPoliciesParams{Limit: store.MaxLimit}})
	require.NoError(t, err)
	require.NotEmpty(t, pp.Policies)
	for _, p := range pp.Policies {
		require.Equal(t, "a", p.Scope.Labels["team"], "alice is shown policy %s", p.ID)
	}
	require.NoError(t, ex.DeleteFreeze(ctx, "fa", &alice))
	require.NoError(t, ex.DeletePolicy(ctx, "pa", &alice))

	// A freeze or policy that is not stored is a right over everything's
	// to ask about: the others are refused, not told it is missing.
	require.ErrorIs(t, ex.DeleteFreeze(ctx, "nope", &alice), rbac.ErrDenied)
	require.ErrorIs(t, ex.DeleteFreeze(ctx, "nope", &root), executor.ErrNotFound)
	_, err = ex.GetPolicy(ctx, "nope", 0, &carol)
	require.ErrorIs(t, err, rbac.ErrDenied)
	_, err = ex.GetPolicy(ctx, "nope", 0, &root)
	require.ErrorIs(t, err, executor.ErrNotFound)
}
