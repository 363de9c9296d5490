package process

import "github.com/batonhq/baton/internal/expr"

// CompileStored is [Compile] for a process that was accepted before: a
// stored version a release is pinned to. It does not refuse an if: whose
// value is statically known not to be boolean (if: inputs.n + 1 with an
// integer input), which Compile refuses since it was added; such a
// condition fails when it runs, as it did when the version was stored, so
// releases of that version still load. Every other rule applies.
func CompileStored(p *Process) (*Compiled, error) {
	if p == nil {
		return Compile(p)
	}
	c := checkAs(p, 0, true)
	if len(c.problems) > 0 {
		verr := newValidationError(c.problems, c.dropped)
		nameProblemPaths(p, verr.Problems)
		return nil, verr
	}
	return c.out, nil
}

// inputKind is the static kind of an input of type t in expressions, used
// to refuse `if:` conditions that cannot be boolean.
func inputKind(t InputType) expr.Kind {
	switch t {
	case String:
		return expr.KindString
	case Number:
		return expr.KindNumber
	case Integer:
		return expr.KindInteger
	case Boolean:
		return expr.KindBool
	case List:
		return expr.KindList
	case Object:
		return expr.KindObject
	}
	return expr.KindUnknown
}
