package dag

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// naive is a deliberately simple reference: adjacency matrix, transitive
// closure by Floyd-Warshall, fixpoint iteration for virtual doneness.
type naive struct {
	n       int
	virtual []bool
	adj     [][]bool // adj[u][v]: edge u -> v
	reach   [][]bool // path of at least one edge
}

func newNaive(s spec) *naive {
	n := len(s.virtual)
	r := &naive{n: n, virtual: s.virtual, adj: matrix(n), reach: matrix(n)}
	for _, e := range s.edges {
		r.adj[e[0]][e[1]] = true
		r.reach[e[0]][e[1]] = true
	}
	for k := range n {
		for i := range n {
			if !r.reach[i][k] {
				continue
			}
			for j := range n {
				if r.reach[k][j] {
					r.reach[i][j] = true
				}
			}
		}
	}
	return r
}

func matrix(n int) [][]bool {
	m := make([][]bool, n)
	for i := range m {
		m[i] = make([]bool, n)
	}
	return m
}

// order is the lexicographically smallest topological order, or nil.
func (r *naive) order() []int32 {
	placed := make([]bool, r.n)
	out := []int32{}
	for len(out) < r.n {
		pick := -1
		for v := 0; v < r.n && pick < 0; v++ {
			if placed[v] {
				continue
			}
			ok := true
			for u := range r.n {
				if r.adj[u][v] && !placed[u] {
					ok = false
					break
				}
			}
			if ok {
				pick = v
			}
		}
		if pick < 0 {
			return nil
		}
		placed[pick] = true
		out = append(out, int32(pick))
	}
	return out
}

func (r *naive) effective(done []bool) []bool {
	eff := slices.Clone(done)
	for changed := true; changed; {
		changed = false
		for v := range r.n {
			if eff[v] || !r.virtual[v] {
				continue
			}
			all := true
			for u := range r.n {
				if r.adj[u][v] && !eff[u] {
					all = false
				}
			}
			if all {
				eff[v] = true
				changed = true
			}
		}
	}
	return eff
}

func (r *naive) ready(done []bool) []int {
	eff := r.effective(done)
	var out []int
	for v := range r.n {
		if r.virtual[v] || eff[v] {
			continue
		}
		ok := true
		for u := range r.n {
			if r.adj[u][v] && !eff[u] {
				ok = false
			}
		}
		if ok {
			out = append(out, v)
		}
	}
	return out
}

func randomSpec(rng *rand.Rand, acyclic bool) spec {
	n := rng.IntN(25)
	s := spec{virtual: make([]bool, n)}
	for i := range s.virtual {
		s.virtual[i] = rng.IntN(3) == 0
	}
	if n == 0 {
		return s
	}
	rank := rng.Perm(n) // edges go up in rank when acyclic
	m := rng.IntN(3 * n)
	for range m {
		u, v := rng.IntN(n), rng.IntN(n)
		if acyclic {
			if u == v {
				continue
			}
			if rank[u] > rank[v] {
				u, v = v, u
			}
		}
		s.edges = append(s.edges, [2]int{u, v})
		if rng.IntN(10) == 0 {
			s.edges = append(s.edges, [2]int{u, v}) // duplicate
		}
	}
	return s
}

