package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"

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
	c := *p
	c.Version++
	doc, err := json.Marshal(&c)
	if err != nil {
		return nil, errf(store.ErrInvalid, "put policy %s: encoding: %v", p.ID, err)
	}
	id, given := string(c.ID), p.Version
	err = s.write(ctx, func(w *wtx) error {
		var latest sql.NullInt64
		if err := w.queryRow(`SELECT max(version) FROM policies WHERE id = ?`, []any{id}, &latest); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return wrapDB("put policy "+id, err)
		}
		switch {
		case given == 0 && latest.Valid:
			return errf(store.ErrAlreadyExists, "put policy %s", id)
		case given > 0 && !latest.Valid:
			return errf(store.ErrNotFound, "policy %s", id)
		case given > 0 && latest.Int64 != given:
			return errf(store.ErrConflict, "put policy %s: version %d given, latest %d", id, given, latest.Int64)
		}
		return wrapDB("put policy "+id, w.exec(`INSERT INTO policies (id, version, enabled, doc) VALUES (?, ?, ?, ?)`, id, c.Version, c.Enabled, doc))
	})
	if err != nil {
		return nil, err
	}
	return decodeDoc[release.Policy]("policy", id, doc)
}

// GetPolicy implements store.PolicyStore.
func (s *Store) GetPolicy(ctx context.Context, id release.PolicyID, v int64) (*release.Policy, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	q, args := `SELECT doc FROM policies WHERE id = ? ORDER BY version DESC LIMIT 1`, []any{string(id)}
	if v != 0 {
		q, args = `SELECT doc FROM policies WHERE id = ? AND version = ?`, []any{string(id), v}
	}
	var doc []byte
	err := s.rdb.QueryRowContext(ctx, q, args...).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errf(store.ErrNotFound, "policy %s version %d", id, v)
	} else if err != nil {
		return nil, s.readErr(ctx, "get policy "+string(id), err)
	}
	return decodeDoc[release.Policy]("policy", string(id), doc)
}

// ListPolicies implements store.PolicyStore: the latest version of each
// policy, in primary key order.
func (s *Store) ListPolicies(ctx context.Context, p *store.ListPoliciesParams) (*store.PolicyPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if p == nil {
		p = &store.ListPoliciesParams{}
	}
	after, err := decodeKeyCursor(p.Cursor)
	if err != nil {
		return nil, err
	}
	limit := store.ClampLimit(p.Limit)
	q := `SELECT p.id, p.doc FROM policies p WHERE p.id > ? AND p.version = (SELECT max(version) FROM policies WHERE id = p.id)`
	args := []any{after}
	if p.Enabled != nil {
		q += ` AND p.enabled = ?`
		args = append(args, *p.Enabled)
	}
	rows, err := s.rdb.QueryContext(ctx, q+` ORDER BY p.id LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, s.readErr(ctx, "list policies", err)
	}
	defer rows.Close()
	page := &store.PolicyPage{Policies: []*release.Policy{}}
	for rows.Next() {
		if len(page.Policies) == limit {
			page.Next = encodeKeyCursor(string(page.Policies[limit-1].ID))
			break
		}
		var id string
		var doc []byte
		if err := rows.Scan(&id, &doc); err != nil {
			return nil, s.readErr(ctx, "list policies", err)
		}
		pol, err := decodeDoc[release.Policy]("policy", id, doc)
		if err != nil {
			return nil, err
		}
		page.Policies = append(page.Policies, pol)
	}
	if err := s.rowsErr(ctx, "list policies", rows); err != nil {
		return nil, err
	}
	return page, nil
}

// ListPolicyVersions implements store.PolicyStore.
func (s *Store) ListPolicyVersions(ctx context.Context, p *store.ListPolicyVersionsParams) (*store.PolicyVersionPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
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
		if afterVersion, err = strconv.ParseInt(after, 10, 64); err != nil {
			return nil, errf(store.ErrInvalid, "cursor %q", p.Cursor)
		}
	}
	limit := store.ClampLimit(p.Limit)
	rows, err := s.rdb.QueryContext(ctx, `SELECT doc FROM policies WHERE id = ? AND version > ? ORDER BY version LIMIT ?`, string(p.ID), afterVersion, limit+1)
	if err != nil {
		return nil, s.readErr(ctx, "list policy versions", err)
	}
	defer rows.Close()
	page := &store.PolicyVersionPage{Policies: []*release.Policy{}}
	for rows.Next() {
		if len(page.Policies) == limit {
			page.Next = encodeKeyCursor(strconv.FormatInt(page.Policies[limit-1].Version, 10))
			break
		}
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return nil, s.readErr(ctx, "list policy versions", err)
		}
		pol, err := decodeDoc[release.Policy]("policy", string(p.ID), doc)
		if err != nil {
			return nil, err
		}
		page.Policies = append(page.Policies, pol)
	}
	if err := s.rowsErr(ctx, "list policy versions", rows); err != nil {
		return nil, err
	}
	if len(page.Policies) == 0 {
		// Past the last version of a stored policy is an empty page; an
		// unknown policy is not found, with a cursor or without.
		var known bool
		if err := s.rdb.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM policies WHERE id = ?)`, string(p.ID)).Scan(&known); err != nil {
			return nil, s.readErr(ctx, "list policy versions", err)
		}
		if !known {
			return nil, errf(store.ErrNotFound, "policy %s", p.ID)
		}
	}
	return page, nil
}
