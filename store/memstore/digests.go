package memstore

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"

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

// ListReleaseDigests implements store.DigestStore.
func (s *Store) ListReleaseDigests(ctx context.Context, p *store.ListReleaseDigestsParams) (*store.ReleaseDigestPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListReleaseDigestsParams{}
	}
	var after *releaseCursor
	if p.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		after = new(releaseCursor)
		if err != nil || json.Unmarshal(raw, after) != nil || after.ID == "" {
			return nil, errf(store.ErrInvalid, "list release digests: cursor %q", p.Cursor)
		}
	}
	lp := &store.ListReleasesParams{Group: p.Group, Process: p.Process, ScheduledFrom: p.ScheduledFrom, ScheduledTo: p.ScheduledTo}
	limit := store.ClampLimit(p.Limit)
	type entry struct {
		e   store.ReleaseDigestEntry
		key releaseCursor
	}
	var all []entry
	var err error
	s.mu.RLock()
	start := 0
	if after != nil {
		start, _ = slices.BinarySearchFunc(s.order, *after, func(r *storedRelease, k releaseCursor) int { return releaseBefore(r.key, k) })
		if start < len(s.order) && releaseBefore(s.order[start].key, *after) == 0 {
			start++
		}
	}
	for _, rec := range s.order[start:] {
		rec.mu.Lock()
		if matches(lp, &rec.summary) {
			if err = rec.checkLog(rec.key.ID); err == nil {
				e := store.ReleaseDigestEntry{Release: rec.key.ID, Status: rec.summary.Status}
				if rec.digest.data != nil && rec.digest.head == rec.head {
					e.Data, e.Seq, e.Hash = bytes.Clone(rec.digest.data), rec.head.Seq, rec.head.Hash
				}
				all = append(all, entry{e, rec.key})
			}
		}
		rec.mu.Unlock()
		if err != nil || len(all) > limit {
			break
		}
	}
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}
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
