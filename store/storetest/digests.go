package storetest

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// listDigests pages through ListReleaseDigests with p's filters.
func listDigests(t *testing.T, ds store.DigestStore, p store.ListReleaseDigestsParams) []store.ReleaseDigestEntry {
	t.Helper()
	all := []store.ReleaseDigestEntry{}
	for {
		page, err := ds.ListReleaseDigests(ctx(t), &p)
		require.NoError(t, err)
		require.NotNil(t, page.Releases, "an empty page is an empty slice")
		all = append(all, page.Releases...)
		if page.Next == "" {
			return all
		}
		if p.Limit > 0 {
			require.Len(t, page.Releases, p.Limit, "a page before the last is full")
		}
		p.Cursor = page.Next
	}
}

func putDigest(st store.Store, r *release.Release, data string) error {
	return st.(store.DigestStore).PutReleaseDigest(context.Background(), &store.PutReleaseDigestParams{
		Release: r.ID, Seq: r.Seq, Hash: r.Hash, Data: []byte(data)})
}

func (s *suite) digestTests(t *testing.T) {
	digests := func(st store.Store) store.DigestStore { return st.(store.DigestStore) }
	group(t, "ListReleaseDigests", func(t *testing.T) {
		s.run(t, "EmptyStoreGivesAnEmptyPage", func(t *testing.T, st store.Store) {
			page, err := digests(st).ListReleaseDigests(ctx(t), nil)
			require.NoError(t, err)
			require.NotNil(t, page.Releases)
			require.Empty(t, page.Releases)
			require.Empty(t, page.Next)
		})
		s.run(t, "ListsReleasesInScheduledOrderWithTheirHeadAndDigest", func(t *testing.T, st store.Store) {
			var rs []*release.Release
			for i := range 7 {
				at := base.Add(time.Duration(i) * time.Hour)
				spec := releaseSpec{createdAt: at, scheduled: at.Add(time.Duration(i%3) * 24 * time.Hour)}
				if i%2 == 0 {
					spec.group = "weekly"
				}
				if i%3 == 0 {
					spec.process = "other"
				}
				r := createRelease(t, st, spec)
				if i%2 == 1 || i == 4 {
					appendTo(t, st, r, at.Add(time.Minute), release.ReleaseAbortedPayload{})
				}
				if i%2 == 1 {
					require.NoError(t, putDigest(st, r, fmt.Sprintf(`{"n":%d}`, i)))
				}
				rs = append(rs, r)
			}
			filters := []store.ListReleaseDigestsParams{
				{}, {Limit: 2}, {Group: "weekly"}, {Process: "other", Limit: 1},
				{ScheduledFrom: base.Add(24 * time.Hour), ScheduledTo: base.Add(60 * time.Hour)},
				{Group: "weekly", ScheduledFrom: base.Add(3 * time.Hour)},
			}
			for _, f := range filters {
				want, err := st.ListReleases(ctx(t), &store.ListReleasesParams{Group: f.Group, Process: f.Process,
					ScheduledFrom: f.ScheduledFrom, ScheduledTo: f.ScheduledTo, Limit: store.MaxLimit})
				require.NoError(t, err)
				// The digests list in (ScheduledFor, ID) order.
				slices.SortFunc(want.Releases, func(a, b release.Summary) int {
					return cmp.Or(a.ScheduledFor.Compare(b.ScheduledFor), cmp.Compare(a.ID, b.ID))
				})
				got := listDigests(t, digests(st), f)
				require.Len(t, got, len(want.Releases), "filter %+v", f)
				for i, sum := range want.Releases {
					e := got[i]
					require.Equal(t, sum.ID, e.Release, "filter %+v: order", f)
					require.Equal(t, sum.Status, e.Status)
					n := -1
					for j, r := range rs {
						if r.ID == sum.ID {
							n = j
						}
					}
					if n%2 == 1 {
						require.Equal(t, fmt.Sprintf(`{"n":%d}`, n), string(e.Data))
						require.Equal(t, sum.Seq, e.Seq)
						require.Equal(t, sum.Hash, e.Hash)
					} else {
						require.Nil(t, e.Data, "release %d has no digest", n)
						require.Zero(t, e.Seq)
						require.Zero(t, e.Hash)
					}
				}
			}
		})
		s.run(t, "AStaleDigestIsNotReturned", func(t *testing.T, st store.Store) {
			r := createRelease(t, st, releaseSpec{})
			appendTo(t, st, r, base.Add(time.Minute), release.ReleaseAbortedPayload{})
			stale := *r
			require.NoError(t, putDigest(st, r, `{"at":1}`))
			// An ended release still takes comments and links.
			appendTo(t, st, r, base.Add(time.Hour), release.CommentAddedPayload{Text: "post-mortem on Monday"})
			got := listDigests(t, digests(st), store.ListReleaseDigestsParams{})
			require.Len(t, got, 1)
			require.Nil(t, got[0].Data, "the release moved on since the digest was computed")
			require.Zero(t, got[0].Seq)
			require.Equal(t, release.Aborted, got[0].Status)
			require.ErrorIs(t, putDigest(st, &stale, `{"at":1}`), store.ErrConflict)
			require.NoError(t, putDigest(st, r, `{"at":2}`))
			got = listDigests(t, digests(st), store.ListReleaseDigestsParams{})
			require.Equal(t, `{"at":2}`, string(got[0].Data))
			require.Equal(t, r.Seq, got[0].Seq)
			require.Equal(t, r.Hash, got[0].Hash)
		})
		s.run(t, "OnlyEndedReleasesKeepADigest", func(t *testing.T, st store.Store) {
			r := createRelease(t, st, releaseSpec{})
			require.ErrorIs(t, putDigest(st, r, `{"v":1}`), store.ErrConflict, "scheduled")
			startRelease(t, st, r, base.Add(time.Minute))
			require.ErrorIs(t, putDigest(st, r, `{"v":1}`), store.ErrConflict, "running")
			require.Nil(t, listDigests(t, digests(st), store.ListReleaseDigestsParams{})[0].Data)
			appendTo(t, st, r, base.Add(time.Hour), release.ReleaseFailedPayload{Error: "boom"})
			require.NoError(t, putDigest(st, r, `{"v":1}`))
			require.Equal(t, `{"v":1}`, string(listDigests(t, digests(st), store.ListReleaseDigestsParams{})[0].Data))
		})
		s.run(t, "AGarbageCursorIsInvalid", func(t *testing.T, st store.Store) {
			_, err := digests(st).ListReleaseDigests(ctx(t), &store.ListReleaseDigestsParams{Cursor: "not-a-cursor"})
			require.ErrorIs(t, err, store.ErrInvalid)
		})
		s.run(t, "ACancelledContextReadsNothing", func(t *testing.T, st store.Store) {
			c, cancel := context.WithCancel(ctx(t))
			cancel()
			_, err := digests(st).ListReleaseDigests(c, nil)
			require.ErrorIs(t, err, context.Canceled)
		})
	})
	group(t, "PutReleaseDigest", func(t *testing.T) {
		s.run(t, "ReplacesTheDigestAndKeepsACopy", func(t *testing.T, st store.Store) {
			r := createRelease(t, st, releaseSpec{})
			appendTo(t, st, r, base.Add(time.Minute), release.ReleaseAbortedPayload{})
			data := []byte(`{"v":1}`)
			require.NoError(t, digests(st).PutReleaseDigest(ctx(t), &store.PutReleaseDigestParams{Release: r.ID, Seq: r.Seq, Hash: r.Hash, Data: data}))
			data[2] = 'X' // the caller's slice is not kept
			got := listDigests(t, digests(st), store.ListReleaseDigestsParams{})
			require.Equal(t, `{"v":1}`, string(got[0].Data))
			got[0].Data[2] = 'Y' // nor is the one returned
			require.Equal(t, `{"v":1}`, string(listDigests(t, digests(st), store.ListReleaseDigestsParams{})[0].Data))
			require.NoError(t, putDigest(st, r, `{"v":2}`))
			require.Equal(t, `{"v":2}`, string(listDigests(t, digests(st), store.ListReleaseDigestsParams{})[0].Data))
		})
		s.run(t, "RefusesBadArgumentsAndWritesNothing", func(t *testing.T, st store.Store) {
			r := createRelease(t, st, releaseSpec{})
			appendTo(t, st, r, base.Add(time.Minute), release.ReleaseAbortedPayload{})
			other := r.Hash
			other[0] ^= 1
			big := bytes.Repeat([]byte("x"), store.MaxDigestSize+1)
			for _, c := range []struct {
				p    *store.PutReleaseDigestParams
				want error
			}{
				{nil, store.ErrInvalid},
				{&store.PutReleaseDigestParams{Seq: r.Seq, Hash: r.Hash, Data: []byte("x")}, store.ErrInvalid},
				{&store.PutReleaseDigestParams{Release: r.ID, Hash: r.Hash, Data: []byte("x")}, store.ErrInvalid},
				{&store.PutReleaseDigestParams{Release: r.ID, Seq: r.Seq, Hash: r.Hash}, store.ErrInvalid},
				{&store.PutReleaseDigestParams{Release: r.ID, Seq: r.Seq, Hash: r.Hash, Data: big}, store.ErrInvalid},
				{&store.PutReleaseDigestParams{Release: "nope", Seq: 1, Hash: r.Hash, Data: []byte("x")}, store.ErrNotFound},
				{&store.PutReleaseDigestParams{Release: r.ID, Seq: r.Seq, Hash: other, Data: []byte("x")}, store.ErrConflict},
				{&store.PutReleaseDigestParams{Release: r.ID, Seq: r.Seq + 1, Hash: r.Hash, Data: []byte("x")}, store.ErrConflict},
			} {
				require.ErrorIs(t, digests(st).PutReleaseDigest(ctx(t), c.p), c.want, "%+v", c.p)
			}
			require.Nil(t, listDigests(t, digests(st), store.ListReleaseDigestsParams{})[0].Data)
			// The largest digest is fine.
			require.NoError(t, putDigest(st, r, string(big[1:])))
			require.Len(t, listDigests(t, digests(st), store.ListReleaseDigestsParams{})[0].Data, store.MaxDigestSize)
		})
		s.run(t, "ACancelledContextWritesNothing", func(t *testing.T, st store.Store) {
			r := createRelease(t, st, releaseSpec{})
			appendTo(t, st, r, base.Add(time.Minute), release.ReleaseAbortedPayload{})
			c, cancel := context.WithCancel(ctx(t))
			cancel()
			err := digests(st).PutReleaseDigest(c, &store.PutReleaseDigestParams{Release: r.ID, Seq: r.Seq, Hash: r.Hash, Data: []byte("x")})
			require.ErrorIs(t, err, context.Canceled)
			require.Nil(t, listDigests(t, digests(st), store.ListReleaseDigestsParams{})[0].Data)
		})
	})
}
