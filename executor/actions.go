package executor

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// By names who takes an action and why. Every Executor method that acts or
// reads on behalf of someone takes it last: as *By when the action needs
// nothing else, or embedded in the action's params struct
// (&DecisionParams{By: By{Actor: "bob", Reason: "looks good"}}).
//
// Actions need an Actor; a read may pass nil (or no Actor): it is
// anonymous, and Config.Authorize decides whether anonymous readers may
// see it (the default allows everything).
type By struct {
	Actor  string // who: required by every action, optional for reads
	Reason string // why: required by Abort and BypassApproval; recorded with the event
}

// value returns *b, or the zero By for nil.
func (b *By) value() By {
	if b == nil {
		return By{}
	}
	return *b
}

// CreateParams are the arguments of Create.
type CreateParams struct {
	// By names who creates the release (Actor, required) and why (Reason,
	// recorded).
	By
	// ID is the new release's id, a UUID (see release.ParseID); empty
	// draws a new UUIDv7. A host that must not create a release twice for
	// one request (a retried webhook, a CI run) derives the id from the
	// request: a second Create with the same ID fails matching
	// store.ErrAlreadyExists, and nothing is changed.
	ID release.ID
	// Process and ProcessVersion name the process to run; version 0 means
	// the latest. The version is pinned into the release.
	Process        process.ID
	ProcessVersion int
	// InputSet names a stored input set of the process (optional); Inputs
	// override its values and the inputs' defaults.
	InputSet string
	Inputs   map[string]any
	// Name defaults to the process's name; Version is a version label.
	Name    string
	Version string
	// ScheduledFor is when the release starts; zero or past means now.
	ScheduledFor time.Time
	Labels       map[string]string
	// Group puts the release in a release group: a stored group of the
	// same process (else ErrInvalid), so that nobody can place a release
	// of another process in a group to gain what the group's authorizer
	// rules grant. Occurrence is set by the
	// group's scheduler only (Create refuses it): a second release of the
	// same group for the same occurrence is refused, so a release made on
	// demand must not take an occurrence's place.
	Group      release.GroupID
	Occurrence time.Time
	// ExpectedDuration, when positive, sets the release's expected end to
	// its start plus this. Defaults to the critical path of the
	// activities' expected durations.
	ExpectedDuration time.Duration
}

// Create makes a release of a stored process: it resolves and validates the
// inputs, pins the process version, stores the release and starts it now
// or at ScheduledFor. It returns the release's summary. A process whose
// subprocesses run in a cycle (a runs b, b runs a) is refused with
// ErrInvalid.
func (e *Executor) Create(ctx context.Context, p *CreateParams) (release.Summary, error) {
	if p == nil {
		return release.Summary{}, invalidf(ActionCreate, "params: required")
	}
	if !p.Occurrence.IsZero() {
		return release.Summary{}, invalidf(ActionCreate, "occurrence: set by the group's scheduler only")
	}
	for _, k := range slices.Sorted(maps.Keys(p.Labels)) {
		if strings.HasPrefix(k, ReservedLabelPrefix) {
			return release.Summary{}, invalidf(ActionCreate, "labels: %q: keys starting with %q are reserved for the executor (it links a subprocess's child to its parent with them)", k, ReservedLabelPrefix)
		}
	}
	if err := e.authorize(ctx, &Action{Kind: ActionCreate, Actor: p.Actor, Reason: p.Reason, Inputs: maps.Clone(p.Inputs),
		Process: p.Process, ProcessVersion: p.ProcessVersion, Group: p.Group, Labels: maps.Clone(p.Labels)}); err != nil {
		return release.Summary{}, err
	}
	if err := e.checkCreateGroup(ctx, p); err != nil {
		return release.Summary{}, err
	}
	id := p.ID
	if id == "" {
		var err error
		if id, err = release.NewID(e.clock.Now(), nil); err != nil {
			return release.Summary{}, err
		}
	} else {
		parsed, err := release.ParseID(string(id))
		if err != nil {
			return release.Summary{}, invalidf(ActionCreate, "id: %v", err)
		}
		id = parsed
	}
	return e.create(ctx, id, p, "")
}

