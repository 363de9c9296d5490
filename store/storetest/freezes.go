package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

func testFreeze(id release.FreezeID, enabled bool) *release.Freeze {
	return &release.Freeze{
		ID: id, Name: "Freeze " + string(id), Reason: "holidays",
		Windows:   []release.FreezeWindow{{Start: base, End: base.Add(48 * time.Hour)}},
		Recurring: []release.RecurringFreeze{{Schedule: "weekly on fri at 16:00", Timezone: "Europe/Berlin", Days: 2, Duration: process.Duration(16 * time.Hour)}},
		ICal:      "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20261124T000000Z\r\nDTEND:20261201T000000Z\r\nSUMMARY:Black Friday\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
		Scope: release.FreezeScope{Groups: []release.GroupID{"train"}, Processes: []process.ID{"mobile"},
			Labels: map[string]string{"env": "prod"}},
		Enabled: enabled, CreatedBy: "alice", CreatedAt: base,
	}
}

func listFreezes(t *testing.T, fs store.FreezeStore, p store.ListFreezesParams) []*release.Freeze {
	t.Helper()
	var out []*release.Freeze
	for {
		page, err := fs.ListFreezes(ctx(t), &p)
		require.NoError(t, err)
		if p.Limit > 0 {
			require.LessOrEqual(t, len(page.Freezes), p.Limit)
		}
		out = append(out, page.Freezes...)
		if page.Next == "" {
			return out
		}
		p.Cursor = page.Next
	}
}

