package process_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
)

// problem is what a test expects of one reported problem.
type problem struct {
	path string
	line int
	msg  string // a substring of the message
}

func requireProblems(t *testing.T, err error, want ...problem) {
	t.Helper()
	require.Error(t, err)
	var verr *process.ValidationError
	require.True(t, errors.As(err, &verr), "want a *ValidationError, got %T: %v", err, err)
	require.ErrorIs(t, err, process.ErrInvalid)
	for _, w := range want {
		found := false
		for _, p := range verr.Problems {
			if p.Path == w.path && strings.Contains(p.Msg, w.msg) && (w.line == 0 || p.Line == w.line) {
				found = true
				break
			}
		}
		require.True(t, found, "no problem at %s (line %d) containing %q in:\n%v", w.path, w.line, w.msg, err)
	}
}

const base = `id: app
phases:
  - id: build
    activities:
      - id: compile
        uses: ci.pipeline
`

func TestParseReportsEveryRuleWithPathAndLine(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []problem
	}{
		{"unknown top-level key", "id: app\nphase: []\nphases: [{id: a, activities: [{id: x, uses: k}]}]\n",
			[]problem{{"phase", 2, `unknown key "phase"; did you mean "phases"?`}}},
		{"unknown activity key", base + "        timeot: 5m\n",
			[]problem{{"phases[0].activities[0].timeot", 7, `unknown key "timeot"; did you mean "timeout"?`}}},
		{"bad process id", strings.Replace(base, "id: app", "id: App!", 1),
			[]problem{{"id", 1, `"App!" is not a valid id`}}},
		{"missing process id", strings.Replace(base, "id: app\n", "", 1),
			[]problem{{"id", 0, "required: the process id"}}},
		{"bad activity id", strings.Replace(base, "id: compile", "id: -compile", 1),
			[]problem{{"phases[0].activities[0].id", 5, `"-compile" is not a valid id`}}},
		{"duplicate phase ids", base + "  - id: build\n    activities: [{id: x, uses: k}]\n",
			[]problem{{"phases[1].id", 7, `phase "build" is declared twice`}}},
		{"duplicate activity ids", base + "      - id: compile\n        uses: k\n",
			[]problem{{"phases[0].activities[1].id", 7, `activity "compile" is declared twice`}}},
		{"duplicate key", base + "        uses: other\n",
			[]problem{{"phases[0].activities[0].uses", 7, `key "uses" given twice`}}},
		{"unknown activity dependency", base + "        depends-on: [test, build.lint]\n",
			[]problem{
				{"phases[0].activities[0].depends-on[0]", 7, `unknown activity "test"`},
				{"phases[0].activities[0].depends-on[1]", 7, `unknown activity "build.lint"`},
			}},
		{"self dependency", base + "        depends-on: [compile]\n",
			[]problem{{"phases[0].activities[0].depends-on[0]", 7, "depends on itself"}}},
		{"unknown phase dependency", base + "    depends-on: [biuld]\n",
			[]problem{{"phases[0].depends-on[0]", 7, `unknown phase "biuld"`}}},
		{"self phase dependency", base + "    depends-on: [build]\n",
			[]problem{{"phases[0].depends-on[0]", 7, `phase "build" depends on itself`}}},
		{"approval with uses", base + "      - id: ok\n        type: approval\n        uses: ci.x\n        approval: {approvers: [bob]}\n",
			[]problem{{"phases[0].activities[1].uses", 9, "uses does not apply to an approval activity"}}},
		{"approval without policy", base + "      - id: ok\n        type: approval\n",
			[]problem{{"phases[0].activities[1].approval", 7, "required: an approval activity needs an approval policy"}}},
		{"manual without tasks or outputs", base + "      - id: check\n        type: manual\n",
			[]problem{{"phases[0].activities[1]", 7, "needs tasks or outputs"}}},
		{"automated without uses", base + "      - id: check\n",
			[]problem{{"phases[0].activities[1].uses", 7, "required: an automated activity names its adapter kind"}}},
		{"unknown activity type", base + "      - id: check\n        type: robot\n",
			[]problem{{"phases[0].activities[1].type", 8, `unknown activity type "robot"`}}},
		{"subprocess without process", base + "      - id: child\n        type: subprocess\n",
			[]problem{{"phases[0].activities[1].process", 7, "required: a subprocess activity names the process"}}},
		{"subprocess of itself", base + "      - id: child\n        type: subprocess\n        process: app\n",
			[]problem{{"phases[0].activities[1].process", 9, "recursion is not allowed"}}},
		{"bad duration", base + "        timeout: 5 minutes\n",
			[]problem{{"phases[0].activities[0].timeout", 7, `duration "5 minutes": want a number with a unit`}}},
		{"negative duration", base + "        timeout: -5m\n",
			[]problem{{"phases[0].activities[0].timeout", 7, "negative"}}},
		{"retry with no attempts", base + "        retry: {max-attempts: 0}\n",
			[]problem{{"phases[0].activities[0].retry.max-attempts", 7, "want 1 to 100 attempts"}}},
		{"retry max-backoff below backoff", base + "        retry: {max-attempts: 3, backoff: 1m, max-backoff: 10s}\n",
			[]problem{{"phases[0].activities[0].retry.max-backoff", 7, "below backoff"}}},
		{"retry multiplier below one", base + "        retry: {max-attempts: 3, multiplier: 0.5}\n",
			[]problem{{"phases[0].activities[0].retry.multiplier", 7, "want a factor from 1 to 100"}}},
		{"unknown failure strategy", base + "        on-failure: panic\n",
			[]problem{{"phases[0].activities[0].on-failure", 7, `unknown strategy "panic"`}}},
		{"default violates type", "inputs:\n  n: {type: integer, default: hello}\n" + base,
			[]problem{{"inputs.n.default", 2, `default "hello" is not a number`}}},
		{"default violates enum", "inputs:\n  env: {enum: [staging, production], default: prod}\n" + base,
			[]problem{{"inputs.env.default", 2, `is not one of ["staging", "production"]`}}},
		{"default violates pattern", "inputs:\n  v: {pattern: '^\\d+$', default: abc}\n" + base,
			[]problem{{"inputs.v.default", 2, "does not match pattern"}}},
		{"default above max", "inputs:\n  p: {type: number, max: 100, default: 150}\n" + base,
			[]problem{{"inputs.p.default", 2, "above the maximum 100"}}},
		{"bad pattern", "inputs:\n  v: {pattern: '(('}\n" + base,
			[]problem{{"inputs.v.pattern", 2, "not a valid regular expression"}}},
		{"unknown input type", "inputs:\n  v: {type: text}\n" + base,
			[]problem{{"inputs.v.type", 2, `unknown type "text"`}}},
		{"expression does not compile", base + "        with: {ref: '${{ inputs. }}'}\n",
			[]problem{{"phases[0].activities[0].with.ref", 7, ""}}},
		{"expression reads unknown input", base + "        with: {ref: '${{ inputs.versoin }}'}\n",
			[]problem{{"phases[0].activities[0].with.ref", 7, "versoin"}}},
		{"expression reads unknown variable", base + "        if: vars.nope == 'x'\n",
			[]problem{{"phases[0].activities[0].if", 7, "nope"}}},
		{"variable reads a later variable", "variables:\n  a: '${{ vars.b }}'\n  b: x\n" + base,
			[]problem{{"variables.a", 2, `reads variable "b", which is declared at or after it`}}},
		{"expression reads an output it does not depend on", base +
			"        outputs: [artifact]\n      - id: ship\n        uses: cd.deploy\n        with: {a: '${{ phases.build.activities.compile.outputs.artifact }}'}\n",
			[]problem{{"phases[0].activities[1].with.a", 10, "does not depend on build.compile"}}},
		{"expression reads an undeclared output", base +
			"      - id: ship\n        uses: cd.deploy\n        depends-on: [compile]\n        with: {a: '${{ phases.build.activities.compile.outputs.artifact }}'}\n",
			[]problem{{"phases[0].activities[1].with.a", 10, "artifact"}}},
		{"approval min above approvers", base + "      - id: ok\n        type: approval\n        approval: {approvers: [ann, bob], min: 3}\n",
			[]problem{{"phases[0].activities[1].approval.min", 9, "needs 3 approvals but names only 2"}}},
		{"approval on-deadline without deadline", base + "      - id: ok\n        type: approval\n        approval: {approvers: [ann], on-deadline: approve}\n",
			[]problem{{"phases[0].activities[1].approval.on-deadline", 9, "needs a deadline"}}},
		{"phase without activities", base + "  - id: empty\n    activities: []\n",
			[]problem{{"phases[1].activities", 8, "at least one activity"}}},
		{"no phases", "id: app\n", []problem{{"phases", 0, "at least one phase"}}},
		{"wrong value type", base + "        outputs: artifact\n",
			[]problem{{"phases[0].activities[0].outputs", 7, `want a list of strings, got the string "artifact"`}}},
		{"task duplicate ids", base + "      - id: check\n        type: manual\n        tasks: [{id: a}, {id: a}]\n",
			[]problem{{"phases[0].activities[1].tasks[1].id", 9, `task "a" declared twice`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := process.Parse([]byte(tt.doc))
			requireProblems(t, err, tt.want...)
		})
	}
}

