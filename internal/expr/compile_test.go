package expr

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCompileRejectsWhatTheEnvDoesNotDeclare(t *testing.T) {
	tests := []struct {
		name, src string
		kind      error
		offset    int
		msg       string
	}{
		{"unknown input", "${{ inputs.nope }}", ErrUndeclared, 4, `undeclared input "nope"`},
		{"subtraction without spaces", "${{ inputs.a-inputs.b }}", ErrUndeclared, 4, `undeclared input "a-inputs"; a subtraction needs spaces`},
		{"unknown var", "ab ${{ vars.nope }}", ErrUndeclared, 7, `undeclared variable "nope"`},
		{"unknown release field", "${{ release.owner }}", ErrUndeclared, 4, `unknown release field "owner"`},
		{"unknown output", "${{ phases.build.activities.compile.outputs.sha }}", ErrUndeclared, 4, `activity build.compile declares no output "sha"`},
		{"unknown phase", "${{ phases.ship.activities.compile.outputs.sha }}", ErrUndeclared, 4, `unknown phase "ship"`},
		{"unknown activity", "${{ phases.build.activities.link.outputs.sha }}", ErrUndeclared, 4, `phase "build" has no activity "link"`},
		{"activity without outputs", "${{ phases.qa.activities.signoff.outputs.ok }}", ErrUndeclared, 4, `declares no output "ok"`},
		{"env root", "${{ env.HOME }}", ErrUndeclared, 4, `unknown name "env"`},
		{"os root", "${{ os.Getenv('HOME') }}", ErrUndeclared, 4, `unknown name "os"`},
		{"$env", "${{ $env['inputs'] }}", ErrUndeclared, 4, `unknown name "$env"`},
		{"internal runtime name", "${{ __baton_rt }}", ErrUndeclared, 4, `unknown name "__baton_rt"`},
		{"internal output function", "${{ __baton_out(__baton_rt, 'a', 'b', 'c') }}", ErrUndeclared, 4, `unknown function "__baton_out"`},
		{"undeclared function", "${{ exec('rm') }}", ErrUndeclared, 4, `unknown function "exec"`},
		{"disabled builtin now", "${{ now() }}", ErrUndeclared, 4, `unknown function "now"`},
		{"disabled builtin reduce", "${{ reduce(inputs.list, #acc + #acc, 'x') }}", ErrUndeclared, 4, `unknown function "reduce"`},
		{"disabled builtin repeat", "${{ repeat('x', 1000000) }}", ErrUndeclared, 4, `unknown function "repeat"`},
		{"let", "${{ let x = 1; x }}", ErrUndeclared, 4, "let is not allowed"},
		{"method call", "${{ inputs.cfg.Get('x') }}", ErrUndeclared, 15, `method call "Get" is not allowed`},
		{"bare inputs", "${{ inputs }}", ErrSyntax, 10, "expected .NAME after inputs"},
		{"dynamic input name", "${{ inputs[vars.tag] }}", ErrSyntax, 11, "needs a constant string name"},
		{"incomplete output path", "${{ phases.build.activities.compile }}", ErrSyntax, 35, "expected .outputs after phases.build.activities.compile"},
		{"wrong output path keyword", "${{ phases.build.steps.compile.outputs.x }}", ErrSyntax, 16, "expected .activities after phases.build"},
		{"syntax error with offset", "${{ inputs.a + * 2 }}", ErrSyntax, 15, "unexpected token"},
		{"unterminated ${{", "x ${{ inputs.a", ErrSyntax, 2, "unterminated ${{"},
		{"unterminated ${{ after a good part", "${{ inputs.a }} and ${{ inputs.b ", ErrSyntax, 20, "unterminated ${{"},
		{"unterminated string", "${{ 'abc }}", ErrSyntax, 4, "unterminated string literal"},
		{"empty expression", "a ${{ }} b", ErrSyntax, 5, "empty expression"},
		{"comment", "${{ inputs.a // hi }}", ErrSyntax, 13, "comments are not allowed"},
		{"expression too long", "${{ " + strings.Repeat("1 + ", MaxSourceLen/4) + "1 }}", ErrLimit, 3, "longer than 4096 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := CompileTemplate(tt.src, testEnv)
			require.Nil(t, tpl)
			var e *Error
			require.ErrorAs(t, err, &e)
			require.ErrorIs(t, err, tt.kind)
			require.Equal(t, tt.offset, e.Offset, e.Error())
			require.Contains(t, e.Msg, tt.msg)
			require.Equal(t, tt.src, e.Source)
			require.True(t, strings.HasPrefix(err.Error(), "expr: "), err.Error())
		})
	}
}

