package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// ---- input sets ----

// PutInputSet implements store.InputSetStore.
func (s *Store) PutInputSet(ctx context.Context, set *process.InputSet) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if set == nil || set.ID == "" || set.Process == "" {
		return errf(store.ErrInvalid, "put input set: an input set with an id and a process is required")
	}
	doc, err := json.Marshal(set)
	if err != nil {
		return errf(store.ErrInvalid, "put input set %s: encoding: %v", set.ID, err)
	}
	id, proc := set.ID, string(set.Process)
	return s.write(ctx, func(w *wtx) error {
		return wrapDB("put input set "+id, w.exec(`INSERT INTO input_sets (id, process_id, doc) VALUES (?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET process_id = excluded.process_id, doc = excluded.doc`, id, proc, doc))
	})
}

// GetInputSet implements store.InputSetStore.
func (s *Store) GetInputSet(ctx context.Context, id string) (*process.InputSet, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	var doc []byte
	err := s.rdb.QueryRowContext(ctx, `SELECT doc FROM input_sets WHERE id = ?`, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errf(store.ErrNotFound, "input set %s", id)
	} else if err != nil {
		return nil, s.readErr(ctx, "get input set "+id, err)
	}
	return decodeDoc[process.InputSet]("input set", id, doc)
}

// ListInputSets implements store.InputSetStore.
func (s *Store) ListInputSets(ctx context.Context, p *store.ListInputSetsParams) (*store.InputSetPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if p == nil {
		p = &store.ListInputSetsParams{}
	}
	after, err := decodeKeyCursor(p.Cursor)
	if err != nil {
		return nil, err
	}
	limit := store.ClampLimit(p.Limit)
	q, args := `SELECT id, doc FROM input_sets WHERE id > ?`, []any{after}
	if p.Process != "" {
		q += ` AND process_id = ?`
		args = append(args, string(p.Process))
	}
	rows, err := s.rdb.QueryContext(ctx, q+` ORDER BY id LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, s.readErr(ctx, "list input sets", err)
	}
	defer rows.Close()
	page := &store.InputSetPage{InputSets: []*process.InputSet{}}
	for rows.Next() {
		if len(page.InputSets) == limit {
			page.Next = encodeKeyCursor(page.InputSets[limit-1].ID)
			break
		}
		var id string
		var doc []byte
		if err := rows.Scan(&id, &doc); err != nil {
			return nil, s.readErr(ctx, "list input sets", err)
		}
		set, err := decodeDoc[process.InputSet]("input set", id, doc)
		if err != nil {
			return nil, err
		}
		page.InputSets = append(page.InputSets, set)
	}
	if err := s.rowsErr(ctx, "list input sets", rows); err != nil {
		return nil, err
	}
	return page, nil
}

// DeleteInputSet implements store.InputSetStore.
func (s *Store) DeleteInputSet(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.write(ctx, func(w *wtx) error {
		return deleteRow(w, `DELETE FROM input_sets WHERE id = ?`, id, "input set "+id)
	})
}

// deleteRow deletes by id and returns ErrNotFound when nothing was deleted.
func deleteRow(w *wtx, q, id, what string) error {
	st, err := w.stmt(q)
	if err != nil {
		return wrapDB("delete "+what, err)
	}
	w.dirty = true
	res, err := st.ExecContext(w.ctx, id)
	if err != nil {
		return wrapDB("delete "+what, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrapDB("delete "+what, err)
	} else if n == 0 {
		return errf(store.ErrNotFound, "delete %s", what)
	}
	return nil
}

// ---- groups ----

// CreateGroup implements store.GroupStore.
func (s *Store) CreateGroup(ctx context.Context, g *release.Group) (*release.Group, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if g == nil || g.ID == "" {
		return nil, errf(store.ErrInvalid, "create group: a group with an id is required")
	}
	c := *g
	c.Revision = 1
	doc, err := json.Marshal(&c)
	if err != nil {
		return nil, errf(store.ErrInvalid, "create group %s: encoding: %v", g.ID, err)
	}
	id := string(c.ID)
	err = s.write(ctx, func(w *wtx) error {
		var one int
		err := w.queryRow(`SELECT 1 FROM release_groups WHERE id = ?`, []any{id}, &one)
		if err == nil {
			return errf(store.ErrAlreadyExists, "create group %s", id)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return wrapDB("create group "+id, err)
		}
		return wrapDB("create group "+id, w.exec(`INSERT INTO release_groups (id, process_id, enabled, revision, doc)
			VALUES (?, ?, ?, 1, ?)`, id, string(c.Process), c.Enabled, doc))
	})
	if err != nil {
		return nil, err
	}
	return decodeDoc[release.Group]("group", id, doc)
}

// UpdateGroup implements store.GroupStore.
func (s *Store) UpdateGroup(ctx context.Context, g *release.Group) (*release.Group, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if g == nil || g.ID == "" {
		return nil, errf(store.ErrInvalid, "update group: a group with an id is required")
	}
	c := *g
	c.Revision++
	doc, err := json.Marshal(&c)
	if err != nil {
		return nil, errf(store.ErrInvalid, "update group %s: encoding: %v", g.ID, err)
	}
	id, given := string(c.ID), g.Revision
	err = s.write(ctx, func(w *wtx) error {
		var rev int64
		err := w.queryRow(`SELECT revision FROM release_groups WHERE id = ?`, []any{id}, &rev)
		if errors.Is(err, sql.ErrNoRows) {
			return errf(store.ErrNotFound, "update group %s", id)
		} else if err != nil {
			return wrapDB("update group "+id, err)
		}
		if rev != given {
			return errf(store.ErrConflict, "update group %s: revision %d given, stored %d", id, given, rev)
		}
		return wrapDB("update group "+id, w.exec(`UPDATE release_groups SET process_id = ?, enabled = ?, revision = ?, doc = ?
			WHERE id = ?`, string(c.Process), c.Enabled, c.Revision, doc, id))
	})
	if err != nil {
		return nil, err
	}
	return decodeDoc[release.Group]("group", id, doc)
}

// GetGroup implements store.GroupStore.
func (s *Store) GetGroup(ctx context.Context, id release.GroupID) (*release.Group, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	var doc []byte
	err := s.rdb.QueryRowContext(ctx, `SELECT doc FROM release_groups WHERE id = ?`, string(id)).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errf(store.ErrNotFound, "group %s", id)
	} else if err != nil {
		return nil, s.readErr(ctx, "get group "+string(id), err)
	}
	return decodeDoc[release.Group]("group", string(id), doc)
}

// ListGroups implements store.GroupStore.
func (s *Store) ListGroups(ctx context.Context, p *store.ListGroupsParams) (*store.GroupPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if p == nil {
		p = &store.ListGroupsParams{}
	}
	after, err := decodeKeyCursor(p.Cursor)
	if err != nil {
		return nil, err
	}
	limit := store.ClampLimit(p.Limit)
	var q strings.Builder
	q.WriteString(`SELECT id, doc FROM release_groups WHERE id > ?`)
	args := []any{after}
	if p.Process != "" {
		q.WriteString(` AND process_id = ?`)
		args = append(args, string(p.Process))
	}
	if p.Enabled != nil {
		q.WriteString(` AND enabled = ?`)
		args = append(args, *p.Enabled)
	}
	q.WriteString(` ORDER BY id LIMIT ?`)
	rows, err := s.rdb.QueryContext(ctx, q.String(), append(args, limit+1)...)
	if err != nil {
		return nil, s.readErr(ctx, "list groups", err)
	}
	defer rows.Close()
	page := &store.GroupPage{Groups: []*release.Group{}}
	for rows.Next() {
		if len(page.Groups) == limit {
			page.Next = encodeKeyCursor(string(page.Groups[limit-1].ID))
			break
		}
		var id string
		var doc []byte
		if err := rows.Scan(&id, &doc); err != nil {
			return nil, s.readErr(ctx, "list groups", err)
		}
		g, err := decodeDoc[release.Group]("group", id, doc)
		if err != nil {
			return nil, err
		}
		page.Groups = append(page.Groups, g)
	}
	if err := s.rowsErr(ctx, "list groups", rows); err != nil {
		return nil, err
	}
	return page, nil
}

// DeleteGroup implements store.GroupStore.
func (s *Store) DeleteGroup(ctx context.Context, id release.GroupID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.write(ctx, func(w *wtx) error {
		return deleteRow(w, `DELETE FROM release_groups WHERE id = ?`, string(id), "group "+string(id))
	})
}

// ---- leases ----

func checkLease(p *store.LeaseParams, needTTL bool) error {
	if p == nil || p.Key == "" || p.Owner == "" {
		return errf(store.ErrInvalid, "lease: a key and an owner are required")
	}
	if needTTL && p.TTL <= 0 {
		return errf(store.ErrInvalid, "lease %s: TTL %s: must be positive", p.Key, p.TTL)
	}
	return nil
}

type leaseRow struct {
	owner   string
	expires time.Time
	token   int64
}

// getLease reads the lease row for key; ok is false when there is none.
func getLease(w *wtx, key string) (l leaseRow, ok bool, err error) {
	var s, ns int64
	err = w.queryRow(`SELECT owner, expires_s, expires_ns, token FROM leases WHERE key = ?`, []any{key}, &l.owner, &s, &ns, &l.token)
	if errors.Is(err, sql.ErrNoRows) {
		return l, false, nil
	} else if err != nil {
		return l, false, wrapDB("lease "+key, err)
	}
	l.expires = time.Unix(s, ns)
	return l, true, nil
}

func putLease(w *wtx, key string, l leaseRow) error {
	return wrapDB("lease "+key, w.exec(`INSERT INTO leases (key, owner, expires_s, expires_ns, token) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires_s = excluded.expires_s,
		expires_ns = excluded.expires_ns, token = excluded.token`,
		key, l.owner, l.expires.Unix(), l.expires.Nanosecond(), l.token))
}

// AcquireLease implements store.Leaser.
func (s *Store) AcquireLease(ctx context.Context, p *store.LeaseParams) (*store.Lease, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkLease(p, true); err != nil {
		return nil, err
	}
	key, owner, now, expires := p.Key, p.Owner, p.Now, p.Now.Add(p.TTL)
	var out store.Lease
	err := s.write(ctx, func(w *wtx) error {
		l, _, err := getLease(w, key)
		if err != nil {
			return err
		}
		live := l.owner != "" && now.Before(l.expires)
		switch {
		case live && l.owner != owner:
			return errf(store.ErrConflict, "acquire lease %s: held by %s until %s", key, l.owner, l.expires.UTC().Format(time.RFC3339Nano))
		case !live || l.owner != owner:
			// A new holder: the next token of the file's counter, above
			// every token handed out, for this key or any other.
			if err := w.queryRow(`UPDATE lease_tokens SET last = last + 1 WHERE id = 1 RETURNING last`, nil, &l.token); err != nil {
				return wrapDB("acquire lease "+key+": next token", err)
			}
			l.owner = owner
		}
		l.expires = expires
		if err := putLease(w, key, l); err != nil {
			return err
		}
		out = store.Lease{Key: key, Owner: owner, Expires: expires, Token: l.token}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// RenewLease implements store.Leaser.
func (s *Store) RenewLease(ctx context.Context, p *store.LeaseParams) (*store.Lease, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkLease(p, true); err != nil {
		return nil, err
	}
	key, owner, now, expires := p.Key, p.Owner, p.Now, p.Now.Add(p.TTL)
	var out store.Lease
	err := s.write(ctx, func(w *wtx) error {
		l, ok, err := getLease(w, key)
		if err != nil {
			return err
		}
		if !ok {
			return errf(store.ErrNotFound, "renew lease %s", key)
		}
		if l.owner != owner || !now.Before(l.expires) {
			return errf(store.ErrConflict, "renew lease %s: not held by %s", key, owner)
		}
		l.expires = expires
		if err := putLease(w, key, l); err != nil {
			return err
		}
		out = store.Lease{Key: key, Owner: owner, Expires: expires, Token: l.token}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ReleaseLease implements store.Leaser.
func (s *Store) ReleaseLease(ctx context.Context, p *store.LeaseParams) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkLease(p, false); err != nil {
		return err
	}
	key, owner := p.Key, p.Owner
	return s.write(ctx, func(w *wtx) error {
		l, ok, err := getLease(w, key)
		if err != nil || !ok || l.owner == "" {
			return err
		}
		if l.owner != owner {
			return errf(store.ErrConflict, "release lease %s: held by %s", key, l.owner)
		}
		// The row goes: tokens come from the file's counter, so the key's
		// next token is still above this one.
		return wrapDB("release lease "+key, w.exec(`DELETE FROM leases WHERE key = ?`, key))
	})
}
