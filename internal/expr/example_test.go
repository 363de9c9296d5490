package expr_test

import (
	"errors"
	"fmt"

	"github.com/batonhq/baton/internal/expr"
)

var env = &expr.Env{
	Inputs: []string{"version", "canary-percent", "services"},
	Vars:   []string{"tag"},
	Outputs: map[string]map[string][]string{
		"prepare": {"cut-branch": {"sha"}},
	},
}

var scope = &expr.Scope{
	Inputs: map[string]any{"version": "1.4.0", "canary-percent": 25, "services": []any{"api", "web"}},
	Vars:   map[string]any{"tag": "v1.4.0"},
	Release: map[string]any{
		"id": "rel-42", "name": "Mobile 1.4.0", "version": "1.4.0", "group": "weekly",
	},
	Outputs: func(phase, activity string) map[string]any {
		if phase == "prepare" && activity == "cut-branch" {
			return map[string]any{"sha": "9f2c1e7"}
		}
		return nil // no outputs (yet)
	},
}

func ExampleCompileTemplate() {
	tpl, err := expr.CompileTemplate(
		"${{ release.name }}: ${{ inputs.canary-percent }}% of ${{ inputs.services }} at ${{ phases.prepare.activities.cut-branch.outputs.sha }}",
		env)
	if err != nil {
		panic(err)
	}
	out, err := tpl.Eval(scope)
	fmt.Println(out, err)
	for _, r := range tpl.Refs() {
		fmt.Println(r.Kind, r.Phase, r.Activity, r.Name, r.Offset)
	}
	// Output:
	// Mobile 1.4.0: 25% of ["api","web"] at 9f2c1e7 <nil>
	// release   name 4
	// input   canary-percent 25
	// input   services 58
	// output prepare cut-branch sha 84
}

func ExampleTemplate_Eval_typed() {
	// A template that is one ${{ }} and nothing else keeps the value's type.
	tpl, _ := expr.CompileTemplate("${{ map(inputs.services, upper(#)) }}", env)
	v, _ := tpl.Eval(scope)
	fmt.Printf("%T %v\n", v, v)
	// Output:
	// []interface {} [API WEB]
}

func ExampleCompileCondition() {
	cond, err := expr.CompileCondition(`inputs.canary-percent - 5 >= 20 && "api" in inputs.services`, env)
	if err != nil {
		panic(err)
	}
	ok, err := cond.Eval(scope)
	fmt.Println(ok, err)
	// Output:
	// true <nil>
}

func ExampleError() {
	// A typo is a compile (validation) error with the offset of the problem.
	_, err := expr.CompileTemplate("ref: ${{ inputs.canary-percnt }}", env)
	var e *expr.Error
	if errors.As(err, &e) {
		fmt.Println(e.Offset, errors.Is(err, expr.ErrUndeclared))
		fmt.Println(err)
	}
	// Output:
	// 9 true
	// expr: undeclared input "canary-percnt" (offset 9 in "ref: ${{ inputs.canary-percnt }}")
}

func ExampleCompileTemplate_subtraction() {
	// Hyphens belong to names, as in GitHub Actions; subtract with spaces.
	env := &expr.Env{Inputs: []string{"a", "b"}}
	_, err := expr.CompileTemplate("${{ inputs.a-inputs.b }}", env)
	fmt.Println(err)
	tpl, _ := expr.CompileTemplate("${{ inputs.a - inputs.b }}", env)
	v, _ := tpl.Eval(&expr.Scope{Inputs: map[string]any{"a": 5, "b": 2}})
	fmt.Println(v)
	// Output:
	// expr: undeclared input "a-inputs"; a subtraction needs spaces around '-' (offset 4 in "${{ inputs.a-inputs.b }}")
	// 3
}
