package release

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// EventKind names what an event records ("activity.started"). Kinds form an
// open set: Apply counts events of kinds it does not know (Release.Unknown)
// and otherwise ignores them, so newer writers do not break older readers.
type EventKind string

// The event kinds this package knows. Each has a payload type (see
// DecodePayload), named after the kind.
const (
	KindReleaseCreated            EventKind = "release.created"
	KindReleaseStarted            EventKind = "release.started"
	KindReleasePaused             EventKind = "release.paused"
	KindReleaseResumed            EventKind = "release.resumed"
	KindReleaseRescheduled        EventKind = "release.rescheduled"
	KindReleaseSucceeded          EventKind = "release.succeeded"
	KindReleasePartiallySucceeded EventKind = "release.partially-succeeded"
	KindReleaseFailed             EventKind = "release.failed"
	KindReleaseAborted            EventKind = "release.aborted"
	KindReleaseRolledBack         EventKind = "release.rolled-back"
	KindReleaseRollbackStarted    EventKind = "release.rollback-started"

	KindPhaseStarted   EventKind = "phase.started"
	KindPhaseSucceeded EventKind = "phase.succeeded"
	KindPhaseFailed    EventKind = "phase.failed"
	KindPhaseSkipped   EventKind = "phase.skipped"
	KindPhaseAborted   EventKind = "phase.aborted"

	KindActivityStarted    EventKind = "activity.started"
	KindActivityWaiting    EventKind = "activity.waiting"
	KindActivityResumed    EventKind = "activity.resumed"
	KindActivitySucceeded  EventKind = "activity.succeeded"
	KindActivityFailed     EventKind = "activity.failed"
	KindActivityHeld       EventKind = "activity.held"
	KindActivityIgnored    EventKind = "activity.ignored"
	KindActivitySkipped    EventKind = "activity.skipped"
	KindActivityAborted    EventKind = "activity.aborted"
	KindActivityRolledBack EventKind = "activity.rolled-back"

	KindOutputsSubmitted EventKind = "outputs.submitted"
	KindTaskUpdated      EventKind = "task.updated"
	KindApprovalGranted  EventKind = "approval.granted"
	KindApprovalRejected EventKind = "approval.rejected"
	KindApprovalBypassed EventKind = "approval.bypassed"
	KindCommentAdded     EventKind = "comment.added"
	KindLinkAdded        EventKind = "link.added"

	// KindFreezeOverridden: an operator let the release, or one of its
	// activities, through a freeze (FreezeOverriddenPayload).
	KindFreezeOverridden EventKind = "freeze.overridden"
	// KindPolicyFailed: a policy held the release's start, or one of its
	// activities, back (PolicyFailedPayload).
	KindPolicyFailed EventKind = "policy.failed"
	// KindPolicyOverridden: an operator let the release, or one of its
	// activities, through a policy (PolicyOverriddenPayload).
	KindPolicyOverridden EventKind = "policy.overridden"
)

// Hash is a SHA-256 digest. Its text form (JSON, String) is 64 lower-case
// hex digits.
type Hash [32]byte

// String returns h as 64 hex digits.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is all zeros, the PrevHash of a release's first
// event.
func (h Hash) IsZero() bool { return h == Hash{} }

// MarshalText encodes h as 64 hex digits.
func (h Hash) MarshalText() ([]byte, error) {
	b := make([]byte, 64)
	hex.Encode(b, h[:])
	return b, nil
}

// UnmarshalText decodes 64 hex digits.
func (h *Hash) UnmarshalText(b []byte) error {
	if len(b) != 64 {
		return fmt.Errorf("release: hash: want 64 hex digits, got %d characters", len(b))
	}
	var x Hash
	if _, err := hex.Decode(x[:], b); err != nil {
		return fmt.Errorf("release: hash: %v", err)
	}
	*h = x
	return nil
}

// ParseHash decodes 64 hex digits.
func ParseHash(s string) (Hash, error) {
	var h Hash
	err := h.UnmarshalText([]byte(s))
	return h, err
}

