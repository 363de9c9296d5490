package sqlite_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/sqlite"
)

// forge edits the snapshot (CreatedBy) and the summary (Status) of release
// id in the file and recomputes their SHA-256 digests, as someone who
// knows the format but holds no key would.
func forge(t *testing.T, path string, id release.ID) {
	t.Helper()
	db := rawDB(t, path)
	defer db.Close()
	var snap, sum []byte
	require.NoError(t, db.QueryRow(`SELECT doc FROM snapshots WHERE release_id = ?`, string(id)).Scan(&snap))
	require.NoError(t, db.QueryRow(`SELECT summary FROM releases WHERE id = ?`, string(id)).Scan(&sum))
	r, err := release.UnmarshalSnapshot(snap)
	require.NoError(t, err)
	r.CreatedBy = "mallory"
	snap, err = r.MarshalSnapshot()
	require.NoError(t, err)
	var s release.Summary
	require.NoError(t, json.Unmarshal(sum, &s))
	s.Status = release.Succeeded
	sum, err = json.Marshal(&s)
	require.NoError(t, err)
	sd, md := sha256.Sum256(snap), sha256.Sum256(sum)
	_, err = db.Exec(`UPDATE snapshots SET doc = ?, digest = ? WHERE release_id = ?`, snap, sd[:], string(id))
	require.NoError(t, err)
	_, err = db.Exec(`UPDATE releases SET summary = ?, sum_digest = ?, status = ? WHERE id = ?`, sum, md[:], string(s.Status), string(id))
	require.NoError(t, err)
}

func TestADigestKeyCatchesAForgerWhoRecomputesTheDigests(t *testing.T) {
	ctx := context.Background()
	snapshots := func(r *release.Release, last int64) bool { return last == 0 && r.Seq >= 20 }
	key := bytes.Repeat([]byte{0x42}, 32)
	cases := []struct {
		name      string
		write     []byte // the key the file is written with
		read      []byte // and read with
		forged    bool
		corrupted bool
	}{
		{"with the key, untouched", key, key, false, false},
		{"with the key, forged", key, key, true, true},
		{"opened with another key", key, bytes.Repeat([]byte{0x43}, 32), false, true},
		{"opened without the key", key, nil, false, true},
		// The limit DigestKey lifts: without it, digests anyone can
		// recompute only catch damage and careless edits.
		{"without a key, forged", nil, nil, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path, id := filled(t, 10, &sqlite.Options{SnapshotDue: snapshots, DigestKey: c.write})
			if c.forged {
				forge(t, path, id)
			}
			s, err := sqlite.Open(path, &sqlite.Options{SnapshotDue: snapshots, DigestKey: c.read})
			require.NoError(t, err)
			defer s.Close()
			r, err := s.GetRelease(ctx, id)
			sum, sumErr := s.GetReleaseSummary(ctx, id)
			if c.corrupted {
				require.ErrorIs(t, err, store.ErrCorrupt)
				require.ErrorIs(t, sumErr, store.ErrCorrupt)
				return
			}
			require.NoError(t, err)
			require.NoError(t, sumErr)
			if c.forged {
				require.Equal(t, "mallory", r.CreatedBy)
				require.Equal(t, release.Succeeded, sum.Status)
			} else {
				require.Equal(t, "alice", r.CreatedBy)
				require.Equal(t, release.Running, sum.Status)
			}
		})
	}
}

func TestADigestKeyShorterThan32BytesIsRefused(t *testing.T) {
	_, err := sqlite.Open(t.TempDir()+"/baton.db", &sqlite.Options{DigestKey: []byte("short")})
	require.ErrorContains(t, err, "Options.DigestKey")
}
