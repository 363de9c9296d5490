package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/store"
)

func putProcess(t *testing.T, st store.Store, p *process.Process, at time.Time) *process.Process {
	t.Helper()
	got, err := st.PutProcess(ctx(t), &store.PutProcessParams{Process: p, CreatedBy: "alice", Now: at})
	require.NoError(t, err)
	return got
}

func (s *suite) processTests(t *testing.T) {
	group(t, "PutProcess", func(t *testing.T) {
		s.run(t, "AssignsVersionsFromOne", func(t *testing.T, st store.Store) {
			v1 := putProcess(t, st, testProcess("mobile", 0), base)
			require.Equal(t, 1, v1.Version)
			v2 := putProcess(t, st, testProcess("mobile", 1), base.Add(time.Hour))
			require.Equal(t, 2, v2.Version)
			other := putProcess(t, st, testProcess("web", 0), base)
			require.Equal(t, 1, other.Version, "versions count per process")
		})
		s.run(t, "RoundTripsTheDocument", func(t *testing.T, st store.Store) {
			p := testProcess("mobile", 2)
			got := putProcess(t, st, p, base)
			want := testProcess("mobile", 2)
			want.Version = 1
			requireSameJSON(t, want, got, "PutProcess returns the stored process")
			loaded, err := st.GetProcess(ctx(t), "mobile", 1)
			require.NoError(t, err)
			requireSameJSON(t, want, loaded)
			require.Equal(t, want.Phases[0].Activities[0].With, loaded.Phases[0].Activities[0].With)
		})
		s.run(t, "ExplicitVersionMustBeTheNext", func(t *testing.T, st store.Store) {
			putProcess(t, st, testProcess("mobile", 0), base)
			for _, v := range []int{1, 3} {
				p := testProcess("mobile", 0)
				p.Version = v
				_, err := st.PutProcess(ctx(t), &store.PutProcessParams{Process: p, Now: base})
				require.ErrorIs(t, err, store.ErrConflict, "version %d", v)
			}
			p := testProcess("mobile", 0)
			p.Version = 2
			require.Equal(t, 2, putProcess(t, st, p, base).Version)
			_, err := st.GetProcess(ctx(t), "mobile", 3)
			require.ErrorIs(t, err, store.ErrNotFound, "a conflicting put stores nothing")
		})
		s.run(t, "RejectsAProcessWithoutID", func(t *testing.T, st store.Store) {
			_, err := st.PutProcess(ctx(t), &store.PutProcessParams{Process: &process.Process{Name: "x"}, Now: base})
			require.ErrorIs(t, err, store.ErrInvalid)
			_, err = st.PutProcess(ctx(t), &store.PutProcessParams{Now: base})
			require.ErrorIs(t, err, store.ErrInvalid)
		})
		s.run(t, "RejectsAZeroNow", func(t *testing.T, st store.Store) {
			_, err := st.PutProcess(ctx(t), &store.PutProcessParams{Process: testProcess("mobile", 0), CreatedBy: "alice"})
			require.ErrorIs(t, err, store.ErrInvalid, "a zero Now would be stored as year 1")
			_, err = st.GetProcess(ctx(t), "mobile", 0)
			require.ErrorIs(t, err, store.ErrNotFound, "a refused put stores nothing")
		})
		s.run(t, "DoesNotKeepTheCallersValue", func(t *testing.T, st store.Store) {
			p := testProcess("mobile", 0)
			putProcess(t, st, p, base)
			p.Name = "changed"
			p.Phases[0].Activities[0].With["pipeline"] = "changed"
			p.Phases[0].Owners[0] = "changed"
			got, err := st.GetProcess(ctx(t), "mobile", 0)
			require.NoError(t, err)
			require.Equal(t, "Process mobile", got.Name)
			require.Equal(t, "mobile", got.Phases[0].Activities[0].With["pipeline"])
			require.Equal(t, "dev-team", got.Phases[0].Owners[0])
		})
	})
	group(t, "GetProcess", func(t *testing.T) {
		s.run(t, "ZeroVersionIsTheLatest", func(t *testing.T, st store.Store) {
			putProcess(t, st, testProcess("mobile", 0), base)
			putProcess(t, st, testProcess("mobile", 3), base)
			got, err := st.GetProcess(ctx(t), "mobile", 0)
			require.NoError(t, err)
			require.Equal(t, 2, got.Version)
			require.Len(t, got.Phases, 3)
			first, err := st.GetProcess(ctx(t), "mobile", 1)
			require.NoError(t, err)
			require.Len(t, first.Phases, 2)
		})
		s.run(t, "MissingIsNotFound", func(t *testing.T, st store.Store) {
			_, err := st.GetProcess(ctx(t), "nope", 0)
			require.ErrorIs(t, err, store.ErrNotFound)
			putProcess(t, st, testProcess("mobile", 0), base)
			_, err = st.GetProcess(ctx(t), "mobile", 2)
			require.ErrorIs(t, err, store.ErrNotFound)
			require.ErrorIs(t, fmt.Errorf("wrapped: %w", err), store.ErrNotFound, "the sentinel survives wrapping")
		})
		s.run(t, "ReturnsCopies", func(t *testing.T, st store.Store) {
			putProcess(t, st, testProcess("mobile", 0), base)
			got, err := st.GetProcess(ctx(t), "mobile", 1)
			require.NoError(t, err)
			got.Name = "changed"
			got.Phases[0].Activities[0].With["pipeline"] = "changed"
			got.Phases[1].Activities[0].Tasks[0].Assignees[0] = "changed"
			again, err := st.GetProcess(ctx(t), "mobile", 1)
			require.NoError(t, err)
			requireSameJSON(t, func() *process.Process { p := testProcess("mobile", 0); p.Version = 1; return p }(), again)
		})
	})
	group(t, "ListProcesses", func(t *testing.T) {
		s.run(t, "ListsTheLatestOfEachByID", func(t *testing.T, st store.Store) {
			for _, id := range []process.ID{"delta", "alpha", "echo", "charlie", "bravo"} {
				putProcess(t, st, testProcess(id, 0), base)
			}
			putProcess(t, st, testProcess("charlie", 1), base.Add(time.Minute))
			var ids []process.ID
			var versions []int
			cursor, pages := "", 0
			for {
				page, err := st.ListProcesses(ctx(t), &store.ListProcessesParams{Cursor: cursor, Limit: 2})
				require.NoError(t, err)
				require.LessOrEqual(t, len(page.Processes), 2)
				for _, p := range page.Processes {
					ids = append(ids, p.ID)
					versions = append(versions, p.Version)
				}
				pages++
				if page.Next == "" {
					break
				}
				cursor = page.Next
			}
			require.Equal(t, []process.ID{"alpha", "bravo", "charlie", "delta", "echo"}, ids)
			require.Equal(t, []int{1, 1, 2, 1, 1}, versions)
			require.Equal(t, 3, pages)
		})
		s.run(t, "EmptyStoreGivesAnEmptyPage", func(t *testing.T, st store.Store) {
			page, err := st.ListProcesses(ctx(t), &store.ListProcessesParams{})
			require.NoError(t, err)
			require.Empty(t, page.Processes)
			require.Empty(t, page.Next)
		})
	})
	group(t, "ListProcessVersions", func(t *testing.T) {
		s.run(t, "ListsOldestFirstInPages", func(t *testing.T, st store.Store) {
			for i := range 5 {
				putProcess(t, st, testProcess("mobile", i), base.Add(time.Duration(i)*time.Hour))
			}
			var versions []int
			cursor := ""
			for {
				page, err := st.ListProcessVersions(ctx(t), &store.ListProcessVersionsParams{ID: "mobile", Cursor: cursor, Limit: 2})
				require.NoError(t, err)
				for _, v := range page.Versions {
					versions = append(versions, v.Version)
					require.Equal(t, process.ID("mobile"), v.ID)
					require.Equal(t, "alice", v.CreatedBy)
					require.True(t, base.Add(time.Duration(v.Version-1)*time.Hour).Equal(v.CreatedAt), "CreatedAt is the Now given")
				}
				if page.Next == "" {
					break
				}
				cursor = page.Next
			}
			require.Equal(t, []int{1, 2, 3, 4, 5}, versions)
		})
		s.run(t, "UnknownProcessIsNotFound", func(t *testing.T, st store.Store) {
			_, err := st.ListProcessVersions(ctx(t), &store.ListProcessVersionsParams{ID: "nope"})
			require.ErrorIs(t, err, store.ErrNotFound)
		})
	})
}

