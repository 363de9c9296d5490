package postgres

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/store"
)

// PutProcess implements store.ProcessStore.
//
// The version is chosen and inserted in one statement; the primary key
// (id, version) makes two writers that chose the same version collide.
// With Version 0 the loser chooses again; with an explicit Version it gets
// store.ErrConflict.
func (s *Store) PutProcess(ctx context.Context, p *store.PutProcessParams) (*process.Process, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if p == nil || p.Process == nil || p.Process.ID == "" {
		return nil, errf(store.ErrInvalid, "put process: a process with an id is required")
	}
	if p.Now.IsZero() {
		return nil, errf(store.ErrInvalid, "put process %s: Now is required (stores never read the clock)", p.Process.ID)
	}
	c := *p.Process
	id, given := string(c.ID), c.Version
	by, now := p.CreatedBy, p.Now.Format(time.RFC3339Nano)
	op := "put process " + id
	if err := checkText("put process", "ID", id, "Name", c.Name, "CreatedBy", by); err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		var latest int
		if err := s.pool.QueryRow(ctx, s.q(`SELECT coalesce(max(version), 0) FROM _s.processes WHERE id = $1`), id).Scan(&latest); err != nil {
			return nil, s.wrapDB(ctx, op, err)
		}
		next := latest + 1
		if given != 0 && given != next {
			return nil, errf(store.ErrConflict, "put process %s: version %d given, the next is %d", id, given, next)
		}
		c.Version = next
		doc, err := json.Marshal(&c)
		if err != nil {
			return nil, errf(store.ErrInvalid, "put process %s: encoding: %v", id, err)
		}
		_, err = s.pool.Exec(ctx, s.q(`INSERT INTO _s.processes (id, version, name, created_at, created_by, doc)
			VALUES ($1, $2, $3, $4, $5, $6)`), id, next, c.Name, now, by, doc)
		if _, dup := uniqueViolation(err); dup {
			if given != 0 || attempt >= 10 {
				return nil, errf(store.ErrConflict, "put process %s: version %d was stored meanwhile", id, next)
			}
			continue // another writer took the next version: choose again
		}
		if err != nil {
			return nil, s.wrapDB(ctx, op, err)
		}
		return decodeProcess(c.ID, next, doc)
	}
}

func decodeProcess(id process.ID, version int, doc []byte) (*process.Process, error) {
	p := new(process.Process)
	if err := json.Unmarshal(doc, p); err != nil {
		return nil, &DecodeError{What: "process", ID: string(id), Seq: int64(version), Err: err}
	}
	return p, nil
}

// GetProcess implements store.ProcessStore.
func (s *Store) GetProcess(ctx context.Context, id process.ID, version int) (*process.Process, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if !storable(string(id)) {
		return nil, errf(store.ErrNotFound, "process %q version %d", id, version)
	}
	var row pgx.Row
	if version == 0 {
		row = s.pool.QueryRow(ctx, s.q(`SELECT version, doc FROM _s.processes WHERE id = $1 ORDER BY version DESC LIMIT 1`), string(id))
	} else {
		row = s.pool.QueryRow(ctx, s.q(`SELECT version, doc FROM _s.processes WHERE id = $1 AND version = $2`), string(id), version)
	}
	var v int
	var doc []byte
	err := row.Scan(&v, &doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errf(store.ErrNotFound, "process %s version %d", id, version)
	} else if err != nil {
		return nil, s.wrapDB(ctx, "get process "+string(id), err)
	}
	return decodeProcess(id, v, doc)
}

func scanProcessVersion(rows pgx.Rows) (store.ProcessVersion, error) {
	var v store.ProcessVersion
	var id, at string
	if err := rows.Scan(&id, &v.Version, &v.Name, &at, &v.CreatedBy); err != nil {
		return v, err
	}
	v.ID = process.ID(id)
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return v, &DecodeError{What: "process", ID: id, Seq: int64(v.Version), Err: err}
	}
	v.CreatedAt = t
	return v, nil
}

