package executor

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// PutGroupParams are the arguments of PutGroup.
type PutGroupParams struct {
	// By names who stores the group (Actor, required) and why (Reason, passed
	// to the authorizer).
	By
	// Group is the group to store. Revision 0 creates it (the id must be
	// free); otherwise it replaces the stored group iff its revision is
	// still Revision (else an error matching store.ErrConflict).
	Group *release.Group
}

// PutGroup validates a release group and stores it: every field at once
// (release.Group.Validate), then that its process (and pinned version)
// and input set exist and that its inputs fit the process. Problems return
// an error matching ErrInvalid with the *release.GroupError or
// *process.ValidationError in the chain. The stored group takes effect on
// this executor's scheduler at once, on others at their next rescan. It
// returns the stored group with its new Revision.
func (e *Executor) PutGroup(ctx context.Context, p *PutGroupParams) (*release.Group, error) {
	if p == nil || p.Group == nil {
		return nil, invalidf(ActionPutGroup, "group: required")
	}
	g := p.Group
	if err := e.authorize(ctx, groupAction(ActionPutGroup, p.By, g.ID, g)); err != nil {
		return nil, err
	}
	if g.Revision != 0 {
		// Replacing a group is judged on what it is too, not only on what
		// it would become: else a right over team=a could take team=b's
		// group by relabelling it. The update below fails unless the
		// stored revision is still the one judged here.
		old, err := e.store.GetGroup(ctx, g.ID)
		if err != nil {
			return nil, fmt.Errorf("executor: %s: group %s: %w", ActionPutGroup, g.ID, err)
		}
		if old.Revision != g.Revision {
			return nil, fmt.Errorf("executor: %s: group %s: revision %d, stored %d: %w", ActionPutGroup, g.ID, g.Revision, old.Revision, store.ErrConflict)
		}
		if err := e.authorize(ctx, groupAction(ActionPutGroup, p.By, g.ID, old)); err != nil {
			return nil, err
		}
	}
	if err := e.checkGroup(ctx, g); err != nil {
		return nil, err
	}
	var stored *release.Group
	var err error
	if g.Revision == 0 {
		stored, err = e.store.CreateGroup(ctx, g)
	} else {
		stored, err = e.store.UpdateGroup(ctx, g)
	}
	if err != nil {
		return nil, fmt.Errorf("executor: %s: group %s: %w", ActionPutGroup, g.ID, err)
	}
	e.sched.put(ctx, e, stored, putStored)
	return stored, nil
}

// checkGroup validates g against itself and the store.
func (e *Executor) checkGroup(ctx context.Context, g *release.Group) error {
	if err := g.Validate(); err != nil {
		return invalid(ActionPutGroup, err)
	}
	for _, k := range slices.Sorted(maps.Keys(g.Labels)) {
		if strings.HasPrefix(k, ReservedLabelPrefix) {
			return invalid(ActionPutGroup, &release.GroupError{Group: g.ID, Problems: []process.Problem{{
				Path: "labels", Msg: fmt.Sprintf("%q: keys starting with %q are reserved for the executor", k, ReservedLabelPrefix)}}})
		}
	}
	proc, err := e.store.GetProcess(ctx, g.Process, g.ProcessVersion)
	if errors.Is(err, store.ErrNotFound) {
		return invalid(ActionPutGroup, &release.GroupError{Group: g.ID, Problems: []process.Problem{{
			Path: "process", Msg: fmt.Sprintf("process %s version %d is not stored", g.Process, g.ProcessVersion)}}})
	} else if err != nil {
		return fmt.Errorf("executor: %s: group %s: %w", ActionPutGroup, g.ID, err)
	}
	var set *process.InputSet
	if g.InputSet != "" {
		set, err = e.store.GetInputSet(ctx, g.InputSet)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return invalid(ActionPutGroup, &release.GroupError{Group: g.ID, Problems: []process.Problem{{
				Path: "input-set", Msg: fmt.Sprintf("input set %q is not stored", g.InputSet)}}})
		case err != nil:
			return fmt.Errorf("executor: %s: group %s: %w", ActionPutGroup, g.ID, err)
		case set.Process != g.Process:
			return invalid(ActionPutGroup, &release.GroupError{Group: g.ID, Problems: []process.Problem{{
				Path: "input-set", Msg: fmt.Sprintf("input set %q belongs to process %s, not %s", set.ID, set.Process, g.Process)}}})
		}
	}
	if _, err := process.ResolveInputs(proc.Inputs, set, g.Inputs); err != nil {
		return invalid(ActionPutGroup, err)
	}
	return nil
}

