package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

var _ store.UnfinishedLister = (*Store)(nil)

// qUnfinished reads the unfinished releases through releases_unfinished,
// a partial index in list order that holds only them, and their resume
// hints from the rows (the index holds no column an append changes, so
// that appends are heap-only updates): its condition is repeated word for
// word so that the planner can use it.
const (
	qUnfinishedCols = `SELECT id, created_s, created_ns, status, seq, wake_load, wake_s, wake_ns FROM _s.releases
		WHERE status IN ('Scheduled', 'Running', 'Paused')`
	qUnfinished      = qUnfinishedCols + ` ORDER BY created_s, created_ns, id LIMIT $1`
	qUnfinishedAfter = qUnfinishedCols + ` AND (created_s, created_ns, id) > ($1, $2, $3) ORDER BY created_s, created_ns, id LIMIT $4`
)

// ListUnfinished implements store.UnfinishedLister: a range scan of
// releases_unfinished that stops after Limit rows, whatever the number of
// finished releases.
func (s *Store) ListUnfinished(ctx context.Context, p *store.ListUnfinishedParams) (*store.UnfinishedPage, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListUnfinishedParams{}
	}
	limit := store.ClampLimit(p.Limit)
	var rows pgx.Rows
	var err error
	if p.Cursor != "" {
		var c releaseCursor
		raw, derr := base64.RawURLEncoding.DecodeString(p.Cursor)
		if derr != nil || json.Unmarshal(raw, &c) != nil || c.ID == "" {
			return nil, errf(store.ErrInvalid, "list unfinished releases: cursor %q: not one this store made", p.Cursor)
		}
		rows, err = s.pool.Query(ctx, s.q(qUnfinishedAfter), c.S, c.NS, string(c.ID), limit+1)
	} else {
		rows, err = s.pool.Query(ctx, s.q(qUnfinished), limit+1)
	}
	if err != nil {
		return nil, s.wrapDB(ctx, "list unfinished releases", err)
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
		var seq int64
		var load *bool
		var ws *int64
		var wns *int32
		if err := rows.Scan(&id, &last.S, &last.NS, &status, &seq, &load, &ws, &wns); err != nil {
			return nil, s.wrapDB(ctx, "list unfinished releases", err)
		}
		last.ID = release.ID(id)
		u := store.Unfinished{ID: last.ID, CreatedAt: time.Unix(last.S, int64(last.NS)).UTC(), Status: release.Status(status), Seq: seq}
		switch {
		case load == nil || *load: // nil: a row of an older version, with no hint
			u.Resume.Load = true
		case ws != nil && wns != nil:
			u.Resume.At = time.Unix(*ws, int64(*wns)).UTC()
		}
		page.Releases = append(page.Releases, u)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrapDB(ctx, "list unfinished releases", err)
	}
	return page, nil
}
