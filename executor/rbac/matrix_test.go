package rbac

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/stretchr/testify/require"
)

// roleVerbs is what each predefined role must grant, written out here
// rather than read from PredefinedRoles, so that a change to a role shows
// up as a failing test.
var roleVerbs = map[string][]executor.Verb{
	Viewer:         {executor.VerbView},
	Operator:       {executor.VerbView, executor.VerbCreate, executor.VerbExecute, executor.VerbAbort},
	Approver:       {executor.VerbView, executor.VerbApprove},
	ReleaseManager: {executor.VerbView, executor.VerbCreate, executor.VerbEdit, executor.VerbDelete, executor.VerbExecute, executor.VerbAbort, executor.VerbApprove},
	Admin: {executor.VerbView, executor.VerbCreate, executor.VerbEdit, executor.VerbDelete, executor.VerbExecute, executor.VerbApprove,
		executor.VerbAbort, executor.VerbOverrideFreeze, executor.VerbOverridePolicy, executor.VerbBypassApproval},
	"freeze-breaker": {executor.VerbOverrideFreeze},
}

// The scopes of the matrix.
var matrixScopes = map[string]Scope{
	"all":                Everything,
	"process=p":          {Process: "p"},
	"group=g":            {Group: "g"},
	"env=prod":           {Labels: map[string]string{"env": "prod"}},
	"process=p,env=prod": {Process: "p", Labels: map[string]string{"env": "prod"}},
	"env=prod,team=x":    {Labels: map[string]string{"env": "prod", "team": "x"}},
}

// matrixTarget is something an action can be about, and the scopes that
// cover it (written out by hand).
type matrixTarget struct {
	name    string
	action  executor.Action // Kind, Verb and Actor are set per case
	covered []string
}

