package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/batonhq/baton/release"
)

// Request states: the caller may cancel a pending request; once the writer
// has claimed it, the caller waits for its result.
const (
	pending int32 = iota
	claimed
	cancelled
)

// request is one write: fn runs in the writer goroutine inside the batch
// transaction, in its own savepoint.
type request struct {
	ctx   context.Context
	fn    func(*wtx) error
	state atomic.Int32
	done  chan error // buffered: the writer never blocks on it
}

// wtx is the writer's connection with its prepared statements. Only the
// writer goroutine uses it (and Open and Close, before and after it runs).
type wtx struct {
	// dirty is set by every write statement: a request that fails with
	// dirty unset has written nothing and fails alone.
	dirty bool
	// inTx is set once the batch's transaction has begun, at the batch's
	// first statement. beginErr is the error of a BEGIN that failed in
	// this batch.
	inTx     bool
	beginErr error
	conn     *sql.Conn
	ctx      context.Context // never cancelled: a cancelled statement would abort the batch
	stmts    map[string]*sql.Stmt

	// queued holds the column values of the event rows the batch's
	// requests insert, eventColumns per row: one multi-row INSERT at the
	// end of the batch (or before the writer reads a head) serves them all.
	queued []any
	// feedQueued holds the feed rows (rid, first seq, last seq) of the
	// batch's creates and appends, in the order they were queued: flushed
	// with the events, so that their positions follow that order.
	feedQueued []any
	// fed is set when the batch's transaction adds feed rows: its commit
	// signals the feed's subscribers.
	fed bool
	// heads remembers, per release, its row and head as this writer last
	// wrote or read them in a transaction that committed. An append whose
	// expected seq and first event's prev hash match the entry needs no
	// read: committed events never change, and if another process has
	// appended meanwhile the update of the head row (which names the head
	// it replaces) changes nothing, or the batch's INSERT of the events
	// fails on the key (errStaleHeads: the batch runs again without the
	// entries). Cleared whenever a transaction is rolled back.
	heads map[release.ID]*headState
	dg    digester
}

// headState is a release's row and head as the writer knows them.
type headState struct {
	rid, seq                 int64
	hash                     release.Hash
	snapSeq, schedS, schedNs int64
	status                   string
	wake                     wakeCols // as stored; the zero value (load unknown) never matches a row's
	// cold is the summary's document as last written or read, without
	// the fields the head row keeps (zero).
	cold *release.Summary
}

// maxHeads bounds the heads cache; it is cleared when full.
const maxHeads = 4096

// errStaleHeads: the batch's events collided with stored ones, which only
// another process writing the same file can cause; the batch runs again
// with the heads read from the file.
var errStaleHeads = errors.New("sqlite: the writer's heads are stale")

func newWtx(s *Store, conn *sql.Conn) *wtx {
	return &wtx{conn: conn, ctx: context.Background(), stmts: map[string]*sql.Stmt{}, heads: map[release.ID]*headState{}, dg: s.dg}
}

func (w *wtx) setHead(id release.ID, h *headState) {
	if len(w.heads) >= maxHeads {
		clear(w.heads)
	}
	w.heads[id] = h
}

// eventColumns is the number of columns insertEventsSQL sets per event.
const eventColumns = 8

// queueEvents queues events of the release with rowid rid for the batch's
// INSERT.
func (w *wtx) queueEvents(rid int64, events []release.Event) {
	w.dirty = true
	for i := range events {
		e := &events[i]
		var payload []byte
		if e.Payload != nil {
			payload = []byte(e.Payload)
		}
		w.queued = append(w.queued, eventKey(rid, e.Seq), string(e.Kind), e.Time.Format(time.RFC3339Nano), e.Actor, e.Reason,
			payload, e.PrevHash[:], e.Hash[:])
	}
	if len(events) > 0 {
		w.feedQueued = append(w.feedQueued, rid, events[0].Seq, events[len(events)-1].Seq)
		w.fed = true
	}
}

// maxInsertRows is the most events one INSERT statement carries.
const maxInsertRows = 16