func TestCompileRejectsTooManyNodes(t *testing.T) {
	// Short source, many nodes: every "1," is a node.
	src := "${{ len([" + strings.Repeat("1,", MaxNodes) + "1]) }}"
	require.Less(t, len(src), MaxSourceLen)
	_, err := CompileTemplate(src, testEnv)
	require.ErrorIs(t, err, ErrSyntax)
	require.ErrorContains(t, err, "exceeds maximum allowed nodes")
}

func TestCompileRejectsTooLongTemplates(t *testing.T) {
	_, err := CompileTemplate(strings.Repeat("x", MaxTemplateLen+1), testEnv)
	require.ErrorIs(t, err, ErrLimit)
}

func TestCompileWithNilEnvAllowsOnlyReleaseFields(t *testing.T) {
	_, err := CompileTemplate("${{ release.version }}", nil)
	require.NoError(t, err)
	_, err = CompileTemplate("${{ inputs.version }}", nil)
	require.ErrorIs(t, err, ErrUndeclared)
}

func TestCompileConditionRequiresABoolean(t *testing.T) {
	tests := []struct {
		name, src string
		kind      error // nil: compiles
	}{
		{"comparison", `inputs.version == "1.0"`, nil},
		{"wrapped", `${{ inputs.flag && inputs.a > 1 }}`, nil},
		{"wrapped with blanks around", "  ${{ inputs.flag }}\n", nil},
		{"untyped input is accepted", `inputs.flag`, nil},
		{"output compared", `phases.build.activities.compile.outputs.artifact != nil`, nil},
		{"predicate", `any(inputs.services, # == "api")`, nil},
		{"string literal", `"yes"`, ErrType},
		{"arithmetic", `inputs.a + 1 == 2 ? 1 : 2`, ErrType},
		{"number literal", `1 + 2`, ErrType},
		{"text after wrapped", `${{ inputs.flag }} && true`, ErrSyntax},
		{"empty", `   `, ErrSyntax},
		{"empty wrapped", `${{ }}`, ErrSyntax},
		{"undeclared", `inputs.nope`, ErrUndeclared},
		{"unterminated wrap", `${{ inputs.flag`, ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := CompileCondition(tt.src, testEnv)
			if tt.kind == nil {
				require.NoError(t, err)
				require.NotNil(t, c)
				require.Equal(t, tt.src, c.Source())
				return
			}
			require.ErrorIs(t, err, tt.kind)
			var e *Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, tt.src, e.Source)
		})
	}
}

func TestContainsDetectsTemplateMarkers(t *testing.T) {
	require.True(t, Contains("a ${{ b }}"))
	require.True(t, Contains("${{"))
	require.False(t, Contains("a ${ b } {{ c }}"))
}

func TestErrorMessageQuotesALongSourceAroundTheOffset(t *testing.T) {
	src := strings.Repeat("x", 200) + "${{ inputs.nope }}" + strings.Repeat("y", 200)
	_, err := CompileTemplate(src, testEnv)
	require.Error(t, err)
	require.Contains(t, err.Error(), `undeclared input "nope" (offset 204 in ..."`)
	require.Less(t, len(err.Error()), 200)
}

func TestCompileConditionRejectsTooLongSources(t *testing.T) {
	_, err := CompileCondition(strings.Repeat("true && ", MaxSourceLen/8+1)+"true", testEnv)
	require.ErrorIs(t, err, ErrLimit)
	_, err = CompileCondition(strings.Repeat(" ", 1<<20)+"true", testEnv)
	require.ErrorIs(t, err, ErrLimit)
}

func TestExpressionsOfOneShapeShareAProgramButReadTheirOwnOutputs(t *testing.T) {
	env := &Env{Outputs: map[string]map[string][]string{
		"build": {"api": {"image"}, "web": {"image"}},
	}}
	api, err := CompileTemplate("${{ phases.build.activities.api.outputs.image }}", env)
	require.NoError(t, err)
	web, err := CompileTemplate("${{ phases.build.activities.web.outputs.image }}", env)
	require.NoError(t, err)
	require.Same(t, api.parts[0].prog.vm, web.parts[0].prog.vm, "one compiled program for one shape")

	scope := &Scope{Outputs: func(phase, activity string) map[string]any {
		return map[string]any{"image": phase + "/" + activity}
	}}
	v, err := api.Eval(scope)
	require.NoError(t, err)
	require.Equal(t, "build/api", v)
	v, err = web.Eval(scope)
	require.NoError(t, err)
	require.Equal(t, "build/web", v)
}
