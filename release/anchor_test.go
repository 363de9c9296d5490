package release_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/release"
)

var (
	hmacSecret = bytes.Repeat([]byte{0x5a}, 32)
	edSeed     = bytes.Repeat([]byte{0x17}, ed25519.SeedSize)
)

func hmacKey(t *testing.T, id string, secret []byte) *release.HMACKey {
	t.Helper()
	k, err := release.NewHMACKey(id, secret)
	require.NoError(t, err)
	return k
}

func edSigner(t *testing.T, id string, seed []byte) *release.Ed25519Signer {
	t.Helper()
	s, err := release.NewEd25519Signer(id, ed25519.NewKeyFromSeed(seed))
	require.NoError(t, err)
	return s
}

// anchored returns a release's log of n+3 events and the anchors of each
// head, sealed by sealer.
func anchored(t *testing.T, sealer release.Sealer, n int) *release.Bundle {
	t.Helper()
	events := chain(t, n)
	b := &release.Bundle{Release: events[0].Release, Events: events}
	for _, e := range events {
		a, err := sealer.Seal(context.Background(), release.Head{Release: e.Release, Seq: e.Seq, Hash: e.Hash})
		require.NoError(t, err)
		b.Anchors = append(b.Anchors, a)
	}
	return b
}

func TestAnchorsVerifyOnlyWithTheirKeyAndHead(t *testing.T) {
	ed := edSigner(t, "ed-1", edSeed)
	otherPub := edSigner(t, "ed-1", bytes.Repeat([]byte{1}, ed25519.SeedSize)).Verifier()
	cases := []struct {
		name   string
		sealer release.Sealer
		good   release.Verifier
		wrong  []release.Verifier
	}{
		{"hmac", hmacKey(t, "k1", hmacSecret), hmacKey(t, "k1", hmacSecret), []release.Verifier{
			hmacKey(t, "k1", bytes.Repeat([]byte{0x5b}, 32)), // another secret
			hmacKey(t, "k2", hmacSecret),                     // another key id
			ed.Verifier(),                                    // another algorithm
		}},
		{"ed25519", ed, ed.Verifier(), []release.Verifier{
			otherPub,                               // another key under the same id
			hmacKey(t, "ed-1", hmacSecret),         // another algorithm
			edSigner(t, "ed-2", edSeed).Verifier(), // another key id
		}},
	}
	head := release.Head{Release: "r-1", Seq: 7, Hash: release.Hash{1, 2, 3}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := c.sealer.Seal(context.Background(), head)
			require.NoError(t, err)
			require.Equal(t, head, a.Head())
			require.NoError(t, c.good.Verify(&a))
			for i, v := range c.wrong {
				require.ErrorIs(t, v.Verify(&a), release.ErrAnchor, "wrong verifier %d", i)
			}
			edits := map[string]func(*release.Anchor){
				"seq":     func(a *release.Anchor) { a.Seq++ },
				"hash":    func(a *release.Anchor) { a.Hash[0] ^= 1 },
				"release": func(a *release.Anchor) { a.Release = "r-2" },
				"sig":     func(a *release.Anchor) { a.Sig[0] ^= 1 },
			}
			for name, edit := range edits {
				b := a.Clone()
				edit(&b)
				require.ErrorIs(t, c.good.Verify(&b), release.ErrAnchor, name)
			}
		})
	}
}

func TestSealersRefuseShortKeys(t *testing.T) {
	_, err := release.NewHMACKey("k", make([]byte, release.MinHMACKeySize-1))
	require.ErrorContains(t, err, "want at least 32")
	_, err = release.NewEd25519Signer("k", make([]byte, 10))
	require.Error(t, err)
	_, err = release.NewEd25519Verifier("k", make([]byte, 10))
	require.Error(t, err)
}

