package rbac

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batonhq/baton/executor"
	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/require"
)

func abortOf(actor string) *executor.Action {
	return &executor.Action{Kind: executor.ActionAbort, Verb: executor.VerbAbort, Actor: actor, Release: "r", Process: "p"}
}

func viewOf(actor string) *executor.Action {
	return &executor.Action{Kind: executor.ActionView, Verb: executor.VerbView, Actor: actor, Release: "r", Process: "p"}
}

// directory is a ResolveGroup that counts its calls.
type directory struct {
	mu      sync.Mutex
	members map[string][]string
	fail    map[string]error
	calls   map[string]int
}

func (d *directory) resolve(_ context.Context, g string) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.calls == nil {
		d.calls = map[string]int{}
	}
	d.calls[g]++
	if err := d.fail[g]; err != nil {
		return nil, err
	}
	return d.members[g], nil
}

func (d *directory) count(g string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls[g]
}

func TestAnonymousOnlyThroughItsOwnBinding(t *testing.T) {
	ctx := context.Background()
	dir := &directory{members: map[string][]string{"everyone": {"", "alice"}}}
	rules := &Rules{Bindings: []Binding{
		{Subject: Authenticated, Role: Admin, Scope: Everything},
		{Subject: "group:everyone", Role: Admin, Scope: Everything},
	}}
	a, err := New(rules, &Config{ResolveGroup: dir.resolve})
	require.NoError(t, err)
	require.NoError(t, a.Authorize(ctx, viewOf("carol")), "Authenticated covers any named actor")
	require.ErrorIs(t, a.Authorize(ctx, viewOf("")), ErrDenied, "an empty actor is not authenticated, nor a group member")
	require.Zero(t, dir.count("everyone"), "no group is looked up for an anonymous actor")

	rules.Bindings = append(rules.Bindings, Binding{Subject: Anonymous, Role: Viewer, Scope: Scope{Process: "p"}})
	require.NoError(t, a.Replace(rules))
	require.NoError(t, a.Authorize(ctx, viewOf("")))
	other := viewOf("")
	other.Process = "q"
	require.ErrorIs(t, a.Authorize(ctx, other), ErrDenied, "the anonymous binding's scope holds")
	require.ErrorIs(t, a.Authorize(ctx, abortOf("")), ErrDenied)
	// An actor who calls himself by the anonymous subject's name gets
	// nothing from it.
	b, err := New(&Rules{Bindings: []Binding{{Subject: Anonymous, Role: Viewer, Scope: Everything}}}, nil)
	require.NoError(t, err)
	require.ErrorIs(t, b.Authorize(ctx, viewOf(Anonymous)), ErrDenied)
	require.ErrorIs(t, b.Authorize(ctx, viewOf(Authenticated)), ErrDenied)
}

func TestAnonymousMayOnlyView(t *testing.T) {
	_, err := New(&Rules{Bindings: []Binding{{Subject: Anonymous, Role: Operator, Scope: Everything}}}, nil)
	require.ErrorIs(t, err, ErrInvalid)
	require.ErrorContains(t, err, "bindings[0].role")
	_, err = New(&Rules{Roles: []Role{{Name: "reader", Verbs: []executor.Verb{executor.VerbView}}},
		Bindings: []Binding{{Subject: Anonymous, Role: "reader", Scope: Everything}}}, nil)
	require.NoError(t, err)
}

// A person binding is matched by name only: an actor named like a group
// subject is not the group's member, and a group subject is not a person.
func TestGroupSubjectsAreNotPeople(t *testing.T) {
	ctx := context.Background()
	dir := &directory{members: map[string][]string{"ops": {"alice"}}}
	a, err := New(&Rules{Bindings: []Binding{{Subject: "group:ops", Role: Operator, Scope: Everything}}}, &Config{ResolveGroup: dir.resolve})
	require.NoError(t, err)
	require.NoError(t, a.Authorize(ctx, abortOf("alice")))
	require.ErrorIs(t, a.Authorize(ctx, abortOf("group:ops")), ErrDenied)
	require.ErrorIs(t, a.Authorize(ctx, abortOf("ops")), ErrDenied)
	require.ErrorIs(t, a.Authorize(ctx, abortOf("alice ")), ErrDenied, "names match exactly")
}

