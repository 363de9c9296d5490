package executor_test

import (
	"context"
	"fmt"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
)

// A subprocess activity runs another process as a child release whose id
// is derived from the parent, the activity and the attempt: ChildID finds
// it from the parent's state, and the child's labels point back.
func ExampleChildID() {
	ctx := context.Background()
	st := memstore.New(nil)
	for _, doc := range []string{
		"id: smoke\nphases:\n  - id: checks\n    activities:\n      - {id: api, uses: noop}\n",
		"id: ship\nphases:\n  - id: deploy\n    activities:\n      - {id: smoke, type: subprocess, process: smoke}\n",
	} {
		p, err := process.Parse([]byte(doc))
		if err != nil {
			panic(err)
		}
		if _, err := st.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: "alice", Now: time.Now()}); err != nil {
			panic(err)
		}
	}
	noop := adapters.Func("noop", func(context.Context, *adapters.Request) (*adapters.Result, error) { return &adapters.Result{}, nil })
	ex, err := executor.New(st, adapters.NewRegistry(noop), nil)
	if err != nil {
		panic(err)
	}
	if err := ex.Launch(ctx); err != nil {
		panic(err)
	}
	defer func() { _ = ex.Shutdown(ctx) }()

	sum, err := ex.Create(ctx, &executor.CreateParams{Process: "ship", By: executor.By{Actor: "alice"}})
	if err != nil {
		panic(err)
	}
	parent, err := ex.Wait(ctx, sum.ID, nil)
	if err != nil {
		panic(err)
	}
	a := parent.Activities["deploy.smoke"]
	child, err := ex.Get(ctx, executor.ChildID(parent.ID, "deploy.smoke", len(a.Attempts)), nil)
	if err != nil {
		panic(err)
	}
	fmt.Println("parent:", parent.Status)
	fmt.Println("child:", child.ProcessID, child.Status)
	fmt.Println("points back:", child.Labels[executor.LabelParent] == string(parent.ID), child.Labels[executor.LabelParentActivity])
	fmt.Println("derived again:", executor.ChildID(parent.ID, "deploy.smoke", 1) == child.ID)
	// Output:
	// parent: Succeeded
	// child: smoke Succeeded
	// points back: true deploy.smoke
	// derived again: true
}
