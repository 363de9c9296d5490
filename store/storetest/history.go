package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

func historyRecord(g release.GroupID, occ time.Time, d release.GroupDecision) *release.GroupRecord {
	return &release.GroupRecord{Group: g, Occurrence: occ, Decision: d, Reason: "test", At: base, By: "executor"}
}

func listHistory(t *testing.T, hs store.GroupHistoryStore, p store.ListGroupHistoryParams) []release.GroupRecord {
	t.Helper()
	var out []release.GroupRecord
	for {
		page, err := hs.ListGroupHistory(ctx(t), &p)
		require.NoError(t, err)
		if p.Limit > 0 {
			require.LessOrEqual(t, len(page.Records), p.Limit)
		}
		out = append(out, page.Records...)
		if page.Next == "" {
			return out
		}
		p.Cursor = page.Next
	}
}

func (s *suite) historyTests(t *testing.T) {
	hist := func(st store.Store) store.GroupHistoryStore { return st.(store.GroupHistoryStore) }
	group(t, "AppendGroupHistory", func(t *testing.T) {
		s.run(t, "RecordsOneDecisionPerOccurrence", func(t *testing.T, st store.Store) {
			hs := hist(st)
			in := historyRecord("weekly", base, release.DecisionCreated)
			in.Release, in.Sequence = "0190a0a0-0000-7000-8000-000000000001", 3
			require.NoError(t, hs.AppendGroupHistory(ctx(t), in))
			again := historyRecord("weekly", base, release.DecisionCreated)
			again.Reason = "a second executor"
			require.ErrorIs(t, hs.AppendGroupHistory(ctx(t), again), store.ErrAlreadyExists)
			require.NoError(t, hs.AppendGroupHistory(ctx(t), historyRecord("weekly", base, release.DecisionStarted)),
				"another decision on the same occurrence is recorded")
			require.NoError(t, hs.AppendGroupHistory(ctx(t), historyRecord("other", base, release.DecisionCreated)),
				"the same decision in another group is recorded")
			got := listHistory(t, hs, store.ListGroupHistoryParams{Group: "weekly"})
			require.Len(t, got, 2)
			requireSameJSON(t, in, &got[0])
			require.Equal(t, "test", got[0].Reason, "the first record is kept")
			require.Equal(t, release.DecisionStarted, got[1].Decision)
		})
		s.run(t, "AClaimTakesTheOccurrenceFromARelease", func(t *testing.T, st store.Store) {
			hs := hist(st)
			skipped, missed, shifted := base.Add(24*time.Hour), base.Add(48*time.Hour), base.Add(72*time.Hour)
			require.NoError(t, hs.AppendGroupHistory(ctx(t), historyRecord("weekly", skipped, release.DecisionSkipped)))
			require.NoError(t, hs.AppendGroupHistory(ctx(t), historyRecord("weekly", missed, release.DecisionMissed)))
			require.NoError(t, hs.AppendGroupHistory(ctx(t), historyRecord("weekly", shifted, release.DecisionShifted)))
			for _, occ := range []time.Time{skipped, missed} {
				r, created := newRelease(t, releaseSpec{group: "weekly", occurrence: occ})
				err := st.CreateRelease(ctx(t), &store.CreateReleaseParams{Events: []release.Event{created}, Release: r})
				require.ErrorIs(t, err, store.ErrClaimed, "occurrence %s", occ)
				require.ErrorIs(t, err, store.ErrAlreadyExists, "occurrence %s", occ)
				_, err = st.GetRelease(ctx(t), r.ID)
				require.ErrorIs(t, err, store.ErrNotFound, "nothing was stored")
			}
			createRelease(t, st, releaseSpec{group: "weekly", occurrence: shifted}) // a shifted record claims nothing
			createRelease(t, st, releaseSpec{group: "daily", occurrence: skipped})  // another group's occurrence
			createRelease(t, st, releaseSpec{group: "weekly"})                      // no occurrence
		})
		s.run(t, "AReleaseTakesTheOccurrenceFromAClaim", func(t *testing.T, st store.Store) {
			hs := hist(st)
			occ := base.Add(24 * time.Hour)
			r := createRelease(t, st, releaseSpec{group: "weekly", occurrence: occ})
			for _, d := range []release.GroupDecision{release.DecisionSkipped, release.DecisionMissed} {
				err := hs.AppendGroupHistory(ctx(t), historyRecord("weekly", occ, d))
				require.ErrorIs(t, err, store.ErrConflict, "%s", d)
			}
			require.Empty(t, listHistory(t, hs, store.ListGroupHistoryParams{Group: "weekly"}), "nothing was recorded")
			// A release skipped at its start (aborted) names its release:
			// no claim.
			withRelease := historyRecord("weekly", occ, release.DecisionSkipped)
			withRelease.Release = r.ID
			require.False(t, withRelease.Claims())
			require.NoError(t, hs.AppendGroupHistory(ctx(t), withRelease))
			again, created := newRelease(t, releaseSpec{group: "weekly", occurrence: occ})
			err := st.CreateRelease(ctx(t), &store.CreateReleaseParams{Events: []release.Event{created}, Release: again})
			require.ErrorIs(t, err, store.ErrAlreadyExists, "the release holds the occurrence")
			require.NotErrorIs(t, err, store.ErrClaimed, "a record that names its release claims nothing")
			require.NoError(t, hs.AppendGroupHistory(ctx(t), historyRecord("daily", occ, release.DecisionSkipped)), "another group")
			rs, ok := st.(store.RetentionStore)
			if !ok {
				return
			}
			// A deleted release keeps its occurrence.
			later := occ.Add(24 * time.Hour)
			gone := createRelease(t, st, releaseSpec{group: "weekly", occurrence: later})
			endRelease(t, st, gone, base)
			_, err = rs.DeleteRelease(ctx(t), deleteParams(gone, base))
			require.NoError(t, err)
			require.ErrorIs(t, hs.AppendGroupHistory(ctx(t), historyRecord("weekly", later, release.DecisionMissed)), store.ErrConflict)
		})
		s.run(t, "RacingClaimsAndReleasesDecideEachOccurrenceOnce", func(t *testing.T, st store.Store) {
			hs := hist(st)
			const occurrences, racers = 8, 6
			errs := make(chan error, occurrences*racers)
			var wg sync.WaitGroup
			for i := range occurrences {
				occ := base.Add(time.Duration(i) * time.Hour)
				for j := range racers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if j%2 == 0 {
							r, created, err := makeRelease(releaseSpec{group: "weekly", occurrence: occ})
							if err == nil {
								err = st.CreateRelease(t.Context(), &store.CreateReleaseParams{Events: []release.Event{created}, Release: r})
							}
							if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
								errs <- err
							}
							return
						}
						d := release.DecisionSkipped
						if j%4 == 1 {
							d = release.DecisionMissed
						}
						err := hs.AppendGroupHistory(t.Context(), historyRecord("weekly", occ, d))
						if err != nil && !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrAlreadyExists) {
							errs <- err
						}
					}()
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			made := map[time.Time]int{}
			page, err := st.ListReleases(ctx(t), &store.ListReleasesParams{Group: "weekly", Limit: store.MaxLimit})
			require.NoError(t, err)
			for _, r := range page.Releases {
				made[r.Occurrence.UTC()]++
			}
			claimed := map[time.Time]bool{}
			for _, r := range listHistory(t, hs, store.ListGroupHistoryParams{Group: "weekly"}) {
				claimed[r.Occurrence.UTC()] = true
			}
			for i := range occurrences {
				occ := base.Add(time.Duration(i) * time.Hour)
				require.Truef(t, made[occ] == 1 != claimed[occ], "occurrence %d: %d releases, claimed %v: exactly one of them", i, made[occ], claimed[occ])
				require.LessOrEqual(t, made[occ], 1)
			}
		})
		s.run(t, "RejectsAnIncompleteRecord", func(t *testing.T, st store.Store) {
			hs := hist(st)
			require.ErrorIs(t, hs.AppendGroupHistory(ctx(t), nil), store.ErrInvalid)
			require.ErrorIs(t, hs.AppendGroupHistory(ctx(t), historyRecord("", base, release.DecisionCreated)), store.ErrInvalid)
			require.ErrorIs(t, hs.AppendGroupHistory(ctx(t), historyRecord("g", time.Time{}, release.DecisionCreated)), store.ErrInvalid)
			require.ErrorIs(t, hs.AppendGroupHistory(ctx(t), historyRecord("g", base, "")), store.ErrInvalid)
		})
	})
	group(t, "ListGroupHistory", func(t *testing.T) {
		s.run(t, "OrdersByOccurrenceThenAppendAndPagesBothWays", func(t *testing.T, st store.Store) {
			hs := hist(st)
			// Appended out of occurrence order, as late and missed records are.
			for _, r := range []*release.GroupRecord{
				historyRecord("g", base.Add(2*time.Hour), release.DecisionCreated),
				historyRecord("g", base, release.DecisionMissed),
				historyRecord("g", base.Add(time.Hour), release.DecisionLate),
				historyRecord("g", base.Add(2*time.Hour), release.DecisionStarted),
				historyRecord("g", base.Add(time.Hour), release.DecisionStarted),
			} {
				require.NoError(t, hs.AppendGroupHistory(ctx(t), r))
			}
			type step struct {
				at time.Duration
				d  release.GroupDecision
			}
			steps := func(rs []release.GroupRecord) []step {
				var out []step
				for _, r := range rs {
					out = append(out, step{r.Occurrence.Sub(base), r.Decision})
				}
				return out
			}
			want := []step{{0, release.DecisionMissed}, {time.Hour, release.DecisionLate}, {time.Hour, release.DecisionStarted},
				{2 * time.Hour, release.DecisionCreated}, {2 * time.Hour, release.DecisionStarted}}
			for _, limit := range []int{1, 2, 100} {
				require.Equal(t, want, steps(listHistory(t, hs, store.ListGroupHistoryParams{Group: "g", Limit: limit})))
				newest := listHistory(t, hs, store.ListGroupHistoryParams{Group: "g", Limit: limit, Newest: true})
				for i, j := 0, len(newest)-1; i < j; i, j = i+1, j-1 {
					newest[i], newest[j] = newest[j], newest[i]
				}
				require.Equal(t, want, steps(newest))
			}
		})
		s.run(t, "UnknownGroupIsEmptyAndAMissingGroupInvalid", func(t *testing.T, st store.Store) {
			hs := hist(st)
			page, err := hs.ListGroupHistory(ctx(t), &store.ListGroupHistoryParams{Group: "nope"})
			require.NoError(t, err)
			require.Empty(t, page.Records)
			require.Empty(t, page.Next)
			_, err = hs.ListGroupHistory(ctx(t), &store.ListGroupHistoryParams{})
			require.ErrorIs(t, err, store.ErrInvalid)
			_, err = hs.ListGroupHistory(ctx(t), &store.ListGroupHistoryParams{Group: "g", Cursor: "!!"})
			require.ErrorIs(t, err, store.ErrInvalid)
		})
	})
}
