package release

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// The fast path of RecordPayload: for the payload kinds an executor records
// on every activity (the activity.*, phase.* and plain release.* kinds), the
// canonical payload is written directly from the typed value, and the value
// applied is a copy of it in the form json.Unmarshal would give back (maps
// copied, numbers as float64, []string as []any). Nothing is encoded only
// to be decoded again, and the bytes are the same as
// canonicalPayload(json.Marshal(p)) (see fastpath_test.go), so hashes do not
// depend on which path wrote an event.
//
// Anything the fast path does not know how to write exactly (a value of
// another type inside an inputs or outputs map, a float that is NaN, a
// string that is not valid UTF-8, a json.Number, a payload kind outside the
// list) takes the general path: NewEvent, Seal, Apply.

// errSlow reports that a value needs the general path.
var errSlow = errors.New("release: fast path does not apply")

// fastPayload returns p's canonical payload and a copy of p as
// DecodePayload would return it, or errSlow.
func fastPayload(dst []byte, p Payload) ([]byte, Payload, error) {
	var err error
	switch p := pointerTo(p).(type) {
	case *ActivityStartedPayload:
		return fastActivityStarted(dst, p)
	case *ActivitySucceededPayload:
		return fastActivityOutputs(dst, p.Activity, p.Outputs, true, func(a ActivityKey, o map[string]any) Payload {
			return &ActivitySucceededPayload{Activity: a, Outputs: o}
		})
	case *ActivityIgnoredPayload:
		return fastActivityOutputs(dst, p.Activity, p.Outputs, true, func(a ActivityKey, o map[string]any) Payload {
			return &ActivityIgnoredPayload{Activity: a, Outputs: o}
		})
	case *OutputsSubmittedPayload:
		return fastActivityOutputs(dst, p.Activity, p.Outputs, false, func(a ActivityKey, o map[string]any) Payload {
			return &OutputsSubmittedPayload{Activity: a, Outputs: o}
		})
	case *ActivityWaitingPayload:
		dst, err = fastActivityOnly(dst, p.Activity)
		return dst, &ActivityWaitingPayload{Activity: p.Activity}, err
	case *ActivityResumedPayload:
		dst, err = fastActivityOnly(dst, p.Activity)
		return dst, &ActivityResumedPayload{Activity: p.Activity}, err
	case *ActivitySkippedPayload:
		dst, err = fastActivityOnly(dst, p.Activity)
		return dst, &ActivitySkippedPayload{Activity: p.Activity}, err
	case *ActivityAbortedPayload:
		dst, err = fastActivityOnly(dst, p.Activity)
		return dst, &ActivityAbortedPayload{Activity: p.Activity}, err
	case *ActivityFailedPayload:
		dst, err = fastActivityFailed(dst, p)
		q := *p
		return dst, &q, err
	case *ActivityHeldPayload:
		dst, err = fastActivityError(dst, p.Activity, p.Error)
		if err == nil && (p.Permanent || p.TimedOut) {
			dst = dst[:len(dst)-1] // reopen the object for the flags, in key order
			if p.Permanent {
				dst = append(dst, `,"permanent":true`...)
			}
			if p.TimedOut {
				dst = append(dst, `,"timed-out":true`...)
			}
			dst = append(dst, '}')
		}
		q := *p
		return dst, &q, err
	case *ActivityRolledBackPayload:
		dst, err = fastActivityError(dst, p.Activity, p.Error)
		q := *p
		return dst, &q, err
	case *PhaseStartedPayload:
		dst, err = fastPhase(dst, (*PhaseChange)(p))
		q := *p
		return dst, &q, err
	case *PhaseSucceededPayload:
		dst, err = fastPhase(dst, (*PhaseChange)(p))
		q := *p
		return dst, &q, err
	case *PhaseFailedPayload:
		dst, err = fastPhase(dst, (*PhaseChange)(p))
		q := *p
		return dst, &q, err
	case *PhaseSkippedPayload:
		dst, err = fastPhase(dst, (*PhaseChange)(p))
		q := *p
		return dst, &q, err
	case *PhaseAbortedPayload:
		dst, err = fastPhase(dst, (*PhaseChange)(p))
		q := *p
		return dst, &q, err
	case *ReleaseStartedPayload:
		return append(dst, '{', '}'), &ReleaseStartedPayload{}, nil
	case *ReleasePausedPayload:
		return append(dst, '{', '}'), &ReleasePausedPayload{}, nil
	case *ReleaseResumedPayload:
		return append(dst, '{', '}'), &ReleaseResumedPayload{}, nil
	case *ReleaseSucceededPayload:
		return append(dst, '{', '}'), &ReleaseSucceededPayload{}, nil
	case *ReleasePartiallySucceededPayload:
		return append(dst, '{', '}'), &ReleasePartiallySucceededPayload{}, nil
	case *ReleaseAbortedPayload:
		return append(dst, '{', '}'), &ReleaseAbortedPayload{}, nil
	case *ReleaseFailedPayload:
		dst, err = fastErrorOnly(dst, p.Error)
		return dst, &ReleaseFailedPayload{Error: p.Error}, err
	case *ReleaseRolledBackPayload:
		dst, err = fastErrorOnly(dst, p.Error)
		return dst, &ReleaseRolledBackPayload{Error: p.Error}, err
	case *ReleaseRollbackStartedPayload:
		if p.Activity == "" {
			dst, err = fastErrorOnly(dst, p.Error)
		} else {
			dst, err = fastActivityError(dst, p.Activity, p.Error)
		}
		q := *p
		return dst, &q, err
	case *ApprovalGrantedPayload:
		dst, err = fastActivityComment(dst, p.Activity, p.Comment)
		q := *p
		return dst, &q, err
	case *ApprovalRejectedPayload:
		dst, err = fastActivityComment(dst, p.Activity, p.Comment)
		q := *p
		return dst, &q, err
	case *TaskUpdatedPayload:
		return fastTaskUpdated(dst, p)
	case *CommentAddedPayload:
		return fastCommentAdded(dst, p)
	}
	return nil, nil, errSlow
}

