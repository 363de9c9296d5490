package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// Tamperer edits what a store holds behind its back, as someone able to
// write its storage would (raw SQL on the file, say), for the suite's
// Tamper subtests. Each method changes the stored data of release id in
// place without going through the Store, keeping every hash and digest
// the store stored beside it, and fails t when it cannot. A store's own
// test provides it in Options.Tamperer.
type Tamperer interface {
	// SnapshotSeq returns the seq of the release's latest stored
	// snapshot, 0 when there is none.
	SnapshotSeq(t *testing.T, st store.Store, id release.ID) int64
	// DeleteEvents removes the release's stored events with from <= Seq
	// <= to.
	DeleteEvents(t *testing.T, st store.Store, id release.ID, from, to int64)
	// EditEvent changes the stored event at seq with edit, keeping its
	// stored Hash and PrevHash.
	EditEvent(t *testing.T, st store.Store, id release.ID, seq int64, edit func(*release.Event))
	// EditSnapshot decodes the release's latest stored snapshot, edits it
	// and stores it back in its place.
	EditSnapshot(t *testing.T, st store.Store, id release.ID, edit func(*release.Release))
	// EditSummary decodes the release's stored summary, edits it and
	// stores it back in its place (and in any column that copies one of
	// its fields, as a careful attacker would).
	EditSummary(t *testing.T, st store.Store, id release.ID, edit func(*release.Summary))
}

// tamperEvents is how many comments the tamper subtests append in one go
// before their last appends: past store.MinSnapshotInterval, so that a
// store following store.SnapshotDue has a snapshot with events after it.
const tamperEvents = store.MinSnapshotInterval + 16

// tamperedRelease stores a release that waits on its qa.signoff approval,
// has a long log (a snapshot, when the store takes them) and 3 appends
// after it.
func tamperedRelease(t *testing.T, st store.Store) *release.Release {
	t.Helper()
	r := createRelease(t, st, releaseSpec{})
	at := base.Add(time.Minute)
	startRelease(t, st, r, at)
	appendTo(t, st, r, at, release.ActivityStartedPayload{Activity: "build.compile"})
	appendTo(t, st, r, at, release.ActivitySucceededPayload{Activity: "build.compile", Outputs: map[string]any{"artifact": "a"}},
		release.PhaseSucceededPayload{Phase: "build"}, release.PhaseStartedPayload{Phase: "qa"},
		release.ActivityStartedPayload{Activity: "qa.regression"}, release.ActivitySucceededPayload{Activity: "qa.regression"},
		release.ActivityStartedPayload{Activity: "qa.signoff"}, release.ActivityWaitingPayload{Activity: "qa.signoff"})
	comments := make([]release.Payload, tamperEvents)
	for i := range comments {
		comments[i] = release.CommentAddedPayload{Text: "waiting"}
	}
	appendTo(t, st, r, at, comments...)
	for range 3 {
		appendTo(t, st, r, at, release.CommentAddedPayload{Text: "still waiting"})
	}
	requireStoredRelease(t, st, r)
	return r
}

// requireCorrupt checks that err reports the release's data as corrupt.
func requireCorrupt(t *testing.T, err error, id release.ID, msgAndArgs ...any) {
	t.Helper()
	require.ErrorIs(t, err, store.ErrCorrupt, msgAndArgs...)
	require.ErrorContains(t, err, string(id), msgAndArgs...)
	var ce *store.CorruptError
	if errors.As(err, &ce) {
		require.Equal(t, id, ce.Release, msgAndArgs...)
	}
}

// requireDamageFound checks that an edit of the event at seq is found:
// by GetRelease when the event comes after the latest snapshot (loading
// checks the chain from the snapshot on), and always by verifying the
// stored chain.
func requireDamageFound(t *testing.T, st store.Store, tp Tamperer, r *release.Release, seq int64) {
	t.Helper()
	if seq > tp.SnapshotSeq(t, st, r.ID) {
		_, err := st.GetRelease(ctx(t), r.ID)
		requireCorrupt(t, err, r.ID, "GetRelease")
	}
	events, err := st.ListEvents(ctx(t), &store.ListEventsParams{Release: r.ID, Limit: store.MaxLimit})
	require.NoError(t, err)
	require.ErrorIs(t, release.VerifyChain(events), release.ErrChainBroken, "the stored chain")
}

func (s *suite) tamperTests(t *testing.T) {
	tp := s.opts.Tamperer
	group(t, "Tamper", func(t *testing.T) {
		s.run(t, "EditedSnapshotIsCorrupt", func(t *testing.T, st store.Store) {
			r := tamperedRelease(t, st)
			if tp.SnapshotSeq(t, st, r.ID) == 0 {
				t.Skip("the store took no snapshot of a release of", r.Seq, "events")
			}
			// Mark the approval granted and rename who created the release.
			tp.EditSnapshot(t, st, r.ID, func(snap *release.Release) {
				a := snap.Activity("qa.signoff")
				require.NotNil(t, a)
				a.Status = release.ActivitySucceeded
				snap.CreatedBy = "mallory"
			})
			_, err := st.GetRelease(ctx(t), r.ID)
			requireCorrupt(t, err, r.ID)
		})
		s.run(t, "EditedSummaryIsCorrupt", func(t *testing.T, st store.Store) {
			r := tamperedRelease(t, st)
			tp.EditSummary(t, st, r.ID, func(sum *release.Summary) { sum.Status = release.Succeeded })
			_, err := st.GetReleaseSummary(ctx(t), r.ID)
			requireCorrupt(t, err, r.ID, "GetReleaseSummary")
			_, err = st.ListReleases(ctx(t), &store.ListReleasesParams{})
			requireCorrupt(t, err, r.ID, "ListReleases")
		})
		s.run(t, "TruncatedLogIsCorrupt", func(t *testing.T, st store.Store) {
			r := tamperedRelease(t, st)
			tp.DeleteEvents(t, st, r.ID, r.Seq-2, r.Seq)
			_, err := st.GetRelease(ctx(t), r.ID)
			requireCorrupt(t, err, r.ID, "GetRelease")
			_, err = st.GetReleaseSummary(ctx(t), r.ID)
			requireCorrupt(t, err, r.ID, "GetReleaseSummary")
		})
		s.run(t, "RemovedEventIsFound", func(t *testing.T, st store.Store) {
			r := tamperedRelease(t, st)
			tp.DeleteEvents(t, st, r.ID, r.Seq-1, r.Seq-1)
			requireDamageFound(t, st, tp, r, r.Seq-1)
		})
		s.run(t, "RemovedEarlyEventIsFound", func(t *testing.T, st store.Store) {
			r := tamperedRelease(t, st)
			tp.DeleteEvents(t, st, r.ID, 5, 5)
			requireDamageFound(t, st, tp, r, 5)
		})
		s.run(t, "EditedEventIsFound", func(t *testing.T, st store.Store) {
			r := tamperedRelease(t, st)
			tp.EditEvent(t, st, r.ID, r.Seq-1, func(e *release.Event) { e.Actor = "mallory" })
			requireDamageFound(t, st, tp, r, r.Seq-1)
		})
		s.run(t, "EditedLastEventIsFound", func(t *testing.T, st store.Store) {
			r := tamperedRelease(t, st)
			tp.EditEvent(t, st, r.ID, r.Seq, func(e *release.Event) { e.Reason = "rewritten" })
			requireDamageFound(t, st, tp, r, r.Seq)
		})
	})
}
