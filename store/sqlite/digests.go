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
	b := make([]byte, 0, 8+len(id)+1+8+32+len(data))
	b = binary.BigEndian.AppendUint64(b, uint64(rid))
	b = append(b, id...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint64(b, uint64(seq))
	b = append(b, hash[:]...)
	b = append(b, data...)
	return d.sum(digestReport, b)
}

// qDropDigest forgets a release's kept digest: appendAt runs it when it
// appends to an ended release, the only kind that keeps one, so that a
// listing never has to read the release's head to tell a stale digest.
const qDropDigest = `DELETE FROM release_digests WHERE rid = ?`

const qPutDigest = `INSERT INTO release_digests (rid, seq, hash, check_sum, data) VALUES (?, ?, ?, ?, ?)
	ON CONFLICT (rid) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, check_sum = excluded.check_sum, data = excluded.data`

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
		if err := w.exec(qPutDigest, h.rid, seq, hash[:], sum[:], data); err != nil {
			return wrapDB("put release digest "+string(id), err)
		}
		return nil
	})
}

// listDigestsQuery builds ListReleaseDigests' query: the releases as
// ListReleases filters and orders them, each with its kept digest (d).
// It reads no head: a kept digest is current, since an append to its
// release deletes it (qDropDigest).
//
// A page is a range scan of an index in list order (releases_group,
// releases_process or releases_created) from the cursor, which stops after
// Limit+1 matches: the scheduled window is tested on each row (the unary
// + keeps SQLite from choosing releases_scheduled, whose order is not the
// list's: every page would sort the whole window), so listing a window
// costs what it scans once, not once per page.
func listDigestsQuery(p *store.ListReleaseDigestsParams) (string, []any, int, error) {
	var q strings.Builder
	q.WriteString(`SELECT r.id, r.created_s, r.created_ns, r.rid, r.status, d.seq, d.hash, d.check_sum, d.data
		FROM releases r LEFT JOIN release_digests d ON d.rid = r.rid WHERE 1`)
	var args []any
	if p.Group != "" {
		q.WriteString(` AND r.group_id = ?`)
		args = append(args, string(p.Group))
	}
	if p.Process != "" {
		q.WriteString(` AND r.process_id = ?`)
		args = append(args, string(p.Process))
	}
	if !p.ScheduledFrom.IsZero() {
		q.WriteString(` AND (+r.sched_s, +r.sched_ns) >= (?, ?)`)
		args = append(args, p.ScheduledFrom.Unix(), p.ScheduledFrom.Nanosecond())
	}
	if !p.ScheduledTo.IsZero() {
		q.WriteString(` AND (+r.sched_s, +r.sched_ns) < (?, ?)`)
		args = append(args, p.ScheduledTo.Unix(), p.ScheduledTo.Nanosecond())
	}
	if p.Cursor != "" {
		var c releaseCursor
		raw, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		if err != nil || json.Unmarshal(raw, &c) != nil || c.ID == "" {
			return "", nil, 0, errf(store.ErrInvalid, "list release digests: cursor %q: not one this store made", p.Cursor)
		}
		q.WriteString(` AND (r.created_s, r.created_ns, r.id) > (?, ?, ?)`)
		args = append(args, c.S, c.NS, string(c.ID))
	}
	limit := store.ClampLimit(p.Limit)
	q.WriteString(` ORDER BY r.created_s, r.created_ns, r.id LIMIT ?`)
	return q.String(), append(args, limit+1), limit, nil
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
	page := &store.ReleaseDigestPage{Releases: []store.ReleaseDigestEntry{}}
	var last releaseCursor
	for rows.Next() {
		if len(page.Releases) == limit {
			raw, _ := json.Marshal(last)
			page.Next = base64.RawURLEncoding.EncodeToString(raw)
			break
		}
		var (
			id, status          string
			rid                 int64
			dSeq                sql.NullInt64
			dHash, dCheck, data []byte
		)
		if err := rows.Scan(&id, &last.S, &last.NS, &rid, &status, &dSeq, &dHash, &dCheck, &data); err != nil {
			return nil, s.readErr(ctx, "list release digests", err)
		}
		last.ID = release.ID(id)
		e := store.ReleaseDigestEntry{Release: last.ID, Status: release.Status(status)}
		if dSeq.Valid {
			var dh release.Hash
			if len(dHash) != len(dh) {
				return nil, corrupt(last.ID, "digest", dSeq.Int64, "the kept digest names no head")
			}
			copy(dh[:], dHash)
			if !sameHash(dCheck, s.dg.reportDigest(rid, last.ID, dSeq.Int64, dh, data)) {
				return nil, corrupt(last.ID, "digest", dSeq.Int64, "the kept digest does not match its check sum")
			}
			if !e.Status.Terminal() {
				return nil, corrupt(last.ID, "digest", dSeq.Int64, "a digest is kept for a release that is %s", status)
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
