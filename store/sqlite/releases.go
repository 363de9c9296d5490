package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// An event's key is rid<<32 | seq (see migration 2): a release's events are
// one range of the events table, in seq order. The last key of the range,
// rid<<32 | headSeq, is the release's head row (see migration 3).
const (
	seqBits = 32
	seqMask = 1<<seqBits - 1
	// headSeq is the seq part of the key of a release's head row.
	headSeq = seqMask
	// maxSeq is the highest sequence number the store keeps.
	maxSeq = headSeq - 1
	// maxRID is the highest release rowid: rid<<32 stays a positive int64.
	maxRID = 1<<(63-seqBits) - 1
)

func eventKey(rid, seq int64) int64 { return rid<<seqBits | seq }

func headKey(rid int64) int64 { return eventKey(rid, headSeq) }

// sameHash reports whether b, a stored hash or digest, is h.
func sameHash(b []byte, h release.Hash) bool { return len(b) == len(h) && release.Hash(b) == h }

// headCols are the columns of a release's head row (as m) and its last
// event (as e), as readHeadCols scans them.
type headCols struct {
	seq, done, waiting, key sql.NullInt64
	hash, check, lastHash   []byte
}

func (c *headCols) dest() []any {
	return []any{&c.seq, &c.hash, &c.done, &c.waiting, &c.check, &c.key, &c.lastHash}
}

// head checks the head row of the release with rowid rid against its
// digest and the release's last event, and returns it.
func (c *headCols) head(dg digester, id release.ID, rid int64) (seq int64, hash release.Hash, done int64, waiting bool, err error) {
	if !c.seq.Valid || !c.done.Valid || !c.waiting.Valid || len(c.hash) != len(hash) {
		return 0, hash, 0, false, corrupt(id, "head", 0, "the release's head row is missing")
	}
	seq, done, waiting = c.seq.Int64, c.done.Int64, c.waiting.Int64 != 0
	copy(hash[:], c.hash)
	if !sameHash(c.check, dg.head(rid, seq, hash, done, waiting)) {
		return 0, hash, 0, false, corrupt(id, "head", seq, "the head row does not match its digest")
	}
	if !c.key.Valid || c.key.Int64&seqMask != seq || !bytes.Equal(c.lastHash, hash[:]) {
		last := int64(0)
		if c.key.Valid {
			last = c.key.Int64 & seqMask
		}
		return 0, hash, 0, false, corrupt(id, "head", seq, "the log ends at seq %d, not at the release's head (seq %d, hash %s)", last, seq, hash)
	}
	return seq, hash, done, waiting, nil
}