// insertEventsSQL[n] inserts n events in the batch's transaction: OR
// FAIL, since a failure rolls the whole transaction back (so SQLite keeps
// no statement journal to undo the statement alone).
var insertEventsSQL = insertSQL("INSERT OR FAIL")

func insertSQL(verb string) (qs [maxInsertRows + 1]string) {
	for n := 1; n <= maxInsertRows; n++ {
		q := verb + ` INTO events (key, kind, time, actor, reason, payload, prev_hash, hash) VALUES `
		for i := range n {
			if i > 0 {
				q += `, `
			}
			q += `(?, ?, ?, ?, ?, ?, ?, ?)`
		}
		qs[n] = q
	}
	return qs
}

// flushEvents inserts the queued events, up to maxInsertRows a statement.
// An event that is already stored fails it with errStaleHeads.
func (w *wtx) flushEvents() error {
	if len(w.queued) == 0 && len(w.feedQueued) == 0 {
		return nil
	}
	if err := w.begin(); err != nil {
		return wrapDB("begin", err)
	}
	for rest := w.queued; len(rest) > 0; {
		n := min(len(rest)/eventColumns, maxInsertRows)
		if err := w.run(insertEventsSQL[n], rest[:eventColumns*n]...); err != nil {
			if isPrimaryKeyError(err) {
				return fmt.Errorf("%w: %w", errStaleHeads, err)
			}
			return wrapDB("inserting events", err)
		}
		rest = rest[eventColumns*n:]
	}
	clear(w.queued)
	w.queued = w.queued[:0]
	return w.flushFeed()
}

// begin begins the batch's transaction unless it has begun.
func (w *wtx) begin() error {
	if w.inTx {
		return nil
	}
	if w.beginErr != nil {
		return w.beginErr
	}
	if err := w.control("BEGIN IMMEDIATE"); err != nil {
		w.beginErr = err
		return err
	}
	w.inTx = true
	return nil
}

// control runs BEGIN, COMMIT or ROLLBACK.
func (w *wtx) control(q string) error {
	st, err := w.stmt(q)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(w.ctx)
	return err
}

// execN runs a write statement and returns the number of rows it changed.
func (w *wtx) execN(q string, args ...any) (int64, error) {
	if err := w.begin(); err != nil {
		return 0, err
	}
	st, err := w.stmt(q)
	if err != nil {
		return 0, err
	}
	res, err := st.ExecContext(w.ctx, args...)
	if err != nil {
		w.dirty = true // unknown effect: treat as written
		return 0, err
	}
	n, err := res.RowsAffected()
	if n > 0 || err != nil {
		w.dirty = true
	}
	return n, err
}

// stmt returns the prepared statement for q, preparing it the first time.
// Every q is a constant of this package, so the cache stays small.
func (w *wtx) stmt(q string) (*sql.Stmt, error) {
	if st, ok := w.stmts[q]; ok {
		return st, nil
	}
	st, err := w.conn.PrepareContext(w.ctx, q)
	if err != nil {
		return nil, err
	}
	w.stmts[q] = st
	return st, nil
}

// exec runs a write statement in the batch's transaction.
func (w *wtx) exec(q string, args ...any) error {
	if err := w.begin(); err != nil {
		return err
	}
	return w.run(q, args...)
}

// run runs a write statement.
func (w *wtx) run(q string, args ...any) error {
	w.dirty = true
	st, err := w.stmt(q)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(w.ctx, args...)
	return err
}

// writeRow runs a write statement with a RETURNING clause and scans its
// first row into dest; it returns sql.ErrNoRows when there is none.
func (w *wtx) writeRow(q string, args []any, dest ...any) error {
	err := w.queryRow(q, args, dest...)
	if !errors.Is(err, sql.ErrNoRows) {
		w.dirty = true // a row came back: it was written (or the effect is unknown)
	}
	return err
}

// queryRow runs q, a SELECT, and scans its first row into dest; it returns
// sql.ErrNoRows when there is none.
func (w *wtx) queryRow(q string, args []any, dest ...any) error {
	if err := w.begin(); err != nil {
		return err
	}
	st, err := w.stmt(q)
	if err != nil {
		return err
	}
	return st.QueryRowContext(w.ctx, args...).Scan(dest...)
}

