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

var _ store.FreezeStore = (*Store)(nil)

// CreateFreeze implements store.FreezeStore.
func (s *Store) CreateFreeze(ctx context.Context, f *release.Freeze) (*release.Freeze, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if f == nil || f.ID == "" {
		return nil, errf(store.ErrInvalid, "create freeze: a freeze with an id is required")
	}
	if err := checkText("create freeze", "ID", string(f.ID)); err != nil {
		return nil, err
	}
	c := *f
	c.Revision = 1
	doc, err := json.Marshal(&c)
	if err != nil {
		return nil, errf(store.ErrInvalid, "create freeze %s: encoding: %v", f.ID, err)
	}
	id := string(c.ID)
	_, err = s.pool.Exec(ctx, s.q(`INSERT INTO _s.freezes (id, enabled, revision, doc) VALUES ($1, $2, 1, $3)`), id, c.Enabled, doc)
	if _, dup := uniqueViolation(err); dup {
		return nil, errf(store.ErrAlreadyExists, "create freeze %s", id)
	} else if err != nil {
		return nil, s.wrapDB(ctx, "create freeze "+id, err)
	}
	return decodeDoc[release.Freeze]("freeze", id, doc)
}

// UpdateFreeze implements store.FreezeStore: one UPDATE that names the
// revision it replaces.
func (s *Store) UpdateFreeze(ctx context.Context, f *release.Freeze) (*release.Freeze, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if f == nil || f.ID == "" {
		return nil, errf(store.ErrInvalid, "update freeze: a freeze with an id is required")
	}
	if !storable(string(f.ID)) {
		return nil, errf(store.ErrNotFound, "update freeze %q", f.ID)
	}
	c := *f
	c.Revision++
	doc, err := json.Marshal(&c)
	if err != nil {
		return nil, errf(store.ErrInvalid, "update freeze %s: encoding: %v", f.ID, err)
	}
	id, given := string(c.ID), f.Revision
	op := "update freeze " + id
	tag, err := s.pool.Exec(ctx, s.q(`UPDATE _s.freezes SET enabled = $2, revision = $3, doc = $4
		WHERE id = $1 AND revision = $5`), id, c.Enabled, c.Revision, doc, given)
	if err != nil {
		return nil, s.wrapDB(ctx, op, err)
	}
	if tag.RowsAffected() == 0 {
		return nil, s.freezeMissed(ctx, "update", id, given)
	}
	return decodeDoc[release.Freeze]("freeze", id, doc)
}

// GetFreeze implements store.FreezeStore.
func (s *Store) GetFreeze(ctx context.Context, id release.FreezeID) (*release.Freeze, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if !storable(string(id)) {
		return nil, errf(store.ErrNotFound, "freeze %q", id)
	}
	var doc []byte
	err := s.pool.QueryRow(ctx, s.q(`SELECT doc FROM _s.freezes WHERE id = $1`), string(id)).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errf(store.ErrNotFound, "freeze %s", id)
	} else if err != nil {
		return nil, s.wrapDB(ctx, "get freeze "+string(id), err)
	}
	return decodeDoc[release.Freeze]("freeze", string(id), doc)
}

// ListFreezes implements store.FreezeStore, in primary key order.
func (s *Store) ListFreezes(ctx context.Context, p *store.ListFreezesParams) (*store.FreezePage, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListFreezesParams{}
	}
	after, err := decodeKeyCursor(p.Cursor)
	if err != nil {
		return nil, err
	}
	limit := store.ClampLimit(p.Limit)
	var q strings.Builder
	q.WriteString(`SELECT id, doc FROM _s.freezes WHERE id > $1`)
	args := []any{after}
	if p.Enabled != nil {
		args = append(args, *p.Enabled)
		q.WriteString(` AND enabled = $` + strconv.Itoa(len(args)))
	}
	args = append(args, limit+1)
	q.WriteString(` ORDER BY id LIMIT $` + strconv.Itoa(len(args)))
	freezes, next, err := listDocs[release.Freeze](ctx, s, "list freezes", "freeze", "", s.q(q.String()), args, limit)
	if err != nil {
		return nil, err
	}
	return &store.FreezePage{Freezes: freezes, Next: next}, nil
}

// DeleteFreeze implements store.FreezeStore.
func (s *Store) DeleteFreeze(ctx context.Context, id release.FreezeID, revision int64) error {
	if revision <= 0 {
		return s.deleteRow(ctx, `DELETE FROM _s.freezes WHERE id = $1`, string(id), "freeze "+string(id))
	}
	if err := s.ready(ctx); err != nil {
		return err
	}
	if !storable(string(id)) {
		return errf(store.ErrNotFound, "delete freeze %s", id)
	}
	tag, err := s.pool.Exec(ctx, s.q(`DELETE FROM _s.freezes WHERE id = $1 AND revision = $2`), string(id), revision)
	if err != nil {
		return s.wrapDB(ctx, "delete freeze "+string(id), err)
	}
	if tag.RowsAffected() == 0 {
		return s.freezeMissed(ctx, "delete", string(id), revision)
	}
	return nil
}

// freezeMissed says why a conditional write of freeze id at revision
// given changed no row: it is not stored (ErrNotFound), or at another
// revision (ErrConflict).
func (s *Store) freezeMissed(ctx context.Context, op, id string, given int64) error {
	var rev int64
	err := s.pool.QueryRow(ctx, s.q(`SELECT revision FROM _s.freezes WHERE id = $1`), id).Scan(&rev)
	if errors.Is(err, pgx.ErrNoRows) {
		return errf(store.ErrNotFound, "%s freeze %s", op, id)
	} else if err != nil {
		return s.wrapDB(ctx, op+" freeze "+id, err)
	}
	return errf(store.ErrConflict, "%s freeze %s: revision %d given, stored %d", op, id, given, rev)
}
