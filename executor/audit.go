package executor

import (
	"context"
	"fmt"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// sealingStore is the store of an executor with a Config.Sealer: it seals
// the head every create and append brings a release to, and hands the
// anchor to the store with the events.
type sealingStore struct {
	store.Store
	sealer release.Sealer
}

// sealing returns s wrapped to seal every head with sealer; s must keep
// anchors.
func sealing(s store.Store, sealer release.Sealer) (store.Store, error) {
	if _, ok := s.(store.AnchorStore); !ok {
		return nil, fmt.Errorf("executor: config: Sealer: the store (%T) does not keep anchors (store.AnchorStore)", s)
	}
	return &sealingStore{Store: s, sealer: sealer}, nil
}

// Unwrap implements store.Unwrapper.
func (s *sealingStore) Unwrap() store.Store { return s.Store }

func (s *sealingStore) seal(ctx context.Context, r *release.Release) (*release.Anchor, error) {
	a, err := s.sealer.Seal(ctx, release.Head{Release: r.ID, Seq: r.Seq, Hash: r.Hash})
	if err != nil {
		return nil, fmt.Errorf("executor: sealing the head of release %s at seq %d: %w", r.ID, r.Seq, err)
	}
	return &a, nil
}

// CreateRelease implements store.ReleaseStore.
func (s *sealingStore) CreateRelease(ctx context.Context, p *store.CreateReleaseParams) error {
	if p == nil || p.Release == nil {
		return s.Store.CreateRelease(ctx, p) // the store says what is missing
	}
	a, err := s.seal(ctx, p.Release)
	if err != nil {
		return err
	}
	q := *p
	q.Anchor = a
	return s.Store.CreateRelease(ctx, &q)
}

// AppendEvents implements store.ReleaseStore.
func (s *sealingStore) AppendEvents(ctx context.Context, p *store.AppendEventsParams) error {
	if p == nil || p.Release == nil {
		return s.Store.AppendEvents(ctx, p)
	}
	a, err := s.seal(ctx, p.Release)
	if err != nil {
		return err
	}
	q := *p
	q.Anchor = a
	return s.Store.AppendEvents(ctx, &q)
}

// ExportBundle reads a release's audit record from s: its whole event log
// and the anchors of its heads (s must implement store.AnchorStore). Check
// it away from the store with release.VerifyBundle and the key; its JSON
// form is what examples/auditverify reads. ErrNotFound (from the store)
// when the release does not exist.
func ExportBundle(ctx context.Context, s store.ReleaseStore, id release.ID) (*release.Bundle, error) {
	as, ok := s.(store.AnchorStore)
	if !ok {
		return nil, fmt.Errorf("executor: export bundle of release %s: the store (%T) does not keep anchors (store.AnchorStore)", id, s)
	}
	b := &release.Bundle{Release: id, Events: []release.Event{}, Anchors: []release.Anchor{}}
	for after := int64(0); ; {
		page, err := s.ListEvents(ctx, &store.ListEventsParams{Release: id, AfterSeq: after, Limit: store.MaxLimit})
		if err != nil {
			return nil, fmt.Errorf("executor: export bundle of release %s: %w", id, err)
		}
		if len(page) == 0 {
			break
		}
		b.Events = append(b.Events, page...)
		after = page[len(page)-1].Seq
	}
	for after := int64(0); ; {
		page, err := as.ListAnchors(ctx, &store.ListAnchorsParams{Release: id, AfterSeq: after, Limit: store.MaxLimit})
		if err != nil {
			return nil, fmt.Errorf("executor: export bundle of release %s: %w", id, err)
		}
		if len(page) == 0 {
			break
		}
		b.Anchors = append(b.Anchors, page...)
		after = page[len(page)-1].Seq
	}
	// Anchors of events appended after the events were read: the bundle
	// ends at the last event read.
	last := int64(0)
	if n := len(b.Events); n > 0 {
		last = b.Events[n-1].Seq
	}
	for len(b.Anchors) > 0 && b.Anchors[len(b.Anchors)-1].Seq > last {
		b.Anchors = b.Anchors[:len(b.Anchors)-1]
	}
	return b, nil
}
