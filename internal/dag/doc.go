// Package dag is the compiled dependency graph of activities that the process
// package validates and the executor runs.
//
// A Builder collects nodes (dense ids 0..n-1 in AddNode order) and edges
// ("to depends on from"); Build freezes them into compressed sparse row form
// (int32 successor and predecessor arrays, duplicates collapsed) and computes
// a deterministic topological order in O(nodes + edges). A cycle, including a
// self edge or a cycle through virtual nodes, comes back as a *CycleError
// holding the cycle's node ids; the graph is still returned for inspection.
//
// Virtual nodes are join points with no work of their own: a phase's start
// and end. "Phase B depends on phase A" becomes end(A) -> start(B) plus one
// edge per activity instead of |A|x|B| edges. A virtual node is done as soon
// as all its predecessors are done; Ready, Tracker, Waves and CriticalPath
// look through virtual nodes and only ever return real ones.
//
// The package is pure: no goroutines, no clock. A Graph is immutable and safe
// for concurrent reads, except Graph.Reaches, which reuses scratch memory
// (use one NewReacher per goroutine instead). Trackers are single-owner.
//
//	b := dag.NewBuilder(4, 4)
//	compile := b.AddNode(false)
//	test := b.AddNode(false)
//	end := b.AddNode(true) // phase end
//	deploy := b.AddNode(false)
//	b.AddEdge(compile, test)
//	b.AddEdge(test, end)
//	b.AddEdge(end, deploy)
//	g, err := b.Build()
//	if err != nil {
//		var cerr *dag.CycleError
//		if errors.As(err, &cerr) {
//			// render cerr.Path with activity names
//		}
//		return err
//	}
//	t := g.NewTracker()
//	ready := t.Initial() // [compile]
//	ready = t.Done(compile) // [test]
//	ready = t.Done(test)    // [deploy], through the virtual end node
package dag
