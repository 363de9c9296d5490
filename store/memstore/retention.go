package memstore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// endedCursor is the place of a release in ListEnded's order.
type endedCursor struct {
	EndedAt time.Time  `json:"t"`
	ID      release.ID `json:"id"`
}

func endedBefore(a, b endedCursor) int {
	if c := a.EndedAt.Compare(b.EndedAt); c != 0 {
		return c
	}
	return strings.Compare(string(a.ID), string(b.ID))
}

// ListEnded implements store.RetentionStore. It walks every release: the
// in-memory store keeps no index of end times.
func (s *Store) ListEnded(ctx context.Context, p *store.ListEndedParams) (*store.ReleasePage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p == nil || p.EndedBefore.IsZero() {
		return nil, errf(store.ErrInvalid, "list ended releases: EndedBefore: missing")
	}
	var after *endedCursor
	if p.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		after = new(endedCursor)
		if err != nil || json.Unmarshal(raw, after) != nil || after.ID == "" {
			return nil, errf(store.ErrInvalid, "list ended releases: cursor %q", p.Cursor)
		}
	}
	limit := store.ClampLimit(p.Limit)
	var all []release.Summary
	var err error
	s.mu.RLock()
	for _, rec := range s.order {
		rec.mu.Lock()
		sum := &rec.summary
		ok := sum.Status.Terminal() && sum.EndedAt.Before(p.EndedBefore) &&
			(p.Process == "" || sum.ProcessID == p.Process) && (p.Group == "" || sum.Group == p.Group) &&
			!slices.Contains(p.ExcludeProcesses, sum.ProcessID) &&
			(sum.Group == "" || !slices.Contains(p.ExcludeGroups, sum.Group)) &&
			(after == nil || endedBefore(endedCursor{sum.EndedAt, sum.ID}, *after) > 0)
		if ok {
			if err = rec.checkSummary(rec.key.ID); err == nil {
				all = append(all, sum.Clone())
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
	slices.SortFunc(all, func(a, b release.Summary) int {
		return endedBefore(endedCursor{a.EndedAt, a.ID}, endedCursor{b.EndedAt, b.ID})
	})
	page := &store.ReleasePage{}
	page.Releases, page.Next = pageOf(all, limit, func(v release.Summary) string {
		raw, _ := json.Marshal(endedCursor{v.EndedAt, v.ID})
		return base64.RawURLEncoding.EncodeToString(raw)
	})
	return page, nil
}

// DeleteRelease implements store.RetentionStore.
func (s *Store) DeleteRelease(ctx context.Context, p *store.DeleteReleaseParams) (*store.Deletion, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p == nil || p.Release == "" || p.Actor == "" || p.Now.IsZero() {
		return nil, errf(store.ErrInvalid, "delete release: Release, Actor and Now are required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rec := s.releases[p.Release]
	if rec == nil {
		return nil, errf(store.ErrNotFound, "delete release %s", p.Release)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if err := rec.checkSummary(p.Release); err != nil {
		return nil, err
	}
	sum := &rec.summary
	if !sum.Status.Terminal() {
		return nil, &store.NotFinishedError{Release: p.Release, Status: sum.Status}
	}
	if rec.head.Seq != p.ExpectedSeq {
		return nil, errf(store.ErrConflict, "delete release %s: expected seq %d, stored %d", p.Release, p.ExpectedSeq, rec.head.Seq)
	}
	d := store.Deletion{
		Seq:     int64(len(s.deletions)) + 1,
		Release: p.Release, Name: sum.Name, Process: sum.ProcessID, ProcessVersion: sum.ProcessVersion,
		Group: sum.Group, Occurrence: sum.Occurrence, Status: sum.Status,
		CreatedAt: sum.CreatedAt, EndedAt: sum.EndedAt, Labels: maps.Clone(sum.Labels), Head: rec.head,
		DeletedAt: p.Now, Actor: p.Actor, Rule: p.Rule, Reason: p.Reason, Archive: p.Archive,
	}
	if n := len(rec.anchors); n > 0 {
		a := rec.anchors[n-1].Clone()
		d.Anchor = &a
	}
	s.deletions = append(s.deletions, d)
	if s.deleted == nil {
		s.deleted = map[release.ID]bool{}
	}
	s.deleted[p.Release] = true
	rec.gone = true
	// The feed may still point at rec: it skips it (gone); the data goes.
	rec.events, rec.anchors, rec.snapshot = nil, nil, nil
	s.links.remove(p.Release) // under rec.mu, as appends keep it
	delete(s.releases, p.Release)
	if i, ok := slices.BinarySearchFunc(s.order, rec.key, func(r *storedRelease, k releaseCursor) int { return releaseBefore(r.key, k) }); ok {
		s.order = slices.Delete(s.order, i, i+1)
	}
	// The occurrence stays in s.occurs: it stays taken.
	delete(s.leases, "release/"+string(p.Release))
	out := d.Clone()
	return &out, nil
}

// ListDeletions implements store.RetentionStore.
func (s *Store) ListDeletions(ctx context.Context, p *store.ListDeletionsParams) (*store.DeletionPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListDeletionsParams{}
	}
	after := int64(0)
	if p.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		if err == nil {
			after, err = strconv.ParseInt(string(raw), 10, 64)
		}
		if err != nil || after < 1 {
			return nil, errf(store.ErrInvalid, "list deletions: cursor %q", p.Cursor)
		}
	}
	limit := store.ClampLimit(p.Limit)
	var all []store.Deletion
	s.mu.RLock()
	for _, d := range s.deletions[min(after, int64(len(s.deletions))):] {
		if p.Release != "" && d.Release != p.Release {
			continue
		}
		all = append(all, d.Clone())
		if len(all) > limit {
			break
		}
	}
	s.mu.RUnlock()
	page := &store.DeletionPage{}
	page.Deletions, page.Next = pageOf(all, limit, func(d store.Deletion) string {
		return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(d.Seq, 10)))
	})
	return page, nil
}

// remove drops the links of release id from the index, except its
// succeeded deployment links: they stay, the record of what ran where
// (store.RetentionStore).
func (x *linkIndex) remove(id release.ID) {
	x.mu.Lock()
	defer x.mu.Unlock()
	recs := x.byRelease[id]
	if len(recs) == 0 {
		return
	}
	var kept []*store.LinkRecord
	gone := map[*store.LinkRecord]bool{}
	for _, rec := range recs {
		if keptAfterDeletion(rec) {
			kept = append(kept, rec)
		} else {
			gone[rec] = true
		}
	}
	if len(kept) == 0 {
		delete(x.byRelease, id)
	} else {
		x.byRelease[id] = kept
	}
	isGone := func(r *store.LinkRecord) bool { return gone[r] }
	for rec := range gone {
		l := &rec.Link
		if l.Ref != "" {
			if x.byRef[l.Ref] = slices.DeleteFunc(x.byRef[l.Ref], isGone); len(x.byRef[l.Ref]) == 0 {
				delete(x.byRef, l.Ref)
			}
		}
		if l.URL != "" {
			if x.byURL[l.URL] = slices.DeleteFunc(x.byURL[l.URL], isGone); len(x.byURL[l.URL]) == 0 {
				delete(x.byURL, l.URL)
			}
		}
		if l.Kind == release.LinkDeployment {
			k := envService{l.Environment, l.Service}
			if x.deployments[k] = slices.DeleteFunc(x.deployments[k], isGone); len(x.deployments[k]) == 0 {
				delete(x.deployments, k)
			}
		}
	}
}

// keptAfterDeletion reports whether a deleted release's link stays in the
// index: a deployment that succeeded.
func keptAfterDeletion(rec *store.LinkRecord) bool {
	return rec.Link.Kind == release.LinkDeployment && rec.Succeeded
}
