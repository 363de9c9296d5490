// Package rbac is a ready role model for the executor's authorizer
// (executor.Config.Authorize): roles are sets of verbs, bindings grant a
// role to a person or a group over a scope, and nothing is allowed that no
// binding grants.
//
// # Roles
//
// A role is a named set of executor.Verb. The predefined roles are
// viewer (view), operator (view, create, execute, abort), approver (view,
// approve), release-manager (view, create, edit, delete, execute, abort,
// approve) and admin (every verb). No verb implies another: the overrides
// (override-freeze, override-policy, bypass-approval) are granted only by
// a role that lists them, admin or a custom one (Rules.Roles). Roles say
// what a person may attempt, not who an approval or task is for: the
// executor still lets only an approval's approvers decide it and a task's
// assignees (if it names any) update it, so binding approver to
// Authenticated over everything lets each approval's own approvers
// decide, and nobody else.
//
// # Bindings and scopes
//
// A Binding names a subject, a role and a Scope. The subject is a person
// (the actor name the host passes to the executor), "group:NAME" (resolved
// through Config.ResolveGroup, the signature of executor.Config's), or one
// of two reserved subjects: Authenticated, every non-empty actor, and
// Anonymous, the empty actor of a read (executor.ActionView): an anonymous
// read passes only if a binding of Anonymous grants view over what it
// reads; no other binding covers it.
//
// A scope is everything, or any combination (ANDed) of a process, a group
// and a label selector such as env=prod (ParseSelector). A selector
// matches the labels of what the action is about: for an action on an
// activity, the activity's effective labels over its release's labels, so
// that an activity labelled env=prod is covered by an env=prod binding in
// any release, and release-wide actions by the release's labels. A child
// release (started by a subprocess activity) is judged as a release of
// the subprocess's process, in the group of its release tree, carrying
// its parent's labels with the subprocess activity's over them. An action
// on a freeze or a policy (viewing, editing, deleting it) is judged on
// that freeze's or policy's own scope: a binding covers it when every
// release or activity it can judge is within the binding's scope, so
// "release-manager over env=prod" may edit the freezes scoped to env=prod
// (or to env=prod and more), not one scoped to everything or to
// env=staging; replacing one is judged on its stored scope and its new
// one. See Scope for the details.
//
// # Refusals
//
// A refusal is a *DeniedError that names the actor, the verb, the action
// and what it was about, and matches ErrDenied; the executor wraps it in
// its own error matching executor.ErrUnauthorized:
//
//	err := ex.Abort(ctx, id, &executor.By{Actor: "bob", Reason: "stop"})
//	errors.Is(err, executor.ErrUnauthorized) // true
//	errors.Is(err, rbac.ErrDenied)           // true
//
// Authorizer.Verbs lists the verbs a person holds over what an action is
// about, for an interface that offers only what they may do.
//
// # Groups
//
// A group is looked up only when one of its bindings would grant the
// action and no binding of the actor as a person (or Authenticated) does;
// each group at most once per call. The resolver may be slow: with
// Config.GroupTTL the members are kept for that long on Config.Clock, and
// a failed lookup grants nothing from that group (the refusal says which
// group and why), and is not kept.
//
// # Changing the rules
//
// An Authorizer is safe for concurrent use. Replace swaps roles and
// bindings at once (an atomic snapshot): a host reloads them from its own
// configuration while the executor runs (ParseRules reads them from YAML
// or JSON). Invalid rules are refused with every problem named, and the
// rules in place stay.
//
// Wiring:
//
//	authz, err := rbac.New(&rbac.Rules{Bindings: []rbac.Binding{
//		{Subject: "group:sre", Role: rbac.Admin, Scope: rbac.Everything},
//		{Subject: "alice", Role: rbac.Operator, Scope: rbac.Scope{Labels: map[string]string{"env": "staging"}}},
//		{Subject: rbac.Authenticated, Role: rbac.Viewer, Scope: rbac.Everything},
//	}}, &rbac.Config{ResolveGroup: lookup, GroupTTL: time.Minute})
//	ex, err := executor.New(st, reg, &executor.Config{Authorize: authz.Authorize, ResolveGroup: lookup})
package rbac
