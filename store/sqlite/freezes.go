package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

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
	c := *f
	c.Revision = 1
	doc, err := json.Marshal(&c)
	if err != nil {
		return nil, errf(store.ErrInvalid, "create freeze %s: encoding: %v", f.ID, err)
	}
	id := string(c.ID)
	err = s.write(ctx, func(w *wtx) error {
		var one int
		err := w.queryRow(`SELECT 1 FROM freezes WHERE id = ?`, []any{id}, &one)
		if err == nil {
			return errf(store.ErrAlreadyExists, "create freeze %s", id)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return wrapDB("create freeze "+id, err)
		}
		return wrapDB("create freeze "+id, w.exec(`INSERT INTO freezes (id, enabled, revision, doc) VALUES (?, ?, 1, ?)`, id, c.Enabled, doc))
	})
	if err != nil {
		return nil, err
	}
	return decodeDoc[release.Freeze]("freeze", id, doc)
}

// UpdateFreeze implements store.FreezeStore.
func (s *Store) UpdateFreeze(ctx context.Context, f *release.Freeze) (*release.Freeze, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if f == nil || f.ID == "" {
		return nil, errf(store.ErrInvalid, "update freeze: a freeze with an id is required")
	}
	c := *f
	c.Revision++
	doc, err := json.Marshal(&c)
	if err != nil {
		return nil, errf(store.ErrInvalid, "update freeze %s: encoding: %v", f.ID, err)
	}
	id, given := string(c.ID), f.Revision
	err = s.write(ctx, func(w *wtx) error {
		if err := freezeAt(w, "update", id, given); err != nil {
			return err
		}
		return wrapDB("update freeze "+id, w.exec(`UPDATE freezes SET enabled = ?, revision = ?, doc = ? WHERE id = ?`, c.Enabled, c.Revision, doc, id))
	})
	if err != nil {
		return nil, err
	}
	return decodeDoc[release.Freeze]("freeze", id, doc)
}

// GetFreeze implements store.FreezeStore.
func (s *Store) GetFreeze(ctx context.Context, id release.FreezeID) (*release.Freeze, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	var doc []byte
	err := s.rdb.QueryRowContext(ctx, `SELECT doc FROM freezes WHERE id = ?`, string(id)).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errf(store.ErrNotFound, "freeze %s", id)
	} else if err != nil {
		return nil, s.readErr(ctx, "get freeze "+string(id), err)
	}
	return decodeDoc[release.Freeze]("freeze", string(id), doc)
}

// ListFreezes implements store.FreezeStore, in primary key order.
func (s *Store) ListFreezes(ctx context.Context, p *store.ListFreezesParams) (*store.FreezePage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if p == nil {
		p = &store.ListFreezesParams{}
	}
	after, err := decodeKeyCursor(p.Cursor)
	if err != nil {
		return nil, err
	}
	limit := store.ClampLimit(p.Limit)
	q, args := `SELECT id, doc FROM freezes WHERE id > ?`, []any{after}
	if p.Enabled != nil {
		q += ` AND enabled = ?`
		args = append(args, *p.Enabled)
	}
	rows, err := s.rdb.QueryContext(ctx, q+` ORDER BY id LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, s.readErr(ctx, "list freezes", err)
	}
	defer rows.Close()
	page := &store.FreezePage{Freezes: []*release.Freeze{}}
	for rows.Next() {
		if len(page.Freezes) == limit {
			page.Next = encodeKeyCursor(string(page.Freezes[limit-1].ID))
			break
		}
		var id string
		var doc []byte
		if err := rows.Scan(&id, &doc); err != nil {
			return nil, s.readErr(ctx, "list freezes", err)
		}
		f, err := decodeDoc[release.Freeze]("freeze", id, doc)
		if err != nil {
			return nil, err
		}
		page.Freezes = append(page.Freezes, f)
	}
	if err := s.rowsErr(ctx, "list freezes", rows); err != nil {
		return nil, err
	}
	return page, nil
}

// DeleteFreeze implements store.FreezeStore.
func (s *Store) DeleteFreeze(ctx context.Context, id release.FreezeID, revision int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.write(ctx, func(w *wtx) error {
		if revision > 0 {
			if err := freezeAt(w, "delete", string(id), revision); err != nil {
				return err
			}
		}
		return deleteRow(w, `DELETE FROM freezes WHERE id = ?`, string(id), "freeze "+string(id))
	})
}

// freezeAt checks, in w, that freeze id is stored at revision given, for
// op ("update", "delete").
func freezeAt(w *wtx, op, id string, given int64) error {
	var rev int64
	err := w.queryRow(`SELECT revision FROM freezes WHERE id = ?`, []any{id}, &rev)
	if errors.Is(err, sql.ErrNoRows) {
		return errf(store.ErrNotFound, "%s freeze %s", op, id)
	} else if err != nil {
		return wrapDB(op+" freeze "+id, err)
	}
	if rev != given {
		return errf(store.ErrConflict, "%s freeze %s: revision %d given, stored %d", op, id, given, rev)
	}
	return nil
}
