package expr

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var testEnv = &Env{
	Inputs: []string{"version", "canary-percent", "a", "b", "list", "cfg", "services", "flag", "n", "big"},
	Vars:   []string{"tag", "x-y"},
	Outputs: map[string]map[string][]string{
		"prepare": {"cut-branch": {"sha", "branch-name"}},
		"build":   {"compile": {"artifact"}},
		"qa":      {"signoff": nil},
	},
}

// code returns the rewritten expr-lang program of the only ${{ }} in src.
func code(t *testing.T, src string) string {
	t.Helper()
	tpl, err := CompileTemplate(src, testEnv)
	require.NoError(t, err)
	var progs []string
	for _, p := range tpl.parts {
		if p.prog != nil {
			progs = append(progs, p.prog.p.code)
		}
	}
	require.Len(t, progs, 1)
	return progs[0]
}

func TestRewriteTurnsHyphenatedNamesIntoIndexes(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"plain input", "${{ inputs.version }}", ` inputs["version"] `},
		{"hyphenated input", "${{ inputs.canary-percent }}", ` inputs["canary-percent"] `},
		{"subtraction with spaces", "${{ inputs.a - inputs.b }}", ` inputs["a"] - inputs["b"] `},
		{"number subtraction without spaces", "${{ 1-2 }}", ` 1-2 `},
		{"call result minus one", "${{ len(inputs.list)-1 }}", ` len(inputs["list"])-1 `},
		{"string index", `${{ inputs["canary-percent"] }}`, ` inputs["canary-percent"] `},
		{"single-quoted index", `${{ vars['x-y'] }}`, ` vars["x-y"] `},
		{"hyphenated variable", "${{ vars.x-y }}", ` vars["x-y"] `},
		{"string containing ${{ and dots is left alone", `${{ '${{ inputs.nope.x-y' + inputs.a }}`, ` '${{ inputs.nope.x-y' + inputs["a"] `},
		{"string containing }} does not end the expression", `${{ "}}" + inputs.a }}`, ` "}}" + inputs["a"] `},
		{"escaped quote in string", `${{ "a\"}}.b-c" + inputs.a }}`, ` "a\"}}.b-c" + inputs["a"] `},
		{"raw string", "${{ `x.y-z` }}", " `x.y-z` "},
		{"hyphenated member after a reference", "${{ inputs.cfg.some-key }}", ` inputs["cfg"]["some-key"] `},
		{"optional hyphenated member", "${{ inputs.cfg?.some-key }}", ` inputs["cfg"]?.["some-key"] `},
		{"member starting with a digit", "${{ inputs.cfg.2024-q1 }}", ` inputs["cfg"]["2024-q1"] `},
		{"plain member kept", "${{ inputs.cfg.region }}", ` inputs["cfg"].region `},
		{"nested index", "${{ inputs.list[inputs.a - 1][0] }}", ` inputs["list"][inputs["a"] - 1][0] `},
		{"index by a reference with hyphen", "${{ inputs.cfg[inputs.canary-percent] }}", ` inputs["cfg"][inputs["canary-percent"]] `},
		{"predicate shorthand with hyphen", "${{ filter(inputs.list, .dash-name == 1) }}", ` filter(inputs["list"], #["dash-name"] == 1) `},
		{"pointer member with hyphen", "${{ map(inputs.list, #.dash-name) }}", ` map(inputs["list"], #["dash-name"]) `},
		{"pointer minus number", "${{ map(inputs.list, #index - 1) }}", ` map(inputs["list"], #index - 1) `},
		{"hyphenated map key", "${{ {dash-key: inputs.a, plain: 1} }}", ` {"dash-key": inputs["a"], plain: 1} `},
		{"nested map literal", "${{ {a: {b: inputs.a}} }}", ` {a: {b: inputs["a"]}} `},
		{"ternary is not a map key", "${{ {a: inputs.flag ? inputs.a : inputs.b} }}", ` {a: inputs["flag"] ? inputs["a"] : inputs["b"]} `},
		{"output", "${{ phases.prepare.activities.cut-branch.outputs.sha }}",
			` __baton_out(__baton_rt, 0) `},
		{"hyphenated output with indexes", `${{ phases["prepare"].activities.cut-branch.outputs['branch-name'] }}`,
			` __baton_out(__baton_rt, 0) `},
		{"release field", "${{ release.scheduled-for }}", ` release["scheduled-for"] `},
		{"keywords and builtins", "${{ not (inputs.version matches '^1') && upper(inputs.version) in inputs.list }}",
			` not (inputs["version"] matches '^1') && upper(inputs["version"]) in inputs["list"] `},
		{"range", "${{ 1..3 }}", ` 1..3 `},
		{"float and exponent", "${{ 1.5e-3 + inputs.a }}", ` 1.5e-3 + inputs["a"] `},
		{"newlines between tokens", "${{\ninputs.a\n-\ninputs.b\n}}", "\ninputs[\"a\"]\n-\ninputs[\"b\"]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, code(t, tt.src))
		})
	}
}