const (
	qReleaseExists = `SELECT 1 FROM releases WHERE id = ?`
	// qReleaseTaken and qOccurrence find a release, or the deletion of
	// one, that holds an id or a group's occurrence.
	qReleaseTaken = `SELECT 1 FROM releases WHERE id = ?1 UNION ALL SELECT 1 FROM deletions WHERE release_id = ?1`
	qOccurrence   = `SELECT id FROM releases WHERE group_id = ?1 AND occurrence = ?2
		UNION ALL SELECT release_id FROM deletions WHERE group_id = ?1 AND occurrence = ?2`
	// qClaimed finds a group history record that claims an occurrence
	// (release.GroupRecord.Claims; a skipped one that names its release
	// claims nothing, but that release, or its deletion, holds the
	// occurrence: qOccurrence finds it first).
	qClaimed       = `SELECT decision FROM group_history WHERE group_id = ? AND occ_s = ? AND occ_ns = ? AND decision IN ('missed', 'skipped') LIMIT 1`
	qInsertRelease = `INSERT INTO releases (id, created_s, created_ns, sched_s, sched_ns, status, group_id, occurrence,
		process_id, snapshot_seq, summary, sum_seq, sum_digest, wake_load, wake_s, wake_ns, ended_s, ended_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING rid`
	// qInsertHead and qSetHead write a release's head row; qSetHead only
	// when it still holds the head the writer read.
	qInsertHead = `INSERT INTO events (key, kind, time, actor, reason, prev_hash, hash, done, waiting, head_seq)
		VALUES (?, '', '', '', '', ?, ?, ?, ?, ?)`
	qSetHead = `UPDATE events SET head_seq = ?, hash = ?, done = ?, waiting = ?, prev_hash = ?
		WHERE key = ? AND head_seq = ? AND hash = ?`
	// lastEvent is the key of a release's last event, given the release's
	// row as r; headJoin joins its head row as m and its last event as e.
	lastEvent = `(SELECT key FROM events WHERE key BETWEEN r.rid << 32 AND (r.rid << 32) + 4294967294 ORDER BY key DESC LIMIT 1)`
	headJoin  = ` LEFT JOIN events m ON m.key = (r.rid << 32) + 4294967295 LEFT JOIN events e ON e.key = ` + lastEvent
	qHeadCols = `m.head_seq, m.hash, m.done, m.waiting, m.prev_hash, e.key, e.hash`
	// qWriterHead is what the writer needs of a release it does not know:
	// its row and its head.
	qWriterHead = `SELECT r.rid, r.status, r.sched_s, r.sched_ns, r.snapshot_seq, r.summary, r.sum_digest, r.wake_load, r.wake_s, r.wake_ns, ` + qHeadCols +
		` FROM releases r` + headJoin + ` WHERE r.id = ?`
	// qSetSummary and qSetSummaryIndexed rewrite the summary's document
	// (and snapshot_seq); the second also its indexed columns, which are
	// left alone when they do not change (updating them rewrites index
	// pages).
	qSetSummary        = `UPDATE releases SET summary = ?, sum_seq = ?, sum_digest = ?, snapshot_seq = ? WHERE rid = ?`
	qSetSummaryIndexed = `UPDATE releases SET summary = ?, sum_seq = ?, sum_digest = ?, snapshot_seq = ?, status = ?, sched_s = ?, sched_ns = ?, ended_s = ?, ended_ns = ? WHERE rid = ?`
	qSetSnapshotSeq    = `UPDATE releases SET snapshot_seq = ? WHERE rid = ?`
	qSetWake           = `UPDATE releases SET wake_load = ?, wake_s = ?, wake_ns = ? WHERE rid = ?`
	qPutSnapshot       = `INSERT INTO snapshots (release_id, seq, hash, digest, doc) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (release_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, digest = excluded.digest, doc = excluded.doc`
	// qSummary reads a release's summary: the document, its digest and
	// the hash of the event it was built from (as b), and the head row
	// with the counters.
	qSummaryCols  = `r.rid, r.summary, r.sum_seq, r.sum_digest, r.status, r.sched_s, r.sched_ns, b.hash, ` + qHeadCols
	qSummaryFrom  = ` FROM releases r` + headJoin + ` LEFT JOIN events b ON b.key = (r.rid << 32) + r.sum_seq`
	qSummary      = `SELECT ` + qSummaryCols + qSummaryFrom + ` WHERE r.id = ?`
	qReleaseRow   = `SELECT r.rid, r.snapshot_seq, ` + qHeadCols + ` FROM releases r` + headJoin + ` WHERE r.id = ?`
	eventCols     = `key, kind, time, actor, reason, payload, prev_hash, hash`
	qEventsFrom   = `SELECT ` + eventCols + ` FROM events WHERE key >= ? AND key <= ? ORDER BY key`
	qInsertAnchor = `INSERT INTO anchors (key, hash, alg, key_id, sig) VALUES (?, ?, ?, ?, ?)`
	qAnchorsPage  = `SELECT a.key, a.hash, a.alg, a.key_id, a.sig
		FROM releases r JOIN anchors a ON a.key > (r.rid << 32) + ? AND a.key <= (r.rid << 32) + 4294967294
		WHERE r.id = ? ORDER BY a.key LIMIT ?`
	qEventsPage = `SELECT e.key, e.kind, e.time, e.actor, e.reason, e.payload, e.prev_hash, e.hash
		FROM releases r JOIN events e ON e.key > (r.rid << 32) + ? AND e.key <= (r.rid << 32) + 4294967294
		WHERE r.id = ? ORDER BY e.key LIMIT ?`
)

// summaryRow is a release's row in the releases table, and the summary's
// fields its appends keep in its head row.
type summaryRow struct {
	id                   release.ID
	createdS, createdNs  int64
	schedS, schedNs      int64
	status, group, procs string
	occurrence           any // nil or the occurrence as UTC RFC 3339
	endedS, endedNs      any // nil, or EndedAt of a finished release
	seq                  int64
	hash                 release.Hash
	done                 int64
	waiting              bool
	wake                 wakeCols // the release's Resume
	// cold is the summary without the fields the events carry (Seq,
	// Hash, ActivitiesDone, WaitingForInput: zero): what the summary
	// column holds, as JSON.
	cold release.Summary
}

