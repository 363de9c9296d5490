package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// ---- input sets ----

// PutInputSet implements store.InputSetStore.
func (s *Store) PutInputSet(ctx context.Context, set *process.InputSet) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	if set == nil || set.ID == "" || set.Process == "" {
		return errf(store.ErrInvalid, "put input set: an input set with an id and a process is required")
	}
	if err := checkText("put input set", "ID", set.ID, "Process", string(set.Process)); err != nil {
		return err
	}
	doc, err := json.Marshal(set)
	if err != nil {
		return errf(store.ErrInvalid, "put input set %s: encoding: %v", set.ID, err)
	}
	_, err = s.pool.Exec(ctx, s.q(`INSERT INTO _s.input_sets (id, process_id, doc) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET process_id = excluded.process_id, doc = excluded.doc`), set.ID, string(set.Process), doc)
	return s.wrapDB(ctx, "put input set "+set.ID, err)
}

// GetInputSet implements store.InputSetStore.
func (s *Store) GetInputSet(ctx context.Context, id string) (*process.InputSet, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if !storable(id) {
		return nil, errf(store.ErrNotFound, "input set %q", id)
	}
	var doc []byte
	err := s.pool.QueryRow(ctx, s.q(`SELECT doc FROM _s.input_sets WHERE id = $1`), id).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errf(store.ErrNotFound, "input set %s", id)
	} else if err != nil {
		return nil, s.wrapDB(ctx, "get input set "+id, err)
	}
	return decodeDoc[process.InputSet]("input set", id, doc)
}

// ListInputSets implements store.InputSetStore: the primary key (id), or
// the index input_sets_process (process_id, id) with a Process filter.
func (s *Store) ListInputSets(ctx context.Context, p *store.ListInputSetsParams) (*store.InputSetPage, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListInputSetsParams{}
	}
	after, err := decodeKeyCursor(p.Cursor)
	if err != nil {
		return nil, err
	}
	if err := checkText("list input sets", "Process", string(p.Process)); err != nil {
		return nil, err
	}
	limit := store.ClampLimit(p.Limit)
	q, args := `SELECT id, doc FROM _s.input_sets WHERE id > $1`, []any{after}
	if p.Process != "" {
		q += ` AND process_id = $2`
		args = append(args, string(p.Process))
	}
	q += ` ORDER BY id LIMIT $` + strconv.Itoa(len(args)+1)
	page := &store.InputSetPage{InputSets: []*process.InputSet{}}
	err = s.listDocs(ctx, "list input sets", s.q(q), append(args, limit+1), limit, func(id string, doc []byte) error {
		set, err := decodeDoc[process.InputSet]("input set", id, doc)
		if err == nil {
			page.InputSets = append(page.InputSets, set)
		}
		return err
	}, func(last string) { page.Next = encodeKeyCursor(last) })
	if err != nil {
		return nil, err
	}
	return page, nil
}

// listDocs runs q, which selects (id, doc) rows ordered by id, up to
// limit+1 rows: add gets each of the first limit; next gets the last id
// added when more follow.
func (s *Store) listDocs(ctx context.Context, op, q string, args []any, limit int, add func(id string, doc []byte) error, next func(last string)) error {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return s.wrapDB(ctx, op, err)
	}
	defer rows.Close()
	n, last := 0, ""
	for rows.Next() {
		if n == limit {
			next(last)
			break
		}
		var doc []byte
		if err := rows.Scan(&last, &doc); err != nil {
			return s.wrapDB(ctx, op, err)
		}
		if err := add(last, doc); err != nil {
			return err
		}
		n++
	}
	return s.wrapDB(ctx, op, rows.Err())
}

// DeleteInputSet implements store.InputSetStore.
func (s *Store) DeleteInputSet(ctx context.Context, id string) error {
	return s.deleteRow(ctx, `DELETE FROM _s.input_sets WHERE id = $1`, id, "input set "+id)
}

// deleteRow deletes by id and returns ErrNotFound when nothing was deleted.
func (s *Store) deleteRow(ctx context.Context, q, id, what string) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	if !storable(id) {
		return errf(store.ErrNotFound, "delete %s", what)
	}
	tag, err := s.pool.Exec(ctx, s.q(q), id)
	if err != nil {
		return s.wrapDB(ctx, "delete "+what, err)
	}
	if tag.RowsAffected() == 0 {
		return errf(store.ErrNotFound, "delete %s", what)
	}
	return nil
}

// ---- groups ----

