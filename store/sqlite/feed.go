package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

var (
	_ store.FeedStore    = (*Store)(nil)
	_ store.CursorStore  = (*Store)(nil)
	_ store.FeedNotifier = (*Store)(nil)
)

// SubscribeFeed implements store.FeedNotifier: the channel receives a
// value after each write transaction through this Store that adds events
// commits (the writer batches many creates and appends in one), and is
// closed by Close.
func (s *Store) SubscribeFeed(ctx context.Context) (<-chan struct{}, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	return s.feedSignals.Subscribe(ctx)
}

// The feed (store.FeedStore) is a table with a row per create or append,
// in the order they committed: SQLite has one writer at a time, so the
// order in which feed rows get their position (the rowid, one above the
// largest; the last row is never deleted, so none is reused) is the order
// the writes commit, and a reader sees a committed prefix of it. Each row names the events first_seq..last_seq of a
// release; the events stay where they are (see migration 9).

// insertFeedSQL[n] inserts n feed rows.
var insertFeedSQL = func() (qs [maxInsertRows + 1]string) {
	for n := 1; n <= maxInsertRows; n++ {
		q := `INSERT INTO feed (rid, first_seq, last_seq) VALUES `
		for i := range n {
			if i > 0 {
				q += `, `
			}
			q += `(?, ?, ?)`
		}
		qs[n] = q
	}
	return qs
}()

// feedColumns is the number of columns of a queued feed row.
const feedColumns = 3

// flushFeed inserts the queued feed rows, in the order they were queued.
func (w *wtx) flushFeed() error {
	if len(w.feedQueued) == 0 {
		return nil
	}
	for rest := w.feedQueued; len(rest) > 0; {
		n := min(len(rest)/feedColumns, maxInsertRows)
		if err := w.run(insertFeedSQL[n], rest[:feedColumns*n]...); err != nil {
			return wrapDB("inserting feed rows", err)
		}
		rest = rest[feedColumns*n:]
	}
	w.feedQueued = w.feedQueued[:0]
	return nil
}

// A sqlite feed cursor is "s<pos>.<seq>": the events of feed row pos with a
// seq above seq, then the rows after it.
func sqliteFeedCursor(pos, seq int64) string {
	return "s" + strconv.FormatInt(pos, 10) + "." + strconv.FormatInt(seq, 10)
}