// pointerTo returns a pointer to a payload given by value, so that the
// fast path takes both forms.
func pointerTo(p Payload) Payload {
	switch v := p.(type) {
	case ReleaseStartedPayload:
		return &v
	case ReleasePausedPayload:
		return &v
	case ReleaseResumedPayload:
		return &v
	case ReleaseSucceededPayload:
		return &v
	case ReleasePartiallySucceededPayload:
		return &v
	case ReleaseFailedPayload:
		return &v
	case ReleaseAbortedPayload:
		return &v
	case ReleaseRolledBackPayload:
		return &v
	case ReleaseRollbackStartedPayload:
		return &v
	case PhaseStartedPayload:
		return &v
	case PhaseSucceededPayload:
		return &v
	case PhaseFailedPayload:
		return &v
	case PhaseSkippedPayload:
		return &v
	case PhaseAbortedPayload:
		return &v
	case ActivityStartedPayload:
		return &v
	case ActivityWaitingPayload:
		return &v
	case ActivityResumedPayload:
		return &v
	case ActivitySucceededPayload:
		return &v
	case ActivityFailedPayload:
		return &v
	case ActivityHeldPayload:
		return &v
	case ActivityIgnoredPayload:
		return &v
	case ActivitySkippedPayload:
		return &v
	case ActivityAbortedPayload:
		return &v
	case ActivityRolledBackPayload:
		return &v
	case OutputsSubmittedPayload:
		return &v
	case TaskUpdatedPayload:
		return &v
	case ApprovalGrantedPayload:
		return &v
	case ApprovalRejectedPayload:
		return &v
	case CommentAddedPayload:
		return &v
	}
	return p
}

