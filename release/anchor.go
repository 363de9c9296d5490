package release

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
)

// A hash chain shows that no event was changed, removed or reordered
// since the chain was computed; anyone able to write the store can compute
// a whole new one. An Anchor binds a release's head to a key the store's
// writer does not hold, so a verifier holding the key (or, for Ed25519, the
// public key) detects a rewritten chain.

// The anchor algorithms.
const (
	// AlgHMACSHA256 is HMAC-SHA-256 with a shared secret key.
	AlgHMACSHA256 = "hmac-sha256"
	// AlgEd25519 is an Ed25519 signature: the private key seals, the
	// public key verifies.
	AlgEd25519 = "ed25519"
)

// Anchor is a release's head (Release, Seq, Hash) sealed with a key: Sig
// is the MAC or signature of AnchorMessage(Alg, KeyID, head).
type Anchor struct {
	Release ID     `json:"release"`
	Seq     int64  `json:"seq"`
	Hash    Hash   `json:"hash"`
	Alg     string `json:"alg"`
	KeyID   string `json:"key-id"`
	Sig     []byte `json:"sig"` // base64 in JSON
}

// Head returns the head the anchor seals.
func (a Anchor) Head() Head { return Head{Release: a.Release, Seq: a.Seq, Hash: a.Hash} }

// Clone returns a copy of a that shares no memory with it.
func (a Anchor) Clone() Anchor {
	a.Sig = append([]byte(nil), a.Sig...)
	return a
}

// AnchorMessage returns the bytes an anchor's Sig covers: the lines
//
//	baton-anchor-v1
//	ALG
//	KEY ID
//	RELEASE ID
//	SEQ (decimal)
//	HASH (64 hex digits)
//
// each ended by a newline. The algorithm and key id are covered so that
// an anchor cannot be passed off under another key or algorithm.
func AnchorMessage(alg, keyID string, head Head) []byte {
	b := make([]byte, 0, 128+len(alg)+len(keyID)+len(head.Release))
	b = append(b, "baton-anchor-v1\n"...)
	b = append(b, alg...)
	b = append(b, '\n')
	b = append(b, keyID...)
	b = append(b, '\n')
	b = append(b, head.Release...)
	b = append(b, '\n')
	b = strconv.AppendInt(b, head.Seq, 10)
	b = append(b, '\n')
	b = append(b, head.Hash.String()...)
	return append(b, '\n')
}

// Sealer seals release heads with a key the host holds. Implementations
// must be safe for concurrent use. HMACKey and Ed25519Signer are the two
// this package provides; a host may provide its own (a KMS, an HSM) that
// makes anchors one of them verifies.
type Sealer interface {
	// Seal returns the anchor of head. It returns an error (ctx's, say)
	// when it cannot seal; the head is then not stored.
	Seal(ctx context.Context, head Head) (Anchor, error)
}

// Verifier checks anchors. Implementations must be safe for concurrent
// use.
type Verifier interface {
	// Verify returns nil when a was sealed by the verifier's key over its
	// head, else an error matching ErrAnchor.
	Verify(a *Anchor) error
}

// ErrAnchor is matched (errors.Is) by every error saying an anchor does not
// verify, or that a head has no anchor.
var ErrAnchor = errors.New("release: anchor does not verify")

func anchorErr(a *Anchor, format string, args ...any) error {
	return fmt.Errorf("%w: release %s seq %d: %s", ErrAnchor, a.Release, a.Seq, fmt.Sprintf(format, args...))
}

// checkKey checks the anchor's algorithm and key id against the
// verifier's.
func checkKey(a *Anchor, alg, keyID string) error {
	if a.Alg != alg {
		return anchorErr(a, "algorithm %q, want %q", a.Alg, alg)
	}
	if a.KeyID != keyID {
		return anchorErr(a, "key id %q, want %q", a.KeyID, keyID)
	}
	return nil
}

// MinHMACKeySize is the shortest key NewHMACKey accepts, in bytes.
const MinHMACKeySize = 32

// HMACKey seals and verifies anchors with HMAC-SHA-256 and a shared
// secret: whoever verifies can also seal, so keep it from the store's
// writers.
type HMACKey struct {
	id  string
	key []byte
}

var (
	_ Sealer   = (*HMACKey)(nil)
	_ Verifier = (*HMACKey)(nil)
)

// NewHMACKey returns an HMACKey named keyID (recorded in its anchors, so
// keys can be rotated) with a copy of key, which must hold at least
// MinHMACKeySize bytes.
func NewHMACKey(keyID string, key []byte) (*HMACKey, error) {
	if len(key) < MinHMACKeySize {
		return nil, fmt.Errorf("release: HMAC key %q: %d bytes, want at least %d", keyID, len(key), MinHMACKeySize)
	}
	return &HMACKey{id: keyID, key: append([]byte(nil), key...)}, nil
}

func (k *HMACKey) mac(head Head) []byte {
	m := hmac.New(sha256.New, k.key)
	m.Write(AnchorMessage(AlgHMACSHA256, k.id, head))
	return m.Sum(nil)
}

// Seal implements Sealer.
func (k *HMACKey) Seal(ctx context.Context, head Head) (Anchor, error) {
	if err := ctx.Err(); err != nil {
		return Anchor{}, err
	}
	return Anchor{Release: head.Release, Seq: head.Seq, Hash: head.Hash, Alg: AlgHMACSHA256, KeyID: k.id, Sig: k.mac(head)}, nil
}

// Verify implements Verifier.
func (k *HMACKey) Verify(a *Anchor) error {
	if err := checkKey(a, AlgHMACSHA256, k.id); err != nil {
		return err
	}
	if !hmac.Equal(a.Sig, k.mac(a.Head())) {
		return anchorErr(a, "the MAC does not match the head (hash %s)", a.Hash)
	}
	return nil
}

