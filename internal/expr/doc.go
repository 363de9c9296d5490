// Package expr compiles and evaluates Baton's expressions: `${{ ... }}`
// interpolation inside process strings and bare boolean `if:` conditions.
//
// Expressions are written in the expr-lang/expr language, extended with the
// GitHub Actions habit of reaching hyphenated names as written:
//
//	inputs.canary-percent
//	phases.prepare.activities.cut-branch.outputs.sha
//
// A hyphen directly between two name characters belongs to the name, so a
// subtraction needs spaces around the minus sign (`inputs.a - inputs.b`).
//
// A template is split at the first "}}" after "${{" that is outside string
// literals and map-literal braces; there is no escape for a literal "${{" in
// text, write it as an expression string: ${{ '${{' }}. A condition (`if:`)
// is a bare expression, optionally wrapped whole in one ${{ }}. A condition
// whose value is statically known not to be boolean (a literal, or an input
// whose kind [Env.InputKinds] declares, combined by arithmetic) is refused
// with [ErrType] when compiled; one of unknown type is checked when it runs.
//
// An expression may read only what its [Env] declares: `inputs.NAME`,
// `vars.NAME`, `release.FIELD` (id, name, version, group, scheduled-for) and
// `phases.P.activities.A.outputs.O`. Anything else (an unknown root such as
// `env` or `$env`, an undeclared name, a function outside the small
// whitelist returned by [Builtins], `let`, method calls) is a compile error, so a typo is reported
// when a process is validated, not when a release runs. Every reference is
// recorded ([Template.Refs], [Condition.Refs]) so the process validator can
// check that an activity only reads outputs of activities it depends on.
//
// Expressions come from untrusted documents, so compilation and evaluation are
// bounded: each expression is at most [MaxSourceLen] bytes and [MaxNodes] AST
// nodes; at run time the iterations of predicate builtins (map, filter, all,
// ...) are capped at [MaxSteps], and every value an evaluation builds (ranges,
// literals, string concatenation, toJSON, join, split and the other builtins
// that build values, what predicate bodies produce) is charged to a memory
// budget of [MaxMemory] shared by all parts of a template. A template's
// result, interpolated or the single value of a lone ${{ }}, is bounded by
// [MaxResultLen] (see [ResultSize]). Any panic inside expr-lang is recovered
// into an [*Error]. The package is pure:
// no goroutines, no clock, no I/O. Compiled templates and conditions are
// immutable and safe for concurrent use.
//
// Errors are [*Error] values carrying the source, the byte offset of the
// problem and a sentinel kind ([ErrSyntax], [ErrUndeclared], [ErrType],
// [ErrLimit], [ErrMissingOutput], [ErrEval]) for errors.Is.
//
// Usage:
//
//	env := &expr.Env{Inputs: []string{"version", "canary-percent"}}
//	tpl, err := expr.CompileTemplate("v${{ inputs.version }}", env)
//	if err != nil {
//		return err // *expr.Error with the offset of the problem
//	}
//	v, err := tpl.Eval(&expr.Scope{Inputs: map[string]any{"version": "1.2.3"}})
//	// v == "v1.2.3"
//
//	cond, err := expr.CompileCondition("inputs.canary-percent > 10", env)
//	ok, err := cond.Eval(scope)
package expr
