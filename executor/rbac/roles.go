package rbac

import (
	"slices"

	"github.com/batonhq/baton/executor"
)

// The predefined roles, by name. Custom roles (Rules.Roles) may not reuse
// these names.
const (
	// Viewer reads: releases, their events and explanations, the calendar,
	// processes, input sets, groups, freezes and policies.
	Viewer = "viewer"
	// Operator drives releases day to day: it views, creates releases,
	// executes them (start, pause, resume, retry, ignore, skip, tasks,
	// outputs, comments, pausing and resuming a group) and aborts or rolls
	// them back. It changes no definition and decides no approval.
	Operator = "operator"
	// Approver views and decides approvals. The executor still lets only
	// an approval's own approvers decide it: the role is what lets them
	// act at all.
	Approver = "approver"
	// ReleaseManager owns the releases and definitions in its scope:
	// everything Operator and Approver do, plus edit (store processes,
	// input sets, groups, freezes; reschedule; add links) and delete. It
	// overrides nothing: no freeze, no policy, no approval bypass.
	ReleaseManager = "release-manager"
	// Admin has every verb the executor knows, the overrides included.
	Admin = "admin"
)

// Role is a named set of verbs: a binding of a subject to a role grants
// the subject those verbs over the binding's scope, and nothing else.
// No verb implies another: execute does not imply override-freeze,
// override-policy or bypass-approval, which only a role that lists them
// grants.
type Role struct {
	// Name is how bindings refer to the role: 1 to 64 lower-case
	// letters, digits, '-' and '_'.
	Name string `json:"name"`
	// Verbs are the verbs the role grants (executor.VerbView, ...). Each
	// must be one the executor knows.
	Verbs []executor.Verb `json:"verbs"`
}

// KnownVerbs returns every verb the executor checks (those of
// executor.ActionKinds), sorted.
func KnownVerbs() []executor.Verb {
	var vs []executor.Verb
	for _, k := range executor.ActionKinds() {
		if v := k.Verb(); v != "" && !slices.Contains(vs, v) {
			vs = append(vs, v)
		}
	}
	slices.Sort(vs)
	return vs
}

// PredefinedRoles returns the predefined roles (a fresh copy each call):
//
//	viewer           view
//	operator         view create execute abort
//	approver         view approve
//	release-manager  view create edit delete execute abort approve
//	admin            every verb (KnownVerbs), the overrides included:
//	                 override-freeze, override-policy, bypass-approval
//
// The overrides are in admin only; a host that wants a narrower
// break-glass role defines it (Rules.Roles), for example
// {Name: "freeze-breaker", Verbs: []executor.Verb{executor.VerbOverrideFreeze}}.
func PredefinedRoles() []Role {
	return []Role{
		{Name: Viewer, Verbs: []executor.Verb{executor.VerbView}},
		{Name: Operator, Verbs: []executor.Verb{executor.VerbView, executor.VerbCreate, executor.VerbExecute, executor.VerbAbort}},
		{Name: Approver, Verbs: []executor.Verb{executor.VerbView, executor.VerbApprove}},
		{Name: ReleaseManager, Verbs: []executor.Verb{executor.VerbView, executor.VerbCreate, executor.VerbEdit, executor.VerbDelete,
			executor.VerbExecute, executor.VerbAbort, executor.VerbApprove}},
		{Name: Admin, Verbs: KnownVerbs()},
	}
}
