package dag

import (
	"errors"
	"testing"
)

// FuzzBuild decodes data as a graph: byte 0 is the node count (mod 64), the
// next ceil(n/8) bytes are virtual flags, and the rest are (from, to) byte
// pairs taken mod n+1 so that out-of-range ids occur too. Build must never
// panic; an acyclic graph's Order must be a topological order that Tracker
// can run to completion; a CycleError's path must be a real cycle.
func FuzzBuild(f *testing.F) {
	f.Add([]byte{0})
	f.Add([]byte{4, 0, 0, 1, 0, 2, 1, 3, 2, 3})                          // diamond
	f.Add([]byte{3, 0, 0, 1, 1, 1, 1, 2})                                // self edge
	f.Add([]byte{4, 6, 0, 1, 1, 3, 3, 2, 2, 1})                          // cycle through virtual nodes
	f.Add([]byte{7, 28, 2, 0, 2, 1, 0, 3, 1, 3, 3, 4, 4, 5, 4, 6, 5, 6}) // phases
	f.Add([]byte{2, 0, 0, 2})                                            // out of range
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		n := int(data[0] % 64)
		data = data[1:]
		b := NewBuilder(n, len(data)/2)
		for i := range n {
			v := false
			if i/8 < len(data) {
				v = data[i/8]&(1<<(i%8)) != 0
			}
			b.AddNode(v)
		}
		data = data[min(len(data), (n+7)/8):]
		for i := 0; i+1 < len(data); i += 2 {
			b.AddEdge(int(data[i])%(n+1), int(data[i+1])%(n+1))
		}
		g, err := b.Build()
		if errors.Is(err, ErrNodeRange) {
			if g != nil {
				t.Fatalf("range error with a graph")
			}
			return
		}
		if g == nil {
			t.Fatalf("nil graph, err %v", err)
		}
		var cerr *CycleError
		if errors.As(err, &cerr) {
			p := cerr.Path
			if len(p) < 2 || p[0] != p[len(p)-1] {
				t.Fatalf("malformed cycle %v", p)
			}
			for i := 0; i+1 < len(p); i++ {
				if !contains(g.Succs(p[i]), int32(p[i+1])) {
					t.Fatalf("cycle %v: no edge %d -> %d", p, p[i], p[i+1])
				}
			}
			if g.Order() != nil {
				t.Fatalf("cyclic graph has an order")
			}
			g.Ready(make([]bool, n))
			g.NewTracker()
			return
		}
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		order := g.Order()
		if len(order) != n {
			t.Fatalf("order has %d of %d nodes", len(order), n)
		}
		pos := make([]int, n)
		seen := make([]bool, n)
		for i, u := range order {
			if seen[u] {
				t.Fatalf("order repeats %d", u)
			}
			seen[u] = true
			pos[u] = i
		}
		for u := range n {
			for _, s := range g.Succs(u) {
				if pos[u] >= pos[s] {
					t.Fatalf("edge %d -> %d against the order %v", u, s, order)
				}
				if !g.Reaches(u, int(s)) {
					t.Fatalf("edge %d -> %d not reachable", u, s)
				}
			}
		}
		// Running the tracker in order reports every real node exactly once.
		tr := g.NewTracker()
		reported := make([]bool, n)
		for _, u := range tr.Initial() {
			reported[u] = true
		}
		for _, u := range order {
			if !g.Virtual(int(u)) && !reported[u] {
				t.Fatalf("node %d done before it was reported ready", u)
			}
			for _, r := range tr.Done(int(u)) {
				if reported[r] {
					t.Fatalf("node %d reported twice", r)
				}
				reported[r] = true
			}
		}
		waves := 0
		for _, w := range g.Waves() {
			waves += len(w)
		}
		real := 0
		for u := range n {
			if !g.Virtual(u) {
				real++
			}
		}
		if waves != real {
			t.Fatalf("waves hold %d of %d real nodes", waves, real)
		}
	})
}
