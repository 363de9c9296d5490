package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
)

const gates = `
id: gates
phases:
  - id: approve
    activities:
      - id: quorum
        type: approval
        approval: {approvers: ['group:release-managers'], min: 2, forbid-initiator: true}
      - id: timed
        type: approval
        depends-on: [quorum]
        approval: {approvers: [dana], deadline: 1s, on-deadline: reject}
        on-failure: hold
      - id: final
        type: approval
        depends-on: [timed]
        approval: {approvers: [erin, frank], rule: unanimous}
        on-failure: fail
  - id: ship
    depends-on: [approve]
    activities:
      - {id: deploy, uses: cd.deploy}
`

var groups = map[string][]string{"release-managers": {"alice", "bob", "carol"}}

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	p, err := process.Parse([]byte(gates))
	if err != nil {
		return err
	}
	st := memstore.New(nil)
	if _, err := st.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: "alice", Now: time.Now()}); err != nil {
		return err
	}
	deploy := adapters.Func("cd.deploy", func(context.Context, *adapters.Request) (*adapters.Result, error) { return &adapters.Result{}, nil })
	ex, err := executor.New(st, adapters.NewRegistry(deploy), &executor.Config{
		ResolveGroup: func(_ context.Context, g string) ([]string, error) { return groups[g], nil },
	})
	if err != nil {
		return err
	}
	if err := ex.Launch(ctx); err != nil {
		return err
	}
	defer func() {
		// Let adapter calls in flight finish, for up to 10 seconds.
		stopCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		if err := ex.Shutdown(stopCtx); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()

	sum, err := ex.Create(ctx, &executor.CreateParams{Process: "gates", By: executor.By{Actor: "alice", Reason: "weekly release"}})
	if err != nil {
		return err
	}
	id := sum.ID
	say := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	decide := func(who string, k release.ActivityKey, approve bool, comment string) {
		var err error
		if approve {
			err = ex.Approve(ctx, id, k, &executor.DecisionParams{By: executor.By{Actor: who, Reason: comment}})
		} else {
			err = ex.Reject(ctx, id, k, &executor.DecisionParams{By: executor.By{Actor: who, Reason: comment}})
		}
		verb := map[bool]string{true: "approves", false: "rejects"}[approve]
		switch {
		case errors.Is(err, executor.ErrForbidden):
			say("  %-6s %s %-15s → refused (ErrForbidden): %v", who, verb, k, err)
		case err != nil:
			say("  %-6s %s %-15s → error: %v", who, verb, k, err)
		default:
			say("  %-6s %s %-15s → recorded", who, verb, k)
		}
	}
	status := func(k release.ActivityKey) release.ActivityStatus {
		for {
			rel, err := ex.Get(ctx, id, nil)
			if err != nil || ctx.Err() != nil {
				return ""
			}
			if a := rel.Activities[k]; a.Status != release.ActivityPending && a.Status != release.ActivityRunning {
				return a.Status
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor := func(k release.ActivityKey, want release.ActivityStatus) error {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if s := status(k); s == want {
				return nil
			}
			time.Sleep(20 * time.Millisecond)
		}
		return fmt.Errorf("approvals: %s did not become %s", k, want)
	}

	say("1. Quorum: two of group:release-managers (alice, bob, carol); alice started the release.")
	if err := waitFor("approve.quorum", release.ActivityWaiting); err != nil {
		return err
	}
	decide("alice", "approve.quorum", true, "")
	decide("bob", "approve.quorum", true, "LGTM")
	decide("bob", "approve.quorum", true, "really LGTM")
	decide("carol", "approve.quorum", true, "")
	if err := waitFor("approve.quorum", release.ActivitySucceeded); err != nil {
		return err
	}
	say("   approve.quorum: Succeeded")

	say("\n2. Deadline: dana has 1s; she is on holiday.")
	if err := waitFor("approve.timed", release.ActivityOnHold); err != nil {
		return err
	}
	rel, err := ex.Get(ctx, id, nil)
	if err != nil {
		return err
	}
	say("   approve.timed: %s (%s): the release waits for an operator", rel.Activities["approve.timed"].Status, rel.Activities["approve.timed"].Error)
	if err := ex.Retry(ctx, id, "approve.timed", &executor.RetryParams{By: executor.By{Actor: "oncall", Reason: "dana is back"}}); err != nil {
		return err
	}
	say("  oncall retries approve.timed (attempt 2)")
	if err := waitFor("approve.timed", release.ActivityWaiting); err != nil {
		return err
	}
	decide("dana", "approve.timed", true, "back from holiday")
	if err := waitFor("approve.timed", release.ActivitySucceeded); err != nil {
		return err
	}
	say("   approve.timed: Succeeded on attempt 2")

	say("\n3. Unanimous: erin and frank must both approve; on-failure: fail.")
	if err := waitFor("approve.final", release.ActivityWaiting); err != nil {
		return err
	}
	decide("erin", "approve.final", true, "")
	decide("frank", "approve.final", false, "crash rate above 0.1% on the canary")
	for {
		if rel, err = ex.Get(ctx, id, nil); err != nil {
			return err
		}
		if rel.Status.Terminal() {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	say("   release: %s (%s)", rel.Status, rel.Error)

	say("\nThe decisions in the audit trail:")
	for _, e := range release.Timeline(rel) {
		if e.Actor == "executor" || e.Actor == "" {
			continue
		}
		say("   %-28s %-20s %-6s %s", e.Subject, e.What, e.Actor, e.Detail)
	}
	return nil
}
