package dag

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// spec describes a small graph: virtual flags per node and edges.
type spec struct {
	virtual []bool
	edges   [][2]int
}

func (s spec) build(t testing.TB) (*Graph, error) {
	t.Helper()
	b := NewBuilder(len(s.virtual), len(s.edges))
	for _, v := range s.virtual {
		b.AddNode(v)
	}
	for _, e := range s.edges {
		b.AddEdge(e[0], e[1])
	}
	return b.Build()
}

func (s spec) mustBuild(t testing.TB) *Graph {
	t.Helper()
	g, err := s.build(t)
	require.NoError(t, err)
	return g
}

func reals(n int) []bool { return make([]bool, n) }

const (
	R = false
	V = true
)

var (
	// 0 -> 1, 0 -> 2, 1 -> 3, 2 -> 3
	diamond = spec{virtual: reals(4), edges: [][2]int{{0, 1}, {0, 2}, {1, 3}, {2, 3}}}
	// phase A = {0,1} with start 2 and end 3 (virtual), phase B = {5,6} with start 4, depends on A.
	phases = spec{
		virtual: []bool{R, R, V, V, V, R, R},
		edges: [][2]int{
			{2, 0}, {2, 1}, {0, 3}, {1, 3}, // phase A
			{3, 4},         // B depends on A
			{4, 5}, {4, 6}, // phase B
			{5, 6}, // 6 depends on 5 inside B
		},
	}
	// two components: 3 -> 1 and 0 -> 2, node 4 alone; ids out of dependency order
	disconnected = spec{virtual: reals(5), edges: [][2]int{{3, 1}, {0, 2}}}
)

func TestBuildCollapsesDuplicateEdgesAndSortsAdjacency(t *testing.T) {
	g := spec{virtual: reals(4), edges: [][2]int{{0, 3}, {0, 1}, {0, 3}, {2, 3}, {0, 1}, {1, 3}, {0, 3}}}.mustBuild(t)
	require.Equal(t, 4, g.Len())
	require.Equal(t, 4, g.Edges())
	require.Equal(t, []int32{1, 3}, g.Succs(0))
	require.Equal(t, []int32{3}, g.Succs(1))
	require.Equal(t, []int32{0, 1, 2}, g.Preds(3))
	require.Empty(t, g.Preds(0))
	require.Empty(t, g.Succs(3))
}

func TestBuildReportsOutOfRangeNodes(t *testing.T) {
	tests := []struct {
		name string
		n    int
		from int
		to   int
		msg  string
	}{
		{"target not added", 2, 0, 2, "dag: node id out of range: edge 0 (0 -> 2) with 2 nodes"},
		{"negative source", 2, -1, 1, "dag: node id out of range: edge 0 (-1 -> 1) with 2 nodes"},
		{"id beyond int32", 2, 0, 1 << 40, "dag: node id out of range: edge 0 (0 -> 1099511627776) with 2 nodes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBuilder(0, 0)
			for range tt.n {
				b.AddNode(false)
			}
			b.AddEdge(tt.from, tt.to)
			g, err := b.Build()
			require.Nil(t, g)
			require.ErrorIs(t, err, ErrNodeRange)
			require.EqualError(t, err, tt.msg)
		})
	}
}

func TestBuildAcceptsEdgesBeforeTheirNodes(t *testing.T) {
	var b Builder
	b.AddEdge(1, 0)
	b.AddNode(false)
	b.AddNode(false)
	g, err := b.Build()
	require.NoError(t, err)
	require.Equal(t, []int32{1, 0}, g.Order())
}

