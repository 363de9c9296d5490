package executor_test

import (
	"context"
	"fmt"
	"time"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/store/memstore"
)

// Launch drives releases in the background; Shutdown stops taking work,
// lets the adapter calls in flight finish (up to its context's deadline)
// and returns once the executor has stopped.
func ExampleExecutor_Launch() {
	ex, err := executor.New(memstore.New(nil), adapters.NewRegistry(), nil)
	if err != nil {
		panic(err)
	}
	if err := ex.Launch(context.Background()); err != nil {
		panic(err)
	}
	fmt.Println("launched again:", ex.Launch(context.Background()))

	stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fmt.Println("shutdown:", ex.Shutdown(stopCtx))
	// Output:
	// launched again: executor: already running
	// shutdown: <nil>
}
