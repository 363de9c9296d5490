package memstore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// ListUnfinished implements store.UnfinishedLister. It walks the releases
// in (CreatedAt, ID) order from the cursor.
func (s *Store) ListUnfinished(ctx context.Context, p *store.ListUnfinishedParams) (*store.UnfinishedPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListUnfinishedParams{}
	}
	var after *releaseCursor
	if p.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		after = new(releaseCursor)
		if err != nil || json.Unmarshal(raw, after) != nil || after.ID == "" {
			return nil, errf(store.ErrInvalid, "list unfinished releases: cursor %q", p.Cursor)
		}
	}
	limit := store.ClampLimit(p.Limit)
	s.mu.RLock()
	start := 0
	if after != nil {
		start, _ = slices.BinarySearchFunc(s.order, *after, func(r *storedRelease, k releaseCursor) int { return releaseBefore(r.key, k) })
		if start < len(s.order) && releaseBefore(s.order[start].key, *after) == 0 {
			start++
		}
	}
	var all []store.Unfinished
	for _, rec := range s.order[start:] {
		rec.mu.Lock()
		switch st := rec.summary.Status; st {
		case release.Scheduled, release.Running, release.Paused:
			all = append(all, store.Unfinished{ID: rec.key.ID, CreatedAt: rec.key.CreatedAt, Status: st, Seq: rec.head.Seq, Resume: rec.resume})
		}
		rec.mu.Unlock()
		if len(all) > limit {
			break
		}
	}
	s.mu.RUnlock()
	page := &store.UnfinishedPage{}
	page.Releases, page.Next = pageOf(all, limit, func(v store.Unfinished) string {
		raw, _ := json.Marshal(releaseCursor{v.CreatedAt, v.ID})
		return base64.RawURLEncoding.EncodeToString(raw)
	})
	return page, nil
}