// Event is an immutable record of one change to a release: who (Actor), what
// (Kind and Payload), when (Time) and why (Reason). A release's events form
// its audit trail and its truth: Fold rebuilds the release from them.
//
// Release, Seq, PrevHash and Hash are assigned by Seal; the other fields by
// whoever makes the event (NewEvent). Stores keep every field as given.
type Event struct {
	Release ID        `json:"release"`
	Seq     int64     `json:"seq"` // 1-based position in the release's log
	Kind    EventKind `json:"kind"`
	Time    time.Time `json:"time"`
	Actor   string    `json:"actor"`            // a user, or a system name such as "executor"
	Reason  string    `json:"reason,omitempty"` // why; required for some kinds (release.aborted)
	// Payload is the kind's payload as a JSON object; see DecodePayload.
	Payload  json.RawMessage `json:"payload"`
	PrevHash Hash            `json:"prev-hash"` // Hash of the event before; zero for Seq 1
	Hash     Hash            `json:"hash"`      // SHA-256 of the canonical encoding (see Seal)
}

// Clone returns a copy of e that shares no memory with it.
func (e Event) Clone() Event {
	if e.Payload != nil {
		e.Payload = bytes.Clone(e.Payload)
	}
	return e
}

// Head identifies the end of a release's event chain: the release, the
// sequence number of its last event and that event's hash. The head of a
// release with no events is {Release: id} (Seq 0, zero Hash).
type Head struct {
	Release ID
	Seq     int64
	Hash    Hash
}

// NewEvent returns an unsealed event of p's kind with p encoded as its
// payload. Seal (or Release.Record) assigns its place in a release's chain.
func NewEvent(at time.Time, actor, reason string, p Payload) (Event, error) {
	if p == nil {
		return Event{}, errors.New("release: new event: nil payload")
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return Event{}, fmt.Errorf("release: new event %s: encoding payload: %w", p.EventKind(), err)
	}
	return Event{Kind: p.EventKind(), Time: at, Actor: actor, Reason: reason, Payload: raw}, nil
}

// ParseEvent decodes an event from its JSON form (as json.Marshal writes it).
// It checks the envelope (release, seq >= 1, kind, a JSON object payload),
// not the payload against its kind (DecodePayload does) nor the hash
// (VerifyChain does).
func ParseEvent(data []byte) (Event, error) {
	var e Event
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Event{}, fmt.Errorf("release: decoding event: %w", err)
	}
	if dec.More() {
		return Event{}, errors.New("release: decoding event: data after the event")
	}
	if err := e.checkEnvelope(); err != nil {
		return Event{}, err
	}
	return e, nil
}

func (e *Event) checkEnvelope() error {
	switch {
	case e.Release == "":
		return fmt.Errorf("release: event %d: release: missing", e.Seq)
	case e.Seq < 1:
		return fmt.Errorf("release: event %d: seq: must be 1 or more", e.Seq)
	case e.Kind == "":
		return fmt.Errorf("release: event %d: kind: missing", e.Seq)
	}
	p := bytes.TrimLeft(e.Payload, " \t\r\n")
	if len(p) == 0 || p[0] != '{' {
		return fmt.Errorf("release: event %d (%s): payload: want a JSON object", e.Seq, e.Kind)
	}
	return nil
}

// ComputeHash returns the SHA-256 of e's canonical encoding (see Seal). It
// ignores e.Hash.
func ComputeHash(e Event) (Hash, error) {
	p, err := canonicalPayload(e.Payload)
	if err != nil {
		return Hash{}, err
	}
	return hashCanonical(e, p)
}

func sha256Sum(b []byte) Hash { return sha256.Sum256(b) }

// Seal places events after head in its release's chain and returns sealed
// copies: each gets Release = head.Release, the next Seq, the PrevHash of
// the one before (head.Hash for the first), its Time in UTC with any
// monotonic reading dropped, its Payload in canonical form, and its Hash.
//
// The hash is the SHA-256 of this canonical encoding, a JSON object with
// the fields in this order and no insignificant space:
//
//	{"release":ID,"seq":N,"kind":KIND,"time":"UTC RFC 3339 with nanoseconds",
//	 "actor":ACTOR,"reason":REASON,"payload":PAYLOAD,"prev-hash":"64 hex digits"}
//
// where the strings ID, KIND, ACTOR and REASON escape only '"', '\' and
// control characters (as \u00XX) and keep every other byte, and PAYLOAD is
// the payload with insignificant space removed and the members of every
// object sorted by key, strings and numbers kept as written ({} when
// empty). Because each hash covers the previous one, a changed, removed or
// reordered event breaks the chain from there on.
//
// Seal returns an error when an event belongs to another release, has no
// kind, or its payload is not a JSON object.
func Seal(head Head, events []Event) ([]Event, error) {
	out := make([]Event, len(events))
	if err := sealInto(out, head, events); err != nil {
		return nil, err
	}
	return out, nil
}

