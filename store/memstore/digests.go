package memstore

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

var _ store.DigestStore = (*Store)(nil)

// keptDigest is a release's digest (store.DigestStore) and the head it
// was computed at; data nil for none.
type keptDigest struct {
	head release.Head
	data []byte
}

// PutReleaseDigest implements store.DigestStore.
func (s *Store) PutReleaseDigest(ctx context.Context, p *store.PutReleaseDigestParams) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	switch {
	case p == nil || p.Release == "":
		return errf(store.ErrInvalid, "put release digest: Release: missing")
	case p.Seq < 1:
		return errf(store.ErrInvalid, "put release digest %s: Seq %d: want 1 or more", p.Release, p.Seq)
	case len(p.Data) == 0 || len(p.Data) > store.MaxDigestSize:
		return errf(store.ErrInvalid, "put release digest %s: Data: %d bytes, want 1 to %d", p.Release, len(p.Data), store.MaxDigestSize)
	}
	s.mu.RLock()
	rec := s.releases[p.Release]
	s.mu.RUnlock()
	if rec == nil {
		return errf(store.ErrNotFound, "release %s", p.Release)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	head := release.Head{Release: p.Release, Seq: p.Seq, Hash: p.Hash}
	if !rec.summary.Status.Terminal() {
		return errf(store.ErrConflict, "put release digest %s: the release is %s; digests are kept of ended releases", p.Release, rec.summary.Status)
	}
	if rec.head != head {
		return errf(store.ErrConflict, "put release digest %s: computed at seq %d (hash %s); the release's head is seq %d (hash %s)",
			p.Release, p.Seq, p.Hash, rec.head.Seq, rec.head.Hash)
	}
	rec.digest = keptDigest{head: head, data: bytes.Clone(p.Data)}
	return nil
}

// digestCursor is a ListReleaseDigests cursor: the last release of a page
// in the list's order.
type digestCursor struct {
	ScheduledFor time.Time  `json:"sched"`
	ID           release.ID `json:"id"`
}

func digestBefore(a, b digestCursor) int {
	return cmp.Or(a.ScheduledFor.Compare(b.ScheduledFor), strings.Compare(string(a.ID), string(b.ID)))
}

// ListReleaseDigests implements store.DigestStore. It walks every release
// and sorts those after the cursor that match (a test store: the durable
// stores read an index in the list's order).
func (s *Store) ListReleaseDigests(ctx context.Context, p *store.ListReleaseDigestsParams) (*store.ReleaseDigestPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListReleaseDigestsParams{}
	}
	var after *digestCursor
	if p.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		after = new(digestCursor)
		if err != nil || json.Unmarshal(raw, after) != nil || after.ID == "" {
			return nil, errf(store.ErrInvalid, "list release digests: cursor %q", p.Cursor)
		}
	}
	lp := &store.ListReleasesParams{Group: p.Group, Process: p.Process, ScheduledFrom: p.ScheduledFrom, ScheduledTo: p.ScheduledTo}
	limit := store.ClampLimit(p.Limit)
	type entry struct {
		e   store.ReleaseDigestEntry
		key digestCursor
	}
	var all []entry
	var err error
	s.mu.RLock()
	for _, rec := range s.order {
		rec.mu.Lock()
		key := digestCursor{rec.summary.ScheduledFor, rec.key.ID}
		if matches(lp, &rec.summary) && (after == nil || digestBefore(*after, key) < 0) {
			if err = rec.checkLog(rec.key.ID); err == nil {
				e := store.ReleaseDigestEntry{Release: rec.key.ID, Status: rec.summary.Status}
				if rec.digest.data != nil && rec.digest.head == rec.head {
					e.Data, e.Seq, e.Hash = bytes.Clone(rec.digest.data), rec.head.Seq, rec.head.Hash
				}
				all = append(all, entry{e, key})
			}
		}
		rec.mu.Unlock()
		if err != nil {
			break
		}
	}
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	slices.SortFunc(all, func(a, b entry) int { return digestBefore(a.key, b.key) })
	page := &store.ReleaseDigestPage{Releases: []store.ReleaseDigestEntry{}}
	for i, x := range all {
		if i == limit {
			raw, _ := json.Marshal(all[i-1].key)
			page.Next = base64.RawURLEncoding.EncodeToString(raw)
			break
		}
		page.Releases = append(page.Releases, x.e)
	}
	return page, nil
}