func (s *suite) freezeTests(t *testing.T) {
	fz := func(st store.Store) store.FreezeStore { return st.(store.FreezeStore) }
	group(t, "CreateFreeze", func(t *testing.T) {
		s.run(t, "RoundTripsWithRevisionOne", func(t *testing.T, st store.Store) {
			in := testFreeze("year-end", true)
			in.Revision = 42
			got, err := fz(st).CreateFreeze(ctx(t), in)
			require.NoError(t, err)
			want := testFreeze("year-end", true)
			want.Revision = 1
			requireSameJSON(t, want, got)
			loaded, err := fz(st).GetFreeze(ctx(t), "year-end")
			require.NoError(t, err)
			requireSameJSON(t, want, loaded)
			require.True(t, want.Windows[0].Start.Equal(loaded.Windows[0].Start))
		})
		s.run(t, "DuplicateAlreadyExists", func(t *testing.T, st store.Store) {
			_, err := fz(st).CreateFreeze(ctx(t), testFreeze("year-end", true))
			require.NoError(t, err)
			_, err = fz(st).CreateFreeze(ctx(t), testFreeze("year-end", false))
			require.ErrorIs(t, err, store.ErrAlreadyExists)
			got, err := fz(st).GetFreeze(ctx(t), "year-end")
			require.NoError(t, err)
			require.True(t, got.Enabled, "the first freeze is kept")
		})
		s.run(t, "RejectsAFreezeWithoutID", func(t *testing.T, st store.Store) {
			_, err := fz(st).CreateFreeze(ctx(t), testFreeze("", true))
			require.ErrorIs(t, err, store.ErrInvalid)
			_, err = fz(st).CreateFreeze(ctx(t), nil)
			require.ErrorIs(t, err, store.ErrInvalid)
		})
		s.run(t, "DoesNotKeepTheCallersValue", func(t *testing.T, st store.Store) {
			in := testFreeze("year-end", true)
			got, err := fz(st).CreateFreeze(ctx(t), in)
			require.NoError(t, err)
			in.Scope.Labels["env"] = "changed"
			in.Windows[0].End = base
			got.Scope.Groups[0] = "changed"
			loaded, err := fz(st).GetFreeze(ctx(t), "year-end")
			require.NoError(t, err)
			require.Equal(t, "prod", loaded.Scope.Labels["env"])
			require.True(t, loaded.Windows[0].End.Equal(base.Add(48*time.Hour)))
			require.Equal(t, release.GroupID("train"), loaded.Scope.Groups[0])
		})
	})
	group(t, "UpdateFreeze", func(t *testing.T) {
		s.run(t, "ReplacesAndIncrementsTheRevision", func(t *testing.T, st store.Store) {
			f, err := fz(st).CreateFreeze(ctx(t), testFreeze("year-end", true))
			require.NoError(t, err)
			f.Enabled = false
			f.Scope = release.FreezeScope{All: true}
			got, err := fz(st).UpdateFreeze(ctx(t), f)
			require.NoError(t, err)
			require.Equal(t, int64(2), got.Revision)
			loaded, err := fz(st).GetFreeze(ctx(t), "year-end")
			require.NoError(t, err)
			require.False(t, loaded.Enabled)
			require.True(t, loaded.Scope.All)
			require.Empty(t, loaded.Scope.Labels)
			require.Equal(t, int64(2), loaded.Revision)
		})
		s.run(t, "StaleRevisionConflicts", func(t *testing.T, st store.Store) {
			f, err := fz(st).CreateFreeze(ctx(t), testFreeze("year-end", true))
			require.NoError(t, err)
			first := f.Clone()
			first.Reason = "first"
			_, err = fz(st).UpdateFreeze(ctx(t), first)
			require.NoError(t, err)
			second := f.Clone()
			second.Reason = "second"
			_, err = fz(st).UpdateFreeze(ctx(t), second)
			require.ErrorIs(t, err, store.ErrConflict)
			loaded, err := fz(st).GetFreeze(ctx(t), "year-end")
			require.NoError(t, err)
			require.Equal(t, "first", loaded.Reason, "nothing of the stale update was written")
		})
		s.run(t, "UnknownNotFound", func(t *testing.T, st store.Store) {
			f := testFreeze("nope", true)
			f.Revision = 1
			_, err := fz(st).UpdateFreeze(ctx(t), f)
			require.ErrorIs(t, err, store.ErrNotFound)
			_, err = fz(st).UpdateFreeze(ctx(t), nil)
			require.ErrorIs(t, err, store.ErrInvalid)
		})
	})
	group(t, "GetFreeze", func(t *testing.T) {
		s.run(t, "UnknownNotFound", func(t *testing.T, st store.Store) {
			_, err := fz(st).GetFreeze(ctx(t), "nope")
			require.ErrorIs(t, err, store.ErrNotFound)
		})
	})
	group(t, "ListFreezes", func(t *testing.T) {
		s.run(t, "EmptyStoreGivesAnEmptyPage", func(t *testing.T, st store.Store) {
			page, err := fz(st).ListFreezes(ctx(t), &store.ListFreezesParams{})
			require.NoError(t, err)
			require.Empty(t, page.Freezes)
			require.Empty(t, page.Next)
			page, err = fz(st).ListFreezes(ctx(t), nil)
			require.NoError(t, err)
			require.Empty(t, page.Freezes)
		})
		s.run(t, "OrderedByIDAndPaged", func(t *testing.T, st store.Store) {
			for _, id := range []release.FreezeID{"c", "a", "e", "b", "d"} {
				_, err := fz(st).CreateFreeze(ctx(t), testFreeze(id, id != "b"))
				require.NoError(t, err)
			}
			var ids []release.FreezeID
			for _, f := range listFreezes(t, fz(st), store.ListFreezesParams{Limit: 2}) {
				ids = append(ids, f.ID)
			}
			require.Equal(t, []release.FreezeID{"a", "b", "c", "d", "e"}, ids)
			off := false
			got := listFreezes(t, fz(st), store.ListFreezesParams{Enabled: &off})
			require.Len(t, got, 1)
			require.Equal(t, release.FreezeID("b"), got[0].ID)
		})
		s.run(t, "RejectsAForeignCursor", func(t *testing.T, st store.Store) {
			_, err := fz(st).ListFreezes(ctx(t), &store.ListFreezesParams{Cursor: "not a cursor"})
			require.ErrorIs(t, err, store.ErrInvalid)
		})
	})
	group(t, "DeleteFreeze", func(t *testing.T) {
		s.run(t, "DeletesOnce", func(t *testing.T, st store.Store) {
			_, err := fz(st).CreateFreeze(ctx(t), testFreeze("year-end", true))
			require.NoError(t, err)
			require.NoError(t, fz(st).DeleteFreeze(ctx(t), "year-end", 0))
			_, err = fz(st).GetFreeze(ctx(t), "year-end")
			require.ErrorIs(t, err, store.ErrNotFound)
			require.ErrorIs(t, fz(st).DeleteFreeze(ctx(t), "year-end", 0), store.ErrNotFound)
			require.ErrorIs(t, fz(st).DeleteFreeze(ctx(t), "year-end", 1), store.ErrNotFound)
			_, err = fz(st).CreateFreeze(ctx(t), testFreeze("year-end", false))
			require.NoError(t, err, "the id is free again")
		})
		s.run(t, "OnlyAtTheGivenRevision", func(t *testing.T, st store.Store) {
			f, err := fz(st).CreateFreeze(ctx(t), testFreeze("year-end", true))
			require.NoError(t, err)
			read := *f // what a caller read and judged
			f.Enabled = false
			_, err = fz(st).UpdateFreeze(ctx(t), f) // changed since: revision 2
			require.NoError(t, err)
			require.ErrorIs(t, fz(st).DeleteFreeze(ctx(t), "year-end", read.Revision), store.ErrConflict)
			got, err := fz(st).GetFreeze(ctx(t), "year-end")
			require.NoError(t, err, "a refused delete deletes nothing")
			require.Equal(t, int64(2), got.Revision)
			require.NoError(t, fz(st).DeleteFreeze(ctx(t), "year-end", got.Revision))
			_, err = fz(st).GetFreeze(ctx(t), "year-end")
			require.ErrorIs(t, err, store.ErrNotFound)
		})
	})
}
