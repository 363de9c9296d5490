package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/batonhq/baton/internal/linkcursor"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

var _ store.LinkStore = (*Store)(nil)

// The link index (migration 9): one row per link.added event, written in
// the transaction that stores the event; ok and its time follow the
// activity's success and rollback in the transactions that store those.
const (
	qInsertLink = `INSERT INTO links (release_id, seq, kind, ref, url, service, env, version, activity, ok, ok_s, ok_ns, doc)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qSetLinkState = `UPDATE links SET ok = ?, ok_s = ?, ok_ns = ? WHERE release_id = ? AND activity = ?`

	linkCols = `release_id, seq, ok, ok_s, ok_ns, doc`
	// deployed selects the rows of links_deployed and links_claims: the
	// deployments of succeeded activities.
	deployed = `kind = 'deployment' AND ok = 1`
	// newestFirst is the order of links_deployed after (env, service).
	newestFirst = `ok_s DESC, ok_ns DESC, release_id DESC, seq DESC`

	// qDeployedNow is the current deployment of (env, service).
	qDeployedNow = `SELECT ` + linkCols + ` FROM links WHERE ` + deployed + ` AND env = ? AND service = ? ORDER BY ` + newestFirst + ` LIMIT 1`
	// qNextEnv is the first environment after one with deployments.
	qNextEnv = `SELECT env FROM links WHERE ` + deployed + ` AND env > ? ORDER BY env LIMIT 1`
	// qDeploymentsInEnv is the current deployment of each service of
	// environment ?1 after service ?2, in service order: a recursive skip
	// scan of links_deployed (the next service, one seek each; ?3 bounds
	// the recursion), then the newest row of each service (two seeks), then
	// its row by primary key.
	qDeploymentsInEnv = `WITH RECURSIVE k(service) AS (
			SELECT (SELECT service FROM links WHERE ` + deployed + ` AND env = ?1 AND service > ?2 ORDER BY service LIMIT 1)
			UNION ALL
			SELECT (SELECT service FROM links WHERE ` + deployed + ` AND env = ?1 AND service > k.service ORDER BY service LIMIT 1)
			FROM k WHERE k.service IS NOT NULL LIMIT ?3),
		d(service, rid, sq) AS (SELECT service,
			(SELECT release_id FROM links WHERE ` + deployed + ` AND env = ?1 AND service = k.service ORDER BY ` + newestFirst + ` LIMIT 1),
			(SELECT seq FROM links WHERE ` + deployed + ` AND env = ?1 AND service = k.service ORDER BY ` + newestFirst + ` LIMIT 1)
			FROM k WHERE k.service IS NOT NULL)
		SELECT l.release_id, l.seq, l.ok, l.ok_s, l.ok_ns, l.doc FROM d JOIN links l ON l.release_id = d.rid AND l.seq = d.sq ORDER BY d.service`
	// qNextKey is the current deployment of the first (env, service)
	// after one.
	qNextKey = `SELECT ` + linkCols + ` FROM links WHERE ` + deployed + ` AND (env, service) > (?, ?) ORDER BY env, service, ` + newestFirst + ` LIMIT 1`
	// qClaims are the first claims of each release on a deployment.
	qClaims = `SELECT ` + linkCols + ` FROM links WHERE ` + deployed + ` AND env = ? AND service = ? AND version = ?
		AND seq = (SELECT min(seq) FROM links m WHERE m.release_id = links.release_id AND m.kind = 'deployment' AND m.ok = 1
			AND m.env = links.env AND m.service = links.service AND m.version = links.version)
		ORDER BY release_id, seq LIMIT ?`
)

// findSQL is the query of FindLinks on col (ref or url), with a kind and
// a cursor when asked; its last argument is the limit.
func findSQL(col string, kind, after bool) string {
	q := `SELECT ` + linkCols + ` FROM links WHERE ` + col + ` = ? AND ` + col + ` <> ''`
	if kind {
		q += ` AND kind = ?`
	}
	if after {
		q += ` AND (release_id, seq) > (?, ?)`
	}
	return q + ` ORDER BY release_id, seq LIMIT ?`
}

// historySQL is the query of ListDeploymentHistory.
func historySQL(after bool) string {
	q := `SELECT ` + linkCols + ` FROM links WHERE ` + deployed + ` AND env = ? AND service = ?`
	if after {
		q += ` AND (ok_s, ok_ns, release_id, seq) < (?, ?, ?, ?)`
	}
	return q + ` ORDER BY ` + newestFirst + ` LIMIT ?`
}

// conflictsSQL is the query of ListDeploymentConflicts.
func conflictsSQL(env, service, after bool) string {
	q := `SELECT env, service, version, count(DISTINCT release_id) FROM links WHERE ` + deployed
	if env {
		q += ` AND env = ?`
	}
	if service {
		q += ` AND service = ?`
	}
	if after {
		q += ` AND (env, service, version) > (?, ?, ?)`
	}
	return q + ` GROUP BY env, service, version HAVING count(DISTINCT release_id) > 1 ORDER BY env, service, version LIMIT ?`
}

// linkQueries are the queries of the LinkStore methods, by name, for
// the test that checks their plans.
func linkQueries() map[string]string {
	return map[string]string{
		"find by ref": findSQL("ref", false, false), "find by ref and kind after": findSQL("ref", true, true),
		"find by url": findSQL("url", false, false), "find by url and kind after": findSQL("url", true, true),
		"deployed now": qDeployedNow, "next env": qNextEnv, "deployments in env": qDeploymentsInEnv, "next key": qNextKey,
		"history": historySQL(false), "history after": historySQL(true),
		"conflicts": conflictsSQL(false, false, false), "conflicts of env and service after": conflictsSQL(true, true, true),
		"claims": qClaims,
	}
}

// linkRow returns the column values of rec for qInsertLink.
func linkRow(rec *store.LinkRecord) ([]any, error) {
	doc, err := json.Marshal(&rec.Link)
	if err != nil {
		return nil, errf(store.ErrInvalid, "release %s: event %d: encoding the link: %v", rec.Release, rec.Seq, err)
	}
	l := &rec.Link
	var okS, okNs int64
	if rec.Succeeded {
		okS, okNs = rec.SucceededAt.Unix(), int64(rec.SucceededAt.Nanosecond())
	}
	return []any{string(rec.Release), rec.Seq, string(l.Kind), l.Ref, l.URL, l.Service, l.Environment, l.Version,
		string(l.Activity), rec.Succeeded, okS, okNs, doc}, nil
}

// putLinks writes c, the link changes of events of release id, in the
// writer's transaction.
func (w *wtx) putLinks(id release.ID, c *store.LinkChanges) error {
	for _, st := range c.States {
		var okS, okNs int64
		if st.Succeeded {
			okS, okNs = st.SucceededAt.Unix(), int64(st.SucceededAt.Nanosecond())
		}
		if err := w.exec(qSetLinkState, st.Succeeded, okS, okNs, string(id), string(st.Activity)); err != nil {
			return wrapDB(fmt.Sprintf("release %s: indexing the links of %s", id, st.Activity), err)
		}
	}
	for i := range c.Added {
		row, err := linkRow(&c.Added[i])
		if err != nil {
			return err
		}
		if err := w.exec(qInsertLink, row...); err != nil {
			return wrapDB(fmt.Sprintf("release %s: indexing the link of event %d", id, c.Added[i].Seq), err)
		}
	}
	return nil
}

// scanLink reads the linkCols of a row.
func scanLink(sc scanner) (store.LinkRecord, error) {
	var rec store.LinkRecord
	var id string
	var okS, okNs int64
	var doc []byte
	if err := sc.Scan(&id, &rec.Seq, &rec.Succeeded, &okS, &okNs, &doc); err != nil {
		return rec, err
	}
	rec.Release = release.ID(id)
	if rec.Succeeded {
		rec.SucceededAt = time.Unix(okS, okNs).UTC()
	}
	if err := json.Unmarshal(doc, &rec.Link); err != nil {
		return rec, &DecodeError{What: "link", ID: fmt.Sprintf("%s/%d", id, rec.Seq), Err: err}
	}
	return rec, nil
}

// queryLinks runs q and reads up to limit+1 rows of linkCols.
func (s *Store) queryLinks(ctx context.Context, op, q string, args ...any) ([]store.LinkRecord, error) {
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.readErr(ctx, op, err)
	}
	defer rows.Close()
	var out []store.LinkRecord
	for rows.Next() {
		rec, err := scanLink(rows)
		if err != nil {
			return nil, s.readErr(ctx, op, err)
		}
		out = append(out, rec)
	}
	if err := s.rowsErr(ctx, op, rows); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) readable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return ErrClosed
	}
	return nil
}

// FindLinks implements store.LinkStore, with the index links_ref (or
// links_url): one seek, then the page in index order.
func (s *Store) FindLinks(ctx context.Context, p *store.FindLinksParams) (*store.LinkPage, error) {
	if err := s.readable(ctx); err != nil {
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
// links_deployed, as a skip scan: one seek per (environment, service)
// listed, each to the newest deployment of the next key.
func (s *Store) ListDeployments(ctx context.Context, p *store.ListDeploymentsParams) (*store.LinkPage, error) {
	if err := s.readable(ctx); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errf(store.ErrInvalid, "list deployments: params: missing")
	}
	var env, service string
	if _, err := linkcursor.Decode(p.Cursor, linkcursor.KindDeployments, &env, &service); err != nil {
		return nil, errf(store.ErrInvalid, "list deployments: %v", err)
	}
	const op = "list deployments"
	limit := store.ClampLimit(p.Limit)
	page := &store.LinkPage{}
	if p.Environment != "" && p.Service == "" {
		// One statement: a recursive skip scan over the environment's
		// services.
		if env != p.Environment {
			service = ""
		}
		recs, err := s.queryLinks(ctx, op, qDeploymentsInEnv, p.Environment, service, limit+2)
		if err != nil {
			return nil, err
		}
		page.Links = recs
		if len(recs) > limit {
			page.Links, page.Next = recs[:limit], linkcursor.Deployments(&recs[limit-1])
		}
		return page, nil
	}
	for {
		var recs []store.LinkRecord
		var err error
		switch {
		case p.Environment != "" && p.Service != "":
			if p.Cursor != "" {
				return page, nil // its only key was listed
			}
			recs, err = s.queryLinks(ctx, op, qDeployedNow, p.Environment, p.Service)
			if len(recs) == 0 && err == nil {
				return page, nil
			}
			if err == nil {
				page.Links = recs
			}
			return page, err
		case p.Service != "":
			// The next environment, then the service's newest there.
			var next string
			err = s.rdb.QueryRowContext(ctx, qNextEnv, env).Scan(&next)
			if errors.Is(err, sql.ErrNoRows) {
				return page, nil
			} else if err != nil {
				return nil, s.readErr(ctx, op, err)
			}
			env, service = next, p.Service
			recs, err = s.queryLinks(ctx, op, qDeployedNow, env, service)
		default:
			recs, err = s.queryLinks(ctx, op, qNextKey, env, service)
			if err == nil && len(recs) == 0 {
				return page, nil
			}
		}
		if err != nil {
			return nil, err
		}
		if len(recs) == 0 {
			continue // the service is not deployed in env
		}
		if len(page.Links) == limit {
			page.Next = linkcursor.Deployments(&page.Links[limit-1])
			return page, nil
		}
		page.Links = append(page.Links, recs[0])
		env, service = recs[0].Link.Environment, recs[0].Link.Service
	}
}

// ListDeploymentHistory implements store.LinkStore, with the index
// links_deployed: one seek, then the page in index order.
func (s *Store) ListDeploymentHistory(ctx context.Context, p *store.ListDeploymentHistoryParams) (*store.LinkPage, error) {
	if err := s.readable(ctx); err != nil {
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
	if err := s.readable(ctx); err != nil {
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
	const op = "list deployment conflicts"
	var args []any
	if p.Environment != "" {
		args = append(args, p.Environment)
	}
	if p.Service != "" {
		args = append(args, p.Service)
	}
	if after {
		args = append(args, env, service, version)
	}
	limit := store.ClampLimit(p.Limit)
	rows, err := s.rdb.QueryContext(ctx, conflictsSQL(p.Environment != "", p.Service != "", after), append(args, limit+1)...)
	if err != nil {
		return nil, s.readErr(ctx, op, err)
	}
	page := &store.ConflictPage{}
	for rows.Next() {
		var c store.DeploymentConflict
		if err := rows.Scan(&c.Environment, &c.Service, &c.Version, &c.Releases); err != nil {
			rows.Close()
			return nil, s.readErr(ctx, op, err)
		}
		page.Conflicts = append(page.Conflicts, c)
	}
	if err := s.rowsErr(ctx, op, rows); err != nil {
		rows.Close()
		return nil, err
	}
	rows.Close()
	if len(page.Conflicts) > limit {
		page.Conflicts, page.Next = page.Conflicts[:limit], linkcursor.Conflicts(&page.Conflicts[limit-1])
	}
	for i := range page.Conflicts {
		c := &page.Conflicts[i]
		// Each release's first claim: the smallest seq per release_id.
		c.Claims, err = s.queryLinks(ctx, op, qClaims, c.Environment, c.Service, c.Version, store.MaxConflictClaims)
		if err != nil {
			return nil, err
		}
	}
	return page, nil
}

// finishV10 fills the link index from the events stored before it: the
// links their link.added events add, each with the state its activity's
// last success or rollback left. A link the index cannot hold
// (store.CheckLink: too long, a control character) or whose payload does
// not decode is left out of the index (it stays in the events); new
// appends of such links are refused instead. It reads the events once, a
// range of releases at a time, so it holds the links of at most
// backfillReleases releases in memory.
func finishV10(ctx context.Context, conn *sql.Conn, _ digester) error {
	var maxRID int64
	if err := conn.QueryRowContext(ctx, `SELECT coalesce(max(rid), 0) FROM releases`).Scan(&maxRID); err != nil {
		return err
	}
	for lo := int64(0); lo <= maxRID; lo += backfillReleases {
		recs, err := backfillLinks(ctx, conn, lo, lo+backfillReleases)
		if err != nil {
			return err
		}
		for i := range recs {
			row, err := linkRow(&recs[i])
			if err != nil {
				return err
			}
			if _, err := conn.ExecContext(ctx, qInsertLink, row...); err != nil {
				return fmt.Errorf("release %s: event %d: %w", recs[i].Release, recs[i].Seq, err)
			}
		}
	}
	return nil
}

// backfillReleases is how many releases finishV10 reads at a time.
const backfillReleases = 1000

// backfillLinks returns the links of the releases with rid in [lo, hi),
// with their state.
func backfillLinks(ctx context.Context, conn *sql.Conn, lo, hi int64) ([]store.LinkRecord, error) {
	rows, err := conn.QueryContext(ctx, `SELECT r.id, e.key & 4294967295, e.kind, e.time, e.actor, e.payload
		FROM events e JOIN releases r ON r.rid = e.key >> 32
		WHERE e.key >= ? AND e.key < ? AND e.kind IN ('link.added', 'activity.succeeded', 'activity.rolled-back') ORDER BY e.key`,
		lo<<seqBits, hi<<seqBits)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var all []store.LinkRecord
	var cur release.ID
	states := map[release.ActivityKey]store.ActivityLinkState{}
	first := 0 // all[first:] are cur's links
	settle := func() {
		for i := first; i < len(all); i++ {
			if st, ok := states[all[i].Link.Activity]; ok && all[i].Link.Activity != "" {
				all[i].Succeeded, all[i].SucceededAt = st.Succeeded, st.SucceededAt
			}
		}
		clear(states)
		first = len(all)
	}
	for rows.Next() {
		var id, kind, at, actor string
		var seq int64
		var payload []byte
		if err := rows.Scan(&id, &seq, &kind, &at, &actor, &payload); err != nil {
			return nil, err
		}
		if release.ID(id) != cur {
			settle()
			cur = release.ID(id)
		}
		t, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			return nil, fmt.Errorf("release %s: event %d: time %q: %w", id, seq, at, err)
		}
		switch release.EventKind(kind) {
		case release.KindLinkAdded:
			var p release.LinkAddedPayload
			if json.Unmarshal(payload, &p) != nil || store.CheckLink(&p.Link) != nil {
				continue
			}
			l := p.Link
			l.Activity, l.Task, l.Actor, l.At = p.Activity, p.Task, actor, t
			all = append(all, store.LinkRecord{Release: cur, Seq: seq, Link: l})
		default:
			e := release.Event{Payload: payload}
			k, ok := e.Activity()
			if !ok {
				continue
			}
			st := store.ActivityLinkState{Activity: k}
			if release.EventKind(kind) == release.KindActivitySucceeded {
				st.Succeeded, st.SucceededAt = true, t
			}
			states[k] = st
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	settle()
	return all, nil
}
