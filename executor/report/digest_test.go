package report_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/executor/report"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
)

// requireDigestsAgreeWithEvents checks every digest s keeps against the
// digest computed again from the release's events, and returns how many
// it checked.
func requireDigestsAgreeWithEvents(t *testing.T, s store.Store) int {
	t.Helper()
	ds := s.(store.DigestStore)
	n := 0
	p := &store.ListReleaseDigestsParams{}
	for {
		page, err := ds.ListReleaseDigests(context.Background(), p)
		require.NoError(t, err)
		for _, e := range page.Releases {
			if e.Data == nil {
				continue
			}
			events := allEvents(t, s, e.Release)
			d, err := report.DigestOf(events)
			require.NoError(t, err)
			want, err := report.MarshalDigest(d)
			require.NoError(t, err)
			require.Equal(t, want, e.Data, "release %s", e.Release)
			n++
		}
		if page.Next == "" {
			return n
		}
		p.Cursor = page.Next
	}
}

func allEvents(t *testing.T, s store.ReleaseStore, id release.ID) []release.Event {
	t.Helper()
	var all []release.Event
	for {
		page, err := s.ListEvents(context.Background(), &store.ListEventsParams{Release: id, AfterSeq: int64(len(all)), Limit: store.MaxLimit})
		require.NoError(t, err)
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
	}
}

func TestKeptDigestsAgreeWithTheEventLog(t *testing.T) {
	s := memstore.New(nil)
	scriptTrain(t, s)
	_, err := report.ComputeMetrics(context.Background(), s, window())
	require.NoError(t, err)
	// r1 to r6 ended in the window: their digests are kept; r7 runs, r8
	// is outside the window.
	require.Equal(t, 6, requireDigestsAgreeWithEvents(t, s))

	// KeepDigest keeps r8's too.
	d, err := report.KeepDigest(context.Background(), s, "r8")
	require.NoError(t, err)
	require.Equal(t, release.Succeeded, d.Status)
	require.Equal(t, 7, requireDigestsAgreeWithEvents(t, s))
}

func TestAKeptDigestThatDoesNotDecodeIsComputedAgain(t *testing.T) {
	s := memstore.New(nil)
	scriptTrain(t, s)
	want, err := report.ComputeMetrics(context.Background(), s, window())
	require.NoError(t, err)
	// Another writer (an older version, say) kept something else for r1.
	r1 := getRelease(t, s, "r1")
	require.NoError(t, s.PutReleaseDigest(context.Background(), &store.PutReleaseDigestParams{Release: "r1", Seq: r1.Seq, Hash: r1.Hash, Data: []byte{1, 2, 3}}))
	got, err := report.ComputeMetrics(context.Background(), s, window())
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.Equal(t, 6, requireDigestsAgreeWithEvents(t, s), "r1's digest was kept again")
}

func TestDigestOfRefusesALogThatDoesNotChain(t *testing.T) {
	s := memstore.New(nil)
	scriptTrain(t, s)
	events := allEvents(t, s, "r1")
	events[3].Actor = "mallory"
	_, err := report.DigestOf(events)
	require.ErrorIs(t, err, release.ErrChainBroken)
	_, err = report.Build(events, day(2))
	require.ErrorIs(t, err, release.ErrChainBroken)
	_, err = report.DigestOf(nil)
	require.ErrorIs(t, err, report.ErrInvalid)
	_, err = report.Build(events[1:], day(2))
	require.Error(t, err)
}
