package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// AppendGroupHistory implements store.GroupHistoryStore: one INSERT ... ON
// CONFLICT DO NOTHING on the unique (group_id, occurrence, decision), so
// that of executors racing for one occurrence one records it. A record
// that claims its occurrence is appended by appendClaim.
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
	if r.Claims() {
		return s.appendClaim(ctx, g, occ, dec, doc)
	}
	tag, err := s.pool.Exec(ctx, s.q(qAppendHistory), g, occ.Unix(), int32(occ.Nanosecond()), dec, doc)
	if err != nil {
		return s.wrapDB(ctx, "append group history "+g, err)
	}
	if tag.RowsAffected() == 0 {
		return errf(store.ErrAlreadyExists, "group %s: occurrence %s: %s is recorded", g, occ.UTC().Format(time.RFC3339Nano), dec)
	}
	return nil
}

const qAppendHistory = `INSERT INTO _s.group_history (group_id, occ_s, occ_ns, decision, doc) VALUES ($1, $2, $3, $4, $5)
	ON CONFLICT (group_id, occ_s, occ_ns, decision) DO NOTHING`

// appendClaim appends a record that claims its occurrence: in a
// transaction holding the occurrence's lock (lockOccurrence), after
// finding no release (nor deletion of one) that holds it.
func (s *Store) appendClaim(ctx context.Context, g string, occ time.Time, dec string, doc []byte) error {
	op := "append group history " + g
	occKey := occ.UTC().Format(time.RFC3339Nano)
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return s.wrapDB(ctx, op, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // a no-op after Commit
	if err := s.lockOccurrence(ctx, tx, g, occKey); err != nil {
		return s.wrapDB(ctx, op, err)
	}
	var other string
	err = tx.QueryRow(ctx, s.q(`SELECT id FROM _s.releases WHERE group_id = $1 AND occurrence = $2
		UNION ALL SELECT release_id FROM _s.deletions WHERE group_id = $1 AND occurrence = $2 LIMIT 1`), g, occKey).Scan(&other)
	switch {
	case err == nil:
		return errf(store.ErrConflict, "group %s: occurrence %s: %s: release %s is made for it", g, occKey, dec, other)
	case !errors.Is(err, pgx.ErrNoRows):
		return s.wrapDB(ctx, op, err)
	}
	tag, err := tx.Exec(ctx, s.q(qAppendHistory), g, occ.Unix(), int32(occ.Nanosecond()), dec, doc)
	if err != nil {
		return s.wrapDB(ctx, op, err)
	}
	if tag.RowsAffected() == 0 {
		return errf(store.ErrAlreadyExists, "group %s: occurrence %s: %s is recorded", g, occKey, dec)
	}
	return s.wrapDB(ctx, op, tx.Commit(ctx))
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
