package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// sameHash reports whether b, a stored hash or digest, is h.
func sameHash(b []byte, h release.Hash) bool { return len(b) == len(h) && release.Hash(b) == h }

// checkRelease checks that r is the release after events.
func checkRelease(op string, r *release.Release, events []release.Event) error {
	if r == nil {
		return errf(store.ErrInvalid, "%s: Release: missing", op)
	}
	if len(events) == 0 {
		return errf(store.ErrInvalid, "%s %s: Events: none", op, r.ID)
	}
	last := &events[len(events)-1]
	if r.ID == "" || r.ID != last.Release || r.Seq != last.Seq || r.Hash != last.Hash {
		return errf(store.ErrInvalid, "%s %s: Release is at event %d of release %q, not at the last event given (%d of %q)",
			op, r.ID, r.Seq, r.ID, last.Seq, last.Release)
	}
	return nil
}

// summaryRow is what the releases row keeps of a release: the summary
// document (built at the release's head, so it carries the head's seq and
// hash) with its digest, and the columns lists filter and order by.
type summaryRow struct {
	id                  release.ID
	createdS, schedS    int64
	createdNs, schedNs  int32
	status, group, proc string
	occurrence          *string // UTC RFC 3339; nil when the release has none
	seq                 int64
	hash                release.Hash
	doc                 []byte
	digest, headDigest  [sha256.Size]byte
	wakeLoad            bool   // the release's Resume
	wakeS               *int64 // nil when no timer is pending
	wakeNs              *int32
	endedS              *int64 // EndedAt of a finished release; nil before
	endedNs             *int32
}

func (s *Store) newSummaryRow(op string, r *release.Release) (*summaryRow, error) {
	sum := r.Summary()
	doc, err := json.Marshal(&sum)
	if err != nil {
		return nil, errf(store.ErrInvalid, "%s %s: encoding the summary: %v", op, r.ID, err)
	}
	row := &summaryRow{
		id: r.ID, createdS: sum.CreatedAt.Unix(), createdNs: int32(sum.CreatedAt.Nanosecond()),
		schedS: sum.ScheduledFor.Unix(), schedNs: int32(sum.ScheduledFor.Nanosecond()),
		status: string(sum.Status), group: string(sum.Group), proc: string(sum.ProcessID),
		seq: sum.Seq, hash: sum.Hash, doc: doc, digest: s.digest(doc),
		headDigest: s.headDigest(release.Head{Release: r.ID, Seq: sum.Seq, Hash: sum.Hash}),
	}
	if !sum.Occurrence.IsZero() {
		occ := sum.Occurrence.UTC().Format(time.RFC3339Nano)
		row.occurrence = &occ
	}
	if sum.Status.Terminal() {
		es, ens := sum.EndedAt.Unix(), int32(sum.EndedAt.Nanosecond())
		row.endedS, row.endedNs = &es, &ens
	}
	res := r.Resume()
	row.wakeLoad = res.Load
	if !res.At.IsZero() {
		ws, wns := res.At.Unix(), int32(res.At.Nanosecond())
		row.wakeS, row.wakeNs = &ws, &wns
	}
	return row, nil
}