func TestBuildDetectsCycles(t *testing.T) {
	tests := []struct {
		name string
		spec spec
		path []int
	}{
		{"self edge", spec{virtual: reals(3), edges: [][2]int{{0, 1}, {1, 1}, {1, 2}}}, []int{1, 1}},
		{"two-node cycle", spec{virtual: reals(2), edges: [][2]int{{0, 1}, {1, 0}}}, []int{0, 1, 0}},
		{
			"cycle through virtual nodes",
			spec{virtual: []bool{R, V, V, R}, edges: [][2]int{{0, 1}, {1, 3}, {3, 2}, {2, 1}}},
			[]int{1, 3, 2, 1},
		},
		{
			"shortest cycle through the found node",
			// 2 -> 3 -> 4 -> 5 -> 2 and 2 -> 5 shortcut: the cycle 2 -> 5 -> 2 is shorter.
			spec{virtual: reals(6), edges: [][2]int{{0, 2}, {2, 3}, {3, 4}, {4, 5}, {5, 2}, {2, 5}, {5, 1}}},
			[]int{2, 5, 2},
		},
		{
			"cycle downstream of acyclic part",
			spec{virtual: reals(5), edges: [][2]int{{0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 2}}},
			[]int{2, 3, 4, 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := tt.spec.build(t)
			require.NotNil(t, g, "the graph is returned for inspection")
			require.ErrorIs(t, err, ErrCycle)
			var cerr *CycleError
			require.True(t, errors.As(err, &cerr))
			require.Equal(t, tt.path, cerr.Path)
			require.False(t, g.Acyclic())
			require.Nil(t, g.Order())
			require.Nil(t, g.Waves())
			p, total := g.CriticalPath(make([]time.Duration, g.Len()))
			require.Nil(t, p)
			require.Zero(t, total)
		})
	}
}

func TestCycleErrorMessageListsThePath(t *testing.T) {
	require.EqualError(t, &CycleError{Path: []int{3, 7, 3}}, "dag: cycle 3 -> 7 -> 3")
}

func TestOrderIsLexicographicallySmallest(t *testing.T) {
	tests := []struct {
		name string
		spec spec
		want []int32
	}{
		{"empty graph", spec{}, []int32{}},
		{"ids in dependency order", diamond, []int32{0, 1, 2, 3}},
		{"phases with virtual nodes", phases, []int32{2, 0, 1, 3, 4, 5, 6}},
		{"disconnected parts", disconnected, []int32{0, 2, 3, 1, 4}},
		{"reverse chain", spec{virtual: reals(3), edges: [][2]int{{2, 1}, {1, 0}}}, []int32{2, 1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := tt.spec.mustBuild(t)
			require.Equal(t, tt.want, g.Order())
			require.True(t, g.Acyclic())
		})
	}
}

func TestWavesGroupRealNodesByLongestRealChain(t *testing.T) {
	tests := []struct {
		name string
		spec spec
		want [][]int32
	}{
		{"empty graph", spec{}, nil},
		{"only virtual nodes", spec{virtual: []bool{V, V}, edges: [][2]int{{0, 1}}}, nil},
		{"diamond", diamond, [][]int32{{0}, {1, 2}, {3}}},
		{"virtual nodes add no depth", phases, [][]int32{{0, 1}, {5}, {6}}},
		{"disconnected parts", disconnected, [][]int32{{0, 3, 4}, {1, 2}}},
		{
			"longest chain wins over a shortcut",
			spec{virtual: reals(4), edges: [][2]int{{0, 1}, {1, 2}, {0, 2}, {0, 3}}},
			[][]int32{{0}, {1, 3}, {2}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.spec.mustBuild(t).Waves())
		})
	}
}

func TestReaches(t *testing.T) {
	cyclic := spec{virtual: []bool{R, V, R, R}, edges: [][2]int{{0, 1}, {1, 2}, {2, 1}, {2, 3}}}
	tests := []struct {
		name     string
		spec     spec
		from, to int
		want     bool
	}{
		{"direct edge", diamond, 0, 1, true},
		{"two hops", diamond, 0, 3, true},
		{"siblings", diamond, 1, 2, false},
		{"reverse direction", diamond, 3, 0, false},
		{"node does not reach itself in a DAG", diamond, 1, 1, false},
		{"through virtual nodes", phases, 0, 6, true},
		{"virtual to real", phases, 3, 5, true},
		{"across components", disconnected, 0, 1, false},
		{"later id to earlier id", disconnected, 3, 1, true},
		{"isolated node", disconnected, 4, 2, false},
		{"node on a cycle reaches itself", cyclic, 2, 2, true},
		{"node off the cycle does not reach itself", cyclic, 0, 0, false},
		{"into a cycle", cyclic, 0, 3, true},
		{"out of a cycle backwards", cyclic, 3, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := tt.spec.build(t)
			require.Equal(t, tt.want, g.Reaches(tt.from, tt.to))
			require.Equal(t, tt.want, g.NewReacher().Reaches(tt.from, tt.to))
		})
	}
}