// Ed25519Signer seals anchors with an Ed25519 private key; its Verifier
// (or NewEd25519Verifier with the public key) verifies them.
type Ed25519Signer struct {
	id   string
	priv ed25519.PrivateKey
}

var _ Sealer = (*Ed25519Signer)(nil)

// NewEd25519Signer returns a signer named keyID with a copy of priv.
func NewEd25519Signer(keyID string, priv ed25519.PrivateKey) (*Ed25519Signer, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("release: Ed25519 key %q: %d bytes, want %d", keyID, len(priv), ed25519.PrivateKeySize)
	}
	return &Ed25519Signer{id: keyID, priv: append(ed25519.PrivateKey(nil), priv...)}, nil
}

// Seal implements Sealer.
func (s *Ed25519Signer) Seal(ctx context.Context, head Head) (Anchor, error) {
	if err := ctx.Err(); err != nil {
		return Anchor{}, err
	}
	sig := ed25519.Sign(s.priv, AnchorMessage(AlgEd25519, s.id, head))
	return Anchor{Release: head.Release, Seq: head.Seq, Hash: head.Hash, Alg: AlgEd25519, KeyID: s.id, Sig: sig}, nil
}

// Verifier returns the verifier of the signer's anchors.
func (s *Ed25519Signer) Verifier() *Ed25519Verifier {
	return &Ed25519Verifier{id: s.id, pub: s.priv.Public().(ed25519.PublicKey)}
}

// Ed25519Verifier verifies anchors with an Ed25519 public key.
type Ed25519Verifier struct {
	id  string
	pub ed25519.PublicKey
}

var _ Verifier = (*Ed25519Verifier)(nil)

// NewEd25519Verifier returns a verifier of the anchors of key keyID with a
// copy of its public key pub.
func NewEd25519Verifier(keyID string, pub ed25519.PublicKey) (*Ed25519Verifier, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("release: Ed25519 public key %q: %d bytes, want %d", keyID, len(pub), ed25519.PublicKeySize)
	}
	return &Ed25519Verifier{id: keyID, pub: append(ed25519.PublicKey(nil), pub...)}, nil
}

// PublicKey returns a copy of the verifier's public key, to hand to those
// who verify.
func (v *Ed25519Verifier) PublicKey() ed25519.PublicKey {
	return append(ed25519.PublicKey(nil), v.pub...)
}

// Verify implements Verifier.
func (v *Ed25519Verifier) Verify(a *Anchor) error {
	if err := checkKey(a, AlgEd25519, v.id); err != nil {
		return err
	}
	if !ed25519.Verify(v.pub, AnchorMessage(AlgEd25519, v.id, a.Head()), a.Sig) {
		return anchorErr(a, "the signature does not match the head (hash %s)", a.Hash)
	}
	return nil
}

// Bundle is a release's audit record, for checking away from the store
// with nothing but a key (VerifyBundle): its whole event log and the
// anchors of its heads, in seq order. Its JSON form is the file format of
// examples/auditverify.
type Bundle struct {
	Release ID       `json:"release"`
	Events  []Event  `json:"events"`
	Anchors []Anchor `json:"anchors"`
}

// VerifyBundle checks b with v alone: the events are the release's whole
// log, one unbroken chain from seq 1 (VerifyChain, hashes recomputed);
// every anchor verifies with v and seals a head of that chain (the hash of
// the event at its seq); and the last anchor seals the last event. It
// returns nil, or an error for the first problem found: matching
// ErrChainBroken for the chain, ErrAnchor for an anchor or a head left
// unanchored.
//
// A bundle cut short together with its later anchors ends at an older
// anchored head and still verifies: compare its last seq with the one you
// expect (a release you saw end must end with its final event).
func VerifyBundle(b *Bundle, v Verifier) error {
	if b == nil || v == nil {
		return errors.New("release: verify bundle: bundle and verifier are required")
	}
	if len(b.Events) == 0 {
		return fmt.Errorf("release: verify bundle %s: %w", b.Release, &ChainError{Seq: 1, Problem: Removed, Detail: "no events"})
	}
	if err := VerifyChainFrom(Head{Release: b.Release}, b.Events); err != nil {
		return fmt.Errorf("release: verify bundle %s: %w", b.Release, err)
	}
	last := &b.Events[len(b.Events)-1]
	if len(b.Anchors) == 0 {
		return fmt.Errorf("%w: release %s: the bundle has no anchor", ErrAnchor, b.Release)
	}
	prev := int64(0)
	for i := range b.Anchors {
		a := &b.Anchors[i]
		if a.Release != b.Release {
			return anchorErr(a, "anchor %d belongs to release %s", i, a.Release)
		}
		if a.Seq <= prev || a.Seq > last.Seq {
			return anchorErr(a, "anchor %d: seq out of order or past the last event (%d)", i, last.Seq)
		}
		prev = a.Seq
		if err := v.Verify(a); err != nil {
			return err
		}
		if e := &b.Events[a.Seq-1]; e.Hash != a.Hash {
			return anchorErr(a, "the event at seq %d has hash %s, the anchor seals %s: the chain was rewritten", a.Seq, e.Hash, a.Hash)
		}
	}
	if end := &b.Anchors[len(b.Anchors)-1]; end.Seq != last.Seq {
		return fmt.Errorf("%w: release %s: the last event (seq %d) is not anchored; the last anchor seals seq %d",
			ErrAnchor, b.Release, last.Seq, end.Seq)
	}
	return nil
}
