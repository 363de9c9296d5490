package process

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/batonhq/baton/internal/dag"
	"github.com/batonhq/baton/internal/expr"
)

// Validate checks a process built in code (or decoded) and reports every
// problem at once in a *ValidationError; a dependency cycle is also
// reachable with errors.As as a *CycleError.
func (p *Process) Validate() error {
	if p == nil {
		return &ValidationError{Problems: []Problem{{Msg: "nil process"}}}
	}
	if c := check(p); len(c.problems) > 0 {
		verr := newValidationError(c.problems, c.dropped)
		nameProblemPaths(p, verr.Problems)
		return verr
	}
	return nil
}

// Compile validates p and compiles it for execution: the activity graph
// with phase dependencies expanded, and every expression compiled once.
// p must not be modified afterwards.
func Compile(p *Process) (*Compiled, error) {
	if p == nil {
		return nil, &ValidationError{Problems: []Problem{{Msg: "nil process"}}}
	}
	c := check(p)
	if len(c.problems) > 0 {
		verr := newValidationError(c.problems, c.dropped)
		nameProblemPaths(p, verr.Problems)
		return nil, verr
	}
	return c.out, nil
}

// ValidID reports whether s is a valid process, phase, activity or task id:
// [a-z0-9][a-z0-9_-]*.
func ValidID(s string) bool { return validWord(s, lowerOrDigit, "-_") }

// validName reports whether s is a valid input, variable or output name:
// [A-Za-z_][A-Za-z0-9_-]*.
func validName(s string) bool { return validWord(s, letterOrUnderscore, "-0123456789") }

// validKind reports whether s is a valid adapter kind: [a-z0-9][a-z0-9._-]*.
func validKind(s string) bool { return validWord(s, lowerOrDigit, ".-_") }

func lowerOrDigit(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

func letterOrUnderscore(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }

// validWord reports whether s is 1 to 128 bytes, each passing first, or
// after the first byte also being one of more.
func validWord(s string, first func(byte) bool, more string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !first(s[i]) && (i == 0 || strings.IndexByte(more, s[i]) < 0) {
			return false
		}
	}
	return true
}

type checker struct {
	p *Process
	problemList
	out *Compiled
	env *expr.Env
	// compiled expressions by source, shared between readers: compiling is
	// the costly part and documents repeat their expressions.
	templates  map[string]*expr.Template
	conditions map[string]*expr.Condition
	hints      hinter
	// maxExprs bounds the distinct expressions compiled (0: no bound);
	// exprs counts them.
	maxExprs, exprs int
	// untypedIfs leaves input kinds out of the expression environment, so
	// an if: is only type-checked when it runs (CompileStored).
	untypedIfs bool
	// failed holds the message of each source that did not compile, by
	// "t" (template) or "c" (condition) and the source.
	failed map[string]string
	// below is the path of the value compileValues is reading, under its
	// base.
	below []segment
}

// exprBudget counts one more expression to compile and reports whether it
// is within maxExprs; the first one past it is reported at path.
func (c *checker) exprBudget(path func() string) bool {
	c.exprs++
	if c.maxExprs == 0 || c.exprs <= c.maxExprs {
		return true
	}
	if c.exprs == c.maxExprs+1 {
		c.add(Problem{Path: path(), Err: ErrTooLarge,
			Msg: fmt.Sprintf("more than %d distinct expressions (the parser's MaxExpressions); this one and the rest are not checked", c.maxExprs)})
	}
	return false
}

