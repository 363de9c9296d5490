package process

import (
	"strings"
	"time"

	"github.com/batonhq/baton/internal/dag"
	"github.com/batonhq/baton/internal/expr"
)

// ActivityRef names an activity within a process.
type ActivityRef struct {
	Phase    PhaseID
	Activity ActivityID
}

// String returns "phase.activity".
func (r ActivityRef) String() string { return string(r.Phase) + "." + string(r.Activity) }

// ParseActivityRef reads "phase.activity".
func ParseActivityRef(s string) (ActivityRef, bool) {
	p, a, ok := strings.Cut(s, ".")
	if !ok || !ValidID(p) || !ValidID(a) {
		return ActivityRef{}, false
	}
	return ActivityRef{Phase: PhaseID(p), Activity: ActivityID(a)}, true
}

// Compiled is a validated process compiled for execution: its activity
// graph (phase dependencies expanded through one start and one end node per
// phase, so the graph stays linear in size) and its expressions, compiled
// once. It is immutable and safe for concurrent use, except where a method
// says otherwise.
type Compiled struct {
	proc       *Process
	graph      *dag.Graph
	nodes      []node               // by graph node id
	phaseIdx   map[PhaseID]int      // the first phase with each id
	actIdx     []map[ActivityID]int // by phase index: activity id -> node id
	order      []ActivityRef        // document order
	phaseStart []int
	phaseEnd   []int
	phaseIf    []*expr.Condition
	vars       []*expr.Template
	acts       []compiledActivity // by graph node id
}

type node struct {
	phase int
	act   int // -1 for a phase's start or end node
	end   bool
}

type compiledActivity struct {
	cond         *expr.Condition
	with         any // a tree of *expr.Template mirroring Activity.With; nil where literal
	rollbackWith any
}

// Process returns the process this was compiled from.
func (c *Compiled) Process() *Process { return c.proc }

// Activities returns every activity in document order.
func (c *Compiled) Activities() []ActivityRef { return append([]ActivityRef(nil), c.order...) }

// Activity returns the activity named by ref, or nil.
func (c *Compiled) Activity(ref ActivityRef) *Activity {
	id, ok := c.node(ref)
	if !ok {
		return nil
	}
	n := c.nodes[id]
	return &c.proc.Phases[n.phase].Activities[n.act]
}

// DependsOn reports whether activity a depends on activity b, directly,
// transitively or through its phase's dependencies. It is not safe for
// concurrent use.
func (c *Compiled) DependsOn(a, b ActivityRef) bool {
	ia, ok1 := c.node(a)
	ib, ok2 := c.node(b)
	return ok1 && ok2 && ia != ib && c.graph.Reaches(ib, ia)
}

// Waves groups the activities into topological waves: every activity of
// wave k depends only on activities of earlier waves, so each wave could
// run in parallel once the ones before it are done.
func (c *Compiled) Waves() [][]ActivityRef {
	var out [][]ActivityRef
	for _, w := range c.graph.Waves() {
		refs := make([]ActivityRef, 0, len(w))
		for _, id := range w {
			refs = append(refs, c.ref(int(id)))
		}
		out = append(out, refs)
	}
	return out
}

// CriticalPath returns the longest chain of activities by duration and its
// total, given each activity's duration (for example its expected
// duration, or the one it took).
func (c *Compiled) CriticalPath(duration func(ActivityRef) time.Duration) ([]ActivityRef, time.Duration) {
	dur := make([]time.Duration, len(c.nodes))
	for id, n := range c.nodes {
		if n.act >= 0 {
			dur[id] = duration(c.ref(id))
		}
	}
	path, total := c.graph.CriticalPath(dur)
	refs := make([]ActivityRef, len(path))
	for i, id := range path {
		refs[i] = c.ref(id)
	}
	return refs, total
}

// node returns the graph node of an activity.
func (c *Compiled) node(ref ActivityRef) (int, bool) {
	i, ok := c.phaseIdx[ref.Phase]
	if !ok {
		return 0, false
	}
	id, ok := c.actIdx[i][ref.Activity]
	return id, ok
}

func (c *Compiled) ref(id int) ActivityRef {
	n := c.nodes[id]
	ph := &c.proc.Phases[n.phase]
	if n.act < 0 {
		return ActivityRef{Phase: ph.ID}
	}
	return ActivityRef{Phase: ph.ID, Activity: ph.Activities[n.act].ID}
}

// cycleNames renders a cycle of graph nodes as activity names, leaving out
// the phase start and end nodes unless the cycle has only those.
func (c *Compiled) cycleNames(path []int) []string {
	var names []string
	for _, id := range path {
		if c.nodes[id].act >= 0 {
			names = append(names, c.ref(id).String())
		}
	}
	if len(names) > 0 {
		if names[0] != names[len(names)-1] {
			names = append(names, names[0])
		}
		return names
	}
	for _, id := range path {
		n := c.nodes[id]
		if !n.end {
			names = append(names, "phase "+string(c.proc.Phases[n.phase].ID))
		}
	}
	if len(names) > 0 && names[0] != names[len(names)-1] {
		names = append(names, names[0])
	}
	return names
}

// cyclePath is the document path of the first dependency in a cycle.
func (c *Compiled) cyclePath(path []int) string {
	for _, id := range path {
		if n := c.nodes[id]; n.act >= 0 {
			return index(index("phases", n.phase)+".activities", n.act) + ".depends-on"
		}
	}
	if len(path) > 0 {
		return index("phases", c.nodes[path[0]].phase) + ".depends-on"
	}
	return "phases"
}
