package adapters_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/batonhq/baton/adapters"
)

// An adapter is a Kind and a Run; Func makes one from a function, and the
// error it returns tells the executor what to do next.
func ExampleFunc() {
	deploy := adapters.Func("cd.deploy", func(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
		switch req.With["environment"] {
		case "production":
			return &adapters.Result{Outputs: map[string]any{"url": "https://app.example.com"}}, nil
		case "busy":
			return nil, adapters.RetryAfter(2*time.Minute, errors.New("deployer is busy"))
		}
		return nil, adapters.Permanent(fmt.Errorf("unknown environment %v", req.With["environment"]))
	})
	reg := adapters.NewRegistry(deploy)

	a, _ := reg.Lookup("cd.deploy")
	for _, env := range []string{"production", "busy", "moon"} {
		res, err := a.Run(context.Background(), &adapters.Request{With: map[string]any{"environment": env}, Reporter: adapters.NopReporter{}})
		delay, retry := adapters.RetryDelay(err)
		fmt.Printf("%s: outputs=%v permanent=%v retry-after=%v(%v)\n", env, outputs(res), adapters.IsPermanent(err), delay, retry)
	}
	_, err := reg.Lookup("ci.pipeline")
	fmt.Println(errors.Is(err, adapters.ErrUnknownKind))
	// Output:
	// production: outputs=map[url:https://app.example.com] permanent=false retry-after=0s(false)
	// busy: outputs=map[] permanent=false retry-after=2m0s(true)
	// moon: outputs=map[] permanent=true retry-after=0s(false)
	// true
}

func outputs(r *adapters.Result) map[string]any {
	if r == nil {
		return map[string]any{}
	}
	return r.Outputs
}
