package executor

import (
	"maps"
	"slices"
	"strings"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
)

// plan is a compiled process laid out for the run loop: activities by dense
// index (document order) and a dependency graph over them with one node per
// phase end, so a phase dependency costs one edge per activity. Plans are
// immutable and shared by every release of the same process version.
type plan struct {
	compiled *process.Compiled
	proc     *process.Process
	acts     []actInfo
	index    map[release.ActivityKey]int
	phases   []phaseInfo
	phaseIdx map[process.PhaseID]int

	// Graph: nodes [0, n) are activities, [n, n+len(phases)) phase ends.
	preds [][]int32 // direct predecessors (activities and phase ends)
	succs [][]int32
	// order is a topological order of the activities (lowest index first).
	order []int32

	// approvals are the keys of the approval activities, for policies.
	approvals []release.ActivityKey
}

type actInfo struct {
	ref   process.ActivityRef
	key   release.ActivityKey
	act   *process.Activity
	phase int
	// deps are the activities this one depends on directly, including every
	// activity of the phases its phase depends on (for Why).
	deps []int32
	// labels are its effective labels (read only); shape is the same for
	// the activities of the process with the same type, labels, adapter
	// kind and subprocess (release.PolicyCheck.Shape).
	labels map[string]string
	shape  int
}

type phaseInfo struct {
	id         process.PhaseID
	first, end int // activities [first, end)
}

func (p *plan) n() int { return len(p.acts) }

// newPlan lays out a compiled process.
func newPlan(c *process.Compiled) *plan {
	proc := c.Process()
	p := &plan{compiled: c, proc: proc, index: map[release.ActivityKey]int{}, phaseIdx: map[process.PhaseID]int{}}
	for i := range proc.Phases {
		ph := &proc.Phases[i]
		pi := phaseInfo{id: ph.ID, first: len(p.acts)}
		p.phaseIdx[ph.ID] = i
		for j := range ph.Activities {
			a := &ph.Activities[j]
			ref := process.ActivityRef{Phase: ph.ID, Activity: a.ID}
			k := release.Key(ph.ID, a.ID)
			p.index[k] = len(p.acts)
			p.acts = append(p.acts, actInfo{ref: ref, key: k, act: a, phase: i, labels: c.EffectiveLabels(ref)})
			if a.EffectiveType() == process.Approval {
				p.approvals = append(p.approvals, k)
			}
		}
		pi.end = len(p.acts)
		p.phases = append(p.phases, pi)
	}
	shapes := map[string]int{}
	for i := range p.acts {
		ai := &p.acts[i]
		var b strings.Builder
		b.WriteString(string(ai.act.EffectiveType()) + "\x00" + ai.act.Uses + "\x00" + string(ai.act.Process))
		for _, k := range slices.Sorted(maps.Keys(ai.labels)) {
			b.WriteString("\x00" + k + "=" + ai.labels[k])
		}
		sh, ok := shapes[b.String()]
		if !ok {
			sh = len(shapes)
			shapes[b.String()] = sh
		}
		ai.shape = sh
	}
	n := len(p.acts)
	total := n + len(p.phases)
	p.preds = make([][]int32, total)
	p.succs = make([][]int32, total)
	edge := func(from, to int) {
		p.preds[to] = append(p.preds[to], int32(from))
		p.succs[from] = append(p.succs[from], int32(to))
	}
	for i := range p.acts {
		ai := &p.acts[i]
		ph := &proc.Phases[ai.phase]
		edge(i, n+ai.phase) // the phase ends when its activities are done
		for _, dp := range ph.DependsOn {
			q := p.phaseIdx[dp]
			edge(n+q, i)
			for j := p.phases[q].first; j < p.phases[q].end; j++ {
				ai.deps = append(ai.deps, int32(j))
			}
		}
		for _, d := range ai.act.DependsOn {
			var k release.ActivityKey
			if strings.Contains(d, ".") {
				k = release.ActivityKey(d)
			} else {
				k = release.Key(ph.ID, process.ActivityID(d))
			}
			if j, ok := p.index[k]; ok {
				edge(j, i)
				ai.deps = append(ai.deps, int32(j))
			}
		}
	}
	// Kahn's algorithm over the whole graph, lowest node first.
	remaining := make([]int32, total)
	for u := range remaining {
		remaining[u] = int32(len(p.preds[u]))
	}
	h := &intHeap{}
	for u := 0; u < total; u++ {
		if remaining[u] == 0 {
			h.push(int32(u))
		}
	}
	for h.len() > 0 {
		u := h.pop()
		if int(u) < n {
			p.order = append(p.order, u)
		}
		for _, s := range p.succs[u] {
			remaining[s]--
			if remaining[s] == 0 {
				h.push(s)
			}
		}
	}
	return p
}

// intHeap is a small binary min-heap of node ids.
type intHeap struct{ a []int32 }

func (h *intHeap) len() int { return len(h.a) }

func (h *intHeap) push(x int32) {
	h.a = append(h.a, x)
	i := len(h.a) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if h.a[parent] <= h.a[i] {
			break
		}
		h.a[parent], h.a[i] = h.a[i], h.a[parent]
		i = parent
	}
}

func (h *intHeap) pop() int32 {
	top := h.a[0]
	last := len(h.a) - 1
	h.a[0] = h.a[last]
	h.a = h.a[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h.a) && h.a[l] < h.a[m] {
			m = l
		}
		if r < len(h.a) && h.a[r] < h.a[m] {
			m = r
		}
		if m == i {
			return top
		}
		h.a[i], h.a[m] = h.a[m], h.a[i]
		i = m
	}
}
