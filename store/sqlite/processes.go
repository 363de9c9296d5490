package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/store"
)

// PutProcess implements store.ProcessStore.
func (s *Store) PutProcess(ctx context.Context, p *store.PutProcessParams) (*process.Process, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p == nil || p.Process == nil || p.Process.ID == "" {
		return nil, errf(store.ErrInvalid, "put process: a process with an id is required")
	}
	if p.Now.IsZero() {
		return nil, errf(store.ErrInvalid, "put process %s: Now is required (stores never read the clock)", p.Process.ID)
	}
	c := *p.Process
	by, now := p.CreatedBy, p.Now.Format(time.RFC3339Nano)
	var doc []byte
	err := s.write(ctx, func(w *wtx) error {
		var latest int
		if err := w.queryRow(`SELECT coalesce(max(version), 0) FROM processes WHERE id = ?`, []any{string(c.ID)}, &latest); err != nil {
			return wrapDB("put process "+string(c.ID), err)
		}
		next := latest + 1
		if c.Version != 0 && c.Version != next {
			return errf(store.ErrConflict, "put process %s: version %d given, the next is %d", c.ID, c.Version, next)
		}
		c.Version = next
		var err error
		if doc, err = json.Marshal(&c); err != nil {
			return errf(store.ErrInvalid, "put process %s: encoding: %v", c.ID, err)
		}
		if err := w.exec(`INSERT INTO processes (id, version, name, created_at, created_by, doc) VALUES (?, ?, ?, ?, ?, ?)`,
			string(c.ID), next, c.Name, now, by, doc); err != nil {
			return wrapDB("put process "+string(c.ID), err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return decodeProcess(c.ID, c.Version, doc)
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
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	var row *sql.Row
	if version == 0 {
		row = s.rdb.QueryRowContext(ctx, `SELECT version, doc FROM processes WHERE id = ? ORDER BY version DESC LIMIT 1`, string(id))
	} else {
		row = s.rdb.QueryRowContext(ctx, `SELECT version, doc FROM processes WHERE id = ? AND version = ?`, string(id), version)
	}
	var v int
	var doc []byte
	err := row.Scan(&v, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errf(store.ErrNotFound, "process %s version %d", id, version)
	} else if err != nil {
		return nil, s.readErr(ctx, "get process "+string(id), err)
	}
	return decodeProcess(id, v, doc)
}

func scanProcessVersion(sc scanner) (store.ProcessVersion, error) {
	var v store.ProcessVersion
	var id, at string
	if err := sc.Scan(&id, &v.Version, &v.Name, &at, &v.CreatedBy); err != nil {
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

// ListProcesses implements store.ProcessStore.
func (s *Store) ListProcesses(ctx context.Context, p *store.ListProcessesParams) (*store.ProcessPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if p == nil {
		p = &store.ListProcessesParams{}
	}
	after, err := decodeKeyCursor(p.Cursor)
	if err != nil {
		return nil, err
	}
	limit := store.ClampLimit(p.Limit)
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, version, name, created_at, created_by FROM processes AS p
		WHERE id > ? AND version = (SELECT max(version) FROM processes WHERE id = p.id)
		ORDER BY id LIMIT ?`, after, limit+1)
	if err != nil {
		return nil, s.readErr(ctx, "list processes", err)
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
			return nil, s.readErr(ctx, "list processes", err)
		}
		page.Processes = append(page.Processes, v)
	}
	if err := rows.Err(); err != nil {
		return nil, s.readErr(ctx, "list processes", err)
	}
	return page, nil
}

// ListProcessVersions implements store.ProcessStore.
func (s *Store) ListProcessVersions(ctx context.Context, p *store.ListProcessVersionsParams) (*store.ProcessVersionPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
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
	limit := store.ClampLimit(p.Limit)
	var page *store.ProcessVersionPage
	err := s.readTx(ctx, "list process versions of "+string(p.ID), func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM processes WHERE id = ? LIMIT 1`, string(p.ID)).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return errf(store.ErrNotFound, "process %s", p.ID)
		} else if err != nil {
			return s.readErr(ctx, "list process versions of "+string(p.ID), err)
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, version, name, created_at, created_by FROM processes
			WHERE id = ? AND version > ? ORDER BY version LIMIT ?`, string(p.ID), after, limit+1)
		if err != nil {
			return s.readErr(ctx, "list process versions of "+string(p.ID), err)
		}
		defer rows.Close()
		page = &store.ProcessVersionPage{Versions: []store.ProcessVersion{}}
		for rows.Next() {
			if len(page.Versions) == limit {
				page.Next = encodeKeyCursor(strconv.Itoa(page.Versions[limit-1].Version))
				break
			}
			v, err := scanProcessVersion(rows)
			if err != nil {
				return s.readErr(ctx, "list process versions of "+string(p.ID), err)
			}
			page.Versions = append(page.Versions, v)
		}
		return s.rowsErr(ctx, "list process versions of "+string(p.ID), rows)
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

func (s *Store) rowsErr(ctx context.Context, op string, rows *sql.Rows) error {
	if err := rows.Err(); err != nil {
		return s.readErr(ctx, op, err)
	}
	return nil
}

// encodeKeyCursor and decodeKeyCursor make the opaque cursors of the lists
// ordered by a key: the last key returned.
func encodeKeyCursor(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

func decodeKeyCursor(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(raw) == 0 || bytes.IndexByte(raw, 0) >= 0 {
		return "", errf(store.ErrInvalid, "cursor %q: not one this store made", c)
	}
	return string(raw), nil
}
