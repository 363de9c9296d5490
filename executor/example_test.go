package executor_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
)

const webProcess = `
id: web
inputs:
  env: {enum: [staging, production], default: staging}
phases:
  - id: ship
    activities:
      - id: approve
        type: approval
        approval: {approvers: [bob]}
      - id: deploy
        uses: cd.deploy
        depends-on: [approve]
        with: {env: '${{ inputs.env }}'}
        outputs: [url]
`

// setup stores the process and returns an executor running until stop.
func setup() (ex *executor.Executor, stop func()) {
	ctx := context.Background()
	st := memstore.New(nil)
	p, err := process.Parse([]byte(webProcess))
	if err != nil {
		panic(err)
	}
	if _, err := st.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: "alice", Now: time.Now()}); err != nil {
		panic(err)
	}
	reg := adapters.NewRegistry(adapters.Func("cd.deploy", func(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
		return &adapters.Result{Outputs: map[string]any{"url": "https://" + req.With["env"].(string) + ".example.com"}}, nil
	}))
	ex, err = executor.New(st, reg, nil)
	if err != nil {
		panic(err)
	}
	if err := ex.Launch(ctx); err != nil {
		panic(err)
	}
	return ex, func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := ex.Shutdown(stopCtx); err != nil {
			panic(err)
		}
	}
}

// A release waits for its approval, explains why, and goes on once approved.
func Example() {
	ex, stop := setup()
	defer stop()
	ctx := context.Background()
	sub := ex.Subscribe(ctx, &executor.SubscribeParams{Filter: executor.Filter{Kinds: []release.EventKind{release.KindActivityWaiting, release.KindReleaseSucceeded}}, Buffer: 16})
	defer sub.Close()

	sum, err := ex.Create(ctx, &executor.CreateParams{Process: "web", By: executor.By{Actor: "alice"}})
	if err != nil {
		panic(err)
	}
	<-sub.C() // activity.waiting
	why, _ := ex.Why(ctx, sum.ID, "ship.deploy", nil)
	fmt.Println(why.Reasons[0].Text)
	why, _ = ex.Why(ctx, sum.ID, "ship.approve", nil)
	fmt.Println(why.Reasons[0].Text)

	if err := ex.Approve(ctx, sum.ID, "ship.approve", &executor.DecisionParams{By: executor.By{Actor: "bob", Reason: "go"}}); err != nil {
		panic(err)
	}
	<-sub.C() // release.succeeded
	r, _ := ex.Get(ctx, sum.ID, nil)
	fmt.Println(r.Status, r.Activities["ship.deploy"].Outputs["url"])
	// Output:
	// dependency ship.approve is Waiting
	// approval 0 of 1 from bob
	// Succeeded https://staging.example.com
}

// An action that does not fit the state is a clear error.
func ExampleStateError() {
	ex, stop := setup()
	defer stop()
	ctx := context.Background()
	sum, _ := ex.Create(ctx, &executor.CreateParams{Process: "web", By: executor.By{Actor: "alice"}})

	err := ex.Retry(ctx, sum.ID, "ship.approve", &executor.RetryParams{By: executor.By{Actor: "bob"}})
	fmt.Println(err)
	fmt.Println(errors.Is(err, executor.ErrIllegal))

	err = ex.Approve(ctx, sum.ID, "ship.approve", &executor.DecisionParams{By: executor.By{Actor: "mallory"}})
	fmt.Println(errors.Is(err, executor.ErrForbidden))
	// Output:
	// executor: retry: activity ship.approve is Waiting, not OnHold or Failed
	// true
	// true
}
