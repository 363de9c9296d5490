package release

import "unicode/utf8"

// asDecoded returns the payload DecodePayload returns for the sealed event
// that NewEvent and Seal make of p, without encoding and decoding it, for
// the payloads whose round trip through JSON changes nothing: fields of
// strings, bools and integers only, every string valid UTF-8 (encoding
// replaces invalid bytes with U+FFFD), and maps that are empty (omitted,
// so decoded as nil). It returns p itself when p is what decoding gives,
// so applying the result must keep nothing of it (the applier copies the
// strings it keeps, which are immutable, and never the payload).
// ok is false for every other payload (values of any type, times,
// slices, a map with entries, a value rather than a pointer, a kind not
// listed), and the caller decodes the event, as Apply does.
//
// It exists only to spare RecordPayload a decode; TestAsDecodedIsTheDecodedPayload
// fills every field of every payload type with random values and holds it to
// DecodePayload's answer.
func asDecoded(p Payload) (q Payload, ok bool) {
	switch p := p.(type) {
	case *ReleaseStartedPayload, *ReleasePausedPayload, *ReleaseResumedPayload,
		*ReleaseSucceededPayload, *ReleasePartiallySucceededPayload, *ReleaseAbortedPayload:
		return p, true
	case *ReleaseFailedPayload:
		return p, validUTF8(p.Error)
	case *ReleaseRolledBackPayload:
		return p, validUTF8(p.Error)
	case *ReleaseRollbackStartedPayload:
		return p, validUTF8(string(p.Activity), p.Error)
	case *PhaseStartedPayload:
		return p, validUTF8(string(p.Phase), p.Error)
	case *PhaseSucceededPayload:
		return p, validUTF8(string(p.Phase), p.Error)
	case *PhaseFailedPayload:
		return p, validUTF8(string(p.Phase), p.Error)
	case *PhaseSkippedPayload:
		return p, validUTF8(string(p.Phase), p.Error)
	case *PhaseAbortedPayload:
		return p, validUTF8(string(p.Phase), p.Error)
	case *ActivityStartedPayload:
		if len(p.Inputs) != 0 || !validUTF8(string(p.Activity), p.IdempotencyKey) {
			return nil, false
		}
		if p.Inputs != nil { // empty: omitted, so decoded as nil
			c := *p
			c.Inputs = nil
			return &c, true
		}
		return p, true
	case *ActivityWaitingPayload:
		return p, validUTF8(string(p.Activity))
	case *ActivityResumedPayload:
		return p, validUTF8(string(p.Activity))
	case *ActivitySucceededPayload:
		if len(p.Outputs) != 0 || !validUTF8(string(p.Activity)) {
			return nil, false
		}
		if p.Outputs != nil {
			c := *p
			c.Outputs = nil
			return &c, true
		}
		return p, true
	case *ActivityFailedPayload:
		return p, validUTF8(string(p.Activity), p.Error)
	case *ActivityHeldPayload:
		return p, validUTF8(string(p.Activity), p.Error)
	case *ActivitySkippedPayload:
		return p, validUTF8(string(p.Activity))
	case *ActivityAbortedPayload:
		return p, validUTF8(string(p.Activity))
	case *ActivityRolledBackPayload:
		return p, validUTF8(string(p.Activity), p.Error)
	}
	return nil, false
}

func validUTF8(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}
