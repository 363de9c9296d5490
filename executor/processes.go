package executor

import (
	"context"
	"fmt"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/store"
)

// PutProcessParams are the arguments of PutProcess.
type PutProcessParams struct {
	// By names who stores the process (Actor, required; recorded as the
	// version's CreatedBy) and why (Reason, optional).
	By
	// Process is the process to store (see store.PutProcessParams.Process).
	Process *process.Process
}

// PutProcess stores p.Process as the next version of its process, stamped
// with the executor's clock (a host that calls the store itself must give
// store.PutProcessParams.Now; a store refuses a zero time). It is checked
// by Config.Authorize as ActionPutProcess, and the process is validated
// against the registered adapters first: a process whose activities use an
// adapter this executor does not know is refused with ErrInvalid, and
// nothing is stored.
func (e *Executor) PutProcess(ctx context.Context, p *PutProcessParams) (*process.Process, error) {
	if p == nil || p.Process == nil {
		return nil, invalidf(ActionPutProcess, "process: required")
	}
	if p.Process.ID == "" {
		return nil, invalidf(ActionPutProcess, "process.id: required")
	}
	if err := e.authorize(ctx, &Action{Kind: ActionPutProcess, Actor: p.Actor, Reason: p.Reason,
		Process: p.Process.ID, ProcessVersion: p.Process.Version}); err != nil {
		return nil, err
	}
	if _, err := process.Compile(p.Process); err != nil {
		return nil, invalid(ActionPutProcess, err)
	}
	if err := e.reg.ValidateProcess(p.Process); err != nil {
		return nil, invalid(ActionPutProcess, err)
	}
	got, err := e.store.PutProcess(ctx, &store.PutProcessParams{Process: p.Process, CreatedBy: p.Actor, Now: e.clock.Now()})
	if err != nil {
		e.storeFailed(ctx, "put process", "", err, "process", p.Process.ID)
		return nil, fmt.Errorf("executor: put process %s: %w", p.Process.ID, err)
	}
	return got, nil
}