func newSummaryRow(r *release.Release) *summaryRow {
	sum := r.Summary()
	row := &summaryRow{
		id: r.ID, createdS: sum.CreatedAt.Unix(), createdNs: int64(sum.CreatedAt.Nanosecond()),
		schedS: sum.ScheduledFor.Unix(), schedNs: int64(sum.ScheduledFor.Nanosecond()),
		status: string(sum.Status), group: string(sum.Group), procs: string(sum.ProcessID),
		seq: sum.Seq, hash: sum.Hash, done: int64(sum.ActivitiesDone), waiting: sum.WaitingForInput,
	}
	if !sum.Occurrence.IsZero() {
		row.occurrence = occurrenceKey(sum.Occurrence)
	}
	if sum.Status.Terminal() {
		row.endedS, row.endedNs = sum.EndedAt.Unix(), int64(sum.EndedAt.Nanosecond())
	}
	row.wake = newWakeCols(r.Resume())
	sum.Seq, sum.Hash, sum.ActivitiesDone, sum.WaitingForInput = 0, release.Hash{}, 0, false
	row.cold = sum
	return row
}

// coldDoc encodes the summary column: the summary without the fields the
// head row keeps, with the seq and hash of the event it is built from (the
// release's head when written). The summary's digest (sum_digest) is
// the SHA-256 of it.
func (row *summaryRow) coldDoc() ([]byte, error) {
	cold := row.cold
	cold.Seq, cold.Hash = row.seq, row.hash
	doc, err := json.Marshal(&cold)
	if err != nil {
		return nil, errf(store.ErrInvalid, "release %s: encoding the summary: %v", row.id, err)
	}
	return doc, nil
}

// sameCold reports whether two summaries without their event-kept fields
// encode the same. It may say no for equal ones (a time in another
// location): that costs a rewrite, never a stale summary.
func sameCold(a, b *release.Summary) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Version == b.Version && a.ProcessID == b.ProcessID &&
		a.ProcessVersion == b.ProcessVersion && a.Group == b.Group && a.Occurrence == b.Occurrence &&
		a.CreatedBy == b.CreatedBy && maps.Equal(a.Labels, b.Labels) && a.ScheduledFor == b.ScheduledFor &&
		a.ExpectedStart == b.ExpectedStart && a.ExpectedEnd == b.ExpectedEnd && a.Status == b.Status &&
		a.CreatedAt == b.CreatedAt && a.StartedAt == b.StartedAt && a.EndedAt == b.EndedAt &&
		a.ActivitiesTotal == b.ActivitiesTotal &&
		a.Seq == b.Seq && a.Hash == b.Hash && a.ActivitiesDone == b.ActivitiesDone && a.WaitingForInput == b.WaitingForInput
}

