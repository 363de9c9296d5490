package storetest

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

func testPolicy(id release.PolicyID, enabled bool) *release.Policy {
	return &release.Policy{
		ID: id, Name: "Policy " + string(id), Description: "what it is for",
		Enabled: enabled, When: []release.PolicyPoint{release.PolicyReleaseStart, release.PolicyActivityStart},
		Scope: release.FreezeScope{Groups: []release.GroupID{"train"}, Processes: []process.ID{"mobile"},
			Labels: map[string]string{"env": "prod"}},
		Rule:    `activity.labels.env != "prod" || approvedBy("cab")`,
		Message: "prod needs CAB", CreatedBy: "alice", CreatedAt: base,
	}
}

func listPolicies(t *testing.T, ps store.PolicyStore, p store.ListPoliciesParams) []*release.Policy {
	t.Helper()
	var out []*release.Policy
	for {
		page, err := ps.ListPolicies(ctx(t), &p)
		require.NoError(t, err)
		require.NotNil(t, page.Policies)
		if p.Limit > 0 {
			require.LessOrEqual(t, len(page.Policies), p.Limit)
		}
		out = append(out, page.Policies...)
		if page.Next == "" {
			return out
		}
		p.Cursor = page.Next
	}
}

func (s *suite) policyTests(t *testing.T) {
	pol := func(st store.Store) store.PolicyStore { return st.(store.PolicyStore) }
	put := func(t *testing.T, st store.Store, p *release.Policy) *release.Policy {
		t.Helper()
		got, err := pol(st).PutPolicy(ctx(t), p)
		require.NoError(t, err)
		return got
	}
	group(t, "PutPolicy", func(t *testing.T) {
		s.run(t, "CreatesVersionOneAndRoundTrips", func(t *testing.T, st store.Store) {
			got := put(t, st, testPolicy("cab", true))
			want := testPolicy("cab", true)
			want.Version = 1
			requireSameJSON(t, want, got)
			loaded, err := pol(st).GetPolicy(ctx(t), "cab", 0)
			require.NoError(t, err)
			requireSameJSON(t, want, loaded)
			require.True(t, base.Equal(loaded.CreatedAt))
		})
		s.run(t, "EachChangeIsANewVersionAndOldOnesStay", func(t *testing.T, st store.Store) {
			v1 := put(t, st, testPolicy("cab", true))
			next := testPolicy("cab", false)
			next.Version = v1.Version
			next.Rule = "true"
			v2 := put(t, st, next)
			require.Equal(t, int64(2), v2.Version)
			got, err := pol(st).GetPolicy(ctx(t), "cab", 1)
			require.NoError(t, err)
			requireSameJSON(t, v1, got)
			got, err = pol(st).GetPolicy(ctx(t), "cab", 0)
			require.NoError(t, err)
			requireSameJSON(t, v2, got)
			got, err = pol(st).GetPolicy(ctx(t), "cab", 2)
			require.NoError(t, err)
			requireSameJSON(t, v2, got)
		})
		s.run(t, "CreatingATakenIDAlreadyExists", func(t *testing.T, st store.Store) {
			put(t, st, testPolicy("cab", true))
			_, err := pol(st).PutPolicy(ctx(t), testPolicy("cab", false))
			require.ErrorIs(t, err, store.ErrAlreadyExists)
			got, err := pol(st).GetPolicy(ctx(t), "cab", 0)
			require.NoError(t, err)
			require.True(t, got.Enabled, "the first version is kept")
			require.Equal(t, int64(1), got.Version)
		})
		s.run(t, "AStaleVersionConflicts", func(t *testing.T, st store.Store) {
			put(t, st, testPolicy("cab", true))
			p := testPolicy("cab", true)
			p.Version = 1
			put(t, st, p)
			_, err := pol(st).PutPolicy(ctx(t), p) // version 1 again
			require.ErrorIs(t, err, store.ErrConflict)
			p.Version = 7
			_, err = pol(st).PutPolicy(ctx(t), p)
			require.ErrorIs(t, err, store.ErrConflict)
		})
		s.run(t, "UpdatingAnUnknownPolicyNotFound", func(t *testing.T, st store.Store) {
			p := testPolicy("cab", true)
			p.Version = 1
			_, err := pol(st).PutPolicy(ctx(t), p)
			require.ErrorIs(t, err, store.ErrNotFound)
		})
		s.run(t, "RejectsAPolicyWithoutIDOrWithANegativeVersion", func(t *testing.T, st store.Store) {
			_, err := pol(st).PutPolicy(ctx(t), testPolicy("", true))
			require.ErrorIs(t, err, store.ErrInvalid)
			_, err = pol(st).PutPolicy(ctx(t), nil)
			require.ErrorIs(t, err, store.ErrInvalid)
			p := testPolicy("cab", true)
			p.Version = -1
			_, err = pol(st).PutPolicy(ctx(t), p)
			require.ErrorIs(t, err, store.ErrInvalid)
		})
		s.run(t, "OfTwoWritersOfOneVersionExactlyOneWins", func(t *testing.T, st store.Store) {
			put(t, st, testPolicy("cab", true))
			const n = 8
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					p := testPolicy("cab", i%2 == 0)
					p.Version = 1
					_, errs[i] = pol(st).PutPolicy(ctx(t), p)
				}()
			}
			wg.Wait()
			won := 0
			for _, err := range errs {
				if err == nil {
					won++
				} else {
					require.ErrorIs(t, err, store.ErrConflict)
				}
			}
			require.Equal(t, 1, won)
			got, err := pol(st).GetPolicy(ctx(t), "cab", 0)
			require.NoError(t, err)
			require.Equal(t, int64(2), got.Version)
		})
		s.run(t, "DoesNotKeepTheCallersValue", func(t *testing.T, st store.Store) {
			in := testPolicy("cab", true)
			got := put(t, st, in)
			in.Scope.Labels["env"] = "changed"
			in.When[0] = "changed"
			got.Scope.Groups[0] = "changed"
			loaded, err := pol(st).GetPolicy(ctx(t), "cab", 0)
			require.NoError(t, err)
			want := testPolicy("cab", true)
			want.Version = 1
			requireSameJSON(t, want, loaded)
		})
	})
	group(t, "GetPolicy", func(t *testing.T) {
		s.run(t, "UnknownPolicyOrVersionNotFound", func(t *testing.T, st store.Store) {
			_, err := pol(st).GetPolicy(ctx(t), "nope", 0)
			require.ErrorIs(t, err, store.ErrNotFound)
			put(t, st, testPolicy("cab", true))
			_, err = pol(st).GetPolicy(ctx(t), "cab", 2)
			require.ErrorIs(t, err, store.ErrNotFound)
		})
	})
	group(t, "ListPolicies", func(t *testing.T) {
		s.run(t, "EmptyStoreGivesAnEmptyPage", func(t *testing.T, st store.Store) {
			page, err := pol(st).ListPolicies(ctx(t), &store.ListPoliciesParams{})
			require.NoError(t, err)
			require.Empty(t, page.Policies)
			require.Empty(t, page.Next)
		})
		s.run(t, "LatestVersionsOrderedByIDPagedAndFiltered", func(t *testing.T, st store.Store) {
			for _, id := range []release.PolicyID{"c", "a", "d", "b"} {
				put(t, st, testPolicy(id, true))
			}
			// b's latest version is disabled; a's second version is enabled.
			p := testPolicy("b", false)
			p.Version = 1
			put(t, st, p)
			p = testPolicy("a", true)
			p.Version = 1
			p.Rule = "true"
			put(t, st, p)
			all := listPolicies(t, pol(st), store.ListPoliciesParams{Limit: 3})
			var ids []release.PolicyID
			for _, p := range all {
				ids = append(ids, p.ID)
			}
			require.Equal(t, []release.PolicyID{"a", "b", "c", "d"}, ids)
			require.Equal(t, int64(2), all[0].Version)
			require.Equal(t, "true", all[0].Rule)
			on, off := true, false
			enabled := listPolicies(t, pol(st), store.ListPoliciesParams{Enabled: &on, Limit: 1})
			require.Len(t, enabled, 3)
			disabled := listPolicies(t, pol(st), store.ListPoliciesParams{Enabled: &off})
			require.Len(t, disabled, 1)
			require.Equal(t, release.PolicyID("b"), disabled[0].ID)
			require.Equal(t, int64(2), disabled[0].Version)
		})
		s.run(t, "RejectsAForeignCursor", func(t *testing.T, st store.Store) {
			_, err := pol(st).ListPolicies(ctx(t), &store.ListPoliciesParams{Cursor: "not a cursor"})
			require.ErrorIs(t, err, store.ErrInvalid)
		})
	})
	group(t, "ListPolicyVersions", func(t *testing.T) {
		s.run(t, "EveryVersionOldestFirstPaged", func(t *testing.T, st store.Store) {
			put(t, st, testPolicy("cab", true))
			for v := int64(1); v < 5; v++ {
				p := testPolicy("cab", v%2 == 0)
				p.Version = v
				put(t, st, p)
			}
			var got []int64
			lp := &store.ListPolicyVersionsParams{ID: "cab", Limit: 2}
			for {
				page, err := pol(st).ListPolicyVersions(ctx(t), lp)
				require.NoError(t, err)
				require.LessOrEqual(t, len(page.Policies), 2)
				for _, p := range page.Policies {
					got = append(got, p.Version)
				}
				if page.Next == "" {
					break
				}
				lp.Cursor = page.Next
			}
			require.Equal(t, []int64{1, 2, 3, 4, 5}, got)
			// The cursor of a policy's last page, given for another id: that
			// one is unknown, cursor or not.
			lp.ID = "nope"
			_, err := pol(st).ListPolicyVersions(ctx(t), lp)
			require.ErrorIs(t, err, store.ErrNotFound)
		})
		s.run(t, "UnknownPolicyNotFoundAndIDRequired", func(t *testing.T, st store.Store) {
			_, err := pol(st).ListPolicyVersions(ctx(t), &store.ListPolicyVersionsParams{ID: "nope"})
			require.ErrorIs(t, err, store.ErrNotFound)
			_, err = pol(st).ListPolicyVersions(ctx(t), &store.ListPolicyVersionsParams{})
			require.ErrorIs(t, err, store.ErrInvalid)
		})
	})
}
