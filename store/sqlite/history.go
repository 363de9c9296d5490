package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

var _ store.GroupHistoryStore = (*Store)(nil)

// AppendGroupHistory implements store.GroupHistoryStore.
func (s *Store) AppendGroupHistory(ctx context.Context, r *release.GroupRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if r == nil || r.Group == "" || r.Decision == "" || r.Occurrence.IsZero() {
		return errf(store.ErrInvalid, "append group history: a record with a group, an occurrence and a decision is required")
	}
	doc, err := json.Marshal(r)
	if err != nil {
		return errf(store.ErrInvalid, "append group history %s: encoding: %v", r.Group, err)
	}
	g, occ, dec := string(r.Group), r.Occurrence, string(r.Decision)
	claims := r.Claims()
	return s.write(ctx, func(w *wtx) error {
		if claims {
			// In the writer's transaction: no release can be made for the
			// occurrence between this look and the insert.
			var other string
			err := w.queryRow(qOccurrence, []any{g, occurrenceKey(occ)}, &other)
			if err == nil {
				return errf(store.ErrConflict, "group %s: occurrence %s: %s: release %s is made for it", g, occ.UTC().Format(time.RFC3339Nano), dec, other)
			} else if !errors.Is(err, sql.ErrNoRows) {
				return wrapDB("append group history "+g, err)
			}
		}
		n, err := w.execN(`INSERT INTO group_history (group_id, occ_s, occ_ns, decision, doc) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (group_id, occ_s, occ_ns, decision) DO NOTHING`, g, occ.Unix(), occ.Nanosecond(), dec, doc)
		if err != nil {
			return wrapDB("append group history "+g, err)
		}
		if n == 0 {
			return errf(store.ErrAlreadyExists, "group %s: occurrence %s: %s is recorded", g, occ.UTC().Format(time.RFC3339Nano), dec)
		}
		return nil
	})
}

// ListGroupHistory implements store.GroupHistoryStore.
func (s *Store) ListGroupHistory(ctx context.Context, p *store.ListGroupHistoryParams) (*store.GroupHistoryPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if p == nil || p.Group == "" {
		return nil, errf(store.ErrInvalid, "list group history: a group is required")
	}
	type key struct{ s, ns, id int64 }
	var after *key
	if p.Cursor != "" {
		raw, err := decodeKeyCursor(p.Cursor)
		var k key
		if err == nil {
			_, err = fmt.Sscanf(raw, "%d/%d/%d", &k.s, &k.ns, &k.id)
		}
		if err != nil {
			return nil, errf(store.ErrInvalid, "cursor %q", p.Cursor)
		}
		after = &k
	}
	limit := store.ClampLimit(p.Limit)
	q, args := `SELECT occ_s, occ_ns, id, doc FROM group_history WHERE group_id = ?`, []any{string(p.Group)}
	op, order := ">", ` ORDER BY occ_s, occ_ns, id LIMIT ?`
	if p.Newest {
		op, order = "<", ` ORDER BY occ_s DESC, occ_ns DESC, id DESC LIMIT ?`
	}
	if after != nil {
		q += ` AND (occ_s, occ_ns, id) ` + op + ` (?, ?, ?)`
		args = append(args, after.s, after.ns, after.id)
	}
	rows, err := s.rdb.QueryContext(ctx, q+order, append(args, limit+1)...)
	if err != nil {
		return nil, s.readErr(ctx, "list group history", err)
	}
	defer rows.Close()
	page := &store.GroupHistoryPage{Records: []release.GroupRecord{}}
	var last key
	for rows.Next() {
		if len(page.Records) == limit {
			page.Next = encodeKeyCursor(fmt.Sprintf("%d/%d/%d", last.s, last.ns, last.id))
			break
		}
		var doc []byte
		if err := rows.Scan(&last.s, &last.ns, &last.id, &doc); err != nil {
			return nil, s.readErr(ctx, "list group history", err)
		}
		var r release.GroupRecord
		if err := json.Unmarshal(doc, &r); err != nil {
			return nil, &DecodeError{What: "group history", ID: string(p.Group), Err: err}
		}
		page.Records = append(page.Records, r)
	}
	if err := s.rowsErr(ctx, "list group history", rows); err != nil {
		return nil, err
	}
	return page, nil
}