// create is Create with the release's id given. A child release (one
// with the initiator of its top-level release given) is stored but not
// started: startChild starts it.
func (e *Executor) create(ctx context.Context, id release.ID, p *CreateParams, initiator string) (release.Summary, error) {
	child := initiator != ""
	pl, err := e.storedPlan(ctx, p.Process, p.ProcessVersion)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return release.Summary{}, fmt.Errorf("executor: create: process %s version %d: %w: %w", p.Process, p.ProcessVersion, ErrNotFound, err)
		}
		if errors.Is(err, ErrInvalid) {
			return release.Summary{}, err // says "executor: create: invalid argument: ..."
		}
		return release.Summary{}, fmt.Errorf("executor: create: %w", err)
	}
	proc := pl.proc
	if err := e.reg.ValidateProcess(proc); err != nil {
		return release.Summary{}, invalid(ActionCreate, err)
	}
	if !child {
		cycle, err := e.subprocessCycle(ctx, proc, []process.ID{proc.ID}, "")
		if err != nil {
			return release.Summary{}, fmt.Errorf("executor: create: %w", err)
		}
		if cycle != "" {
			return release.Summary{}, invalidf(ActionCreate, "%s", cycle)
		}
	}
	var set *process.InputSet
	if p.InputSet != "" {
		if set, err = e.store.GetInputSet(ctx, p.InputSet); err != nil {
			return release.Summary{}, fmt.Errorf("executor: create: input set %q: %w", p.InputSet, err)
		}
		if set.Process != proc.ID {
			return release.Summary{}, invalidf(ActionCreate, "input set %q belongs to process %s, not %s", set.ID, set.Process, proc.ID)
		}
	}
	inputs, err := process.ResolveInputs(proc.Inputs, set, p.Inputs)
	if err != nil {
		return release.Summary{}, invalid(ActionCreate, err)
	}
	now := e.clock.Now()
	if _, err := pl.compiled.Variables(&process.Scope{Inputs: inputs}); err != nil {
		return release.Summary{}, invalid(ActionCreate, err)
	}
	name := p.Name
	if name == "" {
		name = proc.Name
		if name == "" {
			name = string(proc.ID)
		}
	}
	start := p.ScheduledFor
	if start.IsZero() || start.Before(now) {
		start = now
	}
	_, total := pl.compiled.CriticalPath(func(ref process.ActivityRef) time.Duration {
		return pl.compiled.Activity(ref).Expected()
	})
	startsNow := !child && p.Labels[LabelStart] == "" && !start.After(now)
	if startsNow && p.Occurrence.IsZero() {
		if fe := e.createFrozen(ctx, release.FreezeSubject{Group: p.Group, Process: proc.ID, Labels: p.Labels}); fe != nil {
			return release.Summary{}, fe // on demand: refused, nothing stored
		}
	}
	rel, ev, err := e.procs.Create(id, now, p.Actor, p.Reason, release.ReleaseCreatedPayload{
		Name: name, Version: p.Version, Process: proc, Inputs: inputs,
		Group: p.Group, Occurrence: p.Occurrence,
		ScheduledFor: start, ExpectedStart: start, ExpectedEnd: start.Add(expectedDuration(p.ExpectedDuration, total)),
		Labels: p.Labels, Initiator: initiator,
	})
	if err != nil {
		return release.Summary{}, fmt.Errorf("executor: create: %w", err)
	}
	note := e.storeTimer(StoreCreateRelease)
	err = e.store.CreateRelease(ctx, &store.CreateReleaseParams{Events: []release.Event{ev}, Release: rel, Notify: e.context() == nil})
	note(err)
	if err != nil {
		return release.Summary{}, fmt.Errorf("executor: create: %w", err)
	}
	if t := e.cfg.Telemetry; t != nil {
		t.Stored(rel, []release.Event{ev})
	}
	e.publish([]release.Event{ev}, rel)
	if child {
		return rel.Summary(), nil // startChild starts it once the parent still wants it
	}
	if p.Labels[LabelStart] != "" {
		return rel.Summary(), nil // a person or the group's scheduler starts it
	}
	if start.After(now) {
		e.timers.set(timerKey{rel: id, kind: timerStart}, start)
		return rel.Summary(), nil
	}
	if startsNow && !p.Occurrence.IsZero() && e.createFrozen(ctx, release.FreezeSubject{Group: p.Group, Process: proc.ID, Labels: p.Labels}) != nil {
		// A group's late release: its start waits for the freeze (the
		// start timer holds it, see holdStart).
		e.timers.set(timerKey{rel: id, kind: timerStart}, now)
		return rel.Summary(), nil
	}
	var sum release.Summary
	startNow := func(r *run) error {
		if r.rel.Status == release.Scheduled {
			e.timers.stop(timerKey{rel: id, kind: timerStart})
			r.emit(p.Actor, p.Reason, &release.ReleaseStartedPayload{})
		}
		// Else the start timer or a rescan started it first: fine.
		r.onCommit = append(r.onCommit, func() { sum = r.rel.Summary() })
		return nil
	}
	r, err := e.acquireWith(ctx, id, rel, pl)
	if err == nil {
		err = e.withRun(ctx, r, startNow)
		for try := 0; try < 3 && errors.Is(err, store.ErrConflict); try++ {
			err = e.with(ctx, id, startNow) // reloads what the other writer stored
		}
	}
	if err != nil {
		return rel.Summary(), fmt.Errorf("executor: create: release %s was stored but not started: %w", id, err)
	}
	return sum, nil
}

// subprocessCycle looks for a process that runs itself through its
// subprocesses (a runs b, b runs a), up to MaxDepth levels down from the
// process at the end of path: recursion is a validation error,
// which Validate sees only when a process names itself. A process not
// stored yet is passed over (its child fails when it is created), and a
// chain deeper than MaxDepth fails at run time. at names the activity that
// led to p ("" for the top).
func (e *Executor) subprocessCycle(ctx context.Context, p *process.Process, path []process.ID, at string) (string, error) {
	if len(path) > e.cfg.MaxDepth {
		return "", nil
	}
	for _, ph := range p.Phases {
		for _, a := range ph.Activities {
			if a.EffectiveType() != process.Subprocess {
				continue
			}
			where := at
			if where == "" {
				where = fmt.Sprintf("phases.%s.activities.%s", ph.ID, a.ID)
			}
			next := append(slices.Clip(path), a.Process)
			if i := slices.Index(path, a.Process); i >= 0 {
				var names []string
				for _, id := range next[i:] {
					names = append(names, string(id))
				}
				return fmt.Sprintf("%s: subprocesses run in a cycle, %s (recursion is not allowed)", where, strings.Join(names, " -> ")), nil
			}
			pl, err := e.storedPlan(ctx, a.Process, a.ProcessVersion)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return "", fmt.Errorf("subprocess %s of %s: %w", a.Process, where, err)
			}
			if cycle, err := e.subprocessCycle(ctx, pl.proc, next, where); cycle != "" || err != nil {
				return cycle, err
			}
		}
	}
	return "", nil
}

