package postgres

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

var _ store.DigestStore = (*Store)(nil)

// reportDigest is the check sum a release_digests row keeps of its
// fields: the store's digest of a part name, the release id, a NUL byte,
// the seq (8 bytes, big-endian), the hash and the data.
func (s *Store) reportDigest(id release.ID, seq int64, hash release.Hash, data []byte) [32]byte {
	const part = "baton-report-digest-v1\x00"
	b := make([]byte, 0, len(part)+len(id)+1+8+len(hash)+len(data))
	b = append(b, part...)
	b = append(b, id...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint64(b, uint64(seq))
	b = append(b, hash[:]...)
	b = append(b, data...)
	return s.digest(b)
}

// PutReleaseDigest implements store.DigestStore: one statement that
// writes only while the release's head is the one given.
func (s *Store) PutReleaseDigest(ctx context.Context, p *store.PutReleaseDigestParams) error {
	if err := s.ready(ctx); err != nil {
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
	id := p.Release
	op := "put release digest " + string(id)
	if !storable(string(id)) {
		return errf(store.ErrNotFound, "release %q", id)
	}
	sum := s.reportDigest(id, p.Seq, p.Hash, p.Data)
	tag, err := s.pool.Exec(ctx, s.q(`INSERT INTO _s.release_digests (release_id, seq, hash, check_sum, data)
		SELECT id, $2, $3, $4, $5 FROM _s.releases WHERE id = $1 AND seq = $2 AND hash = $3
			AND status IN ('Succeeded', 'PartialSuccess', 'Failed', 'Aborted', 'RolledBack')
		ON CONFLICT (release_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, check_sum = excluded.check_sum, data = excluded.data`),
		string(id), p.Seq, p.Hash[:], sum[:], p.Data)
	if err != nil {
		return s.wrapDB(ctx, op, err)
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	var seq int64
	var status string
	if err := s.pool.QueryRow(ctx, s.q(`SELECT seq, status FROM _s.releases WHERE id = $1`), string(id)).Scan(&seq, &status); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return errf(store.ErrNotFound, "release %s", id)
		}
		return s.wrapDB(ctx, op, err)
	}
	if !release.Status(status).Terminal() {
		return errf(store.ErrConflict, "put release digest %s: the release is %s; digests are kept of ended releases", id, status)
	}
	return errf(store.ErrConflict, "put release digest %s: computed at seq %d (hash %s); the release's head is seq %d", id, p.Seq, p.Hash, seq)
}

// listDigestsQuery builds ListReleaseDigests' query (in the _s schema).
func listDigestsQuery(p *store.ListReleaseDigestsParams) (string, []any, int, error) {
	if err := checkText("list release digests", "Group", string(p.Group), "Process", string(p.Process)); err != nil {
		return "", nil, 0, err
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	var q strings.Builder
	q.WriteString(`SELECT r.id, r.sched_s, r.sched_ns, r.status, r.seq, r.hash, r.head_digest, d.seq, d.hash, d.check_sum, d.data
		FROM _s.releases r LEFT JOIN _s.release_digests d ON d.release_id = r.id WHERE TRUE`)
	if p.Group != "" {
		q.WriteString(` AND r.group_id = ` + arg(string(p.Group)))
	}
	if p.Process != "" {
		q.WriteString(` AND r.process_id = ` + arg(string(p.Process)))
	}
	if !p.ScheduledTo.IsZero() {
		q.WriteString(` AND (r.sched_s, r.sched_ns) < (` + arg(p.ScheduledTo.Unix()) + `::bigint, ` + arg(int32(p.ScheduledTo.Nanosecond())) + `::integer)`)
	}
	var c *releaseCursor
	if p.Cursor != "" {
		c = new(releaseCursor)
		raw, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		if err != nil || json.Unmarshal(raw, c) != nil || c.ID == "" || !storable(string(c.ID)) {
			return "", nil, 0, errf(store.ErrInvalid, "list release digests: cursor %q: not one this store made", p.Cursor)
		}
		q.WriteString(` AND (r.sched_s, r.sched_ns, r.id) > (` + arg(c.S) + `::bigint, ` + arg(c.NS) + `::integer, ` + arg(string(c.ID)) + `::text)`)
	}
	// The window's start bounds the scan unless the cursor is in the
	// window (as the cursors of this query are): then the cursor does.
	if from := p.ScheduledFrom; !from.IsZero() && (c == nil || c.S < from.Unix() || (c.S == from.Unix() && c.NS < int32(from.Nanosecond()))) {
		q.WriteString(` AND (r.sched_s, r.sched_ns) >= (` + arg(from.Unix()) + `::bigint, ` + arg(int32(from.Nanosecond())) + `::integer)`)
	}
	limit := store.ClampLimit(p.Limit)
	q.WriteString(` ORDER BY r.sched_s, r.sched_ns, r.id LIMIT ` + arg(limit+1))
	return q.String(), args, limit, nil
}

// ListReleaseDigests implements store.DigestStore: the releases in
// (scheduled, id) order, a range scan of releases_scheduled from the
// cursor (or of the group's or process's index, whose rows are then
// sorted), each joined to its kept digest by key, which is returned only
// while it names the release's head.
func (s *Store) ListReleaseDigests(ctx context.Context, p *store.ListReleaseDigestsParams) (*store.ReleaseDigestPage, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListReleaseDigestsParams{}
	}
	q, args, limit, err := listDigestsQuery(p)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, s.q(q), args...)
	if err != nil {
		return nil, s.wrapDB(ctx, "list release digests", err)
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
			seq                 int64
			hash, headDigest    []byte
			dSeq                *int64
			dHash, dCheck, data []byte
		)
		if err := rows.Scan(&id, &last.S, &last.NS, &status, &seq, &hash, &headDigest, &dSeq, &dHash, &dCheck, &data); err != nil {
			return nil, s.wrapDB(ctx, "list release digests", err)
		}
		last.ID = release.ID(id)
		var h release.Hash
		if len(hash) != len(h) {
			return nil, corrupt(last.ID, "head", seq, "the release's head hash is %d bytes", len(hash))
		}
		copy(h[:], hash)
		if !sameHash(headDigest, s.headDigest(release.Head{Release: last.ID, Seq: seq, Hash: h})) {
			return nil, corrupt(last.ID, "head", seq, "the head does not match its digest")
		}
		e := store.ReleaseDigestEntry{Release: last.ID, Status: release.Status(status)}
		if dSeq != nil {
			var dh release.Hash
			if len(dHash) != len(dh) {
				return nil, corrupt(last.ID, "digest", *dSeq, "the kept digest names no head")
			}
			copy(dh[:], dHash)
			if !sameHash(dCheck, s.reportDigest(last.ID, *dSeq, dh, data)) {
				return nil, corrupt(last.ID, "digest", *dSeq, "the kept digest does not match its check sum")
			}
			if *dSeq == seq && dh == h {
				e.Data, e.Seq, e.Hash = data, seq, h
			}
		}
		page.Releases = append(page.Releases, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrapDB(ctx, "list release digests", err)
	}
	return page, nil
}
