package expr

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func testScope() *Scope {
	return &Scope{
		Inputs: map[string]any{
			"version": "1.2.3", "canary-percent": 10, "a": 5, "b": 2, "flag": true,
			"list":     []any{1, 2, 3},
			"services": []any{"api", "web"},
			"cfg":      map[string]any{"region": "eu", "some-key": "v", "2024-q1": 7, "nested": map[string]any{"x": 1.5}},
			"n":        2.5,
		},
		Vars:    map[string]any{"tag": "v1.2.3", "x-y": "xy"},
		Release: map[string]any{"id": "rel-1", "name": "Mobile 1.2.3", "version": "1.2.3", "scheduled-for": time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC)},
		Outputs: func(phase, activity string) map[string]any {
			if phase == "prepare" && activity == "cut-branch" {
				return map[string]any{"sha": "abc123"}
			}
			return nil
		},
	}
}

func TestTemplateEvalReturnsTheTypedValueOfALoneExpression(t *testing.T) {
	tests := []struct {
		name, src string
		want      any
	}{
		{"string", "${{ inputs.version }}", "1.2.3"},
		{"int", "${{ inputs.canary-percent }}", 10},
		{"arithmetic", "${{ inputs.a - inputs.b }}", 3},
		{"float", "${{ inputs.n * 2 }}", 5.0},
		{"bool", "${{ inputs.a > inputs.b }}", true},
		{"list stays a list", "${{ inputs.services }}", []any{"api", "web"}},
		{"mapped list", "${{ map(inputs.list, # * 2) }}", []any{2, 4, 6}},
		{"map value", "${{ inputs.cfg.nested }}", map[string]any{"x": 1.5}},
		{"hyphenated member", "${{ inputs.cfg.some-key }}", "v"},
		{"digit member", "${{ inputs.cfg.2024-q1 }}", 7},
		{"optional chaining on a missing key", "${{ inputs.cfg.missing?.x }}", nil},
		{"nil coalescing", "${{ inputs.cfg.missing ?? 'dflt' }}", "dflt"},
		{"output", "${{ phases.prepare.activities.cut-branch.outputs.sha }}", "abc123"},
		{"release field", "${{ release.id }}", "rel-1"},
		{"release time field", "${{ release.scheduled-for }}", time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC)},
		{"hyphenated variable", "${{ vars.x-y }}", "xy"},
		{"builtins", "${{ upper(join(filter(inputs.services, # != 'web'), ',')) }}", "API"},
		{"literal stays text", "no expressions here", "no expressions here"},
		{"empty literal", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := CompileTemplate(tt.src, testEnv)
			require.NoError(t, err)
			got, err := tpl.Eval(testScope())
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestTemplateEvalFormatsInterpolatedParts(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"string", "v${{ inputs.version }}", "v1.2.3"},
		{"int", "${{ inputs.canary-percent }}%", "10%"},
		{"float without trailing zeros", "x=${{ inputs.n * 2 }}", "x=5"},
		{"float with fraction", "x=${{ inputs.n }}", "x=2.5"},
		{"small float", "x=${{ 1 / 4 }}", "x=0.25"},
		{"bool", "ok=${{ inputs.flag }}", "ok=true"},
		{"false", "ok=${{ !inputs.flag }}", "ok=false"},
		{"nil is empty", "[${{ inputs.cfg.missing }}]", "[]"},
		{"list as compact JSON", "s=${{ inputs.services }}", `s=["api","web"]`},
		{"map as compact JSON without HTML escaping", "m=${{ {'a': '<b>', 'n': 1} }}", `m={"a":"<b>","n":1}`},
		{"time as RFC 3339", "at ${{ release.scheduled-for }}", "at 2026-11-25T22:00:00Z"},
		{"several parts", "${{ release.name }} (${{ vars.tag }})", "Mobile 1.2.3 (v1.2.3)"},
		{"padding makes it a string", " ${{ inputs.list }}", " [1,2,3]"},
		{"two expressions, no text", "${{ inputs.a }}${{ inputs.b }}", "52"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := CompileTemplate(tt.src, testEnv)
			require.NoError(t, err)
			got, err := tpl.Eval(testScope())
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestConditionEval(t *testing.T) {
	tests := []struct {
		name, src string
		want      bool
	}{
		{"comparison", `inputs.version == "1.2.3"`, true},
		{"hyphenated input", `inputs.canary-percent > 50`, false},
		{"wrapped", `${{ inputs.flag && inputs.a - inputs.b == 3 }}`, true},
		{"untyped bool input", `inputs.flag`, true},
		{"in list", `"api" in inputs.services`, true},
		{"predicate", `all(inputs.list, # > 0)`, true},
		{"startsWith", `release.version startsWith "1."`, true},
		{"output", `phases.prepare.activities.cut-branch.outputs.sha == "abc123"`, true},
		{"undeclared-at-runtime input is nil", `inputs.b == nil || inputs.b == 2`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := CompileCondition(tt.src, testEnv)
			require.NoError(t, err)
			got, err := c.Eval(testScope())
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestConditionEvalRejectsANonBooleanResult(t *testing.T) {
	c, err := CompileCondition(`inputs.version`, testEnv)
	require.NoError(t, err)
	ok, err := c.Eval(testScope())
	require.False(t, ok)
	require.ErrorIs(t, err, ErrType)
	require.ErrorContains(t, err, "condition must be boolean, got string")
}

func TestEvalOfAMissingOutputNamesIt(t *testing.T) {
	tests := []struct {
		name  string
		scope *Scope
	}{
		{"activity has no outputs yet", testScope()},
		{"scope without outputs", &Scope{}},
		{"nil scope", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := CompileTemplate("sha=${{ phases.build.activities.compile.outputs.artifact }}", testEnv)
			require.NoError(t, err)
			_, err = tpl.Eval(tt.scope)
			require.ErrorIs(t, err, ErrMissingOutput)
			var e *Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, 8, e.Offset)
			require.Contains(t, e.Msg, "output artifact of activity build.compile is not available")
		})
	}
}

func TestEvalErrorsAreTypedWithOffsets(t *testing.T) {
	tpl, err := CompileTemplate("x ${{ inputs.list[10] }}", testEnv)
	require.NoError(t, err)
	_, err = tpl.Eval(testScope())
	require.ErrorIs(t, err, ErrEval)
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, 17, e.Offset) // the [10]
	require.Contains(t, e.Msg, "index out of range")
}

func TestEvalWithNilMapsReadsNil(t *testing.T) {
	tpl, err := CompileTemplate("[${{ inputs.version }}${{ vars.tag }}${{ release.id }}]", testEnv)
	require.NoError(t, err)
	got, err := tpl.Eval(&Scope{})
	require.NoError(t, err)
	require.Equal(t, "[]", got)
}

func TestCompiledExpressionsAreReusable(t *testing.T) {
	// A compiled template is evaluated many times with different scopes;
	// per-evaluation budgets must not leak from one run into the next.
	tpl, err := CompileTemplate("${{ len(filter(1..60000, # > 0)) }}", testEnv)
	require.NoError(t, err)
	for range 3 {
		got, err := tpl.Eval(testScope())
		require.NoError(t, err)
		require.Equal(t, 60000, got)
	}
}

func TestConditionalExpressions(t *testing.T) {
	tpl, err := CompileTemplate("${{ if inputs.flag { inputs.version } else { 'none' } }}/${{ inputs.flag ? 'on' : 'off' }}", testEnv)
	require.NoError(t, err)
	got, err := tpl.Eval(testScope())
	require.NoError(t, err)
	require.Equal(t, "1.2.3/on", got)
}

func TestCompiledExpressionsAreSafeForConcurrentUse(t *testing.T) {
	tpl, err := CompileTemplate("${{ inputs.version }}-${{ len(filter(inputs.list, # > 1)) }}", testEnv)
	require.NoError(t, err)
	c, err := CompileCondition("all(inputs.list, # > 0)", testEnv)
	require.NoError(t, err)
	done := make(chan error, 8)
	for range 4 {
		go func() {
			for range 50 {
				v, err := tpl.Eval(testScope())
				if err == nil && v != "1.2.3-2" {
					err = fmt.Errorf("got %v", v)
				}
				if err == nil {
					_, err = c.Eval(testScope())
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		require.NoError(t, <-done)
	}
}

func TestALiteralDelimiterCanBeWrittenAsAnExpressionString(t *testing.T) {
	tpl, err := CompileTemplate("use ${{ '${{' }} inputs.x }}", testEnv)
	require.NoError(t, err)
	got, err := tpl.Eval(nil)
	require.NoError(t, err)
	require.Equal(t, "use ${{ inputs.x }}", got)
}
