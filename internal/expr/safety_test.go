package expr

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// These tests document the safety contract for untrusted documents: every
// hostile expression either fails to compile or fails fast at evaluation
// with ErrLimit, never hangs, exhausts memory or panics. (If a bound
// regressed, the test would hang or run out of memory rather than pass.)

func bigScope() *Scope {
	s := testScope()
	list := make([]any, 1000)
	for i := range list {
		list[i] = i
	}
	s.Inputs["list"] = list
	s.Inputs["big"] = strings.Repeat("x", 64<<10)
	return s
}

func TestHostileExpressionsHitALimit(t *testing.T) {
	tests := []struct {
		name, src string
	}{
		{"huge range", "${{ 1..1000000000 }}"},
		{"huge range inside len", "${{ len(1..1000000000) }}"},
		{"two large ranges", "${{ [1..800000, 1..800000] }}"},
		{"nested map over ranges", "${{ map(1..1000, map(1..1000, #)) }}"},
		{"nested filter over ranges", "${{ len(filter(1..1000, len(filter(1..1000, # < 0)) == 0)) }}"},
		{"nested predicates over an input list", "${{ all(inputs.list, all(inputs.list, all(inputs.list, true))) }}"},
		{"count nested in any", "${{ any(inputs.list, count(inputs.list, # == -1) > 0) }}"},
		{"predicates producing big strings", "${{ join(map(1..100, inputs.big + inputs.big), '') }}"},
		{"predicates producing big lists", "${{ map(1..100, split(inputs.big, '')) }}"},
		{"pipe chain", "${{ inputs.list | map(inputs.list) | map(inputs.list) }}"},
		{"interpolation result too long", strings.Repeat("${{ inputs.big }}", 20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := CompileTemplate(tt.src, testEnv)
			require.NoError(t, err)
			_, err = tpl.Eval(bigScope())
			require.ErrorIs(t, err, ErrLimit)
			var e *Error
			require.ErrorAs(t, err, &e)
		})
	}
}

func TestBoundedExpressionsBelowTheLimitsStillWork(t *testing.T) {
	tpl, err := CompileTemplate("${{ len(filter(inputs.list, any(1..50, # == 3))) }}", testEnv)
	require.NoError(t, err)
	got, err := tpl.Eval(bigScope())
	require.NoError(t, err)
	require.Equal(t, 1000, got)
}

func TestConditionsAreBoundedToo(t *testing.T) {
	c, err := CompileCondition("all(inputs.list, all(inputs.list, # >= 0))", testEnv)
	require.NoError(t, err)
	_, err = c.Eval(bigScope())
	require.ErrorIs(t, err, ErrLimit)
	require.ErrorContains(t, err, "more than 100000 predicate iterations")
}

func TestDangerousBuiltinsAreNotReachable(t *testing.T) {
	for _, fn := range []string{
		"now()", "date('2020-01-01')", "duration('1h')", "timezone('UTC')",
		"repeat('x', 100)", "replace('a', 'a', 'b')", "reduce([1], #acc)",
		"sortBy([1], #)", "groupBy([1], #)", "get(inputs, 'a')", "toBase64('x')",
		"bitnot(1)", "env('HOME')", "getenv('HOME')", "exec('id')", "readFile('/etc/passwd')",
	} {
		t.Run(fn, func(t *testing.T) {
			_, err := CompileTemplate("${{ "+fn+" }}", testEnv)
			require.ErrorIs(t, err, ErrUndeclared)
			require.ErrorContains(t, err, "unknown function")
		})
	}
}

func TestPanicsInsideEvaluationBecomeErrors(t *testing.T) {
	s := testScope()
	s.Outputs = func(phase, activity string) map[string]any { panic("host bug") }
	tpl, err := CompileTemplate("${{ phases.prepare.activities.cut-branch.outputs.sha }}", testEnv)
	require.NoError(t, err)
	var got any
	require.NotPanics(t, func() { got, err = tpl.Eval(s) })
	require.Nil(t, got)
	require.ErrorIs(t, err, ErrEval)
	require.ErrorContains(t, err, "host bug")
}

func TestGuardRejectsProgramsTheFrontEndWouldLetThrough(t *testing.T) {
	// Defence in depth: even a program that bypassed the rewriter cannot
	// call functions or read names outside the whitelist.
	for _, code := range []string{"$env", "reduce([1], #acc)", "let x = 1; x", "foo", "inputs.version.Method()"} {
		t.Run(code, func(t *testing.T) {
			_, err := compileProgram(code, &program{code: code})
			require.ErrorIs(t, err, ErrUndeclared)
		})
	}
}
