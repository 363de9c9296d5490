package executor

import (
	"context"
	"fmt"
	"sync"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// Get returns a release as stored. The authorizer sees ActionView of the
// release by who (nil: anonymous). The caller owns the copy.
func (e *Executor) Get(ctx context.Context, id release.ID, who *By) (*release.Release, error) {
	r, err := e.store.GetRelease(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("executor: get release %s: %w", id, err)
	}
	if err := e.authorize(ctx, relView(who.value(), r)); err != nil {
		return nil, err
	}
	return r, nil
}

// ListParams are the arguments of List.
type ListParams struct {
	// By names the reader; releases the authorizer refuses to show it
	// (ActionView) are left out of the page.
	By
	store.ListReleasesParams
}

// List returns summaries of the stored releases that match p (see
// store.ListReleasesParams). A page may hold fewer releases than its
// limit when some were left out for the reader: follow Next to the end.
func (e *Executor) List(ctx context.Context, p *ListParams) (*store.ReleasePage, error) {
	if p == nil {
		p = &ListParams{}
	}
	lp := p.ListReleasesParams
	page, err := e.store.ListReleases(ctx, &lp)
	if err != nil {
		return nil, fmt.Errorf("executor: list releases: %w", err)
	}
	page.Releases = viewable(ctx, e, page.Releases, func(s release.Summary) *Action { return releaseView(p.By, &s) })
	return page, nil
}

// Filter selects the events a subscription receives. Zero fields do not
// filter; set fields must all match. Process, Group and Labels select by
// what a release is, so a subscription follows the releases created after
// it starts too.
type Filter struct {
	Release release.ID // only this release's events
	// Kinds keeps only these kinds; KindReleaseEnded stands for every
	// kind that ends a release.
	Kinds   []release.EventKind
	Process process.ID      // only releases of this process
	Group   release.GroupID // only releases of this group
	// Labels keeps only releases that carry every one of these labels
	// with the same value.
	Labels map[string]string
}

func (f *Filter) match(ev *release.Event, rel *release.Release) bool {
	if f.Release != "" && f.Release != ev.Release {
		return false
	}
	if f.Process != "" || f.Group != "" || len(f.Labels) > 0 {
		if rel == nil || (f.Process != "" && rel.ProcessID != f.Process) || (f.Group != "" && rel.Group != f.Group) {
			return false
		}
		for k, v := range f.Labels {
			if got, ok := rel.Labels[k]; !ok || got != v {
				return false
			}
		}
	}
	if len(f.Kinds) == 0 {
		return true
	}
	for _, k := range f.Kinds {
		if k == ev.Kind || (k == KindReleaseEnded && endsRelease(ev.Kind)) {
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
	// (Executor.Events).
	Missed int64
	// Status is the release's status once the event was stored (with the
	// events stored in the same step), so a subscriber needs no Get to know
	// where the release stands.
	Status release.Status
	// Ended is set on the event that ended the release (see
	// KindReleaseEnded).
	Ended bool
}

// Subscription is a live feed of stored events. Its buffer is bounded:
// the executor never waits for a subscriber; when the buffer is full,
// events are dropped and counted in the next Notification's Missed.
type Subscription struct {
	c      chan Notification
	filter Filter
	e      *Executor
	ctx    context.Context
	by     By

	mu      sync.Mutex
	missed  int64
	closed  bool
	allowed map[release.ID]bool // the authorizer's answers, by release
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

// SubscribeParams are the arguments of Subscribe.
type SubscribeParams struct {
	// By names the reader. Events of a release are delivered only if the
	// authorizer lets the reader see it (ActionView, asked once per release
	// and subscription, with the release locked, as for actions).
	By
	// Filter selects the events.
	Filter Filter
	// Buffer is the subscription's buffer (DefaultSubscriptionBuffer when 0
	// or less).
	Buffer int
}

// maxAllowedCache bounds the authorizer answers a subscription keeps; past
// it they are forgotten and asked again.
const maxAllowedCache = 10000

// Subscribe returns a live feed of the events stored from now on that
// match p.Filter (nil p: every event, read anonymously). The subscription
// ends when ctx is done or Close is called.
func (e *Executor) Subscribe(ctx context.Context, p *SubscribeParams) *Subscription {
	if p == nil {
		p = &SubscribeParams{}
	}
	buffer := p.Buffer
	if buffer <= 0 {
		buffer = DefaultSubscriptionBuffer
	}
	s := &Subscription{c: make(chan Notification, buffer), filter: p.Filter, e: e, ctx: ctx, by: p.By}
	e.subs.mu.Lock()
	if e.subs.set == nil {
		e.subs.set = map[*Subscription]struct{}{}
	}
	e.subs.set[s] = struct{}{}
	e.subs.mu.Unlock()
	context.AfterFunc(ctx, s.Close)
	return s
}

// mayView reports whether the subscriber may see the events of ev's
// release; s.mu is held.
func (s *Subscription) mayView(ev *release.Event, rel *release.Release) bool {
	if s.e.cfg.Authorize == nil {
		return true
	}
	if ok, known := s.allowed[ev.Release]; known {
		return ok
	}
	a := &Action{Kind: ActionView, Resource: ResourceRelease, Actor: s.by.Actor, Reason: s.by.Reason, Release: ev.Release}
	if rel != nil {
		a = relView(s.by, rel)
	}
	ok := s.e.mayView(context.WithoutCancel(s.ctx), a)
	if s.allowed == nil || len(s.allowed) >= maxAllowedCache {
		s.allowed = map[release.ID]bool{}
	}
	s.allowed[ev.Release] = ok
	return ok
}

// publish tells observers and subscribers about stored events of rel (as
// it is once they are stored).
func (e *Executor) publish(events []release.Event, rel *release.Release) {
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
			if !s.filter.match(&events[i], rel) {
				continue
			}
			s.mu.Lock()
			if !s.closed && s.mayView(&events[i], rel) {
				n := Notification{Event: events[i], Missed: s.missed, Ended: endsRelease(events[i].Kind)}
				if rel != nil {
					n.Status = rel.Status
				}
				select {
				case s.c <- n:
					s.missed = 0
				default:
					s.missed++
				}
			}
			s.mu.Unlock()
		}
	}
}
