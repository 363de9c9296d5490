package memstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/batonhq/baton/internal/feedsignal"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

var (
	_ store.FeedStore    = (*Store)(nil)
	_ store.CursorStore  = (*Store)(nil)
	_ store.FeedNotifier = (*Store)(nil)
)

// feedLog is the feed (store.FeedStore): one entry per create or append,
// in the order they were stored. An entry is added while its release is
// locked, after its events: a reader never finds an entry whose events are
// missing, and appends to one release enter it in Seq order.
type feedLog struct {
	mu      sync.RWMutex
	entries []feedEntry
	cursors map[string]store.ConsumerCursor // made on first use
	signals feedsignal.Signals              // of SubscribeFeed
}

// feedEntry names the events from..to of a release.
type feedEntry struct {
	rec      *storedRelease
	id       release.ID
	from, to int64
}

// add enters the events from..to of rec.
func (f *feedLog) add(rec *storedRelease, id release.ID, from, to int64) {
	f.mu.Lock()
	f.entries = append(f.entries, feedEntry{rec: rec, id: id, from: from, to: to})
	f.mu.Unlock()
	f.signals.Signal()
}

// SubscribeFeed implements store.FeedNotifier: the channel receives a
// value after every create or append through this Store value.
func (s *Store) SubscribeFeed(ctx context.Context) (<-chan struct{}, error) {
	return s.feed.signals.Subscribe(ctx)
}

// A memstore feed cursor is "m<entry>.<seq>": the events of the entry
// numbered entry (from 1) with a seq above seq, then the entries after it.
func feedCursor(entry int, seq int64) string {
	return "m" + strconv.Itoa(entry) + "." + strconv.FormatInt(seq, 10)
}

func parseFeedCursor(c string) (entry int, seq int64, err error) {
	if c == "" {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(strings.TrimPrefix(c, "m"), ".")
	if !strings.HasPrefix(c, "m") || !ok {
		return 0, 0, errf(store.ErrInvalid, "list all events: cursor %q", c)
	}
	entry, err1 := strconv.Atoi(a)
	seq, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || entry < 0 || seq < 0 {
		return 0, 0, errf(store.ErrInvalid, "list all events: cursor %q", c)
	}
	return entry, seq, nil
}

// ListAllEvents implements store.FeedStore.
func (s *Store) ListAllEvents(ctx context.Context, p *store.ListAllEventsParams) (*store.FeedPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p == nil {
		p = &store.ListAllEventsParams{}
	}
	entry, seq, err := parseFeedCursor(p.After)
	if err != nil {
		return nil, err
	}
	s.feed.mu.RLock()
	entries := s.feed.entries
	s.feed.mu.RUnlock()
	if entry > len(entries) {
		return nil, errf(store.ErrInvalid, "list all events: cursor %q is past the end of the feed", p.After)
	}
	limit := store.ClampLimit(p.Limit)
	page := &store.FeedPage{Events: []store.FeedEvent{}, Next: p.After}
	i := max(entry-1, 0)
	if entry == 0 {
		seq = 0
	}
	for ; i < len(entries) && len(page.Events) < limit; i++ {
		en := entries[i]
		from := en.from
		if i == entry-1 {
			from = max(from, seq+1)
		}
		if from > en.to {
			continue
		}
		to := min(en.to, from+int64(limit-len(page.Events))-1)
		en.rec.mu.Lock()
		events, gone := en.rec.events, en.rec.gone
		en.rec.mu.Unlock()
		if gone {
			continue // a deleted release leaves the feed with its rows
		}
		for q := from; q <= to; q++ {
			if q > int64(len(events)) || events[q-1].Seq != q {
				return nil, &store.CorruptError{Store: "memstore", Release: en.id, What: "event", Seq: q,
					Err: fmt.Errorf("the feed names the event, the log does not hold it")}
			}
			c := feedCursor(i+1, q)
			page.Events = append(page.Events, store.FeedEvent{Event: events[q-1].Clone(), Cursor: c})
			page.Next = c
		}
	}
	return page, nil
}

// FeedEnd implements store.FeedStore.
func (s *Store) FeedEnd(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.feed.mu.RLock()
	defer s.feed.mu.RUnlock()
	n := len(s.feed.entries)
	if n == 0 {
		return "", nil
	}
	return feedCursor(n, s.feed.entries[n-1].to), nil
}

// GetCursor implements store.CursorStore.
func (s *Store) GetCursor(ctx context.Context, consumer string) (*store.ConsumerCursor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if consumer == "" {
		return nil, errf(store.ErrInvalid, "get cursor: a consumer is required")
	}
	s.feed.mu.RLock()
	defer s.feed.mu.RUnlock()
	c, ok := s.feed.cursors[consumer]
	if !ok {
		return nil, errf(store.ErrNotFound, "cursor of consumer %q", consumer)
	}
	return &c, nil
}

// PutCursor implements store.CursorStore.
func (s *Store) PutCursor(ctx context.Context, p *store.PutCursorParams) (*store.ConsumerCursor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p == nil || p.Consumer == "" {
		return nil, errf(store.ErrInvalid, "put cursor: a consumer is required")
	}
	s.feed.mu.Lock()
	defer s.feed.mu.Unlock()
	old := s.feed.cursors[p.Consumer]
	if old.Revision != p.ExpectedRevision {
		return nil, errf(store.ErrConflict, "put cursor of consumer %q: expected revision %d, stored %d", p.Consumer, p.ExpectedRevision, old.Revision)
	}
	if s.feed.cursors == nil {
		s.feed.cursors = map[string]store.ConsumerCursor{}
	}
	c := store.ConsumerCursor{Consumer: p.Consumer, Cursor: p.Cursor, Revision: old.Revision + 1}
	s.feed.cursors[p.Consumer] = c
	return &c, nil
}

// DeleteCursor implements store.CursorStore.
func (s *Store) DeleteCursor(ctx context.Context, consumer string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if consumer == "" {
		return errf(store.ErrInvalid, "delete cursor: a consumer is required")
	}
	s.feed.mu.Lock()
	defer s.feed.mu.Unlock()
	delete(s.feed.cursors, consumer)
	return nil
}