// eventArrays returns the columns of events as arrays, for qInsertEvents.
func eventArrays(events []release.Event) []any {
	n := len(events)
	seqs, kinds, times, actors, reasons := make([]int64, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	payloads, prevs, hashes := make([][]byte, n), make([][]byte, n), make([][]byte, n)
	for i := range events {
		e := &events[i]
		seqs[i], kinds[i], times[i], actors[i], reasons[i] = e.Seq, string(e.Kind), e.Time.Format(time.RFC3339Nano), e.Actor, e.Reason
		if e.Payload != nil {
			payloads[i] = []byte(e.Payload)
		}
		prevs[i], hashes[i] = e.PrevHash[:], e.Hash[:]
	}
	return []any{seqs, kinds, times, actors, reasons, payloads, prevs, hashes}
}

const (
	// qInsertEvents inserts a release's events ($1) from arrays of their
	// columns ($2 to $9), in one statement.
	qInsertEvents = `INSERT INTO _s.events (release_id, seq, kind, time, actor, reason, payload, prev_hash, hash)
		SELECT $1, u.seq, u.kind, u.time, u.actor, u.reason, u.payload, u.prev_hash, u.hash
		FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bytea[], $8::bytea[], $9::bytea[])
			AS u (seq, kind, time, actor, reason, payload, prev_hash, hash)`
	qInsertRelease = `INSERT INTO _s.releases (id, created_s, created_ns, sched_s, sched_ns, status, group_id, occurrence,
		process_id, seq, hash, snapshot_seq, summary, sum_digest, head_digest, wake_load, wake_s, wake_ns, ended_s, ended_ns)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`
	qPutSnapshot = `INSERT INTO _s.snapshots (release_id, seq, hash, digest, doc) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (release_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, digest = excluded.digest, doc = excluded.doc`
	// qAppend appends in one statement, so in one transaction: it moves
	// the release's head from ($2, $3) to the new one with the new summary
	// and, only when that UPDATE found the head it names, inserts the
	// events and, when $20 is set, the snapshot. A concurrent append at
	// the same head waits for the row lock, then finds the head moved and
	// changes nothing. With $25 set it also stores the anchor ($22 to $24
	// with the new head). With the events it writes their feed row (see
	// feed.go). It returns the number of releases updated: 0 or 1.
	qAppend = `WITH h AS (
			UPDATE _s.releases SET seq = $4, hash = $5, status = $6, sched_s = $7, sched_ns = $8,
				summary = $9, sum_digest = $10, head_digest = $26, snapshot_seq = CASE WHEN $20 THEN $4 ELSE snapshot_seq END,
				wake_load = $27, wake_s = $28, wake_ns = $29, ended_s = $30, ended_ns = $31
			WHERE id = $1 AND seq = $2 AND hash = $3 RETURNING id),
		e AS (INSERT INTO _s.events (release_id, seq, kind, time, actor, reason, payload, prev_hash, hash)
			SELECT h.id, u.seq, u.kind, u.time, u.actor, u.reason, u.payload, u.prev_hash, u.hash
			FROM h, unnest($11::bigint[], $12::text[], $13::text[], $14::text[], $15::text[], $16::bytea[], $17::bytea[], $18::bytea[])
				AS u (seq, kind, time, actor, reason, payload, prev_hash, hash)),
		s AS (INSERT INTO _s.snapshots (release_id, seq, hash, digest, doc)
			SELECT h.id, $4, $5, $19, $21 FROM h WHERE $20
			ON CONFLICT (release_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, digest = excluded.digest, doc = excluded.doc),
		a AS (INSERT INTO _s.anchors (release_id, seq, hash, alg, key_id, sig)
			SELECT h.id, $4, $5, $22, $23, $24 FROM h WHERE $25),
		f AS (INSERT INTO _s.feed (release_id, first_seq, last_seq) SELECT h.id, $2 + 1, $4 FROM h)
		SELECT count(*) FROM h`
	// qAppendParams is the number of qAppend's parameters: appendLinksQuery
	// numbers its own after them.
	qAppendParams = 31
	// qAppendNotify is qAppend that also notifies channel $32 with payload
	// $33 when it appends (store.AppendEventsParams.Notify): PostgreSQL
	// delivers the notification when the statement's transaction commits.
	qAppendNotify = qAppend + `, LATERAL (SELECT pg_notify($32, $33) WHERE h.id IS NOT NULL) n`
	// qNotify notifies channel $1 with payload $2, in CreateRelease's batch.
	qNotify       = `SELECT pg_notify($1, $2)`
	qHead         = `SELECT seq, hash, snapshot_seq, head_digest FROM _s.releases WHERE id = $1`
	qInsertAnchor = `INSERT INTO _s.anchors (release_id, seq, hash, alg, key_id, sig) VALUES ($1, $2, $3, $4, $5, $6)`
)

// CreateRelease implements store.ReleaseStore. The release's row, its
// events and its snapshot (when due) go in as one batch, which PostgreSQL
// runs as one transaction. The primary key and the unique index
// releases_occurrence (group_id, occurrence) refuse a second release with
// the same id or for the same occurrence of a group. A release of a
// group's occurrence is sent in a transaction that holds the occurrence's
// lock (lockOccurrence) and first looks for a history record that claims
// it (store.ErrClaimed).
func (s *Store) CreateRelease(ctx context.Context, p *store.CreateReleaseParams) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	if p == nil {
		return errf(store.ErrInvalid, "create release: params: missing")
	}
	if err := checkRelease("create release", p.Release, p.Events); err != nil {
		return err
	}
	r := p.Release
	if k := p.Events[0].Kind; k != release.KindReleaseCreated {
		return errf(store.ErrInvalid, "create release %s: the first event is %s, not %s", r.ID, k, release.KindReleaseCreated)
	}
	if err := release.VerifyChain(p.Events); err != nil {
		return fmt.Errorf("postgres: create release %s: %w: %w", r.ID, store.ErrInvalid, err)
	}
	if err := checkText("create release", "ID", string(r.ID), "Group", string(r.Group), "ProcessID", string(r.ProcessID)); err != nil {
		return err
	}
	if err := checkEvents("create release "+string(r.ID), p.Events); err != nil {
		return err
	}
	if err := checkAnchor("create release "+string(r.ID), p.Anchor, r); err != nil {
		return err
	}
	links, err := store.LinkChangesOf(r, p.Events)
	if err != nil {
		return fmt.Errorf("postgres: create release %s: %w", r.ID, err)
	}
	row, err := s.newSummaryRow("create release", r)
	if err != nil {
		return err
	}
	var snap []byte
	var snapSeq int64
	if s.opts.SnapshotDue(r, 0) {
		if snap, err = r.MarshalSnapshot(); err != nil {
			return errf(store.ErrInvalid, "create release %s: encoding the snapshot: %v", r.ID, err)
		}
		snapSeq = row.seq
	}
	id := string(row.id)
	b := &pgx.Batch{}
	b.Queue(s.q(qInsertRelease), id, row.createdS, row.createdNs, row.schedS, row.schedNs, row.status, row.group, row.occurrence,
		row.proc, row.seq, row.hash[:], snapSeq, row.doc, row.digest[:], row.headDigest[:], row.wakeLoad, row.wakeS, row.wakeNs,
		row.endedS, row.endedNs)
	b.Queue(s.q(qInsertEvents), append([]any{id}, eventArrays(p.Events)...)...)
	if snap != nil {
		digest := s.digest(snap)
		b.Queue(s.q(qPutSnapshot), id, row.seq, row.hash[:], digest[:], snap)
	}
	if a := p.Anchor; a != nil {
		b.Queue(s.q(qInsertAnchor), id, a.Seq, a.Hash[:], a.Alg, a.KeyID, a.Sig)
	}
	b.Queue(s.q(qInsertFeed), id, row.seq)
	if len(links.Added) > 0 {
		cols, err := linkArrays(links.Added)
		if err != nil {
			return err
		}
		b.Queue(s.q(qInsertLinks), append([]any{id}, cols...)...)
	}
	if ok, payload := s.writeNotify(p.Notify, r.ID, row.seq); ok {
		b.Queue(qNotify, notifyChannel(s.opts.Schema), payload)
	}
	if row.occurrence != nil {
		err = s.sendOccurrenceBatch(ctx, b, row.group, r.Occurrence, *row.occurrence, id)
		if errors.Is(err, store.ErrClaimed) {
			return err
		}
	} else {
		err = s.pool.SendBatch(ctx, b).Close()
	}
	if err == nil {
		s.snaps.put(row.id, snapSeq)
		s.listen.feed.Signal()
		return nil
	}
	if name, dup := uniqueViolation(err); dup {
		switch name {
		case "deletions_release":
			return errf(store.ErrAlreadyExists, "create release %s: a release with that id was deleted", id)
		case "deletions_occurrence":
			return errf(store.ErrAlreadyExists, "create release %s: the release of group %q for occurrence %s was deleted", id, row.group, *row.occurrence)
		}
		if name == "releases_occurrence" {
			return errf(store.ErrAlreadyExists, "create release %s: a release of group %q exists for occurrence %s", id, row.group, *row.occurrence)
		}
		return errf(store.ErrAlreadyExists, "create release %s", id)
	}
	return s.wrapDB(ctx, "create release "+id, err)
}

