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
	if err := e.authorize(ctx, &Action{Kind: ActionPutGroup, Actor: p.Actor, Reason: p.Reason, Group: g.ID}); err != nil {
		return nil, err
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

// GetGroup returns a stored group. The caller owns the copy.
func (e *Executor) GetGroup(ctx context.Context, id release.GroupID) (*release.Group, error) {
	g, err := e.store.GetGroup(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("executor: get group %s: %w", id, err)
	}
	return g, nil
}

// ListGroups returns the stored groups that match p (see
// store.ListGroupsParams).
func (e *Executor) ListGroups(ctx context.Context, p *store.ListGroupsParams) (*store.GroupPage, error) {
	if p == nil {
		p = &store.ListGroupsParams{}
	}
	page, err := e.store.ListGroups(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("executor: list groups: %w", err)
	}
	return page, nil
}

// GroupHistory returns a page of a group's history: what its scheduler
// decided for each occurrence (see store.GroupHistoryStore). A store
// without history gives an empty page.
func (e *Executor) GroupHistory(ctx context.Context, p *store.ListGroupHistoryParams) (*store.GroupHistoryPage, error) {
	hs, ok := e.history, e.history != nil
	if !ok {
		return &store.GroupHistoryPage{Records: []release.GroupRecord{}}, nil
	}
	page, err := hs.ListGroupHistory(ctx, p)
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
	if err := e.authorize(ctx, &Action{Kind: action, Actor: by.Actor, Reason: by.Reason, Group: id}); err != nil {
		return err
	}
	for try := 0; ; try++ {
		g, err := e.store.GetGroup(ctx, id)
		if err != nil {
			return fmt.Errorf("executor: %s: group %s: %w", action, id, err)
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
