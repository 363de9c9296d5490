package process

import (
	"fmt"
	"maps"
	"slices"

	"github.com/batonhq/baton/internal/expr"
)

// Scope holds the values expressions read when a release evaluates them.
type Scope struct {
	Inputs map[string]any
	Vars   map[string]any
	// Release holds the release's fields as expressions name them: "id",
	// "name", "version", "group", "scheduled-for".
	Release map[string]any
	// Outputs returns the outputs of a completed activity, or nil.
	Outputs func(ActivityRef) map[string]any
}

// ErrLimit matches the error of an expression that passed a safety limit
// when evaluated: its memory budget, the size of its result, its
// iterations, or (With, RollbackWith) the total size of an activity's
// evaluated with: values. Test it with errors.Is.
var ErrLimit = expr.ErrLimit

// maxWithSize bounds the evaluated templates of one with: together, as
// each one alone is bounded: many keys each just under the limit cannot add
// up to many times it.
const maxWithSize = expr.MaxResultLen

func (s *Scope) expr() *expr.Scope {
	if s == nil {
		return &expr.Scope{}
	}
	es := &expr.Scope{Inputs: s.Inputs, Vars: s.Vars, Release: s.Release}
	if s.Outputs != nil {
		out := s.Outputs
		es.Outputs = func(phase, activity string) map[string]any {
			return out(ActivityRef{Phase: PhaseID(phase), Activity: ActivityID(activity)})
		}
	}
	return es
}

// Variables evaluates the process's variables in order (each may read the
// ones before it) and returns them by name. s.Vars is ignored.
func (c *Compiled) Variables(s *Scope) (map[string]any, error) {
	vars := make(map[string]any, len(c.proc.Variables))
	es := s.expr()
	es.Vars = vars
	for i, v := range c.proc.Variables {
		t := c.vars[i]
		if t == nil {
			vars[v.Name] = v.Value
			continue
		}
		val, err := t.Eval(es)
		if err != nil {
			return nil, fmt.Errorf("process: variables.%s: %w", v.Name, err)
		}
		vars[v.Name] = val
	}
	return vars, nil
}

// PhaseEnabled evaluates a phase's if: condition; true when it has none.
func (c *Compiled) PhaseEnabled(phase PhaseID, s *Scope) (bool, error) {
	for i := range c.proc.Phases {
		if c.proc.Phases[i].ID != phase {
			continue
		}
		cond := c.phaseIf[i]
		if cond == nil {
			return true, nil
		}
		ok, err := cond.Eval(s.expr())
		if err != nil {
			return false, fmt.Errorf("process: phase %s: if: %w", phase, err)
		}
		return ok, nil
	}
	return false, fmt.Errorf("process: unknown phase %q", phase)
}

// ActivityEnabled evaluates an activity's if: condition; true when it has
// none.
func (c *Compiled) ActivityEnabled(ref ActivityRef, s *Scope) (bool, error) {
	id, ok := c.node(ref)
	if !ok {
		return false, fmt.Errorf("process: unknown activity %q", ref)
	}
	cond := c.acts[id].cond
	if cond == nil {
		return true, nil
	}
	ok, err := cond.Eval(s.expr())
	if err != nil {
		return false, fmt.Errorf("process: %s: if: %w", ref, err)
	}
	return ok, nil
}

// With returns an activity's with: parameters with every ${{ }} template
// evaluated. The result is a fresh copy the caller owns. The values of its
// templates are bounded together: when their sizes add up to more than an
// expression's result may be (1 MiB), the error matches ErrLimit.
func (c *Compiled) With(ref ActivityRef, s *Scope) (map[string]any, error) {
	id, ok := c.node(ref)
	if !ok {
		return nil, fmt.Errorf("process: unknown activity %q", ref)
	}
	a := c.Activity(ref)
	if a.With == nil {
		return nil, nil
	}
	var es *expr.Scope
	if c.acts[id].with != nil { // some value is a template
		es = s.expr()
	}
	left := maxWithSize
	v, err := evalValues(a.With, c.acts[id].with, es, &left)
	if err != nil {
		return nil, fmt.Errorf("process: %s: with: %w", ref, err)
	}
	m, _ := v.(map[string]any)
	return m, nil
}

// RollbackWith returns the with: parameters of an activity's rollback,
// evaluated and bounded as With's; nil when the activity has no rollback.
func (c *Compiled) RollbackWith(ref ActivityRef, s *Scope) (map[string]any, error) {
	id, ok := c.node(ref)
	if !ok {
		return nil, fmt.Errorf("process: unknown activity %q", ref)
	}
	a := c.Activity(ref)
	if a.Rollback == nil {
		return nil, nil
	}
	left := maxWithSize
	v, err := evalValues(a.Rollback.With, c.acts[id].rollbackWith, s.expr(), &left)
	if err != nil {
		return nil, fmt.Errorf("process: %s: rollback.with: %w", ref, err)
	}
	m, _ := v.(map[string]any)
	return m, nil
}

// evalValues copies v, replacing each string that has a compiled template
// in the mirror tree t by its value. The sizes of the values are taken from
// *left; a value larger than what is left is an ErrLimit error.
func evalValues(v any, t any, s *expr.Scope, left *int) (any, error) {
	switch x := v.(type) {
	case string:
		tpl, ok := t.(*expr.Template)
		if !ok {
			return x, nil
		}
		val, err := tpl.Eval(s)
		if err != nil {
			return nil, err
		}
		n := expr.ResultSize(val)
		if n > *left {
			return nil, fmt.Errorf("%w: the evaluated values add up to more than %d bytes", ErrLimit, maxWithSize)
		}
		*left -= n
		return val, nil
	case map[string]any:
		tm, _ := t.(map[string]any)
		out := make(map[string]any, len(x))
		// In key order, so the key an error names is always the same.
		for _, k := range slices.Sorted(maps.Keys(x)) {
			e := x[k]
			val, err := evalValues(e, tm[k], s, left)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = val
		}
		return out, nil
	case []any:
		tl, _ := t.([]any)
		out := make([]any, len(x))
		for i, e := range x {
			var ti any
			if i < len(tl) {
				ti = tl[i]
			}
			val, err := evalValues(e, ti, s, left)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = val
		}
		return out, nil
	}
	return v, nil
}