// storedPlan returns the plan of a stored process version (0: the latest).
// Stored versions never change, so a version is read and compiled once;
// finding the latest costs a listing of version numbers.
func (e *Executor) storedPlan(ctx context.Context, id process.ID, version int) (*plan, error) {
	if version == 0 {
		lp := &store.ListProcessVersionsParams{ID: id, Limit: store.MaxLimit}
		for {
			page, err := e.store.ListProcessVersions(ctx, lp)
			if err != nil {
				return nil, err
			}
			if n := len(page.Versions); n > 0 {
				version = page.Versions[n-1].Version
			}
			if page.Next == "" {
				break
			}
			lp.Cursor = page.Next
		}
	}
	e.mu.Lock()
	pl := e.plans[planKey{id, version}]
	e.mu.Unlock()
	if pl != nil {
		return pl, nil
	}
	proc, err := e.store.GetProcess(ctx, id, version)
	if err != nil {
		return nil, err
	}
	// The pinned copy: releases of this version share it, and Create does
	// not encode it again for each of them.
	if pinned, err := e.procs.Pin(proc); err == nil {
		proc = pinned
	}
	pl, err = e.planFor(proc)
	if err != nil {
		return nil, invalid(ActionCreate, err)
	}
	return pl, nil
}

// expected is an activity's expected duration: its own, else the sum of
// its tasks' expected durations.

// act checks an operator action and runs fn on the release, retrying when
// another writer got there first.
func (e *Executor) act(ctx context.Context, a *Action, fn func(r *run) error) error {
	if a.Actor == "" {
		return invalidf(a.Kind, "actor: required")
	}
	for try := 0; ; try++ {
		err := e.with(ctx, a.Release, func(r *run) error {
			if err := r.describe(a); err != nil {
				return err
			}
			if err := e.authorize(ctx, a); err != nil {
				return err
			}
			err := fn(r)
			if errors.Is(err, ErrForbidden) {
				e.refused(ctx, a, err)
			}
			return err
		})
		if errors.Is(err, store.ErrConflict) && try < 3 {
			continue
		}
		return err
	}
}

// describe fills the fields of a that say what it is about from the
// loaded release, so the authorizer judges the stored state; an unknown
// activity is ErrNotFound.
func (r *run) describe(a *Action) error {
	rel := r.rel
	a.Process, a.ProcessVersion, a.Group = rel.ProcessID, rel.ProcessVersion, rel.Group
	a.Labels = maps.Clone(rel.Labels)
	a.ActivityType, a.Uses, a.Subprocess, a.TaskState, a.ActivityLabels = "", "", "", nil, nil
	if a.Activity == "" {
		return nil
	}
	i, st, err := r.activity(a.Kind, a.Activity)
	if err != nil {
		return err
	}
	act := r.p.acts[i].act
	a.ActivityLabels = maps.Clone(r.p.compiled.EffectiveLabels(r.p.acts[i].ref))
	if a.ActivityLabels == nil {
		a.ActivityLabels = map[string]string{}
	}
	a.ActivityType = act.EffectiveType()
	switch a.ActivityType {
	case process.Automated:
		a.Uses = act.Uses
	case process.Subprocess:
		a.Subprocess = act.Process
	}
	if t := st.Task(a.Task); a.Task != "" && t != nil {
		c := *t
		c.Assignees = slices.Clone(t.Assignees)
		c.Comments = slices.Clone(t.Comments)
		a.TaskState = &c
		a.Assigned, _ = r.e.assigned(t)
	}
	return nil
}

// activity finds an activity of the release by key.
func (r *run) activity(action ActionKind, k release.ActivityKey) (int32, *release.ActivityState, error) {
	i, ok := r.p.index[k]
	if !ok {
		return 0, nil, fmt.Errorf("executor: %s: release %s has no activity %q: %w", action, r.id, k, ErrNotFound)
	}
	return int32(i), r.state(int32(i)), nil
}

// Start starts a Scheduled release now, ahead of its time.
func (e *Executor) Start(ctx context.Context, id release.ID, p *By) error {
	by := p.value()
	return e.act(ctx, &Action{Kind: ActionStart, Release: id, Actor: by.Actor, Reason: by.Reason}, func(r *run) error {
		if r.rel.Status != release.Scheduled {
			return releaseState(ActionStart, id, r.rel.Status, release.Scheduled)
		}
		if fe := r.releaseFrozen(ActionStart); fe != nil {
			return fe
		}
		e.timers.stop(timerKey{rel: id, kind: timerStart})
		r.emit(by.Actor, by.Reason, &release.ReleaseStartedPayload{})
		return nil
	})
}

