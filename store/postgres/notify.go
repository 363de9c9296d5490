package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/batonhq/baton/internal/feedsignal"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

var (
	_ store.ReleaseNotifier = (*Store)(nil)
	_ store.FeedNotifier    = (*Store)(nil)
)

// Notifications (store.ReleaseNotifier) use PostgreSQL's LISTEN/NOTIFY.
// A CreateRelease or AppendEvents with Notify set calls pg_notify in its
// own transaction, so PostgreSQL delivers the notification when, and only
// if, it commits. A Store listens on one dedicated connection (not one of
// the pool's) while it has subscribers, and reconnects when it loses it;
// the notifications sent meanwhile are lost, so it then sends every
// subscriber an empty store.ReleaseChange (look at everything).

const (
	// notifyBuffer is the capacity of a subscriber's channel.
	notifyBuffer = 1024
	// The wait before reconnecting the listening connection doubles from
	// listenRetryMin to listenRetryMax.
	listenRetryMin = 100 * time.Millisecond
	listenRetryMax = 5 * time.Second
)

// notifyChannel is the PostgreSQL channel of a schema's notifications:
// "baton:" and the schema, or a digest of the schema when that is longer
// than a channel name may be (63 bytes).
func notifyChannel(schema string) string {
	if ch := "baton:" + schema; len(ch) <= 63 {
		return ch
	}
	d := sha256.Sum256([]byte(schema))
	return "baton:" + hex.EncodeToString(d[:16])
}

// feedPayload is what a notification of Options.NotifyFeed carries when
// the write has no Notify: no release (parsePayload refuses it), only a
// signal for the feed's subscribers.
const feedPayload = "feed"

// writeNotify returns whether a write notifies, and its payload: the
// release's change with Notify, feedPayload with Options.NotifyFeed alone.
func (s *Store) writeNotify(notify bool, id release.ID, seq int64) (bool, string) {
	switch {
	case notify:
		return true, notifyPayload(id, seq)
	case s.opts.NotifyFeed:
		return true, feedPayload
	}
	return false, ""
}

// notifyPayload is what a notification carries: the release id and its
// seq after the change, "ID:SEQ".
func notifyPayload(id release.ID, seq int64) string {
	return string(id) + ":" + strconv.FormatInt(seq, 10)
}

func parsePayload(p string) (store.ReleaseChange, bool) {
	i := strings.LastIndexByte(p, ':')
	if i <= 0 {
		return store.ReleaseChange{}, false
	}
	seq, err := strconv.ParseInt(p[i+1:], 10, 64)
	if err != nil {
		return store.ReleaseChange{}, false
	}
	return store.ReleaseChange{Release: release.ID(p[:i]), Seq: seq}, true
}

// listener is a Store's listening connection and its subscribers.
type listener struct {
	mu      sync.Mutex
	subs    map[*subscriber]struct{}
	running bool          // the listening goroutine runs
	ready   chan struct{} // closed once the first LISTEN succeeded or failed
	err     error         // why the first LISTEN failed (set before ready closes)
	stop    context.CancelFunc
	// feed are the subscribers of SubscribeFeed: told of this Store's
	// creates and appends as they commit, and of every notification the
	// listening connection hears (another process's write with Notify
	// set, or a reconnection, after which writes may have been missed).
	feed feedsignal.Signals
}

type subscriber struct {
	ch     chan store.ReleaseChange
	missed bool
}

// SubscribeReleases implements store.ReleaseNotifier. The first subscriber
// starts the Store's listening connection, and SubscribeReleases returns
// once it listens (or with the error that kept it from connecting); the
// last one to leave closes it. Every Store over the same schema, in any
// process, hears the changes the others write with Notify.
func (s *Store) SubscribeReleases(ctx context.Context) (<-chan store.ReleaseChange, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	l := &s.listen
	sub := &subscriber{ch: make(chan store.ReleaseChange, notifyBuffer)}
	l.mu.Lock()
	if !l.running {
		lctx, cancel := context.WithCancel(context.Background())
		l.running, l.stop, l.ready, l.err = true, cancel, make(chan struct{}), nil
		go s.listenLoop(lctx, l.ready)
	}
	ready := l.ready
	if l.subs == nil {
		l.subs = map[*subscriber]struct{}{}
	}
	l.subs[sub] = struct{}{}
	l.mu.Unlock()

	select {
	case <-ready:
	case <-ctx.Done():
	}
	l.mu.Lock()
	err := l.err
	if ready != l.ready {
		err = nil // a later listener took over: this one's error is old
	}
	l.mu.Unlock()
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		s.unsubscribe(sub)
		return nil, err
	}
	context.AfterFunc(ctx, func() { s.unsubscribe(sub) })
	return sub.ch, nil
}

