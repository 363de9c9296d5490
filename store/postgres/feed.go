package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

var (
	_ store.FeedStore   = (*Store)(nil)
	_ store.CursorStore = (*Store)(nil)
)

// The feed (store.FeedStore) is a table with a row per create or append,
// written in the same transaction as the events, keyed by (xid, pos): the
// id of the writing transaction (pg_current_xact_id) and a position from a
// sequence. A position alone is not commit order: a transaction that took
// 101 may commit after one that took 102. So the feed is read in (xid, pos)
// order and only below the oldest transaction still in flight
// (pg_snapshot_xmin of the reading statement's snapshot): every
// transaction below it has ended, committed or not, and every transaction
// that writes later gets a higher xid, so nothing can ever appear before a
// row already read. The events of one release follow each other: an append
// is made after the one before it committed, so in a transaction with a
// higher xid.
//
// The cost: no lock and no extra round trip on the append path (one more
// row in the append's statement); a reader waits for the oldest
// transaction in flight in the whole cluster, so a long transaction, even
// in another database, holds the feed back (never loses or reorders it)
// until it ends.
const (
	qInsertFeed = `INSERT INTO _s.feed (release_id, first_seq, last_seq) VALUES ($1, 1, $2)`
	// qFeedPage reads the events after ($1, $2, $3): the feed rows from
	// ($1, $2) in key order, below the horizon, each with its events by
	// the events' primary key.
	qFeedPage = `SELECT f.xid::text, f.pos, f.release_id, ` + feedEventCols + `
		FROM _s.feed f JOIN _s.events e ON e.release_id = f.release_id
			AND e.seq BETWEEN greatest(f.first_seq, CASE WHEN f.xid = $1::xid8 AND f.pos = $2 THEN $3 + 1 ELSE 0 END) AND f.last_seq
		WHERE (f.xid, f.pos) >= ($1::xid8, $2::bigint) AND f.xid < pg_snapshot_xmin(pg_current_snapshot())
		ORDER BY f.xid, f.pos, e.seq LIMIT $4`
	feedEventCols = `e.seq, e.kind, e.time, e.actor, e.reason, e.payload, e.prev_hash, e.hash`
	qFeedEnd      = `SELECT xid::text, pos, last_seq FROM _s.feed WHERE xid < pg_snapshot_xmin(pg_current_snapshot())
		ORDER BY xid DESC, pos DESC LIMIT 1`
)

// A postgres feed cursor is "p<xid>.<pos>.<seq>": the events of feed row
// (xid, pos) with a seq above seq, then the rows after it.
func feedCursor(xid string, pos, seq int64) string {
	return "p" + xid + "." + strconv.FormatInt(pos, 10) + "." + strconv.FormatInt(seq, 10)
}

func parseFeedCursor(c string) (xid string, pos, seq int64, err error) {
	if c == "" {
		return "0", 0, 0, nil
	}
	parts := strings.Split(strings.TrimPrefix(c, "p"), ".")
	bad := errf(store.ErrInvalid, "list all events: cursor %q", c)
	if !strings.HasPrefix(c, "p") || len(parts) != 3 {
		return "", 0, 0, bad
	}
	x, err1 := strconv.ParseUint(parts[0], 10, 64)
	pos, err2 := strconv.ParseInt(parts[1], 10, 64)
	seq, err3 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || pos < 0 || seq < 0 {
		return "", 0, 0, bad
	}
	return strconv.FormatUint(x, 10), pos, seq, nil
}

// ListAllEvents implements store.FeedStore.
func (s *Store) ListAllEvents(ctx context.Context, p *store.ListAllEventsParams) (*store.FeedPage, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListAllEventsParams{}
	}
	xid, pos, seq, err := parseFeedCursor(p.After)
	if err != nil {
		return nil, err
	}
	const op = "list all events"
	rows, err := s.pool.Query(ctx, s.q(qFeedPage), xid, pos, seq, store.ClampLimit(p.Limit))
	if err != nil {
		return nil, s.wrapDB(ctx, op, err)
	}
	defer rows.Close()
	page := &store.FeedPage{Events: []store.FeedEvent{}, Next: p.After}
	for rows.Next() {
		var (
			x  string
			at int64
			id string
		)
		e, err := scanEvent(prefixRows{rows, []any{&x, &at, &id}}, "")
		if err != nil {
			return nil, s.wrapDB(ctx, op, err)
		}
		e.Release = release.ID(id)
		c := feedCursor(x, at, e.Seq)
		page.Events = append(page.Events, store.FeedEvent{Event: e, Cursor: c})
		page.Next = c
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrapDB(ctx, op, err)
	}
	return page, nil
}