// Pause stops a Running release from starting new activities; those
// running finish and are recorded.
func (e *Executor) Pause(ctx context.Context, id release.ID, p *By) error {
	by := p.value()
	return e.act(ctx, &Action{Kind: ActionPause, Release: id, Actor: by.Actor, Reason: by.Reason}, func(r *run) error {
		if r.rel.Status != release.Running {
			return releaseState(ActionPause, id, r.rel.Status, release.Running)
		}
		r.emit(by.Actor, by.Reason, &release.ReleasePausedPayload{})
		return nil
	})
}

// Resume lets a Paused release go on.
func (e *Executor) Resume(ctx context.Context, id release.ID, p *By) error {
	by := p.value()
	return e.act(ctx, &Action{Kind: ActionResume, Release: id, Actor: by.Actor, Reason: by.Reason}, func(r *run) error {
		if r.rel.Status != release.Paused {
			return releaseState(ActionResume, id, r.rel.Status, release.Paused)
		}
		r.emit(by.Actor, by.Reason, &release.ReleaseResumedPayload{})
		r.reconcile()
		return nil
	})
}

// Abort ends a release that has not ended: running adapters' contexts are
// cancelled (a rollback's too), child releases aborted, and every activity
// running, waiting or on hold is marked Aborted. The reason is required.
func (e *Executor) Abort(ctx context.Context, id release.ID, p *By) error {
	by := p.value()
	if strings.TrimSpace(by.Reason) == "" {
		return invalidf(ActionAbort, "reason: required to abort a release")
	}
	return e.act(ctx, &Action{Kind: ActionAbort, Release: id, Actor: by.Actor, Reason: by.Reason}, func(r *run) error {
		st := r.rel.Status
		if st.Terminal() {
			return releaseState(ActionAbort, id, st, release.Scheduled, release.Running, release.Paused)
		}
		e.timers.stop(timerKey{rel: id, kind: timerStart})
		if st != release.Scheduled {
			r.abortActive(-1, by.Actor, by.Reason, true)
			// A rollback in progress stops too: its calls are cancelled
			// and their results ignored.
			for i, f := range r.flights {
				if f.rollback {
					delete(r.flights, i)
					r.onCommit = append(r.onCommit, f.cancel)
				}
			}
			r.rbPending = false
			for _, pi := range r.p.phases {
				if ph := r.rel.Phases[pi.id]; ph.Status == release.PhasePending || ph.Status == release.PhaseRunning {
					r.emit(by.Actor, by.Reason, &release.PhaseAbortedPayload{Phase: pi.id})
				}
			}
		}
		r.emit(by.Actor, by.Reason, &release.ReleaseAbortedPayload{})
		return nil
	})
}

// RollBack rolls a Running release back: active work is aborted, then the
// rollbacks of completed activities run in reverse dependency order, and
// the release ends RolledBack.
func (e *Executor) RollBack(ctx context.Context, id release.ID, p *By) error {
	by := p.value()
	return e.act(ctx, &Action{Kind: ActionRollBack, Release: id, Actor: by.Actor, Reason: by.Reason}, func(r *run) error {
		if r.rel.Status != release.Running {
			return releaseState(ActionRollBack, id, r.rel.Status, release.Running)
		}
		if r.rollingBack {
			return &StateError{Action: ActionRollBack, Subject: "release " + string(id), Status: "rolling back", Want: []string{"Running without a rollback in progress"}}
		}
		r.startRollback("", "", by.Actor, by.Reason)
		return nil
	})
}

// RetryParams are the arguments of Retry.
type RetryParams struct {
	// By names who retries (Actor, required) and why (Reason, recorded).
	By
	// Inputs, when set, replace the named with: parameters (or the child
	// release's inputs, for a subprocess) for the new attempt. They are
	// checked as at creation before anything is recorded (see Retry), and
	// the authorizer sees them (Action.Inputs).
	Inputs map[string]any
}

// Retry starts a new attempt of an activity that is OnHold or Failed. New
// inputs are refused with ErrInvalid naming the input, and nothing is
// recorded, when a value cannot be stored (NaN, infinity, a function, a
// cycle), when the adapter of an automated activity implements
// adapters.Validator and refuses the with: parameters they make, when they
// do not fit the input specs of a subprocess's process, or when the
// activity is manual or an approval (they take no inputs).
func (e *Executor) Retry(ctx context.Context, id release.ID, k release.ActivityKey, p *RetryParams) error {
	if p == nil {
		p = &RetryParams{}
	}
	return e.act(ctx, &Action{Kind: ActionRetry, Release: id, Activity: k, Actor: p.Actor, Reason: p.Reason, Inputs: maps.Clone(p.Inputs)}, func(r *run) error {
		i, a, err := r.activity(ActionRetry, k)
		if err != nil {
			return err
		}
		if a.Status != release.ActivityOnHold && a.Status != release.ActivityFailed {
			return activityState(ActionRetry, k, a.Status, release.ActivityOnHold, release.ActivityFailed)
		}
		if r.rel.Status != release.Running || r.rollingBack {
			return releaseState(ActionRetry, id, r.rel.Status, release.Running)
		}
		if p.Inputs != nil {
			if err := r.checkRetryInputs(ctx, i, p.Inputs); err != nil {
				return err
			}
		}
		if fe := r.activityFrozen(ActionRetry, i); fe != nil {
			return fe
		}
		e.timers.stop(timerKey{rel: id, kind: timerRetry, act: i, attempt: int32(len(a.Attempts) + 1)})
		r.start(i, p.Actor, p.Reason, p.Inputs)
		return nil
	})
}

