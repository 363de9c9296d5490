package executor

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/stretchr/testify/require"
)

const fourDoc = "id: four\nphases:\n  - id: p\n    activities:\n" +
	"      - {id: a, uses: noop}\n      - {id: b, uses: noop, depends-on: [a]}\n" +
	"      - {id: c, uses: noop, depends-on: [b]}\n      - {id: gate, type: manual, tasks: [{id: t}], depends-on: [c]}\n"

func TestEventsPagesThroughTheWholeLogInOrder(t *testing.T) {
	old := eventsPage
	eventsPage = 3
	t.Cleanup(func() { eventsPage = old })
	h := newHarness(t, nil, &recorder{kind: "noop"})
	h.put(fourDoc)
	id := h.create("four", nil)
	h.waitActivity(id, "p.gate", release.ActivityWaiting)
	want := h.events(id)
	require.Greater(t, len(want), 3*eventsPage, "several pages")

	var got []release.Event
	for ev, err := range h.ex.Events(context.Background(), id, nil) {
		require.NoError(t, err)
		got = append(got, ev)
	}
	require.Equal(t, want, got)

	n := 0
	for range h.ex.Events(context.Background(), id, nil) {
		if n++; n == 4 {
			break // stopping early is allowed
		}
	}
	require.Equal(t, 4, n)

	for ev, err := range h.ex.Events(context.Background(), "01a211ee-ea80-7aea-8de5-8b08477c60e2", nil) {
		require.ErrorIs(t, err, ErrNotFound)
		require.Zero(t, ev.Seq)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, err := range h.ex.Events(ctx, id, nil) {
		require.ErrorIs(t, err, context.Canceled)
	}
}

func TestEventActivityNamesTheActivityAnEventConcerns(t *testing.T) {
	h := newHarness(t, nil, &recorder{kind: "noop"})
	h.put(fourDoc)
	id := h.create("four", nil)
	h.waitActivity(id, "p.gate", release.ActivityWaiting)
	seen := map[release.EventKind]release.ActivityKey{}
	for ev, err := range h.ex.Events(context.Background(), id, nil) {
		require.NoError(t, err)
		k, ok := ev.Activity()
		switch ev.Kind {
		case release.KindActivityStarted, release.KindActivitySucceeded, release.KindActivityWaiting:
			require.True(t, ok, "%s", ev.Kind)
			seen[ev.Kind] = k
		case release.KindReleaseCreated, release.KindReleaseStarted, release.KindPhaseStarted:
			require.False(t, ok, "%s concerns no activity", ev.Kind)
			require.Empty(t, k)
		}
	}
	require.Equal(t, release.ActivityKey("p.gate"), seen[release.KindActivityWaiting])
	require.Equal(t, release.ActivityKey("p.c"), seen[release.KindActivitySucceeded])
}

func TestVerifyFindsATamperedEventAndAStoredReleaseThatDisagrees(t *testing.T) {
	h := newHarness(t, nil, &recorder{kind: "noop"})
	h.put(fourDoc)
	id := h.create("four", nil)
	h.waitActivity(id, "p.gate", release.ActivityWaiting)
	head, err := h.ex.Verify(context.Background(), id, nil)
	require.NoError(t, err)
	r := h.get(id)
	require.Equal(t, release.Head{Release: id, Seq: r.Seq, Hash: r.Hash}, head)

	tampered := &tamperStore{Store: h.store, seq: 3}
	ex, err := New(tampered, nil, &Config{Logger: testLogger(t)})
	require.NoError(t, err)
	_, err = ex.Verify(context.Background(), id, nil)
	require.ErrorIs(t, err, release.ErrChainBroken)

	short := &tamperStore{Store: h.store, drop: true}
	ex, err = New(short, nil, &Config{Logger: testLogger(t)})
	require.NoError(t, err)
	_, err = ex.Verify(context.Background(), id, nil)
	require.ErrorIs(t, err, store.ErrCorrupt, "a log shorter than the stored head")

	_, err = h.ex.Verify(context.Background(), "01a211ee-ea80-7aea-8de5-8b08477c60e2", nil)
	require.ErrorIs(t, err, ErrNotFound)
}

// tamperStore rewrites the actor of event seq, or drops the last event.
type tamperStore struct {
	store.Store
	seq  int64
	drop bool
}

func (s *tamperStore) Unwrap() store.Store { return nil }

func (s *tamperStore) ListEvents(ctx context.Context, p *store.ListEventsParams) ([]release.Event, error) {
	evs, err := s.Store.ListEvents(ctx, p)
	if err != nil {
		return nil, err
	}
	for i := range evs {
		if evs[i].Seq == s.seq {
			evs[i].Actor = "mallory"
		}
	}
	if s.drop && len(evs) > 0 && len(evs) < p.Limit {
		evs = evs[:len(evs)-1]
	}
	return evs, nil
}

func TestWaitReturnsWhenTheReleaseEndsHereOrHasEnded(t *testing.T) {
	h := newHarness(t, nil, &recorder{kind: "noop"})
	h.put(fourDoc)
	id := h.create("four", nil)
	h.waitActivity(id, "p.gate", release.ActivityWaiting)

	done := make(chan *release.Release, 1)
	go func() {
		r, err := h.ex.Wait(context.Background(), id, nil)
		require.NoError(t, err)
		done <- r
	}()
	require.NoError(t, h.ex.CompleteTask(context.Background(), id, "p.gate", "t", &By{Actor: "qa"}))
	r := <-done
	require.Equal(t, release.Succeeded, r.Status)

	again, err := h.ex.Wait(context.Background(), id, nil)
	require.NoError(t, err)
	require.Equal(t, r.Seq, again.Seq, "an ended release returns at once")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	id2 := h.create("four", nil)
	_, err = h.ex.Wait(ctx, id2, nil)
	require.ErrorIs(t, err, context.Canceled)
	_, err = h.ex.Wait(context.Background(), "01a211ee-ea80-7aea-8de5-8b08477c60e2", nil)
	require.ErrorIs(t, err, ErrNotFound)
}

// A release that ends on another executor is noticed by the fallback
// check every PollInterval of the waiting executor's clock.
func TestWaitNoticesAReleaseEndedByAnotherExecutor(t *testing.T) {
	h := newHarness(t, &Config{PollInterval: time.Minute}, &recorder{kind: "noop"})
	h.put(fourDoc)
	id := h.create("four", nil)
	h.waitActivity(id, "p.gate", release.ActivityWaiting)

	other, err := New(h.store, h.reg, &Config{Clock: h.clock, InstanceID: "other", Logger: testLogger(t)})
	require.NoError(t, err)
	// The waiter's own poll interval, unlike any other timer here, tells
	// when Wait has looked once and waits.
	const poll = 7 * time.Minute
	waiter, err := New(h.store, nil, &Config{Clock: h.clock, PollInterval: poll, Logger: testLogger(t)})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		r, err := waiter.Wait(context.Background(), id, nil)
		if err == nil && r.Status != release.Succeeded {
			err = errors.New("not succeeded: " + string(r.Status))
		}
		done <- err
	}()
	polling := h.clock.Now().Add(poll)
	require.True(t, waitFor(func() bool { return h.clock.armed(polling) }), "Wait looked once and waits")
	require.NoError(t, other.CompleteTask(context.Background(), id, "p.gate", "t", &By{Actor: "qa"}))
	h.waitStatus(id, release.Succeeded)
	select {
	case err := <-done:
		t.Fatalf("Wait returned before its check: %v", err)
	default:
	}
	require.True(t, waitFor(func() bool { h.advance(poll); return len(done) == 1 }))
	require.NoError(t, <-done)
}

