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
	"strings"
	"time"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// An event's key is rid<<32 | seq (see migration 2): a release's events are
// one range of the events table, in seq order.
const (
	seqBits = 32
	// maxSeq is the highest sequence number the store keeps.
	maxSeq = 1<<seqBits - 1
	// maxRID is the highest release rowid: rid<<32 stays a positive int64.
	maxRID = 1<<(63-seqBits) - 1
)

func eventKey(rid, seq int64) int64 { return rid<<seqBits | seq }

const (
	qReleaseExists = `SELECT 1 FROM releases WHERE id = ?`
	qOccurrence    = `SELECT id FROM releases WHERE group_id = ? AND occurrence = ?`
	qInsertRelease = `INSERT INTO releases (id, created_s, created_ns, sched_s, sched_ns, status, group_id, occurrence,
		process_id, snapshot_seq, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING rid`
	// lastEvent is the key of a release's last event, given the release's
	// row as r.
	lastEvent = `(SELECT key FROM events WHERE key BETWEEN r.rid << 32 AND (r.rid << 32) + 4294967295 ORDER BY key DESC LIMIT 1)`
	// qWriterHead is what the writer needs of a release it does not know:
	// its row and its head.
	qWriterHead = `SELECT r.rid, r.status, r.sched_s, r.sched_ns, r.snapshot_seq, r.summary, e.key, e.hash
		FROM releases r LEFT JOIN events e ON e.key = ` + lastEvent + ` WHERE r.id = ?`
	// qSetSummary and qSetSummaryIndexed rewrite the summary's document
	// (and snapshot_seq); the second also its indexed columns, which are
	// left alone when they do not change (updating them rewrites index
	// pages).
	qSetSummary        = `UPDATE releases SET summary = ?, snapshot_seq = ? WHERE rid = ?`
	qSetSummaryIndexed = `UPDATE releases SET summary = ?, snapshot_seq = ?, status = ?, sched_s = ?, sched_ns = ? WHERE rid = ?`
	qSetSnapshotSeq    = `UPDATE releases SET snapshot_seq = ? WHERE rid = ?`
	qPutSnapshot       = `INSERT INTO snapshots (release_id, seq, doc) VALUES (?, ?, ?)
		ON CONFLICT (release_id) DO UPDATE SET seq = excluded.seq, doc = excluded.doc`
	// qSummary reads a release's summary: the document and, from its last
	// event, the head and the counters.
	qSummaryCols = `r.summary, e.key, e.hash, e.done, e.waiting`
	qSummaryFrom = ` FROM releases r LEFT JOIN events e ON e.key = ` + lastEvent
	qSummary     = `SELECT ` + qSummaryCols + qSummaryFrom + ` WHERE r.id = ?`
	qReleaseRow  = `SELECT rid, snapshot_seq FROM releases WHERE id = ?`
	eventCols    = `key, kind, time, actor, reason, payload, prev_hash, hash`
	qEventsAfter = `SELECT ` + eventCols + ` FROM events WHERE key > ? AND key <= ? ORDER BY key`
	qEventsPage  = `SELECT e.key, e.kind, e.time, e.actor, e.reason, e.payload, e.prev_hash, e.hash
		FROM releases r JOIN events e ON e.key > (r.rid << 32) + ? AND e.key <= (r.rid << 32) + 4294967295
		WHERE r.id = ? ORDER BY e.key LIMIT ?`
)

// summaryRow is a release's row in the releases table, and the summary's
// fields its appends keep in their last event.
type summaryRow struct {
	id                   release.ID
	createdS, createdNs  int64
	schedS, schedNs      int64
	status, group, procs string
	occurrence           any // nil or the occurrence as UTC RFC 3339
	seq                  int64
	hash                 release.Hash
	done                 int64
	waiting              bool
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
	sum.Seq, sum.Hash, sum.ActivitiesDone, sum.WaitingForInput = 0, release.Hash{}, 0, false
	row.cold = sum
	return row
}