func occurrenceKey(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

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

// CreateRelease implements store.ReleaseStore.
func (s *Store) CreateRelease(ctx context.Context, p *store.CreateReleaseParams) error {
	if err := ctx.Err(); err != nil {
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
		return fmt.Errorf("sqlite: create release %s: %w: %w", r.ID, store.ErrInvalid, err)
	}
	anchor := p.Anchor
	if err := store.CheckAnchor(anchor, release.Head{Release: r.ID, Seq: r.Seq, Hash: r.Hash}); err != nil {
		return fmt.Errorf("sqlite: create release %s: %w: %w", r.ID, store.ErrInvalid, err)
	}
	if r.Seq > maxSeq {
		return errf(store.ErrInvalid, "create release %s: seq %d: above the store's limit %d", r.ID, r.Seq, maxSeq)
	}
	links, err := store.LinkChangesOf(r, p.Events)
	if err != nil {
		return fmt.Errorf("sqlite: create release %s: %w", r.ID, err)
	}
	row := newSummaryRow(r)
	doc, err := row.coldDoc()
	if err != nil {
		return err
	}
	digest := s.dg.sum(digestSummary, doc)
	var snap []byte
	if s.opts.SnapshotDue(r, 0) {
		if snap, err = r.MarshalSnapshot(); err != nil {
			return errf(store.ErrInvalid, "create release %s: encoding the snapshot: %v", r.ID, err)
		}
	}
	events := p.Events
	return s.write(ctx, func(w *wtx) error {
		var one int
		err := w.queryRow(qReleaseTaken, []any{string(row.id)}, &one)
		if err == nil {
			return errf(store.ErrAlreadyExists, "create release %s", row.id)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return wrapDB("create release "+string(row.id), err)
		}
		if row.occurrence != nil {
			var other string
			err := w.queryRow(qOccurrence, []any{row.group, row.occurrence}, &other)
			if err == nil {
				return errf(store.ErrAlreadyExists, "create release %s: release %s of group %q exists for occurrence %s",
					row.id, other, row.group, row.occurrence)
			} else if !errors.Is(err, sql.ErrNoRows) {
				return wrapDB("create release "+string(row.id), err)
			}
			var d string
			err = w.queryRow(qClaimed, []any{row.group, r.Occurrence.Unix(), r.Occurrence.Nanosecond()}, &d)
			if err == nil {
				return errf(store.ErrClaimed, "create release %s: group %q recorded occurrence %s %s", row.id, row.group, row.occurrence, d)
			} else if !errors.Is(err, sql.ErrNoRows) {
				return wrapDB("create release "+string(row.id), err)
			}
		}
		var snapSeq int64
		if snap != nil {
			snapSeq = row.seq
		}
		var rid int64
		if err := w.writeRow(qInsertRelease, []any{string(row.id), row.createdS, row.createdNs, row.schedS, row.schedNs,
			row.status, row.group, row.occurrence, row.procs, snapSeq, doc, row.seq, digest[:], row.wake.load, row.wake.s, row.wake.ns,
			row.endedS, row.endedNs}, &rid); err != nil {
			return wrapDB("create release "+string(row.id), err)
		}
		if rid > maxRID {
			return errf(store.ErrInvalid, "create release %s: the store holds its limit of %d releases", row.id, maxRID)
		}
		check := w.dg.head(rid, row.seq, row.hash, row.done, row.waiting)
		if err := w.exec(qInsertHead, headKey(rid), check[:], row.hash[:], row.done, row.waiting, row.seq); err != nil {
			return wrapDB("create release "+string(row.id)+": storing the head", err)
		}
		w.queueEvents(rid, events)
		if err := w.putAnchor(rid, anchor); err != nil {
			return err
		}
		if err := w.putLinks(row.id, &links); err != nil {
			return err
		}
		if snap != nil {
			if err := w.putSnapshot(row, snap); err != nil {
				return err
			}
		}
		w.setHead(row.id, &headState{rid: rid, seq: row.seq, hash: row.hash, snapSeq: snapSeq, cold: &row.cold,
			status: row.status, schedS: row.schedS, schedNs: row.schedNs, wake: row.wake})
		return nil
	})
}

// AppendEvents implements store.ReleaseStore.
//
// The events' own chain (each hash, each link after the first) is checked
// in the caller's goroutine; the writer checks the expected sequence number
// and the link to the stored head, then queues the events for the batch's
// INSERT and, when they changed, rewrites the summary's document (and,
// when due, the snapshot) in the same transaction.
func (s *Store) AppendEvents(ctx context.Context, p *store.AppendEventsParams) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if p == nil {
		return errf(store.ErrInvalid, "append events: params: missing")
	}
	if err := checkRelease("append to release", p.Release, p.Events); err != nil {
		return err
	}
	r, events := p.Release, p.Events
	first := &events[0]
	// Verified against the head the events claim; the writer checks that
	// claim against the stored head.
	chainErr := release.VerifyChainFrom(release.Head{Release: r.ID, Seq: first.Seq - 1, Hash: first.PrevHash}, events)
	if err := store.CheckAnchor(p.Anchor, release.Head{Release: r.ID, Seq: r.Seq, Hash: r.Hash}); err != nil {
		return fmt.Errorf("sqlite: append to release %s: %w: %w", r.ID, store.ErrInvalid, err)
	}
	links, err := store.LinkChangesOf(r, events)
	if err != nil {
		return fmt.Errorf("sqlite: append to release %s: %w", r.ID, err)
	}
	row := newSummaryRow(r)
	expected := p.ExpectedSeq
	anchor := p.Anchor
	linked := chainErr == nil && first.Seq == expected+1
	return s.write(ctx, func(w *wtx) error {
		h := w.heads[row.id]
		if h == nil || !linked || h.seq != expected || h.hash != first.PrevHash {
			// Not known, or not known to follow: read the stored row and
			// head (after writing what the batch queued, which may be
			// this release's).
			if err := w.flushEvents(); err != nil {
				return err
			}
			var err error
			if h, err = readHead(w, row.id); err != nil {
				return err
			}
			if !linked || h.seq != expected || h.hash != first.PrevHash {
				return appendRefused(row.id, h, expected, events, chainErr)
			}
		}
		if row.seq > maxSeq {
			return errf(store.ErrInvalid, "append to release %s: seq %d: above the store's limit %d", row.id, row.seq, maxSeq)
		}
		return s.appendAt(w, r, row, h, events, anchor, &links)
	})
}

