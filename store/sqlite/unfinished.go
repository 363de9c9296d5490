package sqlite

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

var _ store.UnfinishedLister = (*Store)(nil)

// wakeCols are a release's Resume as its row keeps it (wake_load, wake_s,
// wake_ns), comparable so that an append rewrites them only when they
// change.
type wakeCols struct {
	load  any // nil (a row of an older version: unknown), int64 0 or 1
	s, ns any // nil (no timer) or int64
}

func newWakeCols(r release.Resume) wakeCols {
	c := wakeCols{load: int64(0)}
	if r.Load {
		c.load = int64(1)
	}
	if !r.At.IsZero() {
		c.s, c.ns = r.At.Unix(), int64(r.At.Nanosecond())
	}
	return c
}

// scannedWake is the wakeCols of the values read from a row.
func scannedWake(load, s, ns sql.NullInt64) wakeCols {
	var c wakeCols
	if load.Valid {
		c.load = load.Int64
	}
	if s.Valid && ns.Valid {
		c.s, c.ns = s.Int64, ns.Int64
	}
	return c
}

// resume is the Resume the columns say; an unknown hint says Load.
func (c wakeCols) resume() release.Resume {
	load, _ := c.load.(int64)
	if c.load == nil || load != 0 {
		return release.Resume{Load: true}
	}
	var r release.Resume
	if s, ok := c.s.(int64); ok {
		ns, _ := c.ns.(int64)
		r.At = time.Unix(s, ns).UTC()
	}
	return r
}

// qUnfinished reads the unfinished releases through releases_unfinished,
// named (INDEXED BY: the planner of a table without statistics would
// take releases_status and sort), its condition repeated word for word: rows in
// list order, no sort, no summary decoded.
const (
	qUnfinishedCols = `SELECT r.id, r.created_s, r.created_ns, r.status, r.wake_load, r.wake_s, r.wake_ns, m.head_seq
		FROM releases r INDEXED BY releases_unfinished LEFT JOIN events m ON m.key = (r.rid << 32) + 4294967295
		WHERE r.status IN ('Scheduled', 'Running', 'Paused')`
	qUnfinished      = qUnfinishedCols + ` ORDER BY r.created_s, r.created_ns, r.id LIMIT ?`
	qUnfinishedAfter = qUnfinishedCols + ` AND (r.created_s, r.created_ns, r.id) > (?, ?, ?) ORDER BY r.created_s, r.created_ns, r.id LIMIT ?`
)

// ListUnfinished implements store.UnfinishedLister. It reads the index of
// the unfinished releases (releases_unfinished) and each one's head row:
// a page costs what it returns, whatever the number of finished releases.
func (s *Store) ListUnfinished(ctx context.Context, p *store.ListUnfinishedParams) (*store.UnfinishedPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if p == nil {
		p = &store.ListUnfinishedParams{}
	}
	limit := store.ClampLimit(p.Limit)
	var rows *sql.Rows
	var err error
	if p.Cursor != "" {
		var c releaseCursor
		raw, derr := base64.RawURLEncoding.DecodeString(p.Cursor)
		if derr != nil || json.Unmarshal(raw, &c) != nil || c.ID == "" {
			return nil, errf(store.ErrInvalid, "list unfinished releases: cursor %q: not one this store made", p.Cursor)
		}
		rows, err = s.rdb.QueryContext(ctx, qUnfinishedAfter, c.S, c.NS, string(c.ID), limit+1)
	} else {
		rows, err = s.rdb.QueryContext(ctx, qUnfinished, limit+1)
	}
	if err != nil {
		return nil, s.readErr(ctx, "list unfinished releases", err)
	}
	defer rows.Close()
	page := &store.UnfinishedPage{Releases: []store.Unfinished{}}
	var last releaseCursor
	for rows.Next() {
		if len(page.Releases) == limit {
			raw, _ := json.Marshal(last)
			page.Next = base64.RawURLEncoding.EncodeToString(raw)
			break
		}
		var id, status string
		var load, ws, wns, seq sql.NullInt64
		if err := rows.Scan(&id, &last.S, &last.NS, &status, &load, &ws, &wns, &seq); err != nil {
			return nil, s.readErr(ctx, "list unfinished releases", err)
		}
		last.ID = release.ID(id)
		page.Releases = append(page.Releases, store.Unfinished{
			ID: last.ID, CreatedAt: time.Unix(last.S, last.NS).UTC(), Status: release.Status(status),
			Seq: seq.Int64, Resume: scannedWake(load, ws, wns).resume(),
		})
	}
	if err := rows.Err(); err != nil {
		return nil, s.readErr(ctx, "list unfinished releases", err)
	}
	return page, nil
}
