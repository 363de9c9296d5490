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
// a role that lists them, admin or a custom one (Rules.Roles).
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
// its parent's labels with the subprocess activity's over them. See Scope
// for the details.
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
// configuration while the executor runs. Invalid rules are refused with
// every problem named, and the rules in place stay.
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
