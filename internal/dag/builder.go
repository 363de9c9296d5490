package dag

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ErrCycle is matched by errors.Is for every *CycleError.
var ErrCycle = errors.New("dag: cycle")

// ErrTooLarge is returned by Build when the graph has more nodes or edges
// than its int32 arrays can index.
var ErrTooLarge = errors.New("dag: graph too large")

// ErrNodeRange is returned (wrapped) by Build when an edge names a node id
// outside [0, number of nodes).
var ErrNodeRange = errors.New("dag: node id out of range")

// CycleError reports a dependency cycle found by Build. Path lists node ids
// along the cycle in edge direction, Path[0] == Path[len(Path)-1]; a self
// edge on node 3 is reported as [3 3]. The cycle is the shortest one through
// a node found by walking the unsortable part of the graph, rotated so that
// it starts at its lowest id. Callers render node names themselves.
type CycleError struct {
	Path []int
}

// Error renders the cycle as "dag: cycle 3 -> 7 -> 3".
func (e *CycleError) Error() string {
	var sb strings.Builder
	sb.WriteString("dag: cycle")
	for i, n := range e.Path {
		if i == 0 {
			sb.WriteByte(' ')
		} else {
			sb.WriteString(" -> ")
		}
		sb.WriteString(strconv.Itoa(n))
	}
	return sb.String()
}

// Is reports whether target is ErrCycle.
func (e *CycleError) Is(target error) bool { return target == ErrCycle }

// Builder collects nodes and edges. Node ids are dense ints 0..n-1 in AddNode
// order. The zero value is ready to use. A Builder is not safe for
// concurrent use.
type Builder struct {
	virtual []bool
	edges   []int32 // from, to pairs
	err     error
}

// NewBuilder returns a Builder with room for nodesHint nodes and edgesHint
// edges. Hints are capacities, not limits; negative hints count as 0.
func NewBuilder(nodesHint, edgesHint int) *Builder {
	nodesHint = max(nodesHint, 0)
	edgesHint = max(edgesHint, 0)
	return &Builder{
		virtual: make([]bool, 0, nodesHint),
		edges:   make([]int32, 0, 2*edgesHint),
	}
}

// AddNode adds a node and returns its id. A virtual node is a join point with
// no work of its own (used to expand phase dependencies without |A|x|B|
// edges: phase-start and phase-end nodes). It is "done" as soon as all its
// predecessors are done.
func (b *Builder) AddNode(virtual bool) int {
	b.virtual = append(b.virtual, virtual)
	return len(b.virtual) - 1
}

// AddEdge records that to depends on from (from must be done before to).
// The nodes need not exist yet; Build checks that they do. Duplicate edges
// are allowed and collapsed; self edges are reported as cycles by Build.
// An id that is negative or does not fit in an int32 is recorded as an
// error that Build returns.
func (b *Builder) AddEdge(from, to int) {
	if from < 0 || to < 0 || from > math.MaxInt32 || to > math.MaxInt32 {
		b.rangeErr(len(b.edges)/2, from, to)
		return
	}
	b.edges = append(b.edges, int32(from), int32(to))
}

func (b *Builder) rangeErr(edge, from, to int) {
	if b.err == nil {
		b.err = fmt.Errorf("%w: edge %d (%d -> %d) with %d nodes", ErrNodeRange, edge, from, to, len(b.virtual))
	}
}

// Len returns the number of nodes added so far.
func (b *Builder) Len() int { return len(b.virtual) }