// Groups are looked up only when one of their bindings would grant the
// action and no person binding does, each once per call.
func TestGroupsAreLookedUpOnlyWhenTheyCouldGrant(t *testing.T) {
	ctx := context.Background()
	dir := &directory{members: map[string][]string{"ops": {"alice"}, "viewers": {"alice", "bob"}, "prod": {"bob"}}}
	a, err := New(&Rules{Bindings: []Binding{
		{Subject: "alice", Role: Admin, Scope: Scope{Process: "p"}},
		{Subject: "group:ops", Role: Operator, Scope: Everything},
		{Subject: "group:ops", Role: Operator, Scope: Scope{Process: "p"}},
		{Subject: "group:viewers", Role: Viewer, Scope: Everything},
		{Subject: "group:prod", Role: Operator, Scope: Scope{Labels: map[string]string{"env": "prod"}}},
	}}, &Config{ResolveGroup: dir.resolve})
	require.NoError(t, err)
	require.NoError(t, a.Authorize(ctx, abortOf("alice")))
	require.Zero(t, dir.count("ops")+dir.count("viewers")+dir.count("prod"), "alice's own binding grants it")
	err = a.Authorize(ctx, abortOf("bob"))
	require.ErrorIs(t, err, ErrDenied)
	require.Equal(t, 1, dir.count("ops"), "ops is looked up once although two of its bindings grant abort")
	require.Zero(t, dir.count("viewers"), "viewers does not grant abort")
	require.Zero(t, dir.count("prod"), "prod's scope does not cover the release")
}

func TestUnresolvableGroupGrantsNothingAndIsNamed(t *testing.T) {
	ctx := context.Background()
	dir := &directory{fail: map[string]error{"ops": errDirectory}, members: map[string][]string{"devs": {"bob"}}}
	a, err := New(&Rules{Bindings: []Binding{
		{Subject: "group:ops", Role: Operator, Scope: Everything},
		{Subject: "group:devs", Role: Operator, Scope: Everything},
	}}, &Config{ResolveGroup: dir.resolve})
	require.NoError(t, err)
	require.NoError(t, a.Authorize(ctx, abortOf("bob")), "another group still grants")
	err = a.Authorize(ctx, abortOf("alice"))
	require.ErrorIs(t, err, ErrDenied)
	require.ErrorIs(t, err, errDirectory)
	var de *DeniedError
	require.ErrorAs(t, err, &de)
	require.Equal(t, []string{"group:ops"}, de.Unresolved)
	require.Contains(t, err.Error(), "group(s) group:ops could not be resolved: group:ops: directory down")

	// Without a resolver, group bindings grant nothing.
	b, err := New(&Rules{Bindings: []Binding{{Subject: "group:ops", Role: Operator, Scope: Everything}}}, nil)
	require.NoError(t, err)
	require.ErrorContains(t, b.Authorize(ctx, abortOf("alice")), "no ResolveGroup configured")
}

// With GroupTTL, members are kept on the clock; failed lookups are not;
// ForgetGroups and Replace drop what is kept.
func TestGroupTTL(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewMock()
	dir := &directory{members: map[string][]string{"ops": {"alice"}}}
	rules := &Rules{Bindings: []Binding{{Subject: "group:ops", Role: Operator, Scope: Everything}}}
	a, err := New(rules, &Config{ResolveGroup: dir.resolve, GroupTTL: time.Minute, Clock: clk})
	require.NoError(t, err)
	for range 3 {
		require.NoError(t, a.Authorize(ctx, abortOf("alice")))
		require.ErrorIs(t, a.Authorize(ctx, abortOf("bob")), ErrDenied)
	}
	require.Equal(t, 1, dir.count("ops"))

	dir.mu.Lock()
	dir.members["ops"] = []string{"bob"}
	dir.mu.Unlock()
	clk.Add(59 * time.Second)
	require.NoError(t, a.Authorize(ctx, abortOf("alice")), "kept for the TTL")
	clk.Add(time.Second)
	require.ErrorIs(t, a.Authorize(ctx, abortOf("alice")), ErrDenied, "looked up again once the TTL is over")
	require.NoError(t, a.Authorize(ctx, abortOf("bob")))
	require.Equal(t, 2, dir.count("ops"))

	dir.mu.Lock()
	dir.members["ops"] = []string{"alice"}
	dir.mu.Unlock()
	a.ForgetGroups()
	require.NoError(t, a.Authorize(ctx, abortOf("alice")))
	require.Equal(t, 3, dir.count("ops"))

	dir.mu.Lock()
	dir.fail = map[string]error{"ops": errDirectory}
	dir.mu.Unlock()
	require.NoError(t, a.Replace(&Rules{Bindings: []Binding{{Subject: "alice", Role: Viewer, Scope: Everything}}}))
	require.NoError(t, a.Replace(rules))
	require.ErrorIs(t, a.Authorize(ctx, abortOf("alice")), errDirectory, "a group no longer bound is forgotten")
	require.ErrorIs(t, a.Authorize(ctx, abortOf("alice")), errDirectory, "a failed lookup is not kept")
	require.Equal(t, 5, dir.count("ops"))
}