// checkRetryInputs validates the new inputs of a retry of activity i as
// creation would: every value must be storable (JSON: no NaN, infinity,
// function, channel or cycle); an automated activity's with: parameters,
// the inputs replacing theirs, must satisfy its adapter's Validator (if it
// has one); a subprocess's child inputs must satisfy the child process's
// input specs. Manual and approval activities take no inputs.
func (r *run) checkRetryInputs(ctx context.Context, i int32, inputs map[string]any) error {
	ai := &r.p.acts[i]
	for _, name := range slices.Sorted(maps.Keys(inputs)) {
		if err := process.CheckData("inputs."+name, inputs[name]); err != nil {
			return invalidf(ActionRetry, "activity %s: %v", ai.key, err)
		}
	}
	switch ai.act.EffectiveType() {
	case process.Automated:
		ad, err := r.e.reg.Lookup(ai.act.Uses)
		if err != nil {
			return nil // the attempt fails with it, as a first attempt would
		}
		v, ok := ad.(adapters.Validator)
		if !ok {
			return nil
		}
		with := maps.Clone(ai.act.With) // templated values as their source text, as at registration
		if with == nil {
			with = map[string]any{}
		}
		maps.Copy(with, inputs)
		if err := v.ValidateWith(with); err != nil {
			if pe, ok := errors.AsType[*adapters.ParamError](err); ok {
				return &actionError{action: ActionRetry, kind: ErrInvalid, cause: err,
					msg: fmt.Sprintf("activity %s: inputs.%s: %s", ai.key, pe.Param, pe.Msg)}
			}
			return &actionError{action: ActionRetry, kind: ErrInvalid, cause: err,
				msg: fmt.Sprintf("activity %s: inputs: %v", ai.key, err)}
		}
	case process.Subprocess:
		pl, err := r.e.storedPlan(ctx, ai.act.Process, ai.act.ProcessVersion)
		if err != nil {
			return fmt.Errorf("executor: %s: activity %s: process %s: %w", ActionRetry, ai.key, ai.act.Process, err)
		}
		with, err := r.p.compiled.With(ai.ref, r.scope)
		if err != nil {
			return nil // the attempt fails with it, as a first attempt would
		}
		if with == nil {
			with = map[string]any{}
		}
		maps.Copy(with, inputs)
		if _, err := process.ResolveInputs(pl.proc.Inputs, nil, with); err != nil {
			return &actionError{action: ActionRetry, kind: ErrInvalid, cause: err,
				msg: fmt.Sprintf("activity %s: inputs of process %s: %v", ai.key, ai.act.Process, err)}
		}
	default:
		return invalidf(ActionRetry, "activity %s is %s: it takes no inputs", ai.key, ai.act.EffectiveType())
	}
	return nil
}

// IgnoreParams are the arguments of Ignore.
type IgnoreParams struct {
	// By names who ignores the failure (Actor, required) and why (Reason,
	// recorded).
	By
	// Outputs substitute for the outputs the activity did not produce.
	Outputs map[string]any
}

// Ignore marks an OnHold, Failed or Waiting activity Ignored, so its
// dependents go on; the release then ends PartialSuccess. An approval, and
// a subprocess whose process holds approvals, cannot be ignored (ErrInvalid):
// that would pass them without their approvers (see BypassApproval).
func (e *Executor) Ignore(ctx context.Context, id release.ID, k release.ActivityKey, p *IgnoreParams) error {
	if p == nil {
		p = &IgnoreParams{}
	}
	return e.act(ctx, &Action{Kind: ActionIgnore, Release: id, Activity: k, Actor: p.Actor, Reason: p.Reason, Outputs: maps.Clone(p.Outputs)}, func(r *run) error {
		i, a, err := r.activity(ActionIgnore, k)
		if err != nil {
			return err
		}
		if err := r.refuseBypass(ctx, ActionIgnore, i); err != nil {
			return err
		}
		if a.Status != release.ActivityOnHold && a.Status != release.ActivityFailed && a.Status != release.ActivityWaiting {
			return activityState(ActionIgnore, k, a.Status, release.ActivityOnHold, release.ActivityFailed, release.ActivityWaiting)
		}
		if err := checkOutputs(ActionIgnore, r.p.acts[i].act, p.Outputs); err != nil {
			return err
		}
		r.emit(p.Actor, p.Reason, &release.ActivityIgnoredPayload{Activity: k, Outputs: p.Outputs})
		r.markDone(i, true)
		return nil
	})
}

