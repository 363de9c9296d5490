package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/batonhq/baton/internal/linkcursor"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

var _ store.LinkStore = (*Store)(nil)

// The link index (migration 9): one row per link.added event, written by
// the statement that stores the event; ok and its time follow the
// activity's success and rollback in the statements that store those.
const (
	// linkCTEs, spliced into qAppend before its final SELECT, insert the
	// links an append adds ($32 to $43) and set the state of the links
	// of the activities whose success or rollback it stores ($44 to
	// $47), only when the head moved (h). The UPDATE does not see the
	// rows the INSERT adds (one snapshot): those carry their state.
	linkCTEs = `,
		li AS (INSERT INTO _s.links (release_id, seq, kind, ref, url, service, env, version, activity, ok, ok_s, ok_ns, doc)
			SELECT h.id, u.* FROM h, unnest($32::bigint[], $33::text[], $34::text[], $35::text[], $36::text[], $37::text[],
				$38::text[], $39::text[], $40::boolean[], $41::bigint[], $42::integer[], $43::bytea[])
				AS u (seq, kind, ref, url, service, env, version, activity, ok, ok_s, ok_ns, doc)),
		ls AS (UPDATE _s.links SET ok = u.ok, ok_s = u.ok_s, ok_ns = u.ok_ns
			FROM h, unnest($44::text[], $45::boolean[], $46::bigint[], $47::integer[]) AS u (activity, ok, ok_s, ok_ns)
			WHERE links.release_id = h.id AND links.activity = u.activity)
		SELECT count(*) FROM h`
	// qInsertLinks inserts a new release's links ($1: its id) in
	// CreateRelease's batch.
	qInsertLinks = `INSERT INTO _s.links (release_id, seq, kind, ref, url, service, env, version, activity, ok, ok_s, ok_ns, doc)
		SELECT $1, u.* FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::text[], $9::text[], $10::boolean[], $11::bigint[], $12::integer[], $13::bytea[])
			AS u (seq, kind, ref, url, service, env, version, activity, ok, ok_s, ok_ns, doc)`

	linkCols = `release_id, seq, ok, ok_s, ok_ns, doc`
	// deployed selects the rows of links_deployed and links_claims.
	deployed = `kind = 'deployment' AND ok`
	// newestFirst is the order of links_deployed after (env, service).
	newestFirst = `ok_s DESC, ok_ns DESC, release_id DESC, seq DESC`

	// qDeployedNow is the current deployment of (env, service) = ($1, $2).
	qDeployedNow = `SELECT ` + linkCols + ` FROM _s.links WHERE ` + deployed + ` AND env = $1 AND service = $2 ORDER BY ` + newestFirst + ` LIMIT 1`
	// qDeployments is ListDeployments without filters: a skip scan of
	// links_deployed, one seek per (env, service) after ($1, $2), up to
	// $3 keys.
	qDeployments = `WITH RECURSIVE k AS (
			(SELECT env, service, release_id, seq FROM _s.links
				WHERE ` + deployed + ` AND (env, service) > ($1, $2)
				ORDER BY env, service, ` + newestFirst + ` LIMIT 1)
			UNION ALL
			SELECT n.env, n.service, n.release_id, n.seq FROM k, LATERAL (
				SELECT env, service, release_id, seq FROM _s.links l
				WHERE ` + deployed + ` AND (l.env, l.service) > (k.env, k.service)
				ORDER BY env, service, ` + newestFirst + ` LIMIT 1) n)
		SELECT l.release_id, l.seq, l.ok, l.ok_s, l.ok_ns, l.doc FROM (SELECT * FROM k LIMIT $3) k
			JOIN _s.links l ON l.release_id = k.release_id AND l.seq = k.seq ORDER BY k.env, k.service`
	// qDeploymentsInEnv is ListDeployments of environment $1: a skip scan
	// of its services after $2, up to $3.
	qDeploymentsInEnv = `WITH RECURSIVE k AS (
			(SELECT service, release_id, seq FROM _s.links
				WHERE ` + deployed + ` AND env = $1 AND service > $2
				ORDER BY service, ` + newestFirst + ` LIMIT 1)
			UNION ALL
			SELECT n.service, n.release_id, n.seq FROM k, LATERAL (
				SELECT service, release_id, seq FROM _s.links l
				WHERE ` + deployed + ` AND l.env = $1 AND l.service > k.service
				ORDER BY service, ` + newestFirst + ` LIMIT 1) n)
		SELECT l.release_id, l.seq, l.ok, l.ok_s, l.ok_ns, l.doc FROM (SELECT * FROM k LIMIT $3) k
			JOIN _s.links l ON l.release_id = k.release_id AND l.seq = k.seq ORDER BY k.service`
	// qDeploymentsOfService is ListDeployments of service $2 in every
	// environment after $1: one seek per environment, up to $3.
	qDeploymentsOfService = `WITH RECURSIVE e AS (
			(SELECT env FROM _s.links WHERE ` + deployed + ` AND env > $1 ORDER BY env LIMIT 1)
			UNION ALL
			SELECT n.env FROM e, LATERAL (SELECT env FROM _s.links l WHERE ` + deployed + ` AND l.env > e.env ORDER BY env LIMIT 1) n)
		SELECT d.* FROM e, LATERAL (SELECT ` + linkCols + ` FROM _s.links WHERE ` + deployed + ` AND env = e.env AND service = $2
			ORDER BY ` + newestFirst + ` LIMIT 1) d LIMIT $3`
	// qClaims are the first claims of each release on a deployment.
	qClaims = `SELECT DISTINCT ON (release_id) ` + linkCols + ` FROM _s.links
		WHERE ` + deployed + ` AND env = $1 AND service = $2 AND version = $3 ORDER BY release_id, seq LIMIT $4`
)