func fastActivityStarted(dst []byte, p *ActivityStartedPayload) ([]byte, Payload, error) {
	inputs, err := normalizeMap(p.Inputs, true)
	if err != nil {
		return nil, nil, err
	}
	dst = append(dst, `{"activity":`...)
	if dst, err = appendJSONString(dst, string(p.Activity)); err != nil {
		return nil, nil, err
	}
	if p.IdempotencyKey != "" {
		dst = append(dst, `,"idempotency-key":`...)
		if dst, err = appendJSONString(dst, p.IdempotencyKey); err != nil {
			return nil, nil, err
		}
	}
	if inputs != nil {
		dst = append(dst, `,"inputs":`...)
		dst = appendJSONValue(dst, inputs)
	}
	dst = append(dst, '}')
	return dst, &ActivityStartedPayload{Activity: p.Activity, Inputs: inputs, IdempotencyKey: p.IdempotencyKey}, nil
}

func fastActivityOutputs(dst []byte, a ActivityKey, outputs map[string]any, omitEmpty bool, mk func(ActivityKey, map[string]any) Payload) ([]byte, Payload, error) {
	out, err := normalizeMap(outputs, omitEmpty)
	if err != nil {
		return nil, nil, err
	}
	dst = append(dst, `{"activity":`...)
	if dst, err = appendJSONString(dst, string(a)); err != nil {
		return nil, nil, err
	}
	switch {
	case out != nil:
		dst = append(dst, `,"outputs":`...)
		dst = appendJSONValue(dst, out)
	case !omitEmpty:
		dst = append(dst, `,"outputs":null`...)
	}
	dst = append(dst, '}')
	return dst, mk(a, out), nil
}

func fastActivityOnly(dst []byte, a ActivityKey) ([]byte, error) {
	dst = append(dst, `{"activity":`...)
	dst, err := appendJSONString(dst, string(a))
	return append(dst, '}'), err
}

func fastActivityError(dst []byte, a ActivityKey, msg string) ([]byte, error) {
	dst = append(dst, `{"activity":`...)
	dst, err := appendJSONString(dst, string(a))
	if err == nil && msg != "" {
		dst = append(dst, `,"error":`...)
		dst, err = appendJSONString(dst, msg)
	}
	return append(dst, '}'), err
}

func fastActivityComment(dst []byte, a ActivityKey, comment string) ([]byte, error) {
	dst = append(dst, `{"activity":`...)
	dst, err := appendJSONString(dst, string(a))
	if err == nil && comment != "" {
		dst = append(dst, `,"comment":`...)
		dst, err = appendJSONString(dst, comment)
	}
	return append(dst, '}'), err
}

func fastActivityFailed(dst []byte, p *ActivityFailedPayload) ([]byte, error) {
	dst = append(dst, `{"activity":`...)
	dst, err := appendJSONString(dst, string(p.Activity))
	if err != nil {
		return nil, err
	}
	dst = append(dst, `,"error":`...)
	if dst, err = appendJSONString(dst, p.Error); err != nil {
		return nil, err
	}
	if p.Permanent {
		dst = append(dst, `,"permanent":true`...)
	}
	if p.TimedOut {
		dst = append(dst, `,"timed-out":true`...)
	}
	return append(dst, '}'), nil
}

func fastPhase(dst []byte, p *PhaseChange) ([]byte, error) {
	dst = append(dst, '{')
	var err error
	if p.Error != "" {
		dst = append(dst, `"error":`...)
		if dst, err = appendJSONString(dst, p.Error); err != nil {
			return nil, err
		}
		dst = append(dst, ',')
	}
	dst = append(dst, `"phase":`...)
	dst, err = appendJSONString(dst, string(p.Phase))
	return append(dst, '}'), err
}