// sealInto is Seal writing the sealed events into out (len(events) long),
// so that a caller sealing one event needs no slice.
func sealInto(out []Event, head Head, events []Event) error {
	if head.Release == "" {
		return errors.New("release: seal: head has no release id")
	}
	prev, seq := head.Hash, head.Seq
	for i, e := range events {
		seq++
		if e.Release != "" && e.Release != head.Release {
			return fmt.Errorf("release: seal: event %d belongs to release %s, not %s", i, e.Release, head.Release)
		}
		if e.Kind == "" {
			return fmt.Errorf("release: seal: event %d: kind: missing", i)
		}
		p, err := canonicalPayload(e.Payload)
		if err != nil {
			return fmt.Errorf("release: seal: event %d (%s): %w", i, e.Kind, err)
		}
		e.Release, e.Seq, e.PrevHash, e.Payload = head.Release, seq, prev, p
		e.Time = e.Time.UTC().Round(0)
		if e.Hash, err = hashCanonical(e, p); err != nil {
			return fmt.Errorf("release: seal: event %d (%s): %w", i, e.Kind, err)
		}
		prev = e.Hash
		out[i] = e
	}
	return nil
}

// ErrChainBroken is matched (errors.Is) by every *ChainError.
var ErrChainBroken = errors.New("release: event chain broken")

// ChainProblem says how a chain is broken.
type ChainProblem string

// The chain problems VerifyChain reports.
const (
	// Altered: the event's hash does not match its contents.
	Altered ChainProblem = "altered"
	// Removed: sequence numbers skip; the events in between are missing.
	Removed ChainProblem = "removed"
	// Reordered: the event is out of place (a later or repeated sequence
	// number appears before the expected one).
	Reordered ChainProblem = "reordered"
	// WrongPrevHash: the event does not chain to the one before it: an event
	// before it was changed, or removed and the rest renumbered.
	WrongPrevHash ChainProblem = "wrong prev hash"
	// WrongRelease: the event belongs to another release.
	WrongRelease ChainProblem = "wrong release"
)

// ChainError reports the first bad event of a chain.
type ChainError struct {
	Seq     int64 // the sequence number expected at the bad position
	Index   int   // the bad event's index in the slice given
	Problem ChainProblem
	Detail  string
}

func (e *ChainError) Error() string {
	msg := fmt.Sprintf("release: event %d (index %d): %s", e.Seq, e.Index, e.Problem)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Is reports whether target is ErrChainBroken.
func (e *ChainError) Is(target error) bool { return target == ErrChainBroken }

// VerifyChain checks a release's complete event log, from Seq 1: sequence
// numbers count up by one, each event's PrevHash is the Hash of the one
// before (zero for the first), each Hash matches its event's canonical
// encoding and all events belong to one release. It returns nil for an empty
// log, else a *ChainError for the first bad event.
func VerifyChain(events []Event) error {
	if len(events) == 0 {
		return nil
	}
	return VerifyChainFrom(Head{Release: events[0].Release}, events)
}

// VerifyChainFrom checks that events continue the chain after head (see
// VerifyChain). Stores use it to check an append; readers use it to check
// a page of events after the one they hold.
func VerifyChainFrom(head Head, events []Event) error {
	prev, seq := head.Hash, head.Seq
	for i := range events {
		e := &events[i]
		seq++
		if e.Release != head.Release {
			return &ChainError{Seq: seq, Index: i, Problem: WrongRelease,
				Detail: fmt.Sprintf("release %q, want %q", e.Release, head.Release)}
		}
		if e.Seq != seq {
			problem := Reordered
			if e.Seq > seq && !hasSeq(events[i+1:], seq) {
				problem = Removed
			}
			return &ChainError{Seq: seq, Index: i, Problem: problem,
				Detail: fmt.Sprintf("found seq %d", e.Seq)}
		}
		h, err := ComputeHash(*e)
		if err != nil {
			return &ChainError{Seq: seq, Index: i, Problem: Altered, Detail: err.Error()}
		}
		if h != e.Hash {
			return &ChainError{Seq: seq, Index: i, Problem: Altered, Detail: "hash does not match the contents"}
		}
		if e.PrevHash != prev {
			return &ChainError{Seq: seq, Index: i, Problem: WrongPrevHash,
				Detail: "prev-hash is not the hash of the event before"}
		}
		prev = e.Hash
	}
	return nil
}

func hasSeq(events []Event, seq int64) bool {
	for i := range events {
		if events[i].Seq == seq {
			return true
		}
	}
	return false
}
