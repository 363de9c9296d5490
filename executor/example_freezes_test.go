package executor_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/batonhq/baton/executor"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
)

// A freeze refuses the start of a release in its scope, naming itself and
// when it ends; once it is deleted the release may start.
func ExampleExecutor_PutFreeze() {
	ex, stop := setup()
	defer stop()
	ctx := context.Background()

	now := time.Now()
	_, err := ex.PutFreeze(ctx, &executor.PutFreezeParams{By: executor.By{Actor: "alice"}, Freeze: &release.Freeze{
		ID: "year-end", Name: "Year end", Reason: "holidays", Enabled: true,
		Windows: []release.FreezeWindow{{Start: now.Add(-time.Hour), End: now.Add(14 * 24 * time.Hour)}},
		Scope:   release.FreezeScope{Processes: []process.ID{"web"}},
	}})
	if err != nil {
		panic(err)
	}

	_, err = ex.Create(ctx, &executor.CreateParams{Process: "web", By: executor.By{Actor: "bob"}, Inputs: map[string]any{"env": "production"}})
	var fe *executor.FrozenError
	if errors.Is(err, executor.ErrFrozen) && errors.As(err, &fe) {
		fmt.Printf("refused: frozen by %s (%s) for about %d days\n", fe.Name, fe.Reason, fe.Until.Sub(now).Round(24*time.Hour)/(24*time.Hour))
	}

	if err := ex.DeleteFreeze(ctx, "year-end", &executor.By{Actor: "alice"}); err != nil {
		panic(err)
	}
	_, err = ex.Create(ctx, &executor.CreateParams{Process: "web", By: executor.By{Actor: "bob"}, Inputs: map[string]any{"env": "production"}})
	fmt.Println("after the freeze:", err)
	// Output:
	// refused: frozen by Year end (holidays) for about 14 days
	// after the freeze: <nil>
}