func TestParseReportsAllProblemsAtOnce(t *testing.T) {
	doc := `id: App
phases:
  - id: build
    depends-on: [nowhere]
    activities:
      - id: compile
        uses: ci.pipeline
        timeout: soon
        depends-on: [ghost]
`
	_, err := process.Parse([]byte(doc))
	requireProblems(t, err,
		problem{"id", 1, `"App" is not a valid id`},
		problem{"phases[0].depends-on[0]", 4, `unknown phase "nowhere"`},
		problem{"phases[0].activities[0].timeout", 8, `duration "soon"`},
		problem{"phases[0].activities[0].depends-on[0]", 9, `unknown activity "ghost"`},
	)
	var verr *process.ValidationError
	require.ErrorAs(t, err, &verr)
	require.Len(t, verr.Problems, 4)
	for i := 1; i < len(verr.Problems); i++ {
		require.LessOrEqual(t, verr.Problems[i-1].Line, verr.Problems[i].Line, "problems come in document order")
	}
}

func TestParseNamesTheCycle(t *testing.T) {
	doc := `id: app
phases:
  - id: build
    activities:
      - id: compile
        uses: ci.pipeline
        depends-on: [qa.signoff]
  - id: qa
    activities:
      - id: signoff
        type: approval
        depends-on: [build.compile]
        approval: {approvers: [ann]}
`
	_, err := process.Parse([]byte(doc))
	var cyc *process.CycleError
	require.ErrorAs(t, err, &cyc)
	require.Contains(t, [][]string{
		{"build.compile", "qa.signoff", "build.compile"},
		{"qa.signoff", "build.compile", "qa.signoff"},
	}, cyc.Path)
	require.Contains(t, err.Error(), "dependency cycle")
	requireProblems(t, err, problem{"phases[0].activities[0].depends-on", 7, "build.compile -> qa.signoff -> build.compile"})
}

