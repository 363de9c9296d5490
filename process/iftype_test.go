package process_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
)

// ifDoc is a process whose second activity's if: is cond (and whose second
// phase's if: is phaseCond).
func ifDoc(cond, phaseCond string) string {
	return `id: app
inputs:
  n: {type: integer, default: 1}
  x: {type: number, default: 1.5}
  s: {type: string, default: a}
  untyped: {default: a}
  flag: {type: boolean, default: true}
  tags: {type: list, default: [a]}
phases:
  - id: build
    activities:
      - {id: compile, uses: ci.pipeline, outputs: [ok, count]}
      - id: ship
        uses: cd.deploy
        depends-on: [compile]
        if: ` + quoteYAML(cond) + `
  - id: later
    depends-on: [build]
    if: ` + quoteYAML(phaseCond) + `
    activities:
      - {id: notify, uses: chat.post}
`
}

func quoteYAML(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func TestIfConditionMustBeStaticallyBoolean(t *testing.T) {
	const out = "phases.build.activities.compile.outputs"
	tests := []struct {
		cond string
		got  string // the kind named in the error; "" when accepted
	}{
		{"inputs.n + 1", "integer"},
		{"inputs.n * inputs.x", "number"},
		{"inputs.n / 2", "number"},
		{"-inputs.n", "integer"},
		{"inputs.s", "string"},
		{"inputs.untyped", "string"}, // an input without type is a string
		{"inputs.s + 'x'", "string"},
		{"inputs.tags", "list"},
		{"inputs.x", "number"},
		{`"yes"`, "string"},
		{"'yes'", "string"},
		{"${{ inputs.n + 1 }}", "integer"},
		{"inputs.flag ? inputs.n : 2", "integer"},

		{"inputs.n > 1", ""},
		{"inputs.n + 1 > 1", ""},
		{"inputs.flag", ""},
		{"${{ inputs.flag }}", ""},
		{"true", ""},
		{"!inputs.flag", ""},
		{"not inputs.flag", ""},
		{"inputs.flag && (inputs.n > 1 || !(inputs.s == 'a'))", ""},
		{"inputs.flag and inputs.s startsWith 'a'", ""},
		{"'a' in inputs.tags", ""},
		{"inputs.s matches '^a'", ""},
		{out + ".ok", ""},                            // unknown type: checked at run time
		{out + ".count + 1", ""},                     // unknown + integer: unknown
		{"inputs.flag ? " + out + ".ok : false", ""}, // mixed branches: unknown
		{"inputs.flag ? inputs.n > 1 : false", ""},   // both boolean
		{"inputs.n ?? false", ""},                    // ?? is not arithmetic
		{"len(inputs.tags) > 0", ""},
	}
	for _, tt := range tests {
		for _, where := range []string{"activity", "phase"} {
			t.Run(where+"/"+tt.cond, func(t *testing.T) {
				doc, path, line := ifDoc(tt.cond, "true"), "phases[0].activities[1].if", 16
				if where == "phase" {
					doc, path, line = ifDoc("true", tt.cond), "phases[1].if", 19
				}
				_, err := process.Parse([]byte(doc))
				if tt.got == "" {
					require.NoError(t, err)
					return
				}
				requireProblems(t, err, problem{path, line, "want a boolean, got " + tt.got})
			})
		}
	}
}

func TestCompileStoredKeepsAVersionWithANonBooleanIf(t *testing.T) {
	p, err := process.Parse([]byte(ifDoc("true", "true")))
	require.NoError(t, err)
	p.Phases[0].Activities[1].If = "inputs.n + 1" // stored before the check existed
	_, err = process.Compile(p)
	requireProblems(t, err, problem{"phases[0].activities[1].if", 0, "want a boolean, got integer"})
	c, err := process.CompileStored(p)
	require.NoError(t, err)
	require.NotNil(t, c)
	// Every other rule still applies.
	p.Phases[0].Activities[1].If = "inputs.nope > 1"
	_, err = process.CompileStored(p)
	requireProblems(t, err, problem{"phases[0].activities[1].if", 0, "nope"})
}
