package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

var _ store.RetentionStore = (*Store)(nil)

// endedCursor is the position after a release in (EndedAt, ID) order.
type endedCursor struct {
	S  int64      `json:"s"`
	NS int32      `json:"ns"`
	ID release.ID `json:"id"`
}

// listEndedQuery builds ListEnded's query. Each shape is a range scan of
// a partial index that holds only the finished releases, in list order:
// releases_ended_process with a Process, releases_ended_group with a
// Group, releases_ended otherwise; exclusions filter the rows scanned.
func (s *Store) listEndedQuery(p *store.ListEndedParams) (q string, args []any, limit int, err error) {
	if p == nil || p.EndedBefore.IsZero() {
		return "", nil, 0, errf(store.ErrInvalid, "list ended releases: EndedBefore: missing")
	}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if err := checkText("list ended releases", "Group", string(p.Group), "Process", string(p.Process)); err != nil {
		return "", nil, 0, err
	}
	var b strings.Builder
	b.WriteString(`SELECT ` + summaryCols + `, r.ended_s, r.ended_ns FROM _s.releases r` + lastEvent +
		` WHERE r.ended_s IS NOT NULL AND (r.ended_s, r.ended_ns) < (` + arg(p.EndedBefore.Unix()) + `, ` + arg(int32(p.EndedBefore.Nanosecond())) + `)`)
	if p.Process != "" {
		b.WriteString(` AND r.process_id = ` + arg(string(p.Process)))
	}
	if p.Group != "" {
		b.WriteString(` AND r.group_id = ` + arg(string(p.Group)))
	}
	var procs, groups []string
	for _, v := range p.ExcludeProcesses {
		if v != "" && storable(string(v)) {
			procs = append(procs, string(v))
		}
	}
	for _, v := range p.ExcludeGroups {
		if v != "" && storable(string(v)) {
			groups = append(groups, string(v))
		}
	}
	if len(procs) > 0 {
		b.WriteString(` AND r.process_id <> ALL (` + arg(procs) + `::text[])`)
	}
	if len(groups) > 0 {
		b.WriteString(` AND r.group_id <> ALL (` + arg(groups) + `::text[])`)
	}
	if p.Cursor != "" {
		var c endedCursor
		raw, derr := base64.RawURLEncoding.DecodeString(p.Cursor)
		if derr != nil || json.Unmarshal(raw, &c) != nil || c.ID == "" || !storable(string(c.ID)) {
			return "", nil, 0, errf(store.ErrInvalid, "list ended releases: cursor %q: not one this store made", p.Cursor)
		}
		b.WriteString(` AND (r.ended_s, r.ended_ns, r.id) > (` + arg(c.S) + `, ` + arg(c.NS) + `, ` + arg(string(c.ID)) + `)`)
	}
	limit = store.ClampLimit(p.Limit)
	b.WriteString(` ORDER BY r.ended_s, r.ended_ns, r.id LIMIT ` + arg(limit+1))
	return s.q(b.String()), args, limit, nil
}

// ListEnded implements store.RetentionStore.
func (s *Store) ListEnded(ctx context.Context, p *store.ListEndedParams) (*store.ReleasePage, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	q, args, limit, err := s.listEndedQuery(p)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, s.wrapDB(ctx, "list ended releases", err)
	}
	defer rows.Close()
	page := &store.ReleasePage{Releases: []release.Summary{}}
	var last endedCursor
	for rows.Next() {
		if len(page.Releases) == limit {
			raw, _ := json.Marshal(last)
			page.Next = base64.RawURLEncoding.EncodeToString(raw)
			break
		}
		var c summaryScan
		var endedS int64
		var endedNs int32
		if err := rows.Scan(append(c.dest(), &endedS, &endedNs)...); err != nil {
			return nil, s.wrapDB(ctx, "list ended releases", err)
		}
		sum, err := c.summary(s)
		if err != nil {
			return nil, err
		}
		if !sum.Status.Terminal() || sum.EndedAt.Unix() != endedS || int32(sum.EndedAt.Nanosecond()) != endedNs {
			return nil, corrupt(sum.ID, "summary", sum.Seq, "the release's row (ended %d.%09d) does not match the summary", endedS, endedNs)
		}
		last = endedCursor{S: endedS, NS: endedNs, ID: sum.ID}
		page.Releases = append(page.Releases, *sum)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrapDB(ctx, "list ended releases", err)
	}
	return page, nil
}