func fastErrorOnly(dst []byte, msg string) ([]byte, error) {
	if msg == "" {
		return append(dst, '{', '}'), nil
	}
	dst = append(dst, `{"error":`...)
	dst, err := appendJSONString(dst, msg)
	return append(dst, '}'), err
}

func fastTaskUpdated(dst []byte, p *TaskUpdatedPayload) ([]byte, Payload, error) {
	dst = append(dst, `{"activity":`...)
	dst, err := appendJSONString(dst, string(p.Activity))
	if err != nil {
		return nil, nil, err
	}
	var assignees []string
	if len(p.Assignees) > 0 {
		assignees = slices.Clone(p.Assignees)
		dst = append(dst, `,"assignees":[`...)
		for i, a := range assignees {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = appendJSONString(dst, a); err != nil {
				return nil, nil, err
			}
		}
		dst = append(dst, ']')
	}
	if p.Status != "" {
		dst = append(dst, `,"status":`...)
		if dst, err = appendJSONString(dst, string(p.Status)); err != nil {
			return nil, nil, err
		}
	}
	dst = append(dst, `,"task":`...)
	if dst, err = appendJSONString(dst, p.Task); err != nil {
		return nil, nil, err
	}
	dst = append(dst, '}')
	return dst, &TaskUpdatedPayload{Activity: p.Activity, Task: p.Task, Status: p.Status, Assignees: assignees}, nil
}

func fastCommentAdded(dst []byte, p *CommentAddedPayload) ([]byte, Payload, error) {
	dst = append(dst, '{')
	var err error
	if p.Activity != "" {
		dst = append(dst, `"activity":`...)
		if dst, err = appendJSONString(dst, string(p.Activity)); err != nil {
			return nil, nil, err
		}
		dst = append(dst, ',')
	}
	if p.Task != "" {
		dst = append(dst, `"task":`...)
		if dst, err = appendJSONString(dst, p.Task); err != nil {
			return nil, nil, err
		}
		dst = append(dst, ',')
	}
	dst = append(dst, `"text":`...)
	if dst, err = appendJSONString(dst, p.Text); err != nil {
		return nil, nil, err
	}
	q := *p
	return append(dst, '}'), &q, nil
}

// normalizeMap copies m into the form json.Unmarshal gives a decoded
// map[string]any. With omitEmpty an empty map is nil (omitted, so decoded
// as nil); otherwise nil stays nil (null) and empty stays empty ({}).
func normalizeMap(m map[string]any, omitEmpty bool) (map[string]any, error) {
	if m == nil || (omitEmpty && len(m) == 0) {
		return nil, nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		if !utf8.ValidString(k) {
			return nil, errSlow
		}
		nv, err := normalizeValue(v, 0)
		if err != nil {
			return nil, err
		}
		out[k] = nv
	}
	return out, nil
}

// maxExact is the largest integer below which every integer is a float64.
const maxExact = 1 << 53

// normalizeValue returns v as json.Unmarshal into an any would give it
// back after json.Marshal, or errSlow for a value it does not know.
func normalizeValue(v any, depth int) (any, error) {
	if depth > 64 {
		return nil, errSlow
	}
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		if !utf8.ValidString(x) {
			return nil, errSlow
		}
		return x, nil
	case bool:
		return x, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, errSlow
		}
		return x, nil
	case int:
		if x > maxExact || -x > maxExact {
			return nil, errSlow // encoding/json writes every digit; a float64 cannot
		}
		return float64(x), nil
	case int64:
		if x > maxExact || -x > maxExact {
			return nil, errSlow // encoding/json writes every digit; a float64 cannot
		}
		return float64(x), nil
	case int32:
		return float64(x), nil
	case int16:
		return float64(x), nil
	case int8:
		return float64(x), nil
	case uint:
		if x > maxExact {
			return nil, errSlow // encoding/json writes every digit; a float64 cannot
		}
		return float64(x), nil
	case uint64:
		if x > maxExact {
			return nil, errSlow // encoding/json writes every digit; a float64 cannot
		}
		return float64(x), nil
	case uint32:
		return float64(x), nil
	case uint16:
		return float64(x), nil
	case uint8:
		return float64(x), nil
	case map[string]any:
		if x == nil {
			return nil, nil
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			if !utf8.ValidString(k) {
				return nil, errSlow
			}
			ne, err := normalizeValue(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = ne
		}
		return out, nil
	case []any:
		if x == nil {
			return nil, nil
		}
		out := make([]any, len(x))
		for i, e := range x {
			ne, err := normalizeValue(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = ne
		}
		return out, nil
	case []string:
		if x == nil {
			return nil, nil
		}
		out := make([]any, len(x))
		for i, e := range x {
			if !utf8.ValidString(e) {
				return nil, errSlow
			}
			out[i] = e
		}
		return out, nil
	case map[string]string:
		if x == nil {
			return nil, nil
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			if !utf8.ValidString(k) || !utf8.ValidString(e) {
				return nil, errSlow
			}
			out[k] = e
		}
		return out, nil
	}
	return nil, errSlow
}

