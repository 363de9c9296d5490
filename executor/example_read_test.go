package executor_test

import (
	"context"
	"fmt"

	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/release"
)

// Events reads a release's whole log, a page at a time underneath;
// Event.Activity names the activity an event concerns without a type
// switch over payloads.
func ExampleExecutor_Events() {
	ex, stop := setup()
	defer stop()
	ctx := context.Background()
	sum, err := ex.Create(ctx, &executor.CreateParams{Process: "web", By: executor.By{Actor: "alice"}})
	if err != nil {
		panic(err)
	}
	if err := ex.Approve(ctx, sum.ID, "ship.approve", &executor.DecisionParams{By: executor.By{Actor: "bob"}}); err != nil {
		panic(err)
	}
	if _, err := ex.Wait(ctx, sum.ID, nil); err != nil {
		panic(err)
	}
	for ev, err := range ex.Events(ctx, sum.ID, nil) {
		if err != nil {
			panic(err)
		}
		if k, ok := ev.Activity(); ok {
			fmt.Println(ev.Seq, ev.Kind, k)
		} else {
			fmt.Println(ev.Seq, ev.Kind)
		}
	}
	// Output:
	// 1 release.created
	// 2 release.started
	// 3 phase.started
	// 4 activity.started ship.approve
	// 5 activity.waiting ship.approve
	// 6 approval.granted ship.approve
	// 7 activity.succeeded ship.approve
	// 8 activity.started ship.deploy
	// 9 activity.succeeded ship.deploy
	// 10 phase.succeeded
	// 11 release.succeeded
}

// Wait blocks until a release ends; Verify then checks its record: one
// unbroken hash chain that folds to the release as stored.
func ExampleExecutor_Wait() {
	ex, stop := setup()
	defer stop()
	ctx := context.Background()
	sum, err := ex.Create(ctx, &executor.CreateParams{Process: "web", By: executor.By{Actor: "alice"}, Inputs: map[string]any{"env": "production"}})
	if err != nil {
		panic(err)
	}
	go func() {
		_ = ex.Approve(ctx, sum.ID, "ship.approve", &executor.DecisionParams{By: executor.By{Actor: "bob"}})
	}()
	r, err := ex.Wait(ctx, sum.ID, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Status, r.Activities["ship.deploy"].Outputs["url"])

	head, err := ex.Verify(ctx, sum.ID, nil)
	fmt.Println(head.Seq == r.Seq, err)
	// Output:
	// Succeeded https://production.example.com
	// true <nil>
}

// A subscription by process (or group, or labels) follows the releases
// created after it starts; KindReleaseEnded selects the events that end
// one, and each notification carries the release's status.
func ExampleExecutor_Subscribe() {
	ex, stop := setup()
	defer stop()
	ctx := context.Background()
	sub := ex.Subscribe(ctx, &executor.SubscribeParams{Filter: executor.Filter{Process: "web", Kinds: []release.EventKind{executor.KindReleaseEnded}}, Buffer: 4})
	defer sub.Close()

	for _, env := range []string{"staging", "production"} {
		sum, err := ex.Create(ctx, &executor.CreateParams{Process: "web", By: executor.By{Actor: "alice"}, Inputs: map[string]any{"env": env}})
		if err != nil {
			panic(err)
		}
		if err := ex.Approve(ctx, sum.ID, "ship.approve", &executor.DecisionParams{By: executor.By{Actor: "bob"}}); err != nil {
			panic(err)
		}
		n := <-sub.C()
		fmt.Println(n.Event.Release == sum.ID, n.Event.Kind, n.Status, n.Ended)
	}
	// Output:
	// true release.succeeded Succeeded true
	// true release.succeeded Succeeded true
}