func TestVerifyBundleFindsEveryTampering(t *testing.T) {
	key := hmacKey(t, "k1", hmacSecret)
	ed := edSigner(t, "ed-1", edSeed)
	cases := []struct {
		name   string
		sealer release.Sealer
		v      release.Verifier
		tamper func(t *testing.T, b *release.Bundle)
		want   error // nil: verifies
	}{
		{"untouched, hmac", key, key, func(*testing.T, *release.Bundle) {}, nil},
		{"untouched, ed25519", ed, ed.Verifier(), func(*testing.T, *release.Bundle) {}, nil},
		{"only the last head anchored", key, key, func(_ *testing.T, b *release.Bundle) {
			b.Anchors = b.Anchors[len(b.Anchors)-1:]
		}, nil},
		{"edited event", key, key, func(_ *testing.T, b *release.Bundle) {
			b.Events[2].Actor = "mallory"
		}, release.ErrChainBroken},
		{"removed event", key, key, func(_ *testing.T, b *release.Bundle) {
			b.Events = append(b.Events[:2], b.Events[3:]...)
		}, release.ErrChainBroken},
		{"truncated log", key, key, func(_ *testing.T, b *release.Bundle) {
			b.Events = b.Events[:len(b.Events)-3]
		}, release.ErrAnchor},
		{"re-hashed chain", ed, ed.Verifier(), func(t *testing.T, b *release.Bundle) {
			// Edit an event and recompute every hash from there: the chain
			// verifies, the anchors do not.
			events := b.Events
			events[2].Actor = "mallory"
			resealed, err := release.Seal(release.Head{Release: b.Release, Seq: 2, Hash: events[1].Hash}, events[2:])
			require.NoError(t, err)
			copy(events[2:], resealed)
			require.NoError(t, release.VerifyChain(events), "the rewritten chain verifies on its own")
		}, release.ErrAnchor},
		{"re-hashed chain and re-sealed with another key", key, key, func(t *testing.T, b *release.Bundle) {
			events := b.Events
			events[1].Reason = "rewritten"
			resealed, err := release.Seal(release.Head{Release: b.Release, Seq: 1, Hash: events[0].Hash}, events[1:])
			require.NoError(t, err)
			copy(events[1:], resealed)
			forger := hmacKey(t, "k1", bytes.Repeat([]byte{9}, 32))
			for i := range b.Anchors {
				e := &events[b.Anchors[i].Seq-1]
				b.Anchors[i], err = forger.Seal(context.Background(), release.Head{Release: e.Release, Seq: e.Seq, Hash: e.Hash})
				require.NoError(t, err)
			}
		}, release.ErrAnchor},
		{"wrong key", key, hmacKey(t, "k1", bytes.Repeat([]byte{1}, 32)), func(*testing.T, *release.Bundle) {}, release.ErrAnchor},
		{"last head not anchored", key, key, func(_ *testing.T, b *release.Bundle) {
			b.Anchors = b.Anchors[:len(b.Anchors)-1]
		}, release.ErrAnchor},
		{"no anchors", key, key, func(_ *testing.T, b *release.Bundle) { b.Anchors = nil }, release.ErrAnchor},
		{"no events", key, key, func(_ *testing.T, b *release.Bundle) { b.Events = nil }, release.ErrChainBroken},
		{"anchor of another release", key, key, func(t *testing.T, b *release.Bundle) {
			a, err := key.Seal(context.Background(), release.Head{Release: "other", Seq: 1, Hash: b.Events[0].Hash})
			require.NoError(t, err)
			b.Anchors[0] = a
		}, release.ErrAnchor},
		{"anchors out of order", key, key, func(_ *testing.T, b *release.Bundle) {
			b.Anchors[0], b.Anchors[1] = b.Anchors[1], b.Anchors[0]
		}, release.ErrAnchor},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := anchored(t, c.sealer, 5)
			c.tamper(t, b)
			// Through JSON, as a bundle file travels.
			raw, err := json.Marshal(b)
			require.NoError(t, err)
			var got release.Bundle
			require.NoError(t, json.Unmarshal(raw, &got))
			err = release.VerifyBundle(&got, c.v)
			if c.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, c.want)
		})
	}
}

// A bundle cut short together with its later anchors ends at an older
// anchored head: it verifies, as VerifyBundle documents; the reader
// compares its last seq with the one expected.
func TestVerifyBundleOfATruncatedLogAndAnchorsEndsAtTheOlderHead(t *testing.T) {
	key := hmacKey(t, "k1", hmacSecret)
	b := anchored(t, key, 5)
	full := b.Events[len(b.Events)-1].Seq
	b.Events, b.Anchors = b.Events[:4], b.Anchors[:4]
	require.NoError(t, release.VerifyBundle(b, key))
	require.Less(t, b.Events[len(b.Events)-1].Seq, full)
}