// appendJSONValue appends a normalized value (see normalizeValue) in
// canonical form: object members sorted by key, numbers and strings as
// encoding/json writes them.
func appendJSONValue(dst []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...)
	case string:
		dst, _ = appendJSONString(dst, x) // validated by normalizeValue
		return dst
	case bool:
		return strconv.AppendBool(dst, x)
	case float64:
		return appendJSONFloat(dst, x)
	case map[string]any:
		dst = append(dst, '{')
		if len(x) == 1 {
			for k, e := range x {
				dst, _ = appendJSONString(dst, k)
				dst = append(dst, ':')
				dst = appendJSONValue(dst, e)
			}
			return append(dst, '}')
		}
		var arr [16]string
		keys := arr[:0]
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst, _ = appendJSONString(dst, k)
			dst = append(dst, ':')
			dst = appendJSONValue(dst, x[k])
		}
		return append(dst, '}')
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONValue(dst, e)
		}
		return append(dst, ']')
	}
	panic(fmt.Sprintf("release: appendJSONValue: %T not normalized", v))
}

// appendJSONFloat writes f as encoding/json does.
func appendJSONFloat(dst []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// appendJSONString appends s as encoding/json writes a string (HTML
// characters, U+2028 and U+2029 escaped), or errSlow when s is not valid
// UTF-8 (encoding/json would replace the bad bytes).
func appendJSONString(dst []byte, s string) ([]byte, error) {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return nil, errSlow
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"'), nil
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

// RecordPayload makes the event of p (as NewEvent(at, actor, reason, p)),
// seals it after r's head and applies it, all or nothing: on error r is
// left as it was. It returns the sealed event, for
// store.ReleaseStore.AppendEvents.
//
// The result is the same as Record(NewEvent(...)), only cheaper: for the
// kinds an executor records on every activity it writes the canonical
// payload straight from p and applies a copy of p instead of decoding what
// it just encoded. The release keeps no reference to p's maps or slices.
func (r *Release) RecordPayload(at time.Time, actor, reason string, p Payload) (Event, error) {
	if r == nil || r.ID == "" {
		return Event{}, errors.New("release: record: the release has no id; use Create for release.created")
	}
	if p == nil {
		return Event{}, errors.New("release: new event: nil payload")
	}
	raw, typed, err := fastPayload(make([]byte, 0, 96), p)
	if errors.Is(err, errSlow) {
		e, err := NewEvent(at, actor, reason, p)
		if err != nil {
			return Event{}, err
		}
		sealed, err := r.Record(e)
		if err != nil {
			return Event{}, err
		}
		return sealed[0], nil
	}
	if err != nil {
		return Event{}, err
	}
	e := Event{
		Release: r.ID, Seq: r.Seq + 1, Kind: p.EventKind(), Time: at.UTC().Round(0),
		Actor: actor, Reason: reason, Payload: raw, PrevHash: r.Hash,
	}
	e.Hash = hashEvent(&e, raw)
	if err := applyTyped(r, &e, typed, nil); err != nil {
		return Event{}, err
	}
	remember(&e)
	return e, nil
}

// fastCreated is fastPayload for release.created: the pinned process's
// canonical JSON comes from the process cache (see Pin), and the value
// applied holds the shared decoded copy.
func fastCreated(dst []byte, p *ReleaseCreatedPayload) ([]byte, Payload, error) {
	if p.Process == nil {
		return nil, nil, errSlow // the general path says what is wrong
	}
	for _, t := range []time.Time{p.Occurrence, p.ScheduledFor, p.ExpectedStart, p.ExpectedEnd} {
		if _, off := t.Zone(); off != 0 || t.Year() < 0 || t.Year() > 9999 {
			return nil, nil, errSlow // decoding would give another location
		}
	}
	procJSON, proc, err := pinnedJSON(p.Process)
	if err != nil {
		return nil, nil, errSlow
	}
	inputs, err := normalizeMap(p.Inputs, true)
	if err != nil {
		return nil, nil, err
	}
	var labels map[string]string
	if len(p.Labels) > 0 {
		labels = make(map[string]string, len(p.Labels))
		for k, v := range p.Labels {
			labels[k] = v
		}
	}
	q := &ReleaseCreatedPayload{
		Name: p.Name, Version: p.Version, Process: proc, Inputs: inputs, Group: p.Group,
		Occurrence: p.Occurrence.UTC().Round(0), ScheduledFor: p.ScheduledFor.UTC().Round(0),
		ExpectedStart: p.ExpectedStart.UTC().Round(0), ExpectedEnd: p.ExpectedEnd.UTC().Round(0),
		Labels: labels, Initiator: p.Initiator,
	}
	appendTime := func(dst []byte, t time.Time) []byte {
		dst = append(dst, '"')
		dst = t.AppendFormat(dst, time.RFC3339Nano)
		return append(dst, '"')
	}
	dst = append(dst, `{"expected-end":`...)
	dst = appendTime(dst, q.ExpectedEnd)
	dst = append(dst, `,"expected-start":`...)
	dst = appendTime(dst, q.ExpectedStart)
	if q.Group != "" {
		dst = append(dst, `,"group":`...)
		if dst, err = appendJSONString(dst, string(q.Group)); err != nil {
			return nil, nil, err
		}
	}
	if q.Initiator != "" {
		dst = append(dst, `,"initiator":`...)
		if dst, err = appendJSONString(dst, q.Initiator); err != nil {
			return nil, nil, err
		}
	}
	if inputs != nil {
		dst = append(dst, `,"inputs":`...)
		dst = appendJSONValue(dst, inputs)
	}
	if labels != nil {
		keys := make([]string, 0, len(labels))
		for k := range labels {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, `,"labels":{`...)
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = appendJSONString(dst, k); err != nil {
				return nil, nil, err
			}
			dst = append(dst, ':')
			if dst, err = appendJSONString(dst, labels[k]); err != nil {
				return nil, nil, err
			}
		}
		dst = append(dst, '}')
	}
	dst = append(dst, `,"name":`...)
	if dst, err = appendJSONString(dst, q.Name); err != nil {
		return nil, nil, err
	}
	dst = append(dst, `,"occurrence":`...)
	dst = appendTime(dst, q.Occurrence)
	dst = append(dst, `,"process":`...)
	dst = append(dst, procJSON...)
	dst = append(dst, `,"scheduled-for":`...)
	dst = appendTime(dst, q.ScheduledFor)
	if q.Version != "" {
		dst = append(dst, `,"version":`...)
		if dst, err = appendJSONString(dst, q.Version); err != nil {
			return nil, nil, err
		}
	}
	return append(dst, '}'), q, nil
}