// Skip marks a Pending, Waiting or OnHold activity Skipped; dependents go
// on. An approval, and a subprocess whose process holds approvals, cannot
// be skipped (ErrInvalid): that would pass them without their approvers
// (see BypassApproval).
func (e *Executor) Skip(ctx context.Context, id release.ID, k release.ActivityKey, p *By) error {
	by := p.value()
	return e.act(ctx, &Action{Kind: ActionSkip, Release: id, Activity: k, Actor: by.Actor, Reason: by.Reason}, func(r *run) error {
		i, a, err := r.activity(ActionSkip, k)
		if err != nil {
			return err
		}
		if err := r.refuseBypass(ctx, ActionSkip, i); err != nil {
			return err
		}
		if a.Status != release.ActivityPending && a.Status != release.ActivityWaiting && a.Status != release.ActivityOnHold {
			return activityState(ActionSkip, k, a.Status, release.ActivityPending, release.ActivityWaiting, release.ActivityOnHold)
		}
		if r.rel.Status.Terminal() || r.rel.Status == release.Scheduled {
			return releaseState(ActionSkip, id, r.rel.Status, release.Running, release.Paused)
		}
		r.emit(by.Actor, by.Reason, &release.ActivitySkippedPayload{Activity: k})
		r.markDone(i, true)
		return nil
	})
}

// TaskParams are the arguments of UpdateTask.
type TaskParams struct {
	// By names who updates the task (Actor, required: an assignee when the
	// task has assignees) and why (Reason, recorded).
	By
	Task string // the task id; required
	// Status is the new status; empty keeps it.
	Status release.TaskStatus
	// Assignees replace the task's assignees; nil keeps them.
	Assignees []string
}

// UpdateTask changes a task of a manual activity (its status, its
// assignees). When every required task has SUCCEEDED and every declared
// output is in, the activity succeeds; a required task FAILED fails it.
// A task with assignees is updated by its assignees only, as stored
// (groups resolved through Config.ResolveGroup, like approvers): anyone
// else is refused with ErrForbidden, whatever the authorizer says, and a
// reassignment must come from a current assignee too. A task without
// assignees is open to anyone the authorizer allows.
func (e *Executor) UpdateTask(ctx context.Context, id release.ID, k release.ActivityKey, p *TaskParams) error {
	if p == nil {
		return invalidf(ActionUpdateTask, "params: required")
	}
	return e.act(ctx, &Action{Kind: ActionUpdateTask, Release: id, Activity: k, Task: p.Task, Actor: p.Actor, Reason: p.Reason,
		Status: p.Status, Assignees: slices.Clone(p.Assignees)}, func(r *run) error {
		i, a, err := r.activity(ActionUpdateTask, k)
		if err != nil {
			return err
		}
		t := a.Task(p.Task)
		if t == nil {
			return fmt.Errorf("executor: %s: activity %s has no task %q: %w", ActionUpdateTask, k, p.Task, ErrNotFound)
		}
		if a.Status != release.ActivityRunning && a.Status != release.ActivityWaiting && a.Status != release.ActivityOnHold {
			return activityState(ActionUpdateTask, k, a.Status, release.ActivityWaiting, release.ActivityOnHold)
		}
		if p.Status == "" && p.Assignees == nil {
			return invalidf(ActionUpdateTask, "nothing to update: give a status or assignees")
		}
		if err := r.checkAssignee(ActionUpdateTask, k, t, p.Actor); err != nil {
			return err
		}
		if p.Status != "" && !p.Status.Valid() {
			return invalidf(ActionUpdateTask, "status %q: want TODO, IN_PROGRESS, SUCCEEDED, FAILED or BLOCKED", p.Status)
		}
		if p.Status != "" && !t.Status.CanTransition(p.Status) {
			return &StateError{Action: ActionUpdateTask, Subject: "task " + string(k) + "/" + t.ID, Status: string(t.Status),
				Want: []string{"a status that can become " + string(p.Status)}}
		}
		r.emit(p.Actor, p.Reason, &release.TaskUpdatedPayload{Activity: k, Task: p.Task, Status: p.Status, Assignees: p.Assignees})
		if a.Status == release.ActivityWaiting {
			r.checkHuman(i)
		}
		return nil
	})
}

// CompleteTask marks a task SUCCEEDED (UpdateTask with that status).
func (e *Executor) CompleteTask(ctx context.Context, id release.ID, k release.ActivityKey, task string, p *By) error {
	by := p.value()
	return e.UpdateTask(ctx, id, k, &TaskParams{Task: task, Status: release.TaskSucceeded, By: By{Actor: by.Actor, Reason: by.Reason}})
}

// CommentParams are the arguments of Comment.
type CommentParams struct {
	// By names who comments (Actor, required).
	By
	Activity release.ActivityKey // empty: a comment on the release
	Task     string              // with Activity: a comment on one of its tasks
	Text     string              // required
}

// Comment adds a comment to a release, an activity or a task.
func (e *Executor) Comment(ctx context.Context, id release.ID, p *CommentParams) error {
	if p == nil || strings.TrimSpace(p.Text) == "" {
		return invalidf(ActionComment, "text: required")
	}
	if p.Task != "" && p.Activity == "" {
		return invalidf(ActionComment, "task %q: needs an activity", p.Task)
	}
	return e.act(ctx, &Action{Kind: ActionComment, Release: id, Activity: p.Activity, Task: p.Task, Actor: p.Actor, Text: p.Text}, func(r *run) error {
		if p.Activity != "" {
			_, a, err := r.activity(ActionComment, p.Activity)
			if err != nil {
				return err
			}
			if p.Task != "" && a.Task(p.Task) == nil {
				return fmt.Errorf("executor: %s: activity %s has no task %q: %w", ActionComment, p.Activity, p.Task, ErrNotFound)
			}
		}
		r.emit(p.Actor, "", &release.CommentAddedPayload{Activity: p.Activity, Task: p.Task, Text: p.Text})
		return nil
	})
}