// AppendEvents implements store.ReleaseStore.
//
// One statement (qAppend) moves the release's head iff it is the one the
// events follow (ExpectedSeq and the first event's PrevHash), and in the
// same transaction inserts the events and, when due, the snapshot; if the
// head is another (a stale ExpectedSeq, another writer first, events
// chained to another head) it writes nothing, and the head is then read
// to say why: store.ErrNotFound, store.ErrConflict or store.ErrInvalid.
// The events' own chain is checked before, in Go. The head is read before
// the write only when the Store does not know the seq of the release's
// latest snapshot (snapSeqs) or the events do not chain. The primary key
// (release_id, seq) of the events guards the rule a second time.
func (s *Store) AppendEvents(ctx context.Context, p *store.AppendEventsParams) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	if p == nil {
		return errf(store.ErrInvalid, "append events: params: missing")
	}
	if err := checkRelease("append to release", p.Release, p.Events); err != nil {
		return err
	}
	r, events, expected := p.Release, p.Events, p.ExpectedSeq
	id := string(r.ID)
	op := "append to release " + id
	if !storable(id) {
		return errf(store.ErrNotFound, "append to release %q", id)
	}
	if err := checkEvents(op, events); err != nil {
		return err
	}
	if err := checkAnchor(op, p.Anchor, r); err != nil {
		return err
	}
	first := &events[0]
	// The events' own chain, from the head they claim to follow; qAppend
	// checks that claim against the stored head.
	chainErr := release.VerifyChainFrom(release.Head{Release: r.ID, Seq: first.Seq - 1, Hash: first.PrevHash}, events)
	linked := chainErr == nil && first.Seq == expected+1
	snapSeq, known := s.snaps.get(r.ID)
	if !linked || !known {
		h, err := s.readHead(ctx, op, r.ID)
		if err != nil {
			return err
		}
		if err := appendRefused(h, expected, events, chainErr); err != nil {
			return err
		}
		snapSeq = h.snapSeq
	}
	links, err := store.LinkChangesOf(r, events)
	if err != nil {
		return fmt.Errorf("postgres: append to release %s: %w", id, err)
	}
	row, err := s.newSummaryRow("append to release", r)
	if err != nil {
		return err
	}
	var snap []byte
	var snapDigest [sha256.Size]byte
	if s.opts.SnapshotDue(r, snapSeq) {
		if snap, err = r.MarshalSnapshot(); err != nil {
			return errf(store.ErrInvalid, "append to release %s: encoding the snapshot: %v", id, err)
		}
		snapDigest = s.digest(snap)
	}
	args := []any{id, expected, first.PrevHash[:], row.seq, row.hash[:], row.status, row.schedS, row.schedNs, row.doc, row.digest[:]}
	args = append(args, eventArrays(events)...)
	args = append(args, snapDigest[:], snap != nil, snap)
	if a := p.Anchor; a != nil {
		args = append(args, a.Alg, a.KeyID, a.Sig, true)
	} else {
		args = append(args, "", "", []byte{}, false)
	}
	args = append(args, row.headDigest[:], row.wakeLoad, row.wakeS, row.wakeNs, row.endedS, row.endedNs)
	query := qAppend
	if ok, payload := s.writeNotify(p.Notify, r.ID, row.seq); ok {
		query = qAppendNotify
		args = append(args, notifyChannel(s.opts.Schema), payload)
	}
	if !links.Empty() {
		if query, args, err = appendLinksQuery(query, args, &links); err != nil {
			return err
		}
	}
	var n int64
	if err := s.pool.QueryRow(ctx, s.q(query), args...).Scan(&n); err != nil {
		s.snaps.drop(r.ID)
		if _, dup := uniqueViolation(err); dup {
			return errf(store.ErrConflict, "append to release %s: events after seq %d were stored meanwhile", id, expected)
		}
		return s.wrapDB(ctx, op, err)
	}
	if n == 0 {
		// The stored head is not the one the events follow: say why.
		s.snaps.drop(r.ID)
		h, err := s.readHead(ctx, op, r.ID)
		if err != nil {
			return err
		}
		if err := appendRefused(h, expected, events, chainErr); err != nil {
			return err
		}
		return errf(store.ErrConflict, "append to release %s: expected seq %d: another writer appended meanwhile", id, expected)
	}
	if snap != nil {
		snapSeq = row.seq
	}
	s.snaps.put(r.ID, snapSeq)
	s.listen.feed.Signal()
	return nil
}

