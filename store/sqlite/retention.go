package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

var _ store.RetentionStore = (*Store)(nil)

// finishV11 sets the end time of the releases that had ended before
// migration 11 added the columns.
func finishV11(ctx context.Context, conn *sql.Conn, _ digester) error {
	rows, err := conn.QueryContext(ctx, `SELECT rid, id, summary FROM releases
		WHERE status IN ('Succeeded', 'PartialSuccess', 'Failed', 'Aborted', 'RolledBack')`)
	if err != nil {
		return err
	}
	type fix struct{ rid, s, ns int64 }
	var fixes []fix
	for rows.Next() {
		var rid int64
		var id string
		var doc []byte
		if err := rows.Scan(&rid, &id, &doc); err != nil {
			rows.Close()
			return err
		}
		sum, err := decodeSummary(release.ID(id), doc)
		if err != nil {
			rows.Close()
			return err
		}
		fixes = append(fixes, fix{rid, sum.EndedAt.Unix(), int64(sum.EndedAt.Nanosecond())})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, f := range fixes {
		if _, err := conn.ExecContext(ctx, `UPDATE releases SET ended_s = ?, ended_ns = ? WHERE rid = ?`, f.s, f.ns, f.rid); err != nil {
			return err
		}
	}
	return nil
}

// endedCursor is the position after a release in (EndedAt, ID) order.
type endedCursor struct {
	S  int64      `json:"s"`
	NS int64      `json:"ns"`
	ID release.ID `json:"id"`
}

// listEndedQuery builds ListEnded's query. Each shape is a range scan of
// a partial index that holds only the finished releases, in list order:
// releases_ended_process with a Process, releases_ended_group with a
// Group, releases_ended otherwise; exclusions filter the rows scanned.
func listEndedQuery(p *store.ListEndedParams) (string, []any, int, error) {
	if p == nil || p.EndedBefore.IsZero() {
		return "", nil, 0, errf(store.ErrInvalid, "list ended releases: EndedBefore: missing")
	}
	var q strings.Builder
	q.WriteString(`SELECT r.id, r.ended_s, r.ended_ns, ` + qSummaryCols + qSummaryFrom +
		` WHERE r.ended_s IS NOT NULL AND (r.ended_s, r.ended_ns) < (?, ?)`)
	args := []any{p.EndedBefore.Unix(), p.EndedBefore.Nanosecond()}
	if p.Process != "" {
		q.WriteString(` AND r.process_id = ?`)
		args = append(args, string(p.Process))
	}
	if p.Group != "" {
		q.WriteString(` AND r.group_id = ?`)
		args = append(args, string(p.Group))
	}
	notIn := func(col string, values []string) {
		var marks []string
		for _, v := range values {
			if v != "" {
				marks = append(marks, "?")
				args = append(args, v)
			}
		}
		if len(marks) > 0 {
			q.WriteString(` AND ` + col + ` NOT IN (` + strings.Join(marks, ", ") + `)`)
		}
	}
	var procs, groups []string
	for _, v := range p.ExcludeProcesses {
		procs = append(procs, string(v))
	}
	for _, v := range p.ExcludeGroups {
		groups = append(groups, string(v))
	}
	notIn("r.process_id", procs)
	notIn("r.group_id", groups)
	if p.Cursor != "" {
		var c endedCursor
		raw, err := decodeKeyCursor(p.Cursor)
		if err != nil || json.Unmarshal([]byte(raw), &c) != nil || c.ID == "" {
			return "", nil, 0, errf(store.ErrInvalid, "list ended releases: cursor %q: not one this store made", p.Cursor)
		}
		q.WriteString(` AND (r.ended_s, r.ended_ns, r.id) > (?, ?, ?)`)
		args = append(args, c.S, c.NS, string(c.ID))
	}
	limit := store.ClampLimit(p.Limit)
	q.WriteString(` ORDER BY r.ended_s, r.ended_ns, r.id LIMIT ?`)
	return q.String(), append(args, limit+1), limit, nil
}

// ListEnded implements store.RetentionStore.
func (s *Store) ListEnded(ctx context.Context, p *store.ListEndedParams) (*store.ReleasePage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	q, args, limit, err := listEndedQuery(p)
	if err != nil {
		return nil, err
	}
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.readErr(ctx, "list ended releases", err)
	}
	defer rows.Close()
	page := &store.ReleasePage{Releases: []release.Summary{}}
	var last endedCursor
	for rows.Next() {
		if len(page.Releases) == limit {
			raw, _ := json.Marshal(last)
			page.Next = encodeKeyCursor(string(raw))
			break
		}
		var id string
		var sc summaryCols
		if err := rows.Scan(append([]any{&id, &last.S, &last.NS}, sc.dest()...)...); err != nil {
			return nil, s.readErr(ctx, "list ended releases", err)
		}
		last.ID = release.ID(id)
		sum, err := sc.summary(s.dg, last.ID)
		if err != nil {
			return nil, err
		}
		if !sum.Status.Terminal() || sum.EndedAt.Unix() != last.S || int64(sum.EndedAt.Nanosecond()) != last.NS {
			return nil, corrupt(last.ID, "summary", sum.Seq, "the release's row (ended %d.%09d) does not match the summary", last.S, last.NS)
		}
		page.Releases = append(page.Releases, *sum)
	}
	if err := s.rowsErr(ctx, "list ended releases", rows); err != nil {
		return nil, err
	}
	return page, nil
}