// OutputsParams are the arguments of SubmitOutputs.
type OutputsParams struct {
	// By names who submits (Actor, required) and why (Reason, recorded).
	By
	Outputs map[string]any // by declared output name; at least one
}

// SubmitOutputs records outputs of a Waiting manual activity. Names must be
// among the activity's declared outputs.
func (e *Executor) SubmitOutputs(ctx context.Context, id release.ID, k release.ActivityKey, p *OutputsParams) error {
	if p == nil || len(p.Outputs) == 0 {
		return invalidf(ActionSubmitOutputs, "outputs: at least one is required")
	}
	return e.act(ctx, &Action{Kind: ActionSubmitOutputs, Release: id, Activity: k, Actor: p.Actor, Reason: p.Reason, Outputs: maps.Clone(p.Outputs)}, func(r *run) error {
		i, a, err := r.activity(ActionSubmitOutputs, k)
		if err != nil {
			return err
		}
		act := r.p.acts[i].act
		if act.EffectiveType() != process.Manual {
			return invalidf(ActionSubmitOutputs, "activity %s is %s; outputs are submitted for manual activities", k, act.EffectiveType())
		}
		if a.Status != release.ActivityWaiting {
			return activityState(ActionSubmitOutputs, k, a.Status, release.ActivityWaiting)
		}
		if err := checkOutputs(ActionSubmitOutputs, act, p.Outputs); err != nil {
			return err
		}
		r.emit(p.Actor, p.Reason, &release.OutputsSubmittedPayload{Activity: k, Outputs: p.Outputs})
		r.checkHuman(i)
		return nil
	})
}

// checkOutputs checks outputs a person gives: each named by the activity
// (when it declares its outputs) and each a value an event can hold.
func checkOutputs(action ActionKind, act *process.Activity, outputs map[string]any) error {
	for _, name := range slices.Sorted(maps.Keys(outputs)) {
		if len(act.Outputs) > 0 && !slices.Contains(act.Outputs, name) {
			return invalidf(action, "output %q: activity %s declares %s", name, act.ID, strings.Join(act.Outputs, ", "))
		}
		if err := process.CheckData("outputs."+name, outputs[name]); err != nil {
			return invalidf(action, "activity %s: %v", act.ID, err)
		}
	}
	return nil
}

// DecisionParams are the arguments of Approve and Reject.
type DecisionParams struct {
	// By names who decides (Actor, required: one of the approvers); Reason is
	// the decision's comment, recorded.
	By
}

// Approve records an approval of a Waiting approval activity by one of its
// approvers; the activity succeeds once its policy is met.
func (e *Executor) Approve(ctx context.Context, id release.ID, k release.ActivityKey, p *DecisionParams) error {
	return e.decide(ctx, ActionApprove, id, k, p)
}

// Reject records a rejection by one of the approvers: the activity fails
// and its on-failure strategy applies.
func (e *Executor) Reject(ctx context.Context, id release.ID, k release.ActivityKey, p *DecisionParams) error {
	return e.decide(ctx, ActionReject, id, k, p)
}

func (e *Executor) decide(ctx context.Context, action ActionKind, id release.ID, k release.ActivityKey, p *DecisionParams) error {
	if p == nil {
		p = &DecisionParams{}
	}
	return e.act(ctx, &Action{Kind: action, Release: id, Activity: k, Actor: p.Actor, Reason: p.Reason}, func(r *run) error {
		i, a, pol, err := r.waitingApproval(action, k, p.Actor)
		if err != nil {
			return err
		}
		for _, d := range a.Decisions() {
			if d.Actor == p.Actor {
				return forbiddenf(action, "%s already decided on %s; one person counts once", p.Actor, k)
			}
		}
		eligible, unresolved := e.eligible(pol, r.rel.Initiator)
		if !slices.Contains(eligible, p.Actor) {
			msg := fmt.Sprintf("%s is not an approver of %s (approvers: %s)", p.Actor, k, strings.Join(pol.Approvers, ", "))
			if len(unresolved) > 0 {
				msg += "; " + joinGroupErrors(unresolved)
			}
			return forbiddenf(action, "%s", msg)
		}
		if action == ActionApprove {
			r.emit(p.Actor, p.Reason, &release.ApprovalGrantedPayload{Activity: k, Comment: p.Reason})
		} else {
			r.emit(p.Actor, p.Reason, &release.ApprovalRejectedPayload{Activity: k, Comment: p.Reason})
		}
		r.checkHuman(i)
		return nil
	})
}

// BypassParams are the arguments of BypassApproval.
type BypassParams struct {
	// By names who decides in the approvers' place (Actor) and why (Reason);
	// both required and recorded.
	By
}

