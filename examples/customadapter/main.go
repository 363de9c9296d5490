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

const doc = `
id: hotfix
inputs:
  version: {required: true}
phases:
  - id: change
    activities:
      - id: ticket
        uses: change.request
        with: {summary: 'Hotfix ${{ inputs.version }} for the payments API', risk: medium}
        outputs: [ticket]
  - id: ship
    depends-on: [change]
    activities:
      - id: deploy
        uses: cd.deploy
        with: {ticket: '${{ phases.change.activities.ticket.outputs.ticket }}'}
`

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer) error {
	desk := NewDesk()
	deploy := adapters.Func("cd.deploy", func(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
		fmt.Fprintf(w, "  cd.deploy: deploying under ticket %v\n", req.With["ticket"])
		return &adapters.Result{}, nil
	})
	reg := adapters.NewRegistry(&ChangeAdapter{Desk: desk, Every: 200 * time.Millisecond}, deploy)

	// 1. A typo in with: is caught when the process is checked against the
	// registry, with the path of the parameter.
	typo, err := process.Parse([]byte(`
id: typo
phases:
  - id: change
    activities:
      - {id: ticket, uses: change.request, with: {sumary: Hotfix}}
`))
	if err != nil {
		return err
	}
	var verr *process.ValidationError
	if err := reg.ValidateProcess(typo); errors.As(err, &verr) {
		fmt.Fprintln(w, "Validation of a process with a typo:")
		for _, p := range verr.Problems {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}

	// 2. A release that waits for the change desk (three polls), then
	// deploys with the ticket's id.
	p, err := process.Parse([]byte(doc))
	if err != nil {
		return err
	}
	st := memstore.New(nil)
	if _, err := st.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: "alice", Now: time.Now()}); err != nil {
		return err
	}
	ex, err := executor.New(st, reg, &executor.Config{PollInterval: 200 * time.Millisecond})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
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

	sum, err := ex.Create(ctx, &executor.CreateParams{Process: "hotfix", By: executor.By{Actor: "alice"}, Inputs: map[string]any{"version": "3.1.2"}})
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "\nRelease of the hotfix process:")
	for {
		rel, err := ex.Get(ctx, sum.ID, nil)
		if err != nil {
			return err
		}
		if rel.Status.Terminal() {
			t := rel.Activities["change.ticket"]
			fmt.Fprintf(w, "  change.ticket: %s, ticket %v\n", t.Status, t.Outputs["ticket"])
			fmt.Fprintf(w, "Release %s\n", rel.Status)
			if rel.Status != release.Succeeded {
				return fmt.Errorf("customadapter: release %s: %s", rel.Status, rel.Error)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
