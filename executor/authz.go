package executor

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

// Verb is the permission an action needs, coarser than its ActionKind, for
// role models that grant verbs rather than list every kind (see package
// executor/rbac). The executor sets Action.Verb from Action.Kind before
// calling Config.Authorize.
type Verb string

// The verbs. Every ActionKind maps to exactly one (ActionKind.Verb).
const (
	// VerbView reads: a release, its events, explanation and plan, the
	// calendar, processes, input sets, groups, freezes, policies.
	VerbView Verb = "view"
	// VerbCreate creates a release.
	VerbCreate Verb = "create"
	// VerbEdit stores or changes a definition (a process version, an
	// input set, a group, a freeze, a policy), moves a release that has
	// not started, or adds a link to a release.
	VerbEdit Verb = "edit"
	// VerbDelete deletes a definition or a finished release.
	VerbDelete Verb = "delete"
	// VerbExecute drives a release: start, pause, resume, retry, ignore,
	// skip, tasks, outputs, comments, and pausing or resuming a group.
	VerbExecute Verb = "execute"
	// VerbApprove decides on an approval as one of its approvers.
	VerbApprove Verb = "approve"
	// VerbAbort aborts or rolls back a release.
	VerbAbort Verb = "abort"
	// VerbOverrideFreeze lets a release or activity through a freeze.
	VerbOverrideFreeze Verb = "override-freeze"
	// VerbOverridePolicy lets a release or activity through a failing
	// policy.
	VerbOverridePolicy Verb = "override-policy"
	// VerbBypassApproval decides an approval in place of its approvers.
	VerbBypassApproval Verb = "bypass-approval"
)

// Resource names the kind of object an action is about (Action.Resource).
type Resource string

// The resources.
const (
	ResourceRelease  Resource = "release"
	ResourceActivity Resource = "activity"
	ResourceProcess  Resource = "process"
	ResourceInputSet Resource = "input-set"
	ResourceGroup    Resource = "group"
	ResourceFreeze   Resource = "freeze"
	ResourcePolicy   Resource = "policy"
)

// More actions: reads, definitions, links and deletions.
const (
	// ActionView reads something (Action.Resource says what): Get,
	// Events, Verify, Wait, Why, Plan and Subscribe on a release; each
	// release, group and freeze that List, Calendar, ListGroups or
	// ListFreezes would return (those a refused view leaves out);
	// processes, input sets and policies.
	ActionView ActionKind = "view"
	// ActionPutInputSet creates or replaces an input set.
	ActionPutInputSet ActionKind = "put-input-set"
	// ActionDeleteInputSet deletes an input set.
	ActionDeleteInputSet ActionKind = "delete-input-set"
	// ActionDeleteGroup deletes a release group.
	ActionDeleteGroup ActionKind = "delete-group"
	// ActionPutPolicy creates a new version of a policy.
	ActionPutPolicy ActionKind = "put-policy"
	// ActionDeletePolicy deletes (disables) a policy.
	ActionDeletePolicy ActionKind = "delete-policy"
	// ActionOverridePolicy lets a release, or one activity of it,
	// through a failing policy.
	ActionOverridePolicy ActionKind = "override-policy"
	// ActionAddLink adds a traceability link (a commit, a build, a
	// ticket, a deployment) to a release, an activity or a task.
	ActionAddLink ActionKind = "add-link"
	// ActionDeleteRelease deletes a finished release.
	ActionDeleteRelease ActionKind = "delete-release"
)

var verbs = map[ActionKind]Verb{
	ActionView:           VerbView,
	ActionCreate:         VerbCreate,
	ActionPutProcess:     VerbEdit,
	ActionPutInputSet:    VerbEdit,
	ActionPutGroup:       VerbEdit,
	ActionPutFreeze:      VerbEdit,
	ActionPutPolicy:      VerbEdit,
	ActionReschedule:     VerbEdit,
	ActionAddLink:        VerbEdit,
	ActionDeleteInputSet: VerbDelete,
	ActionDeleteGroup:    VerbDelete,
	ActionDeleteFreeze:   VerbDelete,
	ActionDeletePolicy:   VerbDelete,
	ActionDeleteRelease:  VerbDelete,
	ActionStart:          VerbExecute,
	ActionPause:          VerbExecute,
	ActionResume:         VerbExecute,
	ActionRetry:          VerbExecute,
	ActionIgnore:         VerbExecute,
	ActionSkip:           VerbExecute,
	ActionUpdateTask:     VerbExecute,
	ActionComment:        VerbExecute,
	ActionSubmitOutputs:  VerbExecute,
	ActionPauseGroup:     VerbExecute,
	ActionResumeGroup:    VerbExecute,
	ActionApprove:        VerbApprove,
	ActionReject:         VerbApprove,
	ActionAbort:          VerbAbort,
	ActionRollBack:       VerbAbort,
	ActionOverrideFreeze: VerbOverrideFreeze,
	ActionOverridePolicy: VerbOverridePolicy,
	ActionBypassApproval: VerbBypassApproval,
}

// Verb returns the verb the action needs, or "" for a kind the executor
// does not know.
func (k ActionKind) Verb() Verb { return verbs[k] }