const (
	qLastAnchor = `SELECT key, hash, alg, key_id, sig FROM anchors WHERE key BETWEEN ?1 << 32 AND (?1 << 32) + 4294967294
		ORDER BY key DESC LIMIT 1`
	qInsertDeletion = `INSERT INTO deletions (release_id, group_id, occurrence, doc) VALUES (?, ?, ?, ?) RETURNING seq`
)

// DeleteRelease implements store.RetentionStore. It runs in the writer's
// transaction: the record and the deletion of every row commit together.
func (s *Store) DeleteRelease(ctx context.Context, p *store.DeleteReleaseParams) (*store.Deletion, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p == nil || p.Release == "" || p.Actor == "" || p.Now.IsZero() {
		return nil, errf(store.ErrInvalid, "delete release: Release, Actor and Now are required")
	}
	id := p.Release
	op := "delete release " + string(id)
	var out *store.Deletion
	err := s.write(ctx, func(w *wtx) error {
		// The batch's queued events may be this release's.
		if err := w.flushEvents(); err != nil {
			return err
		}
		var sc summaryCols
		err := w.queryRow(qSummary, []any{string(id)}, sc.dest()...)
		if errors.Is(err, sql.ErrNoRows) {
			return errf(store.ErrNotFound, "%s", op)
		} else if err != nil {
			return wrapDB(op, err)
		}
		sum, err := sc.summary(w.dg, id)
		if err != nil {
			return err
		}
		if !sum.Status.Terminal() {
			return &store.NotFinishedError{Release: id, Status: sum.Status}
		}
		if sum.Seq != p.ExpectedSeq {
			return errf(store.ErrConflict, "%s: expected seq %d, stored %d", op, p.ExpectedSeq, sum.Seq)
		}
		d := store.Deletion{
			Release: id, Name: sum.Name, Process: sum.ProcessID, ProcessVersion: sum.ProcessVersion,
			Group: sum.Group, Occurrence: sum.Occurrence, Status: sum.Status,
			CreatedAt: sum.CreatedAt, EndedAt: sum.EndedAt, Labels: maps.Clone(sum.Labels), Head: sum.Head(),
			DeletedAt: p.Now, Actor: p.Actor, Rule: p.Rule, Reason: p.Reason, Archive: p.Archive,
		}
		var key int64
		var hash, sig []byte
		a := release.Anchor{Release: id}
		err = w.queryRow(qLastAnchor, []any{sc.rid}, &key, &hash, &a.Alg, &a.KeyID, &sig)
		switch {
		case err == nil:
			a.Seq, a.Sig = key&seqMask, sig
			copy(a.Hash[:], hash)
			d.Anchor = &a
		case !errors.Is(err, sql.ErrNoRows):
			return wrapDB(op+": reading its last anchor", err)
		}
		doc, err := json.Marshal(&d)
		if err != nil {
			return errf(store.ErrInvalid, "%s: encoding the record: %v", op, err)
		}
		var occ any
		if !sum.Occurrence.IsZero() {
			occ = occurrenceKey(sum.Occurrence)
		}
		if err := w.writeRow(qInsertDeletion, []any{string(id), string(sum.Group), occ, doc}, &d.Seq); err != nil {
			return wrapDB(op+": recording the deletion", err)
		}
		lo, hi := eventKey(sc.rid, 0), headKey(sc.rid)
		for _, st := range []struct {
			q    string
			args []any
		}{
			{`DELETE FROM events WHERE key BETWEEN ? AND ?`, []any{lo, hi}},
			{`DELETE FROM anchors WHERE key BETWEEN ? AND ?`, []any{lo, hi}},
			{`DELETE FROM snapshots WHERE release_id = ?`, []any{string(id)}},
			{`DELETE FROM releases WHERE rid = ?`, []any{sc.rid}},
			{`DELETE FROM leases WHERE key = ?`, []any{"release/" + string(id)}},
			{`DELETE FROM links WHERE release_id = ? AND NOT (kind = 'deployment' AND ok = 1)`, []any{string(id)}},
			{`DELETE FROM release_digests WHERE rid = ?`, []any{sc.rid}},
		} {
			if err := w.exec(st.q, st.args...); err != nil {
				return wrapDB(op, err)
			}
		}
		// The feed's rows of the release join no release any more and are
		// skipped, unless its rid is used again: SQLite gives a new row
		// the largest rid plus one, so only the newest release's rid can
		// be, and only its rows are deleted (a scan of the feed, for a
		// deletion that is rare: retention deletes the oldest releases).
		var maxRID sql.NullInt64
		if err := w.queryRow(`SELECT max(rid) FROM releases`, nil, &maxRID); err != nil {
			return wrapDB(op, err)
		}
		if !maxRID.Valid || maxRID.Int64 < sc.rid {
			if err := w.exec(`DELETE FROM feed WHERE rid = ?`, sc.rid); err != nil {
				return wrapDB(op+": its feed rows", err)
			}
		}
		delete(w.heads, id)
		out = &d
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListDeletions implements store.RetentionStore.
func (s *Store) ListDeletions(ctx context.Context, p *store.ListDeletionsParams) (*store.DeletionPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if p == nil {
		p = &store.ListDeletionsParams{}
	}
	after := int64(0)
	if p.Cursor != "" {
		raw, err := decodeKeyCursor(p.Cursor)
		if err == nil {
			after, err = strconv.ParseInt(raw, 10, 64)
		}
		if err != nil || after < 1 {
			return nil, errf(store.ErrInvalid, "list deletions: cursor %q", p.Cursor)
		}
	}
	limit := store.ClampLimit(p.Limit)
	q, args := `SELECT seq, doc FROM deletions WHERE seq > ?`, []any{after}
	if p.Release != "" {
		q += ` AND release_id = ?`
		args = append(args, string(p.Release))
	}
	rows, err := s.rdb.QueryContext(ctx, q+` ORDER BY seq LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, s.readErr(ctx, "list deletions", err)
	}
	defer rows.Close()
	page := &store.DeletionPage{Deletions: []store.Deletion{}}
	for rows.Next() {
		if len(page.Deletions) == limit {
			page.Next = encodeKeyCursor(strconv.FormatInt(page.Deletions[limit-1].Seq, 10))
			break
		}
		var seq int64
		var doc []byte
		if err := rows.Scan(&seq, &doc); err != nil {
			return nil, s.readErr(ctx, "list deletions", err)
		}
		var d store.Deletion
		if err := json.Unmarshal(doc, &d); err != nil {
			return nil, &DecodeError{What: "deletion", ID: fmt.Sprint(seq), Err: err}
		}
		d.Seq = seq
		page.Deletions = append(page.Deletions, d)
	}
	if err := s.rowsErr(ctx, "list deletions", rows); err != nil {
		return nil, err
	}
	return page, nil
}
