package release

import (
	"bytes"
	"sync"
)

// Sealing hashes every event, and a store appending it hashes it again to
// check the chain (VerifyChainFrom): on the path of every activity that is
// half of all the hashing. The events this process sealed last are kept in
// a small table, with an owned copy of every field the hash covers; an
// event equal to one of them in all those fields has the hash computed
// when it was sealed, so verification compares instead of hashing again.
// Nothing is trusted: any difference, or an entry overwritten meanwhile,
// means hashing as before. Slots reuse their payload buffers, so
// remembering allocates nothing once the table is warm.

const (
	memoSize       = 4096 // slots, a power of two
	memoMaxPayload = 4096 // larger payloads are not remembered
)

type memoSlot struct {
	mu      sync.Mutex
	hash    Hash
	release ID
	seq     int64
	kind    EventKind
	unix    int64
	nano    int32
	actor   string
	reason  string
	prev    Hash
	payload []byte // canonical; owned by the slot
}

var memo [memoSize]memoSlot

func slotOf(h Hash) *memoSlot {
	return &memo[(uint32(h[0])|uint32(h[1])<<8)&(memoSize-1)]
}

// remember records that e, whose payload is canonical, hashes to e.Hash.
func remember(e *Event) {
	if len(e.Payload) > memoMaxPayload {
		return
	}
	m := slotOf(e.Hash)
	m.mu.Lock()
	m.hash, m.release, m.seq, m.kind = e.Hash, e.Release, e.Seq, e.Kind
	m.unix, m.nano = e.Time.Unix(), int32(e.Time.Nanosecond())
	m.actor, m.reason, m.prev = e.Actor, e.Reason, e.PrevHash
	m.payload = append(m.payload[:0], e.Payload...)
	m.mu.Unlock()
}

// recalled reports whether e is, field for field, an event sealed here
// with hash e.Hash.
func recalled(e *Event) bool {
	m := slotOf(e.Hash)
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.hash == e.Hash && m.seq == e.Seq && m.prev == e.PrevHash &&
		m.release == e.Release && m.kind == e.Kind && m.actor == e.Actor && m.reason == e.Reason &&
		m.unix == e.Time.Unix() && m.nano == int32(e.Time.Nanosecond()) &&
		bytes.Equal(m.payload, e.Payload)
}
