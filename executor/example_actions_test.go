package executor_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
)

// opsProcess holds its migration for an operator when it fails.
const opsProcess = `
id: ops
phases:
  - id: ship
    activities:
      - id: migrate
        uses: db.migrate
        on-failure: hold
        outputs: [version]
      - id: deploy
        uses: cd.deploy
        depends-on: [migrate]
`

// setupOps runs an executor over opsProcess whose migration fails the
// first time it runs (a lock held elsewhere).
func setupOps() (ex *executor.Executor, stop func()) {
	ctx := context.Background()
	st := memstore.New(nil)
	p, err := process.Parse([]byte(opsProcess))
	if err != nil {
		panic(err)
	}
	if _, err := st.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: "alice", Now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}); err != nil {
		panic(err)
	}
	var calls atomic.Int32
	reg := adapters.NewRegistry(
		adapters.Func("db.migrate", func(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
			if calls.Add(1) == 1 {
				return nil, adapters.Permanent(errors.New("lock timeout"))
			}
			return &adapters.Result{Outputs: map[string]any{"version": "42"}}, nil
		}),
		adapters.Func("cd.deploy", func(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
			return &adapters.Result{}, nil
		}),
	)
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

// An activity that failed with on-failure: hold waits for an operator; Why
// says so, and Retry runs it again.
func ExampleExecutor_Retry() {
	ex, stop := setupOps()
	defer stop()
	ctx := context.Background()
	sub := ex.Subscribe(ctx, &executor.SubscribeParams{Filter: executor.Filter{Kinds: []release.EventKind{release.KindActivityHeld, release.KindReleaseSucceeded}}, Buffer: 16})
	defer sub.Close()
	sum, err := ex.Create(ctx, &executor.CreateParams{Process: "ops", By: executor.By{Actor: "alice"}})
	if err != nil {
		panic(err)
	}
	<-sub.C() // activity.held
	why, _ := ex.Why(ctx, sum.ID, "ship.migrate", nil)
	fmt.Println(why.Status, "-", why.Reasons[0].Text)

	if err := ex.Retry(ctx, sum.ID, "ship.migrate", &executor.RetryParams{By: executor.By{Actor: "bob", Reason: "lock released"}}); err != nil {
		panic(err)
	}
	<-sub.C() // release.succeeded
	r, _ := ex.Get(ctx, sum.ID, nil)
	a := r.Activity("ship.migrate")
	fmt.Println(r.Status, len(a.Attempts), "attempts, the second by", a.Attempts[1].Actor)
	// Output:
	// OnHold - failed (lock timeout); an operator decides: retry, ignore, skip or abort
	// Succeeded 2 attempts, the second by bob
}

// Ignore settles a held activity with substitute outputs: its dependents
// go on, and the release ends PartiallySucceeded.
func ExampleExecutor_Ignore() {
	ex, stop := setupOps()
	defer stop()
	ctx := context.Background()
	sub := ex.Subscribe(ctx, &executor.SubscribeParams{Filter: executor.Filter{Kinds: []release.EventKind{release.KindActivityHeld, release.KindReleasePartiallySucceeded}}, Buffer: 16})
	defer sub.Close()
	sum, _ := ex.Create(ctx, &executor.CreateParams{Process: "ops", By: executor.By{Actor: "alice"}})
	<-sub.C() // activity.held

	err := ex.Ignore(ctx, sum.ID, "ship.migrate", &executor.IgnoreParams{
		By: executor.By{Actor: "bob", Reason: "migrated by hand"}, Outputs: map[string]any{"version": "42"},
	})
	if err != nil {
		panic(err)
	}
	<-sub.C() // release.partially-succeeded
	r, _ := ex.Get(ctx, sum.ID, nil)
	fmt.Println(r.Status, r.Activity("ship.migrate").Status, r.Activity("ship.migrate").Outputs["version"], r.Activity("ship.deploy").Status)
	// Output:
	// PartialSuccess Ignored 42 Succeeded
}

// Abort ends a release for good; the reason is required and recorded.
func ExampleExecutor_Abort() {
	ex, stop := setup()
	defer stop()
	ctx := context.Background()
	sub := ex.Subscribe(ctx, &executor.SubscribeParams{Filter: executor.Filter{Kinds: []release.EventKind{release.KindActivityWaiting, release.KindReleaseAborted}}, Buffer: 16})
	defer sub.Close()
	sum, _ := ex.Create(ctx, &executor.CreateParams{Process: "web", By: executor.By{Actor: "alice"}})
	<-sub.C() // activity.waiting: the approval

	fmt.Println(errors.Is(ex.Abort(ctx, sum.ID, &executor.By{Actor: "alice"}), executor.ErrInvalid))
	if err := ex.Abort(ctx, sum.ID, &executor.By{Actor: "alice", Reason: "wrong build"}); err != nil {
		panic(err)
	}
	n := <-sub.C() // release.aborted
	fmt.Println(n.Event.Kind, "by", n.Event.Actor+":", n.Event.Reason)
	r, _ := ex.Get(ctx, sum.ID, nil)
	fmt.Println(r.Status, r.Activity("ship.approve").Status)
	// Output:
	// true
	// release.aborted by alice: wrong build
	// Aborted Aborted
}

// Why explains, in data and in words, what an activity waits for.
func ExampleExecutor_Why() {
	ex, stop := setup()
	defer stop()
	ctx := context.Background()
	sub := ex.Subscribe(ctx, &executor.SubscribeParams{Filter: executor.Filter{Kinds: []release.EventKind{release.KindActivityWaiting}}, Buffer: 16})
	defer sub.Close()
	sum, _ := ex.Create(ctx, &executor.CreateParams{Process: "web", By: executor.By{Actor: "alice"}})
	<-sub.C()

	for _, k := range []release.ActivityKey{"ship.approve", "ship.deploy"} {
		why, err := ex.Why(ctx, sum.ID, k, nil)
		if err != nil {
			panic(err)
		}
		for _, r := range why.Reasons {
			fmt.Printf("%s (%s): %s %v\n", k, why.Status, r.Kind, r.Approvers)
			fmt.Println("  " + r.Text)
		}
	}
	// Output:
	// ship.approve (Waiting): approval [bob]
	//   approval 0 of 1 from bob
	// ship.deploy (Pending): dependency []
	//   dependency ship.approve is Waiting
}