// storedHead is a release's head as its row holds it.
type storedHead struct {
	release.Head
	snapSeq int64
}

// readHead reads the head of release id: store.ErrNotFound when there is
// no such release.
func (s *Store) readHead(ctx context.Context, op string, id release.ID) (*storedHead, error) {
	h := &storedHead{Head: release.Head{Release: id}}
	var hash, digest []byte
	err := s.pool.QueryRow(ctx, s.q(qHead), string(id)).Scan(&h.Seq, &hash, &h.snapSeq, &digest)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errf(store.ErrNotFound, "append to release %s", id)
	} else if err != nil {
		return nil, s.wrapDB(ctx, op, err)
	}
	if len(hash) != len(h.Hash) {
		return nil, corrupt(id, "head", h.Seq, "the stored head hash has %d bytes", len(hash))
	}
	copy(h.Hash[:], hash)
	if !sameHash(digest, s.headDigest(h.Head)) {
		return nil, corrupt(id, "head", h.Seq, "the head does not match its digest")
	}
	return h, nil
}

// appendRefused returns why events cannot be appended after h, the stored
// head, in the contract's order (a stale expected sequence number, then
// events that do not continue the stored chain), or nil when they can.
func appendRefused(h *storedHead, expected int64, events []release.Event, chainErr error) error {
	id := h.Release
	if h.Seq != expected {
		return errf(store.ErrConflict, "append to release %s: expected seq %d, stored %d", id, expected, h.Seq)
	}
	if err := release.VerifyChainFrom(h.Head, events); err != nil {
		return fmt.Errorf("postgres: append to release %s: %w: %w", id, store.ErrInvalid, err)
	}
	if chainErr != nil {
		return fmt.Errorf("postgres: append to release %s: %w: %w", id, store.ErrInvalid, chainErr)
	}
	return nil
}

// snapSeqs remembers, for the releases a Store has written, the seq of
// each one's latest snapshot, so that an append needs no read before its
// write to decide whether a snapshot is due. Snapshots only move forward:
// an entry made stale by another process is lower than the stored seq,
// which costs at most one snapshot taken early, never a wrong answer.
type snapSeqs struct {
	mu sync.Mutex
	m  map[release.ID]int64
}

// maxSnapSeqs bounds snapSeqs; it is cleared when full.
const maxSnapSeqs = 4096

func (c *snapSeqs) get(id release.ID) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	seq, ok := c.m[id]
	return seq, ok
}

func (c *snapSeqs) put(id release.ID, seq int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxSnapSeqs {
		c.m = make(map[release.ID]int64)
	}
	c.m[id] = seq
}

func (c *snapSeqs) drop(id release.ID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, id)
}

const eventCols = `seq, kind, time, actor, reason, payload, prev_hash, hash`

// scanEvent reads one event row (eventCols).
func scanEvent(rows pgx.Rows, id release.ID) (release.Event, error) {
	var (
		e                 release.Event
		kind, tm          string
		payload, prev, hh []byte
	)
	if err := rows.Scan(&e.Seq, &kind, &tm, &e.Actor, &e.Reason, &payload, &prev, &hh); err != nil {
		return e, err
	}
	e.Release, e.Kind = id, release.EventKind(kind)
	if payload != nil {
		e.Payload = json.RawMessage(payload)
	}
	bad := func(err error) error { return &DecodeError{What: "event", ID: string(id), Seq: e.Seq, Err: err} }
	t, err := time.Parse(time.RFC3339Nano, tm)
	if err != nil {
		return e, bad(fmt.Errorf("time: %w", err))
	}
	e.Time = t
	if len(prev) != len(e.PrevHash) || len(hh) != len(e.Hash) {
		return e, bad(fmt.Errorf("hash: want %d bytes, got %d and %d", len(e.Hash), len(prev), len(hh)))
	}
	copy(e.PrevHash[:], prev)
	copy(e.Hash[:], hh)
	return e, nil
}

