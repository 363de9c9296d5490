package memstore

import (
	"context"
	"slices"
	"strings"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

var _ store.FreezeStore = (*Store)(nil)

// CreateFreeze implements store.FreezeStore.
func (s *Store) CreateFreeze(ctx context.Context, f *release.Freeze) (*release.Freeze, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if f == nil || f.ID == "" {
		return nil, errf(store.ErrInvalid, "create freeze: a freeze with an id is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.freezes[f.ID]; ok {
		return nil, errf(store.ErrAlreadyExists, "create freeze %s", f.ID)
	}
	if s.freezes == nil {
		s.freezes = map[release.FreezeID]*release.Freeze{}
	}
	c := f.Clone()
	c.Revision = 1
	s.freezes[f.ID] = c
	return c.Clone(), nil
}

// UpdateFreeze implements store.FreezeStore.
func (s *Store) UpdateFreeze(ctx context.Context, f *release.Freeze) (*release.Freeze, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if f == nil || f.ID == "" {
		return nil, errf(store.ErrInvalid, "update freeze: a freeze with an id is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.freezes[f.ID]
	if !ok {
		return nil, errf(store.ErrNotFound, "freeze %s", f.ID)
	}
	if old.Revision != f.Revision {
		return nil, errf(store.ErrConflict, "update freeze %s: revision %d given, stored %d", f.ID, f.Revision, old.Revision)
	}
	c := f.Clone()
	c.Revision++
	s.freezes[f.ID] = c
	return c.Clone(), nil
}

// GetFreeze implements store.FreezeStore.
func (s *Store) GetFreeze(ctx context.Context, id release.FreezeID) (*release.Freeze, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	f, ok := s.freezes[id]
	if !ok {
		return nil, errf(store.ErrNotFound, "freeze %s", id)
	}
	return f.Clone(), nil
}

// ListFreezes implements store.FreezeStore.
func (s *Store) ListFreezes(ctx context.Context, p *store.ListFreezesParams) (*store.FreezePage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListFreezesParams{}
	}
	after, err := decodeKeyCursor(p.Cursor)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	var all []*release.Freeze
	for id, f := range s.freezes {
		if string(id) <= after || (p.Enabled != nil && f.Enabled != *p.Enabled) {
			continue
		}
		all = append(all, f.Clone())
	}
	s.mu.RUnlock()
	slices.SortFunc(all, func(a, b *release.Freeze) int { return strings.Compare(string(a.ID), string(b.ID)) })
	page := &store.FreezePage{}
	page.Freezes, page.Next = pageOf(all, store.ClampLimit(p.Limit), func(f *release.Freeze) string { return encodeKeyCursor(string(f.ID)) })
	if page.Freezes == nil {
		page.Freezes = []*release.Freeze{}
	}
	return page, nil
}

// DeleteFreeze implements store.FreezeStore.
func (s *Store) DeleteFreeze(ctx context.Context, id release.FreezeID, revision int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.freezes[id]
	if !ok {
		return errf(store.ErrNotFound, "freeze %s", id)
	}
	if revision > 0 && f.Revision != revision {
		return errf(store.ErrConflict, "delete freeze %s: revision %d given, stored %d", id, revision, f.Revision)
	}
	delete(s.freezes, id)
	return nil
}