// ActionKinds returns every kind of action the executor checks, sorted.
func ActionKinds() []ActionKind {
	ks := make([]ActionKind, 0, len(verbs))
	for k := range verbs {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// releaseView is the Action of by reading the release s describes.
func releaseView(by By, s *release.Summary) *Action {
	return &Action{Kind: ActionView, Resource: ResourceRelease, Actor: by.Actor, Reason: by.Reason,
		Release: s.ID, Process: s.ProcessID, ProcessVersion: s.ProcessVersion, Group: s.Group, Labels: maps.Clone(s.Labels)}
}

// deletionView is the Action of by reading what remains of a deleted
// release: its deletion record and the deployment links it left.
func deletionView(by By, d *store.Deletion) *Action {
	return &Action{Kind: ActionView, Resource: ResourceRelease, Actor: by.Actor, Reason: by.Reason,
		Release: d.Release, Process: d.Process, ProcessVersion: d.ProcessVersion, Group: d.Group, Labels: maps.Clone(d.Labels)}
}

// relView is the Action of by reading r.
func relView(by By, r *release.Release) *Action {
	return &Action{Kind: ActionView, Resource: ResourceRelease, Actor: by.Actor, Reason: by.Reason,
		Release: r.ID, Process: r.ProcessID, ProcessVersion: r.ProcessVersion, Group: r.Group, Labels: maps.Clone(r.Labels)}
}

// freezeView is the Action of by reading f.
func freezeView(by By, f *release.Freeze) *Action {
	return freezeAction(ActionView, by, f.ID, f)
}

// freezeAction is the Action of kind by by on the freeze id, stored as f
// (nil: not stored).
func freezeAction(kind ActionKind, by By, id release.FreezeID, f *release.Freeze) *Action {
	a := &Action{Kind: kind, Resource: ResourceFreeze, Actor: by.Actor, Reason: by.Reason, Freeze: id}
	if f != nil {
		a.setScope(&f.Scope)
	}
	return a
}

// policyAction is the Action of kind by by on the policy id, stored as p
// (nil: not stored).
func policyAction(kind ActionKind, by By, id release.PolicyID, p *release.Policy) *Action {
	a := &Action{Kind: kind, Resource: ResourcePolicy, Actor: by.Actor, Reason: by.Reason, Policy: id}
	if p != nil {
		a.setScope(&p.Scope)
	}
	return a
}

// setScope names the scope sc of the freeze or policy a is about: in
// Scope, and in Process, Group and Labels what every subject in scope has
// (see Action.Labels).
func (a *Action) setScope(sc *release.FreezeScope) {
	c := sc.Clone()
	a.Scope = &c
	if sc.All {
		return
	}
	if len(sc.Processes) == 1 {
		a.Process = sc.Processes[0]
	}
	if len(sc.Groups) == 1 {
		a.Group = sc.Groups[0]
	}
	a.Labels = maps.Clone(sc.Labels)
}

// groupAction is the Action of kind by by on the group g (nil: only its id
// is known).
func groupAction(kind ActionKind, by By, id release.GroupID, g *release.Group) *Action {
	a := &Action{Kind: kind, Resource: ResourceGroup, Actor: by.Actor, Reason: by.Reason, Group: id}
	if g != nil {
		a.Process, a.ProcessVersion, a.Labels = g.Process, g.ProcessVersion, maps.Clone(g.Labels)
	}
	return a
}

// viewable returns items without those the reader may not view, each
// judged by mayView on view(item); items as they are when no authorizer
// is set.
func viewable[T any](ctx context.Context, e *Executor, items []T, view func(T) *Action) []T {
	if e.cfg.Authorize == nil {
		return items
	}
	return slices.DeleteFunc(items, func(x T) bool { return !e.mayView(ctx, view(x)) })
}

// Viewer returns the check Config.Authorize makes of by reading a release
// (ActionView on ResourceRelease, with the release's process, group and
// labels, as Get and List build it), as a function of the release's
// summary: nil when by may view it, else an error matching
// ErrUnauthorized and the authorizer's error (as Get returns). Readers
// that go around the executor pass it to show by only what by may see:
// report.Filter.Viewer and report.GetVisible, notify.Rule.Viewer. With no
// Authorize configured it lets every release through.
func (e *Executor) Viewer(by By) func(ctx context.Context, s *release.Summary) error {
	return ViewerOf(e.cfg.Authorize, by)
}

// ViewerOf is Executor.Viewer for an authorizer given directly (a
// Config.Authorize), for a host that reports without an Executor at hand.
// A nil authorize lets every release through.
func ViewerOf(authorize func(ctx context.Context, a *Action) error, by By) func(ctx context.Context, s *release.Summary) error {
	return func(ctx context.Context, s *release.Summary) error {
		if authorize == nil {
			return nil
		}
		a := releaseView(by, s)
		a.Verb = a.Kind.Verb()
		if err := authorize(ctx, a); err != nil {
			return fmt.Errorf("executor: %s: %w: %w", a.Kind, ErrUnauthorized, err)
		}
		return nil
	}
}

// mayView reports whether Config.Authorize lets a read through, without
// logging a refusal: lists use it to leave out what the reader may not
// see.
func (e *Executor) mayView(ctx context.Context, a *Action) bool {
	a.Verb = a.Kind.Verb()
	return e.cfg.Authorize == nil || e.cfg.Authorize(ctx, a) == nil
}
