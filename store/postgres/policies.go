package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

var _ store.PolicyStore = (*Store)(nil)

// PutPolicy implements store.PolicyStore: one INSERT of the next version,
// made only when the latest stored version is the one given; the primary
// key makes one of two writers of the same version fail.
func (s *Store) PutPolicy(ctx context.Context, p *release.Policy) (*release.Policy, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if p == nil || p.ID == "" || p.Version < 0 {
		return nil, errf(store.ErrInvalid, "put policy: a policy with an id and a version of at least 0 is required")
	}
	if err := checkText("put policy", "ID", string(p.ID)); err != nil {
		return nil, err
	}
	c := *p
	c.Version++
	doc, err := json.Marshal(&c)
	if err != nil {
		return nil, errf(store.ErrInvalid, "put policy %s: encoding: %v", p.ID, err)
	}
	id, given := string(c.ID), p.Version
	op := "put policy " + id
	q := `INSERT INTO _s.policies (id, version, enabled, doc) VALUES ($1, 1, $2, $3)`
	args := []any{id, c.Enabled, doc}
	if given > 0 {
		q = `INSERT INTO _s.policies (id, version, enabled, doc)
			SELECT $1, $4 + 1, $2, $3 WHERE (SELECT max(version) FROM _s.policies WHERE id = $1) = $4`
		args = append(args, given)
	}
	tag, err := s.pool.Exec(ctx, s.q(q), args...)
	if _, dup := uniqueViolation(err); dup {
		if given == 0 {
			return nil, errf(store.ErrAlreadyExists, "%s", op)
		}
		return nil, errf(store.ErrConflict, "%s: version %d given, another writer stored the next one", op, given)
	} else if err != nil {
		return nil, s.wrapDB(ctx, op, err)
	}
	if tag.RowsAffected() == 0 {
		var latest *int64
		if err := s.pool.QueryRow(ctx, s.q(`SELECT max(version) FROM _s.policies WHERE id = $1`), id).Scan(&latest); err != nil {
			return nil, s.wrapDB(ctx, op, err)
		}
		if latest == nil {
			return nil, errf(store.ErrNotFound, "policy %s", id)
		}
		return nil, errf(store.ErrConflict, "%s: version %d given, latest %d", op, given, *latest)
	}
	return decodeDoc[release.Policy]("policy", id, doc)
}

// GetPolicy implements store.PolicyStore.
func (s *Store) GetPolicy(ctx context.Context, id release.PolicyID, v int64) (*release.Policy, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if !storable(string(id)) {
		return nil, errf(store.ErrNotFound, "policy %q", id)
	}
	q, args := `SELECT doc FROM _s.policies WHERE id = $1 ORDER BY version DESC LIMIT 1`, []any{string(id)}
	if v != 0 {
		q, args = `SELECT doc FROM _s.policies WHERE id = $1 AND version = $2`, []any{string(id), v}
	}
	var doc []byte
	err := s.pool.QueryRow(ctx, s.q(q), args...).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errf(store.ErrNotFound, "policy %s version %d", id, v)
	} else if err != nil {
		return nil, s.wrapDB(ctx, "get policy "+string(id), err)
	}
	return decodeDoc[release.Policy]("policy", string(id), doc)
}

// ListPolicies implements store.PolicyStore: the latest version of each
// policy, in primary key order.
func (s *Store) ListPolicies(ctx context.Context, p *store.ListPoliciesParams) (*store.PolicyPage, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListPoliciesParams{}
	}
	after, err := decodeKeyCursor(p.Cursor)
	if err != nil {
		return nil, err
	}
	limit := store.ClampLimit(p.Limit)
	var q strings.Builder
	q.WriteString(`SELECT id, doc FROM (SELECT DISTINCT ON (id) id, enabled, doc FROM _s.policies WHERE id > $1 ORDER BY id, version DESC) latest WHERE true`)
	args := []any{after}
	if p.Enabled != nil {
		args = append(args, *p.Enabled)
		q.WriteString(` AND enabled = $` + strconv.Itoa(len(args)))
	}
	args = append(args, limit+1)
	q.WriteString(` ORDER BY id LIMIT $` + strconv.Itoa(len(args)))
	page := &store.PolicyPage{Policies: []*release.Policy{}}
	err = s.listDocs(ctx, "list policies", s.q(q.String()), args, limit, func(id string, doc []byte) error {
		pol, err := decodeDoc[release.Policy]("policy", id, doc)
		if err == nil {
			page.Policies = append(page.Policies, pol)
		}
		return err
	}, func(last string) { page.Next = encodeKeyCursor(last) })
	if err != nil {
		return nil, err
	}
	return page, nil
}

// ListPolicyVersions implements store.PolicyStore.
func (s *Store) ListPolicyVersions(ctx context.Context, p *store.ListPolicyVersionsParams) (*store.PolicyVersionPage, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if p == nil || p.ID == "" {
		return nil, errf(store.ErrInvalid, "list policy versions: an id is required")
	}
	if !storable(string(p.ID)) {
		return nil, errf(store.ErrNotFound, "policy %q", p.ID)
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
	page := &store.PolicyVersionPage{Policies: []*release.Policy{}}
	err = s.listDocs(ctx, "list policy versions",
		s.q(`SELECT version::text, doc FROM _s.policies WHERE id = $1 AND version > $2 ORDER BY version LIMIT $3`),
		[]any{string(p.ID), afterVersion, limit + 1}, limit, func(_ string, doc []byte) error {
			pol, err := decodeDoc[release.Policy]("policy", string(p.ID), doc)
			if err == nil {
				page.Policies = append(page.Policies, pol)
			}
			return err
		}, func(last string) { page.Next = encodeKeyCursor(last) })
	if err != nil {
		return nil, err
	}
	if len(page.Policies) == 0 {
		// Past the last version of a stored policy is an empty page; an
		// unknown policy is not found, with a cursor or without.
		var known bool
		if err := s.pool.QueryRow(ctx, s.q(`SELECT EXISTS (SELECT 1 FROM _s.policies WHERE id = $1)`), string(p.ID)).Scan(&known); err != nil {
			return nil, s.wrapDB(ctx, "list policy versions", err)
		}
		if !known {
			return nil, errf(store.ErrNotFound, "policy %s", p.ID)
		}
	}
	return page, nil
}
