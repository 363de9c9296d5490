package report

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// digestVersion is the version of the digest encoding; a digest of
// another version is computed again from the events.
const digestVersion = 2

// Digest is what delivery metrics need of one release, computed from its
// events (DigestOf). Stores that implement store.DigestStore keep it, so
// that metrics over many releases read one small record per release.
type Digest struct {
	Release      release.ID        `json:"release"`
	Seq          int64             `json:"seq"` // the last event it covers
	Process      process.ID        `json:"process"`
	Group        release.GroupID   `json:"group,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
	Status       release.Status    `json:"status"`
	ScheduledFor time.Time         `json:"scheduled-for"`
	StartedAt    time.Time         `json:"started-at"`
	EndedAt      time.Time         `json:"ended-at"` // zero until it ends
	// FirstCommit is when the earliest commit link was added to the
	// release or one of its activities; zero when it has none.
	FirstCommit time.Time `json:"first-commit"`
	// Deployments maps each environment the release has a deployment link
	// for to when the first one was added.
	Deployments map[string]time.Time `json:"deployments,omitempty"`
	// ApprovalCycles are the approval cycles, in the order they ended:
	// from an approval activity beginning to wait to its decision (it
	// succeeded, failed or went on hold). A wait that ended otherwise (a
	// skip, an abort) is not a cycle.
	ApprovalCycles []time.Duration `json:"approval-cycles,omitempty"`
	// OnHold is the time its activities spent on hold, summed; Waiting the
	// time they spent waiting on people.
	OnHold  time.Duration `json:"on-hold"`
	Waiting time.Duration `json:"waiting"`
}

// DigestOf computes the digest of the release whose complete event log is
// events. The chain is verified first (release.VerifyChain). Waits still
// open count up to the last event.
func DigestOf(events []release.Event) (*Digest, error) {
	if err := release.VerifyChain(events); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	t, err := newTrack(events)
	if err != nil {
		return nil, err
	}
	return t.digest(), nil
}

func (t *track) digest() *Digest {
	r := t.r
	d := &Digest{
		Release: r.ID, Seq: r.Seq, Process: r.ProcessID, Group: r.Group, Labels: maps.Clone(r.Labels),
		Status: r.Status, ScheduledFor: r.ScheduledFor, StartedAt: r.StartedAt,
		ApprovalCycles: t.cycles,
	}
	if r.Status.Terminal() {
		d.EndedAt = r.EndedAt
	}
	link := func(l *release.Link) {
		switch l.Kind {
		case release.LinkCommit:
			if d.FirstCommit.IsZero() || l.At.Before(d.FirstCommit) {
				d.FirstCommit = l.At
			}
		case release.LinkDeployment:
			if at, ok := d.Deployments[l.Environment]; !ok || l.At.Before(at) {
				if d.Deployments == nil {
					d.Deployments = map[string]time.Time{}
				}
				d.Deployments[l.Environment] = l.At
			}
		}
	}
	for i := range r.Links {
		link(&r.Links[i])
	}
	for k, a := range r.Activities {
		for i := range a.Links {
			link(&a.Links[i])
		}
		w, h := t.acts[k].upTo(t.last)
		d.Waiting += w
		d.OnHold += h
	}
	return d
}

// The digest encoding stores keep: a version byte, then the fields in
// order, strings as a uvarint length and bytes, numbers as varints (times
// in Unix nanoseconds, 0 for the zero time), maps and lists as a uvarint
// count and their items, maps in key order. Metrics over many releases
// decode one per release: it is a few allocations, where encoding/json
// took several microseconds.

// marshal encodes d as stores keep it.
func (d *Digest) marshal() ([]byte, error) {
	b := make([]byte, 0, 128)
	b = append(b, digestVersion)
	b = appendString(b, string(d.Release))
	b = binary.AppendVarint(b, d.Seq)
	b = appendString(b, string(d.Process))
	b = appendString(b, string(d.Group))
	b = binary.AppendUvarint(b, uint64(len(d.Labels)))
	for _, k := range slices.Sorted(maps.Keys(d.Labels)) {
		b = appendString(appendString(b, k), d.Labels[k])
	}
	b = appendString(b, string(d.Status))
	for _, t := range []time.Time{d.ScheduledFor, d.StartedAt, d.EndedAt, d.FirstCommit} {
		b = binary.AppendVarint(b, unixNano(t))
	}
	b = binary.AppendUvarint(b, uint64(len(d.Deployments)))
	for _, env := range slices.Sorted(maps.Keys(d.Deployments)) {
		b = binary.AppendVarint(appendString(b, env), unixNano(d.Deployments[env]))
	}
	b = binary.AppendUvarint(b, uint64(len(d.ApprovalCycles)))
	for _, c := range d.ApprovalCycles {
		b = binary.AppendVarint(b, int64(c))
	}
	b = binary.AppendVarint(b, int64(d.OnHold))
	b = binary.AppendVarint(b, int64(d.Waiting))
	return b, nil
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// errStaleDigest: a kept digest of another version or release.
var errStaleDigest = errors.New("report: digest of another version or release")

// errBadDigest: a kept digest that does not decode.
var errBadDigest = errors.New("report: digest does not decode")

// digestReader decodes the digest encoding; the first problem sticks.
type digestReader struct {
	b   []byte
	err error
}

func (r *digestReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err, r.b = errBadDigest, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *digestReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err, r.b = errBadDigest, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a count of items of at least min bytes each.
func (r *digestReader) count(min int) int {
	n := r.uvarint()
	if n > uint64(len(r.b)/min) {
		r.err, r.b = errBadDigest, nil
		return 0
	}
	return int(n)
}

func (r *digestReader) bytes() []byte {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.err, r.b = errBadDigest, nil
		return nil
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}

func (r *digestReader) string() string { return string(r.bytes()) }

// unmarshalDigest decodes a digest marshal wrote for release id at seq.
func unmarshalDigest(data []byte, id release.ID, seq int64) (*Digest, error) {
	var dec digestDecoder
	d, err := dec.decode(data, id, seq)
	if err != nil {
		return nil, err
	}
	out := *d
	return &out, nil
}

// digestDecoder decodes digests one after another into one Digest,
// reusing its maps and slice, and the strings it has met (processes,
// groups, label and environment names): so that metrics over many
// releases allocate next to nothing per release, and keep no digest alive.
type digestDecoder struct {
	d           Digest
	labels      map[string]string
	deployments map[string]time.Time
	cycles      []time.Duration
	strings     map[string]string
}

// str returns b as a string, the same string each time for equal bytes.
func (dec *digestDecoder) str(b []byte) string {
	if s, ok := dec.strings[string(b)]; ok { // no allocation to look up
		return s
	}
	if dec.strings == nil {
		dec.strings = map[string]string{}
	}
	if len(dec.strings) >= 4096 {
		return string(b) // too many distinct values to keep
	}
	s := string(b)
	dec.strings[s] = s
	return s
}

// decode decodes a digest marshal wrote for release id at seq. The Digest
// returned is valid until the next call.
func (dec *digestDecoder) decode(data []byte, id release.ID, seq int64) (*Digest, error) {
	if len(data) == 0 || data[0] != digestVersion {
		return nil, errStaleDigest
	}
	r := &digestReader{b: data[1:]}
	if rel := r.bytes(); string(rel) != string(id) || r.varint() != seq {
		return nil, errStaleDigest
	}
	d := &dec.d
	*d = Digest{Release: id, Seq: seq}
	clear(dec.labels)
	clear(dec.deployments)
	d.Process = process.ID(dec.str(r.bytes()))
	d.Group = release.GroupID(dec.str(r.bytes()))
	if n := r.count(2); n > 0 {
		if dec.labels == nil {
			dec.labels = make(map[string]string, n)
		}
		d.Labels = dec.labels
		for range n {
			k := dec.str(r.bytes())
			d.Labels[k] = dec.str(r.bytes())
		}
	}
	d.Status = statusOf(r.bytes())
	d.ScheduledFor, d.StartedAt = fromUnixNano(r.varint()), fromUnixNano(r.varint())
	d.EndedAt, d.FirstCommit = fromUnixNano(r.varint()), fromUnixNano(r.varint())
	if n := r.count(2); n > 0 {
		if dec.deployments == nil {
			dec.deployments = make(map[string]time.Time, n)
		}
		d.Deployments = dec.deployments
		for range n {
			env := dec.str(r.bytes())
			d.Deployments[env] = fromUnixNano(r.varint())
		}
	}
	if n := r.count(1); n > 0 {
		dec.cycles = slices.Grow(dec.cycles[:0], n)[:n]
		d.ApprovalCycles = dec.cycles
		for i := range d.ApprovalCycles {
			d.ApprovalCycles[i] = time.Duration(r.varint())
		}
	}
	d.OnHold, d.Waiting = time.Duration(r.varint()), time.Duration(r.varint())
	if r.err == nil && len(r.b) > 0 {
		r.err = errBadDigest
	}
	if r.err != nil {
		*d = Digest{}
		return nil, r.err
	}
	return d, nil
}

// statusOf returns the release status named b, without allocating for
// the known ones.
func statusOf(b []byte) release.Status {
	for _, s := range release.Statuses {
		if string(s) == string(b) {
			return s
		}
	}
	return release.Status(b)
}

// KeepDigest computes the digest of a release from its events and, when
// the release has ended and s keeps digests (store.DigestStore), keeps it
// there, so that the next Metrics reads it instead of the events. A host
// may call it when a release ends (from an executor observer); Metrics
// does it for every ended release it finds without one.
func KeepDigest(ctx context.Context, s store.ReleaseStore, id release.ID) (*Digest, error) {
	events, err := readEvents(ctx, s, id)
	if err != nil {
		return nil, err
	}
	d, err := DigestOf(events)
	if err != nil {
		return nil, err
	}
	if ds, ok := digestStore(s); ok && d.Status.Terminal() {
		last := events[len(events)-1]
		if err := keep(ctx, ds, d, last.Hash); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// keep puts d, computed at the head of hash, into ds. A release that moved
// on meanwhile (ErrConflict) keeps no digest: the next reader computes it.
func keep(ctx context.Context, ds store.DigestStore, d *Digest, hash release.Hash) error {
	data, err := d.marshal()
	if err != nil {
		return fmt.Errorf("report: release %s: encoding its digest: %w", d.Release, err)
	}
	err = ds.PutReleaseDigest(ctx, &store.PutReleaseDigestParams{Release: d.Release, Seq: d.Seq, Hash: hash, Data: data})
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("report: release %s: keeping its digest: %w", d.Release, err)
	}
	return nil
}

// digestStore finds the store.DigestStore of s, through Unwrap.
func digestStore(s store.ReleaseStore) (store.DigestStore, bool) {
	if ds, ok := s.(store.DigestStore); ok {
		return ds, true
	}
	if full, ok := s.(store.Store); ok {
		ds, ok, err := store.Find[store.DigestStore](full)
		return ds, ok && err == nil
	}
	return nil, false
}
