package exec_test

import (
	"context"
	"fmt"
	"os"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/adapters/exec"
)

type printReporter struct{ adapters.NopReporter }

func (printReporter) Log(msg string) { fmt.Println("log:", msg) }

func Example() {
	a, err := exec.New(&exec.Config{Dir: os.TempDir()})
	if err != nil {
		panic(err)
	}
	res, err := a.Run(context.Background(), &adapters.Request{
		Activity: "build.tag",
		With: map[string]any{
			// The input arrives as one literal argument: no shell runs.
			"command": []any{"echo", "::output tag=v1.2.3; $(id)"},
		},
		Reporter: printReporter{},
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("tag: %q\n", res.Outputs["tag"])
	// Output:
	// log: ::output tag=v1.2.3; $(id)
	// tag: "v1.2.3; $(id)"
}
