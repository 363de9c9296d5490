package executor_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
)

// A policy refuses the on-demand start of a release that breaks it, naming
// itself, the version that judged and its message; a rule that does not
// compile is refused with its field.
func ExampleExecutor_PutPolicy() {
	ex, stop := setup()
	defer stop()
	ctx := context.Background()
	alice := executor.By{Actor: "alice"}

	pol, err := ex.PutPolicy(ctx, &executor.PutPolicyParams{By: alice, Policy: &release.Policy{
		ID: "prod-needs-ticket", Name: "Production needs a ticket", Enabled: true,
		When:    []release.PolicyPoint{release.PolicyReleaseStart},
		Scope:   release.FreezeScope{Processes: []process.ID{"web"}},
		Rule:    `release.inputs.env != "production" || release.labels.ticket != nil`,
		Message: "label a production release with its change ticket",
	}})
	if err != nil {
		panic(err)
	}
	fmt.Println("stored version", pol.Version)

	prod := map[string]any{"env": "production"}
	_, err = ex.Create(ctx, &executor.CreateParams{Process: "web", By: executor.By{Actor: "bob"}, Inputs: prod})
	var pe *executor.PolicyError
	if errors.Is(err, executor.ErrPolicy) && errors.As(err, &pe) {
		fmt.Printf("refused by %s version %d: %s\n", pe.Policy, pe.Version, pe.Message)
	}
	_, err = ex.Create(ctx, &executor.CreateParams{Process: "web", By: executor.By{Actor: "bob"}, Inputs: prod,
		Labels: map[string]string{"ticket": "CHG-42"}})
	fmt.Println("with a ticket:", err)

	pol.Rule = `release.labels.ticket ==`
	_, err = ex.PutPolicy(ctx, &executor.PutPolicyParams{By: alice, Policy: pol})
	fmt.Println(errors.Is(err, executor.ErrInvalid), errors.Is(err, release.ErrInvalidPolicy))
	// Output:
	// stored version 1
	// refused by prod-needs-ticket version 1: label a production release with its change ticket
	// with a ticket: <nil>
	// true true
}