func (w *wtx) closeStmts() {
	for q, st := range w.stmts {
		st.Close()
		delete(w.stmts, q)
	}
}

// write runs fn in a write transaction and returns its error, or the
// commit's. It returns ctx's error, having written nothing, when ctx is done
// before the request is taken.
//
// When no batch is running the caller runs its own request (and any queued
// meanwhile) in its goroutine: a lone writer pays no hand-off. Otherwise the
// request queues for the writer goroutine, which commits everything queued
// meanwhile in one transaction.
func (s *Store) write(ctx context.Context, fn func(*wtx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return ErrClosed
	}
	r := &request{ctx: ctx, fn: fn, done: make(chan error, 1)}
	if s.wmu.TryLock() {
		if s.closed.Load() {
			s.wmu.Unlock()
			return ErrClosed
		}
		// With SyncFull and other writers about (the last batch had
		// several), the writer goroutine gathers this request with theirs
		// (lingerFor); a lone writer runs its own.
		if s.opts.Synchronous != SyncFull || s.expect <= 1 {
			s.runQueued(r, false)
			s.wmu.Unlock()
			return <-r.done
		}
		s.wmu.Unlock()
	}
	select {
	case s.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.quit:
		return ErrClosed
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		if r.state.CompareAndSwap(pending, cancelled) {
			return ctx.Err()
		}
		return <-r.done
	case <-s.stopped:
		if r.state.CompareAndSwap(pending, cancelled) {
			return ErrClosed
		}
		return <-r.done
	}
}

// runQueued runs first and the requests queued meanwhile (up to MaxBatch)
// as one batch. s.wmu must be held.
//
// With linger (the writer goroutine, SyncFull), a batch smaller than the
// last one's writers waits a little for them: see lingerFor.
func (s *Store) runQueued(first *request, linger bool) {
	batch := append(s.batch[:0], first)
fill:
	for len(batch) < s.opts.MaxBatch {
		select {
		case r := <-s.reqs:
			batch = append(batch, r)
		default:
			break fill
		}
	}
	if want := min(s.expect, s.opts.MaxBatch); linger && len(batch) < want {
		batch = s.lingerFor(batch, want)
	}
	t0 := time.Now()
	results := s.results[:len(batch)]
	s.runBatch(batch, results)
	s.lastBatch = time.Since(t0)
	// The counters are updated before any waiter hears its result: a
	// caller that reads them once its write returned sees its batch.
	s.batches.Add(1)
	s.batched.Add(int64(len(batch)))
	for i, r := range batch {
		if r != nil {
			r.done <- results[i]
		}
	}
	// The writers of this batch will likely write again, and so will those
	// that queued while it ran: the next batch expects them all.
	s.expect = len(batch) + len(s.reqs)
	clear(batch)
	s.batch = batch[:0]
	if s.sinceWALCheck++; s.sinceWALCheck >= walCheckEvery {
		s.sinceWALCheck = 0
		s.boundWAL()
	}
}

// lingerFor adds requests to batch as they arrive until it holds want, for
// at most half the time the last batch took (its commit, with SyncFull its
// fsync). This is group commit's delay: when writers alternate in two
// groups (one commits while the other gets ready), each fsync carries only
// one group; waiting for the writers just released merges the groups, so
// one fsync serves all of them. The wait is bounded by a fraction of the
// commit it saves, and a batch expects only as many writers as the last
// one had plus those that queued meanwhile, so a lone writer (which runs
// its own batch and never lingers) or fewer writers cost at most one short
// wait.
func (s *Store) lingerFor(batch []*request, want int) []*request {
	d := min(s.lastBatch/2, maxLinger)
	if d <= 0 {
		return batch
	}
	if s.linger == nil {
		s.linger = time.NewTimer(d)
	} else {
		s.linger.Reset(d)
	}
	defer s.linger.Stop()
	for len(batch) < want {
		select {
		case r := <-s.reqs:
			batch = append(batch, r)
		case <-s.linger.C:
			return batch
		case <-s.quit:
			return batch
		}
	}
	return batch
}

