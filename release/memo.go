package release

import (
	"bytes"
	"sync/atomic"
)

// Sealing hashes every event, and a store appending it hashes it again to
// check the chain (VerifyChainFrom): on the path of every activity that is
// half of all the hashing. The events this process sealed last are kept in
// a small table, with an owned copy of every field the hash covers; an
// event equal to one of them in all those fields has the hash computed
// when it was sealed, so verification compares instead of hashing again.
// Nothing is trusted: any difference, or an entry overwritten meanwhile,
// means hashing as before.

const memoSize = 4096 // entries, a power of two

type memoEntry struct {
	hash    Hash
	release ID
	seq     int64
	kind    EventKind
	unix    int64
	nano    int32
	actor   string
	reason  string
	prev    Hash
	payload []byte // canonical; owned by the entry
}

var memo [memoSize]atomic.Pointer[memoEntry]

func memoSlot(h Hash) *atomic.Pointer[memoEntry] {
	return &memo[(uint32(h[0])|uint32(h[1])<<8)&(memoSize-1)]
}

// remember records that e, whose payload is canonical, hashes to e.Hash.
func remember(e *Event) {
	m := &memoEntry{
		hash: e.Hash, release: e.Release, seq: e.Seq, kind: e.Kind,
		unix: e.Time.Unix(), nano: int32(e.Time.Nanosecond()),
		actor: e.Actor, reason: e.Reason, prev: e.PrevHash,
		payload: bytes.Clone(e.Payload),
	}
	memoSlot(e.Hash).Store(m)
}

// recalled reports whether e is, field for field, an event sealed here
// with hash e.Hash.
func recalled(e *Event) bool {
	m := memoSlot(e.Hash).Load()
	return m != nil && m.hash == e.Hash && m.seq == e.Seq && m.prev == e.PrevHash &&
		m.release == e.Release && m.kind == e.Kind && m.actor == e.Actor && m.reason == e.Reason &&
		m.unix == e.Time.Unix() && m.nano == int32(e.Time.Nanosecond()) &&
		bytes.Equal(m.payload, e.Payload)
}
