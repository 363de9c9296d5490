package executor

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// KindReleaseEnded is not an event kind of its own: in a subscription's
// Filter.Kinds it stands for every event that ends a release (succeeded,
// partially succeeded, failed, aborted, rolled back), and Notification.Ended
// marks those events.
const KindReleaseEnded release.EventKind = "release.ended"

// endsRelease reports whether an event of kind k ends its release.
func endsRelease(k release.EventKind) bool {
	switch k {
	case release.KindReleaseSucceeded, release.KindReleasePartiallySucceeded, release.KindReleaseFailed,
		release.KindReleaseAborted, release.KindReleaseRolledBack:
		return true
	}
	return false
}

// eventsPage is how many events Events reads from the store at a time.
var eventsPage = 500 // a variable for tests

// Events returns the stored events of a release in order, from the first,
// reading them from the store a page at a time as the loop asks for more.
// An error (the release does not exist: ErrNotFound; the store failed;
// ctx done) is yielded once, with a zero event, and ends the sequence.
// Events stored while the loop runs are included up to the moment it
// reaches them. The authorizer sees ActionView of the release by who (nil:
// anonymous); a refusal is yielded as the error (ErrUnauthorized).
//
//	for ev, err := range ex.Events(ctx, id, &executor.By{Actor: "auditor"}) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(ev.Seq, ev.Kind)
//	}
func (e *Executor) Events(ctx context.Context, id release.ID, who *By) iter.Seq2[release.Event, error] {
	return func(yield func(release.Event, error) bool) {
		p := &store.ListEventsParams{Release: id, Limit: eventsPage}
		s, err := e.store.GetReleaseSummary(ctx, id)
		if err == nil {
			err = e.authorize(ctx, releaseView(who.value(), s))
		}
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				err = fmt.Errorf("executor: events of release %s: %w: %w", id, ErrNotFound, err)
			} else if !errors.Is(err, ErrUnauthorized) {
				err = fmt.Errorf("executor: events of release %s: %w", id, err)
			}
			yield(release.Event{}, err)
			return
		}
		for {
			if err := ctx.Err(); err != nil {
				yield(release.Event{}, fmt.Errorf("executor: events of release %s: %w", id, err))
				return
			}
			evs, err := e.store.ListEvents(ctx, p)
			if err != nil {
				if errors.Is(err, store.ErrNotFound) {
					err = fmt.Errorf("executor: events of release %s: %w: %w", id, ErrNotFound, err)
				} else {
					err = fmt.Errorf("executor: events of release %s: %w", id, err)
				}
				yield(release.Event{}, err)
				return
			}
			for _, ev := range evs {
				if !yield(ev, nil) {
					return
				}
			}
			if len(evs) < p.Limit {
				return
			}
			p.AfterSeq = evs[len(evs)-1].Seq
		}
	}
}

// Verify checks a release's record: its whole event log is one unbroken
// hash chain from the first event (release.VerifyChain, hashes
// recomputed), folding it gives a release, and the stored release (its
// summary and snapshot caches) ends at the same head with the same status.
// It returns the verified head. A broken chain is a *release.ChainError
// (release.ErrChainBroken); a stored release that disagrees with its log
// matches store.ErrCorrupt. It detects any change to the stored events
// short of a rewrite of the whole chain; a host that anchors heads with
// its own key (Config.Sealer) detects that too with ExportBundle and
// release.VerifyBundle. It reads as Events does, authorized the same way.
func (e *Executor) Verify(ctx context.Context, id release.ID, who *By) (release.Head, error) {
	head := release.Head{Release: id}
	var folded *release.Release
	batch := make([]release.Event, 0, eventsPage)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := release.VerifyChainFrom(head, batch); err != nil {
			return fmt.Errorf("executor: verify release %s: %w", id, err)
		}
		var err error
		if folded == nil {
			folded, err = release.Fold(batch)
		} else {
			err = release.FoldFrom(folded, batch)
		}
		if err != nil {
			return fmt.Errorf("executor: verify release %s: folding its events: %w", id, err)
		}
		last := batch[len(batch)-1]
		head.Seq, head.Hash = last.Seq, last.Hash
		batch = batch[:0]
		return nil
	}
	for ev, err := range e.Events(ctx, id, who) {
		if err != nil {
			return release.Head{}, err
		}
		if batch = append(batch, ev); len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return release.Head{}, err
			}
		}
	}
	if err := flush(); err != nil {
		return release.Head{}, err
	}
	stored, err := e.store.GetRelease(ctx, id)
	if err != nil {
		return release.Head{}, fmt.Errorf("executor: verify release %s: %w", id, err)
	}
	if folded == nil {
		return release.Head{}, fmt.Errorf("executor: verify release %s: no events: %w", id, store.ErrCorrupt)
	}
	if stored.Seq != head.Seq || stored.Hash != head.Hash || stored.Status != folded.Status {
		return release.Head{}, fmt.Errorf("executor: verify release %s: stored at seq %d (%s), its events end at seq %d (%s): %w",
			id, stored.Seq, stored.Status, head.Seq, folded.Status, store.ErrCorrupt)
	}
	return head, nil
}

// Wait blocks until the release has ended (its status is terminal) and
// returns it as stored, or returns ctx's error. A release that has already
// ended returns at once. It wakes on this executor's live feed when the
// release ends here, with no polling; a release driven by another
// executor over the same store is noticed by a check every
// Config.PollInterval (on Config.Clock). It reads as Get does, authorized
// the same way.
func (e *Executor) Wait(ctx context.Context, id release.ID, who *By) (*release.Release, error) {
	sub := e.Subscribe(ctx, &SubscribeParams{By: who.value(), Filter: Filter{Release: id, Kinds: []release.EventKind{KindReleaseEnded}}, Buffer: 1})
	defer sub.Close()
	for {
		rel, err := e.Get(ctx, id, who)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil, fmt.Errorf("executor: wait for release %s: %w: %w", id, ErrNotFound, err)
			}
			return nil, fmt.Errorf("executor: wait for release %s: %w", id, err)
		}
		if rel.Status.Terminal() {
			return rel, nil
		}
		select {
		case <-sub.C():
		case <-e.clock.After(e.cfg.PollInterval):
		case <-ctx.Done():
			return nil, fmt.Errorf("executor: wait for release %s: %w", id, ctx.Err())
		}
	}
}