// SubscribeFeed implements store.FeedNotifier. The channel receives a
// value after each create or append through this Store commits, and after
// each notification the Store hears on the schema's channel: the writes
// of other processes with Notify set (an executor sets it for the changes
// that need another process's attention). Other processes' writes without
// Notify are not signalled: a consumer finds them at its next poll. While
// ctx lasts the Store listens, as for SubscribeReleases. A signal may
// also come before the events are readable: the feed holds a committed
// write back while an older transaction is in flight (see ListAllEvents).
func (s *Store) SubscribeFeed(ctx context.Context) (<-chan struct{}, error) {
	changes, err := s.SubscribeReleases(ctx) // listens until ctx is done
	if err != nil {
		return nil, err
	}
	go func() {
		for range changes { // broadcast signals the feed's subscribers
		}
	}()
	return s.listen.feed.Subscribe(ctx)
}

// unsubscribe removes sub and closes its channel; the last subscriber to
// leave stops the listening connection.
func (s *Store) unsubscribe(sub *subscriber) {
	l := &s.listen
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.subs[sub]; !ok {
		return
	}
	delete(l.subs, sub)
	close(sub.ch)
	if len(l.subs) == 0 && l.running {
		l.running = false
		l.stop()
	}
}

// listenLoop keeps a connection listening on the schema's channel until ctx
// is done, and hands what it hears to the subscribers. ready is closed
// after the first attempt to listen, with l.err set when it failed.
func (s *Store) listenLoop(ctx context.Context, ready chan struct{}) {
	l := &s.listen
	wait := listenRetryMin
	first := true
	for {
		conn, err := s.listenConn(ctx)
		if first {
			first = false
			l.mu.Lock()
			if err != nil && ctx.Err() == nil {
				// Nobody will be listening: the subscribers waiting get the
				// error and go, and the next subscriber tries again.
				l.err = err
				l.running = false
				l.stop()
			}
			close(ready)
			l.mu.Unlock()
			if err != nil {
				return
			}
		} else if err == nil {
			l.broadcast(store.ReleaseChange{}) // what was sent while we were away is lost
		}
		if err == nil {
			wait = listenRetryMin
			err = s.receive(ctx, conn)
			closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = conn.Close(closeCtx)
			cancel()
		}
		if ctx.Err() != nil || s.closed.Load() {
			return
		}
		_ = err // a lost connection: reconnect after a pause
		l.broadcast(store.ReleaseChange{})
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, listenRetryMax)
	}
}

// listenConn opens a connection with the pool's settings and LISTENs on
// the schema's channel.
func (s *Store) listenConn(ctx context.Context) (*pgx.Conn, error) {
	cfg := s.pool.Config().ConnConfig.Copy()
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = "baton listener"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, s.wrapDB(ctx, "listen for release changes", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{notifyChannel(s.opts.Schema)}.Sanitize()); err != nil {
		_ = conn.Close(context.Background())
		return nil, s.wrapDB(ctx, "listen for release changes", err)
	}
	return conn, nil
}

// receive hands the notifications conn receives to the subscribers until
// ctx is done or the connection fails.
func (s *Store) receive(ctx context.Context, conn *pgx.Conn) error {
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if c, ok := parsePayload(n.Payload); ok {
			s.listen.broadcast(c)
		} else {
			s.listen.feed.Signal()
		}
	}
}

// broadcast sends c to every subscriber without blocking: one whose
// channel is full loses it, and is sent an empty change once it has room.
func (l *listener) broadcast(c store.ReleaseChange) {
	l.feed.Signal()
	l.mu.Lock()
	defer l.mu.Unlock()
	for sub := range l.subs {
		if sub.missed {
			select {
			case sub.ch <- store.ReleaseChange{}:
				sub.missed = false
			default:
				continue
			}
		}
		select {
		case sub.ch <- c:
		default:
			sub.missed = true
		}
	}
}

// close stops the listening connection and closes every
// subscriber's channel (Close).
func (l *listener) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running {
		l.running = false
		l.stop()
	}
	for sub := range l.subs {
		close(sub.ch)
	}
	l.subs = nil
	l.feed.Close()
}