// DeleteRelease implements store.RetentionStore. One transaction locks
// the deletion log (deletions are serialised, so their seq order is their
// commit order) and the release's row (an append waits, then finds no
// release), records the deletion and deletes every row of the release.
func (s *Store) DeleteRelease(ctx context.Context, p *store.DeleteReleaseParams) (*store.Deletion, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if p == nil || p.Release == "" || p.Actor == "" || p.Now.IsZero() {
		return nil, errf(store.ErrInvalid, "delete release: Release, Actor and Now are required")
	}
	id := p.Release
	op := "delete release " + string(id)
	if !storable(string(id)) {
		return nil, errf(store.ErrNotFound, "delete release %q", id)
	}
	if err := checkText(op, "Actor", p.Actor, "Rule", p.Rule, "Reason", p.Reason, "Archive", p.Archive); err != nil {
		return nil, err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, s.wrapDB(ctx, op, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // a no-op after Commit
	if _, err := tx.Exec(ctx, s.q(`LOCK TABLE _s.deletions IN SHARE ROW EXCLUSIVE MODE`)); err != nil {
		return nil, s.wrapDB(ctx, op, err)
	}
	var c summaryScan
	err = tx.QueryRow(ctx, s.q(`SELECT `+summaryCols+` FROM _s.releases r`+lastEvent+` WHERE r.id = $1 FOR UPDATE OF r`), string(id)).Scan(c.dest()...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errf(store.ErrNotFound, "%s", op)
	} else if err != nil {
		return nil, s.wrapDB(ctx, op, err)
	}
	sum, err := c.summary(s)
	if err != nil {
		return nil, err
	}
	if !sum.Status.Terminal() {
		return nil, &store.NotFinishedError{Release: id, Status: sum.Status}
	}
	if sum.Seq != p.ExpectedSeq {
		return nil, errf(store.ErrConflict, "%s: expected seq %d, stored %d", op, p.ExpectedSeq, sum.Seq)
	}
	d := store.Deletion{
		Release: id, Name: sum.Name, Process: sum.ProcessID, ProcessVersion: sum.ProcessVersion,
		Group: sum.Group, Occurrence: sum.Occurrence, Status: sum.Status,
		CreatedAt: sum.CreatedAt, EndedAt: sum.EndedAt, Labels: maps.Clone(sum.Labels), Head: sum.Head(),
		DeletedAt: p.Now, Actor: p.Actor, Rule: p.Rule, Reason: p.Reason, Archive: p.Archive,
	}
	a := release.Anchor{Release: id}
	var hash []byte
	err = tx.QueryRow(ctx, s.q(`SELECT seq, hash, alg, key_id, sig FROM _s.anchors WHERE release_id = $1 ORDER BY seq DESC LIMIT 1`), string(id)).
		Scan(&a.Seq, &hash, &a.Alg, &a.KeyID, &a.Sig)
	switch {
	case err == nil:
		copy(a.Hash[:], hash)
		d.Anchor = &a
	case !errors.Is(err, pgx.ErrNoRows):
		return nil, s.wrapDB(ctx, op+": reading its last anchor", err)
	}
	doc, err := json.Marshal(&d)
	if err != nil {
		return nil, errf(store.ErrInvalid, "%s: encoding the record: %v", op, err)
	}
	var occ *string
	if !sum.Occurrence.IsZero() {
		o := sum.Occurrence.UTC().Format(time.RFC3339Nano)
		occ = &o
	}
	if err := tx.QueryRow(ctx, s.q(`INSERT INTO _s.deletions (release_id, group_id, occurrence, doc) VALUES ($1, $2, $3, $4) RETURNING seq`),
		string(id), string(sum.Group), occ, doc).Scan(&d.Seq); err != nil {
		return nil, s.wrapDB(ctx, op+": recording the deletion", err)
	}
	for _, q := range []string{
		`DELETE FROM _s.events WHERE release_id = $1`,
		`DELETE FROM _s.anchors WHERE release_id = $1`,
		`DELETE FROM _s.snapshots WHERE release_id = $1`,
		`DELETE FROM _s.releases WHERE id = $1`,
		`DELETE FROM _s.links WHERE release_id = $1 AND NOT (kind = 'deployment' AND ok)`,
	} {
		if _, err := tx.Exec(ctx, s.q(q), string(id)); err != nil {
			return nil, s.wrapDB(ctx, op, err)
		}
	}
	if _, err := tx.Exec(ctx, s.q(`DELETE FROM _s.leases WHERE key = $1`), "release/"+string(id)); err != nil {
		return nil, s.wrapDB(ctx, op, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, s.wrapDB(ctx, op, err)
	}
	s.snaps.drop(id)
	return &d, nil
}

// ListDeletions implements store.RetentionStore.
func (s *Store) ListDeletions(ctx context.Context, p *store.ListDeletionsParams) (*store.DeletionPage, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListDeletionsParams{}
	}
	after := int64(0)
	if p.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		if err == nil {
			after, err = strconv.ParseInt(string(raw), 10, 64)
		}
		if err != nil || after < 1 {
			return nil, errf(store.ErrInvalid, "list deletions: cursor %q", p.Cursor)
		}
	}
	page := &store.DeletionPage{Deletions: []store.Deletion{}}
	if !storable(string(p.Release)) {
		return page, nil
	}
	limit := store.ClampLimit(p.Limit)
	q, args := `SELECT seq, doc FROM _s.deletions WHERE seq > $1`, []any{after}
	if p.Release != "" {
		q += ` AND release_id = $3`
	} else {
		q += ` AND $3 = ''`
	}
	args = append(args, limit+1, string(p.Release))
	rows, err := s.pool.Query(ctx, s.q(q+` ORDER BY seq LIMIT $2`), args...)
	if err != nil {
		return nil, s.wrapDB(ctx, "list deletions", err)
	}
	defer rows.Close()
	for rows.Next() {
		if len(page.Deletions) == limit {
			page.Next = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(page.Deletions[limit-1].Seq, 10)))
			break
		}
		var seq int64
		var doc []byte
		if err := rows.Scan(&seq, &doc); err != nil {
			return nil, s.wrapDB(ctx, "list deletions", err)
		}
		var d store.Deletion
		if err := json.Unmarshal(doc, &d); err != nil {
			return nil, &DecodeError{What: "deletion", ID: strconv.FormatInt(seq, 10), Err: err}
		}
		d.Seq = seq
		page.Deletions = append(page.Deletions, d)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrapDB(ctx, "list deletions", err)
	}
	return page, nil
}
