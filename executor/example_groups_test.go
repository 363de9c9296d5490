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

// A release group makes a release of a process on a cadence. PutGroup
// reports every problem of a group at once, then stores it; the
// scheduler in Run makes each occurrence's release a lead time ahead.
func ExampleExecutor_PutGroup() {
	ex, stop := setup()
	defer stop()
	ctx := context.Background()

	g := &release.Group{
		ID: "web-weekly", Name: "Web train", Process: "web",
		Cadence: "0 9 * * MON", Timezone: "Europe/Pariss", // a typo
		LeadTime:     process.Duration(-time.Hour),
		NameTemplate: "${{ group.name }} ${{ occurrence.date }}",
		Overlap:      "sometimes",
		Enabled:      true, AutoExecute: true,
	}
	_, err := ex.PutGroup(ctx, &executor.PutGroupParams{Group: g, By: executor.By{Actor: "alice"}})
	var ge *release.GroupError
	if errors.Is(err, executor.ErrInvalid) && errors.As(err, &ge) {
		for _, p := range ge.Problems {
			fmt.Println(p.Path)
		}
	}

	g.Timezone, g.LeadTime, g.Overlap = "Europe/Paris", process.Duration(24*time.Hour), release.OverlapQueue
	stored, err := ex.PutGroup(ctx, &executor.PutGroupParams{Group: g, By: executor.By{Actor: "alice"}})
	if err != nil {
		panic(err)
	}
	fmt.Println("stored revision", stored.Revision)
	name, _, _ := stored.Names(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), 1)
	fmt.Println(name)
	// Output:
	// timezone
	// lead-time
	// overlap
	// stored revision 1
	// Web train 2026-03-02
}
