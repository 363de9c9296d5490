package postgres_test

import (
	"crypto/sha256"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/postgres"
	"github.com/batonhq/baton/store/storetest"
)

var digestKey = []byte("0123456789abcdef0123456789abcdef")

func TestStoreWithDigestKey(t *testing.T) {
	pool := testPool(t, 24)
	storetest.TestStore(t, func(t *testing.T) store.Store {
		s, err := postgres.NewFromPool(t.Context(), pool, &postgres.Options{Schema: freshSchema(t, pool), DigestKey: digestKey})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, s.Close()) })
		return s
	}, &storetest.Options{Tamperer: tamperer{pool: pool}})
}

// rollBack moves release id's head back by one event as someone who can
// write the database can: the last event deleted, the head and the
// summary set to the event before, every digest recomputed with SHA-256.
func rollBack(t *testing.T, tp tamperer, st store.Store, id release.ID) {
	t.Helper()
	var seq int64
	var hash, doc []byte
	require.NoError(t, tp.pool.QueryRow(t.Context(), inSchema(st, `SELECT e.seq, e.hash, r.summary FROM _s.releases r
		JOIN _s.events e ON e.release_id = r.id AND e.seq = r.seq - 1 WHERE r.id = $1`), string(id)).Scan(&seq, &hash, &doc))
	var sum release.Summary
	require.NoError(t, json.Unmarshal(doc, &sum))
	sum.Seq = seq
	copy(sum.Hash[:], hash)
	doc, err := json.Marshal(&sum)
	require.NoError(t, err)
	digest := sha256.Sum256(doc)
	var b []byte
	b = append(b, id...)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0, byte(seq))
	b = append(b, hash...)
	head := sha256.Sum256(b)
	tp.exec(t, st, `DELETE FROM _s.events WHERE release_id = $1 AND seq = $2`, string(id), seq+1)
	tp.exec(t, st, `UPDATE _s.releases SET seq = $2, hash = $3, summary = $4, sum_digest = $5, head_digest = $6 WHERE id = $1`,
		string(id), seq, hash, doc, digest[:], head[:])
}

// With a digest key, a head moved back over deleted events and a summary
// edited, their digests recomputed without the key, are corrupt; without
// one the same rewrite passes (which is what the key is for), and a store
// opened with another key reads every release as corrupt.
func TestDigestKeyCatchesRecomputedDigests(t *testing.T) {
	pool := testPool(t, 4)
	tp := tamperer{pool: pool}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, key := range [][]byte{nil, digestKey} {
		schema := freshSchema(t, pool)
		s, err := postgres.NewFromPool(t.Context(), pool, &postgres.Options{Schema: schema, DigestKey: key})
		require.NoError(t, err)
		r := createTestRelease(t, s, "0190d000-0000-7000-8000-000000000001", at)
		for range 3 {
			expected := r.Seq
			e, err := r.RecordPayload(at, "bob", "", release.CommentAddedPayload{Text: "approved by bob"})
			require.NoError(t, err)
			require.NoError(t, s.AppendEvents(t.Context(), &store.AppendEventsParams{ExpectedSeq: expected, Events: []release.Event{e}, Release: r}))
		}
		rollBack(t, tp, s, r.ID)
		got, err := s.GetRelease(t.Context(), r.ID)
		_, sumErr := s.GetReleaseSummary(t.Context(), r.ID)
		if key == nil {
			require.NoError(t, err, "without a key a consistent rewrite goes unseen")
			require.Equal(t, r.Seq-1, got.Seq)
			require.NoError(t, sumErr)
			continue
		}
		requireCorrupt(t, err, r.ID, "head")
		requireCorrupt(t, sumErr, r.ID, "summary") // its digest is the first check to fail
		_, err = s.ListReleases(t.Context(), nil)
		requireCorrupt(t, err, r.ID, "summary")

		other := createTestRelease(t, s, "0190d000-0000-7000-8000-000000000002", at)
		wrong, err := postgres.NewFromPool(t.Context(), pool, &postgres.Options{Schema: schema, DigestKey: []byte("another key of thirty-two bytes!")})
		require.NoError(t, err)
		_, err = wrong.GetRelease(t.Context(), other.ID)
		require.ErrorIs(t, err, store.ErrCorrupt, "another key")
		unkeyed, err := postgres.NewFromPool(t.Context(), pool, &postgres.Options{Schema: schema})
		require.NoError(t, err)
		_, err = unkeyed.GetReleaseSummary(t.Context(), other.ID)
		require.ErrorIs(t, err, store.ErrCorrupt, "no key")
		_, err = s.GetRelease(t.Context(), other.ID)
		require.NoError(t, err, "the right key")
	}
}

// requireCorrupt checks that err is a *store.CorruptError about the what
// of release id.
func requireCorrupt(t *testing.T, err error, id release.ID, what string) {
	t.Helper()
	require.ErrorIs(t, err, store.ErrCorrupt)
	var ce *store.CorruptError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, id, ce.Release)
	require.Equal(t, what, ce.What)
}

// The migration that added head digests computes them in SQL: the same
// bytes as the store computes without a key.
func TestHeadDigestInSQLIsTheStores(t *testing.T) {
	pool := testPool(t, 2)
	s := newStore(t, pool)
	h := release.Head{Release: "0190d000-0000-7000-8000-000000000001", Seq: 300, Hash: release.Hash{1, 2, 3, 0xff}}
	var got []byte
	require.NoError(t, pool.QueryRow(t.Context(), `SELECT sha256(convert_to($1, 'UTF8') || '\x00'::bytea || int8send($2::bigint) || $3::bytea)`,
		string(h.Release), h.Seq, h.Hash[:]).Scan(&got))
	require.Equal(t, postgres.HeadDigest(s, h), got)
}
