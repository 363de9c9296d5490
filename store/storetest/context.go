package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

func (s *suite) contextTests(t *testing.T) {
	group(t, "Context", func(t *testing.T) {
		s.run(t, "CancelledContextFailsEveryMethodAndWritesNothing", func(t *testing.T, st store.Store) {
			r := createRelease(t, st, releaseSpec{})
			next := r.Clone()
			events := record(t, next, base.Add(time.Minute), release.ReleaseStartedPayload{})
			other, created := newRelease(t, releaseSpec{})
			cancelled, cancel := context.WithCancel(ctx(t))
			cancel()
			calls := map[string]func() error{
				"PutProcess": func() error {
					_, err := st.PutProcess(cancelled, &store.PutProcessParams{Process: testProcess("mobile", 0), Now: base})
					return err
				},
				"GetProcess":    func() error { _, err := st.GetProcess(cancelled, "mobile", 0); return err },
				"ListProcesses": func() error { _, err := st.ListProcesses(cancelled, &store.ListProcessesParams{}); return err },
				"ListProcessVersions": func() error {
					_, err := st.ListProcessVersions(cancelled, &store.ListProcessVersionsParams{ID: "mobile"})
					return err
				},
				"PutInputSet": func() error {
					return st.PutInputSet(cancelled, &process.InputSet{ID: "qa", Process: "mobile"})
				},
				"GetInputSet":    func() error { _, err := st.GetInputSet(cancelled, "qa"); return err },
				"ListInputSets":  func() error { _, err := st.ListInputSets(cancelled, &store.ListInputSetsParams{}); return err },
				"DeleteInputSet": func() error { return st.DeleteInputSet(cancelled, "qa") },
				"CreateRelease": func() error {
					return st.CreateRelease(cancelled, &store.CreateReleaseParams{Events: []release.Event{created}, Release: other})
				},
				"AppendEvents": func() error {
					return st.AppendEvents(cancelled, &store.AppendEventsParams{ExpectedSeq: 1, Events: events, Release: next})
				},
				"GetRelease":        func() error { _, err := st.GetRelease(cancelled, r.ID); return err },
				"GetReleaseSummary": func() error { _, err := st.GetReleaseSummary(cancelled, r.ID); return err },
				"ListReleases":      func() error { _, err := st.ListReleases(cancelled, &store.ListReleasesParams{}); return err },
				"ListEvents": func() error {
					_, err := st.ListEvents(cancelled, &store.ListEventsParams{Release: r.ID})
					return err
				},
				"CreateGroup": func() error { _, err := st.CreateGroup(cancelled, testGroup("weekly", "mobile", true)); return err },
				"UpdateGroup": func() error { _, err := st.UpdateGroup(cancelled, testGroup("weekly", "mobile", true)); return err },
				"GetGroup":    func() error { _, err := st.GetGroup(cancelled, "weekly"); return err },
				"ListGroups":  func() error { _, err := st.ListGroups(cancelled, &store.ListGroupsParams{}); return err },
				"DeleteGroup": func() error { return st.DeleteGroup(cancelled, "weekly") },
			}
			if l, ok := st.(store.Leaser); ok {
				lp := &store.LeaseParams{Key: "k", Owner: "o", Now: base, TTL: time.Minute}
				calls["AcquireLease"] = func() error { _, err := l.AcquireLease(cancelled, lp); return err }
				calls["RenewLease"] = func() error { _, err := l.RenewLease(cancelled, lp); return err }
				calls["ReleaseLease"] = func() error { return l.ReleaseLease(cancelled, lp) }
			}
			for name, call := range calls {
				require.ErrorIs(t, call(), context.Canceled, name)
			}
			_, err := st.GetProcess(ctx(t), "mobile", 0)
			require.ErrorIs(t, err, store.ErrNotFound, "PutProcess wrote nothing")
			_, err = st.GetInputSet(ctx(t), "qa")
			require.ErrorIs(t, err, store.ErrNotFound, "PutInputSet wrote nothing")
			_, err = st.GetRelease(ctx(t), other.ID)
			require.ErrorIs(t, err, store.ErrNotFound, "CreateRelease wrote nothing")
			_, err = st.GetGroup(ctx(t), "weekly")
			require.ErrorIs(t, err, store.ErrNotFound, "CreateGroup wrote nothing")
			requireStoredRelease(t, st, r)
			if l, ok := st.(store.Leaser); ok {
				_, err := l.RenewLease(ctx(t), &store.LeaseParams{Key: "k", Owner: "o", Now: base, TTL: time.Minute})
				require.ErrorIs(t, err, store.ErrNotFound, "AcquireLease wrote nothing")
			}
		})
	})
}
