package release

import "unicode/utf8"

// asDecoded returns the payload DecodePayload returns for the sealed event
// that NewEvent and Seal make of p, without encoding and decoding it, for
// the payloads whose round trip through JSON changes nothing: fields of
// strings, bools and integers only, every string valid UTF-8 (encoding
// replaces invalid bytes with U+FFFD), and maps that are empty (omitted,
// so decoded as nil). It returns a copy: the release keeps nothing of p.
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
		return p, true // no fields: nothing to copy or to keep
	case *ReleaseFailedPayload:
		c := *p
		return &c, validUTF8(c.Error)
	case *ReleaseRolledBackPayload:
		c := *p
		return &c, validUTF8(c.Error)
	case *ReleaseRollbackStartedPayload:
		c := *p
		return &c, validUTF8(string(c.Activity), c.Error)
	case *PhaseStartedPayload:
		c := *p
		return &c, validUTF8(string(c.Phase), c.Error)
	case *PhaseSucceededPayload:
		c := *p
		return &c, validUTF8(string(c.Phase), c.Error)
	case *PhaseFailedPayload:
		c := *p
		return &c, validUTF8(string(c.Phase), c.Error)
	case *PhaseSkippedPayload:
		c := *p
		return &c, validUTF8(string(c.Phase), c.Error)
	case *PhaseAbortedPayload:
		c := *p
		return &c, validUTF8(string(c.Phase), c.Error)
	case *ActivityStartedPayload:
		c := *p
		c.Inputs = nil
		return &c, len(p.Inputs) == 0 && validUTF8(string(c.Activity), c.IdempotencyKey)
	case *ActivityWaitingPayload:
		c := *p
		return &c, validUTF8(string(c.Activity))
	case *ActivityResumedPayload:
		c := *p
		return &c, validUTF8(string(c.Activity))
	case *ActivitySucceededPayload:
		c := *p
		c.Outputs = nil
		return &c, len(p.Outputs) == 0 && validUTF8(string(c.Activity))
	case *ActivityFailedPayload:
		c := *p
		return &c, validUTF8(string(c.Activity), c.Error)
	case *ActivityHeldPayload:
		c := *p
		return &c, validUTF8(string(c.Activity), c.Error)
	case *ActivitySkippedPayload:
		c := *p
		return &c, validUTF8(string(c.Activity))
	case *ActivityAbortedPayload:
		c := *p
		return &c, validUTF8(string(c.Activity))
	case *ActivityRolledBackPayload:
		c := *p
		return &c, validUTF8(string(c.Activity), c.Error)
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