func (c *checker) addf(path, format string, args ...any) {
	if c.room() {
		c.problems = append(c.problems, Problem{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
}

func check(p *Process) *checker { return checkWithin(p, 0) }

// checkWithin checks p compiling at most maxExprs distinct expressions
// (0: any number).
func checkWithin(p *Process, maxExprs int) *checker { return checkAs(p, maxExprs, false) }

// checkAs is checkWithin; untypedIfs skips the static type check of if:
// conditions (for documents stored before it existed).
func checkAs(p *Process, maxExprs int, untypedIfs bool) *checker {
	c := &checker{p: p, templates: map[string]*expr.Template{}, conditions: map[string]*expr.Condition{},
		failed: map[string]string{}, maxExprs: maxExprs, untypedIfs: untypedIfs}
	if p.ID == "" {
		c.addf("id", "required: the process id")
	} else if !ValidID(string(p.ID)) {
		c.addf("id", "%q is not a valid id: want lower-case letters, digits, '-' and '_', starting with a letter or digit", p.ID)
	}
	if p.Version < 0 {
		c.addf("version", "must not be negative, got %d", p.Version)
	}
	c.checkInputs()
	c.buildEnv()
	c.checkVariables()
	if len(p.Phases) == 0 {
		c.addf("phases", "required: at least one phase")
	}
	c.compileGraph()
	return c
}

func (c *checker) checkInputs() {
	first := make(map[string]int, len(c.p.Inputs))
	for i := len(c.p.Inputs) - 1; i >= 0; i-- {
		first[c.p.Inputs[i].Name] = i
	}
	for i := range c.p.Inputs {
		in := &c.p.Inputs[i]
		path := "inputs." + clipText(in.Name) // a name of a megabyte is not repeated in every path
		if !validName(in.Name) {
			c.addf(path, "%q is not a valid input name: want letters, digits, '-' and '_', starting with a letter or '_'", in.Name)
		}
		if first[in.Name] != i {
			c.addf(path, "input %q declared twice", in.Name)
		}
		if !in.EffectiveType().Valid() {
			c.addf(path+".type", "unknown type %q: want string, number, integer, boolean, list or object", in.Type)
			continue
		}
		var re *regexp.Regexp
		if in.Pattern != "" {
			if in.EffectiveType() != String {
				c.addf(path+".pattern", "pattern applies to string inputs, not %s", in.EffectiveType())
			}
			var err error
			if re, err = regexp.Compile(in.Pattern); err != nil {
				c.addf(path+".pattern", "not a valid regular expression: %v", err)
			}
		}
		if in.Min != nil || in.Max != nil {
			switch in.EffectiveType() {
			case Boolean, Object:
				c.addf(path, "min and max apply to numbers, string lengths and list lengths, not %s", in.EffectiveType())
			}
			if in.Min != nil && in.Max != nil && *in.Min > *in.Max {
				c.addf(path+".min", "min %v is above max %v", *in.Min, *in.Max)
			}
		}
		for j, e := range in.Enum {
			if msg := checkValue(in, re, e, false); msg != "" && c.room() { // the path only for a problem recorded
				c.problems = append(c.problems, Problem{Path: path + ".enum[" + strconv.Itoa(j) + "]", Msg: "allowed value " + msg})
			}
		}
		if in.Default != nil {
			if msg := checkValue(in, re, in.Default, true); msg != "" {
				c.addf(path+".default", "default %s", msg)
			}
		}
	}
}

func (c *checker) buildEnv() {
	env := &expr.Env{Outputs: make(map[string]map[string][]string, len(c.p.Phases))}
	if !c.untypedIfs {
		env.InputKinds = make(map[string]expr.Kind, len(c.p.Inputs))
	}
	for _, in := range c.p.Inputs {
		env.Inputs = append(env.Inputs, in.Name)
		if env.InputKinds == nil {
			continue
		}
		k := inputKind(in.EffectiveType())
		if prev, dup := env.InputKinds[in.Name]; dup && prev != k {
			k = expr.KindUnknown // declared twice (reported elsewhere): no guess
		}
		env.InputKinds[in.Name] = k
	}
	for _, v := range c.p.Variables {
		env.Vars = append(env.Vars, v.Name)
	}
	for _, ph := range c.p.Phases {
		acts := env.Outputs[string(ph.ID)]
		if acts == nil {
			acts = make(map[string][]string, len(ph.Activities))
			env.Outputs[string(ph.ID)] = acts
		}
		for _, a := range ph.Activities {
			if _, dup := acts[string(a.ID)]; !dup {
				acts[string(a.ID)] = a.Outputs
			}
		}
	}
	env.Index()
	c.env = env
}

func (c *checker) checkVariables() {
	pos := make(map[string]int, len(c.p.Variables))
	for i, v := range c.p.Variables {
		if _, dup := pos[v.Name]; !dup {
			pos[v.Name] = i
		}
	}
	for i, v := range c.p.Variables {
		path := "variables." + clipText(v.Name)
		if !validName(v.Name) {
			c.addf(path, "%q is not a valid variable name: want letters, digits, '-' and '_', starting with a letter or '_'", v.Name)
		}
		if pos[v.Name] != i {
			c.addf(path, "variable %q declared twice", v.Name)
		}
		t := c.template(func() string { return path }, v.Value)
		if t == nil {
			continue
		}
		for _, r := range t.Refs() {
			switch r.Kind {
			case expr.RefOutput:
				c.addf(path, "a variable is computed when the release starts and cannot read activity outputs (%s.%s.%s)", r.Phase, r.Activity, r.Name)
			case expr.RefVar:
				if j, ok := pos[r.Name]; ok && j >= i {
					c.addf(path, "reads variable %q, which is declared at or after it", r.Name)
				}
			}
		}
	}
}

// template compiles a ${{ }} string once per distinct source (a source
// that does not compile is reported wherever it is used, but compiled
// once). path is called only for a problem.
func (c *checker) template(path func() string, src string) *expr.Template {
	if t, ok := c.templates[src]; ok {
		if t == nil && c.room() {
			c.problems = append(c.problems, Problem{Path: path(), Msg: c.failed["t"+src]})
		}
		return t
	}
	if !c.exprBudget(path) {
		return nil
	}
	t, err := expr.CompileTemplate(src, c.env)
	c.templates[src] = t
	if err != nil {
		c.failed["t"+src] = exprMessage(err)
		c.addf(path(), "%s", c.failed["t"+src])
		return nil
	}
	return t
}

// condition compiles an if: condition once per distinct source, as
// template does.
func (c *checker) condition(path func() string, src string) *expr.Condition {
	if t, ok := c.conditions[src]; ok {
		if t == nil && c.room() {
			c.problems = append(c.problems, Problem{Path: path(), Msg: c.failed["c"+src]})
		}
		return t
	}
	if !c.exprBudget(path) {
		return nil
	}
	t, err := expr.CompileCondition(src, c.env)
	c.conditions[src] = t
	if err != nil {
		c.failed["c"+src] = exprMessage(err)
		c.addf(path(), "%s", c.failed["c"+src])
		return nil
	}
	return t
}

// fixed is a path known in advance.
func fixed(path string) func() string { return func() string { return path } }

func exprMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "expr: ")
}

// checkValue checks one value against an input spec and returns what is
// wrong with it, or "".
func checkValue(in *InputSpec, re *regexp.Regexp, v any, withEnum bool) string {
	t := in.EffectiveType()
	var size float64
	switch t {
	case String:
		s, ok := v.(string)
		if !ok {
			return fmt.Sprintf("%s is not a string", show(v))
		}
		if re != nil && !re.MatchString(s) {
			return fmt.Sprintf("%q does not match pattern %s", s, in.Pattern)
		}
		size = float64(len([]rune(s)))
	case Number, Integer:
		f, ok := toFloat(v)
		if !ok {
			return fmt.Sprintf("%s is not a number", show(v))
		}
		if t == Integer && f != math.Trunc(f) {
			return fmt.Sprintf("%s is not a whole number", show(v))
		}
		size = f
	case Boolean:
		if _, ok := v.(bool); !ok {
			return fmt.Sprintf("%s is not true or false", show(v))
		}
	case List:
		l, ok := v.([]any)
		if !ok {
			if _, ok := v.([]string); !ok {
				return fmt.Sprintf("%s is not a list", show(v))
			}
			l = make([]any, len(v.([]string)))
		}
		size = float64(len(l))
	case Object:
		if _, ok := v.(map[string]any); !ok {
			return fmt.Sprintf("%s is not an object", show(v))
		}
	}
	what := "value"
	switch t {
	case String:
		what = "length"
	case List:
		what = "length"
	}
	if in.Min != nil && size < *in.Min && t != Boolean && t != Object {
		return fmt.Sprintf("%s: %s %v is below the minimum %v", show(v), what, size, *in.Min)
	}
	if in.Max != nil && size > *in.Max && t != Boolean && t != Object {
		return fmt.Sprintf("%s: %s %v is above the maximum %v", show(v), what, size, *in.Max)
	}
	if withEnum && len(in.Enum) > 0 {
		for _, e := range in.Enum {
			if equalValues(e, v) {
				return ""
			}
		}
		return fmt.Sprintf("%s is not one of %s", show(v), showList(in.Enum))
	}
	return ""
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case float64:
		return n, true
	case float32:
		return float64(n), true
	}
	return 0, false
}