// prefixRows scans the columns before an event's (scanEvent's) into pre.
type prefixRows struct {
	pgx.Rows
	pre []any
}

func (p prefixRows) Scan(dest ...any) error { return p.Rows.Scan(append(p.pre, dest...)...) }

// FeedEnd implements store.FeedStore.
func (s *Store) FeedEnd(ctx context.Context) (string, error) {
	if err := s.ready(ctx); err != nil {
		return "", err
	}
	var (
		xid       string
		pos, last int64
	)
	err := s.pool.QueryRow(ctx, s.q(qFeedEnd)).Scan(&xid, &pos, &last)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", s.wrapDB(ctx, "feed end", err)
	}
	return feedCursor(xid, pos, last), nil
}

// GetCursor implements store.CursorStore.
func (s *Store) GetCursor(ctx context.Context, consumer string) (*store.ConsumerCursor, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if consumer == "" {
		return nil, errf(store.ErrInvalid, "get cursor: a consumer is required")
	}
	if err := checkText("get cursor", "Consumer", consumer); err != nil {
		return nil, err
	}
	c := &store.ConsumerCursor{Consumer: consumer}
	err := s.pool.QueryRow(ctx, s.q(`SELECT cursor, revision FROM _s.feed_cursors WHERE consumer = $1`), consumer).Scan(&c.Cursor, &c.Revision)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errf(store.ErrNotFound, "cursor of consumer %q", consumer)
	} else if err != nil {
		return nil, s.wrapDB(ctx, "get cursor of consumer "+consumer, err)
	}
	return c, nil
}

// PutCursor implements store.CursorStore: one statement, an insert that
// does nothing when the row exists (ExpectedRevision 0) or an update that
// names the revision it replaces; no row back is a conflict.
func (s *Store) PutCursor(ctx context.Context, p *store.PutCursorParams) (*store.ConsumerCursor, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if p == nil || p.Consumer == "" {
		return nil, errf(store.ErrInvalid, "put cursor: a consumer is required")
	}
	if err := checkText("put cursor", "Consumer", p.Consumer, "Cursor", p.Cursor); err != nil {
		return nil, err
	}
	op := "put cursor of consumer " + p.Consumer
	q := `UPDATE _s.feed_cursors SET cursor = $2, revision = $3 + 1 WHERE consumer = $1 AND revision = $3 RETURNING revision`
	if p.ExpectedRevision == 0 {
		q = `INSERT INTO _s.feed_cursors (consumer, cursor, revision) VALUES ($1, $2, $3 + 1) ON CONFLICT (consumer) DO NOTHING RETURNING revision`
	}
	c := &store.ConsumerCursor{Consumer: p.Consumer, Cursor: p.Cursor}
	err := s.pool.QueryRow(ctx, s.q(q), p.Consumer, p.Cursor, p.ExpectedRevision).Scan(&c.Revision)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errf(store.ErrConflict, "%s: expected revision %d: it is another", op, p.ExpectedRevision)
	} else if err != nil {
		return nil, s.wrapDB(ctx, op, err)
	}
	return c, nil
}

// DeleteCursor implements store.CursorStore.
func (s *Store) DeleteCursor(ctx context.Context, consumer string) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	if consumer == "" {
		return errf(store.ErrInvalid, "delete cursor: a consumer is required")
	}
	if err := checkText("delete cursor", "Consumer", consumer); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, s.q(`DELETE FROM _s.feed_cursors WHERE consumer = $1`), consumer)
	return s.wrapDB(ctx, "delete cursor of consumer "+consumer, err)
}
