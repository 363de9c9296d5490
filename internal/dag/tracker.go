package dag

import "slices"

// Tracker is the incremental form of Ready for the executor: it keeps, per
// node, the number of predecessors not yet done, so marking a node done
// costs O(its out-degree) plus the virtual nodes it completes. Virtual nodes
// are completed automatically when their last predecessor is done. A
// Tracker is not safe for concurrent use.
type Tracker struct {
	g         *Graph
	remaining []int32 // predecessors not done yet
	done      []bool
	initial   []int
	stack     []int32
}

// NewTracker returns a Tracker with no node done. Virtual nodes without
// predecessors are done from the start, and so are the virtual nodes that
// depend only on them.
func (g *Graph) NewTracker() *Tracker {
	n := g.Len()
	t := &Tracker{
		g:         g,
		remaining: make([]int32, n),
		done:      make([]bool, n),
	}
	for u := 0; u < n; u++ {
		t.remaining[u] = g.predOff[u+1] - g.predOff[u]
	}
	for u := 0; u < n; u++ {
		if g.virtual[u] && t.remaining[u] == 0 && !t.done[u] {
			t.initial = t.complete(t.initial, int32(u))
		}
	}
	for u := 0; u < n; u++ {
		if !g.virtual[u] && t.remaining[u] == 0 {
			t.initial = append(t.initial, u)
		}
	}
	slices.Sort(t.initial)
	t.initial = slices.Compact(t.initial)
	return t
}

// Initial returns the real nodes that were ready when the Tracker was
// created, ascending. The result is a fresh copy.
func (t *Tracker) Initial() []int { return slices.Clone(t.initial) }

// IsDone reports whether n is done: marked by Done, or virtual with all its
// predecessors done.
func (t *Tracker) IsDone(n int) bool { return t.done[n] }

// Done marks n done and returns the real nodes that became ready as a
// result, cascading through virtual nodes, ascending (nil if none). Marking
// a node that is already done does nothing. n need not be ready: a node
// marked done before its predecessors (say, skipped) is never reported as
// ready later. Marking a virtual node done completes it early.
func (t *Tracker) Done(n int) []int { return t.AppendDone(nil, n) }

// AppendDone is Done appending to dst, for callers that want to reuse a
// buffer: only the appended part is sorted.
func (t *Tracker) AppendDone(dst []int, n int) []int {
	if t.done[n] {
		return dst
	}
	start := len(dst)
	dst = t.complete(dst, int32(n))
	slices.Sort(dst[start:])
	return dst
}

// complete marks u done, propagates to its successors and appends the real
// nodes that became ready to dst (unsorted).
func (t *Tracker) complete(dst []int, u int32) []int {
	g := t.g
	t.done[u] = true
	stack := append(t.stack[:0], u)
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, s := range g.succ[g.succOff[v]:g.succOff[v+1]] {
			t.remaining[s]--
			if t.remaining[s] != 0 || t.done[s] {
				continue
			}
			if g.virtual[s] {
				t.done[s] = true
				stack = append(stack, s)
			} else {
				dst = append(dst, int(s))
			}
		}
	}
	t.stack = stack
	return dst
}