var matrixTargets = []matrixTarget{
	{"release of p in group g labelled env=prod",
		executor.Action{Resource: executor.ResourceRelease, Release: "r1", Process: "p", Group: "g", Labels: map[string]string{"env": "prod"}},
		[]string{"all", "process=p", "group=g", "env=prod", "process=p,env=prod"}},
	{"release of q labelled env=staging",
		executor.Action{Resource: executor.ResourceRelease, Release: "r2", Process: "q", Labels: map[string]string{"env": "staging"}},
		[]string{"all"}},
	{"activity labelled env=prod in a release of p without labels",
		executor.Action{Resource: executor.ResourceActivity, Release: "r3", Activity: "deploy.rollout", Process: "p", ActivityLabels: map[string]string{"env": "prod"}},
		[]string{"all", "process=p", "env=prod", "process=p,env=prod"}},
	{"activity labelled env=staging in a release of p labelled env=prod",
		executor.Action{Resource: executor.ResourceActivity, Release: "r4", Activity: "qa.smoke", Process: "p", Labels: map[string]string{"env": "prod"}, ActivityLabels: map[string]string{"env": "staging"}},
		[]string{"all", "process=p"}},
	{"activity without labels in a release of p labelled env=prod",
		executor.Action{Resource: executor.ResourceActivity, Release: "r4", Activity: "qa.smoke", Process: "p", Labels: map[string]string{"env": "prod"}, ActivityLabels: map[string]string{}},
		[]string{"all", "process=p", "env=prod", "process=p,env=prod"}},
	{"child release of q started in group g's tree, labelled env=prod",
		executor.Action{Resource: executor.ResourceRelease, Release: "r5", Process: "q",
			Labels: map[string]string{"env": "prod", executor.LabelFreezeGroup: "g", executor.LabelParent: "r1"}},
		[]string{"all", "group=g", "env=prod"}},
	{"group g labelled env=prod",
		executor.Action{Resource: executor.ResourceGroup, Group: "g", Labels: map[string]string{"env": "prod"}},
		[]string{"all", "group=g", "env=prod"}},
	{"group h with a forged freeze-group label",
		executor.Action{Resource: executor.ResourceGroup, Group: "h", Labels: map[string]string{executor.LabelFreezeGroup: "g"}},
		[]string{"all"}},
	{"process p",
		executor.Action{Resource: executor.ResourceProcess, Process: "p"},
		[]string{"all", "process=p"}},
	{"input set of process q",
		executor.Action{Resource: executor.ResourceInputSet, Process: "q", InputSet: "prod"},
		[]string{"all"}},
	{"freeze f, not stored",
		executor.Action{Resource: executor.ResourceFreeze, Freeze: "f"},
		[]string{"all"}},
	{"freeze f scoped to everything",
		executor.Action{Resource: executor.ResourceFreeze, Freeze: "f", Scope: &release.FreezeScope{All: true}},
		[]string{"all"}},
	{"freeze f scoped to env=prod in process p",
		executor.Action{Resource: executor.ResourceFreeze, Freeze: "f", Process: "p", Labels: map[string]string{"env": "prod"},
			Scope: &release.FreezeScope{Processes: []process.ID{"p"}, Labels: map[string]string{"env": "prod"}}},
		[]string{"all", "process=p", "env=prod", "process=p,env=prod"}},
	{"freeze f scoped to env=prod,team=x in processes p and q",
		executor.Action{Resource: executor.ResourceFreeze, Freeze: "f", Labels: map[string]string{"env": "prod", "team": "x"},
			Scope: &release.FreezeScope{Processes: []process.ID{"p", "q"}, Labels: map[string]string{"env": "prod", "team": "x"}}},
		[]string{"all", "env=prod", "env=prod,team=x"}},
	{"freeze f scoped to group g with a forged freeze-group label",
		executor.Action{Resource: executor.ResourceFreeze, Freeze: "f", Group: "g", Labels: map[string]string{executor.LabelFreezeGroup: "h"},
			Scope: &release.FreezeScope{Groups: []release.GroupID{"g"}, Labels: map[string]string{executor.LabelFreezeGroup: "h"}}},
		[]string{"all", "group=g"}},
	{"policy, not stored",
		executor.Action{Resource: executor.ResourcePolicy},
		[]string{"all"}},
	{"policy scoped to groups g and h",
		executor.Action{Resource: executor.ResourcePolicy, Policy: "cab", Scope: &release.FreezeScope{Groups: []release.GroupID{"g", "h"}}},
		[]string{"all"}},
	{"policy scoped to env=prod",
		executor.Action{Resource: executor.ResourcePolicy, Policy: "cab", Labels: map[string]string{"env": "prod"},
			Scope: &release.FreezeScope{Labels: map[string]string{"env": "prod"}}},
		[]string{"all", "env=prod"}},
	{"new release of p labelled env=prod",
		executor.Action{Resource: executor.ResourceRelease, Process: "p", Labels: map[string]string{"env": "prod"}},
		[]string{"all", "process=p", "env=prod", "process=p,env=prod"}},
}

