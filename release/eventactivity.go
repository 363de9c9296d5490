package release

import (
	"bytes"
	"encoding/json"
)

// Activity returns the activity an event concerns (activity.started,
// task.updated, approval.granted, a comment or link on an activity...),
// read from its payload, and false for events about the whole release or
// a phase. It needs no type switch over payloads and works on kinds this
// package does not know, as long as their payload names an "activity".
func (e Event) Activity() (ActivityKey, bool) {
	// Stored payloads are canonical (see Seal): their "activity" is read
	// where it is, without decoding the rest. Anything else is decoded.
	if raw, found, ok := canonicalMember(e.Payload, "activity"); ok {
		if !found {
			return "", false
		}
		if len(raw) > 2 && raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0 {
			return ActivityKey(raw[1 : len(raw)-1]), true
		}
	}
	var v struct {
		Activity ActivityKey `json:"activity"`
	}
	if len(e.Payload) == 0 || json.Unmarshal(e.Payload, &v) != nil || v.Activity == "" {
		return "", false
	}
	return v.Activity, true
}

// canonicalMember returns the value, as written, of the member key of the
// canonical JSON object data (see isCanonical), and whether it is there.
// ok is false when data is not a canonical object, or has a member whose
// key matches key only without regard to case (which encoding/json would
// take for it): the caller then decodes data as JSON. It allocates
// nothing.
func canonicalMember(data []byte, key string) (raw []byte, found, ok bool) {
	if len(data) < 2 || data[0] != '{' {
		return nil, false, false
	}
	s := scanner{data: data, i: 1}
	if data[1] == '}' {
		return nil, false, len(data) == 2
	}
	var prev []byte
	for {
		if s.i >= len(data) || data[s.i] != '"' {
			return nil, false, false
		}
		k, ok := s.str()
		if !ok || bytes.IndexByte(k, '\\') >= 0 {
			return nil, false, false
		}
		k = k[1 : len(k)-1]
		if prev != nil && bytes.Compare(prev, k) >= 0 {
			return nil, false, false
		}
		prev = k
		if s.i >= len(data) || data[s.i] != ':' {
			return nil, false, false
		}
		s.i++
		start := s.i
		if !s.value(1) || s.i >= len(data) {
			return nil, false, false
		}
		switch {
		case string(k) == key:
			raw, found = data[start:s.i], true
		case bytes.EqualFold(k, []byte(key)):
			return nil, false, false
		}
		switch data[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return raw, found, s.i == len(data)
		default:
			return nil, false, false
		}
	}
}