// A lookup that began before ForgetGroups is not kept: it may predate the
// change the host learned of.
func TestForgetGroupsDuringALookup(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewMock()
	var calls atomic.Int32
	entered, release := make(chan struct{}), make(chan struct{})
	resolve := func(ctx context.Context, g string) ([]string, error) {
		if calls.Add(1) == 1 {
			close(entered)
			<-release
			return []string{"alice"}, nil // stale: alice was removed meanwhile
		}
		return []string{"bob"}, nil
	}
	a, err := New(&Rules{Bindings: []Binding{{Subject: "group:ops", Role: Operator, Scope: Everything}}},
		&Config{ResolveGroup: resolve, GroupTTL: time.Hour, Clock: clk})
	require.NoError(t, err)
	done := make(chan error)
	go func() { done <- a.Authorize(ctx, abortOf("alice")) }()
	<-entered
	a.ForgetGroups()
	close(release)
	require.NoError(t, <-done, "the call judged by the lookup it made")
	require.ErrorIs(t, a.Authorize(ctx, abortOf("alice")), ErrDenied, "the stale lookup was not kept")
	require.Equal(t, int32(2), calls.Load())
}

// Replace swaps the rules while Authorize runs (run with -race); each call
// judges by one set of rules.
func TestReplaceWhileAuthorizing(t *testing.T) {
	ctx := context.Background()
	grant := &Rules{Bindings: []Binding{{Subject: "alice", Role: Operator, Scope: Everything}}}
	deny := &Rules{Bindings: []Binding{{Subject: "alice", Role: Viewer, Scope: Everything}}}
	a, err := New(grant, nil)
	require.NoError(t, err)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := a.Authorize(ctx, abortOf("alice")); err != nil && !errors.Is(err, ErrDenied) {
					panic(err)
				}
				if err := a.Authorize(ctx, viewOf("alice")); err != nil {
					panic(fmt.Sprintf("view is granted by both rule sets: %v", err))
				}
			}
		})
	}
	for i := range 200 {
		r := grant
		if i%2 == 1 {
			r = deny
		}
		require.NoError(t, a.Replace(r))
	}
	close(stop)
	wg.Wait()
	require.NoError(t, a.Replace(deny))
	require.ErrorIs(t, a.Authorize(ctx, abortOf("alice")), ErrDenied)
}

func TestNilRulesDenyEverything(t *testing.T) {
	a, err := New(nil, nil)
	require.NoError(t, err)
	for _, k := range executor.ActionKinds() {
		require.ErrorIs(t, a.Authorize(context.Background(), &executor.Action{Kind: k, Actor: "root", Release: "r"}), ErrDenied)
	}
}

// Bad rules are refused with every problem named, and the rules in place
// stay.
func TestBadRules(t *testing.T) {
	a, err := New(&Rules{Bindings: []Binding{{Subject: "alice", Role: Operator, Scope: Everything}}}, nil)
	require.NoError(t, err)
	bad := &Rules{
		Roles: []Role{
			{Name: "Ops", Verbs: []executor.Verb{executor.VerbView}},
			{Name: Admin, Verbs: []executor.Verb{executor.VerbView}},
			{Name: "empty"},
			{Name: "typo", Verbs: []executor.Verb{"exectue"}},
			{Name: "dup", Verbs: []executor.Verb{executor.VerbView}},
			{Name: "dup", Verbs: []executor.Verb{executor.VerbView}},
		},
		Bindings: []Binding{
			{Subject: "bob", Role: "nope", Scope: Everything},
			{Subject: "bob", Role: Viewer},
			{Subject: "bob", Role: Viewer, Scope: Scope{All: true, Process: "p"}},
			{Subject: "bob", Role: Viewer, Scope: Scope{Labels: map[string]string{"Env": "prod"}}},
			{Subject: "", Role: Viewer, Scope: Everything},
			{Subject: "group:", Role: Viewer, Scope: Everything},
			{Subject: "system:root", Role: Viewer, Scope: Everything},
			{Subject: " bob", Role: Viewer, Scope: Everything},
		},
	}
	err = a.Replace(bad)
	require.ErrorIs(t, err, ErrInvalid)
	for _, want := range []string{
		`roles[0].name: "Ops": want 1 to 64`,
		`roles[1].name: "admin" is a predefined role`,
		`roles[2].verbs: empty`,
		`roles[3].verbs[0]: "exectue" is not a verb the executor knows`,
		`roles[5].name: "dup": role defined twice`,
		`bindings[0].role: "nope": no such role`,
		`bindings[1].scope: empty: want all`,
		`bindings[2].scope: all: cannot be combined`,
		`bindings[3].scope: labels: "Env" is not a valid label key`,
		`bindings[4].subject: "": want a person's name`,
		`bindings[5].subject: "group:": want group:NAME`,
		`bindings[6].subject: "system:root": subjects starting with "system:" are reserved`,
		`bindings[7].subject: " bob": want a person's name`,
	} {
		require.ErrorContains(t, err, want)
	}
	require.NoError(t, a.Authorize(context.Background(), abortOf("alice")), "the rules in place stay")
}
