package executor

import (
	"context"
	"fmt"
	"sync"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// Get returns a release as stored. The caller owns the copy.
func (e *Executor) Get(ctx context.Context, id release.ID) (*release.Release, error) {
	r, err := e.store.GetRelease(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("executor: get release %s: %w", id, err)
	}
	return r, nil
}

// List returns summaries of the stored releases that match p (see
// store.ListReleasesParams).
func (e *Executor) List(ctx context.Context, p *store.ListReleasesParams) (*store.ReleasePage, error) {
	if p == nil {
		p = &store.ListReleasesParams{}
	}
	page, err := e.store.ListReleases(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("executor: list releases: %w", err)
	}
	return page, nil
}

// Filter selects the events a subscription receives. Zero fields do not
// filter.
type Filter struct {
	Release release.ID          // only this release's events
	Kinds   []release.EventKind // only these kinds
}

func (f *Filter) match(ev *release.Event) bool {
	if f.Release != "" && f.Release != ev.Release {
		return false
	}
	if len(f.Kinds) == 0 {
		return true
	}
	for _, k := range f.Kinds {
		if k == ev.Kind {
			return true
		}
	}
	return false
}

// Notification is one event delivered to a subscription.
type Notification struct {
	Event release.Event
	// Missed counts the events that matched the filter but were dropped
	// just before this one because the subscriber's buffer was full. A
	// subscriber that needs them reads them from the store
	// (store.ReleaseStore.ListEvents).
	Missed int64
}

// Subscription is a live feed of stored events. Its buffer is bounded:
// the executor never waits for a subscriber; when the buffer is full,
// events are dropped and counted in the next Notification's Missed.
type Subscription struct {
	c      chan Notification
	filter Filter
	e      *Executor

	mu     sync.Mutex
	missed int64
	closed bool
}

// C returns the channel of notifications; it is closed by Close.
func (s *Subscription) C() <-chan Notification { return s.c }

// Missed returns the events dropped since the last notification delivered.
func (s *Subscription) Missed() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.missed
}

// Close ends the subscription and closes its channel.
func (s *Subscription) Close() {
	s.e.subs.mu.Lock()
	delete(s.e.subs.set, s)
	s.e.subs.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.c)
	}
}

type subscribers struct {
	mu  sync.RWMutex
	set map[*Subscription]struct{}
}

// DefaultSubscriptionBuffer is the buffer of a subscription when Subscribe
// is given 0.
const DefaultSubscriptionBuffer = 256

// Subscribe returns a live feed of the events stored from now on that
// match f, with a buffer of the given size (DefaultSubscriptionBuffer when
// 0 or less). Call Close when done.
func (e *Executor) Subscribe(f Filter, buffer int) *Subscription {
	if buffer <= 0 {
		buffer = DefaultSubscriptionBuffer
	}
	s := &Subscription{c: make(chan Notification, buffer), filter: f, e: e}
	e.subs.mu.Lock()
	if e.subs.set == nil {
		e.subs.set = map[*Subscription]struct{}{}
	}
	e.subs.set[s] = struct{}{}
	e.subs.mu.Unlock()
	return s
}

// publish tells observers and subscribers about stored events.
func (e *Executor) publish(events []release.Event) {
	for _, o := range e.cfg.Observers {
		for i := range events {
			o.Observe(events[i])
		}
	}
	e.subs.mu.RLock()
	defer e.subs.mu.RUnlock()
	if len(e.subs.set) == 0 {
		return
	}
	for s := range e.subs.set {
		for i := range events {
			if !s.filter.match(&events[i]) {
				continue
			}
			s.mu.Lock()
			if !s.closed {
				select {
				case s.c <- Notification{Event: events[i], Missed: s.missed}:
					s.missed = 0
				default:
					s.missed++
				}
			}
			s.mu.Unlock()
		}
	}
}