// qReleaseHead reads a release's head and its latest snapshot (one
// statement: one snapshot of the database).
const qReleaseHead = `SELECT r.seq, r.hash, r.head_digest, r.snapshot_seq, sn.seq, sn.hash, sn.digest, sn.doc
	FROM _s.releases r LEFT JOIN _s.snapshots sn ON sn.release_id = r.id WHERE r.id = $1`

// GetRelease implements store.ReleaseStore.
//
// It reads the release's head and snapshot in one statement, then the
// events from the snapshot's seq to the head (committed events never
// change, so the second statement needs no shared transaction), and trusts
// none of them beyond the others: the snapshot must match its digest and
// the stored event at its seq, the events after it must continue the chain
// from that event (hashes recomputed), and the last one must be the head.
func (s *Store) GetRelease(ctx context.Context, id release.ID) (*release.Release, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	op := "get release " + string(id)
	if !storable(string(id)) {
		return nil, errf(store.ErrNotFound, "release %q", id)
	}
	var (
		hseq, snapSeq        int64
		hhash, hdigest       []byte
		sseq                 *int64
		shash, sdigest, sdoc []byte
	)
	err := s.pool.QueryRow(ctx, s.q(qReleaseHead), string(id)).Scan(&hseq, &hhash, &hdigest, &snapSeq, &sseq, &shash, &sdigest, &sdoc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errf(store.ErrNotFound, "release %s", id)
	} else if err != nil {
		return nil, s.wrapDB(ctx, op, err)
	}
	var head release.Head
	if len(hhash) != len(head.Hash) {
		return nil, corrupt(id, "head", hseq, "the stored head hash has %d bytes", len(hhash))
	}
	copy(head.Hash[:], hhash)
	head.Release, head.Seq = id, hseq
	if !sameHash(hdigest, s.headDigest(head)) {
		return nil, corrupt(id, "head", hseq, "the head does not match its digest")
	}
	var r *release.Release
	from := release.Head{Release: id}
	if snapSeq > 0 {
		if r, from, err = s.checkSnapshot(id, snapSeq, sseq, shash, sdigest, sdoc); err != nil {
			return nil, err
		}
	}
	if from.Seq > hseq {
		return nil, corrupt(id, "snapshot", from.Seq, "it is past the release's head (seq %d)", hseq)
	}
	rows, err := s.pool.Query(ctx, s.q(`SELECT `+eventCols+` FROM _s.events WHERE release_id = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq`),
		string(id), from.Seq, hseq)
	if err != nil {
		return nil, s.wrapDB(ctx, op+": reading events", err)
	}
	defer rows.Close()
	events := make([]release.Event, 0, min(hseq-from.Seq, 1024))
	first := true
	for rows.Next() {
		e, err := scanEvent(rows, id)
		if err != nil {
			return nil, s.wrapDB(ctx, op+": reading events", err)
		}
		if first && from.Seq > 0 {
			// The event the snapshot was built from.
			if e.Seq != from.Seq || e.Hash != from.Hash {
				return nil, corrupt(id, "snapshot", from.Seq, "the stored event at its seq is not the one it was built from")
			}
			first = false
			continue
		}
		first = false
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrapDB(ctx, op+": reading events", err)
	}
	if first && from.Seq > 0 {
		return nil, corrupt(id, "snapshot", from.Seq, "the event it was built from is missing")
	}
	if err := release.VerifyChainFrom(from, events); err != nil {
		var ce *release.ChainError
		seq := int64(0)
		if errors.As(err, &ce) {
			seq = ce.Seq
		}
		return nil, corrupt(id, "event", seq, "%w", err)
	}
	end := from
	if n := len(events); n > 0 {
		end = release.Head{Release: id, Seq: events[n-1].Seq, Hash: events[n-1].Hash}
	}
	if end.Seq != hseq || end.Hash != head.Hash {
		return nil, corrupt(id, "head", hseq, "the log ends at seq %d, not at the release's head (seq %d, hash %s)", end.Seq, hseq, head.Hash)
	}
	for _, e := range events {
		if r == nil {
			r = new(release.Release)
		}
		if err := s.procs.Apply(r, e); err != nil {
			return nil, &DecodeError{What: "event", ID: string(id), Seq: e.Seq, Err: fmt.Errorf("folding: %w", err)}
		}
	}
	return r, nil
}