// Build freezes the graph into compact CSR form (successor and predecessor
// arrays of int32, each list ascending and free of duplicates) and computes
// its topological order. Build runs in O(nodes + edges).
//
// If an edge names a missing node, Build returns a nil graph and an error
// wrapping ErrNodeRange. If the graph has a cycle, Build returns the graph
// (for inspection: Preds, Succs, Ready, Tracker and Ancestors work; Order,
// Waves and CriticalPath return nil) and a *CycleError.
//
// The graph does not alias the Builder, which may be extended and built again.
func (b *Builder) Build() (*Graph, error) {
	if b.err != nil {
		return nil, b.err
	}
	n := len(b.virtual)
	edges := b.edges
	m := len(edges) / 2
	if n > math.MaxInt32-1 || m > math.MaxInt32-1 {
		return nil, fmt.Errorf("%w: %d nodes and %d edges; the limit is %d of each", ErrTooLarge, n, m, math.MaxInt32-1)
	}
	sorted := true // every edge goes from a lower to a higher id
	for i := 0; i < len(edges); i += 2 {
		f, t := edges[i], edges[i+1]
		if int(f) >= n || int(t) >= n {
			return nil, fmt.Errorf("%w: edge %d (%d -> %d) with %d nodes", ErrNodeRange, i/2, f, t, n)
		}
		if f >= t {
			sorted = false
		}
	}

	// One block for every int32 array the graph keeps:
	// succOff[n+1] predOff[n+1] succ[m] pred[m] order[n] pos[n].
	block := make([]int32, 2*(n+1)+2*m+2*n)
	succOff := block[: n+1 : n+1]
	predOff := block[n+1 : 2*(n+1) : 2*(n+1)]
	succ := block[2*(n+1) : 2*(n+1)+m : 2*(n+1)+m]
	pred := block[2*(n+1)+m : 2*(n+1)+2*m : 2*(n+1)+2*m]
	order := block[2*(n+1)+2*m : 2*(n+1)+2*m+n : 2*(n+1)+2*m+n]
	pos := block[2*(n+1)+2*m+n:]

	// Pass 1: bucket the sources by target, stably. pred doubles as the
	// scratch array and predOff as its offsets.
	for i := 1; i < len(edges); i += 2 {
		predOff[edges[i]+1]++
	}
	for i := 1; i <= n; i++ {
		predOff[i] += predOff[i-1]
	}
	for i := 0; i < len(edges); i += 2 {
		t := edges[i+1]
		pred[predOff[t]] = edges[i]
		predOff[t]++
	}
	shiftOffsets(predOff)

	// Pass 2: walking targets in ascending order, bucket by source: every
	// successor list comes out ascending, with duplicates adjacent.
	for i := 0; i < len(edges); i += 2 {
		succOff[edges[i]+1]++
	}
	for i := 1; i <= n; i++ {
		succOff[i] += succOff[i-1]
	}
	for t := 0; t < n; t++ {
		for _, f := range pred[predOff[t]:predOff[t+1]] {
			succ[succOff[f]] = int32(t)
			succOff[f]++
		}
	}
	shiftOffsets(succOff)

	// Collapse duplicates in place.
	w := int32(0)
	start := int32(0)
	for u := 0; u < n; u++ {
		end := succOff[u+1]
		succOff[u] = w
		last := int32(-1)
		for _, s := range succ[start:end] {
			if s != last {
				succ[w] = s
				w++
				last = s
			}
		}
		start = end
	}
	succOff[n] = w
	succ = succ[:w:w]

	// Predecessor lists from the deduplicated successors, walking sources
	// in ascending order so every list is ascending.
	clear(predOff)
	for _, s := range succ {
		predOff[s+1]++
	}
	for i := 1; i <= n; i++ {
		predOff[i] += predOff[i-1]
	}
	pred = pred[:w:w]
	for u := 0; u < n; u++ {
		for _, s := range succ[succOff[u]:succOff[u+1]] {
			pred[predOff[s]] = int32(u)
			predOff[s]++
		}
	}
	shiftOffsets(predOff)

	g := &Graph{
		virtual: append([]bool(nil), b.virtual...),
		succOff: succOff,
		succ:    succ,
		predOff: predOff,
		pred:    pred,
	}
	for _, v := range g.virtual {
		if !v {
			g.real++
		}
	}

	if sorted {
		for i := range order {
			order[i] = int32(i)
			pos[i] = int32(i)
		}
		g.order, g.pos = order, pos
		return g, nil
	}

	// Kahn's algorithm taking the lowest ready id first, so the order is the
	// lexicographically smallest topological order. pos is the in-degree
	// scratch until it becomes the inverse of order.
	indeg := pos
	q := newMinQueue(n)
	for u := 0; u < n; u++ {
		indeg[u] = predOff[u+1] - predOff[u]
		if indeg[u] == 0 {
			q.push(int32(u))
		}
	}
	k := 0
	for !q.empty() {
		u := q.pop()
		order[k] = u
		k++
		for _, s := range succ[succOff[u]:succOff[u+1]] {
			indeg[s]--
			if indeg[s] == 0 {
				q.push(s)
			}
		}
	}
	if k < n {
		return g, &CycleError{Path: g.findCycle(indeg)}
	}
	for i, u := range order {
		pos[u] = int32(i)
	}
	g.order, g.pos = order, pos
	return g, nil
}

// shiftOffsets turns end offsets left in off[0..n-1] by the placement loop
// back into start offsets.
func shiftOffsets(off []int32) {
	copy(off[1:], off[:len(off)-1])
	off[0] = 0
}

// findCycle returns a short cycle among the nodes Kahn's algorithm could not
// place (remaining[u] > 0). Every such node has an unplaced predecessor, so
// walking predecessors from any of them must revisit a node, which lies on a
// cycle; a breadth-first search from it over unplaced nodes then finds the
// shortest cycle through it.
func (g *Graph) findCycle(remaining []int32) []int {
	n := g.Len()
	start := -1
	for u := 0; u < n; u++ {
		if remaining[u] > 0 {
			start = u
			break
		}
	}
	seen := make([]int32, n) // walk: 1 = visited; BFS: parent+2
	u := int32(start)
	for seen[u] == 0 {
		seen[u] = 1
		for _, p := range g.Preds(int(u)) {
			if remaining[p] > 0 {
				u = p
				break
			}
		}
	}
	root := u
	clear(seen)
	queue := []int32{root}
	var last int32 = -1
	for len(queue) > 0 && last < 0 {
		v := queue[0]
		queue = queue[1:]
		for _, s := range g.Succs(int(v)) {
			if s == root {
				last = v
				break
			}
			if remaining[s] > 0 && seen[s] == 0 {
				seen[s] = v + 2
				queue = append(queue, s)
			}
		}
	}
	// Rebuild root -> ... -> last -> root backwards.
	var rev []int
	for v := last; v != root; v = seen[v] - 2 {
		rev = append(rev, int(v))
	}
	rev = append(rev, int(root))
	// rev is last..root; the cycle is root, reverse(rev without root)..., root.
	cyc := make([]int, 0, len(rev)+1)
	for i := len(rev) - 1; i >= 0; i-- {
		cyc = append(cyc, rev[i])
	}
	// Rotate to start at the lowest id.
	lo := 0
	for i, v := range cyc {
		if v < cyc[lo] {
			lo = i
		}
	}
	path := make([]int, 0, len(cyc)+1)
	path = append(path, cyc[lo:]...)
	path = append(path, cyc[:lo]...)
	return append(path, path[0])
}
