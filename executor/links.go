package executor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// ErrNoLinkStore: the executor's store does not implement store.LinkStore,
// so the link queries (FindLinks, Deployments, DeploymentHistory,
// DeploymentConflicts) cannot be answered. Links are still recorded.
var ErrNoLinkStore = errors.New("executor: the store indexes no links (it does not implement store.LinkStore)")

// AddLinkParams are the arguments of AddLink.
type AddLinkParams struct {
	By
	// Activity, when set, puts the link on that activity of the release;
	// empty puts it on the release.
	Activity release.ActivityKey
	// Task, with Activity, puts the link on that task of the activity.
	Task string
	// Link is the link (required). Its Activity, Task, Actor and At are
	// ignored: the executor records them from the params and the clock.
	Link release.Link
}

// checkLink returns nil when l may be recorded: it passes l.Validate, a
// deployment names its Version, and a store's link index can hold it
// (store.CheckLink: lengths, no control characters). The error names the
// field at fault.
func checkLink(l *release.Link) error {
	if err := l.Validate(); err != nil {
		return err
	}
	if l.Kind == release.LinkDeployment && l.Version == "" {
		return errors.New("release: link (deployment): version: required")
	}
	if err := store.CheckLink(l); err != nil {
		return fmt.Errorf("release: %w", err)
	}
	return nil
}

// AddLink records a traceability link (a commit, pull request, build,
// artifact, ticket or deployment) on a release, one of its activities, or
// a task of one, as a link.added event: what a person or a host knows
// that no adapter reported. It is authorized as ActionAddLink (on the
// release, or on the activity with its labels). Links may be added to a
// finished release.
//
// An invalid link (see release.Link.Validate; a deployment also needs a
// Version, and no field may hold a control character or be longer than
// store.MaxLinkURL or store.MaxLinkText) is refused with ErrInvalid naming
// the field; an unknown activity or task with ErrNotFound. Nothing is
// recorded then.
//
// A deployment link on an activity that succeeded counts at once in
// Deployments (as of when the activity succeeded): whoever may add links
// may say what was deployed, so grant ActionAddLink accordingly.
func (e *Executor) AddLink(ctx context.Context, id release.ID, p *AddLinkParams) error {
	if p == nil {
		return invalidf(ActionAddLink, "params: required")
	}
	if p.Task != "" && p.Activity == "" {
		return invalidf(ActionAddLink, "task %q: needs an activity", p.Task)
	}
	l := p.Link
	l.Activity, l.Task, l.Actor, l.At = "", "", "", time.Time{}
	if err := checkLink(&l); err != nil {
		return invalid(ActionAddLink, err)
	}
	a := &Action{Kind: ActionAddLink, Release: id, Activity: p.Activity, Task: p.Task, Actor: p.Actor, Reason: p.Reason}
	return e.act(ctx, a, func(r *run) error {
		if p.Activity != "" {
			_, st, err := r.activity(ActionAddLink, p.Activity)
			if err != nil {
				return err
			}
			if p.Task != "" && st.Task(p.Task) == nil {
				return fmt.Errorf("executor: %s: activity %s has no task %q: %w", ActionAddLink, p.Activity, p.Task, ErrNotFound)
			}
		}
		r.emit(p.Actor, p.Reason, &release.LinkAddedPayload{Activity: p.Activity, Task: p.Task, Link: l})
		return nil
	})
}

// FindLinksParams are the arguments of FindLinks.
type FindLinksParams struct {
	By
	store.FindLinksParams
}

// DeploymentsParams are the arguments of Deployments.
type DeploymentsParams struct {
	By
	store.ListDeploymentsParams
}

// DeploymentHistoryParams are the arguments of DeploymentHistory.
type DeploymentHistoryParams struct {
	By
	store.ListDeploymentHistoryParams
}

// DeploymentConflictsParams are the arguments of DeploymentConflicts.
type DeploymentConflictsParams struct {
	By
	store.ListDeploymentConflictsParams
}

// linkStore returns the store's link index, or ErrNoLinkStore.
func (e *Executor) linkStore() (store.LinkStore, error) {
	ls, ok, err := store.Find[store.LinkStore](e.store)
	if err != nil {
		return nil, fmt.Errorf("executor: %s: %w", ActionView, err)
	}
	if !ok {
		return nil, fmt.Errorf("executor: %s: %w", ActionView, ErrNoLinkStore)
	}
	return ls, nil
}

// viewer decides, once per release, whether by may view it (ActionView on
// the release, as Get checks it, without logging refusals): the link
// queries leave out what it may not.
type viewer struct {
	e    *Executor
	by   By
	seen map[release.ID]bool
}

func (v *viewer) may(ctx context.Context, id release.ID) (bool, error) {
	if v.e.cfg.Authorize == nil {
		return true, nil
	}
	if ok, done := v.seen[id]; done {
		return ok, nil
	}
	sum, err := v.e.store.GetReleaseSummary(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		// Deleted: a deployment it made stays in the index, seen by who
		// may view the release its deletion record describes.
		ok, err := v.mayDeleted(ctx, id)
		v.seen[id] = ok
		return ok, err
	} else if err != nil {
		return false, fmt.Errorf("executor: %s: release %s: %w", ActionView, id, err)
	}
	ok := v.e.mayView(ctx, releaseView(v.by, sum))
	v.seen[id] = ok
	return ok, nil
}