func TestGraphMatchesNaiveReferenceOnRandomGraphs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 1000 {
		s := randomSpec(rng, iter%2 == 0)
		ref := newNaive(s)
		g, err := s.build(t)
		require.NotNil(t, g)

		// Adjacency.
		for u := range ref.n {
			var succ, pred []int32
			for v := range ref.n {
				if ref.adj[u][v] {
					succ = append(succ, int32(v))
				}
				if ref.adj[v][u] {
					pred = append(pred, int32(v))
				}
			}
			require.Equal(t, succ, nilIfEmpty(g.Succs(u)), "iter %d succs %d", iter, u)
			require.Equal(t, pred, nilIfEmpty(g.Preds(u)), "iter %d preds %d", iter, u)
		}

		// Order and cycles.
		wantOrder := ref.order()
		require.Equal(t, wantOrder, g.Order(), "iter %d", iter)
		if wantOrder == nil {
			requireCycle(t, g, err)
		} else {
			require.NoError(t, err)
		}

		// Reaches, both on the graph and on a separate Reacher, and Ancestors.
		rc := g.NewReacher()
		gotReach, gotReacher := matrix(ref.n), matrix(ref.n)
		for u := range ref.n {
			var anc []int
			for v := range ref.n {
				gotReach[u][v] = g.Reaches(u, v)
				gotReacher[u][v] = rc.Reaches(u, v)
				if ref.reach[v][u] {
					anc = append(anc, v)
				}
			}
			require.Equal(t, anc, g.Ancestors(u), "iter %d ancestors %d", iter, u)
		}
		require.Equal(t, ref.reach, gotReach, "iter %d Graph.Reaches", iter)
		require.Equal(t, ref.reach, gotReacher, "iter %d Reacher.Reaches", iter)

		// Ready on a random done set.
		done := make([]bool, ref.n)
		for i := range done {
			done[i] = rng.IntN(2) == 0
		}
		require.Equal(t, ref.ready(done), g.Ready(done), "iter %d ready", iter)

		// Tracker against Ready after each step of a random completion sequence.
		tr := g.NewTracker()
		marked := make([]bool, ref.n)
		before := ref.ready(marked)
		require.Equal(t, before, nilIfEmptyInt(tr.Initial()), "iter %d initial", iter)
		for _, n := range rng.Perm(ref.n) {
			if rng.IntN(4) == 0 && !ref.virtual[n] && !slices.Contains(before, n) {
				continue // sometimes leave a node that is not ready for later
			}
			got := tr.Done(n)
			marked[n] = true
			after := ref.ready(marked)
			var want []int
			for _, v := range after {
				if !slices.Contains(before, v) {
					want = append(want, v)
				}
			}
			require.Equal(t, want, got, "iter %d done %d", iter, n)
			isDone := make([]bool, ref.n)
			for v := range isDone {
				isDone[v] = tr.IsDone(v)
			}
			require.Equal(t, ref.effective(marked), isDone, "iter %d IsDone", iter)
			before = after
		}

		if wantOrder == nil {
			continue
		}
		checkWaves(t, ref, wantOrder, g.Waves())
		checkCriticalPath(t, rng, ref, wantOrder, g)
	}
}

func requireCycle(t *testing.T, g *Graph, err error) {
	t.Helper()
	var cerr *CycleError
	require.ErrorAs(t, err, &cerr)
	p := cerr.Path
	require.GreaterOrEqual(t, len(p), 2)
	require.Equal(t, p[0], p[len(p)-1])
	for i := 0; i+1 < len(p); i++ {
		require.Contains(t, g.Succs(p[i]), int32(p[i+1]), "cycle %v step %d", p, i)
	}
	inner := slices.Clone(p[:len(p)-1])
	slices.Sort(inner)
	require.Equal(t, len(inner), len(slices.Compact(inner)), "cycle %v repeats a node", p)
	require.Equal(t, slices.Min(inner), p[0], "cycle %v starts at its lowest id", p)
}

func checkWaves(t *testing.T, ref *naive, order []int32, waves [][]int32) {
	t.Helper()
	depth := make([]int, ref.n)
	want := map[int][]int32{}
	maxD := -1
	for _, v := range order {
		for u := range ref.n {
			if ref.adj[u][v] {
				d := depth[u]
				if !ref.virtual[u] {
					d++
				}
				depth[v] = max(depth[v], d)
			}
		}
	}
	for v := range ref.n {
		if !ref.virtual[v] {
			want[depth[v]] = append(want[depth[v]], int32(v))
			maxD = max(maxD, depth[v])
		}
	}
	require.Len(t, waves, maxD+1)
	for k, w := range waves {
		require.Equal(t, want[k], w, "wave %d", k)
	}
}

func checkCriticalPath(t *testing.T, rng *rand.Rand, ref *naive, order []int32, g *Graph) {
	t.Helper()
	dur := make([]time.Duration, ref.n)
	for i := range dur {
		dur[i] = time.Duration(rng.IntN(4)) // small values force ties
	}
	cost := func(v int) time.Duration {
		if ref.virtual[v] {
			return 0
		}
		return dur[v]
	}
	best := make([]time.Duration, ref.n)
	var wantTotal time.Duration
	anyReal := false
	for _, v := range order {
		var b time.Duration
		for u := range ref.n {
			if ref.adj[u][v] {
				b = max(b, best[u])
			}
		}
		best[v] = b + cost(int(v))
		if !ref.virtual[v] {
			anyReal = true
			wantTotal = max(wantTotal, best[v])
		}
	}
	path, total := g.CriticalPath(dur)
	require.Equal(t, wantTotal, total)
	if !anyReal {
		require.Nil(t, path)
		return
	}
	require.NotEmpty(t, path)
	var sum time.Duration
	for i, v := range path {
		require.False(t, ref.virtual[v])
		sum += dur[v]
		if i > 0 {
			require.True(t, ref.reach[path[i-1]][v], "path %v not a chain", path)
		}
	}
	require.Equal(t, total, sum, "path %v", path)
}

func nilIfEmpty(xs []int32) []int32 {
	if len(xs) == 0 {
		return nil
	}
	return xs
}

func nilIfEmptyInt(xs []int) []int {
	if len(xs) == 0 {
		return nil
	}
	return xs
}