func equalValues(a, b any) bool {
	if fa, ok := toFloat(a); ok {
		fb, ok := toFloat(b)
		return ok && fa == fb
	}
	switch av := a.(type) {
	case string:
		bv, ok := b.(string)
		return ok && av == bv
	case bool:
		bv, ok := b.(bool)
		return ok && av == bv
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func show(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(clip(x))
	case nil:
		return "null"
	}
	return clip(fmt.Sprint(v))
}

func showList(vs []any) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = show(v)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// compileGraph checks phases and activities and builds the graph.
func (c *checker) compileGraph() {
	p := c.p
	n := 0
	for _, ph := range p.Phases {
		n += len(ph.Activities)
	}
	out := &Compiled{
		proc:       p,
		nodes:      make([]node, 0, n+2*len(p.Phases)),
		order:      make([]ActivityRef, 0, n),
		phaseIdx:   make(map[PhaseID]int, len(p.Phases)),
		actIdx:     make([]map[ActivityID]int, len(p.Phases)),
		phaseStart: make([]int, len(p.Phases)),
		phaseEnd:   make([]int, len(p.Phases)),
		phaseIf:    make([]*expr.Condition, len(p.Phases)),
		vars:       make([]*expr.Template, len(p.Variables)),
	}
	c.out = out
	b := dag.NewBuilder(n+2*len(p.Phases), 3*n+len(p.Phases))
	phaseIdx := out.phaseIdx

	// Nodes first, so references can be resolved in any order.
	for i := range p.Phases {
		ph := &p.Phases[i]
		path := index("phases", i)
		if ph.ID == "" {
			c.addf(path+".id", "required: the phase id")
		} else if !ValidID(string(ph.ID)) {
			c.addf(path+".id", "%q is not a valid id: want lower-case letters, digits, '-' and '_', starting with a letter or digit", ph.ID)
		} else if j, dup := phaseIdx[ph.ID]; dup {
			c.addf(path+".id", "phase %q is declared twice (also phases[%d])", ph.ID, j)
		} else {
			phaseIdx[ph.ID] = i
		}
		out.phaseStart[i] = b.AddNode(true)
		out.nodes = append(out.nodes, node{phase: i, act: -1})
		if len(ph.Activities) == 0 {
			c.addf(path+".activities", "required: at least one activity")
		}
		c.checkLabels(path+".labels", ph.Labels)
		acts := make(map[ActivityID]int, len(ph.Activities))
		out.actIdx[i] = acts
		for j := range ph.Activities {
			a := &ph.Activities[j]
			id := b.AddNode(false)
			out.nodes = append(out.nodes, node{phase: i, act: j})
			if a.ID == "" {
				c.addf(actPath(i, j)+".id", "required: the activity id")
				continue
			}
			if !ValidID(string(a.ID)) {
				c.addf(actPath(i, j)+".id", "%q is not a valid id: want lower-case letters, digits, '-' and '_', starting with a letter or digit", a.ID)
				continue
			}
			if prev, dup := acts[a.ID]; dup {
				c.addf(actPath(i, j)+".id", "activity %q is declared twice in phase %q (also activities[%d])", a.ID, ph.ID, out.nodes[prev].act)
				continue
			}
			acts[a.ID] = id
			if phaseIdx[ph.ID] == i {
				out.order = append(out.order, ActivityRef{Phase: ph.ID, Activity: a.ID})
			}
		}
		out.phaseEnd[i] = b.AddNode(true)
		out.nodes = append(out.nodes, node{phase: i, act: -1, end: true})
	}
	out.acts = make([]compiledActivity, len(out.nodes))

	// Edges and per-activity rules.
	for i := range p.Phases {
		ph := &p.Phases[i]
		path := index("phases", i)
		start, end := out.phaseStart[i], out.phaseEnd[i]
		for k, dep := range ph.DependsOn {
			dpath := func() string { return path + ".depends-on[" + strconv.Itoa(k) + "]" }
			j, ok := phaseIdx[dep]
			switch {
			case dep == ph.ID:
				c.addf(dpath(), "phase %q depends on itself", dep)
			case !ok:
				c.addf(dpath(), "unknown phase %q%s", dep, c.suggestPhase(string(dep)))
			default:
				b.AddEdge(out.phaseEnd[j], start)
			}
		}
		for j := range ph.Activities {
			a := &ph.Activities[j]
			id := start + 1 + j
			b.AddEdge(start, id)
			b.AddEdge(id, end)
			for k, dep := range a.DependsOn {
				dpath := func() string { return actPath(i, j) + ".depends-on[" + strconv.Itoa(k) + "]" }
				target, ok := c.resolveDep(ph.ID, dep)
				if !ok {
					c.addf(dpath(), "unknown activity %q: want a sibling activity id or phase.activity%s", dep, c.suggestActivity(ph, dep))
					continue
				}
				if target == (ActivityRef{Phase: ph.ID, Activity: a.ID}) {
					c.addf(dpath(), "activity %q depends on itself", dep)
					continue
				}
				if from, ok := out.node(target); ok {
					b.AddEdge(from, id)
				}
			}
			c.checkActivity(i, j, a)
			c.checkLabels(actPath(i, j)+".labels", a.Labels)
		}
	}

	g, err := b.Build()
	out.graph = g
	if err != nil {
		if ce, ok := err.(*dag.CycleError); ok {
			cyc := &CycleError{Path: out.cycleNames(ce.Path)}
			c.add(Problem{Path: out.cyclePath(ce.Path), Msg: cyc.Error()[len("process: "):], Err: cyc})
		} else {
			c.addf("phases", "%v", err)
		}
		c.out = nil
		return
	}

	// Expressions, now that the graph can answer "depends on".
	for i, v := range p.Variables {
		if t, ok := c.templates[v.Value]; ok {
			out.vars[i] = t
		}
	}
	for i := range p.Phases {
		ph := &p.Phases[i]
		path := index("phases", i)
		if ph.If != "" {
			if cond := c.condition(fixed(path+".if"), ph.If); cond != nil {
				c.checkReads(fixed(path+".if"), out.phaseStart[i], cond.Refs(), false)
				out.phaseIf[i] = cond
			}
		}
		for j := range ph.Activities {
			a := &ph.Activities[j]
			id := out.phaseStart[i] + 1 + j
			ca := &out.acts[id]
			if a.If == "" && !hasTemplate(a.With) && (a.Rollback == nil || !hasTemplate(a.Rollback.With)) {
				continue // nothing to compile: skip building paths
			}
			apath := actPath(i, j)
			if a.If != "" {
				if cond := c.condition(fixed(apath+".if"), a.If); cond != nil {
					c.checkReads(fixed(apath+".if"), id, cond.Refs(), false)
					ca.cond = cond
				}
			}
			ca.with = c.compileValues(apath+".with", id, a.With, false)
			if a.Rollback != nil {
				ca.rollbackWith = c.compileValues(apath+".rollback.with", id, a.Rollback.With, true)
			}
		}
	}
	if len(c.problems) > 0 {
		c.out = nil
	}
}

// actPath is the document path of activity j of phase i.
func actPath(i, j int) string {
	return "phases[" + strconv.Itoa(i) + "].activities[" + strconv.Itoa(j) + "]"
}

// hasTemplate reports whether any string in a with: tree holds ${{.
func hasTemplate(v any) bool {
	switch x := v.(type) {
	case string:
		return expr.Contains(x)
	case map[string]any:
		for _, e := range x {
			if hasTemplate(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasTemplate(e) {
				return true
			}
		}
	}
	return false
}

// compileValues compiles every string in a with: tree. self says whether
// the reader may read its own outputs (a rollback may). The path of a value
// is base followed by c.below, built only for a problem.
func (c *checker) compileValues(base string, reader int, v any, self bool) any {
	switch x := v.(type) {
	case string:
		if !expr.Contains(x) {
			return nil
		}
		path := func() string { return renderPath(base, c.below, "") }
		t := c.template(path, x)
		if t == nil {
			return nil
		}
		c.checkReads(path, reader, t.Refs(), self)
		return t
	case map[string]any:
		var out map[string]any
		for _, k := range sortedKeys(x) {
			c.below = append(c.below, segment{key: k, index: -1})
			t := c.compileValues(base, reader, x[k], self)
			c.below = c.below[:len(c.below)-1]
			if t != nil {
				if out == nil {
					out = map[string]any{}
				}
				out[k] = t
			}
		}
		if out == nil {
			return nil
		}
		return out
	case []any:
		var out []any
		for i, e := range x {
			c.below = append(c.below, segment{index: i})
			t := c.compileValues(base, reader, e, self)
			c.below = c.below[:len(c.below)-1]
			if t != nil {
				if out == nil {
					out = make([]any, len(x))
				}
				out[i] = t
			}
		}
		if out == nil {
			return nil
		}
		return out
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkReads checks that every output an expression reads belongs to an
// activity the reader depends on.
func (c *checker) checkReads(path func() string, reader int, refs []expr.Ref, self bool) {
	for _, r := range refs {
		if r.Kind != expr.RefOutput {
			continue
		}
		from, ok := c.out.node(ActivityRef{Phase: PhaseID(r.Phase), Activity: ActivityID(r.Activity)})
		if !ok {
			continue // the expression compiler reported it
		}
		if self && from == reader {
			continue
		}
		if !c.out.graph.Reaches(from, reader) {
			c.addf(path(), "reads phases.%s.activities.%s.outputs.%s, but does not depend on %s.%s (directly or transitively): add it to depends-on",
				r.Phase, r.Activity, r.Name, r.Phase, r.Activity)
		}
	}
}

func (c *checker) resolveDep(phase PhaseID, dep string) (ActivityRef, bool) {
	var ref ActivityRef
	if p, a, ok := strings.Cut(dep, "."); ok {
		ref = ActivityRef{Phase: PhaseID(p), Activity: ActivityID(a)}
	} else {
		ref = ActivityRef{Phase: phase, Activity: ActivityID(dep)}
	}
	_, ok := c.out.node(ref)
	return ref, ok
}

func (c *checker) suggestPhase(id string) string {
	return c.hints.hint(id, len(c.p.Phases), func(i int) string { return string(c.p.Phases[i].ID) })
}

func (c *checker) suggestActivity(ph *Phase, id string) string {
	return c.hints.hint(id, len(ph.Activities), func(i int) string { return string(ph.Activities[i].ID) })
}

// hintBudget bounds the work spent on "did you mean" hints for one
// document, in edit-distance steps (tens of milliseconds): a document of
// many unknown ids among many known ones would otherwise cost their
// product. Past the budget, problems come without hints.
const hintBudget = 1 << 22

// hinter suggests known ids for unknown ones within hintBudget.
type hinter struct {
	steps int
}

// hint names the known id closest to id, if one is within two edits; n and
// known give the known ids.
func (h *hinter) hint(id string, n int, known func(i int) string) string {
	if h.steps+n > hintBudget {
		return ""
	}
	best, bestDist := "", 3
	for i := 0; i < n; i++ {
		k := known(i)
		h.steps++
		if len(k) > len(id)+2 || len(id) > len(k)+2 {
			continue // at least 3 edits apart
		}
		if h.steps += len(id) * len(k); h.steps > hintBudget {
			return ""
		}
		if d := editDistance(id, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// checkActivity checks the fields that depend on the activity's type.
func (c *checker) checkActivity(i, j int, a *Activity) {
	lp := lazyPath{i: i, j: j}
	path := lp.get
	t := a.EffectiveType()
	if !t.Valid() {
		c.addf(path()+".type", "unknown activity type %q: want automated, manual, approval or subprocess", a.Type)
		return
	}
	not := func(field string, set bool) {
		if set {
			c.addf(path()+"."+field, "%s does not apply to a%s %s activity", field, article(t), t)
		}
	}
	switch t {
	case Automated:
		if a.Uses == "" {
			c.addf(path()+".uses", "required: an automated activity names its adapter kind (uses: ci.pipeline); for human work use type: manual")
		} else if !validKind(a.Uses) {
			c.addf(path()+".uses", "%q is not a valid adapter kind: want lower-case letters, digits, '.', '-' and '_'", a.Uses)
		}
		not("tasks", len(a.Tasks) > 0)
		not("approval", a.Approval != nil)
		not("process", a.Process != "")
		not("process-version", a.ProcessVersion != 0)
	case Manual:
		not("uses", a.Uses != "")
		not("with", len(a.With) > 0)
		not("approval", a.Approval != nil)
		not("process", a.Process != "")
		not("process-version", a.ProcessVersion != 0)
		not("retry", a.Retry != nil)
		not("rollback", a.Rollback != nil)
		if len(a.Tasks) == 0 && len(a.Outputs) == 0 {
			c.addf(path(), "a manual activity needs tasks or outputs for people to complete")
		}
	case Approval:
		not("uses", a.Uses != "")
		not("with", len(a.With) > 0)
		not("tasks", len(a.Tasks) > 0)
		not("outputs", len(a.Outputs) > 0)
		not("process", a.Process != "")
		not("process-version", a.ProcessVersion != 0)
		not("retry", a.Retry != nil)
		not("rollback", a.Rollback != nil)
		if a.Approval == nil {
			c.addf(path()+".approval", "required: an approval activity needs an approval policy (approvers, min, deadline)")
		}
	case Subprocess:
		not("uses", a.Uses != "")
		not("tasks", len(a.Tasks) > 0)
		not("approval", a.Approval != nil)
		not("retry", a.Retry != nil)
		not("rollback", a.Rollback != nil)
		if a.Process == "" {
			c.addf(path()+".process", "required: a subprocess activity names the process to run")
		} else if !ValidID(string(a.Process)) {
			c.addf(path()+".process", "%q is not a valid process id", a.Process)
		} else if a.Process == c.p.ID {
			c.addf(path()+".process", "process %q runs itself as a subprocess: recursion is not allowed", a.Process)
		}
		if a.ProcessVersion < 0 {
			c.addf(path()+".process-version", "must not be negative, got %d", a.ProcessVersion)
		}
	}
	for k, o := range a.Outputs {
		opath := func() string { return index(path()+".outputs", k) }
		if !validName(o) {
			c.addf(opath(), "%q is not a valid output name: want letters, digits, '-' and '_', starting with a letter or '_'", o)
		}
	}
	forRepeats(a.Outputs, func(k int) {
		c.addf(index(path()+".outputs", k), "output %q declared twice", a.Outputs[k])
	})
	c.checkDuration(path, ".timeout", a.Timeout)
	c.checkDuration(path, ".expected-duration", a.ExpectedDuration)
	if !a.OnFailure.Valid() {
		c.addf(path()+".on-failure", "unknown strategy %q: want hold, fail, ignore or rollback", a.OnFailure)
	}
	if r := a.Retry; r != nil {
		rp := ".retry"
		if r.MaxAttempts < 1 || r.MaxAttempts > 100 {
			c.addf(path()+rp+".max-attempts", "want 1 to 100 attempts (the first one counts), got %d", r.MaxAttempts)
		}
		c.checkDuration(path, ".retry.backoff", r.Backoff)
		c.checkDuration(path, ".retry.max-backoff", r.MaxBackoff)
		if r.MaxBackoff != 0 && r.MaxBackoff < r.Backoff {
			c.addf(path()+rp+".max-backoff", "%v is below backoff %v", r.MaxBackoff, r.Backoff)
		}
		if r.Multiplier != 0 && (r.Multiplier < 1 || r.Multiplier > 100) {
			c.addf(path()+rp+".multiplier", "want a factor from 1 to 100, got %v", r.Multiplier)
		}
	}
	if rb := a.Rollback; rb != nil {
		if rb.Uses == "" {
			c.addf(path()+".rollback.uses", "required: the adapter kind that undoes this activity")
		} else if !validKind(rb.Uses) {
			c.addf(path()+".rollback.uses", "%q is not a valid adapter kind", rb.Uses)
		}
	}
	for k := range a.Tasks {
		tk := &a.Tasks[k]
		tp := index(".tasks", k)
		if tk.ID == "" {
			c.addf(path()+tp+".id", "required: the task id")
		} else if !ValidID(tk.ID) {
			c.addf(path()+tp+".id", "%q is not a valid id: want lower-case letters, digits, '-' and '_', starting with a letter or digit", tk.ID)
		}
		c.checkDuration(path, tp+".expected-duration", tk.ExpectedDuration)
		c.checkPrincipals(path()+tp+".assignees", tk.Assignees)
	}
	if len(a.Tasks) > 1 {
		ids := make([]string, len(a.Tasks))
		for k := range a.Tasks {
			ids[k] = a.Tasks[k].ID
		}
		forRepeats(ids, func(k int) {
			if ids[k] != "" {
				c.addf(path()+index(".tasks", k)+".id", "task %q declared twice", ids[k])
			}
		})
	}
	if ap := a.Approval; ap != nil {
		pp := ".approval"
		if len(ap.Approvers) == 0 {
			c.addf(path()+pp+".approvers", "required: at least one approver (a user or group:NAME)")
		}
		c.checkPrincipals(path()+pp+".approvers", ap.Approvers)
		switch ap.Rule {
		case "", AtLeast:
			if ap.Min < 0 {
				c.addf(path()+pp+".min", "must not be negative, got %d", ap.Min)
			}
			groups := false
			for _, who := range ap.Approvers {
				if strings.HasPrefix(who, "group:") {
					groups = true
				}
			}
			if !groups && ap.Min > len(ap.Approvers) && len(ap.Approvers) > 0 {
				c.addf(path()+pp+".min", "needs %d approvals but names only %d approvers", ap.Min, len(ap.Approvers))
			}
		case Majority, Unanimous:
			if ap.Min != 0 {
				c.addf(path()+pp+".min", "min applies to rule min, not %s", ap.Rule)
			}
		default:
			c.addf(path()+pp+".rule", "unknown rule %q: want min, majority or unanimous", ap.Rule)
		}
		c.checkDuration(path, ".approval.deadline", ap.Deadline)
		switch ap.OnDeadline {
		case "", RejectOnDeadline, ApproveOnDeadline:
		default:
			c.addf(path()+pp+".on-deadline", "unknown action %q: want reject or approve", ap.OnDeadline)
		}
		if ap.OnDeadline != "" && ap.Deadline == 0 {
			c.addf(path()+pp+".on-deadline", "on-deadline needs a deadline")
		}
	}
}

func article(t ActivityType) string {
	if t == Automated || t == Approval {
		return "n"
	}
	return ""
}

// lazyPath builds an activity's path only when a problem needs it: on a
// valid document no path strings are made.
type lazyPath struct {
	i, j int
	s    string
}

func (l *lazyPath) get() string {
	if l.s == "" {
		l.s = actPath(l.i, l.j)
	}
	return l.s
}

func (c *checker) checkDuration(path func() string, field string, d Duration) {
	if d < 0 {
		c.addf(path()+field, "must not be negative, got %v", d.D())
	}
}

func (c *checker) checkPrincipals(path string, who []string) {
	for i, w := range who {
		name := strings.TrimPrefix(w, "group:")
		if strings.TrimSpace(name) == "" || strings.ContainsAny(name, " \t\n") {
			c.addf(index(path, i), "%q is not a user or group:NAME", w)
		}
	}
	forRepeats(who, func(i int) { c.addf(index(path, i), "%q listed twice", who[i]) })
}

// forRepeats calls f, in order, with the index of every item of list that
// repeats an earlier one. Short lists are compared pairwise, long ones
// through a set, so a list of a million items costs a million steps.
func forRepeats(list []string, f func(i int)) {
	if len(list) <= 16 {
		for i := 1; i < len(list); i++ {
			for j := 0; j < i; j++ {
				if list[j] == list[i] {
					f(i)
					break
				}
			}
		}
		return
	}
	seen := make(map[string]struct{}, len(list))
	for i, s := range list {
		if _, dup := seen[s]; dup {
			f(i)
			continue
		}
		seen[s] = struct{}{}
	}
}
