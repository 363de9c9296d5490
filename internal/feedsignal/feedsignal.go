// Package feedsignal tells the subscribers of a store's feed
// (store.FeedNotifier) that events were added to it: each subscriber has
// a channel of capacity one, so a signal pending stands for any number of
// writes and a writer never blocks.
package feedsignal

import (
	"context"
	"sync"
)

// Signals is the set of a store's feed subscribers. Its zero value is
// ready to use.
type Signals struct {
	mu     sync.Mutex
	subs   map[chan struct{}]struct{}
	closed bool
}

// Subscribe returns a channel that receives a value after each later
// Signal (coalesced: at most one pending), until ctx is done or Close is
// called; then it is closed. It returns ctx's error when ctx is already
// done.
func (s *Signals) Subscribe(ctx context.Context) (<-chan struct{}, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		close(ch)
		return ch, nil
	}
	if s.subs == nil {
		s.subs = map[chan struct{}]struct{}{}
	}
	s.subs[ch] = struct{}{}
	s.mu.Unlock()
	context.AfterFunc(ctx, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.subs[ch]; ok {
			delete(s.subs, ch)
			close(ch)
		}
	})
	return ch, nil
}

// Signal tells every subscriber, without blocking.
func (s *Signals) Signal() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.subs {
		select {
		case ch <- struct{}{}:
		default: // one is pending: it covers this write too
		}
	}
}

// Len returns the number of subscribers.
func (s *Signals) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.subs)
}

// Close closes every subscriber's channel; later subscribers get a closed
// channel.
func (s *Signals) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.subs {
		close(ch)
	}
	s.subs, s.closed = nil, true
}
