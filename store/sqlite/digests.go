package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"strings"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

var _ store.DigestStore = (*Store)(nil)

// digestReport is the part name of a kept report digest's check sum.
const digestReport = "baton-report-digest-v1"

// reportDigest is the check sum a release_digests row keeps of its own
// fields and the release's id, so that a damaged or moved row is an
// error, not a wrong figure.
func (d digester) reportDigest(rid int64, id release.ID, seq int64, hash release.Hash, data []byte) release.Hash {
	sum, _ := d.reportDigestIn(nil, rid, id, seq, hash, data)
	return sum
}

// reportDigestIn is reportDigest, building the summed bytes in buf's
// memory, which it returns for the next call.
func (d digester) reportDigestIn(buf []byte, rid int64, id release.ID, seq int64, hash release.Hash, data []byte) (release.Hash, []byte) {
	b := buf[:0]
	b = binary.BigEndian.AppendUint64(b, uint64(rid))
	b = append(b, id...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint64(b, uint64(seq))
	b = append(b, hash[:]...)
	b = append(b, data...)
	return d.sum(digestReport, b), b
}

// qDropDigest forgets a release's kept digest, and qUndigested flags the
// release as having none: appendAt runs them when it appends to an ended
// release, the only kind that keeps one, so that a listing never has to
// read the release's head to tell a stale digest.
const (
	qDropDigest = `DELETE FROM release_digests WHERE rid = ?`
	qUndigested = `UPDATE releases SET digested = 0 WHERE rid = ? AND digested = 1`
)

// qPutDigest keeps a digest with the release's filter columns, taken from
// its row; qDigested flags the release as having one.
const (
	qPutDigest = `INSERT INTO release_digests (sched_s, sched_ns, id, rid, group_id, process_id, status, seq, hash, check_sum, data)
	SELECT sched_s, sched_ns, id, rid, group_id, process_id, status, ?, ?, ?, ? FROM releases WHERE rid = ?`
	qDigested = `UPDATE releases SET digested = 1 WHERE rid = ?`
)

// PutReleaseDigest implements store.DigestStore.
func (s *Store) PutReleaseDigest(ctx context.Context, p *store.PutReleaseDigestParams) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	switch {
	case p == nil || p.Release == "":
		return errf(store.ErrInvalid, "put release digest: Release: missing")
	case p.Seq < 1:
		return errf(store.ErrInvalid, "put release digest %s: Seq %d: want 1 or more", p.Release, p.Seq)
	case len(p.Data) == 0 || len(p.Data) > store.MaxDigestSize:
		return errf(store.ErrInvalid, "put release digest %s: Data: %d bytes, want 1 to %d", p.Release, len(p.Data), store.MaxDigestSize)
	}
	id, seq, hash, data := p.Release, p.Seq, p.Hash, bytes.Clone(p.Data)
	return s.write(ctx, func(w *wtx) error {
		if err := w.flushEvents(); err != nil {
			return err
		}
		h, err := readHead(w, id)
		if err != nil {
			return err
		}
		if !release.Status(h.status).Terminal() {
			return errf(store.ErrConflict, "put release digest %s: the release is %s; digests are kept of ended releases", id, h.status)
		}
		if h.seq != seq || h.hash != hash {
			return errf(store.ErrConflict, "put release digest %s: computed at seq %d (hash %s); the release's head is seq %d (hash %s)",
				id, seq, hash, h.seq, h.hash)
		}
		sum := w.dg.reportDigest(h.rid, id, seq, hash, data)
		for _, st := range []struct {
			q    string
			args []any
		}{{qDropDigest, []any{h.rid}}, {qPutDigest, []any{seq, hash[:], sum[:], data, h.rid}}, {qDigested, []any{h.rid}}} {
			if err := w.exec(st.q, st.args...); err != nil {
				return wrapDB("put release digest "+string(id), err)
			}
		}
		return nil
	})
}