// CreateGroup implements store.GroupStore.
func (s *Store) CreateGroup(ctx context.Context, g *release.Group) (*release.Group, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if g == nil || g.ID == "" {
		return nil, errf(store.ErrInvalid, "create group: a group with an id is required")
	}
	if err := checkText("create group", "ID", string(g.ID), "Process", string(g.Process)); err != nil {
		return nil, err
	}
	c := *g
	c.Revision = 1
	doc, err := json.Marshal(&c)
	if err != nil {
		return nil, errf(store.ErrInvalid, "create group %s: encoding: %v", g.ID, err)
	}
	id := string(c.ID)
	_, err = s.pool.Exec(ctx, s.q(`INSERT INTO _s.release_groups (id, process_id, enabled, revision, doc) VALUES ($1, $2, $3, 1, $4)`),
		id, string(c.Process), c.Enabled, doc)
	if _, dup := uniqueViolation(err); dup {
		return nil, errf(store.ErrAlreadyExists, "create group %s", id)
	} else if err != nil {
		return nil, s.wrapDB(ctx, "create group "+id, err)
	}
	return decodeDoc[release.Group]("group", id, doc)
}

// UpdateGroup implements store.GroupStore: one UPDATE that names the
// revision it replaces.
func (s *Store) UpdateGroup(ctx context.Context, g *release.Group) (*release.Group, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if g == nil || g.ID == "" {
		return nil, errf(store.ErrInvalid, "update group: a group with an id is required")
	}
	if !storable(string(g.ID)) {
		return nil, errf(store.ErrNotFound, "update group %q", g.ID)
	}
	if err := checkText("update group", "Process", string(g.Process)); err != nil {
		return nil, err
	}
	c := *g
	c.Revision++
	doc, err := json.Marshal(&c)
	if err != nil {
		return nil, errf(store.ErrInvalid, "update group %s: encoding: %v", g.ID, err)
	}
	id, given := string(c.ID), g.Revision
	op := "update group " + id
	tag, err := s.pool.Exec(ctx, s.q(`UPDATE _s.release_groups SET process_id = $2, enabled = $3, revision = $4, doc = $5
		WHERE id = $1 AND revision = $6`), id, string(c.Process), c.Enabled, c.Revision, doc, given)
	if err != nil {
		return nil, s.wrapDB(ctx, op, err)
	}
	if tag.RowsAffected() == 0 {
		var rev int64
		err := s.pool.QueryRow(ctx, s.q(`SELECT revision FROM _s.release_groups WHERE id = $1`), id).Scan(&rev)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, errf(store.ErrNotFound, "update group %s", id)
		} else if err != nil {
			return nil, s.wrapDB(ctx, op, err)
		}
		return nil, errf(store.ErrConflict, "update group %s: revision %d given, stored %d", id, given, rev)
	}
	return decodeDoc[release.Group]("group", id, doc)
}

// GetGroup implements store.GroupStore.
func (s *Store) GetGroup(ctx context.Context, id release.GroupID) (*release.Group, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if !storable(string(id)) {
		return nil, errf(store.ErrNotFound, "group %q", id)
	}
	var doc []byte
	err := s.pool.QueryRow(ctx, s.q(`SELECT doc FROM _s.release_groups WHERE id = $1`), string(id)).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errf(store.ErrNotFound, "group %s", id)
	} else if err != nil {
		return nil, s.wrapDB(ctx, "get group "+string(id), err)
	}
	return decodeDoc[release.Group]("group", string(id), doc)
}

// ListGroups implements store.GroupStore: the primary key (id), or the
// index release_groups_process (process_id, id) with a Process filter;
// Enabled filters the rows the index yields.
func (s *Store) ListGroups(ctx context.Context, p *store.ListGroupsParams) (*store.GroupPage, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListGroupsParams{}
	}
	after, err := decodeKeyCursor(p.Cursor)
	if err != nil {
		return nil, err
	}
	if err := checkText("list groups", "Process", string(p.Process)); err != nil {
		return nil, err
	}
	limit := store.ClampLimit(p.Limit)
	var q strings.Builder
	q.WriteString(`SELECT id, doc FROM _s.release_groups WHERE id > $1`)
	args := []any{after}
	if p.Process != "" {
		args = append(args, string(p.Process))
		q.WriteString(` AND process_id = $` + strconv.Itoa(len(args)))
	}
	if p.Enabled != nil {
		args = append(args, *p.Enabled)
		q.WriteString(` AND enabled = $` + strconv.Itoa(len(args)))
	}
	args = append(args, limit+1)
	q.WriteString(` ORDER BY id LIMIT $` + strconv.Itoa(len(args)))
	page := &store.GroupPage{Groups: []*release.Group{}}
	err = s.listDocs(ctx, "list groups", s.q(q.String()), args, limit, func(id string, doc []byte) error {
		g, err := decodeDoc[release.Group]("group", id, doc)
		if err == nil {
			page.Groups = append(page.Groups, g)
		}
		return err
	}, func(last string) { page.Next = encodeKeyCursor(last) })
	if err != nil {
		return nil, err
	}
	return page, nil
}

// DeleteGroup implements store.GroupStore.
func (s *Store) DeleteGroup(ctx context.Context, id release.GroupID) error {
	return s.deleteRow(ctx, `DELETE FROM _s.release_groups WHERE id = $1`, string(id), "group "+string(id))
}