// linkArrays returns the columns of recs as arrays, for linkCTEs and
// qInsertLinks.
func linkArrays(recs []store.LinkRecord) ([]any, error) {
	n := len(recs)
	seqs, okS := make([]int64, n), make([]int64, n)
	kinds, refs, urls, services, envs, versions, acts := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	oks, okNs, docs := make([]bool, n), make([]int32, n), make([][]byte, n)
	for i := range recs {
		r := &recs[i]
		l := &r.Link
		doc, err := json.Marshal(l)
		if err != nil {
			return nil, errf(store.ErrInvalid, "release %s: event %d: encoding the link: %v", r.Release, r.Seq, err)
		}
		seqs[i], kinds[i], refs[i], urls[i], services[i], envs[i], versions[i], acts[i] = r.Seq, string(l.Kind), l.Ref, l.URL, l.Service, l.Environment, l.Version, string(l.Activity)
		if r.Succeeded {
			oks[i], okS[i], okNs[i] = true, r.SucceededAt.Unix(), int32(r.SucceededAt.Nanosecond())
		}
		docs[i] = doc
	}
	return []any{seqs, kinds, refs, urls, services, envs, versions, acts, oks, okS, okNs, docs}, nil
}

// stateArrays returns the columns of states as arrays, for linkCTEs.
func stateArrays(states []store.ActivityLinkState) []any {
	n := len(states)
	acts, oks, okS, okNs := make([]string, n), make([]bool, n), make([]int64, n), make([]int32, n)
	for i, st := range states {
		acts[i] = string(st.Activity)
		if st.Succeeded {
			oks[i], okS[i], okNs[i] = true, st.SucceededAt.Unix(), int32(st.SucceededAt.Nanosecond())
		}
	}
	return []any{acts, oks, okS, okNs}
}

// appendLinksQuery returns query (qAppend or qAppendNotify, whose notify
// parameters come at $32 and $33) with linkCTEs spliced in, and the
// arguments to add to args for them; the notify parameters move to $48
// and $49.
func appendLinksQuery(query string, args []any, c *store.LinkChanges) (string, []any, error) {
	added, err := linkArrays(c.Added)
	if err != nil {
		return "", nil, err
	}
	const final = "\n\t\tSELECT count(*) FROM h"
	i := strings.Index(query, final)
	if i < 0 {
		panic("postgres: qAppend changed: the link CTEs cannot be spliced in")
	}
	rest := query[i+len(final):]
	notify := args[qAppendParams:] // $32, $33 when notifying
	rest = strings.NewReplacer("$32", "$48", "$33", "$49").Replace(rest)
	out := append(append(append([]any{}, args[:qAppendParams]...), added...), stateArrays(c.States)...)
	return query[:i] + linkCTEs + rest, append(out, notify...), nil
}

// scanLink reads the linkCols of a row.
func scanLink(rows pgx.Rows) (store.LinkRecord, error) {
	var rec store.LinkRecord
	var id string
	var okS int64
	var okNs int32
	var doc []byte
	if err := rows.Scan(&id, &rec.Seq, &rec.Succeeded, &okS, &okNs, &doc); err != nil {
		return rec, err
	}
	rec.Release = release.ID(id)
	if rec.Succeeded {
		rec.SucceededAt = time.Unix(okS, int64(okNs)).UTC()
	}
	if err := json.Unmarshal(doc, &rec.Link); err != nil {
		return rec, &DecodeError{What: "link", ID: fmt.Sprintf("%s/%d", id, rec.Seq), Err: err}
	}
	return rec, nil
}