// appendAt appends events after h, the release's stored head and row:
// it queues the events, then stores the snapshot when due and rewrites the
// summary's document when it changed.
func (s *Store) appendAt(w *wtx, r *release.Release, row *summaryRow, h *headState, events []release.Event, anchor *release.Anchor, links *store.LinkChanges) error {
	// The head row first: when it no longer holds h (another process
	// appended), nothing is written or queued.
	check := w.dg.head(h.rid, row.seq, row.hash, row.done, row.waiting)
	n, err := w.execN(qSetHead, row.seq, row.hash[:], row.done, row.waiting, check[:], headKey(h.rid), h.seq, h.hash[:])
	if err != nil {
		return wrapDB("append to release "+string(row.id)+": updating the head", err)
	}
	if n != 1 {
		return errStaleHeads
	}
	if release.Status(h.status).Terminal() {
		// The release's kept digest, if any, was computed at h (digests.go).
		for _, q := range []string{qDropDigest, qUndigested} {
			if err := w.exec(q, h.rid); err != nil {
				return wrapDB("append to release "+string(row.id)+": dropping its digest", err)
			}
		}
	}
	w.queueEvents(h.rid, events)
	if err := w.putAnchor(h.rid, anchor); err != nil {
		return err
	}
	if err := w.putLinks(row.id, links); err != nil {
		return err
	}
	snapSeq := h.snapSeq
	snapped := false
	if s.opts.SnapshotDue(r, snapSeq) {
		snap, err := r.MarshalSnapshot()
		if err != nil {
			return errf(store.ErrInvalid, "append to release %s: encoding the snapshot: %v", row.id, err)
		}
		snapSeq, snapped = row.seq, true
		if err := w.putSnapshot(row, snap); err != nil {
			return err
		}
	}
	var doc []byte
	var digest release.Hash
	if h.cold == nil || !sameCold(h.cold, &row.cold) {
		var err error
		if doc, err = row.coldDoc(); err != nil {
			return err
		}
		digest = w.dg.sum(digestSummary, doc)
	}
	switch {
	case doc != nil && (h.status != row.status || h.schedS != row.schedS || h.schedNs != row.schedNs):
		err = w.exec(qSetSummaryIndexed, doc, row.seq, digest[:], snapSeq, row.status, row.schedS, row.schedNs, row.endedS, row.endedNs, h.rid)
	case doc != nil:
		err = w.exec(qSetSummary, doc, row.seq, digest[:], snapSeq, h.rid)
	case snapped:
		err = w.exec(qSetSnapshotSeq, snapSeq, h.rid)
	}
	if err == nil && h.wake != row.wake {
		err = w.exec(qSetWake, row.wake.load, row.wake.s, row.wake.ns, h.rid)
	}
	if err != nil {
		return wrapDB("append to release "+string(row.id)+": updating the summary", err)
	}
	// h is the writer's entry for the release (heads): moved in place.
	*h = headState{rid: h.rid, seq: row.seq, hash: row.hash, snapSeq: snapSeq, cold: &row.cold,
		status: row.status, schedS: row.schedS, schedNs: row.schedNs, wake: row.wake}
	return nil
}

// putAnchor stores a, when set, the anchor of the head of the release with
// rowid rid.
func (w *wtx) putAnchor(rid int64, a *release.Anchor) error {
	if a == nil {
		return nil
	}
	if err := w.exec(qInsertAnchor, eventKey(rid, a.Seq), a.Hash[:], a.Alg, a.KeyID, a.Sig); err != nil {
		return wrapDB(fmt.Sprintf("release %s: storing the anchor at seq %d", a.Release, a.Seq), err)
	}
	return nil
}

// putSnapshot stores snap, the release's snapshot at row's head, with the
// head's hash and the snapshot's digest.
func (w *wtx) putSnapshot(row *summaryRow, snap []byte) error {
	digest := w.dg.sum(digestSnapshot, snap)
	if err := w.exec(qPutSnapshot, string(row.id), row.seq, row.hash[:], digest[:], snap); err != nil {
		return wrapDB(fmt.Sprintf("release %s: storing the snapshot at seq %d", row.id, row.seq), err)
	}
	return nil
}

