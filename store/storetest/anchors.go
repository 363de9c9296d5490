package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// testAnchor returns an anchor of head. The store checks no signature, so
// any non-empty one does.
func testAnchor(head release.Head) *release.Anchor {
	return &release.Anchor{Release: head.Release, Seq: head.Seq, Hash: head.Hash, Alg: "test", KeyID: "k1", Sig: []byte{byte(head.Seq), 1, 2}}
}

func headOf(r *release.Release) release.Head {
	return release.Head{Release: r.ID, Seq: r.Seq, Hash: r.Hash}
}

func (s *suite) anchorTests(t *testing.T) {
	group(t, "ListAnchors", func(t *testing.T) {
		s.run(t, "KeepsEachAnchorWithItsHeadInOrder", func(t *testing.T, st store.Store) {
			as := st.(store.AnchorStore)
			r, created := newRelease(t, releaseSpec{})
			want := []release.Anchor{*testAnchor(headOf(r))}
			require.NoError(t, st.CreateRelease(ctx(t), &store.CreateReleaseParams{Events: []release.Event{created}, Release: r, Anchor: &want[0]}))
			for i := range 4 {
				expected := r.Seq
				sealed := record(t, r, base.Add(time.Duration(i)*time.Minute), release.CommentAddedPayload{Text: "x"})
				p := &store.AppendEventsParams{ExpectedSeq: expected, Events: sealed, Release: r}
				if i != 2 { // one append without an anchor
					p.Anchor = testAnchor(headOf(r))
					want = append(want, *p.Anchor)
				}
				require.NoError(t, st.AppendEvents(ctx(t), p))
			}
			got, err := as.ListAnchors(ctx(t), &store.ListAnchorsParams{Release: r.ID})
			require.NoError(t, err)
			require.Equal(t, want, got)
			page, err := as.ListAnchors(ctx(t), &store.ListAnchorsParams{Release: r.ID, AfterSeq: want[1].Seq, Limit: 1})
			require.NoError(t, err)
			require.Equal(t, want[2:3], page)
			page, err = as.ListAnchors(ctx(t), &store.ListAnchorsParams{Release: r.ID, AfterSeq: r.Seq})
			require.NoError(t, err)
			require.Empty(t, page)
			got[0].Sig[0] ^= 1
			again, err := as.ListAnchors(ctx(t), &store.ListAnchorsParams{Release: r.ID})
			require.NoError(t, err)
			require.Equal(t, want, again, "the caller owns what is returned")
		})
		s.run(t, "AnchorNotSealingTheNewHeadIsInvalid", func(t *testing.T, st store.Store) {
			as := st.(store.AnchorStore)
			r := createRelease(t, st, releaseSpec{})
			before := headOf(r)
			expected := r.Seq
			sealed := record(t, r, base, release.CommentAddedPayload{Text: "x"})
			stale := testAnchor(before) // the head before the events
			noSig := testAnchor(headOf(r))
			noSig.Sig = nil
			for name, a := range map[string]*release.Anchor{"old head": stale, "no signature": noSig} {
				err := st.AppendEvents(ctx(t), &store.AppendEventsParams{ExpectedSeq: expected, Events: sealed, Release: r, Anchor: a})
				require.ErrorIs(t, err, store.ErrInvalid, name)
			}
			sum, err := st.GetReleaseSummary(ctx(t), r.ID)
			require.NoError(t, err)
			require.Equal(t, before.Seq, sum.Seq, "nothing was appended")
			got, err := as.ListAnchors(ctx(t), &store.ListAnchorsParams{Release: r.ID})
			require.NoError(t, err)
			require.Empty(t, got)
		})
		s.run(t, "UnknownReleaseIsNotFound", func(t *testing.T, st store.Store) {
			_, err := st.(store.AnchorStore).ListAnchors(ctx(t), &store.ListAnchorsParams{Release: "nope"})
			require.ErrorIs(t, err, store.ErrNotFound)
		})
	})
}