// mayDeleted decides for the deleted release id from its deletion record;
// false when there is none (a store without retention).
func (v *viewer) mayDeleted(ctx context.Context, id release.ID) (bool, error) {
	if v.e.retention == nil {
		return false, nil
	}
	page, err := v.e.retention.ListDeletions(ctx, &store.ListDeletionsParams{Release: id, Limit: 1})
	if err != nil {
		return false, fmt.Errorf("executor: %s: deletion of release %s: %w", ActionView, id, err)
	}
	if len(page.Deletions) == 0 {
		return false, nil
	}
	return v.e.mayView(ctx, deletionView(v.by, &page.Deletions[0])), nil
}

// visible returns the records of recs whose release by may view.
func (e *Executor) visible(ctx context.Context, by By, recs []store.LinkRecord) ([]store.LinkRecord, error) {
	v := &viewer{e: e, by: by, seen: map[release.ID]bool{}}
	out := recs[:0]
	for _, rec := range recs {
		ok, err := v.may(ctx, rec.Release)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, rec)
		}
	}
	return out, nil
}

// FindLinks returns the links whose Ref (or URL) is the one asked, of the
// Kind asked when set, ordered by release and sequence number: the
// releases that carried a commit, an artifact or a ticket (see
// store.LinkStore.FindLinks). Each release is shown only to a reader who
// may view it (ActionView, by p.By; an empty Actor is anonymous): a page
// may hold fewer links than its Limit, and Next is the store's. It returns
// ErrNoLinkStore when the store keeps no link index.
func (e *Executor) FindLinks(ctx context.Context, p *FindLinksParams) (*store.LinkPage, error) {
	if p == nil {
		return nil, invalidf(ActionView, "params: required")
	}
	ls, err := e.linkStore()
	if err != nil {
		return nil, err
	}
	fp := p.FindLinksParams
	page, err := ls.FindLinks(ctx, &fp)
	if err != nil {
		return nil, fmt.Errorf("executor: %s: find links: %w", ActionView, err)
	}
	if page.Links, err = e.visible(ctx, p.By, page.Links); err != nil {
		return nil, err
	}
	return page, nil
}

// Deployments returns what runs now: the current deployment of each
// (environment, service), that of the activity that succeeded last (see
// store.LinkStore), filtered by p's Environment and Service when set. A
// deployment whose release the reader may not view is left out (no older
// one takes its place). It returns ErrNoLinkStore when the store keeps no
// link index.
func (e *Executor) Deployments(ctx context.Context, p *DeploymentsParams) (*store.LinkPage, error) {
	if p == nil {
		return nil, invalidf(ActionView, "params: required")
	}
	ls, err := e.linkStore()
	if err != nil {
		return nil, err
	}
	lp := p.ListDeploymentsParams
	page, err := ls.ListDeployments(ctx, &lp)
	if err != nil {
		return nil, fmt.Errorf("executor: %s: list deployments: %w", ActionView, err)
	}
	if page.Links, err = e.visible(ctx, p.By, page.Links); err != nil {
		return nil, err
	}
	return page, nil
}

// DeploymentHistory returns the succeeded deployments of one service in
// one environment, newest first, those whose release the reader may view.
// It returns ErrNoLinkStore when the store keeps no link index.
func (e *Executor) DeploymentHistory(ctx context.Context, p *DeploymentHistoryParams) (*store.LinkPage, error) {
	if p == nil {
		return nil, invalidf(ActionView, "params: required")
	}
	ls, err := e.linkStore()
	if err != nil {
		return nil, err
	}
	hp := p.ListDeploymentHistoryParams
	page, err := ls.ListDeploymentHistory(ctx, &hp)
	if err != nil {
		return nil, fmt.Errorf("executor: %s: list deployment history: %w", ActionView, err)
	}
	if page.Links, err = e.visible(ctx, p.By, page.Links); err != nil {
		return nil, err
	}
	return page, nil
}

// DeploymentConflicts returns the deployments (environment, service,
// version) that two or more releases claim. A conflict lists only the
// claims whose release the reader may view, and is left out when it has
// none; its Releases still counts every claiming release, so that a
// reader learns that a deployment it sees is claimed elsewhere too. It
// returns ErrNoLinkStore when the store keeps no link index.
func (e *Executor) DeploymentConflicts(ctx context.Context, p *DeploymentConflictsParams) (*store.ConflictPage, error) {
	if p == nil {
		return nil, invalidf(ActionView, "params: required")
	}
	ls, err := e.linkStore()
	if err != nil {
		return nil, err
	}
	cp := p.ListDeploymentConflictsParams
	page, err := ls.ListDeploymentConflicts(ctx, &cp)
	if err != nil {
		return nil, fmt.Errorf("executor: %s: list deployment conflicts: %w", ActionView, err)
	}
	v := &viewer{e: e, by: p.By, seen: map[release.ID]bool{}}
	out := page.Conflicts[:0]
	for _, c := range page.Conflicts {
		claims := c.Claims[:0]
		for _, rec := range c.Claims {
			ok, err := v.may(ctx, rec.Release)
			if err != nil {
				return nil, err
			}
			if ok {
				claims = append(claims, rec)
			}
		}
		if c.Claims = claims; len(claims) > 0 {
			out = append(out, c)
		}
	}
	page.Conflicts = out
	return page, nil
}