func TestParseFindsCyclesThroughPhaseDependencies(t *testing.T) {
	doc := `id: app
phases:
  - id: build
    depends-on: [qa]
    activities: [{id: compile, uses: ci.pipeline}]
  - id: qa
    depends-on: [build]
    activities: [{id: test, uses: ci.test}]
`
	_, err := process.Parse([]byte(doc))
	var cyc *process.CycleError
	require.ErrorAs(t, err, &cyc)
	require.Len(t, cyc.Path, 3)
	require.Equal(t, cyc.Path[0], cyc.Path[2])
	require.ElementsMatch(t, []string{"build.compile", "qa.test"}, cyc.Path[:2])
}

func TestValidateChecksProcessesBuiltInCode(t *testing.T) {
	p := &process.Process{
		ID: "app",
		Phases: []process.Phase{{
			ID: "build",
			Activities: []process.Activity{
				{ID: "compile", Uses: "ci.pipeline", Retry: &process.RetryPolicy{MaxAttempts: 3, Backoff: process.Duration(-1)}},
				{ID: "ship", Uses: "cd.deploy", DependsOn: []string{"compile"}},
			},
		}},
	}
	err := p.Validate()
	requireProblems(t, err, problem{"phases[0].activities[0].retry.backoff", 0, "must not be negative"})
	var verr *process.ValidationError
	require.ErrorAs(t, err, &verr)
	require.Zero(t, verr.Problems[0].Line, "a process built in code has no lines")

	p.Phases[0].Activities[0].Retry.Backoff = 0
	require.NoError(t, p.Validate())
}

func TestValidateOnNilProcessIsAnError(t *testing.T) {
	var p *process.Process
	require.ErrorIs(t, p.Validate(), process.ErrInvalid)
}