// TestMatrix checks every role (the predefined ones and a custom one)
// against every action kind the executor knows, over every scope and
// target: allowed exactly when the role grants the kind's verb and the
// scope covers the target. The binding is of alice; bob, bound to nothing,
// is refused everything.
func TestMatrix(t *testing.T) {
	ctx := context.Background()
	require.Len(t, KnownVerbs(), 10, "a verb was added: give it a row in roleVerbs (admin at least)")
	for role, want := range roleVerbs {
		slices.Sort(want)
		if role == Admin {
			require.Equal(t, KnownVerbs(), want)
		}
	}
	for role, verbs := range roleVerbs {
		for scopeName, scope := range matrixScopes {
			rules := &Rules{
				Roles:    []Role{{Name: "freeze-breaker", Verbs: []executor.Verb{executor.VerbOverrideFreeze}}},
				Bindings: []Binding{{Subject: "alice", Role: role, Scope: scope}},
			}
			a, err := New(rules, nil)
			require.NoError(t, err)
			for _, tg := range matrixTargets {
				probe := tg.action
				probe.Actor = "alice"
				held, err := a.Verbs(ctx, &probe)
				require.NoError(t, err)
				for _, v := range KnownVerbs() {
					require.Equal(t, slices.Contains(verbs, v) && slices.Contains(tg.covered, scopeName), slices.Contains(held, v),
						"Verbs: %s over %s: %s on %s", role, scopeName, v, tg.name)
				}
				for _, kind := range executor.ActionKinds() {
					act := tg.action
					act.Kind, act.Verb, act.Actor = kind, kind.Verb(), "alice"
					want := slices.Contains(verbs, kind.Verb()) && slices.Contains(tg.covered, scopeName)
					err := a.Authorize(ctx, &act)
					name := fmt.Sprintf("%s over %s: %s on %s", role, scopeName, kind, tg.name)
					if want {
						require.NoError(t, err, name)
					} else {
						require.ErrorIs(t, err, ErrDenied, name)
						var de *DeniedError
						require.ErrorAs(t, err, &de, name)
						require.Equal(t, "alice", de.Actor)
						require.Equal(t, kind.Verb(), de.Verb)
						require.Equal(t, kind, de.Kind)
					}
					act.Actor = "bob"
					require.ErrorIs(t, a.Authorize(ctx, &act), ErrDenied, "bob, bound to nothing: "+name)
					act.Actor = ""
					require.ErrorIs(t, a.Authorize(ctx, &act), ErrDenied, "anonymous: "+name)
				}
			}
		}
	}
}

// The overrides are granted by no predefined role but admin: execute (or
// anything else) implies none of them.
func TestOverridesOnlyInAdmin(t *testing.T) {
	for _, r := range PredefinedRoles() {
		for _, v := range []executor.Verb{executor.VerbOverrideFreeze, executor.VerbOverridePolicy, executor.VerbBypassApproval} {
			require.Equal(t, r.Name == Admin, slices.Contains(r.Verbs, v), "%s and %s", r.Name, v)
		}
	}
}

// An action whose verb the executor does not know is refused, even to an
// admin over everything.
func TestUnknownVerbIsRefused(t *testing.T) {
	a, err := New(&Rules{Bindings: []Binding{{Subject: "root", Role: Admin, Scope: Everything}}}, nil)
	require.NoError(t, err)
	err = a.Authorize(context.Background(), &executor.Action{Kind: "launch-missiles", Actor: "root", Release: "r"})
	require.ErrorIs(t, err, ErrDenied)
	require.Contains(t, err.Error(), "launch-missiles")
	err = a.Authorize(context.Background(), &executor.Action{Kind: executor.ActionAbort, Verb: "frobnicate", Actor: "root", Release: "r"})
	require.ErrorIs(t, err, ErrDenied)
	require.ErrorIs(t, a.Authorize(context.Background(), nil), ErrDenied, "no action, no panic")
	// Verb left empty by a host calling Authorize itself: the kind's.
	require.NoError(t, a.Authorize(context.Background(), &executor.Action{Kind: executor.ActionAbort, Actor: "root", Release: "r"}))
}

func TestDeniedErrorSaysWhoLackedWhatOnWhat(t *testing.T) {
	a, err := New(&Rules{Bindings: []Binding{{Subject: "bob", Role: Viewer, Scope: Everything}}}, nil)
	require.NoError(t, err)
	err = a.Authorize(context.Background(), &executor.Action{Kind: executor.ActionRetry, Verb: executor.VerbExecute, Actor: "bob",
		Release: "0190", Activity: "deploy.rollout", Process: "shop", Group: "nightly",
		Labels: map[string]string{"team": "web", executor.LabelParent: "x"}, ActivityLabels: map[string]string{"env": "prod"}})
	require.EqualError(t, err, `rbac: denied: "bob" lacks "execute" (retry) on release 0190 activity deploy.rollout (process shop, group nightly) labelled {env=prod,team=web}`)
	err = a.Authorize(context.Background(), &executor.Action{Kind: executor.ActionView, Verb: executor.VerbView, Resource: executor.ResourceFreeze, Freeze: "xmas"})
	require.EqualError(t, err, `rbac: denied: anonymous lacks "view" (view) on freeze xmas`)
}

var errDirectory = errors.New("directory down")