// checkSnapshot checks and decodes the release's snapshot, which its row
// says is at snapSeq, and returns it and the head it was built from.
func (s *Store) checkSnapshot(id release.ID, snapSeq int64, seq *int64, hash, digest, doc []byte) (*release.Release, release.Head, error) {
	from := release.Head{Release: id}
	if seq == nil {
		return nil, from, &DecodeError{What: "snapshot", ID: string(id), Seq: snapSeq, Err: errors.New("the release's row names a snapshot that is not stored")}
	}
	if *seq != snapSeq || len(hash) != len(from.Hash) {
		return nil, from, corrupt(id, "snapshot", *seq, "the release's row names a snapshot at seq %d", snapSeq)
	}
	if !sameHash(digest, s.digest(doc)) {
		return nil, from, corrupt(id, "snapshot", *seq, "the snapshot does not match its digest")
	}
	from.Seq = *seq
	copy(from.Hash[:], hash)
	r, err := s.procs.UnmarshalSnapshot(doc)
	if err != nil {
		return nil, from, &DecodeError{What: "snapshot", ID: string(id), Seq: *seq, Err: err}
	}
	if r.ID != id || r.Seq != *seq || r.Hash != from.Hash {
		return nil, from, corrupt(id, "snapshot", *seq, "it holds release %s at seq %d", r.ID, r.Seq)
	}
	return r, from, nil
}

// summaryCols are the columns a summary is read and checked with: the
// releases row's, and the seq and hash of the release's last stored event
// (as e, a backward probe of the events' primary key).
const (
	summaryCols = `r.id, r.created_s, r.created_ns, r.summary, r.sum_digest, r.status, r.sched_s, r.sched_ns, r.seq, r.hash, r.head_digest, e.seq, e.hash`
	lastEvent   = ` LEFT JOIN LATERAL (SELECT seq, hash FROM _s.events WHERE release_id = r.id ORDER BY seq DESC LIMIT 1) e ON true`
)

// summaryScan receives summaryCols.
type summaryScan struct {
	id                 string
	createdS, schedS   int64
	createdNs, schedNs int32
	doc, digest, hash  []byte
	headDigest         []byte
	status             string
	seq                int64
	lastSeq            *int64
	lastHash           []byte
}

func (c *summaryScan) dest() []any {
	return []any{&c.id, &c.createdS, &c.createdNs, &c.doc, &c.digest, &c.status, &c.schedS, &c.schedNs, &c.seq, &c.hash, &c.headDigest, &c.lastSeq, &c.lastHash}
}

// summary checks the summary against its digest, the release's head, the
// columns that copy its fields, and the last stored event, and decodes it.
func (c *summaryScan) summary(s *Store) (*release.Summary, error) {
	id := release.ID(c.id)
	if !sameHash(c.digest, s.digest(c.doc)) {
		return nil, corrupt(id, "summary", c.seq, "the summary does not match its digest")
	}
	sum := new(release.Summary)
	if err := json.Unmarshal(c.doc, sum); err != nil {
		return nil, &DecodeError{What: "summary", ID: c.id, Err: err}
	}
	switch {
	case sum.ID != id || sum.Seq != c.seq || !sameHash(c.hash, sum.Hash):
		return nil, corrupt(id, "summary", sum.Seq, "the summary was not built from the release's head (seq %d)", c.seq)
	case !sameHash(c.headDigest, s.headDigest(release.Head{Release: id, Seq: c.seq, Hash: sum.Hash})):
		// sum.Hash is the head's hash (the case above).
		return nil, corrupt(id, "head", c.seq, "the head does not match its digest")
	case string(sum.Status) != c.status || sum.ScheduledFor.Unix() != c.schedS || int32(sum.ScheduledFor.Nanosecond()) != c.schedNs ||
		sum.CreatedAt.Unix() != c.createdS || int32(sum.CreatedAt.Nanosecond()) != c.createdNs:
		return nil, corrupt(id, "summary", c.seq, "the release's row (status %q) does not match the summary", c.status)
	case c.lastSeq == nil || *c.lastSeq != c.seq || !sameHash(c.lastHash, sum.Hash):
		last := int64(0)
		if c.lastSeq != nil {
			last = *c.lastSeq
		}
		return nil, corrupt(id, "head", c.seq, "the log ends at seq %d, not at the release's head (seq %d, hash %s)", last, c.seq, sum.Hash)
	}
	return sum, nil
}

// GetReleaseSummary implements store.ReleaseStore.
func (s *Store) GetReleaseSummary(ctx context.Context, id release.ID) (*release.Summary, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if !storable(string(id)) {
		return nil, errf(store.ErrNotFound, "release %q", id)
	}
	var c summaryScan
	err := s.pool.QueryRow(ctx, s.q(`SELECT `+summaryCols+` FROM _s.releases r`+lastEvent+` WHERE r.id = $1`), string(id)).Scan(c.dest()...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errf(store.ErrNotFound, "release %s", id)
	} else if err != nil {
		return nil, s.wrapDB(ctx, "get release summary "+string(id), err)
	}
	return c.summary(s)
}

// releaseCursor is the position after a release in (CreatedAt, ID) order.
type releaseCursor struct {
	S  int64      `json:"s"`
	NS int32      `json:"ns"`
	ID release.ID `json:"id"`
}

