package release

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// RecordPayload makes the event of p, seals it after r's head and applies
// it, all or nothing: on error r is left as it was. It is
// Record(NewEvent(at, actor, reason, p)) for one event, and returns the
// sealed event, for store.ReleaseStore.AppendEvents. The release keeps no
// reference to p, its maps or slices, so the caller may reuse p at once.
// Passing a pointer costs less: a payload of plain fields (strings, bools,
// integers, no outputs or inputs) is applied as it is rather than decoded
// from the event just encoded, with the same result.
func (r *Release) RecordPayload(at time.Time, actor, reason string, p Payload) (Event, error) {
	return (*ProcessCache)(nil).RecordPayload(r, at, actor, reason, p)
}

// RecordPayload is r.RecordPayload, decoding the payload with c's reused
// decoding state (a nil c decodes as r.RecordPayload does).
func (c *ProcessCache) RecordPayload(r *Release, at time.Time, actor, reason string, p Payload) (Event, error) {
	if r == nil || r.ID == "" {
		return Event{}, errors.New("release: record: the release has no id; use Create for release.created")
	}
	e, err := NewEvent(at, actor, reason, p)
	if err != nil {
		return Event{}, err
	}
	// Record's one-event case, without its slices.
	var sealed [1]Event
	if err := sealInto(sealed[:], r.Head(), []Event{e}); err != nil {
		return Event{}, err
	}
	// Apply it, from p itself when decoding the payload would give p back.
	if q, ok := asDecoded(p); ok {
		err = applyTyped(r, &sealed[0], q, nil)
	} else {
		err = applyWith(r, sealed[0], nil, c)
	}
	if err != nil { // r is unchanged
		return Event{}, err
	}
	return sealed[0], nil
}

// createPinned is Create for a process pinned by c. The process's canonical
// JSON comes from c and is placed into the payload as it is (encoding and
// canonicalising everything else the usual way), and the release gets c's
// decoded copy: the process is neither encoded, rewritten nor decoded
// again. The event is the one Create makes (record_test.go checks it). ok
// is false when the process cannot be pinned; Create then says what is
// wrong.
func (c *ProcessCache) createPinned(id ID, at time.Time, actor, reason string, p *ReleaseCreatedPayload) (*Release, Event, bool, error) {
	procJSON, pinned, err := c.pinnedJSON(p.Process)
	if err != nil {
		return nil, Event{}, false, nil
	}
	rest := *p
	rest.Process = nil // encoded as "process":null, then replaced
	e, err := NewEvent(at, actor, reason, &rest)
	if err != nil {
		return nil, Event{}, true, err
	}
	canon, err := canonicalPayload(e.Payload)
	if err != nil {
		return nil, Event{}, true, &EventError{Seq: 1, Kind: e.Kind, Err: err}
	}
	typed := new(ReleaseCreatedPayload) // as DecodePayload decodes it; applyTyped validates
	if err := json.Unmarshal(canon, typed); err != nil {
		return nil, Event{}, true, &EventError{Seq: 1, Kind: e.Kind, Err: fmt.Errorf("payload: %w", err)}
	}
	// The members of the canonical object are sorted: after "process" come
	// only "scheduled-for" and "version", strings, so the last
	// `"process":null` is the top-level member (inputs and labels come
	// before it and may hold the same bytes).
	const placeholder = `"process":null`
	at0 := bytes.LastIndex(canon, []byte(placeholder))
	if at0 < 0 {
		return nil, Event{}, false, nil
	}
	payload := make([]byte, 0, len(canon)+len(procJSON))
	payload = append(payload, canon[:at0+len(`"process":`)]...)
	payload = append(payload, procJSON...)
	payload = append(payload, canon[at0+len(placeholder):]...)
	typed.Process = pinned
	e = Event{Release: id, Seq: 1, Kind: KindReleaseCreated, Time: at.UTC().Round(0), Actor: actor, Reason: reason, Payload: payload}
	e.Hash = hashEvent(&e, payload)
	r := new(Release)
	if err := applyTyped(r, &e, typed, nil); err != nil {
		return nil, Event{}, true, err
	}
	return r, e, true, nil
}

// hashEvent computes e's hash from its canonical payload (see Seal) with
// no allocation for a payload of ordinary size.
func hashEvent(e *Event, canonical []byte) Hash {
	var arr [768]byte
	buf := arr[:0]
	buf = append(buf, `{"release":`...)
	buf = appendString(buf, string(e.Release))
	buf = append(buf, `,"seq":`...)
	buf = strconv.AppendInt(buf, e.Seq, 10)
	buf = append(buf, `,"kind":`...)
	buf = appendString(buf, string(e.Kind))
	buf = append(buf, `,"time":"`...)
	buf = appendTime(buf, e.Time)
	buf = append(buf, `","actor":`...)
	buf = appendString(buf, e.Actor)
	buf = append(buf, `,"reason":`...)
	buf = appendString(buf, e.Reason)
	buf = append(buf, `,"payload":`...)
	buf = append(buf, canonical...)
	buf = append(buf, `,"prev-hash":"`...)
	buf = hex.AppendEncode(buf, e.PrevHash[:])
	buf = append(buf, `"}`...)
	return sha256.Sum256(buf)
}
