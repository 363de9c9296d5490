package store

import (
	"context"

	"github.com/batonhq/baton/release"
)

// FeedEvent is one event of the feed (FeedStore) with its place in it.
type FeedEvent struct {
	// Event is the event as it was appended (Event.Release names its
	// release; Payload byte for byte).
	release.Event
	// Cursor is the place just after this event: ListAllEvents with After
	// set to it returns the events that follow this one. Opaque, and
	// meaningful only to the store that made it.
	Cursor string
}

// ListAllEventsParams are the arguments of ListAllEvents.
type ListAllEventsParams struct {
	// After is a cursor (FeedEvent.Cursor, FeedPage.Next or FeedEnd);
	// empty for the start of the feed.
	After string
	// Limit caps the events returned; see DefaultLimit and MaxLimit.
	Limit int
}

// FeedPage is one page of ListAllEvents.
type FeedPage struct {
	// Events are the events after the cursor, in feed order.
	Events []FeedEvent
	// Next is the cursor to read the events that follow: the Cursor of the
	// last event of the page, or After itself when the page is empty.
	// Unlike the List methods' cursors, a feed never ends: a consumer
	// keeps Next and asks again later for what was committed meanwhile.
	Next string
}

// FeedStore is an optional capability: a durable, ordered feed of every
// release's events, which consumers (notifiers, reports, replication)
// follow with a cursor they keep, across restarts and instances, without
// missing or reordering anything. Find it by type assertion (or Find).
// Without it there is no durable feed: an executor's live observers are
// told of events as they happen, and miss those of a restart.
//
// The feed order is a total order over all events of the store that never
// changes once an event is readable:
//   - the events of one release are in Seq order;
//   - an event stored by a write that committed before another write
//     began comes before that write's events;
//   - an event becomes readable only once nothing can ever be inserted
//     before it: a consumer that has read up to a cursor will never find
//     an event before it later. A store may therefore hold back events of
//     a committed write while an earlier write is still in flight; every
//     committed event becomes readable once the writes in flight when it
//     committed have ended.
//
// The events of a release created or appended to before the store kept a
// feed (a database migrated from an older schema) are in it too, before
// every later event.
type FeedStore interface {
	// ListAllEvents returns up to Limit events after p.After, in feed
	// order, each equal to the event appended. An empty page (Next =
	// After) when there are none yet. ErrInvalid for a cursor the store
	// did not make. A nil p reads from the start.
	ListAllEvents(ctx context.Context, p *ListAllEventsParams) (*FeedPage, error)
	// FeedEnd returns the cursor after the last event readable now: a
	// consumer that starts there reads only the events that follow (the
	// ones committed later). An empty feed gives the empty cursor.
	FeedEnd(ctx context.Context) (string, error)
}

// FeedNotifier is an optional capability of a FeedStore: it tells its
// subscribers, soon after the fact, that events were added to the feed,
// so that a consumer reads them at once instead of at its next poll. Find
// it by type assertion (or Find).
//
// A signal is a hint, not a delivery: it carries nothing (the consumer
// reads the feed from its cursor), signals are coalesced (one pending
// stands for any number of writes), and some writes may go unsignalled
// (a PostgreSQL store signals the writes of other processes only when
// they notify). So a consumer keeps polling as a fallback, at a longer
// interval.
type FeedNotifier interface {
	// SubscribeFeed returns a channel that receives a value after writes
	// that add events to the feed commit, made through this store value
	// (and, where the store can tell, through others over the same data),
	// until ctx is done; then the channel is closed. The channel has a
	// capacity of one and a writer never waits for the subscriber. It
	// returns ctx's error when ctx is already done.
	SubscribeFeed(ctx context.Context) (<-chan struct{}, error)
}

// ConsumerCursor is a consumer's place in the feed, as CursorStore keeps
// it.
type ConsumerCursor struct {
	// Consumer names the consumer ("notify/webhook-ops").
	Consumer string
	// Cursor is the place it has read to (a FeedStore cursor).
	Cursor string
	// Revision counts the writes of this consumer's cursor, from 1: it
	// guards PutCursor.
	Revision int64
}

// PutCursorParams are the arguments of PutCursor.
type PutCursorParams struct {
	// Consumer names the consumer; required.
	Consumer string
	// Cursor is the place to store.
	Cursor string
	// ExpectedRevision is the Revision the caller read (GetCursor); 0 when
	// it found none (ErrNotFound), to create it.
	ExpectedRevision int64
}

// CursorStore is an optional capability: a store that keeps each feed
// consumer's cursor, so that a consumer resumes where it stopped after a
// restart, on any instance. Writes compare and set: two instances of one
// consumer never silently overwrite each other's progress. Find it by type
// assertion (or Find).
type CursorStore interface {
	// GetCursor returns the consumer's stored cursor, or ErrNotFound when
	// none was ever stored. ErrInvalid when consumer is empty.
	GetCursor(ctx context.Context, consumer string) (*ConsumerCursor, error)
	// PutCursor stores the consumer's cursor iff its stored Revision is
	// p.ExpectedRevision (0: none stored yet), and returns it with
	// Revision incremented. ErrConflict when the revision is stale (another
	// instance moved it, or created it first); nothing is written.
	// ErrInvalid when p is nil or Consumer is empty.
	PutCursor(ctx context.Context, p *PutCursorParams) (*ConsumerCursor, error)
	// DeleteCursor forgets the consumer's cursor (its next GetCursor is
	// ErrNotFound). Deleting a cursor that does not exist is not an error.
	DeleteCursor(ctx context.Context, consumer string) error
}
