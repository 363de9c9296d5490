package executor_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
)

// Retention keeps finished releases for a while, then writes each one's
// audit bundle to the host's sink and deletes it; the deletion is
// recorded, and the bundle checks by itself.
func ExampleExecutor_SweepRetention() {
	ctx := context.Background()
	st := memstore.New(nil)
	p, err := process.Parse([]byte(webProcess))
	if err != nil {
		panic(err)
	}
	mock := clock.NewMock()
	mock.Set(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	if _, err := st.PutProcess(ctx, &store.PutProcessParams{Process: p, CreatedBy: "alice", Now: mock.Now()}); err != nil {
		panic(err)
	}
	var mu sync.Mutex
	archive := map[release.ID][]byte{} // the host's bucket
	sink := executor.ArchiveSinkFunc(func(ctx context.Context, id release.ID, r io.Reader) (string, error) {
		data, err := io.ReadAll(r)
		if err != nil {
			return "", err
		}
		mu.Lock()
		defer mu.Unlock()
		archive[id] = data
		return "s3://audit/" + string(id) + ".json", nil
	})
	reg := adapters.NewRegistry(adapters.Func("cd.deploy", func(ctx context.Context, req *adapters.Request) (*adapters.Result, error) {
		return &adapters.Result{Outputs: map[string]any{"url": "https://staging.example.com"}}, nil
	}))
	ex, err := executor.New(st, reg, &executor.Config{Clock: mock})
	if err != nil {
		panic(err)
	}
	if err := ex.Launch(ctx); err != nil {
		panic(err)
	}
	defer ex.Shutdown(ctx) //nolint:errcheck // the example ends here

	sum, err := ex.Create(ctx, &executor.CreateParams{By: executor.By{Actor: "alice"}, Process: "web"})
	if err != nil {
		panic(err)
	}
	if err := ex.Approve(ctx, sum.ID, "ship.approve", &executor.DecisionParams{By: executor.By{Actor: "bob"}}); err != nil {
		panic(err)
	}
	if _, err := ex.Wait(ctx, sum.ID, nil); err != nil {
		panic(err)
	}

	// With Config.Retention, Run sweeps every Interval. A host may also
	// sweep from a job of its own, with an executor that does not run.
	sweeper, err := executor.New(st, nil, &executor.Config{Clock: mock, Retention: &executor.RetentionConfig{
		Sink:  sink,
		Rules: []executor.RetentionRule{{Name: "keep-30-days", Keep: 30 * 24 * time.Hour}},
	}})
	if err != nil {
		panic(err)
	}
	mock.Add(31 * 24 * time.Hour)
	rep, err := sweeper.SweepRetention(ctx)
	if err != nil {
		panic(err)
	}
	for _, d := range rep.Deleted {
		fmt.Println("deleted by rule", d.Rule, "archived at", d.Archive == "s3://audit/"+string(sum.ID)+".json")
	}
	mu.Lock()
	b, err := release.ReadBundle(bytes.NewReader(archive[sum.ID]))
	mu.Unlock()
	if err != nil {
		panic(err)
	}
	ended, _ := b.EndedBy()
	fmt.Println("bundle checks:", release.CheckBundle(b) == nil, "ends with", ended.Kind)
	_, err = st.GetRelease(ctx, sum.ID)
	fmt.Println("still stored:", err == nil)
	// Output:
	// deleted by rule keep-30-days archived at true
	// bundle checks: true ends with release.succeeded
	// still stored: false
}