// GetGroup returns a stored group; the authorizer sees ActionView of it
// by who (nil: anonymous). The caller owns the copy.
func (e *Executor) GetGroup(ctx context.Context, id release.GroupID, who *By) (*release.Group, error) {
	g, err := e.store.GetGroup(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("executor: get group %s: %w", id, err)
	}
	if err := e.authorize(ctx, groupAction(ActionView, who.value(), id, g)); err != nil {
		return nil, err
	}
	return g, nil
}

// ListGroupsParams are the arguments of ListGroups.
type ListGroupsParams struct {
	// By names the reader; groups the authorizer refuses to show it
	// (ActionView) are left out of the page.
	By
	store.ListGroupsParams
}

// ListGroups returns the stored groups that match p (see
// store.ListGroupsParams). A page may hold fewer groups than its limit
// when some were left out for the reader: follow Next to the end.
func (e *Executor) ListGroups(ctx context.Context, p *ListGroupsParams) (*store.GroupPage, error) {
	if p == nil {
		p = &ListGroupsParams{}
	}
	lp := p.ListGroupsParams
	page, err := e.store.ListGroups(ctx, &lp)
	if err != nil {
		return nil, fmt.Errorf("executor: list groups: %w", err)
	}
	page.Groups = viewable(ctx, e, page.Groups, func(g *release.Group) *Action { return groupAction(ActionView, p.By, g.ID, g) })
	return page, nil
}

// GroupHistoryParams are the arguments of GroupHistory.
type GroupHistoryParams struct {
	// By names the reader: the authorizer sees ActionView of the group
	// (only its id when the group was deleted).
	By
	store.ListGroupHistoryParams
}

// GroupHistory returns a page of a group's history: what its scheduler
// decided for each occurrence (see store.GroupHistoryStore). A store
// without history gives an empty page.
func (e *Executor) GroupHistory(ctx context.Context, p *GroupHistoryParams) (*store.GroupHistoryPage, error) {
	if p == nil {
		return nil, invalidf(ActionView, "params: required")
	}
	g, err := e.store.GetGroup(ctx, p.Group)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("executor: group history: %w", err)
	}
	if err := e.authorize(ctx, groupAction(ActionView, p.By, p.Group, g)); err != nil {
		return nil, err
	}
	hs, ok := e.history, e.history != nil
	if !ok {
		return &store.GroupHistoryPage{Records: []release.GroupRecord{}}, nil
	}
	lp := p.ListGroupHistoryParams
	page, err := hs.ListGroupHistory(ctx, &lp)
	if err != nil {
		return nil, fmt.Errorf("executor: group history: %w", err)
	}
	return page, nil
}

// PauseGroup stops a group from making releases (Enabled false); the
// releases it made are not touched. Pausing a paused group is not an error.
func (e *Executor) PauseGroup(ctx context.Context, id release.GroupID, p *By) error {
	by := p.value()
	return e.setGroupEnabled(ctx, ActionPauseGroup, id, by, false)
}

// ResumeGroup lets a paused group make releases again, from its next
// occurrence: the occurrences that passed while it was paused are not
// made. Resuming an enabled group is not an error.
func (e *Executor) ResumeGroup(ctx context.Context, id release.GroupID, p *By) error {
	by := p.value()
	return e.setGroupEnabled(ctx, ActionResumeGroup, id, by, true)
}

func (e *Executor) setGroupEnabled(ctx context.Context, action ActionKind, id release.GroupID, by By, enabled bool) error {
	if by.Actor == "" {
		return invalidf(action, "actor: required")
	}
	for try := 0; ; try++ {
		g, err := e.store.GetGroup(ctx, id)
		if err != nil {
			return fmt.Errorf("executor: %s: group %s: %w", action, id, err)
		}
		if err := e.authorize(ctx, groupAction(action, by, id, g)); err != nil {
			return err
		}
		if g.Enabled == enabled {
			e.sched.put(ctx, e, g, putStored)
			return nil
		}
		g.Enabled = enabled
		stored, err := e.store.UpdateGroup(ctx, g)
		if errors.Is(err, store.ErrConflict) && try < 3 {
			continue
		}
		if err != nil {
			return fmt.Errorf("executor: %s: group %s: %w", action, id, err)
		}
		e.sched.put(ctx, e, stored, putStored)
		return nil
	}
}