func TestTemplateSplitsAtTheFirstClosingOutsideStringsAndBraces(t *testing.T) {
	tests := []struct {
		name, src string
		lits      []string
		exprs     int
	}{
		{"no expression", "plain text }} here", []string{"plain text }} here"}, 0},
		{"text around", "v${{ inputs.version }}-rc", []string{"v", "-rc"}, 1},
		{"two adjacent", "${{ inputs.a }}${{ inputs.b }}", nil, 2},
		{"map literal closing braces", "${{ {a: {b: 1}}}}!", []string{"!"}, 1},
		{"closing inside a string", "${{ '}}' }}x", []string{"x"}, 1},
		{"dollar without braces", "$5 and ${ x }", []string{"$5 and ${ x }"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := CompileTemplate(tt.src, testEnv)
			require.NoError(t, err)
			var lits []string
			exprs := 0
			for _, p := range tpl.parts {
				if p.prog == nil {
					lits = append(lits, p.lit)
				} else {
					exprs++
				}
			}
			require.Equal(t, tt.lits, lits)
			require.Equal(t, tt.exprs, exprs)
			require.Equal(t, tt.exprs == 0, tpl.IsLiteral())
		})
	}
}

func TestRefsRecordEveryReferenceWithItsOffset(t *testing.T) {
	src := "x ${{ inputs.canary-percent }} ${{ vars.tag + release.id + phases.build.activities.compile.outputs.artifact }}"
	tpl, err := CompileTemplate(src, testEnv)
	require.NoError(t, err)
	require.Equal(t, []Ref{
		{Kind: RefInput, Name: "canary-percent", Offset: 6},
		{Kind: RefVar, Name: "tag", Offset: 35},
		{Kind: RefRelease, Name: "id", Offset: 46},
		{Kind: RefOutput, Name: "artifact", Phase: "build", Activity: "compile", Offset: 59},
	}, tpl.Refs())
	require.Equal(t, "inputs", src[6:12])
	require.Equal(t, "phases", src[59:65])

	c, err := CompileCondition(`inputs.flag && vars["x-y"] == "1"`, testEnv)
	require.NoError(t, err)
	require.Equal(t, []Ref{{Kind: RefInput, Name: "flag"}, {Kind: RefVar, Name: "x-y", Offset: 15}}, c.Refs())
}

func TestErrorOffsetsFromExprLangPointIntoTheSource(t *testing.T) {
	// The rewritten program is longer than the source; the offset must
	// still point at the bad token in the source.
	src := `${{ inputs.canary-percent + phases.prepare.activities.cut-branch.outputs.sha ) + 1 }}`
	_, err := CompileTemplate(src, testEnv)
	var e *Error
	require.ErrorAs(t, err, &e)
	require.ErrorIs(t, err, ErrSyntax)
	require.Equal(t, src, e.Source)
	require.Equal(t, strings.Index(src, ")"), e.Offset, e.Error())
}