// ListProcesses implements store.ProcessStore. It walks the primary key
// (id, version) in id order and finds each process's latest version with
// a backward probe of the same index.
func (s *Store) ListProcesses(ctx context.Context, p *store.ListProcessesParams) (*store.ProcessPage, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListProcessesParams{}
	}
	after, err := decodeKeyCursor(p.Cursor)
	if err != nil {
		return nil, err
	}
	limit := store.ClampLimit(p.Limit)
	rows, err := s.pool.Query(ctx, s.q(`SELECT id, version, name, created_at, created_by FROM _s.processes AS p
		WHERE id > $1 AND version = (SELECT max(version) FROM _s.processes WHERE id = p.id)
		ORDER BY id LIMIT $2`), after, limit+1)
	if err != nil {
		return nil, s.wrapDB(ctx, "list processes", err)
	}
	defer rows.Close()
	page := &store.ProcessPage{Processes: []store.ProcessVersion{}}
	for rows.Next() {
		if len(page.Processes) == limit {
			page.Next = encodeKeyCursor(string(page.Processes[limit-1].ID))
			break
		}
		v, err := scanProcessVersion(rows)
		if err != nil {
			return nil, s.wrapDB(ctx, "list processes", err)
		}
		page.Processes = append(page.Processes, v)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrapDB(ctx, "list processes", err)
	}
	return page, nil
}

// ListProcessVersions implements store.ProcessStore.
func (s *Store) ListProcessVersions(ctx context.Context, p *store.ListProcessVersionsParams) (*store.ProcessVersionPage, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if p == nil || p.ID == "" {
		return nil, errf(store.ErrInvalid, "list process versions: an id is required")
	}
	after := 0
	if p.Cursor != "" {
		c, err := decodeKeyCursor(p.Cursor)
		if err == nil {
			after, err = strconv.Atoi(c)
		}
		if err != nil || after < 0 {
			return nil, errf(store.ErrInvalid, "list process versions: cursor %q: not one this store made", p.Cursor)
		}
	}
	if !storable(string(p.ID)) {
		return nil, errf(store.ErrNotFound, "process %q", p.ID)
	}
	limit := store.ClampLimit(p.Limit)
	op := "list process versions of " + string(p.ID)
	rows, err := s.pool.Query(ctx, s.q(`SELECT id, version, name, created_at, created_by FROM _s.processes
		WHERE id = $1 AND version > $2 ORDER BY version LIMIT $3`), string(p.ID), after, limit+1)
	if err != nil {
		return nil, s.wrapDB(ctx, op, err)
	}
	defer rows.Close()
	page := &store.ProcessVersionPage{Versions: []store.ProcessVersion{}}
	for rows.Next() {
		if len(page.Versions) == limit {
			page.Next = encodeKeyCursor(strconv.Itoa(page.Versions[limit-1].Version))
			break
		}
		v, err := scanProcessVersion(rows)
		if err != nil {
			return nil, s.wrapDB(ctx, op, err)
		}
		page.Versions = append(page.Versions, v)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrapDB(ctx, op, err)
	}
	rows.Close()
	if len(page.Versions) == 0 {
		// Versions are never deleted: none after the cursor from a
		// process that exists still finds one at or before it.
		var one int
		err := s.pool.QueryRow(ctx, s.q(`SELECT 1 FROM _s.processes WHERE id = $1 LIMIT 1`), string(p.ID)).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, errf(store.ErrNotFound, "process %s", p.ID)
		} else if err != nil {
			return nil, s.wrapDB(ctx, op, err)
		}
	}
	return page, nil
}

// encodeKeyCursor and decodeKeyCursor make the opaque cursors of the lists
// ordered by a key: the last key returned.
func encodeKeyCursor(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

func decodeKeyCursor(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(raw) == 0 || bytes.IndexByte(raw, 0) >= 0 || !utf8.Valid(raw) {
		return "", errf(store.ErrInvalid, "cursor %q: not one this store made", c)
	}
	return string(raw), nil
}
