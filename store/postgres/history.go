package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// AppendGroupHistory implements store.GroupHistoryStore: one INSERT ... ON
// CONFLICT DO NOTHING on the unique (group_id, occurrence, decision), so
// that of executors racing for one occurrence one records it.
func (s *Store) AppendGroupHistory(ctx context.Context, r *release.GroupRecord) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	if r == nil || r.Group == "" || r.Decision == "" || r.Occurrence.IsZero() {
		return errf(store.ErrInvalid, "append group history: a record with a group, an occurrence and a decision is required")
	}
	g, occ, dec := string(r.Group), r.Occurrence, string(r.Decision)
	if err := checkText("append group history", "Group", g, "Decision", dec); err != nil {
		return err
	}
	doc, err := json.Marshal(r)
	if err != nil {
		return errf(store.ErrInvalid, "append group history %s: encoding: %v", g, err)
	}
	tag, err := s.pool.Exec(ctx, s.q(`INSERT INTO _s.group_history (group_id, occ_s, occ_ns, decision, doc) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (group_id, occ_s, occ_ns, decision) DO NOTHING`), g, occ.Unix(), int32(occ.Nanosecond()), dec, doc)
	if err != nil {
		return s.wrapDB(ctx, "append group history "+g, err)
	}
	if tag.RowsAffected() == 0 {
		return errf(store.ErrAlreadyExists, "group %s: occurrence %s: %s is recorded", g, occ.UTC().Format(time.RFC3339Nano), dec)
	}
	return nil
}

// ListGroupHistory implements store.GroupHistoryStore: a range of the
// index group_history_order (group_id, occ_s, occ_ns, id), forward or
// backward (Newest).
func (s *Store) ListGroupHistory(ctx context.Context, p *store.ListGroupHistoryParams) (*store.GroupHistoryPage, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if p == nil || p.Group == "" {
		return nil, errf(store.ErrInvalid, "list group history: a group is required")
	}
	if err := checkText("list group history", "Group", string(p.Group)); err != nil {
		return nil, err
	}
	type key struct {
		s  int64
		ns int32
		id int64
	}
	var after *key
	if p.Cursor != "" {
		raw, err := decodeKeyCursor(p.Cursor)
		var k key
		if err == nil {
			_, err = fmt.Sscanf(raw, "%d/%d/%d", &k.s, &k.ns, &k.id)
		}
		if err != nil {
			return nil, errf(store.ErrInvalid, "list group history: cursor %q: not one this store made", p.Cursor)
		}
		after = &k
	}
	limit := store.ClampLimit(p.Limit)
	q, args := `SELECT occ_s, occ_ns, id, doc FROM _s.group_history WHERE group_id = $1`, []any{string(p.Group)}
	op, order := ">", ` ORDER BY occ_s, occ_ns, id LIMIT `
	if p.Newest {
		op, order = "<", ` ORDER BY occ_s DESC, occ_ns DESC, id DESC LIMIT `
	}
	if after != nil {
		q += ` AND (occ_s, occ_ns, id) ` + op + ` ($2::bigint, $3::integer, $4::bigint)`
		args = append(args, after.s, after.ns, after.id)
	}
	args = append(args, limit+1)
	q += order + fmt.Sprintf("$%d", len(args))
	rows, err := s.pool.Query(ctx, s.q(q), args...)
	if err != nil {
		return nil, s.wrapDB(ctx, "list group history", err)
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
			return nil, s.wrapDB(ctx, "list group history", err)
		}
		var r release.GroupRecord
		if err := json.Unmarshal(doc, &r); err != nil {
			return nil, &DecodeError{What: "group history", ID: string(p.Group), Err: err}
		}
		page.Records = append(page.Records, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrapDB(ctx, "list group history", err)
	}
	return page, nil
}
