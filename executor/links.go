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