// queryLinks runs q and reads its rows of linkCols.
func (s *Store) queryLinks(ctx context.Context, op, q string, args ...any) ([]store.LinkRecord, error) {
	rows, err := s.pool.Query(ctx, s.q(q), args...)
	if err != nil {
		return nil, s.wrapDB(ctx, op, err)
	}
	defer rows.Close()
	var out []store.LinkRecord
	for rows.Next() {
		rec, err := scanLink(rows)
		if err != nil {
			return nil, s.wrapDB(ctx, op, err)
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrapDB(ctx, op, err)
	}
	return out, nil
}

// findSQL is the query of FindLinks on col (ref or url), with a kind and
// a cursor when asked; its last parameter is the limit.
func findSQL(col string, kind, after bool) string {
	q := `SELECT ` + linkCols + ` FROM _s.links WHERE ` + col + ` = $1 AND ` + col + ` <> ''`
	n := 2
	if kind {
		q += fmt.Sprintf(` AND kind = $%d`, n)
		n++
	}
	if after {
		q += fmt.Sprintf(` AND (release_id, seq) > ($%d, $%d)`, n, n+1)
		n += 2
	}
	return q + fmt.Sprintf(` ORDER BY release_id, seq LIMIT $%d`, n)
}

// FindLinks implements store.LinkStore, with the index links_ref (or
// links_url): one seek, then the page in index order.
func (s *Store) FindLinks(ctx context.Context, p *store.FindLinksParams) (*store.LinkPage, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if err := store.CheckFindLinks(p); err != nil {
		return nil, err
	}
	var afterID string
	var afterSeq int64
	after, err := linkcursor.Decode(p.Cursor, linkcursor.KindFind, &afterID, &afterSeq)
	if err != nil {
		return nil, errf(store.ErrInvalid, "find links: %v", err)
	}
	if err := checkText("find links", "Ref", p.Ref, "URL", p.URL, "Kind", string(p.Kind), "Cursor", afterID); err != nil {
		return nil, err
	}
	col, v := "ref", p.Ref
	if p.URL != "" {
		col, v = "url", p.URL
	}
	args := []any{v}
	if p.Kind != "" {
		args = append(args, string(p.Kind))
	}
	if after {
		args = append(args, afterID, afterSeq)
	}
	limit := store.ClampLimit(p.Limit)
	recs, err := s.queryLinks(ctx, "find links", findSQL(col, p.Kind != "", after), append(args, limit+1)...)
	if err != nil {
		return nil, err
	}
	page := &store.LinkPage{Links: recs}
	if len(recs) > limit {
		page.Links, page.Next = recs[:limit], linkcursor.Find(&recs[limit-1])
	}
	return page, nil
}

// ListDeployments implements store.LinkStore, with the index
// links_deployed: a skip scan (a recursive query), one seek per
// (environment, service) listed.
func (s *Store) ListDeployments(ctx context.Context, p *store.ListDeploymentsParams) (*store.LinkPage, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errf(store.ErrInvalid, "list deployments: params: missing")
	}
	var env, service string
	after, err := linkcursor.Decode(p.Cursor, linkcursor.KindDeployments, &env, &service)
	if err != nil {
		return nil, errf(store.ErrInvalid, "list deployments: %v", err)
	}
	if err := checkText("list deployments", "Environment", p.Environment, "Service", p.Service, "Cursor", env+service); err != nil {
		return nil, err
	}
	const op = "list deployments"
	limit := store.ClampLimit(p.Limit)
	var recs []store.LinkRecord
	switch {
	case p.Environment != "" && p.Service != "":
		if !after {
			recs, err = s.queryLinks(ctx, op, qDeployedNow, p.Environment, p.Service)
		}
	case p.Service != "":
		recs, err = s.queryLinks(ctx, op, qDeploymentsOfService, env, p.Service, limit+1)
	case p.Environment != "":
		if env != p.Environment {
			service = ""
		}
		recs, err = s.queryLinks(ctx, op, qDeploymentsInEnv, p.Environment, service, limit+1)
	default:
		recs, err = s.queryLinks(ctx, op, qDeployments, env, service, limit+1)
	}
	if err != nil {
		return nil, err
	}
	page := &store.LinkPage{Links: recs}
	if len(recs) > limit {
		page.Links, page.Next = recs[:limit], linkcursor.Deployments(&recs[limit-1])
	}
	return page, nil
}

