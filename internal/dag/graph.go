package dag

import (
	"slices"
	"time"
)

// Graph is a frozen dependency graph in compressed sparse row form. All
// methods except Reaches are read-only and safe for concurrent use. Methods
// that take a node id panic if it is outside [0, Len()), like slice indexing:
// ids come from the Builder, so a bad id is a programming error.
type Graph struct {
	virtual []bool
	real    int // number of non-virtual nodes

	succOff, succ []int32 // successors of u: succ[succOff[u]:succOff[u+1]], ascending
	predOff, pred []int32 // predecessors, likewise

	order []int32 // lexicographically smallest topological order; nil if cyclic
	pos   []int32 // pos[order[i]] == i; nil if cyclic

	reacher *Reacher // lazily created for Graph.Reaches
}

// Len returns the number of nodes.
func (g *Graph) Len() int { return len(g.virtual) }

// Edges returns the number of distinct edges.
func (g *Graph) Edges() int { return len(g.succ) }

// Virtual reports whether n is a virtual (join) node.
func (g *Graph) Virtual(n int) bool { return g.virtual[n] }

// Acyclic reports whether the graph has a topological order.
func (g *Graph) Acyclic() bool { return g.order != nil }

// Preds returns the nodes n depends on, ascending, without duplicates. The
// slice is shared: callers must not modify it.
func (g *Graph) Preds(n int) []int32 { return g.pred[g.predOff[n]:g.predOff[n+1]:g.predOff[n+1]] }

// Succs returns the nodes that depend on n, ascending, without duplicates.
// The slice is shared: callers must not modify it.
func (g *Graph) Succs(n int) []int32 { return g.succ[g.succOff[n]:g.succOff[n+1]:g.succOff[n+1]] }

// Order returns a topological order: every node appears after all its
// predecessors. It is the lexicographically smallest one (at every step, the
// lowest id whose predecessors are all placed), so it is deterministic and
// equals 0..n-1 whenever ids were added in dependency order. It returns nil
// if the graph is cyclic. The slice is shared: callers must not modify it.
func (g *Graph) Order() []int32 { return g.order }

// Waves groups the real (non-virtual) nodes by depth: wave k holds the nodes
// whose longest chain of real predecessors (counted through virtual nodes)
// has length k, ascending by id. Every wave is non-empty. It returns nil if
// the graph is cyclic. The result is freshly allocated.
func (g *Graph) Waves() [][]int32 {
	if g.order == nil {
		return nil
	}
	n := g.Len()
	depth := make([]int32, n)
	maxDepth := int32(-1)
	for _, u := range g.order {
		d := int32(0)
		for _, p := range g.Preds(int(u)) {
			dp := depth[p]
			if !g.virtual[p] {
				dp++
			}
			d = max(d, dp)
		}
		depth[u] = d
		if !g.virtual[u] {
			maxDepth = max(maxDepth, d)
		}
	}
	if maxDepth < 0 {
		return nil
	}
	// Counting sort of the real nodes by depth, ascending id within a depth.
	off := make([]int, maxDepth+2)
	for u, d := range depth {
		if !g.virtual[u] {
			off[d+1]++
		}
	}
	for i := 1; i < len(off); i++ {
		off[i] += off[i-1]
	}
	backing := make([]int32, g.real)
	waves := make([][]int32, maxDepth+1)
	for k := range waves {
		waves[k] = backing[off[k]:off[k]:off[k+1]]
	}
	for u, d := range depth {
		if !g.virtual[u] {
			waves[d] = append(waves[d], int32(u))
		}
	}
	return waves
}

// Ready returns the real nodes that are not done and whose predecessors are
// all done, ascending. A real node u is done when done[u] is true; a virtual
// node is done when done[v] is true or all its own predecessors are done
// (through chains of virtual nodes; a virtual node on a cycle of virtual
// nodes is never done that way). Entries beyond len(done) count as false.
// Ready runs in O(nodes + edges); the executor should prefer a Tracker.
func (g *Graph) Ready(done []bool) []int {
	n := g.Len()
	eff := make([]bool, n)
	remaining := make([]int32, n)
	stack := make([]int32, 0, 64)
	for u := 0; u < n; u++ {
		if u < len(done) && done[u] {
			eff[u] = true
			stack = append(stack, int32(u))
		} else if g.virtual[u] {
			remaining[u] = g.predOff[u+1] - g.predOff[u]
			if remaining[u] == 0 {
				eff[u] = true
				stack = append(stack, int32(u))
			}
		}
	}
	// Propagate doneness into virtual nodes.
	for len(stack) > 0 {
		u := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, s := range g.Succs(int(u)) {
			if g.virtual[s] && !eff[s] {
				remaining[s]--
				if remaining[s] == 0 {
					eff[s] = true
					stack = append(stack, s)
				}
			}
		}
	}
	var ready []int
	for u := 0; u < n; u++ {
		if g.virtual[u] || eff[u] {
			continue
		}
		ok := true
		for _, p := range g.Preds(u) {
			if !eff[p] {
				ok = false
				break
			}
		}
		if ok {
			ready = append(ready, u)
		}
	}
	return ready
}

// Ancestors returns all nodes (real and virtual) that n transitively depends
// on, ascending. n itself is included only if it lies on a cycle.
func (g *Graph) Ancestors(n int) []int {
	seen := make([]uint64, (g.Len()+63)/64)
	var out []int
	stack := append([]int32(nil), g.Preds(n)...)
	for _, p := range stack {
		seen[p>>6] |= 1 << (p & 63)
	}
	for len(stack) > 0 {
		u := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		out = append(out, int(u))
		for _, p := range g.Preds(int(u)) {
			if seen[p>>6]&(1<<(p&63)) == 0 {
				seen[p>>6] |= 1 << (p & 63)
				stack = append(stack, p)
			}
		}
	}
	slices.Sort(out)
	return out
}

// CriticalPath returns the longest path by duration as real node ids in
// dependency order, and its total. dur is indexed by node id; virtual nodes
// count as 0 whatever dur says, as do negative durations and ids beyond
// len(dur). Ties are broken towards the lowest id, both for the last node of
// the path and for each predecessor along it, so the result is
// deterministic. It returns nil, 0 if the graph is cyclic or has no real
// node.
func (g *Graph) CriticalPath(dur []time.Duration) (path []int, total time.Duration) {
	if g.order == nil || g.real == 0 {
		return nil, 0
	}
	n := g.Len()
	best := make([]time.Duration, n) // longest path ending at u, u included
	parent := make([]int32, n)
	for _, u := range g.order {
		var d time.Duration
		if !g.virtual[u] && int(u) < len(dur) && dur[u] > 0 {
			d = dur[u]
		}
		par := int32(-1)
		var b time.Duration
		for _, p := range g.Preds(int(u)) { // ascending: the first maximum is the lowest id
			if par < 0 || best[p] > b {
				par, b = p, best[p]
			}
		}
		parent[u] = par
		best[u] = b + d
	}
	end := -1
	for u := 0; u < n; u++ {
		if !g.virtual[u] && (end < 0 || best[u] > best[end]) {
			end = u
		}
	}
	total = best[end]
	for u := int32(end); u >= 0; u = parent[u] {
		if !g.virtual[u] {
			path = append(path, int(u))
		}
	}
	slices.Reverse(path)
	return path, total
}