func (s *suite) inputSetTests(t *testing.T) {
	set := func(id string, p process.ID) *process.InputSet {
		return &process.InputSet{ID: id, Process: p, Name: "Inputs " + id,
			Values: map[string]any{"version": "1.2.3", "percent": 50.0, "services": []any{"api"}}}
	}
	group(t, "PutInputSet", func(t *testing.T) {
		s.run(t, "RoundTrips", func(t *testing.T, st store.Store) {
			require.NoError(t, st.PutInputSet(ctx(t), set("qa", "mobile")))
			got, err := st.GetInputSet(ctx(t), "qa")
			require.NoError(t, err)
			require.Equal(t, set("qa", "mobile"), got)
		})
		s.run(t, "ReplacesTheWholeSet", func(t *testing.T, st store.Store) {
			require.NoError(t, st.PutInputSet(ctx(t), set("qa", "mobile")))
			repl := &process.InputSet{ID: "qa", Process: "mobile", Name: "QA", Values: map[string]any{"version": "2.0.0"}}
			require.NoError(t, st.PutInputSet(ctx(t), repl))
			got, err := st.GetInputSet(ctx(t), "qa")
			require.NoError(t, err)
			require.Equal(t, repl, got)
		})
		s.run(t, "RejectsMissingIDOrProcess", func(t *testing.T, st store.Store) {
			require.ErrorIs(t, st.PutInputSet(ctx(t), &process.InputSet{Process: "mobile"}), store.ErrInvalid)
			require.ErrorIs(t, st.PutInputSet(ctx(t), &process.InputSet{ID: "qa"}), store.ErrInvalid)
			require.ErrorIs(t, st.PutInputSet(ctx(t), nil), store.ErrInvalid)
		})
		s.run(t, "DoesNotKeepTheCallersValue", func(t *testing.T, st store.Store) {
			in := set("qa", "mobile")
			require.NoError(t, st.PutInputSet(ctx(t), in))
			in.Values["version"] = "changed"
			got, err := st.GetInputSet(ctx(t), "qa")
			require.NoError(t, err)
			require.Equal(t, "1.2.3", got.Values["version"])
		})
	})
	group(t, "GetInputSet", func(t *testing.T) {
		s.run(t, "MissingIsNotFound", func(t *testing.T, st store.Store) {
			_, err := st.GetInputSet(ctx(t), "nope")
			require.ErrorIs(t, err, store.ErrNotFound)
		})
		s.run(t, "ReturnsCopies", func(t *testing.T, st store.Store) {
			require.NoError(t, st.PutInputSet(ctx(t), set("qa", "mobile")))
			got, err := st.GetInputSet(ctx(t), "qa")
			require.NoError(t, err)
			got.Values["version"] = "changed"
			got.Values["services"].([]any)[0] = "changed"
			again, err := st.GetInputSet(ctx(t), "qa")
			require.NoError(t, err)
			require.Equal(t, set("qa", "mobile"), again)
		})
	})
	group(t, "ListInputSets", func(t *testing.T) {
		s.run(t, "FiltersByProcessInIDOrder", func(t *testing.T, st store.Store) {
			for _, id := range []string{"e", "b", "d", "a", "c"} {
				require.NoError(t, st.PutInputSet(ctx(t), set(id, "mobile")))
			}
			require.NoError(t, st.PutInputSet(ctx(t), set("x", "web")))
			var ids []string
			cursor := ""
			for {
				page, err := st.ListInputSets(ctx(t), &store.ListInputSetsParams{Process: "mobile", Cursor: cursor, Limit: 2})
				require.NoError(t, err)
				for _, s := range page.InputSets {
					ids = append(ids, s.ID)
				}
				if page.Next == "" {
					break
				}
				cursor = page.Next
			}
			require.Equal(t, []string{"a", "b", "c", "d", "e"}, ids)
			all, err := st.ListInputSets(ctx(t), &store.ListInputSetsParams{})
			require.NoError(t, err)
			require.Len(t, all.InputSets, 6)
		})
	})
	group(t, "DeleteInputSet", func(t *testing.T) {
		s.run(t, "RemovesIt", func(t *testing.T, st store.Store) {
			require.NoError(t, st.PutInputSet(ctx(t), set("qa", "mobile")))
			require.NoError(t, st.DeleteInputSet(ctx(t), "qa"))
			_, err := st.GetInputSet(ctx(t), "qa")
			require.ErrorIs(t, err, store.ErrNotFound)
		})
		s.run(t, "MissingIsNotFound", func(t *testing.T, st store.Store) {
			require.ErrorIs(t, st.DeleteInputSet(ctx(t), "nope"), store.ErrNotFound)
		})
	})
}