// historySQL is the query of ListDeploymentHistory.
func historySQL(after bool) string {
	q := `SELECT ` + linkCols + ` FROM _s.links WHERE ` + deployed + ` AND env = $1 AND service = $2`
	if after {
		return q + ` AND (ok_s, ok_ns, release_id, seq) < ($3, $4, $5, $6) ORDER BY ` + newestFirst + ` LIMIT $7`
	}
	return q + ` ORDER BY ` + newestFirst + ` LIMIT $3`
}

// ListDeploymentHistory implements store.LinkStore, with the index
// links_deployed: one seek, then the page in index order.
func (s *Store) ListDeploymentHistory(ctx context.Context, p *store.ListDeploymentHistoryParams) (*store.LinkPage, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if p == nil || p.Environment == "" || p.Service == "" {
		return nil, errf(store.ErrInvalid, "list deployment history: environment and service: required")
	}
	var okS, okNs, seq int64
	var id string
	after, err := linkcursor.Decode(p.Cursor, linkcursor.KindHistory, &okS, &okNs, &id, &seq)
	if err != nil {
		return nil, errf(store.ErrInvalid, "list deployment history: %v", err)
	}
	if err := checkText("list deployment history", "Environment", p.Environment, "Service", p.Service, "Cursor", id); err != nil {
		return nil, err
	}
	args := []any{p.Environment, p.Service}
	if after {
		args = append(args, okS, okNs, id, seq)
	}
	limit := store.ClampLimit(p.Limit)
	recs, err := s.queryLinks(ctx, "list deployment history", historySQL(after), append(args, limit+1)...)
	if err != nil {
		return nil, err
	}
	page := &store.LinkPage{Links: recs}
	if len(recs) > limit {
		page.Links, page.Next = recs[:limit], linkcursor.History(&recs[limit-1])
	}
	return page, nil
}

// ListDeploymentConflicts implements store.LinkStore, with the index
// links_claims: the deployments after the cursor in index order, grouped,
// until a page of conflicts is found. Its cost grows with the succeeded
// deployments it passes over, not only with the page.
func (s *Store) ListDeploymentConflicts(ctx context.Context, p *store.ListDeploymentConflictsParams) (*store.ConflictPage, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errf(store.ErrInvalid, "list deployment conflicts: params: missing")
	}
	var env, service, version string
	after, err := linkcursor.Decode(p.Cursor, linkcursor.KindConflicts, &env, &service, &version)
	if err != nil {
		return nil, errf(store.ErrInvalid, "list deployment conflicts: %v", err)
	}
	if err := checkText("list deployment conflicts", "Environment", p.Environment, "Service", p.Service, "Cursor", env+service+version); err != nil {
		return nil, err
	}
	const op = "list deployment conflicts"
	limit := store.ClampLimit(p.Limit)
	q := `SELECT env, service, version, count(DISTINCT release_id) FROM _s.links WHERE ` + deployed
	var args []any
	if p.Environment != "" {
		args = append(args, p.Environment)
		q += fmt.Sprintf(` AND env = $%d`, len(args))
	}
	if p.Service != "" {
		args = append(args, p.Service)
		q += fmt.Sprintf(` AND service = $%d`, len(args))
	}
	if after {
		args = append(args, env, service, version)
		q += fmt.Sprintf(` AND (env, service, version) > ($%d, $%d, $%d)`, len(args)-2, len(args)-1, len(args))
	}
	args = append(args, limit+1)
	q += fmt.Sprintf(` GROUP BY env, service, version HAVING count(DISTINCT release_id) > 1 ORDER BY env, service, version LIMIT $%d`, len(args))
	rows, err := s.pool.Query(ctx, s.q(q), args...)
	if err != nil {
		return nil, s.wrapDB(ctx, op, err)
	}
	page := &store.ConflictPage{}
	for rows.Next() {
		var c store.DeploymentConflict
		var n int64
		if err := rows.Scan(&c.Environment, &c.Service, &c.Version, &n); err != nil {
			rows.Close()
			return nil, s.wrapDB(ctx, op, err)
		}
		c.Releases = int(n)
		page.Conflicts = append(page.Conflicts, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, s.wrapDB(ctx, op, err)
	}
	if len(page.Conflicts) > limit {
		page.Conflicts, page.Next = page.Conflicts[:limit], linkcursor.Conflicts(&page.Conflicts[limit-1])
	}
	for i := range page.Conflicts {
		c := &page.Conflicts[i]
		if c.Claims, err = s.queryLinks(ctx, op, qClaims, c.Environment, c.Service, c.Version, store.MaxConflictClaims); err != nil {
			return nil, err
		}
	}
	return page, nil
}