func TestReachesDoesNotAllocateAfterTheFirstCall(t *testing.T) {
	g := phases.mustBuild(t)
	g.Reaches(0, 6)
	allocs := testing.AllocsPerRun(100, func() {
		g.Reaches(0, 6)
		g.Reaches(6, 0)
		g.Reaches(2, 5)
	})
	require.Zero(t, allocs)
}

func TestReady(t *testing.T) {
	tests := []struct {
		name string
		spec spec
		done []int
		want []int
	}{
		{"nothing done", diamond, nil, []int{0}},
		{"one of two predecessors done", spec{virtual: reals(3), edges: [][2]int{{0, 2}, {1, 2}}}, []int{0}, []int{1}},
		{"diamond middle", diamond, []int{0}, []int{1, 2}},
		{"all done", diamond, []int{0, 1, 2, 3}, nil},
		{"phase B waits for virtual end of A", phases, []int{0}, []int{1}},
		{"virtual end done when A is done", phases, []int{0, 1}, []int{5}},
		{"done out of order", phases, []int{5}, []int{0, 1}},
		{"disconnected parts", disconnected, []int{3}, []int{0, 1, 4}},
		{"forced virtual node counts as done", phases, []int{3}, []int{0, 1, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := tt.spec.mustBuild(t)
			done := make([]bool, g.Len())
			for _, d := range tt.done {
				done[d] = true
			}
			require.Equal(t, tt.want, g.Ready(done))
		})
	}
}

func TestReadyTreatsMissingEntriesAsNotDone(t *testing.T) {
	g := diamond.mustBuild(t)
	require.Equal(t, []int{1, 2}, g.Ready([]bool{true}))
}

func TestReadyOnCyclicGraphLeavesCycleBlocked(t *testing.T) {
	// 0 -> 1 (virtual) <-> 2 (virtual) -> 3, and 4 alone
	g, err := spec{virtual: []bool{R, V, V, R, R}, edges: [][2]int{{0, 1}, {1, 2}, {2, 1}, {2, 3}}}.build(t)
	require.ErrorIs(t, err, ErrCycle)
	require.Equal(t, []int{4}, g.Ready([]bool{true}))
}

func TestTracker(t *testing.T) {
	g := phases.mustBuild(t)
	tr := g.NewTracker()
	require.Equal(t, []int{0, 1}, tr.Initial())
	require.True(t, tr.IsDone(2), "virtual start without predecessors is done at once")
	require.Nil(t, tr.Done(1))
	require.False(t, tr.IsDone(3))
	require.Equal(t, []int{5}, tr.Done(0), "cascades through end(A) and start(B)")
	require.True(t, tr.IsDone(3))
	require.True(t, tr.IsDone(4))
	require.Nil(t, tr.Done(0), "marking twice does nothing")
	require.Equal(t, []int{6}, tr.Done(5))
	require.Nil(t, tr.Done(6))
	for n := range g.Len() {
		require.True(t, tr.IsDone(n))
	}
}

func TestTrackerNeverReportsANodeDoneEarly(t *testing.T) {
	g := diamond.mustBuild(t)
	tr := g.NewTracker()
	require.Nil(t, tr.Done(3), "skipped before its predecessors")
	require.Equal(t, []int{1, 2}, tr.Done(0))
	require.Nil(t, tr.Done(1))
	require.Nil(t, tr.Done(2), "3 is already done")
}

func TestTrackerReportsNodesReleasedByAVirtualNodeAscending(t *testing.T) {
	// 0 -> v(1) -> {4, 2, 3}
	g := spec{virtual: []bool{R, V, R, R, R}, edges: [][2]int{{0, 1}, {1, 4}, {1, 2}, {1, 3}}}.mustBuild(t)
	tr := g.NewTracker()
	require.Equal(t, []int{0}, tr.Initial())
	buf := []int{99}
	require.Equal(t, []int{99, 2, 3, 4}, tr.AppendDone(buf, 0))
}

func TestTrackerInitialIsACopy(t *testing.T) {
	tr := diamond.mustBuild(t).NewTracker()
	init := tr.Initial()
	init[0] = 42
	require.Equal(t, []int{0}, tr.Initial())
}

