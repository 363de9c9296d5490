package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

const (
	qReleaseHead   = `SELECT seq, hash, snapshot_seq FROM releases WHERE id = ?`
	qReleaseExists = `SELECT 1 FROM releases WHERE id = ?`
	qOccurrence    = `SELECT id FROM releases WHERE group_id = ? AND occurrence = ?`
	qInsertRelease = `INSERT INTO releases (id, created_s, created_ns, sched_s, sched_ns, status, group_id, occurrence,
		process_id, seq, hash, snapshot_seq, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// qAdvanceRelease moves the summary and head iff the stored head is the
	// one the events follow: the conflict check and the update in one
	// statement. It leaves the indexed columns alone (updating them would
	// rewrite index pages on every append) and returns them, with the
	// release's snapshot_seq; qSetIndexed updates them when they change.
	qAdvanceRelease = `UPDATE releases SET seq = ?, hash = ?, summary = ?
		WHERE id = ? AND seq = ? AND hash = ? RETURNING status, sched_s, sched_ns, snapshot_seq`
	qSetIndexed = `UPDATE releases SET status = ?, sched_s = ?, sched_ns = ? WHERE id = ?`
	// qAdvanceHead and qAdvanceIndexed are qAdvanceRelease for a writer
	// that knows the row (wtx.heads): no RETURNING, and the indexed columns
	// only when they change.
	qAdvanceHead = `UPDATE releases SET seq = ?, hash = ?, summary = ?, snapshot_seq = ?
		WHERE id = ? AND seq = ? AND hash = ?`
	qAdvanceIndexed = `UPDATE releases SET seq = ?, hash = ?, summary = ?, snapshot_seq = ?, status = ?, sched_s = ?, sched_ns = ?
		WHERE id = ? AND seq = ? AND hash = ?`
	qSetSnapshotSeq = `UPDATE releases SET snapshot_seq = ? WHERE id = ?`
	qPutSnapshot    = `INSERT INTO snapshots (release_id, seq, doc) VALUES (?, ?, ?)
		ON CONFLICT (release_id) DO UPDATE SET seq = excluded.seq, doc = excluded.doc`
	qEventsAfter = `SELECT seq, kind, time, actor, reason, payload, prev_hash, hash FROM events
		WHERE release_id = ? AND seq > ? ORDER BY seq`
	qEventsPage = qEventsAfter + ` LIMIT ?`
)

// summaryRow is a release's row in the releases table, but for
// snapshot_seq.
type summaryRow struct {
	id                   release.ID
	createdS, createdNs  int64
	schedS, schedNs      int64
	status, group, procs string
	occurrence           any // nil or the occurrence as UTC RFC 3339
	seq                  int64
	hash                 []byte
	doc                  []byte // the summary as JSON
}

func newSummaryRow(r *release.Release) (*summaryRow, error) {
	sum := r.Summary()
	doc, err := json.Marshal(&sum)
	if err != nil {
		return nil, errf(store.ErrInvalid, "release %s: encoding the summary: %v", r.ID, err)
	}
	row := &summaryRow{
		id: r.ID, createdS: sum.CreatedAt.Unix(), createdNs: int64(sum.CreatedAt.Nanosecond()),
		schedS: sum.ScheduledFor.Unix(), schedNs: int64(sum.ScheduledFor.Nanosecond()),
		status: string(sum.Status), group: string(sum.Group), procs: string(sum.ProcessID),
		seq: sum.Seq, hash: bytes.Clone(sum.Hash[:]), doc: doc,
	}
	if !sum.Occurrence.IsZero() {
		row.occurrence = occurrenceKey(sum.Occurrence)
	}
	return row, nil
}

func occurrenceKey(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// eventArgs are the column values of one event row.
func eventArgs(e *release.Event) []any {
	var payload []byte
	if e.Payload != nil {
		payload = []byte(e.Payload)
	}
	return []any{string(e.Release), e.Seq, string(e.Kind), e.Time.Format(time.RFC3339Nano), e.Actor, e.Reason,
		payload, e.PrevHash[:], e.Hash[:]}
}

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
	row, err := newSummaryRow(r)
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
		if err := w.exec(qInsertRelease, string(row.id), row.createdS, row.createdNs, row.schedS, row.schedNs,
			row.status, row.group, row.occurrence, row.procs, row.seq, row.hash, snapSeq, row.doc); err != nil {
			return wrapDB("create release "+string(row.id), err)
		}
		return insertEvents(w, row.id, events, snap, snapSeq)
	})
}

// maxInsertRows is the most events one INSERT statement carries.
const maxInsertRows = 16

// insertEventsSQL[n] inserts n events.
var insertEventsSQL = func() (qs [maxInsertRows + 1]string) {
	for n := 1; n <= maxInsertRows; n++ {
		q := `INSERT INTO events (release_id, seq, kind, time, actor, reason, payload, prev_hash, hash) VALUES `
		for i := range n {
			if i > 0 {
				q += `, `
			}
			q += `(?, ?, ?, ?, ?, ?, ?, ?, ?)`
		}
		qs[n] = q
	}
	return qs
}()

// insertEvents queues the events for the batch's INSERT and stores the
// snapshot, if any.
func insertEvents(w *wtx, id release.ID, events []release.Event, snap []byte, snapSeq int64) error {
	w.queueEvents(events)
	if snap != nil {
		if err := w.exec(qPutSnapshot, string(id), snapSeq, snap); err != nil {
			return wrapDB(fmt.Sprintf("release %s: storing the snapshot at seq %d", id, snapSeq), err)
		}
	}
	return nil
}

// AppendEvents implements store.ReleaseStore.
//
// The events' own chain (each hash, each link after the first) is checked
// in the caller's goroutine; the writer checks the expected sequence number
// and the link to the stored head, then inserts the events and updates the
// summary (and, when due, the snapshot) in the same transaction.
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
	row, err := newSummaryRow(r)
	if err != nil {
		return err
	}
	expected := p.ExpectedSeq
	linked := chainErr == nil && first.Seq == expected+1
	return s.write(ctx, func(w *wtx) error {
		if h, ok := w.heads[row.id]; ok && linked && h.seq == expected {
			return s.appendKnown(w, r, row, h, events, chainErr)
		}
		var (
			snapSeq, schedS, schedNs int64
			status                   string
		)
		err := sql.ErrNoRows
		if linked {
			// Check the head and move it in one statement.
			err = w.writeRow(qAdvanceRelease, []any{row.seq, row.hash, row.doc, string(row.id), expected, first.PrevHash[:]},
				&status, &schedS, &schedNs, &snapSeq)
		}
		if errors.Is(err, sql.ErrNoRows) {
			return appendRefused(w, row.id, expected, events, chainErr)
		} else if err != nil {
			return wrapDB("append to release "+string(row.id)+": updating the summary", err)
		}
		if status != row.status || schedS != row.schedS || schedNs != row.schedNs {
			if err := w.exec(qSetIndexed, row.status, row.schedS, row.schedNs, string(row.id)); err != nil {
				return wrapDB("append to release "+string(row.id)+": updating the summary", err)
			}
		}
		var snap []byte
		if s.opts.SnapshotDue(r, snapSeq) {
			if snap, err = r.MarshalSnapshot(); err != nil {
				return errf(store.ErrInvalid, "append to release %s: encoding the snapshot: %v", row.id, err)
			}
			snapSeq = row.seq
			if err := w.exec(qSetSnapshotSeq, snapSeq, string(row.id)); err != nil {
				return wrapDB("append to release "+string(row.id)+": updating the summary", err)
			}
		}
		if err := insertEvents(w, row.id, events, snap, snapSeq); err != nil {
			return err
		}
		w.setHead(row.id, headState{seq: row.seq, status: row.status, schedS: row.schedS, schedNs: row.schedNs, snapSeq: snapSeq})
		return nil
	})
}

// appendKnown is the append path when the writer knows the release's row
// (h, at the expected seq): the snapshot is decided and encoded before
// anything is written, and one UPDATE checks the head and moves it.
func (s *Store) appendKnown(w *wtx, r *release.Release, row *summaryRow, h headState, events []release.Event, chainErr error) error {
	snapSeq := h.snapSeq
	var snap []byte
	if s.opts.SnapshotDue(r, snapSeq) {
		var err error
		if snap, err = r.MarshalSnapshot(); err != nil {
			return errf(store.ErrInvalid, "append to release %s: encoding the snapshot: %v", row.id, err)
		}
		snapSeq = row.seq
	}
	first := &events[0]
	var n int64
	var err error
	if h.status != row.status || h.schedS != row.schedS || h.schedNs != row.schedNs {
		n, err = w.execN(qAdvanceIndexed, row.seq, row.hash, row.doc, snapSeq, row.status, row.schedS, row.schedNs,
			string(row.id), h.seq, first.PrevHash[:])
	} else {
		n, err = w.execN(qAdvanceHead, row.seq, row.hash, row.doc, snapSeq, string(row.id), h.seq, first.PrevHash[:])
	}
	if err != nil {
		return wrapDB("append to release "+string(row.id)+": updating the summary", err)
	}
	if n == 0 {
		delete(w.heads, row.id)
		return appendRefused(w, row.id, h.seq, events, chainErr)
	}
	if err := insertEvents(w, row.id, events, snap, snapSeq); err != nil {
		return err
	}
	w.setHead(row.id, headState{seq: row.seq, status: row.status, schedS: row.schedS, schedNs: row.schedNs, snapSeq: snapSeq})
	return nil
}

// appendRefused explains why an append cannot go on, in the contract's
// order: the release does not exist, the expected sequence number is
// stale, the events do not continue the stored chain.
func appendRefused(w *wtx, id release.ID, expected int64, events []release.Event, chainErr error) error {
	var seq, snapSeq int64
	var hash []byte
	err := w.queryRow(qReleaseHead, []any{string(id)}, &seq, &hash, &snapSeq)
	if errors.Is(err, sql.ErrNoRows) {
		return errf(store.ErrNotFound, "append to release %s", id)
	} else if err != nil {
		return wrapDB("append to release "+string(id), err)
	}
	if seq != expected {
		return errf(store.ErrConflict, "append to release %s: expected seq %d, stored %d", id, expected, seq)
	}
	head := release.Head{Release: id, Seq: seq}
	copy(head.Hash[:], hash)
	if err := release.VerifyChainFrom(head, events); err != nil {
		return fmt.Errorf("sqlite: append to release %s: %w: %w", id, store.ErrInvalid, err)
	}
	if chainErr != nil {
		return fmt.Errorf("sqlite: append to release %s: %w: %w", id, store.ErrInvalid, chainErr)
	}
	return fmt.Errorf("sqlite: append to release %s: %w: the stored head (seq %d) does not match the events", id, store.ErrInvalid, seq)
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
		var head, snapSeq int64
		var hash []byte
		err := tx.QueryRowContext(ctx, qReleaseHead, string(id)).Scan(&head, &hash, &snapSeq)
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
		rows, err := tx.QueryContext(ctx, qEventsAfter, string(id), after)
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
		if r == nil || r.Seq != head {
			got := int64(0)
			if r != nil {
				got = r.Seq
			}
			return &DecodeError{What: "event", ID: string(id), Seq: got + 1,
				Err: fmt.Errorf("missing: the summary's head is seq %d, the events end at %d", head, got)}
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
	var doc []byte
	err := s.rdb.QueryRowContext(ctx, `SELECT summary FROM releases WHERE id = ?`, string(id)).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errf(store.ErrNotFound, "release %s", id)
	} else if err != nil {
		return nil, s.readErr(ctx, "get release summary "+string(id), err)
	}
	return decodeSummary(id, doc)
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
	q.WriteString(`SELECT id, created_s, created_ns, summary FROM releases WHERE 1`)
	if len(p.Statuses) > 0 {
		q.WriteString(` AND status IN (`)
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
		q.WriteString(` AND group_id = ?`)
		args = append(args, string(p.Group))
	}
	if p.Process != "" {
		q.WriteString(` AND process_id = ?`)
		args = append(args, string(p.Process))
	}
	if !p.ScheduledFrom.IsZero() {
		q.WriteString(` AND (sched_s, sched_ns) >= (?, ?)`)
		args = append(args, p.ScheduledFrom.Unix(), p.ScheduledFrom.Nanosecond())
	}
	if !p.ScheduledTo.IsZero() {
		q.WriteString(` AND (sched_s, sched_ns) < (?, ?)`)
		args = append(args, p.ScheduledTo.Unix(), p.ScheduledTo.Nanosecond())
	}
	if p.Cursor != "" {
		var c releaseCursor
		raw, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		if err != nil || json.Unmarshal(raw, &c) != nil || c.ID == "" {
			return nil, errf(store.ErrInvalid, "list releases: cursor %q: not one this store made", p.Cursor)
		}
		q.WriteString(` AND (created_s, created_ns, id) > (?, ?, ?)`)
		args = append(args, c.S, c.NS, string(c.ID))
	}
	limit := store.ClampLimit(p.Limit)
	q.WriteString(` ORDER BY created_s, created_ns, id LIMIT ?`)
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
		var doc []byte
		if err := rows.Scan(&id, &last.S, &last.NS, &doc); err != nil {
			return nil, s.readErr(ctx, "list releases", err)
		}
		last.ID = release.ID(id)
		sum, err := decodeSummary(last.ID, doc)
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
	rows, err := s.rdb.QueryContext(ctx, qEventsPage, string(id), max(p.AfterSeq, 0), store.ClampLimit(p.Limit))
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
