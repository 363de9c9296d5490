package dag

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// benchGraph is the benchmark workload: n nodes, one virtual node per 100
// real ones, and every node but the first depending on ~2 uniformly random
// earlier nodes (in logical order). With shuffle, ids are a random
// permutation of the logical order, so Build cannot take its "already
// sorted" shortcut.
type benchGraph struct {
	n       int
	virtual []bool
	edges   []int32 // from, to pairs
}

func newBenchGraph(n int, shuffle bool) *benchGraph {
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	id := make([]int, n)
	for i := range id {
		id[i] = i
	}
	if shuffle {
		rng.Shuffle(n, func(i, j int) { id[i], id[j] = id[j], id[i] })
	}
	g := &benchGraph{n: n, virtual: make([]bool, n)}
	for i := range n {
		g.virtual[id[i]] = i%101 == 100
		for k := 0; k < 2 && i > 0; k++ {
			g.edges = append(g.edges, int32(id[rng.IntN(i)]), int32(id[i]))
		}
	}
	return g
}

func (bg *benchGraph) build(tb testing.TB) *Graph {
	b := NewBuilder(bg.n, len(bg.edges)/2)
	for _, v := range bg.virtual {
		b.AddNode(v)
	}
	for i := 0; i < len(bg.edges); i += 2 {
		b.AddEdge(int(bg.edges[i]), int(bg.edges[i+1]))
	}
	g, err := b.Build()
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

var benchSizes = []int{100, 10_000, 100_000}

// perNode reports wall and CPU nanoseconds per node; cpu0 is processCPU()
// taken just before the timed loop.
func perNode(b *testing.B, n int, cpu0 time.Duration) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/node")
	if cpu := processCPU() - cpu0; cpu0 > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(n), "cpu-ns/node")
	}
}

// BenchmarkBuildOrder measures Builder.Build (CSR, dedup, topological order)
// from a filled Builder, plus reading Order.
func BenchmarkBuildOrder(b *testing.B) {
	for _, shuffle := range []bool{false, true} {
		for _, n := range benchSizes {
			name := fmt.Sprintf("ids=sorted/n=%d", n)
			if shuffle {
				name = fmt.Sprintf("ids=shuffled/n=%d", n)
			}
			b.Run(name, func(b *testing.B) {
				bg := newBenchGraph(n, shuffle)
				bld := NewBuilder(n, len(bg.edges)/2)
				for _, v := range bg.virtual {
					bld.AddNode(v)
				}
				for i := 0; i < len(bg.edges); i += 2 {
					bld.AddEdge(int(bg.edges[i]), int(bg.edges[i+1]))
				}
				b.ReportAllocs()
				cpu0 := processCPU()
				for b.Loop() {
					g, err := bld.Build()
					if err != nil || len(g.Order()) != n {
						b.Fatal(err)
					}
				}
				perNode(b, n, cpu0)
			})
		}
	}
}

// BenchmarkAddEdgesBuildOrder includes filling the Builder.
func BenchmarkAddEdgesBuildOrder(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("ids=shuffled/n=%d", n), func(b *testing.B) {
			bg := newBenchGraph(n, true)
			b.ReportAllocs()
			cpu0 := processCPU()
			for b.Loop() {
				if g := bg.build(b); len(g.Order()) != n {
					b.Fatal("short order")
				}
			}
			perNode(b, n, cpu0)
		})
	}
}

// baselineKahn is the plain textbook version: [][]int adjacency built with
// append, in-degree slice, FIFO queue.
func baselineKahn(n int, edges []int32) []int {
	adj := make([][]int, n)
	indeg := make([]int, n)
	for i := 0; i < len(edges); i += 2 {
		adj[edges[i]] = append(adj[edges[i]], int(edges[i+1]))
		indeg[edges[i+1]]++
	}
	return kahnSort(adj, indeg)
}

func kahnSort(adj [][]int, indeg []int) []int {
	queue := make([]int, 0, len(adj))
	for u, d := range indeg {
		if d == 0 {
			queue = append(queue, u)
		}
	}
	for i := 0; i < len(queue); i++ {
		for _, s := range adj[queue[i]] {
			indeg[s]--
			if indeg[s] == 0 {
				queue = append(queue, s)
			}
		}
	}
	return queue
}

// BenchmarkBaselineKahn builds [][]int adjacency from the edge list and sorts.
func BenchmarkBaselineKahn(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("ids=shuffled/n=%d", n), func(b *testing.B) {
			bg := newBenchGraph(n, true)
			b.ReportAllocs()
			cpu0 := processCPU()
			for b.Loop() {
				if len(baselineKahn(n, bg.edges)) != n {
					b.Fatal("short order")
				}
			}
			perNode(b, n, cpu0)
		})
	}
}

// BenchmarkBaselineKahnSortOnly sorts a prebuilt [][]int adjacency (the
// in-degree slice is copied per iteration).
func BenchmarkBaselineKahnSortOnly(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("ids=shuffled/n=%d", n), func(b *testing.B) {
			bg := newBenchGraph(n, true)
			adj := make([][]int, n)
			indeg0 := make([]int, n)
			for i := 0; i < len(bg.edges); i += 2 {
				adj[bg.edges[i]] = append(adj[bg.edges[i]], int(bg.edges[i+1]))
				indeg0[bg.edges[i+1]]++
			}
			indeg := make([]int, n)
			b.ReportAllocs()
			cpu0 := processCPU()
			for b.Loop() {
				copy(indeg, indeg0)
				if len(kahnSort(adj, indeg)) != n {
					b.Fatal("short order")
				}
			}
			perNode(b, n, cpu0)
		})
	}
}