func TestCriticalPath(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name  string
		spec  spec
		dur   []time.Duration
		path  []int
		total time.Duration
	}{
		{"empty graph", spec{}, nil, nil, 0},
		{"diamond heavier branch", diamond, []time.Duration{1 * ms, 5 * ms, 3 * ms, 1 * ms}, []int{0, 1, 3}, 7 * ms},
		{"diamond tie picks lowest id", diamond, []time.Duration{1 * ms, 3 * ms, 3 * ms, 1 * ms}, []int{0, 1, 3}, 5 * ms},
		{
			"virtual durations are ignored",
			phases, []time.Duration{2 * ms, 1 * ms, time.Hour, time.Hour, time.Hour, 1 * ms, 1 * ms},
			[]int{0, 5, 6}, 4 * ms,
		},
		{"disconnected parts", disconnected, []time.Duration{1 * ms, 1 * ms, 1 * ms, 1 * ms, 9 * ms}, []int{4}, 9 * ms},
		{"all zero picks lowest id", disconnected, make([]time.Duration, 5), []int{0}, 0},
		{"short duration slice", diamond, []time.Duration{1 * ms}, []int{0}, 1 * ms},
		{"negative durations count as zero", diamond, []time.Duration{-5 * ms, 1 * ms, 2 * ms, 0}, []int{0, 2}, 2 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, total := tt.spec.mustBuild(t).CriticalPath(tt.dur)
			require.Equal(t, tt.path, path)
			require.Equal(t, tt.total, total)
		})
	}
}

func TestAncestors(t *testing.T) {
	cyclic := spec{virtual: []bool{R, V, R, R}, edges: [][2]int{{0, 1}, {1, 2}, {2, 1}, {2, 3}}}
	tests := []struct {
		name string
		spec spec
		n    int
		want []int
	}{
		{"source has none", diamond, 0, nil},
		{"diamond sink", diamond, 3, []int{0, 1, 2}},
		{"includes virtual nodes", phases, 5, []int{0, 1, 2, 3, 4}},
		{"component only", disconnected, 1, []int{3}},
		{"node on a cycle includes itself", cyclic, 2, []int{0, 1, 2}},
		{"downstream of a cycle", cyclic, 3, []int{0, 1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := tt.spec.build(t)
			require.Equal(t, tt.want, g.Ancestors(tt.n))
		})
	}
}

func TestVirtual(t *testing.T) {
	g := phases.mustBuild(t)
	got := make([]bool, g.Len())
	for n := range got {
		got[n] = g.Virtual(n)
	}
	require.Equal(t, phases.virtual, got)
}

func TestMethodsPanicOnOutOfRangeIDs(t *testing.T) {
	g := diamond.mustBuild(t)
	require.Panics(t, func() { g.Preds(4) })
	require.Panics(t, func() { g.Reaches(0, 9) })
	require.Panics(t, func() { g.NewTracker().Done(-1) })
}

func TestMinQueuePopsTheSmallestQueuedID(t *testing.T) {
	for _, n := range []int{1, 63, 64, 65, 4097, 300000} {
		q := newMinQueue(n)
		require.True(t, q.empty())
		rng := rand.New(rand.NewPCG(uint64(n), 1))
		ref := map[int32]bool{}
		for step := range 2000 {
			if step%3 != 2 || len(ref) == 0 {
				id := int32(rng.IntN(n))
				if !ref[id] { // the queue is a set: Build never pushes twice
					ref[id] = true
					q.push(id)
				}
				continue
			}
			want := int32(n)
			for id := range ref {
				want = min(want, id)
			}
			require.Equal(t, want, q.pop(), "n=%d step=%d", n, step)
			delete(ref, want)
			require.Equal(t, len(ref) == 0, q.empty())
		}
	}
}

func TestSeparateReachersMayQueryOneGraphConcurrently(t *testing.T) {
	g := phases.mustBuild(t)
	want := [][3]int{{0, 6, 1}, {6, 0, 0}, {3, 5, 1}, {5, 1, 0}}
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			r := g.NewReacher()
			for range 200 {
				for _, q := range want {
					if r.Reaches(q[0], q[1]) != (q[2] == 1) {
						errs <- fmt.Errorf("Reaches(%d, %d) != %v", q[0], q[1], q[2] == 1)
						return
					}
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		require.NoError(t, <-errs)
	}
}
