package sqlite

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"

	"github.com/batonhq/baton/release"
)

// The parts of a release a digest covers, for digests with a key: a
// digest of one part never passes for another's.
const (
	digestSummary  = "baton-summary-v1"
	digestSnapshot = "baton-snapshot-v1"
	digestHead     = "baton-head-v1"
)

// digester computes the digests the store keeps of each release's head
// row, summary and snapshot: SHA-256 of the data, or with
// Options.DigestKey, HMAC-SHA-256 of the part's name and the data.
type digester struct{ key []byte }

func (d digester) sum(part string, data []byte) release.Hash {
	if d.key == nil {
		return sha256.Sum256(data)
	}
	m := hmac.New(sha256.New, d.key)
	m.Write([]byte(part))
	m.Write([]byte{0})
	m.Write(data)
	var h release.Hash
	m.Sum(h[:0])
	return h
}

// head is the digest a head row keeps of its own fields, so that a damaged
// or edited head or counter is an error, not a wrong answer.
func (d digester) head(rid, seq int64, hash release.Hash, done int64, waiting bool) release.Hash {
	var b [8 + 8 + 32 + 8 + 1]byte
	binary.BigEndian.PutUint64(b[0:], uint64(rid))
	binary.BigEndian.PutUint64(b[8:], uint64(seq))
	copy(b[16:], hash[:])
	binary.BigEndian.PutUint64(b[48:], uint64(done))
	if waiting {
		b[56] = 1
	}
	return d.sum(digestHead, b[:])
}
