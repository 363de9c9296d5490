package executor

import (
	"context"
	"errors"
	"fmt"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// Reads and changes of the stored definitions a release is made from:
// processes, input sets and groups. Each goes through Config.Authorize, so a
// host that serves them to people through the Executor needs no second
// check; a host that calls the store directly bypasses the authorizer.

// processAction is the Action of kind by by on a process.
func processAction(kind ActionKind, by By, id process.ID, version int) *Action {
	return &Action{Kind: kind, Resource: ResourceProcess, Actor: by.Actor, Reason: by.Reason, Process: id, ProcessVersion: version}
}

// inputSetAction is the Action of kind by by on an input set.
func inputSetAction(kind ActionKind, by By, s *process.InputSet) *Action {
	return &Action{Kind: kind, Resource: ResourceInputSet, Actor: by.Actor, Reason: by.Reason, InputSet: s.ID, Process: s.Process}
}

// GetProcess returns a stored process version (0: the latest); the
// authorizer sees ActionView of it by who (nil: anonymous).
func (e *Executor) GetProcess(ctx context.Context, id process.ID, version int, who *By) (*process.Process, error) {
	p, err := e.store.GetProcess(ctx, id, version)
	if err != nil {
		return nil, fmt.Errorf("executor: get process %s version %d: %w", id, version, err)
	}
	if err := e.authorize(ctx, processAction(ActionView, who.value(), p.ID, p.Version)); err != nil {
		return nil, err
	}
	return p, nil
}

// ListProcessesParams are the arguments of ListProcesses.
type ListProcessesParams struct {
	// By names the reader; processes the authorizer refuses to show it
	// (ActionView) are left out of the page.
	By
	store.ListProcessesParams
}

// ListProcesses returns the latest version of every stored process the
// reader may view, by id. A page may hold fewer than its limit when some
// were left out: follow Next to the end.
func (e *Executor) ListProcesses(ctx context.Context, p *ListProcessesParams) (*store.ProcessPage, error) {
	if p == nil {
		p = &ListProcessesParams{}
	}
	lp := p.ListProcessesParams
	page, err := e.store.ListProcesses(ctx, &lp)
	if err != nil {
		return nil, fmt.Errorf("executor: list processes: %w", err)
	}
	page.Processes = viewable(ctx, e, page.Processes, func(v store.ProcessVersion) *Action {
		return processAction(ActionView, p.By, v.ID, v.Version)
	})
	return page, nil
}

// ListProcessVersionsParams are the arguments of ListProcessVersions.
type ListProcessVersionsParams struct {
	// By names the reader: the authorizer sees ActionView of the process.
	By
	store.ListProcessVersionsParams
}

// ListProcessVersions returns the versions of one process, oldest first.
func (e *Executor) ListProcessVersions(ctx context.Context, p *ListProcessVersionsParams) (*store.ProcessVersionPage, error) {
	if p == nil || p.ID == "" {
		return nil, invalidf(ActionView, "id: required")
	}
	if err := e.authorize(ctx, processAction(ActionView, p.By, p.ID, 0)); err != nil {
		return nil, err
	}
	lp := p.ListProcessVersionsParams
	page, err := e.store.ListProcessVersions(ctx, &lp)
	if err != nil {
		return nil, fmt.Errorf("executor: list versions of process %s: %w", p.ID, err)
	}
	return page, nil
}

// PutInputSetParams are the arguments of PutInputSet.
type PutInputSetParams struct {
	// By names who stores the input set (Actor, required) and why (Reason,
	// passed to the authorizer).
	By
	// InputSet is the input set to create or replace (required).
	InputSet *process.InputSet
}

// PutInputSet creates or replaces an input set, authorized as
// ActionPutInputSet (Action.Process is its process). Replacing one is judged
// on the stored set too, so a right over one process's input sets cannot
// take another's by naming it. The set's values are checked against the
// latest version of its process's inputs: a value of the wrong type or an
// unknown input is refused with ErrInvalid, and nothing is stored.
func (e *Executor) PutInputSet(ctx context.Context, p *PutInputSetParams) error {
	if p == nil || p.InputSet == nil {
		return invalidf(ActionPutInputSet, "input-set: required")
	}
	s := p.InputSet
	switch {
	case s.ID == "":
		return invalidf(ActionPutInputSet, "input-set.id: required")
	case s.Process == "":
		return invalidf(ActionPutInputSet, "input-set.process: required")
	}
	if err := e.authorize(ctx, inputSetAction(ActionPutInputSet, p.By, s)); err != nil {
		return err
	}
	old, err := e.store.GetInputSet(ctx, s.ID)
	switch {
	case err == nil:
		if err := e.authorize(ctx, inputSetAction(ActionPutInputSet, p.By, old)); err != nil {
			return err
		}
	case !errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("executor: %s: input set %s: %w", ActionPutInputSet, s.ID, err)
	}
	proc, err := e.store.GetProcess(ctx, s.Process, 0)
	if errors.Is(err, store.ErrNotFound) {
		return invalidf(ActionPutInputSet, "input-set.process: process %s is not stored", s.Process)
	} else if err != nil {
		return fmt.Errorf("executor: %s: input set %s: %w", ActionPutInputSet, s.ID, err)
	}
	if _, err := process.ResolveInputs(proc.Inputs, s, nil); err != nil {
		return invalid(ActionPutInputSet, err)
	}
	if err := e.store.PutInputSet(ctx, s); err != nil {
		return fmt.Errorf("executor: %s: input set %s: %w", ActionPutInputSet, s.ID, err)
	}
	return nil
}

// GetInputSet returns a stored input set; the authorizer sees ActionView of
// it by who (nil: anonymous).
func (e *Executor) GetInputSet(ctx context.Context, id string, who *By) (*process.InputSet, error) {
	s, err := e.store.GetInputSet(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("executor: get input set %s: %w", id, err)
	}
	if err := e.authorize(ctx, inputSetAction(ActionView, who.value(), s)); err != nil {
		return nil, err
	}
	return s, nil
}

// ListInputSetsParams are the arguments of ListInputSets.
type ListInputSetsParams struct {
	// By names the reader; input sets the authorizer refuses to show it
	// (ActionView) are left out of the page.
	By
	store.ListInputSetsParams
}

// ListInputSets returns the stored input sets the reader may view, by id.
// A page may hold fewer than its limit when some were left out: follow
// Next to the end.
func (e *Executor) ListInputSets(ctx context.Context, p *ListInputSetsParams) (*store.InputSetPage, error) {
	if p == nil {
		p = &ListInputSetsParams{}
	}
	lp := p.ListInputSetsParams
	page, err := e.store.ListInputSets(ctx, &lp)
	if err != nil {
		return nil, fmt.Errorf("executor: list input sets: %w", err)
	}
	page.InputSets = viewable(ctx, e, page.InputSets, func(s *process.InputSet) *Action { return inputSetAction(ActionView, p.By, s) })
	return page, nil
}

// DeleteInputSet deletes an input set, authorized as ActionDeleteInputSet
// on the stored set. Groups that name it are not changed (look with
// ListGroups first).
func (e *Executor) DeleteInputSet(ctx context.Context, id string, p *By) error {
	by := p.value()
	if by.Actor == "" {
		return invalidf(ActionDeleteInputSet, "actor: required")
	}
	s, err := e.store.GetInputSet(ctx, id)
	if err != nil {
		return fmt.Errorf("executor: %s: input set %s: %w", ActionDeleteInputSet, id, err)
	}
	if err := e.authorize(ctx, inputSetAction(ActionDeleteInputSet, by, s)); err != nil {
		return err
	}
	if err := e.store.DeleteInputSet(ctx, id); err != nil {
		return fmt.Errorf("executor: %s: input set %s: %w", ActionDeleteInputSet, id, err)
	}
	return nil
}

// DeleteGroup deletes a release group, authorized as ActionDeleteGroup on
// the stored group: it makes no more releases (on other executors sharing
// the store, from their next look at it). The releases it made, and its
// history, are kept. To stop a group for a while, PauseGroup it instead.
func (e *Executor) DeleteGroup(ctx context.Context, id release.GroupID, p *By) error {
	by := p.value()
	if by.Actor == "" {
		return invalidf(ActionDeleteGroup, "actor: required")
	}
	g, err := e.store.GetGroup(ctx, id)
	if err != nil {
		return fmt.Errorf("executor: %s: group %s: %w", ActionDeleteGroup, id, err)
	}
	if err := e.authorize(ctx, groupAction(ActionDeleteGroup, by, id, g)); err != nil {
		return err
	}
	if err := e.store.DeleteGroup(ctx, id); err != nil {
		return fmt.Errorf("executor: %s: group %s: %w", ActionDeleteGroup, id, err)
	}
	e.sched.remove(e, id)
	return nil
}
