package adaptertest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/adapters/adaptertest"
)

func ExampleFake() {
	build := adaptertest.NewFake("ci.pipeline", nil).
		WithOutputs(map[string]any{"artifact": "app-1.2.3.apk"}).
		FailTimes(1, nil).
		RetryAfterTimes(1, 30*time.Second)

	for attempt := 1; attempt <= 3; attempt++ {
		res, err := build.Run(context.Background(), &adapters.Request{Attempt: attempt, Reporter: adapters.NopReporter{}})
		if d, ok := adapters.RetryDelay(err); ok {
			fmt.Printf("attempt %d: retry after %v\n", attempt, d)
			continue
		}
		if err != nil {
			fmt.Printf("attempt %d: %v\n", attempt, err)
			continue
		}
		fmt.Printf("attempt %d: %v\n", attempt, res.Outputs)
	}
	fmt.Println("calls:", len(build.Calls()))
	// Output:
	// attempt 1: adaptertest: scripted failure
	// attempt 2: retry after 30s
	// attempt 3: map[artifact:app-1.2.3.apk]
	// calls: 3
}
