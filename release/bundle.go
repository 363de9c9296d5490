package release

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxBundleSize is the largest bundle ReadBundle decodes, in bytes.
const MaxBundleSize = 1 << 30

// WriteBundle writes b to w in its file form: the JSON of b, one line. A
// finished release's bundle is its whole audit record (its pinned process
// is in its release.created event), checkable with CheckBundle alone and,
// when its heads were anchored, with VerifyBundle and the key.
func WriteBundle(w io.Writer, b *Bundle) error {
	if b == nil {
		return errors.New("release: write bundle: bundle is nil")
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(b); err != nil {
		return fmt.Errorf("release: write bundle %s: %w", b.Release, err)
	}
	return nil
}

// ReadBundle decodes a bundle written by WriteBundle (or the JSON of a
// Bundle): one JSON object with the fields of Bundle and no others, and
// nothing after it but white space. It does not check the bundle: call
// CheckBundle or VerifyBundle. It refuses input larger than MaxBundleSize.
func ReadBundle(r io.Reader) (*Bundle, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBundleSize+1))
	if err != nil {
		return nil, fmt.Errorf("release: read bundle: %w", err)
	}
	if len(data) > MaxBundleSize {
		return nil, fmt.Errorf("release: read bundle: larger than %d bytes", MaxBundleSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	b := new(Bundle)
	if err := dec.Decode(b); err != nil {
		return nil, fmt.Errorf("release: read bundle: at byte %d: %w", dec.InputOffset(), err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("release: read bundle: at byte %d: data after the bundle", dec.InputOffset())
	}
	if b.Release == "" {
		return nil, errors.New("release: read bundle: release: missing")
	}
	return b, nil
}

// CheckBundle checks b by itself, without a key: its events are the
// release's log from seq 1, one unbroken chain (hashes recomputed,
// VerifyChain), each of the release; and each anchor, in seq order,
// names the release and seals the hash of the event at its seq. It returns
// nil, or an error matching ErrChainBroken for the chain or ErrAnchor for
// an anchor.
//
// A chain can be recomputed whole by whoever rewrites it: CheckBundle
// shows that the bundle is the intact record of some history, and
// VerifyBundle, with the key that sealed the anchors, that it is the one
// that was sealed. Like VerifyBundle, it cannot tell a bundle cut short
// from a release that had not gone further: compare the last event with
// the one you expect (the head a deletion record names, say), and see
// EndedBy.
func CheckBundle(b *Bundle) error {
	if b == nil {
		return errors.New("release: check bundle: bundle is nil")
	}
	if len(b.Events) == 0 {
		return fmt.Errorf("release: check bundle %s: %w", b.Release, &ChainError{Seq: 1, Problem: Removed, Detail: "no events"})
	}
	if err := VerifyChainFrom(Head{Release: b.Release}, b.Events); err != nil {
		return fmt.Errorf("release: check bundle %s: %w", b.Release, err)
	}
	last := b.Events[len(b.Events)-1].Seq
	prev := int64(0)
	for i := range b.Anchors {
		a := &b.Anchors[i]
		switch {
		case a.Release != b.Release:
			return anchorErr(a, "anchor %d belongs to release %s", i, a.Release)
		case a.Seq <= prev || a.Seq > last:
			return anchorErr(a, "anchor %d: seq out of order or past the last event (%d)", i, last)
		case b.Events[a.Seq-1].Hash != a.Hash:
			return anchorErr(a, "the event at seq %d has hash %s, the anchor seals %s", a.Seq, b.Events[a.Seq-1].Hash, a.Hash)
		}
		prev = a.Seq
	}
	return nil
}

// EndedBy returns the event of b that ended the release (a
// release.succeeded, partially-succeeded, failed, aborted or rolled-back
// event), and false when there is none: the release had not ended when the
// bundle was made. Events may follow it (a comment on a finished release).
func (b *Bundle) EndedBy() (Event, bool) {
	if b == nil {
		return Event{}, false
	}
	for i := len(b.Events) - 1; i >= 0; i-- {
		switch e := b.Events[i]; e.Kind {
		case KindReleaseSucceeded, KindReleasePartiallySucceeded, KindReleaseFailed, KindReleaseAborted, KindReleaseRolledBack:
			return e, true
		}
	}
	return Event{}, false
}