func parseSQLiteFeedCursor(c string) (pos, seq int64, err error) {
	if c == "" {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(strings.TrimPrefix(c, "s"), ".")
	if !strings.HasPrefix(c, "s") || !ok {
		return 0, 0, errf(store.ErrInvalid, "list all events: cursor %q", c)
	}
	pos, err1 := strconv.ParseInt(a, 10, 64)
	seq, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || pos < 0 || seq < 0 || seq > maxSeq {
		return 0, 0, errf(store.ErrInvalid, "list all events: cursor %q", c)
	}
	return pos, seq, nil
}

// qFeedPage reads the events after (?1, ?2) in feed order: the feed rows
// from ?1 by their key, each joined to its release's row and its range of
// events by key. Both loops walk a primary key in order, so the ORDER BY
// costs no sort and LIMIT stops the walk.
const qFeedPage = `SELECT f.pos, r.id, e.key, e.kind, e.time, e.actor, e.reason, e.payload, e.prev_hash, e.hash
	FROM feed f JOIN releases r ON r.rid = f.rid
	JOIN events e ON e.key BETWEEN (f.rid << 32) + max(f.first_seq, CASE WHEN f.pos = ?1 THEN ?2 + 1 ELSE 0 END) AND (f.rid << 32) + f.last_seq
	WHERE f.pos >= ?1
	ORDER BY f.pos, e.key LIMIT ?3`

// ListAllEvents implements store.FeedStore.
func (s *Store) ListAllEvents(ctx context.Context, p *store.ListAllEventsParams) (*store.FeedPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if p == nil {
		p = &store.ListAllEventsParams{}
	}
	pos, seq, err := parseSQLiteFeedCursor(p.After)
	if err != nil {
		return nil, err
	}
	page := &store.FeedPage{Events: []store.FeedEvent{}, Next: p.After}
	rows, err := s.rdb.QueryContext(ctx, qFeedPage, pos, seq, store.ClampLimit(p.Limit))
	if err != nil {
		return nil, s.readErr(ctx, "list all events", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			at int64
			id string
		)
		e, err := scanEvent(prefixScanner{rows, []any{&at, &id}}, "")
		if err != nil {
			return nil, err
		}
		e.Release = release.ID(id)
		c := sqliteFeedCursor(at, e.Seq)
		page.Events = append(page.Events, store.FeedEvent{Event: e, Cursor: c})
		page.Next = c
	}
	if err := rows.Err(); err != nil {
		return nil, s.readErr(ctx, "list all events", err)
	}
	return page, nil
}

// prefixScanner scans the columns before an event's (scanEvent's) into pre.
type prefixScanner struct {
	rows *sql.Rows
	pre  []any
}

func (p prefixScanner) Scan(dest ...any) error { return p.rows.Scan(append(p.pre, dest...)...) }

// FeedEnd implements store.FeedStore.
func (s *Store) FeedEnd(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if s.closed.Load() {
		return "", ErrClosed
	}
	var pos, last int64
	err := s.rdb.QueryRowContext(ctx, `SELECT pos, last_seq FROM feed ORDER BY pos DESC LIMIT 1`).Scan(&pos, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", s.readErr(ctx, "feed end", err)
	}
	return sqliteFeedCursor(pos, last), nil
}

// GetCursor implements store.CursorStore.
func (s *Store) GetCursor(ctx context.Context, consumer string) (*store.ConsumerCursor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if consumer == "" {
		return nil, errf(store.ErrInvalid, "get cursor: a consumer is required")
	}
	c := &store.ConsumerCursor{Consumer: consumer}
	err := s.rdb.QueryRowContext(ctx, `SELECT cursor, revision FROM feed_cursors WHERE consumer = ?`, consumer).Scan(&c.Cursor, &c.Revision)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errf(store.ErrNotFound, "cursor of consumer %q", consumer)
	} else if err != nil {
		return nil, s.readErr(ctx, "get cursor of consumer "+consumer, err)
	}
	return c, nil
}

// PutCursor implements store.CursorStore.
func (s *Store) PutCursor(ctx context.Context, p *store.PutCursorParams) (*store.ConsumerCursor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p == nil || p.Consumer == "" {
		return nil, errf(store.ErrInvalid, "put cursor: a consumer is required")
	}
	c := &store.ConsumerCursor{Consumer: p.Consumer, Cursor: p.Cursor, Revision: p.ExpectedRevision + 1}
	op := "put cursor of consumer " + p.Consumer
	err := s.write(ctx, func(w *wtx) error {
		var rev int64
		err := w.queryRow(`SELECT revision FROM feed_cursors WHERE consumer = ?`, []any{p.Consumer}, &rev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return wrapDB(op, err)
		}
		if rev != p.ExpectedRevision {
			return errf(store.ErrConflict, "%s: expected revision %d, stored %d", op, p.ExpectedRevision, rev)
		}
		return wrapDB(op, w.exec(`INSERT INTO feed_cursors (consumer, cursor, revision) VALUES (?, ?, ?)
			ON CONFLICT (consumer) DO UPDATE SET cursor = excluded.cursor, revision = excluded.revision`, p.Consumer, p.Cursor, c.Revision))
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// DeleteCursor implements store.CursorStore.
func (s *Store) DeleteCursor(ctx context.Context, consumer string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if consumer == "" {
		return errf(store.ErrInvalid, "delete cursor: a consumer is required")
	}
	return s.write(ctx, func(w *wtx) error {
		return wrapDB("delete cursor of consumer "+consumer, w.exec(`DELETE FROM feed_cursors WHERE consumer = ?`, consumer))
	})
}