// coldDoc encodes the summary column.
func (row *summaryRow) coldDoc() ([]byte, error) {
	doc, err := json.Marshal(&row.cold)
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
	if r.Seq > maxSeq {
		return errf(store.ErrInvalid, "create release %s: seq %d: above the store's limit %d", r.ID, r.Seq, maxSeq)
	}
	row := newSummaryRow(r)
	doc, err := row.coldDoc()
	if err != nil {
		return err
	}
	var snap []byte
	if s.opts.SnapshotDue(r, 0) {
		if snap, err = r.MarshalSnapshot(); err != nil {
			return errf(store.ErrInvalid, "create release %s: encoding the snapshot: %v", r.ID, err)
		}
	}
	events := p.Events
	return s.write(ctx, func(w *wtx) error {
		var one int
		err := w.queryRow(qReleaseExists, []any{string(row.id)}, &one)
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
		}
		var snapSeq int64
		if snap != nil {
			snapSeq = row.seq
		}
		var rid int64
		if err := w.writeRow(qInsertRelease, []any{string(row.id), row.createdS, row.createdNs, row.schedS, row.schedNs,
			row.status, row.group, row.occurrence, row.procs, snapSeq, doc}, &rid); err != nil {
			return wrapDB("create release "+string(row.id), err)
		}
		if rid > maxRID {
			return errf(store.ErrInvalid, "create release %s: the store holds its limit of %d releases", row.id, maxRID)
		}
		w.queueEvents(rid, events, row)
		if snap != nil {
			if err := w.exec(qPutSnapshot, string(row.id), snapSeq, snap); err != nil {
				return wrapDB(fmt.Sprintf("release %s: storing the snapshot at seq %d", row.id, snapSeq), err)
			}
		}
		w.setHead(row.id, &headState{rid: rid, seq: row.seq, hash: row.hash, snapSeq: snapSeq, cold: &row.cold,
			status: row.status, schedS: row.schedS, schedNs: row.schedNs})
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
	row := newSummaryRow(r)
	expected := p.ExpectedSeq
	linked := chainErr == nil && first.Seq == expected+1
	return s.write(ctx, func(w *wtx) error {
		h := w.heads[row.id]
		if h == nil || !linked || h.seq != expected || h.hash != first.PrevHash {
			// Not known, or not known to follow: read the stored row and
			// head (after writing what the batch queued, which may be
			// this release's).
			if err := w.flushEvents(false); err != nil {
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
		return s.appendAt(w, r, row, h, events)
	})
}

// appendAt appends events after h, the release's stored head and row:
// it queues the events, then stores the snapshot when due and rewrites the
// summary's document when it changed.
func (s *Store) appendAt(w *wtx, r *release.Release, row *summaryRow, h *headState, events []release.Event) error {
	w.queueEvents(h.rid, events, row)
	snapSeq := h.snapSeq
	snapped := false
	if s.opts.SnapshotDue(r, snapSeq) {
		snap, err := r.MarshalSnapshot()
		if err != nil {
			return errf(store.ErrInvalid, "append to release %s: encoding the snapshot: %v", row.id, err)
		}
		snapSeq, snapped = row.seq, true
		if err := w.exec(qPutSnapshot, string(row.id), snapSeq, snap); err != nil {
			return wrapDB(fmt.Sprintf("release %s: storing the snapshot at seq %d", row.id, snapSeq), err)
		}
	}
	var doc []byte
	if h.cold == nil || !sameCold(h.cold, &row.cold) {
		var err error
		if doc, err = row.coldDoc(); err != nil {
			return err
		}
		if h.cold == nil && bytes.Equal(doc, h.doc) {
			doc = nil // as stored
		}
	}
	var err error
	switch {
	case doc != nil && (h.status != row.status || h.schedS != row.schedS || h.schedNs != row.schedNs):
		err = w.exec(qSetSummaryIndexed, doc, snapSeq, row.status, row.schedS, row.schedNs, h.rid)
	case doc != nil:
		err = w.exec(qSetSummary, doc, snapSeq, h.rid)
	case snapped:
		err = w.exec(qSetSnapshotSeq, snapSeq, h.rid)
	}
	if err != nil {
		return wrapDB("append to release "+string(row.id)+": updating the summary", err)
	}
	// h is the writer's entry for the release (heads): moved in place.
	*h = headState{rid: h.rid, seq: row.seq, hash: row.hash, snapSeq: snapSeq, cold: &row.cold,
		status: row.status, schedS: row.schedS, schedNs: row.schedNs}
	return nil
}

// readHead reads what the writer needs of a release it does not know, and
// remembers it. It returns ErrNotFound when there is no such release.
func readHead(w *wtx, id release.ID) (*headState, error) {
	h := &headState{}
	var key sql.NullInt64
	var hash []byte
	err := w.queryRow(qWriterHead, []any{string(id)}, &h.rid, &h.status, &h.schedS, &h.schedNs, &h.snapSeq, &h.doc, &key, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errf(store.ErrNotFound, "append to release %s", id)
	} else if err != nil {
		return nil, wrapDB("append to release "+string(id), err)
	}
	if !key.Valid || len(hash) != len(h.hash) {
		return nil, &DecodeError{What: "event", ID: string(id), Seq: 1, Err: errors.New("the release has no readable last event")}
	}
	h.seq = key.Int64 & maxSeq
	copy(h.hash[:], hash)
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
	e.Seq &= maxSeq // the key
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
func (s *Store) GetRelease(ctx context.Context, id release.ID) (*release.Release, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var r *release.Release
	err := s.readTx(ctx, "get release "+string(id), func(tx *sql.Tx) error {
		var rid, snapSeq int64
		err := tx.QueryRowContext(ctx, qReleaseRow, string(id)).Scan(&rid, &snapSeq)
		if errors.Is(err, sql.ErrNoRows) {
			return errf(store.ErrNotFound, "release %s", id)
		} else if err != nil {
			return wrapDB("get release "+string(id), err)
		}
		after := int64(0)
		if snapSeq > 0 {
			var doc []byte
			if err := tx.QueryRowContext(ctx, `SELECT seq, doc FROM snapshots WHERE release_id = ?`, string(id)).
				Scan(&after, &doc); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return &DecodeError{What: "snapshot", ID: string(id), Seq: snapSeq, Err: errors.New("the summary names a snapshot that is not stored")}
				}
				return wrapDB("get release "+string(id)+": reading the snapshot", err)
			}
			if r, err = release.UnmarshalSnapshot(doc); err != nil {
				return &DecodeError{What: "snapshot", ID: string(id), Seq: after, Err: err}
			}
			if r.ID != id || r.Seq != after {
				return &DecodeError{What: "snapshot", ID: string(id), Seq: after,
					Err: fmt.Errorf("it holds release %s at seq %d", r.ID, r.Seq)}
			}
		}
		rows, err := tx.QueryContext(ctx, qEventsAfter, eventKey(rid, min(after, maxSeq)), eventKey(rid, maxSeq))
		if err != nil {
			return wrapDB("get release "+string(id)+": reading events", err)
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanEvent(rows, id)
			if err != nil {
				return err
			}
			if r == nil {
				r = new(release.Release)
			}
			if err := release.Apply(r, e); err != nil {
				return &DecodeError{What: "event", ID: string(id), Seq: e.Seq, Err: fmt.Errorf("folding: %w", err)}
			}
		}
		if err := rows.Err(); err != nil {
			return wrapDB("get release "+string(id)+": reading events", err)
		}
		if r == nil {
			return &DecodeError{What: "event", ID: string(id), Seq: 1, Err: errors.New("missing: the release has no events")}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
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
	return sc.summary(id)
}

// summaryCols are the columns of qSummaryCols.
type summaryCols struct {
	doc, hash     []byte
	key           sql.NullInt64
	done, waiting sql.NullInt64
}

func (c *summaryCols) dest() []any { return []any{&c.doc, &c.key, &c.hash, &c.done, &c.waiting} }

// summary decodes the document and sets the fields its last event keeps.
func (c *summaryCols) summary(id release.ID) (*release.Summary, error) {
	sum, err := decodeSummary(id, c.doc)
	if err != nil {
		return nil, err
	}
	if !c.key.Valid || len(c.hash) != len(sum.Hash) {
		return nil, &DecodeError{What: "summary", ID: string(id), Err: errors.New("the release has no readable last event")}
	}
	sum.Seq = c.key.Int64 & maxSeq
	copy(sum.Hash[:], c.hash)
	if c.done.Valid {
		sum.ActivitiesDone = int(c.done.Int64)
	}
	if c.waiting.Valid {
		sum.WaitingForInput = c.waiting.Int64 != 0
	}
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
	var q strings.Builder
	var args []any
	q.WriteString(`SELECT r.id, r.created_s, r.created_ns, ` + qSummaryCols + qSummaryFrom + ` WHERE 1`)
	if len(p.Statuses) > 0 {
		q.WriteString(` AND r.status IN (`)
		for i, st := range p.Statuses {
			if i > 0 {
				q.WriteString(`, `)
			}
			q.WriteString(`?`)
			args = append(args, string(st))
		}
		q.WriteString(`)`)
	}
	if p.Group != "" {
		q.WriteString(` AND r.group_id = ?`)
		args = append(args, string(p.Group))
	}
	if p.Process != "" {
		q.WriteString(` AND r.process_id = ?`)
		args = append(args, string(p.Process))
	}
	if !p.ScheduledFrom.IsZero() {
		q.WriteString(` AND (r.sched_s, r.sched_ns) >= (?, ?)`)
		args = append(args, p.ScheduledFrom.Unix(), p.ScheduledFrom.Nanosecond())
	}
	if !p.ScheduledTo.IsZero() {
		q.WriteString(` AND (r.sched_s, r.sched_ns) < (?, ?)`)
		args = append(args, p.ScheduledTo.Unix(), p.ScheduledTo.Nanosecond())
	}
	if p.Cursor != "" {
		var c releaseCursor
		raw, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		if err != nil || json.Unmarshal(raw, &c) != nil || c.ID == "" {
			return nil, errf(store.ErrInvalid, "list releases: cursor %q: not one this store made", p.Cursor)
		}
		q.WriteString(` AND (r.created_s, r.created_ns, r.id) > (?, ?, ?)`)
		args = append(args, c.S, c.NS, string(c.ID))
	}
	limit := store.ClampLimit(p.Limit)
	q.WriteString(` ORDER BY r.created_s, r.created_ns, r.id LIMIT ?`)
	args = append(args, limit+1)
	rows, err := s.rdb.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, s.readErr(ctx, "list releases", err)
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
		var id string
		var sc summaryCols
		if err := rows.Scan(append([]any{&id, &last.S, &last.NS}, sc.dest()...)...); err != nil {
			return nil, s.readErr(ctx, "list releases", err)
		}
		last.ID = release.ID(id)
		sum, err := sc.summary(last.ID)
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
