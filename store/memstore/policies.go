package memstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

var _ store.PolicyStore = (*Store)(nil)

// PutPolicy implements store.PolicyStore.
func (s *Store) PutPolicy(ctx context.Context, p *release.Policy) (*release.Policy, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p == nil || p.ID == "" || p.Version < 0 {
		return nil, errf(store.ErrInvalid, "put policy: a policy with an id and a version of at least 0 is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	vs := s.policies[p.ID]
	switch {
	case p.Version == 0 && len(vs) > 0:
		return nil, errf(store.ErrAlreadyExists, "put policy %s", p.ID)
	case p.Version > 0 && len(vs) == 0:
		return nil, errf(store.ErrNotFound, "policy %s", p.ID)
	case p.Version > 0 && int64(len(vs)) != p.Version:
		return nil, errf(store.ErrConflict, "put policy %s: version %d given, latest %d", p.ID, p.Version, len(vs))
	}
	if s.policies == nil {
		s.policies = map[release.PolicyID][]*release.Policy{}
	}
	c := p.Clone()
	c.Version = int64(len(vs)) + 1
	s.policies[p.ID] = append(vs, c)
	return c.Clone(), nil
}

// GetPolicy implements store.PolicyStore.
func (s *Store) GetPolicy(ctx context.Context, id release.PolicyID, v int64) (*release.Policy, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	vs := s.policies[id]
	switch {
	case len(vs) == 0:
		return nil, errf(store.ErrNotFound, "policy %s", id)
	case v == 0:
		return vs[len(vs)-1].Clone(), nil
	case v < 0 || v > int64(len(vs)):
		return nil, errf(store.ErrNotFound, "policy %s version %d", id, v)
	}
	return vs[v-1].Clone(), nil
}

// ListPolicies implements store.PolicyStore.
func (s *Store) ListPolicies(ctx context.Context, p *store.ListPoliciesParams) (*store.PolicyPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListPoliciesParams{}
	}
	after, err := decodeKeyCursor(p.Cursor)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	var all []*release.Policy
	for id, vs := range s.policies {
		latest := vs[len(vs)-1]
		if string(id) <= after || (p.Enabled != nil && latest.Enabled != *p.Enabled) {
			continue
		}
		all = append(all, latest.Clone())
	}
	s.mu.RUnlock()
	slices.SortFunc(all, func(a, b *release.Policy) int { return strings.Compare(string(a.ID), string(b.ID)) })
	page := &store.PolicyPage{}
	page.Policies, page.Next = pageOf(all, store.ClampLimit(p.Limit), func(p *release.Policy) string { return encodeKeyCursor(string(p.ID)) })
	if page.Policies == nil {
		page.Policies = []*release.Policy{}
	}
	return page, nil
}

// ListPolicyVersions implements store.PolicyStore.
func (s *Store) ListPolicyVersions(ctx context.Context, p *store.ListPolicyVersionsParams) (*store.PolicyVersionPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p == nil || p.ID == "" {
		return nil, errf(store.ErrInvalid, "list policy versions: an id is required")
	}
	after, err := decodeKeyCursor(p.Cursor)
	if err != nil {
		return nil, err
	}
	var afterVersion int64
	if after != "" {
		if _, err := fmt.Sscanf(after, "%d", &afterVersion); err != nil {
			return nil, errf(store.ErrInvalid, "cursor %q", p.Cursor)
		}
	}
	s.mu.RLock()
	vs := s.policies[p.ID]
	var all []*release.Policy
	for _, v := range vs {
		if v.Version > afterVersion {
			all = append(all, v.Clone())
		}
	}
	s.mu.RUnlock()
	if len(vs) == 0 {
		return nil, errf(store.ErrNotFound, "policy %s", p.ID)
	}
	page := &store.PolicyVersionPage{}
	page.Policies, page.Next = pageOf(all, store.ClampLimit(p.Limit), func(v *release.Policy) string { return encodeKeyCursor(fmt.Sprint(v.Version)) })
	if page.Policies == nil {
		page.Policies = []*release.Policy{}
	}
	return page, nil
}
