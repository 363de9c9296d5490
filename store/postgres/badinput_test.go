package postgres_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// TestTextPostgreSQLCannotHoldIsRefusedClearly passes strings that
// PostgreSQL's text type cannot hold (a NUL byte, invalid UTF-8) wherever
// a method takes a string it keeps or looks up: writes are refused with
// store.ErrInvalid naming the field, lookups find nothing
// (store.ErrNotFound), and nothing is written.
func TestTextPostgreSQLCannotHoldIsRefusedClearly(t *testing.T) {
	pool := testPool(t, 4)
	s := newStore(t, pool)
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	r := createTestRelease(t, s, "0190d000-0000-7000-8000-000000000001", at)
	for name, bad := range map[string]string{"NUL": "a\x00b", "invalid UTF-8": "a\xffb"} {
		ctx := t.Context()
		next := r.Clone()
		e, err := next.RecordPayload(at, bad, "", release.CommentAddedPayload{Text: "hello"})
		require.NoError(t, err)
		invalid := map[string]error{
			"PutProcess": func() error {
				_, err := s.PutProcess(ctx, &store.PutProcessParams{Process: &process.Process{ID: "mobile", Name: bad}, Now: at})
				return err
			}(),
			"PutProcess CreatedBy": func() error {
				_, err := s.PutProcess(ctx, &store.PutProcessParams{Process: &process.Process{ID: "mobile"}, CreatedBy: bad, Now: at})
				return err
			}(),
			"PutInputSet":  s.PutInputSet(ctx, &process.InputSet{ID: bad, Process: "mobile"}),
			"CreateGroup":  func() error { _, err := s.CreateGroup(ctx, &release.Group{ID: release.GroupID(bad)}); return err }(),
			"AppendEvents": s.AppendEvents(ctx, &store.AppendEventsParams{ExpectedSeq: r.Seq, Events: []release.Event{e}, Release: next}),
			"ListReleases": func() error {
				_, err := s.ListReleases(ctx, &store.ListReleasesParams{Group: release.GroupID(bad)})
				return err
			}(),
			"ListGroups": func() error {
				_, err := s.ListGroups(ctx, &store.ListGroupsParams{Process: process.ID(bad)})
				return err
			}(),
			"ListInputSets": func() error {
				_, err := s.ListInputSets(ctx, &store.ListInputSetsParams{Process: process.ID(bad)})
				return err
			}(),
			"AcquireLease": func() error {
				_, err := s.AcquireLease(ctx, &store.LeaseParams{Key: "release/1", Owner: bad, Now: at, TTL: time.Minute})
				return err
			}(),
		}
		for call, err := range invalid {
			require.ErrorIs(t, err, store.ErrInvalid, "%s: %s", name, call)
		}
		notFound := map[string]error{
			"GetProcess": func() error { _, err := s.GetProcess(ctx, process.ID(bad), 0); return err }(),
			"ListProcessVersions": func() error {
				_, err := s.ListProcessVersions(ctx, &store.ListProcessVersionsParams{ID: process.ID(bad)})
				return err
			}(),
			"GetInputSet":       func() error { _, err := s.GetInputSet(ctx, bad); return err }(),
			"DeleteInputSet":    s.DeleteInputSet(ctx, bad),
			"GetGroup":          func() error { _, err := s.GetGroup(ctx, release.GroupID(bad)); return err }(),
			"UpdateGroup":       func() error { _, err := s.UpdateGroup(ctx, &release.Group{ID: release.GroupID(bad)}); return err }(),
			"DeleteGroup":       s.DeleteGroup(ctx, release.GroupID(bad)),
			"GetRelease":        func() error { _, err := s.GetRelease(ctx, release.ID(bad)); return err }(),
			"GetReleaseSummary": func() error { _, err := s.GetReleaseSummary(ctx, release.ID(bad)); return err }(),
			"ListEvents": func() error {
				_, err := s.ListEvents(ctx, &store.ListEventsParams{Release: release.ID(bad)})
				return err
			}(),
		}
		for call, err := range notFound {
			require.ErrorIs(t, err, store.ErrNotFound, "%s: %s", name, call)
			require.False(t, errors.Is(err, store.ErrInvalid), "%s: %s", name, call)
		}
	}
	got, err := s.GetRelease(t.Context(), r.ID)
	require.NoError(t, err)
	require.Equal(t, r.Seq, got.Seq, "nothing was appended")
	page, err := s.ListProcesses(t.Context(), nil)
	require.NoError(t, err)
	require.Empty(t, page.Processes, "nothing was stored")
}