// maxLinger bounds a batch's wait for more writers.
const maxLinger = 2 * time.Millisecond

// writeLoop is the writer goroutine: it takes the first queued request,
// then every other one already queued (up to MaxBatch), and commits them in
// one transaction, so that concurrent writers share one commit (and, with
// SyncFull, one fsync).
func (s *Store) writeLoop() {
	defer close(s.stopped)
	for {
		select {
		case r := <-s.reqs:
			s.wmu.Lock()
			s.runQueued(r, s.opts.Synchronous == SyncFull)
			s.wmu.Unlock()
		case <-s.quit:
			return
		}
	}
}

// runBatch commits a batch and settles each claimed request's result: its
// fn's error, or the error that failed the whole transaction. It sets the
// entries of batch whose callers gave up to nil; the caller replies to the
// others once its bookkeeping is done.
//
// A request that fails before writing (a stale expected sequence number,
// say: the common failure) needs no undo and fails alone. One that fails
// after writing (an I/O error, a snapshot that cannot be encoded) would
// leave half its writes: the transaction is rolled back and the batch run
// again without it. So a batch needs no savepoint per request.
func (s *Store) runBatch(batch []*request, results []error) {
	w := s.w
	clear(results)
	// Claim the requests whose callers still wait; skip the others.
	for i, r := range batch {
		if !r.state.CompareAndSwap(pending, claimed) {
			batch[i] = nil
			continue
		}
		if err := r.ctx.Err(); err != nil {
			results[i] = err
		}
	}
	// out marks the requests settled before the batch runs: skipped,
	// cancelled, or failed after writing in an earlier round.
	out := make([]bool, len(batch))
	for i, r := range batch {
		out[i] = r == nil || results[i] != nil
	}
	stale := false // the batch has run again for errStaleHeads: once is enough
	for {
		live := 0
		for i := range batch {
			if !out[i] {
				live++
			}
		}
		if live == 0 {
			return
		}
		w.inTx, w.beginErr = false, nil
		clear(w.queued)
		w.queued = w.queued[:0]
		w.feedQueued = w.feedQueued[:0]
		w.fed = false
		again := false
		for i, r := range batch {
			if out[i] {
				continue
			}
			w.dirty = false
			err := call(r.fn, w)
			results[i] = err
			if errors.Is(err, errStaleHeads) && !stale {
				stale, again = true, true // not its fault: all run again
				results[i] = nil
				break
			}
			if err != nil && w.dirty {
				out[i] = true // fails alone; the others run again
				again = true
				break
			}
		}
		if w.beginErr != nil {
			// Nothing is written, and nothing will be: SQLite refused the
			// write lock (another process held it too long, say).
			clear(w.heads)
			s.failLive(out, results, wrapDB("begin", w.beginErr))
			return
		}
		err := error(nil)
		if !again {
			err = w.flushEvents()
			if errors.Is(err, errStaleHeads) && !stale {
				stale, again = true, true
			}
		}
		if again {
			clear(w.heads)
			if w.inTx {
				w.inTx = false
				if err := w.control("ROLLBACK"); err != nil {
					s.failLive(out, results, wrapDB("rollback", err))
					return
				}
			}
			continue
		}
		if err == nil && w.inTx {
			err = wrapDB("commit", w.control("COMMIT"))
		}
		if err != nil {
			clear(w.heads)
			if w.inTx {
				w.control("ROLLBACK") //nolint:errcheck // SQLite may have rolled back already
			}
			s.failLive(out, results, err)
		} else if w.fed {
			s.feedSignals.Signal()
		}
		w.inTx = false
		return
	}
}

// failLive gives err to every request of the batch that has no error of its
// own: the transaction they were in is lost, with nothing written.
func (s *Store) failLive(out []bool, results []error, err error) {
	for i := range results {
		if !out[i] && results[i] == nil {
			results[i] = err
		}
	}
}

// call runs fn, turning a panic (in a host's SnapshotDue, say) into an
// error so that the writer goroutine survives.
func call(fn func(*wtx) error, w *wtx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("sqlite: write panicked: %v", v)
		}
	}()
	return fn(w)
}