// listDigestsQuery builds ListReleaseDigests' query: the kept digests,
// and the releases that have none (releases.digested = 0), each a range
// scan of an index in (scheduled, id) order from the cursor, merged. A
// digest row carries the release's filter columns, so a listing reads one
// narrow row per release with a digest (the digest table's own key, or
// its group or process index) and never the releases table for them; it
// reads no head either: a kept digest is current, since an append to its
// release deletes it (qDropDigest).
func listDigestsQuery(p *store.ListReleaseDigestsParams) (string, []any, int, error) {
	var c releaseCursor
	if p.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		if err != nil || json.Unmarshal(raw, &c) != nil || c.ID == "" {
			return "", nil, 0, errf(store.ErrInvalid, "list release digests: cursor %q: not one this store made", p.Cursor)
		}
	}
	var args []any
	// where filters one arm; on the releases (noIndex "+") the group and
	// process are tested on each row of the partial index, which SQLite
	// would otherwise trade for the group's or process's index and a sort.
	where := func(noIndex string) string {
		var w strings.Builder
		if p.Group != "" {
			w.WriteString(` AND ` + noIndex + `group_id = ?`)
			args = append(args, string(p.Group))
		}
		if p.Process != "" {
			w.WriteString(` AND ` + noIndex + `process_id = ?`)
			args = append(args, string(p.Process))
		}
		// The lower bound is the cursor's, when it is in the window (as
		// the cursors of this query are): SQLite ranges an index scan on
		// one lower bound, and a page after the window's start would
		// otherwise scan from there.
		if !p.ScheduledFrom.IsZero() && (p.Cursor == "" || c.S < p.ScheduledFrom.Unix() ||
			(c.S == p.ScheduledFrom.Unix() && c.NS < int64(p.ScheduledFrom.Nanosecond()))) {
			w.WriteString(` AND (sched_s, sched_ns) >= (?, ?)`)
			args = append(args, p.ScheduledFrom.Unix(), p.ScheduledFrom.Nanosecond())
		}
		if !p.ScheduledTo.IsZero() {
			w.WriteString(` AND (sched_s, sched_ns) < (?, ?)`)
			args = append(args, p.ScheduledTo.Unix(), p.ScheduledTo.Nanosecond())
		}
		if p.Cursor != "" {
			w.WriteString(` AND (sched_s, sched_ns, id) > (?, ?, ?)`)
			args = append(args, c.S, c.NS, string(c.ID))
		}
		return w.String()
	}
	limit := store.ClampLimit(p.Limit)
	q := `SELECT id, sched_s, sched_ns, rid, status, seq, hash, check_sum, data FROM release_digests WHERE 1` + where("") + `
		UNION ALL
		SELECT id, sched_s, sched_ns, rid, status, NULL, NULL, NULL, NULL FROM releases WHERE digested = 0` + where("+") + `
		ORDER BY 2, 3, 1 LIMIT ?`
	return q, append(args, limit+1), limit, nil
}

// ListReleaseDigests implements store.DigestStore.
func (s *Store) ListReleaseDigests(ctx context.Context, p *store.ListReleaseDigestsParams) (*store.ReleaseDigestPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if p == nil {
		p = &store.ListReleaseDigestsParams{}
	}
	q, args, limit, err := listDigestsQuery(p)
	if err != nil {
		return nil, err
	}
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.readErr(ctx, "list release digests", err)
	}
	defer rows.Close()
	page := &store.ReleaseDigestPage{Releases: make([]store.ReleaseDigestEntry, 0, min(limit, 1024))}
	var last releaseCursor
	var buf []byte // the check sums' input
	for rows.Next() {
		if len(page.Releases) == limit {
			raw, _ := json.Marshal(last)
			page.Next = base64.RawURLEncoding.EncodeToString(raw)
			break
		}
		var (
			id            string
			rid           int64
			dSeq          sql.NullInt64
			status        sql.RawBytes // read here only
			dHash, dCheck sql.RawBytes
			data          []byte
		)
		if err := rows.Scan(&id, &last.S, &last.NS, &rid, &status, &dSeq, &dHash, &dCheck, &data); err != nil {
			return nil, s.readErr(ctx, "list release digests", err)
		}
		last.ID = release.ID(id)
		e := store.ReleaseDigestEntry{Release: last.ID, Status: statusNamed(status)}
		if dSeq.Valid {
			var dh release.Hash
			if len(dHash) != len(dh) {
				return nil, corrupt(last.ID, "digest", dSeq.Int64, "the kept digest names no head")
			}
			copy(dh[:], dHash)
			var sum release.Hash
			sum, buf = s.dg.reportDigestIn(buf, rid, last.ID, dSeq.Int64, dh, data)
			if !sameHash(dCheck, sum) {
				return nil, corrupt(last.ID, "digest", dSeq.Int64, "the kept digest does not match its check sum")
			}
			if !e.Status.Terminal() {
				return nil, corrupt(last.ID, "digest", dSeq.Int64, "a digest is kept for a release that is %s", e.Status)
			}
			e.Data, e.Seq, e.Hash = data, dSeq.Int64, dh
		}
		page.Releases = append(page.Releases, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.readErr(ctx, "list release digests", err)
	}
	return page, nil
}

// statusNamed returns the release status named b, without allocating for
// the known ones.
func statusNamed(b []byte) release.Status {
	for _, st := range release.Statuses {
		if string(st) == string(b) {
			return st
		}
	}
	return release.Status(b)
}
