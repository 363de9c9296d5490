package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

func testGroup(id release.GroupID, p process.ID, enabled bool) *release.Group {
	return &release.Group{
		ID: id, Name: "Group " + string(id), Description: "a test group", Process: p, InputSet: "qa",
		Cadence: "weekly on mon at 09:00", Timezone: "Europe/Paris",
		Start: base, End: base.Add(365 * 24 * time.Hour), ReleaseDuration: process.Duration(8 * time.Hour),
		Enabled: enabled, Labels: map[string]string{"team": "mobile"},
		Inputs: map[string]any{"channel": "beta"}, LeadTime: process.Duration(2 * time.Hour),
		AutoExecute: true, NameTemplate: "${{ group.name }} ${{ occurrence.date }}",
		CatchUp: process.Duration(time.Hour), Overlap: release.OverlapQueue,
	}
}

func (s *suite) groupTests(t *testing.T) {
	group(t, "CreateGroup", func(t *testing.T) {
		s.run(t, "RoundTripsWithRevisionOne", func(t *testing.T, st store.Store) {
			in := testGroup("weekly", "mobile", true)
			in.Revision = 42
			got, err := st.CreateGroup(ctx(t), in)
			require.NoError(t, err)
			want := testGroup("weekly", "mobile", true)
			want.Revision = 1
			requireSameJSON(t, want, got)
			loaded, err := st.GetGroup(ctx(t), "weekly")
			require.NoError(t, err)
			requireSameJSON(t, want, loaded)
			require.True(t, want.Start.Equal(loaded.Start))
		})
		s.run(t, "DuplicateAlreadyExists", func(t *testing.T, st store.Store) {
			_, err := st.CreateGroup(ctx(t), testGroup("weekly", "mobile", true))
			require.NoError(t, err)
			_, err = st.CreateGroup(ctx(t), testGroup("weekly", "web", false))
			require.ErrorIs(t, err, store.ErrAlreadyExists)
		})
		s.run(t, "RejectsAGroupWithoutID", func(t *testing.T, st store.Store) {
			_, err := st.CreateGroup(ctx(t), testGroup("", "mobile", true))
			require.ErrorIs(t, err, store.ErrInvalid)
			_, err = st.CreateGroup(ctx(t), nil)
			require.ErrorIs(t, err, store.ErrInvalid)
		})
		s.run(t, "DoesNotKeepTheCallersValue", func(t *testing.T, st store.Store) {
			in := testGroup("weekly", "mobile", true)
			_, err := st.CreateGroup(ctx(t), in)
			require.NoError(t, err)
			in.Labels["team"] = "changed"
			in.Inputs["channel"] = "changed"
			got, err := st.GetGroup(ctx(t), "weekly")
			require.NoError(t, err)
			require.Equal(t, "mobile", got.Labels["team"])
			require.Equal(t, "beta", got.Inputs["channel"])
		})
	})
	group(t, "UpdateGroup", func(t *testing.T) {
		s.run(t, "ReplacesAndIncrementsTheRevision", func(t *testing.T, st store.Store) {
			g, err := st.CreateGroup(ctx(t), testGroup("weekly", "mobile", true))
			require.NoError(t, err)
			g.Enabled = false
			g.Cadence = "daily at 10:00"
			got, err := st.UpdateGroup(ctx(t), g)
			require.NoError(t, err)
			require.Equal(t, int64(2), got.Revision)
			loaded, err := st.GetGroup(ctx(t), "weekly")
			require.NoError(t, err)
			require.False(t, loaded.Enabled)
			require.Equal(t, "daily at 10:00", loaded.Cadence)
			require.Equal(t, int64(2), loaded.Revision)
		})
		s.run(t, "StaleRevisionConflicts", func(t *testing.T, st store.Store) {
			g, err := st.CreateGroup(ctx(t), testGroup("weekly", "mobile", true))
			require.NoError(t, err)
			first := g.Clone()
			first.Name = "first"
			_, err = st.UpdateGroup(ctx(t), first)
			require.NoError(t, err)
			second := g.Clone()
			second.Name = "second"
			_, err = st.UpdateGroup(ctx(t), second)
			require.ErrorIs(t, err, store.ErrConflict)
			loaded, err := st.GetGroup(ctx(t), "weekly")
			require.NoError(t, err)
			require.Equal(t, "first", loaded.Name, "the stale update changed nothing")
		})
		s.run(t, "MissingIsNotFound", func(t *testing.T, st store.Store) {
			_, err := st.UpdateGroup(ctx(t), testGroup("nope", "mobile", true))
			require.ErrorIs(t, err, store.ErrNotFound)
		})
	})
	group(t, "GetGroup", func(t *testing.T) {
		s.run(t, "MissingIsNotFound", func(t *testing.T, st store.Store) {
			_, err := st.GetGroup(ctx(t), "nope")
			require.ErrorIs(t, err, store.ErrNotFound)
		})
		s.run(t, "ReturnsCopies", func(t *testing.T, st store.Store) {
			_, err := st.CreateGroup(ctx(t), testGroup("weekly", "mobile", true))
			require.NoError(t, err)
			got, err := st.GetGroup(ctx(t), "weekly")
			require.NoError(t, err)
			got.Labels["team"] = "changed"
			got.Inputs["channel"] = "changed"
			got.Name = "changed"
			again, err := st.GetGroup(ctx(t), "weekly")
			require.NoError(t, err)
			want := testGroup("weekly", "mobile", true)
			want.Revision = 1
			requireSameJSON(t, want, again)
		})
	})
	group(t, "ListGroups", func(t *testing.T) {
		s.run(t, "FiltersInIDOrder", func(t *testing.T, st store.Store) {
			for _, g := range []*release.Group{
				testGroup("e", "mobile", true), testGroup("b", "mobile", false), testGroup("d", "web", true),
				testGroup("a", "mobile", true), testGroup("c", "mobile", true),
			} {
				_, err := st.CreateGroup(ctx(t), g)
				require.NoError(t, err)
			}
			list := func(p store.ListGroupsParams) []release.GroupID {
				var ids []release.GroupID
				for {
					page, err := st.ListGroups(ctx(t), &p)
					require.NoError(t, err)
					require.LessOrEqual(t, len(page.Groups), max(p.Limit, 1))
					for _, g := range page.Groups {
						ids = append(ids, g.ID)
					}
					if page.Next == "" {
						return ids
					}
					p.Cursor = page.Next
				}
			}
			yes, no := true, false
			require.Equal(t, []release.GroupID{"a", "b", "c", "d", "e"}, list(store.ListGroupsParams{Limit: 2}))
			require.Equal(t, []release.GroupID{"a", "b", "c", "e"}, list(store.ListGroupsParams{Process: "mobile", Limit: 3}))
			require.Equal(t, []release.GroupID{"a", "c", "d", "e"}, list(store.ListGroupsParams{Enabled: &yes, Limit: 1}))
			require.Equal(t, []release.GroupID{"b"}, list(store.ListGroupsParams{Enabled: &no, Limit: 100}))
		})
	})
	group(t, "DeleteGroup", func(t *testing.T) {
		s.run(t, "RemovesItAndKeepsItsReleases", func(t *testing.T, st store.Store) {
			_, err := st.CreateGroup(ctx(t), testGroup("weekly", "mobile", true))
			require.NoError(t, err)
			r := createRelease(t, st, releaseSpec{group: "weekly", occurrence: base})
			require.NoError(t, st.DeleteGroup(ctx(t), "weekly"))
			_, err = st.GetGroup(ctx(t), "weekly")
			require.ErrorIs(t, err, store.ErrNotFound)
			requireStoredRelease(t, st, r)
		})
		s.run(t, "MissingIsNotFound", func(t *testing.T, st store.Store) {
			require.ErrorIs(t, st.DeleteGroup(ctx(t), "nope"), store.ErrNotFound)
		})
	})
}
