package rbac_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/executor/rbac"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/store/memstore"
)

// The role model wired into an executor: the SRE group administers
// everything, alice operates releases of one process, every authenticated
// person may look. Rules are replaced while the executor runs.
func Example() {
	ctx := context.Background()
	groups := map[string][]string{"sre": {"sam"}}
	lookup := func(_ context.Context, g string) ([]string, error) { return groups[g], nil }

	authz, err := rbac.New(&rbac.Rules{Bindings: []rbac.Binding{
		{Subject: "group:sre", Role: rbac.Admin, Scope: rbac.Everything},
		{Subject: "alice", Role: rbac.Operator, Scope: rbac.Scope{Process: "deploy"}},
		{Subject: rbac.Authenticated, Role: rbac.Viewer, Scope: rbac.Everything},
	}}, &rbac.Config{ResolveGroup: lookup, GroupTTL: time.Minute})
	if err != nil {
		panic(err)
	}
	ex, err := executor.New(memstore.New(nil), adapters.NewRegistry(), &executor.Config{
		Authorize: authz.Authorize, ResolveGroup: lookup, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		panic(err)
	}
	if err := ex.Launch(ctx); err != nil {
		panic(err)
	}
	defer func() { _ = ex.Shutdown(ctx) }()

	p, err := process.Parse([]byte(`
id: deploy
phases:
  - id: ship
    activities:
      - {id: check, type: manual, tasks: [{id: t, name: Check}]}
`))
	if err != nil {
		panic(err)
	}
	_, err = ex.PutProcess(ctx, &executor.PutProcessParams{By: executor.By{Actor: "alice"}, Process: p})
	fmt.Println(err)
	_, err = ex.PutProcess(ctx, &executor.PutProcessParams{By: executor.By{Actor: "sam"}, Process: p})
	fmt.Println("sam stores the process:", err == nil)

	sum, err := ex.Create(ctx, &executor.CreateParams{By: executor.By{Actor: "alice"}, Process: "deploy"})
	fmt.Println("alice creates a release:", err == nil)

	err = ex.Pause(ctx, sum.ID, &executor.By{Actor: "bob"})
	fmt.Println("bob pauses it:", errors.Is(err, executor.ErrUnauthorized), errors.Is(err, rbac.ErrDenied))

	// bob joins the on-call rota: the host reloads its rules.
	err = authz.Replace(&rbac.Rules{Bindings: []rbac.Binding{
		{Subject: "group:sre", Role: rbac.Admin, Scope: rbac.Everything},
		{Subject: "alice", Role: rbac.Operator, Scope: rbac.Scope{Process: "deploy"}},
		{Subject: "bob", Role: rbac.Operator, Scope: rbac.Everything},
	}})
	if err != nil {
		panic(err)
	}
	fmt.Println("bob pauses it now:", ex.Pause(ctx, sum.ID, &executor.By{Actor: "bob"}) == nil)
	fmt.Println("alice aborts it:", ex.Abort(ctx, sum.ID, &executor.By{Actor: "alice", Reason: "wrong day"}) == nil)
	// Output:
	// executor: put-process: executor: not authorized: rbac: denied: "alice" lacks "edit" (put-process) on process deploy
	// sam stores the process: true
	// alice creates a release: true
	// bob pauses it: true true
	// bob pauses it now: true
	// alice aborts it: true
}

// A label selector, as a host reads it from its configuration.
func ExampleParseSelector() {
	sel, err := rbac.ParseSelector("env=prod, team=payments")
	if err != nil {
		panic(err)
	}
	scope := rbac.Scope{Process: "checkout", Labels: sel}
	fmt.Println(scope)
	_, err = rbac.ParseSelector("env")
	fmt.Println(err)
	// Output:
	// process=checkout labels{env=prod,team=payments}
	// rbac: selector: term 1 "env": want key=value
}