// BypassApproval decides a Waiting approval activity in place of its
// approvers: it records approval.bypassed (the actor and the reason, kept
// in the activity's Approvals as a Decision with Bypassed set), and the
// activity succeeds, so the release may end Succeeded. It is the only way
// to pass an approval other than by its approvers (Skip and Ignore refuse
// approvals), is authorized as ActionBypassApproval, and is always
// refused (ErrForbidden) to the initiator of the release (or of the release
// it is a subprocess of) when the approval's policy forbids the initiator,
// whatever the authorizer says. An approval that is not Waiting (Pending,
// or rejected and OnHold: retry it to ask again) cannot be bypassed. An
// approval of a child release is bypassed on the child release.
func (e *Executor) BypassApproval(ctx context.Context, id release.ID, k release.ActivityKey, p *BypassParams) error {
	if p == nil || strings.TrimSpace(p.Reason) == "" {
		return invalidf(ActionBypassApproval, "reason: required")
	}
	return e.act(ctx, &Action{Kind: ActionBypassApproval, Release: id, Activity: k, Actor: p.Actor, Reason: p.Reason}, func(r *run) error {
		i, _, _, err := r.waitingApproval(ActionBypassApproval, k, p.Actor)
		if err != nil {
			return err
		}
		r.emit(p.Actor, p.Reason, &release.ApprovalBypassedPayload{Activity: k})
		r.emit(p.Actor, "approval bypassed: "+p.Reason, &release.ActivitySucceededPayload{Activity: k})
		r.markDone(i, true)
		return nil
	})
}

// refuseBypass refuses an action that would pass activity i without its
// approvers: i is an approval, or a subprocess whose process (as stored,
// or as pinned by its last child release) holds an approval at any depth.
// A process that cannot be read is taken to hold one.
func (r *run) refuseBypass(ctx context.Context, action ActionKind, i int32) error {
	ai := &r.p.acts[i]
	switch ai.act.EffectiveType() {
	case process.Approval:
		return invalidf(action, "activity %s is an approval: only its approvers decide it; use BypassApproval to decide in their place", ai.key)
	case process.Subprocess:
	default:
		return nil
	}
	procs := []*process.Process{}
	pl, err := r.e.storedPlan(ctx, ai.act.Process, ai.act.ProcessVersion)
	switch {
	case err == nil:
		procs = append(procs, pl.proc)
	case !errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("executor: %s: activity %s: reading process %s: %w", action, ai.key, ai.act.Process, err)
	}
	if n := len(r.state(i).Attempts); n > 0 {
		child, err := r.e.store.GetRelease(ctx, childID(r.id, ai.key, n))
		switch {
		case err == nil:
			procs = append(procs, child.Process)
		case !errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("executor: %s: activity %s: reading its child release: %w", action, ai.key, err)
		}
	}
	for _, p := range procs {
		where, err := r.e.findApproval(ctx, p, 0)
		if err != nil {
			return fmt.Errorf("executor: %s: activity %s: %w", action, ai.key, err)
		}
		if where != "" {
			return invalidf(action, "activity %s runs process %s, which holds the approval %s: skipping or ignoring it would pass that approval without its approvers; bypass it in the child release with BypassApproval, or retry or abort", ai.key, ai.act.Process, where)
		}
	}
	return nil
}

// findApproval names an approval activity of p or of its subprocesses (as
// stored), or returns "" when there is none. Past MaxDepth levels it
// assumes one (such a child cannot run anyway).
func (e *Executor) findApproval(ctx context.Context, p *process.Process, depth int) (string, error) {
	if depth > e.cfg.MaxDepth {
		return string(p.ID) + " (nesting too deep to look)", nil
	}
	for _, ph := range p.Phases {
		for _, a := range ph.Activities {
			switch a.EffectiveType() {
			case process.Approval:
				return fmt.Sprintf("%s: %s.%s", p.ID, ph.ID, a.ID), nil
			case process.Subprocess:
				pl, err := e.storedPlan(ctx, a.Process, a.ProcessVersion)
				if errors.Is(err, store.ErrNotFound) {
					continue
				}
				if err != nil {
					return "", fmt.Errorf("reading process %s: %w", a.Process, err)
				}
				if where, err := e.findApproval(ctx, pl.proc, depth+1); where != "" || err != nil {
					return where, err
				}
			}
		}
	}
	return "", nil
}

// waitingApproval finds approval activity k, Waiting, that actor may
// decide as far as the initiator rule goes: the initiator of the release
// (or of the release it descends from) never decides, nor bypasses, an
// approval whose policy forbids the initiator.
func (r *run) waitingApproval(action ActionKind, k release.ActivityKey, actor string) (int32, *release.ActivityState, *process.ApprovalPolicy, error) {
	i, a, err := r.activity(action, k)
	if err != nil {
		return 0, nil, nil, err
	}
	pol := r.p.acts[i].act.Approval
	if pol == nil {
		return 0, nil, nil, invalidf(action, "activity %s is %s, not an approval", k, r.p.acts[i].act.EffectiveType())
	}
	if a.Status != release.ActivityWaiting {
		return 0, nil, nil, activityState(action, k, a.Status, release.ActivityWaiting)
	}
	if pol.ForbidInitiator && actor == r.rel.Initiator {
		return 0, nil, nil, forbiddenf(action, "%s initiated release %s (or the release it is a subprocess of) and the policy of %s forbids the initiator to decide", actor, r.id, k)
	}
	return i, a, pol, nil
}