func TestSubscribeFollowsNewReleasesByProcessGroupAndLabelAndSignalsTheEnd(t *testing.T) {
	h := newHarness(t, nil, &recorder{kind: "noop"})
	h.put(fourDoc)
	h.put("id: other\nphases:\n  - id: p\n    activities:\n      - {id: x, uses: noop}\n")
	byProcess := h.ex.Subscribe(t.Context(), &SubscribeParams{Filter: Filter{Process: "four", Kinds: []release.EventKind{release.KindReleaseCreated}}, Buffer: 16})
	defer byProcess.Close()
	byLabel := h.ex.Subscribe(t.Context(), &SubscribeParams{Filter: Filter{Labels: map[string]string{"team": "core"}, Kinds: []release.EventKind{KindReleaseEnded}}, Buffer: 16})
	defer byLabel.Close()

	ctx := context.Background()
	sum, err := h.ex.Create(ctx, &CreateParams{Process: "other", By: By{Actor: "alice"}, Labels: map[string]string{"team": "core"}})
	require.NoError(t, err)
	mine := h.create("four", nil)

	n := <-byProcess.C()
	require.Equal(t, mine, n.Event.Release, "the other process's release is not in the feed")
	n = <-byLabel.C()
	require.Equal(t, sum.ID, n.Event.Release)
	require.True(t, n.Ended)
	require.Equal(t, release.Succeeded, n.Status, "the status comes with the event")
	require.Equal(t, release.KindReleaseSucceeded, n.Event.Kind)
	select {
	case n := <-byProcess.C():
		t.Fatalf("unexpected %s", n.Event.Kind)
	default:
	}
}

func TestFilterMatchesEveryFieldItSets(t *testing.T) {
	rel := &release.Release{ProcessID: "four", Group: "weekly", Labels: map[string]string{"team": "core", "tier": "1"}}
	ev := &release.Event{Release: "r1", Kind: release.KindReleaseFailed}
	for _, c := range []struct {
		f    Filter
		want bool
	}{
		{Filter{}, true},
		{Filter{Process: "four"}, true},
		{Filter{Process: "five"}, false},
		{Filter{Group: "weekly"}, true},
		{Filter{Group: "daily"}, false},
		{Filter{Labels: map[string]string{"team": "core"}}, true},
		{Filter{Labels: map[string]string{"team": "core", "tier": "2"}}, false},
		{Filter{Labels: map[string]string{"owner": ""}}, false},
		{Filter{Kinds: []release.EventKind{KindReleaseEnded}}, true},
		{Filter{Kinds: []release.EventKind{release.KindReleaseStarted}}, false},
		{Filter{Release: "r2"}, false},
		{Filter{Process: "four", Group: "daily"}, false},
	} {
		require.Equal(t, c.want, c.f.match(ev, rel), "%+v", c.f)
	}
	require.False(t, (&Filter{Process: "four"}).match(ev, nil), "no release, no match on what it is")
}