// BenchmarkTracker runs an executor-like loop to completion: start from
// Initial, complete ready nodes in FIFO order, collect newly ready ones.
func BenchmarkTracker(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("ids=shuffled/n=%d", n), func(b *testing.B) {
			g := newBenchGraph(n, true).build(b)
			queue := make([]int, 0, n)
			b.ReportAllocs()
			cpu0 := processCPU()
			for b.Loop() {
				t := g.NewTracker()
				queue = append(queue[:0], t.Initial()...)
				for i := 0; i < len(queue); i++ {
					queue = t.AppendDone(queue, queue[i])
				}
				if len(queue) != g.real {
					b.Fatalf("ran %d of %d", len(queue), g.real)
				}
			}
			perNode(b, n, cpu0)
		})
	}
}

func BenchmarkCriticalPath(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("ids=shuffled/n=%d", n), func(b *testing.B) {
			g := newBenchGraph(n, true).build(b)
			rng := rand.New(rand.NewPCG(3, 4))
			dur := make([]time.Duration, n)
			for i := range dur {
				dur[i] = time.Duration(rng.IntN(3600)) * time.Second
			}
			b.ReportAllocs()
			cpu0 := processCPU()
			for b.Loop() {
				if _, total := g.CriticalPath(dur); total == 0 {
					b.Fatal("zero critical path")
				}
			}
			perNode(b, n, cpu0)
		})
	}
}

// reachQueries returns 10,000 queries: with nearPct = 90, 9 in 10 go from a
// node to a node 1-3 hops downstream of it (always true) and 1 in 10 between
// random nodes (mostly false).
func reachQueries(g *Graph, nearPct int) [][2]int {
	const queries = 10_000
	n := g.Len()
	rng := rand.New(rand.NewPCG(5, 6))
	qs := make([][2]int, 0, queries)
	for len(qs) < queries {
		from := rng.IntN(n)
		if rng.IntN(100) >= nearPct {
			qs = append(qs, [2]int{from, rng.IntN(n)})
			continue
		}
		to, hops := from, 1+rng.IntN(3)
		for range hops {
			s := g.Succs(to)
			if len(s) == 0 {
				break
			}
			to = int(s[rng.IntN(len(s))])
		}
		if to != from {
			qs = append(qs, [2]int{from, to})
		}
	}
	return qs
}

// BenchmarkReaches runs 10,000 queries per op; mix=90near is the workload
// of the brief, near and random isolate its two halves.
func BenchmarkReaches(b *testing.B) {
	for _, mix := range []struct {
		name    string
		nearPct int
	}{{"90near", 90}, {"near", 100}, {"random", 0}} {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("mix=%s/n=%d", mix.name, n), func(b *testing.B) {
				g := newBenchGraph(n, true).build(b)
				qs := reachQueries(g, mix.nearPct)
				for _, q := range qs { // warm the scratch buffers outside the timed loop
					g.Reaches(q[0], q[1])
				}
				b.ReportAllocs()
				hits := 0
				cpu0 := processCPU()
				for b.Loop() {
					hits = 0
					for _, q := range qs {
						if g.Reaches(q[0], q[1]) {
							hits++
						}
					}
				}
				perQuery(b, len(qs), cpu0)
				b.ReportMetric(float64(hits)/float64(len(qs)), "true-fraction")
			})
		}
	}
}

// BenchmarkBaselineReaches answers the brief's query mix with a plain BFS
// over [][]int adjacency and a fresh visited slice per query. At 100,000
// nodes it runs only the first 1,000 queries; ns/query stays comparable.
func BenchmarkBaselineReaches(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("mix=90near/n=%d", n), func(b *testing.B) {
			bg := newBenchGraph(n, true)
			g := bg.build(b)
			adj := make([][]int, n)
			for i := 0; i < len(bg.edges); i += 2 {
				adj[bg.edges[i]] = append(adj[bg.edges[i]], int(bg.edges[i+1]))
			}
			qs := reachQueries(g, 90)
			if n > 10_000 {
				qs = qs[:1000]
			}
			b.ReportAllocs()
			cpu0 := processCPU()
			for b.Loop() {
				for _, q := range qs {
					baselineReaches(adj, q[0], q[1])
				}
			}
			perQuery(b, len(qs), cpu0)
		})
	}
}

func baselineReaches(adj [][]int, from, to int) bool {
	seen := make([]bool, len(adj))
	queue := append([]int(nil), adj[from]...)
	for i := 0; i < len(queue); i++ {
		u := queue[i]
		if u == to {
			return true
		}
		for _, s := range adj[u] {
			if !seen[s] {
				seen[s] = true
				queue = append(queue, s)
			}
		}
	}
	return false
}

func perQuery(b *testing.B, queries int, cpu0 time.Duration) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(queries), "ns/query")
	if cpu := processCPU() - cpu0; cpu0 > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(queries), "cpu-ns/query")
	}
}