// ListReleases implements store.ReleaseStore.
//
// Each filter has an index ordered like the list, (filter, created_s,
// created_ns, id), so a page is a range scan that stops after Limit rows:
// releases_status, releases_group, releases_process, and releases_created
// without a filter. Several statuses are one such scan each (UNION ALL),
// each stopping after Limit rows, merged. A scheduled window alone uses
// releases_scheduled (sched_s, sched_ns) and sorts the releases of the
// window.
func (s *Store) ListReleases(ctx context.Context, p *store.ListReleasesParams) (*store.ReleasePage, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	q, args, limit, err := s.listReleasesQuery(p)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, s.wrapDB(ctx, "list releases", err)
	}
	defer rows.Close()
	page := &store.ReleasePage{Releases: []release.Summary{}}
	var last releaseCursor
	for rows.Next() {
		if len(page.Releases) == limit {
			raw, _ := json.Marshal(last)
			page.Next = base64.RawURLEncoding.EncodeToString(raw)
			break
		}
		var c summaryScan
		if err := rows.Scan(c.dest()...); err != nil {
			return nil, s.wrapDB(ctx, "list releases", err)
		}
		sum, err := c.summary(s)
		if err != nil {
			return nil, err
		}
		last = releaseCursor{S: c.createdS, NS: c.createdNs, ID: release.ID(c.id)}
		page.Releases = append(page.Releases, *sum)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrapDB(ctx, "list releases", err)
	}
	return page, nil
}

// listReleasesQuery returns the query of a ListReleases page, its
// arguments and the page size.
func (s *Store) listReleasesQuery(p *store.ListReleasesParams) (q string, args []any, limit int, err error) {
	if p == nil {
		p = &store.ListReleasesParams{}
	}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if err := checkText("list releases", "Group", string(p.Group), "Process", string(p.Process)); err != nil {
		return "", nil, 0, err
	}
	for _, st := range p.Statuses {
		if err := checkText("list releases", "Statuses", string(st)); err != nil {
			return "", nil, 0, err
		}
	}
	var where strings.Builder
	if p.Group != "" {
		where.WriteString(` AND group_id = ` + arg(string(p.Group)))
	}
	if p.Process != "" {
		where.WriteString(` AND process_id = ` + arg(string(p.Process)))
	}
	if !p.ScheduledFrom.IsZero() {
		where.WriteString(` AND (sched_s, sched_ns) >= (` + arg(p.ScheduledFrom.Unix()) + `::bigint, ` + arg(int32(p.ScheduledFrom.Nanosecond())) + `::integer)`)
	}
	if !p.ScheduledTo.IsZero() {
		where.WriteString(` AND (sched_s, sched_ns) < (` + arg(p.ScheduledTo.Unix()) + `::bigint, ` + arg(int32(p.ScheduledTo.Nanosecond())) + `::integer)`)
	}
	if p.Cursor != "" {
		var c releaseCursor
		raw, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		if err != nil || json.Unmarshal(raw, &c) != nil || c.ID == "" || !storable(string(c.ID)) {
			return "", nil, 0, errf(store.ErrInvalid, "list releases: cursor %q: not one this store made", p.Cursor)
		}
		where.WriteString(` AND (created_s, created_ns, id) > (` + arg(c.S) + `::bigint, ` + arg(c.NS) + `::integer, ` + arg(string(c.ID)) + `::text)`)
	}
	limit = store.ClampLimit(p.Limit)
	lim := arg(limit + 1)
	const cols = `SELECT id, created_s, created_ns, summary, sum_digest, status, sched_s, sched_ns, seq, hash, head_digest FROM _s.releases WHERE TRUE`
	const order = ` ORDER BY created_s, created_ns, id LIMIT `
	var inner string
	statuses := slices.Compact(slices.Sorted(slices.Values(p.Statuses)))
	switch len(statuses) {
	case 0:
		inner = cols + where.String() + order + lim
	case 1:
		inner = cols + ` AND status = ` + arg(string(statuses[0])) + where.String() + order + lim
	default:
		arms := make([]string, len(statuses))
		for i, st := range statuses {
			arms[i] = `(` + cols + ` AND status = ` + arg(string(st)) + where.String() + order + lim + `)`
		}
		inner = strings.Join(arms, ` UNION ALL `)
	}
	q = `SELECT ` + summaryCols + ` FROM (` + inner + `) r` + lastEvent + ` ORDER BY r.created_s, r.created_ns, r.id LIMIT ` + lim
	return s.q(q), args, limit, nil
}

// ListEvents implements store.ReleaseStore: a range of the events' primary
// key (release_id, seq).
func (s *Store) ListEvents(ctx context.Context, p *store.ListEventsParams) ([]release.Event, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errf(store.ErrInvalid, "list events: params: missing")
	}
	id := p.Release
	op := "list events of release " + string(id)
	if !storable(string(id)) {
		return nil, errf(store.ErrNotFound, "release %q", id)
	}
	rows, err := s.pool.Query(ctx, s.q(`SELECT `+eventCols+` FROM _s.events WHERE release_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`),
		string(id), max(p.AfterSeq, 0), store.ClampLimit(p.Limit))
	if err != nil {
		return nil, s.wrapDB(ctx, op, err)
	}
	defer rows.Close()
	events := []release.Event{}
	for rows.Next() {
		e, err := scanEvent(rows, id)
		if err != nil {
			return nil, s.wrapDB(ctx, op, err)
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrapDB(ctx, op, err)
	}
	rows.Close()
	if len(events) == 0 {
		// None after AfterSeq: from a release that exists, or none at all?
		if err := s.releaseExists(ctx, op, id); err != nil {
			return nil, err
		}
	}
	return events, nil
}

