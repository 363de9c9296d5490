package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// digestVersion is the version of the digest encoding; a digest of
// another version is computed again from the events.
const digestVersion = 1

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

// wireDigest is a Digest as stores keep it: short keys, times in Unix
// nanoseconds.
type wireDigest struct {
	V            int               `json:"v"`
	Release      release.ID        `json:"id"`
	Seq          int64             `json:"q"`
	Process      process.ID        `json:"p"`
	Group        release.GroupID   `json:"g,omitempty"`
	Labels       map[string]string `json:"l,omitempty"`
	Status       release.Status    `json:"s"`
	ScheduledFor int64             `json:"sf"`
	StartedAt    int64             `json:"st,omitempty"`
	EndedAt      int64             `json:"en,omitempty"`
	FirstCommit  int64             `json:"c,omitempty"`
	Deployments  map[string]int64  `json:"d,omitempty"`
	Approvals    []int64           `json:"a,omitempty"`
	OnHold       int64             `json:"h,omitempty"`
	Waiting      int64             `json:"w,omitempty"`
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

// marshal encodes d as stores keep it.
func (d *Digest) marshal() ([]byte, error) {
	w := wireDigest{V: digestVersion, Release: d.Release, Seq: d.Seq, Process: d.Process, Group: d.Group, Labels: d.Labels,
		Status: d.Status, ScheduledFor: unixNano(d.ScheduledFor), StartedAt: unixNano(d.StartedAt), EndedAt: unixNano(d.EndedAt),
		FirstCommit: unixNano(d.FirstCommit), OnHold: int64(d.OnHold), Waiting: int64(d.Waiting)}
	if len(d.Deployments) > 0 {
		w.Deployments = make(map[string]int64, len(d.Deployments))
		for env, at := range d.Deployments {
			w.Deployments[env] = unixNano(at)
		}
	}
	for _, c := range d.ApprovalCycles {
		w.Approvals = append(w.Approvals, int64(c))
	}
	return json.Marshal(&w)
}

// errStaleDigest: a kept digest of another version or release.
var errStaleDigest = errors.New("report: digest of another version")

// unmarshalDigest decodes a digest marshal wrote for release id at seq.
func unmarshalDigest(data []byte, id release.ID, seq int64) (*Digest, error) {
	var w wireDigest
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, err
	}
	if w.V != digestVersion || w.Release != id || w.Seq != seq {
		return nil, errStaleDigest
	}
	d := &Digest{Release: w.Release, Seq: w.Seq, Process: w.Process, Group: w.Group, Labels: w.Labels, Status: w.Status,
		ScheduledFor: fromUnixNano(w.ScheduledFor), StartedAt: fromUnixNano(w.StartedAt), EndedAt: fromUnixNano(w.EndedAt),
		FirstCommit: fromUnixNano(w.FirstCommit), OnHold: time.Duration(w.OnHold), Waiting: time.Duration(w.Waiting)}
	if len(w.Deployments) > 0 {
		d.Deployments = make(map[string]time.Time, len(w.Deployments))
		for env, at := range w.Deployments {
			d.Deployments[env] = fromUnixNano(at)
		}
	}
	for _, c := range w.Approvals {
		d.ApprovalCycles = append(d.ApprovalCycles, time.Duration(c))
	}
	return d, nil
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
