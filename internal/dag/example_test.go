package dag_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/batonhq/baton/internal/dag"
)

// Two phases: build = {compile, test}, deploy = {ship}, deploy depends on
// build. Virtual phase-end and phase-start nodes join the phases with
// |A|+|B| edges instead of |A|x|B|.
func Example() {
	b := dag.NewBuilder(6, 6)
	compile := b.AddNode(false)
	test := b.AddNode(false)
	buildEnd := b.AddNode(true)
	deployStart := b.AddNode(true)
	ship := b.AddNode(false)
	b.AddEdge(compile, test)
	b.AddEdge(compile, buildEnd)
	b.AddEdge(test, buildEnd)
	b.AddEdge(buildEnd, deployStart)
	b.AddEdge(deployStart, ship)

	g, err := b.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("order:", g.Order())
	fmt.Println("waves:", g.Waves())
	fmt.Println("ship depends on compile:", g.Reaches(compile, ship))

	t := g.NewTracker()
	fmt.Println("ready:", t.Initial())
	fmt.Println("after compile:", t.Done(compile))
	fmt.Println("after test:", t.Done(test))

	path, total := g.CriticalPath([]time.Duration{2 * time.Minute, 5 * time.Minute, 0, 0, time.Minute})
	fmt.Println("critical path:", path, total)
	// Output:
	// order: [0 1 2 3 4]
	// waves: [[0] [1] [4]]
	// ship depends on compile: true
	// ready: [0]
	// after compile: [1]
	// after test: [4]
	// critical path: [0 1 4] 8m0s
}

func ExampleCycleError() {
	b := dag.NewBuilder(3, 3)
	for range 3 {
		b.AddNode(false)
	}
	b.AddEdge(0, 1)
	b.AddEdge(1, 2)
	b.AddEdge(2, 1)
	_, err := b.Build()
	var cerr *dag.CycleError
	if errors.As(err, &cerr) {
		fmt.Println(cerr.Path)
	}
	fmt.Println(err)
	fmt.Println(errors.Is(err, dag.ErrCycle))
	// Output:
	// [1 2 1]
	// dag: cycle 1 -> 2 -> 1
	// true
}

func ExampleGraph_Ready() {
	b := dag.NewBuilder(3, 2)
	a, c, d := b.AddNode(false), b.AddNode(false), b.AddNode(false)
	b.AddEdge(a, d)
	b.AddEdge(c, d)
	g, _ := b.Build()
	fmt.Println(g.Ready([]bool{true, false, false}))
	fmt.Println(g.Ready([]bool{true, true, false}))
	// Output:
	// [1]
	// [2]
}