// readHead reads what the writer needs of a release it does not know, and
// remembers it. It returns ErrNotFound when there is no such release, and
// ErrCorrupt when its head row, log or summary do not agree: an append
// never writes around damage.
func readHead(w *wtx, id release.ID) (*headState, error) {
	h := &headState{}
	var hc headCols
	var doc, digest []byte
	var wake, wakeS, wakeNs sql.NullInt64
	err := w.queryRow(qWriterHead, []any{string(id)}, append([]any{&h.rid, &h.status, &h.schedS, &h.schedNs, &h.snapSeq, &doc, &digest, &wake, &wakeS, &wakeNs}, hc.dest()...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errf(store.ErrNotFound, "append to release %s", id)
	} else if err != nil {
		return nil, wrapDB("append to release "+string(id), err)
	}
	if h.seq, h.hash, _, _, err = hc.head(w.dg, id, h.rid); err != nil {
		return nil, err
	}
	if !sameHash(digest, w.dg.sum(digestSummary, doc)) {
		return nil, corrupt(id, "summary", 0, "the summary does not match its digest")
	}
	cold, err := decodeSummary(id, doc)
	if err != nil {
		return nil, err
	}
	cold.Seq, cold.Hash = 0, release.Hash{}
	h.cold = cold
	h.wake = scannedWake(wake, wakeS, wakeNs)
	w.setHead(id, h)
	return h, nil
}

// appendRefused explains why an append cannot go on after h, the stored
// head, in the contract's order: the expected sequence number is stale,
// the events do not continue the stored chain.
func appendRefused(id release.ID, h *headState, expected int64, events []release.Event, chainErr error) error {
	if h.seq != expected {
		return errf(store.ErrConflict, "append to release %s: expected seq %d, stored %d", id, expected, h.seq)
	}
	if err := release.VerifyChainFrom(release.Head{Release: id, Seq: h.seq, Hash: h.hash}, events); err != nil {
		return fmt.Errorf("sqlite: append to release %s: %w: %w", id, store.ErrInvalid, err)
	}
	if chainErr != nil {
		return fmt.Errorf("sqlite: append to release %s: %w: %w", id, store.ErrInvalid, chainErr)
	}
	return fmt.Errorf("sqlite: append to release %s: %w: the stored head (seq %d) does not match the events", id, store.ErrInvalid, h.seq)
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanEvent reads one event row (the columns of qEventsAfter).
func scanEvent(sc scanner, id release.ID) (release.Event, error) {
	var (
		e                 release.Event
		kind, tm          string
		payload, prev, hh []byte
	)
	if err := sc.Scan(&e.Seq, &kind, &tm, &e.Actor, &e.Reason, &payload, &prev, &hh); err != nil {
		return e, wrapDB("release "+string(id)+": reading events", err)
	}
	e.Seq &= seqMask // the key
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

// GetRelease implements store.ReleaseStore.
//
// It reads the release's head row, its snapshot and the events from the
// snapshot's seq on, in one read transaction, and trusts none of them
// beyond the others: the snapshot must match its digest and the stored
// event at its seq, the events after it must continue the chain from that
// event (hashes recomputed), and the last one must be the head.
func (s *Store) GetRelease(ctx context.Context, id release.ID) (*release.Release, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var r *release.Release
	err := s.readTx(ctx, "get release "+string(id), func(tx *sql.Tx) error {
		var rid, snapSeq int64
		var hc headCols
		err := tx.QueryRowContext(ctx, qReleaseRow, string(id)).Scan(append([]any{&rid, &snapSeq}, hc.dest()...)...)
		if errors.Is(err, sql.ErrNoRows) {
			return errf(store.ErrNotFound, "release %s", id)
		} else if err != nil {
			return wrapDB("get release "+string(id), err)
		}
		hseq, hhash, _, _, err := hc.head(s.dg, id, rid)
		if err != nil {
			return err
		}
		from := release.Head{Release: id}
		if snapSeq > 0 {
			if r, from, err = readSnapshot(ctx, tx, s.dg, &s.procs, id, snapSeq); err != nil {
				return err
			}
		}
		if from.Seq > hseq {
			return corrupt(id, "snapshot", from.Seq, "it is past the release's head (seq %d)", hseq)
		}
		rows, err := tx.QueryContext(ctx, qEventsFrom, eventKey(rid, from.Seq), eventKey(rid, maxSeq))
		if err != nil {
			return wrapDB("get release "+string(id)+": reading events", err)
		}
		defer rows.Close()
		events := make([]release.Event, 0, min(hseq-from.Seq, 1024))
		first := true
		for rows.Next() {
			e, err := scanEvent(rows, id)
			if err != nil {
				return err
			}
			if first && from.Seq > 0 {
				// The event the snapshot was built from.
				if e.Seq != from.Seq || e.Hash != from.Hash {
					return corrupt(id, "snapshot", from.Seq, "the stored event at its seq is not the one it was built from")
				}
				first = false
				continue
			}
			first = false
			events = append(events, e)
		}
		if err := rows.Err(); err != nil {
			return wrapDB("get release "+string(id)+": reading events", err)
		}
		if first && from.Seq > 0 {
			return corrupt(id, "snapshot", from.Seq, "the event it was built from is missing")
		}
		if err := release.VerifyChainFrom(from, events); err != nil {
			var ce *release.ChainError
			seq := int64(0)
			if errors.As(err, &ce) {
				seq = ce.Seq
			}
			return corrupt(id, "event", seq, "%w", err)
		}
		end := from
		if n := len(events); n > 0 {
			end = release.Head{Release: id, Seq: events[n-1].Seq, Hash: events[n-1].Hash}
		}
		if end.Seq != hseq || end.Hash != hhash {
			return corrupt(id, "head", hseq, "the log ends at seq %d, not at the release's head (seq %d, hash %s)", end.Seq, hseq, hhash)
		}
		for _, e := range events {
			if r == nil {
				r = new(release.Release)
			}
			if err := s.procs.Apply(r, e); err != nil {
				return &DecodeError{What: "event", ID: string(id), Seq: e.Seq, Err: fmt.Errorf("folding: %w", err)}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// readSnapshot reads and checks the release's snapshot, which the release's
// row says is at snapSeq, and returns it and the head it was built from.
func readSnapshot(ctx context.Context, tx *sql.Tx, dg digester, procs *release.ProcessCache, id release.ID, snapSeq int64) (*release.Release, release.Head, error) {
	var seq int64
	var hash, digest, doc []byte
	from := release.Head{Release: id}
	err := tx.QueryRowContext(ctx, `SELECT seq, hash, digest, doc FROM snapshots WHERE release_id = ?`, string(id)).
		Scan(&seq, &hash, &digest, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, from, &DecodeError{What: "snapshot", ID: string(id), Seq: snapSeq, Err: errors.New("the summary names a snapshot that is not stored")}
	} else if err != nil {
		return nil, from, wrapDB("get release "+string(id)+": reading the snapshot", err)
	}
	if seq != snapSeq || len(hash) != len(from.Hash) {
		return nil, from, corrupt(id, "snapshot", seq, "the release's row names a snapshot at seq %d", snapSeq)
	}
	if !sameHash(digest, dg.sum(digestSnapshot, doc)) {
		return nil, from, corrupt(id, "snapshot", seq, "the snapshot does not match its digest")
	}
	from.Seq = seq
	copy(from.Hash[:], hash)
	r, err := procs.UnmarshalSnapshot(doc)
	if err != nil {
		return nil, from, &DecodeError{What: "snapshot", ID: string(id), Seq: seq, Err: err}
	}
	if r.ID != id || r.Seq != seq || r.Hash != from.Hash {
		return nil, from, corrupt(id, "snapshot", seq, "it holds release %s at seq %d", r.ID, r.Seq)
	}
	return r, from, nil
}

// GetReleaseSummary implements store.ReleaseStore.
func (s *Store) GetReleaseSummary(ctx context.Context, id release.ID) (*release.Summary, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	var sc summaryCols
	err := s.rdb.QueryRowContext(ctx, qSummary, string(id)).Scan(sc.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errf(store.ErrNotFound, "release %s", id)
	} else if err != nil {
		return nil, s.readErr(ctx, "get release summary "+string(id), err)
	}
	return sc.summary(s.dg, id)
}

// summaryCols are the columns of qSummaryCols.
type summaryCols struct {
	rid, sumSeq, schedS, schedNs int64
	doc, digest, builtHash       []byte
	status                       string
	head                         headCols
}

func (c *summaryCols) dest() []any {
	return append([]any{&c.rid, &c.doc, &c.sumSeq, &c.digest, &c.status, &c.schedS, &c.schedNs, &c.builtHash}, c.head.dest()...)
}

// summary checks the summary against its digest, the event it was built
// from, the release's row and the head row, decodes it and sets the fields
// the head row keeps.
func (c *summaryCols) summary(dg digester, id release.ID) (*release.Summary, error) {
	seq, hash, done, waiting, err := c.head.head(dg, id, c.rid)
	if err != nil {
		return nil, err
	}
	if !sameHash(c.digest, dg.sum(digestSummary, c.doc)) {
		return nil, corrupt(id, "summary", c.sumSeq, "the summary does not match its digest")
	}
	sum, err := decodeSummary(id, c.doc)
	if err != nil {
		return nil, err
	}
	switch {
	case sum.ID != id || sum.Seq != c.sumSeq || c.sumSeq < 1 || c.sumSeq > seq || !sameHash(c.builtHash, sum.Hash):
		return nil, corrupt(id, "summary", c.sumSeq, "the summary was not built from the stored event at seq %d", c.sumSeq)
	case string(sum.Status) != c.status || sum.ScheduledFor.Unix() != c.schedS || int64(sum.ScheduledFor.Nanosecond()) != c.schedNs:
		return nil, corrupt(id, "summary", c.sumSeq, "the release's row (status %q) does not match the summary", c.status)
	}
	sum.Seq, sum.Hash = seq, hash
	sum.ActivitiesDone, sum.WaitingForInput = int(done), waiting
	return sum, nil
}

func decodeSummary(id release.ID, doc []byte) (*release.Summary, error) {
	sum := new(release.Summary)
	if err := json.Unmarshal(doc, sum); err != nil {
		return nil, &DecodeError{What: "summary", ID: string(id), Err: err}
	}
	return sum, nil
}

// readErr returns ctx's error when ctx is done, else the wrapped err.
func (s *Store) readErr(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if s.closed.Load() {
		return ErrClosed
	}
	return wrapDB(op, err)
}

// releaseCursor is the position after a release in (CreatedAt, ID) order.
type releaseCursor struct {
	S  int64      `json:"s"`
	NS int64      `json:"ns"`
	ID release.ID `json:"id"`
}

// ListReleases implements store.ReleaseStore.
func (s *Store) ListReleases(ctx context.Context, p *store.ListReleasesParams) (*store.ReleasePage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if p == nil {
		p = &store.ListReleasesParams{}
	}
	q, args, limit, err := listReleasesQuery(p)
	if err != nil {
		return nil, err
	}
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.readErr(ctx, "list releases", err)
	}
	defer rows.Close()
	page := &store.ReleasePage{Releases: []release.Summary{}}
	var last releaseCursor
	// One set of destinations for every row; the byte columns as
	// sql.RawBytes, not copied: each row is checked and decoded before the
	// next is read.
	var id string
	var sc summaryCols
	dest := append([]any{&id, &last.S, &last.NS}, sc.dest()...)
	for i, d := range dest {
		if b, ok := d.(*[]byte); ok {
			dest[i] = (*sql.RawBytes)(b)
		}
	}
	for rows.Next() {
		if len(page.Releases) == limit {
			raw, _ := json.Marshal(last)
			page.Next = base64.RawURLEncoding.EncodeToString(raw)
			break
		}
		sc = summaryCols{}
		if err := rows.Scan(dest...); err != nil {
			return nil, s.readErr(ctx, "list releases", err)
		}
		last.ID = release.ID(id)
		sum, err := sc.summary(s.dg, last.ID)
		if err != nil {
			return nil, err
		}
		page.Releases = append(page.Releases, *sum)
	}
	if err := rows.Err(); err != nil {
		return nil, s.readErr(ctx, "list releases", err)
	}
	return page, nil
}

// ListEvents implements store.ReleaseStore.
func (s *Store) ListEvents(ctx context.Context, p *store.ListEventsParams) ([]release.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if p == nil {
		return nil, errf(store.ErrInvalid, "list events: params: missing")
	}
	id := p.Release
	rows, err := s.rdb.QueryContext(ctx, qEventsPage, min(max(p.AfterSeq, 0), maxSeq), string(id), store.ClampLimit(p.Limit))
	if err != nil {
		return nil, s.readErr(ctx, "list events of release "+string(id), err)
	}
	defer rows.Close()
	events := []release.Event{}
	for rows.Next() {
		e, err := scanEvent(rows, id)
		if err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.readErr(ctx, "list events of release "+string(id), err)
	}
	if len(events) == 0 {
		var one int
		err := s.rdb.QueryRowContext(ctx, qReleaseExists, string(id)).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, errf(store.ErrNotFound, "release %s", id)
		} else if err != nil {
			return nil, s.readErr(ctx, "list events of release "+string(id), err)
		}
	}
	return events, nil
}

// ListAnchors implements store.AnchorStore.
func (s *Store) ListAnchors(ctx context.Context, p *store.ListAnchorsParams) ([]release.Anchor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if p == nil {
		return nil, errf(store.ErrInvalid, "list anchors: params: missing")
	}
	id := p.Release
	rows, err := s.rdb.QueryContext(ctx, qAnchorsPage, min(max(p.AfterSeq, 0), maxSeq), string(id), store.ClampLimit(p.Limit))
	if err != nil {
		return nil, s.readErr(ctx, "list anchors of release "+string(id), err)
	}
	defer rows.Close()
	anchors := []release.Anchor{}
	for rows.Next() {
		a := release.Anchor{Release: id}
		var hash []byte
		if err := rows.Scan(&a.Seq, &hash, &a.Alg, &a.KeyID, &a.Sig); err != nil {
			return nil, s.readErr(ctx, "list anchors of release "+string(id), err)
		}
		a.Seq &= seqMask
		if len(hash) != len(a.Hash) {
			return nil, &DecodeError{What: "anchor", ID: string(id), Seq: a.Seq, Err: fmt.Errorf("hash: %d bytes", len(hash))}
		}
		copy(a.Hash[:], hash)
		anchors = append(anchors, a)
	}
	if err := rows.Err(); err != nil {
		return nil, s.readErr(ctx, "list anchors of release "+string(id), err)
	}
	if len(anchors) == 0 {
		var one int
		err := s.rdb.QueryRowContext(ctx, qReleaseExists, string(id)).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, errf(store.ErrNotFound, "release %s", id)
		} else if err != nil {
			return nil, s.readErr(ctx, "list anchors of release "+string(id), err)
		}
	}
	return anchors, nil
}
