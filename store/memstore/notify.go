package memstore

import (
	"context"
	"sync"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

var _ store.ReleaseNotifier = (*Store)(nil)

// notifyBuffer is the capacity of a subscriber's channel.
const notifyBuffer = 1024

// subscribers are the channels of SubscribeReleases.
type subscribers struct {
	mu   sync.Mutex
	subs map[*subscriber]struct{}
}

type subscriber struct {
	ch     chan store.ReleaseChange
	missed bool // a change was dropped: send the empty change first
}

// SubscribeReleases implements store.ReleaseNotifier: every executor over
// this Store value hears of the changes the others record with Notify.
// Changes are sent as they commit, without blocking the writer; a
// subscriber whose channel is full loses them and is then sent an empty
// ReleaseChange.
func (s *Store) SubscribeReleases(ctx context.Context) (<-chan store.ReleaseChange, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sub := &subscriber{ch: make(chan store.ReleaseChange, notifyBuffer)}
	n := &s.notifier
	n.mu.Lock()
	if n.subs == nil {
		n.subs = map[*subscriber]struct{}{}
	}
	n.subs[sub] = struct{}{}
	n.mu.Unlock()
	context.AfterFunc(ctx, func() {
		n.mu.Lock()
		delete(n.subs, sub)
		close(sub.ch)
		n.mu.Unlock()
	})
	return sub.ch, nil
}

// notify tells every subscriber that release id is at seq. The caller
// holds the release's lock, so the changes of one release go out in order.
func (n *subscribers) notify(id release.ID, seq int64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for sub := range n.subs {
		if sub.missed {
			select {
			case sub.ch <- store.ReleaseChange{}:
				sub.missed = false
			default:
				continue
			}
		}
		select {
		case sub.ch <- store.ReleaseChange{Release: id, Seq: seq}:
		default:
			sub.missed = true
		}
	}
}
