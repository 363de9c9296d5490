package executor_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
)

// A process's retry backoff is the least wait: Config.Jitter only adds to
// it (here up to half of it), so that retries of many releases spread out
// without any of them coming back early.
func ExampleConfig_jitter() {
	ctx := context.Background()
	clk := clock.NewMock()
	st := memstore.New(nil)
	p, err := process.Parse([]byte("id: build\nphases:\n  - id: ci\n    activities:\n" +
		"      - {id: compile, uses: ci.build, retry: {max-attempts: 2, backoff: 10s}}\n"))
	if err != nil {
		panic(err)
	}
	if _, err := st.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: "alice", Now: clk.Now()}); err != nil {
		panic(err)
	}
	flaky := adapters.Func("ci.build", func(context.Context, *adapters.Request) (*adapters.Result, error) {
		return nil, errors.New("runner lost")
	})
	ex, err := executor.New(st, adapters.NewRegistry(flaky), &executor.Config{
		Clock: clk, Jitter: 0.5, RescanInterval: -1, LeaseDuration: time.Hour,
	})
	if err != nil {
		panic(err)
	}
	if err := ex.Launch(ctx); err != nil {
		panic(err)
	}
	defer func() { _ = ex.Shutdown(ctx) }()
	if _, err := ex.Create(ctx, &executor.CreateParams{Process: "build", By: executor.By{Actor: "alice"}}); err != nil {
		panic(err)
	}
	var next time.Time
	for idle := false; !idle; {
		runtime.Gosched()
		next, idle = ex.Idle() // the first attempt failed; its retry is the next timer
	}
	wait := next.Sub(clk.Now())
	fmt.Println("retry waits at least the backoff:", wait >= 10*time.Second)
	fmt.Println("and at most backoff × (1 + Jitter):", wait <= 15*time.Second)
	// Output:
	// retry waits at least the backoff: true
	// and at most backoff × (1 + Jitter): true
}
