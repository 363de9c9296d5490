package expr

import (
	"errors"
	"testing"
)

var fuzzSeeds = []string{
	"v${{ inputs.version }}",
	"${{ inputs.canary-percent }}",
	"${{ inputs.a - inputs.b }}",
	"${{ inputs.a-inputs.b }}",
	"${{ phases.prepare.activities.cut-branch.outputs.sha }}",
	"${{ phases.build.activities.compile.outputs.artifact }}",
	`${{ '}}' + "${{" + inputs.version }}`,
	"${{ {a: {b: inputs.list}} }}",
	"${{ map(inputs.list, # * 2) | filter(# > 2) }}",
	"${{ inputs.cfg?.some-key ?? 'x' }}",
	"${{ 1..1000000000 }}",
	"${{ all(inputs.list, all(inputs.list, true)) }}",
	"${{ $env }}",
	"${{ inputs.version",
	"${{ 'abc }}",
	"${{ inputs[vars.tag] }}",
	"${{ len([1,2,3])-1 }}",
	"${{ filter(inputs.list, .dash-name == 1) }}",
	"${{ release.scheduled-for }} and ${{ vars.x-y }}",
	"plain }} text ${ x }",
	"inputs.flag && inputs.a > 1",
	"${{ inputs.flag }}",
	`"api" in inputs.services`,
	"not inputs.flag or inputs.version matches '^1'",
	`${{ toJSON(toJSON(toJSON(toJSON(toJSON(toJSON('"')))))) }}`,
	"${{ join(split(inputs.big, ''), inputs.big + inputs.big) }} ${{ uniq(concat(1..9, ['a'])) }}",
}

func fuzzScope() *Scope {
	return &Scope{
		Inputs: map[string]any{
			"version": "1.2.3", "canary-percent": 10, "a": 5, "b": 2, "flag": true,
			"list": []any{1, 2, 3}, "services": []any{"api", "web"},
			"cfg": map[string]any{"some-key": "v"}, "n": 2.5, "big": "xxxxxxxx",
		},
		Vars:    map[string]any{"tag": "v1", "x-y": "xy"},
		Release: map[string]any{"id": "r1", "name": "n", "version": "1.2.3"},
		Outputs: func(phase, activity string) map[string]any {
			if phase == "prepare" {
				return map[string]any{"sha": "abc", "branch-name": "b"}
			}
			return nil
		},
	}
}

// checkErr fails unless err is nil or a well-formed *Error for src.
func checkErr(t *testing.T, src string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%q: error %v (%T) is not *Error", src, err, err)
	}
	if e.Source != src || e.Offset < 0 || e.Offset > len(src) {
		t.Fatalf("%q: bad error source/offset %d: %v", src, e.Offset, err)
	}
	if e.Err == nil {
		t.Fatalf("%q: error without kind: %v", src, err)
	}
	_ = err.Error()
}

func checkRefs(t *testing.T, src string, refs []Ref) {
	t.Helper()
	for _, r := range refs {
		if r.Offset < 0 || r.Offset >= len(src) || r.Kind < RefInput || r.Kind > RefOutput {
			t.Fatalf("%q: bad ref %+v", src, r)
		}
	}
}

func FuzzCompileTemplate(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tpl, err := CompileTemplate(src, testEnv)
		checkErr(t, src, err)
		if err != nil {
			return
		}
		checkRefs(t, src, tpl.Refs())
		v, err := tpl.Eval(fuzzScope())
		checkErr(t, src, err)
		if n := ResultSize(v); err == nil && n > MaxResultLen {
			t.Fatalf("%q: result of size %d passes MaxResultLen", src, n)
		}
	})
}

func FuzzCompileCondition(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		c, err := CompileCondition(src, testEnv)
		checkErr(t, src, err)
		if err != nil {
			return
		}
		checkRefs(t, src, c.Refs())
		_, err = c.Eval(fuzzScope())
		checkErr(t, src, err)
	})
}