// checkAnchor checks a, when set, as store.AnchorStore says: it seals r's
// head, after the events, and carries a signature.
func checkAnchor(op string, a *release.Anchor, r *release.Release) error {
	if err := store.CheckAnchor(a, release.Head{Release: r.ID, Seq: r.Seq, Hash: r.Hash}); err != nil {
		return fmt.Errorf("postgres: %s: %w: %w", op, store.ErrInvalid, err)
	}
	if a != nil {
		return checkText(op+": anchor", "Alg", a.Alg, "KeyID", a.KeyID)
	}
	return nil
}

// ListAnchors implements store.AnchorStore: a range of the anchors' primary
// key (release_id, seq).
func (s *Store) ListAnchors(ctx context.Context, p *store.ListAnchorsParams) ([]release.Anchor, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errf(store.ErrInvalid, "list anchors: params: missing")
	}
	id := p.Release
	op := "list anchors of release " + string(id)
	if !storable(string(id)) {
		return nil, errf(store.ErrNotFound, "release %q", id)
	}
	rows, err := s.pool.Query(ctx, s.q(`SELECT seq, hash, alg, key_id, sig FROM _s.anchors WHERE release_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`),
		string(id), max(p.AfterSeq, 0), store.ClampLimit(p.Limit))
	if err != nil {
		return nil, s.wrapDB(ctx, op, err)
	}
	defer rows.Close()
	anchors := []release.Anchor{}
	for rows.Next() {
		a := release.Anchor{Release: id}
		var hash []byte
		if err := rows.Scan(&a.Seq, &hash, &a.Alg, &a.KeyID, &a.Sig); err != nil {
			return nil, s.wrapDB(ctx, op, err)
		}
		if len(hash) != len(a.Hash) {
			return nil, &DecodeError{What: "anchor", ID: string(id), Seq: a.Seq, Err: fmt.Errorf("hash: %d bytes", len(hash))}
		}
		copy(a.Hash[:], hash)
		anchors = append(anchors, a)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrapDB(ctx, op, err)
	}
	rows.Close()
	if len(anchors) == 0 {
		if err := s.releaseExists(ctx, op, id); err != nil {
			return nil, err
		}
	}
	return anchors, nil
}

// releaseExists returns nil when release id exists, else store.ErrNotFound.
func (s *Store) releaseExists(ctx context.Context, op string, id release.ID) error {
	var one int
	err := s.pool.QueryRow(ctx, s.q(`SELECT 1 FROM _s.releases WHERE id = $1`), string(id)).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return errf(store.ErrNotFound, "release %s", id)
	}
	return s.wrapDB(ctx, op, err)
}

// qClaimed finds a group history record that claims an occurrence
// (release.GroupRecord.Claims), unless a release holds the occurrence (or
// held it: deleted), which the unique indexes then report (a skipped
// record that names its release claims nothing).
const qClaimed = `SELECT decision FROM _s.group_history WHERE group_id = $1 AND occ_s = $2 AND occ_ns = $3
	AND decision IN ('missed', 'skipped')
	AND NOT EXISTS (SELECT 1 FROM _s.releases WHERE group_id = $1 AND occurrence = $4)
	AND NOT EXISTS (SELECT 1 FROM _s.deletions WHERE group_id = $1 AND occurrence = $4) LIMIT 1`

// occurrenceLockClass is the first key of the advisory lock of a group's
// occurrence ("BATO"); the second is a hash of the schema, group and
// occurrence (a collision only makes two occurrences wait for each other).
const occurrenceLockClass = 0x4241544f

// lockOccurrence takes the transaction's advisory lock on a group's
// occurrence: the release of the occurrence and a history record that
// claims it (AppendGroupHistory) are written under it, each after looking
// for the other, so one of two racing writers sees what the other wrote.
// occKey is the occurrence in UTC RFC 3339 (nanoseconds).
func (s *Store) lockOccurrence(ctx context.Context, tx pgx.Tx, group, occKey string) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, int32(occurrenceLockClass), s.opts.Schema+"/"+group+"/"+occKey)
	return err
}

// sendOccurrenceBatch sends b, the writes of a release of a group's
// occurrence, in a transaction holding the occurrence's lock, unless the
// group's history claims the occurrence (an error matching
// store.ErrClaimed). Other errors are returned as they are.
func (s *Store) sendOccurrenceBatch(ctx context.Context, b *pgx.Batch, group string, occ time.Time, occKey, id string) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // a no-op after Commit
	if err := s.lockOccurrence(ctx, tx, group, occKey); err != nil {
		return err
	}
	var d string
	err = tx.QueryRow(ctx, s.q(qClaimed), group, occ.Unix(), int32(occ.Nanosecond()), occKey).Scan(&d)
	switch {
	case err == nil:
		return errf(store.ErrClaimed, "create release %s: group %q recorded occurrence %s %s", id, group, occKey, d)
	case !errors.Is(err, pgx.ErrNoRows):
		return err
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
